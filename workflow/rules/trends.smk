rule trends:
    """Weighted headline and segment shares per wave and tests of change (notebook)."""
    input:
        lib=library("run_notebook", "notebooks/trends.ipynb"),
        notebook="notebooks/trends.ipynb",
        weighted=expand(paths.stage_outputs("{wave}")["weighted"], wave=WAVES),
        segments=expand(paths.stage_outputs("{wave}")["segments"], wave=WAVES),
        questionnaire=lambda wc: paths.trends_parameters(config, WAVES)["questionnaire"],
    output:
        executed=nb_executed("trends", wave=paths.TRENDS),
        # rendered in the same job (one Python start, one import of nbformat)
        html=report(
            nb_executed("trends", "html", wave=paths.TRENDS),
            caption="../report/notebook_trends.rst",
            category="Notebooks",
            labels={"wave": paths.TRENDS, "notebook": "trends"},
        ),
        estimates_table=paths.trends_files()["estimates_table"],
        changes_table=paths.trends_files()["changes_table"],
        fig_trend_headlines=report(
            paths.trends_files()["fig_trend_headlines_png"],
            caption="../report/trend_headlines.rst",
            category="Trends",
            labels={"figure": "headlines by wave"},
        ),
        fig_trend_headlines_svg=paths.trends_files()["fig_trend_headlines_svg"],
        fig_trend_segments=report(
            paths.trends_files()["fig_trend_segments_png"],
            caption="../report/trend_segments.rst",
            category="Trends",
            labels={"figure": "segments by wave"},
        ),
        fig_trend_segments_svg=paths.trends_files()["fig_trend_segments_svg"],
        fig_trend_themes=report(
            paths.trends_files()["fig_trend_themes_png"],
            caption="../report/trend_themes.rst",
            category="Trends",
            labels={"figure": "themes by wave"},
        ),
        fig_trend_themes_svg=paths.trends_files()["fig_trend_themes_svg"],
    params:
        parameters=lambda wc: paths.trends_parameters(config, WAVES),
        statement=lambda wc: paths.trends_parameters(config, WAVES)["statement"],
    log:
        "logs/trends/trends.log",
    benchmark:
        "benchmarks/trends/trends.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/run_notebook.py"


rule bundle_trends:
    """The trends bundle, built and protected like the wave bundles."""
    input:
        lib=library("bundle"),
        files=lambda wc: list(paths.trends_contents(config, WAVES).values()),
        raw=sorted({f for w in WAVES for f in paths.raw_inputs(config, w)}),
        config="config.yaml",
        lock="requirements.lock",
        snakefile="Snakefile",
        current=lambda wc: paths.current_fingerprint(config, paths.TRENDS, wc.fingerprint),
    output:
        receipt=paths.bundle_receipt(paths.TRENDS, "{fingerprint}"),
        manifest=update(paths.bundle_manifest_pattern(config, paths.TRENDS)),
    wildcard_constraints:
        fingerprint=paths.FINGERPRINT_PATTERN,
    params:
        wave=paths.TRENDS,
        study=config["study"],
        version=lambda wc: paths.bundle_version(config, paths.TRENDS, wc.fingerprint),
        date=config["bundle"]["date"],
        synthetic=lambda wc: "Synthetic" in paths.trends_parameters(config, WAVES)["statement"],
        contents=lambda wc: paths.trends_contents(config, WAVES),
        raw_inputs=sorted({f for w in WAVES for f in paths.raw_inputs(config, w)}),
        report_targets=lambda wc: list(paths.trends_contents(config, WAVES).values()),
        bundles=lambda wc, output: str(Path(output.manifest).parent.parent),
        k=config.get("disclosure", {}).get("k", 5),
        wave_statements=lambda wc: paths.wave_statements(config, WAVES),
    log:
        paths.bundle_log(paths.TRENDS, "{fingerprint}"),
    benchmark:
        "benchmarks/trends/bundle-{fingerprint}.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/bundle.py"
