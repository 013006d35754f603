"""Stages ``bundle`` and ``bundle_trends``: a versioned, checksummed, immutable results
bundle of a wave (or of the trends), with its Snakemake report, data dictionary,
provenance, RO-Crate and zip."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

from councilsurvey.core.fingerprint import relevant_config
from councilsurvey.core.writers import write_csv, write_text
from councilsurvey.pipeline.paths import RAW_ROOT, TRENDS, bundle_name, load_config

log = logging.getLogger("councilsurvey")


def snakemake_report(targets: list[str], html) -> None:
    """Snakemake's HTML report restricted to ``targets``, as ``snakemake --report html
    targets`` writes it (run from the repository's root, with its Snakefile and
    ``config.yaml``), made in this process through Snakemake's API (the calls
    ``snakemake --report`` makes, the workflow profile's ``rerun-incomplete`` included),
    so that it shares the libraries the bundle job has loaded already.

    The report's rule graph draws, for a rule with several jobs in one level of the DAG,
    the edges of whichever job Snakemake meets first, and that order follows the order
    of a set of jobs, which can change from one Python process to the next (string
    hashing): :func:`_fixed_rule_graph` makes Snakemake meet them in the order of their
    outputs, so that the graph is the same in every process without fixing
    ``PYTHONHASHSEED`` (the bundle job restarted itself to fix it, a Python start and
    Snakemake's imports more per bundle). Snakemake's messages are kept for an error
    instead of shown.

    Raises
    ------
    RuntimeError
        If Snakemake fails, with the end of what it printed.
    """
    import io

    from snakemake.api import SnakemakeApi
    from snakemake.report.html_reporter import ReportSettings
    from snakemake.settings.types import DAGSettings, OutputSettings, ResourceSettings

    html = Path(html)
    html.parent.mkdir(parents=True, exist_ok=True)
    said = io.StringIO()
    try:
        # Snakemake's log handler writes to the sys.stderr of the moment it is made
        with contextlib.redirect_stderr(said), SnakemakeApi(OutputSettings()) as api:
            workflow = api.workflow(resource_settings=ResourceSettings(cores=1))
            dag = workflow.dag(DAGSettings(targets=set(targets), force_incomplete=True))
            with _fixed_rule_graph(), _libyaml_full_loader():
                dag.create_report(reporter="html", report_settings=ReportSettings(path=html))
    except Exception as exc:
        raise RuntimeError(f"snakemake --report failed: {exc}\n{said.getvalue()[-3000:]}") from None


def _job_order(job) -> tuple:
    """A job's place among the jobs of its rule, the same in every process: its outputs
    (distinct for distinct jobs), then its wildcards (for a job without outputs)."""
    return tuple(sorted(map(str, job.output))), tuple(sorted(map(str, job.wildcards_dict.items())))


@contextlib.contextmanager
def _fixed_rule_graph():
    """Within: Snakemake's report picks the job that stands for a rule in a level of its
    rule graph (``snakemake.report.rulegraph_spec.get_representatives``, the first it
    meets) from the level's jobs in :func:`_job_order`, not in the order of a set of
    jobs (see :func:`snakemake_report`); restored on exit.

    Raises
    ------
    RuntimeError
        If this Snakemake has no such function (a Snakemake whose report is made
        differently: check that its rule graph is deterministic before adapting this).
    """
    from snakemake.report import rulegraph_spec as spec

    original = getattr(spec, "get_representatives", None)
    if original is None:
        raise RuntimeError(
            "snakemake.report.rulegraph_spec.get_representatives is gone: "
            "the bundle report's rule graph cannot be made deterministic"
        )

    def in_order(level, representatives):
        return original(sorted(level, key=_job_order), representatives)

    spec.get_representatives = in_order
    try:
        yield
    finally:
        spec.get_representatives = original


@contextlib.contextmanager
def _libyaml_full_loader():
    """Within: ``yaml.Loader`` is libyaml's ``yaml.CLoader`` (when PyYAML has it). The
    report parses the rule's conda environment once per rule with ``yaml.Loader``, in
    pure Python (~0.2 s of CPU per bundle); ``CLoader`` is the same constructor and
    resolver on libyaml's parser, so it gives the same objects (the report's bytes do
    not change), as :mod:`councilsurvey.core.yamlio` reads the project's YAML."""
    import yaml

    original = yaml.Loader
    yaml.Loader = getattr(yaml, "CLoader", original)
    try:
        yield
    finally:
        yaml.Loader = original


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
    questionnaire=None,
    wave_statements=None,
) -> None:
    """Assemble, check and publish a wave's results bundle (see
    :mod:`councilsurvey.publish.bundle`).

    ``questionnaire`` (a wave's) gives the key results' labels in the question's words;
    ``wave_statements`` (the trends bundle's) maps every wave to its data statement.
    """
    import shutil

    import pandas as pd
    import yaml

    from councilsurvey.core.statement import data_statement, wave_statement
    from councilsurvey.publish import bundle as b
    from councilsurvey.publish.crate import write_crate
    from councilsurvey.publish.disclosure import suppress, violations
    from councilsurvey.publish.provenance import collect, git_state

    name = bundle_name(study, str(wave), version)
    bundles = Path(bundles)
    bundles.mkdir(parents=True, exist_ok=True)
    final = bundles / name
    staging = bundles / f".staging-{name}"
    if staging.exists():
        shutil.rmtree(staging)
    try:  # a failed or interrupted job leaves no staging folder behind
        staging.mkdir()
        for rel, src in contents.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, staging / rel)
        # the configuration in effect for this bundle, parsed: comments, key order and the
        # selection of other bundles never change a bundle (core.fingerprint)
        cfg = relevant_config(load_config(config), str(wave), TRENDS)
        (staging / "provenance").mkdir()
        for src in (snakefile, lock):
            shutil.copyfile(src, staging / "provenance" / Path(src).name)
        write_text(
            "# The configuration in effect for this bundle, as parsed from config.yaml\n"
            + yaml.safe_dump(cfg, sort_keys=True, allow_unicode=True),
            staging / "provenance" / "config.yaml",
        )
        report = staging / "report.html"
        # the raw inputs a bundle carries (questionnaire, codebook) are no job's output
        snakemake_report([t for t in report_targets if not t.startswith(RAW_ROOT)], report)
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
        questionnaires = {
            rel: staging / rel for rel in contents if rel.endswith("questionnaire.yaml")
        }
        write_csv(b.data_dictionary(tables, questionnaires), staging / "data_dictionary.csv")
        prov = collect(list(raw_inputs), json.loads(json.dumps(cfg, default=str)), lock)
        (staging / "provenance.json").write_text(
            json.dumps(prov, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        claims = (
            pd.read_csv(staging / "claims.csv")
            if (staging / "claims.csv").exists()
            else pd.DataFrame(columns=["claim_id", "published", "reproduced", "status"])
        )
        statement = data_statement(bool(synthetic))
        readme_statement = statement
        if wave != "trends":
            readme_statement = wave_statement(bool(synthetic), not claims.empty)
        if wave_statements:
            readme_statement = " ".join(f"Wave {w}: {s}" for w, s in wave_statements.items())
        what = "trends across survey waves" if wave == "trends" else f"wave {wave}"
        parts = ", notebooks and the published-claims check" if len(claims) else " and notebooks"
        meta = {
            "name": f"Councillors and digital technology, {what}: results bundle",
            "description": (
                f"Tables, figures{parts} of {what} "
                f"of the study {study}, re-analysing 'The Start of the Possible' "
                "(LGiU, 2017)."
            ),
            "statement": readme_statement,
            "what": what,
            "version": version,
            "wave": str(wave),
            "study": study,
            "bundle": name,
            "code_sha256": prov["code"]["sha256"],
            "n_code": len(prov["code"]["files"]),
            "command": prov["command"],
            "k": k,
            "suppressed": suppressed,
        }
        meta.update(readme_sections(staging, cfg, questionnaire))
        if (staging / "tables/weighting_diagnostics.csv").exists():
            collapses = staging / "tables/weighting_collapses.csv"
            meta["weighting"] = b.weighting_section(
                pd.read_csv(staging / "tables/weighting_diagnostics.csv"),
                pd.read_csv(collapses, keep_default_na=False) if collapses.exists() else None,
                variance=cfg.get("variance"),
            )
        if (staging / "tables/robustness.csv").exists():
            from councilsurvey.report.robustness import readme_section

            meta["robustness"] = readme_section(
                pd.read_csv(staging / "tables/robustness.csv"), cfg["robustness"], cfg["weighting"]
            )
        if (staging / "tables/validation.csv").exists():
            from councilsurvey.report.validation import readme_section as validation_section

            meta["validation"] = validation_section(pd.read_csv(staging / "tables/validation.csv"))
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
                "data_statement": readme_statement,
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
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest = final / b.MANIFEST
    # the manifest is a declared output of the rule (update: Snakemake never deletes it):
    # a bundle found unchanged keeps its bytes but gets a fresh modification time, so that
    # the output is not older than the inputs that made this job run
    os.utime(manifest)
    write_text(
        json.dumps(
            {
                "bundle": str(final),
                "zip": str(bundles / f"{name}.zip"),
                "status": status,
                "manifest_sha256": b.sha256(manifest),
                "claims": claims["status"].value_counts().to_dict(),
                # the run's git state: not in the bundle, whose fingerprint names its code
                "git": git_state(),
            },
            indent=2,
            sort_keys=True,
        )
        + "\n",
        receipt,
    )
    log.info("bundle %s: %s (%d files)", final, status, len(b.read_manifest(manifest)))


DEFAULTS = Path(__file__).with_name("defaults.yaml")


def readme_sections(staging: Path, cfg: dict, questionnaire=None) -> dict[str, str]:
    """The README's key results, analytic choices and (trends) summary of changes, from
    the staged, disclosure-controlled tables."""
    import pandas as pd

    from councilsurvey.core.yamlio import load_yaml
    from councilsurvey.report import bundle_sections as sec

    def table(rel):
        path = staging / rel
        return pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.exists() else None

    defaults = load_yaml(DEFAULTS)
    return {
        "key_results": sec.key_results(
            table("tables/segments.csv"), table("tables/headlines.csv"), questionnaire
        ),
        "choices": sec.choices_section(cfg, defaults),
        "trends": sec.trends_summary(table("tables/trend_changes.csv")),
    }


def _describe(rel: str) -> str:
    folder = rel.split("/", 1)[0]
    return {
        "tables": "results table (CSV)",
        "figures": "figure",
        "notebooks": "executed analysis notebook",
        "provenance": "workflow file as run",
        "instrument": "questionnaire (the questions' words) or codebook (export to variables)",
    }.get(
        folder,
        {
            "claims.csv": "published claims against reproduced figures",
            "data_dictionary.csv": "every column of every table, and every question",
            "report.html": "Snakemake report",
            "README.md": "about this bundle",
            "provenance.json": "checksums of inputs and code, configuration and versions",
            "MANIFEST.sha256": "SHA-256 of every file",
        }.get(rel, rel),
    )
