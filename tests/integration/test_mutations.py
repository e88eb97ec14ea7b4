"""The cache is never stale: each edit a user makes re-runs exactly the stages it affects.

One pipeline with a local helper module (which imports another local module), a data file it
reads, a folder a stage globs, a parameter and an independent stage, run once with real
kernels. Each test copies it, makes one edit, runs it again and checks which stages ran, then
runs ``--no-cache`` and checks the cached run gave the same outputs. The helper and data are
put into the package folder by hand: stages run there today (the package is their cwd).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.runs import (
    cell,
    cellops_ok,
    copy_package,
    make_notebook,
    promote,
    ran,
    record,
    stage_output,
)

STAGES = {"load", "extra", "scaled", "combine", "lonely"}
HELPERS = (
    "import mathx\n\n\n"
    "def total(path):\n"
    "    with open(path) as fh:\n"
    "        return mathx.double(sum(int(x) for x in fh.read().split()))\n"
)
MATHX = "def double(x):\n    return 2 * x\n"


def _build(root: Path) -> Path:
    notebook = make_notebook(
        root / "mutations.ipynb",
        [
            cell("scale = 2", "parameters"),
            cell("import helpers\ntotal = helpers.total('data.csv')", "stage:load"),
            cell(
                "import glob\n"
                "extra = sum(int(open(p).read()) for p in sorted(glob.glob('more/*.txt')))",
                "stage:extra",
            ),
            cell("result = total * scale", "stage:scaled"),
            cell("final = result + extra\nprint('FINAL', final)", "stage:combine"),
            cell(
                "import json\nimport tabulate\n"
                "const = json.dumps([1]) + tabulate.tabulate([[1]], tablefmt='plain')\n"
                "print('CONST', const)",
                "stage:lonely",
            ),
        ],
    )
    package = root / "pkg"
    promote(notebook, package)
    (package / "helpers.py").write_text(HELPERS, encoding="utf-8")
    (package / "mathx.py").write_text(MATHX, encoding="utf-8")
    (package / "data.csv").write_text("1 2 3\n", encoding="utf-8")
    (package / "more").mkdir()
    (package / "more" / "a.txt").write_text("5\n", encoding="utf-8")
    (package / "more" / "b.txt").write_text("7\n", encoding="utf-8")
    cellops_ok("run", package, "--jobs", "2", cwd=root)
    return package


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("mutations"))


def _final(package: Path) -> int:
    found = re.search(r"FINAL (-?\d+)", stage_output(package, record(package), "combine"))
    assert found, stage_output(package, record(package), "combine")
    return int(found.group(1))


def _outputs(rec: dict[str, object]) -> dict[str, object]:
    return {n: s["outputs"] for n, s in rec["stages"].items()}  # type: ignore[attr-defined]


def _rerun(package: Path, *args: str) -> dict[str, object]:
    """Run the edited package; check it against a run without the cache; its record."""
    cellops_ok("run", package, *args, cwd=package.parent)
    cached = record(package)
    final = _final(package)
    cellops_ok("run", package, "--no-cache", *args, cwd=package.parent)
    fresh = record(package)
    assert ran(fresh) == STAGES
    assert _outputs(cached) == _outputs(fresh)
    assert _final(package) == final
    return cached


def _repin(package: Path, name: str, version: str) -> str:
    lock = (package / "requirements.lock").read_text(encoding="utf-8")
    lines = [f"{name}=={version}" if ln.startswith(f"{name}==") else ln for ln in lock.splitlines()]
    assert lines != lock.splitlines(), f"{name} is not pinned:\n{lock}"
    return "\n".join(lines) + "\n"


def _edit(path: str, text: str) -> Callable[[Path], None]:
    def apply(package: Path) -> None:
        (package / path).write_text(text, encoding="utf-8")

    return apply


# (edit, extra run arguments, stages that must run, the final value after it)
CASES = {
    "data file": (_edit("data.csv", "1 2 3 4\n"), (), {"load", "scaled", "combine"}, 52),
    "helper module": (
        _edit("helpers.py", HELPERS.replace("fh.read().split()", "fh.read().split()[:2]")),
        (),
        {"load", "scaled", "combine"},
        24,
    ),
    "module the helper imports": (
        _edit("mathx.py", MATHX.replace("2 * x", "3 * x")),
        (),
        {"load", "scaled", "combine"},
        48,
    ),
    "file found through glob": (_edit("more/c.txt", "30\n"), (), {"extra", "combine"}, 66),
    "globbed file edited": (_edit("more/a.txt", "6\n"), (), {"extra", "combine"}, 37),
    "parameter": (lambda package: None, ("-p", "scale=3"), {"scaled", "combine"}, 48),
    # A stage's entry covers the pins of what it imports: only lonely imports tabulate.
    "installed package version (the lock)": (
        lambda package: _edit("requirements.lock", _repin(package, "tabulate", "0.0.1"))(package),
        (),
        {"lonely"},
        36,
    ),
    "a pin no stage imports": (
        lambda package: (package / "requirements.lock").write_text(
            (package / "requirements.lock").read_text() + "example-dist==2.0\n"
        ),
        (),
        set(),
        36,
    ),
    "comment-only edits in both modules": (
        lambda package: (
            _edit("helpers.py", "# the sum of a file\n" + HELPERS)(package),
            _edit("mathx.py", MATHX.replace("\n", "  # twice\n", 1))(package),
        ),
        (),
        set(),
        36,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_edit_reruns_exactly_the_stages_that_depend_on_it(
    base: Path, tmp_path: Path, case: str
) -> None:
    edit, args, expected, final = CASES[case]
    package = copy_package(base, tmp_path / "pkg")
    edit(package)
    rec = _rerun(package, *args)
    assert ran(rec) == expected, case
    assert _final(package) == final


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.sampled_from(["data.csv", "more/a.txt", "more/b.txt"]),
    value=st.integers(min_value=0, max_value=50),
)
def test_a_data_edit_reruns_what_reads_it_and_no_more(
    base: Path, tmp_path_factory: pytest.TempPathFactory, name: str, value: int
) -> None:
    package = copy_package(base, tmp_path_factory.mktemp("edit") / "pkg")
    data = {"data.csv": [1, 2, 3], "more/a.txt": [5], "more/b.txt": [7]}
    data[name] = [value]
    same = (package / name).read_text(encoding="utf-8") == f"{value}\n"
    (package / name).write_text(f"{value}\n", encoding="utf-8")
    total, extra = 2 * sum(data["data.csv"]), sum(data["more/a.txt"] + data["more/b.txt"])
    reader = "load" if name == "data.csv" else "extra"
    # Downstream stages re-run only when the reader's output changed (the key has its hash).
    downstream = {"scaled", "combine"} if reader == "load" else {"combine"}
    changed = (total != 12) if reader == "load" else (extra != 12)
    rec = _rerun(package)
    assert ran(rec) == (set() if same else {reader} | (downstream if changed else set()))
    assert _final(package) == total * 2 + extra


def test_the_record_lists_what_each_stage_read_and_imported(base: Path) -> None:
    rec = record(base)
    load = rec["stages"]["load"]["reads"]
    assert set(load["files"]) == {"data.csv"}
    assert {n: m["path"] for n, m in load["modules"].items()} == {
        "helpers": "helpers.py",
        "mathx": "mathx.py",
    }
    extra = rec["stages"]["extra"]["reads"]
    assert set(extra["files"]) == {"more/a.txt", "more/b.txt"}
    assert set(extra["listings"]) == {"more"}
    # Nothing of the environment, the kernel or cellops itself; no artifacts of the run.
    assert rec["stages"]["scaled"]["reads"]["files"] == {}
    lonely = rec["stages"]["lonely"]["reads"]
    assert {k: lonely[k] for k in ("files", "listings", "modules")} == {
        "files": {},
        "listings": {},
        "modules": {},
    }
    assert "tabulate" in lonely["distributions"] and "tabulate" in lonely["imported"]
    # The lock's pins of what it imported (and what that requires), of nothing else.
    assert lonely["pins"]["tabulate"].startswith("tabulate==")
    assert not {"cellops", "ipykernel", "papermill"} & set(lonely["pins"])
    assert rec["stages"]["scaled"]["reads"]["pins"] == {}


def test_an_entry_without_recorded_reads_is_not_reused(base: Path, tmp_path: Path) -> None:
    """Entries of older versions cannot be checked against the files: the safe side is a run."""
    package = copy_package(base, tmp_path / "pkg")
    for entry in (package / ".cellops" / "cache").rglob("*.json"):
        data = json.loads(entry.read_text(encoding="utf-8"))
        data.pop("reads")
        entry.write_text(json.dumps(data), encoding="utf-8")
    (package / ".cellops" / "runs" / "latest").unlink()
    cellops_ok("run", package, cwd=tmp_path)
    assert ran(record(package)) == STAGES


def test_a_damaged_hash_cache_is_rebuilt(base: Path, tmp_path: Path) -> None:
    package = copy_package(base, tmp_path / "pkg")
    (package / ".cellops" / "hashes.json").write_text("{not json", encoding="utf-8")
    cellops_ok("run", package, cwd=tmp_path)
    assert ran(record(package)) == set()
    assert json.loads((package / ".cellops" / "hashes.json").read_text(encoding="utf-8"))
