"""The sidebar as a workbench (issue 15): what a new user ran into, reproduced in a real lab.

Each test saves a screenshot into build/ui-output/TEST/ for a reviewer.
"""

from __future__ import annotations

import json
import math
import re
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

pytestmark = pytest.mark.kernel

TRANSLATE = re.compile(r"translate\(([^,]+),\s*([^)]+)\)")


def write_notebook(lab: Lab, name: str, cells: list[tuple[str, tuple[str, ...]]]) -> None:
    (lab.root / name).write_text(json.dumps(notebook_dict(cells)), encoding="utf-8")


def wait_nodes(page: Any, count: int) -> None:
    page.wait_for_function(
        "(n) => document.querySelectorAll('#cellops-sidebar .jp-cellops-Graph-node').length === n",
        arg=count,
    )


def test_ui_a_cycle_is_drawn_with_its_edges_marked(page: Any, lab: Lab, screenshot: Any) -> None:
    write_notebook(
        lab,
        "cycle.ipynb",
        [
            ("x = 1", ("stage:a", "after:c")),
            ("y = x + 1", ("stage:b",)),
            ("z = y + 1", ("stage:c",)),
            ("w = z * 2", ("stage:d",)),
        ],
    )
    console: list[str] = []
    listener = lambda msg: console.append(msg.text)  # noqa: E731
    page.on("console", listener)
    try:
        open_notebook(page, lab, "cycle.ipynb")
        wait_nodes(page, 4)
        sidebar(page).locator('.jp-cellops-Diagnostic[data-code="cycle"]').wait_for()
        nodes = sidebar(page).locator(".jp-cellops-Graph-node")
        places = set()
        for i in range(nodes.count()):
            found = TRANSLATE.fullmatch(nodes.nth(i).get_attribute("transform") or "")
            assert found, nodes.nth(i).get_attribute("transform")
            x, y = float(found[1]), float(found[2])
            assert math.isfinite(x) and math.isfinite(y)
            places.add((x, y))
        assert len(places) == 4  # one box per stage, none drawn over another
        svg = sidebar(page).locator("svg.jp-cellops-Graph")
        assert math.isfinite(float(svg.get_attribute("width") or "nan"))
        edges = sidebar(page).locator(".jp-cellops-Graph-edge")
        marked = {}
        for i in range(edges.count()):
            edge = edges.nth(i)
            ends = (edge.get_attribute("data-source"), edge.get_attribute("data-target"))
            marked[ends] = "jp-mod-cycle" in (edge.get_attribute("class") or "")
        assert marked == {("a", "b"): True, ("b", "c"): True, ("c", "a"): True, ("c", "d"): False}
        for i in range(edges.count()):
            assert "NaN" not in (edges.nth(i).get_attribute("d") or "NaN")
        screenshot("cycle", sidebar(page))
    finally:
        page.remove_listener("console", listener)
    assert not [m for m in console if "NaN" in m], console


