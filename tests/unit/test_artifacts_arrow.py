"""Frames cross stage boundaries as Arrow IPC: exact round trips for every dtype pandas users
have, the same fall-backs parquet had, hashes computed while writing, old parquet still read."""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cellops.artifacts.formats import roundtrip_mismatch
from cellops.artifacts.kernel import load_inputs, save_outputs, verified
from cellops.artifacts.stores import ArtifactStore

N = 6  # rows per generated frame

_ints = st.lists(st.integers(-(2**62), 2**62), min_size=N, max_size=N)
_floats = st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=N, max_size=N)
_texts = st.lists(st.one_of(st.none(), st.text(max_size=5)), min_size=N, max_size=N)
_maybe_ints = st.lists(st.one_of(st.none(), st.integers(-1000, 1000)), min_size=N, max_size=N)
_stamps = st.lists(st.integers(0, 2_000_000_000), min_size=N, max_size=N)


KINDS = [
    "int",
    "float",
    "bool",
    "str",
    "object-str",
    "category",
    "tz",
    "naive",
    "Int64",
    "string",
    "timedelta",
    "lists",
]


@st.composite
def columns(draw: Any) -> Any:
    kind = draw(st.sampled_from(KINDS))
    if kind == "int":
        return np.array(draw(_ints), dtype="int64")
    if kind == "float":
        return np.array(draw(_floats), dtype="float64")
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=N, max_size=N)))
    if kind in ("str", "object-str", "string"):
        values = draw(_texts)
        dtype = {"str": None, "object-str": object, "string": "string"}[kind]
        return pd.array(values, dtype=dtype) if dtype else pd.Series(values).array
    if kind == "category":
        return pd.Categorical(draw(_texts), ordered=draw(st.booleans()))
    if kind in ("tz", "naive"):
        when = pd.to_datetime(draw(_stamps), unit="s")
        return when.tz_localize("Europe/Paris") if kind == "tz" else when
    if kind == "Int64":
        return pd.array(draw(_maybe_ints), dtype="Int64")
    if kind == "timedelta":
        return pd.to_timedelta(draw(_ints), unit="ns")
    return pd.Series([[i] * (i % 3) for i in range(N)], dtype=object).array


_labels = st.one_of(st.text(min_size=1, max_size=4), st.integers(-5, 5))


@st.composite
def frames(draw: Any) -> pd.DataFrame:
    names = draw(st.lists(_labels, min_size=1, max_size=4, unique=True))
    data = {name: draw(columns()) for name in names}
    index_kind = draw(st.sampled_from(["range", "shifted", "str", "multi", "datetime"]))
    index: pd.Index
    if index_kind == "range":
        index = pd.RangeIndex(N)
    elif index_kind == "shifted":
        index = pd.RangeIndex(10, 10 + 2 * N, 2, name="row")
    elif index_kind == "str":
        index = pd.Index([f"r{i}" for i in range(N)], name="key")
    elif index_kind == "multi":
        index = pd.MultiIndex.from_arrays([list("aabbcc"), list(range(N))], names=["g", "n"])
    else:
        index = pd.DatetimeIndex(pd.to_datetime(draw(_stamps), unit="s"), name="at")
    return pd.DataFrame(data, index=index)


def _roundtrip(tmp: Path, value: object) -> tuple[object, str]:
    entry = save_outputs(str(tmp), {"v": value}, stage="s")["v"]
    (loaded,) = load_inputs({"v": str(tmp / entry["file"])}, ["v"], stage="t")
    return loaded, entry["format"]


def _parquet_exact(frame: pd.DataFrame) -> bool:
    """What the former hand-over format gave: a parquet round trip without change."""
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame.to_parquet(buf, engine="pyarrow")
        buf.seek(0)
        return roundtrip_mismatch(frame, pd.read_parquet(buf, engine="pyarrow")) is None
    except Exception:
        return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames())
