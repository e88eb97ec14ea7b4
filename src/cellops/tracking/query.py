"""Executions, params and metrics of the tracking database as pandas DataFrames.

    from cellops.tracking import query
    runs = query.executions(notebook="train.ipynb", status="ok")
    m = query.metrics(run_id="20260101-120000-abc123")

Every function takes the same filters, which combine: ``notebook``, ``cell_id``, ``run_id``,
``stage``, ``status``. ``db`` defaults to the project's database (``CELLOPS_TRACKING_DB``, else
the nearest ``.cellops/tracking.db`` at or above the working directory). Notebook paths are
matched as absolute paths, so a relative one is taken from the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cellops.tracking import config, reader

Db = str | os.PathLike[str] | None
_FILTERS = ("notebook", "cell_id", "run_id", "stage", "status")
_METRIC_COLUMNS = ["execution_id", "name", "value", "step", "timestamp"]
_PARAM_COLUMNS = ["execution_id", "name", "value", "source"]


def _select(db: Db, filters: dict[str, Any]) -> tuple[Path, reader.Filters]:
    unknown = set(filters) - set(_FILTERS)
    if unknown:
        raise TypeError(f"unknown filter(s) {sorted(unknown)}; use {', '.join(_FILTERS)}")
    values = {k: (str(v) if v is not None else None) for k, v in filters.items()}
    notebook = values.get("notebook")
    if notebook is not None:
        values["notebook"] = str(Path(notebook).resolve())
    path = Path(db) if db is not None else config.resolve_db()
    nb, cell, run, stage, status = (values.get(name) for name in _FILTERS)
    return path, reader.Filters(nb, cell, run, stage, status)


def executions(db: Db = None, **filters: Any) -> Any:
    """One row per execution, oldest first; ``started``/``ended`` are UTC timestamps."""
    import pandas as pd

    path, selected = _select(db, filters)
    with reader.reading(path) as conn:
        rows = reader.executions(conn, selected)
    frame = pd.DataFrame(rows[::-1], columns=list(reader.SUMMARY_COLUMNS))
    for column in ("started", "ended"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame


def metrics(db: Db = None, **filters: Any) -> Any:
    """Every value logged with ``cellops.log_metric``, in logging order."""
    import pandas as pd

    path, selected = _select(db, filters)
    rows: list[tuple[Any, ...]] = []
    with reader.reading(path) as conn:
        if conn is not None:
            where, args = selected.where()
            rows = conn.execute(
                "SELECT m.execution_id, m.name, m.value, m.step, m.timestamp FROM metrics m "
                f"JOIN executions e ON e.id = m.execution_id{where} ORDER BY m.rowid",
                args,
            ).fetchall()
    frame = pd.DataFrame(rows, columns=_METRIC_COLUMNS)
    frame["step"] = frame["step"].astype("Int64")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="s", utc=True)
    return frame


def params(db: Db = None, **filters: Any) -> Any:
    """Parameters of each execution, long format.

    ``source`` is ``parameters`` for papermill's values or the parameters cell's, ``logged``
    for ``cellops.log_param`` (a logged value wins over a parameter of the same name).
    """
    import pandas as pd

    path, selected = _select(db, filters)
    rows: list[tuple[Any, ...]] = []
    with reader.reading(path) as conn:
        if conn is not None:
            ids = [r["id"] for r in reader.executions(conn, selected)][::-1]
            merged = reader.all_params(conn, ids)
            logged = reader.logged_params(conn, ids)
            for eid in ids:
                for name, value in merged[eid].items():
                    source = "logged" if name in logged[eid] else "parameters"
                    rows.append((eid, name, value, source))
    return pd.DataFrame(rows, columns=_PARAM_COLUMNS)


def code(sha: str, db: Db = None) -> str | None:
    """The source of a code version (``executions(...)["code_sha"]``)."""
    with reader.reading(Path(db) if db is not None else config.resolve_db()) as conn:
        return reader.code(conn, sha)
