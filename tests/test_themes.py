"""The new questions in the headlines, the theme figures and the themes' trends (issue 15
items 4 and 5), on constructed data.

The data are built here: a cluster sample (councils as PSUs, unequal weights) answering
the questionnaire's tick-all-that-apply questions (one nullable boolean column per option,
missing in every column for a skipped question, as cleaning writes them), the overall
impact (five points and Don't know) and the Yes/No questions. The questions are the
repository's 2017 questionnaire's; its tick-all-that-apply and impact questions are added
here from the new instrument when the bundled questionnaire does not have them yet.

Every weighted share, standard error and interval is checked against R's ``survey``
(``tests/r/shares.R``: ``svymean`` on the design subset to those answering and the logit
``svyciprop`` with its degrees of freedom), on indicators built in the test from the
columns, not by the project's code.
"""

from __future__ import annotations

import copy
import subprocess

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml

from councilsurvey.analysis import headlines as hl
from councilsurvey.analysis import trends
from councilsurvey.core.statement import data_statement
from councilsurvey.inputs.codebook import option_slug
from councilsurvey.inputs.instrument import Instrument, load_instrument
from councilsurvey.inputs.labels import ReaderLabels
from councilsurvey.report import theme_figures, trend_figures
from councilsurvey.survey.design import SurveyDesign

from .conftest import ROOT, WAVE, r_survey_missing

matplotlib.use("Agg")

STATEMENT = data_statement(True)

#: the new instrument's questions (issue 15), as /work/shared/instrument gives them
NEW_CHAMPION = {
    "id": "digital_champion",
    "text": "Who has been a champion for digital in your council? (Tick all that apply)",
    "short": "Digital champions",
    "type": "multi_select",
    "options": [
        "The leader of the council",
        "A cabinet member",
        "The chief executive",
        "A chief information officer or senior director",
        "The mayor",
        "Nobody",
        "Don't know",
    ],
}
NEW_IMPACT = [
    {
        "id": "overall_impact",
        "text": "Over the next ten years, what impact will digital technology have on your "
        "council and its services?",
        "short": "Impact over the next ten years",
        "options": [
            "Very negative",
            "Negative",
            "Neither positive nor negative",
            "Positive",
            "Very positive",
            "Don't know",
        ],
        "ordered": True,
    },
    {
        "id": "impact_areas",
        "text": "Where has digital technology had the largest impact in your council so far? "
        "(Tick all that apply)",
        "short": "Where digital has had most impact",
        "type": "multi_select",
        "options": [
            "Increasing the use of online services",
            "Savings",
            "Information sharing",
            "Customer satisfaction",
            "Staff productivity",
            "Other",
            "None yet",
        ],
    },
    {
        "id": "top_challenges",
        "text": "What are the three biggest challenges to digital transformation in your "
        "area? (Choose up to three)",
        "short": "Top three challenges",
        "type": "multi_select",
        "max_choices": 3,
        "options": [
            "Digital exclusion",
            "Service design",
            "Connectivity",
            "Cyber security",
            "Keeping pace with change",
            "Skills",
            "Funding",
            "Leadership",
            "Other",
        ],
    },
]
MULTI = ("digital_champion", "impact_areas", "top_challenges")

#: published.yaml in the documented shape (helper CLAIMS): a measure per claim, sources
PUBLISHED = {
    "sources": {
        "lgiu": {"outlet": "LGiU", "title": "The Start of the Possible"},
        "ua": {"outlet": "UKAuthority"},
    },
    "claims": [
        {
            "id": "n_respondents",
            "value": 808,
            "kind": "count",
            "source": "lgiu",
            "measure": {"count": "respondents"},
        },
        {
            "id": "champion_cabinet",
            "value": 0.49,
            "kind": "proportion",
            "source": "lgiu",
            "measure": {"question": "digital_champion", "answers": ["A cabinet member"]},
        },
        {
            "id": "champion_ceo",
            "value": 0.26,
            "kind": "proportion",
            "source": "ua",
            "measure": {"question": "digital_champion", "answers": ["The chief executive"]},
        },
        {
            "id": "champion_ceo_other_source",
            "value": 0.30,
            "kind": "proportion",
            "source": "lgiu",
            "measure": {"question": "digital_champion", "answers": ["The chief executive"]},
        },
        {
            "id": "champion_leader_or_ceo",
            "value": 0.10,
            "kind": "upper_bound",
            "source": "lgiu",
            "measure": {
                "question": "digital_champion",
                "answers": ["The leader of the council", "The chief executive"],
            },
        },
        {
            "id": "challenge_exclusion",
            "value": 0.57,
            "kind": "proportion",
            "source": "lgiu",
            "measure": {"question": "top_challenges", "answers": ["Digital exclusion"]},
        },
    ],
}


