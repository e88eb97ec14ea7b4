"""Runner side of tracing: what a stage read and imported, hashed, and checked on the next run.

A stage's kernel writes the raw trace (``run.trace``); ``from_trace`` turns it into ``Reads``:
every file read and folder listed with a content hash, every local module imported with the
hash of its normalised source (a comment-only edit changes nothing, as for cell code), every
distribution imported with its version. The cache entry and the run record keep them; a
cached result is reused only while ``changed`` finds nothing (a changed or missing file, an
edited module).

Hashing stays cheap through ``Hashes``, a small stat cache in ``.cellops/hashes.json``: a
file's hash is reused while its size, mtime_ns and inode are unchanged (git's index does the
same). The shape of ``Reads.to_dict`` is documented in docs/provenance.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cellops.fsutil import atomic_write, hash_file
from cellops.run.named import module_names, named_paths, own_modules

if TYPE_CHECKING:
    from cellops.package.lock import Dist

FILE, LISTING, MODULE = "file", "listing", "module"
# A file changed this recently may change again within the same mtime tick without its stat
# changing (git's "racily clean" entries): its hash is not remembered until it has settled.
_SETTLED_NS = 2_000_000_000


def _listing_digest(path: str) -> str:
    return hashlib.sha256("\n".join(sorted(os.listdir(path))).encode()).hexdigest()


def _module_digest(path: str) -> str:
    from cellops.analysis.cells import normalize_code

    data = Path(path).read_bytes()
    try:
        text = normalize_code(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha256(text.encode()).hexdigest()


_DIGESTS = {FILE: hash_file, LISTING: _listing_digest, MODULE: _module_digest}


class Hashes:
    """Content hashes by (kind, path), reused while (size, mtime_ns, inode) hold.

    Loaded on first use; a damaged or foreign file is ignored and rebuilt. Thread-safe:
    parallel stages hash through one instance.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, list[Any]] | None = None
        self.dirty = False
        self.lock = threading.Lock()

    def _load(self) -> dict[str, list[Any]]:
        if self.entries is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
            ok = isinstance(data, dict) and all(
                isinstance(v, list) and len(v) == 4 for v in data.values()
            )
            self.entries = data if ok else {}
        return self.entries

    def digest(self, kind: str, path: str) -> str:
        """The hash of ``path`` as ``kind``; "" when it does not exist or cannot be read."""
        try:
            st = os.stat(path)
        except OSError:
            return ""
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        key = f"{kind}:{path}"
        with self.lock:
            hit = self._load().get(key)
        if hit is not None and hit[:3] == stamp:
            return str(hit[3])
        try:
            sha = _DIGESTS[kind](path)
        except OSError:
            return ""
        with self.lock:
            entries = self._load()
            if time.time_ns() - st.st_mtime_ns > _SETTLED_NS:
                entries[key] = [*stamp, sha]
                self.dirty = True
            elif key in entries:
                del entries[key]
                self.dirty = True
        return sha

    def save(self) -> None:
        with self.lock:
            if not self.dirty or self.entries is None:
                return
            text = json.dumps(self.entries, separators=(",", ":"), sort_keys=True)
            self.dirty = False
        with contextlib.suppress(OSError):  # only speed is lost
            atomic_write(self.path, text)


SOURCE, BYTES = "source", "bytes"


@dataclass(frozen=True)
class Module:
    path: str
    sha256: str
    # SOURCE: the normalised source (the project's own modules, where a comment-only edit
    # must not re-run a stage); BYTES: the file's bytes (a library on PYTHONPATH outside the
    # project: normalising thousands of its lines cost seconds, and an edit there is rare).
    hashed: str = SOURCE

    @property
    def kind(self) -> str:
        return _KINDS[self.hashed]


_KINDS = {SOURCE: MODULE, BYTES: FILE}


