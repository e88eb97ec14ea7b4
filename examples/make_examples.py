"""Generate the example notebooks shipped in ``examples/``.

Run from anywhere::

    python examples/make_examples.py

The output is deterministic: every cell has a fixed id, there are no outputs
and no execution counts, so re-running the script produces byte-identical
files. Edit the notebooks here, not in Jupyter, and regenerate.

Notebooks written:

* ``wine_fanout.ipynb`` -- cellops tag vocabulary (``setup``, ``parameters``,
  ``stage:NAME``, ``skip``, stage options) with an independent fan-out of two
  training stages that join in a comparison stage.
* ``iris_kale.ipynb`` -- the same kind of flow tagged only with Kale's
  vocabulary (``imports``, ``functions``, ``pipeline-parameters``,
  ``step:NAME`` (Kale 2; Kale 1 wrote ``block:NAME``), ``prev:NAME``, ``skip``,
  ``pipeline-metrics``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}


def md(cell_id: str, text: str) -> nbformat.NotebookNode:
    """A markdown cell with a fixed id."""
    return new_markdown_cell(text.strip("\n"), id=cell_id)


def code(cell_id: str, text: str, *tags: str) -> nbformat.NotebookNode:
    """A code cell with a fixed id and the given tags (no outputs, no count)."""
    metadata = {"tags": list(tags)} if tags else {}
    return new_code_cell(text.strip("\n"), id=cell_id, metadata=metadata)


def notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    return nb


# --------------------------------------------------------------------------
# wine_fanout.ipynb -- cellops vocabulary
# --------------------------------------------------------------------------


def wine_fanout() -> nbformat.NotebookNode:
    return notebook(
        [
            md(
                "intro-1",
                """
# Wine classification: a fan-out pipeline

This notebook is an ordinary, top-to-bottom runnable analysis of scikit-learn's
bundled **wine** data set (no download needed). Its cells carry cellops tags, so
`cellops` can also turn it into a pipeline of papermill notebooks:

| stage | what it does |
| --- | --- |
| `load` | load the data into a DataFrame `df` |
| `features` | stratified train/test split and standard scaling |
| `train_forest` | random forest &rarr; `forest_acc` (runs with `cpu:2`, `retries:1`) |
| `train_logreg` | logistic regression &rarr; `logreg_acc` |
| `compare` | table of scores and the best model |

`train_forest` and `train_logreg` share no variables, so they fan out and can run
in parallel; `compare` joins them. Cells tagged `setup` are shared imports and
helpers, the `parameters` cell holds papermill parameters, and the `skip` cell is
exploration that never becomes part of the pipeline.
""",
            ),
            code(
                "setup-1",
                """
# Imports shared by the stages; each stage only receives the ones it uses.
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
""",
                "setup",
            ),
            code(
                "setup-2",
                """
def holdout_accuracy(model, X, y):
    \"\"\"Accuracy of a fitted classifier on a held-out set, as a plain float.\"\"\"
    return float(accuracy_score(y, model.predict(X)))
""",
                "setup",
            ),
            code(
                "parameters-1",
                """
# Papermill parameters (literal assignments only)
test_size = 0.25
seed = 42
n_estimators = 50
max_depth = 4
C = 1.0
""",
                "parameters",
            ),
            md(
                "load-md",
                """
## Load

The wine data set has 178 samples, 13 numeric features and 3 cultivars (`target`).
""",
            ),
            code(
                "load-1",
                """
# `as_frame=True` gives features and the `target` column in one DataFrame
df = load_wine(as_frame=True).frame
print(df.shape)
""",
                "stage:load",
            ),
            code(
                "load-2",
                """
# Class balance (an untagged cell: still part of the `load` stage)
print(df["target"].value_counts().sort_index().to_dict())
""",
            ),
            code(
                "explore-1",
                """
# Exploration only: tagged `skip`, never part of the pipeline
df.describe().T
""",
                "skip",
            ),
            md(
                "features-md",
                """
## Features

Hold out a test set, then standardise with statistics from the training
split only.
""",
            ),
            code(
                "features-1",
                """
# Random hold-out split (the three cultivars are roughly balanced)
X_train_raw, X_test_raw, y_train, y_test = train_test_split(
    df.drop(columns="target"), df["target"], test_size=test_size, random_state=seed
)
""",
                "stage:features",
            ),
            code(
                "features-2",
                """
# Fit the scaler on the training split only; keep DataFrames (column names)
scaler = StandardScaler().set_output(transform="pandas").fit(X_train_raw)
X_train = scaler.transform(X_train_raw)
X_test = scaler.transform(X_test_raw)
print(X_train.shape, X_test.shape)
""",
            ),
            md(
                "train-md",
                """
## Train two models independently

Neither training stage uses a name the other defines, so the pipeline runs
them side by side. The forest stage asks for two CPUs and one retry.
""",
            ),
            code(
                "train_forest-1",
                """