def new_instrument() -> Instrument:
    """The bundled 2017 questionnaire with the new instrument's questions (added here when
    it does not have them yet)."""
    inst = load_instrument(WAVE / "questionnaire.yaml")
    raw = copy.deepcopy(inst.raw)
    strategy = raw["strategy"]
    k = next(i for i, item in enumerate(strategy) if item["id"] == "digital_champion")
    if strategy[k].get("type") != "multi_select":
        strategy[k] = dict(NEW_CHAMPION)
    if not raw.get("impact"):
        raw["impact"] = copy.deepcopy(NEW_IMPACT)
    return Instrument(raw=raw, path=inst.path)


def items(instrument: Instrument) -> dict[str, dict]:
    return {i["id"]: i for s in ("strategy", "impact") for i in instrument.raw.get(s) or []}


def constructed(instrument: Instrument, n: int = 420, seed: int = 15) -> pd.DataFrame:
    """Answers of a constructed cluster sample to the questionnaire's headline questions."""
    rng = np.random.default_rng(seed)
    code = rng.integers(0, 70, n)
    data = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(n)],
            "code": [f"E{c:03d}" for c in code],
            "weight": rng.gamma(4.0, 0.5, n) * (1 + (code % 3)),
        }
    )
    wellbeing = rng.integers(1, 6, n).astype(float)
    wellbeing[rng.random(n) < 0.05] = np.nan
    data["att_wellbeing"] = pd.array(wellbeing, dtype="Float64").astype("Int64")
    for qid in ("has_digital_strategy", "exclusion_major_issue"):
        answer = rng.choice(["Yes", "No", "Don't know", None], n, p=[0.4, 0.4, 0.15, 0.05])
        data[qid] = pd.Categorical(answer, categories=["Yes", "No", "Don't know"])
    impact = items(instrument)["overall_impact"]["options"]
    answer = rng.choice([*impact, None], n, p=[0.05, 0.1, 0.15, 0.35, 0.2, 0.1, 0.05])
    data["overall_impact"] = pd.Categorical(answer, categories=impact, ordered=True)
    for qid in MULTI:
        options = items(instrument)[qid]["options"]
        skipped = rng.random(n) < 0.12
        # a share per option that depends on the council, so that clusters matter
        for j, option in enumerate(options):
            p = 0.15 + 0.5 * ((code * (j + 3)) % 7) / 7
            ticked = rng.random(n) < p
            column = pd.array(ticked, dtype="boolean")
            column[skipped] = pd.NA
            data[f"{qid}__{option_slug(option)}"] = column
    return data


@pytest.fixture(scope="module")
def instrument():
    return new_instrument()


@pytest.fixture(scope="module")
def data(instrument):
    return constructed(instrument)


@pytest.fixture(scope="module")
def design(data):
    return SurveyDesign(data, weight="weight", psu="code")


@pytest.fixture(scope="module")
def heads(design, instrument):
    return hl.headlines(design, instrument)


def expected_indicators(data: pd.DataFrame, instrument: Instrument) -> dict:
    """(indicator, category) -> the 0/1/missing indicator, built from the columns here."""
    out = {}
    wb = data["att_wellbeing"].astype("Float64")
    out[("wellbeing_positive", "Agree or Strongly agree")] = (wb >= 4).astype("Float64")
    for item in items(instrument).values():
        qid = item["id"]
        if item.get("type") == "multi_select":
            cols = {o: f"{qid}__{option_slug(o)}" for o in item["options"]}
            answered = data[list(cols.values())].notna().any(axis=1)
            for option, col in cols.items():
                out[(qid, option)] = data[col].astype("Float64").where(answered)
            if qid == "digital_champion":
                either = (
                    data[cols["The leader of the council"]].astype("Float64")
                    + data[cols["The chief executive"]].astype("Float64")
                ) > 0
                out[(qid, "leader_or_chief_executive")] = either.astype("Float64").where(answered)
        elif qid == "overall_impact":
            text = data[qid].astype(object)
            known = text.isin(item["options"][:5])
            flag = text.isin(["Positive", "Very positive"]).astype(float)
            out[(qid, "Positive or Very positive")] = flag.where(known)
        else:
            text = data[qid].astype(object)
            known = text.isin(["Yes", "No"])
            name = "digital_strategy" if qid == "has_digital_strategy" else qid
            out[(name, "Yes")] = (text == "Yes").astype(float).where(known)
    return out


