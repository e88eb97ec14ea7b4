"""Artifacts: formats, round trips, byte-identical files, the manifest, errors, the store."""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cellops.artifacts.kernel import (
    MANIFEST,
    format_ext,
    format_of_path,
    hash_file,
    load_inputs,
    save_outputs,
)
from cellops.artifacts.stores import ArtifactStore
from cellops.errors import ArtifactError


def roundtrip(tmp_path: Path, value: object, name: str = "v") -> tuple[object, str]:
    """Save one value, load it back; returns (loaded value, format used)."""
    out = tmp_path / "out"
    entry = save_outputs(str(out), {name: value}, stage="s")[name]
    (loaded,) = load_inputs({name: str(out / entry["file"])}, [name], stage="t")
    return loaded, entry["format"]


def listing(path: Path) -> list[str]:
    return sorted(os.listdir(path))


def make_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "when": pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC"),
            "day": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-04"]),
            "kind": pd.Categorical(["a", "b", "a", "c"], categories=["c", "b", "a", "z"]),
            "n": [1, 2, 3, 4],
            "x": [0.5, float("nan"), 2.5, -0.0],
            "label": ["p", "q", None, "s"],
            "flag": [True, False, True, True],
            "opt": pd.array([1, None, 3, None], dtype="Int64"),
        },
        index=pd.Index([10, 20, 30, 40], name="row"),
    )


def fitted_model() -> object:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return LogisticRegression().fit(X, y)


# -- round trips ---------------------------------------------------------------------------


def test_dataframe_with_datetime_and_categorical_is_arrow(tmp_path: Path) -> None:
    df = make_frame()
    loaded, fmt = roundtrip(tmp_path, df)
    assert fmt == "arrow"
    pd.testing.assert_frame_equal(loaded, df, check_exact=True)


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame({0: [1, 2], 1: [3.0, 4.0]}),  # int column names
        pd.DataFrame({0: [1], "a": [2]}),  # mixed column names: parquet would stringify them
        pd.DataFrame({"a": [[1, 2], [3]]}),  # lists: parquet gives numpy arrays back
        pd.DataFrame({"a": [1, "x"]}),  # mixed object column: pyarrow raises
        pd.DataFrame({"a": pd.Series(["x", "y"], dtype=object)}),  # would come back as str
        pd.DataFrame({"a": [1, 2]}, index=pd.date_range("2024", periods=2, freq="D")),  # freq
        pd.DataFrame({"a": [1 + 2j]}),  # complex: no parquet type
    ],
    ids=["int-cols", "mixed-cols", "lists", "mixed-obj", "object-str", "freq", "complex"],
)
def test_dataframe_round_trips_exactly_whatever_the_format(tmp_path: Path, df: object) -> None:
    loaded, _ = roundtrip(tmp_path, df)
    pd.testing.assert_frame_equal(loaded, df, check_exact=True, check_freq=True)


def test_dataframe_arrow_would_change_falls_back_to_pickle_with_note(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [[1, 2], [3]]})
    entry = save_outputs(str(tmp_path), {"df": df}, stage="s")["df"]
    assert entry["format"] == "pickle"
    assert entry["file"] == "df.pkl"
    assert "arrow" in entry["note"]


@pytest.mark.parametrize("name", ["price", None, 3, 2.5, True])
def test_series_round_trips_with_its_name(tmp_path: Path, name: object) -> None:
    s = pd.Series([1.5, 2.5, None], index=["a", "b", "c"], name=name)
    loaded, fmt = roundtrip(tmp_path, s)
    assert fmt == "arrow-series"
    assert isinstance(loaded, pd.Series)
    assert loaded.name == name and type(loaded.name) is type(name)
    pd.testing.assert_series_equal(loaded, s, check_exact=True)


def test_series_with_a_tuple_name_is_pickled(tmp_path: Path) -> None:
    s = pd.Series([1, 2], name=("a", "b"))
    loaded, fmt = roundtrip(tmp_path, s)
    assert fmt == "pickle"
    pd.testing.assert_series_equal(loaded, s)


