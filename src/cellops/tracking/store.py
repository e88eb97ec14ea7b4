"""The tracking database: SQLite in WAL mode, one file per project, many writers at once.

Kernels never write on their main thread: ``Writer`` hands records to a background thread that
commits whatever has queued up as one transaction, so a burst of cells costs one commit and a
single cell is stored at once. WAL lets readers (the server, ``query``) read while kernels
write, and a process killed mid-transaction leaves only an uncommitted WAL tail, which SQLite
discards on the next open: every committed record stays intact.
"""

from __future__ import annotations

import hashlib
import itertools
import queue
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cellops.errors import CellopsError
from cellops.metrics import Metric, Param, json_safe

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 60.0

_SCHEMA = (
    # Code and environments are stored once, by hash; executions point at them.
    "CREATE TABLE IF NOT EXISTS code (sha TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS environments (sha TEXT PRIMARY KEY, json TEXT NOT NULL)"
    " WITHOUT ROWID",
    # The parameters in force (papermill's or the parameters cell's) are the same for many
    # executions in a row: one row per distinct set.
    "CREATE TABLE IF NOT EXISTS paramsets (sha TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE IF NOT EXISTS executions (
        id INTEGER PRIMARY KEY,
        notebook TEXT,
        cell_id TEXT,
        code_sha TEXT NOT NULL,
        execution_count INTEGER,
        started REAL NOT NULL,
        ended REAL NOT NULL,
        duration REAL NOT NULL,
        status TEXT NOT NULL,
        error_type TEXT,
        error_message TEXT,
        run_id TEXT,
        stage TEXT,
        session TEXT NOT NULL,
        env_sha TEXT,
        paramset TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS executions_by_cell ON executions (notebook, cell_id)",
    "CREATE INDEX IF NOT EXISTS executions_by_run ON executions (run_id) WHERE run_id IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS metrics (
        execution_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        value REAL,
        step INTEGER,
        timestamp REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS metrics_by_execution ON metrics (execution_id)",
    """CREATE TABLE IF NOT EXISTS params (
        execution_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS params_by_execution ON params (execution_id)",
)


class StoreError(CellopsError):
    """The database cannot be used (written by a newer cellops, not a database...)."""


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    """One cell execution as the kernel saw it; the writer adds session and environment."""

    notebook: str | None
    cell_id: str | None
    code: str
    execution_count: int | None
    started: float
    ended: float
    duration: float
    status: str  # "ok" | "error" | "interrupted"
    error_type: str | None = None
    error_message: str | None = None
    run_id: str | None = None
    stage: str | None = None
    paramset: tuple[str, str] | None = None  # (sha256, json) of the parameters in force
    metrics: Sequence[Metric] = field(default=())
    params: Sequence[Param] = field(default=())


def _retrying(action: Callable[[], Any], attempts: int = 20) -> Any:
    """Run ``action``, retrying while another connection holds a lock SQLite did not wait for.

    The busy timeout covers ordinary waits; switching a fresh database to WAL while another
    process opens it can still fail at once with 'database is locked'.
    """
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if ("locked" not in text and "busy" not in text) or attempt == attempts - 1:
                raise
            time.sleep(min(0.05 * (attempt + 1), 1.0))
    raise AssertionError("unreachable")  # pragma: no cover


def connect(path: str | Path, *, create: bool = True) -> sqlite3.Connection:
    """An autocommit connection with WAL, a long busy timeout and the current schema."""
    p = Path(path)
    if create:
        p.parent.mkdir(parents=True, exist_ok=True)
    elif not p.is_file():
        raise FileNotFoundError(str(p))
    conn = sqlite3.connect(
        str(p), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        _retrying(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        # NORMAL in WAL mode: a commit survives the process being killed (not a power cut).
        conn.execute("PRAGMA synchronous=NORMAL")
        _ensure_schema(conn, p, create=create)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(
            f"{p}: not a usable tracking database ({exc}); move it away and cellops starts a "
            "new one"
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _ensure_schema(conn: sqlite3.Connection, path: Path, *, create: bool) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: tracking database schema {version} was written by a newer cellops "
            f"(this one knows schema {SCHEMA_VERSION}); upgrade cellops"
        )
    if not create:
        return  # a reader never changes the file; an empty database simply has no rows

    def migrate() -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    _retrying(migrate)


def code_sha(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


class _Batch:
    """Rows of one transaction, and the hashes it stores for the first time."""

    def __init__(self) -> None:
        self.new_code: set[str] = set()
        self.new_paramsets: set[str] = set()


class Writer:
    """A background thread that commits queued ``ExecutionRecord``s in batches.

    ``put`` is all the kernel's main thread pays: a queue append. ``wait`` blocks until a given
    record is committed (stage kernels use it: they are killed right after their last cell).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        session: str,
        environment: Callable[[], dict[str, Any]] | None = None,
        idle: Callable[[], None] | None = None,
        max_batch: int = 1000,
        linger: float = 0.0,
    ) -> None:
        self.path = Path(path)
        self.session = session
        self._environment = environment
        self._idle = idle
        self._max_batch = max_batch
        # How long the thread lets records gather after the first one before it commits:
        # cells run back to back then share a commit instead of each paying for one while
        # the next cell runs. ``wait`` cuts it short.
        self._linger = linger
        self._hurry = threading.Event()
        self._queue: queue.SimpleQueue[tuple[int, ExecutionRecord] | None] = queue.SimpleQueue()
        self._numbers = itertools.count(1)
        self._committed = 0
        self._failed = False
        self._done = threading.Condition()
        self._conn: sqlite3.Connection | None = None
        self._env_sha: str | None = None
        self._known_code: set[str] = set()
        self._known_paramsets: set[str] = set()
        self._thread = threading.Thread(target=self._loop, name="cellops-tracking", daemon=True)
        self._thread.start()

    # -- the kernel's side ----------------------------------------------------------------
    def put(self, record: ExecutionRecord) -> int:
        number = next(self._numbers)
        self._queue.put((number, record))
        return number

    def wait(self, number: int, timeout: float = 30.0) -> bool:
        """True once record ``number`` (or a later one) is committed; False on timeout."""
        self._hurry.set()
        with self._done:
            return self._done.wait_for(
                lambda: self._committed >= number or self._failed, timeout=timeout
            )

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued and stop the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._hurry.set()
            self._thread.join(timeout)

    # -- the writer thread ----------------------------------------------------------------
    def _loop(self) -> None:
        self._run_idle()
        stop = False
        while not stop:
            item = self._queue.get()
            if self._linger and item is not None:
                self._hurry.wait(self._linger)
            self._hurry.clear()
            batch: list[tuple[int, ExecutionRecord]] = []
            while item is not None:
                batch.append(item)
                if len(batch) >= self._max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            stop = item is None
            if batch:
                self._commit(batch)
                self._run_idle()
        if self._conn is not None:
            self._conn.close()

    def _run_idle(self) -> None:
        if self._idle is not None:
            try:
                self._idle()
            except Exception as exc:
                _warn(f"cellops tracking: {exc}")

    def _commit(self, batch: list[tuple[int, ExecutionRecord]]) -> None:
        for attempt in range(5):
            try:
                _retrying(lambda: self._commit_once(batch))
                break
            except (sqlite3.Error, OSError, StoreError) as exc:
                if attempt == 4:
                    _warn(
                        f"cellops tracking: {len(batch)} execution(s) not recorded in "
                        f"{self.path}: {exc}"
                    )
                    with self._done:
                        self._failed = True
                        self._done.notify_all()
                    return
                time.sleep(0.2 * (attempt + 1))
        with self._done:
            self._committed = batch[-1][0]
            self._done.notify_all()

    def _commit_once(self, batch: list[tuple[int, ExecutionRecord]]) -> None:
        if self._conn is None:
            self._conn = connect(self.path)
        if self._env_sha is None and self._environment is not None:
            self._env_sha = self._store_environment(self._conn)
        done = _Batch()
        self._write(self._conn, batch, done)
        # Only hashes that are really committed may be skipped next time.
        self._known_code |= done.new_code
        self._known_paramsets |= done.new_paramsets

    def _store_environment(self, conn: sqlite3.Connection) -> str:
        from cellops.tracking.fingerprint import canonical

        assert self._environment is not None
        sha, text = canonical(self._environment())
        _retrying(
            lambda: conn.execute(
                "INSERT OR IGNORE INTO environments (sha, json) VALUES (?, ?)", (sha, text)
            )
        )
        return sha

    def _write(
        self, conn: sqlite3.Connection, batch: list[tuple[int, ExecutionRecord]], done: _Batch
    ) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for _, rec in batch:
                self._write_one(conn, rec, done)
            conn.execute("COMMIT")
        except BaseException:
            done.new_code.clear()
            done.new_paramsets.clear()
            conn.execute("ROLLBACK")
            raise

    def _write_one(self, conn: sqlite3.Connection, rec: ExecutionRecord, done: _Batch) -> None:
        sha = code_sha(rec.code)
        if sha not in self._known_code and sha not in done.new_code:
            conn.execute("INSERT OR IGNORE INTO code (sha, text) VALUES (?, ?)", (sha, rec.code))
            done.new_code.add(sha)
        paramset = None
        if rec.paramset is not None:
            paramset, text = rec.paramset
            if paramset not in self._known_paramsets and paramset not in done.new_paramsets:
                conn.execute(
                    "INSERT OR IGNORE INTO paramsets (sha, json) VALUES (?, ?)", (paramset, text)
                )
                done.new_paramsets.add(paramset)
        cur = conn.execute(
            "INSERT INTO executions (notebook, cell_id, code_sha, execution_count, started, "
            "ended, duration, status, error_type, error_message, run_id, stage, session, "
            "env_sha, paramset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rec.notebook,
                rec.cell_id,
                sha,
                rec.execution_count,
                rec.started,
                rec.ended,
                rec.duration,
                rec.status,
                rec.error_type,
                rec.error_message,
                rec.run_id,
                rec.stage,
                self.session,
                self._env_sha,
                paramset,
            ),
        )
        eid = cur.lastrowid
        if rec.metrics:
            conn.executemany(
                "INSERT INTO metrics (execution_id, name, value, step, timestamp) "
                "VALUES (?, ?, ?, ?, ?)",
                [(eid, m.name, m.value, m.step, m.timestamp) for m in rec.metrics],
            )
        if rec.params:
            from cellops.tracking.fingerprint import canonical

            conn.executemany(
                "INSERT INTO params (execution_id, name, value) VALUES (?, ?, ?)",
                [(eid, p.name, canonical(json_safe(p.value))[1]) for p in rec.params],
            )


def _warn(text: str) -> None:
    """To the process's real stderr (the server log), never into some cell's output."""
    stream = sys.__stderr__
    if stream is not None:
        print(text, file=stream, flush=True)
