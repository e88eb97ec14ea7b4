"""Two stages that share no variable but hand a file over run in the notebook's order, also with
``--jobs 2``: the reader sees the file the writer wrote in this run, as under papermill."""

from __future__ import annotations

from pathlib import Path

from tests.integration.runs import (
    cell,
    cellops_ok,
    intervals_overlap,
    make_notebook,
    promote,
    record,
    stage_output,
)


def test_a_stage_reading_a_file_an_earlier_stage_writes_waits_for_it(tmp_path: Path) -> None:
    nb = make_notebook(
        tmp_path / "nb.ipynb",
        [
            cell("n = 7", "parameters"),
            cell("import time", "setup"),
            # The writer is slow: a reader started beside it would find no file.
            cell("time.sleep(2)\nopen('handoff.txt', 'w').write(str(n * 6))", "stage:write"),
            cell("print('RESULT', open('handoff.txt').read())", "stage:read"),
        ],
    )
    package = tmp_path / "pkg"
    promote(nb, package)
    cellops_ok("run", package, "--jobs", "2", cwd=tmp_path)
    rec = record(package)
    assert not intervals_overlap(rec, "write", "read")
    assert "RESULT 42" in stage_output(package, rec, "read")
