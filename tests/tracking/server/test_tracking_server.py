"""Kernels a Jupyter server starts record their cells; the tracking routes read them back."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.kernel

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "id": "p", "metadata": {"tags": ["parameters"]}, "source": ""},
        {"cell_type": "code", "id": "train", "metadata": {}, "source": ""},
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


async def _get(jp_fetch: Any, *parts: str, **params: str) -> tuple[int, Any]:
    response = await jp_fetch(
        "cellops", "api", "tracking", *parts, params=params, raise_error=False
    )
    return response.code, json.loads(response.body or b"null")


async def _open_notebook(jp_fetch: Any, jp_serverapp: Any, path: str) -> Any:
    """Start a kernel for ``path`` as JupyterLab does (a session); returns a ready client."""
    body = {
        "path": path,
        "name": Path(path).name,
        "type": "notebook",
        "kernel": {"name": "python3"},
    }
    response = await jp_fetch("api", "sessions", method="POST", body=json.dumps(body))
    kernel_id = json.loads(response.body)["kernel"]["id"]
    kc = jp_serverapp.kernel_manager.get_kernel(kernel_id).client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=120)
    return kc


async def _run(kc: Any, code: str, cell_id: str, **expressions: str) -> dict[str, Any]:
    """One cell, sent the way JupyterLab sends it: the cell id in the request's metadata."""
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": expressions,
        "allow_stdin": False,
        "stop_on_error": False,
    }
    msg = kc.session.msg("execute_request", content, metadata={"cellId": cell_id})
    kc.shell_channel.send(msg)
    while True:
        reply = await kc.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            result: dict[str, Any] = reply["content"]
            return result


async def _history(jp_fetch: Any, cell: str, expected: int) -> list[dict[str, Any]]:
    """Poll (bounded) until the cell's history has ``expected`` executions."""
    deadline = time.monotonic() + 60
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        status, body = await _get(jp_fetch, "history", path="exp.ipynb", cell=cell)
        assert status == 200, body
        rows = body["executions"]
        if len(rows) >= expected:
            break
        await asyncio.sleep(0.1)
    return rows


async def test_server_kernels_record_and_routes_answer(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "exp.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    kc = await _open_notebook(jp_fetch, jp_serverapp, "exp.ipynb")
    try:
        await asyncio.sleep(0.5)  # the kernel reads the saved notebook's tags in the background
        await _run(kc, "lr = 0.1", "p")
        train = "import cellops\ncellops.log_metric('acc', lr * 2)"
        await _run(kc, train, "train")
        await _run(kc, "lr = 0.3", "p")
        await _run(kc, train.replace("lr * 2", "lr * 3"), "train")
    finally:
        kc.stop_channels()
    rows = await _history(jp_fetch, "train", 2)
    # The store is the project's: under the server's root.
    assert (jp_root_dir / ".cellops" / "tracking.db").is_file()
    assert [r["execution_count"] for r in rows] == [4, 2]  # newest first
    assert [r["metrics"] for r in rows] == [{"acc": pytest.approx(0.9)}, {"acc": 0.2}]
    assert all(r["status"] == "ok" and r["duration"] >= 0 for r in rows)
    newest, oldest = rows[0]["id"], rows[1]["id"]

    # Restore: the old version's code, to put back into the cell.
    status, body = await _get(jp_fetch, "executions", str(oldest), "code")
    assert status == 200
    assert body == {"execution_id": oldest, "cell_id": "train", "code": train}

    status, full = await _get(jp_fetch, "executions", str(newest))
    assert status == 200
    assert full["params"] == {"lr": 0.3}
    assert full["metrics"][0]["name"] == "acc"
    assert "ipykernel" in full["environment"]["packages"]

    status, diff = await _get(jp_fetch, "compare", a=str(oldest), b=str(newest))
    assert status == 200
    assert diff["params"] == [{"name": "lr", "a": 0.1, "b": 0.3}]
    assert diff["metrics"] == [
        {"name": "acc", "a": 0.2, "b": pytest.approx(0.9), "delta": pytest.approx(0.7)}
    ]
    assert diff["same_code"] is False

    status, table = await _get(jp_fetch, "experiments", path="exp.ipynb")
    assert status == 200
    assert len(table["executions"]) == 4
    assert table["params"] == ["lr"] and table["metrics"] == ["acc"]
    status, table = await _get(jp_fetch, "experiments", path="exp.ipynb", status="error")
    assert status == 200 and table["executions"] == []

    status, body = await _get(jp_fetch, "executions", "99999")
    assert status == 404 and "99999" in body["message"]
    status, body = await _get(jp_fetch, "compare", a="x", b="1")
    assert status == 400 and "'a'" in body["message"]
    status, body = await _get(jp_fetch, "history", path="../outside.ipynb", cell="x")
    assert status == 404
