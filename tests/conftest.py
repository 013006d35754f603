"""Shared fixtures: the project's real codebook, instrument and frames, and a helper that
writes small hand-made exports in the bundled wave's exact export shape."""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import functools
import importlib.util
import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from councilsurvey.analysis.segments import classify
from councilsurvey.cleaning.matching import CouncilMatcher
from councilsurvey.inputs.codebook import load_codebook
from councilsurvey.inputs.frame import load_frame, load_outside_england
from councilsurvey.inputs.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
WAVE = ROOT / "data" / "raw" / "2017"
#: the May-2017 frame: the generator drew the bundled export's councils and parties from it
FRAME = ROOT / "data" / "reference" / "councils_england_2017.csv"
#: the frame the bundled 2017 wave is weighted to (its wave.yaml frame_year: 2016, the
#: councils between the May 2016 and May 2017 elections); same 353 councils as FRAME
WAVE_FRAME = ROOT / "data" / "reference" / "councils_england_2016.csv"
OUTSIDE = ROOT / "data" / "reference" / "councils_outside_england_2017.csv"


@functools.cache
def r_survey_missing() -> str | None:
    """Why R's ``survey`` package cannot be used here, or None when it can.

    Asked once per test session: loading the package (``Rscript -e 'library(survey)'``)
    costs some 3 CPU seconds, and the modules that compare with R (test_against_r,
    test_against_r_api, test_themes) decide at collection whether to skip.
    """
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (apt-get install r-cran-survey)"
    proc = subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True)
    if proc.returncode != 0:
        return "R's survey package is not installed (apt-get install r-cran-survey)"
    return None


def load_fixture_maker():
    """The script that writes the export-format fixtures
    (``tests/fixtures/formats/make_fixtures.py``), loaded as a module."""
    path = ROOT / "tests" / "fixtures" / "formats" / "make_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: a complete, valid answer set (export texts) for one respondent: the format fixtures'
#: base respondent, with the bundled instrument's newer questions answered (the ten-year
#: impact; one tick in each tick-all-that-apply question, keyed <id>__<option slug> as the
#: generator's column_order names the option columns)
ANSWERS = {
    **load_fixture_maker().BASE,
    "overall_impact": "Positive",
    "digital_champion__nobody": "Nobody",
    "impact_areas__savings": "Savings",
    "top_challenges__funding": "Funding",
}


@pytest.fixture
def restore_logging():
    """run_step reconfigures the root logger; put pytest's handlers back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for h in root.handlers:
        if h not in handlers:
            h.close()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def codebook():
    return load_codebook(WAVE / "codebook.yaml")


@pytest.fixture(scope="session")
def instrument():
    return load_instrument(WAVE / "questionnaire.yaml")


@pytest.fixture(scope="session")
def frame():
    """The bundled wave's frame (2016), which the pipeline cleans and weights it with."""
    return load_frame(WAVE_FRAME, 353)


@pytest.fixture(scope="session")
def synth_frame():
    """The May-2017 frame the generator draws the bundled export from."""
    return load_frame(FRAME, 353)


@pytest.fixture(scope="session")
def matcher(frame):
    return CouncilMatcher(frame, load_outside_england(OUTSIDE), threshold=80, margin=4)


