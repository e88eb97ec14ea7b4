"""Warm kernels: start the next stage's kernel while the current stage runs.

Kernel start-up (about a second of Python imports in the kernel) dominates small stages, so
the pool keeps kernels booting ahead of need (as many as can run at once, plus one) and shuts
used ones down in the background. Kernels talk over IPC sockets in a private directory:
nothing listens on the network, and ipykernel does not fill executed notebooks with TCP
warnings.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections import deque
from typing import Any

from cellops.run import forkserver, liveness

PRELUDE_TIMEOUT = 300  # seconds, as the prelude's own execution timeout
# The pool's start threads import jupyter_client while a stage's thread imports papermill
# (which imports it too): first imports of shared modules from two threads at once can end in
# CPython's _DeadlockError (seen on importlib.resources). Both import under this one lock.
IMPORT_LOCK = threading.Lock()
_LAUNCHED = threading.Event()  # a kernel was started in this process: its imports are done


def _spec_manager() -> Any:
    """A kernel spec manager that looks each spec up once: a lookup scans the Jupyter data
    paths (0.1-0.2 s), and the kernels of a pool all have the same spec."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class LookedUpOnce(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            found: dict[str, KernelSpec] = self.__dict__.setdefault("_found", {})
            if kernel_name not in found:
                found[kernel_name] = super().get_kernel_spec(kernel_name)
            return found[kernel_name]

    return LookedUpOnce()


