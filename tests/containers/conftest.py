"""Fixtures of the image tests: real engines, the example package built once per engine.

Tests marked ``containers`` skip, saying why, where no engine can run (no dockerd/buildah, not
root, no mmdebstrap); ``make test`` installs the engines and these fixtures start dockerd.
Each engine builds the promoted wine example once per session, shared by the xdist workers
through a file lock (``built_image``); tests read the image, never change it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.containers import engines
from tests.containers.helpers import (
    CA_MARKER,
    EPOCH,
    PIP_MARKER,
    REPO,
    WINE,
    Built,
    cellops,
    corporate_pip_conf,
)


def _shared_dir(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def engine_env(engine: str) -> dict[str, str]:
    reason = engines.start_dockerd() if engine == "docker" else None
    if reason is None:
        reason = engines.docker_base_image() if engine == "docker" else engines.buildah_base_image()
    if reason is not None:
        pytest.skip(f"no {engine} engine here: {reason}")
    env = engines.docker_env() if engine == "docker" else engines.buildah_env()
    return {**env, "SOURCE_DATE_EPOCH": EPOCH, "PIP_CELLOPS_TEST_MARKER": PIP_MARKER}


@pytest.fixture(scope="session")
def cellops_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cellops wheel from this checkout for every build of the session (pip wheel, ~2 s)."""
    shared = _shared_dir(tmp_path_factory) / "cellops-wheel"
    with engines.file_lock(f"wheel-{shared.parent.name}"):
        if not list(shared.glob("cellops-*.whl")):
            pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
            subprocess.run(
                [*pip_wheel, "-q", "-w", str(shared), str(REPO)],
                check=True,
                capture_output=True,
                timeout=600,
            )
    return next(shared.glob("cellops-*.whl"))


@pytest.fixture(scope="session")
def marked_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The host's CA bundle plus a comment line no image may contain."""
    path = _shared_dir(tmp_path_factory) / "ca-with-marker.crt"
    host = Path("/etc/ssl/certs/ca-certificates.crt")
    path.write_bytes(host.read_bytes() + f"\n# {CA_MARKER}\n".encode())
    return path


def build(
    factory: pytest.TempPathFactory, engine: str, wheel: Path, ca: Path, name: str = "wine"
) -> Built:
    # The build host's pip.conf names host paths (constraint and requirement files, a local
    # find-links folder, a file:// index), as corporate machines' do: the build must cope.
    pip_conf = corporate_pip_conf(_shared_dir(factory) / f"pip-{engine}", remote=False)
    env = {**engine_env(engine), "PIP_CONFIG_FILE": str(pip_conf)}
    env.pop("PIP_FIND_LINKS", None)  # it would outrank the pip.conf's own find-links
    root = _shared_dir(factory) / f"image-{engine}-{name}"
    with engines.file_lock(f"build-{engine}-{root.parent.name}-{name}"):
        done = root / "result.json"
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            package = root / "wine-pipeline"
            promoted = cellops(
                "promote", WINE, "-o", package, "--require", "s3fs", env=env, cwd=root
            )
            assert promoted.returncode == 0, promoted.stderr
            tag = f"cellops-test/wine-{engine}:{name}"
            proc = cellops(
                "build", package, "--engine", engine, "--base", engines.BASE_IMAGE, "--tag", tag,
                "--network", "host", "--cellops-wheel", wheel, "--ca-bundle", ca,
                env=env,
                cwd=root,
            )  # fmt: skip
            result = {"tag": tag, "log": proc.stdout + proc.stderr, "rc": proc.returncode}
            done.write_text(json.dumps(result), encoding="utf-8")
            if engine == "docker" and proc.returncode == 0:
                # The tag moved to this build, so the image it named before is dangling: without
                # this the cache grows by a whole vfs image each session (a disk filled up).
                engines.docker("image", "prune", "--force", check=False)
        data = json.loads(done.read_text(encoding="utf-8"))
    return Built(engine, data["tag"], root / "wine-pipeline", data["log"], data["rc"], env)


@pytest.fixture(scope="session")
def docker_image(
    tmp_path_factory: pytest.TempPathFactory, cellops_wheel: Path, marked_ca: Path
) -> Built:
    built = build(tmp_path_factory, "docker", cellops_wheel, marked_ca)
    assert built.returncode == 0, built.log[-5000:]
    return built


@pytest.fixture(scope="session")
def buildah_image(
    tmp_path_factory: pytest.TempPathFactory, cellops_wheel: Path, marked_ca: Path
) -> Built:
    built = build(tmp_path_factory, "buildah", cellops_wheel, marked_ca)
    assert built.returncode == 0, built.log[-5000:]
    return built
