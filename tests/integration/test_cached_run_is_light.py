"""A fully cached `cellops run` must not load papermill, pandas or kernels (design rule)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nbfactory import notebook_dict

HEAVY = ["papermill", "pandas", "numpy", "nbformat", "nbclient", "jupyter_client", "docker"]


@pytest.mark.kernel
def test_fully_cached_run_imports_nothing_heavy(tmp_path: Path) -> None:
    nb = tmp_path / "three.ipynb"
    cells = [
        ("n = 3", ["parameters"]),
        ("x = n * 2", ["stage:a"]),
        ("y = x + 1", ["stage:b"]),
        ("print(y)", ["stage:c"]),
    ]
    nb.write_text(json.dumps(notebook_dict(cells)))
    cli = [sys.executable, "-m", "cellops.cli"]
    subprocess.run([*cli, "promote", str(nb), "-o", "pkg"], cwd=tmp_path, check=True)
    first = subprocess.run([*cli, "run", "pkg"], cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    probe = (
        "import sys\n"
        "from cellops.cli import main\n"
        "code = main(['run', 'pkg'])\n"
        f"print(code, sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "0 ran, 3 cached" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "0 []"
