ROBUSTNESS = config["robustness"]


wildcard_constraints:
    scheme="|".join(ROBUSTNESS["weighting"]),
    segmentation="|".join(ROBUSTNESS["segmentation"]),


rule robustness:
    """One specification of the robustness grid: a weighting scheme x a segmentation gives
    the enthusiast and sceptic shares with 95% CIs (one job per specification)."""
    input:
        lib=library("robustness"),
        weighted=out("weighted"),
        segments=out("segments"),
        frame=wave_input("frame"),
        questionnaire=wave_field("questionnaire"),
    output:
        estimates=paths.robustness_estimates("{wave}", "{scheme}", "{segmentation}"),
    params:
        weighting=config["weighting"],
        variance=config["variance"],
        segments_cfg=config["segments"],
        robustness=ROBUSTNESS,
        n_councils=frame_size,
    log:
        "logs/{wave}/robustness/{scheme}/{segmentation}.log",
    benchmark:
        "benchmarks/{wave}/robustness/{scheme}/{segmentation}.tsv"
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
