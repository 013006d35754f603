"""The bad-input corpus (``tests/badinput/``): every malformed input stops its stage with
exactly one clear ERROR line naming the file (and row/column where they apply), no
traceback, and leaves an earlier output untouched; warning cases go on.

``tests/badinput/make_corpus.py`` writes the files; ``tests/badinput/cases.yaml`` says how
each is run and the exact message it must give.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from councilsurvey.core.errors import InputError
from councilsurvey.pipeline.paths import discover_waves, load_config
from councilsurvey.pipeline.prepare import clean_wave, validate_raw
from councilsurvey.pipeline.runner import run_step
from councilsurvey.pipeline.weigh import weight_wave

from .conftest import FRAME, OUTSIDE, ROOT

HERE = ROOT / "tests" / "badinput"
FILES = HERE / "files"
FIXTURES = ROOT / "tests" / "fixtures" / "formats"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))["cases"]
#: known bytes of an earlier output, which a failed stage must leave as they are
EARLIER = b"earlier output: must survive a failed run\n"
#: what each stage writes (the earlier-output check covers all of them)
OUTPUTS = {
    "validate": ["report"],
    "clean": ["responses", "cleaning_log", "matches", "summary"],
    "weight": ["weighted", "margins", "diagnostics", "trimming", "margins_figure", "collapses"],
    "waves": [],
}
SUFFIX = {
    "report": ".json",
    "responses": ".parquet",
    "weighted": ".parquet",
    "trimming": ".json",
    "margins_figure": ".png",
}


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT / "config.yaml")


def _file(case) -> Path:
    return FILES / case["file"]


def _named(case) -> Path:
    """The file the message must name."""
    return FILES / case.get("names", case["file"])


def _expected(case) -> str:
    named = _named(case)
    return case["message"].replace("{path}", str(named)).replace("{dir}", str(named.parent))


def _stage(case, cfg, out: dict[str, Path]):
    """The stage call of ``case`` as a function of no arguments."""
    stage = case["stage"]
    codebook = FILES / case["codebook"] if "codebook" in case else FIXTURES / "codebook.yaml"
    common = {
        "codebook": codebook,
        "frame": FRAME,
        "n_councils": 353,
        "outside": OUTSIDE,
        "wave": "badinput",
        "export_format": case.get("format"),
        "encoding": case.get("encoding"),
    }
    if stage == "validate":
        return lambda: validate_raw(export=_file(case), report=out["report"], **common)
    if stage == "clean":
        return lambda: clean_wave(
            export=_file(case),
            key_file=out["key"],
            cleaning=cfg["cleaning"],
            **{k: out[k] for k in OUTPUTS["clean"]},
            **common,
        )
    if stage == "weight":
        weighting = dict(cfg["weighting"], **case.get("weighting", {}))
        return lambda: weight_wave(
            responses=_file(case),
            frame=FRAME,
            n_councils=353,
            weighting=weighting,
            wave="badinput",
            synthetic=True,
            **{k: out[k] for k in OUTPUTS["weight"]},
        )
    if stage == "waves":
        return lambda: discover_waves(cfg, root=_file(case).parents[1])
    raise AssertionError(f"unknown stage {stage!r}")


def _outputs(case, tmp_path) -> dict[str, Path]:
    out = {k: tmp_path / "out" / f"{k}{SUFFIX.get(k, '.csv')}" for k in OUTPUTS[case["stage"]]}
    for path in out.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(EARLIER)
    return {**out, "key": tmp_path / "key"}


def test_manifest_is_complete():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 25
    for case in CASES:
        assert case["stage"] in OUTPUTS, case["id"]
        assert case["kind"] in ("error", "warning", "ok"), case["id"]
        assert _file(case).exists(), case["id"]
        assert ("message" in case) == (case["kind"] != "ok"), case["id"]


#: corpus files too large to commit (git ignores them); written from make_corpus here
GENERATED = ["free_text_10mb.csv"]


def _build() -> dict:
    spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build()


@pytest.fixture(scope="module", autouse=True)
def generated_files():
    missing = [n for n in GENERATED if not (FILES / n).exists()]
    if missing:
        built = _build()
        for name in missing:
            (FILES / name).write_bytes(built[name])


def test_corpus_is_what_make_corpus_writes():
    built = _build()
    on_disk = {p.relative_to(FILES).as_posix() for p in FILES.rglob("*") if p.is_file()}
    assert set(built) == on_disk
    for name, data in built.items():
        assert data == (FILES / name).read_bytes(), name


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_through_run_step(case, cfg, tmp_path, capsys, restore_logging):
    out = _outputs(case, tmp_path)
    log_file = tmp_path / "stage.log"
    if case["kind"] == "error":
        with pytest.raises(SystemExit) as exit_:
            run_step(_stage(case, cfg, out), log_file)
        assert exit_.value.code == 1
    else:
        run_step(_stage(case, cfg, out), log_file)
    err = capsys.readouterr().err
    log = log_file.read_text(encoding="utf-8")
    for text in (err, log):
        assert "Traceback" not in text
        errors = [line for line in text.splitlines() if line.startswith("ERROR")]
        warnings = [line for line in text.splitlines() if line.startswith("WARNING")]
        if case["kind"] == "error":
            assert errors == [f"ERROR councilsurvey: {_expected(case)}"]
            assert str(_named(case)) in errors[0]
            if "row" in case:
                assert f", row {case['row']}" in errors[0]
            if "column" in case:
                assert f", column {case['column']!r}" in errors[0]
        else:
            assert errors == []
            if case["kind"] == "warning":
                assert any(line.endswith(_expected(case)) for line in warnings), warnings
    for name in OUTPUTS[case["stage"]]:
        if case["kind"] == "error":
            assert out[name].read_bytes() == EARLIER, f"{name} was changed"
        else:
            assert out[name].read_bytes() != EARLIER, f"{name} was not written"


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "error"], ids=lambda c: c["id"])
def test_input_error_fields(case, cfg, tmp_path, restore_logging):
    """The stage itself raises InputError with the file, row and column of the manifest."""
    with pytest.raises(InputError) as err:
        _stage(case, cfg, _outputs(case, tmp_path))()
    assert str(err.value) == _expected(case)
    assert err.value.path == _named(case)
    assert err.value.row == case.get("row")
    assert err.value.column == case.get("column")
