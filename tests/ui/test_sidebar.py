"""The sidebar in a real JupyterLab, driven by a real Chromium (Playwright).

Kernels, papermill and the promote/run code are all real: what a data scientist clicks is what
runs. Tests are named ``test_ui_*`` (one worker, one lab).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.nbfactory import notebook_dict
from tests.ui.lab import (
    Lab,
    click_cell,
    open_notebook,
    promote_through_dialog,
    sidebar,
    wait_finished,
)

REPO = Path(__file__).resolve().parents[2]
WINE_STAGES = ["load", "features", "train_forest", "train_logreg", "compare"]

pytestmark = pytest.mark.kernel


def graph_nodes(page: Any) -> list[str]:
    nodes = sidebar(page).locator(".jp-cellops-Graph-node")
    return [nodes.nth(i).get_attribute("data-stage") for i in range(nodes.count())]


def badge_texts(page: Any, want: set[str] | None = None, timeout: float = 20.0) -> list[str]:
    """The badge of every cell, in order ('' for none).

    Cells render lazily as the notebook scrolls and are painted once their DOM exists, so a
    slow machine can read a cell before its badge is there: scan again (bounded) until every
    label in ``want`` has been seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        cells = page.locator(".jp-NotebookPanel:visible .jp-Cell")
        texts = []
        for i in range(cells.count()):
            cells.nth(i).scroll_into_view_if_needed(timeout=10_000)
            badge = cells.nth(i).locator(".jp-cellops-Badge")
            texts.append(badge.inner_text() if badge.count() else "")
        if want is None or want <= set(texts) or time.monotonic() > deadline:
            return texts
        page.wait_for_timeout(250)


def test_ui_stages_graph_and_tagging(page: Any, lab: Lab) -> None:
    open_notebook(page, lab, "wine_fanout.ipynb")
    page.wait_for_function(
        "() => document.querySelectorAll('#cellops-sidebar .jp-cellops-Graph-node').length === 5"
    )
    assert graph_nodes(page) == WINE_STAGES
    # The two training stages are drawn side by side: the fan-out is visible.
    forest = sidebar(page).locator('.jp-cellops-Graph-node[data-stage="train_forest"]')
    logreg = sidebar(page).locator('.jp-cellops-Graph-node[data-stage="train_logreg"]')
    assert forest.bounding_box()["y"] == logreg.bounding_box()["y"]
    # Every cell of a stage carries a badge with its stage's name (cells render lazily as the
    # notebook scrolls, so look at each one in view).
    assert set(WINE_STAGES) <= set(badge_texts(page, want=set(WINE_STAGES)))

    # Tag the last cell as a new stage through the sidebar: the graph grows a node and an edge.
    last = page.locator(".jp-NotebookPanel:visible .jp-Cell").count() - 1
    click_cell(page, last)
    select = sidebar(page).locator(".jp-cellops-StageSelect")
    select.select_option(label="New stage…")
    sidebar(page).locator(".jp-cellops-NewStage").fill("report")
    sidebar(page).locator(".jp-cellops-AddStage").click()
    sidebar(page).locator('.jp-cellops-Graph-node[data-stage="report"]').wait_for()
    assert graph_nodes(page)[-1] == "report"
    # A cycle made through the after: toggles shows up as a diagnostic naming the stages ...
    load_cell = badge_texts(page, want={"load"}).index("load")
    click_cell(page, load_cell)
    page.wait_for_function(
        "() => !!document.querySelector('#cellops-sidebar input[data-after=\"report\"]')"
    )
    sidebar(page).locator('input[data-after="report"]').check()
    problem = sidebar(page).locator('.jp-cellops-Diagnostic[data-code="cycle"]')
    problem.wait_for()
    assert "report" in problem.inner_text() and "load" in problem.inner_text()
    # ... and clicking it selects the cell that carries the after: tag.
    click_cell(page, 3)
    problem.click()
    active = page.locator(".jp-NotebookPanel:visible .jp-Cell.jp-mod-active")
    assert active.locator(".jp-cellops-Badge").inner_text() == "load"
    # Undo: the cycle disappears, the graph is back to six stages.
    sidebar(page).locator('input[data-after="report"]').uncheck()
    problem.wait_for(state="detached")
    assert len(graph_nodes(page)) == 6
    # Nothing was saved: the file on disk still has five stages (the view follows the model).
    saved = json.loads((lab.root / "wine_fanout.ipynb").read_text())
    assert not any("stage:report" in c["metadata"].get("tags", []) for c in saved["cells"])


