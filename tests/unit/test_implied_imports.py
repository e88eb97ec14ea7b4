"""The lock holds what stages import without an `import` line: magics and lazy imports."""

from __future__ import annotations

import json

import pytest

from cellops.analysis.cells import analyze_cell, split_statements
from cellops.notebook.read import parse_notebook
from cellops.package.promote import analyse, package_files
from tests.nbfactory import notebook_dict


@pytest.mark.parametrize(
    ("code", "module"),
    [
        ("%matplotlib inline", "matplotlib"),
        ("%pylab inline", "matplotlib"),
        ("%load_ext tensorboard", "tensorboard"),
        ("df = pd.read_excel('x.xlsx')", "openpyxl"),
        ("df.to_parquet('x.parquet')", "pyarrow"),
        ("pd.read_hdf('x.h5')", "tables"),
        ("print(df.to_markdown())", "tabulate"),
        ("ax = df.plot(x='a')", "matplotlib"),
    ],
)
def test_module_implied_by_a_magic_or_a_call(code: str, module: str) -> None:
    assert module in analyze_cell(code).imports
    assert module in set().union(*(s.imports for s in split_statements(code)))


def test_ipython_extensions_are_not_distributions() -> None:
    assert analyze_cell("%load_ext autoreload\n%autoreload 2").imports == frozenset()


def test_setup_magic_reaches_the_stages_and_lazy_import_the_lock() -> None:
    cells = [
        ("%matplotlib inline\nimport pandas as pd", ["setup"]),
        ("df = pd.DataFrame({'a': [1]})\nprint(df.to_markdown())", ["stage:show"]),
    ]
    a = analyse(parse_notebook(json.dumps(notebook_dict(cells))))
    assert {"matplotlib", "pandas", "tabulate"} <= set(a.graph.stage("show").imports)
    _, files = package_files(a, "p")
    lock = files["requirements.lock"].decode()
    assert "\ntabulate==" in lock  # installed here, so pinned
