rule weight:
    """Coverage base weights raked to the council frame's filled seats."""
    input:
        lib=library("weight"),
        responses=out("responses"),
        frame=wave_input("frame"),
    output:
        weighted=out("weighted"),
        margins=out("margins"),
        diagnostics=out("diagnostics"),
        trimming=out("trimming"),
        collapses=out("collapses"),
        margins_figure=report(
            out("margins_figure"),
            caption="../report/weighting_margins.rst",
            category="Weighting",
            labels={"wave": "{wave}", "figure": "margins"},
        ),
    params:
        n_councils=frame_size,
        weighting=config["weighting"],
        variance=config["variance"],
        synthetic=is_synthetic,
        statement=data_statement,
    log:
        "logs/{wave}/weight.log",
    benchmark:
        "benchmarks/{wave}/weight.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/weight.py"
