"""Versioned, checksummed, immutable results bundles.

A bundle ``results/bundles/<study>-<wave>-v<version>/`` holds a wave's tables, figures,
rendered and normalised notebooks, the claims check, a data dictionary, Snakemake's
report, a README, provenance (``provenance.json`` and copies of the workflow's entry
files), RO-Crate metadata and ``MANIFEST.sha256``; ``<bundle>.zip`` beside it is
deterministic (sorted entries, fixed timestamps and permissions).

A bundle version is never overwritten: the bundle is assembled in a staging folder and
compared with a published bundle of the same name; identical content is a no-op,
different content is an error naming the files that differ.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd

from councilsurvey.core.errors import InputError
from councilsurvey.core.fingerprint import file_sha256
from councilsurvey.core.writers import atomic_path, atomic_write
from councilsurvey.core.yamlio import load_yaml

log = logging.getLogger(__name__)

DICTIONARY = Path(__file__).with_name("data_dictionary.yaml")
README_TEMPLATE = Path(__file__).with_name("bundle_readme.md")
MANIFEST = "MANIFEST.sha256"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MIME = {
    ".csv": "text/csv",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".ipynb": "application/x-ipynb+json",
    ".md": "text/markdown",
    ".json": "application/json",
    ".yaml": "application/yaml",
    ".lock": "text/plain",
    ".sha256": "text/plain",
    "": "text/plain",
}


class BundleExists(InputError):
    """A published bundle of this version exists with different content."""


#: a file's SHA-256, as the bundle's fingerprint computes it (one implementation)
sha256 = file_sha256


def files_of(folder) -> list[str]:
    """Every file below ``folder``, as sorted POSIX paths relative to it."""
    folder = Path(folder)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def write_manifest(folder) -> Path:
    """``MANIFEST.sha256`` of every other file, in ``sha256sum`` format."""
    folder = Path(folder)
    lines = [f"{sha256(folder / f)}  {f}" for f in files_of(folder) if f != MANIFEST]
    path = folder / MANIFEST
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_manifest(path) -> dict[str, str]:
    """path -> sha256 from a manifest file."""
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split("  ", 1)
            out[name] = digest
    return out


def question_rows(rel: str, questionnaire: Path) -> list[dict]:
    """Data-dictionary rows of a bundled questionnaire: one per question, its variable id,
    kind, words, the short label figures and tables show, and its answers."""
    from councilsurvey.inputs.instrument import SECTIONS, load_instrument

    inst = load_instrument(questionnaire)
    likert = " / ".join(f"{code} = {text}" for text, code in inst.likert.items() if code)
    rows = []
    for section in SECTIONS:
        for item in inst.raw.get(section, []) or []:
            words = " ".join(str(item["text"]).split())
            if section == "attitudes":
                kind, answers = "agreement scale 1-5", f"{likert}; Don't know is missing"
                words = f"{inst.raw.get('attitudes_stem', '')} {words}".strip()
            elif item.get("type") == "multi_select":
                kind, answers = "tick all that apply", " / ".join(map(str, item["options"]))
            elif item.get("type") == "free_text":
                kind, answers = "free text", "not in the bundle (personal data)"
            else:
                kind, answers = "single choice", " / ".join(map(str, item.get("options", [])))
            short = item.get("short")
            rows.append(
                {
                    "file": rel,
                    "table": "a question of the survey",
                    "column": item["id"],
                    "dtype": kind,
                    "description": f"{words}"
                    + (f" [shown as: {short}]" if short else "")
                    + f" Answers: {answers}.",
                }
            )
    return rows


def data_dictionary(
    tables: dict[str, Path], questionnaires: dict[str, Path] = None
) -> pd.DataFrame:
    """file, column, dtype, description of every column of every bundled table, then of
    every question of the bundled questionnaires (bundle path -> file; see
    :func:`question_rows`).

    Raises
    ------
    ValueError
        If a table or column is not described in ``data_dictionary.yaml``.
    """
    docs = load_yaml(DICTIONARY)
    rows = []
    for rel, path in sorted(tables.items()):
        name = Path(rel).name
        if name not in docs:
            raise ValueError(f"{DICTIONARY.name}: table {name} is not described")
        table = pd.read_csv(path, nrows=200)
        for col in table.columns:
            desc = docs[name]["columns"].get(col)
            if desc is None:
                raise ValueError(f"{DICTIONARY.name}: column {col!r} of {name} is not described")
            rows.append(
                {
                    "file": rel,
                    "table": docs[name]["description"],
                    "column": col,
                    "dtype": str(table[col].dtype),
                    "description": desc,
                }
            )
    for rel, path in sorted((questionnaires or {}).items()):
        rows.extend(question_rows(rel, path))
    return pd.DataFrame(rows)


_REPORT_DATA = re.compile(r"^(    var (?:results|categories|rules|packages) = )(.*);$", re.M)
_RULEGRAPH = re.compile(r"^(    var rulegraph_spec = )(.*);$", re.M)


def _sorted(value):
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(value)
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def normalise_report(html: str) -> str:
    """Make Snakemake's report reproducible: zero the job runtimes and timeline (they
    differ run to run), sort its result, category, rule and package tables (their
    order follows job completion) and the edges of its rule graph."""
    html = re.sub(r'"runtime": [0-9.eE+-]+', '"runtime": 0', html)
    html = re.sub(r'"(starttime|endtime)": "[^"]*"', r'"\1": "1970-01-01T00:00:00"', html)

    def fix(m):
        return m.group(1) + json.dumps(_sorted(json.loads(m.group(2)))) + ";"

    def fix_links(m):
        # the rule graph's edges come in the order of a set of rules, which differs from
        # one Python process to the next (string hashing): sort them by source and target
        spec = json.loads(m.group(2))
        for data in spec.get("data", []):
            if data.get("name") == "link-data":
                data["values"] = sorted(
                    data["values"], key=lambda e: (e.get("source"), e.get("target"))
                )
        return m.group(1) + json.dumps(spec) + ";"

    return _RULEGRAPH.sub(fix_links, _REPORT_DATA.sub(fix, html))


#: deflate level of the bundle zip (see :func:`write_zip`)
ZIP_LEVEL = 6


def write_zip(folder, zip_path) -> None:
    """Zip ``folder`` deterministically: sorted entries under ``<folder name>/``, fixed
    timestamps and permissions, deflate at zlib's default level 6 (level 9 took 0.2 s
    more of each bundle job, most of it on Snakemake's report, for a zip 0.01 MB
    smaller)."""
    folder = Path(folder)
    with (
        atomic_write(zip_path) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as zf,
    ):
        for rel in files_of(folder):
            info = zipfile.ZipInfo(f"{folder.name}/{rel}", date_time=ZIP_DATE)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            zf.writestr(info, (folder / rel).read_bytes(), compresslevel=ZIP_LEVEL)


def differences(a, b) -> list[str]:
    """Files that differ between two folders: changed, only in a, only in b."""
    fa, fb = set(files_of(a)), set(files_of(b))
    out = [f"{f} (changed)" for f in sorted(fa & fb) if sha256(Path(a) / f) != sha256(Path(b) / f)]
    out += [f"{f} (only in the published bundle)" for f in sorted(fa - fb)]
    out += [f"{f} (new)" for f in sorted(fb - fa)]
    return out


def publish(staging, final, zip_path) -> str:
    """Move a staged bundle into place, or confirm it equals the published one.

    A folder of the bundle's name without its manifest is not a published bundle: if it
    is empty (Snakemake made it for the declared manifest) or holds exactly the staged
    files but the manifest (a publication cut short while writing the zip, whose failed
    job's manifest Snakemake then removed), it is replaced; otherwise it is refused.

    Returns
    -------
    str
        "published" or "unchanged".

    Raises
    ------
    BundleExists
        If a bundle of this name exists with different content.
    """
    staging, final, zip_path = Path(staging), Path(final), Path(zip_path)
    if final.is_dir() and not (final / MANIFEST).exists():
        # not a published bundle (its manifest is written last): the empty folder that
        # Snakemake makes for the declared manifest before the job runs, or what is left of
        # a publication that failed after the move (the zip or the receipt met a full disk
        # or an interrupt, and Snakemake removed the failed job's manifest): the staged
        # bundle's files, all but the manifest, byte for byte
        if any(final.iterdir()) and differences(final, staging) != [f"{MANIFEST} (new)"]:
            shutil.rmtree(staging)
            raise BundleExists(
                final,
                f"holds files but no {MANIFEST}, so it is not a complete bundle; "
                "move it away and rerun",
            )
        shutil.rmtree(final)
    if final.exists():
        diff = differences(final, staging)
        shutil.rmtree(staging)
        if diff:
            shown = "; ".join(diff[:10]) + (
                f"; and {len(diff) - 10} more" if len(diff) > 10 else ""
            )
            raise BundleExists(
                final,
                f"a published bundle is never overwritten, and this one "
                f"would change: {shown}. Set a new bundle.version in config.yaml",
            )
        fresh = atomic_path(zip_path.with_suffix(".check.zip"))
        try:
            write_zip(final, fresh)
            if zip_path.exists() and zip_path.read_bytes() != fresh.read_bytes():
                raise BundleExists(
                    zip_path,
                    "differs from the zip of the published bundle; it was changed by hand",
                )
            fresh.replace(zip_path)
        finally:  # on failure too: no temporary left behind
            fresh.unlink(missing_ok=True)
        return "unchanged"
    staging.replace(final)
    write_zip(final, zip_path)
    return "published"


#: how standard errors were computed, by ``config.yaml`` ``variance.method``
VARIANCE_TEXT = {
    "linearisation": (
        "Standard errors, confidence intervals and tests are design-based, with councils as "
        "clusters (primary sampling units), and account for the raking: each respondent's "
        "linearised contribution is replaced by its residual on the raked margins before the "
        "council totals are formed, as R's `survey` package does for a `rake()` design (the "
        "project's tests check this against R). Weights taken as fixed would overstate "
        "them by a few per cent, and give a raked variable a full-sized standard error "
        "instead of about zero."
    ),
    "jackknife": (
        "Standard errors, confidence intervals and tests come from delete-one-council "
        "jackknife (JK1) replicate weights, each replicate's base weights raked again to "
        "the same margins, so that they include what the raking does."
    ),
    "bootstrap": (
        "Standard errors, confidence intervals and tests come from {replicates} Rao-Wu "
        "bootstrap replicates of councils (seed {seed}), each replicate's base weights "
        "raked again to the same margins, so that they include what the raking does."
    ),
}


def variance_text(variance: dict | None) -> str:
    """One paragraph for the bundle README: how the standard errors were computed."""
    variance = variance or {"method": "linearisation", "lonely_psu": "fail"}
    text = VARIANCE_TEXT[variance.get("method", "linearisation")].format(
        replicates=variance.get("replicates", 200), seed=variance.get("seed", 2017)
    )
    return (
        f"{text} A stratum with a single PSU is handled as R's "
        f'`survey.lonely.psu = "{variance.get("lonely_psu", "fail")}"` '
        "(`provenance/config.yaml`, `variance`)."
    )


def weighting_section(
    diagnostics: pd.DataFrame, collapses: pd.DataFrame | None, variance: dict | None = None
) -> str:
    """Markdown for a bundle README: the margins raked, the sweeps and margin error reached,
    what the collapse policy merged or dropped (from the bundled, disclosure-controlled
    ``weighting_diagnostics.csv`` and ``weighting_collapses.csv``), and how the standard
    errors account for the weighting (``config.yaml`` ``variance``)."""
    d = diagnostics.set_index("weight").loc["raked_weight"]
    margins = str(d["margins"]).replace("+", ", ") if "margins" in d else "as configured"
    lines = [
        "## Weighting",
        "",
        f"Coverage base weights raked to the council frame's filled seats on {margins} "
        f"(`tables/weighting_margins.csv`): {d['iterations']} sweeps, largest relative "
        f"margin error {float(d['max_margin_error']):.3g}, converged: {d['converged']} "
        "(`tables/weighting_diagnostics.csv`).",
        "",
        variance_text(variance),
        "",
    ]
    if collapses is None or collapses.empty:
        lines += [
            "The margins could be met as configured: the collapse policy "
            "(`provenance/config.yaml`, `weighting.collapse_policy`) merged nothing.",
            "",
        ]
        return "\n".join(lines) + "\n"
    lines += [
        "The margins could not all be met as configured, so the collapse policy "
        "(`provenance/config.yaml`, `weighting.collapse_policy`) made these changes "
        "(`tables/weighting_collapses.csv`):",
        "",
        "| margin | from | into | respondents | seats | reason |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    for r in collapses.to_dict("records"):
        lines.append(
            f"| {r['margin']} | {r['from']} | {r['into']} | {r['respondents']} | "
            f"{float(r['seats']):,.0f} | {r['reason']} |"
        )
    return "\n".join(lines) + "\n\n"


def write_readme(path, meta: dict, claims: pd.DataFrame) -> None:
    """The bundle's README: what it is, its key results, the claims check, the analytic
    choices, how it was produced, how to verify it. ``meta`` holds the template's fields;
    the optional sections (``key_results``, ``choices``, ``trends``, ``weighting``,
    ``robustness``, ``validation``) default to nothing."""
    from councilsurvey.analysis.claims import status_counts
    from councilsurvey.report.bundle_sections import claims_section

    claims_row = (
        f"| `claims.csv` | every published claim against the reproduced figure, with its "
        f"source ({status_counts(claims)}) |\n"
        if len(claims)
        else ""
    )
    fields = dict(
        meta,
        claims_row=claims_row,
        claims=claims_section(claims),
        k_below=int(meta["k"]) - 1,
        code_short=str(meta["code_sha256"])[:12],
    )
    fields.setdefault("what", f"wave {meta['wave']}")
    for key in ("key_results", "choices", "trends", "robustness", "validation", "weighting"):
        fields.setdefault(key, "")
    text = README_TEMPLATE.read_text(encoding="utf-8").format(**fields)
    Path(path).write_text(text, encoding="utf-8")
