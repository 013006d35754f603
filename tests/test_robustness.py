"""The robustness grid: weighting schemes, segmentations, estimates, summary, figure."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from councilsurvey.analysis import robustness as rb
from councilsurvey.analysis.segments import classify
from councilsurvey.core.errors import InputError
from councilsurvey.core.yamlio import load_yaml, validate
from councilsurvey.pipeline import robustness as rstage
from councilsurvey.pipeline.paths import load_config, robustness_specifications
from councilsurvey.report import robustness as rreport
from councilsurvey.survey.design import SurveyDesign
from councilsurvey.survey.weighting import MARGIN_COLUMN, base_weights, population_totals

from .conftest import ROOT, WAVE, WAVE_FRAME

CFG = load_config(ROOT / "config.yaml")


@pytest.fixture(scope="module")
def data(result, instrument):
    """The bundled wave, weighted, with latent classes standing in for stepmix's (a
    deterministic split on the battery mean, so this module does not fit the model)."""
    d = result.data.copy()
    mean = d[instrument.benefit_ids].astype("Float64").mean(axis=1)
    latent = pd.cut(mean, [0, 2.5, 3.5, 5], labels=["sceptic", "middle", "enthusiast"])
    d["segment_latent"] = latent
    return d


def test_grid_is_every_scheme_by_every_segmentation():
    specs = robustness_specifications(CFG)
    rob = CFG["robustness"]
    assert len(specs) == len(rob["weighting"]) * len(rob["segmentation"]) == 30
    assert rb.baseline(CFG) in specs


def test_unweighted_and_coverage_schemes(data, frame, wcfg):
    w, ok, _ = rb.scheme_weights(data, frame, wcfg, {"weights": "none"})
    assert ok and np.array_equal(w, np.ones(len(data)))
    w, ok, _ = rb.scheme_weights(data, frame, wcfg, {"weights": "coverage"})
    assert ok
    np.testing.assert_array_equal(w, base_weights(data, frame).to_numpy())
    # coverage weights: each council's respondents stand for its filled seats
    per_council = pd.Series(w).groupby(data["code"].to_numpy()).sum()
    seats = frame.set_index("code")
    filled = (seats["seats"] - seats["vacant"]).loc[per_council.index]
    np.testing.assert_allclose(per_council.to_numpy(), filled.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("margins", [["type", "region"], ["type", "region", "party"]])
def test_raked_schemes_hit_their_margins_only(data, frame, wcfg, margins):
    w, ok, _ = rb.scheme_weights(data, frame, wcfg, {"margins": margins})
    assert ok
    totals = population_totals(frame, ["type", "region", "party"], {})
    labelled = data.assign(_w=w)
    for margin in ["type", "region", "party"]:
        got = labelled.groupby(MARGIN_COLUMN[margin])["_w"].sum()
        want = pd.Series(totals[margin])
        err = float((got.reindex(want.index) / want - 1).abs().max())
        if margin in margins:
            assert err < 1e-10, margin
        else:  # a margin left out of the raking is not matched (party: far from it)
            assert err > 1e-3, margin


def test_full_raking_is_the_pipelines_weight(data, frame, wcfg):
    w, _, _ = rb.scheme_weights(data, frame, wcfg, {"margins": ["type", "region", "party"]})
    np.testing.assert_allclose(w, data["weight"].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("cap", [3, 5])
def test_trimmed_schemes_respect_the_cap_and_the_margins(data, frame, wcfg, cap):
    w, ok, _ = rb.scheme_weights(data, frame, wcfg, {"margins": ["type", "region"], "trim": cap})
    assert ok
    assert w.max() <= cap * np.median(w) * (1 + 1e-6)
    assert w.max() < data["raked_weight"].max()
    totals = population_totals(frame, ["type"], {})["type"]
    got = pd.Series(w).groupby(data["type"].to_numpy()).sum()
    np.testing.assert_allclose(got.loc[list(totals)].to_numpy(), list(totals.values()), rtol=1e-8)


def test_unknown_scheme_key_or_kind_is_an_error(data, frame, wcfg):
    with pytest.raises(InputError, match="unknown key"):
        rb.scheme_weights(data, frame, wcfg, {"weight": "none"})
    with pytest.raises(InputError, match="not one of none, coverage, raked"):
        rb.scheme_weights(data, frame, wcfg, {"weights": "post"})


def _by_hand(d, benefit, agree, disagree, min_agree, min_disagree, min_answered=2):
    items = d[benefit].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    n_agree = np.isin(items, agree).sum(axis=1)
    n_dis = np.isin(items, disagree).sum(axis=1)
    answered = (~np.isnan(items)).sum(axis=1)
    out = np.where(n_dis >= min_disagree, "sceptic", "middle").astype(object)
    out[n_agree >= min_agree] = "enthusiast"
    out[answered < min_answered] = "unclassified"
    return out


@pytest.mark.parametrize("name", ["rule", "rule_agree_2", "rule_disagree_3", "rule_strong"])
def test_rule_variants_match_a_count_by_hand(data, name, instrument):
    spec = CFG["robustness"]["segmentation"][name]
    seg = rb.segment_of(data, spec, instrument.benefit_ids, CFG["segments"])
    s = {**CFG["segments"], **spec}
    want = _by_hand(
        data,
        instrument.benefit_ids,
        s["agree_codes"],
        s["disagree_codes"],
        s.get("min_agree", 3),
        s["min_disagree"],
    )
    assert list(seg) == list(want)


def test_published_rule_gives_the_published_counts(data, instrument):
    seg = rb.segment_of(data, {}, instrument.benefit_ids, CFG["segments"])
    assert (seg == "enthusiast").sum() == 373 and (seg == "sceptic").sum() == 118
    # and the default of min_agree is the report's "all three"
    same = classify(data, instrument.benefit_ids, min_agree=None).astype(object)
    assert list(same) == list(seg)


def test_unknown_segmentation_key_is_an_error(data, instrument):
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['min_agreed'\]"):
        rb.segment_of(data, {"min_agreed": 2}, instrument.benefit_ids, CFG["segments"])


def test_latent_segmentation_passes_the_classes_through(data, instrument):
    seg = rb.segment_of(
        data, {"method": "latent"}, instrument.benefit_ids, {}, latent=data["segment_latent"]
    )
    assert seg.equals(data["segment_latent"].astype(object).where(data["segment_latent"].notna()))
    with pytest.raises(ValueError, match="needs the latent classes"):
        rb.segment_of(data, {"method": "latent"}, instrument.benefit_ids, {})


def test_specification_shares_against_linearisation_by_hand(data, instrument):
    """Share and CI against the textbook estimator: ratio p = sum(w y) / sum(w),
    linearised with councils as clusters (with replacement), logit interval on
    n_councils - 1 degrees of freedom. The weights are taken as fixed here (no
    calibration recorded): the raked design's SEs are R's (test_against_r.py)."""
    seg = rb.segment_of(data, {}, instrument.benefit_ids, CFG["segments"])
    w = data["weight"].to_numpy()
    est = rb.specification(SurveyDesign(data), seg, "raked_all", "rule").set_index("segment")
    for name in rb.SEGMENTS:
        y = (seg == name).to_numpy(dtype=float)
        p = (w * y).sum() / w.sum()
        z = pd.Series(w * (y - p) / w.sum()).groupby(data["code"].to_numpy()).sum()
        n_c = len(z)
        se = np.sqrt(n_c / (n_c - 1) * ((z - z.mean()) ** 2).sum())
        t = stats.t.ppf(0.975, n_c - 1)
        half = t * se / (p * (1 - p))
        logit = np.log(p / (1 - p))
        lci, uci = 1 / (1 + np.exp(-(logit - half))), 1 / (1 + np.exp(-(logit + half)))
        row = est.loc[name]
        assert row["share"] == pytest.approx(p, rel=1e-12)
        assert row["se"] == pytest.approx(se, rel=1e-9)
        assert row["lci"] == pytest.approx(lci, rel=1e-9)
        assert row["uci"] == pytest.approx(uci, rel=1e-9)
        assert row["n"] == int(y.sum()) and row["n_base"] == len(data)
        assert row["deff_kish"] == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)


def test_specification_leaves_unplaced_respondents_out_of_the_base(data):
    seg = data["segment_latent"].astype(object)
    seg.iloc[:10] = None
    unweighted = SurveyDesign.of_wave(data.assign(ones=1.0)).with_weight("ones")
    est = rb.specification(unweighted, seg, "unweighted", "latent")
    assert set(est["n_base"]) == {int(seg.notna().sum())}
    ent = est.set_index("segment").loc["enthusiast"]
    assert ent["share"] == pytest.approx((seg == "enthusiast").sum() / seg.notna().sum())


def test_specification_equals_each_segments_own_share(data, frame, wcfg):
    """specification() estimates every segment in one pass over the design (categories of
    one variable); each row is exactly (==, not approximately) the share of that
    segment's own indicator by estimation.share, on a raked design with its calibration
    and with unplaced respondents, as the grid's files were before the one-pass change."""
    from councilsurvey.pipeline.robustness import scheme_design
    from councilsurvey.survey.estimation import share

    w, ok, calibration = rb.scheme_weights(data, frame, wcfg, {"margins": ["type", "region"]})
    design = SurveyDesign.of_wave(data).assign(scheme_weight=w)
    design = rb.prepared(scheme_design(design, calibration))
    seg = data["segment_latent"].astype(object)
    seg.iloc[:25] = None
    est = rb.specification(design, seg, "raked_type_region", "latent", ok)
    placed = seg.notna()
    for name, row in zip(rb.SEGMENTS, est.itertuples(), strict=True):
        own = share(design, (seg == name).where(placed, None))
        assert (row.share, row.se, row.lci, row.uci) == (
            own["weighted"],
            own["se"],
            own["lci"],
            own["uci"],
        )
        assert (row.n_base, row.unweighted_share) == (own["n"], own["unweighted"])
    # a segment nobody is in: share 0 and the Clopper-Pearson upper limit, as share()
    none = rb.specification(design, seg.replace("sceptic", "middle"), "x", "y", ok)
    own = share(design, (seg == "nobody").where(placed, None))
    assert none.set_index("segment").loc["sceptic", ["share", "uci"]].tolist() == [
        own["weighted"],
        own["uci"],
    ]


