"""What stages imported at run time, kept for the next promote and lock.

Static analysis sees ``import pandas``; it cannot see ``%matplotlib inline`` (IPython imports
matplotlib), nor the libraries others import lazily (pandas imports pyarrow for parquet,
openpyxl for Excel). A stage's kernel records every module it imports (``run.trace``); after
each stage that really ran, the top-level names of those from installed distributions are
kept here, per stage, in the package's ``.cellops/imports.json``:

    {"stages": {"load": ["numpy", "pandas", "pyarrow"], ...}}

A stage's list is replaced each time it runs, so it is what its last local run imported.
``promote`` reads the file of the package it writes into and pins these modules'
distributions in ``requirements.lock`` besides the static imports.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path

from cellops.fsutil import atomic_write
from cellops.package import layout
from cellops.package.spec import PipelineSpec

_lock = threading.Lock()  # parallel stages of one run update the same file


def read(package: Path) -> dict[str, tuple[str, ...]]:
    """stage -> modules; empty when no run recorded any (or the file is damaged)."""
    try:
        data = json.loads(layout.learned_imports(package).read_text(encoding="utf-8"))
        stages = data["stages"]
        return {str(s): tuple(str(m) for m in mods) for s, mods in stages.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def remember(package: Path, spec: PipelineSpec, stage: str, modules: Iterable[str]) -> None:
    """Replace what ``stage`` imported; stages no longer in the spec are dropped."""
    known = {s.name for s in spec.stages}
    with _lock:
        found = {s: m for s, m in read(package).items() if s in known}
        found[stage] = tuple(sorted(set(modules)))
        if found == read(package):
            return
        data = {"stages": {s: list(m) for s, m in sorted(found.items())}}
        atomic_write(layout.learned_imports(package), json.dumps(data, indent=1) + "\n")
