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
    """A bar with ETA on a terminal; one plain line per finished run otherwise (logs, CI)."""

    def __init__(self, out: TextIO, swept: Sequence[str], *, quiet: bool = False) -> None:
        self.out = out
        self.swept = tuple(swept)
        self.quiet = quiet
        isatty = getattr(out, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.drawn = False

    def run_ended(self, progress: BatchProgress, row: dict[str, Any]) -> None:
        if self.quiet:
            return
        if self.tty:
            self.draw(progress)
            return
        params = " ".join(f"{p}={row.get(p)!r}" for p in self.swept)
        detail = row.get("error") or f"{row.get('duration', 0):.2f}s"
        done = progress.done + progress.failed
        print(
            f"  run {row['run']:>3} {row['status']:<6} [{done}/{progress.total}, ETA "
            f"{_clock(progress.eta())}] {params}  {detail}",
            file=self.out,
            flush=True,
        )

    def draw(self, progress: BatchProgress) -> None:
        if self.quiet or not self.tty:
            return
        width = 30
        done = progress.done + progress.failed
        filled = int(width * done / progress.total) if progress.total else width
        failed = f", {progress.failed} failed" if progress.failed else ""
        text = (
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{progress.total} runs{failed}"
            f"  elapsed {_clock(time.time() - progress.started)}  ETA {_clock(progress.eta())} "
        )
        self.out.write(text)
        self.out.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.out.write("\n")
            self.out.flush()
            self.drawn = False
