"""The gateway/worker protocol's messages: validated on the way in, never trusted.

Anyone with access to the broker can publish on our topics (an ACL limits who, see
``config/mosquitto/``), so every inbound message is checked before it is used: a size limit
before parsing, JSON objects only, every field of the expected type and inside a stated
range. What fails is dropped and counted (``DropCounter``: one warning, then at most one a
``DROP_LOG_S``), never raised into a network thread, never buffered without bound.

Messages (``<base>`` is the base topic; all QoS 1)::

    <base>/<band>/offer        gateway -> one worker of the group: take this band (Offer)
    <base>/<band>/worker       worker -> gateway: I take it (Claim: worker, epoch)
    <base>/<band>/lease        gateway, retained: who holds the band, with which epoch (Lease)
    <base>/<band>/raw          gateway: a batch of body-frame samples with its sequence number
    <base>/<band>/resend       worker -> gateway: send raw batches again from ``from_seq``
    <base>/<band>/end          gateway: the band session ended after ``last_seq`` (End)
    <base>/<band>/done         worker: every event up to ``last_seq`` is published (Done)
    <base>/workers/<id>/heartbeat   worker -> gateway, every HEARTBEAT_S (Heartbeat)
    <base>/workers/<id>/renew       gateway -> worker: the leases still granted (Renewal)
    <base>/workers/<id>/status      worker availability, ``offline`` as its last will

A lease is a fencing token: the gateway grants each band to one worker with an epoch that
grows with every grant; a worker publishes for a band only while its lease is valid by its
own clock (renewed by the gateway's answer to a heartbeat sent at most ``LEASE_S`` ago), and
the gateway grants the band again only after ``LEASE_S`` plus ``LEASE_GRACE_S`` without a
renewal, so the old holder has stopped before the new one starts. Messages carrying an older
epoch than the band's current one are ignored.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from analysis.types import Placement, Samples, StreamInfo
from sensor.identity import is_valid_band_id

log = logging.getLogger(__name__)

#: A worker says it is alive this often; the gateway renews its leases in answer.
HEARTBEAT_S = 1.0
#: A lease not renewed for this long is lost: the worker stops publishing for the band.
#: Five heartbeats: a loaded host misses one or two, a hung worker (SIGSTOP) misses all.
LEASE_S = 5.0
#: The gateway waits this much longer than ``LEASE_S`` before granting the band again, for
#: the clocks' rates and the messages' way through the broker.
LEASE_GRACE_S = 1.0
#: A gap in a band's sequence numbers waits this long for the batches to be sent again
#: before the worker counts them as lost and goes on.
RESEND_WAIT_S = 3.0
#: Raw batches the gateway keeps per band to send again (gaps, a new worker taking over):
#: by stream time, by count and by size, whichever is reached first. Three minutes cover a
#: two-minute cut between gateway and broker plus the take-over overlap; 16 MB hold three
#: minutes of a 200 Hz band with gyroscope (about 60 kB/s of raw JSON).
REPLAY_BUFFER_S = 180.0
REPLAY_BUFFER_BATCHES = 50_000
REPLAY_BUFFER_BYTES = 16 * 1024 * 1024
#: A new worker takes a band over this many seconds of stream time before the last batch
#: its previous holder reported done: detectors warm up again, and events the old holder
#: found but may not have delivered are found again (with the same event ids).
TAKEOVER_OVERLAP_S = 20.0
#: Of that overlap, the new holder publishes the last this many seconds (the old holder's
#: events there may not have been delivered: it hung or died); before, its detectors are
#: warming up, and an event found a sample apart from the old holder's would carry another
#: id.
UNDELIVERED_TAIL_S = 10.0
#: Batches a worker holds while waiting for a gap to be filled.
MAX_REORDER_BATCHES = 5_000

#: Size limits, checked before parsing. A raw batch is one notification's samples (a few
#: hundred at most; 256 KiB holds 4096 rows of acceleration, gyroscope and heart rate);
#: control messages are small; a heartbeat lists the worker's bands.
MAX_RAW_BYTES = 256 * 1024
MAX_RAW_ROWS = 4096
MAX_CONTROL_BYTES = 4096
MAX_HEARTBEAT_BYTES = 64 * 1024
#: Bounds of the values themselves: beyond any wearable's range (issue-independent: the
#: readers refuse the same in files).
MAX_ABS_ACC_G = 1000.0
MAX_ABS_GYRO_DPS = 10_000.0
MAX_HR_BPM = 300.0
#: A batch spans at most this much time (one notification is well under a second).
MAX_BATCH_SPAN_S = 60.0
#: Stream time is seconds since the band session's start: a week is beyond any session.
MAX_STREAM_T_S = 7 * 86_400.0
#: An offer's ``started`` must lie within this many days of now.
MAX_STARTED_AGE_DAYS = 30.0
MAX_NAME_CHARS = 100
MAX_WORKER_ID_CHARS = 64
#: At most one warning per this many seconds about dropped inbound messages.
DROP_LOG_S = 10.0
#: Sequence numbers and epochs are positive integers below 2**53 (exact in JSON numbers).
MAX_COUNTER = 2**53


class Invalid(ValueError):
    """An inbound message that fails its checks; ``reason`` is a short category."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


