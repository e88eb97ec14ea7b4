"""Behaviour of cellops.analysis.cells: names each cell binds, reads and changes, statement
splitting, parameter cells and cache-key normalisation."""

from __future__ import annotations

import textwrap

import pytest

from cellops.analysis.cells import (
    BUILTIN_NAMES,
    CellAnalysis,
    LiteralParameter,
    Statement,
    analyze_cell,
    literal_parameters,
    normalize_code,
    select_statements,
    split_statements,
)


def cell(source: str) -> CellAnalysis:
    return analyze_cell(textwrap.dedent(source).strip("\n"))


def uses(source: str) -> set[str]:
    """Free names without builtins, as the pipeline builder sees them."""
    return set(cell(source).uses - BUILTIN_NAMES)


def defines(source: str) -> set[str]:
    return set(cell(source).defines)


def mutates(source: str) -> set[str]:
    return set(cell(source).mutates)


# -- builtins -------------------------------------------------------------------------------


def test_builtin_names_cover_python_and_kernel_names() -> None:
    assert {"print", "len", "range", "ValueError"} <= BUILTIN_NAMES
    assert {"display", "get_ipython", "In", "Out", "exit", "quit", "__name__"} <= BUILTIN_NAMES
    assert "df" not in BUILTIN_NAMES


def test_uses_include_builtins_for_the_caller_to_filter() -> None:
    assert cell("print(len(x))").uses == {"print", "len", "x"}


# -- assignments and order ------------------------------------------------------------------


def test_simple_assignment_defines_and_reads() -> None:
    result = cell("total = price * count")
    assert result.defines == {"total"}
    assert result.uses == {"price", "count"}
    assert result.error is None
    assert not result.magics


def test_read_before_write_is_a_use() -> None:
    result = cell("x = x + 1")
    assert result.defines == {"x"}
    assert result.uses == {"x"}


def test_name_bound_earlier_in_the_cell_is_not_a_use() -> None:
    assert uses("y = 1; print(y)") == set()
    assert uses("y = 1\nz = y * 2") == set()


def test_read_then_rebind_later_is_still_a_use() -> None:
    assert uses("print(y)\ny = 2") == {"y"}


def test_tuple_and_star_unpacking() -> None:
    result = cell("a, *rest = items\n(b, c), d = pairs")
    assert result.defines == {"a", "rest", "b", "c", "d"}
    assert result.uses == {"items", "pairs"}


def test_chained_assignment_binds_every_target() -> None:
    assert defines("a = b = 0") == {"a", "b"}


def test_annotated_assignment() -> None:
    result = cell("n: int = limit")
    assert result.defines == {"n"}
    assert result.uses == {"int", "limit"}


def test_annotation_without_value_binds_nothing() -> None:
    assert defines("n: int") == set()


def test_augmented_assignment_reads_and_binds() -> None:
    result = cell("count += step")
    assert result.defines == {"count"}
    assert result.uses == {"count", "step"}
    assert not result.mutates


def test_augmented_assignment_after_binding_is_not_a_use() -> None:
    assert uses("count = 0\ncount += 1") == set()


# -- imports --------------------------------------------------------------------------------


def test_import_forms_bind_names_and_record_top_level_modules() -> None:
    result = cell(
        """
        import os
        import sklearn.ensemble
        import matplotlib.pyplot as plt
        from pandas.api import types
        from numpy import array as arr, zeros
        """
    )
    assert result.defines == {"os", "sklearn", "plt", "types", "arr", "zeros"}
    assert result.imports == {"os", "sklearn", "matplotlib", "pandas", "numpy"}
    assert result.uses == set()
    assert not result.star_import


def test_relative_imports_bind_but_are_not_module_dependencies() -> None:
    result = cell("from . import helpers\nfrom .util import clean")
    assert result.defines == {"helpers", "clean"}
    assert result.imports == set()


def test_star_import_is_flagged() -> None:
    result = cell("from math import *")
    assert result.star_import
    assert result.imports == {"math"}
    assert result.defines == set()


def test_import_inside_function_is_a_dependency_but_not_a_binding() -> None:
    result = cell("def load():\n    import json\n    return json.loads(text)")
    assert result.imports == {"json"}
    assert result.defines == {"load"}
    assert uses("def load():\n    import json\n    return json.loads(text)") == {"text"}


