"""What `cellops build` reports before any engine runs, and what promote writes for images.

No container engine is needed: these run everywhere.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from cellops.commands.entrypoint import command, params_from_env
from tests.containers.helpers import WINE, cellops


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("promoted")
    proc = cellops("promote", WINE, "-o", root / "pkg", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root / "pkg"


def _copy(package: Path, dest: Path) -> Path:
    import shutil

    return Path(shutil.copytree(package, dest))


def test_promote_writes_a_dockerfile_anyone_can_build(package: Path) -> None:
    text = (package / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG BASE_IMAGE=python:3." in text and "-slim" in text
    assert "--mount=type=secret,id=pip.conf" in text  # BuildKit / buildah secrets
    assert "USER 10001:10001" in text
    assert text.index("COPY --from=builder /opt/venv") < text.index("COPY --from=files")
    assert '"io.cellops.stages"' not in text and "io.cellops.stages=" in text
    assert ".cellops/" in (package / ".dockerignore").read_text(encoding="utf-8")


def test_local_requirements_are_reported_before_any_build(package: Path, tmp_path: Path) -> None:
    pkg = _copy(package, tmp_path / "pkg")
    lock = pkg / "requirements.lock"
    lock.write_text(
        lock.read_text(encoding="utf-8") + "-e ./mylib\nmytool @ file:///opt/mytool\n",
        encoding="utf-8",
    )
    # An engine that could never work: the check must come first and say what to do.
    env = {
        **os.environ,
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
        "PATH": os.path.dirname(sys.executable),
    }
    proc = cellops("build", pkg, cwd=tmp_path, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "2 requirement(s) cannot be installed in an image" in proc.stderr
    assert "-e ./mylib" in proc.stderr and "mytool @ file:///opt/mytool" in proc.stderr
    assert "wheels/" in proc.stderr


def test_editable_installs_are_reported_with_the_wheel_command(
    package: Path, tmp_path: Path
) -> None:
    # A real editable install, as pip records it (dist-info with direct_url.json).
    site = tmp_path / "site"
    info = site / "mylib-1.2.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mylib\nVersion: 1.2.0\n")
    (info / "direct_url.json").write_text(
        json.dumps({"url": "file:///src/mylib", "dir_info": {"editable": True}})
    )
    pkg = _copy(package, tmp_path / "pkg")
    with open(pkg / "requirements.lock", "a", encoding="utf-8") as fh:
        fh.write("mylib==1.2.0\n")
    env = {**os.environ, "PYTHONPATH": str(site), "DOCKER_HOST": "unix:///nonexistent.sock"}
    proc = cellops("build", pkg, cwd=tmp_path, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "mylib==1.2.0: installed in editable mode from /src/mylib" in proc.stderr
    assert f"pip wheel --no-deps -w {pkg / 'wheels'} /src/mylib" in proc.stderr
    # Once its wheel is in wheels/, the check passes (and the build goes on to the engines).
    (pkg / "wheels").mkdir()
    (pkg / "wheels" / "mylib-1.2.0-py3-none-any.whl").write_bytes(b"")
    proc = cellops("build", pkg, "--engine", "docker", cwd=tmp_path, env=env)
    assert "cannot be installed" not in proc.stderr
    assert "Docker Engine is not reachable" in proc.stderr


def test_no_engine_says_what_to_install(package: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
        "PATH": os.path.dirname(sys.executable),  # no buildah on it
    }
    proc = cellops("build", package, cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert "no container engine to build with" in proc.stderr
    assert "docker: Docker Engine is not reachable" in proc.stderr
    assert "buildah: buildah is not installed" in proc.stderr


def test_entrypoint_takes_parameters_from_arguments_and_environment(package: Path) -> None:
    assert params_from_env(["seed", "C"], {"CELLOPS_PARAM_SEED": "1", "CELLOPS_PARAM_C": "2"}) == [
        "-p",
        "seed=1",
        "-p",
        "C=2",
    ]
    env = {"CELLOPS_PACKAGE": str(package), "CELLOPS_PARAM_n_estimators": "5"}
    assert command(["-p", "C=3"], env) == ["run", str(package), "-p", "n_estimators=5", "-p", "C=3"]
    assert command(["run-stage", "load", "--outputs", "/x"], env)[0] == "run-stage"
