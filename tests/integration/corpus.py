"""Notebooks in the shapes found in public repositories, written for the corpus test.

Old formats without cell ids, aliases through containers and loops, star imports, magics and
shell lines, classes and helpers defined in one stage and used in the next, no tags at all,
a helper module and a data file next to the notebook. Every value compared between the whole
notebook and the pipeline is printed on a line starting with ``RESULT`` (seeded, exact).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


@dataclass(frozen=True)
class Case:
    name: str
    notebook: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # next to the notebook
    xfail: str | None = None
    needs: tuple[str, ...] = ()  # modules that must be installed


def v4(minor: int, cells: list[tuple[str, str, list[str]]]) -> dict[str, Any]:
    """An nbformat 4.minor notebook as old JupyterLab/Notebook saved it: no cell ids."""
    out = []
    for kind, source, tags in cells:
        cell: dict[str, Any] = {
            "cell_type": kind,
            "metadata": {"tags": tags} if tags else {},
            "source": source.splitlines(keepends=True),
        }
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        out.append(cell)
    meta = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    return {"cells": out, "metadata": meta, "nbformat": 4, "nbformat_minor": minor}


def code(source: str, *tags: str) -> tuple[str, str, list[str]]:
    return ("code", source, list(tags))


def md(source: str) -> tuple[str, str, list[str]]:
    return ("markdown", source, [])


TITANIC = v4(
    0,
    [
        md("# Titanic, the way the tutorials write it"),
        code(
            "import numpy as np\nimport pandas as pd\n"
            "from sklearn.linear_model import LogisticRegression\n\n"
            "def add_young(df):\n    df['Young'] = (df['Age'] < 18).astype(int)",
            "setup",
        ),
        code("seed = 7\nrows = 60", "parameters"),
        code(
            "rng = np.random.default_rng(seed)\n"
            "train_df = pd.DataFrame({'Sex': rng.choice(['male', 'female'], rows),\n"
            "                         'Age': rng.integers(1, 80, rows).astype(float),\n"
            "                         'Survived': rng.integers(0, 2, rows)})\n"
            "test_df = train_df.sample(frac=0.3, random_state=seed).drop(columns='Survived')\n"
            "train_df.loc[::7, 'Age'] = np.nan\n"
            "combine = [train_df, test_df]",
            "stage:load",
        ),
        code(
            "for dataset in combine:\n"
            "    dataset['Sex'] = dataset['Sex'].map({'female': 1, 'male': 0}).astype(int)\n"
            "    dataset['Age'] = dataset['Age'].fillna(dataset['Age'].median())",
            "stage:features",
        ),
        md("Bands, changed through a loop over a list literal"),
        code("for d in [train_df, test_df]:\n    d['AgeBand'] = (d['Age'] // 20).astype(int)"),
        code("add_young(train_df)\nadd_young(test_df)", "stage:young"),
        code(
            "cols = ['Sex', 'Age', 'AgeBand', 'Young']\n"
            "model = LogisticRegression(max_iter=500).fit(train_df[cols], train_df['Survived'])\n"
            "print('RESULT acc', round(model.score(train_df[cols], train_df['Survived']), 6))\n"
            "print('RESULT test', model.predict(test_df[cols]).tolist())",
            "stage:model",
        ),
    ],
)

MAGICS = v4(
    4,
    [
        code("from math import *\nimport json", "setup"),
        code(
            "%time total = sum(sqrt(i) for i in range(10))\n"
            "values = !echo 3 5 8\n"
            "nums = [int(v) for v in values[0].split()]\n"
            "print('RESULT total', round(total, 9))",
            "stage:compute",
        ),
        code("%%time\nscaled = [n * pi for n in nums]", "stage:scale"),
        code(
            "print('RESULT nums', json.dumps(nums), floor(sum(scaled)))\n"
            "!echo RESULT shell {len(nums)}\n"
            "%who_ls int",
            "stage:report",
        ),
    ],
)

DEFINITIONS = v4(
    1,
    [
        code("scale = 3", "parameters"),
        code(
            "import statistics as st\n\n"
            "class Scaler:\n"
            "    def __init__(self, k):\n        self.k = k\n\n"
            "    def apply(self, xs):\n        return [x * self.k * scale for x in xs]\n\n"
            "def summarize(xs):\n    return st.mean(xs)\n\n"
            "square = lambda v: v * v\n"
            "base = [1, 2, 3]\n"
            "box = Scaler(5)",
            "stage:define",
        ),
        code(
            "out = Scaler(2).apply(base)\nprint('RESULT', out, summarize(out), square(4))",
            "stage:use",
        ),
        md("An instance of a notebook class"),
        code("print('RESULT', box.apply([1]))", "stage:report"),
    ],
)

UNTAGGED = v4(
    3,
    [
        md("## Exploration, never tagged"),
        code("import random\nrandom.seed(1)\nxs = [random.random() for _ in range(5)]"),
        code("print('RESULT', [round(x, 6) for x in xs])"),
        code(""),
        code("ys = sorted(xs)\nys"),
        code("print('RESULT max', ys[-1])"),
        code(""),
    ],
)

_V3_CELL = {"cell_type": "code", "language": "python", "outputs": [], "metadata": {}}
FORMAT_3 = {
    "nbformat": 3,
    "nbformat_minor": 0,
    "metadata": {"name": "old"},
    "worksheets": [
        {
            "cells": [
                {"cell_type": "heading", "level": 1, "source": "Very old", "metadata": {}},
                {**_V3_CELL, "input": "total = sum(range(10))"},
                {**_V3_CELL, "input": "print('RESULT', total * 2)"},
            ]
        }
    ],
}

FOLDER = v4(
    2,
    [
        code("import pandas as pd\nimport helpers", "setup"),
        code("df = pd.read_csv('data.csv')", "stage:load"),
        code("print('RESULT total', helpers.total(df))", "stage:report"),
    ],
)

PLOTS = v4(
    4,
    [
        code("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt", "setup"),
        code("fig, ax = plt.subplots()\nline, = ax.plot([1, 2, 3], [2, 4, 7])", "stage:plot"),
        code("print('RESULT', list(line.get_ydata()))\nplt.close(fig)"),
    ],
)

CASES = [
    Case("titanic-aliases-4.0", TITANIC, needs=("pandas", "sklearn")),
    Case("magics-star-shell-4.4", MAGICS),
    Case("definitions-across-stages-4.1", DEFINITIONS),
    Case("untagged-4.3", UNTAGGED),
    Case("nbformat-3", FORMAT_3),
    Case(
        "helper-module-and-data-4.2",
        FOLDER,
        files={
            "helpers.py": "def total(df):\n    return int(df['x'].sum())\n",
            "data.csv": "x\n10\n20\n",
        },
        needs=("pandas",),
    ),
    Case("plots-agg-4.4", PLOTS, needs=("matplotlib",)),
]

# Papermill runs this, and the pipeline would give a different result: cellops refuses it at
# promote with a message naming the cells (asserted, and counted apart from the pass rate).
ALIAS_ACROSS_STAGES = v4(
    2,
    [
        code("a = {'x': 0}\nb = {'x': 0}\ndata = [a, b]\ndata.append({})", "stage:load"),
        code("for d in data:\n    d['x'] = 1", "stage:change"),
        code("print('RESULT', a, b)", "stage:show"),
    ],
)
