"""The stage graph: inputs and outputs are exactly the names that cross stage boundaries."""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.notebook.read import parse_notebook
from cellops.package.promote import analyse
from tests.nbfactory import notebook_dict


def graph(cells):  # type: ignore[no-untyped-def]
    return analyse(parse_notebook(json.dumps(notebook_dict(cells)), "nb.ipynb")).graph


def flows(g):  # type: ignore[no-untyped-def]
    return {f.name: (f.inputs, f.outputs, f.upstream) for f in g.stages}


FANOUT = [
    ("import pandas as pd\nfrom sklearn.linear_model import LinearRegression", ["setup"]),
    ("alpha = 0.5\nseed = 1", ["parameters"]),
    ("df = pd.DataFrame({'x': [1, 2], 'y': [2, 4]})\ntmp = 3", ["stage:load"]),
    ("X = df[['x']]\ny = df['y']", ["stage:features"]),
    ("ma = LinearRegression().fit(X, y)\nscore_a = ma.score(X, y) * alpha", ["stage:model_a"]),
    ("mb = LinearRegression()\nmb.fit(X, y)\nscore_b = mb.score(X, y)", ["stage:model_b"]),
    ("best = max(score_a, score_b)\nprint(best)", ["stage:compare"]),
]


def test_fan_out_stays_parallel_and_only_crossing_names_are_stored() -> None:
    g = graph(FANOUT)
    assert flows(g) == {
        "load": ((), ("df",), ()),
        "features": (("df",), ("X", "y"), ("load",)),
        "model_a": (("X", "y"), ("score_a",), ("features",)),
        "model_b": (("X", "y"), ("score_b",), ("features",)),
        "compare": (("score_a", "score_b"), (), ("model_a", "model_b")),
    }
    assert [(e.source, e.target, e.names) for e in g.edges][:2] == [
        ("load", "features", ("df",)),
        ("features", "model_a", ("X", "y")),
    ]
    # `tmp` is never used downstream and `mb.fit(...)` mutates only mb: no extra edges.
    assert not g.errors


def test_parameters_and_setup_code_go_only_where_used() -> None:
    g = graph(FANOUT)
    assert g.stage("model_a").parameters == ("alpha",)
    assert g.stage("load").parameters == ()
    setup = dict(g.stage("load").setup)
    chosen = [g.setup_statements[0][i].source for i in setup[0]]
    assert chosen == ["import pandas as pd"]
    model = dict(g.stage("model_b").setup)
    assert [g.setup_statements[0][i].source for i in model[0]] == [
        "from sklearn.linear_model import LinearRegression"
    ]
    assert g.stage("compare").setup == ()
    assert {p.name: p.type for p in g.parameters} == {"alpha": "float", "seed": "int"}


def test_in_place_mutation_makes_the_mutating_stage_the_source() -> None:
    g = graph(
        [
            ("d = {'a': 1}", ["stage:make"]),
            ("d['b'] = 2", ["stage:extend"]),
            ("print(d)", ["stage:show"]),
        ]
    )
    assert flows(g)["extend"] == (("d",), ("d",), ("make",))
    assert flows(g)["show"] == (("d",), (), ("extend",))


def test_setup_helper_pulls_its_import_from_another_setup_cell() -> None:
    g = graph(
        [
            ("import math\nimport os", ["setup"]),
            ("def area(r):\n    return math.pi * r ** 2", ["setup"]),
            ("a = area(2)", ["stage:s"]),
        ]
    )
    chosen = {
        idx: [g.setup_statements[idx][i].source for i in ix] for idx, ix in g.stage("s").setup
    }
    assert chosen == {0: ["import math"], 1: ["def area(r):\n    return math.pi * r ** 2"]}


def test_name_only_a_skip_cell_defines_is_hidden_state() -> None:
    g = graph([("df = 1", ["stage:a"]), ("helper = 2", ["skip"]), ("x = helper + df", ["stage:b"])])
    (d,) = g.errors
    assert d.code == "hidden-state" and d.cell_id == "c2" and d.stage == "b"
    assert "'helper'" in d.message and "c1" in d.message


def test_name_defined_only_later_is_hidden_state() -> None:
    g = graph([("x = y + 1", ["stage:a"]), ("y = 2", ["stage:b"])])
    (d,) = g.errors
    assert d.code == "hidden-state" and d.cell_index == 0 and "later" in d.message


