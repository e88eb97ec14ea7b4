"""Helpers of the integration tests: real `cellops` commands, real papermill, real kernels.

A named module, imported as ``tests.integration.runs``: ``from conftest import`` found another
directory's conftest when several test directories ran in one pytest call.

Every test drives the command line the way a user does (``python -m cellops.cli ...`` in a
subprocess, working directory in ``tmp_path``) and checks what a user sees: the exit code, the
messages, the run record (``PKG/.cellops/runs/RUN_ID/run.json``) and the executed notebooks.

Kernels cost a second or two each, so each example pipeline is promoted and run once per
session (the fixtures ``wine_run`` and ``iris_run``, shared by the xdist workers through a file
lock); tests that change something work on a copy of that package (``copy_package``). Tests
named ``test_wine_*`` / ``test_iris_*`` / ``test_small_*`` are sent to one worker per shared run
(see ``pytest_xdist_make_scheduler`` in tests/conftest.py), so the other worker never waits
for the lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
WINE = EXAMPLES / "wine_fanout.ipynb"
IRIS = EXAMPLES / "iris_kale.ipynb"
WINE_STAGES = ("load", "features", "train_forest", "train_logreg", "compare")
IRIS_STAGES = ("load_data", "split", "train_knn", "evaluate", "pipeline_metrics")

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


# -- the command line ------------------------------------------------------------------------


@dataclass
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def __str__(self) -> str:
        return (
            f"cellops {' '.join(self.args)} -> exit {self.returncode} in {self.seconds:.1f}s\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


def cellops(*args: str | Path, cwd: Path, timeout: float = 300) -> Result:
    """Run the CLI in a subprocess, as a user would."""
    argv = tuple(str(a) for a in args)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "cellops.cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def cellops_ok(*args: str | Path, cwd: Path, timeout: float = 300) -> Result:
    result = cellops(*args, cwd=cwd, timeout=timeout)
    assert result.returncode == 0, str(result)
    return result


def promote(notebook: Path, package: Path) -> Result:
    return cellops_ok("promote", notebook, "-o", package, cwd=package.parent)


# -- notebooks -------------------------------------------------------------------------------


def cell(source: str, *tags: str, cell_id: str | None = None) -> dict[str, Any]:
    """A code cell description for ``make_notebook``."""
    return {"source": source, "tags": list(tags), "id": cell_id}


def make_notebook(path: Path, cells: Sequence[dict[str, Any]]) -> Path:
    """A tagged notebook; cell ids are c1, c2, ... (by position) unless given."""
    nb_cells = []
    for i, c in enumerate(cells, 1):
        meta = {"tags": c["tags"]} if c["tags"] else {}
        cid = c["id"] or f"c{i}"
        nb_cells.append(new_code_cell(c["source"], id=cid, metadata=meta))
    nb = new_notebook(cells=nb_cells)
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


def edit_cell(notebook: Path, cell_id: str, source: str, dest: Path | None = None) -> Path:
    """Replace the source of one cell (by id); write to ``dest`` (default: in place)."""
    nb = nbformat.read(notebook, as_version=4)
    matches = [c for c in nb.cells if c.get("id") == cell_id]
    assert len(matches) == 1, f"{notebook} has no single cell with id {cell_id}"
    matches[0].source = source
    target = dest or notebook
    nbformat.write(nb, target)
    return target


def cell_source(notebook: Path, cell_id: str) -> str:
    nb = nbformat.read(notebook, as_version=4)
    return next(c.source for c in nb.cells if c.get("id") == cell_id)


# -- run records and executed notebooks ------------------------------------------------------


def latest_run_id(package: Path) -> str:
    return (package / ".cellops" / "runs" / "latest").read_text(encoding="utf-8").strip()


def run_dir(package: Path, run_id: str | None = None) -> Path:
    return package / ".cellops" / "runs" / (run_id or latest_run_id(package))


def record(package: Path, run_id: str | None = None) -> dict[str, Any]:
    """The run record as the user reads it (raw JSON)."""
    data: dict[str, Any] = json.loads((run_dir(package, run_id) / "run.json").read_text("utf-8"))
    return data


def statuses(rec: dict[str, Any]) -> dict[str, str]:
    return {name: s["status"] for name, s in rec["stages"].items()}


def ran(rec: dict[str, Any]) -> set[str]:
    """Stages that really executed in this run."""
    return {name for name, s in rec["stages"].items() if s["status"] == "done"}


def executed_notebook(package: Path, rec: dict[str, Any], stage: str) -> Path:
    rel = rec["stages"][stage]["notebook"]
    assert rel, f"stage {stage} has no executed notebook in run {rec['run_id']}"
    return run_dir(package, rec["run_id"]) / rel


def notebook_text_output(path: Path) -> str:
    """Everything the executed notebook's cells printed or displayed as text, in order."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts: list[str] = []
    for c in nb["cells"]:
        for out in c.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append("".join(out["text"]))
            elif out.get("output_type") in ("execute_result", "display_data"):
                parts.append("".join(out.get("data", {}).get("text/plain", "")))
            elif out.get("output_type") == "error":
                parts.append(f"{out['ename']}: {out['evalue']}\n" + "\n".join(out["traceback"]))
    return "\n".join(parts)