def next_frames(page: Any) -> None:
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def boxes_overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_ui_the_badge_leaves_the_active_cells_toolbar_free(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    write_notebook(lab, "badge.ipynb", [("x = 1", ("stage:first",)), ("y = x", ("stage:second",))])
    open_notebook(page, lab, "badge.ipynb")
    wait_nodes(page, 2)
    click_cell(page, 0)
    cell = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(0)
    badge = cell.locator(".jp-cellops-Badge")
    badge.wait_for()
    buttons = cell.locator(".jp-cell-toolbar .jp-ToolbarButtonComponent:visible")
    buttons.first.wait_for()
    badge_box = badge.bounding_box()
    assert badge_box is not None
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        assert box is not None and not boxes_overlap(badge_box, box), (badge_box, box)
    # Still readable: the whole name shows, inside the cell.
    assert badge.inner_text() == "first"
    cell_box = cell.bounding_box()
    assert cell_box is not None
    assert badge_box["y"] + badge_box["height"] <= cell_box["y"] + cell_box["height"]
    screenshot("badge", cell)


def test_ui_a_never_promoted_notebook_asks_for_its_runs_without_a_404(page: Any, lab: Lab) -> None:
    write_notebook(lab, "fresh.ipynb", [("x = 1", ("stage:only",))])
    open_notebook(page, lab, "fresh.ipynb")
    sidebar(page).locator(".jp-cellops-Hint", has_text="Promote the notebook to run it").wait_for()
    logged = lab.log.read_text(errors="replace")
    assert not [line for line in logged.splitlines() if "404" in line and "api/runs" in line]


def test_ui_promoted_file_links_open_the_files(page: Any, lab: Lab, screenshot: Any) -> None:
    write_notebook(lab, "links.ipynb", [("n = 3", ("parameters",)), ("y = n", ("stage:only",))])
    open_notebook(page, lab, "links.ipynb")
    wait_nodes(page, 1)
    promote_through_dialog(page)
    promoted = sidebar(page).locator(".jp-cellops-Promoted")
    promoted.locator("summary").click()
    link = promoted.locator(".jp-cellops-Link", has_text="pipeline.yaml")
    assert link.inner_text() == "pipeline.yaml"  # named inside the package, not from the root
    link.click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="pipeline.yaml")
    tab.wait_for()
    page.locator(".jp-FileEditor:visible .cm-content", has_text="stages").wait_for()
    screenshot("pipeline-yaml-open")
    tab.locator(".lm-TabBar-tabCloseIcon").click()


def test_ui_executed_notebook_is_a_record_and_typed_parameters_survive(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    write_notebook(
        lab,
        "keep.ipynb",
        [("n = 3\nname = 'a'", ("parameters",)), ("y = n\nprint(y)", ("stage:only",))],
    )
    open_notebook(page, lab, "keep.ipynb")
    wait_nodes(page, 1)
    promote_through_dialog(page)
    sidebar(page).locator('input[data-param="n"]').fill("11")
    sidebar(page).locator('input[data-param="name"]').fill("b")
    sidebar(page).locator(".jp-cellops-RunButton").click()
    assert wait_finished(page, ".jp-cellops-Run") == "done"
    kernels_before = {s["kernel"]["id"] for s in lab.api("GET", "api/sessions")}

    # The executed stage notebook opens as a record: no kernel, no Promote, not editable.
    sidebar(page).locator(".jp-cellops-OpenRuns").click()
    page.locator(
        '.jp-cellops-RunsPanel .jp-cellops-RunStage[data-stage="only"] .jp-cellops-ExecutedLink'
    ).click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="only.ipynb")
    tab.wait_for()
    executed = page.locator(".jp-NotebookPanel:visible")
    executed.locator(".jp-OutputArea-output").first.wait_for()
    executed.locator(".jp-Toolbar-kernelName", has_text="No Kernel").wait_for()
    assert executed.locator(".jp-cellops-ToolbarPromote").count() == 0
    code = executed.locator(".jp-CodeCell .cm-content", has_text="print(y)")
    before = code.inner_text()
    code.click()
    page.keyboard.type("zzz")
    assert code.inner_text() == before  # typing changes nothing
    screenshot("executed-record")
    sessions = lab.api("GET", "api/sessions")
    assert not [s for s in sessions if "only.ipynb" in s["path"]], sessions
    assert {s["kernel"]["id"] for s in sessions} == kernels_before

    # Back to the source notebook and promote again: what the user typed is still there.
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="keep.ipynb").click()
    field = sidebar(page).locator('input[data-param="n"]')
    field.wait_for()
    page.locator(".jp-NotebookPanel:visible .jp-cellops-ToolbarPromote").click()
    with page.expect_response(lambda r: "cellops/api/promote" in r.url) as answer:
        page.locator(".jp-Dialog .jp-mod-accept").click()
    assert answer.value.status == 201
    next_frames(page)  # the sidebar has rendered the new promote result
    assert field.input_value() == "11"
    assert sidebar(page).locator('input[data-param="name"]').input_value() == "b"


