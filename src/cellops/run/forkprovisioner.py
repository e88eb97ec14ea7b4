"""The jupyter_client side of forked kernels (``cellops.run.forkserver``).

``ForkProvisioner`` is a ``LocalProvisioner`` whose launch asks the pool's template for a child
and whose poll/wait/signal/kill act on the child's pid (through a pidfd). It starts kernels
the usual way when the command is not the plain ``python -m ipykernel_launcher`` of this
interpreter (another kernel spec, another Python), where fork is unavailable, when the template
cannot be reached, or when ``CELLOPS_FORK_KERNELS=0``.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from cellops.run.forkserver import Template, wanted


class ForkProvisioner(LocalProvisioner):
    """Launches the kernel as a child of the pool's template; falls back to a normal start."""

    template: Template | None = None
    pidfd: int | None = None
    forked_pid: int | None = None

    @property
    def has_process(self) -> bool:
        return self.forked_pid is not None or bool(super().has_process)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        env = dict(kwargs.get("env") or os.environ)
        plain = cmd[:3] == [sys.executable, "-m", "ipykernel_launcher"]
        if self.template is not None and plain and wanted(env):
            cwd = str(kwargs.get("cwd") or os.getcwd())
            pid = self.template.fork(cmd[3:], cwd, env)
            if pid is not None:
                try:
                    self.pidfd = os.pidfd_open(pid)
                except OSError:
                    pid = None  # gone already: report it as a kernel that died
                self.forked_pid = self.pid = self.pgid = pid
                self.cwd = cwd
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)

    async def poll(self) -> int | None:
        if self.forked_pid is None:
            return await super().poll()
        if self.pidfd is None:
            return 1
        ready, _, _ = select.select([self.pidfd], [], [], 0)
        # The template reaps its children, so the exit status is not ours to read.
        return 1 if ready else None

    async def wait(self) -> int | None:
        if self.forked_pid is None:
            return await super().wait()
        import asyncio

        while await self.poll() is None:
            await asyncio.sleep(0.02)
        if self.pidfd is not None:
            os.close(self.pidfd)
        self.pidfd = self.forked_pid = None
        return 1

    async def send_signal(self, signum: int) -> None:
        if self.forked_pid is None:
            await super().send_signal(signum)
            return
        if self.pidfd is not None:
            # To the kernel's process group (what it started too), like LocalProvisioner.
            with contextlib.suppress(ProcessLookupError):
                try:
                    os.killpg(self.forked_pid, signum)
                except PermissionError:
                    signal.pidfd_send_signal(self.pidfd, signum)

    async def kill(self, restart: bool = False) -> None:
        if self.forked_pid is None:
            await super().kill(restart)
            return
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        if self.forked_pid is None:
            await super().terminate(restart)
            return
        await self.send_signal(signal.SIGTERM)
