"""The synthetic wave's generator: seeded, documented, and still the bundled file."""

from councilsurvey import synth

from .conftest import FRAME, OUTSIDE, WAVE


def test_generator_reproduces_bundled_export_byte_for_byte():
    data = synth.build(WAVE / "questionnaire.yaml", FRAME, OUTSIDE, seed=2017)
    assert data == (WAVE / "export.csv").read_bytes()


def test_bias_against_the_frame(frame):
    """Opt-in bias the weighting stage must correct: London over-represented and
    districts under-represented relative to their share of seats."""
    import pandas as pd

    from councilsurvey.codebook import codebook_from_instrument  # noqa: F401

    raw = pd.read_csv(WAVE / "export.csv", header=None, skiprows=2, dtype=str)
    assert len(raw) > 808  # dirt included
    seats = frame.groupby("region")["seats"].sum() / frame["seats"].sum()
    assert seats["London"] < 0.12


def test_different_seed_gives_different_data_with_same_published_figures(
    instrument, frame, matcher
):
    data = synth.to_csv(*synth.generate(frame, matcher.outside, instrument, 7, matcher), instrument)
    assert data != (WAVE / "export.csv").read_bytes()
    got = synth.check(data, instrument, frame, matcher)
    assert (got["respondents"], got["councils"], got["enthusiasts"], got["sceptics"]) == (
        808,
        278,
        373,
        118,
    )
