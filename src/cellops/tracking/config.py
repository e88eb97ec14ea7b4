"""Where the tracking database lives and whether tracking is on.

One database per project: ``.cellops/tracking.db`` in the project directory. A Jupyter server
uses its root directory and tells its kernels through ``CELLOPS_TRACKING_DB``; elsewhere (a
``cellops run`` from a shell, a kernel started by hand) the nearest existing
``.cellops/tracking.db`` at or above the starting directory is the project's, and when there is
none a new one is made in the starting directory.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_ENABLED = "CELLOPS_TRACKING"
ENV_DB = "CELLOPS_TRACKING_DB"
# Root of the Jupyter server that started the kernel: notebook paths the server gives
# relative to it are made absolute against it.
ENV_ROOT = "CELLOPS_TRACKING_ROOT"
DB_RELPATH = Path(".cellops") / "tracking.db"
_OFF = {"0", "false", "off", "no"}


def enabled(environ: dict[str, str] | None = None) -> bool:
    """False when ``CELLOPS_TRACKING`` says 0/false/off/no: the documented opt-out."""
    env = os.environ if environ is None else environ
    return env.get(ENV_ENABLED, "1").strip().lower() not in _OFF


def find_db(start: str | os.PathLike[str]) -> Path:
    """The project's database seen from ``start``, ignoring ``CELLOPS_TRACKING_DB``."""
    here = Path(start).resolve()
    for directory in (here, *here.parents):
        if (directory / DB_RELPATH).is_file():
            return directory / DB_RELPATH
    return here / DB_RELPATH


def resolve_db(start: str | os.PathLike[str] | None = None) -> Path:
    """``CELLOPS_TRACKING_DB`` when set, else the project's database seen from ``start``."""
    explicit = os.environ.get(ENV_DB, "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    return find_db(Path.cwd() if start is None else start)