# -- functions, lambdas, classes ------------------------------------------------------------


def test_function_free_names_are_uses_and_params_are_not() -> None:
    result = cell(
        """
        def score(y_true, y_pred, *args, weight=1, **kw):
            local = y_true - y_pred
            return metric(local) * weight * scale
        """
    )
    assert result.defines == {"score"}
    assert result.uses == {"metric", "scale"}


def test_recursive_function_does_not_use_itself() -> None:
    assert uses("def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)") == set()


def test_function_body_sees_names_bound_later_in_the_cell() -> None:
    # The body runs only when called, after the whole cell has bound `threshold`.
    source = (
        "def keep(v):\n    return v > threshold\nthreshold = 3\nkept = [v for v in data if keep(v)]"
    )
    assert uses(source) == {"data"}


def test_function_locals_are_not_module_definitions() -> None:
    source = "def f():\n    tmp = 1\n    for i in range(3):\n        tmp += i\n    return tmp"
    assert defines(source) == {"f"}
    assert uses(source) == set()


def test_decorators_defaults_and_annotations_are_evaluated_at_def_time() -> None:
    source = """
    @cache(maxsize=size)
    def f(a: Frame = default_frame, *, b: int = 2) -> Result:
        return a
    """
    assert uses(source) == {"cache", "size", "Frame", "default_frame", "Result"}


def test_default_referring_to_a_later_binding_is_a_use() -> None:
    assert uses("def f(a=limit):\n    return a\nlimit = 3") == {"limit"}


def test_nested_function_reads_enclosing_locals() -> None:
    source = """
    def outer(a):
        b = a * 2
        def inner():
            nonlocal b
            b += 1
            return a + b + c
        return inner
    """
    assert uses(source) == {"c"}
    assert defines(source) == {"outer"}


def test_global_declaration_defines_module_name() -> None:
    result = cell("def setup():\n    global counter, cache\n    counter = 0\n    cache += 1")
    assert result.defines == {"setup", "counter", "cache"}
    assert result.uses == set()


def test_lambda_params_are_local_and_free_names_are_uses() -> None:
    result = cell("key = lambda row, k=default: row[column] + k")
    assert result.defines == {"key"}
    assert result.uses == {"default", "column"}


def test_class_body_runs_immediately() -> None:
    source = """
    class Model(Base, metaclass=Meta):
        size = width * 2
        double = size * 2
        def predict(self, x):
            return x * self.size * factor
    """
    result = cell(source)
    assert result.defines == {"Model"}
    assert result.uses == {"Base", "Meta", "width", "factor"}


def test_class_attribute_is_invisible_to_methods() -> None:
    # In a method, `size` is the module name, not the class attribute.
    assert uses("class A:\n    size = 1\n    def m(self):\n        return size") == {"size"}


# -- comprehensions -------------------------------------------------------------------------


def test_comprehension_targets_are_local() -> None:
    result = cell("squares = [v * v for v in values if v > cutoff]")
    assert result.defines == {"squares"}
    assert result.uses == {"values", "cutoff"}


def test_comprehension_variable_does_not_leak() -> None:
    assert uses("r = [i for i in range(3)]\nprint(i)") == {"i"}


def test_nested_dict_and_generator_comprehensions() -> None:
    result = cell("m = {k: [x for x in vs] for k, vs in groups.items()}\ng = sum(y for y in ys)")
    assert result.defines == {"m", "g"}
    assert result.uses - BUILTIN_NAMES == {"groups", "ys"}


def test_walrus_in_comprehension_binds_module_name() -> None:
    result = cell("hits = [y for x in data if (y := f(x))]\nprint(y)")
    assert result.defines == {"hits", "y"}
    assert result.uses - BUILTIN_NAMES == {"data", "f"}


def test_walrus_at_module_level() -> None:
    result = cell("if (n := len(rows)) > 3:\n    print(n)")
    assert result.defines == {"n"}
    assert result.uses - BUILTIN_NAMES == {"rows"}


# -- control flow ---------------------------------------------------------------------------


