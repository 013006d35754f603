"""RO-Crate metadata of a results bundle: byte-reproducible, loadable with rocrate, a
Workflow Run Crate, and written without touching any other file of the bundle."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from rocrate.rocrate import ROCrate

from councilsurvey.publish.crate import (
    PROCESS_RUN_CRATE,
    WORKFLOW_RO_CRATE,
    WORKFLOW_RUN_CRATE,
    write_crate,
)

CONTENT = {
    "tables/attitudes.csv": b"item,share\nbig_data,0.61\n",
    "tables/segments.csv": b"segment,n\n1,120\n2,80\n",
    "figures/attitudes.png": b"\x89PNG\r\n\x1a\n fake png bytes",
    "figures/attitudes.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    "notebooks/analysis.html": b"<html><body>analysis</body></html>\n",
    "claims.csv": b"claim,status\nc1,reproduced\n",
    "README.md": "# Bundle \u2013 wave 2017\n".encode(),
    "provenance/Snakefile": b"rule all:\n    input: 'results/done'\n",
    "provenance/config.yaml": b"wave: 2017\n",
    "MANIFEST.sha256": b"0" * 64 + b"  claims.csv\n",
}
MIME = {
    ".csv": "text/csv",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
}
RAW_SHA = hashlib.sha256(b"personal data, never in the bundle").hexdigest()
STATEMENT = "Respondents' personal data are not included; tables are aggregates."


def make_bundle(folder: Path) -> Path:
    for rel, data in CONTENT.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def make_meta() -> dict:
    return {
        "name": "Councillors and digital technology, wave 2017: results bundle",
        "description": "Tables, figures and notebooks of wave 2017.",
        "version": "0.1.0",
        "license": "https://spdx.org/licenses/CC-BY-4.0",
        "date_published": "2024-05-01",
        "data_statement": STATEMENT,
        "files": [
            {
                "path": rel,
                "description": f"the file {rel}",
                "encoding_format": MIME.get(Path(rel).suffix, "text/plain"),
            }
            for rel in CONTENT
        ],
        "workflow": {
            "path": "provenance/Snakefile",
            "name": "councilsurvey pipeline",
            "language": "Snakemake",
            "language_version": "9.1.1",
        },
        "inputs": [
            {
                "id": "data/raw/2017/export.csv",
                "sha256": RAW_SHA,
                "description": "survey export (personal data, not in the bundle)",
            }
        ],
        "outputs": [
            "tables/attitudes.csv",
            "tables/segments.csv",
            "figures/attitudes.png",
            "figures/attitudes.svg",
            "notebooks/analysis.html",
            "claims.csv",
        ],
        "command": "snakemake --cores 4",
        "software": [
            {"name": "python", "version": "3.11.9"},
            {"name": "snakemake", "version": "9.1.1"},
            {"name": "pandas", "version": "2.2.2"},
        ],
    }


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file (but the crate metadata) -> (sha256, mtime in ns); directories -> None."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if rel == "ro-crate-metadata.json":
            continue
        out[rel] = (
            (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            if p.is_file()
            else None
        )
    return out


@pytest.fixture
def bundle(tmp_path) -> Path:
    return make_bundle(tmp_path / "bundle")


@pytest.fixture
def crate(bundle) -> ROCrate:
    write_crate(bundle, make_meta())
    return ROCrate(bundle)


def ids(values) -> list[str]:
    """@ids of a dereferenced property (entities, or plain strings for ids not in the crate)."""
    values = values if isinstance(values, list) else [values]
    return [v if isinstance(v, str) else v.id for v in values]


def test_byte_identical_across_copies_and_reruns(tmp_path):
    a = make_bundle(tmp_path / "a")
    b = make_bundle(tmp_path / "b")
    meta_b = make_meta()
    meta_b["files"].reverse()  # order of the caller's lists does not matter
    meta_b["software"].reverse()
    meta_b["outputs"].reverse()
    path_a = write_crate(a, make_meta())
    path_b = write_crate(b, meta_b)
    assert path_a == a / "ro-crate-metadata.json"
    assert path_a.read_bytes() == path_b.read_bytes()
    first = path_a.read_bytes()
    write_crate(a, make_meta())  # rewriting over an existing crate changes nothing
    assert path_a.read_bytes() == first
    doc = json.loads(first)
    assert doc["@context"][0] == "https://w3id.org/ro/crate/1.1/context"
    text = first.decode()
    for volatile in ("sdDatePublished", "startTime", "endTime", "arcp://", str(tmp_path)):
        assert volatile not in text


def test_writes_only_the_metadata_file(bundle):
    before = snapshot(bundle)
    write_crate(bundle, make_meta())
    assert snapshot(bundle) == before
    assert sorted(p.name for p in bundle.iterdir() if p.is_file()) == sorted(
        ["ro-crate-metadata.json", "README.md", "claims.csv", "MANIFEST.sha256"]
    )


def test_root_dataset(crate):
    root = crate.root_dataset
    assert root["name"] == make_meta()["name"]
    assert root["version"] == "0.1.0"
    assert root["license"].id == "https://spdx.org/licenses/CC-BY-4.0"
    assert root["datePublished"] == "2024-05-01"
    assert root["description"].startswith("Tables, figures and notebooks")
    assert root["description"].endswith(STATEMENT)
    assert root["conditionsOfAccess"] == STATEMENT
    conforms = ids(root["conformsTo"])
    assert conforms == [PROCESS_RUN_CRATE, WORKFLOW_RUN_CRATE, WORKFLOW_RO_CRATE]
    assert WORKFLOW_RUN_CRATE == "https://w3id.org/ro/wfrun/workflow/0.5"
    for uri in conforms:
        assert crate.get(uri).type == "CreativeWork"
    descriptor = ids(crate.metadata["conformsTo"])
    assert descriptor == ["https://w3id.org/ro/crate/1.1", WORKFLOW_RO_CRATE]


def test_main_entity_is_the_snakemake_workflow(crate, bundle):
    wf = crate.mainEntity
    assert wf.id == "provenance/Snakefile"
    assert set(wf.type) == {"File", "SoftwareSourceCode", "ComputationalWorkflow"}
    assert wf["name"] == "councilsurvey pipeline"
    lang = wf["programmingLanguage"]
    assert lang.type == "ComputerLanguage"
    assert lang["name"] == "Snakemake"
    assert lang.id == "https://w3id.org/workflowhub/workflow-ro-crate#snakemake"
    assert lang["version"] == "9.1.1"
    req = {s["name"]: s["version"] for s in wf["softwareRequirements"]}
    assert req == {"python": "3.11.9", "snakemake": "9.1.1", "pandas": "2.2.2"}
    assert all(s.type == "SoftwareApplication" for s in wf["softwareRequirements"])


def test_every_file_is_a_data_entity_with_its_sha256(crate, bundle):
    data = {e.id: e for e in crate.data_entities}
    assert set(data) == set(CONTENT)
    for rel, content in CONTENT.items():
        entity = data[rel]
        assert "File" in entity.type
        assert entity["sha256"] == hashlib.sha256((bundle / rel).read_bytes()).hexdigest()
        assert entity["contentSize"] == str(len(content))
        assert entity["description"] == f"the file {rel}"
        assert entity["encodingFormat"] == MIME.get(Path(rel).suffix, "text/plain")
        assert entity["name"] == (
            rel.rsplit("/", 1)[-1] if rel != "provenance/Snakefile" else "councilsurvey pipeline"
        )
    assert "ro-crate-metadata.json" not in data


def test_create_action(crate):
    actions = crate.get_by_type("CreateAction")
    assert len(actions) == 1
    action = actions[0]
    assert ids(crate.root_dataset["mentions"]) == [action.id]
    assert action.id.startswith("#run-")
    assert action["instrument"] is crate.mainEntity
    assert sorted(ids(action["result"])) == sorted(make_meta()["outputs"])
    assert "snakemake --cores 4" in action["description"]
    assert "startTime" not in action and "endTime" not in action
    (raw,) = action["object"]
    assert raw.id == "#input-data-raw-2017-export.csv"
    assert raw["alternateName"] == "data/raw/2017/export.csv"
    assert raw["sha256"] == RAW_SHA
    assert raw["description"].startswith("survey export")
    # the raw input is described, not contained
    assert raw not in crate.data_entities
    assert raw.id not in ids(crate.root_dataset["hasPart"])


def test_optional_times_and_missing_files(tmp_path):
    folder = make_bundle(tmp_path / "b")
    (folder / "MANIFEST.sha256").unlink()  # written after the crate, as the pipeline does
    meta = make_meta()
    meta["start_time"] = "2024-05-01T10:00:00+00:00"
    meta["end_time"] = "2024-05-01T10:05:00+00:00"
    meta["license"] = "CC-BY-4.0"
    write_crate(folder, meta)
    crate = ROCrate(folder)
    manifest = crate.get("MANIFEST.sha256")
    assert manifest in crate.data_entities
    assert "sha256" not in manifest and "contentSize" not in manifest
    (action,) = crate.get_by_type("CreateAction")
    assert action["startTime"] == meta["start_time"]
    assert action["endTime"] == meta["end_time"]
    assert crate.root_dataset["license"].id == "https://spdx.org/licenses/CC-BY-4.0"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m.pop("license"), "lacks license"),
        (lambda m: m.update(date_published="2024-5-1"), "YYYY-MM-DD"),
        (lambda m: m["outputs"].append("tables/missing.csv"), "not listed in files"),
        (lambda m: m["files"].append({"path": "/etc/passwd"}), "not a relative path"),
        (lambda m: m["files"].append({"path": "../x.csv"}), "not a relative path"),
        (lambda m: m["files"].append(copy.deepcopy(m["files"][0])), "listed twice"),
        (lambda m: m["inputs"][0].update(sha256="abc"), "not a SHA-256"),
        (lambda m: m["software"].append({"name": "pandas", "version": "1.0"}), "listed twice"),
    ],
)
def test_bad_metadata_is_refused(bundle, change, message):
    meta = make_meta()
    change(meta)
    with pytest.raises(ValueError, match=message):
        write_crate(bundle, meta)
    assert not (bundle / "ro-crate-metadata.json").exists()


def test_missing_workflow_is_refused(bundle):
    shutil.rmtree(bundle / "provenance")
    with pytest.raises(FileNotFoundError, match="workflow"):
        write_crate(bundle, make_meta())
