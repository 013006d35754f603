"""The notebooks' figures, made by the report library from small real tables of the bundled
wave: each writes a PNG and an SVG, the same bytes on every call, with the data statement
and the labels a reader needs, and leaves matplotlib's settings as it found them."""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from councilsurvey.analysis import attitudes, headlines, segmentation, trends
from councilsurvey.core.statement import SYNTHETIC
from councilsurvey.inputs.labels import ReaderLabels
from councilsurvey.report import (
    attitude_figures,
    figures,
    segment_figures,
    theme_figures,
    trend_figures,
)
from councilsurvey.survey.design import SurveyDesign

from .conftest import ROOT

STATEMENT = SYNTHETIC
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tables(segmented, instrument):
    """Every table a figure plots, computed by the analysis library."""
    design = SurveyDesign.of_wave(segmented)
    half = SurveyDesign.of_wave(segmented.iloc[: len(segmented) // 2].reset_index(drop=True))
    estimates = trends.wave_estimates({"2017": design, "2019": half}, instrument=instrument)
    comp = pd.concat(
        [attitudes.segment_profile_by(design, "segment", v) for v in ["type", "role"]],
        ignore_index=True,
    )
    classified = SurveyDesign.of_wave(segmented[segmented["segment"] != "unclassified"])
    return {
        "shares": segmentation.segment_shares(design, "segment"),
        "profiles": segmentation.item_profiles(classified, "segment", instrument.attitude_ids),
        "heads": headlines.headlines(design, instrument),
        "comp": comp,
        "dist": attitude_figures.answer_distribution(segmented, "segment"),
        "model": attitudes.enthusiast_model(design, "segment"),
        "estimates": estimates,
    }


def short(instrument, var):
    """The short label the questionnaire itself gives a question."""
    return instrument.item(var)["short"]


def draw(name, tables, instrument):
    """(function, table, wave argument, labels a reader must find) of each figure: the
    questionnaire's short labels and answers, the segments and groups in words."""
    champ = short(instrument, "digital_champion")
    return {
        "shares": (
            segment_figures.shares_figure,
            tables["shares"],
            "2017",
            ["Wave 2017: segments of the default rule", "share of councillors", "unweighted"]
            + [
                f"{s} (n={n})"
                for s, n in zip(
                    ["Digital enthusiasts", "In the middle", "Digital sceptics", "Unclassified"],
                    tables["shares"]
                    .set_index("segment")
                    .loc[["enthusiast", "middle", "sceptic", "unclassified"], "n"],
                    strict=True,
                )
            ],
        ),
        "profiles": (
            segment_figures.profiles_figure,
            tables["profiles"],
            "2017",
            ["Wave 2017: attitude profiles by segment", "Digital sceptics", "Digital enthusiasts"]
            + [short(instrument, i) for i in instrument.attitude_ids],
        ),
        "headlines": (
            attitude_figures.headlines_figure,
            tables["heads"],
            "2017",
            ["Wave 2017: headline estimates", "x = unweighted"]
            + [f"{champ}: {o}" for o in instrument.options("digital_champion")]
            + [
                f"{short(instrument, 'has_digital_strategy')}: Yes",
                f"{short(instrument, 'exclusion_major_issue')}: Yes",
                f"{short(instrument, 'att_wellbeing')}: Agree or Strongly agree",
                f"{champ}: The leader or the chief executive",
            ],
        ),
        "composition": (
            attitude_figures.composition_figure,
            tables["comp"],
            "2017",
            ["enthusiasts and sceptics by group", "by council type", "London borough"]
            + [f"by {short(instrument, 'role').lower()}", "Digital enthusiasts"],
        ),
        "caution": (
            attitude_figures.caution_figure,
            tables["dist"],
            "2017",
            ["caution statements by segment", "In the middle", "5 = strongly agree"]
            + [short(instrument, i).split()[0] for i in instrument.caution_ids],
        ),
        "odds": (
            attitude_figures.odds_figure,
            tables["model"],
            "2017",
            ["Wave 2017: who is an enthusiast?", "survey-weighted", "odds ratio"]
            + ["Party group: Labour", "Council type: London borough"]
            + [f"{short(instrument, 'role')}: Committee chair"],
        ),
        "trend_headlines": (
            trend_figures.headlines_figure,
            tables["estimates"],
            ["2017", "2019"],
            ["Headline estimates by wave", "2017", "2019", "weighted share (95% CI)"]
            + [f"{short(instrument, 'has_digital_strategy')}: Yes"],
        ),
        "champions": (
            lambda heads, png, svg, wave, statement, labels: theme_figures.theme_figure(
                heads, "digital_champion", png, svg, wave, statement, labels
            ),
            tables["heads"],
            "2017",
            [f"Wave 2017: {champ}", "The chief executive", "Nobody", "Don't know"]
            + ["Weighted share (councillors)", "Unweighted share (respondents)"],
        ),
        "trend_themes": (
            trend_figures.themes_figure,
            tables["estimates"],
            ["2017", "2019"],
            ["Themes by wave", champ, "The chief executive", "Nobody"],
        ),
        "trend_segments": (
            trend_figures.segments_figure,
            tables["estimates"],
            ["2017", "2019"],
            ["Segments by wave", "Digital enthusiasts", "Digital sceptics"],
        ),
    }[name]


FIGURES = [
    "shares",
    "profiles",
    "headlines",
    "composition",
    "caution",
    "odds",
    "trend_headlines",
    "trend_segments",
    "champions",
    "trend_themes",
]


@pytest.mark.parametrize("name", FIGURES)
def test_figure_is_written_deterministically_with_statement_and_labels(
    name, tables, instrument, tmp_path
):
    func, table, wave, labels = draw(name, tables, instrument)
    words = ReaderLabels.of(instrument)
    before = dict(matplotlib.rcParams)
    paths = []
    for run in ("a", "b"):
        png, svg = tmp_path / f"{run}.png", tmp_path / f"{run}.svg"
        fig = func(table, png, svg, wave, STATEMENT, words)
        assert not plt.fignum_exists(fig.number)  # closed: a pipeline run leaks no figures
        paths.append((png, svg))
    (png_a, svg_a), (png_b, svg_b) = paths
    assert png_a.read_bytes().startswith(PNG_MAGIC)
    assert png_a.read_bytes() == png_b.read_bytes()
    assert svg_a.read_bytes() == svg_b.read_bytes()
    text = svg_a.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "<dc:date>" not in text  # no timestamp: reruns give the same bytes
    # the text is kept as text (svg.fonttype none), not traced glyph by glyph
    assert "<text " in text and 'id="DejaVuSans-' not in text
    assert STATEMENT in text
    missing = [label for label in labels if label not in text]
    assert missing == []
    # no variable id or code reaches the reader
    ids = [v for v in instrument.question_ids if "_" in v] + ["party_group", "london_borough"]
    assert [v for v in ids if v in text] == []
    # the theme is applied inside the function only
    assert dict(matplotlib.rcParams) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "a.svg", "b.png", "b.svg"]


def test_the_statement_is_what_the_caller_gives(tables, tmp_path):
    """Two statements, two figures: the stamp is the argument, not a default."""
    real = "Survey responses; see the bundle README for sources."
    segment_figures.shares_figure(
        tables["shares"], tmp_path / "r.png", tmp_path / "r.svg", "x", real
    )
    text = (tmp_path / "r.svg").read_text(encoding="utf-8")
    assert real in text and STATEMENT not in text
    assert "Wave x: segments" in text


def test_answer_distribution_matches_a_count(segmented):
    dist = attitude_figures.answer_distribution(segmented, "segment", items=["att_cyber"])
    assert list(dist.columns) == ["item", "segment", 1, 2, 3, 4, 5]
    assert dist["segment"].tolist() == ["enthusiast", "middle", "sceptic"]
    assert dist[[1, 2, 3, 4, 5]].sum(axis=1).round(12).eq(1).all()
    sceptics = segmented[(segmented["segment"] == "sceptic") & segmented["att_cyber"].notna()]
    share_5 = (sceptics["att_cyber"] == 5).sum() / len(sceptics)
    assert dist.set_index("segment").at["sceptic", 5] == pytest.approx(share_5, abs=1e-15)


def test_theme_is_seaborn_s_white_grid():
    """The theme is seaborn's ``set_theme(style="whitegrid", font_scale=0.9)`` setting for
    setting, but for seaborn's colour map (no figure draws an image) and the fixed title
    height of :data:`figures.LAYOUT` (which changes no pixel: the next test)."""
    import seaborn as sns

    with plt.rc_context():
        sns.set_theme(style="whitegrid", font_scale=0.9)
        seaborn_theme = dict(matplotlib.rcParams)
    with figures.theme():
        ours = dict(matplotlib.rcParams)
    assert {k for k in ours if ours[k] != seaborn_theme[k]} == {"image.cmap", *figures.LAYOUT}


def test_fixed_title_height_draws_what_matplotlib_would_place(
    tables, instrument, tmp_path, monkeypatch
):
    """Every figure's PNG and SVG are the same bytes with the titles fixed at the top of
    their Axes (:data:`figures.LAYOUT`) as with matplotlib placing them at each draw: no
    figure has anything above an Axes that would push its title up."""
    words = ReaderLabels.of(instrument)
    for name in FIGURES:
        func, table, wave, _ = draw(name, tables, instrument)
        func(table, tmp_path / "fixed.png", tmp_path / "fixed.svg", wave, STATEMENT, words)
        with monkeypatch.context() as m:
            m.setattr(figures, "LAYOUT", {})
            func(table, tmp_path / "auto.png", tmp_path / "auto.svg", wave, STATEMENT, words)
        for suffix in ("png", "svg"):
            fixed, auto = tmp_path / f"fixed.{suffix}", tmp_path / f"auto.{suffix}"
            assert fixed.read_bytes() == auto.read_bytes(), (name, suffix)


def test_margins_figure_is_deterministic_in_words_and_leaves_no_state(result, tmp_path):
    before = dict(matplotlib.rcParams)
    title = "Wave 2017: respondents against the council frame"
    for run in ("a", "b"):
        figures.margins_figure(result.margins, tmp_path / f"{run}.png", title, STATEMENT)
    png = (tmp_path / "a.png").read_bytes()
    assert png.startswith(PNG_MAGIC) and png == (tmp_path / "b.png").read_bytes()
    figures.margins_figure(result.margins, tmp_path / "m.svg", title, STATEMENT)
    text = (tmp_path / "m.svg").read_text(encoding="utf-8")
    words = [title, STATEMENT, "Margin: Council type", "London borough", "Raked weight"]
    assert [w for w in words if w not in text] == []
    assert "london_borough" not in text and "population_share" not in text
    assert dict(matplotlib.rcParams) == before and plt.get_fignums() == []


def test_the_weight_stage_s_figure_does_not_import_seaborn(result, tmp_path):
    """seaborn (and scipy.stats with it) cost the weight stage seconds of imports for a
    bar chart: the margins figure is drawn with matplotlib alone."""
    result.margins.to_csv(tmp_path / "margins.csv", index=False)
    code = (
        "import sys; import pandas as pd; from councilsurvey.report import figures; "
        f"figures.margins_figure(pd.read_csv({str(tmp_path / 'margins.csv')!r}), "
        f"{str(tmp_path / 'm.png')!r}, 'title', 'statement'); "
        "print(sorted(m for m in ('seaborn', 'scipy.stats') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "workflow")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == "[]" and (tmp_path / "m.png").read_bytes().startswith(PNG_MAGIC)


def test_odds_axis_reads_as_plain_numbers(tables, instrument, tmp_path):
    """The odds-ratio axis is labelled in plain numbers a reader reads as they are (0.1, 1,
    10), at the positions they name, not matplotlib's 10^x."""
    import re

    fig = attitude_figures.odds_figure(
        tables["model"], tmp_path / "o.png", tmp_path / "o.svg", "2017", STATEMENT
    )
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    shown = [(t.get_position()[0], t.get_text()) for t in ax.get_xticklabels()]
    shown += [(t.get_position()[0], t.get_text()) for t in ax.xaxis.get_minorticklabels()]
    shown = [(x, text) for x, text in shown if low <= x <= high and text]
    assert len(shown) >= 2 and (1.0, "1") in shown
    for x, text in shown:
        assert re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?", text), text
        assert float(text.replace(",", "")) == pytest.approx(x)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.005, 15, ["0.01", "0.1", "1", "10"]),
        (1e-6, 1e3, ["0.000001", "0.0001", "0.01", "1", "100"]),
        (0.3, 2e6, ["1", "10", "100", "1,000", "10,000", "100,000", "1,000,000"]),
        (0.5, 2, ["0.5", "1", "2"]),
        (0.8, 1.25, ["0.8", "0.9", "1", "1.1", "1.2"]),
    ],
)
def test_a_plain_log_axis_labels_powers_of_ten_and_on_a_short_axis_more(low, high, expected):
    """Powers of ten on a long axis (matplotlib's choice of them), and the 2s and 5s too
    (or matplotlib's finer ticks) where the axis spans at most two powers of ten; every
    label written out in full, at six significant digits."""
    fig, ax = plt.subplots(figsize=(8, 3))
    try:
        ax.plot([low, high], [0, 1])
        ax.set_xscale("log")
        figures.plain_log_axis(ax.xaxis)
        fig.canvas.draw()
        lo, hi = ax.get_xlim()
        ticks = ax.get_xticklabels() + ax.xaxis.get_minorticklabels()
        shown = sorted(
            (t.get_position()[0], t.get_text())
            for t in ticks
            if t.get_text() and lo <= t.get_position()[0] <= hi
        )
        assert [text for _, text in shown] == expected
    finally:
        plt.close(fig)