def test_for_with_and_except_targets_are_definitions() -> None:
    source = """
    for i, (k, v) in enumerate(pairs):
        pass
    with open(path) as fh, lock() as (a, b):
        text = fh.read()
    try:
        value = int(text)
    except ValueError as err:
        value = None
        print(err)
    finally:
        done = True
    """
    result = cell(source)
    assert result.defines == {"i", "k", "v", "fh", "a", "b", "text", "value", "err", "done"}
    assert result.uses - BUILTIN_NAMES == {"pairs", "path", "lock"}


def test_loop_body_reading_before_binding_is_a_use() -> None:
    assert uses("for x in xs:\n    total = total + x") == {"xs", "total"}


def test_match_statement_captures() -> None:
    source = """
    match command:
        case [first, *others]:
            pass
        case {"kind": kind, **extra}:
            pass
        case Point(x=px) as point:
            pass
        case Color.RED:
            pass
    """
    result = cell(source)
    assert result.defines == {"first", "others", "kind", "extra", "px", "point"}
    assert result.uses == {"command", "Point", "Color"}


def test_del_name_deletes_and_needs_the_name() -> None:
    result = cell("del scratch")
    assert result.deletes == {"scratch"}
    assert result.uses == {"scratch"}
    assert result.defines == set()


def test_del_inside_function_is_local() -> None:
    assert cell("def f():\n    tmp = 1\n    del tmp").deletes == set()


# -- mutation -------------------------------------------------------------------------------


def test_item_assignment_mutates_and_uses() -> None:
    result = cell('df["ratio"] = 1')
    assert result.mutates == {"df"}
    assert result.uses == {"df"}
    assert result.defines == set()


def test_attribute_assignment_and_augmented_item_assignment_mutate() -> None:
    assert mutates("cfg.debug = True") == {"cfg"}
    assert mutates('df["x"] += 1') == {"df"}
    assert mutates('df.loc[:, "x"] = 0') == {"df"}
    assert mutates("model.layers[0].trainable = False") == {"model"}


def test_del_item_or_attribute_mutates() -> None:
    result = cell('del df["x"]\ndel obj.a')
    assert result.mutates == {"df", "obj"}
    assert result.deletes == set()


def test_fit_mutates_model_and_reads_data() -> None:
    result = cell("model.fit(X, y)")
    assert result.mutates == {"model"}
    assert result.uses == {"model", "X", "y"}


@pytest.mark.parametrize(
    "source",
    ["items.append(1)", "seen.add(k)", "cfg.update(a=1)", "scaler.fit_transform(X)", "net.train()"],
)
def test_known_inplace_methods_mutate(source: str) -> None:
    assert len(mutates(source)) == 1


def test_plain_method_calls_are_not_mutations() -> None:
    assert mutates("df.head()\nb = x.copy()\np = model.predict(X)\ndf.drop(columns=['a'])") == set()


def test_inplace_keyword_mutates() -> None:
    assert mutates('df.drop(columns=["a"], inplace=True)') == {"df"}
    assert mutates('df["a"].fillna(0, inplace=True)') == {"df"}
    assert mutates("df.reset_index(inplace=False)") == set()


def test_mutation_rooted_in_chain() -> None:
    assert mutates('pipe.named_steps["clf"].set_params(C=1)') == {"pipe"}


def test_mutating_a_name_bound_in_the_cell_is_a_mutation_but_not_a_use() -> None:
    result = cell("rows = []\nrows.append(1)")
    assert result.mutates == {"rows"}
    assert result.uses == set()


def test_module_calls_are_not_mutations() -> None:
    source = "import re\npattern = re.compile('a')\nnp.sort(values)\nsys.path.append('.')"
    assert mutates(source) == set()


def test_mutating_a_local_or_parameter_is_not_a_module_mutation() -> None:
    source = """
    def add(frame):
        frame["x"] = 1
        self_like = []
        self_like.append(frame)
    """
    assert mutates(source) == set()
    # An element of `parts` is changed, so `parts` is (its value holds the changed lists).
    assert mutates("out = [part.append(1) for part in parts]") == {"parts"}


