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
from tests.ui.lab import Lab, open_notebook, sidebar

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
