"""requirements.lock: the distributions a pipeline needs, pinned to the installed versions.

The roots are the distributions that provide the modules the stages import, plus what every
stage kernel needs (cellops, papermill, ipykernel) and the serializers' back ends; the lock
is their closure over installed requirements, so the image gets the versions the notebook
actually ran with.

``importlib.metadata`` parses every METADATA file with the email parser, which takes a second
in a JupyterLab environment; promote has half a second in all. This module reads the few
header fields it needs from ``*.dist-info`` directories directly.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cellops.errors import CellopsError

RUNTIME_ROOTS = ("cellops", "papermill", "ipykernel")
# Serializer back ends: a DataFrame output is stored with pyarrow, a model with joblib.
COMPANIONS = {"pandas": ("pyarrow",), "sklearn": ("joblib",)}
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    requires: tuple[str, ...]  # raw Requires-Dist values
    modules: tuple[str, ...]  # top-level import names


def _headers(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        if not line or line[0] in " \t":
            continue
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip().lower(), []).append(value.strip())
    return out


def _modules(path: str, name: str) -> tuple[str, ...]:
    try:
        with open(os.path.join(path, "top_level.txt"), encoding="utf-8") as fh:
            found = {line.strip() for line in fh if line.strip()}
            return tuple(sorted(m.split("/")[0] for m in found))
    except OSError:
        pass
    found = set()
    try:
        with open(os.path.join(path, "RECORD"), encoding="utf-8") as fh:
            for line in fh:
                first = line.split(",", 1)[0].split("/", 1)[0]
                if first.endswith((".dist-info", ".data")) or first.startswith(("..", "__")):
                    continue
                if first.endswith(".py"):
                    first = first[:-3]
                elif first.endswith((".pth", ".so", ".pyd")) or "." in first:
                    continue
                if first.isidentifier():
                    found.add(first)
    except OSError:
        pass
    if not found:  # editable installs record only a .pth or finder module
        found.add(name.replace("-", "_").lower())
    return tuple(sorted(found))


def _cache_file() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cellops", "dist-info.json")


def _load_cache() -> dict[str, list[object]]:
    try:
        with open(_cache_file(), encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_cache(data: dict[str, list[object]]) -> None:
    try:
        from cellops.fsutil import atomic_write

        atomic_write(_cache_file(), json.dumps(data, separators=(",", ":")))
    except OSError:
        pass  # a read-only home only costs speed


def _read_dist(path: str) -> Dist | None:
    try:
        with open(os.path.join(path, "METADATA"), encoding="utf-8") as fh:
            head = _headers(fh.read())
    except OSError:
        return None
    name = (head.get("name") or [""])[0]
    if not name:
        return None
    return Dist(
        name=canonical(name),
        version=(head.get("version") or [""])[0],
        requires=tuple(head.get("requires-dist", [])),
        modules=_modules(path, name),
    )


def installed() -> dict[str, Dist]:
    """Installed distributions by canonical name; the first on sys.path wins, as for imports.

    Each dist-info directory is read once and remembered by its mtime in the user's cache.
    """
    cache = _load_cache()
    fresh: dict[str, list[object]] = {}
    dists: dict[str, Dist] = {}
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        try:
            names = sorted(os.listdir(entry))
        except OSError:
            continue
        for dirname in names:
            if not dirname.endswith(".dist-info"):
                continue
            path = os.path.join(entry, dirname)
            try:
                stamp = os.stat(path).st_mtime_ns
            except OSError:
                continue
            hit = cache.get(path)
            if hit is not None and hit[0] == stamp:
                name, version, requires, modules = hit[1:]
                dist: Dist | None = Dist(
                    str(name),
                    str(version),
                    tuple(str(r) for r in requires),  # type: ignore[attr-defined]
                    tuple(str(m) for m in modules),  # type: ignore[attr-defined]
                )
            else:
                dist = _read_dist(path)
            if dist is None:
                continue
            fresh[path] = [stamp, dist.name, dist.version, list(dist.requires), list(dist.modules)]
            dists.setdefault(dist.name, dist)
    if fresh != cache:
        _save_cache(fresh)
    return dists


def _wanted(requirement: str) -> str | None:
    """The distribution a Requires-Dist line may need here, else None.

    Requirements behind an ``extra`` marker are optional. Other markers (python_version,
    sys_platform) are not evaluated: only installed distributions are pinned, so a marker
    that is false here almost always names something absent, and pinning an installed
    extra costs nothing.
    """
    m = _REQ_NAME.match(requirement)
    if not m:
        return None
    _, sep, marker = requirement.partition(";")
    if sep and "extra" in marker:
        return None
    return canonical(m.group(1))


def module_distributions(dists: dict[str, Dist] | None = None) -> dict[str, list[Dist]]:
    """top-level module -> the installed distributions that provide it."""
    by_module: dict[str, list[Dist]] = {}
    for d in (installed() if dists is None else dists).values():
        for mod in d.modules:
            by_module.setdefault(mod, []).append(d)
    return by_module


def distribution_modules(modules: Iterable[str]) -> set[str]:
    """Those of ``modules`` that an installed distribution provides (not stdlib, not local)."""
    by_module = module_distributions()
    return {m for m in modules if m in by_module and m not in sys.stdlib_module_names}


def pinned_requirements(modules: Iterable[str], required: Iterable[str] = ()) -> list[str]:
    """``name==version`` lines, sorted, for the modules' distributions, the ``required``
    distributions (what no import names, such as s3fs for an export's storage) and their
    closure."""
    dists = installed()
    missing = [r for r in required if canonical(r) not in dists]
    if missing:
        names = " ".join(missing)
        raise CellopsError(
            f"--require {', '.join(missing)}: not installed in this environment, so there is no "
            f"version to pin; pip install {names}, then promote again"
        )
    roots = set(RUNTIME_ROOTS) | {canonical(r) for r in required}
    seen = closure(modules, dists, roots)
    return sorted(f"{n}=={dists[n].version}" for n in seen)


def closure(
    modules: Iterable[str],
    dists: dict[str, Dist] | None = None,
    roots: Iterable[str] = (),
    by_module: Mapping[str, Sequence[Dist]] | None = None,
) -> set[str]:
    """The installed distributions the top-level ``modules`` come from (with their storage
    companions), plus ``roots``, and everything they require, by canonical name.
    ``by_module``: ``module_distributions(dists)``, when the caller holds it already."""
    dists = installed() if dists is None else dists
    by_module = module_distributions(dists) if by_module is None else by_module
    found = set(roots)
    for module in modules:
        if module in sys.stdlib_module_names:
            continue
        found.update(d.name for d in by_module.get(module, []))
        found.update(COMPANIONS.get(module, ()))
    seen: set[str] = set()
    todo = sorted(found)
    while todo:
        name = todo.pop()
        if name in seen or name not in dists:
            continue
        seen.add(name)
        for req in dists[name].requires:
            wanted = _wanted(req)
            if wanted:
                todo.append(wanted)
    return seen


def pins(lock: str) -> dict[str, str]:
    """canonical name -> its pin line (``name==version``) in a ``requirements.lock`` text."""
    found = {}
    for line in lock.splitlines():
        text = line.partition("#")[0].strip()
        name = text.partition("==")[0].strip()
        if name:
            found[canonical(name)] = text
    return found


def lock_text(modules: Iterable[str], required: Iterable[str] = ()) -> str:
    py = ".".join(str(v) for v in sys.version_info[:3])
    lines = [
        f"# Pinned by `cellops promote` from the environment the notebook ran in (Python {py}).",
        "# Regenerate by promoting again; edit the notebook's imports, not this file.",
        *pinned_requirements(modules, required),
    ]
    return "\n".join(lines) + "\n"