def test_function_mutating_a_global_counts() -> None:
    result = cell("def log(msg):\n    history.append(msg)")
    assert result.mutates == {"history"}
    assert result.uses == {"history"}


# -- IPython syntax -------------------------------------------------------------------------


def test_line_magic_does_not_crash() -> None:
    result = cell("%matplotlib inline\nimport numpy as np")
    assert result.magics
    assert result.error is None
    assert result.defines == {"np"}


def test_time_magic_statement_is_analysed() -> None:
    result = cell("%time model = train(data)")
    assert result.magics
    assert result.defines == {"model"}
    assert result.uses == {"train", "data"}


def test_timeit_options_are_skipped() -> None:
    assert uses("%timeit -n 10 -r 3 score(model)") == {"score", "model"}


def test_shell_assignment_and_magic_assignment_bind() -> None:
    result = cell("files = !ls data\nhome = %env HOME\n!pip install tqdm")
    assert result.defines == {"files", "home"}
    assert result.uses == set()
    assert result.magics


@pytest.mark.parametrize("line", ["df?", "df.head??", "?df", "??df", "%pinfo df"])
def test_help_syntax(line: str) -> None:
    result = cell(f"x = 1\n{line}\ny = x")
    assert result.error is None
    assert result.magics
    assert result.defines == {"x", "y"}


def test_indented_shell_escape_interpolates_loop_variable() -> None:
    result = cell("for i in range(3):\n    !echo {i} {label}")
    assert result.error is None
    assert result.defines == {"i"}
    assert result.uses - BUILTIN_NAMES == {"label"}


def test_cell_magic_with_foreign_body_has_no_names() -> None:
    result = cell("%%bash\nfor f in *.csv; do echo $f; done")
    assert result.magics
    assert result.error is None
    assert result.defines == result.uses == set()


def test_writefile_body_is_not_analysed() -> None:
    result = cell("%%writefile helper.py\nimport os\nx = y")
    assert result.defines == result.uses == result.imports == set()


def test_capture_binds_output_and_body_is_python() -> None:
    result = cell("%%capture --no-stderr out\nmodel.fit(X, y)\nscore = model.score(X, y)")
    assert result.defines == {"out", "score"}
    assert result.mutates == {"model"}
    assert result.uses == {"model", "X", "y"}


def test_time_cell_magic_body_is_python() -> None:
    result = cell("%%time\nresult = run(config)\n!echo done")
    assert result.defines == {"result"}
    assert result.uses == {"run", "config"}


def test_bang_and_question_mark_inside_strings_are_python() -> None:
    source = 'note = """\n!not a shell command\nreally?\n"""\nprint(note)\n!ls'
    result = analyze_cell(source)
    assert result.error is None
    assert result.defines == {"note"}
    assert split_statements(source)[0].source == source.split("\nprint")[0]


def test_run_magic_is_reported_like_a_star_import() -> None:
    assert cell("%run prepare.py").star_import


def test_syntax_error_reports_line() -> None:
    result = analyze_cell("x = 1\ny = (\nz = 3")
    assert result.error is not None
    assert result.error.startswith("line 2: ")
    assert result.defines == result.uses == set()


def test_syntax_error_after_magic_reports_real_line() -> None:
    result = analyze_cell("%matplotlib inline\nx = 1\ndef f(:\n    pass")
    assert result.error is not None
    assert result.error.startswith("line 3: ")


# -- statements -----------------------------------------------------------------------------

SETUP = textwrap.dedent(
    """
    import warnings
    import numpy as np  # arrays
    import pandas as pd
    warnings.filterwarnings("ignore")
    pd.set_option("display.max_rows", 20)
    %matplotlib inline
    SEED = 42

    @functools.cache
    def normalise(v):
        # scale to unit length
        return v / np.linalg.norm(v)
    rng = np.random.default_rng(SEED)
    """
).strip("\n")


