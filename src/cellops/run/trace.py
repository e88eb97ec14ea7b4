"""Kernel side of run-time tracing: which files, folder listings and modules a stage used.

The warm kernel's prelude calls ``start``, the generated metrics cell ``stop(PATH)``,
which writes what was seen to ``PATH`` (JSON, see ``docs/provenance.md``). Installed by code
the kernel runs, so it works however the kernel was started and whatever its working
directory is. The hook only adds raw values to a set: sorting out, resolving and filtering
happen in ``stop``, once, after the stage; hashing happens in the runner (``run.reads``).

Audit hooks cannot be removed; after ``stop`` the hook returns at once. This module imports
only the standard library: it loads in every stage kernel.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

TRACE_VERSION = 1

_active = False
_absolute: set[str] = set()
_relative: set[tuple[str, Any]] = set()  # (cwd at the time, path as given)
_listed: set[tuple[str, Any]] = set()
_imported: set[str] = set()
_installed = False
_getcwd = os.getcwd
_getframe = sys._getframe
_WRONLY = os.O_WRONLY
_ACCMODE = os.O_ACCMODE if hasattr(os, "O_ACCMODE") else 3
# The kernel's own machinery, imported lazily while it runs cells: not the stage's imports.
_KERNEL = frozenset(
    {"IPython", "ipykernel", "jupyter_client", "jupyter_core", "zmq", "tornado", "traitlets"}
    | {"comm", "debugpy"}
)
# Listings the import system and importlib.metadata make (they list every folder on sys.path
# they search) are not the stage's.
_IMPORT_FRAMES = "importlib"


# The hook runs for every audited event of the kernel (``builtins.id``, ``object.__getattr__``,
# ``compile``, ``exec`` ... thousands a stage): one set test turns the others away. Emptied
# by ``stop``.
_WANTED = frozenset({"open", "import", "os.listdir", "os.scandir", "sqlite3.connect"})
_wanted: frozenset[str] = frozenset()


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in _wanted:
        return
    if event == "open":
        mode = args[1]
        if mode is None:  # os.open: flags only
            if args[2] & _ACCMODE == _WRONLY:
                return
        elif "r" not in mode and "+" not in mode:
            return
        path = args[0]
        if type(path) is str and path[:1] == "/":
            _absolute.add(path)
        elif not isinstance(path, int):  # an int is an already open descriptor
            _relative.add((_getcwd(), path))
    elif event == "import":
        _imported.add(args[0])
    elif event == "sqlite3.connect":
        # SQLite opens the database in C: no "open" event, only its own.
        path = args[0]
        if path not in (":memory:", "", b":memory:", b""):
            _relative.add((_getcwd(), path))
    elif event == "os.listdir" or event == "os.scandir":
        path = args[0]
        if isinstance(path, int) or _IMPORT_FRAMES in _getframe(1).f_code.co_filename:
            return
        _listed.add((_getcwd(), "." if path is None else path))


def start() -> None:
    """Record from now on (the end of the warm kernel's prelude)."""
    global _active, _installed, _wanted
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    _active = True
    _wanted = _WANTED


def _resolve(cwd: str, path: Any) -> str | None:
    try:
        raw = os.fsdecode(os.fspath(path))
    except TypeError:
        return None
    return os.path.normpath(os.path.join(cwd, raw))


def _environment_prefixes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(where distributions live, every other place whose files are not the stage's data)."""
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    sites = {paths.get("purelib", ""), paths.get("platlib", "")}
    sites.update(getattr(site, "getsitepackages", list)())
    sites.add(getattr(site, "getusersitepackages", str)())
    noise = {
        paths.get("stdlib", ""),
        paths.get("platstdlib", ""),
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        "/proc",
        "/dev",
        "/sys",
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # cellops itself
    }
    home = os.path.expanduser("~")
    # Configuration and caches of Jupyter, IPython and libraries (matplotlib's font cache).
    noise.update(os.path.join(home, d) for d in (".cache", ".config", ".ipython", ".jupyter"))
    noise.add(os.path.join(home, ".local", "share", "jupyter"))
    for var in ("JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        if os.environ.get(var):
            noise.add(os.environ[var])

    def clean(found: set[str]) -> tuple[str, ...]:
        return tuple(sorted({os.path.join(os.path.normpath(p), "") for p in found if p}))

    return clean(sites), clean(noise | sites)


def _copy(found: set[Any]) -> list[Any]:
    # A kernel thread may still be inside the hook (past its check of _wanted) and add one.
    while True:
        try:
            return list(found)
        except RuntimeError:
            continue


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return path.startswith(prefixes)


def collect() -> dict[str, Any]:
    """What the stage used since ``start``, sorted out: local modules (name -> file), the
    top-level names of modules imported from installed distributions, files read and folders
    listed (absolute paths), without the interpreter's, the environment's and cellops' own."""
    sites, noise = _environment_prefixes()
    local: dict[str, str] = {}
    distributions: set[str] = set()
    module_files: set[str] = set()
    for name in sorted(_copy(_imported)):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            continue  # built in, frozen, a namespace package or a failed import
        file = os.path.normpath(os.path.abspath(file))
        module_files.add(file)
        if _under(file, sites):
            if name.split(".")[0] not in _KERNEL:
                distributions.add(name.split(".")[0])
        elif not _under(file, noise):
            local[name] = file
    files: set[str] = set(_copy(_absolute))
    files.update(p for p in (_resolve(c, p) for c, p in _copy(_relative)) if p)
    kept = sorted(
        f
        for f in files
        if not _under(f, noise)
        and f not in module_files
        and "__pycache__" not in f
        and not os.path.isdir(f)
    )
    listings = sorted(
        d for d in {_resolve(c, p) for c, p in _copy(_listed)} if d and not _under(d + "/", noise)
    )
    return {
        "version": TRACE_VERSION,
        "modules": local,
        "distributions": sorted(distributions),
        "files": kept,
        "listings": listings,
    }


def stop(path: str) -> None:
    """Stop recording and write what was seen to ``path`` (the stage's last cell). Nothing
    is written when recording never started: no trace, so the result is never reused."""
    global _active, _wanted
    _wanted = frozenset()
    if not _active:
        return
    _active = False
    data = collect()
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)
