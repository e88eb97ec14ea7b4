"""Issue 14 item 9: truncate an artifact of a finished run and the next run (cached, not
--no-cache) re-runs the stage that produces it and succeeds."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clirun import cellops
from tests.generated import write_notebook

CELLS = [
    ("rows = list(range(1000))", ["stage:make"]),
    ("print(sum(rows))", ["stage:use"]),
]


def test_a_damaged_artifact_is_replaced_by_the_next_run(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", CELLS)
    assert cellops("promote", nb, "-o", tmp_path / "pkg", cwd=tmp_path).returncode == 0
    first = cellops("run", "pkg", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    artifacts = [p for p in (tmp_path / "pkg" / ".cellops" / "artifacts").rglob("*") if p.is_file()]
    assert len(artifacts) == 1
    artifacts[0].write_bytes(artifacts[0].read_bytes()[:10])
    second = cellops("run", "pkg", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert json.loads(artifacts[0].read_text()) == list(range(1000))
