"""Runs in the main area (issue 15): the runs view, its detail pane and the graph's live states.

A real lab, real runs (papermill, kernels). Each test saves screenshots into
build/ui-output/TEST/ for a reviewer.
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
    promoted_notebook,
    record_cancel_labels,
    run_from_palette,
    sidebar,
    start_run,
    wait_run,
    wait_saved_layout,
)

pytestmark = pytest.mark.kernel

SLOW = [
    ("x = 1", ("stage:quick",)),
    ("import time\ntime.sleep(120)\ny = x", ("stage:slow",)),
]


def view(page: Any) -> Any:
    return page.locator(".jp-cellops-RunsPanel:visible")


def open_runs_from_palette(page: Any) -> None:
    run_from_palette(page, "Open runs")
    view(page).wait_for()


def tab(page: Any, label: str) -> Any:
    """The main-area tab labelled exactly ``label``."""
    return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(
        has=page.locator(".lm-TabBar-tabLabel").get_by_text(label, exact=True)
    )


def wait_detail(page: Any, run_id: str, status: str) -> None:
    page.wait_for_function(
        "([id, status]) => document.querySelector("
        "`.jp-cellops-RunsPanel .jp-cellops-RunDetail[data-run-id='${id}']`"
        ")?.dataset.status === status",
        arg=[run_id, status],
        timeout=RUN_TIMEOUT_MS,
    )


def test_ui_runs_view_opens_from_the_palette_lists_runs_and_is_restored(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    package = promoted_notebook(
        lab, "listed.ipynb", [("n = 2", ("parameters",)), ("y = n * 2", ("stage:only",))]
    )
    first = start_run(lab, package, params={"n": 3})
    wait_run(lab, package, first)
    second = start_run(lab, package, params={"n": 4})
    wait_run(lab, package, second)
    open_notebook(page, lab, "listed.ipynb")
    sidebar(page).locator(".jp-cellops-Run").wait_for()  # the sidebar knows the package
    open_runs_from_palette(page)
    items = view(page).locator(".jp-cellops-RunItem")
    items.nth(1).wait_for()
    assert [items.nth(i).get_attribute("data-run-id") for i in range(2)] == [second, first]
    assert "n=4" in items.nth(0).inner_text()
    assert "1/1 done" in items.nth(0).inner_text()
    # The newest run is shown in the detail pane; choosing the other one shows it instead.
    wait_detail(page, second, "done")
    items.nth(1).click()
    wait_detail(page, first, "done")
    assert "n=3" in view(page).locator(".jp-cellops-RunDetail-params").inner_text()
    screenshot("runs-view")

    # A reload restores the layout: the runs view is open again, listing the same runs.
    wait_saved_layout(lab, lambda names: "cellops-runs:listed-pipeline" in names)
    page.reload()
    view(page).locator(".jp-cellops-RunItem").nth(1).wait_for(timeout=60_000)
    assert tab(page, "Runs: listed-pipeline").count() == 1
    screenshot("runs-view-restored")

    # Run with changes: the form starts from the chosen run's parameters (n=3), typed as the
    # notebook's (the restored view analysed it); the new run with n=5 is listed and shown.
    view(page).locator(f".jp-cellops-RunItem[data-run-id='{first}']").click()
    wait_detail(page, first, "done")
    view(page).locator(".jp-cellops-ChangeParamsButton").click()
    field = view(page).locator('.jp-cellops-RunWithChanges input[data-param="n"]')
    assert field.input_value() == "3"
    field.fill("5")
    screenshot("run-with-changes")
    view(page).locator(".jp-cellops-RunChangedButton").click()
    page.wait_for_function(
        "(known) => { const el = document.querySelector("
        "'.jp-cellops-RunsPanel .jp-cellops-RunItem');"
        " return el && !known.includes(el.dataset.runId); }",
        arg=[first, second],
        timeout=RUN_TIMEOUT_MS,
    )
    third = view(page).locator(".jp-cellops-RunItem").first.get_attribute("data-run-id")
    assert wait_run(lab, package, third)["parameters"] == {"n": 5}
    assert "n=5" in view(page).locator(".jp-cellops-RunItem").first.inner_text()


def test_ui_a_reload_restores_the_notebook_and_every_kind_of_view(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    package = promoted_notebook(
        lab, "restored.ipynb", [("n = 2", ("parameters",)), ("y = n * 2", ("stage:only",))]
    )
    run_id = start_run(lab, package)
    wait_run(lab, package, run_id)
    open_notebook(page, lab, "restored.ipynb")
    sidebar(page).locator(".jp-cellops-OpenRunsButton").click()
    view(page).locator(".jp-cellops-RunItem").first.wait_for()
    tab(page, "restored.ipynb").click()
    sidebar(page).locator(".jp-cellops-OpenHistory").click()
    page.locator(".jp-cellops-HistoryWidget").wait_for()
    sidebar(page).locator(".jp-cellops-ExperimentsButton").click()
    page.locator(".jp-cellops-ExperimentsWidget:visible").wait_for()
    labels = [
        "restored.ipynb",
        "Runs: restored-pipeline",
        "Cell history",
        "Experiments: restored.ipynb",
    ]
    for label in labels:
        assert tab(page, label).count() == 1, label
    wait_saved_layout(lab, lambda names: len(names) == 4)

    page.reload()
    # All four are back, each with its content (not an empty tab).
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(state="attached", timeout=60_000)
    page.locator(f'.jp-cellops-RunsPanel .jp-cellops-RunItem[data-run-id="{run_id}"]').wait_for(
        state="attached"
    )
    page.locator(".jp-cellops-HistoryWidget").wait_for(state="attached")
    page.locator(".jp-cellops-ExperimentsWidget").wait_for(state="attached")
    for label in labels:
        assert tab(page, label).count() == 1, label
    screenshot("all-views-restored")


def test_ui_runs_view_shows_live_stages_and_cancel_says_cancelling(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    package = promoted_notebook(lab, "slowview.ipynb", SLOW)
    open_notebook(page, lab, "slowview.ipynb")
    sidebar(page).locator(".jp-cellops-Hint", has_text="Promote the notebook").wait_for(
        state="detached"
    )
    run_id = start_run(lab, package)
    sidebar(page).locator(".jp-cellops-OpenRunsButton").click()
    # Live: the detail pane follows the run until the slow stage is running.
    page.wait_for_function(
        "() => document.querySelector('.jp-cellops-RunsPanel"
        " .jp-cellops-RunStage[data-stage=\"slow\"]')?.dataset.state === 'running'",
        timeout=RUN_TIMEOUT_MS,
    )
    detail = view(page).locator(f'.jp-cellops-RunDetail[data-run-id="{run_id}"]')
    assert detail.locator('.jp-cellops-RunStage[data-stage="quick"]').get_attribute(
        "data-state"
    ) in ("done", "cached")
    assert "running" in detail.locator(".jp-cellops-StateBadge[data-state=running]").inner_text()
    screenshot("running")
    record_cancel_labels(page, ".jp-cellops-RunsPanel")
    detail.locator(".jp-cellops-CancelButton").click()
    wait_detail(page, run_id, "interrupted")
    labels = page.evaluate("() => window.cancelLabels")
    assert ["Cancelling…", True] in labels, labels
    notice = detail.locator(".jp-cellops-RunCancelled").inner_text()
    assert "Cancelled: 1 of 2 stages finished" in notice
    assert detail.locator(".jp-cellops-CancelButton").count() == 0
    assert detail.locator(".jp-cellops-ResumeButton").is_visible()
    screenshot("cancelled")
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Runs: slowview-pipeline").locator(
        ".lm-TabBar-tabCloseIcon"
    ).click()


def active_cell_index(page: Any) -> int:
    return int(
        page.evaluate(
            "() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')]"
            ".findIndex(c => c.classList.contains('jp-mod-active'))"
        )
    )


def test_ui_a_failed_run_on_the_graph_and_resume_from_the_view(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    fix = lab.root / "fixed.flag"
    package = promoted_notebook(
        lab,
        "fragile.ipynb",
        [
            ("x = 1", ("stage:make",)),
            (
                f"import os\nif not os.path.exists({str(fix)!r}):\n"
                "    raise ValueError('not fixed yet')\ny = x",
                ("stage:check",),
            ),
        ],
    )
    run_id = start_run(lab, package)
    assert wait_run(lab, package, run_id)["status"] == "failed"
    open_notebook(page, lab, "fragile.ipynb")

    # The graph shows the run: the failed node says so in words, with a legend.
    node = sidebar(page).locator('.jp-cellops-Graph-node[data-stage="check"]')
    page.wait_for_function(
        "() => document.querySelector('#cellops-sidebar .jp-cellops-Graph-node"
        "[data-stage=\"check\"]')?.dataset.state === 'failed'"
    )
    assert node.get_attribute("aria-label") == "check: failed"
    assert "✗" in (node.text_content() or "")
    assert (
        sidebar(page)
        .locator('.jp-cellops-Graph-node[data-stage="make"]')
        .get_attribute("data-state")
        == "done"
    )
    assert "failed" in sidebar(page).locator(".jp-cellops-Legend").inner_text()
    # The failed node leads to its cell (by keyboard too) and to its executed notebook.
    click_cell(page, 0)
    node.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[1]"
        "?.classList.contains('jp-mod-active')"
    )
    failure = sidebar(page).locator('.jp-cellops-GraphFailure[data-stage="check"]')
    assert failure.locator(".jp-cellops-ExecutedLink").is_visible()
    screenshot("graph-failed", sidebar(page))

    # The runs view: the error once, no absolute path, no command line, a link to the cell.
    sidebar(page).locator(".jp-cellops-OpenRunsButton").click()
    wait_detail(page, run_id, "failed")
    detail = view(page).locator(".jp-cellops-RunDetail")
    text = detail.inner_text()
    assert text.count("not fixed yet") == 1, text
    assert str(lab.root) not in text and "cellops run" not in text, text
    screenshot("failure-view")
    detail.locator(".jp-cellops-CellLink", has_text="cell 2").click()
    page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1).wait_for()
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden)"
        " .jp-Cell.jp-mod-active').length === 1"
    )
    assert active_cell_index(page) == 1

    # Fixed: Resume continues the same run to the end, and the failure leaves the screen.
    fix.touch()
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Runs: fragile-pipeline").click()
    view(page).locator(".jp-cellops-ResumeButton").click()
    wait_detail(page, run_id, "done")
    assert view(page).locator(".jp-cellops-RunError").count() == 0
    assert view(page).locator(".jp-cellops-RunItem").count() == 1
    page.wait_for_function(
        "() => document.querySelector('#cellops-sidebar .jp-cellops-Graph-node"
        "[data-stage=\"check\"]')?.dataset.state === 'done'",
        timeout=RUN_TIMEOUT_MS,
    )
    assert sidebar(page).locator(".jp-cellops-GraphFailure").count() == 0
    screenshot("resumed")
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Runs: fragile-pipeline").locator(
        ".lm-TabBar-tabCloseIcon"
    ).click()


def set_theme(page: Any, name: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    # Exact: "JupyterLab Dark" is also the start of "JupyterLab Dark High Contrast".
    page.locator(".lm-Menu-itemLabel").get_by_text(name, exact=True).click()
    page.wait_for_function(
        "(name) => document.body.dataset.jpThemeName === name", arg=name, timeout=60_000
    )


COLOURS = """(sel) => [...document.querySelectorAll(sel)].map(e => {
  const c = getComputedStyle(e);
  let b = e, bg = 'rgba(0, 0, 0, 0)';
  while (b && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
    bg = getComputedStyle(b).backgroundColor; b = b.parentElement;
  }
  return [c.color, bg];
})"""


def contrast(a: str, b: str) -> float:
    def luminance(css: str) -> float:
        rgb = [int(v) / 255 for v in css[css.index("(") + 1 : -1].split(",")[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_ui_runs_view_stays_readable_in_the_dark_theme(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    package = promoted_notebook(lab, "dark.ipynb", [("y = 2", ("stage:only",))])
    wait_run(lab, package, start_run(lab, package))
    open_notebook(page, lab, "dark.ipynb")
    sidebar(page).locator(".jp-cellops-OpenRunsButton").click()
    view(page).locator(".jp-cellops-RunItem").first.wait_for()
    set_theme(page, "JupyterLab Dark")
    try:
        selectors = ".jp-cellops-RunsPanel .jp-cellops-RunItem-started, .jp-cellops-StateBadge"
        colours = page.evaluate(COLOURS, selectors)
        assert colours, selectors
        for text, background in colours:
            # The words do not vanish into the panel (WCAG's 3:1 for large text, at least).
            assert contrast(text, background) >= 3, (text, background)
        # The panel itself follows the theme (dark), it is not a light box in a dark lab.
        panel_bg = page.evaluate(COLOURS, ".jp-cellops-RunsPanel")[0][1]
        rgb = [int(v) for v in panel_bg[panel_bg.index("(") + 1 : -1].split(",")[:3]]
        assert sum(rgb) < 3 * 128, panel_bg
        screenshot("runs-view-dark")
    finally:
        set_theme(page, "JupyterLab Light")


NODE_COLOURS = """() => [...document.querySelectorAll('#cellops-sidebar .jp-cellops-Graph-node')]
  .map(g => [g.dataset.stage, getComputedStyle(g.querySelector('text')).fill,
             getComputedStyle(g.querySelector('rect')).fill])"""


def test_ui_views_and_graph_stay_readable_in_the_high_contrast_theme(
    page: Any, lab: Lab, screenshot: Any
) -> None:
    # Seven stages: the graph's own stage colours (before any run), light and dark ones.
    many = [(f"s{i} = {i}", (f"stage:s{i}",)) for i in range(7)]
    (lab.root / "hc-stages.ipynb").write_text(json.dumps(notebook_dict(many)), encoding="utf-8")
    # A run that leaves a stage done, one failed and one not run: the state colours.
    package = promoted_notebook(
        lab,
        "hc-run.ipynb",
        [("a = 1", ("stage:a",)), ("b = a / 0", ("stage:b",)), ("c = b", ("stage:c",))],
    )
    assert wait_run(lab, package, start_run(lab, package))["status"] == "failed"
    open_notebook(page, lab, "hc-stages.ipynb")
    sidebar(page).locator(".jp-cellops-Graph-node").nth(6).wait_for()
    set_theme(page, "JupyterLab Dark High Contrast")
    try:
        seen = page.evaluate(NODE_COLOURS)
        assert len(seen) == 7, seen
        for stage, text, fill in seen:
            # Node labels are small text: WCAG AA's 4.5:1.
            assert contrast(text, fill) >= 4.5, (stage, text, fill)
        screenshot("graph-high-contrast", sidebar(page))

        open_notebook(page, lab, "hc-run.ipynb")
        page.wait_for_function(
            "() => document.querySelector('#cellops-sidebar .jp-cellops-Graph-node"
            "[data-stage=\"c\"]')?.dataset.state === 'not-run'"
        )
        seen = page.evaluate(NODE_COLOURS)
        assert {s for s, _, _ in seen} == {"a", "b", "c"}
        for stage, text, fill in seen:
            assert contrast(text, fill) >= 4.5, (stage, text, fill)
        for text, background in page.evaluate(
            COLOURS, "#cellops-sidebar .jp-cellops-Run span, #cellops-sidebar .jp-cellops-Legend"
        ):
            assert contrast(text, background) >= 4.5, (text, background)
        screenshot("graph-run-high-contrast", sidebar(page))
        sidebar(page).locator(".jp-cellops-OpenRuns").click()
        view(page).locator(".jp-cellops-RunItem").first.wait_for()
        selectors = (
            ".jp-cellops-RunsPanel .jp-cellops-RunItem-started, .jp-cellops-StateBadge,"
            " .jp-cellops-RunsPanel .jp-cellops-RunError-title"
        )
        colours = page.evaluate(COLOURS, selectors)
        assert colours, selectors
        for text, background in colours:
            assert contrast(text, background) >= 4.5, (text, background)
        screenshot("runs-view-high-contrast")
    finally:
        set_theme(page, "JupyterLab Light")