def test_unknown_name_is_a_warning_builtins_are_fine() -> None:
    g = graph([("print(len(undefined_thing))", ["stage:a"])])
    assert not g.errors
    (w,) = g.diagnostics
    assert w.code == "undefined-name" and "undefined_thing" in w.message


def test_cycle_through_after_tag_names_stages_and_cell() -> None:
    g = graph([("a = 1", ["stage:one", "after:two"]), ("b = a", ["stage:two"])])
    (d,) = g.errors
    assert d.code == "cycle" and d.cell_id == "c0"
    assert "one" in d.message and "two" in d.message and "after:two" in d.message
    assert len(g.stages) == 2  # still reported, not crashed


def test_after_tag_adds_an_explicit_edge() -> None:
    g = graph([("a = 1", ["stage:one"]), ("b = 2", ["stage:two", "after:one"])])
    (e,) = g.edges
    assert (e.source, e.target, e.names, e.explicit) == ("one", "two", (), True)


def test_non_literal_parameters_cell() -> None:
    g = graph([("import os\nn = len(os.sep)", ["parameters"]), ("x = n", ["stage:a"])])
    assert {d.code for d in g.errors} == {"non-literal-parameter"}
    assert all(d.cell_id == "c0" for d in g.errors)
    assert any("line 2" in d.message for d in g.errors)


def test_magics_do_not_crash_and_syntax_errors_are_reported() -> None:
    g = graph(
        [
            ("%matplotlib inline\nimport math", ["setup"]),
            ("!echo hi\nfiles = !ls\nn = len(files)", ["stage:a"]),
            ("print(n +)", ["stage:b"]),
        ]
    )
    assert flows(g)["a"] == ((), (), ())
    (d,) = g.errors
    assert d.code == "syntax-error" and d.cell_id == "c2"


def test_stage_order_is_topological_and_stable() -> None:
    g = graph(
        [
            ("a = 1", ["stage:first"]),
            ("z = 1", ["stage:second", "after:third"]),
            ("c = a", ["stage:third"]),
        ]
    )
    assert [f.name for f in g.stages] == ["first", "third", "second"]


# -- order and cycles, for any set of after: edges ---------------------------------------------


@st.composite
def _after_edges(draw):  # type: ignore[no-untyped-def]
    """Stage count and, for each stage, the stages it is after (any of them: cycles too)."""
    n = draw(st.integers(2, 6))
    return n, [draw(st.sets(st.integers(0, n - 1).filter(lambda j, i=i: j != i))) for i in range(n)]


@settings(max_examples=40, deadline=None)
@given(_after_edges())
def test_order_respects_every_edge_or_names_a_real_cycle(case) -> None:  # type: ignore[no-untyped-def]
    n, after = case
    cells = [
        (f"v{i} = {i}", [f"stage:s{i}", *(f"after:s{j}" for j in sorted(after[i]))])
        for i in range(n)
    ]
    g = graph(cells)
    cycles = [d for d in g.errors if d.code == "cycle"]
    names = [f.name for f in g.stages]
    assert sorted(names) == sorted(f"s{i}" for i in range(n))
    if not cycles:
        pos = {name: k for k, name in enumerate(names)}
        assert all(pos[f"s{j}"] < pos[f"s{i}"] for i in range(n) for j in after[i])
        # Free stages keep the notebook's order: the earliest ready stage goes first.
        if not any(after):
            assert names == [f"s{i}" for i in range(n)]
        return
    (d,) = cycles
    shown = d.message.split("stages form a cycle: ", 1)[1].split(" (", 1)[0].split(" -> ")
    assert shown[0] == shown[-1] and len(shown) >= 3
    for a, b in itertools.pairwise(shown):  # each link is an after: tag in the notebook
        assert int(a[1:]) in after[int(b[1:])], d.message


def test_import_in_the_parameters_cell_is_one_error_not_also_an_undefined_name() -> None:
    g = graph([("import math\nn = 2", ["parameters"]), ("print(math.sqrt(n))", ["stage:a"])])
    assert [d.code for d in g.diagnostics] == ["non-literal-parameter"]
    assert "move imports to a setup cell" in g.diagnostics[0].message


def test_papermills_own_tags_are_ignored_silently() -> None:
    g = graph(
        [
            ("n = 2", ["injected-parameters"]),
            ("An error happened", ["papermill-error-cell-tag"], "markdown"),
            ("print(n)", []),
        ]
    )
    assert g.diagnostics == ()
