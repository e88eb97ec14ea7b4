"""The environment an execution ran in: Python and the versions of the installed packages."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import threading
from importlib import metadata
from typing import Any

# Reading every distribution's metadata takes a third of a second on an idle machine (seconds
# on a busy one); a stage kernel's first tracked cell would wait for it. Kernels forked from
# the runner's template inherit the value, others compute it while their stage is still due.
_cached: dict[str, Any] | None = None
_lock = threading.Lock()


def environment() -> dict[str, Any]:
    """Python version, platform and every installed distribution with its version.

    Distributions found twice (a package installed in the venv and the system) count once, as
    the import system sees them: the first on ``sys.path`` wins.
    """
    packages: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            packages.setdefault(name.lower().replace("_", "-"), dist.version)
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": sys.platform,
        "machine": platform.machine(),
        "executable": sys.executable,
        "packages": dict(sorted(packages.items())),
    }


def cached_environment() -> dict[str, Any]:
    """``environment()``, computed once per process."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = environment()
        return _cached


def prime(background: bool = True) -> None:
    """Compute ``cached_environment`` ahead of need (in a thread unless told otherwise)."""
    if background:
        threading.Thread(target=cached_environment, daemon=True).start()
    else:
        cached_environment()


def canonical(value: Any) -> tuple[str, str]:
    """``(sha256, json)`` of a JSON value, keys sorted: equal values get equal hashes."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), text
