"""Bundle READMEs a reader can use (issue 19 items 2 and 7): key results in the
questionnaire's words, the claims with kind, tolerance and reading, the analytic choices
against the project's defaults, the effective configuration in provenance, a data
statement true for each wave, and the trends bundle's summary of changes."""

import json

import pandas as pd
import yaml

from councilsurvey.core.yamlio import load_yaml
from councilsurvey.pipeline.bundling import DEFAULTS
from councilsurvey.pipeline.paths import load_config, wave_statements
from councilsurvey.publish import bundle as b
from councilsurvey.publish.bundle import sha256
from councilsurvey.publish.provenance import collect
from councilsurvey.report import bundle_sections as sec

from .conftest import ROOT

QUESTIONNAIRE = ROOT / "data/raw/2017/questionnaire.yaml"
SEGMENTS = pd.DataFrame(
    {
        "segment": ["enthusiast", "middle", "sceptic", "unclassified"],
        "n": [373, 305, 118, 12],
        "unweighted_share": [0.461634, 0.377475, 0.14604, 0.0148515],
        "weighted_share": [0.455204, 0.378598, 0.150666, 0.015531],
        "se": [0.02, 0.02, 0.015, 0.005],
        "lci": [0.416252, 0.339634, 0.123726, 0.00855666],
        "uci": [0.494712, 0.419195, 0.182253, 0.0280292],
        "df": [277] * 4,
    }
)
CHAMPION_BASIS = (
    "respondents answering digital_champion (Don't know counts as an answer; blank excluded)"
)
HEADLINES = pd.DataFrame(
    [
        [
            "wellbeing_positive",
            "Agree or Strongly agree",
            "respondents answering att_wellbeing (Don't know/blank excluded); Agree or Strongly "
            "agree (codes 4-5)",
            786,
            0.64,
            0.626744,
            0.02,
            0.586462,
            0.665342,
        ],
        [
            "digital_champion",
            "leader_or_chief_executive",
            CHAMPION_BASIS + "; the leader of the council or the chief executive",
            808,
            0.0668,
            0.0657,
            0.01,
            0.0486,
            0.0883,
        ],
        ["digital_champion", "Nobody", CHAMPION_BASIS, 808, 0.2, None, None, None, None],
    ],
    columns=["indicator", "category", "basis", "n", "unweighted", "weighted", "se", "lci", "uci"],
)
CLAIMS = pd.DataFrame(
    [
        {
            "claim_id": "n_respondents",
            "theme": "sample",
            "quote": "Blackwell surveyed 808 elected councillors",
            "kind": "count",
            "source": "PublicTechnology.net",
            "url": "https://www.publictechnology.net/x",
            "published": 808,
            "reproduced": 808,
            "tolerance": 0,
            "status": "CONFLICT",
            "conflicts": "UKAuthority: 809",
            "matches": "PublicTechnology.net",
        },
        {
            "claim_id": "wellbeing_positive",
            "theme": "attitudes",
            "quote": "64% saying ...",
            "kind": "proportion",
            "source": "PublicTechnology.net",
            "url": "https://www.publictechnology.net/x",
            "published": 0.64,
            "reproduced": 0.639949,
            "weighted": 0.626744,
            "weighted_lci": 0.586462,
            "weighted_uci": 0.665342,
            "tolerance": 0.005,
            "status": "PASS",
        },
        {
            "claim_id": "champion_leader_or_ceo",
            "theme": "strategy and leadership",
            "quote": "few respondents identified the leader | or chief executive",
            "kind": "upper_bound",
            "source": "seed press coverage (000_1604f0d8e76178bd)",
            "url": "",
            "published": 0.1,
            "reproduced": 0.0668317,
            "tolerance": 0,
            "status": "INTERPRETATION",
            "reading": "'few' read as at most 10%",
            "note": "'few' read as at most 10% holds: the data give 6.7%",
        },
    ]
)


def meta(**extra):
    return {
        "name": "x",
        "description": "d",
        "statement": "s",
        "version": "0.0.1",
        "wave": "2017",
        "study": "study",
        "bundle": "study-2017-v0.0.1",
        "code_sha256": "0123456789abcdef",
        "n_code": 3,
        "command": "snakemake --cores 4",
        "k": 5,
        "suppressed": 0,
        **extra,
    }


def test_key_results_use_the_questions_words_and_give_cis():
    text = sec.key_results(SEGMENTS, HEADLINES, QUESTIONNAIRE)
    assert text.startswith("## Key results")
    assert "| Digital enthusiasts | 373 | 45.5% (41.6% to 49.5%) |" in text
    assert "| Digital sceptics | 118 | 15.1% (12.4% to 18.2%) |" in text
    assert (
        "Over the next decade digital technology will have a positive impact on the "
        "wellbeing of residents: agree or strongly agree" in text
    )
    assert (
        "Who has been a champion for digital in your council? (Tick all that apply): the "
        "leader of the council or the chief executive | 808 | 6.6% (4.9% to 8.8%)" in text
    )
    assert "suppressed (n 808)" in text  # a disclosure-controlled row stays blank
    assert "att_" not in text and "leader_or_chief_executive" not in text


