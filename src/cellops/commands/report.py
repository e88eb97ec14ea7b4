"""What the CLI prints about a notebook's stages and a promoted package."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from cellops.notebook.tags import Diagnostic
    from cellops.package.promote import Analysis, PromoteResult


def _diagnostics(diags: tuple[Diagnostic, ...], out: TextIO) -> None:
    for d in diags:
        print(f"  {d.render()}", file=out)


def print_check(analysis: Analysis, out: TextIO = sys.stdout) -> None:
    g = analysis.graph
    nb = analysis.notebook
    print(f"{nb.path}: {len(g.stages)} stage(s), {len(g.parameters)} parameter(s)", file=out)
    for p in g.parameters:
        print(f"  parameter {p.name}: {p.type} = {p.default!r}", file=out)
    for f in g.stages:
        first = nb.cells[f.stage.first_cell]
        ins = ", ".join(f.inputs) or "-"
        outs = ", ".join(f.outputs) or "-"
        after = ", ".join(f.upstream) or "-"
        print(
            f"  stage {f.name} (from {first.label}): after {after}; in {ins}; out {outs}", file=out
        )
    if g.diagnostics:
        print("diagnostics:", file=out)
        _diagnostics(g.diagnostics, out)


def print_promote(result: PromoteResult, out: TextIO = sys.stdout) -> None:
    spec = result.spec
    print(
        f"promoted {spec.source_notebook} -> {result.package} "
        f"({len(spec.stages)} stage(s), {len(spec.parameters)} parameter(s))",
        file=out,
    )
    for s in spec.stages:
        after = f" after {', '.join(s.after)}" if s.after else ""
        print(f"  {s.notebook}{after}", file=out)
    if result.warnings:
        print("warnings:", file=out)
        _diagnostics(result.warnings, out)
    print(f"run it with: cellops run {result.package}", file=out)
