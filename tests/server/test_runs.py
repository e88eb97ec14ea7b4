"""``runs``: start a run from the API, watch it to the end, cache hits, failures, cancel.

Runs are real: a ``cellops run`` child process per run, papermill, real kernels.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.server.conftest import Fetch, finished, states, wait_for_run, write_nb

SMALL = [
    ("n = 3", ["parameters"]),
    ("x = list(range(n))", ["stage:make"]),
    ("total = sum(x)\nprint('total', total)", ["stage:add"]),
]
SLOW = [
    ("x = 1", ["stage:quick"]),
    ("import time\ntime.sleep(120)\ny = x + 1", ["stage:slow"]),
    ("print(y)", ["stage:last"]),
]


async def promoted(api: Fetch, root: Path, cells: Any, name: str) -> str:
    write_nb(root, cells, f"{name}.ipynb")
    answer = await api("POST", "promote", body={"path": f"{name}.ipynb"})
    assert answer.status == 201, str(answer)
    return str(answer.body["package"])


async def start(api: Fetch, package: str, **extra: Any) -> str:
    answer = await api("POST", "runs", body={"package": package, **extra})
    assert answer.status == 202, str(answer)
    assert answer.body["package"] == package
    return str(answer.body["id"])


def running(stage: str) -> Any:
    return lambda status: finished(status) or states(status)[stage] == "running"


@pytest.mark.kernel
async def test_run_to_done_then_cached_and_listed_with_cli_runs(
    api: Fetch, jp_root_dir: Path
) -> None:
    package = await promoted(api, jp_root_dir, SMALL, "small")
    first_id = await start(api, package, params={"n": 4})
    first = await wait_for_run(api, package, first_id, until=finished)
    assert first["status"] == "done", first
    assert first["parameters"] == {"n": 4}
    assert first["pipeline"] == "small"
    assert states(first) == {"make": "done", "add": "done"}
    assert all(s["duration"] is not None and not s["cache_hit"] for s in first["stages"])
    assert first["duration"] is not None
    add = next(s for s in first["stages"] if s["name"] == "add")
    assert add["notebook"] == f"{package}/.cellops/runs/{first_id}/stages/add.ipynb"
    assert (jp_root_dir / add["notebook"]).is_file()
    executed = await api(
        "GET", "runs", first_id, "notebook", params={"package": package, "stage": "add"}
    )
    assert executed.status == 200, str(executed)
    outputs = [o for c in executed.body["cells"] for o in c.get("outputs", [])]
    assert any("total 6" in "".join(o.get("text", "")) for o in outputs), outputs

    second_id = await start(api, package, params={"n": 4})
    second = await wait_for_run(api, package, second_id, until=finished)
    assert second["status"] == "done", second
    assert states(second) == {"make": "cached", "add": "cached"}
    assert all(s["cache_hit"] for s in second["stages"])

    cli = subprocess.run(
        [sys.executable, "-m", "cellops.cli", "run", str(jp_root_dir / package), "-p", "n=4"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    listed = await api("GET", "runs", params={"package": package})
    assert listed.status == 200, str(listed)
    ids = [r["id"] for r in listed.body["runs"]]
    assert len(ids) == 3 and ids[1:] == [second_id, first_id], ids
    assert listed.body["runs"][0]["status"] == "done"


@pytest.mark.kernel
async def test_a_failing_stage_reports_its_error_and_cell(api: Fetch, jp_root_dir: Path) -> None:
    cells = [("x = 1", ["stage:ok"]), ("raise ValueError(f'bad value {x}')", ["stage:boom"])]
    package = await promoted(api, jp_root_dir, cells, "failing")
    run_id = await start(api, package)
    status = await wait_for_run(api, package, run_id, until=finished)
    assert status["status"] == "failed", status
    assert states(status) == {"ok": "done", "boom": "failed"}
    boom = next(s for s in status["stages"] if s["name"] == "boom")
    error = boom["error"]
    assert error["ename"] == "ValueError"
    assert "bad value 1" in error["evalue"]
    assert error["source_cell"] is not None and "id c1" in error["source_cell"]
    assert "ValueError" in error["traceback"]
    assert boom["notebook"] is not None


def run_processes(word: str = "") -> list[psutil.Process]:
    """The server's runner children and everything below them (the kernels), by PID."""
    return [p for p in psutil.Process().children(recursive=True) if _is_run_process(p, word)]


def gone(processes: list[psutil.Process]) -> list[str]:
    """Those still alive after a bounded wait (none expected): their command lines."""
    _gone, alive = psutil.wait_procs(processes, timeout=15)
    return [" ".join(p.cmdline()) for p in alive if p.status() != psutil.STATUS_ZOMBIE]


