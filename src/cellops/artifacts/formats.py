"""How one value becomes one artifact file, and back (used by ``cellops.artifacts.kernel``).

Every stage kernel imports this module, and so does the CLI, so only the standard library is
imported up front. A value of a third-party type can only exist once its library is loaded, so
the type checks look the library up in ``sys.modules`` instead of importing it; the readers
import what the file's format needs when a file is read.
"""

from __future__ import annotations

import json
import math
import pickle
import re
import sys
import warnings
from typing import IO, Any

from cellops.errors import ArtifactError

# Format name -> file extension. The extension alone tells ``load_inputs`` how to read a file,
# so no two formats may share one, and "series.parquet" must be tested before "parquet".
FORMAT_EXTS: dict[str, str] = {
    "parquet": "parquet",
    "parquet-series": "series.parquet",
    "npy": "npy",
    "joblib": "joblib",
    "json": "json",
    "pickle": "pkl",
}

_JOBLIB_MODULES = ("sklearn", "xgboost", "lightgbm", "scipy.sparse")


def format_ext(fmt: str) -> str:
    """The file extension (without the dot) of an artifact format."""
    try:
        return FORMAT_EXTS[fmt]
    except KeyError:
        known = ", ".join(FORMAT_EXTS)
        raise ArtifactError(f"unknown artifact format {fmt!r}; cellops knows {known}") from None


def format_of_path(path: str) -> str | None:
    """The artifact format a file name's extension stands for, or None."""
    by_length = sorted(FORMAT_EXTS.items(), key=lambda item: -len(item[1]))
    for fmt, ext in by_length:
        if path.endswith("." + ext):
            return fmt
    return None


def type_name(value: object) -> str:
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _loaded(module: str) -> Any:
    """The module if something already imported it, else None (a value of its types can't exist)."""
    return sys.modules.get(module)


def choose_format(value: Any) -> str:
    """The preferred format for ``value``; writers may still fall back to pickle."""
    module = type(value).__module__
    # Exact types only: subclasses (GeoDataFrame, masked arrays, ...) carry state that these
    # formats would silently drop, and pickle keeps it.
    if module.startswith("pandas"):
        pd = _loaded("pandas")
        if pd is not None and type(value) is pd.DataFrame:
            return "parquet"
        if pd is not None and type(value) is pd.Series:
            return "parquet-series" if _series_column_name(value) is not None else "pickle"
    if module == "numpy":
        np = _loaded("numpy")
        if np is not None and type(value) is np.ndarray and not value.dtype.hasobject:
            return "npy"
    if module.startswith(_JOBLIB_MODULES):
        return "joblib"
    if is_json_native(value):
        return "json"
    return "pickle"


def is_json_native(value: object) -> bool:
    """True when ``json.loads(json.dumps(value)) == value`` with the same types throughout."""
    try:
        return _json_native(value)
    except RecursionError:
        # Too deep (or cyclic) for JSON's recursive encoder anyway; pickle copes.
        return False


def _json_native(value: object) -> bool:
    # Exact type checks: bool/IntEnum/numpy.float64 subclass int or float but would come back
    # as plain ints and floats.
    cls = type(value)
    if value is None or cls is bool or cls is int or cls is str:
        return True
    if cls is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    if cls is list:
        return all(_json_native(item) for item in value)  # type: ignore[attr-defined]
    if cls is dict:
        return all(
            type(key) is str and _json_native(item)
            for key, item in value.items()  # type: ignore[attr-defined]
        )
    return False


def _series_column_name(series: Any) -> str | None:
    """The Series name encoded as JSON text (a parquet column name), or None if it can't be."""
    name = series.name
    if not is_json_native(name) or isinstance(name, (list, dict)):
        return None
    return json.dumps(name)


