ROBUSTNESS = config["robustness"]


wildcard_constraints:
    scheme="|".join(ROBUSTNESS["weighting"]),
    segmentation="|".join(ROBUSTNESS["segmentation"]),


# robustness.batch: wave (default) runs one job per wave, which estimates every
# specification (one Python start and one read of the data per wave, each scheme's weights
# and each segmentation's segments computed once); scheme runs one job per weighting scheme
# (every segmentation of it); spec one job per specification, for a cluster where 30 small
# jobs per wave pay. Whatever the batch, each specification's estimates go to its own file,
# byte for byte the same. The summary (table and figure) stays a job of its own, so that a
# new baseline, published finding or figure style reruns no estimates.
BATCH = ROBUSTNESS.get("batch", "wave")


# the job's wildcards and its files: one job per wave, per scheme or per specification
if BATCH == "wave":
    GRID_LOG = "{wave}/robustness"
    GRID_OUT = [
        paths.robustness_estimates("{wave}", scheme, segmentation)
        for scheme, segmentation in paths.robustness_specifications(config)
    ]
elif BATCH == "scheme":
    GRID_LOG = "{wave}/robustness/{scheme}"
    GRID_OUT = [
        paths.robustness_estimates("{wave}", "{scheme}", segmentation)
        for segmentation in ROBUSTNESS["segmentation"]
    ]
else:
    GRID_LOG = "{wave}/robustness/{scheme}/{segmentation}"
    GRID_OUT = paths.robustness_estimates("{wave}", "{scheme}", "{segmentation}")


rule robustness:
    """The robustness grid: under each weighting scheme, each segmentation gives the
    enthusiast and sceptic shares with 95% CIs (one job per wave; with robustness.batch:
    scheme one per weighting scheme, with spec one per specification)."""
    input:
        lib=library("robustness"),
        weighted=out("weighted"),
        segments={"wave": grid_segments, "scheme": out("segments")}.get(BATCH, spec_segments),
        frame=grid_frame if BATCH == "wave" else scheme_frame,
        questionnaire=wave_field("questionnaire"),
    output:
        estimates=GRID_OUT,
    params:
        weighting=config["weighting"],
        variance=config["variance"],
        segments_cfg=config["segments"],
        robustness=grid_params if BATCH == "wave" else scheme_params,
        n_councils=frame_size,
    log:
        f"logs/{GRID_LOG}.log",
    benchmark:
        f"benchmarks/{GRID_LOG}.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/robustness.py"


rule robustness_summary:
    """The robustness grid of a wave: table and specification-curve figure, marking where
    the published findings hold."""
    input:
        lib=library("robustness_summary"),
        estimates=robustness_inputs,
        published=published_claims,
    output:
        robustness_table=robustness_out("robustness_table"),
        fig_robustness_curve_png=report(
            robustness_out("fig_robustness_curve_png"),
            caption="../report/robustness_curve.rst",
            category="Robustness",
            labels={"wave": "{wave}", "figure": "specification curve"},
        ),
        fig_robustness_curve_svg=robustness_out("fig_robustness_curve_svg"),
    params:
        robustness=ROBUSTNESS,
        # the baseline follows the pipeline's own weighting and segmentation
        weighting=config["weighting"],
        segments_cfg=config["segments"],
        statement=data_statement,
        k=config.get("disclosure", {}).get("k", 5),
    log:
        "logs/{wave}/robustness_summary.log",
    benchmark:
        "benchmarks/{wave}/robustness_summary.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/robustness_summary.py"