def header_rows() -> list[list[str]]:
    """The two header rows of the bundled export."""
    with open(WAVE / "export.csv", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        return [next(reader), next(reader)]


def respondent(n: int, **overrides) -> dict:
    """Metadata and answers of a respondent numbered ``n``; overrides by id or header."""
    rec = {
        "Respondent ID": str(10_000_000_000 + n),
        "Collector ID": "214512345",
        "Start Date": f"11/{n % 28 + 1:02d}/2016 10:00:00 AM",
        "End Date": f"11/{n % 28 + 1:02d}/2016 10:15:00 AM",
        "IP Address": f"81.2.{n}.7",
        "Email Address": f"person{n}@example-council.gov.uk",
        "First Name": f"Firstname{n}",
        "Last Name": f"Lastname{n}",
        "Custom Data 1": "",
        **ANSWERS,
    }
    rec.update(overrides)
    return rec


def export_text(records: list[dict], headers=None, order=None) -> str:
    """CSV text of an export with ``records`` in the bundled wave's column order."""
    from councilsurvey.dev.synth import column_order

    instrument = load_instrument(WAVE / "questionnaire.yaml")
    keys = column_order(instrument)
    h1, h2 = headers or header_rows()
    cols = list(range(len(keys))) if order is None else order
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([h1[c] for c in cols])
    w.writerow([h2[c] for c in cols])
    for rec in records:
        w.writerow([rec.get(keys[c], "") for c in cols])
    return buf.getvalue()


@pytest.fixture
def write_export(tmp_path):
    """Write records (or raw text/bytes) to an export file and return its path."""

    def _write(records=None, text=None, data=None, name="export.csv", **kw):
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        else:
            path.write_text(
                text if text is not None else export_text(records, **kw),
                encoding="utf-8",
                newline="",
            )
        return path

    return _write


@pytest.fixture(scope="session")
def responses(codebook, frame, matcher):
    """The bundled wave, cleaned (fixed pseudonym key)."""
    from councilsurvey.cleaning.clean import clean
    from councilsurvey.inputs.export import read_surveymonkey

    raw = read_surveymonkey(WAVE / "export.csv", codebook)
    return clean(raw, codebook, frame, matcher, b"w", "2017").responses


@pytest.fixture(scope="session")
def wcfg():
    """The weighting section of config.yaml."""
    from councilsurvey.pipeline.paths import load_config

    return load_config(ROOT / "config.yaml")["weighting"]


@pytest.fixture(scope="session")
def result(responses, frame, wcfg):
    """The bundled wave, weighted as the pipeline weights it."""
    from councilsurvey.survey.weighting import weight

    return weight(responses, frame, wcfg)


@pytest.fixture(scope="session")
def segmented(result, instrument):
    """The bundled wave, weighted, with the report's rule segments (column ``segment``)
    on the questionnaire's benefit items. Shared by several modules: do not modify it."""
    d = result.data.copy()
    d["segment"] = classify(d, instrument.benefit_ids)
    return d


def _needs_full(item) -> bool:
    return "full" in getattr(item, "fixturenames", ())


#: the xdist group of the modules that need `full` (see pytest_collection_modifyitems)
PIPELINE_GROUP = "pipeline"


def _in_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(session, config, items):
    """Order and group the modules around the two pipeline runs in the background
    (`full` and test_pipeline's killed run ``run``: see ``_full_in_background`` and
    ``_run_in_background``), which take most of the suite's time.

    A plain run (``-n 0``) moves the modules that need `full` last, so that every other
    test runs while the pipelines run. Under pytest-xdist (``make test``: ``-n auto
    --dist loadgroup``, as pyproject.toml's addopts say), those modules are one group
    (one worker, which starts the pipelines once), sent first, and every other module is
    a group of its own (its module-scoped fixtures are made once): the other workers run
    them meanwhile.

    Whole modules move, in their own order (their module-scoped fixtures are made once).
    """
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    late = [name for name, its in modules.items() if any(map(_needs_full, its))]
    early = [name for name in modules if name not in late]
    if not _in_xdist_worker(config):
        items[:] = [item for name in early + late for item in modules[name]]
        return
    for name in late + early:
        group = PIPELINE_GROUP if name in late else name
        for item in modules[name]:
            item.add_marker(pytest.mark.xdist_group(group))
    items[:] = [item for name in late + early for item in modules[name]]


@pytest.fixture(autouse=True)
def _pipelines_in_background(request):
    """Start the background pipelines (when any collected test needs them) at the first
    test that may wait for them: the session's first test in a plain run; under xdist, the
    first test of the pipeline group, on the one worker that runs that group."""
    marker = request.node.get_closest_marker("xdist_group")
    if not _in_xdist_worker(request.config) or (marker and marker.args == (PIPELINE_GROUP,)):
        request.getfixturevalue("_full_in_background")
        request.getfixturevalue("_run_in_background")


@pytest.fixture(scope="session")
def _full_in_background(request, tmp_path_factory):
    """`full`'s run, started (``_pipelines_in_background``) when any collected test needs
    `full`, and left to run in the background: the tests that do not need it (every
    module but test_pipeline and test_faults, see pytest_collection_modifyitems) run
    meanwhile, on the cores the pipeline's jobs leave idle. Yields (folder, process, its
    stderr) or None; a run still going at the end of the session is stopped (its process
    group)."""
    if not any(map(_needs_full, request.session.items)):
        yield None
        return
    from .test_pipeline import SNAKEMAKE, copy_repo

    work = copy_repo(tmp_path_factory.mktemp("full"), waves=None)
    stderr = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [str(SNAKEMAKE), "--cores", "4"],
        cwd=work,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )
    try:
        yield work, proc, stderr
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        stderr.close()


@pytest.fixture(scope="session")
def full(_full_in_background):
    """Every bundled wave (2017 and 2019) and the trends, in a fresh copy, run without
    interruption (``snakemake --cores 4``, started in the background at the session's first
    test: see ``_full_in_background``). Shared by test_pipeline (which compares other runs
    with it) and test_faults (which copies it): do not modify it."""
    work, proc, stderr = _full_in_background
    # as long as the `snakemake` helper of test_pipeline gives a whole run, counted from
    # the first test that needs it (the run has had the earlier tests' time besides)
    proc.wait(timeout=900)
    stderr.seek(0)
    assert proc.returncode == 0, stderr.read()[-3000:]
    return work


@pytest.fixture(scope="session")
def _run_in_background(request, tmp_path_factory):
    """test_pipeline's killed run (``test_pipeline.killed_run``, its fixture ``run``), in a
    fresh copy, started in a thread beside `full`'s (``_pipelines_in_background``) when
    any collected test needs ``run``: yields its ``Future`` (or None). SIGIO (a lease break's
    signal, which would end the process) is ignored for the session while it may run; at
    the end of the session a run still going is stopped."""
    if not any(
        item.path.name == "test_pipeline.py" and "run" in getattr(item, "fixturenames", ())
        for item in request.session.items
    ):
        yield None
        return
    from .test_pipeline import copy_repo, killed_run

    work = copy_repo(tmp_path_factory.mktemp("pipeline"))
    sigio = signal.signal(signal.SIGIO, signal.SIG_IGN)
    stop = threading.Event()
    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="killed-run")
    try:
        yield pool.submit(killed_run, work, stop)
    finally:
        stop.set()
        pool.shutdown(wait=True)
        signal.signal(signal.SIGIO, sigio)
