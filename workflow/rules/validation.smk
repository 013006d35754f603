rule validation:
    """Known-truth validation study on a wave's council frame: k replicate samples of a
    synthetic population through each non-response scenario, estimated by every weighting
    scheme of config.yaml validation.schemes (all replicates vectorised in one job)."""
    input:
        lib=library("validation"),
        frame=wave_input("frame"),
        questionnaire=wave_field("questionnaire"),
    output:
        validation_table=paths.validation_files("{wave}")["validation_table"],
        fig_validation_png=report(
            paths.validation_files("{wave}")["fig_validation_png"],
            caption="../report/validation.rst",
            category="Validation",
            labels={"wave": "{wave}", "figure": "known-truth validation"},
        ),
        fig_validation_svg=paths.validation_files("{wave}")["fig_validation_svg"],
    params:
        validation_cfg=config.get("validation", {}),
        weighting=config["weighting"],
        segments_cfg=config["segments"],
        robustness=config["robustness"],
        statement=data_statement,
        n_councils=frame_size,
    log:
        "logs/{wave}/validation.log",
    benchmark:
        "benchmarks/{wave}/validation.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/validation.py"