def stage_output(package: Path, rec: dict[str, Any], stage: str) -> str:
    return notebook_text_output(executed_notebook(package, rec, stage))


def assert_executed(path: Path) -> None:
    """The notebook was run by papermill to the end: every code cell ran, some produced output."""
    assert path.is_file(), f"no executed notebook at {path}"
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"].get("papermill", {}).get("exception") in (None, False), path
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] is not None for c in code), (
        f"{path}: not every code cell was executed"
    )
    assert any(c["outputs"] for c in code), f"{path}: no cell has outputs"


def intervals_overlap(rec: dict[str, Any], a: str, b: str) -> bool:
    sa, sb = rec["stages"][a], rec["stages"][b]
    a0, a1 = sa["started"], sa["started"] + sa["duration"]
    b0, b1 = sb["started"], sb["started"] + sb["duration"]
    return a0 < b1 and b0 < a1


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def artifact_path(package: Path, sha: str, ext: str) -> Path:
    return package / ".cellops" / "artifacts" / sha[:2] / f"{sha}.{ext}"


def copy_package(src: Path, dest: Path) -> Path:
    """A copy of a package with its cache and runs (re-promoting into it keeps the cache)."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


# -- shared runs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageRun:
    package: Path
    notebook: Path
    result: Result
    run_id: str

    @property
    def record(self) -> dict[str, Any]:
        return record(self.package, self.run_id)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_run(
    factory: pytest.TempPathFactory, name: str, write_notebook: Callable[[Path], Path]
) -> PackageRun:
    """A notebook (written by ``write_notebook(directory)``) promoted and run with ``--jobs 2``
    once per pytest session, even with xdist: the workers share the session's base temp
    directory and take turns through a lock. Tests must not change the package: copy it."""
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's directory, above the per-worker ones
    root = base / f"shared-{name}"
    package = root / f"{name}-pipeline"
    with _file_lock(base / f"shared-{name}.lock"):
        done = root / "result.json"
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            notebook = write_notebook(root)
            promote(notebook, package)
            result = cellops("run", package, "--jobs", "2", cwd=root)
            has_run = (package / ".cellops" / "runs" / "latest").exists()
            data = {
                "result": asdict(result),
                "run_id": latest_run_id(package) if has_run else "",
                "notebook": str(notebook),
            }
            done.write_text(json.dumps(data), "utf-8")
        data = json.loads(done.read_text("utf-8"))
    res = data["result"]
    result = Result(tuple(res.pop("args")), **res)
    return PackageRun(package, Path(data["notebook"]), result, data["run_id"])


def copy_of(source: Path) -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        return Path(shutil.copyfile(source, directory / source.name))

    return write
