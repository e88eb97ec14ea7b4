"""The corpus: each notebook run whole by papermill and as a cellops pipeline gives the same
``RESULT`` lines. See ``corpus.py`` for the shapes; benchmarks/RESULTS.md has the pass rate."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from corpus import ALIAS_ACROSS_STAGES, CASES, Case

from tests.integration.runs import cellops, cellops_ok, notebook_text_output, record, run_dir


def _results(text: str) -> list[str]:
    return sorted(line.strip() for line in text.splitlines() if line.startswith("RESULT"))


def _papermill(notebook: Path) -> list[str]:
    import papermill as pm

    out = notebook.with_name(notebook.stem + ".papermill.ipynb")
    # `papermill -k python3`: a format 3 notebook names no kernel.
    pm.execute_notebook(
        str(notebook),
        str(out),
        kernel_name="python3",
        cwd=str(notebook.parent),
        progress_bar=False,
        log_output=False,
    )
    return _results(notebook_text_output(out))


def _pipeline(notebook: Path) -> list[str]:
    pkg = notebook.with_name(notebook.stem + "-pipeline")
    cellops_ok("promote", notebook, "-o", pkg, cwd=notebook.parent)
    res = cellops("run", pkg, cwd=notebook.parent)
    assert res.returncode == 0, str(res)
    rec = record(pkg)
    lines: list[str] = []
    for stage in rec["stages"].values():
        lines += _results(notebook_text_output(run_dir(pkg, rec["run_id"]) / stage["notebook"]))
    return sorted(lines)


def _param(case: Case) -> object:
    marks = []
    missing = [m for m in case.needs if importlib.util.find_spec(m) is None]
    if missing:
        marks.append(pytest.mark.skip(reason=f"{', '.join(missing)} not installed here"))
    if case.xfail:
        marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.kernel
@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_corpus_notebook_gives_the_same_results_as_papermill(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / case.name
    folder.mkdir()
    for name, text in case.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    notebook = folder / "notebook.ipynb"
    notebook.write_text(json.dumps(case.notebook, indent=1), encoding="utf-8")
    before = notebook.read_bytes()
    whole = _papermill(notebook)
    assert whole, "the notebook printed no RESULT line under papermill"
    assert _pipeline(notebook) == whole
    assert notebook.read_bytes() == before  # read as it is, never rewritten


def test_corpus_change_through_an_alias_made_in_another_stage_is_refused(tmp_path: Path) -> None:
    notebook = tmp_path / "alias.ipynb"
    notebook.write_text(json.dumps(ALIAS_ACROSS_STAGES), encoding="utf-8")
    res = cellops("promote", notebook, cwd=tmp_path)
    assert res.returncode == 2, str(res)
    assert "stage 'change' changes 'data'" in res.stderr, str(res)
    assert "stage 'show' would read 'a'" in res.stderr, str(res)
    assert not (tmp_path / "alias-pipeline").exists()
