"""A real Jupyter server with the cellops extension (pytest-jupyter), for the tracking routes."""

from __future__ import annotations

from typing import Any

import pytest

# pytest-jupyter has no entry point: its fixtures and async hooks are loaded here, for the
# tests of this directory only.
from pytest_jupyter.jupyter_server import *  # noqa: F403


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"cellops": True}}}
