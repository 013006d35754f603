"""The published-claims check: the bundled claims file, statuses on constructed data, the
bases of single-choice and multi-select questions, the weighted intervals against an
independent computation, and the schema's one-line errors."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from councilsurvey.analysis.claims import (
    COLUMNS,
    STATUSES,
    Published,
    answer_indicator,
    check_claims,
    load_published,
    status,
    summary_lines,
)
from councilsurvey.analysis.segments import classify
from councilsurvey.cleaning.clean import clean
from councilsurvey.core.errors import InputError
from councilsurvey.inputs.codebook import Codebook, option_targets
from councilsurvey.inputs.columns import ROW
from councilsurvey.inputs.export import read_surveymonkey
from councilsurvey.survey.design import SurveyDesign

from .conftest import WAVE

PUBLISHED = WAVE / "published.yaml"


# --- the bundled file ------------------------------------------------------------------


@pytest.fixture(scope="module")
def data(result, instrument):
    d = result.data.copy()
    d["segment_rule"] = classify(d, instrument.benefit_ids)
    return d


@pytest.fixture(scope="module")
def bundled(data, frame, codebook, instrument):
    pub = load_published(PUBLISHED)
    return pub, check_claims(SurveyDesign.of_wave(data), pub, frame, codebook, instrument)


def test_every_published_claim_is_computed(bundled):
    pub, table = bundled
    ids = [c["id"] for c in yaml.safe_load(PUBLISHED.read_text())["claims"]]
    assert len(ids) == 24 and list(table["claim_id"]) == ids
    assert list(table.columns) == COLUMNS
    assert set(table["status"]) <= set(STATUSES)
    # every claim names its source's outlet and quotes its words
    for claim, row in zip(pub.claims, table.to_dict("records"), strict=True):
        assert row["quote"] == claim["text"] and row["theme"] == claim["theme"]
        if claim["source"] in pub.sources:
            assert row["source"] == pub.sources[claim["source"]]["outlet"]
            assert row["url"] == pub.sources[claim["source"]]["url"]
        else:
            assert row["source"] == claim["source"] and row["url"] == ""
    # a question the wave has is labelled in the questionnaire's words, not its id
    wb = table.set_index("claim_id").loc["wellbeing_positive"]
    assert "att_wellbeing" not in wb["label"] and wb["label"].endswith("Agree or Strongly agree")


def test_shares_from_one_sample_equal_each_share_alone(data, codebook):
    """Shares estimates every claim's weighted share from one svy sample of the design;
    each equals (==) estimation.share of that indicator alone, on the calibrated design,
    for single-choice, multi-select and segment indicators and one nobody answers."""
    from councilsurvey.analysis.claims import Shares, answer_indicator
    from councilsurvey.survey.estimation import share

    design = SurveyDesign.of_wave(data)
    indicators = [
        answer_indicator(data, codebook, "att_wellbeing", ["Agree", "Strongly agree"]),
        answer_indicator(data, codebook, "digital_champion", ["The chief executive"]),
        data["segment_rule"].astype("string").eq("enthusiast").fillna(False).astype("boolean"),
        pd.Series(pd.NA, index=data.index, dtype="boolean"),
    ]
    shares = Shares(design)
    keys = [shares.add(ind) for ind in indicators]
    shares.compute()
    for key, ind in zip(keys[:3], indicators, strict=False):
        assert shares.get(key) == share(design, ind)
    assert shares.get(keys[3]) is None


def test_bundled_claims_recomputed_from_the_data(bundled, data, frame):
    table = bundled[1].set_index("claim_id")
    assert table.at["n_respondents", "reproduced"] == len(data)
    assert table.at["n_councils", "reproduced"] == data["code"].nunique()
    assert table.at["council_coverage", "reproduced"] == pytest.approx(
        data["code"].nunique() / len(frame)
    )
    assert table.at["n_enthusiasts", "reproduced"] == (data["segment_rule"] == "enthusiast").sum()
    wb = data["att_wellbeing"].dropna()
    assert table.at["wellbeing_positive", "reproduced"] == pytest.approx((wb >= 4).mean())
    assert table.at["wellbeing_positive", "n_basis"] == len(wb)
    strategy = data["has_digital_strategy"].astype(object)
    yes_no = strategy[strategy.isin(["Yes", "No"])]  # Don't know and blank excluded
    assert table.at["digital_strategy", "reproduced"] == pytest.approx((yes_no == "Yes").mean())
    row = table.loc["digital_strategy"]
    assert row["weighted_lci"] < row["weighted"] < row["weighted_uci"]
    # the sample's counts: two sources disagree; the data follow PublicTechnology's
    n = table.loc["n_respondents"]
    assert n["status"] == "CONFLICT" and n["matches"] == "PublicTechnology.net"
    assert "UKAuthority: 809" in n["conflicts"]
    assert table.at["champion_leader_or_ceo", "status"] == "INTERPRETATION"
    assert "'few' read as at most 10%" in table.at["champion_leader_or_ceo", "reading"]


# --- constructed data ------------------------------------------------------------------

LIKERT = {
    "Strongly disagree": 1,
    "Disagree": 2,
    "Neither agree nor disagree": 3,
    "Agree": 4,
    "Strongly agree": 5,
    "Don't know": None,
}
STRATEGY = {"Yes": "Yes", "No": "No", "Don't know": "Don't know"}
OPTIONS = ["A cabinet member", "The chief executive", "The leader of the council", "The mayor"]


def _constructed():
    """60 respondents in 12 councils, unequal weights: a Likert item (10 Don't know), a
    single choice (Yes 20, No 25, Don't know 10, blank 5) and a tick-all question (12
    skipped: missing in every option column)."""
    rng = np.random.default_rng(7)
    n = 60
    d = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(n)],
            "code": [f"E{i % 12:02d}" for i in range(n)],
            "weight": rng.uniform(0.5, 3.0, n),
        }
    )
    att = [4] * 18 + [5] * 12 + [2] * 10 + [3] * 10 + [None] * 10
    d["att_x"] = pd.array(rng.permutation(np.array(att, dtype=object)).tolist(), dtype="Int64")
    strat = ["Yes"] * 20 + ["No"] * 25 + ["Don't know"] * 10 + [None] * 5
    d["has_digital_strategy"] = pd.Categorical(
        rng.permutation(np.array(strat, dtype=object)), categories=list(STRATEGY.values())
    )
    ticks = rng.random((n, len(OPTIONS))) < np.array([0.5, 0.3, 0.1, 0.2])
    skipped = np.arange(n) % 5 == 0
    for k, opt in enumerate(OPTIONS):
        col = pd.array(ticks[:, k].tolist(), dtype="boolean")
        col[skipped] = pd.NA
        d[f"champ__{opt.lower().replace(' ', '_')}"] = col
    d["segment_rule"] = ["enthusiast"] * 25 + ["sceptic"] * 15 + ["middle"] * 20
    codebook = Codebook(
        {
            "variables": [
                {"id": "att_x", "kind": "likert", "values": LIKERT},
                {"id": "has_digital_strategy", "kind": "single_choice", "values": STRATEGY},
                {
                    "id": "champ",
                    "kind": "multi_select",
                    "options": [{"text": o, "id": o.lower().replace(" ", "_")} for o in OPTIONS],
                },
            ],
            "metadata": [],
        },
        WAVE / "constructed.yaml",
    )
    return d, codebook


SOURCES = {
    "first": {"outlet": "First Outlet", "url": "https://first.example/a", "title": "A"},
    "second": {"outlet": "Second Outlet", "url": "https://second.example/b", "title": "B"},
}


def _claim(cid, value, measure, kind="proportion", tolerance=0.0, **extra):
    return {
        "id": cid,
        "text": f"quoted words of {cid}",
        "value": value,
        "kind": kind,
        "basis": "constructed",
        "tolerance": tolerance,
        "source": "first",
        "theme": "constructed",
        "measure": measure,
        **extra,
    }


def _run(claims):
    d, codebook = _constructed()
    frame = pd.DataFrame({"code": [f"E{i:02d}" for i in range(20)]})
    design = SurveyDesign(d, weight="weight", psu="code")
    table = check_claims(design, Published(SOURCES, claims), frame, codebook)
    return table.set_index("claim_id"), d


def test_statuses_on_constructed_data():
    agree = {"question": "att_x", "answers": ["Agree", "Strongly agree"]}
    champ = {"question": "champ", "answers": ["The chief executive", "The leader of the council"]}
    ceo = {"question": "champ", "answers": ["The chief executive"]}
    d, _ = _constructed()
    share = 30 / 50  # 18 Agree + 12 Strongly agree of 50 answering (10 Don't know)
    ticked = d.filter(like="champ__").dropna()
    either = ticked["champ__the_chief_executive"] | ticked["champ__the_leader_of_the_council"]
    ceo_share = float(ticked["champ__the_chief_executive"].mean())
    conflict = [{"source": "second", "value": 61, "text": "61 councillors"}]
    table, _ = _run(
        [
            _claim("pass", share, agree, tolerance=0.005),
            _claim("fail_value", share + 0.02, agree, tolerance=0.005),
            _claim("fail_missing", 0.7, {"question": "overall_impact", "answers": ["Positive"]}),
            _claim("fail_answer", 0.2, {"question": "champ", "answers": ["A unicorn"]}),
            _claim("conflict_first", 60, {"count": "respondents"}, "count", conflicts=conflict),
            _claim(
                "conflict_second",
                59,
                {"count": "respondents"},
                "count",
                conflicts=[{"source": "second", "value": 60, "text": "60 councillors"}],
            ),
            _claim("conflict_none", 59, {"count": "respondents"}, "count", conflicts=conflict),
            _claim(
                "reading_holds",
                float(either.mean()) + 0.05,
                champ,
                "upper_bound",
                reading="'few' read as at most a bound",
            ),
            _claim(
                "reading_fails",
                0.05,
                champ,
                "upper_bound",
                conflicts=[
                    {
                        "source": "second",
                        "value": round(ceo_share, 2),
                        "text": "the chief executive's share",
                        "tolerance": 0.005,
                        "measure": ceo,
                    }
                ],
            ),
            _claim("segment", 25, {"count": "segment", "segment": "enthusiast"}, "count"),
        ]
    )
    st = table["status"]
    assert st["pass"] == "PASS" and st["segment"] == "PASS"
    assert table.at["segment", "weighted_measure"] == (
        "weighted share of digital enthusiasts among all councillors (95% CI)"
    )
    assert table.at["pass", "weighted_measure"] == "weighted share of councillors (95% CI)"
    assert st["fail_value"] == "FAIL"
    assert table.at["fail_value", "note"] == "the data give 60%, outside ±0.5 points"
    assert st["fail_missing"] == "FAIL"
    missing = "question 'overall_impact' is not in this wave's data"
    assert table.at["fail_missing", "note"] == missing
    assert np.isnan(table.at["fail_missing", "reproduced"])
    assert (
        st["fail_answer"] == "FAIL"
        and "'A unicorn' is not an option of champ" in (table.at["fail_answer", "note"])
    )
    assert st["conflict_first"] == "CONFLICT"
    assert table.at["conflict_first", "matches"] == "First Outlet"
    assert table.at["conflict_first", "conflicts"] == "Second Outlet: 61"
    assert st["conflict_second"] == "CONFLICT"
    assert table.at["conflict_second", "matches"] == "Second Outlet"
    assert st["conflict_none"] == "FAIL" and "matching none" in table.at["conflict_none", "note"]
    assert st["reading_holds"] == "INTERPRETATION"
    assert table.at["reading_holds", "reading"] == "'few' read as at most a bound"
    assert table.at["reading_holds", "note"].startswith("'few' read as at most a bound holds:")
    assert st["reading_fails"] == "INTERPRETATION"
    note = table.at["reading_fails", "note"]
    assert table.at["reading_fails", "reading"] == "read as at most 5%"
    assert "does not hold" in note and "Second Outlet's" in note and "which the data follow" in note
    assert table.at["reading_fails", "matches"] == "Second Outlet"
    assert table.at["reading_fails", "reproduced"] == pytest.approx(float(either.mean()))


def test_single_choice_base_leaves_out_dont_know_and_blank():
    d, codebook = _constructed()
    ind = answer_indicator(d, codebook, "has_digital_strategy", ["Yes"])
    assert int(ind.notna().sum()) == 45  # 20 Yes + 25 No
    assert float(ind.dropna().astype(bool).mean()) == pytest.approx(20 / 45)
    # counting Don't know itself keeps it in the base
    dk = answer_indicator(d, codebook, "has_digital_strategy", ["Don't know"])
    assert int(dk.notna().sum()) == 55 and int(dk.sum()) == 10


def test_multi_select_base_is_who_ticked_something():
    d, codebook = _constructed()
    ind = answer_indicator(d, codebook, "champ", ["The mayor"])
    answered = d["champ__the_mayor"].notna()
    assert int(answered.sum()) == 48 and ind.notna().equals(answered)
    expected = d.loc[answered, "champ__the_mayor"].astype(bool).mean()
    assert float(ind.dropna().astype(bool).mean()) == pytest.approx(expected)


def test_over_max_answer_sets_leave_the_base(codebook, frame, matcher):
    """The bundled export, cleaned by the pipeline: a choose-up-to-three question's base is
    the kept respondents who ticked one to three options, counted here from the export's
    own cells (blank = not ticked); those who ticked none, or more than three, are out."""
    var = codebook.variable("top_challenges")
    raw = read_surveymonkey(WAVE / "export.csv", codebook)
    cleaned = clean(raw, codebook, frame, matcher, b"w", "2017")
    log = cleaned.log
    excluded = set(log.loc[log["action"] == "excluded", "raw_row"])
    columns = [c for c, _ in option_targets(var)]
    cells = raw.data.set_index(ROW)[columns]
    cells = cells[~cells.index.isin(excluded)]
    assert len(cells) == len(cleaned.responses)
    ticked = cells.fillna("").apply(lambda c: c.astype(str).str.strip() != "")
    count = ticked.sum(axis=1)
    over = count > var["max_choices"]
    base = (count >= 1) & ~over
    assert over.any() and (count == 0).any()  # the export has both, or this test is moot
    logged = log.loc[log["reason"] == "over_max_choices", "raw_row"]
    assert sorted(logged) == sorted(cells.index[over.to_numpy()])
    for column, option in zip(columns, var["options"], strict=True):
        ind = answer_indicator(cleaned.responses, codebook, "top_challenges", [option["text"]])
        assert int(ind.notna().sum()) == int(base.sum())
        assert int(ind.sum()) == int((ticked[column] & base).sum())


def _independent_share(d: pd.DataFrame, y: pd.Series, level=0.95):
    """Ratio estimator of a share with clusters drawn with replacement (Taylor
    linearisation), and its logit interval with clusters - 1 degrees of freedom, written
    out from the textbook formulas (Lohr, Sampling, ch. 9; R's svyciprop(method="logit"))."""
    w = d["weight"].to_numpy()
    base = y.notna().to_numpy()
    yy = y.fillna(False).astype(float).to_numpy()
    total = (w * base).sum()
    p = (w * base * yy).sum() / total
    z = w * base * (yy - p) / total
    zc = pd.Series(z).groupby(d["code"].to_numpy()).sum().to_numpy()
    c = len(zc)
    se = np.sqrt(c / (c - 1) * ((zc - zc.mean()) ** 2).sum())
    t = stats.t.ppf(1 - (1 - level) / 2, c - 1)
    eta, se_eta = np.log(p / (1 - p)), se / (p * (1 - p))
    expit = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    return p, expit(eta - t * se_eta), expit(eta + t * se_eta)


@pytest.mark.parametrize(
    "measure",
    [
        {"question": "att_x", "answers": ["Agree", "Strongly agree"]},
        {"question": "has_digital_strategy", "answers": ["Yes"]},
        {"question": "champ", "answers": ["A cabinet member"]},
        {"question": "champ", "answers": ["The chief executive", "The mayor"]},
    ],
    ids=["likert", "single", "multi", "multi_either"],
)
def test_weighted_interval_matches_an_independent_computation(measure):
    table, d = _run([_claim("c", 0.5, measure, tolerance=1)])
    _, codebook = _constructed()
    y = answer_indicator(d, codebook, measure["question"], measure["answers"])
    p, lci, uci = _independent_share(d, y)
    row = table.loc["c"]
    assert row["weighted"] == pytest.approx(p, rel=1e-9)
    assert row["weighted_lci"] == pytest.approx(lci, rel=1e-6)
    assert row["weighted_uci"] == pytest.approx(uci, rel=1e-6)
    assert row["reproduced"] == pytest.approx(float(y.dropna().astype(bool).mean()))


@pytest.mark.parametrize(
    "kind, published, reproduced, tol, expected",
    [
        ("count", 808, 808, 0, "PASS"),
        ("count", 808, 807, 0, "FAIL"),
        ("proportion", 0.64, 0.6449, 0.005, "PASS"),
        ("proportion", 0.64, 0.6451, 0.005, "FAIL"),
        ("upper_bound", 0.10, 0.099, 0, "PASS"),
        ("upper_bound", 0.10, 0.101, 0, "FAIL"),
        ("lower_bound", 0.5, 0.6, 0, "PASS"),
        ("count", 1, float("nan"), 0, "FAIL"),
    ],
)
def test_status(kind, published, reproduced, tol, expected):
    assert status(kind, published, reproduced, tol) == expected


# --- the file's schema -------------------------------------------------------------------


def _write(tmp_path, doc):
    path = tmp_path / "published.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _one_line_error(path, match):
    with pytest.raises(InputError, match=match) as err:
        load_published(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def test_schema_refuses_a_claim_without_source_or_with_an_unknown_source(tmp_path):
    doc = yaml.safe_load(PUBLISHED.read_text())
    bad = copy.deepcopy(doc)
    del bad["claims"][3]["source"]
    _one_line_error(_write(tmp_path, bad), r"claims\.3: 'source' is a required property")
    bad = copy.deepcopy(doc)
    bad["claims"][3]["source"] = "guardian"
    msg = _one_line_error(_write(tmp_path, bad), "names source 'guardian', which is not one")
    assert "claims.3.source" in msg and "n_enthusiasts" in msg
    bad = copy.deepcopy(doc)
    bad["claims"][0]["conflicts"][0]["source"] = "bbc"
    _one_line_error(_write(tmp_path, bad), r"claims\.0\.conflicts\.0\.source: .*'bbc'")
    bad = copy.deepcopy(doc)
    del bad["claims"][5]["measure"]
    _one_line_error(_write(tmp_path, bad), r"claims\.5: 'measure' is a required property")
    bad = copy.deepcopy(doc)
    bad["claims"][5]["measure"] = {"question": "att_wellbeing"}  # no answers
    _one_line_error(_write(tmp_path, bad), r"claims\.5\.measure")
    bad = copy.deepcopy(doc)
    bad["claims"].append(copy.deepcopy(doc["claims"][0]))
    _one_line_error(_write(tmp_path, bad), "'n_respondents' is given twice")


def test_free_text_source_is_its_own_outlet():
    pub = load_published(PUBLISHED)
    free = [c for c in pub.claims if c["source"] not in pub.sources]
    assert free and all(" " in c["source"] for c in free)
    assert pub.outlet(free[0]["source"]) == free[0]["source"] and pub.url(free[0]["source"]) == ""


# --- the end-of-run summary ---------------------------------------------------------------


def test_summary_counts_each_status_and_lists_the_fails():
    table, _ = _run(
        [
            _claim("ok", 60, {"count": "respondents"}, "count"),
            _claim("gone", 0.7, {"question": "overall_impact", "answers": ["Positive"]}),
            _claim("wrong", 0.9, {"question": "att_x", "answers": ["Agree"]}, tolerance=0.005),
            _claim(
                "disputed",
                61,
                {"count": "respondents"},
                "count",
                conflicts=[{"source": "second", "value": 60, "text": "60"}],
            ),
        ]
    )
    lines = summary_lines(table.reset_index(), "t")
    counts = "4 claims: 1 PASS, 1 CONFLICT, 0 INTERPRETATION, 2 FAIL"
    assert lines[0] == f"Claims check, wave t: {counts}"
    assert lines[1] == (
        "  FAIL gone: published 70%; question 'overall_impact' is not in this wave's data"
    )
    assert lines[2] == "  FAIL wrong: published 90%; the data give 36%, outside ±0.5 points"
    assert len(lines) == 3
    assert summary_lines(table.iloc[0:0].reset_index(), "t") == [
        "Claims check, wave t: no published figures to check"
    ]


def test_every_measure_names_a_question_and_answers_of_the_questionnaire(instrument):
    """A typo in a measure would only show as a FAIL: check every question and answer
    against the wave's questionnaire instead."""
    items = {
        item["id"]: item
        for section in instrument.raw.values()
        if isinstance(section, list)
        for item in section
        if isinstance(item, dict) and "id" in item
    }
    pub = load_published(PUBLISHED)
    measures = [c["measure"] for c in pub.claims]
    measures += [x["measure"] for c in pub.claims for x in c.get("conflicts", []) if "measure" in x]
    for m in (m for m in measures if "question" in m):
        item = items[m["question"]]
        answers = item.get("options") or list(instrument.likert)
        assert set(m["answers"]) <= set(answers), m


def test_data_dictionary_describes_every_column_of_claims_csv():
    from councilsurvey.publish import bundle

    path = Path(bundle.__file__).with_name("data_dictionary.yaml")
    described = yaml.safe_load(path.read_text(encoding="utf-8"))["claims.csv"]["columns"]
    assert list(described) == COLUMNS and all(isinstance(v, str) for v in described.values())
