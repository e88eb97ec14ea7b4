"""Promote under SIGKILL: killed before any write or rename, the package is the old one whole
or the new one whole, and the next promote leaves the new one with its run state, the user's
own files and no leftovers."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cellops.fsutil import CRASH_HOOK
from tests.clirun import cellops
from tests.generated import write_notebook

OLD = [("x = 1\nprint(x)", ["stage:first"])]
NEW = [("y = 2\nprint(y)", ["stage:second"])]


def _files(root: Path) -> dict[str, bytes]:
    skip = ".cellops/promoted-files.json"
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() != skip
    }


def _generated(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in _files(root).items() if not k.startswith((".cellops/", "data/"))}


def test_promote_killed_at_every_step_loses_nothing(tmp_path: Path) -> None:
    old_nb = write_notebook(tmp_path / "old.ipynb", OLD)
    new_nb = write_notebook(tmp_path / "new.ipynb", NEW)
    ref = tmp_path / "ref"
    assert cellops("promote", new_nb, "-o", ref, "--name", "p", cwd=tmp_path).returncode == 0
    new_files = _generated(ref)
    step = 1
    while True:
        work = tmp_path / f"k{step}"
        work.mkdir()
        pkg = work / "pkg"
        assert cellops("promote", old_nb, "-o", pkg, "--name", "p", cwd=work).returncode == 0
        (pkg / ".cellops" / "cache").mkdir()
        (pkg / ".cellops" / "cache" / "entry.json").write_text("{}")
        (pkg / "data").mkdir()
        (pkg / "data" / "train.csv").write_text("a,b\n1,2\n")
        old_all = _files(pkg)
        old_files = _generated(pkg)
        env = {**os.environ, CRASH_HOOK: str(step)}
        proc = cellops("promote", new_nb, "-o", pkg, "--name", "p", cwd=work, env=env)
        if proc.returncode == 0:
            break  # past the last step: nothing left to kill
        assert proc.returncode == -9, proc.stderr
        # Right after the kill: the old package whole, or the new one's files whole.
        if pkg.is_dir() and _generated(pkg) == old_files:
            assert _files(pkg) == old_all, f"step {step}: old package without its state"
        else:
            assert _generated(pkg) == new_files, f"step {step}: neither old nor new package"
        # The next promote recovers: new package, its state, the user's data, no leftovers.
        assert cellops("promote", new_nb, "-o", pkg, "--name", "p", cwd=work).returncode == 0
        assert _generated(pkg) == new_files
        assert (pkg / ".cellops" / "cache" / "entry.json").read_text() == "{}", step
        assert (pkg / "data" / "train.csv").read_text() == "a,b\n1,2\n", step
        assert sorted(os.listdir(work)) == ["pkg"], f"step {step}: leftovers"
        step += 1
    assert step > 10  # every file write and rename was a kill point


def test_repromote_keeps_user_files_and_drops_removed_stages(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    old_nb = write_notebook(tmp_path / "old.ipynb", OLD)
    assert cellops("promote", old_nb, "-o", pkg, "--name", "p", cwd=tmp_path).returncode == 0
    (pkg / "data").mkdir()
    (pkg / "data" / "train.csv").write_text("a\n")
    (pkg / "stages" / "NOTES.md").write_text("mine")
    new_nb = write_notebook(tmp_path / "new.ipynb", NEW)
    assert cellops("promote", new_nb, "-o", pkg, "--name", "p", cwd=tmp_path).returncode == 0
    assert (pkg / "data" / "train.csv").read_text() == "a\n"
    assert (pkg / "stages" / "NOTES.md").read_text() == "mine"
    assert not (pkg / "stages" / "first.ipynb").exists()  # promote wrote it: replaced
    assert (pkg / "stages" / "second.ipynb").is_file()
    written = json.loads((pkg / ".cellops" / "promoted-files.json").read_text())["files"]
    assert "stages/second.ipynb" in written and "data/train.csv" not in written


def test_a_user_file_in_the_way_of_a_new_stage_is_refused(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    old_nb = write_notebook(tmp_path / "old.ipynb", OLD)
    assert cellops("promote", old_nb, "-o", pkg, "--name", "p", cwd=tmp_path).returncode == 0
    (pkg / "stages" / "second.ipynb").write_text("my own notebook")
    new_nb = write_notebook(tmp_path / "new.ipynb", NEW)
    proc = cellops("promote", new_nb, "-o", pkg, "--name", "p", cwd=tmp_path)
    assert proc.returncode == 2
    assert "second.ipynb was not written by cellops promote" in proc.stderr
    assert (pkg / "stages" / "second.ipynb").read_text() == "my own notebook"
    assert (pkg / "stages" / "first.ipynb").is_file()
