"""Terminal output of ``cellops run`` and ``cellops batch``: one live display (rich).

On a terminal a run shows a live table of its stages and a sweep a progress bar, redrawn as
they change, with lines printed above them. Piped or quiet output keeps plain lines, one at a
time (``PlainLines``), so lines from several threads never interleave. The table shows the
states the stage threads report, in the same order as those lines, so it never shows more
stages running than really run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

_STYLE = {
    "running": "yellow",
    "done": "green",
    "cached": "cyan",
    "failed": "red",
    "retry": "magenta",
}


class PlainLines:
    """Whole lines to a stream, one writer at a time (logs, CI, a pipe)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    def line(self, text: str) -> None:
        with self.lock:
            print(text, file=self.out, flush=True)


class LiveDisplay:
    """A rich ``Live`` that draws ``render()`` a few times a second until stopped.

    ``console``: where to draw (default: a Console on ``out``); tests pass their own.
    """

    def __init__(
        self, out: TextIO | None, render: Callable[[], Any], *, console: Any = None
    ) -> None:
        from rich.console import Console
        from rich.live import Live

        self.lock = threading.Lock()
        self.console = console if console is not None else Console(file=out)
        self.live = Live(console=self.console, refresh_per_second=4, get_renderable=render)
        self.started = False

    def start(self) -> None:
        if not self.started:
            self.live.start()
            self.started = True

    def stop(self) -> None:
        if self.started:
            with self.lock:
                self.live.refresh()
            self.live.stop()
            self.started = False

    def line(self, text: str) -> None:
        with self.lock:
            self.live.console.print(text, markup=False, highlight=False)

    def refresh(self) -> None:
        with self.lock:
            self.live.refresh()


class LiveTable:
    def __init__(self, out: TextIO, stages: Sequence[str]) -> None:
        self.states: dict[str, tuple[str, str]] = {s: ("pending", "") for s in stages}
        self.started: dict[str, float] = {}
        self.display = LiveDisplay(out, self._table)

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("stage")
        table.add_column("state")
        table.add_column("time", justify="right")
        now = time.time()
        for name, (state, detail) in list(self.states.items()):
            if state == "running" and name in self.started:
                detail = f"{now - self.started[name]:.1f}s"
            style = _STYLE.get(state, "dim")
            table.add_row(name, f"[{style}]{state}[/{style}]", detail)
        return table

    def __enter__(self) -> LiveTable:
        self.display.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.stop()

    def line(self, text: str, *, always: bool = False) -> None:
        self.display.line(text)

    def stage(self, name: str, state: str, detail: str = "") -> None:
        with self.display.lock:
            if state == "running":
                self.started[name] = time.time()
            self.states[name] = (state, detail)
        self.display.refresh()


def is_terminal(out: TextIO) -> bool:
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())
