"""What of a package's requirements.lock an image build can install, checked before it starts.

An editable install or a distribution installed from a local file cannot be fetched inside
the build; the user gets one message listing each with what to do (put its wheel into the
package's ``wheels/``, or publish it). cellops itself is the exception: when it is installed
from a source checkout, ``cellops build`` builds its wheel (``pip wheel --no-deps
--no-build-isolation``, about two seconds; the JupyterLab extension is already built into
the tree) into the build context.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from cellops.errors import PackageError
from cellops.package.layout import LOCK_FILE
from cellops.package.lock import canonical

LOCK = LOCK_FILE  # the name export messages use
WHEELS = "wheels"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)")


@dataclass(frozen=True)
class Origin:
    """Where an installed distribution came from, per its ``direct_url.json``."""

    editable: bool
    path: str | None  # the local directory or file, for file:// origins

    @property
    def local(self) -> bool:
        return self.path is not None


def origin(name: str) -> Origin | None:
    """None when ``name`` is not installed or came from an index."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        text = distribution(name).read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    if not text:
        return None
    data = json.loads(text)
    url = str(data.get("url", ""))
    editable = bool((data.get("dir_info") or {}).get("editable"))
    path = unquote(urlparse(url).path) if url.startswith("file:") else None
    if not editable and path is None:
        return None
    return Origin(editable, path)


def pins(package: Path) -> dict[str, str]:
    """canonical name -> pinned version; other lines are problems for ``check``."""
    found: dict[str, str] = {}
    for line in _lines(package):
        m = _PIN.match(line)
        if m:
            found[canonical(m.group(1))] = m.group(2)
    return found


def _lines(package: Path) -> list[str]:
    try:
        text = (package / LOCK).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackageError(
            f"{package} has no {LOCK}; promote the notebook again to write it"
        ) from None
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def _has_wheel(package: Path, name: str, version: str) -> bool:
    stem = f"{canonical(name).replace('-', '_')}-{version}-"
    return any(w.name.lower().startswith(stem.lower()) for w in (package / WHEELS).glob("*.whl"))


def check(package: Path) -> None:
    """Raise PackageError listing every requirement a build cannot install, with the fix."""
    problems = []
    wheels = package / WHEELS
    for line in _lines(package):
        m = _PIN.match(line)
        if not m:
            if line.startswith(("-e", "--editable")) or "file:" in line or line[0] in "./~":
                problems.append(
                    f"  {line}: a local path cannot be installed inside the build; build a "
                    f"wheel of it into {wheels}/ and pin it by name==version instead"
                )
            continue
        name, version = canonical(m.group(1)), m.group(2)
        if name == "cellops" or _has_wheel(package, name, version):
            continue
        where = origin(name)
        if where is None:
            continue
        pin = f"{name}=={version}"
        if where.editable:
            problems.append(
                f"  {pin}: installed in editable mode from {where.path}; build its wheel with "
                f"`pip wheel --no-deps -w {wheels} {where.path}`, or publish it to your index"
            )
        elif where.path and where.path.endswith(".whl") and Path(where.path).is_file():
            problems.append(
                f"  {pin}: installed from the local file {where.path}; copy it: "
                f"`mkdir -p {wheels} && cp {where.path} {wheels}/`"
            )
        else:
            problems.append(
                f"  {pin}: installed from the local path {where.path}; build its wheel into "
                f"{wheels}/ (`pip wheel --no-deps -w {wheels} {where.path}`) or publish it"
            )
    if problems:
        raise PackageError(
            f"{package / LOCK}: {len(problems)} requirement(s) cannot be installed in an image "
            "(pip inside the build sees only your package index and the package's wheels/):\n"
            + "\n".join(problems)
        )


def cellops_wheel(package: Path, dest: Path, given: Path | None) -> Path | None:
    """Put a cellops wheel matching the lock's pin into ``dest`` when the index cannot serve it.

    Returns the wheel, or None when pip inside the build can get cellops itself.
    """
    pinned = pins(package).get("cellops")
    if given is not None:
        return _take_wheel(package, given, dest, pinned)
    if pinned is None or _has_wheel(package, "cellops", pinned):
        return None
    where = origin("cellops")
    if where is None:
        return None  # installed from an index, which serves that version
    if where.editable and where.path and (Path(where.path) / "pyproject.toml").is_file():
        return _build_wheel(Path(where.path), dest, pinned)
    if where.path and where.path.endswith(".whl") and Path(where.path).is_file():
        return _take_wheel(package, Path(where.path), dest, pinned)
    raise PackageError(
        f"cellops {pinned} was installed from {where.path}, which is neither a source "
        "checkout nor a wheel file; pass the cellops wheel with --cellops-wheel PATH"
    )


def _take_wheel(package: Path, wheel: Path, dest: Path, pinned: str | None) -> Path:
    if not wheel.is_file() or not wheel.name.endswith(".whl"):
        raise PackageError(f"--cellops-wheel {wheel}: no such wheel file")
    version = wheel.name.split("-")[1]
    if pinned is not None and version != pinned:
        raise PackageError(
            f"{wheel.name} is cellops {version}, but {package / LOCK} pins cellops=={pinned}; "
            "pass the matching wheel, or promote the notebook again with this cellops"
        )
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / wheel.name
    target.write_bytes(wheel.read_bytes())
    return target


def _build_wheel(source: Path, dest: Path, pinned: str) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    before = set(dest.glob("cellops-*.whl"))
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    proc = subprocess.run(
        [*pip_wheel, "-q", "-w", str(dest), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    made = sorted(set(dest.glob("cellops-*.whl")) - before)
    if proc.returncode != 0 or not made:
        tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
        raise PackageError(
            f"cannot build a cellops wheel from the source checkout {source} (cellops is "
            f"installed editable from there):\n{tail}\nbuild one yourself and pass it with "
            "--cellops-wheel PATH"
        )
    wheel = made[-1]
    version = wheel.name.split("-")[1]
    if version != pinned:
        wheel.unlink()
        raise PackageError(
            f"the cellops source checkout {source} is version {version}, but the package pins "
            f"cellops=={pinned}; promote the notebook again with this cellops"
        )
    return wheel
