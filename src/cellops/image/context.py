"""The build context: the package's files, wheels, the Dockerfile and the build secrets.

The host's pip configuration (what ``pip config list`` shows: /etc/pip.conf, the user's
pip.conf, ``PIP_*`` variables) is merged into one file, and the CA bundle pip trusts is
taken as it is. Both reach the build as secrets: mounted for one RUN (buildah, BuildKit) or,
with Docker's classic builder, copied into the throw-away builder stage. Neither is ever
written into the package, nor into a layer of the final image.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cellops.errors import CellopsError
from cellops.fsutil import STATE_DIR, atomic_write
from cellops.image.requirements import WHEELS
from cellops.spec import PipelineSpec
from cellops.templating import render

DOCKERFILE = "Dockerfile"
DOCKERIGNORE = ".dockerignore"
SECRETS_DIR = ".cellops-secrets"  # stage mode only; removed with the context
SECRET_IDS = ("pip.conf", "ca.crt")
UID = 10001
_SKIP = {STATE_DIR, ".git", DOCKERFILE, ".ipynb_checkpoints", "__pycache__"}
# Settings that name files of the build host: meaningless inside the build.
_HOST_PATH_KEYS = {"cert", "client-cert", "cache-dir", "log", "target", "prefix", "root", "src"}
_LOCATION_KEYS = {"find-links", "index-url", "extra-index-url"}
_ITEM = re.compile(r"^([^.]*)\.([^=]+)=(.*)$")
_PY_HEADER = re.compile(r"\(Python (\d+)\.(\d+)")
_IMAGE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]*")
PIP_HEADER = "# pip configuration of the build host, given to the image build as a secret\n"


@dataclass(frozen=True)
class PipConfig:
    text: str  # "" when the host has none
    left_out: tuple[str, ...]  # settings naming host paths, left out of the build's copy
    cert: str | None  # the CA bundle the host's pip trusts


def host_pip_config() -> PipConfig:
    """The host's effective pip settings as one pip.conf, without host-only paths."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    sections: dict[str, dict[str, str]] = {}
    for line in proc.stdout.splitlines() if proc.returncode == 0 else []:
        m = _ITEM.match(line.strip())
        if not m:
            continue
        section = "global" if m.group(1) in ("", ":env:") else m.group(1)
        value = m.group(3).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        sections.setdefault(section, {})[m.group(2).strip()] = value
    cert = sections.get("global", {}).get("cert")
    left_out = []
    lines = [PIP_HEADER]
    for section, items in sections.items():
        kept = []
        for key, value in items.items():
            if key in _HOST_PATH_KEYS:
                left_out.append(f"{section}.{key}")
                continue
            if key in _LOCATION_KEYS:
                remote = [v for v in value.split() if "://" in v and not v.startswith("file:")]
                if len(remote) < len(value.split()):
                    left_out.append(f"{section}.{key} (local entries)")
                if not remote:
                    continue
                value = " ".join(remote)
            kept.append(f"{key} = {value}\n")
        if kept:
            lines += [f"[{section}]\n", *kept]
    text = "".join(lines) if len(lines) > 1 else ""
    return PipConfig(text, tuple(left_out), cert)


def ca_bundle(given: Path | None, pip: PipConfig) -> Path | None:
    if given is not None:
        if not given.is_file():
            raise CellopsError(f"--ca-bundle {given}: no such file")
        return given
    for candidate in (pip.cert, os.environ.get("SSL_CERT_FILE")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def base_for_lock(lock: str) -> str:
    """The slim official Python image of the Python the requirements were pinned on."""
    m = _PY_HEADER.search(lock.split("\n", 1)[0])
    major, minor = (m.group(1), m.group(2)) if m else map(str, sys.version_info[:2])
    return f"python:{major}.{minor}-slim"


def default_base(package: Path) -> str:
    return base_for_lock((package / "requirements.lock").read_text(encoding="utf-8"))


def static_labels(spec: PipelineSpec) -> dict[str, str]:
    return {
        "org.opencontainers.image.title": spec.name,
        "io.cellops.pipeline": spec.name,
        "io.cellops.source.notebook": spec.source_notebook,
        "io.cellops.source.sha256": spec.source_sha256,
        "io.cellops.stages": ",".join(s.name for s in spec.stages),
    }


def dockerfile(
    spec: PipelineSpec,
    base: str,
    secrets_mode: str = "mount",
    labels: dict[str, str] | None = None,
) -> str:
    """The Dockerfile; ``labels`` (default: what the spec says) go into its last instruction."""
    if not _IMAGE_REF.fullmatch(base):
        # Written bare: builders differ in how they unquote an ARG default, and no image
        # reference needs quoting.
        raise CellopsError(
            f"base image {base!r} is not an image reference (REPO[:TAG][@DIGEST], no spaces, "
            "quotes or '$'); give one such as python:3.11-slim"
        )
    return render(
        "Dockerfile.j2",
        spec=spec,
        base_image=base,
        secrets=secrets_mode,
        uid=UID,
        labels=labels if labels is not None else static_labels(spec),
    )


def dockerignore() -> str:
    return (
        "# Generated by `cellops promote`: what `docker build` leaves out of the build context.\n"
        ".cellops/\n.git/\n**/.ipynb_checkpoints/\n**/__pycache__/\n"
    )


def write_package_files(package: Path, spec: PipelineSpec) -> None:
    """The package's own Dockerfile (for a plain ``docker build``), when it is missing or old."""
    for name, text in (
        (DOCKERFILE, dockerfile(spec, default_base(package))),
        (DOCKERIGNORE, dockerignore()),
    ):
        path = package / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            atomic_write(path, text)


def copy_package(package: Path, context: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory) == package
        return {n for n in names if n in _SKIP and (top or n != DOCKERFILE)}

    shutil.copytree(package, context, ignore=ignore, dirs_exist_ok=True)


def write_secrets(directory: Path, pip: PipConfig, cert: Path | None) -> dict[str, Path]:
    """The secret files (empty when the host has none), readable by the build only."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = {sid: directory / sid for sid in SECRET_IDS}
    paths["pip.conf"].write_text(pip.text, encoding="utf-8")
    paths["ca.crt"].write_bytes(cert.read_bytes() if cert else b"")
    for path in paths.values():
        path.chmod(0o600)
    return paths


def content_hash(context: Path, base: str) -> str:
    """sha256 over the context's files (secrets excepted) and the base image reference."""
    digest = hashlib.sha256(base.encode() + b"\0")
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        rel = path.relative_to(context).as_posix()
        if rel.startswith(SECRETS_DIR + "/"):
            continue
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def default_tag(spec: PipelineSpec, content: str) -> str:
    repo = re.sub(r"[^a-z0-9._-]+", "-", spec.name.lower()).strip("._-") or "pipeline"
    return f"{repo}:{content[:12]}"


def wheels_dir(context: Path) -> Path:
    return context / WHEELS
