"""``POST runs`` with ``resume``: the runs view's Resume button continues a failed run.

Real runs: a ``cellops run --resume`` child, papermill, real kernels.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.conftest import Fetch, finished, states, wait_for_run, write_nb


def cells(root: Path) -> list[tuple[str, list[str]]]:
    marks, fix = root / "ok-ran.txt", root / "fixed"
    return [
        ("n = 2", ["parameters"]),
        (f"with open({str(marks)!r}, 'a') as f:\n    f.write('ran\\n')\nx = n", ["stage:ok"]),
        (
            f"import os\nif not os.path.exists({str(fix)!r}):\n"
            "    raise ValueError('not yet')\ny = x",
            ["stage:boom"],
        ),
    ]


async def failed_run(api: Fetch, root: Path, name: str) -> tuple[str, str]:
    write_nb(root, cells(root), f"{name}.ipynb")
    answer = await api("POST", "promote", body={"path": f"{name}.ipynb"})
    assert answer.status == 201, str(answer)
    package = str(answer.body["package"])
    started = await api("POST", "runs", body={"package": package, "params": {"n": 5}})
    assert started.status == 202, str(started)
    run_id = str(started.body["id"])
    status = await wait_for_run(api, package, run_id, until=finished)
    assert states(status) == {"ok": "done", "boom": "failed"}, status
    return package, run_id


@pytest.mark.kernel
async def test_resume_continues_the_failed_run_without_rerunning_finished_stages(
    api: Fetch, jp_root_dir: Path
) -> None:
    package, run_id = await failed_run(api, jp_root_dir, "resumable")
    (jp_root_dir / "fixed").touch()  # the user fixed what broke
    answer = await api("POST", "runs", body={"package": package, "resume": True})
    assert answer.status == 202, str(answer)
    assert answer.body["id"] == run_id  # continued under its own id, not a new run
    first = await api("GET", "runs", run_id, params={"package": package})
    # Until the child rewrites the record it is the failed attempt's: not shown as failed.
    assert first.body["status"] == "running", first.body
    status = await wait_for_run(api, package, run_id, until=finished)
    assert status["status"] == "done", status
    assert status["parameters"] == {"n": 5}  # the run's own parameters, not the defaults
    assert states(status)["boom"] == "done"
    assert (jp_root_dir / "ok-ran.txt").read_text().splitlines() == ["ran"]
    listed = await api("GET", "runs", params={"package": package})
    assert [r["id"] for r in listed.body["runs"]] == [run_id]


async def test_resume_is_refused_without_a_failed_latest_run(api: Fetch, jp_root_dir: Path) -> None:
    write_nb(jp_root_dir, cells(jp_root_dir), "fresh.ipynb")
    answer = await api("POST", "promote", body={"path": "fresh.ipynb"})
    package = str(answer.body["package"])
    refused = await api("POST", "runs", body={"package": package, "resume": True})
    assert refused.status == 409, str(refused)
    assert "only a failed or cancelled latest run can be resumed" in refused.body["message"]
    mixed = await api("POST", "runs", body={"package": package, "resume": True, "params": {"n": 1}})
    assert mixed.status == 400, str(mixed)
    assert not (jp_root_dir / package / ".cellops" / "runs").exists()
