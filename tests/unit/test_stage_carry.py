"""Modules, functions, classes and lambdas a later stage uses: carried there, or an error."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.notebook.read import parse_notebook
from cellops.package.promote import Analysis, analyse, package_files
from tests.nbfactory import CellSpec, notebook_dict

# (code binding `thing`, what a later stage writes to use it)
DEFINITIONS = [
    ("import math as thing", "thing.sqrt(4)"),
    ("from math import sqrt as thing", "thing(4)"),
    ("def thing(x):\n    return x * {dep}", "thing(2)"),
    ("async def thing():\n    return {dep}", "thing"),
    ("class thing:\n    k = 1\n    def f(self):\n        return {dep}", "thing().f()"),
    ("thing = lambda x: x + {dep}", "thing(1)"),
]
# (where the name the definition reads comes from, its cell, tags); None: it reads nothing else
DEPENDENCIES = [
    ("param", "dep = 2", ["parameters"]),
    ("setup", "dep = 2", ["setup"]),
    ("definition", "import math as dep", ["stage:zero"]),
    ("value", "dep = sum([1, 1])", ["stage:zero"]),
]


def _analyse(cells: list[CellSpec]) -> Analysis:
    return analyse(parse_notebook(json.dumps(notebook_dict(cells))))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(DEFINITIONS), st.sampled_from(DEPENDENCIES))
def test_definition_is_repeated_in_the_later_stage_unless_it_reads_a_stage_value(
    definition: tuple[str, str], dependency: tuple[str, str, list[str]]
) -> None:
    code, use = definition
    origin, dep_code, dep_tags = dependency
    reads_dep = "{dep}" in code
    cells: list[CellSpec] = [(dep_code, dep_tags)] if reads_dep else []
    cells += [
        (code.format(dep="dep") + "\nprint(1)", ["stage:first"]),
        (f"print({use})", ["stage:later"]),
    ]
    a = _analyse(cells)
    later = a.graph.stage("later")
    refused = [d for d in a.diagnostics if d.code == "definition-crosses-stages"]
    if reads_dep and origin == "value":
        assert len(refused) == 1
        assert "'thing'" in refused[0].message and "'dep'" in refused[0].message
        assert "setup cell" in refused[0].message
        return
    assert refused == [] and a.graph.errors == ()
    assert "thing" not in later.inputs  # never stored as a value
    assert later.setup, "the definition is repeated in the later stage"
    _, files = package_files(a, "p")
    stage_nb = json.loads(files["stages/later.ipynb"])
    text = "".join("".join(c["source"]) for c in stage_nb["cells"])
    assert code.format(dep="dep").splitlines()[0] in text
    assert "print(1)" not in text  # only the definition, not the rest of its cell
    if reads_dep and origin == "param":
        assert later.parameters == ("dep",)


def test_setup_code_reading_a_name_only_a_stage_imports_is_an_error() -> None:
    cells: list[CellSpec] = [
        ("class Density:\n    def fit(self, x):\n        return KernelDensity().fit(x)", ["setup"]),
        ("from sklearn.neighbors import KernelDensity", ["stage:load"]),
        ("Density()", ["stage:fit"]),
    ]
    found = [d for d in _analyse(cells).diagnostics if d.code == "setup-uses-stage-name"]
    assert len(found) == 1
    assert found[0].cell_index == 0
    assert "'KernelDensity'" in found[0].message and "stage 'load'" in found[0].message
    cells[1] = ("from sklearn.neighbors import KernelDensity", ["setup"])
    assert [d for d in _analyse(cells).diagnostics if d.code == "setup-uses-stage-name"] == []


def test_value_made_with_a_notebook_class_brings_the_class() -> None:
    cells: list[CellSpec] = [
        ("class Box:\n    pass\n\nclass Tag:\n    pass", ["setup"]),
        ("class Crate:\n    pass\n\ndef f():\n    return 1\n\nbox = Crate()", ["stage:a"]),
        ("pipe = [Box(), f()] * 2", ["stage:b"]),
        ("print(box, pipe)", ["stage:c"]),
    ]
    a = _analyse(cells)
    assert a.graph.errors == ()
    c = a.graph.stage("c")
    assert c.inputs == ("box", "pipe")
    repeated = {
        a.graph.setup_statements[idx][i].source.split(":")[0] for idx, ix in c.setup for i in ix
    }
    # Only the classes an instance may need; not the function that computed a plain value.
    assert repeated == {"class Box", "class Crate"}
