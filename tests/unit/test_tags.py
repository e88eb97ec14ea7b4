"""The tag vocabulary: roles, stages, options and diagnostics that name the cell."""

from __future__ import annotations

import json

from cellops.notebook.read import parse_notebook
from cellops.notebook.tags import StageOptions, read_tags
from tests.nbfactory import notebook_dict


def tagged(cells):  # type: ignore[no-untyped-def]
    return read_tags(parse_notebook(json.dumps(notebook_dict(cells)), "nb.ipynb"))


def codes(t):  # type: ignore[no-untyped-def]
    return [(d.severity, d.code, d.cell_index) for d in t.diagnostics]


def test_stage_tags_group_following_untagged_cells() -> None:
    t = tagged(
        [
            ("import pandas as pd", ["setup"]),
            ("a = 1", ["parameters"]),
            ("df = pd.DataFrame()", ["stage:load"]),
            ("df2 = df", []),
            ("df.describe()", ["skip"]),
            ("x = 1", []),
            ("y = df2", ["stage:train"]),
        ]
    )
    assert [(s.name, s.cells) for s in t.stages] == [("load", (2, 3, 5)), ("train", (6,))]
    assert t.roles == ("setup", "parameters", "stage", "stage", "skip", "stage", "stage")
    assert t.parameters_cell == 1 and t.setup_cells == (0,)
    assert t.diagnostics == () and t.dialect == "cellops"


def test_untagged_notebook_is_one_stage_named_after_the_file() -> None:
    t = tagged([("a = 1", []), ("# Title", [], "markdown"), ("b = a", ["cpu:2"])])
    assert len(t.stages) == 1
    assert t.stages[0].name == "nb" and t.stages[0].cells == (0, 1, 2)
    assert t.stages[0].options == StageOptions(cpu="2")
    assert t.dialect == "untagged"


def test_markdown_above_a_stage_tag_belongs_to_that_stage() -> None:
    t = tagged([("a = 1", ["stage:one"]), ("## Two", [], "markdown"), ("b = a", ["stage:two"])])
    assert [s.cells for s in t.stages] == [(0,), (1, 2)]


def test_stage_options_are_parsed_and_typed() -> None:
    t = tagged(
        [
            ("a = 1", ["stage:train", "cpu:500m", "memory:4Gi", "gpu:1"]),
            ("b = 2", ["retries:3", "timeout:1h30m", "cache:off", "image:python:3.11-slim"]),
        ]
    )
    assert t.stages[0].options == StageOptions(
        cpu="500m",
        memory="4Gi",
        gpu=1,
        retries=3,
        timeout=5400,
        cache=False,
        image="python:3.11-slim",
    )
    assert t.stages[0].options.to_dict()["cache"] is False


def test_bad_option_values_name_the_cell_and_the_fix() -> None:
    t = tagged([("a = 1", ["stage:s", "memory:lots", "timeout:forever", "gpu:x"])])
    diags = [d for d in t.diagnostics if d.code == "bad-option"]
    assert len(diags) == 3 and all(d.cell_id == "c0" for d in diags)
    assert "memory:4Gi" in diags[0].message
    assert "timeout:30m" in diags[1].message


def test_conflicting_options_within_one_stage() -> None:
    t = tagged([("a = 1", ["stage:s", "cpu:1"]), ("b = 1", ["cpu:2"])])
    assert ("error", "conflicting-option", 1) in codes(t)


def test_unknown_tags() -> None:
    t = tagged(
        [("a = 1", ["stgae:load"]), ("b = 1", ["paramters"]), ("c = 1", ["hide-input", "mine"])]
    )
    found = {(d.code, d.severity, d.cell_index): d.message for d in t.diagnostics}
    assert "did you mean 'stage:load'" in found[("unknown-tag", "error", 0)]
    assert "did you mean 'parameters'" in found[("unknown-tag", "error", 1)]
    # Other tools' tags are silent; a foreign word without a colon is only a warning.
    assert ("unknown-tag", "warning", 2) in found
    assert all("hide-input" not in m for m in found.values())


def test_duplicate_stage_and_bad_stage_name() -> None:
    t = tagged(
        [("a = 1", ["stage:load"]), ("b = 1", ["stage:load"]), ("c = 1", ["stage:Train Model"])]
    )
    assert ("error", "duplicate-stage", 1) in codes(t)
    bad = next(d for d in t.diagnostics if d.code == "bad-stage-name")
    assert bad.cell_index == 2 and "stage:train_model" in bad.message


def test_after_to_unknown_stage_suggests_a_name() -> None:
    t = tagged([("a = 1", ["stage:load"]), ("b = 1", ["stage:train", "after:lod"])])
    d = next(d for d in t.diagnostics if d.code == "unknown-after")
    assert d.cell_id == "c1" and "did you mean 'load'" in d.message


def test_option_outside_a_stage_is_an_error() -> None:
    t = tagged([("import os", ["setup", "cpu:2"]), ("a = 1", ["stage:s"])])
    assert ("error", "option-outside-stage", 0) in codes(t)


def test_two_parameters_cells() -> None:
    t = tagged([("a = 1", ["parameters"]), ("b = 1", ["parameters"]), ("c = a", ["stage:s"])])
    assert ("error", "duplicate-parameters", 1) in codes(t)


def test_code_before_first_stage_becomes_setup_with_a_warning() -> None:
    t = tagged([("import math", []), ("a = math.pi", ["stage:s"])])
    assert t.roles[0] == "setup" and t.setup_cells == (0,)
    assert ("warning", "before-first-stage", 0) in codes(t)


def test_kale_vocabulary() -> None:
    t = tagged(
        [
            ("import math", ["imports"]),
            ("def f(x):\n    return x", ["functions"]),
            ("n = 3", ["pipeline-parameters"]),
            ("a = n", ["block:load"]),
            ("b = a", ["block:train", "prev:load", "limit:nvidia.com/gpu:1"]),
            ("c = b", ["block:load"]),  # Kale merges repeated block names
            ("print(c)", ["pipeline-metrics"]),
            ("zzz", ["skip"]),
        ]
    )
    assert t.dialect == "kale"
    assert t.setup_cells == (0, 1) and t.parameters_cell == 2
    names = {s.name: s for s in t.stages}
    assert names["load"].cells == (3, 5)
    assert names["train"].after == (("load", 4),) and names["train"].options.gpu == 1
    assert "pipeline_metrics" in names
    assert not [d for d in t.diagnostics if d.severity == "error"]
