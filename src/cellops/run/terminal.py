"""`cellops run` on a terminal: a live table of the stages (rich), redrawn as they change.

Piped or quiet output keeps the plain lines of ``package_run.Progress``. The table shows the
states the stage threads report, in the same order as those lines, so it never shows more
stages running than really run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, TextIO

_STYLE = {
    "running": "yellow",
    "done": "green",
    "cached": "cyan",
    "failed": "red",
    "retry": "magenta",
}


class LiveTable:
    def __init__(self, out: TextIO, stages: Sequence[str]) -> None:
        from rich.console import Console
        from rich.live import Live

        self.states: dict[str, tuple[str, str]] = {s: ("pending", "") for s in stages}
        self.started: dict[str, float] = {}
        self.lock = threading.Lock()
        self.console = Console(file=out)
        self.live = Live(self._table(), console=self.console, refresh_per_second=4)

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("stage")
        table.add_column("state")
        table.add_column("time", justify="right")
        now = time.time()
        for name, (state, detail) in self.states.items():
            if state == "running" and name in self.started:
                detail = f"{now - self.started[name]:.1f}s"
            style = _STYLE.get(state, "dim")
            table.add_row(name, f"[{style}]{state}[/{style}]", detail)
        return table

    def __enter__(self) -> LiveTable:
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.live.update(self._table(), refresh=True)
        self.live.stop()

    def line(self, text: str, *, always: bool = False) -> None:
        with self.lock:
            self.live.console.print(text, markup=False, highlight=False)

    def stage(self, name: str, state: str, detail: str = "") -> None:
        with self.lock:
            if state == "running":
                self.started[name] = time.time()
            self.states[name] = (state, detail)
            self.live.update(self._table())


def is_terminal(out: TextIO) -> bool:
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())