class DropCounter:
    """Counts dropped inbound messages by reason; warns once, then at most every DROP_LOG_S.

    Parameters
    ----------
    who
        Named in the warning (``worker w1``).
    clock
        Monotonic seconds (a parameter for tests).
    """

    def __init__(self, who: str, clock: Any = time.monotonic) -> None:
        self.who = who
        self.counts: Counter[str] = Counter()
        self._clock = clock
        self._said_at: float | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def drop(self, topic: str, err: Invalid) -> None:
        self.counts[err.reason] += 1
        now = self._clock()
        if self._said_at is None or now - self._said_at >= DROP_LOG_S:
            self._said_at = now
            log.warning(
                "%s: dropped a message on %s (%s); %d dropped so far: %s",
                self.who,
                topic[:200],
                str(err)[:200],
                self.total,
                dict(self.counts),
            )


# ---------------------------------------------------------------------------------- parsing
#: JSON nesting accepted from the broker: ours is at most 3 deep (a raw batch's rows).
MAX_JSON_DEPTH = 16
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def loads_bounded(data: bytes) -> Any:
    """JSON from the broker: no NaN or Infinity, nesting at most ``MAX_JSON_DEPTH``.

    The depth is measured before parsing: a ``RecursionError`` from Python's JSON parser
    can leave CPython 3.11's recursion accounting off, so that a later ``ast.parse`` or
    ``compile`` in the process fails with "AST constructor recursion depth mismatch".

    Raises
    ------
    Invalid
        For anything else.
    """
    bare = np.frombuffer(_STRING.sub(b"", data), dtype=np.uint8)
    step = np.isin(bare, _OPEN).astype(np.int32) - np.isin(bare, _CLOSE).astype(np.int32)
    if step.size and int(np.cumsum(step).max()) > MAX_JSON_DEPTH:
        raise Invalid("too deep", f"JSON nested beyond {MAX_JSON_DEPTH}")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise Invalid("not JSON", str(err)[:80]) from None


_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


def json_object(payload: bytes, limit: int) -> dict[str, Any]:
    """A JSON object from at most ``limit`` bytes of UTF-8."""
    if len(payload) > limit:
        raise Invalid("too large", f"{len(payload)} bytes, limit {limit}")
    obj = loads_bounded(payload)
    if not isinstance(obj, dict):
        raise Invalid("not a JSON object")
    return obj


def _no_constant(name: str) -> float:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _number(obj: dict[str, Any], key: str, lo: float, hi: float) -> float:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid("wrong type", f"{key} must be a number")
    v = float(value)
    if not (math.isfinite(v) and lo <= v <= hi):
        raise Invalid("out of range", f"{key} = {value!r} outside {lo:g}..{hi:g}")
    return v


