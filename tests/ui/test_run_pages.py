"""A package with 1,000 recorded runs (issue 15): the runs view lists the newest page at once
and reaches the oldest run by scrolling, each page loading as the list's end comes into view.

A real lab and Chromium; the runs are records written by the runner's record writer. The
test saves screenshots into build/ui-output/TEST/ for a reviewer.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.ui.lab import Lab, open_notebook, sidebar
from tests.ui.runrecords import fill_runs

COUNT = 1000
REPO = Path(__file__).resolve().parents[2]


def test_a_thousand_run_list_scrolls_to_the_oldest_run(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    shutil.copy(REPO / "examples" / "wine_fanout.ipynb", lab.root / "many_runs.ipynb")
    answer = lab.api("POST", "cellops/api/promote", {"path": "many_runs.ipynb"})
    fill_runs(lab.root / answer["package"], list(answer["stages"]), COUNT)
    open_notebook(page, lab, "many_runs.ipynb")
    sidebar(page).locator(".jp-cellops-OpenRunsButton").click()
    view = page.locator(".jp-cellops-RunsPanel:visible")
    items = view.locator(".jp-cellops-RunItem")
    view.locator(f".jp-cellops-RunDetail[data-run-id='bench-{COUNT - 1:05d}']").wait_for()
    # The newest page only: the other runs are not read until the user scrolls.
    assert 0 < items.count() < COUNT
    assert items.first.get_attribute("data-run-id") == f"bench-{COUNT - 1:05d}"
    screenshot("newest-page", view)

    oldest = view.locator(".jp-cellops-RunItem[data-run-id='bench-00000']")
    pane = view.locator(".jp-cellops-Runs-listPane")
    for _ in range(200):  # bounded: pages of 50 need 20 scrolls, a stuck list fails
        if oldest.count():
            break
        pane.evaluate("node => { node.scrollTop = node.scrollHeight; }")
        page.wait_for_timeout(100)
    oldest.click()
    view.locator(".jp-cellops-RunDetail[data-run-id='bench-00000']").wait_for()
    ids = items.evaluate_all("nodes => nodes.map(n => n.dataset.runId)")
    assert ids == [f"bench-{i:05d}" for i in reversed(range(COUNT))]  # each once, in order
    assert view.locator(".jp-cellops-LoadMoreRuns").count() == 0  # nothing older to load
    screenshot("oldest-run", view)
