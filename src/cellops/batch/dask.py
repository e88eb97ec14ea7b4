"""Running a sweep's stages on a ``dask.distributed`` cluster.

The sweep is still scheduled here (cache keys, shared stages, retries, records): only the
execution of a stage notebook moves to a worker. The worker gets the notebook's content and its
parameters, runs it through papermill in a kernel from its own warm pool, writes the stage's
outputs to the shared artifact location and sends the executed notebook back. So workers need
cellops and the notebook's libraries installed, and a location every one of them reaches for the
artifacts (``--artifacts``): a path they all mount or an object-store URL (``s3://bucket/prefix``,
credentials from the environment, as fsspec reads them). By default it is the package's own
folder, right for a LocalCluster or a package on a shared filesystem.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from cellops.batch.target import Target
from cellops.errors import CellopsError
from cellops.run.local import PackageRun
from cellops.run.record import StageError
from cellops.spec import StageSpec

_pools: dict[tuple[str, str], Any] = {}
_pools_lock = threading.Lock()


def _worker_pool(kernel: str, cwd: str) -> Any:
    """This worker process's warm kernels, one pool per kernel and working directory."""
    from cellops.run.kernels import KernelPool

    with _pools_lock:
        pool = _pools.get((kernel, cwd))
        if pool is None:
            pool = KernelPool(kernel, cwd, total=1 << 30, warm=1)
            _pools[(kernel, cwd)] = pool
        return pool


def close_worker_pools(kill: bool = False) -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        if kill:
            pool.kill_all()
        pool.close()


def run_on_worker(
    notebook: dict[str, Any],
    parameters: dict[str, Any],
    kernel: str,
    timeout: int | None,
    cwd: str,
    run_id: str | None = None,
) -> tuple[bytes, StageError | None]:
    """Execute one stage notebook on this worker: (executed notebook, error or None)."""
    from cellops.run.execute import StageExecutionError, execute_stage

    workdir = cwd if os.path.isdir(cwd) else tempfile.gettempdir()
    pool = _worker_pool(kernel, workdir)
    with tempfile.TemporaryDirectory(prefix="cellops-stage-") as tmp:
        source, executed = Path(tmp) / "stage.ipynb", Path(tmp) / "executed.ipynb"
        source.write_text(json.dumps(notebook), encoding="utf-8")
        error = None
        try:
            execute_stage(
                pool,
                source,
                executed,
                parameters,
                kernel_name=kernel,
                timeout=timeout,
                run_id=run_id,
            )
        except StageExecutionError as exc:
            error = exc.error
        return (executed.read_bytes() if executed.exists() else b""), error


class DaskStages:
    """A client of the cluster that runs ``PackageRun`` stages on it (see ``bind``)."""

    def __init__(self, scheduler: str | None, target: Target) -> None:
        try:
            # Typed as Any: distributed's API is not annotated.
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise CellopsError(
                "--executor dask needs dask.distributed: pip install 'cellops[dask]'"
            ) from None
        self.target = target
        self.cluster: Any = None
        self.client: Any
        if scheduler:
            try:
                self.client = distributed.Client(scheduler, timeout="20s")
            except OSError as exc:
                raise CellopsError(
                    f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}); check "
                    "the address (tcp://HOST:8786) and that the scheduler is running"
                ) from None
        else:
            # No address: a cluster on this machine, one single-threaded worker per CPU.
            self.cluster = distributed.LocalCluster(
                n_workers=os.cpu_count() or 1,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = distributed.Client(self.cluster)

    def threads(self) -> int:
        return max(1, int(sum(self.client.nthreads().values())))

    def bind(self, run: PackageRun, artifacts: str | None) -> None:
        """Make ``run`` execute its stages on the cluster, artifacts under ``artifacts``."""
        if artifacts:
            from cellops.artifact_stores import is_url, join, open_store

            root = artifacts if is_url(artifacts) else str(Path(artifacts).resolve())
            run.store = open_store(join(root, "artifacts"))
            run.work_root = join(root, "work", run.rec.run_id)

        def execute_notebook(stage: StageSpec, executed: Path, params: dict[str, Any]) -> None:
            self.execute(run, stage, executed, params)

        run.execute_notebook = execute_notebook  # type: ignore[method-assign]

    def execute(
        self, run: PackageRun, stage: StageSpec, executed: Path, params: dict[str, Any]
    ) -> None:
        from cellops.run.execute import StageExecutionError, restore_input_path

        notebook = run.package / stage.notebook
        content = json.loads(notebook.read_text(encoding="utf-8"))
        future = self.client.submit(
            run_on_worker,
            content,
            params,
            run.spec.kernel,
            stage.options.timeout,
            str(self.target.workdir),
            run.rec.run_id,  # the tracking store records the stage's cells under this run
            pure=False,
            key=f"cellops-{run.rec.run_id}-{stage.name}-{os.urandom(3).hex()}",
        )
        data, error = future.result()
        executed.parent.mkdir(parents=True, exist_ok=True)
        if data:
            executed.write_bytes(data)
            restore_input_path(executed, notebook)
        if error is not None:
            raise StageExecutionError(error)

    def close(self, stop: bool = False) -> None:
        """Disconnect; ``stop`` (Ctrl-C, cancel) first stops the stages running on workers."""
        # A worker that is gone has no kernels left to stop.
        with contextlib.suppress(Exception):
            self.client.run(close_worker_pools, stop)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
