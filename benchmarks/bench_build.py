"""Image builds of the wine example (``cellops build``) with Docker Engine, in a private dockerd.

(a) a cold build (empty image store but for the offline base image) and (b) a rebuild after
editing one stage's code (the notebook edited and promoted again): target b <= 20% of a, the
dependency layers reused. (c) the final image's size against the base image plus the
installed dependencies (``/opt/venv``): target <= +5 MB. (d) the pipeline layer rebuilt with
the same ``SOURCE_DATE_EPOCH`` (the image removed, so the layer is made again, not taken from
the cache) has the same digest. One run each: a cold build takes minutes.

Needs root, dockerd, mmdebstrap (``scripts/install-system-deps.sh``); the base image tarball
is reused from the image tests' cache (``~/.cache/cellops-test``) when there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import EXAMPLES, ROOT, Row, cellops, report, run, tempdir

RATIO_TARGET = 0.20
OVERHEAD_TARGET_MB = 5.0
EPOCH = "1700000000"


def _edit_stage(notebook: Path) -> None:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "stage:train_logreg" in c["metadata"].get("tags", []))
    cell["source"] = "".join(cell["source"]).replace("max_iter=1000", "max_iter=2000")
    notebook.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")


def measure() -> list[Row]:
    with tempdir() as tmp:
        shared = Path.home() / ".cache" / "cellops-test" / "base-bookworm-python3.tar"
        cache = tmp / "cache"
        cache.mkdir()
        if shared.is_file():
            shutil.copyfile(shared, cache / shared.name)
        os.environ["CELLOPS_TEST_CACHE"] = str(cache)
        sys.path.insert(0, str(ROOT))
        from tests.containers import engines

        try:
            return _measure(tmp, engines)
        finally:
            engines.stop_dockerd()
            subprocess.run(["umount", str(engines.DOCKER_DIR / "exec" / "netns" / "default")],
                           capture_output=True, check=False)  # fmt: skip


def _build(engines: object, pkg: Path, tag: str, wheel: Path) -> float:
    env = {**engines.docker_env(), "SOURCE_DATE_EPOCH": EPOCH}  # type: ignore[attr-defined]
    argv = cellops("build", pkg, "--engine", "docker", "--base", "cellops-test/base:bookworm",
                   "--tag", tag, "--network", "host", "--cellops-wheel", wheel, "-q")  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds


def _inspect(engines: object, tag: str) -> dict[str, object]:
    out = engines.docker("image", "inspect", tag).stdout  # type: ignore[attr-defined]
    data: dict[str, object] = json.loads(out)[0]
    return data


def _measure(tmp: Path, engines: object) -> list[Row]:
    reason = engines.start_dockerd() or engines.docker_base_image()  # type: ignore[attr-defined]
    if reason:
        return [Row("image builds", None, note=f"not measured: {reason}")]
    wheels = tmp / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", wheels, ROOT])  # fmt: skip
    wheel = next(wheels.glob("cellops-*.whl"))
    notebook = Path(shutil.copyfile(EXAMPLES / "wine_fanout.ipynb", tmp / "wine_fanout.ipynb"))
    pkg = tmp / "pkg"
    run(cellops("promote", notebook, "-o", pkg))
    cold = _build(engines, pkg, "bench/wine:cold", wheel)
    _edit_stage(notebook)
    run(cellops("promote", notebook, "-o", pkg))
    warm = _build(engines, pkg, "bench/wine:edited", wheel)
    first = _inspect(engines, "bench/wine:edited")["RootFS"]["Layers"]  # type: ignore[index]
    cold_layers = _inspect(engines, "bench/wine:cold")["RootFS"]["Layers"]  # type: ignore[index]
    reused = sum(1 for a, b in zip(first, cold_layers, strict=False) if a == b)
    engines.docker("rmi", "bench/wine:edited")  # type: ignore[attr-defined]
    _build(engines, pkg, "bench/wine:again", wheel)
    again = _inspect(engines, "bench/wine:again")["RootFS"]["Layers"]  # type: ignore[index]
    size = float(_inspect(engines, "bench/wine:cold")["Size"])  # type: ignore[arg-type]
    base = float(_inspect(engines, "cellops-test/base:bookworm")["Size"])  # type: ignore[arg-type]
    venv = engines.docker(  # type: ignore[attr-defined]
        "run", "--rm", "--entrypoint", "du", "bench/wine:cold", "-sb", "/opt/venv"
    ).stdout.split()[0]
    overhead = (size - base - float(venv)) / 1e6
    return [
        Row("(a) cold build, docker (vfs)", cold, note="base image present, nothing else"),
        Row(
            "(b) rebuild after editing one stage",
            warm,
            note=f"{reused} of {len(first)} layers reused",
        ),
        Row("ratio b/a", warm / cold, unit="x", target=RATIO_TARGET),
        Row(
            "(c) image - base - /opt/venv",
            overhead,
            unit="MB",
            target=OVERHEAD_TARGET_MB,
            note=f"image {size / 1e6:.0f} MB, base {base / 1e6:.0f} MB, "
            f"venv {float(venv) / 1e6:.0f} MB",
        ),
        Row(
            "(d) same pipeline layer digest, rebuilt",
            float(first[-1] == again[-1]),
            unit="(1 = same)",
            target=1.0,
            exact=True,
            note=str(again[-1])[:19],
        ),
    ]


if __name__ == "__main__":
    report("build", measure())