def test_ndarray_is_npy(tmp_path: Path) -> None:
    arr = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    loaded, fmt = roundtrip(tmp_path, arr)
    assert fmt == "npy"
    assert isinstance(loaded, np.ndarray)
    assert loaded.dtype == arr.dtype and loaded.flags.f_contiguous
    np.testing.assert_array_equal(loaded, arr)


def test_object_ndarray_is_pickled(tmp_path: Path) -> None:
    arr = np.array([{"a": 1}, None, "x"], dtype=object)
    loaded, fmt = roundtrip(tmp_path, arr)
    assert fmt == "pickle"
    assert isinstance(loaded, np.ndarray)
    assert list(loaded) == list(arr)


def test_fitted_sklearn_model_is_joblib_and_predicts_the_same(tmp_path: Path) -> None:
    model = fitted_model()
    X = np.random.default_rng(1).normal(size=(10, 3))
    loaded, fmt = roundtrip(tmp_path, model)
    assert fmt == "joblib"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [1, 2.5, "x", None, True, {"n": -0.0}]},
        [1, "two", 3.0],
        7,
        10**30,
        0.1,
        "héllo \ud800",
        None,
        False,
    ],
)
def test_json_native_values_are_json_with_types_kept(tmp_path: Path, value: object) -> None:
    loaded, fmt = roundtrip(tmp_path, value)
    assert fmt == "json"
    assert loaded == value and type(loaded) is type(value)
    assert json.dumps(loaded) == json.dumps(value)  # key order and nested types too


@pytest.mark.parametrize(
    "value",
    [(1, 2), {1, 2}, float("nan"), float("inf"), {1: "int key"}, [1, (2, 3)], np.float64(1.5)],
    ids=["tuple", "set", "nan", "inf", "int-key", "nested-tuple", "np-float"],
)
def test_values_json_would_change_are_pickled(tmp_path: Path, value: object) -> None:
    loaded, fmt = roundtrip(tmp_path, value)
    assert fmt == "pickle"
    assert type(loaded) is type(value)
    if isinstance(value, float) and math.isnan(value):
        assert isinstance(loaded, float) and math.isnan(loaded)
    else:
        assert loaded == value


def test_an_output_named_manifest_does_not_clobber_the_manifest(tmp_path: Path) -> None:
    entry = save_outputs(str(tmp_path), {"manifest": {"a": 1}}, stage="s")["manifest"]
    assert entry["file"] != MANIFEST
    assert json.loads((tmp_path / MANIFEST).read_text())["stage"] == "s"
    (loaded,) = load_inputs({"manifest": str(tmp_path / entry["file"])}, ["manifest"], stage="t")
    assert loaded == {"a": 1}


# -- equal values, identical bytes ---------------------------------------------------------

EQUAL_VALUES: dict[str, Callable[[], object]] = {
    "arrow": make_frame,
    "arrow-series": lambda: pd.Series([1.0, 2.0], name="s"),
    "npy": lambda: np.arange(6.0).reshape(2, 3),
    "joblib": fitted_model,
    "json": lambda: {"a": [1, 2.5, None], "b": "x"},
    "pickle": lambda: (1, "a", frozenset({3})),
}


@pytest.mark.parametrize("fmt", list(EQUAL_VALUES))
def test_equal_values_give_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    make = EQUAL_VALUES[fmt]
    first = save_outputs(str(tmp_path / "a"), {"v": make()}, stage="s")["v"]
    second = save_outputs(str(tmp_path / "b"), {"v": make()}, stage="s")["v"]
    assert first["format"] == fmt
    assert first == second
    assert (tmp_path / "a" / first["file"]).read_bytes() == (
        tmp_path / "b" / second["file"]
    ).read_bytes()


# -- the manifest --------------------------------------------------------------------------


