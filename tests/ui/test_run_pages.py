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
    assert view.locator(".jp-cellops-LoadMoreRuns").count() == 0  # nothing older to load
    # Every run is loaded, and only those in view are drawn: the oldest of all, last, after
    # the runs before it in order.
    assert view.locator(".jp-cellops-RunList").get_attribute("data-count") == str(COUNT)
    ids = items.evaluate_all("nodes => nodes.map(n => n.dataset.runId)")
    assert 5 < len(ids) < 60
    start = int(ids[0].split("-")[1])
    assert ids == [f"bench-{i:05d}" for i in range(start, -1, -1)]
    assert oldest.get_attribute("aria-posinset") == str(COUNT)
    assert oldest.get_attribute("aria-setsize") == str(COUNT)
    screenshot("oldest-run", view)
    # Home from the oldest run: the newest is drawn, chosen and focused (the pane scrolls up).
    oldest.focus()
    page.keyboard.press("Home")
    newest = view.locator(f".jp-cellops-RunItem[data-run-id='bench-{COUNT - 1:05d}']")
    view.locator(f".jp-cellops-RunDetail[data-run-id='bench-{COUNT - 1:05d}']").wait_for()
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.dataset.runId === id",
        arg=f"bench-{COUNT - 1:05d}",
    )
    assert newest.get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowDown")
    view.locator(f".jp-cellops-RunDetail[data-run-id='bench-{COUNT - 2:05d}']").wait_for()
    assert oldest.count() == 0  # scrolled out, no longer drawn
    # Enter on a run that has the focus but is not the chosen one shows it.
    view.locator(f".jp-cellops-RunItem[data-run-id='bench-{COUNT - 4:05d}']").focus()
    page.keyboard.press("Enter")
    view.locator(f".jp-cellops-RunDetail[data-run-id='bench-{COUNT - 4:05d}']").wait_for()
