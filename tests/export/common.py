"""What the export tests share: the example, its stage graph, the CLI with extra variables."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.clirun import cellops as run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "wine_fanout.ipynb"
MARKER = "not-a-real-secret-7d2e"  # put in the export's environment, never in a file
_EDGES = {
    "load": (),
    "features": ("load",),
    "train_forest": ("features",),
    "train_logreg": ("features",),
    "compare": ("train_forest", "train_logreg"),
}


def wine_graph(dns: bool) -> dict[str, set[str]]:
    """stage -> upstream stages; ``dns``: names as Kubernetes engines write them."""

    def name(stage: str) -> str:
        return stage.replace("_", "-") if dns else stage

    return {name(s): {name(u) for u in ups} for s, ups in _EDGES.items()}


def cellops(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI with ``env`` added to this process's environment."""
    return run_cli(*args, cwd=cwd, env={**os.environ, **(env or {})}, timeout=120)


def promote_example(out: Path, notebook: Path = EXAMPLE) -> Path:
    """The example promoted with its S3 library pinned (what object storage needs)."""
    proc = cellops("promote", notebook, "-o", out, "--require", "s3fs", cwd=out.parent)
    assert proc.returncode == 0, proc.stderr
    return out
