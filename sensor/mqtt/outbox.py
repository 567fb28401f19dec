"""A bounded, persistent outbox: messages wait on disk until the broker has them.

SQLite (standard library) in WAL mode: a message is on disk when ``put`` returns, so it
survives our process being killed; it is deleted only when the broker acknowledged it
(PUBACK, QoS 1). Rows go out in insertion order. When the bound is reached, the oldest
message of the lowest class goes first (raw, then state, events last), and per-class
counters, kept in the same file, say how many went.

Notes
-----
``synchronous=NORMAL`` in WAL mode survives the process dying at any point; a power cut can
lose the last transactions (SQLite docs, "Write-Ahead Logging", "PRAGMA synchronous").
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from types import TracebackType

from sensor.errors import RetrosenseError

log = logging.getLogger(__name__)


class OutboxError(RetrosenseError):
    """The outbox file cannot be opened or is held by another process."""

    def __init__(self, path: str | Path, expected: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {expected}")


class Kind(IntEnum):
    """Message classes in the order they are dropped when the outbox is full."""

    RAW = 0
    STATE = 1
    EVENT = 2


@dataclass(frozen=True)
class Message:
    id: int
    kind: Kind
    topic: str
    payload: bytes
    qos: int
    retain: bool


_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind INTEGER NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_kind_id ON outbox (kind, id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Outbox:
    """The on-disk queue. Thread-safe; one process at a time per file.

    Parameters
    ----------
    path
        The SQLite file (created with its folder if missing).
    max_messages
        Bound on the number of waiting messages.
    """

    def __init__(self, path: str | Path, max_messages: int) -> None:
        if max_messages < 1:
            raise ValueError(f"max_messages must be positive, got {max_messages}")
        self.path = Path(path)
        self.max_messages = max_messages
        self._lock = threading.Lock()
        #: The class of the message the last ``put`` dropped to stay within the bound, if any.
        self.last_dropped: Kind | None = None
        self._lock_file = _lock_exclusively(self.path)
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=5.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            (self._count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        except sqlite3.Error as err:
            self._lock_file.close()
            raise OutboxError(self.path, f"cannot use as outbox: {err}") from err
        if self._count:
            log.info("outbox %s holds %d messages from before", self.path, self._count)

    def __len__(self) -> int:
        return int(self._count)

    def put(self, kind: Kind, topic: str, payload: bytes, qos: int, retain: bool) -> int | None:
        """Store a message; return its id, or ``None`` if the outbox is full of higher classes.

        When full, the oldest message of the lowest class not above ``kind`` is dropped to
        make room (its class's ``dropped_*`` counter goes up); if there is none, this message
        is the one dropped.
        """
        with self._lock:
            self.last_dropped = None
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._count >= self.max_messages:
                    victim = self._db.execute(
                        "SELECT id, kind FROM outbox WHERE kind <= ? ORDER BY kind, id LIMIT 1",
                        (int(kind),),
                    ).fetchone()
                    dropped = Kind(victim[1]) if victim else kind
                    self.last_dropped = dropped
                    if victim:
                        self._db.execute("DELETE FROM outbox WHERE id = ?", (victim[0],))
                        self._count -= 1
                    self._bump(f"dropped_{dropped.name.lower()}")
                    if not victim:
                        self._db.execute("COMMIT")
                        return None
                cur = self._db.execute(
                    "INSERT INTO outbox (kind, topic, payload, qos, retain) VALUES (?, ?, ?, ?, ?)",
                    (int(kind), topic, payload, qos, int(retain)),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._count += 1
            rowid = cur.lastrowid
            assert rowid is not None
            return rowid

    def after(self, last_id: int, limit: int) -> list[Message]:
        """Up to ``limit`` waiting messages with ids above ``last_id``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, topic, payload, qos, retain FROM outbox WHERE id > ? "
                "ORDER BY id LIMIT ?",
                (last_id, limit),
            ).fetchall()
        return [Message(r[0], Kind(r[1]), r[2], bytes(r[3]), r[4], bool(r[5])) for r in rows]

    def delete(self, message_id: int) -> None:
        """The broker has the message: forget it."""
        with self._lock:
            cur = self._db.execute("DELETE FROM outbox WHERE id = ?", (message_id,))
            self._count -= cur.rowcount

    def counters(self) -> dict[str, int]:
        """``dropped_raw``, ``dropped_state``, ``dropped_event`` over the file's lifetime."""
        with self._lock:
            rows = self._db.execute("SELECT name, value FROM counters").fetchall()
        out = {f"dropped_{k.name.lower()}": 0 for k in Kind}
        out.update({str(name): int(value) for name, value in rows})
        return out

    def _bump(self, name: str) -> None:
        self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1) "
            "ON CONFLICT(name) DO UPDATE SET value = value + 1",
            (name,),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._lock_file.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _LockFile:
    def __init__(self, handle: object | None) -> None:
        self._handle = handle

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()  # type: ignore[attr-defined]


def _lock_exclusively(path: Path) -> _LockFile:
    """Hold ``<path>.lock`` so that a second process cannot drain the same outbox twice."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path.with_name(path.name + ".lock"), "a+b")  # noqa: SIM115
    except OSError as err:
        raise OutboxError(path, f"cannot create the outbox: {err.strerror}") from err
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; one process per client id by convention
        return _LockFile(handle)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        handle.close()
        raise OutboxError(
            path,
            "in use by another retrosense process; give this one its own broker.client_id "
            "(or broker.outbox_path)",
        ) from err
    return _LockFile(handle)
