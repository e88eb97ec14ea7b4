"""Fresh kernels forked from a template process that has already imported ipykernel.

Starting an IPython kernel is mostly imports (ipykernel, IPython, zmq, tornado: about half a
second of CPU), paid again by every stage. The template pays it once: it imports the kernel's
modules, creates no zmq context and starts no thread, and forks one child per kernel. The
child becomes a new session (its own process group, so interrupts and kills reach it and what
it starts), takes the kernel's working directory and environment, and runs ``IPKernelApp``
with the connection file jupyter_client wrote, exactly as ``python -m ipykernel_launcher``
would. Every stage still gets a fresh interpreter state: the template never ran user code, so
the child's user namespace is empty and no user module is imported.

``cellops.run.forkprovisioner`` is the jupyter_client side. This module imports no
jupyter_client, so a pool starts its template before anything imports it, and the template
itself boots without it.

The template serves one pool: it is started with the environment and working directory the
pool gives its kernels (``PYTHONHASHSEED`` and ``PYTHONPATH`` act at interpreter start), listens
on a Unix socket in the pool's private directory, and exits when its parent does or when asked.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

SOCKET_NAME = "forkserver.sock"
START_TIMEOUT = 60.0  # seconds for the template's imports, on a loaded machine
_ACCEPT_POLL = 1.0  # seconds between checks that the parent still lives


def available() -> bool:
    return hasattr(os, "fork") and hasattr(os, "pidfd_open") and sys.platform == "linux"


def wanted(env: dict[str, str]) -> bool:
    return available() and env.get("CELLOPS_FORK_KERNELS", "1") != "0"


class Template:
    """The template process of one kernel pool (started at once, ready on first use)."""

    def __init__(self, directory: str, cwd: str, env: dict[str, str]) -> None:
        self.path = os.path.join(directory, SOCKET_NAME)
        self.interpreter = {k: v for k, v in env.items() if k.startswith("PYTHON")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cellops.run.forkserver", self.path],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
        )

    def fork(self, args: list[str], cwd: str, env: dict[str, str]) -> int | None:
        """A child kernel's pid, or None when the template is not there or its interpreter was
        started with other ``PYTHON*`` variables than this kernel asks for (start normally)."""
        if {k: v for k, v in env.items() if k.startswith("PYTHON")} != self.interpreter:
            return None
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(self.path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                return None
            time.sleep(0.01)
        request = json.dumps({"args": args, "cwd": cwd, "env": env}).encode() + b"\n"
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(START_TIMEOUT)
                conn.connect(self.path)
                conn.sendall(request)
                reply = conn.makefile("rb").readline()
            return int(json.loads(reply)["pid"])
        except (OSError, ValueError, KeyError):
            return None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# -- the template process ------------------------------------------------------------------


def _child(conn: socket.socket, listener: socket.socket, request: dict[str, Any]) -> None:
    """In the forked child: become the kernel. Never returns."""
    status = 1
    try:
        listener.close()
        conn.close()
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own children
        start_cwd = os.getcwd()
        os.chdir(request["cwd"])
        if sys.path and sys.path[0] == start_cwd:
            sys.path[0] = request["cwd"]  # as `python -m ipykernel_launcher` there would have
        os.environ.clear()
        os.environ.update(request["env"])
        import ipykernel_launcher  # type: ignore[import-untyped]
        from ipykernel import kernelapp

        # ipykernel read JPY_PARENT_PID when the template imported it; the kernel's parent is
        # the template, which exits with the runner, and the kernel then follows.
        parent = f"--IPKernelApp.parent_handle={os.getppid()}"
        sys.argv = [ipykernel_launcher.__file__, *request["args"], parent]
        kernelapp.launch_new_instance()
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        # What the interpreter would do at exit (the tracking extension commits its queue),
        # then leave without unwinding into the template's server loop.
        with contextlib.suppress(BaseException):
            import atexit

            atexit._run_exitfuncs()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


def serve(path: str) -> None:
    # What every kernel imports; nothing here starts a thread or creates a zmq context, so a
    # fork copies a clean process.
    import ipykernel.ipkernel
    import ipykernel.kernelapp  # noqa: F401
    import ipykernel_launcher  # noqa: F401

    # What every stage kernel's prelude loads, and the environment its tracking records.
    import cellops.artifacts.kernel  # noqa: F401
    from cellops.tracking.cells import preload_kernel_side

    preload_kernel_side()

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel itself
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = f"{path}.{os.getpid()}"
    listener.bind(tmp)
    listener.listen(8)
    os.replace(tmp, path)  # appears only once it accepts
    listener.settimeout(_ACCEPT_POLL)
    try:
        while os.getppid() == parent:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(START_TIMEOUT)
                request = json.loads(conn.makefile("rb").readline())
                pid = os.fork()
                if pid == 0:
                    _child(conn, listener, request)
                conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            os.remove(path)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        serve(sys.argv[1])