def test_headline_rows_follow_the_questionnaire(heads, data, instrument):
    """One row per option of each tick-all-that-apply question, in the questionnaire's
    order, the leader-or-chief-executive row after the champion options, the overall impact
    as Positive or Very positive; existing rows keep their order."""
    keys = list(zip(heads["indicator"], heads["category"], strict=True))
    want = [("wellbeing_positive", "Agree or Strongly agree"), ("digital_strategy", "Yes")]
    want += [("digital_champion", o) for o in items(instrument)["digital_champion"]["options"]]
    want += [("digital_champion", "leader_or_chief_executive"), ("exclusion_major_issue", "Yes")]
    want += [("overall_impact", "Positive or Very positive")]
    for qid in ("impact_areas", "top_challenges"):
        want += [(qid, o) for o in items(instrument)[qid]["options"]]
    assert keys == want
    flags = expected_indicators(data, instrument)
    for row in heads.itertuples():
        flag = flags[(row.indicator, row.category)]
        assert row.n == flag.notna().sum()
        assert row.unweighted == pytest.approx(flag.dropna().mean(), rel=1e-12)
        w = data.loc[flag.notna(), "weight"]
        assert row.weighted == pytest.approx(np.average(flag.dropna(), weights=w), rel=1e-10)
    # a tick-all question's base is those who ticked something: the skipped are out of it
    champ = heads[heads["indicator"] == "digital_champion"]
    assert champ["n"].nunique() == 1
    assert champ["n"].iloc[0] < len(data)
    assert "Don't know" in set(champ["category"])  # an answer, in the base


