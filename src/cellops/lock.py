"""requirements.lock: the distributions a pipeline needs, pinned to the installed versions.

The roots are the distributions that provide the modules the stages import, plus what every
stage kernel needs (cellops, papermill, ipykernel) and the serializers' back ends; the lock
is their closure over installed requirements, so the image gets the versions the notebook
actually ran with.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from importlib import metadata

RUNTIME_ROOTS = ("cellops", "papermill", "ipykernel")
# Serializer back ends: a DataFrame output is stored as parquet, a model with joblib.
COMPANIONS = {"pandas": ("pyarrow",), "sklearn": ("joblib",), "scikit-learn": ("joblib",)}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requires(dist: metadata.Distribution) -> list[str]:
    from packaging.requirements import Requirement

    out = []
    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except Exception:  # a malformed requirement in someone's metadata must not stop us
            continue
        if req.marker is not None:
            try:
                if not req.marker.evaluate({"extra": ""}):
                    continue
            except Exception:
                continue
        out.append(canonical(req.name))
    return out


def pinned_requirements(modules: Iterable[str]) -> list[str]:
    """``name==version`` lines, sorted, for the modules' distributions and their closure."""
    installed: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            installed.setdefault(canonical(name), dist)
    by_module = metadata.packages_distributions()
    roots: set[str] = set(RUNTIME_ROOTS)
    for module in modules:
        if module in sys.stdlib_module_names:
            continue
        for dist_name in by_module.get(module, []):
            roots.add(canonical(dist_name))
        for companion in COMPANIONS.get(module, ()):
            roots.add(companion)
    seen: set[str] = set()
    todo = sorted(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in installed:
            continue
        seen.add(name)
        todo.extend(_requires(installed[name]))
    return sorted(f"{canonical(installed[n].metadata['Name'])}=={installed[n].version}" for n in seen)


def lock_text(modules: Iterable[str]) -> str:
    py = ".".join(str(v) for v in sys.version_info[:3])
    lines = [
        "# Pinned by `cellops promote` from the environment the notebook ran in "
        f"(Python {py}).",
        "# Regenerate by promoting again; edit the notebook's imports, not this file.",
        *pinned_requirements(modules),
    ]
    return "\n".join(lines) + "\n"


def unknown_modules(modules: Iterable[str]) -> list[str]:
    """Imported top-level modules that neither the stdlib nor an installed distribution provides."""
    by_module = metadata.packages_distributions()
    return sorted(
        m for m in modules if m not in sys.stdlib_module_names and m not in by_module
    )
