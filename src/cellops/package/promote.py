"""Notebook -> pipeline package. Deterministic: the same input gives byte-identical files."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cellops import __version__
from cellops.analysis.digest import stage_facts
from cellops.errors import DiagnosticsError
from cellops.fsutil import replace_tree
from cellops.notebook.read import Notebook, dumps_notebook, read_notebook, split_lines
from cellops.notebook.tags import Diagnostic, TaggedNotebook, default_stage_name, read_tags
from cellops.package import layout, learned_imports
from cellops.package.folder import (
    DEFAULT_LIMITS,
    CarryLimits,
    FolderPlan,
    folder_report,
    plan_folder,
)
from cellops.package.graph import PipelineGraph, StageFlow, build_graph
from cellops.package.spec import (
    EdgeSpec,
    Parameter,
    PipelineSpec,
    StageSpec,
    check_name,
    dumps,
    non_finite,
    param_text,
)

# Tags that only mean something to cellops are dropped from stage notebooks; others stay.
_OWN_TAG = re.compile(
    r"^(stage|block|step|after|prev|cpu|memory|gpu|retries|timeout|cache|image|limit):"
)
_OWN_PLAIN = {"setup", "imports", "functions", "pipeline-parameters", "pipeline-metrics"}


@dataclass(frozen=True)
class Analysis:
    notebook: Notebook
    tagged: TaggedNotebook
    graph: PipelineGraph

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.graph.diagnostics


@dataclass(frozen=True)
class PromoteResult:
    package: Path
    spec: PipelineSpec
    files: tuple[str, ...]
    warnings: tuple[Diagnostic, ...]
    folder: tuple[str, ...] = ()  # the report on the notebook's folder (carried, referenced)
    # Modules of installed distributions in the lock: seen only in the code, or only in the
    # last local run's stage kernels (``learned_imports``; empty before the first run).
    static_only: tuple[str, ...] = ()
    runtime_only: tuple[str, ...] = ()


def analyse(nb: Notebook) -> Analysis:
    tagged = read_tags(nb)
    return Analysis(nb, tagged, build_graph(nb, tagged))


def check(analysis: Analysis) -> None:
    errors = [d for d in analysis.diagnostics if d.severity == "error"]
    if not errors:
        return
    nb = analysis.notebook.path
    lines = [f"{nb}: cannot promote: {len(errors)} problem(s) to fix in the notebook"]
    lines += [f"  {d.render()}" for d in errors]
    raise DiagnosticsError("\n".join(lines), tuple(errors))


def _stage_notebook(
    a: Analysis, flow: StageFlow, spec: PipelineSpec, stage: StageSpec
) -> dict[str, Any]:
    # Templating (jinja2) only when files are written: `cellops check` never needs it.
    from cellops.templating import render

    nb = a.notebook
    params = [p for p in spec.parameters if p.name in flow.parameters]
    cells: list[dict[str, Any]] = [
        _cell(
            "markdown", "cellops-header", render("stage/header.md.j2", stage=stage, pipeline=spec)
        ),
        _cell(
            "code",
            "cellops-parameters",
            render(
                "stage/parameters.py.j2",
                parameters=params,
                inputs=bool(flow.inputs),
                outputs=bool(flow.outputs),
            ),
            tags=["parameters"],
        ),
    ]
    cells += [_statements_cell(a, idx, chosen) for idx, chosen in flow.setup]
    if flow.inputs:
        names = list(flow.inputs)
        targets = ", ".join(names) + ("," if len(names) == 1 else "")
        cells.append(
            _cell(
                "code",
                "cellops-load-inputs",
                render("stage/load_inputs.py.j2", targets=targets, names=names, stage=flow.name),
            )
        )
    # Containers of inputs built again here, so they hold the loaded values themselves.
    cells += [_statements_cell(a, idx, chosen, "-rebuilt") for idx, chosen in flow.rebuilt]
    for idx in flow.stage.cells:
        c = nb.cells[idx]
        tags = [t for t in c.tags if not _OWN_TAG.match(t) and t not in _OWN_PLAIN]
        cells.append(_cell(c.cell_type, c.id, c.source, tags=tags, source=c.index))
    if flow.outputs:
        labels = {n: nb.cells[i].label for n, i in flow.output_cells.items()}
        cells.append(
            _cell(
                "code",
                "cellops-save-outputs",
                render(
                    "stage/save_outputs.py.j2",
                    names=list(flow.outputs),
                    stage=flow.name,
                    cells=labels,
                ),
            )
        )
    metadata: dict[str, Any] = {
        "cellops": {"pipeline": spec.name, "stage": flow.name, "source_sha256": spec.source_sha256},
    }
    for key in ("kernelspec", "language_info"):
        if key in nb.metadata:
            metadata[key] = nb.metadata[key]
    if "kernelspec" not in metadata:
        metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def _statements_cell(
    a: Analysis, idx: int, chosen: tuple[int, ...], suffix: str = ""
) -> dict[str, Any]:
    """Some statements of a source cell; ``suffix`` keeps the id unique in the notebook when
    the same cell also gave definitions to it."""
    source_cell = a.notebook.cells[idx]
    statements = a.graph.setup_statements[idx]
    if len(chosen) == len(statements):
        text = source_cell.source  # all of it: keep the author's comments and layout
    else:
        text = "\n".join(statements[i].source for i in chosen)
    return _cell("code", source_cell.id + suffix, text, source=source_cell.index)


def _cell(
    kind: str, cid: str, text: str, *, tags: list[str] | None = None, source: int | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if tags:
        meta["tags"] = tags
    if source is not None:
        meta["cellops"] = {"source_index": source}
    cell: dict[str, Any] = {
        "cell_type": kind,
        "id": cid,
        "metadata": meta,
        "source": split_lines(text),
    }
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def build_spec(a: Analysis, name: str) -> PipelineSpec:
    nb = a.notebook
    stages = tuple(
        StageSpec(
            name=f.name,
            notebook=layout.stage_notebook(f.name),
            cells=tuple(nb.cells[i].id for i in f.stage.cells),
            parameters=f.parameters,
            inputs=f.sources,
            outputs=f.outputs,
            after=f.upstream,
            options=f.stage.options,
        )
        for f in a.graph.stages
    )
    return PipelineSpec(
        name=name,
        source_notebook=Path(nb.path).name,
        source_sha256=nb.sha256,
        kernel=nb.kernel_name,
        parameters=tuple(Parameter(p.name, p.type, p.default) for p in a.graph.parameters),
        stages=stages,
        edges=tuple(EdgeSpec(e.source, e.target, e.names, e.explicit) for e in a.graph.edges),
        cellops_version=__version__,
    )


def package_files(
    a: Analysis,
    name: str,
    require: Sequence[str] = (),
    folder: FolderPlan | None = None,
    learned: Mapping[str, Sequence[str]] | None = None,
) -> tuple[PipelineSpec, dict[str, bytes]]:
    """``learned``: stage -> modules its kernel imported in the last local run; they are
    pinned too (what ``%matplotlib`` or a library's lazy import needs)."""
    # The Dockerfile templates and the lock are only needed here, not on the analysis path
    # that `cellops check` shares.
    from cellops.package.dockerfile import (
        DOCKERFILE,
        DOCKERIGNORE,
        base_for_lock,
        dockerfile,
        dockerignore,
    )
    from cellops.package.lock import lock_text
    from cellops.templating import render

    spec = build_spec(a, name)
    if folder is not None:
        spec = replace(spec, folder=folder.folder)
    files: dict[str, bytes] = {}
    modules: set[str] = set()
    stages = []
    for flow, stage in zip(a.graph.stages, spec.stages, strict=True):
        stage_nb = _stage_notebook(a, flow, spec, stage)
        data = dumps_notebook(stage_nb).encode()
        files[stage.notebook] = data
        stages.append(replace(stage, **stage_facts(stage_nb, data)))
        modules.update(flow.imports)
    spec = replace(spec, stages=tuple(stages))
    files[layout.SPEC_FILE] = dumps(spec).encode()
    modules.update(runtime_imports(spec, learned or {}))
    lock = lock_text(sorted(modules), require)
    files[layout.LOCK_FILE] = lock.encode()
    files[DOCKERFILE] = dockerfile(spec, base_for_lock(lock)).encode()
    files[DOCKERIGNORE] = dockerignore().encode()
    example = ["cellops", "run", "."]
    example += [
        f"-p {shlex.quote(f'{p.name}={param_text(p.default)}')}" for p in spec.parameters[:1]
    ]
    files["README.md"] = render("README.md.j2", spec=spec, run_example=" ".join(example)).encode()
    files[".gitignore"] = render("gitignore.j2").encode()
    for rel, data in (folder.contents if folder is not None else {}).items():
        files[layout.carried_file(rel)] = data
    return spec, files


def folder_sources(a: Analysis) -> list[tuple[str, str]]:
    """(label, code) of the cells a pipeline runs: what may name files of the folder."""
    return [
        (c.label, c.source)
        for c, role in zip(a.notebook.cells, a.tagged.roles, strict=True)
        if c.cell_type == "code" and role != "skip"
    ]


def runtime_imports(spec: PipelineSpec, learned: Mapping[str, Sequence[str]]) -> set[str]:
    """What the stages of ``spec`` imported in their last local run (stages gone are not)."""
    return {m for s in spec.stages for m in learned.get(s.name, ())}


def default_output(notebook: str | Path) -> Path:
    p = Path(notebook)
    return p.with_name(f"{p.stem}-pipeline")


def promote(
    notebook: str | Path,
    output: str | Path | None = None,
    name: str | None = None,
    require: Sequence[str] = (),
    *,
    carry: bool = True,
    seen: Iterable[str] = (),
    limits: CarryLimits = DEFAULT_LIMITS,
) -> PromoteResult:
    """Write the pipeline package for ``notebook``; nothing is written if anything is wrong.

    ``require`` names distributions to pin that no stage imports (s3fs for an export's
    storage, a database driver loaded by name). ``carry``: copy what the stages need of the
    notebook's folder into the package (``package.folder``), up to ``limits``; ``seen`` adds
    paths relative to that folder that a run recorded reading or importing."""
    if name is not None:
        check_name(name, "--name")  # before anything is read: it names every generated file
    nb = read_notebook(notebook)
    a = analyse(nb)
    check(a)
    if not a.graph.stages:
        raise DiagnosticsError(
            f"{nb.path}: nothing to promote: the notebook has no code cells outside "
            "'skip', 'setup' and 'parameters' cells",
            (),
        )
    for p in a.graph.parameters:
        if non_finite(p.default):
            raise DiagnosticsError(
                f"{nb.path}: parameter '{p.name}' = {p.default!r}: NaN and infinity cannot be "
                "parameter values (runs, exports and the REST API carry them as JSON, which has "
                "neither); use a finite number or None",
                (),
            )
    pipeline_name = name or default_stage_name(str(notebook))
    target = Path(output) if output is not None else default_output(notebook)
    plan = None
    if carry:
        plan = plan_folder(
            Path(nb.path).parent, folder_sources(a), seen=seen, exclude=[target], limits=limits
        )
    learned = learned_imports.read(target)
    spec, files = package_files(a, pipeline_name, require, plan, learned)
    replace_tree(target, files, marker=layout.SPEC_FILE)
    warnings = tuple(d for d in a.diagnostics if d.severity == "warning")
    report: tuple[str, ...] = ()
    if plan is not None:
        report = tuple(folder_report(plan.folder, target, plan.outside, limits))
    from cellops.package.lock import distribution_modules

    static = distribution_modules(m for f in a.graph.stages for m in f.imports)
    ran = runtime_imports(spec, learned)
    return PromoteResult(
        target,
        spec,
        tuple(sorted(files)),
        warnings,
        report,
        static_only=tuple(sorted(static - ran)) if ran else (),
        runtime_only=tuple(sorted(distribution_modules(ran) - static)),
    )
