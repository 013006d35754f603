"""The synthetic waves' generator: seeded, independent of the project's cleaner, matcher
and classifier, and still the bundled files; the pipeline's cleaning of the bundled 2017
wave gives the published figures."""

import ast
import io
from pathlib import Path

import numpy as np
import pandas as pd

from councilsurvey.core.yamlio import load_yaml
from councilsurvey.dev import synth

from .conftest import FRAME, OUTSIDE, ROOT, WAVE, WAVE_FRAME

SYNTH = ROOT / "workflow" / "councilsurvey" / "dev" / "synth"
FORBIDDEN = ("councilsurvey.cleaning", "councilsurvey.analysis", "councilsurvey.pipeline")


def _imports(path: Path) -> set[str]:
    """Every module a Python file imports, at any depth (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    package = "councilsurvey.dev.synth"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            found |= {a.value for a in node.args if isinstance(a, ast.Constant)}
    return found


def test_generator_imports_nothing_of_the_cleaner_classifier_or_stages():
    modules = sorted(SYNTH.glob("*.py"))
    assert len(modules) >= 8
    for path in modules:
        bad = sorted(m for m in _imports(path) if m.startswith(FORBIDDEN))
        assert not bad, f"{path.name} imports {bad}"


def test_import_check_sees_a_forbidden_import(tmp_path):
    """The check above is not vacuous: it finds the forms a forbidden import can take."""
    code = (
        "import councilsurvey.cleaning.matching\n"
        "def f():\n"
        "    from councilsurvey.analysis.segments import classify\n"
        "from councilsurvey import pipeline\n"
    )
    (tmp_path / "m.py").write_text(code)
    got = {m for m in _imports(tmp_path / "m.py") if m.startswith(FORBIDDEN)}
    assert "councilsurvey.cleaning.matching" in got
    assert "councilsurvey.analysis.segments" in got
    assert "councilsurvey.pipeline" in got


def test_generator_reproduces_the_bundled_waves_byte_for_byte(tmp_path):
    """The command line writes the same export, codebook and truth as the bundled ones,
    for both waves (2019: an SPSS file, its header's creation time fixed)."""
    from councilsurvey.dev.synth.cli import main

    for wave, export, frame in (
        ("2017", "export.csv", FRAME),
        ("2019", "export.sav", ROOT / "data" / "reference" / "councils_england_2019.csv"),
    ):
        bundled = ROOT / "data" / "raw" / wave
        out = tmp_path / wave
        out.mkdir()
        (out / "questionnaire.yaml").write_bytes((bundled / "questionnaire.yaml").read_bytes())
        seed = {"2017": 2017, "2019": 2023}[wave]
        main(
            [
                f"--wave={wave}",
                f"--seed={seed}",
                f"--out={out}",
                f"--frame={frame}",
                f"--outside={OUTSIDE}",
                f"--successors={ROOT / 'data' / 'reference' / 'council_successors.csv'}",
                f"--config={ROOT / 'config.yaml'}",
            ]
        )
        for name in (export, "codebook.yaml", "truth.csv"):
            assert (out / name).read_bytes() == (bundled / name).read_bytes(), f"{wave}/{name}"


def test_truth_file_describes_every_submission():
    truth = pd.read_csv(WAVE / "truth.csv", dtype=str, keep_default_na=False)
    assert list(truth.columns) == ["respondent_id", "council_code", "noise", "fate"]
    raw = pd.read_csv(WAVE / "export.csv", header=None, skiprows=2, dtype=str)
    ids = raw[0]
    # one row per export row, in export order (an exact duplicate repeats its id)
    assert truth["respondent_id"].tolist() == ids.tolist()
    fates = truth["fate"].value_counts()
    assert fates["respondent"] == 808
    assert fates["duplicate"] == len(ids) - ids.nunique()
    for fate in ("resubmission", "partial", "test", "speeder", "officer", "outside_england"):
        assert fates[fate] >= 5, fate
    for fate in ("twin_hatted", "blank_council", "unmatchable", "ambiguous"):
        assert fates[fate] >= 3, fate
    valid = truth[truth["fate"] == "respondent"]
    assert valid["council_code"].nunique() == 278
    frame = pd.read_csv(FRAME, dtype=str)
    assert set(truth["council_code"]) - {""} <= set(frame["code"])
    empty = truth["fate"].isin(["test", "officer", "outside_england", "unmatchable"])
    assert (truth.loc[empty, "council_code"] == "").all()
    # respondents' names carry the noise model's kinds, most often typed exactly
    kinds = valid["noise"].value_counts(normalize=True)
    assert kinds["exact"] > 0.5
    assert {"case", "suffix", "prefix", "abbreviation", "typo"} <= set(kinds.index)


def test_twin_hatted_answers_name_a_county_and_its_district():
    truth = pd.read_csv(WAVE / "truth.csv", dtype=str, keep_default_na=False)
    raw = pd.read_csv(WAVE / "export.csv", header=None, skiprows=2, dtype=str)
    texts = dict(zip(raw[0], raw[9], strict=False))
    frame = pd.read_csv(FRAME, dtype=str)
    twins = truth[truth["fate"] == "twin_hatted"]
    for _, row in twins.iterrows():
        text = texts[row["respondent_id"]]
        named = [n for n in frame["name"] if n.split(",")[0] in text]
        first = frame.set_index("code").loc[row["council_code"], "name"]
        assert len(named) >= 2 and first in named, text


def test_different_seed_gives_different_data_with_the_targets(instrument, synth_frame):
    """The targets hold by construction for any seed (the generator's own figures)."""
    from councilsurvey.inputs.frame import load_outside_england

    header, rows = synth.generate(synth_frame, load_outside_england(OUTSIDE), instrument, 7)
    assert synth.to_csv(header, rows, instrument) != (WAVE / "export.csv").read_bytes()
    got = synth.drawn_figures(rows, instrument)
    _assert_published(got)


def _assert_published(got):
    t = synth.PUBLISHED
    for k in ("respondents", "councils", "enthusiasts", "sceptics"):
        assert got[k] == t[k], k
    for k in (
        "wellbeing_positive",
        "big_data_positive",
        "automation_positive",
        "impact_positive",
    ):
        assert abs(got[k] - t[k]) <= 0.005, (k, got[k])
    assert abs(got["digital_strategy"] - t["digital_strategy"]) <= 0.02
    for var, shares in t["multi"].items():
        for option, share in shares.items():
            assert abs(got["multi"][var][option] - share) <= 0.005, (var, option)


def _clean_2017(tmp_path):
    """The project's clean stage on the bundled 2017 wave: responses, log, summary."""
    from councilsurvey.pipeline.prepare import clean_wave

    cfg = load_yaml(ROOT / "config.yaml")
    key = tmp_path / "key"
    key.write_bytes(b"synth-test-key-0123456789abcdef")
    out = {n: tmp_path / n for n in ("r.parquet", "log.csv", "m.csv", "s.csv", "a.csv")}
    clean_wave(
        WAVE / "export.csv",
        WAVE / "codebook.yaml",
        WAVE_FRAME,
        353,
        OUTSIDE,
        key,
        "2017",
        cfg["cleaning"],
        out["r.parquet"],
        out["log.csv"],
        out["m.csv"],
        out["s.csv"],
        match_accuracy=out["a.csv"],
        truth=WAVE / "truth.csv",
    )
    summary = pd.read_csv(out["s.csv"]).set_index("metric")["value"]
    return pd.read_parquet(out["r.parquet"]), pd.read_csv(out["log.csv"]), summary


def _figure(r: pd.DataFrame, inst, measure: dict) -> float:
    """A published figure computed from cleaned responses ``r``, independently of the
    pipeline's analysis: counts of respondents, councils and segments (the
    questionnaire's rule: all three benefit items agreed; at least two disagreed), and
    shares of those answering (a tick-all question: of those who ticked any option; a
    scale or single choice: Don't know and blank excluded)."""
    from councilsurvey.inputs.codebook import option_slug

    if "count" in measure:
        if measure["count"] == "respondents":
            return len(r)
        if measure["count"] == "councils":
            return r["code"].nunique()
        b = r[inst.benefit_ids].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        seg = {
            "enthusiast": (b >= 4).sum(axis=1) == 3,
            "sceptic": (b <= 2).sum(axis=1) >= 2,
        }
        return int(seg[measure["segment"]].sum())
    var, answers = measure["question"], measure["answers"]
    item = inst.item(var)
    if item.get("type") == "multi_select":
        cols = [f"{var}__{option_slug(a)}" for a in answers]
        ticked = r[cols].dropna()
        return float(ticked.astype(bool).any(axis=1).mean())
    if var in inst.attitude_ids:
        codes = {inst.likert[a] for a in answers}
        v = r[var].dropna().astype(int)
        return float(v.isin(codes).mean())
    v = r[var].astype(object).dropna()
    v = v[v != "Don't know"]
    return float(v.isin(answers).mean())


def _claims():
    """The published claims with a machine-readable ``measure`` (published.yaml v2), or
    the generator's own targets where the bundled file has none yet."""
    doc = load_yaml(WAVE / "published.yaml")
    claims = [c for c in doc.get("claims", []) if isinstance(c, dict) and "measure" in c]
    if claims:
        return claims
    t = synth.PUBLISHED
    likert = ["Agree", "Strongly agree"]
    out = [
        {"id": "n", "measure": {"count": "respondents"}, "value": t["respondents"]},
        {"id": "c", "measure": {"count": "councils"}, "value": t["councils"]},
        {"id": "e", "measure": {"count": "segment", "segment": "enthusiast"}, "value": 373},
        {"id": "s", "measure": {"count": "segment", "segment": "sceptic"}, "value": 118},
    ]
    for var, key in (
        ("att_wellbeing", "wellbeing_positive"),
        ("att_big_data", "big_data_positive"),
        ("att_automation", "automation_positive"),
    ):
        out.append({"id": key, "measure": {"question": var, "answers": likert}, "value": t[key]})
    out.append(
        {
            "id": "digital_strategy",
            "measure": {"question": "has_digital_strategy", "answers": ["Yes"]},
            "value": t["digital_strategy"],
            "tolerance": 0.02,
        }
    )
    out.append(
        {
            "id": "impact",
            "measure": {"question": "overall_impact", "answers": ["Positive", "Very positive"]},
            "value": t["impact_positive"],
        }
    )
    for var, shares in t["multi"].items():
        for option, share in shares.items():
            out.append(
                {"id": option, "measure": {"question": var, "answers": [option]}, "value": share}
            )
    return out


def test_pipeline_cleaning_of_the_bundled_wave_gives_the_published_figures(tmp_path):
    """The project's clean stage on the bundled export gives 808 respondents from 278
    councils, 373 enthusiasts, 118 sceptics and every published share (computed here
    from the cleaned responses), with no wrong council match; where the sources conflict
    (a "few" read as an upper bound against a published 26%), the first-listed figure
    the data follow is the conflicting source's."""
    from councilsurvey.inputs.instrument import load_instrument

    r, log, summary = _clean_2017(tmp_path)
    inst = load_instrument(WAVE / "questionnaire.yaml")
    checked = 0
    for claim in _claims():
        measure, value = claim["measure"], claim["value"]
        if "coverage" in measure:
            got, tol = r["code"].nunique() / 353, claim.get("tolerance", 0.005)
        elif claim.get("kind") == "upper_bound":
            # "few named the leader or chief executive": it conflicts with the 26% for the
            # chief executive alone, which the data follow
            conflict = claim["conflicts"][0]
            got, value = _figure(r, inst, conflict["measure"]), conflict["value"]
            tol = conflict.get("tolerance", 0.005)
            assert _figure(r, inst, measure) > claim["value"], claim["id"]
        else:
            got = _figure(r, inst, measure)
            tol = claim.get("tolerance", 0 if "count" in measure else 0.005)
        assert abs(got - value) <= tol + 1e-9, (claim["id"], got, value)
        checked += 1
    assert checked >= 20
    assert int(summary["match_wrong"]) == 0
    # the over-three challenge sets are set missing, outside the base
    assert (log["action"] == "set_missing").sum() >= 5


def test_segment_rule_of_the_generator_is_the_questionnaires():
    """The generator's own segment rule on hand-made answers."""
    b = np.array(
        [
            [4, 5, 4],
            [4, 5, np.nan],
            [1, 2, 5],
            [2, np.nan, 2],
            [3, np.nan, np.nan],
            [np.nan, np.nan, np.nan],
            [3, 3, 1],
        ],
        dtype=float,
    )
    assert list(synth.segment(b)) == [
        "enthusiast",
        "middle",
        "sceptic",
        "sceptic",
        "unclassified",
        "unclassified",
        "middle",
    ]


def test_noise_model_types_names_as_people_do(synth_frame):
    rng = np.random.default_rng(1)
    typer = synth.NameTyper(synth_frame)
    camden = synth_frame.loc[synth_frame["name"] == "Camden", "code"].iloc[0]
    kent = synth_frame.loc[synth_frame["name"] == "Kent", "code"].iloc[0]
    herts = synth_frame.loc[synth_frame["name"] == "East Hertfordshire", "code"].iloc[0]
    prefixes = {typer.type(rng, camden, "prefix")[0] for _ in range(30)}
    assert prefixes <= {"LB Camden", "London Borough of Camden", "LB of Camden"}
    assert {typer.type(rng, kent, "suffix")[0] for _ in range(40)} >= {"Kent CC", "Kent County"}
    assert typer.type(rng, herts, "abbreviation")[0].startswith("East Herts")
    for _ in range(50):
        text, kind = typer.type(rng, camden, "typo")
        assert kind in ("typo", "suffix") and text.casefold() != "camden"
    test_valley = synth_frame.loc[synth_frame["name"] == "Test Valley", "code"].iloc[0]
    assert all(typer.type(rng, test_valley)[1] == "exact" for _ in range(20))


def test_bias_against_the_frame(synth_frame):
    """Opt-in bias the weighting stage must correct: London over-represented and
    districts under-represented relative to their share of seats."""
    truth = pd.read_csv(WAVE / "truth.csv", dtype=str, keep_default_na=False)
    codes = truth.loc[truth["fate"] == "respondent", "council_code"]
    f = synth_frame.set_index("code")
    share = codes.map(f["region"]).value_counts(normalize=True)
    seats = synth_frame.groupby("region")["seats"].sum() / synth_frame["seats"].sum()
    assert share["London"] > 1.5 * seats["London"]
    district = (codes.map(f["type"]) == "district").mean()
    seat_district = seats_of(synth_frame, "district")
    assert district < seat_district


def seats_of(frame, ctype):
    return frame.loc[frame["type"] == ctype, "seats"].sum() / frame["seats"].sum()


# --- large waves for benchmarks --------------------------------------------------------


def test_large_export_is_seeded_and_shaped_like_the_bundled_export(instrument, synth_frame):
    import csv

    table = synth.large_export(synth_frame, instrument, 5000, seed=3)
    assert table.num_rows == 5000
    assert table.column_names == synth.column_order(instrument)
    again = synth.large_export(synth_frame, instrument, 5000, seed=3)
    assert again.equals(table)
    assert not synth.large_export(synth_frame, instrument, 5000, seed=4).equals(table)
    rows = table.to_pylist()
    # answers are the instrument's texts; metadata look like the export's
    likert = set(instrument.likert)
    assert {r["att_big_data"] for r in rows} <= likert | {None}
    assert {r["party"] for r in rows} <= set(instrument.options("party")) | {None}
    champ = synth.option_key("digital_champion", "A cabinet member")
    assert {r[champ] for r in rows} == {"A cabinet member", None}
    challenges = [k for k in table.column_names if k.startswith("top_challenges__")]
    assert max(sum(r[k] is not None for k in challenges) for r in rows) == 3
    assert all(r["Email Address"].count("@") == 1 for r in rows)
    assert all(len(r["IP Address"].split(".")) == 4 for r in rows)
    starts = [r["Start Date"] for r in rows]
    assert all(len(s) == 22 and s[-2:] in ("AM", "PM") for s in starts)
    # the body is the CSV Python's csv module writes
    body = b"".join(synth.csv_body(table, chunk_rows=1234)).decode()
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(
        [["" if v is None else v for v in r.values()] for r in rows]
    )
    assert body == buf.getvalue()


def test_large_export_types_council_names_as_people_do(instrument, synth_frame, matcher):
    """The noise model's variants reach the project's matcher's normalised and fuzzy
    steps (the test may use the matcher; the generator does not)."""
    from collections import Counter

    table = synth.large_export(synth_frame, instrument, 20_000, seed=5)
    typed = Counter(t for t in table.column("council_text").to_pylist() if t)
    methods = Counter()
    for text, n in typed.items():
        methods[matcher.match(text)["method"]] += n
    assert methods["exact"] > 0.7 * 20_000
    assert methods["normalised"] + methods["fuzzy"] > 1000
    assert any(t in typed for t in synth.WELSH_SCOTTISH)
    ids = table.column("Respondent ID").to_pylist()
    assert len(set(ids)) == len(ids) - round(synth.LARGE_DIRT["exact_duplicate"] * 20_000)


def test_large_responses(synth_frame):
    r = synth.large_responses(synth_frame, 50_000, seed=2)
    assert len(r) == 50_000 and r["respondent_id"].is_unique
    assert set(r["code"]) <= set(synth_frame["code"])
    assert set(r["party"].cat.categories) == set(synth.LARGE_PARTIES)
    by_code = synth_frame.set_index("code")
    assert (r["type"] == r["code"].map(by_code["type"])).all()
