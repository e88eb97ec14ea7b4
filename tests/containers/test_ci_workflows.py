"""`cellops ci`: the generated workflows parse and build, smoke-test and push (main only)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.containers.helpers import WINE, cellops


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a promoted package under pipelines/wine."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    proc = cellops("promote", WINE, "-o", tmp_path / "pipelines" / "wine", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path


def test_github_workflow_builds_smoke_tests_and_pushes_from_main(repo: Path) -> None:
    proc = cellops("ci", "pipelines/wine", "--provider", "github", "-p", "n_estimators=5", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    path = repo / ".github" / "workflows" / "cellops-wine_fanout.yml"
    assert proc.stdout.strip() == f"wrote {path}"
    flow = yaml.safe_load(path.read_text(encoding="utf-8"))
    triggers = flow["on"]
    assert triggers["push"]["branches"] == ["main"]
    assert "pipelines/wine/**" in triggers["pull_request"]["paths"]
    job = flow["jobs"]["image"]
    assert job["env"]["PACKAGE"] == "pipelines/wine"
    steps = {s["name"]: s for s in job["steps"]}
    assert 'cellops build "$PACKAGE" --engine docker' in steps["Build the image"]["run"]
    assert "SOURCE_DATE_EPOCH" in steps["Build the image"]["run"]
    smoke = steps["Smoke test (the whole pipeline, small parameters)"]["run"]
    assert smoke == 'docker run --rm "$LOCAL_IMAGE" -p n_estimators=5'
    push = steps["Push (main branch only)"]
    assert push["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert push["env"]["REGISTRY_PASSWORD"] == "${{ secrets.REGISTRY_PASSWORD }}"
    assert "--password-stdin" in push["run"] and "docker push" in push["run"]
    # Order: build, then smoke test, then push.
    names = [s["name"] for s in job["steps"]]
    assert (
        names.index("Build the image")
        < names.index("Smoke test (the whole pipeline, small parameters)")
        < names.index("Push (main branch only)")
    )


def test_gitlab_job_builds_smoke_tests_and_pushes_from_main(repo: Path) -> None:
    proc = cellops("ci", "pipelines/wine", "--provider", "gitlab", "-p", "C=0.5", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    flow = yaml.safe_load((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    job = flow["cellops-wine_fanout"]
    assert job["services"] == ["docker:27-dind"]
    script = job["script"]
    assert any('cellops build "$PACKAGE" --engine docker' in line for line in script)
    assert 'docker run --rm "$LOCAL_IMAGE" -p C=0.5' in script
    push = script[-1]
    assert push.startswith('if [ "$CI_COMMIT_BRANCH" = "main" ]; then')
    assert "--password-stdin" in push and "docker push" in push
    assert job["rules"][0]["changes"][0] == "pipelines/wine/**/*"


def test_ci_refuses_a_foreign_gitlab_file_and_bad_parameters(repo: Path) -> None:
    (repo / ".gitlab-ci.yml").write_text("stages: [test]\n", encoding="utf-8")
    proc = cellops("ci", "pipelines/wine", "--provider", "gitlab", cwd=repo)
    assert proc.returncode == 2
    assert "was not written by `cellops ci`" in proc.stderr and "include" in proc.stderr
    assert (repo / ".gitlab-ci.yml").read_text(encoding="utf-8") == "stages: [test]\n"
    proc = cellops("ci", "pipelines/wine", "--provider", "github", "-p", "trees=5", cwd=repo)
    assert proc.returncode == 2 and "unknown parameter 'trees'" in proc.stderr
