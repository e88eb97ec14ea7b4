"""The stage engine's saves: a long stage's executed notebook shows its progress on disk,
while a quick one is written at its start and end only."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import nbformat
import pytest

from cellops.run import engine


class Clock:
    def __init__(self) -> None:
        self.t = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

    def __call__(self) -> datetime.datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += datetime.timedelta(seconds=seconds)


def _manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[engine.StageNotebook, Clock, Path]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"x = {i}") for i in range(3)]
    nb.metadata["papermill"] = {}
    out = tmp_path / "executed.ipynb"
    clock = Clock()
    monkeypatch.setattr(engine.StageNotebook, "now", lambda self: clock())
    return engine.StageNotebook(nb, output_path=str(out), progress_bar=False), clock, out


def _run_cell(manager: engine.StageNotebook, clock: Clock, index: int, seconds: float) -> None:
    cell = manager.nb.cells[index]
    manager.cell_start(cell, index)
    clock.advance(seconds)
    cell.outputs = [nbformat.v4.new_output("stream", text=f"cell {index}\n")]
    manager.cell_complete(cell, index)


def _printed(out: Path) -> list[str]:
    cells = json.loads(out.read_text())["cells"]
    return ["".join(o["text"]) for c in cells for o in c["outputs"]]


def test_a_long_stage_shows_its_progress_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager, clock, out = _manager(tmp_path, monkeypatch)
    manager.notebook_start()
    assert out.is_file() and _printed(out) == []  # on disk from the start
    _run_cell(manager, clock, 0, 1.0)
    assert _printed(out) == []  # a quick cell: not saved on its own
    _run_cell(manager, clock, 1, engine.SAVE_EVERY)
    assert _printed(out) == ["cell 0\n", "cell 1\n"]  # the stage has run long: saved


def test_the_end_is_saved_when_the_engine_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager, clock, out = _manager(tmp_path, monkeypatch)
    manager.notebook_start()
    _run_cell(manager, clock, 0, 1.0)
    # After a normal end papermill writes the notebook itself; after an engine that raised
    # (the kernel died: timeout, cancel) the engine must.
    manager.must_save_at_end = True
    manager.notebook_complete()
    saved = json.loads(out.read_text())
    assert saved["metadata"]["papermill"]["end_time"] is not None
    assert _printed(out) == ["cell 0\n"]
