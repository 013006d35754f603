"""Snakemake end to end on the bundled wave, in a copy of the repository."""

import csv
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from .conftest import ROOT

pytestmark = pytest.mark.pipeline

SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def copy_repo(dest: Path, waves=("2017",)) -> Path:
    """A clean copy of the repository with only ``waves`` in data/raw (None: every wave)."""
    from councilsurvey.pipeline.verify import copy_repository

    return copy_repository(ROOT, dest, waves=waves, git=False)


def snakemake(workdir: Path, *args, cores: int = 2) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SNAKEMAKE), "--cores", str(cores), *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=900,
    )


def digests(root: Path) -> dict:
    out = {}
    for base in ("data/processed", "results"):
        for p in sorted((root / base).rglob("*")):
            if p.is_file():
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


#: the stages the `run` fixture kills, by their log files: each run is SIGKILLed while that
#: stage is under way (see kill_during)
def current_bundle_path(what: str, wave: str = "2017") -> str:
    """The current bundle's folder (``"dir"``), log (``"log"``) or receipt (``"receipt"``) of a
    wave: their names end
    in the fingerprint of the repository's inputs and code, which a copy shares."""
    import contextlib

    from councilsurvey.pipeline import paths

    with contextlib.chdir(ROOT):
        cfg = paths.load_config("config.yaml")
        if what == "dir":
            return paths.bundle_dir(cfg, wave)
        if what == "receipt":
            return paths.current_receipt(cfg, wave)
        return paths.bundle_log(wave, paths.bundle_fingerprint(cfg, wave))


KILL_POINTS = ("logs/2017/clean.log", "logs/2017/segmentation.log", current_bundle_path("log"))

#: seconds that kill_during may wait for its stage (as long as the `snakemake` helper gives a
#: whole run: on two busy cores the bundle job starts only after several minutes)
KILL_TIMEOUT = 900


def kill_during(work: Path, marker: str, stop=None) -> None:
    """Start ``snakemake --cores 2`` in ``work`` and SIGKILL its whole process group while the
    stage whose log is ``marker`` is under way: Snakemake has started its job, and the stage's
    script, its imports done, is held in the ``open`` of its log file, before its body runs
    (so it has written none of its outputs, whatever the speed of the machine).

    No sleep decides where the kill lands:

    1. a placeholder stands at ``marker`` until Snakemake deletes it, as it deletes a job's
       old log just before it starts the job;
    2. the test then creates ``marker`` itself (``O_EXCL``, so the stage cannot have opened
       it first), holds it open read-only and takes a read lease on it (``F_SETLEASE``);
    3. the stage's log handler opens ``marker`` for writing, which breaks the lease: the
       kernel holds that ``open`` until the holder gives the lease up (or, failing that, for
       ``/proc/sys/fs/lease-break-time`` seconds), and ``F_GETLEASE`` reads ``F_UNLCK``;
    4. the test then SIGKILLs the process group, the stage still inside ``open``.

    The waits are bounded (``KILL_TIMEOUT`` in all); a run that ends or times out first, or a
    stage that opens its log before the test holds it, fails here instead of being killed
    at another point. ``stop`` (a ``threading.Event``), once set, ends the waits with an
    error (the session is ending). Off the main thread SIGIO must be ignored already
    (conftest's ``_run_in_background`` ignores it for the session).
    """
    import contextlib
    import fcntl
    import os
    import signal
    import tempfile
    import threading
    import time

    log = work / marker
    assert not log.exists(), f"{marker} is left from an earlier run"
    hold = int(Path("/proc/sys/fs/lease-break-time").read_text())
    assert hold >= 10, f"the kernel holds a lease breaker only {hold} s (fs.lease-break-time)"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    stderr = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [str(SNAKEMAKE), "--cores", "2"],
        cwd=work,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )

    deadline = time.monotonic() + KILL_TIMEOUT

    def wait_for(done, what: str) -> None:
        while not done():
            if proc.poll() is not None:
                stderr.seek(0)
                tail = stderr.read().decode(errors="replace")[-3000:]
                raise AssertionError(f"snakemake ended ({proc.returncode}) before {what}:\n{tail}")
            assert time.monotonic() < deadline, f"no {what} within {KILL_TIMEOUT} s"
            assert stop is None or not stop.is_set(), f"stopped waiting for {what}"
            time.sleep(0.01)  # polls a state that lasts: the kill point does not depend on it

    # a lease break signals its holder with SIGIO, whose default action ends the process
    main = threading.current_thread() is threading.main_thread()
    if main:
        sigio = signal.signal(signal.SIGIO, signal.SIG_IGN)
    else:
        assert signal.getsignal(signal.SIGIO) == signal.SIG_IGN, "SIGIO would end the process"
    fd = None
    try:
        wait_for(lambda: not log.exists(), f"Snakemake starting the job that writes {marker}")
        try:
            fd = os.open(log, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o644)
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        except (FileExistsError, BlockingIOError) as exc:
            raise AssertionError(f"the stage opened {marker} before the test held it") from exc
        wait_for(
            lambda: fcntl.fcntl(fd, fcntl.F_GETLEASE) == fcntl.F_UNLCK,
            f"the stage opening {marker}",
        )
        os.killpg(proc.pid, signal.SIGKILL)
        assert os.fstat(fd).st_size == 0  # the stage was held before its log's first line
    finally:
        with contextlib.suppress(ProcessLookupError):  # on failure too: leave nothing running
            os.killpg(proc.pid, signal.SIGKILL)
        if fd is not None:
            os.close(fd)
        if main:
            signal.signal(signal.SIGIO, sigio)
        log.unlink(missing_ok=True)
        proc.wait(timeout=60)
        stderr.close()


