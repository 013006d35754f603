"""The pipeline's stages as plain functions of paths, called by ``workflow/scripts``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from councilsurvey.cleaning.clean import clean
from councilsurvey.cleaning.matching import CouncilMatcher
from councilsurvey.cleaning.pseudonym import load_key
from councilsurvey.core.writers import write_csv, write_parquet
from councilsurvey.inputs.codebook import load_codebook
from councilsurvey.inputs.export import read_export
from councilsurvey.inputs.frame import load_frame, load_outside_england

log = logging.getLogger("councilsurvey")


def validate_raw(
    export, codebook, frame, n_councils, outside, report, wave, export_format=None, encoding=None
) -> dict:
    """Check that a wave's raw inputs can be read: codebook schema, export headers and
    answers, council frame schema. Writes a JSON report; raises ``InputError`` if not."""
    from councilsurvey.cleaning.clean import recode

    cb = load_codebook(codebook)
    raw = read_export(export, cb, format=export_format, encoding=encoding)
    recode(raw, cb)
    fr = load_frame(frame, n_councils)
    out = load_outside_england(outside)
    result = {
        "wave": str(wave),
        "export": Path(export).name,
        "rows": len(raw.data),
        "variables": [v["id"] for v in cb.variables],
        "warnings": raw.warnings,
        "frame_councils": len(fr),
        "frame_seats": int(fr["seats"].sum()),
        "outside_england_councils": len(out),
    }
    Path(report).parent.mkdir(parents=True, exist_ok=True)
    Path(report).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    log.info(
        "validated %s: %d rows, %d variables", export, result["rows"], len(result["variables"])
    )
    return result


def clean_wave(
    export,
    codebook,
    frame,
    n_councils,
    outside,
    key_file,
    wave,
    cleaning,
    responses,
    cleaning_log,
    matches,
    summary,
    export_format=None,
    encoding=None,
    fieldwork_start=None,
    successors=None,
) -> None:
    """The clean stage for one wave: see :mod:`councilsurvey.cleaning.clean`. Names of councils
    abolished before ``fieldwork_start`` are matched to their successors."""
    import pandas as pd

    cb = load_codebook(codebook)
    raw = read_export(export, cb, format=export_format, encoding=encoding)
    fr = load_frame(frame, n_councils)
    succ = pd.read_csv(successors, dtype=str) if successors else None
    matcher = CouncilMatcher(
        fr,
        load_outside_england(outside),
        threshold=cleaning["fuzzy_threshold"],
        margin=cleaning["ambiguity_margin"],
        successors=succ,
        as_of=fieldwork_start,
    )
    result = clean(
        raw,
        cb,
        fr,
        matcher,
        load_key(key_file),
        str(wave),
        min_answered_share=cleaning["min_answered_share"],
        test_markers=cleaning.get("test_markers"),
    )
    write_parquet(result.responses, responses)
    write_csv(result.log, cleaning_log)
    write_csv(result.matches, matches)
    write_csv(result.summary, summary)
    s = dict(zip(result.summary["metric"], result.summary["value"], strict=True))
    log.info(
        "wave %s: %d raw rows -> %d respondents from %d councils (%d excluded, "
        "%d council names repaired)",
        wave,
        s["raw_rows"],
        s["respondents"],
        s["councils"],
        s["excluded_total"],
        s["repaired_council_names"],
    )


def weight_wave(
    responses,
    frame,
    n_councils,
    weighting,
    wave,
    synthetic,
    weighted,
    margins,
    diagnostics,
    trimming,
    margins_figure,
) -> None:
    """The weight stage for one wave: see :mod:`councilsurvey.survey.weighting`."""
    import pandas as pd

    from councilsurvey.core.statement import data_statement
    from councilsurvey.report.figures import margins_figure as plot_margins
    from councilsurvey.survey.weighting import weight

    data = pd.read_parquet(responses)
    fr = load_frame(frame, n_councils)
    result = weight(data, fr, weighting, source=responses)
    write_parquet(result.data, weighted)
    write_csv(result.margins, margins)
    write_csv(result.diagnostics, diagnostics)
    Path(trimming).write_text(
        json.dumps(result.trimming or {"trimming": "off"}, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    plot_margins(
        result.margins,
        margins_figure,
        f"Wave {wave}: respondents against the council frame, by raked margin",
        data_statement(synthetic),
    )
    d = result.diagnostics.set_index("weight").loc["weight"]
    log.info(
        "wave %s: weights sum to %.0f seats; Kish deff %.3f, effective n %.1f; "
        "%s iterations, converged=%s",
        wave,
        d["sum"],
        d["deff_kish"],
        d["n_effective"],
        d["iterations"],
        d["converged"],
    )


def run_analysis_notebook(notebook, executed, parameters) -> None:
    """Run one analysis notebook with papermill (see :mod:`councilsurvey.report.notebooks`)."""
    from councilsurvey.report.notebooks import run_notebook

    run_notebook(notebook, executed, dict(parameters))


def render_notebook(executed, html) -> None:
    """Render an executed notebook to self-contained HTML."""
    from councilsurvey.report.notebooks import render_html

    render_html(executed, html)
    log.info("rendered %s -> %s", executed, html)


def claims_wave(weighted, segments, frame, n_councils, published, claims_table, wave) -> None:
    """The claims check of one wave: see :mod:`councilsurvey.analysis.claims`."""
    import pandas as pd

    from councilsurvey.analysis.claims import check_claims, load_claims
    from councilsurvey.survey.design import SurveyDesign

    data = pd.read_parquet(weighted)
    seg = pd.read_parquet(segments)[["respondent_id", "segment_rule"]]
    data = data.merge(seg, on="respondent_id", how="left", validate="one_to_one")
    claims = load_claims(published) if published else []
    result = check_claims(SurveyDesign.of_wave(data), claims, load_frame(frame, n_councils))
    write_csv(result, claims_table)
    for row in result.itertuples():
        level = logging.INFO if row.status == "PASS" else logging.WARNING
        log.log(
            level,
            "wave %s claim %s: published %g, reproduced %.4g -> %s",
            wave,
            row.claim_id,
            row.published,
            row.reproduced,
            row.status,
        )


def snakemake_report(targets: list[str], html) -> None:
    """Snakemake's HTML report restricted to ``targets`` (run as a subprocess)."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("snakemake")
    tmp = Path(html)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [str(exe), "--report", str(tmp), "--nolock", *targets], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"snakemake --report failed:\n{proc.stderr[-3000:]}")


