"""Rule ``segment`` (councilsurvey.pipeline.segment): the segments data product of a wave,
checked against the rule counted independently with numpy on the bundled wave."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from councilsurvey.analysis.latent import SELECTION_COLUMNS
from councilsurvey.core.errors import InputError
from councilsurvey.pipeline.paths import load_config, stage_outputs, wave_paths
from councilsurvey.pipeline.runner import run_step
from councilsurvey.pipeline.segment import SEGMENT_COLUMNS, segment_table, segment_wave

from .conftest import ROOT, WAVE

QUESTIONNAIRE = WAVE / "questionnaire.yaml"


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT / "config.yaml")["segments"]


@pytest.fixture(scope="module")
def weighted(result, tmp_path_factory):
    """The bundled wave, weighted, written as the weight stage writes it."""
    path = tmp_path_factory.mktemp("segment") / "weighted.parquet"
    result.data.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def stage(weighted, cfg, tmp_path_factory):
    """segments.parquet and latent_class_selection.csv as the stage writes them from the
    config's settings (every number of classes of the configured range is fitted)."""
    folder = tmp_path_factory.mktemp("segment")
    path, selection = folder / "segments.parquet", folder / "latent_class_selection.csv"
    segment_wave(
        weighted,
        QUESTIONNAIRE,
        cfg,
        path,
        wave="2017",
        latent_selection=selection,
        reliability=folder / "reliability.csv",
        agreement=folder / "segment_agreement.csv",
    )
    return path, selection


@pytest.fixture(scope="module")
def segments(stage):
    return pd.read_parquet(stage[0])


@pytest.fixture(scope="module")
def selection(stage):
    return pd.read_csv(stage[1])


def rule_counts(data: pd.DataFrame, instrument, cfg) -> dict[str, int]:
    """The rule counted with numpy: enthusiasts agree with every benefit item, sceptics
    disagree with at least ``min_disagree`` (and are not enthusiasts), too few answered
    are unclassified whatever else holds, the rest are in the middle."""
    items = data[instrument.benefit_ids].astype("Float64").astype(float).to_numpy()
    answered = (~np.isnan(items)).sum(axis=1)
    agree = np.isin(items, cfg["agree_codes"]).sum(axis=1)
    disagree = np.isin(items, cfg["disagree_codes"]).sum(axis=1)
    unclassified = answered < cfg["min_answered"]
    enthusiast = (agree == items.shape[1]) & ~unclassified
    sceptic = (disagree >= cfg["min_disagree"]) & ~enthusiast & ~unclassified
    middle = ~(enthusiast | sceptic | unclassified)
    return {
        "enthusiast": int(enthusiast.sum()),
        "middle": int(middle.sum()),
        "sceptic": int(sceptic.sum()),
        "unclassified": int(unclassified.sum()),
    }


def test_columns_rows_and_order_follow_the_weighted_data(segments, result):
    assert list(segments.columns) == SEGMENT_COLUMNS
    assert segments["respondent_id"].tolist() == result.data["respondent_id"].tolist()
    assert segments["weight"].tolist() == result.data["weight"].tolist()
    assert segments["code"].tolist() == result.data["code"].tolist()


def test_rule_counts_match_an_independent_count(segments, result, instrument, cfg):
    expected = rule_counts(result.data, instrument, cfg)
    got = segments["segment_rule"].value_counts().to_dict()
    assert {k: int(got.get(k, 0)) for k in expected} == expected
    assert sum(expected.values()) == len(segments)


def test_segment_is_the_configured_method(segments, cfg):
    assert cfg.get("method", "rule") == "rule"
    assert segments["segment"].astype(str).tolist() == segments["segment_rule"].astype(str).tolist()


def test_latent_classes_are_named_and_seeded(segments, selection, result, instrument):
    latent = segments["segment_latent"]
    k = int(selection.loc[selection["chosen"], "n_classes"].iloc[0])
    assert latent.dropna().nunique() == min(k, 3)  # more than 3: the middle ones share a name
    # classes named by benefit-item means: the enthusiast class agrees most, the sceptic least
    items = result.data[instrument.benefit_ids].astype("Float64").astype(float)
    means = items.groupby(latent.astype(str).to_numpy()).mean().mean(axis=1)
    assert means["enthusiast"] > means["sceptic"]
    if k >= 3:
        assert means["enthusiast"] > means["middle"] > means["sceptic"]


def test_latent_class_selection_of_the_bundled_wave(selection, cfg):
    """Every number of classes of the configured range fitted once; BIC chooses 3."""
    assert cfg["latent_classes"]["select"] == "bic"
    low, high = cfg["latent_classes"]["range"]
    assert selection.columns.tolist() == SELECTION_COLUMNS
    assert selection["n_classes"].tolist() == list(range(low, high + 1))
    assert selection["chosen"].sum() == 1
    chosen = selection.loc[selection["chosen"]].iloc[0]
    assert chosen["bic"] == selection["bic"].min()
    assert chosen["n_classes"] == 3
    assert (selection["n"] == 808).all()
    # the likelihood rises with the classes, and BIC's penalty outweighs it beyond 3
    assert selection["log_likelihood"].is_monotonic_increasing


