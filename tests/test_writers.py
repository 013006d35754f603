"""Output writers: deterministic, atomic, and safe to open in a spreadsheet."""

import pandas as pd

from councilsurvey.core.writers import neutralise_formulas, write_csv


def test_formula_cells_are_neutralised_and_numbers_kept(tmp_path):
    df = pd.DataFrame(
        {
            "text": ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "plain", None],
            "number": [-1.5, 2.0, -0.25, 0.0, 1.0, 3.0],
            "cat": pd.Categorical(["=1", "a", "a", "a", "a", "a"]),
        }
    )
    out = neutralise_formulas(df)
    assert out["text"].tolist()[:5] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "plain",
    ]
    assert pd.isna(out["text"].iloc[5])
    assert out["number"].tolist() == df["number"].tolist()
    assert out["cat"].iloc[0] == "'=1"
    path = tmp_path / "t.csv"
    write_csv(df, path)
    text = path.read_text()
    assert "\n\"'=HYPERLINK" in text and ",-1.5," in text and "\n'+1+1," in text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left