def _counter(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < MAX_COUNTER:
        raise Invalid("wrong type", f"{key} must be a positive integer")
    return value


def _text(obj: dict[str, Any], key: str, limit: int, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise Invalid("wrong type", f"{key} must be text of 1..{limit} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise Invalid("control characters", key)
    return value


def worker_id_ok(worker_id: str) -> bool:
    return 0 < len(worker_id) <= MAX_WORKER_ID_CHARS and all(
        c.isascii() and (c.isalnum() or c in "-_.") for c in worker_id
    )


@dataclass(frozen=True)
class Offer:
    """A band the gateway offers: what a worker needs to run its detectors."""

    band_id: str
    epoch: int
    info: StreamInfo
    started: datetime
    name: str
    address: str | None
    model: str | None
    #: Where the taker starts: the first raw batch it asks the gateway for.
    resume_seq: int
    #: Events before this stream time were published by an earlier holder (``None``: all
    #: are the taker's to publish).
    publish_from_t: float | None = None

    def to_payload(self) -> bytes:
        return json.dumps(
            {
                "band": self.band_id,
                "epoch": self.epoch,
                "name": self.name,
                "address": self.address,
                "model": self.model,
                "placement": str(self.info.placement),
                "sample_rate_hz": self.info.sample_rate_hz,
                "has_gyro": self.info.has_gyro,
                "acc_range_g": self.info.acc_range_g,
                "started": self.started.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "resume_seq": self.resume_seq,
                "publish_from_t": self.publish_from_t,
            }
        ).encode()


def parse_offer(band_id: str, payload: bytes, now: datetime | None = None) -> Offer:
    obj = json_object(payload, MAX_CONTROL_BYTES)
    if obj.get("band") != band_id or not is_valid_band_id(band_id):
        raise Invalid("wrong band", "the offer's band is not its topic's")
    try:
        placement = Placement(str(obj.get("placement")))
    except ValueError:
        raise Invalid("out of range", "placement") from None
    acc_range = obj.get("acc_range_g")
    has_gyro = obj.get("has_gyro", False)
    if not isinstance(has_gyro, bool):
        raise Invalid("wrong type", "has_gyro must be true or false")
    info = StreamInfo(
        sample_rate_hz=_number(obj, "sample_rate_hz", 1.0, 2000.0),
        placement=placement,
        has_gyro=has_gyro,
        acc_range_g=None if acc_range is None else _number(obj, "acc_range_g", 0.5, 1000.0),
    )
    started_text = _text(obj, "started", 40)
    assert started_text is not None
    try:
        started = datetime.fromisoformat(started_text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("wrong type", "started must be an ISO 8601 time") from None
    if started.tzinfo is None:
        raise Invalid("wrong type", "started must carry a time zone")
    now = now or datetime.now(UTC)
    if abs((now - started).total_seconds()) > MAX_STARTED_AGE_DAYS * 86_400:
        raise Invalid("out of range", f"started {started_text} is not within 30 days of now")
    return Offer(
        band_id=band_id,
        epoch=_counter(obj, "epoch"),
        info=info,
        started=started,
        name=_text(obj, "name", MAX_NAME_CHARS, required=False) or band_id,
        address=_text(obj, "address", MAX_NAME_CHARS, required=False),
        model=_text(obj, "model", MAX_NAME_CHARS, required=False),
        resume_seq=_counter(obj, "resume_seq"),
        publish_from_t=None
        if obj.get("publish_from_t") is None
        else _number(obj, "publish_from_t", -MAX_STREAM_T_S, MAX_STREAM_T_S),
    )


@dataclass(frozen=True)
class RawBatch:
    """One raw message: its sequence number in the band session and its samples."""

    seq: int
    samples: Samples


def parse_raw(band_id: str, payload: bytes) -> RawBatch:
    """A raw payload (``sensor.mqtt.payloads.raw_payload``) back to a checked batch."""
    obj = json_object(payload, MAX_RAW_BYTES)
    if obj.get("band") != band_id:
        raise Invalid("wrong band", "the batch's band is not its topic's")
    seq = _counter(obj, "seq")
    t0 = _number(obj, "t0", -MAX_STREAM_T_S, MAX_STREAM_T_S)
    t = _column(obj, "t", 1, 0.0, MAX_BATCH_SPAN_S)
    n = len(t)
    if n == 0:
        raise Invalid("empty")
    if np.any(np.diff(t) < 0):
        raise Invalid("out of order", "sample times go backwards within the batch")
    acc = _column(obj, "acc", 3, -MAX_ABS_ACC_G, MAX_ABS_ACC_G, rows=n)
    gyro = (
        None
        if obj.get("gyro") is None
        else _column(obj, "gyro", 3, -MAX_ABS_GYRO_DPS, MAX_ABS_GYRO_DPS, rows=n)
    )
    hr: np.ndarray[Any, np.dtype[np.float64]] | None = None
    if obj.get("hr") is not None:
        raw_hr = obj["hr"]
        if not isinstance(raw_hr, list) or len(raw_hr) != n:
            raise Invalid("wrong type", "hr must be a list as long as t")
        if any(
            v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))
            for v in raw_hr
        ):
            raise Invalid("wrong type", "hr values must be numbers or null")
        hr = np.asarray([math.nan if v is None else float(v) for v in raw_hr])
        if np.any(np.isfinite(hr) & ((hr < 0) | (hr > MAX_HR_BPM))):
            raise Invalid("out of range", "hr")
    return RawBatch(seq, Samples(time_s=t0 + t, acc_g=acc, gyro_dps=gyro, hr_bpm=hr))


def _column(
    obj: dict[str, Any], key: str, width: int, lo: float, hi: float, rows: int | None = None
) -> np.ndarray[Any, np.dtype[np.float64]]:
    value = obj.get(key)
    if not isinstance(value, list) or len(value) > MAX_RAW_ROWS:
        raise Invalid("wrong type", f"{key} must be a list of at most {MAX_RAW_ROWS} rows")
    if rows is not None and len(value) != rows:
        raise Invalid("wrong type", f"{key} has {len(value)} rows, t has {rows}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Invalid("wrong type", f"{key} must hold numbers") from None
    if width > 1:
        if arr.ndim != 2 or arr.shape[1] != width:
            raise Invalid("wrong type", f"{key} rows must hold {width} numbers")
    elif arr.ndim != 1:
        raise Invalid("wrong type", f"{key} must be a flat list of numbers")
    if arr.size and not (np.all(np.isfinite(arr)) and arr.min() >= lo and arr.max() <= hi):
        raise Invalid("out of range", f"{key} outside {lo:g}..{hi:g}")
    return arr


@dataclass(frozen=True)
class Claim:
    worker: str
    epoch: int


def parse_claim(payload: bytes) -> Claim:
    obj = json_object(payload, MAX_CONTROL_BYTES)
    worker = _text(obj, "worker", MAX_WORKER_ID_CHARS)
    assert worker is not None
    if not worker_id_ok(worker):
        raise Invalid("wrong type", "worker id")
    return Claim(worker, _counter(obj, "epoch"))


@dataclass(frozen=True)
class Lease:
    """Who holds a band; ``worker`` None once the band is free or ended."""

    worker: str | None
    epoch: int

    def to_payload(self) -> bytes:
        return json.dumps({"worker": self.worker, "epoch": self.epoch}).encode()


def parse_lease(payload: bytes) -> Lease:
    obj = json_object(payload, MAX_CONTROL_BYTES)
    worker = _text(obj, "worker", MAX_WORKER_ID_CHARS, required=False)
    return Lease(worker, _counter(obj, "epoch"))


@dataclass(frozen=True)
class Heartbeat:
    """A worker is alive; ``stamp`` is its own monotonic clock; per band: epoch, done seq."""

    worker: str
    stamp: float
    bands: dict[str, tuple[int, int]]


def parse_heartbeat(worker: str, payload: bytes) -> Heartbeat:
    obj = json_object(payload, MAX_HEARTBEAT_BYTES)
    stamp = _number(obj, "stamp", -1e12, 1e12)
    bands = obj.get("bands")
    if not isinstance(bands, dict):
        raise Invalid("wrong type", "bands must be an object")
    out: dict[str, tuple[int, int]] = {}
    for band, held in bands.items():
        if not is_valid_band_id(band) or not isinstance(held, dict):
            raise Invalid("wrong type", "bands")
        done = held.get("seq", 0)
        if isinstance(done, bool) or not isinstance(done, int) or not 0 <= done < MAX_COUNTER:
            raise Invalid("wrong type", "seq")
        out[band] = (_counter(held, "epoch"), done)
    return Heartbeat(worker, stamp, out)


@dataclass(frozen=True)
class Renewal:
    """The gateway's answer: the heartbeat's stamp and the bands (with epochs) still granted."""

    stamp: float
    bands: dict[str, int]

    def to_payload(self) -> bytes:
        return json.dumps({"stamp": self.stamp, "bands": self.bands}).encode()


def parse_renewal(payload: bytes) -> Renewal:
    obj = json_object(payload, MAX_HEARTBEAT_BYTES)
    bands = obj.get("bands")
    if not isinstance(bands, dict):
        raise Invalid("wrong type", "bands must be an object")
    out = {}
    for band, epoch in bands.items():
        if not is_valid_band_id(band):
            raise Invalid("wrong type", "bands")
        out[band] = _counter({"epoch": epoch}, "epoch")
    return Renewal(_number(obj, "stamp", -1e12, 1e12), out)


@dataclass(frozen=True)
class SeqMark:
    """``end`` (gateway: the session's last batch), ``done`` (worker: all published),
    ``resend`` (worker: send again from ``seq``): an epoch and a sequence number."""

    epoch: int
    seq: int
    worker: str | None = None

    def to_payload(self) -> bytes:
        body: dict[str, Any] = {"epoch": self.epoch, "seq": self.seq}
        if self.worker is not None:
            body["worker"] = self.worker
        return json.dumps(body).encode()


def parse_seq_mark(payload: bytes) -> SeqMark:
    obj = json_object(payload, MAX_CONTROL_BYTES)
    seq = obj.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < MAX_COUNTER:
        raise Invalid("wrong type", "seq must be a non-negative integer")
    worker = _text(obj, "worker", MAX_WORKER_ID_CHARS, required=False)
    return SeqMark(_counter(obj, "epoch"), seq, worker)


# ---------------------------------------------------------------------------------- streams
@dataclass
class Gap:
    """Raw batches a worker never received: ``first_seq..last_seq``, and the stream time
    between the batches either side (``None`` where unknown)."""

    first_seq: int
    last_seq: int
    from_t: float | None
    to_t: float | None

    @property
    def batches(self) -> int:
        return self.last_seq - self.first_seq + 1


class SeqOrder:
    """Puts a band's raw batches in sequence order; says what is missing.

    ``push`` takes a batch as it arrives and returns the batches now in order. A batch
    already seen (a QoS 1 copy, a resend overlapping what came) is dropped and counted. A
    batch after a hole waits; ``missing()`` says which hole to ask the gateway for, and
    ``expire(now)`` gives up on a hole older than ``RESEND_WAIT_S`` (or when more than
    ``MAX_REORDER_BATCHES`` wait), reporting it as a ``Gap``.
    """

    def __init__(self, first_seq: int, clock: Any = time.monotonic) -> None:
        self.next_seq = first_seq
        self.duplicates = 0
        self.gaps: list[Gap] = []
        self._waiting: dict[int, RawBatch] = {}
        self._hole_since: float | None = None
        self._clock = clock
        self._last_t: float | None = None

    @property
    def highest(self) -> int:
        """The highest sequence number seen (processed or waiting)."""
        return max(self._waiting, default=self.next_seq - 1)

    @property
    def last_t(self) -> float | None:
        """Stream time of the last sample released in order."""
        return self._last_t

    @property
    def lost_batches(self) -> int:
        return sum(g.batches for g in self.gaps)

    def push(self, batch: RawBatch) -> list[RawBatch]:
        """The batches now in order (raises ``Invalid`` for one far beyond any gap)."""
        if batch.seq < self.next_seq or batch.seq in self._waiting:
            self.duplicates += 1
            return []
        if batch.seq > self.next_seq + MAX_REORDER_BATCHES:
            # Not a hole the gateway could fill: a stranger's number, or another session's.
            raise Invalid("out of order", f"batch {batch.seq} while expecting {self.next_seq}")
        if batch.seq > self.next_seq:
            if self._hole_since is None:
                self._hole_since = self._clock()
            self._waiting[batch.seq] = batch
            if len(self._waiting) > MAX_REORDER_BATCHES:
                return self._skip()
            return []
        out = [batch]
        self.next_seq += 1
        self.note_time(batch)
        out.extend(self._release())
        return out

    def missing(self) -> tuple[int, int] | None:
        """The first hole (first, last seq), if batches wait behind it."""
        if not self._waiting:
            return None
        return self.next_seq, min(self._waiting) - 1

    def expire(self) -> list[RawBatch]:
        """Give up on a hole waited for longer than ``RESEND_WAIT_S``; return what follows."""
        if self._hole_since is None or self._clock() - self._hole_since < RESEND_WAIT_S:
            return []
        return self._skip()

    def _skip(self) -> list[RawBatch]:
        first = min(self._waiting)
        after = self._waiting[first]
        self.gaps.append(
            Gap(
                self.next_seq,
                first - 1,
                self._last_t,
                float(after.samples.time_s[0]) if len(after.samples) else None,
            )
        )
        self.next_seq = first
        return self._release()

    def _release(self) -> list[RawBatch]:
        out = []
        while self.next_seq in self._waiting:
            out.append(self._waiting.pop(self.next_seq))
            self.next_seq += 1
        self._hole_since = self._clock() if self._waiting else None
        if out and len(out[-1].samples):
            self._last_t = float(out[-1].samples.time_s[-1])
        return out

    def note_time(self, batch: RawBatch) -> None:
        if len(batch.samples):
            self._last_t = float(batch.samples.time_s[-1])


def iso_z(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
