"""The wine example built into an image with each engine, then run, inspected and scanned."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.containers import engines
from tests.containers.helpers import (
    CA_MARKER,
    CONSTRAINT_MARKER,
    PIP_MARKER,
    Built,
    cellops,
    latest_record,
    manifest,
    notebook_text,
    scan_archive,
)

# The shared builds take minutes (a cold build: pip downloads the example's whole stack).
pytestmark = [pytest.mark.containers, pytest.mark.timeout(3600)]

STAGES = "load,features,train_forest,train_logreg,compare"
SECRETS = [CA_MARKER.encode(), PIP_MARKER.encode(), CONSTRAINT_MARKER.encode()]


def _spec_sha(package: Path) -> str:
    text = (package / "pipeline.yaml").read_text(encoding="utf-8")
    return text.split("sha256: ", 1)[1].split("}", 1)[0].strip()


def _writable(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)  # the image runs as uid 10001
    return path


def _check_labels(built: Built, labels: dict[str, str]) -> None:
    assert labels["io.cellops.source.sha256"] == _spec_sha(built.package)
    assert labels["io.cellops.source.notebook"] == "wine_fanout.ipynb"
    assert labels["io.cellops.stages"] == STAGES
    assert labels["io.cellops.version"]
    assert labels["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z"  # EPOCH
    assert labels["org.opencontainers.image.base.name"] == engines.BASE_IMAGE


def _check_pipeline_run(state: Path) -> None:
    rec = latest_record(state)
    assert rec["status"] == "done", rec
    assert rec["parameters"]["n_estimators"] == 7  # from CELLOPS_PARAM_n_estimators
    assert rec["parameters"]["C"] == 0.5  # from -p
    compare = Path(rec["_dir"]) / rec["stages"]["compare"]["notebook"]
    assert "best model:" in notebook_text(compare)


# -- Docker Engine ------------------------------------------------------------------------------


def test_docker_build_streams_steps_and_keeps_secrets_out(docker_image: Built) -> None:
    assert "Step 1/" in docker_image.log and f"built {docker_image.tag}" in docker_image.log


def _check_pip_notes(built: Built) -> None:
    """Each host-path setting of the shared builds' pip.conf is named, forwarded or left out."""
    for note in (
        "pip setting global.constraint forwarded as a build secret",
        "pip setting install.requirement left out",
        "pip setting global.find-links left out: /nonexistent/cellops-test-wheels",
        "pip setting global.extra-index-url left out: file:///nonexistent/simple",
        "pip setting global.cache-dir left out",
    ):
        assert note in built.log


def test_docker_build_copes_with_a_corporate_pip_conf(docker_image: Built) -> None:
    _check_pip_notes(docker_image)


def test_buildah_build_copes_with_a_corporate_pip_conf(buildah_image: Built) -> None:
    _check_pip_notes(buildah_image)


def test_docker_image_runs_the_pipeline_as_non_root(docker_image: Built, tmp_path: Path) -> None:
    state = _writable(tmp_path / "state")
    engines.docker(
        "run", "--rm", "--network", "host", "-v", f"{state}:/pipeline/.cellops",
        "-e", "CELLOPS_PARAM_n_estimators=7", docker_image.tag, "-p", "C=0.5",
    )  # fmt: skip
    _check_pipeline_run(state)
    info = json.loads(engines.docker("image", "inspect", docker_image.tag).stdout)[0]
    assert info["Config"]["User"] == "10001:10001"
    _check_labels(docker_image, info["Config"]["Labels"])


def test_docker_image_runs_one_stage_alone(docker_image: Built, tmp_path: Path) -> None:
    arts = _writable(tmp_path / "artifacts")
    run = ["run", "--rm", "--network", "host", "-v", f"{arts}:/artifacts", docker_image.tag]
    engines.docker(*run, "run-stage", "load", "--outputs", "/artifacts/load")
    engines.docker(
        *run, "run-stage", "features", "--inputs", "/artifacts", "--outputs",
        "/artifacts/features", "-p", "test_size=0.5",
    )  # fmt: skip
    assert set(manifest(arts / "features")["outputs"]) == {"X_train", "X_test", "y_train", "y_test"}
    assert manifest(arts / "features")["outputs"]["X_test"]["file"] == "X_test.arrow"


def test_docker_image_layers_hold_no_build_secret(docker_image: Built, tmp_path: Path) -> None:
    archive = tmp_path / "image.tar"
    engines.docker("save", "-o", str(archive), docker_image.tag)
    assert scan_archive(archive, SECRETS) == []
    # ...while the build did use them: pip reached the index only through the CA bundle.
    assert "built " in docker_image.log


