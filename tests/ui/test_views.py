"""The experiments view, renames, and fixing an unknown tag from the Cell panel, in a real lab.

The kernels are the real Jupyter server's: they load the cellops tracking extension by
themselves. Each test leaves a screenshot in build/ui-output/TEST/ for a reviewer.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from typing import Any

import pytest

from tests.nbfactory import notebook_dict
from tests.ui.lab import Lab, click_cell, open_notebook, run_from_palette, sidebar
from tests.ui.test_tracking_and_sweep import (
    close_tab,
    open_history,
    run_cell_with,
    wait_versions,
)

pytestmark = pytest.mark.kernel


def wait_prompt(page: Any, index: int, count: int) -> None:
    prompt = (
        page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(index).locator(".jp-InputPrompt")
    )
    page.wait_for_function(
        "([el, n]) => el.innerText.includes('[' + n + ']')",
        arg=[prompt.element_handle(), count],
        timeout=120_000,
    )


def use_theme(page: Any, name: str) -> None:
    run_from_palette(page, f"Use Theme: {name}")


def _wait_for_executions(lab: Lab, count: int, timeout: float = 30) -> None:
    db = lab.root / ".cellops" / "tracking.db"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            with contextlib.closing(sqlite3.connect(db)) as conn:
                try:
                    if conn.execute("SELECT count(*) FROM executions").fetchone()[0] >= count:
                        return
                except sqlite3.OperationalError:  # the schema is still being created
                    pass
        time.sleep(0.1)
    raise AssertionError(f"the tracking store never held {count} executions")


def test_ui_experiments_grid_compare_plot_and_dark_theme(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    nb = notebook_dict([("import cellops", ("setup",)), ("", ())])
    (lab.root / "exp.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    open_notebook(page, lab, "exp.ipynb")
    run_cell_with(page, 0, "import cellops")
    wait_prompt(page, 0, 1)
    for n, (c, acc) in enumerate([(0.01, 0.61), (10, 0.93)], start=2):
        run_cell_with(
            page,
            1,
            f"cellops.log_param('C', {c})\n"
            f"for s in range(3):\n    cellops.log_metric('acc', {acc} - 0.1 * (2 - s), step=s)",
        )
        wait_prompt(page, 1, n)
    # The kernel's writer thread stores an execution just after its reply, and the view shows
    # what is stored when it opens (Refresh for more): wait until the last one is there.
    _wait_for_executions(lab, 3)
    sidebar(page).locator(".jp-cellops-ExperimentsButton").click()
    view = page.locator(".jp-cellops-ExperimentsWidget")
    host = view.locator(".jp-cellops-GridHost")
    # The setup cell's row (no metric) is folded: two rows, not three.
    page.wait_for_function(
        "() => { const h = document.querySelector('.jp-cellops-GridHost');"
        " return h && h.dataset.rows === '2'; }",
        timeout=60_000,
    )
    assert view.locator('input[data-filter="empty"]').is_visible()
    grid = view.locator('[role="grid"]')
    assert grid.get_attribute("aria-rowcount") == "3"
    # The rows are painted (the grid copies a region's cells to the screen at once): the
    # first body row of the canvas holds text-coloured pixels, the empty third row none.
    assert _inked(page, 26) > 20
    assert _inked(page, 26 + 2 * 24) == 0
    # Select both rows (click, Ctrl+click): the comparison names the parameter that differs.
    box = host.bounding_box()
    page.mouse.click(box["x"] + 150, box["y"] + 26 + 12)
    page.keyboard.down("Control")
    page.mouse.click(box["x"] + 150, box["y"] + 26 + 24 + 12)
    page.keyboard.up("Control")
    param = view.locator('.jp-cellops-Compare tr[data-param="C"]')
    param.wait_for()
    assert "0.01" in param.inner_text() and "10" in param.inner_text()
    # The Vega-Lite plot is an SVG as wide as its panel, a point per execution.
    plot = view.locator(".jp-cellops-VegaPlot")
    svg = plot.locator("svg").first
    svg.wait_for()
    width = float(svg.get_attribute("width"))
    assert width >= 0.9 * plot.bounding_box()["width"] > 500
    # Against step: the two selected executions' curves, three steps each.
    view.locator('select[data-plot="x"]').select_option(label="step (selected executions)")
    page.wait_for_function(
        "() => document.querySelectorAll("
        "'.jp-cellops-VegaPlot svg .mark-symbol.role-mark path').length === 6",
        timeout=30_000,
    )
    screenshot("experiments-light", view)
    # Keyboard: Tab from the Refresh button reaches the grid, with a visible outline.
    view.locator("button", has_text="Refresh").focus()
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.getAttribute('role')"))
        if reached[-1] == "grid":
            break
    assert "grid" in reached
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('.jp-cellops-GridHost')"
        ".querySelector('.jp-cellops-Grid')).outlineStyle"
    )
    assert outline != "none"
    # JupyterLab Dark: the view's text stays readable on a dark background.
    use_theme(page, "JupyterLab Dark")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    colors = page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector("
        "'.jp-cellops-ExperimentsWidget')); return [s.backgroundColor, s.color]; }"
    )

    def luminance(css: str) -> float:
        r, g, b = (int(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255

    assert luminance(colors[0]) < 0.3 < 0.6 < luminance(colors[1])
    # The plot is drawn again in the dark theme: its axis labels are light, not black.
    page.wait_for_function(
        "() => { const t = document.querySelector("
        "'.jp-cellops-VegaPlot svg .role-axis-label text');"
        " return t && t.getAttribute('fill') && t.getAttribute('fill') !== '#000'"
        " && getComputedStyle(t).fill !== 'rgb(0, 0, 0)'; }",
        timeout=30_000,
    )
    label = page.evaluate(
        "() => getComputedStyle(document.querySelector("
        "'.jp-cellops-VegaPlot svg .role-axis-label text')).fill"
    )
    assert luminance(label) > 0.6, label
    page.locator("#jupyterlab-splash").wait_for(state="detached")
    screenshot("experiments-dark", view)
    use_theme(page, "JupyterLab Light")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")
    # The open view follows the notebook: a cell run now shows up without Refresh.
    page.locator(".lm-TabBar-tab", has_text="exp.ipynb").first.click()
    run_cell_with(page, 1, "cellops.log_metric('acc', 0.99)")
    wait_prompt(page, 1, 4)
    page.wait_for_function(
        "() => document.querySelector('.jp-cellops-GridHost')?.dataset.rows === '3'",
        timeout=30_000,
    )
    close_tab(page, "Experiments: exp.ipynb")


def _inked(page: Any, top: int) -> int:
    """Dark pixels in one 24-pixel body row of the grid's canvas (left of the row header)."""
    return int(
        page.evaluate(
            """(top) => {
              const canvas = document.querySelector('.jp-cellops-GridHost canvas');
              const data = canvas.getContext('2d').getImageData(60, top, 400, 22).data;
              let dark = 0;
              for (let i = 0; i < data.length; i += 4) {
                if (data[i + 3] > 0 && data[i] + data[i + 1] + data[i + 2] < 300) dark++;
              }
              return dark;
            }""",
            top,
        )
    )