async def cancel(api: Fetch, route: str, package: str, job_id: str) -> Any:
    """DELETE answers at once (the job is still stopping); then poll, bounded, to its end."""
    started = time.monotonic()
    answer = await api("DELETE", route, job_id, params={"package": package})
    assert answer.status == 200, str(answer)
    # Not a timing assertion: only that the answer did not wait for the 120 s stage to end.
    assert time.monotonic() - started < 60
    # The runner has had no time to record the end: the answer says it is being stopped.
    assert answer.body["status"] == "running", answer.body
    assert answer.body["cancelling"] is True, answer.body
    return await wait_for_run(api, package, job_id, until=finished, timeout=60, route=route)


@pytest.mark.kernel
async def test_cancel_interrupts_a_long_run(api: Fetch, jp_root_dir: Path) -> None:
    package = await promoted(api, jp_root_dir, SLOW, "slow")
    run_id = await start(api, package)
    status = await wait_for_run(api, package, run_id, until=running("slow"))
    assert status["status"] == "running", status
    assert states(status)["quick"] == "done"
    # Listed in the pipeline's order, not by name ("last" sorts before "quick" and "slow").
    assert [s["name"] for s in status["stages"]] == ["quick", "slow", "last"]
    slow = next(s for s in status["stages"] if s["name"] == "slow")
    assert slow["duration"] is not None  # counting while it runs
    assert "cancelling" not in status

    again = await api("POST", "runs", body={"package": package})
    assert again.status == 409, str(again)
    assert run_id in again.body["message"]

    kernels = run_processes("kernel")
    assert kernels, "the run's kernel was not found"
    cancelled = await cancel(api, "runs", package, run_id)
    assert cancelled["status"] == "interrupted", cancelled
    assert states(cancelled) == {"quick": "done", "slow": "failed", "last": "not-run"}
    assert gone(kernels) == []
    # The interrupted stage's executed notebook is kept, for the audit and the failure view.
    slow = next(s for s in cancelled["stages"] if s["name"] == "slow")
    assert slow["notebook"] is not None and (jp_root_dir / slow["notebook"]).is_file(), slow
    twice = await api("DELETE", "runs", run_id, params={"package": package})
    assert twice.status == 409, str(twice)
    assert "already finished" in twice.body["message"]
    # The record is final before the runner has closed everything: it ends a moment later.
    assert gone(run_processes("cellops.cli")) == []


@pytest.mark.kernel
async def test_cancel_stops_a_run_even_when_the_server_ignores_sigint(
    api: Fetch, jp_root_dir: Path
) -> None:
    # A server started in a shell's background ignores SIGINT, and its children inherit that:
    # the runner must still stop its kernels and record the run itself, not wait to be killed.
    package = await promoted(api, jp_root_dir, SLOW, "slow")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        run_id = await start(api, package)
    finally:
        signal.signal(signal.SIGINT, previous)
    await wait_for_run(api, package, run_id, until=running("slow"))
    cancelled = await cancel(api, "runs", package, run_id)
    assert cancelled["status"] == "interrupted", cancelled
    slow = next(s for s in cancelled["stages"] if s["name"] == "slow")
    assert slow["error"]["ename"] == "KeyboardInterrupt", slow  # stopped, not killed
    assert gone(run_processes("cellops.cli")) == []


