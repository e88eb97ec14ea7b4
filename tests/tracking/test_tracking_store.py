"""The store and its readers without kernels: batches, code stored once, schema, comparisons."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from cellops.metrics import Metric, Param
from cellops.tracking import query, reader
from cellops.tracking.fingerprint import canonical
from cellops.tracking.store import SCHEMA_VERSION, ExecutionRecord, StoreError, Writer, connect


def _record(cell: str, code: str, **kw: object) -> ExecutionRecord:
    now = time.time()
    base: dict[str, object] = {
        "notebook": "/p/nb.ipynb",
        "cell_id": cell,
        "code": code,
        "execution_count": 1,
        "started": now,
        "ended": now + 0.01,
        "duration": 0.01,
        "status": "ok",
    }
    base.update(kw)
    return ExecutionRecord(**base)  # type: ignore[arg-type]


def _write(db: Path, records: list[ExecutionRecord]) -> None:
    writer = Writer(db, session="s1", environment=lambda: {"python": "3"})
    for rec in records:
        writer.put(rec)
    writer.close()


def test_code_is_stored_once_and_every_record_lands(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _write(db, [_record(f"c{i % 3}", f"x = {i % 3}") for i in range(600)])
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM executions").fetchone() == (600,)
    assert conn.execute("SELECT count(*) FROM code").fetchone() == (3,)
    assert conn.execute("SELECT count(*) FROM environments").fetchone() == (1,)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_compare_shows_only_differing_params_and_metric_deltas(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    a = _record(
        "train",
        "fit()",
        paramset=canonical({"lr": 0.1, "depth": 3}),
        metrics=[Metric("acc", 0.5, None, 1.0), Metric("acc", 0.7, None, 2.0)],
    )
    b = _record(
        "train",
        "fit(); tune()",
        paramset=canonical({"lr": 0.2, "depth": 3}),
        metrics=[Metric("acc", 0.9, None, 3.0), Metric("loss", 0.1, None, 3.0)],
        params=[Param("seed", 7, 3.0)],
    )
    _write(db, [a, b])
    with reader.reading(db) as conn:
        diff = reader.compare(conn, 1, 2)
        assert reader.compare(conn, 1, 3) is None
    assert diff is not None
    assert diff["params"] == [
        {"name": "lr", "a": 0.1, "b": 0.2},
        {"name": "seed", "a": None, "b": 7},
    ]
    assert diff["metrics"] == [
        {"name": "acc", "a": 0.7, "b": 0.9, "delta": pytest.approx(0.2)},
        {"name": "loss", "a": None, "b": 0.1, "delta": None},
    ]
    assert diff["same_code"] is False


def test_readers_of_a_missing_database_see_no_executions(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    assert query.executions(db).empty
    assert query.metrics(db).empty
    assert query.params(db).empty
    with reader.reading(db) as conn:
        assert reader.history(conn, "/p/nb.ipynb", "c") == []
    assert not db.exists()


def test_a_database_from_a_newer_cellops_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer cellops"):
        connect(db)


def test_non_finite_metrics_and_odd_params_are_stored(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    rec = _record(
        "c",
        "x",
        metrics=[Metric("loss", float("nan"), 0, 1.0)],
        params=[Param("shape", (2, 3), 1.0), Param("obj", object, 1.0)],
    )
    _write(db, [rec])
    params = query.params(db).set_index("name")["value"].to_dict()
    assert params["shape"] == [2, 3] and params["obj"] == repr(object)
    assert query.metrics(db)["value"].isna().all()