def test_ui_history_follows_a_renamed_new_notebook(page: Any, lab: Lab, screenshot: Any) -> None:
    page.goto(f"{lab.url}lab?token={lab.token}")
    page.locator(".lm-MenuBar-itemLabel", has_text="File").wait_for(timeout=60_000)
    # The launcher's Notebook card: File > New > Notebook with the default kernel. A layout
    # restored from earlier tests of the session may hide the launcher: open a new one.
    card = page.locator('.jp-LauncherCard[data-category="Notebook"]:visible')
    page.wait_for_timeout(1000)  # the restored layout settles (not an assertion)
    if not card.count():
        page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
        page.locator(".lm-Menu:visible .lm-Menu-itemLabel", has_text="New Launcher").click()
    card.first.click()
    page.locator(".jp-NotebookPanel:visible .jp-Cell").first.wait_for()
    page.locator(".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator").wait_for()
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu:visible .lm-Menu-itemLabel", has_text="Rename Notebook").click()
    rename = page.locator(".jp-Dialog input")
    rename.fill("iris.ipynb")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text="iris.ipynb").wait_for()
    tab = page.locator('.jp-SideBar [data-id="cellops-sidebar"]')
    if tab.get_attribute("aria-selected") != "true":
        tab.click()
    sidebar(page).locator(".jp-cellops-Notebook", has_text="iris.ipynb").wait_for()
    run_cell_with(page, 0, "import cellops\ncellops.log_metric('acc', 0.9)")
    wait_prompt(page, 0, 1)
    click_cell(page, 0)
    view = open_history(page)
    versions = wait_versions(page, 1)
    assert "0.9" in view.locator('tr[data-metric="acc"]').inner_text()
    assert versions.count() == 1
    screenshot("renamed-notebook-history", view)
    close_tab(page, "Cell history")
    # Leave the session's page as the next test expects it: the new notebook closed.
    close_tab(page, "iris.ipynb")
    discard = page.locator(".jp-Dialog button", has_text="Discard")
    page.wait_for_timeout(500)
    if discard.count():
        discard.first.click()
    page.locator(".lm-TabBar-tab", has_text="iris.ipynb").wait_for(state="detached")


def test_ui_an_unknown_tag_is_fixed_from_the_cell_panel(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    nb = notebook_dict([("x = 1", ("stage:train", "cpu4")), ("y = x", ("stage:score", "zzz:1"))])
    (lab.root / "tags.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    open_notebook(page, lab, "tags.ipynb")
    click_cell(page, 0)
    problem = sidebar(page).locator('.jp-cellops-TagProblem[data-tag="cpu4"]')
    problem.wait_for(timeout=30_000)
    fix = problem.locator(".jp-cellops-TagFix")
    assert fix.inner_text() == "use cpu:4"
    screenshot("tag-problem", sidebar(page))
    fix.click()
    problem.wait_for(state="detached")
    assert sidebar(page).locator('input[data-option="cpu"]').input_value() == "4"
    screenshot("tag-fixed", sidebar(page))
    # A tag nothing is near to: only "remove", and it goes.
    click_cell(page, 1)
    other = sidebar(page).locator('.jp-cellops-TagProblem[data-tag="zzz:1"]')
    other.wait_for()
    assert other.locator(".jp-cellops-TagFix").count() == 0
    other.locator(".jp-cellops-TagRemove").click()
    other.wait_for(state="detached")
