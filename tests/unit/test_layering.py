"""House rules checked, not hoped for: a pure core and lazy imports on the CLI path."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "cellops"
SERVER_LIBS = {"jupyter_server", "tornado", "traitlets"}
HEAVY = ["papermill", "pandas", "numpy", "docker", "nbformat", "nbclient", "sklearn", "pyarrow"]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_core_imports_nothing_from_the_server_stack() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("server", "labextension") or rel.name == "cli.py":
            continue
        bad = _imports(path) & SERVER_LIBS
        if bad:
            offenders[str(rel)] = sorted(bad)
    assert offenders == {}


def test_no_source_file_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}


def _loaded_after(code: str, cwd: Path) -> list[str]:
    probe = (
        "import sys\n"
        f"{code}\n"
        f"print(__import__('json').dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_help_and_promote_stay_light(tmp_path: Path) -> None:
    example = ROOT / "examples" / "wine_fanout.ipynb"
    assert (
        _loaded_after(
            "from cellops.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass",
            tmp_path,
        )
        == []
    )
    assert (
        _loaded_after(
            f"from cellops.cli import main\nmain(['promote', {str(example)!r}, '-o', 'pkg'])",
            tmp_path,
        )
        == []
    )


def test_argo_export_loads_no_engine_sdk(tmp_path: Path) -> None:
    # hera's models take 1.5 s to import: the Argo manifest is written as plain data.
    example = ROOT / "examples" / "wine_fanout.ipynb"
    code = (
        "from cellops.cli import main\n"
        f"main(['promote', {str(example)!r}, '-o', 'pkg', '--require', 's3fs'])\n"
        "import sys\n"
        "before = set(sys.modules)\n"
        "main(['export', 'pkg', '--to', 'argo', '--image', 'w:1', '--storage', 's3://b/r'])\n"
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in "
        "('hera', 'kfp', 'pydantic', 'fsspec', 's3fs', *sys.argv[1:])))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *HEAVY], cwd=tmp_path, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "pkg" / "export" / "wine-fanout-argo.yaml").is_file()


def _cellops_imports(path: Path) -> set[str]:
    """The cellops modules ``path`` imports, as dotted names below ``cellops``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("cellops.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "cellops":
                found |= {f"cellops.{a.name}" for a in node.names}
            elif node.module.startswith("cellops."):
                # A name or a submodule: "from cellops.tracking import config" is tracking.config.
                found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name.removeprefix("cellops.") for name in found}


# Who may import what, for the modules of the runner and the package layout (the rest of the
# table comes with the package restructuring). A prefix allows a module and everything below.
ALLOWED = {
    "layout": {"fsutil"},
    "stage_code": {"analysis"},
    "run": {
        "run",
        "layout",
        "spec",
        "stage_code",
        "errors",
        "fsutil",
        "artifacts",
        "artifact_stores",
        "tracking.config",
        "tracking.cells",
        # Below run in the arrows: local modules are hashed normalised like cell code; the
        # lock maps imported modules to distributions; what stages imported is kept for it.
        "analysis",
        "lock",
        "learned_imports",
    },
}


def _allowed(name: str, allowed: set[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


def test_runner_and_layout_import_only_what_the_table_allows() -> None:
    offenders = {}
    for owner, allowed in ALLOWED.items():
        paths = sorted((PACKAGE / owner).rglob("*.py")) or [PACKAGE / f"{owner}.py"]
        for path in paths:
            bad = {n for n in _cellops_imports(path) if not _allowed(n, allowed)}
            if bad:
                offenders[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert offenders == {}
