"""``cellops build``: a package -> a container image, through Docker Engine or buildah."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from cellops import __version__
from cellops.errors import CellopsError
from cellops.image import context as ctx
from cellops.image import pipconf, requirements
from cellops.image.base import BuildLog, BuildRequest, Engine, EngineUnavailable, ImageInfo
from cellops.package.dockerfile import (
    DOCKERFILE,
    DOCKERIGNORE,
    default_base,
    dockerfile,
    dockerignore,
    static_labels,
    write_package_files,
)
from cellops.package.folder import folder_report
from cellops.package.spec import load

ENGINES = ("auto", "docker", "buildah")


@dataclass(frozen=True)
class BuildOptions:
    engine: str = "auto"
    base: str | None = None
    tag: str | None = None
    network: str | None = None
    cellops_wheel: Path | None = None
    ca_bundle: Path | None = None
    host_pip_config: bool = True
    verbose: bool = True


@dataclass(frozen=True)
class BuildResult:
    tag: str
    engine: str
    image: ImageInfo
    seconds: float


def select_engine(name: str) -> Engine:
    from cellops.image.buildah import BuildahEngine
    from cellops.image.docker import DockerEngine

    if name == "docker":
        return DockerEngine()
    if name == "buildah":
        return BuildahEngine()
    if name != "auto":
        raise CellopsError(f"--engine {name}: choose one of {', '.join(ENGINES)}")
    reasons = []
    for engine in (DockerEngine, BuildahEngine):
        try:
            return engine()
        except EngineUnavailable as exc:
            reasons.append(f"  {engine.name}: {exc}")
    raise EngineUnavailable(
        "no container engine to build with:\n" + "\n".join(reasons) + "\nstart Docker Engine "
        "(or set DOCKER_HOST to a running one), or install buildah, then build again"
    )


def source_date_epoch() -> int | None:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise CellopsError(
            f"SOURCE_DATE_EPOCH={raw!r} is not a number of seconds; set it to an integer, e.g. "
            "the commit time: SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)"
        ) from None


def git_commit(package: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(package), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except OSError:
        return None
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def labels(package: Path, base: str, base_digest: str | None, epoch: int | None) -> dict[str, str]:
    """Provenance the Dockerfile cannot know: cellops version, commit, created time, base."""
    created = datetime.fromtimestamp(epoch if epoch is not None else time.time(), timezone.utc)
    out = {
        "io.cellops.version": __version__,
        "org.opencontainers.image.created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "org.opencontainers.image.base.name": base,
    }
    if base_digest:
        out["org.opencontainers.image.base.digest"] = base_digest.rsplit("@", 1)[-1]
    commit = git_commit(package)
    if commit:
        out["org.opencontainers.image.revision"] = commit
    return out


def build_package(
    package: str | Path, options: BuildOptions = BuildOptions(), out: TextIO | None = None
) -> BuildResult:
    """Build the package's image; problems with the inputs are reported before any build."""
    stream = out or sys.stdout
    pkg = Path(package).resolve()
    spec = load(pkg)
    requirements.check(pkg)
    engine = select_engine(options.engine)
    base = options.base or default_base(pkg)
    pinned = engine.base_digest(base)
    epoch = source_date_epoch()
    pip = pipconf.host_pip_config() if options.host_pip_config else pipconf.PipConfig("")
    cert = ctx.ca_bundle(options.ca_bundle, pip)
    write_package_files(pkg, spec)
    image_labels = static_labels(spec) | labels(pkg, base, pinned, epoch)
    with tempfile.TemporaryDirectory(prefix="cellops-build-") as tmp:
        context = Path(tmp) / "context"
        ctx.copy_package(pkg, context)
        wheel = requirements.cellops_wheel(pkg, ctx.wheels_dir(context), options.cellops_wheel)
        # Before the Dockerfile, whose created label would change the tag with every build.
        content = ctx.content_hash(context, f"{pinned or base}\n{dockerfile(spec, base)}")
        tag = options.tag or ctx.default_tag(spec, content)
        (context / DOCKERFILE).write_text(
            dockerfile(spec, base, engine.secrets_mode, image_labels), encoding="utf-8"
        )
        (context / DOCKERIGNORE).write_text(dockerignore(), encoding="utf-8")
        if engine.secrets_mode == "stage":
            ctx.write_secrets(context / ctx.SECRETS_DIR, pip, cert)
            secrets = {}
        else:
            secrets = ctx.write_secrets(Path(tmp) / "secrets", pip, cert)
        args = {"BASE_IMAGE": pinned or base}
        if epoch is not None:
            args["SOURCE_DATE_EPOCH"] = str(epoch)
        request = BuildRequest(
            context=context,
            tag=tag,
            build_args=args,
            secrets=secrets,
            network=options.network,
            source_date_epoch=epoch,
        )
        print(
            f"building {tag} with {engine.name}: pipeline {spec.name}, base {pinned or base}",
            file=stream,
            flush=True,
        )
        if wheel is not None:
            print(f"  cellops from {wheel.name} (built for this image)", file=stream)
        # Referenced files present in the package are baked in; missing ones must be mounted.
        for line in folder_report(spec.folder, pkg):
            print(f"  {line}", file=stream)
        for note in pip.notes:
            print(f"  pip setting {note}", file=stream)
        start = time.monotonic()
        engine.build(request, BuildLog(stream, verbose=options.verbose))
        seconds = time.monotonic() - start
    info = engine.inspect(tag)
    if info is None:
        raise CellopsError(f"{engine.name} reported success but has no image {tag}")
    print(
        f"built {tag} with {engine.name} in {seconds:.1f}s: {info.size / 1e6:.0f} MB, "
        f"{len(info.layers)} layers, runs as user {info.user}",
        file=stream,
        flush=True,
    )
    return BuildResult(tag, engine.name, info, seconds)
