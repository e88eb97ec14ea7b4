"""The pipeline spec, ``pipeline.yaml``: frozen dataclasses, schema version, load and dump."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cellops.errors import CellopsError, PackageError
from cellops.notebook.tags import STAGE_NAME, StageOptions

# Re-exported for modules that still import it from here; the name lives in cellops.package.layout.
from cellops.package.layout import SPEC_FILE as SPEC_FILE
from cellops.package.yamltext import yaml_dumper

SCHEMA_VERSION = 1
PARAM_TYPES = ("int", "float", "str", "bool", "list", "dict", "none")
# Pipeline and stage names become part of file names, image tags, Kubernetes names, YAML and
# Python of every generated file, so both follow one pattern: a lowercase letter, then up to
# 62 lowercase letters, digits, '_' or '-'.
NAME_PATTERN = STAGE_NAME
NAME_RULE = "lowercase letters, digits, '_' or '-', starting with a letter, at most 63"


def check_name(value: str, what: str) -> str:
    """``value`` if it is a valid pipeline or stage name, else a CellopsError for ``what``."""
    if isinstance(value, str) and NAME_PATTERN.fullmatch(value):
        return value
    fixed = re.sub(r"[^a-z0-9_-]+", "_", str(value).lower()).strip("_-")[:63]
    hint = f", for example {fixed!r}" if fixed[:1].isalpha() else ""
    raise CellopsError(f"{what} {value!r} is not a valid name: use {NAME_RULE}{hint}")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: object


@dataclass(frozen=True)
class StageSpec:
    name: str
    notebook: str  # relative to the package
    cells: tuple[str, ...]  # ids of the source notebook's cells this stage runs
    parameters: tuple[str, ...]
    inputs: dict[str, str] = field(hash=False)  # input name -> upstream stage
    outputs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()  # every upstream stage (data and explicit)
    options: StageOptions = field(default_factory=StageOptions)
    # What promote knew, so a run re-reads no notebook: the top-level modules the stage's code
    # imports (the warm kernels' prelude), the digest of its normalised code (the cache key)
    # and the sha256 of the notebook file that digest was taken from. Empty in older specs.
    imports: tuple[str, ...] = ()
    code_sha256: str = ""
    notebook_sha256: str = ""
    # Literal paths and glob patterns the stage's code names (``analysis.paths``): the cache
    # counts them as read, for readers the audit hook cannot see. None in older specs.
    named: tuple[str, ...] | None = None


@dataclass(frozen=True)
class EdgeSpec:
    source: str
    target: str
    names: tuple[str, ...]
    explicit: bool


@dataclass(frozen=True)
class FolderFile:
    """A file of the notebook's folder a stage needs, by its path relative to that folder."""

    path: str
    size: int
    sha256: str = ""  # of the carried copy; empty for a referenced file (not read at promote)


@dataclass(frozen=True)
class FolderSpec:
    """The notebook's folder as the package has it (``layout.WORKDIR``, the stages' cwd)."""

    carried: tuple[FolderFile, ...] = ()  # copied into the package
    referenced: tuple[FolderFile, ...] = ()  # too large: the user supplies them at run time

    def __bool__(self) -> bool:
        return bool(self.carried or self.referenced)


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    source_notebook: str
    source_sha256: str
    kernel: str
    parameters: tuple[Parameter, ...]
    stages: tuple[StageSpec, ...]
    edges: tuple[EdgeSpec, ...]
    cellops_version: str
    schema_version: int = SCHEMA_VERSION
    folder: FolderSpec = field(default_factory=FolderSpec)

    def stage(self, name: str) -> StageSpec:
        for s in self.stages:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.stages)
        raise PackageError(f"the pipeline has no stage '{name}'; its stages are: {known}")

    def parameter(self, name: str) -> Parameter | None:
        for p in self.parameters:
            if p.name == name:
                return p
        return None


def _folder_dict(folder: FolderSpec) -> dict[str, Any]:
    if not folder:
        return {}  # a package without one stays as it was before folders were carried
    return {
        "folder": {
            "carried": [
                {"path": f.path, "size": f.size, "sha256": f.sha256} for f in folder.carried
            ],
            "referenced": [{"path": f.path, "size": f.size} for f in folder.referenced],
        }
    }


def _folder_from(data: Any, where: str) -> FolderSpec:
    if data is None:
        return FolderSpec()
    try:
        return FolderSpec(
            tuple(
                FolderFile(str(f["path"]), int(f["size"]), str(f["sha256"]))
                for f in data["carried"]
            ),
            tuple(FolderFile(str(f["path"]), int(f["size"])) for f in data["referenced"]),
        )
    except (KeyError, TypeError, ValueError):
        raise PackageError(f"{where}: 'folder' is not a list of files; promote again") from None