def test_specifications_of_a_scheme_equal_each_specification_alone(data, frame, wcfg):
    """specifications() estimates every segmentation of a scheme from one svy sample; each
    table equals (pandas' equals: same values, same types) specification() of that
    segmentation alone, on a raked design with its calibration, with unplaced
    respondents, and with a segmentation whose segments differ from the others'."""
    from councilsurvey.pipeline.robustness import scheme_design

    w, ok, calibration = rb.scheme_weights(data, frame, wcfg, {"margins": ["type", "region"]})
    design = SurveyDesign.of_wave(data).assign(scheme_weight=w)
    design = rb.prepared(scheme_design(design, calibration))
    latent = data["segment_latent"].astype(object)
    fewer = latent.copy()
    fewer.iloc[:40] = None
    segments = {
        "latent": latent,
        "fewer": fewer,
        "no_sceptics": latent.replace("sceptic", "middle"),
    }
    tables = rb.specifications(design, segments, "raked_type_region", ok)
    assert list(tables) == list(segments)
    for name, segment in segments.items():
        alone = rb.specification(design, segment, "raked_type_region", name, ok)
        assert tables[name].equals(alone)


def test_prepared_design_is_prepared_once(data):
    design = rb.prepared(SurveyDesign.of_wave(data.set_index(data.index + 5)))
    assert isinstance(design.data.index, pd.RangeIndex)
    assert design.data[design.psu].map(type).eq(str).all()
    assert rb.prepared(design) is design