def test_every_frame_round_trips_exactly_and_arrow_holds_what_parquet_held(
    tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame
) -> None:
    tmp = tmp_path_factory.mktemp("rt")
    loaded, fmt = _roundtrip(tmp, frame)
    assert isinstance(loaded, pd.DataFrame)
    pd.testing.assert_frame_equal(loaded, frame, check_exact=True, check_freq=True)
    assert fmt in ("arrow", "pickle")
    if _parquet_exact(frame):
        # Whatever parquet could hand over exactly, Arrow does too: no new pickle fall-backs.
        assert fmt == "arrow"


def test_what_arrow_would_change_falls_back_to_pickle_with_a_note(tmp_path: Path) -> None:
    cases = {
        "lists": pd.DataFrame({"a": [[1, 2], [3]]}),  # come back as numpy arrays
        "mixed-labels": pd.DataFrame({0: [1], "a": [2]}),  # labels would become strings
        "freq": pd.DataFrame({"a": [1, 2]}, index=pd.date_range("2024", periods=2, freq="D")),
        "complex": pd.DataFrame({"a": [1 + 2j]}),  # no Arrow type
        # A key only after the rows the writer probes: every row would gain it as None.
        "late-key": pd.DataFrame({"a": pd.Series([{"k": 1}] * 100 + [{"j": 2}], dtype=object)}),
    }
    for name, frame in cases.items():
        entry = save_outputs(str(tmp_path / name), {"df": frame}, stage="s")["df"]
        assert entry["format"] == "pickle", name
        assert "arrow" in entry["note"], name
        (loaded,) = load_inputs({"df": str(tmp_path / name / entry["file"])}, ["df"], stage="t")
        pd.testing.assert_frame_equal(loaded, frame, check_exact=True, check_freq=True)


def test_the_recorded_hash_is_the_files_and_the_reader_trusts_it_until_the_file_changes(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame({"x": np.arange(300_000, dtype="float64"), "s": ["a", "b", "c"] * 100_000})
    entry = save_outputs(str(tmp_path / "out"), {"df": frame}, stage="s")["df"]
    path = tmp_path / "out" / entry["file"]
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    store = ArtifactStore(tmp_path / "store")
    sha = store.put(str(path), "arrow", entry["sha256"])
    stored = store.path(sha, "arrow")
    assert verified(stored, sha)
    # The same bytes, rewritten (a new mtime): checked again, still good.
    data = Path(stored).read_bytes()
    Path(stored).write_bytes(data)
    assert verified(stored, sha)
    # One byte changed in place: the stamp no longer fits, the hash is taken and fails.
    with open(stored, "r+b") as file:
        file.seek(len(data) // 2)
        file.write(b"\xff" if data[len(data) // 2] != 0xFF else b"\x00")
    os.utime(stored, ns=(1, 1))  # even an mtime moved back does not pass for the old stamp
    assert not verified(stored, sha)


def test_parquet_artifacts_of_older_packages_still_load(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    series = pd.Series([1.5, 2.5], name="s")
    frame.to_parquet(tmp_path / "f.parquet", engine="pyarrow")
    series.to_frame(name='"s"').to_parquet(tmp_path / "s.series.parquet", engine="pyarrow")
    f, s = load_inputs(
        {"f": str(tmp_path / "f.parquet"), "s": str(tmp_path / "s.series.parquet")},
        ["f", "s"],
        stage="t",
    )
    pd.testing.assert_frame_equal(f, frame)
    pd.testing.assert_series_equal(s, series)


def test_a_loaded_frame_can_be_changed_in_place(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": np.arange(5, dtype="float64")})
    loaded, fmt = _roundtrip(tmp_path, frame)
    assert fmt == "arrow" and isinstance(loaded, pd.DataFrame)
    loaded.loc[0, "a"] = 42.0  # a frame on the read-only map would raise here
    loaded["a"] *= 2
    assert loaded["a"].tolist() == [84.0, 2.0, 4.0, 6.0, 8.0]
