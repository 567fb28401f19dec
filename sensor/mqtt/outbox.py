"""A bounded, persistent outbox: messages wait on disk until the broker has them.

SQLite (standard library) in WAL mode: a batch of messages is on disk once ``put_many``
returns, so it survives our process being killed; a message is deleted only when the broker
acknowledged it (PUBACK, QoS 1). Rows go out in insertion order. When the bound is reached,
the oldest message of the lowest class goes first (raw, then state, events last), and
per-class counters, kept in the same file, say how many went.

When the disk refuses a write (full, read-only, gone), the outbox does not stop the service:
it keeps what it already stored (still sent, and still there for the next start if this
process dies) and queues everything new in memory, with the same bound and the same drop
order, for the rest of the process's life. ``degraded`` then names the reason; the
publisher warns once and the command's exit code says so (what is in memory dies with the
process).

Notes
-----
``synchronous=NORMAL`` in WAL mode survives the process dying at any point; a power cut can
lose the last transactions (SQLite docs, "Write-Ahead Logging", "PRAGMA synchronous").
The lock that keeps a second process off the same outbox is ``filelock.FileLock``: an
``fcntl.flock`` on POSIX and ``msvcrt.locking`` on Windows, where ``fcntl`` does not exist.
"""

from __future__ import annotations

import bisect
import logging
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from types import TracebackType

import filelock

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


