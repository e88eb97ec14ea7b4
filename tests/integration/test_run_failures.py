"""What a user sees when a run goes wrong: failing stages, --resume, retries, values that cannot
travel between stages, and bad parameters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.integration.runs import (
    cell,
    cellops,
    cellops_ok,
    edit_cell,
    executed_notebook,
    latest_run_id,
    make_notebook,
    notebook_text_output,
    promote,
    record,
    stage_output,
    statuses,
)

# -- a stage that raises, then --resume --------------------------------------------------------


def failing_notebook(path: Path) -> Path:
    return make_notebook(
        path,
        [
            cell("x = 1", "parameters"),  # c1
            cell("a_val = x + 1\nprint(f'a_val: {a_val}')", "stage:a"),  # c2
            cell("b_val = a_val * 2", "stage:b"),  # c3
            cell("print('before the failure')\nraise ValueError('boom')"),  # c4, still stage b
            cell("c_val = b_val + 1\nprint(f'c_val: {c_val}')", "stage:c"),  # c5
        ],
    )


@pytest.mark.kernel
def test_failing_stage_is_reported_and_resume_continues_after_the_fix(tmp_path: Path) -> None:
    notebook = failing_notebook(tmp_path / "flow.ipynb")
    pkg = tmp_path / "flow-pipeline"
    promote(notebook, pkg)

    res = cellops("run", pkg, "--jobs", "1", cwd=tmp_path)
    assert res.returncode == 1, str(res)
    assert "retry" not in res.stdout  # no retries:N tag, no second attempt
    # The message names the stage, the source cell, the error and the executed notebook.
    assert "stage 'b' failed" in res.stderr, str(res)
    assert "cell 4 (id c4)" in res.stderr, str(res)
    assert "ValueError: boom" in res.stderr, str(res)
    match = re.search(r"executed notebook: (.+\.ipynb)", res.stderr)
    assert match, str(res)
    failed_nb = Path(match.group(1))
    assert failed_nb.is_file(), str(res)
    assert "before the failure" in notebook_text_output(failed_nb)
    errors = [
        out
        for c in json.loads(failed_nb.read_text(encoding="utf-8"))["cells"]
        for out in c.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert [(e["ename"], e["evalue"]) for e in errors] == [("ValueError", "boom")]
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(errors[0]["traceback"]))  # no colours
    assert "raise ValueError('boom')" in traceback, traceback

    rec = record(pkg)
    failed_run = rec["run_id"]
    assert failed_nb == executed_notebook(pkg, rec, "b")
    assert rec["status"] == "failed"
    assert statuses(rec) == {"a": "done", "b": "failed", "c": "not-run"}
    assert rec["stages"]["b"]["error"]["source_cell"] == "cell 4 (id c4)"

    # Fix the notebook, promote again, continue.
    edit_cell(notebook, "c4", "print('fixed')")
    promote(notebook, pkg)
    res = cellops_ok("run", pkg, "--resume", "--jobs", "1", cwd=tmp_path)
    rec = record(pkg)
    assert rec["status"] == "done"
    assert rec["run_id"] == failed_run == latest_run_id(pkg)
    assert rec["resumed"] == 1
    # a finished before the failure: it is not run again.
    assert statuses(rec) == {"a": "cached", "b": "done", "c": "done"}, str(res)
    assert "a_val: 2" in stage_output(pkg, rec, "a")
    assert "fixed" in stage_output(pkg, rec, "b")
    assert "c_val: 5" in stage_output(pkg, rec, "c")
    assert "2 ran, 1 cached" in res.stdout


# -- values that cannot be stored between stages ---------------------------------------------


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("make", "use", "variable"),
    [
        pytest.param("f = open({path!r})", "print(f.read())", "f", id="open-file"),
        pytest.param("gen = (i * i for i in range(3))", "print(sum(gen))", "gen", id="generator"),
    ],
)
def test_output_that_cannot_be_serialised_is_bad_input(
    tmp_path: Path, make: str, use: str, variable: str
) -> None:
    data = tmp_path / "data.txt"
    data.write_text("hello\n", encoding="utf-8")
    notebook = make_notebook(
        tmp_path / "handles.ipynb",
        [
            cell(make.format(path=str(data)), "stage:producer"),  # c1
            cell(use, "stage:consumer"),  # c2
        ],
    )
    pkg = tmp_path / "handles-pipeline"
    promote(notebook, pkg)
    res = cellops("run", pkg, "--jobs", "1", cwd=tmp_path)
    assert res.returncode == 2, str(res)
    assert f"'{variable}'" in res.stderr, str(res)  # the variable
    assert "stage 'producer'" in res.stderr, str(res)  # the stage
    assert "cell 1 (id c1)" in res.stderr, str(res)  # the cell that defined it
    assert "cannot be stored between stages" in res.stderr, str(res)
    assert statuses(record(pkg)) == {"producer": "failed", "consumer": "not-run"}


# -- retries ---------------------------------------------------------------------------------


@pytest.mark.kernel
def test_failing_line_magic_names_the_cell_and_the_usage_error(tmp_path: Path) -> None:
    notebook = make_notebook(
        tmp_path / "magic.ipynb",
        [cell("x = 1", "stage:a"), cell("%undefined-line-magic\nprint(x)", "stage:b")],
    )
    pkg = tmp_path / "magic-pipeline"
    promote(notebook, pkg)
    res = cellops("run", pkg, "--jobs", "1", cwd=tmp_path)
    assert res.returncode == 1, str(res)
    assert "stage 'b' failed in cell 2 (id c2)" in res.stderr, str(res)
    assert "UsageError: Line magic function `%undefined-line-magic` not found" in res.stderr


@pytest.mark.kernel
def test_retries_runs_a_failing_stage_again(tmp_path: Path) -> None:
    marker = tmp_path / "first-attempt-happened"
    flaky = (
        "from pathlib import Path\n"
        f"marker = Path({str(marker)!r})\n"
        "if not marker.exists():\n"
        "    marker.write_text('failed once')\n"
        "    raise RuntimeError('transient failure')\n"
        "value = 41"
    )
    notebook = make_notebook(
        tmp_path / "flaky.ipynb",
        [
            cell(flaky, "stage:flaky", "retries:1"),
            cell("print(f'value: {value + 1}')", "stage:use"),
        ],
    )
    pkg = tmp_path / "flaky-pipeline"
    promote(notebook, pkg)
    res = cellops_ok("run", pkg, "--jobs", "1", cwd=tmp_path)
    assert marker.read_text(encoding="utf-8") == "failed once"  # the first attempt did fail
    assert re.search(r"flaky\s+retry\s+attempt 2 of 2", res.stdout), str(res)
    rec = record(pkg)
    assert statuses(rec) == {"flaky": "done", "use": "done"}
    assert rec["stages"]["flaky"]["error"] is None
    assert "value: 42" in stage_output(pkg, rec, "use")


# -- parameters ------------------------------------------------------------------------------

PARAMETERS = 'n = 3\nrate = 0.5\nflag = False\nname = "world"\nitems = [1, 2]'


@pytest.fixture
def params_package(tmp_path: Path) -> Path:
    notebook = make_notebook(
        tmp_path / "params.ipynb",
        [
            cell(PARAMETERS, "parameters"),
            cell("print('got', repr((n, rate, flag, name, items)))", "stage:show"),
        ],
    )
    pkg = tmp_path / "params-pipeline"
    promote(notebook, pkg)
    return pkg


@pytest.mark.kernel
def test_typed_parameters_reach_the_stage(params_package: Path, tmp_path: Path) -> None:
    res = cellops_ok(
        "run",
        params_package,
        "-p",
        "n=5",
        "-p",
        "rate=0.25",
        "-p",
        "flag=true",
        "-p",
        "name=big world",
        "-p",
        "items=[3, 4]",
        cwd=tmp_path,
    )
    rec = record(params_package)
    assert statuses(rec) == {"show": "done"}, str(res)
    assert rec["parameters"] == {
        "n": 5,
        "rate": 0.25,
        "flag": True,
        "name": "big world",
        "items": [3, 4],
    }
    assert "got (5, 0.25, True, 'big world', [3, 4])" in stage_output(params_package, rec, "show")
    # papermill's injected-parameters cell is in the executed notebook, with the typed values.
    nb = json.loads(executed_notebook(params_package, rec, "show").read_text(encoding="utf-8"))
    injected = next(
        "".join(c["source"])
        for c in nb["cells"]
        if "injected-parameters" in c["metadata"].get("tags", [])
    )
    for line in ("n = 5", "rate = 0.25", "flag = True", 'name = "big world"', "items = [3, 4]"):
        assert line in injected, injected


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        pytest.param("nope=1", ["unknown parameter 'nope'", "n (int, default 3)"], id="unknown"),
        pytest.param("n=five", ["parameter 'n' expects int", "'five'"], id="int"),
        pytest.param("rate=fast", ["parameter 'rate' expects float"], id="float"),
        pytest.param("flag=maybe", ["parameter 'flag' expects bool"], id="bool"),
        pytest.param("items=3", ["parameter 'items' expects list"], id="list"),
        pytest.param("n", ["NAME=VALUE"], id="no-equals"),
    ],
)
def test_bad_parameter_is_rejected_before_anything_runs(
    params_package: Path, tmp_path: Path, assignment: str, expected: list[str]
) -> None:
    res = cellops("run", params_package, "-p", assignment, cwd=tmp_path, timeout=60)
    assert res.returncode == 2, str(res)
    assert res.stderr.startswith("cellops: error: "), str(res)
    for fragment in expected:
        assert fragment in res.stderr, str(res)
    assert res.stdout == "", str(res)
    # Nothing was run and no run was recorded.
    assert not (params_package / ".cellops" / "runs").exists()
