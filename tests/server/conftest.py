"""Handler tests against a real Jupyter server with the cellops extension (pytest-jupyter).

``jp_fetch`` sends authenticated requests (the server's token); ``fetch`` below wraps it so a
test reads status and JSON whatever the status is. Notebooks and packages live in
``jp_root_dir``, the server's root directory.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# pytest-jupyter has no entry point: its fixtures and async hooks are loaded here, for the
# tests of this directory only.
from pytest_jupyter.jupyter_server import *  # noqa: F403

from tests.nbfactory import CellSpec, notebook_dict

REPO = Path(__file__).resolve().parents[2]
WINE = REPO / "examples" / "wine_fanout.ipynb"


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"cellops": True}}}


@dataclass
class Answer:
    status: int
    body: Any

    def __str__(self) -> str:
        return f"HTTP {self.status}: {json.dumps(self.body, indent=1)[:3000]}"


Fetch = Callable[..., Awaitable[Answer]]


@pytest.fixture
def api(jp_fetch: Any) -> Fetch:
    """api("GET", "analysis", params=..., body=...) -> Answer, for any status."""

    async def call(
        method: str, *parts: str, params: dict[str, str] | None = None, body: Any = None
    ) -> Answer:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method in ("POST", "PUT", "PATCH"):
            kwargs["body"] = b""
        response = await jp_fetch("cellops", "api", *parts, params=params, **kwargs)
        text = response.body.decode() if response.body else ""
        return Answer(response.code, json.loads(text) if text else None)

    return call


def write_nb(root: Path, cells: Sequence[CellSpec], name: str = "nb.ipynb") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook_dict(cells), indent=1), encoding="utf-8")
    return path


@pytest.fixture
def wine(jp_root_dir: Path) -> Path:
    """The wine example, copied into the server's root."""
    return Path(shutil.copyfile(WINE, jp_root_dir / WINE.name))


async def wait_for_run(
    api: Fetch,
    package: str,
    run_id: str,
    *,
    until: Callable[[Any], bool],
    timeout: float = 180,
    route: str = "runs",
) -> Any:
    """Poll a run's (or, with route="batches", a sweep's) status (bounded) until
    ``until(status)``; returns that status."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        answer = await api("GET", route, run_id, params={"package": package})
        assert answer.status == 200, str(answer)
        last = answer.body
        if until(last):
            return last
        await asyncio.sleep(0.25)
    raise AssertionError(f"run {run_id} did not get there in {timeout}s; last status: {last}")


def finished(status: Any) -> bool:
    return bool(status["status"] != "running")


def states(status: Any) -> dict[str, str]:
    return {s["name"]: s["state"] for s in status["stages"]}
