"""The hand-over format of pandas frames between stages: an uncompressed Arrow IPC file.

The next stage waits for the hand-over, so its format is the one closest to memory: numeric
columns go from the frame's own buffers to the file without a copy, and the reader maps the
file instead of decoding it. Parquet (encoded, compressed) stays the format of files that are
kept rather than handed over (a sweep's ``results.parquet``) and is still read for artifacts
that older packages wrote.

Like ``artifacts.formats`` this is imported in every stage kernel: pyarrow and pandas are
imported only when a frame is written or read.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import warnings
from typing import IO, Any

from cellops.artifacts.formats import roundtrip_mismatch

# Rows converted back on the writer's side to check dtypes, labels and the index type; the
# values of columns Arrow holds natively are exact by construction (see ``arrow_mismatch``).
_PROBE_ROWS = 64


class HashingWriter:
    """A binary file that also computes the sha256 of what goes through it.

    Large immutable chunks are hashed on a second thread while the next chunk is written
    (hashlib and file writes both release the GIL), so hashing adds little to a write and no
    second read of the file is needed.
    """

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0
        self._queue: queue.Queue[Any] | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.file.write(view)
        self.size += view.nbytes
        if view.nbytes >= 1 << 20 and view.readonly and not isinstance(data, memoryview):
            # Immutable object (bytes, an Arrow buffer): safe to hash after write returns.
            self._background().put(data)
        else:
            self._drain()
            self.digest.update(view)
        return view.nbytes

    def _background(self) -> queue.Queue[Any]:
        if self._queue is None:
            # Bounded: the writer never runs more than a few chunks ahead of the hash.
            self._queue = queue.Queue(maxsize=4)
            self._thread = threading.Thread(target=self._hash_loop, daemon=True)
            self._thread.start()
        return self._queue

    def _hash_loop(self) -> None:
        assert self._queue is not None
        while (chunk := self._queue.get()) is not None:
            try:
                self.digest.update(memoryview(chunk))
            except BaseException as error:  # surfaced by hexdigest
                self._error = error

    def _drain(self) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = None
            if self._error is not None:
                raise self._error

    def flush(self) -> None:
        self.file.flush()

    def tell(self) -> int:
        return self.size

    @property
    def closed(self) -> bool:
        return self.file.closed

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def hexdigest(self) -> str:
        self._drain()
        return self.digest.hexdigest()


def _table(frame: Any) -> Any:
    import pyarrow as pa

    with warnings.catch_warnings():
        # Mixed-type column labels: the probe below notices and the caller falls back.
        warnings.simplefilter("ignore")
        return pa.Table.from_pandas(frame, preserve_index=None)


def write_arrow(frame: Any, file: IO[bytes]) -> Any:
    """Write ``frame`` as an Arrow IPC file; returns the table written (for the probe)."""
    import pyarrow as pa

    table = _table(frame)
    with pa.ipc.new_file(file, table.schema) as writer:
        writer.write_table(table)
    return table


def read_arrow(source: str | IO[bytes]) -> Any:
    """The frame in an Arrow IPC file, read from a local path through a memory map.

    The frame gets its own (writable) memory: a frame backed by the read-only map would fail
    the user's first in-place assignment.
    """
    import pyarrow as pa

    if isinstance(source, str):
        with pa.memory_map(source, "r") as mapped:
            return pa.ipc.open_file(mapped).read_all().to_pandas()
    return pa.ipc.open_file(source).read_all().to_pandas()


# pandas dtype kinds whose values Arrow stores bit for bit: bool, ints, unsigned, floats,
# datetimes, timedeltas. Object columns (lists, tuples, mixed values) and extension dtypes are
# compared in full.
_EXACT_KINDS = frozenset("biufmM")


def arrow_mismatch(frame: Any, table: Any) -> str | None:
    """What an Arrow round trip of ``frame`` changes (None if nothing), without a full copy.

    Dtypes, column labels, the index type, names and freq and attrs come from the schema's
    pandas metadata, so a round trip of the first rows shows them. Values of the exact kinds
    need no check; every other column is converted back and compared in full, one at a time
    (the writing kernel holds one extra column at most, not a second frame).
    """
    probe = frame.iloc[:_PROBE_ROWS]
    probe_table = _table(probe)
    if not probe_table.schema.equals(table.schema, check_metadata=False):
        # Types inferred from the first rows differ from the whole column's: compare it all.
        return roundtrip_mismatch(frame, table.to_pandas())
    why = roundtrip_mismatch(probe, probe_table.to_pandas())
    if why:
        return why
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if column.dtype.kind in _EXACT_KINDS:
            continue
        restored = table.column(position).to_pandas()
        original = column.reset_index(drop=True)
        restored.name = original.name
        restored = restored.astype(original.dtype)
        if not original.equals(restored):
            return "values change"
    if frame.index.nlevels > 1 or frame.index.dtype.kind not in _EXACT_KINDS:
        return _index_values_mismatch(frame, table)
    return None


def _index_fields(table: Any) -> list[str]:
    return list(table.schema.pandas_metadata.get("index_columns", []))


def _index_values_mismatch(frame: Any, table: Any) -> str | None:
    """Compare the index in full (object or multi-level labels can change like columns)."""
    import pandas as pd

    names = [n for n in _index_fields(table) if isinstance(n, str)]
    if len(names) != frame.index.nlevels:
        return None  # a RangeIndex lives in the metadata, which the probe checked
    for position, name in enumerate(names):
        level = frame.index.get_level_values(position)
        if level.dtype.kind in _EXACT_KINDS:
            continue
        restored = pd.Index(table.column(name).to_pandas()).astype(level.dtype)
        if not level.equals(restored):
            return "the index changes (labels change)"
    return None