@pytest.mark.r
@pytest.mark.skipif(r_survey_missing() is not None, reason=str(r_survey_missing()))
def test_weighted_shares_and_intervals_match_r(heads, data, instrument, tmp_path):
    """Weighted share, standard error and 95% logit interval of every headline row agree
    with R's survey (svymean and svyciprop on the design subset to those answering)."""
    flags = expected_indicators(data, instrument)
    names = {key: f"x{k}" for k, key in enumerate(flags)}
    frame = pd.DataFrame({"code": data["code"], "weight": data["weight"]})
    for key, flag in flags.items():
        frame[names[key]] = flag.astype("Float64")
    frame.to_csv(tmp_path / "data.csv", index=False, na_rep="")
    proc = subprocess.run(
        [
            "Rscript",
            str(ROOT / "tests" / "r" / "shares.R"),
            str(tmp_path / "data.csv"),
            str(tmp_path / "r.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    r = pd.read_csv(tmp_path / "r.csv").set_index("indicator")
    for row in heads.itertuples():
        want = r.loc[names[(row.indicator, row.category)]]
        assert row.n == want["n"]
        assert row.weighted == pytest.approx(want["share"], rel=1e-9)
        assert row.se == pytest.approx(want["se"], rel=1e-6)
        assert row.lci == pytest.approx(want["lci"], rel=1e-6)
        assert row.uci == pytest.approx(want["uci"], rel=1e-6)


def test_overall_impact_read_from_codes_as_from_texts(data, instrument):
    """The overall impact cleaned to codes 1-5 (Don't know missing) gives the row its
    answer texts give."""
    options = items(instrument)["overall_impact"]["options"]
    codes = data["overall_impact"].astype(object).map({o: k + 1 for k, o in enumerate(options)})
    codes = codes.where(data["overall_impact"].astype(object) != "Don't know")
    as_codes = data.assign(overall_impact=pd.array(codes, dtype="Float64").astype("Int64"))
    a = hl.headlines(SurveyDesign(data, weight="weight", psu="code"), instrument)
    b = hl.headlines(SurveyDesign(as_codes, weight="weight", psu="code"), instrument)
    pick = lambda h: h[h["indicator"] == "overall_impact"].reset_index(drop=True)  # noqa: E731
    assert len(pick(a)) == 1
    pd.testing.assert_frame_equal(pick(a), pick(b))


def test_a_wave_without_the_questions_has_no_rows_for_them(data, instrument, tmp_path):
    """A wave whose data do not hold a question (not asked) simply has no rows for it; the
    theme figure then says the question was not asked, and the run goes on."""
    dropped = [c for c in data.columns if c.startswith(("impact_areas__", "top_challenges__"))]
    older = data.drop(columns=[*dropped, "overall_impact"])
    heads = hl.headlines(SurveyDesign(older, weight="weight", psu="code"), instrument)
    assert not set(heads["indicator"]) & {"impact_areas", "top_challenges", "overall_impact"}
    assert "digital_champion" in set(heads["indicator"])
    fig = theme_figures.theme_figure(
        heads,
        "top_challenges",
        tmp_path / "c.png",
        tmp_path / "c.svg",
        "2015",
        STATEMENT,
        ReaderLabels.of(instrument),
        hl.published_marks(PUBLISHED, "top_challenges"),
    )
    assert (tmp_path / "c.png").stat().st_size > 0 and (tmp_path / "c.svg").stat().st_size > 0
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "This question was not asked in wave 2015." in texts
    assert STATEMENT in texts


def test_some_option_columns_missing_is_an_error(data, instrument):
    broken = data.drop(columns=["top_challenges__skills"])
    with pytest.raises(ValueError, match="'top_challenges'.*'Skills'"):
        hl.headlines(SurveyDesign(broken, weight="weight", psu="code"), instrument)


def test_published_marks_single_answer_proportions_only():
    """A claim marks an option when its measure is that question and exactly that one
    answer, and it is a proportion; the first listed claim of an answer is kept; the
    outlet is its source's."""
    marks = hl.published_marks(PUBLISHED, "digital_champion")
    assert marks == {
        "A cabinet member": {"value": 0.49, "outlet": "LGiU", "claim_id": "champion_cabinet"},
        "The chief executive": {"value": 0.26, "outlet": "UKAuthority", "claim_id": "champion_ceo"},
    }
    assert hl.published_marks(PUBLISHED, "impact_areas") == {}
    assert hl.published_marks("", "digital_champion") == {}
    # the file's first shape (no measure) marks nothing
    first = {"claims": [{"id": "wellbeing_positive", "value": 0.64, "kind": "proportion"}]}
    assert hl.published_marks(first, "digital_champion") == {}


def test_published_marks_of_the_bundled_file():
    """The bundled 2017 published.yaml (read and checked by the claims stage's reader):
    the four champion figures UKAuthority published are marked; "few named the leader or
    chief executive" (two answers, a bound) is not."""
    doc = yaml.safe_load((WAVE / "published.yaml").read_text(encoding="utf-8"))
    if not any("measure" in c for c in doc["claims"]):
        pytest.skip("published.yaml has no measures yet (helper CLAIMS' shape)")
    marks = hl.published_marks(WAVE / "published.yaml", "digital_champion")
    values = {option: m["value"] for option, m in marks.items()}
    assert values == {
        "A cabinet member": 0.49,
        "A chief information officer or senior director": 0.40,
        "The chief executive": 0.26,
        "The mayor": 0.20,
    }
    assert {m["outlet"] for m in marks.values()} == {"UKAuthority"}
    assert len(hl.published_marks(WAVE / "published.yaml", "top_challenges")) == 5


def test_theme_figure_marks_the_published_values(heads, instrument, tmp_path):
    """The figure writes PNG and SVG; its bars are the weighted shares, its points the
    unweighted ones, a marker per outlet sits at each published value with the legend
    "Published (<outlet>)"; title, subtitle and axis are the questionnaire's words."""
    labels = ReaderLabels.of(instrument)
    marks = hl.published_marks(PUBLISHED, "digital_champion")
    fig = theme_figures.theme_figure(
        heads,
        "digital_champion",
        tmp_path / "champions.png",
        tmp_path / "champions.svg",
        "2017",
        STATEMENT,
        labels,
        marks,
    )
    for name in ("champions.png", "champions.svg"):
        assert (tmp_path / name).stat().st_size > 0
    ax = fig.axes[0]
    rows = theme_figures.theme_rows(heads, "digital_champion")
    options = items(instrument)["digital_champion"]["options"]
    assert rows["category"].tolist() == options  # the derived row is no bar
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert ticks == options
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, rows["weighted"].to_numpy())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Published (LGiU)" in legend and "Published (UKAuthority)" in legend
    by_label = {c.get_label(): c for c in ax.collections}
    cabinet = by_label["Published (LGiU)"].get_offsets()
    assert cabinet[:, 0].tolist() == [0.49]
    assert round(cabinet[0, 1]) == options.index("A cabinet member")
    ceo = by_label["Published (UKAuthority)"].get_offsets()
    assert ceo[:, 0].tolist() == [0.26]
    assert by_label["Published (LGiU)"].get_paths() != by_label["Published (UKAuthority)"]
    unweighted = by_label["Unweighted share (respondents)"].get_offsets()
    np.testing.assert_allclose(unweighted[:, 0], rows["unweighted"].to_numpy())
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert ax.get_title(loc="left") == f"Wave 2017: {labels.variable('digital_champion')}"
    assert any(labels.question("digital_champion") in t.replace("\n", " ") for t in texts)
    assert STATEMENT in texts
    assert not any("digital_champion" in t for t in texts)


def test_theme_figure_without_published_values_has_no_marker(heads, instrument, tmp_path):
    fig = theme_figures.theme_figure(
        heads,
        "impact_areas",
        tmp_path / "i.png",
        tmp_path / "i.svg",
        "2017",
        STATEMENT,
        ReaderLabels.of(instrument),
        hl.published_marks(PUBLISHED, "impact_areas"),
    )
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert not [t for t in legend if t.startswith("Published")]


def test_themes_in_trends_when_both_waves_asked_them(instrument, tmp_path):
    """Every option of a theme appears in the wave estimates of each wave that asked it,
    its change is tested when both did; the trend figure has one panel per theme asked in
    two waves (none for a question the earlier wave did not ask)."""
    later = constructed(instrument, n=380, seed=19)
    earlier = constructed(instrument, n=400, seed=17)
    earlier = earlier.drop(columns=[c for c in earlier.columns if c.startswith("impact_areas__")])
    rng = np.random.default_rng(3)
    designs = {}
    for wave, d in (("2017", earlier), ("2019", later)):
        seg = rng.choice(["enthusiast", "middle", "sceptic", "unclassified"], len(d))
        designs[wave] = SurveyDesign(d.assign(segment=seg), weight="weight", psu="code")
    est = trends.wave_estimates(designs, instrument=instrument)
    challenges = est[est["indicator"] == "top_challenges"]
    options = items(instrument)["top_challenges"]["options"]
    assert sorted(challenges["category"].unique()) == sorted(options)
    assert (challenges.groupby("category")["wave"].nunique() == 2).all()
    areas = est[est["indicator"] == "impact_areas"]
    assert set(areas["wave"]) == {"2019"}
    # each wave's rows are its own headlines, df the councils in the base less one
    head = hl.headlines(designs["2019"], instrument, df=True)
    got = est[est["wave"] == "2019"].merge(head, on=["indicator", "category"], suffixes=("", "_h"))
    assert len(got) == len(head)
    np.testing.assert_allclose(got["weighted"], got["weighted_h"], rtol=1e-12)
    base = later[[c for c in later.columns if c.startswith("top_challenges__")]].notna().any(axis=1)
    row = got[got["category"] == "Skills"].iloc[0]
    assert row["df"] == later.loc[base, "code"].nunique() - 1
    changes = trends.changes(est, ["2017", "2019"])
    tested = changes[changes["indicator"] == "top_challenges"]
    assert len(tested) == len(options) and tested["p"].notna().all()
    assert changes.loc[changes["indicator"] == "impact_areas", "p"].isna().all()

    labels = ReaderLabels.of(instrument)
    fig = trend_figures.themes_figure(
        est,
        tmp_path / "t.png",
        tmp_path / "t.svg",
        ["2017", "2019"],
        STATEMENT,
        labels,
        instrument=instrument,
    )
    assert (tmp_path / "t.png").stat().st_size > 0 and (tmp_path / "t.svg").stat().st_size > 0
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == [labels.variable("digital_champion"), labels.variable("top_challenges")]
    ticks = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert ticks == options
    # the headline trend figure leaves the themes to this one
    heads_fig = trend_figures.headlines_figure(
        est, tmp_path / "h.png", tmp_path / "h.svg", ["2017", "2019"], STATEMENT, labels
    )
    rows = [t.get_text() for t in heads_fig.axes[0].get_yticklabels()]
    themes = [labels.variable(q) for q in MULTI]
    assert not [r for r in rows if r.startswith(tuple(themes))]
    assert any("Positive or Very positive" in r for r in rows)


def test_an_option_nobody_ticked_is_a_share_of_zero(data, instrument, tmp_path):
    """An option no respondent ticked has share 0 (not missing), standard error 0 and the
    Clopper-Pearson upper limit for 0 of n, on the question's base; its figure draws."""
    column = "impact_areas__none_yet"
    answered = data.filter(like="impact_areas__").notna().any(axis=1)
    nobody = data.assign(**{column: data[column].where(~answered, False)})
    heads = hl.headlines(SurveyDesign(nobody, weight="weight", psu="code"), instrument)
    row = heads.set_index(["indicator", "category"]).loc[("impact_areas", "None yet")]
    n = int(answered.sum())
    assert row["n"] == n
    assert row["unweighted"] == row["weighted"] == row["se"] == row["lci"] == 0
    assert row["uci"] == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-12)
    theme_figures.theme_figure(
        heads, "impact_areas", tmp_path / "i.png", tmp_path / "i.svg", "2017", STATEMENT
    )
    assert (tmp_path / "i.svg").stat().st_size > 0
