"""The seam between the scheduler and where stage notebooks execute.

The scheduler decides what runs (cache keys, order, shared nodes, records); an ``Executor``
only executes one ``StageTask`` at a time per call, from as many scheduler threads as there
are slots. Warm local kernels (``run.warm``) and a Dask cluster (``batch.dask``) are the two
implementations; another (a subprocess per stage, Ray) is one new module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cellops.run.context import StageTask
from cellops.run.record import StageError


class StageExecutionError(Exception):
    def __init__(self, error: StageError) -> None:
        super().__init__(f"{error.ename}: {error.evalue}")
        self.error = error


class Executor(Protocol):
    def slots(self) -> int | None:
        """Stages it can run at once when the user gave no ``--jobs`` (None: no opinion)."""

    def begin(self, expected: int) -> None:
        """The first stage that must really run is due; about ``expected`` may follow."""

    def expect_fewer(self, count: int) -> None:
        """``count`` of the expected executions will not happen (cache hits, shared nodes)."""

    def execute(self, task: StageTask) -> None:
        """Execute the task's notebook into ``task.executed``; raise StageExecutionError."""

    def stop(self) -> None:
        """Stop every execution under way now (Ctrl-C, cancel): they fail fast."""

    def close(self) -> None:
        """Release kernels, clusters and temporary files."""


def attempts_for(retries: int | None, at_least: int = 0) -> int:
    return 1 + max(retries or 0, at_least)


def execute_with_retries(
    executor: Executor,
    task: StageTask,
    attempts: int,
    on_retry: Callable[[int, StageError], None] = lambda attempt, error: None,
) -> None:
    """The one retry policy: up to ``attempts`` executions; an artifact error is not retried
    (the same values would fail to store again). Raises the last StageExecutionError."""
    for attempt in range(1, attempts + 1):
        try:
            executor.execute(task)
            return
        except StageExecutionError as exc:
            if attempt == attempts or exc.error.ename == "ArtifactError":
                raise
            on_retry(attempt + 1, exc.error)