def test_two_runs_write_identical_files(weighted, cfg, tmp_path):
    """The stage is deterministic: byte-identical segments and selection table (a
    narrower range of classes keeps the test quick)."""
    settings = {**cfg, "latent_classes": {"select": "bic", "range": [2, 3]}}
    written = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        seg, sel = tmp_path / run / "segments.parquet", tmp_path / run / "selection.csv"
        segment_wave(weighted, QUESTIONNAIRE, settings, seg, latent_selection=sel)
        written.append((seg.read_bytes(), sel.read_bytes()))
    assert written[0] == written[1]
    assert pd.read_csv(tmp_path / "a" / "selection.csv")["n_classes"].tolist() == [2, 3]


def test_malformed_latent_classes_name_config(result, instrument, cfg):
    bad = {**cfg, "latent_classes": {"select": "icl", "range": [2, 6]}}
    with pytest.raises(InputError, match="config.yaml.*select must be bic or aic"):
        segment_table(result.data, instrument, bad)


def test_latent_method_makes_the_latent_classes_the_segment(result, instrument, cfg):
    table = segment_table(result.data, instrument, {**cfg, "method": "latent", "latent_classes": 3})
    assert table["segment"].astype(str).tolist() == table["segment_latent"].astype(str).tolist()
    assert (table["segment"].astype(str) != table["segment_rule"].astype(str)).any()


def test_invalid_method_is_one_clear_line(
    weighted, instrument, cfg, tmp_path, capsys, restore_logging
):
    out = tmp_path / "segments.parquet"
    with pytest.raises(InputError, match="method must be 'rule' or 'latent', not 'kmeans'"):
        segment_table(pd.read_parquet(weighted), instrument, {**cfg, "method": "kmeans"})
    log = tmp_path / "segment.log"
    with pytest.raises(SystemExit) as exit_:
        run_step(
            lambda: segment_wave(weighted, QUESTIONNAIRE, {**cfg, "method": "kmeans"}, out),
            log,
        )
    assert exit_.value.code == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "config.yaml" in lines[0] and "'kmeans'" in lines[0] and "Traceback" not in lines[0]
    assert not out.exists()


def test_hand_run_gets_every_argument_of_the_stage(monkeypatch):
    """``python workflow/scripts/segment.py 2017`` passes the stage every argument it needs,
    and writes where the rules read."""
    monkeypatch.chdir(ROOT)
    args, log = wave_paths("2017", "segment")
    needed = [
        name
        for name, p in inspect.signature(segment_wave).parameters.items()
        if p.default is inspect.Parameter.empty
    ]
    assert [n for n in needed if n not in args] == []
    assert args["segments"] == stage_outputs("2017")["segments"]
    assert args["latent_selection"] == stage_outputs("2017")["latent_selection"]
    assert args["latent_selection"] == "results/2017/tables/latent_class_selection.csv"
    assert args["segments_cfg"] == load_config(ROOT / "config.yaml")["segments"]
    assert log == "logs/2017/segment.log"


def test_hand_run_with_an_unknown_method_is_one_clear_line(
    tmp_path, monkeypatch, capsys, restore_logging
):
    """``python workflow/scripts/segment.py 2017`` with ``method: kmeans`` in config.yaml:
    one ERROR line naming config.yaml and the setting, exit 1, nothing written."""
    import shutil

    from councilsurvey.pipeline.runner import script_main

    shutil.copytree(ROOT / "data" / "raw", tmp_path / "data" / "raw")
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert "  method: rule " in text
    (tmp_path / "config.yaml").write_text(text.replace("  method: rule ", "  method: kmeans "))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["segment.py", "2017"])
    with pytest.raises(SystemExit) as exit_:
        script_main("segment", segment_wave, None)
    assert exit_.value.code == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines == [
        "ERROR councilsurvey: config.yaml: segments.method: 'kmeans' is not one of "
        "['rule', 'latent']"
    ]
    assert not (tmp_path / "data" / "processed").exists()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_latent_fit_is_stepmix_s_own_bit_for_bit(result, instrument, n_classes):
    """fit_model lets stepmix one-hot encode the codes once per fit instead of once per EM
    step, and skips the EM steps' repeated masks, per-column normalisers and sample-weight
    validation, and replaces scipy's logsumexp by its own arithmetic without the dispatch
    (issue 18): the fitted model equals a plain StepMix fit exactly, and
    stepmix's encoder, emission steps and weight check are restored afterwards."""
    from stepmix import StepMix
    from stepmix import stepmix as core
    from stepmix.emission import categorical

    from councilsurvey.analysis.latent import fit_model, indicator_codes

    encoder = categorical.max_one_hot
    steps = (categorical.MultinoulliNan.m_step, categorical.MultinoulliNan.log_likelihood)
    check = core._check_sample_weight
    logsumexp = core.logsumexp
    codes, _ = indicator_codes(result.data, instrument.attitude_ids)
    ours = fit_model(codes, n_classes, seed=2017, n_init=1)
    plain = StepMix(
        n_components=n_classes,
        measurement="categorical_nan",
        random_state=2017,
        n_init=1,
        verbose=0,
        progress_bar=0,
    ).fit(codes)
    assert categorical.max_one_hot is encoder
    assert (categorical.MultinoulliNan.m_step, categorical.MultinoulliNan.log_likelihood) == steps
    assert core._check_sample_weight is check
    assert core.logsumexp is logsumexp
    assert ours.n_iter_ == plain.n_iter_
    mine, theirs = ours.get_parameters(), plain.get_parameters()
    assert np.array_equal(mine["weights"], theirs["weights"])
    assert np.array_equal(mine["measurement"]["pis"], theirs["measurement"]["pis"])
    assert np.array_equal(ours.predict_proba(codes), plain.predict_proba(codes))
    assert ours.score(codes) == plain.score(codes)


