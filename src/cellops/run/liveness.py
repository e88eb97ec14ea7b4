"""Whether the process that writes a run record is still there.

A record says ``running`` only while its runner lives. The runner stores its PID and its
process start time; a reader that finds the PID gone, or taken by a process started at another
time (PIDs are reused), knows the runner was killed and the record will never be finished.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from pathlib import Path

SOCKETS_PREFIX = "cellops-k-"


def start_time(pid: int) -> str | None:
    """The process's start time as the kernel counts it, or None when no such process runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except OSError:
        return _exists(pid)
    # Field 22 (starttime); the command name (field 2) may hold spaces, so split after it.
    return stat.rsplit(")", 1)[1].split()[19]


def _exists(pid: int) -> str | None:
    # Without /proc (macOS) only the PID can be checked.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return ""


def this_runner() -> dict[str, object]:
    pid = os.getpid()
    return {"pid": pid, "started": start_time(pid) or "", "host": socket.gethostname()}


def alive(runner: dict[str, object] | None) -> bool:
    """True unless ``runner`` (a record's) is known to be gone; no runner recorded: alive
    (a record written before runners were recorded is never declared dead by guessing)."""
    pid = (runner or {}).get("pid")
    if not isinstance(pid, int) or runner is None:
        return True
    if runner.get("host", socket.gethostname()) != socket.gethostname():
        return True  # another machine's process (a shared folder): not ours to judge
    now = start_time(pid)
    if now is None:
        return False
    recorded = str(runner.get("started") or "")
    return not (recorded and now and recorded != now)


def sockets_dir() -> str:
    """A private folder for this runner's kernel sockets, named so a later run can tell whether
    its owner is gone (``clean_dead_sockets``)."""
    me = this_runner()
    return tempfile.mkdtemp(prefix=f"{SOCKETS_PREFIX}{me['pid']}-{me['started']}-")


def clean_dead_sockets() -> None:
    """Remove the socket folders of runners that were killed (they never got to clean up)."""
    root = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for entry in root.iterdir():
            if not entry.name.startswith(SOCKETS_PREFIX) or not entry.is_dir():
                continue
            parts = entry.name[len(SOCKETS_PREFIX) :].split("-")
            if len(parts) < 3 or not parts[0].isdigit():
                continue  # not named by this scheme: not ours to judge
            if not alive({"pid": int(parts[0]), "started": parts[1]}):
                shutil.rmtree(entry, ignore_errors=True)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...), from /proc; [] without it.

    Kernels start in sessions of their own, so a signal to the runner's process group misses
    them: whoever must kill a runner for good finds its kernels here first.
    """
    parents: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text(encoding="ascii")
            except OSError:
                continue  # ended meanwhile
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found