def test_ui_a_run_started_in_the_sidebar_is_followed_and_cancelled_in_the_runs_view(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    write_notebook(
        lab,
        "slow.ipynb",
        [("x = 1", ("stage:quick",)), ("import time\ntime.sleep(120)\ny = x", ("stage:slow",))],
    )
    open_notebook(page, lab, "slow.ipynb")
    wait_nodes(page, 2)
    promote_through_dialog(page)
    sidebar(page).locator(".jp-cellops-RunButton").click()
    # The sidebar says "running" in one line, and the graph shows which stage runs.
    page.wait_for_function(
        "() => document.querySelector('#cellops-sidebar"
        " .jp-cellops-Graph-node[data-stage=\"slow\"]')?.dataset.state === 'running'",
        timeout=120_000,
    )
    line = sidebar(page).locator(".jp-cellops-Run")
    assert "Latest run: running" in line.inner_text()
    assert sidebar(page).locator(".jp-cellops-RunButton").is_disabled()
    assert sidebar(page).locator(".jp-cellops-RunStage, .jp-cellops-CancelButton").count() == 0
    screenshot("sidebar-running", sidebar(page))
    # Cancel is the runs view's; the sidebar's line follows the run there to its end.
    line.locator(".jp-cellops-OpenRuns").click()
    runs = page.locator(".jp-cellops-RunsPanel:visible")
    runs.locator(".jp-cellops-CancelButton").click()
    assert wait_finished(page, ".jp-cellops-Run") == "interrupted"
    assert "Latest run: cancelled" in line.inner_text()
    assert sidebar(page).locator(".jp-cellops-RunButton").is_enabled()
    assert (
        sidebar(page)
        .locator('.jp-cellops-Graph-node[data-stage="slow"]')
        .get_attribute("data-state")
        != "running"
    )
    screenshot("sidebar-cancelled", sidebar(page))


def test_ui_cell_menu_tags_and_settings_take_effect(page: Any, lab: Lab, screenshot: Any) -> None:
    write_notebook(lab, "cmds.ipynb", [("x = 1", ("stage:first",)), ("import os", ())])
    open_notebook(page, lab, "cmds.ipynb")
    wait_nodes(page, 1)
    # The cell context menu tags the cell: its badge says so.
    cell = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1)
    click_cell(page, 1)
    cell.locator(".jp-InputPrompt").click(button="right")
    page.locator(".lm-Menu-item", has_text="Pipeline (cellops)").hover()
    page.locator(".lm-Menu-item", has_text="Tag cell as setup").click()
    cell.locator(".jp-cellops-Badge", has_text="setup").wait_for()

    # The settings are in the Settings Editor's schema and take effect: no badges.
    settings = lab.api("GET", "lab/api/settings/cellops:plugin")
    assert set(settings["schema"]["properties"]) == {
        "defaultJobs",
        "pollingInterval",
        "showBadges",
        "promoteTarget",
    }
    lab.api("PUT", "lab/api/settings/cellops:plugin", {"raw": '{"showBadges": false}'})
    try:
        page.keyboard.press("Escape")
        page.locator(".jp-NotebookPanel:visible .jp-Notebook").click()
        open_notebook(page, lab, "cmds.ipynb")  # a reload: settings are read at start
        page.keyboard.press("Escape")
        wait_nodes(page, 1)
        page.wait_for_function(
            "() => !!document.querySelector('#cellops-sidebar .jp-cellops-StageItem')"
        )
        assert page.locator(".jp-NotebookPanel:visible .jp-cellops-Badge").count() == 0
    finally:
        lab.api("PUT", "lab/api/settings/cellops:plugin", {"raw": "{}"})