def _grid():
    rows = []
    for w, s, e, c in [
        ("a", "x", (0.46, 0.42, 0.50), (0.15, 0.12, 0.18)),
        ("a", "y", (0.30, 0.27, 0.33), (0.25, 0.22, 0.29)),
        ("b", "x", (0.70, 0.66, 0.73), (0.05, 0.03, 0.07)),
    ]:
        for seg, (share, lci, uci) in (("enthusiast", e), ("sceptic", c)):
            rows.append(
                dict(
                    weighting=w,
                    segmentation=s,
                    segment=seg,
                    n=100,
                    n_base=800,
                    unweighted_share=share,
                    share=share,
                    se=0.02,
                    lci=lci,
                    uci=uci,
                    deff_kish=1.2,
                    weights_converged=True,
                )
            )
    return pd.DataFrame(rows, columns=rb.SPEC_COLUMNS)


def test_summary_marks_where_published_findings_hold():
    table = rb.summarise(_grid(), ("a", "x"), {"enthusiast": 0.4616, "sceptic": 0.146})
    assert list(table.columns) == rb.SUMMARY_COLUMNS
    t = table.set_index(["weighting", "segmentation", "segment"])
    assert t.loc[("a", "x", "enthusiast"), "baseline"]
    assert not t.loc[("b", "x", "enthusiast"), "baseline"]
    assert t.loc[("a", "x", "enthusiast"), "covers_published"] is True
    assert t.loc[("b", "x", "enthusiast"), "covers_published"] is False
    assert t.loc[("a", "y", "sceptic"), "covers_published"] is False
    # 0.27 (enthusiast lci) is not above 0.29 (sceptic uci): overlap, no clear ordering
    assert not t.loc[("a", "y", "enthusiast"), "enthusiasts_outnumber_sceptics"]
    assert t.loc[("b", "x", "sceptic"), "enthusiasts_outnumber_sceptics"]
    assert list(t.xs("enthusiast", level="segment")["rank"]) == [2, 1, 3]
    assert rb.holds_summary(table) == {
        "specifications": 3,
        "enthusiast_covers_published": 1,
        "sceptic_covers_published": 1,
        "enthusiasts_outnumber_sceptics": 2,
    }