def test_claims_table_grouped_by_theme_with_source_and_status():
    text = sec.claims_section(CLAIMS)
    # a heading per theme, in the file's order, each with its own table
    heads = [line for line in text.splitlines() if line.startswith("### ")]
    assert heads == ["### Sample", "### Attitudes", "### Strategy and leadership"]
    header = "| what was published | source | published | reproduced | weighted (95% CI) | status |"
    assert text.count(header) == 3
    assert (
        "| “Blackwell surveyed 808 elected councillors” | "
        "[PublicTechnology.net](https://www.publictechnology.net/x) | 808 | 808 | — | "
        "**CONFLICT**: the data match PublicTechnology.net; other sources: UKAuthority: 809 |"
    ) in text
    assert "| 64% | 64.0% | 62.7% (58.6% to 66.5%) | **PASS** |" in text
    # a source without an address is named, not linked; a pipe in a quote is escaped
    assert "leader \\| or chief executive” | seed press coverage (000_1604f0d8e76178bd) |" in text
    assert "| 'few' read as at most 10% | 6.7% | — | **INTERPRETATION**: 'few' read" in text
    # the four statuses are explained, and counted
    for word in ("**PASS** when", "**CONFLICT** when", "**INTERPRETATION** when", "**FAIL** when"):
        assert word in text
    assert "3 claims: 1 PASS, 1 CONFLICT, 1 INTERPRETATION, 0 FAIL" in text
    assert sec.claims_section(CLAIMS.iloc[0:0]) == ""


def test_readme_renders_k_and_leaves_out_absent_claims(tmp_path):
    path = tmp_path / "README.md"
    b.write_readme(path, meta(), CLAIMS)
    text = path.read_text()
    assert "between 1 and 4 shows" in text and "{k}" not in text and "- 1" not in text
    assert "(3 claims: 1 PASS, 1 CONFLICT, 1 INTERPRETATION, 0 FAIL)" in text
    assert "## Claims" in text
    b.write_readme(path, meta(wave="trends", what="trends across survey waves"), CLAIMS[:0])
    text = path.read_text()
    assert "claims.csv" not in text and "## Claims" not in text and "0 claims" not in text
    assert "of trends across survey waves of the study" in text
    assert "wave trends" not in text


def test_shipped_config_keeps_every_default_and_a_change_is_listed():
    cfg = load_config(ROOT / "config.yaml")
    defaults = yaml.safe_load(DEFAULTS.read_text())
    assert sec.analytic_choices(cfg, defaults) == []
    assert "none: the project's defaults." in sec.choices_section(cfg, defaults)
    trimmed = dict(cfg, weighting=dict(cfg["weighting"], trim=5), disclosure={"k": 10})
    text = sec.choices_section(trimmed, defaults)
    assert "| `weighting.trim` | null | 5 |" in text
    assert "| `disclosure.k` | 5 | 10 |" in text
    assert "none" not in text


def test_provenance_holds_the_effective_configuration_and_the_code(monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = load_yaml(ROOT / "config.yaml")
    prov = collect([], cfg, "requirements.lock", root=ROOT)
    effective = json.loads(json.dumps(prov["config"]["effective"], sort_keys=True))
    assert effective["weighting"]["trim"] is None
    assert effective == json.loads(json.dumps(cfg, sort_keys=True))
    files = prov["code"]["files"]
    assert files["Snakefile"] == sha256(ROOT / "Snakefile")
    assert "workflow/councilsurvey/pipeline/bundling.py" in files
    assert not any("/dev/" in f or "__pycache__" in f for f in files)
    assert "git" not in prov  # the git state changes without the code: not in a bundle


def test_each_waves_data_statement_is_true_for_it(monkeypatch):
    monkeypatch.chdir(ROOT)
    statements = wave_statements(load_config(ROOT / "config.yaml"), ["2017", "2019"])
    assert "agree with the published figures" in statements["2017"]
    assert "agree with the published figures" not in statements["2019"]
    assert "no published figures" in statements["2019"]


def test_trends_summary_names_what_changed():
    changes = pd.DataFrame(
        {
            "indicator": ["segment", "digital_strategy"],
            "category": ["enthusiast", "Yes"],
            "wave_from": [2017, 2017],
            "wave_to": [2019, 2019],
            "estimate_from": [0.455, 0.334],
            "estimate_to": [0.52, 0.35],
            "difference": [0.065, 0.016],
            "lci": [0.01, -0.03],
            "uci": [0.12, 0.06],
            "p": [0.01, 0.5],
            "p_adjusted": [0.02, 0.5],
        }
    )
    text = sec.trends_summary(changes)
    assert "2 weighted shares were compared between consecutive waves (2017 to 2019" in text
    assert "1 changed at the 5% level" in text
    assert "segment (enthusiast), 2017 to 2019: 45.5% to 52.0%, +6.5 points" in text
    assert "digital_strategy" not in text
    assert "none changed" in sec.trends_summary(changes.iloc[1:])
