rule clean:
    """Recode, match councils, exclude and log, pseudonymise: one row per respondent."""
    input:
        lib=library("clean"),
        export=wave_input("export"),
        codebook=wave_input("codebook"),
        frame=wave_input("frame"),
        outside=wave_input("outside"),
        truth=wave_input("truth"),
        report=out("report"),
    output:
        responses=out("responses"),
        cleaning_log=out("cleaning_log"),
        matches=out("matches"),
        summary=out("summary"),
        match_accuracy=out("match_accuracy"),
    params:
        n_councils=frame_size,
        export_format=wave_field("format"),
        encoding=wave_field("encoding"),
        successors_as_of=lambda wc: paths.successors_as_of(wave_info(wc.wave)["fieldwork"]),
        successors=config.get("successors"),
        cleaning=config["cleaning"],
        key_file=paths.KEY_FILE,
    log:
        "logs/{wave}/clean.log",
    benchmark:
        "benchmarks/{wave}/clean.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/clean.py"