def to_dict(spec: PipelineSpec) -> dict[str, Any]:
    return {
        "schema_version": spec.schema_version,
        "name": spec.name,
        "cellops_version": spec.cellops_version,
        "source": {"notebook": spec.source_notebook, "sha256": spec.source_sha256},
        "kernel": spec.kernel,
        "parameters": {p.name: {"type": p.type, "default": p.default} for p in spec.parameters},
        "stages": {
            s.name: {
                "notebook": s.notebook,
                "cells": list(s.cells),
                "parameters": list(s.parameters),
                "inputs": dict(s.inputs),
                "outputs": list(s.outputs),
                "after": list(s.after),
                "options": s.options.to_dict(),
                "imports": list(s.imports),
                "code_sha256": s.code_sha256,
                "notebook_sha256": s.notebook_sha256,
            }
            | ({} if s.named is None else {"named": list(s.named)})
            for s in spec.stages
        },
        "edges": [
            {"from": e.source, "to": e.target, "names": list(e.names)}
            | ({"explicit": True} if e.explicit else {})
            for e in spec.edges
        ],
    } | _folder_dict(spec.folder)


def dumps(spec: PipelineSpec) -> str:
    header = (
        "# Generated by `cellops promote`; the source notebook is the single source of truth.\n"
        "# Edit the notebook and promote again rather than editing this file.\n"
    )
    import yaml  # only where a spec is written or read: `cellops check` does neither

    body = yaml.dump(
        to_dict(spec),
        Dumper=yaml_dumper(blocks=False),
        sort_keys=False,
        default_flow_style=None,
        allow_unicode=True,
        width=100,
    )
    return header + body


def _need(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        raise PackageError(f"{where}: '{key}' is missing or not a {kind.__name__}; promote again")
    return value


def param_text(value: Any) -> str:
    """A parameter value as ``-p NAME=VALUE`` reads it back (cellops.run.params.coerce)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)) or value is None:
        return json.dumps(value)
    return str(value)


def non_finite(value: object) -> bool:
    """True if ``value`` holds a NaN or infinity anywhere (strict JSON has neither)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(non_finite(v) for v in value)
    return False


def _valid(name: Any, what: str, where: str) -> str:
    try:
        return check_name(name, what)
    except CellopsError as exc:
        raise PackageError(f"{where}: {exc}; promote again") from None


def from_dict(data: Any, where: str = SPEC_FILE) -> PipelineSpec:
    if not isinstance(data, dict):
        raise PackageError(f"{where}: not a pipeline spec (expected a mapping); promote again")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise PackageError(
            f"{where}: schema_version {version!r} is not supported by this cellops (it reads "
            f"{SCHEMA_VERSION}); promote the notebook again with this version"
        )
    source = _need(data, "source", dict, where)
    params = []
    for name, p in _need(data, "parameters", dict, where).items():
        if not isinstance(p, dict) or p.get("type") not in PARAM_TYPES:
            raise PackageError(f"{where}: parameter '{name}' has no valid type; promote again")
        params.append(Parameter(str(name), p["type"], p.get("default")))
    stages = []
    for name, s in _need(data, "stages", dict, where).items():
        _valid(name, "stage name", where)
        if not isinstance(s, dict):
            raise PackageError(f"{where}: stage '{name}' is not a mapping; promote again")
        opts = s.get("options") or {}
        try:
            options = StageOptions(**opts)
        except TypeError as exc:
            raise PackageError(f"{where}: stage '{name}' options: {exc}") from None
        stages.append(
            StageSpec(
                name=str(name),
                notebook=_need(s, "notebook", str, f"{where}: stage '{name}'"),
                cells=tuple(s.get("cells") or ()),
                parameters=tuple(s.get("parameters") or ()),
                inputs=dict(s.get("inputs") or {}),
                outputs=tuple(s.get("outputs") or ()),
                after=tuple(s.get("after") or ()),
                options=options,
                imports=tuple(str(m) for m in s.get("imports") or ()),
                code_sha256=str(s.get("code_sha256") or ""),
                notebook_sha256=str(s.get("notebook_sha256") or ""),
                named=None if s.get("named") is None else tuple(str(p) for p in s["named"]),
            )
        )
    edges = tuple(
        EdgeSpec(e["from"], e["to"], tuple(e.get("names") or ()), bool(e.get("explicit")))
        for e in data.get("edges") or ()
    )
    return PipelineSpec(
        name=_valid(_need(data, "name", str, where), "pipeline name", where),
        source_notebook=str(source.get("notebook", "")),
        source_sha256=str(source.get("sha256", "")),
        kernel=str(data.get("kernel") or "python3"),
        parameters=tuple(params),
        stages=tuple(stages),
        edges=edges,
        cellops_version=str(data.get("cellops_version", "")),
        schema_version=version,
        folder=_folder_from(data.get("folder"), where),
    )


def load(package: str | Path) -> PipelineSpec:
    root = Path(package)
    path = root / SPEC_FILE
    if not root.is_dir():
        raise PackageError(
            f"{root}: no such pipeline package directory; create it with "
            f"`cellops promote NOTEBOOK -o {root}`"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackageError(
            f"{root} holds no {SPEC_FILE}, so it is not a pipeline package; create one with "
            f"`cellops promote NOTEBOOK -o {root}`"
        ) from None
    import yaml

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise PackageError(f"{path}: not valid YAML ({exc}); promote again") from None
    return from_dict(data, str(path))
