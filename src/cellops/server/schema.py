"""The REST contract as TypedDicts: the Python side of ``labextension/src/tokens.ts``.

Each ``IName`` interface there is ``Name`` here; ``tests/server/test_contract.py`` fails when
a field, its optionality or its type differs. Optional fields live in a ``total=False`` class
so the module needs nothing newer than Python 3.10.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from cellops.analysis.cells import LiteralParameter
from cellops.notebook.tags import Diagnostic as CoreDiagnostic
from cellops.package.spec import Parameter

Severity = Literal["error", "warning"]
CellRole = Literal["parameters", "setup", "skip", "stage", "none"]
StageState = Literal["pending", "running", "cached", "done", "failed", "not-run"]
RunState = Literal["running", "done", "failed", "interrupted"]
BatchState = Literal["running", "done", "failed", "interrupted"]


class Diagnostic(TypedDict):
    severity: Severity
    code: str
    message: str
    cell_index: int | None
    cell_id: str | None
    stage: str | None


class StageOptions(TypedDict, total=False):
    cpu: str
    memory: str
    gpu: int
    retries: int
    timeout: int
    cache: bool
    image: str


class StageInfo(TypedDict):
    name: str
    cell_ids: list[str]
    inputs: list[str]
    outputs: list[str]
    parameters: list[str]
    upstream: list[str]
    options: StageOptions


class EdgeInfo(TypedDict):
    source: str
    target: str
    names: list[str]
    explicit: bool


class ParameterInfo(TypedDict):
    name: str
    type: str
    default: Any


class CellInfo(TypedDict):
    id: str
    index: int
    role: CellRole
    stage: str | None


class Analysis(TypedDict):
    path: str | None
    dialect: Literal["cellops", "kale", "untagged"]
    stages: list[StageInfo]
    edges: list[EdgeInfo]
    parameters: list[ParameterInfo]
    cells: list[CellInfo]
    diagnostics: list[Diagnostic]
    elapsed_ms: float


class _PromoteRequestRequired(TypedDict):
    path: str


class PromoteRequest(_PromoteRequestRequired, total=False):
    target: str
    name: str


class PromoteResult(TypedDict):
    package: str
    name: str
    files: list[str]
    stages: list[str]
    parameters: list[ParameterInfo]
    warnings: list[Diagnostic]


class _RunRequestRequired(TypedDict):
    package: str


class RunRequest(_RunRequestRequired, total=False):
    params: dict[str, Any]
    no_cache: bool
    # Continue the package's failed or cancelled latest run (``cellops run --resume``).
    resume: bool


class RunStarted(TypedDict):
    id: str
    package: str


class StageError(TypedDict):
    ename: str
    evalue: str
    cell_index: int | None
    source_cell: str | None
    traceback: str


class StageStatus(TypedDict):
    name: str
    state: StageState
    duration: float | None
    cache_hit: bool
    notebook: str | None
    error: StageError | None


class _RunStatusRequired(TypedDict):
    id: str
    package: str
    pipeline: str
    status: RunState
    parameters: dict[str, Any]
    started: float
    duration: float | None
    stages: list[StageStatus]
    message: str | None


class RunStatus(_RunStatusRequired, total=False):
    # True while a cancelled run stops its kernels (the status still says running).
    cancelling: bool


class RunList(TypedDict):
    promoted: bool
    runs: list[RunStatus]
    # ``GET runs?limit=N``: the ``before`` of the next (older) page, None on the last page.
    next: str | None


class _BatchRequestRequired(TypedDict):
    package: str
    grid: dict[str, list[Any]]


class BatchRequest(_BatchRequestRequired, total=False):
    jobs: int


class BatchStarted(TypedDict):
    id: str
    package: str
    total: int


class _BatchStatusRequired(TypedDict):
    id: str
    package: str
    status: BatchState
    total: int
    done: int
    failed: int
    remaining: int
    elapsed: float
    eta: float | None
    parameters: list[str]
    metrics: list[str]
    rows: list[dict[str, Any]]
    message: str | None


class BatchStatus(_BatchStatusRequired, total=False):
    # True while a cancelled sweep stops its kernels (the status still says running).
    cancelling: bool


class BatchList(TypedDict):
    promoted: bool
    batches: list[BatchStatus]


# -- experiment tracking (docs/tracking.md) ---------------------------------------------------


class ExecutionCore(TypedDict):
    id: int
    execution_count: int | None
    started: float
    duration: float | None
    status: str
    error_type: str | None
    error_message: str | None
    run_id: str | None
    stage: str | None
    metrics: dict[str, float | None]


class ExecutionSummary(ExecutionCore):
    code_sha: str


class History(TypedDict):
    path: str
    cell_id: str
    executions: list[ExecutionSummary]


class ExperimentRow(ExecutionCore):
    """A row of the experiments table: the notebook is the table's, the code hash not sent."""

    cell_id: str
    ended: float | None
    params: dict[str, Any]


class CompareRow(ExperimentRow):
    notebook: str
    code_sha: str


class Experiments(TypedDict):
    path: str
    executions: list[ExperimentRow]
    params: list[str]
    metrics: list[str]


class ExecutionCode(TypedDict):
    execution_id: int
    cell_id: str
    code: str


class MetricPoint(TypedDict):
    name: str
    value: float | None
    step: int | None
    timestamp: float


class Execution(TypedDict):
    """One execution in full (``tracking/executions/ID``): what the history view shows."""

    id: int
    notebook: str | None
    cell_id: str | None
    execution_count: int | None
    started: float
    ended: float
    duration: float
    status: str
    error_type: str | None
    error_message: str | None
    run_id: str | None
    stage: str | None
    code_sha: str
    code: str | None
    params: dict[str, Any]
    metrics: list[MetricPoint]
    environment: dict[str, Any] | None


class ParamDiff(TypedDict):
    name: str
    a: Any
    b: Any


class MetricDiff(TypedDict):
    name: str
    a: float | None
    b: float | None
    delta: float | None


class Compare(TypedDict):
    a: CompareRow
    b: CompareRow
    same_code: bool
    params: list[ParamDiff]
    metrics: list[MetricDiff]


class _ErrorBodyRequired(TypedDict):
    message: str


class ErrorBody(_ErrorBodyRequired, total=False):
    diagnostics: list[Diagnostic]


def diagnostic(d: CoreDiagnostic) -> Diagnostic:
    return {
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "cell_index": d.cell_index,
        "cell_id": d.cell_id,
        "stage": d.stage,
    }


def parameter(p: Parameter | LiteralParameter) -> ParameterInfo:
    return {"name": p.name, "type": p.type, "default": p.default}
