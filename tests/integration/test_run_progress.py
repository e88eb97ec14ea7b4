"""What `cellops run` prints when piped: whole lines, and never more stages running than run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nbfactory import notebook_dict

LINE = re.compile(r"^  (\w+)\s+(running|done|failed|cached|retry)\b")


@pytest.mark.kernel
def test_piped_progress_never_shows_more_stages_running_than_jobs(tmp_path: Path) -> None:
    # Five independent stages under --jobs 2: each thread takes the next stage as soon as
    # one ends, so an end said after the next start would show three running.
    cells = [(f"v{i} = {i}", [f"stage:s{i}"]) for i in range(5)]
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook_dict(cells)))
    cli = [sys.executable, "-m", "cellops.cli"]
    subprocess.run([*cli, "promote", "nb.ipynb", "-o", "pkg"], cwd=tmp_path, check=True)
    proc = subprocess.run(
        [*cli, "run", "pkg", "--jobs", "2"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    running: set[str] = set()
    most = 0
    stage_lines = [line for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert len(stage_lines) == 10, proc.stdout  # a start and an end per stage, none merged
    for line in stage_lines:
        m = LINE.match(line)
        assert m, f"not one whole progress line: {line!r}"
        name, state = m.groups()
        if state == "running":
            running.add(name)
        else:
            running.discard(name)
        most = max(most, len(running))
    assert most <= 2, proc.stdout


@pytest.mark.kernel
def test_on_a_terminal_the_run_draws_a_live_table_of_its_stages(tmp_path: Path) -> None:
    import os
    import pty

    cells = [("x = 1", ["stage:first"]), ("y = x + 1", ["stage:second"])]
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook_dict(cells)))
    cli = [sys.executable, "-m", "cellops.cli"]
    subprocess.run([*cli, "promote", "nb.ipynb", "-o", "pkg"], cwd=tmp_path, check=True)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [*cli, "run", "pkg"], cwd=tmp_path, stdout=follower, stderr=subprocess.PIPE
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: the run has ended
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    # The table's header and its last state for each stage, not the piped lines.
    assert "stage" in screen and "state" in screen, screen
    assert re.search(r"first\s+done", screen) and re.search(r"second\s+done", screen), screen
    assert not re.search(r"^  first\s+running", screen, re.M), screen
    assert "2 ran, 0 cached" in screen