@dataclass(frozen=True)
class Reads:
    """What one execution of a stage used. Paths inside the package are relative to it."""

    files: Mapping[str, str] = field(default_factory=dict)  # path -> sha256 of the bytes
    listings: Mapping[str, str] = field(default_factory=dict)  # folder -> sha256 of its names
    modules: Mapping[str, Module] = field(default_factory=dict)  # local module -> file, hash
    distributions: Mapping[str, str] = field(default_factory=dict)  # name -> version
    imported: tuple[str, ...] = ()  # top-level modules imported from distributions
    # The lock's pin of every distribution the stage imported (statically or at run time) and
    # of what they require; "" where the lock pins none. Another pin re-runs the stage.
    pins: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": dict(sorted(self.files.items())),
            "listings": dict(sorted(self.listings.items())),
            "modules": {
                n: {"path": m.path, "sha256": m.sha256, "hashed": m.hashed}
                for n, m in sorted(self.modules.items())
            },
            "distributions": dict(sorted(self.distributions.items())),
            "imported": list(self.imported),
            "pins": dict(sorted(self.pins.items())),
        }

    @classmethod
    def from_dict(cls, data: object) -> Reads | None:
        """None for anything that is not a complete record (an older entry: never reused)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                files={str(k): str(v) for k, v in data["files"].items()},
                listings={str(k): str(v) for k, v in data["listings"].items()},
                modules={
                    # Records before "hashed" hashed every module by its source.
                    str(n): Module(str(m["path"]), str(m["sha256"]), _hashed(m.get("hashed")))
                    for n, m in data["modules"].items()
                },
                distributions={str(k): str(v) for k, v in data.get("distributions", {}).items()},
                imported=tuple(str(m) for m in data.get("imported", ())),
                pins={str(k): str(v) for k, v in data["pins"].items()},
            )
        except (KeyError, TypeError, AttributeError):
            return None


def _hashed(value: object) -> str:
    if value is None:
        return SOURCE
    if value in _KINDS:
        return str(value)
    raise TypeError(f"unknown module hash {value!r}")  # an entry from a newer cellops


def _shown(path: str, package: Path) -> str:
    rel = os.path.relpath(path, package)
    return path if rel.startswith("..") else rel


def _absolute(shown: str, package: Path) -> str:
    return shown if os.path.isabs(shown) else os.path.normpath(os.path.join(package, shown))


def changed(
    reads: Reads, package: Path, hashes: Hashes, lock: Mapping[str, str] | None = None
) -> str | None:
    """The first file, folder, module or pin (of ``lock``, ``package.lock.pins``) that is no
    longer as recorded, or None."""
    lock = lock or {}
    for name, pin in reads.pins.items():
        now = lock.get(name, "")
        if now != pin:
            return f"the pin of {name} in requirements.lock ({pin or 'none'} -> {now or 'none'})"
    for kind, recorded in ((FILE, reads.files), (LISTING, reads.listings)):
        for shown, sha in recorded.items():
            if hashes.digest(kind, _absolute(shown, package)) != sha:
                return shown
    for name, module in reads.modules.items():
        if hashes.digest(module.kind, _absolute(module.path, package)) != module.sha256:
            return f"module {name} ({module.path})"
    return None


def _versions(modules: Iterable[str], by_module: Mapping[str, Sequence[Dist]]) -> dict[str, str]:
    return dict(sorted((d.name, d.version) for m in modules for d in by_module.get(m, [])))


def _pins(
    modules: Iterable[str],
    lock: Mapping[str, str],
    installed: dict[str, Dist],
    by_module: Mapping[str, Sequence[Dist]],
) -> dict[str, str]:
    from cellops.package.lock import closure

    # cellops is the runner (the generated cells import it), not a library of the stage's.
    chosen = {m for m in modules if m != "cellops"}
    found = closure(chosen, installed, by_module=by_module)
    return {name: lock.get(name, "") for name in sorted(found)}


def _module(path: str, package: Path, own: bool, hashes: Hashes) -> Module:
    """A local module, hashed by its source when it is the notebook's own, else by bytes."""
    hashed = SOURCE if own else BYTES
    return Module(_shown(path, package), hashes.digest(_KINDS[hashed], path), hashed)


@dataclass(frozen=True)
class Traced:
    """A stage's hashed reads, and why its result must not be reused (None: it may be)."""

    reads: Reads
    not_reusable: str | None = None


def from_trace(
    trace: Path,
    package: Path,
    excluded: Iterable[str],
    hashes: Hashes,
    preloaded: Iterable[str] = (),
    *,
    installed: dict[str, Dist],
    distributions: Mapping[str, Sequence[Dist]],
    workdir: Path | None = None,
    named: Iterable[str] = (),
    static: Iterable[str] = (),
    lock: Mapping[str, str] | None = None,
) -> Traced | None:
    """The hashed reads of the trace a stage kernel wrote; None when there is none.

    ``excluded``: absolute paths (and folders) that are not the stage's data: the package's
    state (its input artifacts, already in the key by hash; its own executed notebook).
    ``preloaded``: modules the kernel imported for the stage before it began (the warm
    kernels' prelude), so the stage's own import of them raised no event.
    ``installed`` and ``distributions``: the installed distributions by name and by top-level
    module, as the run's context looked them up once (``PackageContext.installed`` and
    ``.distributions``). ``named``: paths
    and patterns the stage's code names and its string parameter values, relative to
    ``workdir``; with what its local modules name, they count as read (``run.named``).
    ``static``: the modules the stage's code imports; with those it imported at run time,
    their distributions' pins in ``lock`` (``package.lock.pins``) are recorded.
    """
    try:
        data = json.loads(trace.read_text(encoding="utf-8"))
        files, listings = list(data["files"]), list(data["listings"])
        local = dict(data["modules"])
        imported = {str(m) for m in data["distributions"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    imported.update(m.split(".")[0] for m in preloaded)
    work = workdir or package
    own = own_modules(local.values(), (work, package))
    spelled = set(named) | module_names(own)
    found = named_paths(work, spelled, (work, package))
    files += sorted(found.files - set(local.values()))
    listings += sorted(found.listings)
    why = None
    if found.too_large:
        why = f"it names the folder {_shown(found.too_large, package)}, too large to hash"
    skip = tuple(os.path.normpath(p) for p in excluded)
    prefixes = tuple(os.path.join(p, "") for p in skip)

    def kept(path: str) -> bool:
        return path not in skip and not path.startswith(prefixes)

    reads = Reads(
        files={_shown(f, package): hashes.digest(FILE, f) for f in files if kept(f)},
        listings={_shown(d, package): hashes.digest(LISTING, d) for d in listings if kept(d)},
        modules={
            str(name): _module(path, package, path in own, hashes) for name, path in local.items()
        },
        distributions=_versions(imported, distributions) if imported else {},
        imported=tuple(sorted(imported)),
        pins=_pins(
            imported | {m.split(".")[0] for m in static}, lock or {}, installed, distributions
        ),
    )
    return Traced(reads, why)
