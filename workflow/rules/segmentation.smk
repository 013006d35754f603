rule segmentation:
    """Segment shares with CIs, rule against latent classes, reliability, profiles (notebook)."""
    input:
        lib=library("run_notebook", "notebooks/segmentation.ipynb"),
        notebook="notebooks/segmentation.ipynb",
        weighted=out("weighted"),
        segments=out("segments"),
        latent_selection=out("latent_selection"),
        reliability=out("reliability"),
        agreement=out("agreement"),
        questionnaire=wave_field("questionnaire"),
    output:
        executed=nb_executed("segmentation"),
        # rendered in the same job (one Python start, one import of nbformat)
        html=report(
            nb_executed("segmentation", "html"),
            caption="../report/notebook.rst",
            category="Notebooks",
            labels={"wave": "{wave}", "notebook": "segmentation"},
        ),
        segments_table=nb_out("segmentation", "segments_table"),
        profiles_table=nb_out("segmentation", "profiles_table"),
        fig_segment_shares=report(
            nb_out("segmentation", "fig_segment_shares_png"),
            caption="../report/segment_shares.rst",
            category="Segmentation",
            labels={"wave": "{wave}", "figure": "segment shares"},
        ),
        fig_segment_shares_svg=nb_out("segmentation", "fig_segment_shares_svg"),
        fig_segment_profiles=report(
            nb_out("segmentation", "fig_segment_profiles_png"),
            caption="../report/segment_profiles.rst",
            category="Segmentation",
            labels={"wave": "{wave}", "figure": "item profiles"},
        ),
        fig_segment_profiles_svg=nb_out("segmentation", "fig_segment_profiles_svg"),
    params:
        parameters=nb_parameters("segmentation"),
        statement=data_statement,
    log:
        "logs/{wave}/segmentation.log",
    benchmark:
        "benchmarks/{wave}/segmentation.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/run_notebook.py"
