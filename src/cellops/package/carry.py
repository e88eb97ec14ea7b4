"""Definitions a later stage uses are carried there: the import or ``def`` runs again.

A module, function, class or lambda cannot cross a stage boundary as a value (a module does
not pickle; a function or class pickles as a reference to ``__main__`` that the next kernel
cannot resolve). What a user wants is the definition itself in the later stage, so the
statement that makes it is repeated there, next to the stage's setup code. That is only
sound when everything the definition reads exists in that stage too: parameters, setup code,
other carried definitions, or the stage's own names. A definition reading a value only
another stage computes cannot be repeated, which is an error with the fix.

The same holds for setup code: every stage runs it before its own cells, so a name it reads
that only a stage defines (``KernelDensity`` imported in a stage) fails with ``NameError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from cellops.analysis.cells import BUILTIN_NAMES, CellAnalysis, Statement, split_statements
from cellops.notebook.read import Notebook
from cellops.notebook.tags import Diagnostic, diagnostic

Kind = Literal["param", "setup", "stage"]
Last = Mapping[str, tuple[Kind, str, int]]  # name -> where its latest definition is

# Definitions a value's pickle may refer to as ``__main__.NAME``: classes, whose instances are
# everywhere. Functions are as often only called to compute a plain value, and carrying them
# along with every such value would put them into stages that never need them.
_PICKLED_BY_NAME = frozenset({"class"})
_WORD = {"import": "module", "function": "function", "class": "class", "lambda": "lambda"}


class Carrier:
    def __init__(self, nb: Notebook, analyse: Callable[[int], CellAnalysis]) -> None:
        self.nb = nb
        self.analyse = analyse
        self.statements: dict[int, tuple[Statement, ...]] = {}
        # stage -> cell index -> indices of the statements repeated in that stage
        self.carried: dict[str, dict[int, set[int]]] = {}
        self.params_used: dict[str, set[str]] = {}
        self.setup_used: dict[str, set[str]] = {}
        self.diagnostics: list[Diagnostic] = []
        self._reported: set[tuple[str, str]] = set()

    def statements_of(self, index: int) -> tuple[Statement, ...]:
        if index not in self.statements:
            self.statements[index] = split_statements(self.nb.cells[index].source)
        return self.statements[index]

    def kind(self, index: int, name: str) -> str | None:
        return dict(self.analyse(index).definitions).get(name)

    def carry(self, name: str, stage: str, index: int, source: str, last: Last) -> bool:
        """Repeat the definition of ``name`` (in cell ``index`` of stage ``source``) in
        ``stage``; False when ``name`` is a plain value (an error is recorded when it is a
        definition that cannot be repeated)."""
        kind = self.kind(index, name)
        if kind is None:
            return False
        plan: dict[int, set[int]] = {}
        params: set[str] = set()
        setup: set[str] = set()
        blocked = self._plan(name, stage, index, last, plan, params, setup)
        if blocked is not None:
            self._refuse(name, kind, stage, index, source, blocked)
            return False
        self._commit(stage, plan, params, setup)
        return True

    def carry_for_value(self, stage: str, index: int, last: Last) -> None:
        """Definitions the value made in cell ``index`` may need to be read back in ``stage``.

        A pickled instance of a notebook class is a reference to ``__main__.NAME``: loading it
        in ``stage`` needs the class there first. Classes the making cell reads or defines are
        carried (setup ones selected) where they can be; where one cannot, nothing is
        reported, as the value may not need it.
        """
        a = self.analyse(index)
        for name in sorted(a.uses | dict(a.definitions).keys()):
            found = last.get(name)
            if found is None:
                continue
            where, source, at = found
            if where == "param" or self.kind(at, name) not in _PICKLED_BY_NAME:
                continue
            if where == "setup":
                self.setup_used.setdefault(stage, set()).add(name)
            elif source != stage:
                plan: dict[int, set[int]] = {}
                params: set[str] = set()
                setup: set[str] = set()
                if self._plan(name, stage, at, last, plan, params, setup) is None:
                    self._commit(stage, plan, params, setup)

    def _commit(
        self, stage: str, plan: dict[int, set[int]], params: set[str], setup: set[str]
    ) -> None:
        for cell, found in plan.items():
            self.carried.setdefault(stage, {}).setdefault(cell, set()).update(found)
        self.params_used.setdefault(stage, set()).update(params)
        self.setup_used.setdefault(stage, set()).update(setup)

    def _plan(
        self,
        name: str,
        stage: str,
        index: int,
        last: Last,
        plan: dict[int, set[int]],
        params: set[str],
        setup: set[str],
    ) -> tuple[str, str] | None:
        """Fill ``plan`` with the statements to repeat; (name, stage) of a value in the way."""
        stmts = self.statements_of(index)
        k = max(i for i, st in enumerate(stmts) if name in st.defines)
        if k in plan.get(index, set()):
            return None  # already planned (mutual recursion)
        plan.setdefault(index, set()).add(k)
        for used in sorted(stmts[k].uses - stmts[k].defines - BUILTIN_NAMES):
            found = last.get(used)
            if found is None:
                continue  # no cell defines it: reported as an undefined name elsewhere
            where, other, at = found
            if where == "param":
                params.add(used)
            elif where == "setup":
                setup.add(used)
            elif other == stage:
                continue  # the stage's own name, there when the definition is used
            elif self.kind(at, used) is None:
                return used, other
            else:
                blocked = self._plan(used, stage, at, last, plan, params, setup)
                if blocked is not None:
                    return blocked
        return None

    def _refuse(
        self, name: str, kind: str, stage: str, index: int, source: str, blocked: tuple[str, str]
    ) -> None:
        if (stage, name) in self._reported:
            return
        self._reported.add((stage, name))
        cell = self.nb.cells[index]
        word = _WORD[kind]
        value, owner = blocked
        self.diagnostics.append(
            diagnostic(
                "error",
                "definition-crosses-stages",
                f"stage '{stage}' uses '{name}', a {word} defined in stage '{source}' "
                f"({cell.label}); a {word} cannot be passed between stages as a value, and its "
                f"definition cannot be repeated in '{stage}' because it uses '{value}', which "
                f"only stage '{owner}' computes. Move the definition, and what it uses, into a "
                "setup cell (or pass it the value as an argument)",
                cell,
                source,
            )
        )


def check_setup_names(
    nb: Notebook,
    setup_statements: Mapping[int, tuple[Statement, ...]],
    known: set[str],
    stage_defs: Mapping[str, tuple[str, int]],
) -> list[Diagnostic]:
    """Names setup code reads that only a stage defines (``stage_defs``: name -> (stage,
    cell)); ``known`` are the parameters' names."""
    provided = set(known).union(*(st.defines for sts in setup_statements.values() for st in sts))
    out = []
    for index, statements in setup_statements.items():
        used = {n for st in statements for n in st.uses}
        missing = sorted((used - provided - BUILTIN_NAMES) & stage_defs.keys())
        for name in missing:
            stage, at = stage_defs[name]
            out.append(
                diagnostic(
                    "error",
                    "setup-uses-stage-name",
                    f"setup code uses '{name}', which only stage '{stage}' defines "
                    f"({nb.cells[at].label}); every stage runs setup code before its own cells, "
                    f"so it would fail with NameError: move the definition of '{name}' (an "
                    "import belongs there) into a setup cell",
                    nb.cells[index],
                )
            )
    return out
