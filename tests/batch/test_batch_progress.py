"""How ``cellops batch`` shows its progress: plain whole lines when piped, a rich bar on a
terminal (runs done/failed/cached of N, elapsed, ETA) with a line per finished run above it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from cellops.sweeps.progress import BatchProgress, TerminalProgress
from tests.batch.conftest import cellops, write_sweep_notebook

LINE = re.compile(r"  run +(\d+) (done|failed) +\[(\d+)/(\d+), ETA [-:\d]+\] a=\d+  .+")


@pytest.mark.kernel
def test_piped_progress_is_one_whole_line_per_run(tmp_path: Path) -> None:
    nb = write_sweep_notebook(tmp_path / "sq.ipynb", "print(a * a)")
    proc = cellops("batch", nb, "--grid", "a=1,2,3,4", "-j", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    assert "\r" not in err and "\x1b[" not in err  # no bar, no colours in a pipe
    lines = [line for line in err.splitlines() if line.startswith("  run")]
    assert len(lines) == 4, err
    for line in lines:
        assert LINE.fullmatch(line), line  # whole lines: never two runs' text interleaved
    counts = [int(LINE.fullmatch(line)[3]) for line in lines]  # type: ignore[index]
    assert counts == [1, 2, 3, 4]
    assert sorted(int(LINE.fullmatch(line)[1]) for line in lines) == [0, 1, 2, 3]  # type: ignore[index]


def _row(run: int, status: str) -> dict[str, object]:
    return {"run": run, "status": status, "a": run, "duration": 0.5, "error": None}


@settings(max_examples=25, deadline=None)
@given(outcomes=st.lists(st.sampled_from(["done", "failed", "cached"]), min_size=1, max_size=12))
def test_the_terminal_bar_counts_done_failed_and_cached_runs(outcomes: list[str]) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=150, color_system=None)
    progress = BatchProgress("b1", len(outcomes) + 1)  # one run never ends: no ETA of 0
    terminal = TerminalProgress(io.StringIO(), ("a",), console=console)
    terminal.draw(progress)
    for i, outcome in enumerate(outcomes):
        if outcome == "failed":
            progress.failed += 1
        else:
            progress.done += 1
            progress.cached += outcome == "cached"
        terminal.run_ended(progress, _row(i, "failed" if outcome == "failed" else "done"))
    terminal.close()
    shown = screen.getvalue()
    done, failed = len(outcomes) - outcomes.count("failed"), outcomes.count("failed")
    counts = (
        f"{done} done, {failed} failed, {outcomes.count('cached')} cached of {len(outcomes) + 1}"
    )
    assert counts in shown, shown
    assert "elapsed 0:0" in shown and "ETA " in shown
    assert "━" in shown  # rich's bar
    for i in range(len(outcomes)):
        assert re.search(rf"  run +{i} ", shown), shown  # each finished run, above the bar


def test_quiet_shows_nothing_on_a_terminal() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    progress = BatchProgress("b1", 2)
    terminal = TerminalProgress(io.StringIO(), ("a",), quiet=True, console=console)
    terminal.draw(progress)
    terminal.run_ended(progress, _row(0, "done"))
    terminal.close()
    assert screen.getvalue() == ""