def test_stage_writes_the_agreement_of_rule_and_latent_classes(stage, segments):
    """segment_agreement.csv counts the respondents of every rule segment and latent
    class (a cross-table counted here with pandas), and its kappa is Cohen's, computed
    here with numpy over those classified by both."""
    table = pd.read_csv(stage[0].parent / "segment_agreement.csv")
    both = segments.dropna(subset=["segment_latent"])
    counted = pd.crosstab(both["segment_rule"].astype(str), both["segment_latent"].astype(str))
    for row in table.itertuples():
        expected = (
            counted.loc[row.rule_segment, row.latent_class]
            if (row.rule_segment in counted.index and row.latent_class in counted.columns)
            else 0
        )
        assert row.n == expected, (row.rule_segment, row.latent_class)
    classified = both[both["segment_rule"].astype(str) != "unclassified"]
    y1, y2 = classified["segment_rule"].astype(str), classified["segment_latent"].astype(str)
    labels = sorted(set(y1) | set(y2))
    observed = np.mean(y1.to_numpy() == y2.to_numpy())
    chance = sum((y1 == c).mean() * (y2 == c).mean() for c in labels)
    assert table["n_compared"].unique().tolist() == [len(classified)]
    assert table["cohen_kappa"].nunique() == 1
    assert table["cohen_kappa"].iloc[0] == pytest.approx((observed - chance) / (1 - chance))


def test_stage_writes_the_reliability_of_the_scales(stage, weighted):
    """reliability.csv: Cronbach's alpha of the benefit items, as numpy computes it on the
    respondents who answered all three, with the questionnaire's words as labels."""
    from councilsurvey.inputs.instrument import load_instrument

    rel = pd.read_csv(stage[0].parent / "reliability.csv")
    benefit = load_instrument(QUESTIONNAIRE).benefit_ids
    row = rel[rel["scale"] == "benefit items"].iloc[0]
    items = pd.read_parquet(weighted)[benefit].astype("Float64").astype(float).dropna()
    k = len(benefit)
    alpha = k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert row["n"] == len(items)
    assert row["alpha"] == pytest.approx(alpha, abs=5e-7)  # written to 6 decimals
    assert row["ci_low"] < row["alpha"] < row["ci_high"]
    assert "label" in rel.columns and rel["label"].notna().all()


def test_the_e_step_logsumexp_is_scipy_s_bit_for_bit():
    """_logsumexp_rows gives scipy.special.logsumexp(a, axis=1) exactly, on rows with tied
    largest values, of every magnitude and in either memory order; it declines (None)
    what it does not handle, which then goes to scipy."""
    from scipy.special import logsumexp

    from councilsurvey.analysis.latent import _logsumexp_rows

    rng = np.random.default_rng(18)
    for trial in range(600):
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 7))
        a = rng.normal(size=(n, k)) * rng.choice([1e-3, 1.0, 30.0, 700.0, 1e5])
        if trial % 3 == 0:
            a[:, : k // 2 + 1] = a[:, [0]]
        if trial % 5 == 0:
            a = np.round(a)
        if trial % 7 == 0:
            a = np.asfortranarray(a)
        ours, scipys = _logsumexp_rows(a), logsumexp(a, axis=1)
        assert ours.shape == scipys.shape and ours.dtype == scipys.dtype
        assert np.array_equal(ours, scipys), a
    with_inf = np.array([[0.0, -np.inf], [1.0, 2.0]])
    assert _logsumexp_rows(with_inf) is None
    assert _logsumexp_rows(np.ones((3, 2), dtype=np.float32)) is None
    assert _logsumexp_rows(np.ones(3)) is None
    assert _logsumexp_rows(np.empty((0, 3))) is None
