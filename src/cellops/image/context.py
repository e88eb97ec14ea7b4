"""The build context: the package's files, wheels, the Dockerfile and the build secrets.

The Dockerfile itself is rendered by ``cellops.package.dockerfile``.

The host's pip configuration (``pipconf``) and the CA bundle pip trusts reach the build as
secrets: mounted for one RUN (buildah, BuildKit) or, with Docker's classic builder, copied
into the throw-away builder stage. None of them is ever written into the package, nor into a
layer of the final image.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from cellops.errors import CellopsError
from cellops.image.pipconf import PipConfig
from cellops.image.requirements import WHEELS
from cellops.package.dockerfile import CA_SECRET, DOCKERFILE, SECRET_IDS
from cellops.package.layout import STATE_DIR
from cellops.package.spec import PipelineSpec

SECRETS_DIR = ".cellops-secrets"  # stage mode only; removed with the context
_SKIP = {STATE_DIR, ".git", DOCKERFILE, ".ipynb_checkpoints", "__pycache__"}


def ca_bundle(given: Path | None, pip: PipConfig) -> Path | None:
    if given is not None:
        if not given.is_file():
            raise CellopsError(f"--ca-bundle {given}: no such file")
        return given
    for candidate in (pip.cert, os.environ.get("SSL_CERT_FILE")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def copy_package(package: Path, context: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory) == package
        return {n for n in names if n in _SKIP and (top or n != DOCKERFILE)}

    shutil.copytree(package, context, ignore=ignore, dirs_exist_ok=True)


def write_secrets(directory: Path, pip: PipConfig, cert: Path | None) -> dict[str, Path]:
    """The secret files (empty when the host has none), readable by the build only."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = {sid: directory / sid for sid in SECRET_IDS}
    contents = {"pip.conf": pip.text.encode(), CA_SECRET: cert.read_bytes() if cert else b""}
    for sid, path in paths.items():
        path.write_bytes(contents.get(sid) or pip.files.get(sid, b""))
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
