rule segment:
    """Rule and latent-class segments of every respondent: the data product that the
    claims check, the robustness grid and the notebooks read; and three tables of the
    bundle: the comparison of latent class models (number of classes chosen by BIC), the
    scales' reliability and the agreement of the rule with the latent classes."""
    input:
        lib=library("segment"),
        weighted=out("weighted"),
        questionnaire=wave_field("questionnaire"),
    output:
        segments=out("segments"),
        latent_selection=out("latent_selection"),
        reliability=out("reliability"),
        agreement=out("agreement"),
    params:
        segments_cfg=config["segments"],
    log:
        "logs/{wave}/segment.log",
    benchmark:
        "benchmarks/{wave}/segment.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/segment.py"
