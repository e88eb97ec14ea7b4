"""The recorder of what a stage reads (``run.trace``) and the runner's hashes of it (``run.reads``).

The recorder runs in a fresh interpreter (a subprocess), as in a stage kernel: an audit hook
cannot be removed from the process that installed it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cellops.run.reads import FILE, MODULE, Hashes, Module, Reads, changed, from_trace

SRC = Path(__file__).resolve().parents[2] / "src"


def _run(folder: Path, code: str, *, start: bool = True) -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, {src!r})
        from cellops.run import trace
        {start}
        {code}
        trace.stop("trace.json")
        """
    ).format(src=str(SRC), code=code, start="trace.start()" if start else "")
    env = {**os.environ, "PYTHONPATH": f"{folder}{os.pathsep}{SRC}"}
    subprocess.run([sys.executable, "-c", script], cwd=folder, check=True, env=env)


def _trace(folder: Path, code: str) -> dict[str, object]:
    """Run ``code`` in ``folder`` between the recorder's start and stop; the trace."""
    _run(folder, code)
    data: dict[str, object] = json.loads((folder / "trace.json").read_text(encoding="utf-8"))
    return data


def test_a_recorder_that_never_started_writes_no_trace(tmp_path: Path) -> None:
    """No trace means no reuse: a kernel whose prelude failed must not claim it read nothing."""
    _run(tmp_path, "open(__file__ if '__file__' in dir() else 'x', 'a').close()", start=False)
    assert not (tmp_path / "trace.json").exists()


def test_a_sqlite_database_is_recorded_though_sqlite_opens_it_in_c(tmp_path: Path) -> None:
    data = _trace(
        tmp_path,
        "import sqlite3\nsqlite3.connect('values.db').close()\nsqlite3.connect(':memory:').close()",
    )
    assert data["files"] == [str(tmp_path / "values.db")]


NAMES = st.text(alphabet="abcdefghij_-0123456789", min_size=1, max_size=12)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.sets(NAMES, min_size=1, max_size=4), written=NAMES)
def test_files_read_are_recorded_and_files_written_are_not(
    tmp_path_factory: object, names: set[str], written: str
) -> None:
    folder = tmp_path_factory.mktemp("t")  # type: ignore[attr-defined]
    for name in names:
        (folder / f"{name}.txt").write_text(name, encoding="utf-8")
    code = "\n".join(
        [f"open({f'{n}.txt'!r}).read()" for n in sorted(names)]
        + [f"open({f'out-{written}.bin'!r}, 'wb').write(b'x')"]
    )
    data = _trace(folder, code)
    assert data["files"] == sorted(str(folder / f"{n}.txt") for n in names)


def test_modules_listings_and_noise(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("import inner\nVALUE = inner.VALUE\n", encoding="utf-8")
    (tmp_path / "inner.py").write_text("VALUE = 3\n", encoding="utf-8")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "a.txt").write_text("1", encoding="utf-8")
    data = _trace(
        tmp_path,
        "import glob, json, helper\n"
        "glob.glob('more/*.txt')\n"
        "import email.mime.text\n"  # the standard library: not the stage's data
        "open('/proc/self/status').read()\n",
    )
    # A helper's own import of another local module is seen too; the stdlib is not.
    assert data["modules"] == {
        "helper": str(tmp_path / "helper.py"),
        "inner": str(tmp_path / "inner.py"),
    }
    assert data["listings"] == [str(tmp_path / "more")]
    assert data["files"] == []  # module sources are modules; /proc is noise
    assert "email" not in json.dumps(data["distributions"])


def test_hashes_are_reused_while_size_mtime_and_inode_hold(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("1,2\n", encoding="utf-8")
    old = 1_600_000_000_000_000_000
    os.utime(data, ns=(old, old))
    hashes = Hashes(tmp_path / "hashes.json")
    first = hashes.digest(FILE, str(data))
    hashes.save()
    # Same size, mtime and inode (as git assumes): the remembered hash, without reading.
    data.write_text("3,4\n", encoding="utf-8")
    os.utime(data, ns=(old, old))
    again = Hashes(tmp_path / "hashes.json")
    assert again.digest(FILE, str(data)) == first
    os.utime(data, ns=(old + 1, old + 1))
    assert again.digest(FILE, str(data)) != first
    data.unlink()
    assert again.digest(FILE, str(data)) == ""


def test_a_damaged_hash_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "hashes.json").write_text('{"file:/x": "not a list"', encoding="utf-8")
    data = tmp_path / "d"
    data.write_bytes(b"x")
    assert len(Hashes(tmp_path / "hashes.json").digest(FILE, str(data))) == 64