def write_value(value: Any, fmt: str, file: IO[bytes]) -> None:
    if fmt in ("parquet", "parquet-series"):
        frame = value if fmt == "parquet" else value.to_frame(name=_series_column_name(value))
        # pandas warns when a conversion is lossy; the caller reads the file back and falls
        # back to pickle then, so the warning would only be noise in the notebook.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame.to_parquet(file, engine="pyarrow")
    elif fmt == "npy":
        import numpy as np

        np.save(file, value, allow_pickle=False)
    elif fmt == "joblib":
        import joblib

        joblib.dump(value, file)
    elif fmt == "json":
        # Compact and key order kept: equal values built the same way give the same bytes.
        file.write(json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii"))
    elif fmt == "pickle":
        pickle.dump(value, file, protocol=5)
    else:
        format_ext(fmt)  # raises the unknown-format error


def read_value(fmt: str, source: str | IO[bytes]) -> object:
    """Read an artifact from a local path or an open binary file."""
    if fmt in ("parquet", "parquet-series"):
        import pandas as pd

        frame = pd.read_parquet(source, engine="pyarrow")
        return series_from_frame(frame) if fmt == "parquet-series" else frame
    if fmt == "npy":
        import numpy as np

        return np.load(source, allow_pickle=False)
    if fmt == "joblib":
        import joblib

        return joblib.load(source)
    if isinstance(source, str):
        with open(source, "rb") as file:
            return _read_stream(fmt, file)
    return _read_stream(fmt, source)


def _read_stream(fmt: str, file: IO[bytes]) -> object:
    if fmt == "json":
        return json.loads(file.read())
    if fmt == "pickle":
        return pickle.load(file)
    format_ext(fmt)
    raise AssertionError("unreachable")  # pragma: no cover


def series_from_frame(frame: Any) -> Any:
    if len(frame.columns) != 1:
        raise ValueError(f"a stored Series has one column, this file has {len(frame.columns)}")
    series = frame.iloc[:, 0]
    series.name = json.loads(frame.columns[0])
    series.attrs = dict(frame.attrs)
    return series


def roundtrip_mismatch(original: Any, restored: Any) -> str | None:
    """What a parquet round trip changed (None if nothing), checked beyond ``equals``.

    ``DataFrame.equals`` ignores the index type, names and freq and attrs, and parquet changes
    some of them (object columns come back as str, datetime64[s] as [ms], lists as arrays).
    """
    if type(restored) is not type(original):
        return f"it comes back as a {type_name(restored)}"
    if hasattr(original, "columns"):
        if list(original.dtypes) != list(restored.dtypes):
            return "column dtypes change"
        why = _index_mismatch(original.columns, restored.columns)
        if why:
            return f"column labels change ({why})"
    else:
        if original.dtype != restored.dtype:
            return "the dtype changes"
        if original.name != restored.name:
            return "the name changes"
    why = _index_mismatch(original.index, restored.index)
    if why:
        return f"the index changes ({why})"
    if not original.equals(restored):
        return "values change"
    try:
        same_attrs = bool(original.attrs == restored.attrs)
    except Exception:
        same_attrs = False
    if not same_attrs:
        return "attrs change"
    if original.flags.allows_duplicate_labels != restored.flags.allows_duplicate_labels:
        return "flags change"
    return None


def _index_mismatch(original: Any, restored: Any) -> str | None:
    if type(restored) is not type(original):
        return f"{type(original).__name__} becomes {type(restored).__name__}"
    if original.dtype != restored.dtype:
        return f"dtype {original.dtype} becomes {restored.dtype}"
    levels = getattr(original, "levels", None)
    if levels is not None and [lv.dtype for lv in levels] != [lv.dtype for lv in restored.levels]:
        return "level dtypes change"
    if list(original.names) != list(restored.names):
        return "names change"
    if getattr(original, "freq", None) != getattr(restored, "freq", None):
        return "freq is lost"
    if not original.equals(restored):
        return "labels change"
    return None


# What a value that can't be pickled is, for the hint: (kind, what to do instead).
_OPEN_FILE = (
    "open file",
    "Keep it inside one stage (open it where it is used) or pass what it holds "
    "(a path, a DataFrame) instead.",
)
_GENERATOR = (
    "generator",
    "Turn it into a list (list(...)) before the stage ends, or create it in the stage that "
    "consumes it.",
)
_LOCK = ("lock", "A lock belongs to one process; create it in the stage that uses it.")
_SOCKET = (
    "network connection",
    "A connection belongs to one process; open it in the stage that uses it and pass the data "
    "it returns instead.",
)
_DATABASE = (
    "database connection",
    "Connect in each stage that needs the database (put the connection code in a `setup` "
    "cell) and pass query results (a DataFrame) between stages instead.",
)
_FUNCTION_HINT = (
    "Define the function with `def` in a `setup` cell so every stage has it, instead of "
    "passing it between stages."
)
_LAMBDA = ("lambda", _FUNCTION_HINT)
_LOCAL_FUNCTION = ("function defined inside another function", _FUNCTION_HINT)
_MODULE = ("module", "Import it in each stage that uses it (put the import in a `setup` cell).")
_UNKNOWN_HINT = (
    "Keep it inside one stage, or pass plain data it holds (numbers, strings, lists, dicts, "
    "DataFrames, arrays) instead."
)

_KINDS_BY_TYPE: dict[str, tuple[str, str]] = {
    "_io.TextIOWrapper": _OPEN_FILE,
    "_io.BufferedReader": _OPEN_FILE,
    "_io.BufferedWriter": _OPEN_FILE,
    "_io.BufferedRandom": _OPEN_FILE,
    "_io.FileIO": _OPEN_FILE,
    "generator": _GENERATOR,
    "coroutine": _GENERATOR,
    "async_generator": _GENERATOR,
    "_thread.lock": _LOCK,
    "_thread.RLock": _LOCK,
    "threading.Condition": _LOCK,
    "threading.Event": _LOCK,
    "threading.Semaphore": _LOCK,
    "threading.BoundedSemaphore": _LOCK,
    "socket": _SOCKET,
    "socket.socket": _SOCKET,
    "ssl.SSLSocket": _SOCKET,
    "module": _MODULE,
}
_DATABASE_MODULES = frozenset(
    {
        "sqlite3", "psycopg", "psycopg2", "pymysql", "MySQLdb", "mysql", "pyodbc", "cx_Oracle",
        "oracledb", "duckdb", "sqlalchemy", "pymongo", "redis", "asyncpg", "snowflake",
    }
)  # fmt: skip


def _kind_of_type(name: str) -> tuple[str, str] | None:
    if name in _KINDS_BY_TYPE:
        return _KINDS_BY_TYPE[name]
    root = name.split(".", 1)[0]
    last = name.rsplit(".", 1)[-1].lower()
    if root in _DATABASE_MODULES or last.endswith(("connection", "cursor")):
        return _DATABASE
    return None


def _kind_of_value(value: object) -> tuple[str, str] | None:
    qualname = getattr(value, "__qualname__", "")
    if type(value).__name__ == "function" and isinstance(qualname, str):
        if "<lambda>" in qualname:
            return _LAMBDA
        if "<locals>" in qualname:
            return _LOCAL_FUNCTION
    return _kind_of_type(type_name(value))


def unpicklable_reason(value: object, error: BaseException) -> str:
    """'a X (kind) cannot be pickled. What to do.' for a value whose pickling raised ``error``."""
    message = re.sub(r" at 0x[0-9a-fA-F]+", "", str(error))
    own = _kind_of_value(value)
    if own is not None:
        return f"a {type_name(value)} ({own[0]}) cannot be pickled. {own[1]}"
    # The culprit is inside the value; the pickle error names its type.
    inner_type = re.search(r"cannot pickle '([^']+)' object", message)
    inner_name = inner_type.group(1) if inner_type else "function"
    inner: tuple[str, str] | None = None
    if "<lambda>" in message:
        inner = _LAMBDA
    elif "local object" in message:
        inner = _LOCAL_FUNCTION
    elif inner_type:
        inner = _kind_of_type(inner_name)
    if inner is not None:
        return (
            f"a {type_name(value)} cannot be pickled: it holds a {inner_name} ({inner[0]}). "
            f"{inner[1]}"
        )
    return (
        f"a {type_name(value)} cannot be pickled ({type(error).__name__}: {message}). "
        f"{_UNKNOWN_HINT}"
    )


def unreadable_reason(error: BaseException) -> str:
    """Why reading an artifact failed, with what to do, for ``load_inputs``."""
    message = str(error)
    missing = re.search(r"Can't get attribute '([^']+)' on <module '__main__'", message)
    if missing:
        return (
            f"it refers to {missing.group(1)!r}, which the upstream stage's notebook defined; "
            "define it in a `setup` cell so every stage has it"
        )
    if isinstance(error, ModuleNotFoundError):
        return (
            f"it needs the module {error.name!r}, which this stage's kernel cannot import; "
            "install it in the kernel's environment"
        )
    if isinstance(error, ImportError):
        return f"{message}; install the package in this stage's kernel environment"
    return (
        f"the file looks damaged ({type(error).__name__}: {message}); re-run the upstream "
        "stage to write it again"
    )
