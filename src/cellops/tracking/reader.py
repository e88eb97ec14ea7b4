"""Reading the tracking database: plain rows for the server, the CLI and ``query``.

Readers never write: a database that does not exist yet simply has no executions. Every answer
is JSON-ready (dicts of str, numbers, None).
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cellops.tracking.store import connect

SUMMARY_COLUMNS = (
    "id",
    "notebook",
    "cell_id",
    "execution_count",
    "started",
    "ended",
    "duration",
    "status",
    "error_type",
    "error_message",
    "run_id",
    "stage",
    "code_sha",
)


@dataclass(frozen=True)
class Filters:
    """Which executions: every field that is set must match (``ids``: one of them)."""

    notebook: str | None = None
    cell_id: str | None = None
    run_id: str | None = None
    stage: str | None = None
    status: str | None = None
    ids: tuple[int, ...] | None = None
    limit: int | None = None

    def where(self, alias: str = "e") -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        for name in ("notebook", "cell_id", "run_id", "stage", "status"):
            value = getattr(self, name)
            if value is not None:
                clauses.append(f"{alias}.{name} = ?")
                args.append(value)
        if self.ids is not None:
            clauses.append(f"{alias}.id IN ({','.join('?' * len(self.ids)) or 'NULL'})")
            args.extend(self.ids)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


@contextlib.contextmanager
def reading(db: str | Path) -> Iterator[sqlite3.Connection | None]:
    """A connection to ``db``, or None when the database does not exist yet."""
    try:
        conn = connect(db, create=False)
    except FileNotFoundError:
        yield None
        return
    try:
        empty = conn.execute("PRAGMA user_version").fetchone()[0] == 0
        yield None if empty else conn
    finally:
        conn.close()


def _finite(value: Any) -> Any:
    return value if not isinstance(value, float) or math.isfinite(value) else None


def executions(
    conn: sqlite3.Connection | None,
    filters: Filters,
    columns: Sequence[str] = SUMMARY_COLUMNS,
) -> list[dict[str, Any]]:
    """Executions matching ``filters``, newest first."""
    if conn is None:
        return []
    where, args = filters.where()
    cols = ", ".join(f"e.{c}" for c in columns)
    sql = f"SELECT {cols} FROM executions e{where} ORDER BY e.id DESC"
    if filters.limit is not None:
        sql += " LIMIT ?"
        args.append(filters.limit)
    return [dict(zip(columns, row, strict=True)) for row in conn.execute(sql, args)]


def _last_values(
    conn: sqlite3.Connection, table: str, ids: Sequence[int], decode: Callable[[Any], Any]
) -> dict[int, dict[str, Any]]:
    """The last value of each name per execution, from ``metrics`` or ``params``."""
    out: dict[int, dict[str, Any]] = {i: {} for i in ids}
    for chunk in _chunks(ids):
        sql = (
            f"SELECT execution_id, name, value FROM {table} WHERE execution_id IN "
            f"({','.join('?' * len(chunk))}) ORDER BY rowid"
        )
        for eid, name, value in conn.execute(sql, chunk):
            out[eid][name] = decode(value)
    return out


def last_metrics(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The last logged value of each metric of each execution."""
    return _last_values(conn, "metrics", ids, _finite)


