"""``batches``: launch a sweep from the API, watch it to the end, cancel it, bad requests.

Sweeps are real: a ``cellops batch`` child process per sweep, papermill, real kernels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psutil
import pytest

from cellops.server.jobs import Jobs
from tests.server.conftest import Fetch, finished, wait_for_run
from tests.server.test_runs import (
    _children_of_this_process_running,
    cancel,
    gone,
    promoted,
    run_processes,
)

SCORED = [
    ("a = 1\nlabel = 'x'", ["parameters"]),
    ("import cellops\ncellops.log_metric('score', a * 10)", ["stage:score"]),
]
# The run with a == 1 ends at once; the others sleep until they are cancelled.
SLOW = [
    ("a = 1", ["parameters"]),
    ("import cellops\ncellops.log_metric('score', a)", ["stage:first"]),
    ("import time\nif a != 1:\n    time.sleep(120)", ["stage:wait"]),
]


async def start(api: Fetch, package: str, grid: dict[str, list[Any]], **extra: Any) -> str:
    answer = await api("POST", "batches", body={"package": package, "grid": grid, **extra})
    assert answer.status == 202, str(answer)
    assert answer.body["package"] == package
    assert answer.body["total"] == len(next(iter(grid.values())))
    return str(answer.body["id"])


async def wait_for_batch(api: Fetch, package: str, batch_id: str, until: Any) -> Any:
    def consistent_and(status: Any) -> bool:
        assert status["total"] == status["done"] + status["failed"] + status["remaining"], status
        return bool(until(status))

    return await wait_for_run(
        api, package, batch_id, until=consistent_and, timeout=120, route="batches"
    )


def _waiting(runs: Path) -> bool:
    """Whether a run of the sweep is in its sleeping stage (read from the records)."""
    for path in runs.glob("*/run.json"):
        try:
            if json.loads(path.read_text())["stages"]["wait"]["status"] == "running":
                return True
        except (ValueError, KeyError):
            continue  # being rewritten: read again on the next poll
    return False


def kernels_left() -> list[str]:
    return _children_of_this_process_running("kernel")


@pytest.mark.kernel
async def test_sweep_to_done_with_a_row_per_value_and_its_metric(
    api: Fetch, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    package = await promoted(api, jp_root_dir, SCORED, "scored")
    batch_id = await start(api, package, {"a": [1, 2, 3]}, jobs=2)
    status = await wait_for_batch(api, package, batch_id, finished)
    assert status["status"] == "done", status
    assert (status["done"], status["failed"], status["remaining"]) == (3, 0, 0)
    assert status["eta"] == 0 and status["message"] is None
    assert status["parameters"] == ["a"]
    assert status["metrics"] == ["score"]
    rows = status["rows"]
    assert [(r["run"], r["a"], r["label"], r["score"]) for r in rows] == [
        (0, 1, "x", 10),
        (1, 2, "x", 20),
        (2, 3, "x", 30),
    ]
    assert {r["status"] for r in rows} == {"done"}
    results = jp_root_dir / package / ".cellops" / "batches" / batch_id / "results.csv"
    assert results.is_file()

    # A restarted server no longer holds the batch: it answers from the files.
    jp_serverapp.web_app.settings["cellops"].jobs = Jobs()
    stored = await api("GET", "batches", batch_id, params={"package": package})
    assert stored.status == 200, str(stored)
    for key in ("status", "total", "done", "failed", "parameters", "metrics", "rows"):
        assert stored.body[key] == status[key], key
    twice = await api("DELETE", "batches", batch_id, params={"package": package})
    assert twice.status == 409 and "already finished" in twice.body["message"], str(twice)


@pytest.mark.kernel
async def test_cancel_interrupts_the_sweep_and_keeps_finished_rows(
    api: Fetch, jp_root_dir: Path
) -> None:
    package = await promoted(api, jp_root_dir, SLOW, "slow")
    batch_id = await start(api, package, {"a": [1, 2, 3]}, jobs=1)
    running = await wait_for_batch(api, package, batch_id, lambda s: finished(s) or s["done"] >= 1)
    assert running["status"] == "running", running
    assert [(r["a"], r["score"]) for r in running["rows"]] == [(1, 1)]

    again = await api("POST", "batches", body={"package": package, "grid": {"a": [5]}})
    assert again.status == 409 and batch_id in again.body["message"], str(again)

    runs = jp_root_dir / package / ".cellops" / "runs"
    await wait_for_batch(api, package, batch_id, lambda s: finished(s) or _waiting(runs))
    kernels = run_processes("kernel")
    assert kernels, "the sweep's kernels were not found"
    body = await cancel(api, "batches", package, batch_id)
    assert body["status"] == "interrupted", body
    assert (body["done"], body["remaining"]) == (1, 0)
    by_value = {r["a"]: r for r in body["rows"]}
    assert by_value[1]["status"] == "done" and by_value[1]["score"] == 1
    assert {r["status"] for a, r in by_value.items() if a != 1} == {"interrupted"}
    saved = json.loads(
        (jp_root_dir / package / ".cellops" / "batches" / batch_id / "batch.json").read_text()
    )
    assert saved["status"] == "interrupted"
    assert gone(kernels) == []
    # Its runs' records say so too; the stage that was running keeps its executed notebook,
    # a stage still queued for a worker is not-run (it never started, so it did not fail).
    recs = [json.loads((runs / r["run_id"] / "run.json").read_text()) for r in body["rows"]]
    stopped = [r for r in recs if r["status"] == "interrupted"]
    assert len(stopped) == 2, recs
    waits = [r["stages"]["wait"] for r in stopped]
    interrupted = [w for w in waits if w["status"] == "failed"]
    assert len(interrupted) == 1, waits
    assert interrupted[0]["error"]["ename"] == "KeyboardInterrupt"
    assert (
        runs / stopped[waits.index(interrupted[0])]["run_id"] / interrupted[0]["notebook"]
    ).is_file()
    assert {w["status"] for w in waits if w is not interrupted[0]} <= {"not-run"}
    listed = await api("GET", "batches", params={"package": package})
    assert listed.status == 200, str(listed)
    assert [(b["id"], b["status"]) for b in listed.body["batches"]] == [(batch_id, "interrupted")]


@pytest.mark.kernel
async def test_server_shutdown_stops_its_sweeps(
    api: Fetch, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    package = await promoted(api, jp_root_dir, SLOW, "slow")
    batch_id = await start(api, package, {"a": [2, 3]}, jobs=1)
    await wait_for_batch(api, package, batch_id, lambda s: finished(s) or kernels_left() != [])
    await jp_serverapp.extension_manager.stop_all_extensions()
    saved = json.loads(
        (jp_root_dir / package / ".cellops" / "batches" / batch_id / "batch.json").read_text()
    )
    assert saved["status"] == "interrupted"
    _gone, alive = psutil.wait_procs(psutil.Process().children(recursive=True), timeout=30)
    assert kernels_left() == [], [p.cmdline() for p in alive]


async def test_bad_sweeps_are_refused_before_anything_is_written(
    api: Fetch, jp_root_dir: Path
) -> None:
    package = await promoted(api, jp_root_dir, SCORED, "scored")
    refused = [
        ({"a": [1, "many"]}, "parameter 'a' expects int"),
        ({"b": [1, 2]}, "unknown parameter 'b'"),
        ({"a": []}, "'a' is empty"),
        ({"a": 3}, "parameter 'a' must be a JSON array"),
        ({}, "the grid is empty"),
    ]
    for grid, words in refused:
        answer = await api("POST", "batches", body={"package": package, "grid": grid})
        assert answer.status == 400, f"{grid}: {answer}"
        assert words in answer.body["message"], f"{grid}: {answer}"
    for body in (
        {"package": package},
        {"package": package, "grid": [1]},
        {"package": package, "grid": {"a": [1]}, "jobs": 0},
        {"package": package, "grid": {"a": [1]}, "jobs": "2"},
    ):
        answer = await api("POST", "batches", body=body)
        assert answer.status == 400, f"{body}: {answer}"
    for outside in ("nowhere", "scored.ipynb", "../scored-pipeline", str(jp_root_dir.parent)):
        answer = await api("POST", "batches", body={"package": outside, "grid": {"a": [1]}})
        assert answer.status == 404, f"{outside}: {answer}"
    assert not (jp_root_dir / package / ".cellops" / "batches").exists()


async def test_unknown_batches_are_404(api: Fetch, jp_root_dir: Path) -> None:
    package = await promoted(api, jp_root_dir, SCORED, "scored")
    for batch_id in ("20990101-000000-abcdef", "..", "-x"):
        for verb in ("GET", "DELETE"):
            answer = await api(verb, "batches", batch_id, params={"package": package})
            assert answer.status == 404, f"{verb} {batch_id}: {answer}"
    outside = await api("GET", "batches", "x", params={"package": "../scored-pipeline"})
    assert outside.status == 404, str(outside)


@pytest.mark.kernel
async def test_sweep_executions_carry_the_runs_parameters_in_experiments(
    api: Fetch, wine: Path
) -> None:
    # Only train_logreg reads C; comparing two rows of the sweep must still show C differ.
    promote = await api("POST", "promote", body={"path": wine.name})
    assert promote.status == 201, str(promote)
    package = str(promote.body["package"])
    batch_id = await start(api, package, {"C": [0.01, 10.0]}, jobs=2)
    status = await wait_for_batch(api, package, batch_id, finished)
    assert status["status"] == "done", status
    run_c = {r["run_id"]: r["C"] for r in status["rows"]}
    answer = await api("GET", "tracking", "experiments", params={"path": wine.name})
    assert answer.status == 200, str(answer)
    assert "C" in answer.body["params"]
    swept = [e for e in answer.body["executions"] if e["run_id"] in run_c]
    compare = [e for e in swept if e["stage"] == "compare"]
    assert {e["run_id"] for e in compare} == set(run_c)
    for execution in swept:
        assert execution["params"]["C"] == run_c[execution["run_id"]], execution
    assert {e["params"]["C"] for e in compare} == {0.01, 10.0}


@pytest.mark.kernel
async def test_a_sweep_whose_runner_died_reads_as_interrupted_after_a_restart(
    api: Fetch, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    package = await promoted(api, jp_root_dir, SLOW, "slow")
    batch_id = await start(api, package, {"a": [2, 3]}, jobs=1)
    runs = jp_root_dir / package / ".cellops" / "runs"
    await wait_for_batch(api, package, batch_id, lambda s: finished(s) or _waiting(runs))
    processes = run_processes()
    for p in processes:  # killed from outside (OOM killer, kill -9): nothing gets recorded
        p.kill()
    assert gone(processes) == []
    # A restarted server holds no job: the records say what happened.
    jp_serverapp.web_app.settings["cellops"].jobs = Jobs()
    status = await api("GET", "batches", batch_id, params={"package": package})
    assert status.status == 200, str(status)
    assert status.body["status"] == "interrupted", status.body
    assert (status.body["done"], status.body["remaining"]) == (0, 0), status.body
    assert {r["status"] for r in status.body["rows"]} == {"interrupted"}
    saved = json.loads((runs.parent / "batches" / batch_id / "batch.json").read_text())
    assert saved["status"] == "interrupted"
    refused = await api("DELETE", "batches", batch_id, params={"package": package})
    assert refused.status == 409 and "already finished" in refused.body["message"]