# -- buildah ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def buildah_container(buildah_image: Built) -> str:
    ctr = engines.buildah("from", "--pull-never", buildah_image.tag).stdout.strip()
    yield ctr  # type: ignore[misc]
    engines.buildah("rm", ctr, check=False)


def _buildah_run(ctr: str, *argv: str, volume: Path | None = None, env: str = "") -> str:
    args = ["run", "--isolation", "chroot", "--network", "host"]
    if volume is not None:
        args += ["-v", f"{volume}:/artifacts"]
    if env:
        args += ["--env", env]
    return engines.buildah(*args, ctr, "--", *argv).stdout


def test_buildah_image_runs_the_pipeline_as_non_root(
    buildah_image: Built, buildah_container: str, tmp_path: Path
) -> None:
    info = json.loads(engines.buildah("inspect", "--type", "image", buildah_image.tag).stdout)
    config = info["OCIv1"]["config"]
    assert config["User"] == "10001:10001"
    _check_labels(buildah_image, config["Labels"])
    entrypoint = config["Entrypoint"]
    assert _buildah_run(buildah_container, "id", "-u").strip() == "10001"
    state = _writable(tmp_path / "state")
    _buildah_run(
        buildah_container, *entrypoint, "-p", "C=0.5", "-p", "n_estimators=7", volume=state
    )
    # buildah run mounts at /artifacts; the run record is in the image's package state dir.
    out = _buildah_run(buildah_container, "cat", "/pipeline/.cellops/runs/latest").strip()
    rec = json.loads(
        _buildah_run(buildah_container, "cat", f"/pipeline/.cellops/runs/{out}/run.json")
    )
    assert rec["status"] == "done" and rec["parameters"]["C"] == 0.5


def test_buildah_image_runs_one_stage_alone(
    buildah_image: Built, buildah_container: str, tmp_path: Path
) -> None:
    arts = _writable(tmp_path / "artifacts")
    entry = ["python3", "-m", "cellops.commands.entrypoint"]
    _buildah_run(buildah_container, *entry, "run-stage", "load", "--outputs", "/artifacts/load",
                 volume=arts)  # fmt: skip
    assert manifest(arts / "load")["outputs"]["df"]["format"] == "arrow"


def test_buildah_image_layers_hold_no_build_secret(buildah_image: Built, tmp_path: Path) -> None:
    archive = tmp_path / "image.tar"
    engines.buildah("push", buildah_image.tag, f"docker-archive:{archive}")
    assert scan_archive(archive, SECRETS) == []
    assert os.path.getsize(archive) > 100_000_000  # the scan did read the real image


def test_buildah_build_obeys_the_forwarded_constraint_file(
    buildah_image: Built, cellops_wheel: Path, marked_ca: Path, tmp_path: Path
) -> None:
    """The host's constraint file reaches pip inside the build: a cap below the lock's pin of
    PyYAML makes the install step fail, naming the constraint."""
    pkg = Path(shutil.copytree(buildah_image.package, tmp_path / "pkg"))
    lock = (pkg / "requirements.lock").read_text(encoding="utf-8")
    assert "\npyyaml==" in lock.lower()
    # A new lock line makes the install layer run again instead of coming from the cache.
    (pkg / "requirements.lock").write_text(lock + "# constraint test\n", encoding="utf-8")
    caps = tmp_path / "caps.txt"
    caps.write_text("PyYAML<1\n")
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nconstraint = {caps}\n")
    proc = cellops(
        "build", pkg, "--engine", "buildah", "--base", engines.BASE_IMAGE, "--network", "host",
        "--cellops-wheel", cellops_wheel, "--ca-bundle", marked_ca, "-q",
        env={**buildah_image.env, "PIP_CONFIG_FILE": str(conf)}, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "pip setting global.constraint forwarded as a build secret" in proc.stdout
    assert "pyyaml<1" in proc.stderr.lower(), proc.stderr[-3000:]


def test_buildah_failing_build_names_the_step_and_its_last_lines(
    buildah_image: Built, cellops_wheel: Path, marked_ca: Path, tmp_path: Path
) -> None:
    pkg = Path(shutil.copytree(buildah_image.package, tmp_path / "pkg"))
    with open(pkg / "requirements.lock", "a", encoding="utf-8") as fh:
        fh.write("cellops-test-no-such-dist==0.0.1\n")
    proc = cellops(
        "build", pkg, "--engine", "buildah", "--base", engines.BASE_IMAGE, "--network", "host",
        "--cellops-wheel", cellops_wheel, "--ca-bundle", marked_ca, "-q",
        env=buildah_image.env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "buildah build failed at [1/3] STEP 5/5: RUN" in proc.stderr
    assert "last lines of the build log:" in proc.stderr
    assert "cellops-test-no-such-dist" in proc.stderr.split("last lines of the build log:")[1]
