"""``cellops run-stage`` against real S3 (moto's server on loopback): what every export's steps do.

An exported step runs ``run-stage STAGE --inputs ROOT --outputs ROOT/STAGE --notebook
ROOT/STAGE/STAGE.ipynb`` with object-store URLs and credentials from its environment; here
two stages chain through a bucket exactly like that, outside any image.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import cellops
from tests.export.common import promote_example
from tests.s3server import S3Server, s3_server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


def printed(notebook: bytes) -> str:
    cells = json.loads(notebook)["cells"]
    return "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))


@pytest.mark.kernel
def test_stages_chain_through_a_bucket(s3: S3Server, tmp_path: Path) -> None:
    promote_example(tmp_path / "wine")
    env = {**os.environ, **s3.env}
    root = s3.url("run")

    def run_stage(stage: str, *args: str) -> None:
        proc = cellops(
            "run-stage", stage, "--package", tmp_path / "wine", "--outputs", f"{root}/{stage}",
            "--notebook", f"{root}/{stage}/{stage}.ipynb", "--retries", "0", *args,
            cwd=tmp_path, env=env, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert f"executed notebook: {root}/{stage}/{stage}.ipynb" in proc.stdout

    run_stage("load")
    run_stage("features", "--inputs", root, "-p", "test_size=0.5")

    keys = s3.keys("run/")
    for stage in ("load", "features"):
        assert f"run/{stage}/manifest.json" in keys
        assert f"run/{stage}/{stage}.ipynb" in keys
    load = s3.read_json("run/load/manifest.json")
    assert load["stage"] == "load" and load["outputs"]["df"]["type"].endswith("DataFrame")
    features = s3.read_json("run/features/manifest.json")
    assert set(features["outputs"]) == {"X_train", "X_test", "y_train", "y_test"}
    # Every file a manifest names is in the bucket next to it.
    for stage, manifest in (("load", load), ("features", features)):
        for entry in manifest["outputs"].values():
            assert f"run/{stage}/{entry['file']}" in keys
    # The executed notebooks show the stages really ran on these inputs and parameters.
    assert "(178, 14)" in printed(s3.read("run/load/load.ipynb"))
    assert "(89, 13) (89, 13)" in printed(s3.read("run/features/features.ipynb"))
    # Nothing was written next to the package instead.
    assert not (tmp_path / "wine" / ".cellops" / "run-stage").exists()
