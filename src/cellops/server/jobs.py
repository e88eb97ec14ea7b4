"""Runs started by the server: one ``cellops run`` child process each, watched from threads.

The child writes the run record as it goes; the server only keeps what the record cannot
tell: the process (to cancel it), the tail of its stderr (why it failed when it failed before
writing a record) and whether the user cancelled it. Nothing here touches tornado, so the
blocking waits run in executor threads.
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
from typing import Any

from cellops.run.record import new_run_id, run_dir
from cellops.spec import PipelineSpec

STDERR_LINES = 20


@dataclass
class Job:
    package: Path
    run_id: str
    pipeline: str
    stages: tuple[str, ...]
    parameters: dict[str, Any]
    process: subprocess.Popen[str]
    started: float
    stderr: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=STDERR_LINES)
    )
    cancelled: bool = False
    reader: threading.Thread | None = None

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    @property
    def message(self) -> str | None:
        """The child's last words when it failed, for runs that died without saying why."""
        code = self.returncode
        if code in (None, 0):
            return None
        tail = "\n".join(self.stderr).strip()
        return tail or f"`cellops run` exited with code {code}"

    def read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.rstrip())
        self.process.wait()


def assignment(name: str, value: Any) -> str:
    """``name=value`` as ``cellops run -p`` reads it: strings as they are, the rest as JSON."""
    return f"{name}={value if isinstance(value, str) else json.dumps(value)}"


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[tuple[Path, str], Job] = {}
        self._lock = threading.Lock()

    def get(self, package: Path, run_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get((package, run_id))

    def of(self, package: Path) -> list[Job]:
        with self._lock:
            return [j for (p, _), j in self._jobs.items() if p == package]

    def start(
        self,
        package: Path,
        spec: PipelineSpec,
        parameters: dict[str, Any],
        assignments: list[str],
        *,
        no_cache: bool = False,
        resume: str | None = None,
    ) -> Job:
        """``resume``: the id of the failed latest run to continue (under its own id)."""
        with self._lock:
            run_id = resume or new_run_id()
            run_dir(package, run_id)  # validates the id before it reaches a command line
            argv = [sys.executable, "-m", "cellops.cli", "run", str(package)]
            argv += ["--run-id", run_id, "-q", *(f"--param={a}" for a in assignments)]
            if no_cache:
                argv.append("--no-cache")
            if resume:
                argv.append("--resume")
            process = subprocess.Popen(
                argv,
                cwd=package,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                # Its own process group: a Ctrl-C in the server's terminal is the server's
                # business, and a last-resort kill reaches the run's kernels too.
                start_new_session=True,
            )
            job = Job(
                package,
                run_id,
                spec.name,
                tuple(s.name for s in spec.stages),
                parameters,
                process,
                time.time(),
            )
            job.reader = threading.Thread(
                target=job.read_stderr, name=f"cellops-run-{run_id}", daemon=True
            )
            job.reader.start()
            self._jobs[(package, run_id)] = job
            return job

    def stop(self, job: Job, timeout: float) -> None:
        """SIGINT (the runner stops its kernels and records 'interrupted'), then SIGKILL."""
        job.cancelled = True
        if job.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                job.process.send_signal(signal.SIGINT)
            try:
                job.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(job.process.pid, signal.SIGKILL)
                job.process.wait(10)
        if job.reader is not None:
            job.reader.join(10)

    def stop_all(self, timeout: float) -> None:
        with self._lock:
            running = [j for j in self._jobs.values() if j.returncode is None]
        threads = [threading.Thread(target=self.stop, args=(j, timeout)) for j in running]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
