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


def history_items(page: Any) -> Any:
    return sidebar(page).locator(".jp-cellops-Execution")


def test_ui_history_diff_restore_and_experiments(page: Any, lab: Lab) -> None:
    nb = notebook_dict([("x = 0", ()), ("", ())])
    (lab.root / "track.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    open_notebook(page, lab, "track.ipynb")
    run_cell_with(page, 0, "import cellops\nx = 1\ncellops.log_metric('score', x * 10)")
    prompt = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(0).locator(".jp-InputPrompt")
    page.wait_for_function(
        "(el) => el.innerText.includes('[1]')", arg=prompt.element_handle(), timeout=120_000
    )
    run_cell_with(page, 0, "import cellops\nx = 2\ncellops.log_metric('score', x * 10)")
    click_cell(page, 0)
    # Both executions of the cell are listed, newest first, with their metric.
    page.wait_for_function(
        "() => document.querySelectorAll('#cellops-sidebar .jp-cellops-Execution').length >= 2",
        timeout=60_000,
    )
    items = history_items(page)
    assert "score=20" in items.nth(0).inner_text()
    assert "score=10" in items.nth(1).inner_text()
    # The older version diffed against the cell: x = 1 removed, x = 2 added.
    items.nth(1).locator(".jp-cellops-DiffButton").click()
    diff = items.nth(1).locator(".jp-cellops-Diff")
    assert "- x = 1" in diff.inner_text() and "+ x = 2" in diff.inner_text()
    # Restore puts the old code back into the cell.
    items.nth(1).locator(".jp-cellops-RestoreButton").click()
    source = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(0).locator(".cm-content")
    page.wait_for_function(
        "() => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell"
        " .cm-content').innerText.includes('x = 1')"
    )
    assert "x = 2" not in source.inner_text()

    # The experiments table of the notebook compares the two executions.
    sidebar(page).locator(".jp-cellops-ExperimentsButton").click()
    table = page.locator(".jp-cellops-ExperimentsTable")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() >= 2
    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    delta = page.locator('.jp-cellops-Compare tr[data-metric="score"]')
    delta.wait_for()
    assert "10" in delta.inner_text()  # 20 - 10, whichever way round
    assert page.locator(".jp-cellops-ExperimentsWidget .jp-cellops-Plot-point").count() >= 2
    page.locator(
        ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon"
    ).click()


def test_ui_history_shows_a_run_whose_record_is_committed_late(page: Any, lab: Lab) -> None:
    # On a loaded machine the kernel's writer commits a record seconds after the cell ends.
    # Here the cell itself holds the database's write lock for 3 s to make that happen for sure.
    nb = notebook_dict([("late = 0", ())])
    (lab.root / "late.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    open_notebook(page, lab, "late.ipynb")
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
    page.wait_for_function(
        "() => document.querySelectorAll('#cellops-sidebar .jp-cellops-Execution').length >= 1",
        timeout=30_000,
    )
    assert history_items(page).nth(0).get_attribute("data-status") == "ok"


def test_ui_sweep_in_the_main_area(page: Any, lab: Lab) -> None:
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
    assert batch.locator(".jp-cellops-Plot-point").count() == 3
    # The plot takes the panel's width, not the sidebar's fixed 260 px.
    plot = batch.locator("svg.jp-cellops-Plot").bounding_box()
    assert plot is not None and plot["width"] > 400, plot