class KernelPool:
    def __init__(
        self,
        kernel_name: str,
        cwd: str,
        *,
        total: int,
        warm: int = 2,
        env: dict[str, str] | None = None,
        prelude: str = "",
    ) -> None:
        """Keep ``warm`` kernels started ahead of need; ``total`` caps how many are ever started.

        Booting a kernel is CPU-bound imports; booting the next stages' kernels alongside the
        first costs it little, while booting one only when its stage is due costs a second.
        """
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.env = env
        self.prelude = prelude
        self.to_start = total
        self.warm = max(1, warm)
        self.ready: deque[Any] = deque()
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)  # a kernel became ready
        self.everything: list[Any] = []
        self.stoppers: list[threading.Thread] = []
        self.closed = False  # no kernel starts after close
        self.sockets = liveness.sockets_dir()
        # Computed once for the pool: every kernel gets the same environment.
        self.kernel_env = dict(os.environ)
        self.kernel_env.update(self.env or {})
        self.kernel_env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        # Fixed string hashing: a pickled set is then byte-identical across runs, which
        # content-addressed artifacts and the cache rely on.
        self.kernel_env["PYTHONHASHSEED"] = "0"
        self.template: Any = None
        if total > 0 and forkserver.wanted(self.kernel_env):
            # Booting alongside the first kernels; each later kernel is a fork of it.
            self.template = forkserver.Template(self.sockets, cwd, self.kernel_env)
        self.specs: Any = None  # made by the first start: it imports jupyter_client
        self.starting = 0  # kernels being started in the background
        self.started = 0
        self.error: Exception | None = None  # a background start that failed
        # The first kernels start in the background: the caller (the scheduler, about to hand
        # out the first stage) goes on while the template boots.
        self._fill()

    def _fill(self) -> None:
        """Start kernels in the background until ``warm`` are ready or starting."""
        with self.lock:
            while (
                not self.closed
                and self.to_start > 0
                and len(self.ready) + self.starting < self.warm
            ):
                self.to_start -= 1
                self._start_in_background()

    def _start_in_background(self) -> None:
        self.starting += 1  # under self.lock
        threading.Thread(target=self._start_one, daemon=True).start()

    def _start_one(self) -> None:
        """Start one kernel (without the lock: starts may overlap) and make it ready; a start
        that fails is raised to the next taker that finds no kernel ready."""
        km = error = None
        try:
            km = self._started_kernel()
        except Exception as exc:
            error = exc
        with self.cond:
            self.starting -= 1
            if km is not None:
                self.everything.append(km)
                self.ready.append(km)
            self.error = error or self.error
            self.cond.notify_all()

    def _started_kernel(self) -> Any:
        # The first start also imports lazily (provisioners, sessions, zmq): all of it under
        # the lock; later starts import nothing new and overlap freely.
        with IMPORT_LOCK if not _LAUNCHED.is_set() else contextlib.nullcontext():
            km = self._launched_kernel()
            _LAUNCHED.set()
        if self.prelude:
            # Before the kernel is ready: the prelude installs the tracking hook, so a stage
            # sent earlier would run untracked.
            self._warm_up(km)
        return km

    def _launched_kernel(self) -> Any:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        from cellops.run.client import StageKernelClient
        from cellops.run.forkprovisioner import ForkProvisioner

        with self.lock:
            number = self.started
            self.started += 1
            if self.specs is None:
                self.specs = _spec_manager()
        km = AsyncKernelManager(
            kernel_name=self.kernel_name,
            transport="ipc",
            ip=os.path.join(self.sockets, f"k{number}"),
            kernel_spec_manager=self.specs,
        )
        km.client_factory = StageKernelClient  # connects without jupyter_client's 0.2 s wait
        if self.template is not None:
            km.kernel_id = str(uuid.uuid4())
            km.provisioner = ForkProvisioner(
                kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km
            )
            km.provisioner.template = self.template
        run_sync(km.start_kernel)(cwd=self.cwd, env=self.kernel_env)
        return km

    def _warm_up(self, km: Any) -> None:
        """Run the prelude silently: no history, no execution count, no cell events.

        A stage's first request simply queues behind it on the kernel's shell channel.
        """
        from jupyter_client.session import Session
        from jupyter_core.utils import run_sync

        async def go() -> None:
            # A session of its own: the stage's client would otherwise share this one's
            # zmq identity, and the kernel routes replies to whichever connected last.
            session = Session(key=km.session.key, signature_scheme=km.session.signature_scheme)
            kc = km.client(session=session)
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=120)
                await kc.execute_interactive(
                    self.prelude,
                    silent=True,
                    store_history=False,
                    timeout=PRELUDE_TIMEOUT,
                    output_hook=lambda msg: None,
                )
            finally:
                kc.stop_channels()

        # A prelude that fails only loses the head start; the stage still runs.
        with contextlib.suppress(Exception):
            run_sync(go)()

    def take(self) -> Any:
        """A started kernel manager; another one begins starting for the next taker."""
        with self.cond:
            while not self.ready:
                if self.error is not None:
                    error, self.error = self.error, None
                    raise error
                if self.starting == 0:
                    self._start_in_background()  # beyond what was announced: still served
                self.cond.wait()
            km = self.ready.popleft()
        self._fill()
        return km

    def expect_fewer(self, count: int = 1) -> None:
        """``count`` of the kernels announced in ``total`` will not be needed after all (a sweep
        whose stages came from the cache), so none is booted for them."""
        with self.lock:
            self.to_start = max(0, self.to_start - count)

    def release(self, km: Any) -> None:
        """Shut a used kernel down without making the caller wait for it."""
        t = threading.Thread(target=self._stop, args=(km,), daemon=True)
        t.start()
        with self.lock:
            self.stoppers.append(t)

    @staticmethod
    def _stop(km: Any) -> None:
        from jupyter_core.utils import run_sync

        # A kernel that is already dead or never started has nothing left to stop.
        with contextlib.suppress(Exception):
            run_sync(km.shutdown_kernel)(now=True)

    def kill(self, km: Any) -> None:
        """Stop a kernel now (a stage's timeout): its client sees a dead kernel and fails."""
        self._stop(km)

    def kill_all(self) -> None:
        """Ctrl-C: stop every kernel, busy or not, so stage threads fail fast and exit."""
        with self.lock:
            kernels = list(self.everything)
        for km in kernels:
            self._stop(km)

    def close(self) -> None:
        with self.cond:
            self.closed = True
            # A kernel still starting is stopped with the unused ones, not left behind.
            self.cond.wait_for(lambda: self.starting == 0, timeout=forkserver.START_TIMEOUT)
            unused = list(self.ready)
            self.ready.clear()
            stoppers = list(self.stoppers)
        for km in unused:
            self._stop(km)
        for t in stoppers:
            t.join(timeout=30)
        if self.template is not None:
            self.template.close()
        shutil.rmtree(self.sockets, ignore_errors=True)
