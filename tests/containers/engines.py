"""Real container engines for the image tests: an offline base image, a private dockerd,
buildah with its own storage.

No image registry is reachable, so the base image is made from Debian's packages with
mmdebstrap (python3, python3-venv, ca-certificates: Debian 12's Python 3.11 matches the wheels
pip picks for the host) and imported into each engine. The tarball, dockerd's data root and
buildah's storage live under ``~/.cache/cellops-test`` (``CELLOPS_TEST_CACHE``), so a later
session reuses the base image and the dependency layers; a fresh machine makes them itself.

dockerd runs with the flags these sandboxes allow (vfs, no iptables, no bridge) on a private
socket. The first test process that needs it starts it (a file lock orders xdist workers) and
the pytest controller stops it by PID at the end. A dockerd already serving that socket (a
concurrent session) is reused, not started twice.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CACHE = Path(os.environ.get("CELLOPS_TEST_CACHE") or Path.home() / ".cache" / "cellops-test")
BASE_TAR = CACHE / "base-bookworm-python3.tar"
BASE_IMAGE = "cellops-test/base:bookworm"
DOCKER_DIR = CACHE / "docker"
DOCKER_SOCK = DOCKER_DIR / "docker.sock"
DOCKER_PID = DOCKER_DIR / "started-by-tests.pid"
BUILDAH_DIR = CACHE / "buildah"


@contextmanager
def file_lock(name: str) -> Iterator[None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def base_tarball() -> Path | str:
    """The base image as a rootfs tarball, or why there is none."""
    with file_lock("base"):
        if BASE_TAR.is_file():
            return BASE_TAR
        if shutil.which("mmdebstrap") is None:
            return "mmdebstrap is not installed (scripts/install-system-deps.sh installs it)"
        if BASE_TAR.is_dir():  # left by an older version of this helper
            shutil.rmtree(BASE_TAR)
        tmp = BASE_TAR.with_name(f".partial-{BASE_TAR.name}")  # mmdebstrap: format from the suffix
        packages = "--include=python3,python3-venv,ca-certificates"
        proc = subprocess.run(
            ["mmdebstrap", "--variant=minbase", "--format=tar", packages, "bookworm", str(tmp)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            return f"mmdebstrap failed: {proc.stderr.strip()[-500:]}"
        os.replace(tmp, BASE_TAR)
        return BASE_TAR


# -- Docker Engine ----------------------------------------------------------------------------


def docker_env() -> dict[str, str]:
    return {**os.environ, "DOCKER_HOST": f"unix://{DOCKER_SOCK}"}


def _docker_ok() -> bool:
    proc = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        env=docker_env(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    return proc.returncode == 0


def start_dockerd() -> str | None:
    """Start (or find) the test dockerd; None when it serves, else why not."""
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        return "dockerd is not installed (scripts/install-system-deps.sh installs docker.io)"
    if os.geteuid() != 0:
        return "dockerd needs root here"
    with file_lock("dockerd"):
        if DOCKER_SOCK.exists() and _docker_ok():
            return None
        DOCKER_DIR.mkdir(parents=True, exist_ok=True)
        log = open(DOCKER_DIR / "dockerd.log", "ab")  # noqa: SIM115 - dockerd keeps it
        argv = [
            "dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none",
            "--storage-driver=vfs", "--host", f"unix://{DOCKER_SOCK}",
            "--data-root", str(DOCKER_DIR / "data"), "--exec-root", str(DOCKER_DIR / "exec"),
            "--pidfile", str(DOCKER_DIR / "dockerd.pid"),
        ]  # fmt: skip
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        DOCKER_PID.write_text(f"{proc.pid} {_session_pid()}", encoding="utf-8")
        for _ in range(120):
            if proc.poll() is not None:
                return f"dockerd exited with {proc.returncode}; see {DOCKER_DIR / 'dockerd.log'}"
            if DOCKER_SOCK.exists() and _docker_ok():
                return None
            time.sleep(0.5)
        return f"dockerd did not answer within a minute; see {DOCKER_DIR / 'dockerd.log'}"


def _session_pid() -> int:
    """The PID of this pytest session's controller: an xdist worker's parent, else this one."""
    return os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()


def stop_dockerd() -> None:
    """Stop the dockerd this pytest session started (by its PID), if any.

    A dockerd another session started (a second pytest run at the same time) is left alone:
    its tests may still be building.
    """
    try:
        pid, owner = map(int, DOCKER_PID.read_text(encoding="utf-8").split())
    except (OSError, ValueError):
        return
    if owner != _session_pid():
        return
    DOCKER_PID.unlink(missing_ok=True)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(60):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)


def _engine(
    tool: str, env: dict[str, str], args: tuple[str, ...], timeout: float, check: bool
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([tool, *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert not check or proc.returncode == 0, f"{tool} {args[:3]} failed:\n{proc.stderr[-3000:]}"
    return proc


def docker(
    *args: str, timeout: float = 900, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return _engine("docker", docker_env(), args, timeout, check)


def docker_base_image() -> str | None:
    tar = base_tarball()
    if isinstance(tar, str):
        return tar
    with file_lock("docker-base"):
        if docker("image", "inspect", BASE_IMAGE, check=False).returncode != 0:
            docker("import", str(tar), BASE_IMAGE)
    return None


# -- buildah ----------------------------------------------------------------------------------


def buildah_env() -> dict[str, str]:
    conf = BUILDAH_DIR / "storage.conf"
    if not conf.exists():
        BUILDAH_DIR.mkdir(parents=True, exist_ok=True)
        conf.write_text(
            f'[storage]\ndriver = "vfs"\ngraphroot = "{BUILDAH_DIR / "root"}"\n'
            f'runroot = "{BUILDAH_DIR / "run"}"\n',
            encoding="utf-8",
        )
    return {**os.environ, "CONTAINERS_STORAGE_CONF": str(conf), "BUILDAH_ISOLATION": "chroot"}


def buildah(
    *args: str, timeout: float = 900, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return _engine("buildah", buildah_env(), args, timeout, check)


def buildah_base_image() -> str | None:
    if shutil.which("buildah") is None:
        return "buildah is not installed (scripts/install-system-deps.sh installs it)"
    tar = base_tarball()
    if isinstance(tar, str):
        return tar
    with file_lock("buildah-base"):
        if buildah("inspect", "--type", "image", BASE_IMAGE, check=False).returncode != 0:
            ctr = buildah("from", "scratch").stdout.strip()
            try:
                buildah("add", ctr, str(tar), "/")
                buildah("commit", ctr, BASE_IMAGE)
            finally:
                buildah("rm", ctr, check=False)
    return None
