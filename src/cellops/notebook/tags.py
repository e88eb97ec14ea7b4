"""The tag vocabulary: cell tags -> cell roles, stages and stage options, with diagnostics.

Tags live in each cell's standard ``metadata.tags``. cellops' own vocabulary is read, and so is
Kale's (``block:``/``step:``, ``prev:``, ``imports``, ``functions``, ``pipeline-parameters``,
``pipeline-metrics``), so teams can move over without re-tagging. A notebook without stage
tags is one stage.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from cellops.notebook.options import OptionProblem, parse_option
from cellops.notebook.read import Cell, Notebook

Severity = Literal["error", "warning"]
Role = Literal["parameters", "setup", "skip", "stage", "none"]

STAGE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")

PLAIN_TAGS = frozenset({"parameters", "setup", "skip"})
KALE_PLAIN_TAGS = frozenset({"imports", "functions", "pipeline-parameters", "pipeline-metrics"})
PREFIX_TAGS = frozenset(
    {"stage", "after", "cpu", "memory", "gpu", "retries", "timeout", "cache", "image"}
)
KALE_PREFIX_TAGS = frozenset({"block", "step", "prev", "limit", "annotation", "label"})
# Tags other Jupyter tools put on cells; they are not ours to judge.
FOREIGN_TAGS = frozenset(
    {
        "injected-parameters",
        "papermill-error-cell-tag",
        "hide-input",
        "hide-output",
        "hide-cell",
        "remove-input",
        "remove-output",
        "remove-cell",
        "raises-exception",
        "skip-execution",
        "full-width",
        "margin",
        "thebe-init",
        "output_scroll",
        "scroll-output",
        "nbval-ignore-output",
        "nbval-skip",
        "nbval-raises-exception",
        "active-ipynb",
        "export",
    }
)
KALE_METRICS_STAGE = "pipeline_metrics"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    cell_index: int | None = None
    cell_id: str | None = None
    stage: str | None = None

    def render(self) -> str:
        where = (
            f"cell {self.cell_index + 1} (id {self.cell_id}): "
            if self.cell_index is not None
            else ""
        )
        return f"{self.severity}: {where}{self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "cell_index": self.cell_index,
            "cell_id": self.cell_id,
            "stage": self.stage,
        }


def diagnostic(
    severity: Severity, code: str, message: str, cell: Cell | None = None, stage: str | None = None
) -> Diagnostic:
    return Diagnostic(
        severity,
        code,
        message,
        cell.index if cell is not None else None,
        cell.id if cell is not None else None,
        stage,
    )


@dataclass(frozen=True)
class StageOptions:
    cpu: str | None = None
    memory: str | None = None
    gpu: int | None = None
    retries: int | None = None
    timeout: int | None = None  # seconds
    cache: bool = True
    image: str | None = None

    def to_dict(self) -> dict[str, object]:
        """Only the options that were set, so pipeline.yaml stays short."""
        out: dict[str, object] = {}
        for key in ("cpu", "memory", "gpu", "retries", "timeout", "image"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if not self.cache:
            out["cache"] = False
        return out


@dataclass(frozen=True)
class TaggedStage:
    name: str
    cells: tuple[int, ...]  # code and markdown cells, in notebook order
    after: tuple[tuple[str, int], ...] = ()  # (target stage, index of the cell carrying after:)
    options: StageOptions = field(default_factory=StageOptions)

    @property
    def first_cell(self) -> int:
        return self.cells[0]


@dataclass(frozen=True)
class TaggedNotebook:
    roles: tuple[Role, ...]
    stages: tuple[TaggedStage, ...]
    parameters_cell: int | None
    setup_cells: tuple[int, ...]
    diagnostics: tuple[Diagnostic, ...]
    dialect: Literal["cellops", "kale", "untagged"]


def default_stage_name(notebook_path: str) -> str:
    stem = re.split(r"[\\/]", notebook_path)[-1].rsplit(".", 1)[0].lower()
    slug = re.sub(r"[^a-z0-9_-]+", "_", stem).strip("_-")
    if not slug or not slug[0].isalpha():
        slug = "main" if not slug else f"nb_{slug}"
    return slug[:63]


def _suggest(word: str, vocabulary: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(vocabulary), n=1, cutoff=0.75)
    return close[0] if close else None


class _Reader:
    """One pass over the cells; collects roles, stage membership, options and diagnostics."""

    def __init__(self, nb: Notebook) -> None:
        self.nb = nb
        self.diags: list[Diagnostic] = []
        self.roles: list[Role] = ["none"] * len(nb.cells)
        self.stage_cells: dict[str, list[int]] = {}
        self.stage_after: dict[str, list[tuple[str, int]]] = {}
        self.stage_opts: dict[str, dict[str, tuple[object, int]]] = {}
        self.parameters_cell: int | None = None
        self.setup: list[int] = []
        self.kale = False
        self.ours = False
        self.pending_orphans: list[int] = []
        self.loose_options: list[tuple[str, str, Cell]] = []

    def error(self, code: str, msg: str, cell: Cell, stage: str | None = None) -> None:
        self.diags.append(diagnostic("error", code, msg, cell, stage))

    def warn(self, code: str, msg: str, cell: Cell, stage: str | None = None) -> None:
        self.diags.append(diagnostic("warning", code, msg, cell, stage))

    def unknown(self, tag: str, cell: Cell) -> None:
        key = tag.split(":", 1)[0] if ":" in tag else tag
        vocab = PLAIN_TAGS | KALE_PLAIN_TAGS | PREFIX_TAGS | KALE_PREFIX_TAGS
        hint = _suggest(key, vocab)
        if ":" in tag or hint:
            did = f" (did you mean '{hint}{tag[len(key) :]}'?)" if hint else ""
            self.error(
                "unknown-tag",
                f"unknown tag '{tag}'{did}; cellops tags are parameters, setup, skip, stage:NAME, "
                "after:NAME, cpu:N, memory:4Gi, gpu:N, retries:N, timeout:30m, cache:off, "
                "image:REF",
                cell,
            )
        else:
            self.warn("unknown-tag", f"tag '{tag}' is not a cellops tag and is ignored", cell)

    def read(self) -> TaggedNotebook:
        current: str | None = None
        for cell in self.nb.cells:
            current = self.read_cell(cell, current)
        return self.finish()

    def read_cell(self, cell: Cell, current: str | None) -> str | None:
        role: Role = "none"
        starts: str | None = None
        options: list[tuple[str, str]] = []
        for tag in cell.tags:
            if tag in FOREIGN_TAGS or tag.startswith("nbval-"):
                continue
            if tag in ("parameters", "pipeline-parameters"):
                role = self.set_role(cell, role, "parameters", tag)
            elif tag in ("setup", "imports", "functions"):
                role = self.set_role(cell, role, "setup", tag)
            elif tag == "skip":
                role = self.set_role(cell, role, "skip", tag)
            elif tag == "pipeline-metrics":
                self.kale = True
                starts = KALE_METRICS_STAGE
            elif ":" in tag:
                key, value = (s.strip() for s in tag.split(":", 1))
                if key in ("stage", "block", "step"):
                    if starts is not None and starts != value:
                        self.error(
                            "two-stages",
                            f"tags start two stages ('{starts}' and '{value}') on one cell; "
                            "keep one stage tag per cell",
                            cell,
                        )
                        continue
                    starts = self.stage_name(value, cell, kale=key != "stage")
                elif key in (
                    "after",
                    "prev",
                    "cpu",
                    "memory",
                    "gpu",
                    "retries",
                    "timeout",
                    "cache",
                    "image",
                    "limit",
                ):
                    if key in ("prev", "limit"):
                        self.kale = True
                    options.append((key, value))
                elif key in ("annotation", "label"):
                    self.kale = True
                    self.warn(
                        "ignored-tag", f"Kale tag '{tag}' has no cellops meaning; ignored", cell
                    )
                else:
                    self.unknown(tag, cell)
            else:
                self.unknown(tag, cell)
        if starts is not None and role != "none":
            self.error(
                "mixed-roles",
                f"a {role} cell cannot also start stage '{starts}'; split the cell or drop a tag",
                cell,
            )
            starts = None
        if role == "parameters":
            if self.parameters_cell is not None:
                first = self.nb.cells[self.parameters_cell]
                self.error(
                    "duplicate-parameters",
                    f"a second parameters cell (the first is {first.label}); papermill uses only "
                    "the first: merge them into one",
                    cell,
                )
            else:
                self.parameters_cell = cell.index
        if role == "setup":
            self.setup.append(cell.index)
        self.roles[cell.index] = role
        if starts is not None:
            current = self.begin_stage(starts, cell)
        if role == "none" and cell.cell_type in ("code", "markdown"):
            if current is not None:
                self.roles[cell.index] = "stage"
                if starts is None:
                    self.stage_cells[current].append(cell.index)
            elif cell.cell_type == "code" and cell.source.strip():
                self.pending_orphans.append(cell.index)
        for key, value in options:
            if role == "none" and current is None:
                # In a notebook without stage tags these belong to its one stage.
                self.loose_options.append((key, value, cell))
            else:
                self.option(key, value, cell, current if role == "none" else None)
        return current

    def set_role(self, cell: Cell, role: Role, new: Role, tag: str) -> Role:
        if tag in KALE_PLAIN_TAGS:
            self.kale = True
        elif tag != "skip":
            self.ours = True
        if role != "none" and role != new:
            self.error(
                "mixed-roles",
                f"tags give the cell two roles ({role} and {new}); keep one",
                cell,
            )
            return role
        return new

    def stage_name(self, value: str, cell: Cell, *, kale: bool) -> str | None:
        if kale:
            self.kale = True
        else:
            self.ours = True
        if STAGE_NAME.fullmatch(value):
            return value
        fixed = re.sub(r"[^a-z0-9_-]+", "_", value.lower()).strip("_-")
        hint = f"; for example 'stage:{fixed}'" if fixed and fixed[0].isalpha() else ""
        self.error(
            "bad-stage-name",
            f"stage name '{value}' is not valid: use lowercase letters, digits, '_' or '-', "
            f"starting with a letter (at most 63){hint}",
            cell,
        )
        return None

    def begin_stage(self, name: str, cell: Cell) -> str:
        if name in self.stage_cells:
            first = self.nb.cells[self.stage_cells[name][0]]
            # Kale merges repeated block names; cellops' stage:NAME must be unique.
            if not any(t.startswith(("block:", "step:")) for t in cell.tags):
                self.error(
                    "duplicate-stage",
                    f"stage '{name}' is already started at {first.label}; rename one of them, "
                    "or tag this cell's code into that stage by moving it there",
                    cell,
                    name,
                )
        else:
            self.stage_cells[name] = []
            self.stage_after[name] = []
            self.stage_opts[name] = {}
        self.roles[cell.index] = "stage"
        # Markdown right above a stage tag introduces that stage, not the one before it.
        self._adopt_heading(name, cell.index)
        self.stage_cells[name].append(cell.index)
        return name

    def _adopt_heading(self, name: str, index: int) -> None:
        i = index - 1
        adopted: list[int] = []
        while (
            i >= 0
            and self.nb.cells[i].cell_type == "markdown"
            and self.roles[i] in ("stage", "none")
        ):
            adopted.append(i)
            i -= 1
        if not adopted:
            return
        for i in adopted:
            self.roles[i] = "stage"
        for cells in self.stage_cells.values():
            if cells and cells[-1] in adopted:
                cells[:] = [c for c in cells if c not in adopted]
        self.stage_cells[name][:0] = sorted(adopted)

    def option(self, key: str, value: str, cell: Cell, stage: str | None) -> None:
        if stage is None:
            self.error(
                "option-outside-stage",
                f"tag '{key}:{value}' is on a cell that belongs to no stage; put it on a cell of "
                "the stage it is meant for",
                cell,
            )
            return
        if key in ("after", "prev"):
            self.stage_after[stage].append((value, cell.index))
            return
        parsed = self.parse_option(key, value, cell, stage)
        if parsed is None:
            return
        name, val = parsed
        seen = self.stage_opts[stage].get(name)
        if seen is not None and seen[0] != val:
            other = self.nb.cells[seen[1]]
            self.error(
                "conflicting-option",
                f"stage '{stage}' sets {name} twice ({seen[0]!r} at {other.label} and {val!r} "
                "here); keep one",
                cell,
                stage,
            )
            return
        self.stage_opts[stage][name] = (val, cell.index)

    def parse_option(
        self, key: str, value: str, cell: Cell, stage: str
    ) -> tuple[str, object] | None:
        parsed = parse_option(key, value)
        if isinstance(parsed, OptionProblem):
            if parsed.ignored:
                self.warn("ignored-tag", parsed.message, cell)
            else:
                self.error("bad-option", f"tag '{key}:{value}': {parsed.message}", cell, stage)
            return None
        return parsed

    def finish(self) -> TaggedNotebook:
        dialect: Literal["cellops", "kale", "untagged"] = (
            "kale" if self.kale and not self.ours else "cellops"
        )
        if not self.stage_cells:
            return self.finish_untagged()
        for key, value, cell in self.loose_options:
            self.option(key, value, cell, None)
        for idx in self.pending_orphans:
            cell = self.nb.cells[idx]
            self.warn(
                "before-first-stage",
                "code before the first stage tag is treated as setup (each stage gets the parts "
                "it uses); tag it 'setup' to say so, or 'skip' to leave it out",
                cell,
            )
            self.roles[idx] = "setup"
            self.setup.append(idx)
        stages = []
        for name, cells in self.stage_cells.items():
            for target, idx in self.stage_after[name]:
                if target not in self.stage_cells:
                    hint = _suggest(target, self.stage_cells)
                    did = f" (did you mean '{hint}'?)" if hint else ""
                    self.error(
                        "unknown-after",
                        f"after:{target} names no stage{did}; stages are: "
                        + ", ".join(self.stage_cells),
                        self.nb.cells[idx],
                        name,
                    )
            after = tuple(
                (t, i) for t, i in self.stage_after[name] if t in self.stage_cells and t != name
            )
            opts = StageOptions(**{k: v for k, (v, _) in self.stage_opts[name].items()})  # type: ignore[arg-type]
            stages.append(TaggedStage(name, tuple(sorted(cells)), after, opts))
        stages.sort(key=lambda s: s.first_cell)
        return TaggedNotebook(
            tuple(self.roles),
            tuple(stages),
            self.parameters_cell,
            tuple(sorted(self.setup)),
            tuple(self.diags),
            dialect,
        )

    def finish_untagged(self) -> TaggedNotebook:
        name = default_stage_name(self.nb.path)
        cells = [
            c.index
            for c in self.nb.cells
            if self.roles[c.index] == "none" and c.cell_type in ("code", "markdown")
        ]
        code = [i for i in cells if self.nb.cells[i].cell_type == "code"]
        stages: tuple[TaggedStage, ...] = ()
        if code:
            for i in cells:
                self.roles[i] = "stage"
            self.stage_cells[name] = cells
            self.stage_after[name] = []
            self.stage_opts[name] = {}
            for key, value, cell in self.loose_options:
                if key in ("after", "prev"):
                    self.error(
                        "unknown-after",
                        f"after:{value} names no stage; this notebook "
                        "has no stage tags, so it is one stage",
                        cell,
                        name,
                    )
                else:
                    self.option(key, value, cell, name)
            opts = StageOptions(**{k: v for k, (v, _) in self.stage_opts[name].items()})  # type: ignore[arg-type]
            stages = (TaggedStage(name, tuple(cells), (), opts),)
        return TaggedNotebook(
            tuple(self.roles),
            stages,
            self.parameters_cell,
            tuple(sorted(self.setup)),
            tuple(self.diags),
            "untagged" if not self.kale and not self.ours else "cellops",
        )


def read_tags(nb: Notebook) -> TaggedNotebook:
    """Roles, stages and options of a notebook's cells, with diagnostics that name the cells."""
    return _Reader(nb).read()
