"""Where the tracking database lives and whether tracking is on.

One database per project: ``.cellops/tracking.db`` in the project directory. A Jupyter server
uses its root directory and tells its kernels through ``CELLOPS_TRACKING_DB``; elsewhere (a
``cellops run`` from a shell, a kernel started by hand) the nearest existing
``.cellops/tracking.db`` at or above the starting directory is the project's, and when there is
none a new one is made in the starting directory. As git's ``GIT_CEILING_DIRECTORIES``,
``CELLOPS_CEILING_DIRECTORIES`` (paths joined by ``os.pathsep``) stops that search: no folder
above a ceiling is looked at (a database a run once left in ``/tmp`` would otherwise capture
every project below it).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_ENABLED = "CELLOPS_TRACKING"
ENV_DB = "CELLOPS_TRACKING_DB"
# Root of the Jupyter server that started the kernel: notebook paths the server gives
# relative to it are made absolute against it.
ENV_ROOT = "CELLOPS_TRACKING_ROOT"
ENV_CEILING = "CELLOPS_CEILING_DIRECTORIES"
DB_RELPATH = Path(".cellops") / "tracking.db"
_OFF = {"0", "false", "off", "no"}


def enabled(environ: dict[str, str] | None = None) -> bool:
    """False when ``CELLOPS_TRACKING`` says 0/false/off/no: the documented opt-out."""
    env = os.environ if environ is None else environ
    return env.get(ENV_ENABLED, "1").strip().lower() not in _OFF


def find_db(start: str | os.PathLike[str]) -> Path:
    """The project's database seen from ``start``, ignoring ``CELLOPS_TRACKING_DB``."""
    here = Path(start).resolve()
    ceilings = {
        Path(c).expanduser().resolve()
        for c in os.environ.get(ENV_CEILING, "").split(os.pathsep)
        if c.strip()
    }
    for directory in (here, *here.parents):
        # As with git, a ceiling is not searched when reached from below; started at, it is
        # searched and nothing above it.
        if directory in ceilings and directory != here:
            break
        if (directory / DB_RELPATH).is_file():
            return directory / DB_RELPATH
        if directory in ceilings:
            break
    return here / DB_RELPATH


def resolve_db(start: str | os.PathLike[str] | None = None) -> Path:
    """``CELLOPS_TRACKING_DB`` when set, else the project's database seen from ``start``."""
    explicit = os.environ.get(ENV_DB, "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    return find_db(Path.cwd() if start is None else start)
