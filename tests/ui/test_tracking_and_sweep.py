"""History, experiments and sweeps in the sidebar: real kernels record, the browser shows.

The kernel behind the notebook is started by the real Jupyter server, so it loads the cellops
tracking extension by itself; nothing in the notebook asks for it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.nbfactory import notebook_dict
from tests.ui.lab import (
    RUN_TIMEOUT_MS,
    Lab,
    click_cell,
    open_notebook,
    promote_through_dialog,
    sidebar,
)

pytestmark = pytest.mark.kernel


def run_cell_with(page: Any, index: int, code: str) -> None:
    click_cell(page, index)
    editor = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")


def open_history(page: Any) -> Any:
    """The main-area history view, opened from the sidebar's button."""
    sidebar(page).locator(".jp-cellops-OpenHistory").click()
    view = page.locator(".jp-cellops-HistoryWidget")
    view.wait_for()
    return view


def close_tab(page: Any, label: str) -> None:
    page.get_by_title(f"Close {label}", exact=True).click()


def wait_versions(page: Any, at_least: int) -> Any:
    page.wait_for_function(
        "(n) => document.querySelectorAll('.jp-cellops-HistoryWidget .jp-cellops-Version')"
        ".length >= n",
        arg=at_least,
        timeout=60_000,
    )
    return page.locator(".jp-cellops-HistoryWidget .jp-cellops-Version")


