"""Recorded executions as MLflow runs, for teams that already run MLflow.

Each execution becomes one run: its params (the parameters in force and ``log_param`` values),
every metric value with its step and time, tags naming the notebook, cell, pipeline run and
stage, and the cell's code as the artifact ``cell.py``. Params, metrics and tags go in with
``MlflowClient.log_batch``, a few requests per run instead of one per value.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cellops.errors import CellopsError
from cellops.tracking import reader

# MLflow's limits for one log_batch call, and for a param value.
_MAX_METRICS, _MAX_PARAMS, _MAX_TAGS, _MAX_VALUE = 1000, 100, 100, 6000
_STATUS = {"ok": "FINISHED", "error": "FAILED", "interrupted": "KILLED"}


@dataclass(frozen=True)
class Exported:
    execution_id: int
    mlflow_run_id: str
    experiment: str


def _client(tracking_uri: str | None) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise CellopsError(
            "export-mlflow needs MLflow: install it with pip install 'cellops[mlflow]'"
        ) from None
    return MlflowClient(tracking_uri=tracking_uri)


def _experiment_id(client: Any, name: str, cache: dict[str, str]) -> str:
    if name not in cache:
        found = client.get_experiment_by_name(name)
        cache[name] = found.experiment_id if found else client.create_experiment(name)
    return cache[name]


def _tags(row: dict[str, Any]) -> dict[str, str]:
    tags = {
        "cellops.execution_id": str(row["id"]),
        "cellops.notebook": row["notebook"] or "",
        "cellops.cell_id": row["cell_id"] or "",
        "cellops.run_id": row["run_id"] or "",
        "cellops.stage": row["stage"] or "",
        "cellops.status": row["status"],
        "cellops.code_sha256": row["code_sha"],
    }
    if row["error_type"]:
        tags["cellops.error"] = f"{row['error_type']}: {row['error_message'] or ''}"[:5000]
    if row.get("environment"):
        tags["cellops.python"] = str(row["environment"].get("python", ""))
    return {k: v for k, v in tags.items() if v}


def _log(client: Any, run_id: str, row: dict[str, Any]) -> None:
    from mlflow.entities import Metric, Param, RunTag

    params = [Param(str(k), str(v)[:_MAX_VALUE]) for k, v in sorted(row["params"].items())]
    stamp = int(row["started"] * 1000)
    metrics = [
        Metric(
            m["name"],
            float("nan") if m["value"] is None else m["value"],
            int(m["timestamp"] * 1000) if m["timestamp"] else stamp,
            m["step"] if m["step"] is not None else 0,
        )
        for m in row["metrics"]
    ]
    tags = [RunTag(k, v) for k, v in _tags(row).items()]
    while params or metrics or tags:
        client.log_batch(
            run_id,
            metrics=metrics[:_MAX_METRICS],
            params=params[:_MAX_PARAMS],
            tags=tags[:_MAX_TAGS],
        )
        metrics, params, tags = metrics[_MAX_METRICS:], params[_MAX_PARAMS:], tags[_MAX_TAGS:]


def export(
    db: str | Path,
    filters: reader.Filters,
    *,
    tracking_uri: str | None = None,
    experiment: str | None = None,
) -> list[Exported]:
    """Export the executions ``filters`` selects, oldest first; one MLflow run each.

    ``experiment`` defaults to the notebook's file name (``cellops`` for executions without
    a notebook).
    """
    with reader.reading(db) as conn:
        rows = reader.executions(conn, filters)[::-1]
        if conn is None or not rows:
            raise CellopsError(
                f"no recorded executions match the selection in {db}; check the filters "
                "(or the database with --db)"
            )
        full = [_full(conn, r["id"]) for r in rows]
    client = _client(tracking_uri)
    experiments: dict[str, str] = {}
    done: list[Exported] = []
    for row in full:
        name = experiment or (Path(row["notebook"]).name if row["notebook"] else "cellops")
        run = client.create_run(
            _experiment_id(client, name, experiments),
            start_time=int(row["started"] * 1000),
            run_name=_run_name(row),
        )
        run_id = run.info.run_id
        _log(client, run_id, row)
        client.log_text(run_id, row["code"] or "", "cell.py")
        client.set_terminated(
            run_id, _STATUS.get(row["status"], "FINISHED"), end_time=int(row["ended"] * 1000)
        )
        done.append(Exported(row["id"], run_id, name))
    return done


def _full(conn: sqlite3.Connection, execution_id: int) -> dict[str, Any]:
    row = reader.execution(conn, execution_id)
    assert row is not None  # selected a moment ago in the same connection
    return row


def _run_name(row: dict[str, Any]) -> str:
    parts: Sequence[str] = [
        row["stage"] or (Path(row["notebook"]).stem if row["notebook"] else "cell"),
        str(row["cell_id"] or "?"),
        f"#{row['execution_count']}" if row["execution_count"] is not None else "",
    ]
    return " ".join(p for p in parts if p)
