rule claims:
    """Every published claim against the reproduced figure, with its source and status
    (PASS, CONFLICT, INTERPRETATION or FAIL; a FAIL does not stop the run)."""
    input:
        lib=library("claims"),
        weighted=out("weighted"),
        segments=out("segments"),
        frame=wave_input("frame"),
        codebook=wave_input("codebook"),
        questionnaire=wave_field("questionnaire"),
        published=published_claims,
    output:
        claims_table=paths.claims_path("{wave}"),
    params:
        n_councils=frame_size,
        variance=config["variance"],
    log:
        "logs/{wave}/claims.log",
    benchmark:
        "benchmarks/{wave}/claims.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/claims.py"


onsuccess:
    print_claims_summary()