@pytest.mark.kernel
async def test_a_runner_that_does_not_stop_in_time_is_killed_with_its_kernels(
    api: Fetch, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    # No time to stop: the server kills the runner and its kernels (they run in sessions of
    # their own, out of the runner's process group) and files the record itself.
    jp_serverapp.web_app.settings["cellops"].cancel_timeout = 0.0
    package = await promoted(api, jp_root_dir, SLOW, "slow")
    run_id = await start(api, package)
    await wait_for_run(api, package, run_id, until=running("slow"))
    processes = run_processes()
    assert any(is_kernel(" ".join(p.cmdline())) for p in processes), processes
    cancelled = await cancel(api, "runs", package, run_id)
    assert cancelled["status"] == "interrupted", cancelled
    assert states(cancelled) == {"quick": "done", "slow": "failed", "last": "not-run"}
    assert gone(processes) == []
    record = json.loads(
        (jp_root_dir / package / ".cellops" / "runs" / run_id / "run.json").read_text()
    )
    assert record["status"] == "interrupted"


@pytest.mark.kernel
async def test_server_shutdown_stops_its_runs(
    api: Fetch, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    package = await promoted(api, jp_root_dir, SLOW, "slow")
    run_id = await start(api, package)
    await wait_for_run(api, package, run_id, until=running("slow"))
    # Only the run's processes: other tests of this worker may have left helpers running
    # (a Dask cluster's resource tracker, say) that are not the server's to stop.
    children = [p for p in psutil.Process().children(recursive=True) if _is_run_process(p)]
    assert children, "the run's process was not found"
    await jp_serverapp.extension_manager.stop_all_extensions()
    _gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], [p.cmdline() for p in alive]
    record = json.loads(
        (jp_root_dir / package / ".cellops" / "runs" / run_id / "run.json").read_text()
    )
    assert record["status"] == "interrupted"


async def test_run_requests_are_checked_before_anything_starts(
    api: Fetch, jp_root_dir: Path
) -> None:
    package = await promoted(api, jp_root_dir, SMALL, "small")
    bad_param = await api("POST", "runs", body={"package": package, "params": {"n": "many"}})
    assert bad_param.status == 400, str(bad_param)
    assert "parameter 'n' expects int" in bad_param.body["message"]
    unknown = await api("POST", "runs", body={"package": package, "params": {"m": 1}})
    assert unknown.status == 400 and "unknown parameter 'm'" in unknown.body["message"]
    for body in ({}, {"package": package, "params": [1]}, {"package": package, "no_cache": 1}):
        answer = await api("POST", "runs", body=body)
        assert answer.status == 400, f"{body}: {answer}"
    assert (await api("POST", "runs", body={"package": "nowhere"})).status == 404
    assert (await api("POST", "runs", body={"package": "small.ipynb"})).status == 404
    assert (await api("POST", "runs", body={"package": "../small-pipeline"})).status == 404
    listed = await api("GET", "runs", params={"package": package})
    assert listed.status == 200 and listed.body == {"promoted": True, "runs": [], "next": None}
    for run_id in ("20990101-000000-abcdef", "..", "-x"):
        for verb in ("GET", "DELETE"):
            answer = await api(verb, "runs", run_id, params={"package": package})
            assert answer.status == 404, f"{verb} {run_id}: {answer}"
    assert not (jp_root_dir / package / ".cellops" / "runs").exists()


async def test_a_run_that_dies_before_its_record_says_why(api: Fetch, jp_root_dir: Path) -> None:
    package = await promoted(api, jp_root_dir, SMALL, "small")
    lock = jp_root_dir / package / "requirements.lock"
    lock.unlink()
    lock.mkdir()  # the runner cannot hash it and stops before writing a record
    run_id = await start(api, package)
    status = await wait_for_run(api, package, run_id, until=finished, timeout=60)
    assert status["status"] == "failed"
    assert set(states(status).values()) == {"not-run"}
    assert "IsADirectoryError" in (status["message"] or ""), status
    listed = await api("GET", "runs", params={"package": package})
    assert [r["id"] for r in listed.body["runs"]] == [run_id]
    shutil.rmtree(lock)


# A stage kernel is an ipykernel process, or a fork of the kernel pool's template process
# (cellops.run.forkserver), whose command line it keeps.
KERNEL = ("ipykernel", "cellops.run.forkserver")


def is_kernel(cmd: str) -> bool:
    return any(k in cmd for k in KERNEL)


def _is_run_process(p: psutil.Process, word: str = "") -> bool:
    try:
        cmd = " ".join(p.cmdline())
    except psutil.Error:
        return False
    if word == "kernel":
        return is_kernel(cmd)
    return ("cellops.cli" in cmd or is_kernel(cmd)) and word in cmd


def _children_of_this_process_running(word: str) -> list[str]:
    found = []
    for p in psutil.Process(os.getpid()).children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())
            matches = is_kernel(cmd) if word == "kernel" else word in cmd
            if p.status() != psutil.STATUS_ZOMBIE and matches:
                found.append(cmd)
        except psutil.NoSuchProcess:
            continue
    time.sleep(0)
    return found


async def test_listing_runs_of_a_notebook_never_promoted_is_the_empty_state(
    api: Fetch, jp_root_dir: Path
) -> None:
    # The sidebar asks this for every notebook it opens: no 404 logged for each of them.
    for folder in ("never-pipeline", "small.ipynb"):
        listed = await api("GET", "runs", params={"package": folder})
        assert listed.status == 200, str(listed)
        assert listed.body == {"promoted": False, "runs": [], "next": None}
    outside = await api("GET", "runs", params={"package": "../elsewhere-pipeline"})
    assert outside.status == 404
