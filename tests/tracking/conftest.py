"""Helpers of the tracking tests: real IPython kernels with the tracking extension.

Kernels are started with jupyter_client the way a Jupyter server starts them (with
``--ext=cellops.tracking.extension``), and cells are sent the way JupyterLab sends them: an
``execute_request`` whose metadata carries the cell's id.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

EXT = "--ext=cellops.tracking.extension"
TRACKING_ENV = ("CELLOPS_TRACKING", "CELLOPS_TRACKING_DB", "CELLOPS_TRACKING_ROOT")


@pytest.fixture(autouse=True)
def _own_tracking_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No tracking setting leaks in from the machine, or out of a test (the server sets them)."""
    for name in TRACKING_ENV:
        monkeypatch.delenv(name, raising=False)


def start_kernel(db: Path, *, notebook: Path | None = None, cwd: Path | None = None) -> Any:
    env = dict(os.environ)
    env["CELLOPS_TRACKING_DB"] = str(db)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    if notebook is not None:
        env["JPY_SESSION_NAME"] = str(notebook)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=[EXT], env=env, cwd=str(cwd or db.parent.parent))
    return km


@contextmanager
def kernel(db: Path, **kwargs: Any) -> Iterator[Any]:
    """(km, client) of a running kernel; shut down gracefully (as the server does) at the end."""
    km = start_kernel(db, **kwargs)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        yield km, kc
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=False)


def send(kc: Any, code: str, cell_id: str | None) -> str:
    """Queue one cell as JupyterLab does; returns the request's msg id."""
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": False,
    }
    metadata = {"cellId": cell_id} if cell_id else {}
    msg = kc.session.msg("execute_request", content, metadata=metadata)
    kc.shell_channel.send(msg)
    return str(msg["header"]["msg_id"])


def reply(kc: Any, msg_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            content: dict[str, Any] = msg["content"]
            return content
    raise AssertionError(f"no reply to {msg_id} in {timeout}s")


def execute(kc: Any, code: str, cell_id: str | None) -> dict[str, Any]:
    return reply(kc, send(kc, code, cell_id))


def count(db: Path, sql: str = "SELECT count(*) FROM executions", *args: Any) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    except sqlite3.OperationalError:  # no tables yet
        return 0
    finally:
        conn.close()


def wait_for_count(db: Path, at_least: int, timeout: float = 60) -> int:
    """Poll (bounded) until ``db`` holds ``at_least`` executions; returns the count."""
    deadline = time.monotonic() + timeout
    n = count(db)
    while n < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
        n = count(db)
    return n
