"""Changes made through aliases, followed across the notebook so none is silently lost.

``data = [train, test]`` then ``for d in data: d["x"] = 1`` changes ``train`` and ``test``. In
one kernel that is plain Python; in a pipeline every value crosses a stage boundary as its own
copy, so the sharing holds only inside the stage that set it up. A change through an alias
set up in the same stage (or in setup code, which every stage runs) therefore changes the
other names too, and the stage passes them on. One set up in another stage cannot reach them:
when a later cell reads such a name, the pipeline would give a different result than the
notebook, and that is an error naming both cells and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cellops.analysis.cells import CellAnalysis
from cellops.notebook.read import Cell, Notebook
from cellops.notebook.tags import Diagnostic, diagnostic

_SETUP = ""  # links made by setup code hold in every stage


@dataclass(frozen=True)
class _Lost:
    changed_in: int  # the cell that changed the value through the alias
    via: str  # the name it changed
    linked_in: int  # the cell that made the alias
    stage: str  # the stage that changed it


class AliasTracker:
    """Fed every pipeline cell in notebook order; collects the diagnostics."""

    def __init__(self, nb: Notebook) -> None:
        self.nb = nb
        # name -> {other name: (stage that linked them, cell index)}
        self.links: dict[str, dict[str, tuple[str, int]]] = {}
        self.lost: dict[str, _Lost] = {}
        self.reported: set[tuple[int, str]] = set()
        self.diagnostics: list[Diagnostic] = []

    def cell(self, cell: Cell, stage: str | None, analysis: CellAnalysis) -> frozenset[str]:
        """Record ``cell`` (of ``stage``; None for setup code); returns what it changes.

        That is its own ``mutates`` plus every name it changes through an alias that holds
        inside ``stage``.
        """
        if stage is not None:
            for name in sorted(analysis.uses):
                self._check_read(name, cell, stage)
        for name in analysis.defines | analysis.deletes:
            self._unlink(name)
            self.lost.pop(name, None)
        here = _SETUP if stage is None else stage
        for name, sources in analysis.aliases:
            self.relink(name, sources, here, cell.index)
        changed = set(analysis.mutates)
        for name in analysis.mutates:
            live, lost = self._reach(name, here)
            changed |= live
            for other, (via, linked_in) in lost.items():
                if other not in live:
                    self.lost[other] = _Lost(cell.index, via, linked_in, here)
        for name in changed:
            self.lost.pop(name, None)
        return frozenset(changed)

    def rebuildable(self, name: str, analysis: CellAnalysis) -> frozenset[str] | None:
        """The names ``name`` was built from, if it can be built again in another stage.

        That holds when its links all come from one plain assignment of a container of names
        (``combine = [train_df, test_df]``, ``analysis`` is that cell's) and none was undone
        since: rebuilding it next to those names' current values gives the stage the very
        sharing the notebook has, where loading it would give separate copies.
        """
        links = self.links.get(name)
        sources = dict(analysis.aliases).get(name)
        if not links or sources is None or name in analysis.mutates:
            return None
        if set(links) != set(sources) or len({cell for _, cell in links.values()}) != 1:
            return None
        return sources

    def rebuilt(self, name: str, sources: frozenset[str], stage: str, index: int) -> None:
        self._unlink(name)
        self.relink(name, sources, stage, index)

    def relink(self, name: str, sources: frozenset[str], stage: str, index: int) -> None:
        """``name`` is (again) made of ``sources``, in ``stage``, by cell ``index``."""
        for other in sources:
            self.links.setdefault(name, {})[other] = (stage, index)
            self.links.setdefault(other, {})[name] = (stage, index)

    def _unlink(self, name: str) -> None:
        for other in self.links.pop(name, {}):
            self.links.get(other, {}).pop(name, None)

    def _reach(self, start: str, stage: str) -> tuple[set[str], dict[str, tuple[str, int]]]:
        """Names sharing objects with ``start``: inside ``stage``, and only in other stages
        (each with the name through which it was reached and the cell that linked them)."""
        live = {start}
        todo = [start]
        while todo:
            name = todo.pop()
            for other, (where, _) in self.links.get(name, {}).items():
                if where in (stage, _SETUP) and other not in live:
                    live.add(other)
                    todo.append(other)
        lost: dict[str, tuple[str, int]] = {}
        todo = sorted(live)
        while todo:
            name = todo.pop()
            for other, (_, index) in sorted(self.links.get(name, {}).items()):
                if other not in live and other not in lost:
                    lost[other] = (name, index)
                    todo.append(other)
        return live, lost

    def _check_read(self, name: str, cell: Cell, stage: str) -> None:
        lost = self.lost.get(name)
        if lost is None or (lost.changed_in, name) in self.reported:
            return
        self.reported.add((lost.changed_in, name))
        cells = self.nb.cells
        changed, linked = cells[lost.changed_in], cells[lost.linked_in]
        self.diagnostics.append(
            diagnostic(
                "error",
                "alias-change-lost",
                f"stage '{lost.stage}' changes '{lost.via}' in {changed.label}, and through it "
                f"'{name}' (they share objects since {linked.label}); values cross stages as "
                f"separate copies, so stage '{stage}' would read '{name}' without that change "
                f"and give a different result than the notebook. Make the alias in stage "
                f"'{lost.stage}' itself (move {linked.label} into it or repeat the assignment "
                f"there), or change '{name}' directly",
                changed,
                lost.stage,
            )
        )
