"""Experiment tracking in the server: kernel start-up hook and the history/experiments routes.

Placeholder until the tracking store lands; the extension loader calls both functions.
"""

from __future__ import annotations

from typing import Any


def setup(serverapp: Any) -> None:
    """Make kernels started by this server record their executions (no-op for now)."""


def routes(base_url: str) -> list[tuple[str, Any]]:
    """Tornado routes of the tracking REST API, relative to ``base_url`` (none yet)."""
    return []
