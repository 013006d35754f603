# bundle_trends (trends.smk) makes the trends bundle; `bundle` matches its paths too
ruleorder: bundle_trends > bundle


rule bundle:
    """Versioned, checksummed, immutable results bundle of a wave (and its zip)."""
    input:
        lib=library("bundle"),
        files=bundle_files,
        raw=bundle_raw_inputs,
        config="config.yaml",
        lock="requirements.lock",
        snakefile="Snakefile",
        # none: refuses a bundle folder asked for under a fingerprint not the current one
        current=lambda wc: paths.current_fingerprint(config, wc.wave, wc.fingerprint),
    output:
        receipt=paths.bundle_receipt("{wave}", "{fingerprint}"),
        # the published folder is not an output (Snakemake would delete it before a rerun,
        # and a published bundle is never deleted); its manifest is, flagged `update` so
        # that Snakemake never deletes it; rule all asks for it, so a deleted bundle folder
        # is a missing output, and the bundle is built again
        manifest=update(paths.bundle_manifest_pattern(config)),
    wildcard_constraints:
        # not the trends bundle: neither its receipt (results/trends/...) nor its folder
        # (<study>-trends-v<version>/...), so no input function is tried for "trends"
        wave=f"(?!{paths.TRENDS}[/-])[^/]+",
        fingerprint=paths.FINGERPRINT_PATTERN,
    params:
        study=config["study"],
        version=lambda wc: paths.bundle_version(config, wc.wave, wc.fingerprint),
        date=config["bundle"]["date"],
        synthetic=is_synthetic,
        contents=lambda wc: paths.bundle_contents(wc.wave, config),
        raw_inputs=bundle_raw_inputs,
        report_targets=bundle_files,
        bundles=lambda wc, output: str(Path(output.manifest).parent.parent),
        k=config.get("disclosure", {}).get("k", 5),
        questionnaire=wave_field("questionnaire"),
    log:
        paths.bundle_log("{wave}", "{fingerprint}"),
    benchmark:
        "benchmarks/{wave}/bundle-{fingerprint}.tsv"
    conda:
        "../../envs/councilsurvey.yaml"
    script:
        "../scripts/bundle.py"


rule verify:
    """Re-execute the pipeline in a clean copy and check every wave's bundle; the Snakemake
    equivalent of `make verify` (not part of `all`): snakemake --cores 4 verify"""
    input:
        receipts=lambda wc: [paths.current_receipt(config, w) for w in WAVES],
    params:
        python=sys.executable,
    threads: 4
    log:
        "logs/verify.log",
    conda:
        "../../envs/councilsurvey.yaml"
    shell:
        "{params.python} -m councilsurvey.pipeline.verify --cores {threads} 2>&1 | tee {log}"
