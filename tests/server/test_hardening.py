"""Hardening of the REST API (issue 14): strict JSON both ways, damaged or foreign files under
``.cellops/`` skipped, links out of the runs folder refused, 4xx for bad input that used to be
a 500, and messages that name paths from the server's root."""

from __future__ import annotations

import json
import math
from pathlib import Path

from cellops.run import record as records
from tests.server.conftest import Fetch, write_nb

FLOAT = [("rate = 0.5", ["parameters"]), ("print(rate)", ["stage:only"])]


async def _package(api: Fetch, root: Path) -> str:
    write_nb(root, FLOAT, "f.ipynb")
    answer = await api("POST", "promote", body={"path": "f.ipynb"})
    assert answer.status == 201, str(answer)
    return str(answer.body["package"])


async def test_nan_and_infinity_are_refused_as_parameters(api: Fetch, jp_root_dir: Path) -> None:
    package = await _package(api, jp_root_dir)
    bare = json.dumps({"package": package, "params": {"rate": "X"}}).replace('"X"', "NaN")
    for route, body in (
        ("runs", bare),
        ("runs", {"package": package, "params": {"rate": "nan"}}),
        ("runs", {"package": package, "params": {"rate": "-inf"}}),
        ("batches", {"package": package, "grid": {"rate": [0.1, "inf"]}}),
    ):
        answer = await api("POST", route, body=body)
        assert answer.status == 400, f"{route} {body}: {answer}"
        assert "NaN" in answer.body["message"], answer
    assert not (jp_root_dir / package / ".cellops" / "runs").exists()


async def test_run_list_is_strict_json_and_skips_damaged_records(
    api: Fetch, jp_root_dir: Path, tmp_path: Path
) -> None:
    package = await _package(api, jp_root_dir)
    pkg = jp_root_dir / package
    # A run of the command line with -p rate=nan: its record holds a NaN.
    rec = records.RunRecord("20260101-000000-aaaaaa", "f", "ok", {"rate": math.nan}, 1.0, 2.0)
    records.save(pkg, rec)
    runs = records.runs_dir(pkg)
    for run_id, data in (
        ("20260101-000001-bbbbbb", b"{}"),
        ("20260101-000002-cccccc", b"[]"),
        ("20260101-000003-dddddd", b"\xff\xfe not utf-8"),
        ("20260101-000004-eeeeee", json.dumps({**json.loads(rec.to_json()),
            "run_id": "20260101-000004-eeeeee", "stages": {"only": {"colour": 1}}}).encode()),
    ):  # fmt: skip
        (runs / run_id).mkdir()
        (runs / run_id / "run.json").write_bytes(data)
    # A run folder that is a link out of the root, to a well-formed record.
    outside = tmp_path / "elsewhere" / "20260101-000005-ffffff"
    outside.mkdir(parents=True)
    (outside / "run.json").write_text(rec.to_json().replace(rec.run_id, outside.name))
    (runs / outside.name).symlink_to(outside)

    answer = await api("GET", "runs", params={"package": package})
    assert answer.status == 200, str(answer)
    assert [r["id"] for r in answer.body["runs"]] == [rec.run_id]
    assert answer.body["runs"][0]["parameters"] == {"rate": "nan"}  # strict JSON: text
    for run_id in ("20260101-000001-bbbbbb", "20260101-000003-dddddd", outside.name):
        answer = await api("GET", "runs", run_id, params={"package": package})
        assert answer.status == 404, f"{run_id}: {answer}"


async def test_over_long_paths_and_huge_ids_are_4xx(api: Fetch, jp_root_dir: Path) -> None:
    answer = await api("POST", "promote", body={"path": "a" * 5000 + ".ipynb"})
    assert answer.status == 400 and "too long" in answer.body["message"], str(answer)
    answer = await api("GET", "analysis", params={"path": "d/" * 3000 + "x.ipynb"})
    assert answer.status == 400, str(answer)
    answer = await api("GET", "tracking", "executions", "9" * 26)
    assert answer.status == 404, str(answer)


async def test_error_messages_name_paths_from_the_root(api: Fetch, jp_root_dir: Path) -> None:
    write_nb(jp_root_dir, [("x = 1", ["stage:a", "after:nowhere"])], "sub/bad.ipynb")
    answer = await api("POST", "promote", body={"path": "sub/bad.ipynb"})
    assert answer.status == 422, str(answer)
    assert str(jp_root_dir) not in json.dumps(answer.body)
    assert "sub/bad.ipynb" in answer.body["message"]


async def test_bad_names_and_unicode_digit_tags_are_answers_not_500s(
    api: Fetch, jp_root_dir: Path
) -> None:
    write_nb(jp_root_dir, FLOAT, "f.ipynb")
    answer = await api("POST", "promote", body={"path": "f.ipynb", "name": "p\nRUN touch x\n#"})
    assert answer.status == 400 and "lowercase letters" in answer.body["message"], str(answer)
    assert not (jp_root_dir / "f-pipeline").exists()
    write_nb(jp_root_dir, [("x = 1", ["stage:a", "retries:²"])], "u.ipynb")
    answer = await api("GET", "analysis", params={"path": "u.ipynb"})
    assert answer.status == 200, str(answer)
    assert any("retries" in d["message"] for d in answer.body["diagnostics"]), str(answer)
