"""The stage DAG: data edges from static analysis, explicit ``after:`` edges, ordering edges of
stages that share a file (``package.fileorder``), order and cycles.

A stage's inputs are the names it reads whose most recent definition (in notebook order, as a
top-to-bottom run would see them) is in another stage; the defining stage then outputs them.
Only names that cross a stage boundary are stored, and stages that share no names stay
independent, so a fan-out runs in parallel.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from graphlib import CycleError, TopologicalSorter
from typing import Literal

from cellops.analysis.cells import (
    BUILTIN_NAMES,
    CellAnalysis,
    LiteralParameter,
    Statement,
    analyze_cell,
    literal_parameters,
    select_statements,
    split_statements,
)
from cellops.analysis.paths import FileRefs, file_refs
from cellops.notebook.read import Notebook
from cellops.notebook.tags import Diagnostic, TaggedNotebook, TaggedStage, diagnostic
from cellops.package.aliases import AliasTracker
from cellops.package.carry import Carrier, check_setup_names
from cellops.package.fileorder import file_edges
from cellops.package.unseen import unseen_reads


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    names: tuple[str, ...]  # empty for a pure after: edge
    explicit: bool  # an after: tag asked for it


@dataclass(frozen=True)
class StageFlow:
    stage: TaggedStage
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    sources: dict[str, str] = field(compare=False, hash=False)  # input name -> upstream stage
    output_cells: dict[str, int] = field(compare=False, hash=False)  # name -> defining cell
    parameters: tuple[str, ...] = ()
    setup: tuple[tuple[int, tuple[int, ...]], ...] = ()  # (setup cell, statement indices)
    # (cell, statement indices) of containers built again after the inputs are loaded
    rebuilt: tuple[tuple[int, tuple[int, ...]], ...] = ()
    imports: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.stage.name


@dataclass(frozen=True)
class PipelineGraph:
    stages: tuple[StageFlow, ...]  # in a topological order (notebook order where free)
    edges: tuple[Edge, ...]
    parameters: tuple[LiteralParameter, ...]
    diagnostics: tuple[Diagnostic, ...]
    setup_statements: dict[int, tuple[Statement, ...]] = field(compare=False, hash=False)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def stage(self, name: str) -> StageFlow:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)


Kind = Literal["param", "setup", "stage"]


class _Flow:
    def __init__(self, nb: Notebook, tagged: TaggedNotebook) -> None:
        self.nb = nb
        self.tagged = tagged
        self.diags: list[Diagnostic] = list(tagged.diagnostics)
        self.analysis: dict[int, CellAnalysis] = {}
        self.stage_of: dict[int, str] = {i: s.name for s in tagged.stages for i in s.cells}
        self.inputs: dict[str, dict[str, str]] = {s.name: {} for s in tagged.stages}
        self.outputs: dict[str, dict[str, int]] = {s.name: {} for s in tagged.stages}
        self.params_used: dict[str, set[str]] = {s.name: set() for s in tagged.stages}
        self.setup_used: dict[str, set[str]] = {s.name: set() for s in tagged.stages}
        self.imports: dict[str, set[str]] = {s.name: set() for s in tagged.stages}
        self.star = False
        self.aliases = AliasTracker(nb)
        self.carrier = Carrier(nb, self.analyse)
        self.stage_defs: dict[str, tuple[str, int]] = {}
        self.rebuilt: dict[str, dict[int, set[int]]] = {}
        # notebook functions -> positions of the arguments they change in place
        self.changers: dict[str, frozenset[int]] = {}

    def analyse(self, index: int) -> CellAnalysis:
        cached = self.analysis.get(index)
        if cached is None:
            cell = self.nb.cells[index]
            cached = analyze_cell(cell.source)
            self.analysis[index] = cached
            if cached.error and self.tagged.roles[index] in ("stage", "setup"):
                self.diags.append(
                    diagnostic(
                        "error",
                        "syntax-error",
                        f"the code does not parse ({cached.error}); fix it, or tag the cell "
                        "'skip' to leave it out of the pipeline",
                        cell,
                        self.stage_of.get(index),
                    )
                )
        return cached

    def parameters(self) -> tuple[LiteralParameter, ...]:
        idx = self.tagged.parameters_cell
        if idx is None:
            return ()
        cell = self.nb.cells[idx]
        params, problems = literal_parameters(cell.source)
        for problem in problems:
            self.diags.append(
                diagnostic(
                    "error",
                    "non-literal-parameter",
                    f"parameters cell: {problem}",
                    cell,
                )
            )
        return params

    def run(self) -> PipelineGraph:
        params = self.parameters()
        roles = self.tagged.roles
        last: dict[str, tuple[Kind, str, int]] = {
            p.name: ("param", "", self.tagged.parameters_cell or 0) for p in params
        }
        if self.tagged.parameters_cell is not None:
            # An import there is already an error ("move imports to a setup cell"); the later
            # uses of the module are not "undefined" as well.
            for name in self.analyse(self.tagged.parameters_cell).defines:
                last.setdefault(name, ("param", "", self.tagged.parameters_cell))
        setup_statements: dict[int, tuple[Statement, ...]] = {}
        for idx in self.tagged.setup_cells:
            stmts = split_statements(self.nb.cells[idx].source)
            setup_statements[idx] = stmts
            self.analyse(idx)
            for st in stmts:
                for name in st.defines:
                    last.setdefault(name, ("setup", "", idx))
        skip_defs: dict[str, int] = {}
        later_defs: dict[str, int] = {}
        for cell in self.nb.cells:
            if cell.cell_type != "code" or roles[cell.index] == "parameters":
                continue
            a = self.analyse(cell.index)
            self.star = self.star or (a.star_import and roles[cell.index] != "skip")
            for name in a.defines | a.mutates:
                later_defs.setdefault(name, cell.index)
        local: dict[str, set[str]] = {s.name: set() for s in self.tagged.stages}
        for cell in self.nb.cells:
            if cell.cell_type != "code":
                continue
            role = roles[cell.index]
            a = self.analyse(cell.index)
            if role == "skip":
                for name in a.defines | a.mutates:
                    skip_defs.setdefault(name, cell.index)
                continue
            if role in ("setup", "stage"):
                a = self.with_changing_calls(a)
            if role == "setup":
                self.aliases.cell(cell, None, a)
                for name in a.defines:
                    last[name] = ("setup", "", cell.index)
                continue
            if role != "stage":
                continue
            stage = self.stage_of[cell.index]
            self.imports[stage] |= a.imports
            for name in sorted(a.uses):
                if name in local[stage]:
                    continue
                self.resolve(name, stage, cell.index, last, skip_defs, later_defs)
            for name in a.defines:
                self.stage_defs.setdefault(name, (stage, cell.index))
            changed = self.aliases.cell(cell, stage, a)
            local[stage] |= a.defines | changed
            local[stage] -= a.deletes
            for name in a.defines | changed:
                last[name] = ("stage", stage, cell.index)
            for name in a.deletes:
                last.pop(name, None)
        self.diags += self.aliases.diagnostics
        self.diags += self.carrier.diagnostics
        known = {p.name for p in params}
        self.diags += check_setup_names(self.nb, setup_statements, known, self.stage_defs)
        self.diags += unseen_reads(self.nb, self.tagged, known)
        for stage, used in self.carrier.params_used.items():
            self.params_used[stage] |= used
        for stage, used in self.carrier.setup_used.items():
            self.setup_used[stage] |= used
        return self.assemble(params, setup_statements)

    def with_changing_calls(self, a: CellAnalysis) -> CellAnalysis:
        """``a`` with the arguments it passes to notebook functions that change them."""
        for name, kind in a.definitions:
            if kind == "function":
                self.changers.pop(name, None)
        self.changers.update(a.changes_params)
        changed = a.changed_by_calls(self.changers)
        return replace(a, mutates=a.mutates | changed) if changed - a.mutates else a

    def resolve(
        self,
        name: str,
        stage: str,
        index: int,
        last: dict[str, tuple[Kind, str, int]],
        skip_defs: dict[str, int],
        later_defs: dict[str, int],
    ) -> None:
        cell = self.nb.cells[index]
        found = last.get(name)
        if found is None:
            if name in skip_defs and skip_defs[name] < index:
                other = self.nb.cells[skip_defs[name]]
                self.diags.append(
                    diagnostic(
                        "error",
                        "hidden-state",
                        f"stage '{stage}' uses '{name}', which only the skip cell "
                        f"{other.label} defines; the pipeline never runs skip cells, so move that "
                        "code into a stage or a setup cell",
                        cell,
                        stage,
                    )
                )
            elif name in later_defs and later_defs[name] > index:
                other = self.nb.cells[later_defs[name]]
                self.diags.append(
                    diagnostic(
                        "error",
                        "hidden-state",
                        f"stage '{stage}' uses '{name}' before any cell defines it (it is first "
                        f"defined later, in {other.label}); this works only with leftover "
                        "notebook state: move the definition above this cell",
                        cell,
                        stage,
                    )
                )
            elif name not in BUILTIN_NAMES and not self.star:
                self.diags.append(
                    diagnostic(
                        "warning",
                        "undefined-name",
                        f"stage '{stage}' uses '{name}', which no cell of the notebook defines; "
                        "the stage will fail with NameError unless the kernel provides it",
                        cell,
                        stage,
                    )
                )
            return
        kind, source, def_index = found
        if kind == "param":
            self.params_used[stage].add(name)
        elif kind == "setup":
            self.setup_used[stage].add(name)
        elif source != stage and not self.carrier.carry(name, stage, def_index, source, last):
            if self.rebuild(name, stage, index, def_index, last, skip_defs, later_defs):
                return
            self.inputs[stage].setdefault(name, source)
            self.outputs[source][name] = def_index
            self.carrier.carry_for_value(stage, def_index, last)

    def rebuild(
        self,
        name: str,
        stage: str,
        index: int,
        def_index: int,
        last: dict[str, tuple[Kind, str, int]],
        skip_defs: dict[str, int],
        later_defs: dict[str, int],
    ) -> bool:
        """Build ``combine = [a, b]`` again in ``stage`` from its parts, see ``rebuildable``."""
        sources = self.aliases.rebuildable(name, self.analyse(def_index))
        if sources is None:
            return False
        statements = self.carrier.statements_of(def_index)
        k = max(i for i, st in enumerate(statements) if name in st.defines)
        if statements[k].defines != {name} or statements[k].uses != sources:
            return False
        self.rebuilt.setdefault(stage, {}).setdefault(def_index, set()).add(k)
        for part in sorted(sources):
            self.resolve(part, stage, index, last, skip_defs, later_defs)
        self.aliases.rebuilt(name, sources, stage, def_index)
        return True

    def assemble(
        self,
        params: tuple[LiteralParameter, ...],
        setup_statements: dict[int, tuple[Statement, ...]],
    ) -> PipelineGraph:
        param_names = {p.name for p in params}
        edges: dict[tuple[str, str], tuple[set[str], bool]] = {}
        for stage, ins in self.inputs.items():
            for name, src in ins.items():
                edges.setdefault((src, stage), (set(), False))[0].add(name)
        for s in self.tagged.stages:
            for target, _ in s.after:
                names, _explicit = edges.get((target, s.name), (set(), False))
                edges[(target, s.name)] = (names, True)
        stages = [s.name for s in self.tagged.stages]
        for pair in file_edges(stages, self.stage_refs(), set(edges)):
            edges[pair] = (set(), False)
        order = self.order(edges)
        flows = []
        for s in order:
            params_used = set(self.params_used[s.name])
            imports = set(self.imports[s.name])
            # One selection over every setup cell: a helper in one cell may need an import
            # from another.
            flat = [
                (idx, i, st)
                for idx, stmts in setup_statements.items()
                for i, st in enumerate(stmts)
            ]
            chosen = select_statements([st for _, _, st in flat], self.setup_used[s.name])
            per_cell: dict[int, list[int]] = {}
            for k in chosen:
                idx, i, st = flat[k]
                per_cell.setdefault(idx, []).append(i)
                params_used |= st.uses & param_names
                imports |= st.imports
            setup = [(idx, tuple(ix)) for idx, ix in per_cell.items()]
            for idx, found in sorted(self.carrier.carried.get(s.name, {}).items()):
                setup.append((idx, tuple(sorted(found))))
                imports.update(*(self.carrier.statements[idx][i].imports for i in found))
            outs = self.outputs[s.name]
            flows.append(
                StageFlow(
                    stage=s,
                    inputs=tuple(sorted(self.inputs[s.name])),
                    sources=dict(sorted(self.inputs[s.name].items())),
                    outputs=tuple(sorted(outs)),
                    output_cells=dict(sorted(outs.items())),
                    parameters=tuple(p.name for p in params if p.name in params_used),
                    setup=tuple(setup),
                    rebuilt=tuple(
                        (idx, tuple(sorted(ks)))
                        for idx, ks in sorted(self.rebuilt.get(s.name, {}).items())
                    ),
                    imports=tuple(sorted(imports)),
                    upstream=tuple(sorted({a for (a, b) in edges if b == s.name})),
                )
            )
        edge_list = tuple(
            Edge(a, b, tuple(sorted(names)), explicit)
            for (a, b), (names, explicit) in sorted(
                edges.items(), key=lambda kv: (self.position(kv[0][0]), self.position(kv[0][1]))
            )
        )
        statements = {**setup_statements, **self.carrier.statements}
        return PipelineGraph(tuple(flows), edge_list, params, tuple(self.diags), statements)

    def stage_refs(self) -> dict[str, FileRefs]:
        """The paths each stage's own code cells name and may write (``package.fileorder``)."""
        cells = self.nb.cells
        return {
            s.name: FileRefs.union(
                [file_refs(cells[i].source) for i in s.cells if cells[i].cell_type == "code"]
            )
            for s in self.tagged.stages
        }

    def position(self, stage: str) -> int:
        for s in self.tagged.stages:
            if s.name == stage:
                return s.first_cell
        return -1

    def order(self, edges: dict[tuple[str, str], tuple[set[str], bool]]) -> list[TaggedStage]:
        """A topological order taking the earliest stage in the notebook among the ready ones.

        A cycle is reported as a diagnostic and the stages keep their notebook order.
        """
        stages = {s.name: s for s in self.tagged.stages}
        sorter: TopologicalSorter[str] = TopologicalSorter({n: set() for n in stages})
        for a, b in edges:
            sorter.add(b, a)
        try:
            sorter.prepare()
        except CycleError as exc:
            self.report_cycle(edges, list(exc.args[1]))
            return list(self.tagged.stages)
        out: list[TaggedStage] = []
        ready: list[str] = []
        while sorter.is_active():
            ready = sorted([*ready, *sorter.get_ready()], key=self.position)
            name = ready.pop(0)
            out.append(stages[name])
            sorter.done(name)
        return out

    def report_cycle(
        self, edges: dict[tuple[str, str], tuple[set[str], bool]], found: list[str]
    ) -> None:
        # graphlib gives the cycle in data-flow order, closed (first == last); it is shown
        # from its earliest stage in the notebook.
        ring = found[:-1]
        first = min(range(len(ring)), key=lambda k: self.position(ring[k]))
        cycle = [*ring[first:], *ring[:first], ring[first]]
        links = []
        culprit = None
        for a, b in itertools.pairwise(cycle):
            names, explicit = edges[(a, b)]
            if explicit:
                stage = next(s for s in self.tagged.stages if s.name == b)
                idx = next(i for t, i in stage.after if t == a)
                culprit = culprit or self.nb.cells[idx]
                links.append(f"{b} after:{a} ({self.nb.cells[idx].label})")
            else:
                links.append(f"{b} uses {', '.join(sorted(names))} from {a}")
        start = self.nb.cells[
            min(stage.first_cell for stage in self.tagged.stages if stage.name in cycle)
        ]
        self.diags.append(
            diagnostic(
                "error",
                "cycle",
                "stages form a cycle: " + " -> ".join(cycle) + " (" + "; ".join(links) + "); "
                "remove an after: tag or move the code so data flows one way",
                culprit or start,
                cycle[0],
            )
        )


def build_graph(nb: Notebook, tagged: TaggedNotebook) -> PipelineGraph:
    """Stages with inputs, outputs, parameters and setup code, plus edges and diagnostics."""
    return _Flow(nb, tagged).run()