def killed_run(work: Path, stop=None) -> Path:
    """Run the 2017 wave in ``work`` as a crashing machine would run it: the whole run is
    SIGKILLed during cleaning, then during a notebook, then during bundling (each time with
    that stage under way and none of its outputs written: see kill_during), and a plain run
    then completes it (two cores). ``stop``: see kill_during; the plain run is stopped too."""
    import contextlib
    import os
    import signal
    import tempfile
    import time

    for marker in KILL_POINTS:
        kill_during(work, marker, stop)
        # nothing half-written stands at a final path: what exists is complete
        # (a killed writer's temporary `.<name>.*` file is not a final path: the next run
        # removes it)
        for parquet in (work / "data/processed").rglob("*.parquet"):
            if not parquet.name.startswith("."):
                pd.read_parquet(parquet)
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(
            [str(SNAKEMAKE), "--cores", "2"],
            cwd=work,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        deadline = time.monotonic() + 900  # as the `snakemake` helper's timeout
        try:
            while proc.poll() is None:  # polled, so that a stop ends it
                assert time.monotonic() < deadline, "the completing run took over 900 s"
                assert stop is None or not stop.is_set(), "stopped: the session is ending"
                time.sleep(0.1)
        finally:
            if proc.poll() is None:  # stopped or timed out: leave nothing running
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        err.seek(0)
        stderr = err.read()
    assert proc.returncode == 0, stderr[-3000:]
    return work


@pytest.fixture(scope="module")
def run(_run_in_background):
    """The 2017 wave, killed three times and completed (see killed_run), in a fresh copy
    (two cores; `full` runs without interruption on four, and the tests compare the two byte
    for byte). Started in the background at the session's first test (conftest's
    ``_run_in_background``); this waits for it."""
    return _run_in_background.result()


def test_cleaned_data_has_published_figures(run):
    from councilsurvey.inputs.frame import load_frame

    r = pd.read_parquet(run / "data/processed/2017/responses.parquet")
    frame = load_frame(run / "data/reference/councils_england_2016.csv", 353)
    assert len(r) == 808
    assert r["code"].nunique() == 278
    assert set(r["code"]) <= set(frame["code"])
    wb = r["att_wellbeing"].dropna()
    assert abs((wb >= 4).mean() - 0.64) <= 0.005
    ds = r["has_digital_strategy"][r["has_digital_strategy"].isin(["Yes", "No"])]
    assert abs((ds == "Yes").mean() - 1 / 3) <= 0.02
    # tick all that apply: shares of those who ticked at least one option (UKAuthority)
    champ = r[[c for c in r.columns if c.startswith("digital_champion__")]].dropna()
    assert abs(champ["digital_champion__a_cabinet_member"].astype(bool).mean() - 0.49) <= 0.005
    assert abs(champ["digital_champion__the_chief_executive"].astype(bool).mean() - 0.26) <= 0.005
    assert str(r["att_big_data"].dtype) == "Int64"
    assert isinstance(r["party"].dtype, pd.CategoricalDtype)


def test_weighting_outputs(run):
    r = pd.read_parquet(run / "data/processed/2017/responses.parquet")
    w = pd.read_parquet(run / "data/processed/2017/weighted.parquet")
    assert list(w.columns[: len(r.columns)]) == list(r.columns)
    assert {"base_weight", "raked_weight", "weight", "party_group"} <= set(w.columns)
    assert w["weight"].sum() == pytest.approx(17892, rel=1e-10)  # the 2016 frame's filled seats
    margins = pd.read_csv(run / "results/2017/weighting/margins.csv")
    assert set(margins["margin"]) == {"type", "region", "party"}
    assert (margins["weighted_share"] - margins["population_share"]).abs().max() < 1e-5
    diag = pd.read_csv(run / "results/2017/weighting/diagnostics.csv").set_index("weight")
    assert {
        "n",
        "sum",
        "min",
        "median",
        "max",
        "deff_kish",
        "n_effective",
        "iterations",
        "converged",
        "trimmed",
    } <= set(diag.columns)
    assert diag.at["weight", "n"] == 808 and bool(diag.at["weight", "converged"])
    assert 1 < diag.at["weight", "deff_kish"] < 3
    png = (run / "results/2017/weighting/margins.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_cleaning_log_covers_every_kind(run):
    log = pd.read_csv(run / "data/processed/2017/cleaning_log.csv")
    assert len(log) >= 60
    counts = log["reason"].value_counts()
    for reason in [
        "exact_duplicate",
        "resubmission",
        "partial",
        "test_submission",
        "outside_england",
        "council_name_variant",
    ]:
        assert counts.get(reason, 0) >= 5, reason
    assert counts.get("council_unmatched", 0) + counts.get("council_ambiguous", 0) >= 5
    assert log["raw_row"].is_unique or log.duplicated(["raw_row", "reason"]).sum() == 0
    summary = pd.read_csv(run / "results/2017/cleaning/summary.csv").set_index("metric")
    assert summary.at["respondents", "value"] == 808
    assert summary.at["councils", "value"] == 278
    matches = pd.read_csv(run / "results/2017/cleaning/council_matches.csv")
    assert matches["typed"].is_unique
    assert {"exact", "normalised", "fuzzy"} <= set(matches["method"])


def test_no_personal_data_reaches_processed_or_results(run):
    raw = list(csv.reader(open(run / "data/raw/2017/export.csv", encoding="utf-8")))
    head = raw[0]
    cols = {
        h: head.index(h)
        for h in [
            "Respondent ID",
            "IP Address",
            "Email Address",
            "First Name",
            "Last Name",
            "Custom Data 1",
        ]
    }
    planted = set()
    for row in raw[2:]:
        for h, i in cols.items():
            if row[i] and h not in ("First Name", "Last Name"):
                planted.add(row[i])
        if row[cols["First Name"]]:
            planted.add(f"{row[cols['First Name']]},{row[cols['Last Name']]}")
            planted.add(f"{row[cols['First Name']]} {row[cols['Last Name']]}")
    assert len(planted) > 2000
    emails = sorted({p.lower() for p in planted if "@" in p})
    planted = sorted(planted)

    def found(text: str, patterns: list[str], any_case: bool = False) -> list[str]:
        # every pattern at once (polars' Aho-Corasick): a substring test per pattern
        # over megabytes of HTML takes the better part of a minute
        series = pl.Series([text])
        return series.str.extract_many(patterns, ascii_case_insensitive=any_case, overlapping=True)[
            0
        ].to_list()

    assert found(f"x {planted[0]} {emails[0].upper()} y", planted + emails, any_case=True)
    for base in ("data/processed", "results"):
        for path in (run / base).rglob("*"):
            if not path.is_file():
                continue
            if path.suffix == ".parquet":
                text = pd.read_parquet(path).to_csv(index=False)
            else:
                text = path.read_bytes().decode("utf-8", errors="replace")
            leaked = found(text, planted) + found(text, emails, any_case=True)
            assert not leaked, f"{path}: {leaked[:3]}"


def test_rerun_is_a_noop_and_adding_a_wave_changes_nothing_of_2017(run, full):
    proc = snakemake(run, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr
    # a second, independent copy with its own pseudonym key and a second wave gives the
    # same 2017 results, byte for byte (only the pseudonymous ids in data/processed differ)
    before, after = digests(run), digests(full)
    results = {k: v for k, v in before.items() if k.startswith("results/2017/")}
    assert {k: v for k, v in after.items() if k.startswith("results/2017/")} == results
    assert (run / ".secrets/pseudonym.key").read_bytes() != (
        full / ".secrets/pseudonym.key"
    ).read_bytes()
    a = pd.read_parquet(run / "data/processed/2017/weighted.parquet")
    b = pd.read_parquet(full / "data/processed/2017/weighted.parquet")
    assert not set(a["respondent_id"]) & set(b["respondent_id"])
    assert a.drop(columns="respondent_id").equals(b.drop(columns="respondent_id"))
    # the 2017 bundle: identical manifest and identical zip bytes
    for suffix in ("/MANIFEST.sha256", ".zip"):
        assert (run / f"{BUNDLE}{suffix}").read_bytes() == (full / f"{BUNDLE}{suffix}").read_bytes()


def test_second_wave_and_trends(full):

    seg = pd.read_csv(full / "results/2019/tables/segments.csv").set_index("segment")
    # 651 of the generator's 652: the typo "Reasing" is one slip from Reading but only two
    # from Ealing: excluded as ambiguous, never guessed (data/raw/2019/truth.csv)
    assert seg["n"].sum() == 651 and seg.at["enthusiast", "n"] == 334
    log = pd.read_csv(full / "data/processed/2019/cleaning_log.csv")
    assert (log["reason"] == "council_successor").sum() >= 1
    codes = set(pd.read_parquet(full / "data/processed/2019/responses.parquet")["code"])
    assert codes <= set(pd.read_csv(full / "data/reference/councils_england_2019.csv")["code"])
    assert pd.read_csv(full / "results/2019/claims.csv").empty  # no published figures
    diag = pd.read_csv(full / "results/2019/weighting/diagnostics.csv").set_index("weight")
    assert diag.at["weight", "sum"] == pytest.approx(17307)
    changes = pd.read_csv(full / "results/trends/tables/trend_changes.csv")
    pairs = changes["wave_from"].astype(str) + ">" + changes["wave_to"].astype(str)
    assert set(pairs) == {"2017>2019"}
    assert changes["p"].between(0, 1).all()
    for name in ("2019", "trends"):
        receipt = receipt_of(full, name)
        bundle = full / receipt["bundle"]
        assert (bundle / "MANIFEST.sha256").exists() and Path(f"{bundle}.zip").exists()
    # disclosure control: the City of London's 4 respondents of 2019 are not published
    margins = pd.read_csv(json_bundle(full, "2019") / "tables/weighting_margins.csv")
    row = margins[margins["category"] == "sui_generis"].iloc[0]
    assert row["respondents"] == "<5" and pd.isna(row["weighted_share"])
    assert "Disclosure control" in (json_bundle(full, "2019") / "README.md").read_text()
    trends = receipt_of(full, "trends")["bundle"]
    assert "trends" in trends and (full / trends / "tables/trend_changes.csv").exists()


def test_robustness_grid_is_in_every_wave_bundle(full):
    """One job per wave (robustness.batch: wave), a file per specification;
    the table and curve in each wave's bundle; the baseline specification reproduces the
    segmentation stage's shares."""
    from councilsurvey.pipeline.paths import load_config, robustness_specifications

    specs = robustness_specifications(load_config(full / "config.yaml"))
    for wave in ("2017", "2019"):
        for scheme, segmentation in specs:
            assert (full / f"results/{wave}/robustness/{scheme}/{segmentation}.csv").exists()
        assert (full / f"benchmarks/{wave}/robustness.tsv").exists()
        assert not (full / f"benchmarks/{wave}/robustness/").exists()  # no job per scheme
        bundle = json_bundle(full, wave)
        table = pd.read_csv(bundle / "tables/robustness.csv")
        assert len(table) == 2 * len(specs)
        for ext in ("png", "svg"):
            assert (bundle / f"figures/robustness_curve.{ext}").stat().st_size > 10_000
        assert "## Robustness" in (bundle / "README.md").read_text()
        base = table[table["baseline"]].set_index("segment")
        seg = pd.read_csv(bundle / "tables/segments.csv").set_index("segment")
        for name in ("enthusiast", "sceptic"):
            assert base.at[name, "share"] == pytest.approx(seg.at[name, "weighted_share"])
            assert base.at[name, "lci"] == pytest.approx(seg.at[name, "lci"])
    t2017 = pd.read_csv(json_bundle(full, "2017") / "tables/robustness.csv")
    assert t2017["covers_published"].notna().all()  # 2017 publishes both shares
    base = t2017[t2017["baseline"]]
    assert base["covers_published"].all() and base["enthusiasts_outnumber_sceptics"].all()
    t2019 = pd.read_csv(json_bundle(full, "2019") / "tables/robustness.csv")
    assert t2019["covers_published"].isna().all()  # 2019 publishes none


def test_bundles_do_not_depend_on_the_checkout_path(full):
    """No bundled file names the folder the pipeline ran in or the library was imported
    from (a warning printed in a notebook names its file)."""
    paths = {str(full), str(ROOT)}
    for path in sorted((full / "results/bundles").rglob("*")):
        if path.is_file() and path.suffix != ".zip":
            text = path.read_text(encoding="utf-8", errors="replace")
            leaked = [p for p in paths if p in text]
            assert not leaked, f"{path.relative_to(full)} names {leaked}"


def test_make_diff_compares_two_bundles(full):
    b2019 = json_bundle(full, "2019")
    proc = subprocess.run(
        [sys.executable, "-m", "councilsurvey.publish.diff", str(full / BUNDLE), str(b2019)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "tables/segments.csv" in proc.stdout and "Summary:" in proc.stdout


def receipt_of(root, wave) -> dict:
    """The receipt of a run's (only) bundle of a wave."""
    import json

    (path,) = (root / f"results/{wave}").glob("bundle-*.json")
    return json.loads(path.read_text())


def json_bundle(root, wave):
    return root / receipt_of(root, wave)["bundle"]


def test_bad_answer_fails_clearly_and_keeps_earlier_outputs(run, tmp_path):
    work = copy_repo(tmp_path / "bad")
    export = work / "data/raw/2017/export.csv"
    text = export.read_text(encoding="utf-8")
    export.write_text(text.replace(",Strongly agree,", ",Agree strongly,", 1), encoding="utf-8")
    # the cleaned data as the target: the whole DAG would also start the validation study,
    # which needs no cleaned data, and Snakemake waits for a running job before it stops
    proc = snakemake(work, "data/processed/2017/responses.parquet")
    assert proc.returncode != 0
    assert "export.csv, row " in proc.stderr and "'Agree strongly'" in proc.stderr
    assert "Traceback" not in (work / "logs/2017/validate_raw.log").read_text()
    assert not (work / "data/processed/2017/responses.parquet").exists()


def test_snakemake_lint(run):
    proc = subprocess.run(
        [str(SNAKEMAKE), "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_segment_and_attitude_tables(run):
    tables = run / "results/2017/tables"
    seg = pd.read_csv(tables / "segments.csv").set_index("segment")
    assert seg.at["enthusiast", "n"] == 373 and seg.at["sceptic", "n"] == 118
    assert seg["lci"].lt(seg["weighted_share"]).all()
    assert seg["uci"].gt(seg["weighted_share"]).all()
    agreement = pd.read_csv(tables / "segment_agreement.csv")
    assert agreement["n"].sum() == len(
        pd.read_parquet(run / "data/processed/2017/segments.parquet")
    )
    assert 0 < agreement["cohen_kappa"].iloc[0] < 1
    rel = pd.read_csv(tables / "reliability.csv")
    assert set(rel["scale"]) == {"benefit items", "attitude battery"}
    heads = pd.read_csv(tables / "headlines.csv")
    wb = heads[heads["indicator"] == "wellbeing_positive"].iloc[0]
    assert abs(wb["unweighted"] - 0.64) <= 0.005 and wb["lci"] < wb["weighted"] < wb["uci"]
    from councilsurvey.analysis.attitudes import TEST_COLUMNS as tidy

    for name in ["tests_association", "tests_caution", "tests_enthusiast_model"]:
        t = pd.read_csv(tables / f"{name}.csv")
        # the reader's label first (issue 19), then the tidy columns
        assert list(t.columns[: len(tidy) + 1]) == ["label", *tidy], name
        assert t["p"].between(0, 1).all()
    assoc = pd.read_csv(tables / "tests_association.csv")
    assert set(assoc["weighted"]) == {True, False}


def test_notebooks_rendered_and_figures_written(run):
    from councilsurvey.report.notebooks import remote_references

    for name in ["segmentation", "attitudes"]:
        html = (run / f"results/2017/notebooks/{name}.html").read_text()
        assert remote_references(html) == [] and "Synthetic reconstruction" in html
        nb = (run / f"results/2017/notebooks/{name}.ipynb").read_text()
        assert '"papermill"' not in nb and '"id": "injected-parameters"' in nb
    figs = sorted(p.name for p in (run / "results/2017/figures").iterdir())
    # 7 figures and 3 theme figures (PNG + SVG), 11 with the validation study's
    assert len(figs) == 22 and sum(f.endswith(".svg") for f in figs) == 11
    svg = (run / "results/2017/figures/segment_shares.svg").read_text()
    assert "<dc:date>" not in svg


def test_snakemake_report(run):
    proc = snakemake(run, "--report", "report.zip")
    assert proc.returncode == 0, proc.stderr[-2000:]
    import zipfile

    names = zipfile.ZipFile(run / "report.zip").namelist()
    assert any(n.endswith("segment_shares.png") for n in names)


def test_undeclared_notebook_parameter_fails_by_name(run, tmp_path):
    work = copy_repo(tmp_path / "param")
    for sub in ("data/processed", "results"):
        shutil.rmtree(work / sub, ignore_errors=True)
        shutil.copytree(run / sub, work / sub)
    shutil.copytree(run / ".secrets", work / ".secrets")
    nb = work / "notebooks/segmentation.ipynb"
    nb.write_text(nb.read_text().replace("seed = 2017", "random_seed = 2017"))
    proc = snakemake(work, "--forcerun", "segmentation")
    assert proc.returncode != 0
    assert "parameter 'seed' is not declared" in proc.stderr


BUNDLE = current_bundle_path("dir")


def test_bundle_contents(run):
    from rocrate.rocrate import ROCrate

    from councilsurvey.pipeline.paths import load_config

    bundle = run / BUNDLE
    for part in [
        "tables",
        "figures",
        "notebooks",
        "claims.csv",
        "data_dictionary.csv",
        "report.html",
        "README.md",
        "MANIFEST.sha256",
        "provenance.json",
        "ro-crate-metadata.json",
        "provenance/Snakefile",
    ]:
        assert (bundle / part).exists(), part
    claims = pd.read_csv(bundle / "claims.csv")
    # 24 published figures: some the sources disagree on (CONFLICT) or read as a bound
    # (INTERPRETATION), none a FAIL
    assert len(claims) == 24 and "FAIL" not in set(claims["status"]), claims["note"].tolist()
    readme = (bundle / "README.md").read_text()
    assert "Synthetic reconstruction" in readme and "make verify" in readme
    crate = ROCrate(bundle)
    version = load_config(ROOT / "config.yaml")["bundle"]["version"]
    assert bundle.name.endswith(f"-v{crate.root_dataset['version']}")
    assert crate.root_dataset["version"].startswith(f"{version}-")
    assert crate.mainEntity.id == "provenance/Snakefile"
    import json

    prov = json.loads((bundle / "provenance.json").read_text())
    assert set(prov["raw_inputs"]) >= {"data/raw/2017/export.csv", "data/raw/2017/codebook.yaml"}
    assert prov["versions"]["snakemake"].startswith("9.")
    manifest = (bundle / "MANIFEST.sha256").read_text()
    assert "export.csv" not in manifest  # raw data (with personal data) never in the bundle
    receipt = receipt_of(run, "2017")
    assert receipt["claims"] == claims["status"].value_counts().to_dict()


def test_bundle_speaks_the_questionnaire_s_words(run):
    """Issue 19: the bundle carries the questionnaire and codebook, its data dictionary gives
    every question's words, and its reader tables and figures use them, not variable ids."""
    from councilsurvey.inputs.instrument import load_instrument

    bundle = run / BUNDLE
    for name in ("questionnaire", "codebook"):
        assert (bundle / f"instrument/{name}.yaml").read_bytes() == (
            run / f"data/raw/2017/{name}.yaml"
        ).read_bytes()
    inst = load_instrument(bundle / "instrument/questionnaire.yaml")
    dictionary = pd.read_csv(bundle / "data_dictionary.csv")
    questions = dictionary[dictionary["file"] == "instrument/questionnaire.yaml"]
    assert questions["column"].tolist() == inst.question_ids
    big_data = questions.loc[questions["column"] == "att_big_data", "description"].item()
    assert "Big data and better use of data" in big_data
    ids = [v for v in inst.question_ids if "_" in v] + ["party_group", "london_borough"]
    for rel in (
        "headlines",
        "segments",
        "segment_profiles",
        "segment_composition",
        "tests_association",
        "tests_caution",
        "tests_enthusiast_model",
        "reliability",
        "weighting_margins",
        "robustness",
        "validation",
    ):
        labels = pd.read_csv(bundle / f"tables/{rel}.csv")["label"]
        assert labels.notna().all(), rel
        assert [v for v in ids if labels.str.contains(v, regex=False).any()] == [], rel
    for svg in sorted((run / "results/2017/figures").glob("*.svg")):
        if svg.stem.startswith("validation"):
            continue  # the simulation's estimands: named in report.validation's words
        text = svg.read_text(encoding="utf-8")
        assert [v for v in ids if v in text] == [], svg.name
    curve = (run / "results/2017/figures/robustness_curve.svg").read_text(encoding="utf-8")
    assert "Raked: type, region, party" in curve and "raked_type_region" not in curve


def verify(*args):
    return subprocess.run(
        [sys.executable, "-m", "councilsurvey.pipeline.verify", *args],
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_verify_passes_against_a_fresh_run(run, full):
    proc = verify("--repo", str(run), "--bundle", str(run / BUNDLE), "--rerun", str(full))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "VERIFIED" in proc.stdout and "files match; 0 do not" in proc.stdout


def test_clean_copy_for_verify_leaves_outputs_out(run, tmp_path):
    from councilsurvey.pipeline.verify import copy_repository

    dest = tmp_path / "copy"
    copy_repository(run, dest)
    assert (dest / "Snakefile").exists() and (dest / "data/raw/2017/export.csv").exists()
    for gone in ("results", "data/processed/2017", ".secrets", ".snakemake", "logs"):
        assert not (dest / gone).exists(), gone


def tampered_bundle(run, tmp_path):
    copy = tmp_path / "bundles" / Path(BUNDLE).name
    shutil.copytree(run / BUNDLE, copy)
    return copy


def test_verify_detects_a_tampered_bundle_file(run, tmp_path):
    copy = tampered_bundle(run, tmp_path)
    path = copy / "tables/segments.csv"
    path.write_text(path.read_text().replace("373", "374"))
    proc = verify("--repo", str(run), "--bundle", str(copy), "--rerun", str(run))
    assert proc.returncode == 1
    assert "FAIL: tables/segments.csv: BUNDLE ALTERED" in proc.stdout


def test_verify_detects_a_tampered_claim(run, tmp_path):
    copy = tampered_bundle(run, tmp_path)
    claims = pd.read_csv(copy / "claims.csv")
    claims.loc[claims["claim_id"] == "n_sceptics", ["published", "status"]] = [119, "FAIL"]
    claims.to_csv(copy / "claims.csv", index=False)
    proc = verify("--repo", str(run), "--bundle", str(copy), "--rerun", str(run))
    assert proc.returncode == 1
    assert "FAIL: claim n_sceptics: FAIL (published 119" in proc.stdout
    assert "FAIL: claims.csv: BUNDLE ALTERED" in proc.stdout


def test_verify_says_first_that_a_raw_input_changed(run, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(run / "data", repo / "data")
    export = repo / "data/raw/2017/export.csv"
    export.write_bytes(export.read_bytes().replace(b"Strongly agree", b"Agree", 1))
    proc = verify("--repo", str(repo), "--bundle", str(run / BUNDLE))
    assert proc.returncode == 1
    first = proc.stdout.splitlines()[0]
    assert first.startswith(
        "FAIL: raw input data/raw/2017/export.csv no longer matches provenance.json"
    )
    assert "Re-executing" not in proc.stdout


def test_killed_run_is_completed_by_the_next_run(run, full):
    """`run` was killed three times (see the fixture); the run that completed it gives the
    same bundle, byte for byte, as the uninterrupted `full` run, and leaves no temporary
    file behind."""
    for marker in KILL_POINTS:
        assert (run / marker).exists()  # each stage ran again after its kill
    for suffix in ("/MANIFEST.sha256", ".zip"):
        assert (run / f"{BUNDLE}{suffix}").read_bytes() == (full / f"{BUNDLE}{suffix}").read_bytes()
    leftovers = [p for p in (run / "results").rglob(".*") if p.is_file() and p.name != ".gitkeep"]
    assert not leftovers
