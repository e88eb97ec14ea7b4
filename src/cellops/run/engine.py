"""The papermill engine stages run through: papermill's nbclient engine, saving less often.

papermill's ``NotebookExecutionManager`` writes the whole executed notebook at its start, at
every cell's start and at every cell's end, and once more at the end, after which
``papermill.execute_notebook`` writes it again: 2n+3 writes, each one an ``nbformat.writes``
that validates and deep-copies the growing notebook. For the small stages a pipeline is made
of, that was most of papermill's own time per stage. This engine keeps the first write and,
in between, saves at a cell boundary only when the last save is ``SAVE_EVERY`` seconds old, so
a long stage's notebook still shows its progress on disk.

The executed notebook is complete on disk in every case. When the engine returns, papermill
writes it itself: on success, and on a failing cell (with its error banner). When the engine
raises (the kernel died under it: a timeout, a cancel), papermill writes nothing, so the
engine does, from papermill's ``finally``. The input the notebook records is the stage
notebook, set before the first write (papermill read a prepared copy of it).

Registered in papermill's own engine registry, so ``papermill.execute_notebook`` still does
the reading, parameterising and error reporting exactly as for any other engine.
"""

from __future__ import annotations

from typing import Any

import nbformat
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.iorw import write_ipynb

from cellops.fsutil import atomic_write, is_url

ENGINE = "cellops"
SAVE_EVERY = 10.0  # seconds between saves at cell boundaries during a stage


class StageNotebook(NotebookExecutionManager):  # type: ignore[misc]
    """papermill's execution state of one notebook; saves at its start, at most every
    ``SAVE_EVERY`` seconds while it runs, and at its end only when ``must_save_at_end``."""

    started = False
    must_save_at_end = False

    def save(self, **kwargs: Any) -> None:
        if kwargs.get("nb") is not None:
            self.nb = kwargs["nb"]
        if self.output_path and self._due():
            write_notebook(self.nb, self.output_path)
        self.last_save_time = self.now()

    def _due(self) -> bool:
        if not self.started:
            return True
        if self.end_time is not None:
            return self.must_save_at_end
        return bool((self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY)

    def notebook_start(self, **kwargs: Any) -> None:
        super().notebook_start(**kwargs)
        self.started = True


def write_notebook(nb: Any, path: str) -> None:
    """papermill's serialisation (nbformat, validated), written atomically where it is a file."""
    if is_url(path):
        write_ipynb(nb, path)
    else:
        atomic_write(path, nbformat.writes(nb))  # type: ignore[no-untyped-call]


class StageEngine(NBClientEngine):  # type: ignore[misc]
    @classmethod
    def execute_notebook(
        cls,
        nb: Any,
        kernel_name: str,
        output_path: str | None = None,
        progress_bar: bool = True,
        log_output: bool = False,
        autosave_cell_every: int = 30,
        recorded_input: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """papermill's ``Engine.execute_notebook`` with ``StageNotebook`` as the manager;
        ``recorded_input`` is the input path the executed notebook records."""
        if recorded_input is not None:
            nb.metadata.papermill["input_path"] = recorded_input
        manager = StageNotebook(
            nb,
            output_path=output_path,
            progress_bar=progress_bar,
            log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        manager.notebook_start()
        try:
            cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
        except BaseException:
            manager.must_save_at_end = True  # papermill writes nothing after an engine that raised
            raise
        finally:
            manager.cleanup_pbar()
            manager.notebook_complete()
        return manager.nb


papermill_engines.register(ENGINE, StageEngine)