def test_summary_without_published_figures():
    table = rb.summarise(_grid(), ("a", "x"), {})
    assert table["published"].isna().all() and table["covers_published"].isna().all()
    assert "enthusiast_covers_published" not in rb.holds_summary(table)


def test_published_shares_come_from_the_waves_claims():
    from councilsurvey.analysis.claims import load_claims

    claims = load_claims(WAVE / "published.yaml")
    shares = rb.published_shares(claims, CFG["robustness"]["published"])
    assert shares == {"enthusiast": 373 / 808, "sceptic": 118 / 808}
    assert rb.published_shares(claims[:1], CFG["robustness"]["published"]) == {}


def test_readme_section_reports_the_grid():
    text = rreport.readme_section(rb.summarise(_grid(), ("a", "x"), {"enthusiast": 0.4616}))
    assert "under 3 specifications: 2 weighting schemes x 2 segmentations" in text
    assert "inside the 95% CI in 1 of 3 specifications" in text
    assert "| a (pipeline) | x | 46.0% (42.0%-50.0%) | 15.0% (12.0%-18.0%) |" in text


def test_curve_figure_is_byte_reproducible(tmp_path):
    table = rb.summarise(_grid(), ("a", "x"), {"enthusiast": 0.4616, "sceptic": 0.146})
    digests = []
    for run in ("one", "two"):
        png, svg = tmp_path / f"{run}.png", tmp_path / f"{run}.svg"
        rreport.curve_figure(table, png, svg, "2017", "Synthetic reconstruction: test")
        digests.append(tuple(hashlib.sha256(p.read_bytes()).hexdigest() for p in (png, svg)))
        assert "Synthetic reconstruction: test" in svg.read_text()
    assert digests[0] == digests[1]


def test_config_schema_rejects_a_bad_grid(tmp_path):
    schema = ROOT / "workflow/schemas/config.schema.yaml"
    cfg = load_yaml(ROOT / "config.yaml")
    cfg["robustness"]["weighting"]["odd"] = {"margins": ["council"]}
    with pytest.raises(InputError, match="robustness"):
        validate(cfg, schema, "config.yaml")


