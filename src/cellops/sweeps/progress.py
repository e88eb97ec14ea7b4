"""How far a batch is: counts, ETA, and how the terminal shows them.

``BatchProgress`` is what the CLI bar and the server's progress endpoint read; it is updated by
the scheduler thread only, and read as a snapshot (``to_dict``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

BatchStatus = str  # "running", "done" (every run done), "failed" (some failed), "interrupted"


@dataclass
class BatchProgress:
    batch_id: str
    total: int
    done: int = 0
    failed: int = 0
    reused: int = 0  # finished by an earlier attempt of a resumed batch
    cached: int = 0  # done with every stage taken from the cache
    status: BatchStatus = "running"
    started: float = field(default_factory=time.time)
    finished: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def remaining(self) -> int:
        return self.total - self.done - self.failed

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left, from the pace of the runs finished so far in this attempt."""
        finished_here = self.done + self.failed - self.reused
        if self.finished is not None:
            return 0.0
        if finished_here <= 0:
            return None
        elapsed = (now or time.time()) - self.started
        return elapsed / finished_here * self.remaining

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            eta = self.eta()
            return {
                "batch_id": self.batch_id,
                "status": self.status,
                "total": self.total,
                "done": self.done,
                "failed": self.failed,
                "remaining": self.remaining,
                "elapsed": round((self.finished or time.time()) - self.started, 3),
                "eta": None if eta is None else round(eta, 1),
            }


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(seconds + 0.5)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


class TerminalProgress:
    """A rich bar on a terminal (runs done/failed/cached of N, elapsed, ETA) with a line per
    finished run above it; one plain line per finished run otherwise (logs, CI, a pipe).

    ``console``: a rich Console to draw on instead of ``out`` (tests capture with it).
    """

    def __init__(
        self,
        out: TextIO,
        swept: Sequence[str],
        *,
        quiet: bool = False,
        console: Any = None,
    ) -> None:
        from cellops.run.terminal import PlainLines, is_terminal

        self.swept = tuple(swept)
        self.quiet = quiet
        self.tty = console is not None or is_terminal(out)
        self.plain = PlainLines(out)
        self.out = out
        self.console = console
        self.display: Any = None
        self.progress: BatchProgress | None = None

    def _line(self, progress: BatchProgress, row: dict[str, Any]) -> str:
        params = " ".join(f"{p}={row.get(p)!r}" for p in self.swept)
        detail = row.get("error") or f"{row.get('duration', 0):.2f}s"
        done = progress.done + progress.failed
        return (
            f"  run {row['run']:>3} {row['status']:<6} [{done}/{progress.total}, ETA "
            f"{_clock(progress.eta())}] {params}  {detail}"
        )

    def run_ended(self, progress: BatchProgress, row: dict[str, Any]) -> None:
        if self.quiet:
            return
        if self.display is not None:
            self.display.line(self._line(progress, row))
            self.display.refresh()
        elif not self.tty:
            self.plain.line(self._line(progress, row))

    def draw(self, progress: BatchProgress) -> None:
        """Start the bar (on a terminal); it redraws itself until ``close``."""
        if self.quiet or not self.tty or self.display is not None:
            return
        from cellops.run.terminal import LiveDisplay

        self.progress = progress
        self.display = LiveDisplay(self.out, self._bar, console=self.console)
        self.display.start()

    def _bar(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        p = self.progress
        assert p is not None
        ended = p.done + p.failed
        grid = Table.grid(padding=(0, 1))
        grid.add_row(
            ProgressBar(total=max(p.total, 1), completed=ended, width=30),
            f"{p.done} done, {p.failed} failed, {p.cached} cached of {p.total} runs",
            f"elapsed {_clock((p.finished or time.time()) - p.started)}",
            f"ETA {_clock(p.eta())}",
        )
        return grid

    def close(self) -> None:
        if self.display is not None:
            self.display.stop()
            self.display = None
