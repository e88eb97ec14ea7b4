"""The sidebar's server round trips, through real HTTP against a real `jupyter server`.

A Jupyter server with the cellops extension runs on loopback (its own root in a temp dir);
requests go over one kept-alive connection, as a browser's would. Figures, each the median
(p50) of many requests after a warm-up:

(a) ``GET analysis`` of examples/wine_fanout.ipynb (saved), target p50 <= 50 ms; (b) ``POST
analysis`` of the same notebook as unsaved content (what the sidebar sends while you edit);
(c) and (d) the same for a 500-cell, 10-stage notebook (``gen.large``), target 200 ms;
(e) ``POST promote`` of the example (the server side of the Promote button), target 1 s.
Side by side: the same analysis in-process (no HTTP), and ``cellops check`` / ``cellops
promote`` as whole CLI processes, which is what a sidebar without a server extension would pay.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gen
from _common import EXAMPLES, PY, Row, cellops, report, side_by_side, tempdir, write_notebook

from cellops.notebook.read import parse_notebook
from cellops.package.promote import analyse

REQUESTS = 30
PROMOTES = 10
CLI_RUNS = 5
ANALYSIS_TARGET = 0.050
LARGE_TARGET = 0.200
PROMOTE_TARGET = 1.0


class Server:
    """A `jupyter server` child on 127.0.0.1 with a random token; stopped by its PID."""

    def __init__(self, root: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.token = secrets.token_hex(16)
        config = root.parent / "bench_server_config.json"
        config.write_text(
            json.dumps(
                {
                    "ServerApp": {
                        "jpserver_extensions": {"cellops": True},
                        "ip": "127.0.0.1",
                        "port": self.port,
                        "port_retries": 0,
                        "open_browser": False,
                        "root_dir": str(root),
                        "allow_root": True,
                    },
                    "IdentityProvider": {"token": self.token},
                }
            )
        )
        self.log = (root.parent / "server.log").open("w")
        self.proc = subprocess.Popen(
            [PY, "-m", "jupyter_server", f"--config={config}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        deadline = time.monotonic() + 90
        while True:
            try:
                if self.request("GET", "/api/status")[0] == 200:
                    break
            except OSError:
                self.conn.close()
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"jupyter server did not start; see {self.log.name}")
            time.sleep(0.2)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"token {self.token}"}
        data = None if body is None else json.dumps(body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None

    def stop(self) -> None:
        self.conn.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


@contextlib.contextmanager
def server(root: Path) -> Iterator[Server]:
    s = Server(root)
    try:
        yield s
    finally:
        s.stop()


def p50(fn: Callable[[], object], n: int, warmup: int = 3) -> tuple[float, float]:
    """Median and 95th percentile of ``n`` timed calls, in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[min(n - 1, round(0.95 * (n - 1)))]


def ok(srv: Server, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    code, answer = srv.request(method, path, body)
    if code != status:
        raise RuntimeError(f"{method} {path} -> {code}: {answer}")
    return answer


def measure() -> list[Row]:
    rows: list[Row] = []
    with tempdir() as tmp:
        root = tmp / "root"
        root.mkdir()
        wine = Path(shutil.copyfile(EXAMPLES / "wine_fanout.ipynb", root / "wine.ipynb"))
        large = write_notebook(gen.large(stages=10, per_stage=50), root / "large.ipynb")
        cells = len(json.loads(large.read_text())["cells"])
        with server(root) as srv:
            for label, nb, target in (
                ("the example", wine, ANALYSIS_TARGET),
                (f"a {cells}-cell notebook", large, LARGE_TARGET),
            ):
                content = json.loads(nb.read_text())
                get = f"/cellops/api/analysis?path={nb.name}"
                med, p95 = p50(lambda get=get: ok(srv, "GET", get), REQUESTS)
                rows.append(
                    Row(f"GET analysis, {label}", med, target=target, note=f"p95 {p95:.3f} s")
                )
                med, p95 = p50(
                    lambda c=content: ok(srv, "POST", "/cellops/api/analysis", {"content": c}),
                    REQUESTS,
                )
                rows.append(
                    Row(
                        f"POST analysis (unsaved content), {label}",
                        med,
                        target=target,
                        note=f"p95 {p95:.3f} s",
                    )
                )
                raw = nb.read_bytes()
                med, _ = p50(lambda raw=raw: analyse(parse_notebook(raw, "nb")), REQUESTS)
                rows.append(Row(f"  same analysis in-process, no HTTP, {label}", med))
            body = {"path": wine.name, "target": "wine-pipeline"}
            med, p95 = p50(lambda: ok(srv, "POST", "/cellops/api/promote", body, 201), PROMOTES)
            rows.append(
                Row(
                    "POST promote, the example",
                    med,
                    target=PROMOTE_TARGET,
                    note=f"p95 {p95:.3f} s; files written",
                )
            )
        cli = side_by_side(
            {
                "check": cellops("check", wine),
                "promote": cellops("promote", wine, "-o", tmp / "cli-pipeline"),
            },
            CLI_RUNS,
        )
    rows.append(
        Row("  `cellops check` of the example, whole process", cli["check"], note="for comparison")
    )
    rows.append(
        Row(
            "  `cellops promote` of the example, whole process",
            cli["promote"],
            note="for comparison",
        )
    )
    return rows


if __name__ == "__main__":
    report("server round trips (loopback HTTP, real jupyter server)", measure())
