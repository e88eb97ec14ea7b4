"""Cell-level tracking costs (issue 4).

(a) Added per-cell latency in a real kernel: 1,000 trivial cells sent the way JupyterLab sends
them (cell id in the request metadata) to a kernel with the tracking extension and to one
without, taking turns cell by cell; the round trip of each cell is timed and the p50/p99 of
the two kernels compared. (b) ``cellops.log_metric`` per call (median of 7 x 100,000 calls)
against MLflow's synchronous ``log_metric`` to a local store (median of 50 calls). (c) The
history of one cell with 10,000 executions: the query and JSON encoding the server does
(median of 7). (d) Database size for 100,000 executions of 100 distinct cells, each with two
metrics, written through the kernel's writer.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import timeit
import uuid
from pathlib import Path
from typing import Any

from _common import Row, report, tempdir

LATENCY_CELLS = 1000
EXT = "--ext=cellops.tracking.extension"


def _kernel(db: Path, tracked: bool, cwd: Path) -> tuple[Any, Any]:
    from jupyter_client.manager import KernelManager

    env = {**os.environ, "CELLOPS_TRACKING_DB": str(db), "JPY_SESSION_NAME": str(cwd / "b.ipynb")}
    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=[EXT] if tracked else [], env=env, cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return km, kc


def _round_trip(kc: Any, code: str, cell_id: str) -> float:
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    msg = kc.session.msg("execute_request", content, metadata={"cellId": cell_id})
    start = time.perf_counter()
    kc.shell_channel.send(msg)
    while True:
        reply = kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return time.perf_counter() - start


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(tmp: Path) -> list[Row]:
    kernels = {
        name: _kernel(tmp / "lat.db", name == "tracked", tmp) for name in ("plain", "tracked")
    }
    times: dict[str, list[float]] = {name: [] for name in kernels}
    try:
        for i in range(-50, LATENCY_CELLS):  # 50 warm-up cells each
            for name, (_, kc) in kernels.items():
                t = _round_trip(kc, f"x = {i}", f"cell-{i % 20}")
                if i >= 0:
                    times[name].append(t)
        hooks = _hook_cost(kernels["tracked"][1])
    finally:
        for km, kc in kernels.values():
            kc.stop_channels()
            km.shutdown_kernel(now=False)
    rows = []
    for q, target in ((0.5, 0.001), (0.99, 0.005)):
        plain, tracked = _pct(times["plain"], q), _pct(times["tracked"], q)
        rows.append(
            Row(
                f"(a) added latency per cell, p{round(q * 100)}",
                max(0.0, tracked - plain),
                target=target,
                note=f"round trip {tracked * 1000:.2f} ms tracked vs {plain * 1000:.2f} ms "
                f"untracked, {LATENCY_CELLS} trivial cells each, alternating",
            )
        )
    p50, p99 = hooks
    rows.append(
        Row(
            "(a') tracking hooks on the kernel's main thread, p50",
            p50 * 1e6,
            unit="us",
            target=1000,
            note=f"p99 {p99 * 1e6:.0f} us; pre_run_cell + post_run_cell timed in the kernel, "
            f"{HOOK_CALLS} cells, the writer thread committing meanwhile",
        )
    )
    return rows


HOOK_CALLS = 5000
_HOOK_PROBE = f"""
import time as _t
from types import SimpleNamespace as _NS
from cellops.tracking import extension as _ext
_info = _NS(cell_id="bench", raw_cell="x = 1", cell_meta={{"cellId": "bench"}})
_res = _NS(info=_info, success=True, error_in_exec=None, error_before_exec=None,
           execution_count=1)
_samples = []
for _ in range({HOOK_CALLS}):
    _s = _t.perf_counter()
    _ext._active.pre_run_cell(_info)
    _ext._active.post_run_cell(_res)
    _samples.append(_t.perf_counter() - _s)
