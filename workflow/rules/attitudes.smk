rule attitudes:
    """Headline estimates and attitude tests by segment, weighted and unweighted (notebook)."""
    input:
        lib=library("run_notebook", "notebooks/attitudes.ipynb"),
        notebook="notebooks/attitudes.ipynb",
        weighted=out("weighted"),
        segments=out("segments"),
        questionnaire=wave_field("questionnaire"),
        published=published_claims,
    output:
        executed=nb_executed("attitudes"),
        # rendered in the same job (one Python start, one import of nbformat)
        html=report(
            nb_executed("attitudes", "html"),
            caption="../report/notebook.rst",
            category="Notebooks",
            labels={"wave": "{wave}", "notebook": "attitudes"},
        ),
        headlines_table=nb_out("attitudes", "headlines_table"),
        association_table=nb_out("attitudes", "association_table"),
        caution_table=nb_out("attitudes", "caution_table"),
        model_table=nb_out("attitudes", "model_table"),
        composition_table=nb_out("attitudes", "composition_table"),
        fig_headlines=report(
            nb_out("attitudes", "fig_headlines_png"),
            caption="../report/headlines.rst",
            category="Attitudes",
            labels={"wave": "{wave}", "figure": "headlines"},
        ),
        fig_headlines_svg=nb_out("attitudes", "fig_headlines_svg"),
        fig_segment_composition=report(
            nb_out("attitudes", "fig_segment_composition_png"),
            caption="../report/segment_composition.rst",
            category="Attitudes",
            labels={"wave": "{wave}", "figure": "segments by group"},
        ),
        fig_segment_composition_svg=nb_out("attitudes", "fig_segment_composition_svg"),
        fig_caution_items=report(
            nb_out("attitudes", "fig_caution_items_png"),
            caption="../report/caution_items.rst",
            category="Attitudes",
            labels={"wave": "{wave}", "figure": "caution items"},
        ),
        fig_caution_items_svg=nb_out("attitudes", "fig_caution_items_svg"),
        fig_enthusiast_odds=report(
            nb_out("attitudes", "fig_enthusiast_odds_png"),
            caption="../report/enthusiast_odds.rst",
            category="Attitudes",
            labels={"wave": "{wave}", "figure": "enthusiast odds ratios"},
        ),
        fig_enthusiast_odds_svg=nb_out("attitudes", "fig_enthusiast_odds_svg"),
        fig_champions=report(
            nb_out("attitudes", "fig_champions_png"),
            caption="../report/theme_champions.rst",
            category="Attitudes",
            labels={"wave": "{wave}", "figure": "digital champions"},
        ),
        fig_champions_svg=nb_out("attitudes", "fig_champions_svg"),
        fig_impact_areas=report(
            nb_out("attitudes", "fig_impact_areas_png"),
            caption="../report/theme_impact_areas.rst",
            category="Attitudes",
            labels={"wave": "{wave}", "figure": "where digital has had most impact"},
        ),
        fig_impact_areas_svg=nb_out("attitudes", "fig_impact_areas_svg"),
        fig_challenges=report(
            nb_out("attitudes", "fig_challenges_png"),
            caption="../report/theme_challenges.rst",
            category="Attitudes",
            labels={"wave": "{wave}", "figure": "top challenges"},
        ),
        fig_challenges_svg=nb_out("attitudes", "fig_challenges_svg"),
    params:
        parameters=nb_parameters("attitudes"),
        statement=data_statement,
    log:
        "logs/{wave}/attitudes.log",
    benchmark:
        "benchmarks/{wave}/attitudes.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/run_notebook.py"
