"""RO-Crate metadata (a Workflow Run Crate) for a results bundle.

:func:`write_crate` writes ``<bundle>/ro-crate-metadata.json`` describing the files already
in the bundle, the Snakemake workflow that made them, the raw inputs it read (described by
path and SHA-256 only: they hold personal data and are never in the bundle) and the run
itself, following RO-Crate 1.1 and the Workflow Run Crate 0.5 profile
(https://w3id.org/ro/wfrun/workflow/0.5), which extends Process Run Crate 0.5
(https://w3id.org/ro/wfrun/process/0.5) and Workflow RO-Crate 1.0
(https://w3id.org/workflowhub/workflow-ro-crate/1.0).

The output is byte-reproducible: every identifier is derived from the metadata (no random
UUIDs), no "now" timestamp is written, entities are added in a fixed order (files sorted by
path) and rocrate serialises with sorted keys and a fixed indent. Only the metadata file is
written; no other file of the bundle is created, copied or modified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from pathlib import Path, PurePosixPath

from rocrate.model.contextentity import ContextEntity
from rocrate.model.softwareapplication import SoftwareApplication
from rocrate.rocrate import ROCrate

#: RO-Crate specification version the Workflow Run Crate 0.5 profiles build on
CRATE_VERSION = "1.1"
METADATA = "ro-crate-metadata.json"
#: JSON-LD context of the workflow-run ro-terms (defines ``sha256``)
WFRUN_CONTEXT = "https://w3id.org/ro/terms/workflow-run/context"
PROCESS_RUN_CRATE = "https://w3id.org/ro/wfrun/process/0.5"
WORKFLOW_RUN_CRATE = "https://w3id.org/ro/wfrun/workflow/0.5"
WORKFLOW_RO_CRATE = "https://w3id.org/workflowhub/workflow-ro-crate/1.0"
#: (permalink, name, version) of every profile the root dataset conforms to
PROFILES = (
    (PROCESS_RUN_CRATE, "Process Run Crate", "0.5"),
    (WORKFLOW_RUN_CRATE, "Workflow Run Crate", "0.5"),
    (WORKFLOW_RO_CRATE, "Workflow RO-Crate", "1.0"),
)
SPDX = "https://spdx.org/licenses/"
COMPLETED = "http://schema.org/CompletedActionStatus"
#: namespace of the run's identifier (a UUID 5 of what the run did)
RUN_NAMESPACE = uuid.UUID("5b0f3c3e-7d4c-5a53-9d3a-6f1c2b9e4a10")

_REQUIRED = (
    "name",
    "description",
    "version",
    "license",
    "date_published",
    "data_statement",
    "files",
    "workflow",
    "inputs",
    "outputs",
    "command",
    "software",
)
_HEX64 = re.compile(r"[0-9a-f]{64}")


def write_crate(bundle: Path, meta: dict) -> Path:
    """Write ``<bundle>/ro-crate-metadata.json`` with the rocrate library and return its path.

    The crate is an RO-Crate 1.1 Workflow Run Crate: the root dataset conforms to Process Run
    Crate 0.5, Workflow Run Crate 0.5 and Workflow RO-Crate 1.0 (each also described as a
    ``CreativeWork``), its ``mainEntity`` is the Snakefile and it ``mentions`` one
    ``CreateAction`` for the run. Only the metadata file is written (an existing one is
    replaced); the bundle's other files are read, never created, copied or modified.

    Parameters
    ----------
    bundle : Path
        The bundle folder; every path in ``meta`` is relative to it.
    meta : dict
        ``name``, ``description`` : str
            Title and description of the root dataset.
        ``version`` : str
            Version of the bundle.
        ``license`` : str
            SPDX id (``"CC-BY-4.0"``) or URL (``"https://spdx.org/licenses/CC-BY-4.0"``);
            added as a ``CreativeWork`` entity, an SPDX id as ``https://spdx.org/licenses/<id>``.
        ``date_published`` : str
            ``"YYYY-MM-DD"``, supplied by the caller (today's date is never used).
        ``data_statement`` : str
            How the data may be used / why raw data are absent; appended to the root
            description (after a blank line) and recorded as its ``conditionsOfAccess``.
        ``files`` : list of dict
            Every file of the bundle except ``ro-crate-metadata.json`` (an entry for it is
            ignored), ``MANIFEST.sha256`` included: ``{"path": relative POSIX path,
            "description": str, "encoding_format": MIME type}``. Each becomes a ``File``
            data entity (``hasPart`` of the root, in path order) with ``name`` (the file
            name), ``description``, ``encodingFormat`` and, if the file exists now,
            ``contentSize`` (bytes, as a string) and ``sha256``.
        ``workflow`` : dict
            ``{"path": "provenance/Snakefile", "name": str, "language": "Snakemake",
            "language_version": str}``: the main workflow, a ``File``,
            ``SoftwareSourceCode`` and ``ComputationalWorkflow`` whose
            ``programmingLanguage`` is the Workflow RO-Crate ``ComputerLanguage``
            ``https://w3id.org/workflowhub/workflow-ro-crate#snakemake``. The file must
            exist; it is also a data entity (it may, and normally does, appear in
            ``files`` too, whose description and format it then takes).
        ``inputs`` : list of dict
            Raw inputs, NOT in the crate: ``{"id": path as run, e.g.
            "data/raw/2017/export.csv", "sha256": hex digest, "description": str}`` and
            optionally ``"encoding_format"``. Each becomes a contextual ``CreativeWork``
            with the local id ``#input-<path with other characters than [A-Za-z0-9._-]
            replaced by "-">``, the path as ``alternateName``, its file name as ``name``,
            ``sha256`` and ``description``.
        ``outputs`` : list of str
            Paths (a subset of ``files``) the run produced: the action's ``result``.
        ``command`` : str
            The command run (e.g. ``"snakemake --cores 4"``), given in the action's
            ``description``.
        ``software`` : list of dict
            ``{"name": str, "version": str}`` and optionally ``"url"``: the software used
            (python, snakemake, pandas, ...), as ``SoftwareApplication`` entities
            ``#software-<name>`` that the workflow lists as ``softwareRequirements``.
        ``start_time``, ``end_time`` : str, optional
            ISO 8601 date-times of the run; recorded only if given (they would make the
            metadata differ between otherwise identical runs).

    Returns
    -------
    Path
        ``<bundle>/ro-crate-metadata.json``.

    Raises
    ------
    ValueError
        If a key is missing, a path is absolute, escapes the bundle or is listed twice, an
        output is not a listed file, a software name or input id is listed twice, a digest
        is not SHA-256 hex, the date is not ``YYYY-MM-DD`` or the workflow language is not
        one rocrate knows.
    FileNotFoundError
        If the bundle or the workflow file does not exist.
    """
    bundle = Path(bundle)
    if not bundle.is_dir():
        raise FileNotFoundError(f"{bundle}: bundle folder not found")
    _check_meta(meta)
    files = _files(meta["files"])
    wf = meta["workflow"]
    wf_path = _rel(wf["path"], "workflow path")
    if not (bundle / wf_path).is_file():
        raise FileNotFoundError(f"{bundle / wf_path}: workflow file not found")
    outputs = sorted({_rel(p, "output") for p in meta["outputs"]})
    unknown = [p for p in outputs if p not in files]
    if unknown:
        raise ValueError(f"outputs not listed in files: {', '.join(unknown)}")

    crate = ROCrate(version=CRATE_VERSION)
    crate.metadata.extra_contexts.append(WFRUN_CONTEXT)
    root = crate.root_dataset

    # contextual entities the root refers to: licence and profiles
    license_entity = crate.add(_license(crate, meta["license"]))
    profiles = [
        crate.add(
            ContextEntity(
                crate, uri, properties={"@type": "CreativeWork", "name": name, "version": version}
            )
        )
        for uri, name, version in PROFILES
    ]

    # data entities, in path order; the workflow among them
    if wf_path not in files:
        files[wf_path] = {}
    entities = {}
    for path in sorted(files):
        props = _file_properties(bundle / path, path, files[path])
        if path == wf_path:
            props["name"] = wf["name"]
            entities[path] = crate.add_workflow(
                source=bundle / path,
                dest_path=path,
                main=True,
                lang=wf["language"],
                lang_version=wf.get("language_version") or None,
                properties=props,
            )
        else:
            source = bundle / path if (bundle / path).is_file() else None
            entities[path] = crate.add_file(source=source, dest_path=path, properties=props)
    workflow = entities[wf_path]

    inputs = [crate.add(entity) for entity in _inputs(crate, meta["inputs"])]

    software = {}
    for item in sorted(meta["software"], key=lambda s: (str(s["name"]), str(s["version"]))):
        props = {"name": str(item["name"]), "version": str(item["version"])}
        if item.get("url"):
            props["url"] = str(item["url"])
        sid = f"#software-{_slug(props['name'])}"
        if sid in software:
            raise ValueError(f"software {props['name']!r} is listed twice (id {sid})")
        software[sid] = crate.add(SoftwareApplication(crate, sid, properties=props))
    software = list(software.values())
    if software:
        workflow["softwareRequirements"] = software

    action_props = {
        "@type": "CreateAction",
        "name": f"Run of {wf['name']} for {meta['name']} (version {meta['version']})",
        "description": f"{wf['name']} run with the command: {meta['command']}",
        "actionStatus": {"@id": COMPLETED},
    }
    for key, prop in (("start_time", "startTime"), ("end_time", "endTime")):
        if meta.get(key):
            action_props[prop] = str(meta[key])
    action = crate.add_action(
        workflow,
        identifier=_run_id(meta, workflow, inputs, [entities[p] for p in outputs]),
        object=inputs,
        result=[entities[p] for p in outputs],
        properties=action_props,
    )

    root["name"] = meta["name"]
    root["description"] = f"{meta['description'].rstrip()}\n\n{meta['data_statement'].strip()}"
    root["version"] = str(meta["version"])
    root["license"] = license_entity
    root["datePublished"] = meta["date_published"]
    root["conditionsOfAccess"] = meta["data_statement"].strip()
    root["conformsTo"] = profiles
    root["mentions"] = [action]

    crate.metadata.write(bundle)
    return bundle / METADATA


def _check_meta(meta: dict) -> None:
    missing = [k for k in _REQUIRED if k not in meta]
    if missing:
        raise ValueError(f"crate metadata lacks {', '.join(missing)}")
    for key in ("path", "name", "language"):
        if not meta["workflow"].get(key):
            raise ValueError(f"crate metadata: workflow lacks {key!r}")
    date = str(meta["date_published"])
    try:
        ok = len(date) == 10 and dt.date.fromisoformat(date).isoformat() == date
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"date_published must be YYYY-MM-DD, not {date!r}")


def _rel(path: str, what: str) -> str:
    """A clean relative POSIX path inside the bundle, or ValueError."""
    text = str(path)
    p = PurePosixPath(text)
    if (
        not text
        or "\\" in text
        or p.is_absolute()
        or ".." in p.parts
        or p.as_posix() != text
        or text in (".", "")
    ):
        raise ValueError(f"{what} {text!r} is not a relative path inside the bundle")
    return text


def _files(items: list[dict]) -> dict[str, dict]:
    out = {}
    for item in items:
        path = _rel(item["path"], "file")
        if path == METADATA:
            continue
        if path in out:
            raise ValueError(f"file {path!r} is listed twice")
        out[path] = item
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _file_properties(source: Path, path: str, item: dict) -> dict:
    props = {"name": PurePosixPath(path).name}
    if item.get("description"):
        props["description"] = str(item["description"])
    if item.get("encoding_format"):
        props["encodingFormat"] = str(item["encoding_format"])
    if source.is_file():
        props["contentSize"] = str(source.stat().st_size)
        props["sha256"] = _sha256(source)
    return props


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def _license(crate: ROCrate, value: str) -> ContextEntity:
    value = str(value).strip()
    uri = value if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE) else SPDX + value
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    return ContextEntity(crate, uri, properties={"@type": "CreativeWork", "name": name})


def _inputs(crate: ROCrate, items: list[dict]) -> list[ContextEntity]:
    out = {}
    for item in sorted(items, key=lambda i: str(i["id"])):
        path = str(item["id"])
        digest = str(item["sha256"]).lower()
        if not _HEX64.fullmatch(digest):
            raise ValueError(f"input {path!r}: sha256 {item['sha256']!r} is not a SHA-256 digest")
        local_id = f"#input-{_slug(path)}"
        if local_id in out:
            raise ValueError(
                f"inputs {path!r} and {out[local_id]['alternateName']!r} "
                f"share the identifier {local_id}"
            )
        props = {
            "@type": "CreativeWork",
            "name": PurePosixPath(path).name,
            "alternateName": path,
            "sha256": digest,
            "description": str(item.get("description") or f"raw input {path}"),
        }
        if item.get("encoding_format"):
            props["encodingFormat"] = str(item["encoding_format"])
        out[local_id] = ContextEntity(crate, local_id, properties=props)
    return list(out.values())


def _run_id(meta: dict, workflow, inputs, outputs) -> str:
    """``#run-<UUID 5>`` of what the run did: the same run always gets the same id."""
    parts = [meta["name"], str(meta["version"]), meta["command"], workflow.get("sha256", "")]
    parts += [f"{e['alternateName']}={e['sha256']}" for e in inputs]
    parts += [f"{e.id}={e.get('sha256', '')}" for e in outputs]
    return f"#run-{uuid.uuid5(RUN_NAMESPACE, chr(10).join(parts))}"