def test_a_comment_only_edit_of_a_module_changes_nothing(tmp_path: Path) -> None:
    module = tmp_path / "helper.py"
    module.write_text("def f(x):\n    return x + 1\n", encoding="utf-8")
    hashes = Hashes(tmp_path / "hashes.json")
    reads = Reads(modules={"helper": Module("helper.py", hashes.digest(MODULE, str(module)))})
    module.write_text("# adds one\ndef f(x):\n    return x + 1  # one\n", encoding="utf-8")
    assert changed(reads, tmp_path, hashes) is None
    module.write_text("def f(x):\n    return x + 2\n", encoding="utf-8")
    assert changed(reads, tmp_path, hashes) == "module helper (helper.py)"


def test_reads_round_trip_and_older_entries(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a", encoding="utf-8")
    trace = tmp_path / "t.json"
    state = tmp_path / ".cellops"
    trace.write_text(
        json.dumps(
            {
                "files": [str(tmp_path / "data.csv"), str(state / "artifacts" / "x.pkl")],
                "listings": [],
                "modules": {},
                "distributions": [],
            }
        ),
        encoding="utf-8",
    )
    found = from_trace(
        trace, tmp_path, [str(state)], Hashes(tmp_path / "h.json"), installed={}, distributions={}
    )
    assert found is not None and found.not_reusable is None
    reads = found.reads
    assert set(reads.files) == {"data.csv"}
    assert Reads.from_dict(reads.to_dict()) == reads
    assert Reads.from_dict(None) is None and Reads.from_dict({"files": {}}) is None
    (tmp_path / "data.csv").write_text("b", encoding="utf-8")
    assert changed(reads, tmp_path, Hashes(tmp_path / "h.json")) == "data.csv"


def _traced_modules(tmp_path: Path, modules: dict[str, Path]) -> Reads:
    trace = tmp_path / "package" / "t.json"
    trace.parent.mkdir(exist_ok=True)
    trace.write_text(
        json.dumps(
            {
                "files": [],
                "listings": [],
                "modules": {n: str(p) for n, p in modules.items()},
                "distributions": [],
            }
        ),
        encoding="utf-8",
    )
    found = from_trace(
        trace, trace.parent, [], Hashes(tmp_path / "h.json"), installed={}, distributions={}
    )
    assert found is not None
    return found.reads


@given(comment=st.text(alphabet="abc xyz-=.", max_size=20))
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_library_outside_the_project_is_hashed_by_its_bytes(tmp_path: Path, comment: str) -> None:
    """A module on PYTHONPATH outside the package and its folder: a comment-only edit re-runs
    the stage (the safe side; normalising a large library's source cost seconds), while the
    project's own helper keeps ignoring comments. Old records (no "hashed") read as source."""
    (tmp_path / "package").mkdir(exist_ok=True)
    (tmp_path / "lib").mkdir(exist_ok=True)
    helper, library = tmp_path / "package" / "helper.py", tmp_path / "lib" / "plotlib.py"
    for module in (helper, library):
        module.write_text("def f(x):\n    return x + 1\n", encoding="utf-8")
    reads = _traced_modules(tmp_path, {"helper": helper, "plotlib": library})
    assert reads.modules["helper"].hashed == "source"
    assert reads.modules["plotlib"].hashed == "bytes"
    assert reads.modules["plotlib"].path == str(library)  # outside the package: absolute
    assert Reads.from_dict(reads.to_dict()) == reads
    hashes = Hashes(tmp_path / "h.json")
    package = tmp_path / "package"
    helper.write_text(f"# {comment}\ndef f(x):\n    return x + 1\n", encoding="utf-8")
    assert changed(reads, package, hashes) is None
    library.write_text(f"# {comment}\ndef f(x):\n    return x + 1\n", encoding="utf-8")
    assert changed(reads, package, hashes) == f"module plotlib ({library})"
    old = reads.to_dict()
    for entry in old["modules"].values():
        del entry["hashed"]
    before = Reads.from_dict(old)
    assert before is not None
    assert {m.hashed for m in before.modules.values()} == {"source"}
    old["modules"]["helper"]["hashed"] = "zstd"
    assert Reads.from_dict(old) is None  # from a newer cellops: never reused
