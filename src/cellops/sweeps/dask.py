"""An ``Executor`` that runs a sweep's stages on a ``dask.distributed`` cluster.

The sweep is still scheduled on this machine (``run.scheduler``: cache keys, shared stages,
retries, records): only the execution of a stage notebook moves to a worker. The worker gets
the notebook's content, its parameters and its tracking context, runs it through papermill in
a kernel from its own warm pool, writes the stage's outputs to the shared artifact location
and sends the executed notebook back. So workers need
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

from cellops.errors import CellopsError
from cellops.fsutil import atomic_write
from cellops.package import layout
from cellops.run.context import PackageContext, StageTask
from cellops.run.prelude import prelude_code
from cellops.run.record import StageError

_pools: dict[tuple[str, str, str], Any] = {}
_pools_lock = threading.Lock()


def _worker_pool(kernel: str, cwd: str, prelude: str) -> Any:
    """This worker process's warm kernels, one pool per kernel, working directory and prelude."""
    from cellops.run.kernels import KernelPool

    with _pools_lock:
        pool = _pools.get((kernel, cwd, prelude))
        if pool is None:
            pool = KernelPool(kernel, cwd, total=1 << 30, warm=1, prelude=prelude)
            _pools[(kernel, cwd, prelude)] = pool
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
    prelude: str = "",
    tracking: dict[str, Any] | None = None,
    needs_cwd: bool = False,
) -> tuple[bytes, StageError | None, str | None]:
    """Execute one stage notebook on this worker: (executed notebook, error or None, trace).

    ``tracking`` is the stage's context from the scheduler (database, source notebook, run id,
    stage): the notebook sits in a temporary folder here, so nothing could be derived from it.
    ``prelude`` is what the warm kernels run first (imports, the tracking hook, the recorder),
    as locally. The trace (what the stage read and imported, ``run.trace``) goes back with the
    result, so the scheduler writes the cache entry as for a local stage; only when the stage
    ran in the package's own working directory (a shared filesystem: the paths it recorded
    are the scheduler's too). Without one, the result is not reused (the safe side).
    """
    from cellops.run.execute import execute_stage
    from cellops.run.executor import StageExecutionError

    if not os.path.isdir(cwd) and needs_cwd:
        # The stages read the notebook's folder (the package's files/) from there.
        return (
            b"",
            StageError(
                "FileNotFoundError",
                f"this Dask worker has no folder {cwd}, where the stages run and find the files "
                "of the notebook's folder: run the workers where the package is mounted at the "
                "same path (a shared filesystem)",
                None,
                None,
            ),
            None,
        )
    workdir = cwd if os.path.isdir(cwd) else tempfile.gettempdir()
    pool = _worker_pool(kernel, workdir, prelude)
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
                tracking=tracking,
            )
        except StageExecutionError as exc:
            error = exc.error
        trace = layout.trace_file(executed)
        shared = workdir == cwd and error is None and trace.is_file()
        data = executed.read_bytes() if executed.exists() else b""
        return data, error, trace.read_text(encoding="utf-8") if shared else None


class DaskExecutor:
    """A client of the cluster; executes each task on a worker."""

    def __init__(self, scheduler: str | None, context: PackageContext) -> None:
        try:
            # Typed as Any: distributed's API is not annotated.
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise CellopsError(
                "--executor dask needs dask.distributed: pip install 'cellops[dask]'"
            ) from None
        self.context = context
        self.prelude = prelude_code(context.imported())
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

    def slots(self) -> int | None:
        return max(1, int(sum(self.client.nthreads().values())))

    def begin(self, expected: int) -> None:
        pass  # the workers keep their own warm kernels

    def expect_fewer(self, count: int) -> None:
        pass

    def execute(self, task: StageTask) -> None:
        from cellops.run.execute import restore_input_path
        from cellops.run.executor import StageExecutionError

        content = json.loads(task.notebook.read_text(encoding="utf-8"))
        future = self.client.submit(
            run_on_worker,
            content,
            task.parameters,
            self.context.spec.kernel,
            task.stage.options.timeout,
            str(self.context.workdir),
            self.prelude,
            task.tracking(),
            bool(self.context.spec.folder),
            pure=False,
            key=f"cellops-{task.run_id}-{task.stage.name}-{os.urandom(3).hex()}",
        )
        data, error, trace = future.result()
        task.executed.parent.mkdir(parents=True, exist_ok=True)
        if data:
            task.executed.write_bytes(data)
            restore_input_path(task.executed, task.notebook)
        if trace is not None:
            # Where a local stage's kernel writes it: the run hashes it the same way.
            atomic_write(layout.trace_file(task.executed), trace)
        if error is not None:
            raise StageExecutionError(error)

    def stop(self) -> None:
        """Stop the stages running on workers (Ctrl-C, cancel)."""
        # A worker that is gone has no kernels left to stop.
        with contextlib.suppress(Exception):
            self.client.run(close_worker_pools, True)

    def close(self) -> None:
        """Disconnect; the workers' warm kernels are shut down."""
        with contextlib.suppress(Exception):
            self.client.run(close_worker_pools, False)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