def test_manifest_describes_every_output(tmp_path: Path) -> None:
    target = tmp_path / "outs"
    values = {"df": make_frame(), "n": 3, "t": (1, 2)}
    result = save_outputs(str(target), values, stage="train", cells={"df": "cell 2 (id ab12)"})
    manifest = json.loads((target / MANIFEST).read_text())
    assert manifest["stage"] == "train"
    assert manifest["outputs"] == result
    assert list(result) == ["df", "n", "t"]
    assert listing(target) == sorted([MANIFEST, "df.arrow", "n.json", "t.pkl"])
    df = result["df"]
    assert df["file"] == "df.arrow" and df["format"] == "arrow"
    assert df["type"] == f"{pd.DataFrame.__module__}.DataFrame"
    assert df["cell"] == "cell 2 (id ab12)"
    assert "cell" not in result["n"]
    assert result["n"]["type"] == "int"
    for entry in result.values():
        path = target / entry["file"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size


def test_saving_again_replaces_outputs_and_manifest(tmp_path: Path) -> None:
    save_outputs(str(tmp_path), {"n": 1}, stage="s")
    save_outputs(str(tmp_path), {"n": 2}, stage="s")
    assert json.loads((tmp_path / "n.json").read_text()) == 2
    assert listing(tmp_path) == [MANIFEST, "n.json"]


def test_empty_target_does_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert save_outputs("", {"n": 1, "f": lambda: 1}, stage="s") == {}
    assert listing(tmp_path) == []


def test_no_values_still_writes_a_manifest(tmp_path: Path) -> None:
    assert save_outputs(str(tmp_path / "new"), {}, stage="s") == {}
    assert json.loads((tmp_path / "new" / MANIFEST).read_text())["outputs"] == {}


def test_output_names_must_be_variable_names(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="not a variable name"):
        save_outputs(str(tmp_path), {"../evil": 1}, stage="s")
    assert listing(tmp_path) == []


# -- values that cannot be stored ----------------------------------------------------------


def _gen() -> Iterator[int]:
    yield 1


def _local_function() -> Callable[[], int]:
    def inner() -> int:
        return 1

    return inner


UNSTORABLE: dict[str, tuple[Callable[[Path], object], str, str]] = {
    # id: (make value, the kind the message names, a word from the hint)
    "open-file": (lambda p: open(p / "f.txt", "w"), "_io.TextIOWrapper (open file)", "path"),  # noqa: SIM115 (closed by the test)
    "generator": (lambda p: _gen(), "generator (generator)", "list("),
    "lambda": (lambda p: lambda x: x, "function (lambda)", "`setup` cell"),
    "local-function": (lambda p: _local_function(), "inside another function", "`setup` cell"),
    "lock": (lambda p: threading.Lock(), "_thread.lock (lock)", "one process"),
    "nested-lock": (lambda p: {"k": threading.RLock()}, "holds a _thread.RLock (lock)", "one"),
}


@pytest.mark.parametrize("case", list(UNSTORABLE))
def test_unstorable_value_names_variable_stage_cell_and_hint(tmp_path: Path, case: str) -> None:
    make, kind, hint = UNSTORABLE[case]
    value = make(tmp_path)
    target = tmp_path / "out"
    try:
        with pytest.raises(ArtifactError) as info:
            save_outputs(str(target), {"f": value}, stage="load", cells={"f": "cell 3 (id ab12)"})
    finally:
        if hasattr(value, "close"):
            value.close()
    message = str(info.value)
    assert message.startswith(
        "stage 'load': output 'f' (defined in cell 3 (id ab12)) cannot be stored between stages: "
    )
    assert kind in message and hint in message
    assert " at 0x" not in message
    assert not target.exists()


def test_open_file_message_matches_the_documented_wording(tmp_path: Path) -> None:
    with open(tmp_path / "f.txt", "w") as f, pytest.raises(ArtifactError) as info:
        save_outputs(str(tmp_path / "o"), {"f": f}, stage="load", cells={"f": "cell 3 (id ab12)"})
    assert str(info.value) == (
        "stage 'load': output 'f' (defined in cell 3 (id ab12)) cannot be stored between "
        "stages: a _io.TextIOWrapper (open file) cannot be pickled. Keep it inside one stage "
        "(open it where it is used) or pass what it holds (a path, a DataFrame) instead."
    )


def test_message_without_cells_omits_the_cell(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"^stage 's': output 'g' cannot be stored"):
        save_outputs(str(tmp_path), {"g": _gen()}, stage="s")


def test_one_bad_value_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    save_outputs(str(target), {"old": 1}, stage="s")
    before = {name: (target / name).read_bytes() for name in listing(target)}
    values = {"df": make_frame(), "arr": np.ones(3), "lock": threading.Lock(), "n": 5}
    with pytest.raises(ArtifactError, match="'lock'"):
        save_outputs(str(target), values, stage="s")
    assert {name: (target / name).read_bytes() for name in listing(target)} == before


def test_one_bad_value_does_not_create_the_target(tmp_path: Path) -> None:
    target = tmp_path / "new"
    with pytest.raises(ArtifactError):
        save_outputs(str(target), {"df": make_frame(), "g": _gen()}, stage="s")
    assert not target.exists()


# -- load_inputs ---------------------------------------------------------------------------


def test_load_inputs_returns_values_in_the_order_asked(tmp_path: Path) -> None:
    out = save_outputs(str(tmp_path), {"a": 1, "b": "two"}, stage="s")
    inputs = {name: str(tmp_path / e["file"]) for name, e in out.items()}
    assert load_inputs(inputs, ["b", "a"], stage="t") == ("two", 1)
    assert load_inputs(inputs, ["a"], stage="t") == (1,)
    assert load_inputs(inputs, [], stage="t") == ()


def test_load_inputs_missing_name(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as info:
        load_inputs({}, ["X"], stage="train")
    assert str(info.value) == (
        "stage 'train' needs input 'X' from an upstream stage, but no artifact was given; run "
        "the pipeline with `cellops run`, or pass cellops_inputs={'X': PATH} to papermill"
    )


def test_load_inputs_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "gone.parquet")
    with pytest.raises(ArtifactError) as info:
        load_inputs({"X": path}, ["X"], stage="train")
    message = str(info.value)
    assert "stage 'train'" in message and "'X'" in message and path in message


@pytest.mark.parametrize(
    "ext", ["arrow", "series.arrow", "parquet", "series.parquet", "npy", "joblib", "json", "pkl"]
)
def test_load_inputs_corrupt_file(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"X.{ext}"
    path.write_bytes(b"\x93NUMPY garbage {")
    with pytest.raises(ArtifactError, match=r"stage 'train': input 'X' .* cannot be read as"):
        load_inputs({"X": str(path)}, ["X"], stage="train")


def test_load_inputs_pickle_of_a_notebook_class_hints_setup_cell(tmp_path: Path) -> None:
    path = tmp_path / "m.pkl"
    path.write_bytes(b"c__main__\nNoSuchThing\n.")
    with pytest.raises(ArtifactError, match=r"'NoSuchThing'.*`setup` cell"):
        load_inputs({"m": str(path)}, ["m"], stage="t")


def test_load_inputs_unknown_extension_and_string_names(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="not an artifact file"):
        load_inputs({"X": str(tmp_path / "x.csv")}, ["X"], stage="t")
    with pytest.raises(ArtifactError, match=r"list of names, e.g. \['X'\]"):
        load_inputs({}, "X", stage="t")


# -- formats, hashing, the store -----------------------------------------------------------


def test_format_ext_and_back() -> None:
    exts = {
        "arrow": "arrow",
        "arrow-series": "series.arrow",
        "parquet": "parquet",
        "parquet-series": "series.parquet",
        "npy": "npy",
        "joblib": "joblib",
        "json": "json",
        "pickle": "pkl",
    }
    for fmt, ext in exts.items():
        assert format_ext(fmt) == ext
        assert format_of_path(f"dir/{'a' * 64}.{ext}") == fmt
    assert format_of_path("x.csv") is None
    with pytest.raises(ArtifactError, match="unknown artifact format"):
        format_ext("csv")


def test_hash_file(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    (tmp_path / "f").write_bytes(data)
    assert hash_file(str(tmp_path / "f")) == hashlib.sha256(data).hexdigest()


def test_store_put_has_path_and_idempotence(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    src = tmp_path / "a.npy"
    src.write_bytes(b"hello")
    sha = hashlib.sha256(b"hello").hexdigest()
    assert not store.has(sha, "npy")
    assert store.put(str(src), "npy") == sha
    assert not src.exists()
    assert store.path(sha, "npy") == str(tmp_path / "store" / sha[:2] / f"{sha}.npy")
    assert store.has(sha, "npy") and not store.has(sha, "pkl")
    assert Path(store.path(sha, "npy")).read_bytes() == b"hello"

    src.write_bytes(b"hello")
    assert store.put(str(src), "npy") == sha
    assert not src.exists()
    assert store.put(store.path(sha, "npy"), "npy") == sha  # already in place: kept
    assert store.has(sha, "npy")
    assert listing(tmp_path / "store" / sha[:2]) == [f"{sha}.npy"]


def test_store_put_across_filesystems_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    src = tmp_path / "a.series.parquet"
    src.write_bytes(b"data")
    real_replace = os.replace

    def cross_device(a: str, b: str) -> None:
        if str(a) == str(src):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(a, b)

    monkeypatch.setattr(os, "replace", cross_device)
    sha = store.put(str(src), "series.parquet")
    assert not src.exists()
    assert Path(store.path(sha, "series.parquet")).read_bytes() == b"data"
    assert listing(tmp_path / "store" / sha[:2]) == [f"{sha}.series.parquet"]


def test_store_rejects_bad_names(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    with pytest.raises(ValueError):
        store.path("../x", "npy")
    with pytest.raises(ValueError):
        store.path("a" * 64, "../npy")


# -- URLs (fsspec) -------------------------------------------------------------------------


def test_url_target_without_fsspec_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    with pytest.raises(ArtifactError, match="pip install fsspec s3fs"):
        save_outputs("s3://bucket/run", {"n": 1}, stage="s")
    with pytest.raises(ArtifactError, match="pip install fsspec gcsfs"):
        load_inputs({"n": "gs://bucket/n.json"}, ["n"], stage="s")


def test_memory_url_round_trip() -> None:
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    target = "memory://cellops-test/train"
    try:
        out = save_outputs(target, {"df": make_frame(), "n": 3}, stage="train")
        manifest = json.loads(fs.cat_file("/cellops-test/train/manifest.json"))
        assert manifest["outputs"] == out
        inputs = {name: f"{target}/{entry['file']}" for name, entry in out.items()}
        df, n = load_inputs(inputs, ["df", "n"], stage="eval")
        pd.testing.assert_frame_equal(df, make_frame())
        assert n == 3
        with pytest.raises(ArtifactError, match="no such file"):
            load_inputs({"x": f"{target}/x.json"}, ["x"], stage="eval")
        with pytest.raises(ArtifactError):
            save_outputs("memory://cellops-test/bad", {"g": _gen()}, stage="s")
        assert not fs.exists("/cellops-test/bad/manifest.json")
    finally:
        if fs.exists("/cellops-test"):
            fs.rm("/cellops-test", recursive=True)


# -- import cost ---------------------------------------------------------------------------


def test_import_loads_no_heavy_libraries() -> None:
    code = (
        "import sys, cellops.artifacts.kernel; "
        "print(sorted({'pandas', 'numpy', 'pyarrow', 'joblib', 'sklearn', 'fsspec'} "
        "& set(sys.modules)))"
    )
    src = Path(save_outputs.__code__.co_filename).parents[2]  # the dir holding cellops/
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]"
