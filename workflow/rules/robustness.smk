ROBUSTNESS = config["robustness"]


wildcard_constraints:
    scheme="|".join(ROBUSTNESS["weighting"]),
    segmentation="|".join(ROBUSTNESS["segmentation"]),


# robustness.batch: scheme (default) runs one job per weighting scheme, which estimates every
# segmentation (one Python start, one read of the data, the scheme's weights computed once);
# spec runs one job per specification, for a cluster where 30 small jobs per wave pay.
# Either way, each specification's estimates go to its own file.
BATCH = ROBUSTNESS.get("batch", "scheme")


# one job per scheme: every segmentation's file; one per specification: its own
if BATCH == "scheme":
    GRID_JOB = "{scheme}"
    GRID_OUT = [
        paths.robustness_estimates("{wave}", "{scheme}", segmentation)
        for segmentation in ROBUSTNESS["segmentation"]
    ]
else:
    GRID_JOB = "{scheme}/{segmentation}"
    GRID_OUT = paths.robustness_estimates("{wave}", "{scheme}", "{segmentation}")


rule robustness:
    """The robustness grid: under a weighting scheme, each segmentation gives the
    enthusiast and sceptic shares with 95% CIs (one job per scheme, or with
    robustness.batch: spec one per specification)."""
    input:
        lib=library("robustness"),
        weighted=out("weighted"),
        segments=spec_segments if BATCH == "spec" else out("segments"),
        frame=scheme_frame,
        questionnaire=wave_field("questionnaire"),
    output:
        estimates=GRID_OUT,
    params:
        weighting=config["weighting"],
        variance=config["variance"],
        segments_cfg=config["segments"],
        robustness=scheme_params,
        n_councils=frame_size,
    log:
        f"logs/{{wave}}/robustness/{GRID_JOB}.log",
    benchmark:
        f"benchmarks/{{wave}}/robustness/{GRID_JOB}.tsv"
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