@dataclass(frozen=True)
class Pending:
    """A message to store: everything but the id the outbox gives it."""

    kind: Kind
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False


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
    """The on-disk queue (in memory once the disk refuses). Thread-safe; one process per file.

    Parameters
    ----------
    path
        The SQLite file (created with its folder if missing).
    max_messages
        Bound on the number of waiting messages, on disk and in memory together.
    """

    def __init__(self, path: str | Path, max_messages: int) -> None:
        if max_messages < 1:
            raise ValueError(f"max_messages must be positive, got {max_messages}")
        self.path = Path(path)
        self.max_messages = max_messages
        self._lock = threading.Lock()
        #: The class of the message the last ``put`` dropped to stay within the bound, if any.
        self.last_dropped: Kind | None = None
        #: Why the outbox queues in memory (``None`` while the disk takes every write).
        self.degraded: str | None = None
        self._memory: dict[int, Message] = {}
        self._memory_ids: list[int] = []
        #: Memory ids per class, oldest first (dicts keep insertion order): the drop order.
        self._memory_by_kind: dict[Kind, dict[int, None]] = {k: {} for k in Kind}
        self._memory_counters: dict[str, int] = {}
        #: Rows the broker acknowledged that the disk would not let us delete: never resent
        #: by this process (the next start may send them again; event ids tell the copies).
        self._gone: set[int] = set()
        self._next_id = 1
        self._file_lock = _lock_exclusively(self.path)
        self._db: sqlite3.Connection | None = None
        self._count = 0
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=5.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            (self._count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
            (last,) = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()
            self._next_id = int(last) + 1
        except sqlite3.DatabaseError as err:
            if not _is_disk_trouble(err):
                self._close_db()
                self._file_lock.release()
                raise OutboxError(self.path, f"cannot use as outbox: {err}") from err
            self._degrade(err)
            self._recover_readable()
        if self._count:
            log.info("outbox %s holds %d messages from before", self.path, self._count)

    def __len__(self) -> int:
        return int(self._count)

    @property
    def in_memory(self) -> int:
        """Waiting messages held only in memory (the disk refused them)."""
        return len(self._memory)

    # ------------------------------------------------------------------ writing
    def put(self, kind: Kind, topic: str, payload: bytes, qos: int, retain: bool) -> int | None:
        """Store one message; return its id, or ``None`` if it was the one dropped."""
        return self.put_many([Pending(kind, topic, payload, qos, retain)])[0]

    def put_many(self, messages: Iterable[Pending]) -> list[int | None]:
        """Store messages in one transaction; return each one's id (``None``: dropped).

        When full, the oldest message of the lowest class not above the new one's is dropped
        to make room (its class's ``dropped_*`` counter goes up); if there is none, the new
        message is the one dropped. ``last_dropped`` is the class of the last drop.
        """
        batch = list(messages)
        with self._lock:
            self.last_dropped = None
            if self._db is not None and self.degraded is None:
                try:
                    return self._put_disk(batch)
                except sqlite3.DatabaseError as err:
                    # Whatever the cause, the disk did not take the batch (all or nothing):
                    # keep the service going in memory rather than lose what comes next.
                    self._degrade(err)
            return [self._put_memory(m) for m in batch]

    def _put_disk(self, batch: list[Pending]) -> list[int | None]:
        assert self._db is not None
        db = self._db
        ids: list[int | None] = []
        count = self._count
        db.execute("BEGIN IMMEDIATE")
        try:
            for m in batch:
                if count >= self.max_messages:
                    victim = db.execute(
                        "SELECT id, kind FROM outbox WHERE kind <= ? ORDER BY kind, id LIMIT 1",
                        (int(m.kind),),
                    ).fetchone()
                    dropped = Kind(victim[1]) if victim else m.kind
                    self.last_dropped = dropped
                    self._bump_disk(f"dropped_{dropped.name.lower()}")
                    if not victim:
                        ids.append(None)
                        continue
                    db.execute("DELETE FROM outbox WHERE id = ?", (victim[0],))
                    count -= 1
                cur = db.execute(
                    "INSERT INTO outbox (kind, topic, payload, qos, retain) VALUES (?, ?, ?, ?, ?)",
                    (int(m.kind), m.topic, m.payload, m.qos, int(m.retain)),
                )
                count += 1
                assert cur.lastrowid is not None
                ids.append(cur.lastrowid)
            db.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (a full disk) has already rolled back.
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self._count = count
        found = [i for i in ids if i is not None]
        if found:
            self._next_id = max(self._next_id, max(found) + 1)
        return ids

    def _put_memory(self, m: Pending) -> int | None:
        if self._count >= self.max_messages:
            victim = next(
                (
                    next(iter(ids))
                    for kind, ids in self._memory_by_kind.items()
                    if kind <= m.kind and ids
                ),
                None,
            )
            dropped = self._memory[victim].kind if victim is not None else m.kind
            self.last_dropped = dropped
            name = f"dropped_{dropped.name.lower()}"
            self._memory_counters[name] = self._memory_counters.get(name, 0) + 1
            if victim is None:
                return None
            self._forget_memory(victim)
        message_id = self._next_id
        self._next_id += 1
        self._memory[message_id] = Message(message_id, m.kind, m.topic, m.payload, m.qos, m.retain)
        self._memory_ids.append(message_id)
        self._memory_by_kind[m.kind][message_id] = None
        self._count += 1
        return message_id

    def _forget_memory(self, message_id: int) -> None:
        message = self._memory.pop(message_id, None)
        if message is not None:
            del self._memory_by_kind[message.kind][message_id]
            i = bisect.bisect_left(self._memory_ids, message_id)
            del self._memory_ids[i]
            self._count -= 1

    def _degrade(self, err: BaseException) -> None:
        if self.degraded is None:
            self.degraded = f"cannot write {self.path}: {err}"
            log.debug("outbox degraded to memory: %s", err)

    def _recover_readable(self) -> None:
        """After a failed open: keep what is on disk readable, if it can be read at all."""
        try:
            if self._db is None:
                raise sqlite3.OperationalError("not open")
            (self._count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
            (last,) = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()
            self._next_id = int(last) + 1
        except sqlite3.DatabaseError:
            self._close_db()
            self._count = 0

    # ------------------------------------------------------------------ reading
    def after(self, last_id: int, limit: int) -> list[Message]:
        """Up to ``limit`` waiting messages with ids above ``last_id``, oldest first."""
        with self._lock:
            out: list[Message] = []
            if self._db is not None:
                try:
                    rows = self._db.execute(
                        "SELECT id, kind, topic, payload, qos, retain FROM outbox WHERE id > ? "
                        "ORDER BY id LIMIT ?",
                        (last_id, limit + len(self._gone)),
                    ).fetchall()
                except sqlite3.DatabaseError as err:
                    log.debug("outbox read failed: %s", err)
                    rows = []
                out = [
                    Message(r[0], Kind(r[1]), r[2], bytes(r[3]), r[4], bool(r[5]))
                    for r in rows
                    if r[0] not in self._gone
                ][:limit]
            if len(out) < limit and self._memory_ids:
                start = bisect.bisect_right(self._memory_ids, last_id)
                ids = self._memory_ids[start : start + limit - len(out)]
                out.extend(self._memory[i] for i in ids)
        return out

    def delete(self, message_id: int) -> None:
        """The broker has the message: forget it."""
        with self._lock:
            if message_id in self._memory:
                self._forget_memory(message_id)
                return
            if self._db is None or message_id in self._gone:
                return
            try:
                cur = self._db.execute("DELETE FROM outbox WHERE id = ?", (message_id,))
                self._count -= cur.rowcount
            except sqlite3.DatabaseError as err:
                if not _is_disk_trouble(err):
                    raise
                self._degrade(err)
                self._gone.add(message_id)
                self._count -= 1

    def counters(self) -> dict[str, int]:
        """``dropped_raw``, ``dropped_state``, ``dropped_event`` over the file's lifetime."""
        out = {f"dropped_{k.name.lower()}": 0 for k in Kind}
        with self._lock:
            rows: list[tuple[str, int]] = []
            if self._db is not None:
                try:
                    rows = self._db.execute("SELECT name, value FROM counters").fetchall()
                except sqlite3.DatabaseError:
                    rows = []
            out.update({str(name): int(value) for name, value in rows})
            for name, value in self._memory_counters.items():
                out[name] = out.get(name, 0) + value
        return out

    def _bump_disk(self, name: str) -> None:
        assert self._db is not None
        self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1) "
            "ON CONFLICT(name) DO UPDATE SET value = value + 1",
            (name,),
        )

    # ------------------------------------------------------------------ life cycle
    def _close_db(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            try:
                db.close()
            except sqlite3.DatabaseError as err:  # a full disk can refuse the checkpoint
                log.debug("outbox close: %s", err)

    def close(self) -> None:
        with self._lock:
            self._close_db()
            self._file_lock.release()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _is_disk_trouble(err: sqlite3.DatabaseError) -> bool:
    """A write the storage refused (full, read-only, I/O), as opposed to a broken file."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        return primary in (
            sqlite3.SQLITE_FULL,
            sqlite3.SQLITE_IOERR,
            sqlite3.SQLITE_READONLY,
            sqlite3.SQLITE_CANTOPEN,
            sqlite3.SQLITE_PERM,
        )
    text = str(err).lower()
    return any(
        w in text for w in ("disk", "full", "readonly", "read-only", "i/o", "unable to open")
    )


def _lock_exclusively(path: Path) -> filelock.BaseFileLock:
    """Hold ``<path>.lock`` so that a second process cannot drain the same outbox twice."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutboxError(path, f"cannot create the outbox: {err.strerror}") from err
    # thread_local=False: the publisher opens the outbox in one thread and closes it in
    # another; is_singleton=False: two Outbox objects in one process must also exclude each
    # other, as two processes do.
    lock = filelock.FileLock(
        path.with_name(path.name + ".lock"), timeout=0, thread_local=False, is_singleton=False
    )
    try:
        lock.acquire()
    except filelock.Timeout as err:
        raise OutboxError(
            path,
            "in use by another retrosense process; give this one its own broker.client_id "
            "(or broker.outbox_path)",
        ) from err
    except OSError as err:
        raise OutboxError(path, f"cannot create the outbox lock: {err.strerror}") from err
    return lock