def test_ui_history_view_diff_restore(page: Any, lab: Lab, screenshot: Any) -> None:
    nb = notebook_dict([("x = 0", ()), ("", ())])
    (lab.root / "track.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    open_notebook(page, lab, "track.ipynb")
    run_cell_with(page, 0, "import cellops\nx = 1\nprint('one')\ncellops.log_metric('score', 10)")
    prompt = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(0).locator(".jp-InputPrompt")
    page.wait_for_function(
        "(el) => el.innerText.includes('[1]')", arg=prompt.element_handle(), timeout=120_000
    )
    run_cell_with(page, 0, "import cellops\nx = 2\nprint('two')\ncellops.log_metric('score', 20)")
    click_cell(page, 0)
    view = open_history(page)
    versions = wait_versions(page, 2)
    assert versions.first.get_attribute("role") == "listitem"
    assert view.locator('[role="list"]').count() == 1
    # The newest version is shown: its code, its output (seen by this browser), its metric.
    detail = view.locator(".jp-cellops-VersionDetail")
    detail.locator(".jp-cellops-VersionCode", has_text="x = 2").wait_for()
    assert "two" in detail.locator(".jp-cellops-VersionOutputs").inner_text()
    assert "20" in detail.locator('tr[data-metric="score"]').inner_text()
    # The older one, diffed against the cell in CodeMirror's merge view.
    versions.nth(1).locator(".jp-cellops-DiffButton").click()
    merge = view.locator(".cm-mergeView")
    merge.wait_for()
    page.wait_for_function(
        "() => { const m = document.querySelector('.jp-cellops-HistoryWidget .cm-mergeView');"
        " return m && m.innerText.includes('x = 1') && m.innerText.includes('x = 2'); }"
    )
    assert merge.locator(".cm-changedLine").count() >= 2  # a changed line on each side
    # Beside the notebook the view is narrow: the versions go above, the diff takes the width.
    width = view.bounding_box()["width"]
    assert width < 720
    assert merge.bounding_box()["width"] > 0.85 * width
    screenshot("history-merge-view", view)
    # Restore puts the old code back into the cell.
    versions.nth(1).locator(".jp-cellops-RestoreButton").click()
    page.wait_for_function(
        "() => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell"
        " .cm-content').innerText.includes('x = 1')"
    )
    source = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(0).locator(".cm-content")
    assert "x = 2" not in source.inner_text()
    close_tab(page, "Cell history")


def test_ui_history_shows_a_run_whose_record_is_committed_late(page: Any, lab: Lab) -> None:
    # On a loaded machine the kernel's writer commits a record seconds after the cell ends.
    # Here the cell itself holds the database's write lock for 3 s to make that happen for sure.
    nb = notebook_dict([("late = 0", ())])
    (lab.root / "late.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    open_notebook(page, lab, "late.ipynb")
    click_cell(page, 0)
    open_history(page)
    page.locator(".jp-NotebookPanel:visible .jp-Cell").first.locator(".jp-InputPrompt").click()
    run_cell_with(
        page,
        0,
        "import os, sqlite3, threading\n"
        "db = os.environ['CELLOPS_TRACKING_DB']\n"
        "os.makedirs(os.path.dirname(db), exist_ok=True)\n"
        "lock = sqlite3.connect(db, check_same_thread=False)\n"
        "lock.execute('BEGIN EXCLUSIVE')\n"
        "threading.Timer(3, lock.rollback).start()\n"
        "late = 1",
    )
    click_cell(page, 0)  # Shift+Enter moved on to a new cell below
    assert wait_versions(page, 1).nth(0).get_attribute("data-status") == "ok"
    close_tab(page, "Cell history")


def test_ui_sweep_in_the_main_area(page: Any, lab: Lab, screenshot: Any) -> None:
    nb = notebook_dict(
        [
            ("n = 1", ("parameters",)),
            (
                "import cellops\nsquare = n * n\ncellops.log_metric('square', square)",
                ("stage:compute",),
            ),
        ]
    )
    (lab.root / "sweep.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    open_notebook(page, lab, "sweep.ipynb")
    sidebar(page).locator(".jp-cellops-Graph-node").first.wait_for()
    promote_through_dialog(page)
    # The sweep opens in the main area, where its table and plot have room.
    sidebar(page).locator(".jp-cellops-OpenSweepButton").click()
    panel = page.locator(".jp-cellops-SweepPanel:visible")
    panel.locator('input[data-grid="n"]').fill("2, 3, 4")
    panel.locator(".jp-cellops-SweepButton").click()
    page.wait_for_function(
        "() => { const b = document.querySelector('.jp-cellops-SweepPanel .jp-cellops-Batch');"
        " return b && b.dataset.status !== 'running'; }",
        timeout=RUN_TIMEOUT_MS,
    )
    assert panel.locator(".jp-cellops-Batch").get_attribute("data-status") == "done"
    batch = panel.locator(".jp-cellops-Batch")
    table = batch.locator(".jp-cellops-BatchTable")
    header = [t.strip() for t in table.locator("th").all_inner_texts()]
    rows = [
        [c.strip() for c in r.locator("td").all_inner_texts()]
        for r in table.locator("tbody tr").all()
    ]
    assert len(rows) == 3
    by_n = {r[header.index("n")]: r[header.index("square")] for r in rows}
    assert by_n == {"2": "4", "3": "9", "4": "16"}
    # The sweep's plot is the Vega-Lite one: one symbol per run.
    symbols = batch.locator(".jp-cellops-VegaPlot svg .mark-symbol.role-mark path")
    symbols.first.wait_for()
    assert symbols.count() == 3
    # The plot takes the panel's width, not the sidebar's fixed 260 px.
    plot = batch.locator(".jp-cellops-VegaPlot svg").first.bounding_box()
    assert plot is not None and plot["width"] > 400, plot
    screenshot("sweep-view")
    # Closed and opened again (as after a reload): the sweep, its table and its grid are back.
    batch_id = batch.get_attribute("data-batch-id")
    close_tab(page, "Sweep: sweep-pipeline")
    panel.wait_for(state="detached")
    sidebar(page).locator(".jp-cellops-OpenSweepButton").click()
    again = page.locator(
        f".jp-cellops-SweepPanel:visible .jp-cellops-Batch[data-batch-id='{batch_id}']"
    )
    again.wait_for()
    assert again.get_attribute("data-status") == "done"
    assert again.locator(".jp-cellops-BatchTable tbody tr").count() == 3
    assert panel.locator('input[data-grid="n"]').input_value() == "2, 3, 4"
