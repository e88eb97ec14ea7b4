"""Real kernels recording executions: cell ids, parameters, metrics, many writers, SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from cellops.tracking import query
from tests.tracking.conftest import count, execute, kernel, send, wait_for_count

pytestmark = pytest.mark.kernel


def _notebook(path: Path) -> Path:
    """A saved notebook whose cell 'p' is the parameters cell (the kernel reads the tags)."""
    cells = [
        {"cell_type": "code", "id": "p", "metadata": {"tags": ["parameters"]}, "source": ""},
        {"cell_type": "code", "id": "train", "metadata": {}, "source": ""},
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_interactive_executions_are_recorded_with_cell_ids(tmp_path: Path) -> None:
    db = tmp_path / ".cellops" / "tracking.db"
    nb = _notebook(tmp_path / "exp.ipynb")
    with kernel(db, notebook=nb) as (_, kc):
        # The kernel reads the notebook in the background when it starts.
        time.sleep(0.5)
        execute(kc, "lr = 0.1\nepochs = 3", "p")
        execute(
            kc,
            "import cellops\nfor e in range(epochs):\n"
            "    cellops.log_metric('loss', 1 / (e + 1), step=e)\n"
            "cellops.log_param('optimizer', 'sgd')",
            "train",
        )
        execute(kc, "lr = 0.5", "p")
        assert execute(kc, "1 / 0", "train")["status"] == "error"
    frame = query.executions(db, notebook=nb)
    assert list(frame["cell_id"]) == ["p", "train", "p", "train"]
    assert list(frame["status"]) == ["ok", "ok", "ok", "error"]
    assert list(frame["execution_count"]) == [1, 2, 3, 4]
    assert frame["error_type"].iloc[3] == "ZeroDivisionError"
    assert "division by zero" in frame["error_message"].iloc[3]
    assert (frame["duration"] >= 0).all()
    assert frame["notebook"].iloc[0] == str(nb.resolve())
    # Code is content-addressed: the text comes back from its hash.
    assert query.code(frame["code_sha"].iloc[2], db) == "lr = 0.5"
    metrics = query.metrics(db, cell_id="train")
    assert list(metrics["value"]) == [1.0, 0.5, pytest.approx(1 / 3)]
    assert list(metrics["step"]) == [0, 1, 2]
    params = query.params(db, notebook=nb)
    train_id = int(frame["id"].iloc[1])
    mine = params[params["execution_id"] == train_id].set_index("name")
    assert mine.loc["lr", "value"] == 0.1 and mine.loc["epochs", "value"] == 3
    assert mine.loc["lr", "source"] == "parameters"
    assert mine.loc["optimizer", "value"] == "sgd" and mine.loc["optimizer", "source"] == "logged"
    # The failing run came after lr changed to 0.5.
    last = params[params["execution_id"] == int(frame["id"].iloc[3])].set_index("name")
    assert last.loc["lr", "value"] == 0.5
    conn = sqlite3.connect(db)
    env = json.loads(conn.execute("SELECT json FROM environments").fetchone()[0])
    conn.close()
    assert env["python"].count(".") == 2 and "ipykernel" in env["packages"]


def test_a_notebook_without_cell_ids_has_its_parameters_cell_found(tmp_path: Path) -> None:
    """nbformat < 4.5 cells have no id; the kernel keys them as promote and the sidebar do."""
    from cellops.notebook.read import derive_cell_ids

    cells = [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "lr = 0.1"},
        {"cell_type": "code", "metadata": {}, "source": "loss = lr * 2"},
    ]
    nb = tmp_path / "old.ipynb"
    nb.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}),
        encoding="utf-8",
    )
    params_id, train_id = derive_cell_ids(cells)
    db = tmp_path / ".cellops" / "tracking.db"
    with kernel(db, notebook=nb) as (_, kc):
        time.sleep(0.5)
        execute(kc, "lr = 0.1", params_id)
        execute(kc, "loss = lr * 2", train_id)
    frame = query.executions(db, notebook=nb)
    assert list(frame["cell_id"]) == [params_id, train_id]
    params = query.params(db, notebook=nb)
    mine = params[params["execution_id"] == int(frame["id"].iloc[1])].set_index("name")
    assert mine.loc["lr", "value"] == 0.1 and mine.loc["lr", "source"] == "parameters"


def test_opt_out_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CELLOPS_TRACKING", "0")
    db = tmp_path / "tracking.db"
    with kernel(db) as (_, kc):
        assert execute(kc, "x = 1", "a")["status"] == "ok"
    assert not db.exists()


def test_eight_kernels_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    cells = 150
    kernels = [kernel(db) for _ in range(8)]
    clients = [k.__enter__() for k in kernels]
    try:
        for i, (_, kc) in enumerate(clients):
            # All cells are queued at once, so the kernels write while the others do.
            for j in range(cells):
                send(kc, f"import cellops; cellops.log_metric('k{i}', {j})", f"k{i}-c{j}")
        assert wait_for_count(db, 8 * cells, timeout=300) == 8 * cells
    finally:
        for k in kernels:
            k.__exit__(None, None, None)
    assert count(db) == 8 * cells
    assert count(db, "SELECT count(DISTINCT cell_id) FROM executions") == 8 * cells
    assert count(db, "SELECT count(*) FROM metrics") == 8 * cells
    assert count(db, "SELECT count(DISTINCT session) FROM executions") == 8


def test_sigkill_mid_write_keeps_every_committed_record(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    per_cell = 50
    code = f"import cellops\nfor s in range({per_cell}):\n    cellops.log_metric('m', s, step=s)"
    with kernel(db) as (km, kc):
        for j in range(20):
            execute(kc, code, f"first-{j}")
        assert wait_for_count(db, 20) == 20
        for j in range(3000):
            send(kc, code, f"burst-{j}")
        # Kill it while the burst is being written.
        wait_for_count(db, 100, timeout=120)
        os.kill(km.provisioner.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        total = conn.execute("SELECT count(*) FROM executions").fetchone()[0]
        assert 100 <= total < 3020
        first = conn.execute(
            "SELECT cell_id FROM executions WHERE cell_id LIKE 'first-%' ORDER BY id"
        ).fetchall()
        assert [r[0] for r in first] == [f"first-{j}" for j in range(20)]
        # Each committed execution has all of its metrics and its code: batches are atomic.
        partial = conn.execute(
            "SELECT e.id FROM executions e LEFT JOIN metrics m ON m.execution_id = e.id "
            "GROUP BY e.id HAVING count(m.execution_id) != ?",
            (per_cell,),
        ).fetchall()
        assert partial == []
        missing_code = "SELECT count(*) FROM executions e LEFT JOIN code c ON c.sha = e.code_sha "
        assert conn.execute(missing_code + "WHERE c.text IS NULL").fetchone()[0] == 0
    finally:
        conn.close()
    # The database stays writable: a new kernel records into it.
    with kernel(db) as (_, kc):
        execute(kc, "x = 1", "after")
    assert count(db, "SELECT count(*) FROM executions WHERE cell_id = 'after'") == 1
