"""Parameter sweeps over a pipeline package or a parameterised notebook.

``cellops.batch(...)`` runs a sweep and returns its results as a pandas DataFrame;
``start_batch(...)`` starts one in a background thread and returns the ``Batch`` to poll
(``status()``: runs done/failed/total and ETA; ``rows()``: the results table as JSON-safe
dicts; ``cancel()``). Both check the whole sweep (unknown parameters, wrong types, an empty
grid) before anything runs. Importing this package is cheap: pandas, papermill and dask are
imported when a sweep runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from cellops.sweeps.sweep import Batch

__all__ = ["batch", "prepare_batch", "start_batch"]


def prepare_batch(
    target: str | Path,
    grid: Mapping[str, Sequence[Any]] | Sequence[str] | None = None,
    *,
    params_file: str | Path | None = None,
    runs: Sequence[Mapping[str, Any]] | None = None,
    params: Mapping[str, Any] | Sequence[str] = (),
    jobs: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    artifacts: str | None = None,
    resume: bool = False,
    retries: int = 0,
    batch_id: str | None = None,
    out: TextIO | None = None,
    quiet: bool = True,
) -> Batch:
    """A checked sweep, ready to ``run()`` or ``start()``; raises CellopsError (naming the
    parameter, file or setting) when the sweep is wrong, before anything runs.

    ``grid`` maps parameter names to lists of values (or is a list of ``"NAME=V1,V2"``
    strings); ``runs`` lists explicit parameter sets; ``params`` fixes values for every run.
    ``resume`` continues the package's latest batch: runs that finished are not run again
    (without a grid, the same sweep).
    """
    from cellops.errors import CellopsError
    from cellops.sweeps.grid import plan_sweep
    from cellops.sweeps.sweep import Batch, BatchOptions
    from cellops.sweeps.target import resolve_target

    if artifacts and executor != "dask":
        raise CellopsError(
            f"--artifacts {artifacts}: that is where Dask workers exchange stage values; add "
            "--executor dask, or leave it out (the local executor keeps them in the package)"
        )
    resolved = resolve_target(target)
    plan = None
    if not resume or grid is not None or params_file is not None or runs is not None:
        plan = plan_sweep(
            resolved.spec, grid=grid, params_file=params_file, runs=runs, fixed=params
        )
    options = BatchOptions(
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        artifacts=artifacts,
        resume=resume,
        retries=retries,
        batch_id=batch_id,
    )
    return Batch(resolved, plan, options, out=out, quiet=quiet)


def batch(
    target: str | Path,
    grid: Mapping[str, Sequence[Any]] | Sequence[str] | None = None,
    **options: Any,
) -> Any:
    """Run ``target`` (a package directory or a notebook with a ``parameters`` cell) over a
    sweep and return the results: a pandas DataFrame with one row per run (its parameters,
    metrics, status, error, duration, run id and executed notebooks).

    >>> df = cellops.batch("build/wine-pipeline", {"max_depth": [2, 4, 8]}, jobs=2)

    Options are those of ``prepare_batch``. Results are also saved as Parquet and CSV under
    ``PACKAGE/.cellops/batches/BATCH_ID/``.
    """
    sweep = prepare_batch(target, grid, **options)
    sweep.run()
    return sweep.results()


def start_batch(
    target: str | Path,
    grid: Mapping[str, Sequence[Any]] | Sequence[str] | None = None,
    **options: Any,
) -> Batch:
    """Check the sweep, then run it in a background thread; poll the returned ``Batch``."""
    return prepare_batch(target, grid, **options).start()
