"""Jobs started by the server: runs and sweeps alike, one ``cellops`` child process each.

One execution model for both: ``cellops run PKG --run-id ID`` or ``cellops batch PKG
--batch-id ID``, started without a shell in a process group of its own. The child writes
its records as it goes (``run.json``, ``batch.json``, each naming its runner), so a browser
reload or a server restart reads the state from disk; the registry only keeps what the
records cannot tell: the process (to cancel it), the tail of its stderr (why it failed when it
failed before writing a record) and whether the user cancelled it.

Cancel is one path for both: SIGINT to the child's group (the runner interrupts its kernels
and records ``interrupted``), after ``cancel_timeout`` SIGTERM then SIGKILL to the group and
to the kernels (they run in sessions of their own), then the server reads the records, which
files a run whose runner is gone as ``interrupted``. Nothing here touches tornado: the
blocking waits run in threads.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cellops.errors import CellopsError
from cellops.run import liveness
from cellops.run import record as records

STDERR_LINES = 20
KILL_WAIT = 10.0  # seconds a SIGTERM gets before SIGKILL
Kind = Literal["run", "batch"]


@dataclass(frozen=True)
class Launch:
    """What the server knew when it started a job: answered until the child's record exists."""

    kind: Kind
    package: Path
    job_id: str
    argv: tuple[str, ...]
    pipeline: str
    stages: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict, hash=False)  # a run's values
    total: int = 0  # a sweep's runs
    swept: tuple[str, ...] = ()  # a sweep's swept parameters


@dataclass
class Job:
    launch: Launch
    process: subprocess.Popen[str]
    started: float
    stderr: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=STDERR_LINES)
    )
    cancelled: bool = False
    reader: threading.Thread | None = None
    stopper: threading.Thread | None = None

    @property
    def job_id(self) -> str:
        return self.launch.job_id

    @property
    def package(self) -> Path:
        return self.launch.package

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    @property
    def cancelling(self) -> bool:
        """Cancelled and not ended yet: the sidebar shows 'cancelling...'."""
        return self.cancelled and self.returncode is None

    @property
    def message(self) -> str | None:
        """The child's last words when it failed, for jobs that died without saying why."""
        code = self.returncode
        if code in (None, 0):
            return None
        tail = "\n".join(self.stderr).strip()
        return tail or f"`cellops {self.launch.kind}` exited with code {code}"

    def read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.rstrip())
        # Reaped here: a zombie would still look like a living runner to its records.
        self.process.wait()


def cellops_argv(*args: str) -> tuple[str, ...]:
    """The command line of a child: this interpreter's cellops, arguments as a list."""
    return (sys.executable, "-m", "cellops.cli", *args)


class Jobs:
    """The runs and sweeps this server started, by kind, package and id."""

    def __init__(self) -> None:
        self._jobs: dict[tuple[Kind, Path, str], Job] = {}
        self._lock = threading.Lock()

    def get(self, kind: Kind, package: Path, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get((kind, package, job_id))

    def of(self, kind: Kind, package: Path) -> list[Job]:
        with self._lock:
            return [j for (k, p, _), j in self._jobs.items() if k == kind and p == package]

    def running(self, kind: Kind, package: Path) -> list[Job]:
        return [j for j in self.of(kind, package) if j.returncode is None]

    def start(self, launch: Launch) -> Job:
        records.run_dir(launch.package, launch.job_id)  # the id names no other folder
        process = subprocess.Popen(
            list(launch.argv),
            cwd=launch.package,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            # Its own process group: a Ctrl-C in the server's terminal is the server's
            # business, and cancel reaches the runner and whatever it started in the group.
            start_new_session=True,
        )
        job = Job(launch, process, time.time())
        job.reader = threading.Thread(
            target=job.read_stderr, name=f"cellops-{launch.kind}-{launch.job_id}", daemon=True
        )
        job.reader.start()
        with self._lock:
            self._jobs[(launch.kind, launch.package, launch.job_id)] = job
        return job

    def cancel(self, job: Job, timeout: float) -> None:
        """Start stopping ``job`` and return at once; a second cancel changes nothing."""
        with self._lock:
            if job.stopper is not None:
                return
            job.stopper = threading.Thread(
                target=self._stop, args=(job, timeout), name=f"cellops-stop-{job.job_id}"
            )
            job.cancelled = True
        job.stopper.start()

    def wait(self, job: Job, timeout: float) -> bool:
        """True once ``job`` has ended and its records are settled (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        if job.stopper is not None:
            job.stopper.join(timeout)
        elif job.reader is not None:
            job.reader.join(timeout)
        if job.reader is not None:
            job.reader.join(max(0.0, deadline - time.monotonic()))
        return job.returncode is not None

    def _stop(self, job: Job, timeout: float) -> None:
        if job.returncode is None:
            _signal_group(job.process.pid, signal.SIGINT)
            try:
                job.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill(job)
        if job.reader is not None:
            job.reader.join(KILL_WAIT)
        settle(job.launch)

    def _kill(self, job: Job) -> None:
        """The runner did not stop in time: SIGTERM, SIGKILL, and its kernels too."""
        # Kernels run in sessions of their own (jupyter_client): found before the runner
        # goes, since an orphan's parent is no longer the runner.
        kernels = liveness.descendants(job.process.pid)
        _signal_group(job.process.pid, signal.SIGTERM)
        try:
            job.process.wait(KILL_WAIT)
        except subprocess.TimeoutExpired:
            _signal_group(job.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                job.process.wait(KILL_WAIT)
        for pid in kernels:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def stop_all(self, timeout: float) -> None:
        """Cancel every job still going, all at once, and wait until each has settled."""
        with self._lock:
            going = [j for j in self._jobs.values() if j.returncode is None]
        for job in going:
            self.cancel(job, timeout)
        for job in going:
            self.wait(job, timeout + 3 * KILL_WAIT)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def settle(launch: Launch) -> None:
    """Read the job's records once its runner is gone: a record still saying 'running' is
    filed as interrupted (the dead-runner rule), for every later reader."""
    from cellops.sweeps.sweep import load_state

    with contextlib.suppress(CellopsError, OSError, ValueError, TypeError, KeyError):
        if launch.kind == "run":
            records.load(launch.package, launch.job_id)
            return
        for run in load_state(launch.package, launch.job_id)["runs"]:
            with contextlib.suppress(CellopsError, OSError, ValueError, TypeError, KeyError):
                records.load(launch.package, run["run_id"])


def assignment(name: str, value: Any) -> str:
    """``name=value`` as ``cellops run -p`` reads it: strings as they are, the rest as JSON."""
    return f"{name}={value if isinstance(value, str) else json.dumps(value)}"