# Random forest: a small, shallow ensemble keeps this stage fast
forest = RandomForestClassifier(
    n_estimators=n_estimators, max_depth=max_depth, random_state=seed, n_jobs=2
)
forest.fit(X_train, y_train)
forest_acc = holdout_accuracy(forest, X_test, y_test)
print(f"random forest accuracy: {forest_acc:.3f}")
""",
                "stage:train_forest",
                "cpu:2",
                "retries:1",
            ),
            code(
                "train_logreg-1",
                """
# Logistic regression on the scaled features; C is the inverse regularisation strength
logreg = LogisticRegression(C=C, max_iter=1000)
logreg.fit(X_train, y_train)
logreg_acc = holdout_accuracy(logreg, X_test, y_test)
print(f"logistic regression accuracy: {logreg_acc:.3f}")
""",
                "stage:train_logreg",
            ),
            md(
                "compare-md",
                """
## Compare

Join the two branches: collect both accuracies and pick the winner.
""",
            ),
            code(
                "compare-1",
                """
# One row per model, indexed by name
scores = pd.DataFrame(
    {"accuracy": [forest_acc, logreg_acc]},
    index=pd.Index(["random_forest", "logistic_regression"], name="model"),
)
""",
                "stage:compare",
            ),
            code(
                "compare-2",
                """
# idxmax keeps the first row on a tie
best_model = str(scores["accuracy"].idxmax())
print(scores.to_string())
print(f"best model: {best_model}")
""",
            ),
        ]
    )


# --------------------------------------------------------------------------
# iris_kale.ipynb -- Kale vocabulary only
# --------------------------------------------------------------------------


def iris_kale() -> nbformat.NotebookNode:
    return notebook(
        [
            md(
                "intro-1",
                """
# Iris k-nearest neighbours, tagged for Kale

This notebook uses **only Kale's tag vocabulary**, to show that cellops reads
notebooks already annotated for Kale:

* `imports`, `functions` &mdash; shared code prepended to every step
* `pipeline-parameters` &mdash; the pipeline's parameters
* `step:load_data`, `step:split`, `step:train_knn`, `step:evaluate` &mdash; the steps,
  ordered with `prev:NAME`; a repeated block name merges cells into one step
* `skip` &mdash; exploration left out of the pipeline
* `pipeline-metrics` &mdash; `print(<variable>)` lines naming the metrics

It uses scikit-learn's bundled **iris** data set (no download needed).
""",
            ),
            code(
                "imports-1",
                """
# Shared imports
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
""",
                "imports",
            ),
            code(
                "functions-1",
                """
def holdout_accuracy(model, X, y):
    \"\"\"Accuracy of a fitted classifier on a held-out set, as a plain float.\"\"\"
    return float(accuracy_score(y, model.predict(X)))
""",
                "functions",
            ),
            code(
                "pipeline-parameters-1",
                """
# Pipeline parameters
n_neighbors = 5
test_size = 0.3
""",
                "pipeline-parameters",
            ),
            md(
                "load_data-md",
                """
## Load the data

150 flowers, 4 measurements, 3 species.
""",
            ),
            code(
                "load_data-1",
                """
# Features and the `target` column in one DataFrame
iris = load_iris(as_frame=True).frame
print(iris.shape)
""",
                "step:load_data",
            ),
            code(
                "explore-1",
                """
# Exploration: per-species means (tagged `skip`)
iris.groupby("target").mean()
""",
                "skip",
            ),
            md(
                "split-md",
                """
## Split

A stratified hold-out set; `test_size` comes from the pipeline parameters.
""",
            ),
            code(
                "split-1",
                """
X_train, X_test, y_train, y_test = train_test_split(
    iris.drop(columns="target"),
    iris["target"],
    test_size=test_size,
    random_state=0,
    stratify=iris["target"],
)
print(len(X_train), len(X_test))
""",
                "step:split",
                "prev:load_data",
            ),
            md(
                "train_knn-md",
                """
## Train

k-NN is distance based, so scale the features first.
""",
            ),
            code(
                "train_knn-1",
                """
# fit() returns the fitted pipeline itself
knn = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=n_neighbors)).fit(
    X_train, y_train
)
""",
                "step:train_knn",
                "prev:split",
            ),
            md(
                "evaluate-md",
                """
## Evaluate
""",
            ),
            code(
                "evaluate-1",
                """
# Accuracy on the held-out set
accuracy = holdout_accuracy(knn, X_test, y_test)
print(f"accuracy: {accuracy:.3f}")
""",
                "step:evaluate",
                "prev:train_knn",
            ),
            code(
                "evaluate-2",
                """
# Same block name again: Kale merges this cell into the `evaluate` step
confusion = pd.crosstab(y_test, knn.predict(X_test), rownames=["true"], colnames=["predicted"])
print(confusion)
""",
                "step:evaluate",
            ),
            code(
                "pipeline-metrics-1",
                """
print(accuracy)
""",
                "pipeline-metrics",
            ),
        ]
    )


def main() -> None:
    for name, build in (("wine_fanout.ipynb", wine_fanout), ("iris_kale.ipynb", iris_kale)):
        nb = build()
        nbformat.validate(nb)
        path = HERE / name
        nbformat.write(nb, path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