def bundle_wave(
    wave,
    study,
    version,
    date,
    synthetic,
    contents,
    raw_inputs,
    config,
    lock,
    snakefile,
    report_targets,
    bundles,
    receipt,
    k=5,
) -> None:
    """Assemble, check and publish a wave's results bundle (see
    :mod:`councilsurvey.publish.bundle`)."""
    import shutil

    import pandas as pd

    from councilsurvey.core.statement import data_statement
    from councilsurvey.publish import bundle as b
    from councilsurvey.publish.crate import write_crate
    from councilsurvey.publish.disclosure import suppress, violations
    from councilsurvey.publish.provenance import collect

    name = b.bundle_name(study, str(wave), version)
    bundles = Path(bundles)
    bundles.mkdir(parents=True, exist_ok=True)
    final = bundles / name
    staging = bundles / f".staging-{name}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    for rel, src in contents.items():
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, staging / rel)
    for src in (snakefile, config, lock):
        (staging / "provenance").mkdir(exist_ok=True)
        shutil.copyfile(src, staging / "provenance" / Path(src).name)
    report = staging / "report.html"
    snakemake_report(report_targets, report)
    report.write_text(b.normalise_report(report.read_text(encoding="utf-8")), encoding="utf-8")
    tables = {rel: staging / rel for rel in contents if rel.endswith(".csv")}
    suppressed = 0
    for rel, path in tables.items():
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
        safe, hidden = suppress(Path(rel).name, table, k)
        if hidden:
            write_csv(safe, path)
            suppressed += hidden
        if violations(Path(rel).name, pd.read_csv(path), k):
            raise RuntimeError(f"{rel}: a cell still rests on fewer than {k} respondents")
    write_csv(b.data_dictionary(tables), staging / "data_dictionary.csv")
    prov = collect(list(raw_inputs), config, lock)
    (staging / "provenance.json").write_text(
        json.dumps(prov, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    claims = (
        pd.read_csv(staging / "claims.csv")
        if (staging / "claims.csv").exists()
        else pd.DataFrame(columns=["claim_id", "published", "reproduced", "status"])
    )
    statement = data_statement(bool(synthetic))
    what = "trends across survey waves" if wave == "trends" else f"wave {wave}"
    meta = {
        "name": f"Councillors and digital technology, {what}: results bundle",
        "description": (
            f"Tables, figures, notebooks and the published-claims check of {what} "
            f"of the study {study}, re-analysing 'The Start of the Possible' "
            "(LGiU, 2017)."
        ),
        "statement": statement,
        "version": version,
        "wave": str(wave),
        "study": study,
        "bundle": name,
        "commit": prov["git"]["commit"],
        "dirty": prov["git"]["dirty"],
        "command": prov["command"],
        "k": k,
        "suppressed": suppressed,
    }
    if (staging / "tables/robustness.csv").exists():
        from councilsurvey.report.robustness import readme_section

        meta["robustness"] = readme_section(pd.read_csv(staging / "tables/robustness.csv"))
    b.write_readme(staging / "README.md", meta, claims)
    files = b.files_of(staging)
    write_crate(
        staging,
        {
            "name": meta["name"],
            "description": meta["description"],
            "version": version,
            "license": "https://spdx.org/licenses/CC-BY-4.0",
            "date_published": str(date),
            "data_statement": statement,
            "files": [
                {
                    "path": f,
                    "description": _describe(f),
                    "encoding_format": b.MIME.get(Path(f).suffix, "text/plain"),
                }
                for f in files + [b.MANIFEST]
            ],
            "workflow": {
                "path": "provenance/Snakefile",
                "name": "councilsurvey pipeline",
                "language": "Snakemake",
                "language_version": prov["versions"]["snakemake"],
            },
            "inputs": [
                {"id": p, "sha256": d, "description": f"raw input {p} (not in the bundle)"}
                for p, d in prov["raw_inputs"].items()
            ],
            "outputs": [f for f in files if not f.startswith("provenance/")],
            "command": prov["command"],
            "software": [{"name": k, "version": v} for k, v in prov["versions"].items() if v],
        },
    )
    b.write_manifest(staging)
    status = b.publish(staging, final, bundles / f"{name}.zip")
    manifest = final / b.MANIFEST
    Path(receipt).write_text(
        json.dumps(
            {
                "bundle": str(final),
                "zip": str(bundles / f"{name}.zip"),
                "status": status,
                "manifest_sha256": b.sha256(manifest),
                "claims": claims["status"].value_counts().to_dict(),
            },
            indent=2,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    log.info("bundle %s: %s (%d files)", final, status, len(b.read_manifest(manifest)))


def _describe(rel: str) -> str:
    folder = rel.split("/", 1)[0]
    return {
        "tables": "results table (CSV)",
        "figures": "figure",
        "notebooks": "executed analysis notebook",
        "provenance": "workflow file as run",
    }.get(
        folder,
        {
            "claims.csv": "published claims against reproduced figures",
            "data_dictionary.csv": "every column of every table",
            "report.html": "Snakemake report",
            "README.md": "about this bundle",
            "provenance.json": "checksums, versions and git state",
            "MANIFEST.sha256": "SHA-256 of every file",
        }.get(rel, rel),
    )
