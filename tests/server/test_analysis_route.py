"""``analysis``: what the sidebar shows for a saved notebook or for unsaved content."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.nbfactory import notebook_dict
from tests.server.conftest import Fetch, write_nb

WINE_STAGES = ["load", "features", "train_forest", "train_logreg", "compare"]


async def test_saved_example_gives_stages_edges_and_cells(api: Fetch, wine: Path) -> None:
    answer = await api("GET", "analysis", params={"path": wine.name})
    assert answer.status == 200, str(answer)
    a = answer.body
    assert a["path"] == "wine_fanout.ipynb"
    assert a["dialect"] == "cellops"
    assert [s["name"] for s in a["stages"]] == WINE_STAGES
    assert a["diagnostics"] == []
    stages = {s["name"]: s for s in a["stages"]}
    assert stages["train_forest"]["upstream"] == ["features"]
    assert set(stages["compare"]["upstream"]) == {"train_forest", "train_logreg"}
    assert {(e["source"], e["target"]) for e in a["edges"]} >= {
        ("load", "features"),
        ("features", "train_forest"),
        ("features", "train_logreg"),
    }
    assert "n_estimators" in [p["name"] for p in a["parameters"]]
    nb = json.loads(wine.read_text())
    assert [c["id"] for c in a["cells"]] == [c["id"] for c in nb["cells"]]
    # Every cell of a stage points back at it, so a click can scroll to the cell.
    by_id = {c["id"]: c for c in a["cells"]}
    for s in a["stages"]:
        assert s["cell_ids"], s
        assert all(by_id[cid]["stage"] == s["name"] for cid in s["cell_ids"])
    assert {c["role"] for c in a["cells"]} >= {"parameters", "setup", "stage"}
    assert isinstance(a["elapsed_ms"], (int, float))


async def test_post_path_answers_like_get(api: Fetch, wine: Path) -> None:
    get = await api("GET", "analysis", params={"path": wine.name})
    post = await api("POST", "analysis", body={"path": wine.name})
    assert post.status == 200, str(post)
    assert {k: v for k, v in post.body.items() if k != "elapsed_ms"} == {
        k: v for k, v in get.body.items() if k != "elapsed_ms"
    }


async def test_unsaved_content_is_analysed_without_touching_the_file(
    api: Fetch, wine: Path
) -> None:
    before = wine.read_bytes()
    nb = json.loads(before)
    first_stage = next(
        c for c in nb["cells"] if "stage:train_logreg" in c["metadata"].get("tags", [])
    )
    first_stage["metadata"]["tags"] = ["stage:logistic"]
    answer = await api("POST", "analysis", body={"path": wine.name, "content": nb})
    assert answer.status == 200, str(answer)
    names = [s["name"] for s in answer.body["stages"]]
    assert "logistic" in names and "train_logreg" not in names
    assert wine.read_bytes() == before
    # Content alone, no path: an untitled notebook.
    anonymous = await api("POST", "analysis", body={"content": nb})
    assert anonymous.status == 200, str(anonymous)
    assert anonymous.body["path"] is None


async def test_cycle_and_unknown_tag_are_diagnostics_not_errors(
    api: Fetch, jp_root_dir: Path
) -> None:
    write_nb(
        jp_root_dir,
        [
            ("a = 1", ["stage:one", "after:two"]),
            ("b = a + 1", ["stage:two"]),
            ("print(b)", ["stage:three", "stgae:x"]),
        ],
        "cycle.ipynb",
    )
    answer = await api("GET", "analysis", params={"path": "cycle.ipynb"})
    assert answer.status == 200, str(answer)
    diags = {d["code"]: d for d in answer.body["diagnostics"]}
    assert diags["cycle"]["severity"] == "error"
    assert diags["cycle"]["cell_id"] in {"c0", "c1"}
    assert diags["unknown-tag"]["cell_id"] == "c2"
    assert diags["unknown-tag"]["cell_index"] == 2
    assert "stgae:x" in diags["unknown-tag"]["message"]


async def test_untagged_notebook_is_one_stage(api: Fetch, jp_root_dir: Path) -> None:
    write_nb(jp_root_dir, [("x = 1", []), ("print(x)", [])], "sub/plain nb.ipynb")
    answer = await api("GET", "analysis", params={"path": "sub/plain nb.ipynb"})
    assert answer.status == 200, str(answer)
    assert answer.body["dialect"] == "untagged"
    assert len(answer.body["stages"]) == 1
    assert answer.body["path"] == "sub/plain nb.ipynb"


async def test_cells_without_ids_get_the_ids_promote_gives_them(
    api: Fetch, jp_root_dir: Path
) -> None:
    from cellops.notebook.read import read_notebook

    data = notebook_dict([("x = 1", ["stage:a"]), ("print(x)", ["stage:b"])])
    for cell in data["cells"]:
        del cell["id"]
    data["nbformat_minor"] = 2
    path = jp_root_dir / "old.ipynb"
    path.write_text(json.dumps(data), encoding="utf-8")
    ids = [c.id for c in read_notebook(path).cells]
    for method, kwargs in (
        ("GET", {"params": {"path": "old.ipynb"}}),
        ("POST", {"body": {"content": data}}),
    ):
        answer = await api(method, "analysis", **kwargs)
        assert answer.status == 200, str(answer)
        assert [c["id"] for c in answer.body["cells"]] == ids
        assert [s["cell_ids"] for s in answer.body["stages"]] == [[ids[0]], [ids[1]]]
    assert json.loads(path.read_text(encoding="utf-8")) == data


async def test_malformed_notebooks_are_400_naming_the_problem(
    api: Fetch, jp_root_dir: Path
) -> None:
    (jp_root_dir / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    saved = await api("GET", "analysis", params={"path": "broken.ipynb"})
    assert saved.status == 400, str(saved)
    assert "broken.ipynb" in saved.body["message"]
    assert "not valid notebook JSON" in saved.body["message"]

    shared = notebook_dict([("x = 1", []), ("y = 2", [])])
    shared["cells"][1]["id"] = "c0"
    unsaved = await api("POST", "analysis", body={"path": "draft.ipynb", "content": shared})
    assert unsaved.status == 400, str(unsaved)
    assert "share the id 'c0'" in unsaved.body["message"]

    not_nb = await api("POST", "analysis", body={"content": {"hello": 1}})
    assert not_nb.status == 400, str(not_nb)
    assert "not a Jupyter notebook" in not_nb.body["message"]


async def test_bad_requests_are_400(api: Fetch) -> None:
    for body, expected in (
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ({}, "send 'path'"),
        ({"path": 3}, "'path' must be a JSON string"),
        ({"content": 3}, "'content'"),
    ):
        answer = await api("POST", "analysis", body=body)
        assert answer.status == 400, f"{body!r}: {answer}"
        assert expected in answer.body["message"], f"{body!r}: {answer}"
    missing = await api("GET", "analysis")
    assert missing.status == 400, str(missing)
    assert "'path'" in missing.body["message"]


async def test_paths_outside_the_root_are_refused(
    api: Fetch, jp_root_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = write_nb(outside, [("x = 1", ["stage:a"])], "secret.ipynb")
    os.symlink(outside, jp_root_dir / "link")
    for path in ("../outside/secret.ipynb", str(secret), "link/secret.ipynb", "a/../../x.ipynb"):
        answer = await api("GET", "analysis", params={"path": path})
        assert answer.status == 404, f"{path}: {answer}"
        assert "outside the server's root" in answer.body["message"]
        posted = await api("POST", "analysis", body={"path": path})
        assert posted.status == 404, f"{path}: {posted}"
    missing = await api("GET", "analysis", params={"path": "nope.ipynb"})
    assert missing.status == 404, str(missing)
    assert "does not exist" in missing.body["message"]
