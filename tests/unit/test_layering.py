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


# The layers, bottom up; a unit may import its own modules, the units listed for it and
# everything they may import in turn. Arrows go faces -> services -> run/sweeps/tracking ->
# package -> notebook/analysis/artifacts -> base, so nothing below the faces imports cli,
# commands or server. Names are the first component below ``cellops``.
BASE = {"errors", "fsutil", "templating", "metrics", "_version", "__version__"}
DIRECT: dict[str, set[str]] = {
    "errors": set(),
    "fsutil": {"errors"},
    "templating": set(),
    "metrics": set(),
    "notebook": BASE,
    "analysis": set(),  # pure: the analysis of a cell is a function of its code
    "artifacts": BASE,
    "package": {"notebook", "analysis", "artifacts"},
    # The kernel extension names cells as promote does (notebook.read.derive_cell_ids).
    "tracking": BASE | {"notebook"},
    "run": {"package", "tracking"},
    "sweeps": {"run"},
    "image": {"package"},
    "ci": {"run"},
    "export": {"image", "sweeps"},
    "commands": {"ci", "export", "image", "sweeps"},
    "cli": {"commands"},
    "server": {"sweeps"},
}
# Edges the layers do not allow, each with its reason. An entry that no longer occurs fails
# the test too, so the list only shrinks.
EXCEPTIONS = {
    # The image's entrypoint hands every other command to the CLI's parser (one face).
    ("commands.entrypoint", "cli"),
    # Jupyter Server's entry point names the server app; called by Jupyter only, never on import.
    ("__init__", "server"),
    # ``cellops.batch(...)`` for notebooks: imported on first use (module __getattr__).
    ("__init__", "sweeps"),
}


def _closure(unit: str) -> set[str]:
    seen, todo = {unit}, [unit]
    while todo:
        for below in DIRECT.get(todo.pop(), set()):
            if below not in seen:
                seen.add(below)
                todo.append(below)
    return seen


def _unit_of(path: Path) -> tuple[str, str]:
    rel = path.relative_to(PACKAGE).with_suffix("")
    dotted = ".".join(rel.parts).removesuffix(".__init__")
    return dotted, dotted.split(".")[0]


def test_every_import_is_allowed_by_the_layer_table() -> None:
    units = {_unit_of(p)[1] for p in PACKAGE.rglob("*.py")} - {"__init__", "_version"}
    assert units <= set(DIRECT), f"add {sorted(units - set(DIRECT))} to the layer table"
    offenders, used = {}, set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module, unit = _unit_of(path)
        allowed = _closure(unit) | BASE
        bad = set()
        for name in _cellops_imports(path):
            target = name.split(".")[0]
            if target in allowed:
                continue
            if (module, target) in EXCEPTIONS:
                used.add((module, target))
            else:
                bad.add(name)
        if bad:
            offenders[module] = sorted(bad)
    assert offenders == {}
    assert used == EXCEPTIONS, f"exceptions that no longer occur: {EXCEPTIONS - used}"


def test_the_table_itself_has_no_cycle() -> None:
    for unit in DIRECT:
        assert all(unit not in _closure(b) for b in DIRECT[unit]), unit


def test_no_module_is_imported_by_a_layer_below_the_faces() -> None:
    faces = {"cli", "commands", "server"}
    below = {u for u in DIRECT if u not in faces}
    assert all(not (_closure(u) & faces) for u in below)


def _decides_on_scheme(node: ast.AST) -> bool:
    """``"://" in x`` or ``x.split("://")``: code that decides, not a message that shows one."""
    if isinstance(node, ast.Compare):
        return any(
            isinstance(n, ast.Constant) and n.value == "://" for n in (node.left, *node.comparators)
        )
    if isinstance(node, ast.Call):
        return any(isinstance(a, ast.Constant) and a.value == "://" for a in node.args)
    return False


def test_url_or_path_is_decided_in_one_place() -> None:
    # A second spelling of the test would drift (``file:`` handling, PathLike): fsutil.is_url.
    spelled = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if _decides_on_scheme(node)
    }
    assert spelled == {"fsutil.py"}
