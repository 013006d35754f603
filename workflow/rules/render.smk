rule render:
    """An executed, normalised notebook -> self-contained HTML (nbconvert)."""
    input:
        lib=library("render"),
        executed=nb_executed("{notebook}"),
    output:
        html=report(
            nb_executed("{notebook}", "html"),
            caption="../report/notebook.rst",
            category="Notebooks",
            labels={"wave": "{wave}", "notebook": "{notebook}"},
        ),
    params:
        statement=data_statement,
    log:
        "logs/{wave}/render_{notebook}.log",
    benchmark:
        "benchmarks/{wave}/render_{notebook}.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/render.py"
