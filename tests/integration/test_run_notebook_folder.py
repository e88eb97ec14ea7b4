"""The notebook's folder travels with the pipeline: a helper module (importing a sub-package),
data read by ``pd.read_csv`` and through ``glob`` give the same results under papermill (run
in the notebook's folder, as JupyterLab does), ``cellops run`` and ``cellops batch``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runs import (
    cell,
    cellops,
    cellops_ok,
    make_notebook,
    notebook_text_output,
    record,
    run_dir,
)

FILES = {
    "helpers.py": (
        "from lib.util import double\n\n\ndef total(df):\n    return double(int(df['x'].sum()))\n"
    ),
    "lib/__init__.py": "",
    "lib/util.py": "def double(v):\n    return 2 * v\n",
    "data/train.csv": "x\n1\n2\n",
    "data/extra.csv": "x\n5\n",
    "notes/unrelated.txt": "not needed by any stage\n",
}
CELLS = [
    cell("scale = 1", "parameters"),
    cell("import glob\nimport pandas as pd\nimport helpers", "setup"),
    cell("df = pd.read_csv('data/train.csv')", "stage:load"),
    cell(
        "names = sorted(glob.glob('data/*.csv'))\n"
        "print('RESULT files', names, sum(len(pd.read_csv(n)) for n in names))",
        "stage:files",
    ),
    cell("print('RESULT total', helpers.total(df) * scale)", "stage:report"),
]


def _folder(root: Path, files: dict[str, str], cells: list[dict[str, Any]]) -> Path:
    root.mkdir()
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return make_notebook(root / "nb.ipynb", cells)


def _results(text: str) -> list[str]:
    return sorted(line.strip() for line in text.splitlines() if line.startswith("RESULT"))


def _papermill(notebook: Path, **parameters: Any) -> list[str]:
    import papermill as pm

    label = "-".join(f"{k}{v}" for k, v in sorted(parameters.items()))
    out = notebook.with_name(f"whole-{label}.ipynb")
    pm.execute_notebook(
        str(notebook),
        str(out),
        parameters=parameters,
        cwd=str(notebook.parent),  # as JupyterLab runs it
        progress_bar=False,
        log_output=False,
    )
    results = _results(notebook_text_output(out))
    out.unlink()
    return results


def _executed(folder: Path) -> list[str]:
    lines: list[str] = []
    for path in sorted(folder.glob("*.ipynb")):
        lines += _results(notebook_text_output(path))
    return sorted(lines)


@pytest.mark.kernel
def test_helpers_sub_package_and_data_give_papermills_results_in_run_and_batch(
    tmp_path: Path,
) -> None:
    notebook = _folder(tmp_path / "project", FILES, CELLS)
    whole = {scale: _papermill(notebook, scale=scale) for scale in (1, 3)}
    assert whole[1] == ["RESULT files ['data/extra.csv', 'data/train.csv'] 3", "RESULT total 6"]

    pkg = tmp_path / "pkg"
    promoted = cellops_ok("promote", notebook, "-o", pkg, cwd=tmp_path)
    assert (
        "(5 file(s), 125 bytes): data/extra.csv, data/train.csv, helpers.py, lib/__init__.py, "
        "lib/util.py" in promoted.stdout
    ), str(promoted)
    assert "unrelated" not in promoted.stdout
    # Run from elsewhere, with the notebook's folder gone: the package holds all it needs.
    shutil.rmtree(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = cellops("run", pkg, cwd=elsewhere)
    assert res.returncode == 0, str(res)
    assert _executed(run_dir(pkg, record(pkg)["run_id"]) / "stages") == whole[1]

    sweep = cellops("batch", pkg, "--grid", "scale=1,3", cwd=elsewhere)
    assert sweep.returncode == 0, str(sweep)
    batches = pkg / ".cellops" / "batches"
    batch = json.loads(
        (batches / (batches / "latest").read_text().strip() / "batch.json").read_text()
    )
    got = {}
    for run in batch["runs"]:
        rec = record(pkg, run["run_id"])
        got[rec["parameters"]["scale"]] = _executed(run_dir(pkg, rec["run_id"]) / "stages")
    assert got == whole


BIG = [
    cell("text = open('data/big.csv').read()", "stage:load"),
    cell("print('RESULT rows', len(text.splitlines()))", "stage:count"),
]


@pytest.mark.kernel
def test_a_file_over_the_limit_is_referenced_and_a_run_without_it_names_it(
    tmp_path: Path,
) -> None:
    big = "x\n" + "1\n" * 2000
    notebook = _folder(tmp_path / "project", {"data/big.csv": big}, BIG)
    pkg = tmp_path / "pkg"
    promoted = cellops_ok("promote", notebook, "-o", pkg, "--carry-limit", "0.001", cwd=tmp_path)
    assert "referenced, not carried (over the carry limits of 1048 bytes a file" in promoted.stdout
    assert f"data/big.csv (4002 bytes, missing): copy it to {pkg}/files/data/big.csv" in (
        promoted.stdout
    ), str(promoted)
    res = cellops("run", pkg, cwd=tmp_path)
    assert res.returncode == 2, str(res)
    assert "data/big.csv" in res.stderr and f"copy each to {pkg}/files/" in res.stderr, str(res)
    assert not (pkg / ".cellops" / "runs").exists() or not list(
        (pkg / ".cellops" / "runs").iterdir()
    )

    (pkg / "files" / "data").mkdir(parents=True)
    shutil.copy(tmp_path / "project" / "data" / "big.csv", pkg / "files" / "data" / "big.csv")
    res = cellops("run", pkg, cwd=tmp_path)
    assert res.returncode == 0, str(res)
    assert _executed(run_dir(pkg, record(pkg)["run_id"]) / "stages") == _papermill(notebook)
    # The supplied file is the user's: a re-promote keeps it.
    cellops_ok("promote", notebook, "-o", pkg, "--carry-limit", "0.001", cwd=tmp_path)
    assert (pkg / "files" / "data" / "big.csv").read_text() == big


def test_a_path_outside_the_notebooks_folder_is_reported_not_copied(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("secret\n", encoding="utf-8")
    notebook = _folder(
        tmp_path / "project", {}, [cell("import pandas as pd\ndf = pd.read_csv('../x.csv')")]
    )
    promoted = cellops_ok("promote", notebook, "-o", tmp_path / "pkg", cwd=tmp_path)
    assert "not carried: '../x.csv' (cell 1 (id c1)) is outside the notebook's folder" in (
        promoted.stdout
    ), str(promoted)
    assert not any(p.name == "x.csv" for p in (tmp_path / "pkg").rglob("*"))
