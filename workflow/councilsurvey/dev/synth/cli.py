"""The command line of the generator: ``python -m councilsurvey.dev.synth --wave 2017
--seed 2017 --out data/raw/2017`` writes a wave's export, codebook and ``truth.csv`` into
``--out``, which must hold the wave's ``questionnaire.yaml``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from councilsurvey.dev.synth.exports import spss_codebook
from councilsurvey.dev.synth.waves import build, build_2019, export_bytes, write_truth
from councilsurvey.inputs.codebook import codebook_from_instrument
from councilsurvey.inputs.instrument import load_instrument

#: the first line of the package's docstring, as ``--help`` shows it
DESCRIPTION = "Seeded generator of the synthetic bundled waves (SurveyMonkey CSV and SPSS exports)."


def main(argv=None) -> None:
    """Generate the wave ``--wave`` with ``--seed`` into ``--out`` (see the module)."""
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--wave", default="2017")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--out", type=Path, default=Path("data/raw/2017"))
    parser.add_argument(
        "--frame", type=Path, default=Path("data/reference/councils_england_2017.csv")
    )
    parser.add_argument(
        "--outside", type=Path, default=Path("data/reference/councils_outside_england_2017.csv")
    )
    parser.add_argument(
        "--successors", type=Path, default=Path("data/reference/council_successors.csv")
    )
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    args = parser.parse_args(argv)
    instrument_path = args.out / "questionnaire.yaml"
    if args.wave == "2019":
        built = build_2019(
            instrument_path,
            args.frame,
            args.outside,
            args.successors,
            args.out / "export.sav",
            seed=args.seed,
            config_path=args.config,
        )
        _write_codebook(args.out, spss_codebook(load_instrument(instrument_path), "2019"), "2019")
        write_truth(built, args.out)
        print(f"wrote {args.out / 'export.sav'}, codebook.yaml and truth.csv: {built.figures}")
        return
    built = build(instrument_path, args.frame, args.outside, args.seed, config_path=args.config)
    data = export_bytes(built)
    (args.out / "export.csv").write_bytes(data)
    codebook = codebook_from_instrument(load_instrument(instrument_path), args.wave)
    _write_codebook(args.out, codebook, args.wave)
    write_truth(built, args.out)
    print(f"wrote {args.out / 'export.csv'} ({len(data):,} bytes), codebook.yaml and truth.csv")
    print(f"figures of the respondents as drawn: {built.figures}")


def _write_codebook(folder: Path, codebook: dict, wave: str) -> None:
    """Write ``codebook.yaml`` into ``folder``, under a comment saying what wrote it."""
    with open(folder / "codebook.yaml", "w", encoding="utf-8") as fh:
        fh.write(
            f"# Codebook of the {wave} export: header texts -> variable ids, answer\n"
            "# texts -> codes. Written by `python -m councilsurvey.dev.synth`; checked against\n"
            "# workflow/schemas/codebook.schema.yaml.\n"
        )
        yaml.safe_dump(codebook, fh, sort_keys=False, allow_unicode=True, width=100)