def logged_params(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Values logged with ``cellops.log_param`` (the last one of each name)."""
    return _last_values(conn, "params", ids, json.loads)


def all_params(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Parameters in force (papermill's or the parameters cell's) plus ``log_param`` values."""
    out: dict[int, dict[str, Any]] = {i: {} for i in ids}
    sets: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        rows = conn.execute(
            "SELECT e.id, e.paramset, p.json FROM executions e JOIN paramsets p "
            f"ON p.sha = e.paramset WHERE e.id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for eid, sha, text in rows:
            if sha not in sets:
                sets[sha] = json.loads(text)
            out[eid].update(sets[sha])
    for eid, values in logged_params(conn, ids).items():
        out[eid].update(values)
    return out


def _chunks(ids: Sequence[int], size: int = 900) -> Iterator[list[int]]:
    # SQLite limits the number of '?' in one statement.
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


_HISTORY_SQL = """
SELECT json_group_array(json_object(
    'id', e.id, 'execution_count', e.execution_count, 'started', round(e.started, 3),
    'duration', round(e.duration, 6), 'status', e.status, 'error_type', e.error_type,
    'error_message', e.error_message, 'run_id', e.run_id, 'stage', e.stage,
    'code_sha', e.code_sha,
    'metrics', (
        SELECT json_group_object(name, value) FROM (
            SELECT name, value, max(rowid) FROM metrics WHERE execution_id = e.id
            GROUP BY name
        )
    )
)) FROM (
    SELECT * FROM executions WHERE notebook = ? AND cell_id = ? ORDER BY id DESC LIMIT ?
) e
"""


def history_json(
    conn: sqlite3.Connection | None, notebook: str, cell_id: str, limit: int | None = None
) -> str:
    """Executions of one cell, newest first, with their metrics' last values, as JSON text.

    SQLite builds the JSON itself: a history of thousands of executions then costs no Python
    objects, which matters in a busy server process. Rows leave out what the caller already
    knows (notebook, cell); times are rounded to what a history shows.
    """
    if conn is None:
        return "[]"
    # In SQLite's bare-column aggregate, 'value' comes from the row with max(rowid): the last.
    row = conn.execute(_HISTORY_SQL, (notebook, cell_id, -1 if limit is None else limit))
    text = row.fetchone()[0]
    return str(text) if text else "[]"


def history(
    conn: sqlite3.Connection | None, notebook: str, cell_id: str, limit: int | None = None
) -> list[dict[str, Any]]:
    """``history_json`` as Python data (an execution without metrics has ``{}``)."""
    rows: list[dict[str, Any]] = json.loads(history_json(conn, notebook, cell_id, limit))
    for row in rows:
        row["metrics"] = row["metrics"] or {}
    return rows


# What a row of the experiments table carries: not the notebook (the table is of one) nor the
# code hash (comparing asks the server), which were 40 % of a 10,000-row answer.
_TABLE_COLUMNS = tuple(c for c in SUMMARY_COLUMNS if c not in ("notebook", "code_sha"))


def experiments(conn: sqlite3.Connection | None, filters: Filters) -> dict[str, Any]:
    """The experiments table: executions with their params and metrics, and the column names."""
    rows = executions(conn, filters, _TABLE_COLUMNS)
    params: set[str] = set()
    names: set[str] = set()
    if conn is not None and rows:
        ids = [r["id"] for r in rows]
        found_params = all_params(conn, ids)
        found_metrics = last_metrics(conn, ids)
        for row in rows:
            for t in ("started", "ended"):
                if row[t] is not None:
                    row[t] = round(row[t], 3)
            row["params"] = found_params[row["id"]]
            row["metrics"] = found_metrics[row["id"]]
            params.update(row["params"])
            names.update(row["metrics"])
    return {"executions": rows, "params": sorted(params), "metrics": sorted(names)}


def code(conn: sqlite3.Connection | None, sha: str) -> str | None:
    if conn is None:
        return None
    row = conn.execute("SELECT text FROM code WHERE sha = ?", (sha,)).fetchone()
    return None if row is None else str(row[0])


def execution(conn: sqlite3.Connection | None, execution_id: int) -> dict[str, Any] | None:
    """One execution in full: code, params, every metric value, environment."""
    rows = executions(conn, Filters(ids=(execution_id,)))
    if conn is None or not rows:
        return None
    row = rows[0]
    row["code"] = code(conn, row["code_sha"])
    row["params"] = all_params(conn, [execution_id])[execution_id]
    row["metrics"] = [
        {"name": n, "value": _finite(v), "step": s, "timestamp": t}
        for n, v, s, t in conn.execute(
            "SELECT name, value, step, timestamp FROM metrics WHERE execution_id = ? "
            "ORDER BY rowid",
            (execution_id,),
        )
    ]
    env = conn.execute(
        "SELECT v.json FROM executions e JOIN environments v ON v.sha = e.env_sha WHERE e.id = ?",
        (execution_id,),
    ).fetchone()
    row["environment"] = json.loads(env[0]) if env else None
    return row


def compare(conn: sqlite3.Connection | None, a: int, b: int) -> dict[str, Any] | None:
    """Two executions side by side: only the params that differ, and every metric's delta."""
    rows = {r["id"]: r for r in executions(conn, Filters(ids=(a, b)))}
    if conn is None or a not in rows or b not in rows:
        return None
    params = all_params(conn, [a, b])
    found = last_metrics(conn, [a, b])
    differ = [
        {"name": n, "a": params[a].get(n), "b": params[b].get(n)}
        for n in sorted(set(params[a]) | set(params[b]))
        if params[a].get(n) != params[b].get(n) or (n in params[a]) != (n in params[b])
    ]
    deltas = []
    for name in sorted(set(found[a]) | set(found[b])):
        va, vb = found[a].get(name), found[b].get(name)
        delta = vb - va if isinstance(va, float) and isinstance(vb, float) else None
        deltas.append({"name": name, "a": va, "b": vb, "delta": delta})
    return {
        "a": rows[a],
        "b": rows[b],
        "same_code": rows[a]["code_sha"] == rows[b]["code_sha"],
        "params": differ,
        "metrics": deltas,
    }
