"""Figures measured in the browser: a real ``jupyter lab`` on loopback and Debian's Chromium.

(a) a tag change made in the sidebar until the new stage is drawn in the graph, on a 500-cell
    notebook (target <= 300 ms);
(b) Promote: from the dialog's Promote button to the created files shown, for the wine example
    (target <= 1 s);
(c) History of a cell with 10,000 recorded executions: from selecting the cell to its history
    drawn in the (open) history view (target <= 300 ms);
(d) Experiments of a notebook with 10,000 recorded executions: from the sidebar's Experiments
    button to the virtualised grid drawn with every row (target <= 500 ms).
(e) the runs view of a package with 1,000 recorded runs: from the sidebar's "Open runs" to the
    newest page listed and the newest run shown in the main area (target <= 300 ms);
(f) that list then scrolled to its oldest run (pages of 50 load as the end comes into view);
(a') the tag change of (a) on the wine example (target <= 100 ms).

Times are taken inside the page (performance.now), medians of several repetitions.
Run: .venv/bin/python benchmarks/bench_ui.py [CASE ...]
(cases: runs scroll history experiments tag tag-example promote; default all)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import Row, report  # noqa: E402
from gen import large  # noqa: E402

from tests.ui.lab import Lab, browser_page, open_notebook, running_lab, sidebar  # noqa: E402
from tests.ui.runrecords import fill_runs  # noqa: E402

REPEAT = int(os.environ.get("CELLOPS_BENCH_REPEAT", "5"))
# Resolves with the milliseconds from the click to the first frame where `selector` matches.
TIME_CLICK = """
async ([click, selector]) => {
  const t0 = performance.now();
  // JupyterLab selects cells on mousedown, React buttons act on click: send both.
  const target = document.querySelector(click);
  for (const type of ['mousedown', 'mouseup']) {
    target.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, button: 0 }));
  }
  target.click();
  await new Promise((resolve, reject) => {
    const check = () => {
      if (document.querySelector(selector)) {
        resolve();
      } else if (performance.now() - t0 > 30000) {
        reject(new Error(`not shown in 30 s: ${selector}`));
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  });
  return performance.now() - t0;
}
"""


def tag_change(page: Any, lab: Lab) -> list[float]:
    nb = large(stages=25, per_stage=20)
    assert len(nb["cells"]) == 500
    (lab.root / "big.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return _time_tagging(page, lab, "big.ipynb", 25, lambda i: 30 + 40 * i)


def tag_change_example(page: Any, lab: Lab) -> list[float]:
    """The same on the wine example: an untagged code cell becomes a new stage each round."""
    shutil.copy(REPO / "examples" / "wine_fanout.ipynb", lab.root / "wine_tags.ipynb")
    cells = json.loads((lab.root / "wine_tags.ipynb").read_text(encoding="utf-8"))["cells"]
    tags = [t for c in cells for t in c.get("metadata", {}).get("tags", [])]
    nodes = sum(1 for t in tags if t.startswith("stage:"))
    free = [
        i for i, c in enumerate(cells) if c["cell_type"] == "code" and not c["metadata"].get("tags")
    ][::-1]
    return _time_tagging(page, lab, "wine_tags.ipynb", nodes, lambda i: free[i % len(free)])


def _time_tagging(page: Any, lab: Lab, name: str, nodes: int, cell_at: Any) -> list[float]:
    open_notebook(page, lab, name)
    page.wait_for_function(
        "(n) => document.querySelectorAll('#cellops-sidebar .jp-cellops-Graph-node').length === n",
        arg=nodes,
        timeout=60_000,
    )
    samples = []
    for i in range(REPEAT):
        cell = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(cell_at(i))
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputPrompt").click()
        sidebar(page).locator(".jp-cellops-StageSelect").select_option(label="New stage…")
        sidebar(page).locator(".jp-cellops-NewStage").fill(f"bench{i}")
        selector = f'#cellops-sidebar .jp-cellops-Graph-node[data-stage="bench{i}"]'
        samples.append(
            page.evaluate(TIME_CLICK, ["#cellops-sidebar .jp-cellops-AddStage", selector])
        )
    return samples


def promote_round_trip(page: Any, lab: Lab) -> list[float]:
    open_notebook(page, lab, "wine_fanout.ipynb")
    sidebar(page).locator(".jp-cellops-Graph-node").first.wait_for()
    samples = []
    for i in range(REPEAT):
        sidebar(page).locator(".jp-cellops-PromoteButton").click()
        dialog = page.locator(".jp-Dialog")
        dialog.locator('input[data-field="target"]').fill(f"bench-pkg-{i}")
        selector = f'#cellops-sidebar .jp-cellops-Promoted[data-package="bench-pkg-{i}"]'
        samples.append(page.evaluate(TIME_CLICK, [".jp-Dialog .jp-mod-accept", selector]))
    return samples


def fill_history(db: Path, notebook: str, cell_id: str, executions: int) -> None:
    from cellops.metrics import Metric
    from cellops.tracking.store import ExecutionRecord, Writer

    writer = Writer(db, session=uuid.uuid4().hex, environment=lambda: {"python": sys.version})
    now = time.time() - executions
    for i in range(executions):
        t = now + i
        writer.put(
            ExecutionRecord(
                notebook=notebook,
                cell_id=cell_id,
                code=f"model = fit(X, y, depth={i % 7})",
                execution_count=i + 1,
                started=t,
                ended=t + 0.25,
                duration=0.25,
                status="ok",
                error_type=None,
                error_message=None,
                paramset=None,
                metrics=(Metric("accuracy", 0.9, None, t),),
            )
        )
    writer.close(timeout=600)


def _newest_execution(db: Path, notebook: str, cell_id: str) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute(
            "SELECT max(id) FROM executions WHERE notebook = ? AND cell_id = ?", (notebook, cell_id)
        ).fetchone()
    return int(row[0])


def history_render(page: Any, lab: Lab) -> list[float]:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "id": cid,
                "metadata": {},
                "source": src,
                "outputs": [],
                "execution_count": None,
            }
            for cid, src in (("hist-a", "a = 1"), ("hist-b", "b = 2"))
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / "hist.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    db = lab.root / ".cellops" / "tracking.db"
    db.parent.mkdir(exist_ok=True)
    # The store keys notebooks by their absolute path, as the server's kernels record them.
    notebook = str((lab.root / "hist.ipynb").resolve())
    fill_history(db, notebook, "hist-a", 10_000)
    newest = _newest_execution(db, notebook, "hist-a")  # other cases may have filled the store
    fill_history(db, notebook, "hist-b", 10_000)
    open_notebook(page, lab, "hist.ipynb")
    page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1).locator(".jp-InputPrompt").click()
    sidebar(page).locator(".jp-cellops-OpenHistory").click()  # the view stays open
    samples = []
    first = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell[data-windowed-list-index='0']"
    history = f".jp-cellops-HistoryWidget .jp-cellops-Version[data-execution='{newest}']"
    for i in range(REPEAT + 1):
        # Select the other cell first (untimed), then time selecting the 10,000-execution one.
        page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1).locator(".jp-InputPrompt").click()
        page.locator(history).wait_for(state="detached")
        ms = page.evaluate(TIME_CLICK, [f"{first} .jp-InputPrompt", history])
        if i:  # the first round warms the server's connection
            samples.append(ms)
    return samples


def experiments_render(page: Any, lab: Lab) -> list[float]:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "id": "exp-a",
                "metadata": {},
                "source": "model = fit(X, y)",
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / "exp.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    db = lab.root / ".cellops" / "tracking.db"
    db.parent.mkdir(exist_ok=True)
    fill_history(db, str((lab.root / "exp.ipynb").resolve()), "exp-a", 10_000)
    open_notebook(page, lab, "exp.ipynb")
    # Drawn: the grid holds every row and has painted its canvas (a frame after the data).
    drawn = ".jp-cellops-GridHost[data-rows='10000'] canvas"
    samples = []
    for i in range(REPEAT + 1):
        ms = page.evaluate(TIME_CLICK, ["#cellops-sidebar .jp-cellops-ExperimentsButton", drawn])
        if i:  # the first round loads the view's code and warms the server's connection
            samples.append(ms)
        page.locator(".lm-TabBar-tab", has_text="Experiments: exp.ipynb").locator(
            ".lm-TabBar-tabCloseIcon"
        ).click()
        page.locator(drawn).wait_for(state="detached")
    return samples


# Resolves with the milliseconds from the first scroll to the oldest run listed: the list pane
# is scrolled to its end each frame, as a user holding End would, while pages load.
TIME_SCROLL = """
async ([pane, selector]) => {
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const step = () => {
      const node = document.querySelector(pane);
      if (document.querySelector(selector)) {
        resolve();
      } else if (performance.now() - t0 > 60000) {
        reject(new Error(`not shown in 60 s: ${selector}`));
      } else {
        node.scrollTop = node.scrollHeight;
        requestAnimationFrame(step);
      }
    };
    step();
  });
  return performance.now() - t0;
}
"""


def runs_view(page: Any, lab: Lab, count: int = 1000) -> list[float]:
    return _runs_view(page, lab, count)[0]


def runs_scroll(page: Any, lab: Lab, count: int = 1000) -> list[float]:
    return _runs_view(page, lab, count, scroll=True)[1]


def _runs_view(
    page: Any, lab: Lab, count: int, scroll: bool = False
) -> tuple[list[float], list[float]]:
    """Open runs -> the newest page listed and the newest run shown; optionally then scroll
    the list to the oldest of the ``count`` runs (the pages load as the end comes into view)."""
    name = f"runs_bench_{count}_{int(scroll)}"
    shutil.copy(REPO / "examples" / "wine_fanout.ipynb", lab.root / f"{name}.ipynb")
    answer = lab.api("POST", "cellops/api/promote", {"path": f"{name}.ipynb"})
    fill_runs(lab.root / answer["package"], list(answer["stages"]), count)
    open_notebook(page, lab, f"{name}.ipynb")
    button = "#cellops-sidebar .jp-cellops-OpenRunsButton"
    page.locator(button).wait_for()
    newest = f"bench-{count - 1:05d}"
    shown = (
        f".jp-cellops-RunsPanel:has(.jp-cellops-RunItem[data-run-id='{newest}']) "
        f".jp-cellops-RunDetail[data-run-id='{newest}']"
    )
    oldest = ".jp-cellops-RunsPanel .jp-cellops-RunItem[data-run-id='bench-00000']"
    pane = ".jp-cellops-RunsPanel .jp-cellops-Runs-listPane"
    opened, scrolled = [], []
    for i in range(REPEAT + 1):
        ms = page.evaluate(TIME_CLICK, [button, shown])
        if scroll:
            ms_scroll = page.evaluate(TIME_SCROLL, [pane, oldest])
        tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=f"Runs: {name}")
        tab.locator(".lm-TabBar-tabCloseIcon").click()
        page.locator(shown).wait_for(state="detached")
        if i:  # the first round warms the server's connection
            opened.append(ms)
            if scroll:
                scrolled.append(ms_scroll)
    return opened, scrolled


def _row(name: str, samples_ms: list[float], target: float | None, note: str = "") -> Row:
    return Row(
        name,
        statistics.median(samples_ms) / 1000,
        target=target,
        note=f"median of {len(samples_ms)}; max {max(samples_ms):.0f} ms{note}",
    )


CASES = ("runs", "scroll", "history", "experiments", "tag", "tag-example", "promote")


def measure(cases: tuple[str, ...] = CASES) -> list[Row]:
    """Each case, or only those named (`bench_ui.py runs example`: under two minutes)."""
    found: dict[str, list[float]] = {}
    steps = {
        "runs": runs_view,
        "scroll": runs_scroll,
        "tag-example": tag_change_example,
        "history": history_render,
        "experiments": experiments_render,
        "tag": tag_change,
        "promote": promote_round_trip,
    }
    with tempfile.TemporaryDirectory(prefix="cellops-bench-ui-") as tmp:
        root = Path(tmp) / "root"
        state = Path(tmp) / "state"
        root.mkdir()
        state.mkdir()
        shutil.copy(REPO / "examples" / "wine_fanout.ipynb", root / "wine_fanout.ipynb")
        with running_lab(root, state) as lab, browser_page(lab) as page:
            for case in cases:
                found[case] = steps[case](page, lab)
    rows = {
        "tag": ("(a) tag change -> graph redrawn, 500-cell notebook", 0.3, ""),
        "promote": ("(b) Promote button -> files shown, wine example", 1.0, ""),
        "history": (
            "(c) select a cell -> its history of 10,000 executions drawn",
            0.3,
            "; the newest 200 are drawn",
        ),
        "experiments": (
            "(d) Experiments button -> grid of 10,000 executions drawn",
            0.5,
            "; virtualised: only the rows in view are painted",
        ),
        "runs": (
            "(e) Open runs -> newest runs listed and shown, 1,000 recorded runs",
            0.3,
            "; a page of 50 listed, the rest loads on scrolling",
        ),
        "scroll": ("(f) runs list scrolled to the oldest of 1,000 runs", None, ""),
        "tag-example": ("(a') tag change -> graph redrawn, wine example", 0.1, ""),
    }
    return [_row(rows[c][0], found[c], rows[c][1], rows[c][2]) for c in CASES if c in found]


if __name__ == "__main__":
    chosen = tuple(sys.argv[1:]) or CASES
    unknown = set(chosen) - set(CASES)
    if unknown:
        sys.exit(f"unknown case(s) {sorted(unknown)}; choose from {', '.join(CASES)}")
    report("Browser figures (JupyterLab + Chromium)", measure(chosen))