def test_odds_figure_leaves_out_a_term_without_a_finite_estimate(segmented, instrument, tmp_path):
    """A separated level (every respondent at it an enthusiast) has no odds ratio: the
    figure names it below the plot instead of drawing where the fits stopped, so the axis
    keeps the scale of the estimates there are; the other terms are all drawn."""
    data = segmented.copy()
    data["segment"] = data["segment"].astype(object)
    ukip = (data["party_group"].astype(str) == "UKIP") & (data["segment"] != "unclassified")
    data.loc[ukip, "segment"] = "enthusiast"
    model = attitudes.enthusiast_model(SurveyDesign.of_wave(data), "segment")
    labels = ReaderLabels.of(instrument)
    fig = attitude_figures.odds_figure(
        model, tmp_path / "o.png", tmp_path / "o.svg", "2017", STATEMENT, labels
    )
    ukip_label = labels.term("enthusiast ~ party_group[UKIP]")
    drawn = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ukip_label not in drawn
    terms = model.loc[model["weighted"], "variables"].drop_duplicates()
    assert len(drawn) == len(terms) - 2  # all but the intercept and UKIP
    notes = [t.get_text().replace("\n", " ") for t in fig.texts]
    assert f"{attitude_figures.NOT_DRAWN}: {ukip_label}" in notes
    assert "every respondent in the group is an enthusiast or none is" in notes[-1]
    assert fig.axes[0].get_xlim()[1] < 1000
    svg = (tmp_path / "o.svg").read_text()
    assert "Not drawn, as every respondent" in svg and STATEMENT.split()[0] in svg