def test_every_batch_mode_writes_the_same_estimates(data, wcfg, tmp_path):
    """robustness.batch wave (one job per wave), scheme (one per weighting scheme) and
    spec (one per specification) write the same bytes to every specification's file:
    batching changes which process computes an estimate, never the estimate."""
    weighted, segments = tmp_path / "weighted.parquet", tmp_path / "segments.parquet"
    data.drop(columns="segment_latent").to_parquet(weighted)
    seg = data[["respondent_id", "segment_latent"]].astype({"segment_latent": object})
    seg.to_parquet(segments)
    specs = robustness_specifications(CFG)
    rob = CFG["robustness"]
    inputs = dict(
        weighted=weighted,
        segments=segments,
        frame=WAVE_FRAME,
        questionnaire=WAVE / "questionnaire.yaml",
        weighting=wcfg,
        segments_cfg=CFG["segments"],
        robustness=rob,
        n_councils=353,
        variance=CFG["variance"],
    )

    def file(mode, scheme, segmentation):
        return tmp_path / mode / scheme / f"{segmentation}.csv"

    rstage.robustness_job(estimates=[file("wave", *s) for s in specs], **inputs)
    for scheme in rob["weighting"]:
        files = [file("scheme", scheme, s) for s in rob["segmentation"]]
        rstage.robustness_job(estimates=files, scheme=scheme, **inputs)
    # one job per specification recomputes the weights every time: a sample of the grid,
    # every scheme and every segmentation at least once
    segmentations = list(rob["segmentation"])
    sample = [(w, segmentations[i % len(segmentations)]) for i, w in enumerate(rob["weighting"])]
    assert {s[0] for s in sample} == set(rob["weighting"])
    assert {s[1] for s in sample} == set(rob["segmentation"])
    for scheme, segmentation in sample:
        rstage.robustness_job(
            estimates=file("spec", scheme, segmentation),
            scheme=scheme,
            segmentation=segmentation,
            **inputs,
        )
    for spec in specs:
        wave = file("wave", *spec).read_bytes()
        assert wave == file("scheme", *spec).read_bytes(), spec
        if spec in sample:
            assert wave == file("spec", *spec).read_bytes(), spec
    # each file is its own specification's: the latent segmentation is the latent classes
    latent = pd.read_csv(file("wave", "unweighted", "latent")).set_index("segment")
    assert latent.at["enthusiast", "n"] == (data["segment_latent"] == "enthusiast").sum()
    assert pd.read_csv(file("wave", "trimmed_3x", "rule"))["weighting"].eq("trimmed_3x").all()


def test_wave_stage_wants_a_file_per_specification(tmp_path):
    with pytest.raises(InputError, match="29 output file"):
        rstage.robustness_wave(
            weighted=None,
            segments=None,
            frame=None,
            questionnaire=None,
            estimates=[tmp_path / f"{i}.csv" for i in range(29)],
            weighting=CFG["weighting"],
            segments_cfg=CFG["segments"],
            robustness=CFG["robustness"],
        )


def test_spec_stage_names_an_unknown_specification(tmp_path):
    with pytest.raises(InputError, match="no weighting scheme 'raked_everything'"):
        rstage.robustness_spec(
            weighted=None,
            segments=None,
            frame=None,
            questionnaire=None,
            estimates=tmp_path / "x.csv",
            scheme="raked_everything",
            segmentation="rule",
            weighting=CFG["weighting"],
            segments_cfg=CFG["segments"],
            robustness=CFG["robustness"],
        )


def test_baseline_follows_the_pipelines_weighting_and_segmentation():
    """Issue 19 item 2: with weighting.trim 5 the pipeline's weights are trimmed_5x's, not
    raked_all's; with segments.method latent the latent classes are the baseline."""
    import yaml

    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert rb.baseline(cfg) == ("raked_all", "rule")
    trimmed = dict(cfg, weighting=dict(cfg["weighting"], trim=5))
    assert rb.baseline(trimmed) == ("trimmed_5x", "rule")
    latent = dict(cfg, segments=dict(cfg["segments"], method="latent"))
    assert rb.baseline(latent) == ("raked_all", "latent")
    odd = dict(cfg, weighting=dict(cfg["weighting"], trim=4))  # no scheme trims at 4
    assert rb.baseline(odd) == ("raked_all", "rule")
    assert not rb.scheme_is_pipelines(cfg["robustness"]["weighting"]["raked_all"], odd["weighting"])


def test_readme_does_not_call_an_untrimmed_baseline_the_pipelines():
    from councilsurvey.report.robustness import readme_section

    rows = []
    for scheme, base in (("raked_all", True), ("trimmed_5x", False)):
        for segment in ("enthusiast", "sceptic"):
            rows.append(
                dict(
                    weighting=scheme,
                    segmentation="rule",
                    segment=segment,
                    share=0.4,
                    lci=0.3,
                    uci=0.5,
                    n=300,
                    published=None,
                    covers_published=None,
                    baseline=base,
                    enthusiasts_outnumber_sceptics=True,
                )
            )
    table = pd.DataFrame(rows)
    import yaml

    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    same = readme_section(table, cfg["robustness"], cfg["weighting"])
    assert "| raked_all (pipeline) |" in same
    other = readme_section(table, cfg["robustness"], dict(cfg["weighting"], trim=4))
    assert "(pipeline)" not in other
    assert "| raked_all (baseline) |" in other
    assert "No scheme of the grid gives the pipeline's own weights" in other
