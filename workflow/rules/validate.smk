rule validate_raw:
    """Check that a wave's export parses through its codebook and its frame is sound."""
    input:
        lib=library("validate_raw"),
        export=wave_input("export"),
        codebook=wave_input("codebook"),
        frame=wave_input("frame"),
        outside=wave_input("outside"),
        wave_yaml="data/raw/{wave}/wave.yaml",
    output:
        report=out("report"),
    params:
        n_councils=frame_size,
        export_format=wave_field("format"),
        encoding=wave_field("encoding"),
    log:
        "logs/{wave}/validate_raw.log",
    benchmark:
        "benchmarks/{wave}/validate_raw.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/validate_raw.py"
