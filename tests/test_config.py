"""Configuration schema, and the conda environment kept in step with the lock."""

import pytest
import yaml

from councilsurvey.core.errors import InputError
from councilsurvey.dev import envfile
from councilsurvey.pipeline.paths import discover_waves, load_config, stage_outputs

from .conftest import ROOT


def test_bundled_config_is_valid():
    cfg = load_config(ROOT / "config.yaml")
    assert discover_waves(cfg, root=ROOT / "data" / "raw")[0] == "2017"
    assert stage_outputs("2017")["responses"] == "data/processed/2017/responses.parquet"
    assert cfg["segments"]["latent_classes"]["select"] == "bic"


def test_latent_classes_may_be_a_fixed_number(tmp_path):
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    cfg["segments"]["latent_classes"] = 4
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert load_config(path)["segments"]["latent_classes"] == 4


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["cleaning"].update(fuzzy_threshold=120), "120"),
        (lambda c: c.pop("frames"), "frames"),
        (lambda c: c["segments"].update(min_disagree="two"), "two"),
        (lambda c: c["segments"].update(latent_classes={"select": "icl"}), "latent_classes"),
        (lambda c: c["segments"].update(latent_classes=1), "latent_classes"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, change, message):
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    change(cfg)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(InputError, match=message) as err:
        load_config(path)
    assert str(path) in str(err.value)


def test_conda_env_matches_lock():
    lock = (ROOT / "requirements.lock").read_text()
    assert (ROOT / "envs" / "councilsurvey.yaml").read_text() == envfile.render(lock)
    assert "snakemake==9." in lock
    assert not any(
        p.startswith(("jupyter==", "jupyterlab==", "rfc3987-syntax==")) for p in envfile.pins(lock)
    )


def test_envfile_writes_the_environment_and_says_one_line_for_a_bad_lock(tmp_path, capsys):
    """python -m councilsurvey.dev.envfile LOCK OUT writes what render gives; a missing or
    pin-less lock file is one line naming it (exit 1), and OUT is not written."""
    out = tmp_path / "env.yaml"
    envfile.main([str(ROOT / "requirements.lock"), str(out)])
    assert out.read_text() == (ROOT / "envs" / "councilsurvey.yaml").read_text()
    for lock, why in [
        (tmp_path / "missing.lock", "cannot read the lock file"),
        (ROOT / "config.yaml", "no pinned package"),
    ]:
        target = tmp_path / "not-written.yaml"
        with pytest.raises(SystemExit) as stop:
            envfile.main([str(lock), str(target)])
        assert str(stop.value).startswith(f"{lock}: {why}")
        assert "\n" not in str(stop.value)
        assert not target.exists()
    with pytest.raises(SystemExit) as stop:
        envfile.main(["--help"])
    assert stop.value.code == 0
    assert "lock file" in capsys.readouterr().out


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda c: c["weighting"].update(trimm=5),
            "config.yaml: weighting: unknown key 'trimm' (known keys: margins,",
        ),
        (
            lambda c: c["weighting"].update(trim="five"),
            "config.yaml: weighting.trim: 'five' is not of type 'number', 'null'",
        ),
        (
            lambda c: c["variance"].update(method="bootstrapped"),
            "config.yaml: variance.method: 'bootstrapped' is not one of",
        ),
    ],
)
def test_config_error_is_one_line_naming_section_and_key(tmp_path, change, expected):
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    change(cfg)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(InputError) as err:
        load_config(path)
    message = str(err.value).replace(str(path), "config.yaml")
    assert message.startswith(expected)
    assert "\n" not in message and len(message) < 300


def test_snakemake_reports_a_config_typo_in_a_few_lines(tmp_path):
    """Issue 19 item 5: not a 40-line schema dump; the section and key are named."""
    import subprocess
    import sys
    from pathlib import Path

    text = (ROOT / "config.yaml").read_text()
    assert "  trim: null" in text
    bad = tmp_path / "config.yaml"
    bad.write_text(text.replace("  trim: null", "  trimm: null"))
    snakemake = Path(sys.executable).with_name("snakemake")
    proc = subprocess.run(
        [str(snakemake), "-n", "--quiet", "all", "--configfile", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "weighting: unknown key 'trimm'" in out
    assert len([line for line in out.splitlines() if line.strip()]) <= 4, out
    assert "Traceback" not in out and "File " not in out