def test_split_statements_keeps_exact_source() -> None:
    statements = split_statements(SETUP)
    assert [s.source for s in statements] == [
        "import warnings",
        "import numpy as np",
        "import pandas as pd",
        'warnings.filterwarnings("ignore")',
        'pd.set_option("display.max_rows", 20)',
        "%matplotlib inline",
        "SEED = 42",
        "@functools.cache\ndef normalise(v):\n    # scale to unit length\n"
        "    return v / np.linalg.norm(v)",
        "rng = np.random.default_rng(SEED)",
    ]
    assert [s.magic for s in statements] == [False] * 5 + [True] + [False] * 3
    assert statements[1] == Statement("import numpy as np", frozenset({"np"}), frozenset(),
                                      frozenset({"numpy"}), False)  # fmt: skip
    assert statements[7].defines == {"normalise"}
    assert statements[7].uses == {"functools", "np"}


def test_split_statements_on_one_line_and_unicode() -> None:
    statements = split_statements('café = "é"; n = len(café)')
    assert [s.source for s in statements] == ['café = "é"', "n = len(café)"]
    assert statements[1].uses == {"len", "café"}


def test_split_statements_keeps_indented_magic_in_its_block() -> None:
    statements = split_statements("for i in range(2):\n    !echo {i}\nx = 1")
    assert [s.source for s in statements] == ["for i in range(2):\n    !echo {i}", "x = 1"]
    assert statements[0].magic
    assert not statements[1].magic


def test_split_statements_of_unparsable_cell() -> None:
    source = "x = 1\ny = (\n"
    assert split_statements(source) == (
        Statement(source, frozenset(), frozenset(), frozenset(), False),
    )


def test_split_statements_of_foreign_cell_magic() -> None:
    (statement,) = split_statements("%%bash\nls")
    assert statement.source == "%%bash\nls"
    assert statement.magic
    assert statement.defines == statement.uses == set()


def selected(needed: list[str]) -> list[str]:
    statements = split_statements(SETUP)
    return [statements[i].source.split("\n")[-1] for i in select_statements(statements, needed)]


def test_select_keeps_only_used_imports() -> None:
    assert selected(["pd"]) == [
        "import pandas as pd",
        'pd.set_option("display.max_rows", 20)',
        "%matplotlib inline",
    ]


def test_select_pulls_in_what_a_helper_function_uses() -> None:
    assert selected(["normalise"]) == [
        "import numpy as np",
        "%matplotlib inline",
        "    return v / np.linalg.norm(v)",
    ]


def test_select_follows_chains_of_names() -> None:
    assert selected(["rng"]) == [
        "import numpy as np",
        "%matplotlib inline",
        "SEED = 42",
        "rng = np.random.default_rng(SEED)",
    ]


def test_select_keeps_side_effect_only_with_its_names() -> None:
    assert 'warnings.filterwarnings("ignore")' not in selected(["np"])
    assert selected(["warnings"]) == [
        "import warnings",
        'warnings.filterwarnings("ignore")',
        "%matplotlib inline",
    ]


def test_select_with_nothing_needed_keeps_only_free_standing_side_effects() -> None:
    assert selected([]) == ["%matplotlib inline"]


def test_select_keeps_every_statement_defining_a_needed_name() -> None:
    statements = split_statements("x = 1\ny = 2\nx = x + y\nz = 3")
    assert select_statements(statements, ["x"]) == (0, 1, 2)


# -- parameters -----------------------------------------------------------------------------


def test_literal_parameters_types_and_values() -> None:
    source = textwrap.dedent(
        '''
        """Pipeline parameters."""
        # how many rows
        rows = 1000

        rate = 0.5
        offset = -3
        scale = -2.5e-3
        name = "wine"
        verbose = True
        cols = ["a", "b"]
        shape = (3, (4, 5))
        opts = {"depth": [1, 2], "mode": None}
        seed = None
        '''
    ).strip("\n")
    parameters, problems = literal_parameters(source)
    assert problems == ()
    assert [(p.name, p.type, p.default) for p in parameters] == [
        ("rows", "int", 1000),
        ("rate", "float", 0.5),
        ("offset", "int", -3),
        ("scale", "float", -2.5e-3),
        ("name", "str", "wine"),
        ("verbose", "bool", True),
        ("cols", "list", ["a", "b"]),
        ("shape", "list", [3, [4, 5]]),
        ("opts", "dict", {"depth": [1, 2], "mode": None}),
        ("seed", "none", None),
    ]
    assert parameters[0].line == 3


