"""Running one stage notebook through papermill in a kernel from the pool."""

from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path
from typing import Any

from cellops.package import layout
from cellops.run.executor import StageExecutionError
from cellops.run.kernels import IMPORT_LOCK, KernelPool
from cellops.run.record import StageError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

METRICS_CELL_ID = "cellops-metrics"
# Appended when a stage runs, not written by promote: the package's notebooks and cache keys
# stay as they are, and a kernel without cellops installed still runs the stage.
_METRICS_SOURCE = (
    "# cellops: show what this stage logged with cellops.log_metric / log_param\n"
    "try:\n"
    "    from cellops.metrics import publish as _cellops_publish\n"
    "except ImportError:\n"
    "    pass\n"
    "else:\n"
    "    _cellops_publish()\n"
)


def _generated(cell_id: str, kind: str, source: str) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": cell_id,
        "metadata": {"cellops": {"generated": kind}},
        "execution_count": None,
        "outputs": [],
        "source": source,
    }


def with_metrics_cell(notebook: dict[str, Any], then: str = "") -> dict[str, Any]:
    """The stage notebook plus a last cell that publishes the stage's metrics (and runs
    ``then``)."""
    cell = _generated(METRICS_CELL_ID, "metrics", _METRICS_SOURCE + then)
    return {**notebook, "cells": [*notebook.get("cells", []), cell]}


def _prepare_input(notebook: Path, executed: Path) -> Path:
    prepared = layout.prepared_input(executed)
    trace = layout.trace_file(executed)
    trace.unlink(missing_ok=True)  # an earlier attempt's trace is not this one's
    data = json.loads(notebook.read_text(encoding="utf-8"))
    # The recorder (cellops.run.trace) was started by the warm kernel's prelude; the metrics
    # cell writes what it saw. A kernel without cellops, or whose recorder did not start,
    # writes no trace: the stage's result is then never reused (the safe side).
    stop = (
        "try:\n    __import__('cellops.run.trace', fromlist=['stop']).stop("
        f"{str(trace)!r})\nexcept Exception:\n    pass\n"
    )
    prepared.write_text(json.dumps(with_metrics_cell(data, then=stop)), encoding="utf-8")
    return prepared


def restore_input_path(executed: Path, notebook: Path) -> None:
    """papermill records the file it read; point the audit trail at the stage notebook (for an
    executed notebook that comes back from elsewhere: ``execute_stage`` records it at once)."""
    try:
        data = json.loads(executed.read_text(encoding="utf-8"))
        data["metadata"]["papermill"]["input_path"] = str(notebook)
    except (OSError, ValueError, KeyError, TypeError):
        return
    executed.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _failing_cell(executed: Path) -> tuple[int | None, str | None, tuple[str, str] | None]:
    """Index, source label and (ename, evalue) of the cell that failed, from the executed notebook.

    papermill inserts error banner cells into the notebook it saves, so its ``cell_index``
    does not point into that file; the cell holding the error output does. A failing IPython
    line (``%undefined-magic``) leaves no error output, only a ``UsageError`` on stderr, and
    papermill's own mark on the cell.
    """
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return None, None, None
    position = 0
    for cell in cells:
        meta = cell.get("metadata", {})
        if "papermill-error-cell-tag" in meta.get("tags", []):
            continue
        outputs = cell.get("outputs", [])
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if errors or (meta.get("papermill") or {}).get("exception"):
            info = meta.get("cellops", {})
            if "source_index" in info:
                label = f"cell {info['source_index'] + 1} (id {cell.get('id')})"
            else:
                label = f"the generated cell '{cell.get('id')}'"
            return position, label, _reason(errors, outputs)
        position += 1
    return None, None, None


def _reason(errors: list[Any], outputs: list[Any]) -> tuple[str, str] | None:
    if errors:
        return str(errors[-1].get("ename", "")), str(errors[-1].get("evalue", ""))
    for output in reversed(outputs):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = output.get("text", "")
            lines = ("".join(text) if isinstance(text, list) else str(text)).strip().splitlines()
            if lines:
                ename, _, evalue = lines[-1].partition(": ")
                return (ename, evalue) if evalue else ("Error", lines[-1])
    return None


def _skip_slow_format_checker() -> None:
    """Keep jsonschema from building rfc3987_syntax's grammars (1.5-5 s) on papermill's import.

    nbformat -> jsonschema imports it only for the "iri" format checks, which no notebook
    schema uses, and jsonschema skips those checks when the import fails. Where jsonschema
    is already loaded (inside a Jupyter server) this changes nothing.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def execute_stage(
    pool: KernelPool,
    notebook: Path,
    executed: Path,
    parameters: dict[str, Any],
    *,
    kernel_name: str,
    timeout: int | None,
    tracking: dict[str, Any] | None = None,
) -> None:
    """Execute ``notebook`` into ``executed``; raise StageExecutionError naming the cell.

    ``tracking`` (``StageTask.tracking``): where the kernel files the cells' executions.
    """
    _skip_slow_format_checker()
    with IMPORT_LOCK:  # not at the same time as a kernel start's imports
        import papermill as pm

        from cellops.run.engine import ENGINE
        from cellops.tracking.cells import tag_cells

    km = pool.take()
    timer = None
    timed_out = threading.Event()
    if timeout:

        def expire() -> None:
            timed_out.set()
            pool.kill(km)

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
    executed.parent.mkdir(parents=True, exist_ok=True)
    prepared = _prepare_input(notebook, executed)
    try:
        pm.execute_notebook(
            str(prepared),
            str(executed),
            parameters=parameters,
            km=km,
            kernel_name=kernel_name,
            engine_name=ENGINE,
            recorded_input=str(notebook),
            progress_bar=False,
            log_output=False,
            **tag_cells(km, tracking),
        )
    except pm.PapermillExecutionError as exc:
        index, label, reason = _failing_cell(executed)
        # papermill names a cell it saw fail without an error output "CellExecutionError" with
        # no value: the reason is what the cell itself printed.
        ename, evalue = (exc.ename, exc.evalue) if exc.evalue or reason is None else reason
        raise StageExecutionError(
            StageError(
                ename=ename,
                evalue=evalue,
                cell_index=index,
                source_cell=label,
                traceback=_ANSI.sub("", "\n".join(exc.traceback)),
            )
        ) from None
    except Exception as exc:
        if timed_out.is_set():
            raise StageExecutionError(
                StageError(
                    "Timeout",
                    f"the stage ran longer than its timeout of {timeout}s; raise its "
                    "timeout: tag or make the stage faster",
                    None,
                    None,
                )
            ) from None
        index, label, reason = _failing_cell(executed)
        ename, evalue = reason or (type(exc).__name__, str(exc) or repr(exc))
        raise StageExecutionError(StageError(ename, evalue, index, label)) from None
    finally:
        if timer is not None:
            timer.cancel()
        pool.release(km)
        prepared.unlink(missing_ok=True)