def test_ui_promote_then_run_to_the_end(page: Any, lab: Lab) -> None:
    open_notebook(page, lab, "wine_fanout.ipynb")
    sidebar(page).locator(".jp-cellops-Graph-node").first.wait_for()
    promote_through_dialog(page)
    package = lab.root / "wine_fanout-pipeline"
    assert (package / "pipeline.yaml").is_file()
    assert sorted(p.stem for p in (package / "stages").glob("*.ipynb")) == sorted(WINE_STAGES)
    summary = sidebar(page).locator(".jp-cellops-Promoted summary").inner_text()
    assert "wine_fanout-pipeline" in summary

    # Run with one parameter changed in the sidebar's form; every stage must finish.
    sidebar(page).locator('input[data-param="n_estimators"]').fill("7")
    sidebar(page).locator(".jp-cellops-RunButton").click()
    assert wait_finished(page, ".jp-cellops-Run") == "done"
    # The sidebar keeps one line for the run; each stage's state is on the graph.
    line = sidebar(page).locator(".jp-cellops-Run")
    assert "Latest run: done" in line.inner_text()
    nodes = sidebar(page).locator(".jp-cellops-Graph-node")
    got = {
        nodes.nth(i).get_attribute("data-stage"): nodes.nth(i).get_attribute("data-state")
        for i in range(nodes.count())
    }
    assert got == dict.fromkeys(WINE_STAGES, "done")
    run_id = line.get_attribute("data-run-id")
    record = json.loads((package / ".cellops" / "runs" / run_id / "run.json").read_text())
    assert record["parameters"]["n_estimators"] == 7
    # The line's link opens the runs view; the executed stage notebook opens from there.
    line.locator(".jp-cellops-OpenRuns").click()
    row = page.locator('.jp-cellops-RunsPanel .jp-cellops-RunStage[data-stage="compare"]')
    row.locator(".jp-cellops-ExecutedLink").click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="compare.ipynb")
    tab.wait_for()
    executed = page.locator(".jp-NotebookPanel:visible")
    executed.locator(".jp-OutputArea-output").first.wait_for()  # it was run: outputs are there
    if os.environ.get("UPDATE_SCREENSHOT"):
        page.set_viewport_size({"width": 1400, "height": 1500})
        open_notebook(page, lab, "wine_fanout.ipynb")
        sidebar(page).locator(".jp-cellops-Graph-node").first.wait_for()
        sidebar(page).locator('[data-section="history"] summary').click()
        sidebar(page).locator(".jp-cellops-Run").wait_for()
        sidebar(page).screenshot(path=str(REPO / "docs" / "sidebar.png"))
        page.set_viewport_size({"width": 1400, "height": 900})


def test_ui_failing_stage_shows_its_error(page: Any, lab: Lab) -> None:
    nb = notebook_dict(
        [
            ("x = 1", ("stage:make",)),
            ("y = x / 0", ("stage:divide",)),
        ]
    )
    (lab.root / "broken.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    open_notebook(page, lab, "broken.ipynb")
    page.wait_for_function(
        "() => document.querySelectorAll('#cellops-sidebar .jp-cellops-Graph-node').length === 2"
    )
    promote_through_dialog(page)
    sidebar(page).locator(".jp-cellops-RunButton").click()
    assert wait_finished(page, ".jp-cellops-Run") == "failed"
    assert "Latest run: failed" in sidebar(page).locator(".jp-cellops-Run").inner_text()
    node = sidebar(page).locator('.jp-cellops-Graph-node[data-stage="divide"]')
    assert node.get_attribute("data-state") == "failed"
    upstream = sidebar(page).locator('.jp-cellops-Graph-node[data-stage="make"]')
    assert upstream.get_attribute("data-state") == "done"
    # The error itself is the runs view's, one click away.
    sidebar(page).locator(".jp-cellops-OpenRuns").click()
    failed = page.locator('.jp-cellops-RunsPanel .jp-cellops-RunStage[data-stage="divide"]')
    assert failed.get_attribute("data-state") == "failed"
    error = page.locator(".jp-cellops-RunsPanel .jp-cellops-RunError-title").inner_text()
    assert "ZeroDivisionError" in error
    assert "cell 2" in error  # the source notebook's cell, not the stage notebook's
    shutil.rmtree(lab.root / "broken-pipeline")