def test_annotation_wins_over_literal_type() -> None:
    parameters, problems = literal_parameters(
        "lr: float = 1\nn: int = 3\nlimit: int | None = None\ntags: list[str] = ()"
    )
    assert problems == ()
    assert parameters == (
        LiteralParameter("lr", "float", 1.0, 1),
        LiteralParameter("n", "int", 3, 2),
        LiteralParameter("limit", "int", None, 3),
        LiteralParameter("tags", "list", [], 4),
    )
    assert isinstance(parameters[0].default, float)


def test_annotation_that_contradicts_value_is_a_problem() -> None:
    parameters, problems = literal_parameters('n: int = "three"')
    assert parameters == ()
    assert problems[0].startswith("line 1: ")
    assert "annotated `int`" in problems[0]


def test_reassigned_parameter_last_wins() -> None:
    parameters, problems = literal_parameters("n = 1\nm = 2\nn = 5")
    assert problems == ()
    assert [(p.name, p.default, p.line) for p in parameters] == [("m", 2, 2), ("n", 5, 3)]


def test_non_literal_parameter_problem_names_line_and_fix() -> None:
    parameters, problems = literal_parameters("a = 1\nb = 'x'\nn = compute()")
    assert [p.name for p in parameters] == ["a", "b"]
    assert problems == (
        "line 3: `n = compute()` is not a literal; parameters must be literal values (numbers, "
        "strings, booleans, None, lists, dicts) so they can be typed and overridden",
    )


def test_imports_magics_and_other_code_are_problems() -> None:
    source = "import os\n%load_ext autoreload\nn = 1\nprint(n)\na, b = 1, 2\ns = {1, 2}\nk: int"
    parameters, problems = literal_parameters(source)
    assert [p.name for p in parameters] == ["n"]
    assert [p.split(":")[0] for p in problems] == [
        "line 1", "line 2", "line 4", "line 5", "line 6", "line 7",
    ]  # fmt: skip
    assert "move imports to a setup cell" in problems[0]
    assert "IPython syntax" in problems[1]
    assert "is not an assignment" in problems[2]
    assert "one `name = value` per line" in problems[3]
    assert "set" in problems[4]
    assert "has no value" in problems[5]


def test_parameters_cell_with_syntax_error() -> None:
    parameters, problems = literal_parameters("n = (1,\n")
    assert parameters == ()
    assert len(problems) == 1
    assert problems[0].startswith("line 1: ")


# -- normalisation --------------------------------------------------------------------------


def test_comment_only_edit_normalises_equal() -> None:
    assert normalize_code("x = 1  # one\ny = 2") == normalize_code("# setup\nx = 1\ny = 2  # two")


def test_whitespace_edit_normalises_equal() -> None:
    assert normalize_code("x=1\n\n\ny = f( x,2 )\n") == normalize_code("x = 1\ny = f(x, 2)")


def test_real_edit_normalises_different() -> None:
    assert normalize_code("x = 1") != normalize_code("x = 2")
    assert normalize_code("x = 'a # b'") != normalize_code("x = 'a'")


def test_docstrings_count_as_code() -> None:
    assert normalize_code('"""v1"""\nx = 1') != normalize_code('"""v2"""\nx = 1')


def test_magic_cell_normalisation() -> None:
    a = "%matplotlib inline\nx = 1  # note\nfor i in r:\n    !echo {i}   \n"
    b = "%matplotlib inline\n\nx=1\nfor i in r:\n  !echo {i}"
    assert normalize_code(a) == normalize_code(b)
    assert normalize_code(a) == "%matplotlib inline\nx = 1\nfor i in r:\n    !echo {i}"
    assert normalize_code(a) != normalize_code(a.replace("{i}", "{i}!"))
    assert normalize_code(a) != normalize_code(a.replace("x = 1", "x = 2"))


def test_foreign_cell_magic_and_broken_cell_normalise_by_line() -> None:
    assert normalize_code("%%bash\necho hi  \n\n") == "%%bash\necho hi"
    assert normalize_code("x = (1,  # c\n\n") == normalize_code("x = (1,\n")
    assert normalize_code("x = (1,\n") != normalize_code("x = (2,\n")