_samples.sort()
_bench = [_samples[len(_samples) // 2], _samples[int(len(_samples) * 0.99)]]
"""


def _hook_cost(kc: Any) -> tuple[float, float]:
    """The hooks' own time, measured inside the kernel (no messaging noise)."""
    reply = kc.execute_interactive(
        _HOOK_PROBE, user_expressions={"b": "_bench"}, timeout=300, output_hook=lambda m: None
    )
    values = json.loads(reply["content"]["user_expressions"]["b"]["data"]["text/plain"])
    return float(values[0]), float(values[1])


def log_metric_cost(tmp: Path) -> list[Row]:
    import cellops

    calls = 100_000
    per_call = (
        statistics.median(
            timeit.repeat(lambda: cellops.log_metric("loss", 0.5, step=1), number=calls, repeat=7)
        )
        / calls
    )
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        import warnings

        warnings.simplefilter("ignore")
        from mlflow.tracking import MlflowClient

        client = MlflowClient((tmp / "mlruns").as_uri())
        run_id = client.create_run(client.create_experiment("bench")).info.run_id
        samples = []
        for step in range(50):
            start = time.perf_counter()
            client.log_metric(run_id, "loss", 0.5, step=step)
            samples.append(time.perf_counter() - start)
        mlflow: float | None = statistics.median(samples)
        note = f"MLflow log_metric (local file store): {mlflow * 1000:.2f} ms per call"
    except ImportError:
        mlflow, note = None, "MLflow not installed: no comparison"
    return [
        Row("(b) cellops.log_metric per call", per_call * 1e6, unit="us", target=20, note=note),
        Row(
            "(b) MLflow log_metric / cellops.log_metric",
            mlflow / per_call if mlflow else None,
            unit="x",
        ),
    ]


def _fill(db: Path, executions: int, cells: int, *, history_cell: str | None = None) -> None:
    from cellops.metrics import Metric
    from cellops.tracking.fingerprint import canonical
    from cellops.tracking.store import ExecutionRecord, Writer

    ids = [str(uuid.UUID(int=i)) for i in range(cells)]
    paramsets = [canonical({"lr": 10.0**-k, "depth": k, "model": "forest"}) for k in range(10)]
    writer = Writer(db, session=uuid.uuid4().hex, environment=lambda: {"python": sys.version})
    now = time.time()
    for i in range(executions):
        cell = history_cell or ids[i % cells]
        t = now + i
        writer.put(
            ExecutionRecord(
                notebook="/home/user/project/notebooks/experiment.ipynb",
                cell_id=cell,
                code=f"model = fit(X, y, depth={i % cells})\nscore = model.score(X_test, y_test)",
                execution_count=i + 1,
                started=t,
                ended=t + 0.25,
                duration=0.25,
                status="ok" if i % 50 else "error",
                error_type=None if i % 50 else "ValueError",
                error_message=None if i % 50 else "bad input",
                paramset=paramsets[i % 10],
                metrics=(Metric("accuracy", 0.9, None, t), Metric("loss", 0.1, i, t)),
            )
        )
    writer.close(timeout=600)


def history_query(tmp: Path) -> list[Row]:
    from cellops.tracking import reader

    db = tmp / "history.db"
    _fill(db, 10_000, 1, history_cell="the-cell")
    _fill(db, 5_000, 50)  # other cells of the project around it

    def answer() -> int:
        with reader.reading(db) as conn:
            rows = reader.history_json(
                conn, "/home/user/project/notebooks/experiment.ipynb", "the-cell"
            )
        assert rows.startswith("[{")
        return len(rows)

    answer()
    samples = []
    for _ in range(7):
        start = time.perf_counter()
        answer()
        samples.append(time.perf_counter() - start)
    return [
        Row(
            "(c) history of a cell with 10,000 executions",
            statistics.median(samples),
            target=0.1,
            note="the history route's query (JSON built by SQLite); median of 7",
        )
    ]


def db_size(tmp: Path) -> list[Row]:
    db = tmp / "size.db"
    start = time.perf_counter()
    _fill(db, 100_000, 100)
    elapsed = time.perf_counter() - start
    size = sum(p.stat().st_size for p in tmp.glob("size.db*")) / 1e6
    return [
        Row(
            "(d) database for 100,000 executions of 100 cells",
            round(size, 1),
            unit="MB",
            target=100,
            note=f"2 metrics each, WAL included; written in {elapsed:.1f} s through the writer",
        )
    ]


def measure() -> list[Row]:
    rows: list[Row] = []
    with tempdir() as tmp:
        rows += latency(tmp)
        rows += log_metric_cost(tmp)
        rows += history_query(tmp)
        rows += db_size(tmp)
    return rows


if __name__ == "__main__":
    report("tracking", measure())
