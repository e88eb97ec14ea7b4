"""``promote``: the package lands on disk under the root; conflicts and notebook errors."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.server.conftest import Fetch, write_nb


async def test_promote_writes_the_package_next_to_the_notebook(
    api: Fetch, wine: Path, jp_root_dir: Path
) -> None:
    answer = await api("POST", "promote", body={"path": wine.name})
    assert answer.status == 201, str(answer)
    result = answer.body
    assert result["package"] == "wine_fanout-pipeline"
    assert result["name"] == "wine_fanout"
    assert result["stages"] == ["load", "features", "train_forest", "train_logreg", "compare"]
    assert "wine_fanout-pipeline/pipeline.yaml" in result["files"]
    assert "wine_fanout-pipeline/stages/train_forest.ipynb" in result["files"]
    for rel in result["files"]:
        assert (jp_root_dir / rel).is_file(), rel
    spec = yaml.safe_load((jp_root_dir / "wine_fanout-pipeline" / "pipeline.yaml").read_text())
    assert list(spec["stages"]) == result["stages"]
    assert [p["name"] for p in result["parameters"]] == list(spec["parameters"])


async def test_promote_to_a_named_target_and_again(
    api: Fetch, wine: Path, jp_root_dir: Path
) -> None:
    body = {"path": wine.name, "target": "pipelines/wine", "name": "wine-quality"}
    first = await api("POST", "promote", body=body)
    assert first.status == 201, str(first)
    assert first.body["package"] == "pipelines/wine"
    spec = yaml.safe_load((jp_root_dir / "pipelines/wine/pipeline.yaml").read_text())
    assert spec["name"] == "wine-quality"
    # An existing package is replaced: promoting again after an edit is the normal loop.
    again = await api("POST", "promote", body=body)
    assert again.status == 201, str(again)


async def test_a_folder_that_is_not_a_package_is_a_conflict(
    api: Fetch, wine: Path, jp_root_dir: Path
) -> None:
    keep = jp_root_dir / "data" / "important.csv"
    keep.parent.mkdir()
    keep.write_text("a,b\n1,2\n")
    answer = await api("POST", "promote", body={"path": wine.name, "target": "data"})
    assert answer.status == 409, str(answer)
    assert "'data'" in answer.body["message"]
    assert "not a cellops pipeline package" in answer.body["message"]
    assert sorted(p.name for p in keep.parent.iterdir()) == ["important.csv"]
    root = await api("POST", "promote", body={"path": wine.name, "target": "."})
    assert root.status == 409, str(root)
    under_a_file = await api(
        "POST", "promote", body={"path": wine.name, "target": "data/important.csv/pkg"}
    )
    assert under_a_file.status == 409, str(under_a_file)
    assert "data/important.csv is a file" in under_a_file.body["message"]


async def test_a_notebook_with_errors_is_422_with_diagnostics(
    api: Fetch, jp_root_dir: Path
) -> None:
    write_nb(
        jp_root_dir,
        [("a = 1", ["stage:one", "after:two"]), ("b = a + 1", ["stage:two"])],
        "cycle.ipynb",
    )
    answer = await api("POST", "promote", body={"path": "cycle.ipynb"})
    assert answer.status == 422, str(answer)
    assert "cannot promote" in answer.body["message"]
    assert [d["code"] for d in answer.body["diagnostics"]] == ["cycle"]
    assert answer.body["diagnostics"][0]["cell_id"] in {"c0", "c1"}
    assert not (jp_root_dir / "cycle-pipeline").exists()


async def test_promote_refuses_bad_requests_and_paths_outside_the_root(
    api: Fetch, wine: Path, jp_root_dir: Path, tmp_path: Path
) -> None:
    assert (await api("POST", "promote", body="{")).status == 400
    missing = await api("POST", "promote", body={"target": "x"})
    assert missing.status == 400 and "'path'" in missing.body["message"]
    wrong = await api("POST", "promote", body={"path": wine.name, "name": 5})
    assert wrong.status == 400 and "'name'" in wrong.body["message"]
    assert (await api("POST", "promote", body={"path": "nope.ipynb"})).status == 404
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, jp_root_dir / "escape")
    for target in ("../elsewhere/pkg", str(outside / "pkg"), "escape/pkg"):
        answer = await api("POST", "promote", body={"path": wine.name, "target": target})
        assert answer.status == 404, f"{target}: {answer}"
    assert list(outside.iterdir()) == []
