"""Check-time diagnostic: a stage reads outside Python from a path the cache cannot follow.

A cached result is reused only while everything the stage read hashes the same. Reads
through Python's ``open`` are recorded at run time; reads in C (pyarrow, HDF5, polars) are
covered by the paths the stage's code names and the parameters it reads (``run.named``). A
C-level read whose path is computed at run time escapes both, so ``check`` says so, naming
the cell and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable

from cellops.analysis.readers import may_read_unseen, path_use
from cellops.notebook.read import Notebook
from cellops.notebook.tags import Diagnostic, TaggedNotebook, diagnostic


def unseen_reads(
    nb: Notebook, tagged: TaggedNotebook, parameters: Iterable[str]
) -> list[Diagnostic]:
    """One warning per C-level read whose path neither the code nor a parameter spells."""
    setup_bound: set[str] | None = None  # only parsed when some stage may read unseen
    out = []
    for stage in tagged.stages:
        if not stage.options.cache:
            continue  # never reused: nothing can be stale
        cells = [nb.cells[i] for i in stage.cells if nb.cells[i].cell_type == "code"]
        if not any(may_read_unseen(c.source) for c in cells):
            continue
        if setup_bound is None:
            setup_bound = set(parameters)
            for index in tagged.setup_cells:
                setup_bound |= path_use(nb.cells[index].source).bound
        bound = set(setup_bound).union(*(path_use(c.source).bound for c in cells))
        for cell in cells:
            for read in path_use(cell.source).unseen:
                if read.variable is not None and read.variable in bound:
                    continue
                what = f"'{read.variable}'" if read.variable else "a path computed at run time"
                out.append(
                    diagnostic(
                        "warning",
                        "unseen-read",
                        f"stage '{stage.name}' reads {what} with {read.reader} (line "
                        f"{read.line}), which opens files outside Python: cellops cannot see "
                        "that read, so a cached result could be served after the file "
                        "changes. Spell the path as a literal (or a glob pattern) in the stage, "
                        "pass it as a parameter, or tag the stage cache:off",
                        cell,
                        stage.name,
                    )
                )
    return out
