"""Reading YAML: libyaml's speed, PyYAML's objects and PyYAML's error messages."""

import pytest
import yaml

from councilsurvey.core.errors import InputError
from councilsurvey.core.yamlio import load_yaml

from .conftest import ROOT

YAML_FILES = sorted(
    p
    for pattern in (
        "config.yaml",
        "data/raw/*/*.yaml",
        "workflow/schemas/*.yaml",
        "profiles/*/*.yaml",
    )
    for p in ROOT.glob(pattern)
)


def test_the_repository_has_yaml_files_to_compare():
    assert len(YAML_FILES) >= 8


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_load_yaml_gives_what_pyyaml_gives(path):
    assert load_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8"))


def test_bad_yaml_gets_pyyaml_s_message_with_line_and_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\nb: 3\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_yaml(bad)
    message = str(err.value)
    assert str(bad) in message
    assert "expected ',' or ']', but got ':'" in message and "(line 2, column 2)" in message


def test_yaml_that_is_not_utf8_is_refused_by_name(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("label: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not valid YAML: 'utf-8' codec can't decode"):
        load_yaml(bad)
