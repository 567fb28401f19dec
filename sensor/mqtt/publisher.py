"""The publisher: everything the service sends goes through here, and nothing is lost.

Events, state, summaries and raw samples go to the on-disk outbox before they are sent. The
caller's thread never waits on the disk: ``publish_*`` appends to a list in memory, and a
writer thread stores whatever has gathered in one transaction (a full or failing disk turns
the outbox into a memory queue, see ``sensor.mqtt.outbox``). A drainer thread hands stored
messages to paho in order, at most ``WINDOW`` unacknowledged at a time, and deletes each when
the broker acknowledges it (``on_publish`` for QoS 1, i.e. PUBACK). Retained "latest value"
messages (availability, device info, battery, discovery) are kept in memory and re-published
on every connection instead.

Order across a lost connection: paho keeps the messages it was given and resends them,
oldest first, right after the next CONNACK (paho-mqtt 2.2, ``_messages_reconnect_reset_out``
and ``_handle_connack``). The drainer hands over nothing new until those are acknowledged,
so messages cannot overtake each other. A message whose PUBACK was lost is sent twice; the
``event_id`` lets consumers drop the copy (QoS 1 is "at least once", MQTT 5.0 section 4.3.2):
it is derived from the band, the band's session and the event's sample time
(``sensor.mqtt.payloads.event_id``), so a retry, a restart or a second worker that detects
the same event gives it the same id.

What the broker refused (an MQTT 5 PUBACK reason code of 0x80 or more, e.g. "not authorized"
from an ACL), or what could never be sent (over the size limit), is counted per topic;
``report()`` turns the counters into the command's exit code (``sensor.errors.ExitCode``).
``MQTTMessageInfo.is_published()`` is not used: it misreports after a reconnect (see
shared/prototypes/mqtt/paho_proofs.out); ``on_publish`` is the truth.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt

from analysis.events import Event
from analysis.types import Samples
from sensor.errors import ExitCode
from sensor.mqtt.client import make_client
from sensor.mqtt.discovery import discovery_configs, discovery_topics
from sensor.mqtt.outbox import Kind, Outbox, Pending
from sensor.mqtt.payloads import (
    OFFLINE,
    ONLINE,
    BandInfo,
    LiveState,
    cue_payload,
    encode,
    event_id,
    event_payload,
    iso_utc,
    now_utc,
    raw_payload,
)
from sensor.mqtt.settings import BrokerSettings
from sensor.mqtt.topics import Topics

if TYPE_CHECKING:  # a cue is only read here; the program code loads SciPy
    from analysis.program import Cue

log = logging.getLogger(__name__)

#: Unacknowledged outbox messages handed to paho at a time: below paho's default
#: ``max_inflight_messages`` (20) and Mosquitto's default Receive Maximum (20), so neither
#: side has to queue them.
WINDOW = 16
#: Sample times are floats: 8.1 - 7.1 is a hair under 1.0. A microsecond is far below any
#: sensor's sample period.
_TIME_EPS_S = 1e-6
#: A message that is the oldest unacknowledged one when the connection drops this many times
#: in a row is taken to be the cause (a broker limit: Mosquitto's ``message_size_limit``
#: makes it drop an MQTT 5 client over one message, and paho resends that message first on
#: every reconnect, so everything behind it would stall for ever). It is dropped and counted
#: as refused. Five: a flaky network does not lose the same message's PUBACK five times
#: running, each after a fresh CONNACK.
POISON_DISCONNECTS = 5
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 10
#: Home Assistant says ``online`` on ``<prefix>/status`` when it starts; anyone on the broker
#: can say it too. Discovery is announced again at most once per this many seconds (one
#: announcement right away, one more at the end of the interval if more ``online`` came), so
#: a burst of 100 costs two announcements, not 100.
DISCOVERY_MIN_INTERVAL_S = 10.0
#: At most one warning per this many seconds about refused messages.
REFUSED_LOG_S = 60.0
#: Topics named in the report of refused messages (the counts cover every topic).
REFUSED_TOPICS_NAMED = 3


@dataclass(frozen=True)
class DeliveryReport:
    """What happened to everything a publisher was given, for the command's exit code.

    ``pending`` messages wait in the outbox file for the next start; ``lost`` were in the
    memory queue (the disk refused them) when the process stopped; ``refused`` the broker
    would not take (or they were over the size limit), per topic in ``refused_topics``.
    """

    delivered: int
    pending: int
    lost: int
    refused: int
    refused_topics: tuple[tuple[str, int], ...]
    degraded: str | None
    reached: bool

    @property
    def exit_code(self) -> ExitCode:
        """The most serious outcome: memory queue > refused > waiting > all delivered."""
        if self.degraded is not None:
            return ExitCode.OUTBOX_IN_MEMORY
        if self.refused:
            return ExitCode.REFUSED
        if self.pending:
            return ExitCode.UNDELIVERED
        return ExitCode.OK

    def tell(self, prog: str) -> ExitCode:
        """Log each problem as an error naming ``prog``; return the exit code."""
        for line in self.problems():
            log.error("%s: %s", prog, line)
        return self.exit_code

    def problems(self) -> list[str]:
        """One line per problem, for the user (empty when everything was delivered)."""
        out = []
        if self.refused:
            named = ", ".join(f"{topic} ({n})" for topic, n in self.refused_topics)
            out.append(f"the broker refused {self.refused} messages: {named}")
        if self.degraded is not None:
            out.append(
                f"the outbox could not write to disk ({self.degraded}); messages were queued "
                f"in memory, and {self.lost} not yet delivered are lost"
            )
        return out


class Publisher:
    """Publishes a session's bands, events and state to one broker.

    Thread-safe: every ``publish_*`` method only stores (memory or the outbox file) and
    returns; paho's network thread and the drainer thread do the sending. ``start`` and
    ``stop`` block (``stop`` up to its timeout), so call them with ``asyncio.to_thread`` from
    a running event loop.

    Parameters
    ----------
    settings
        Broker, topic and outbox settings (credentials already merged from the environment,
        see ``BrokerSettings.with_environment``).
    session_id
        Prefix of this session's event ids; random by default.
    clock
        Wall clock for messages that have no stream time (battery, summaries).
    service_name
        ``None`` for the service (availability and last will on ``<base>/status``); a name
        for another publisher on the same base topic, such as ``replay``, whose availability
        goes to ``<base>/status/<name>`` so that it never flips the live service's.
    """

    def __init__(
        self,
        settings: BrokerSettings,
        *,
        session_id: str | None = None,
        clock: Callable[[], datetime] = now_utc,
        service_name: str | None = None,
        outbox_kept: bool = True,
    ) -> None:
        self.settings = settings
        # False: the outbox is thrown away after ``stop`` (the demo's temporary one), so what
        # is left in it is lost, not waiting for the next start.
        self._outbox_kept = outbox_kept
        self.topics = Topics(settings.base_topic, settings.discovery_prefix, service_name)
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self._clock = clock
        self._outbox: Outbox | None = None
        self._lock = threading.RLock()
        self._seq = 0
        self._bands: dict[str, BandInfo] = {}
        self._states: dict[str, LiveState] = {}
        self._last_state_t: dict[str, float] = {}
        self._raw_seq: dict[str, int] = {}
        #: Called with (band id, sequence number, last sample's time, payload) for every raw
        #: batch published: the gateway keeps them to send again.
        self.on_raw: Callable[[str, int, float, bytes], None] | None = None
        #: Bands whose availability is ours to publish (not a worker's registered bands).
        self._announced: set[str] = set()
        self._retained: dict[str, bytes] = {}
        #: Bands whose discovery was withdrawn (``withdraw_discovery``).
        self._withdrawn: set[str] = set()
        self._enqueued = {k: 0 for k in Kind}
        self._drops = 0
        # Writer state, guarded by _writer_cv: messages the caller gave that are not stored
        # yet (``_writing`` of them are being stored right now).
        self._writer_cv = threading.Condition()
        self._incoming: list[Pending] = []
        self._writing = 0
        self._stop_writer = False
        self._writer: threading.Thread | None = None
        self._said_degraded = False
        # Discovery re-announcement throttle, guarded by _lock.
        self._announced_at: float | None = None
        self._announce_again: threading.Timer | None = None
        # Drainer state, guarded by _cv.
        self._cv = threading.Condition()
        self._connected = False
        self._hold = False
        self._stop_drainer = False
        self._need_fallback = False
        self._suspect_row: int | None = None
        self._suspect_count = 0
        self._poison_row: int | None = None
        self._last_sent = 0
        self._drainer: threading.Thread | None = None
        # mid bookkeeping, guarded by _mid_lock (never held while calling paho: paho calls
        # on_publish while holding its own message lock).
        self._mid_lock = threading.Lock()
        self._inflight: dict[int, int] = {}
        self._inflight_topic: dict[int, str] = {}
        self._direct: dict[int, str] = {}
        self._early: dict[int, Any] = {}
        self._delivered = 0
        self._refused = 0
        self._refused_topics: Counter[str] = Counter()
        self._refused_said_at: float | None = None
        self._connects = 0
        self._disconnects = 0
        self._last_error: str | None = None
        self._protocol = mqtt.MQTTv311 if settings.protocol == "3.1.1" else mqtt.MQTTv5
        self._client_answered = False
        self._client: mqtt.Client | None = None
        self._stopping = False
        self._final_counters: dict[str, int] = {}
        self._final_degraded: str | None = None
        self._final_in_memory = 0

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Open the outbox and start connecting (in the background; the broker may be down).

        Raises
        ------
        BrokerError
            For unusable TLS files.
        OutboxError
            When the outbox cannot be opened or another process holds it.
        """
        self.settings.check_files()
        s = self.settings
        self._outbox = Outbox(s.effective_outbox_path, s.outbox_max_messages)
        self._check_degraded()
        self._start_client()
        self._writer = threading.Thread(target=self._write, name="mqtt-outbox-writer", daemon=True)
        self._writer.start()
        self._drainer = threading.Thread(target=self._drain, name="mqtt-outbox", daemon=True)
        self._drainer.start()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Flush the outbox (up to ``timeout_s``), publish ``offline``, disconnect.

        Returns
        -------
        bool
            True if every message reached the broker; otherwise the rest waits in the outbox
            file for the next start with the same client id.
        """
        drained = self.wait_drained(timeout_s)
        self._stopping = True
        with self._lock:
            for band_id in self._announced:
                self._retained[self.topics.band_status(band_id)] = OFFLINE
            offline = [(self.topics.band_status(b), OFFLINE) for b in self._announced]
        offline.append((self.topics.service_status, OFFLINE))
        client = self._client
        if client is not None and self._connected:
            mids = [self._publish_direct(topic, payload) for topic, payload in offline]
            self._wait_direct([m for m in mids if m is not None], min(2.0, timeout_s))
        with self._lock:
            if self._announce_again is not None:
                self._announce_again.cancel()
        # What the writer still holds goes to the outbox file for the next start.
        with self._writer_cv:
            self._stop_writer = True
            self._writer_cv.notify_all()
        if self._writer is not None:
            self._writer.join(10.0)
        with self._cv:
            self._stop_drainer = True
            self._cv.notify_all()
        if self._drainer is not None:
            self._drainer.join(5.0)
        if client is not None:
            client.disconnect()
            client.loop_stop()
        if self._outbox is not None:
            pending = len(self._outbox)
            degraded = self._outbox.degraded
            self._final_in_memory = self._outbox.in_memory
            if self._final_in_memory:
                log.error(
                    "%d messages were not delivered to %s and are lost: the outbox could not "
                    "write them to disk",
                    self._final_in_memory,
                    self.settings.broker,
                )
                pending -= self._final_in_memory
            if pending and self._outbox_kept:
                log.warning(
                    "%d messages wait in the outbox %s for the next start",
                    pending,
                    self._outbox.path,
                )
            elif pending:
                log.warning("%d messages were not delivered to %s", pending, self.settings.broker)
            self._final_counters = {"pending": pending, **self._outbox.counters()}
            self._final_degraded = degraded
            self._outbox.close()
            self._outbox = None
        return drained

    def report(self) -> DeliveryReport:
        """What became of every message (after ``stop``: final)."""
        c = self.counters()
        with self._mid_lock:
            named = tuple(self._refused_topics.most_common(REFUSED_TOPICS_NAMED))
        outbox = self._outbox
        degraded = outbox.degraded if outbox is not None else self._final_degraded
        pending = int(c["pending"])
        lost = outbox.in_memory if outbox is not None else self._final_in_memory
        if not self._outbox_kept:
            lost = pending
        return DeliveryReport(
            delivered=int(c["delivered"]),
            pending=pending,
            lost=lost,
            refused=int(c["refused"]),
            refused_topics=named,
            degraded=degraded,
            reached=int(c["connects"]) > 0,
        )

    def wait_stored(self, timeout_s: float) -> bool:
        """Wait until everything given so far is in the outbox (on disk unless degraded)."""
        deadline = time.monotonic() + timeout_s
        with self._writer_cv:
            while self._incoming or self._writing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._writer_cv.wait(min(left, 0.05))
        return True

    def wait_drained(self, timeout_s: float) -> bool:
        """Wait until the outbox is empty and nothing is in flight, or the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while True:
                if self._outbox is None or (
                    len(self._outbox) == 0
                    and not self._inflight
                    and not self._incoming
                    and not self._writing
                ):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(min(left, 0.1))

    # ------------------------------------------------------------------ what callers publish
    def band_online(self, band: BandInfo) -> None:
        """A band connected: device info, discovery (if on), then ``online`` (retained)."""
        with self._lock:
            self._bands[band.band_id] = band
            self._announced.add(band.band_id)
            self._states.setdefault(band.band_id, LiveState())
            self._withdrawn.discard(band.band_id)
        self.publish_device_info(band)
        if self.settings.discovery:
            self._announce(band)
        self._set_status(band.band_id, ONLINE)

    def band_offline(self, band_id: str) -> None:
        """A band disconnected (or the session ended): ``offline``, retained."""
        self._set_status(band_id, OFFLINE)

    def _set_status(self, band_id: str, status: bytes) -> None:
        """A band's ``online``/``offline``, in order with its states and events.

        Through the outbox: sent straight to the broker, ``offline`` would overtake the
        session's last states still queued there, which a dashboard then takes for a band
        that is gone (Home Assistant shows them as unavailable), and a band back at once
        could end ``offline``. Kept for reconnects too, which send the latest retained
        values first.
        """
        topic = self.topics.band_status(band_id)
        with self._lock:
            self._retained[topic] = status
        self._put(Kind.EVENT, topic, status, retain=True)

    def publish_device_info(self, band: BandInfo) -> None:
        """Device info (name, address, model, firmware, placement, start), retained."""
        with self._lock:
            self._bands[band.band_id] = band
        self._set_retained(self.topics.device(band.band_id), encode(band.to_dict()))

    def publish_battery(self, band_id: str, battery_pct: float) -> None:
        """Battery level in per cent, retained."""
        with self._lock:
            self._state(band_id).battery_pct = battery_pct
        payload = {"band": band_id, "battery_pct": battery_pct, "time": iso_utc(self._clock())}
        self._set_retained(self.topics.battery(band_id), encode(payload))

    def publish_event(self, band_id: str, event: Event, when: datetime | None = None) -> str:
        """Queue one detection event (QoS 1, not retained); return its ``event_id``.

        ``when`` is the event's wall-clock time; by default the band's ``started`` plus
        ``event.t``.
        """
        with self._lock:
            band = self._band(band_id)
            self._seq += 1
            ident = event_id(band_id, band.started, event)
            when = when or band.wall_time(event.t)
            payload = event_payload(band_id, event, event_id=ident, seq=self._seq, when=when)
            self._state(band_id).add_event(event)
            self._put(Kind.EVENT, self.topics.event(band_id, event.type), encode(payload))
        self.tick(band_id, event.detected_at)
        return ident

    def publish_cue(self, band_id: str, cue: Cue) -> None:
        """Queue a coaching cue (QoS 1, not retained) on ``<base>/<band>/cue``.

        Its ``time`` is when the situation arose: the band's ``started`` plus ``cue.t``.
        """
        with self._lock:
            band = self._band(band_id)
            payload = cue_payload(band_id, cue, when=band.wall_time(cue.t))
            self._put(Kind.EVENT, self.topics.cue(band_id), encode(payload))

    def set_program(self, band_id: str, progress: dict[str, Any] | None) -> None:
        """Where the wearer is in the program followed: part of the next live state."""
        with self._lock:
            self._state(band_id).program = progress

    def publish_hr(
        self, band_id: str, t: float, hr_bpm: float, rr_ms: list[float] | None = None
    ) -> None:
        """A heart-rate reading (and RR intervals in ms) at stream time ``t``: goes into state."""
        with self._lock:
            self._state(band_id).add_hr(t, hr_bpm, rr_ms)
        self.tick(band_id, t)

    def tick(self, band_id: str, t: float, *, force: bool = False) -> None:
        """Stream time ``t`` has been reached: publish the live state if it is due.

        State goes out at most every ``state_interval_s`` of stream time; call this once per
        chunk so the state (cadence falling to 0, say) moves when no event comes.
        """
        with self._lock:
            last = self._last_state_t.get(band_id)
            if last is not None and (
                t == last or (not force and t - last < self.settings.state_interval_s - _TIME_EPS_S)
            ):
                return
            band = self._band(band_id)
            self._last_state_t[band_id] = t
            state = self._state(band_id)
            body = {
                "band": band_id,
                "time": iso_utc(band.wall_time(t)),
                **state.snapshot(t),
            }
            if state.battery_pct is not None:
                body["battery_pct"] = state.battery_pct
            self._put(Kind.STATE, self.topics.state(band_id), encode(body))

    def publish_summary(self, band_id: str, summary: Mapping[str, Any]) -> None:
        """A session summary (QoS 1, retained: the last session stays readable)."""
        body = {"band": band_id, "time": iso_utc(self._clock()), "session": self.session_id}
        body.update(summary)
        with self._lock:
            self._put(Kind.EVENT, self.topics.summary(band_id), encode(body), retain=True)

    def publish_raw(
        self, band_id: str, chunk: Samples, when: datetime | None = None
    ) -> tuple[int, bytes] | None:
        """One notification's samples on ``<base>/<band>/raw``, if ``raw`` is on.

        Returns the batch's sequence number (1, 2, ... per band) and payload, or ``None``
        when nothing was published.
        """
        if not self.settings.raw or len(chunk) == 0:
            return None
        with self._lock:
            band = self._band(band_id)
            seq = self._raw_seq[band_id] = self._raw_seq.get(band_id, 0) + 1
            when = when or band.wall_time(float(chunk.time_s[0]))
            payload = encode(raw_payload(band_id, chunk, when, seq))
            self._put(Kind.RAW, self.topics.raw(band_id), payload)
        if self.on_raw is not None:
            self.on_raw(band_id, seq, float(chunk.time_s[-1]), payload)
        return seq, payload

    def register_band(self, band: BandInfo) -> None:
        """Know a band (for event times and state) without announcing it: a worker's bands,
        whose availability, device info and discovery are the gateway's."""
        with self._lock:
            self._bands[band.band_id] = band
            self._states.setdefault(band.band_id, LiveState())

    def publish_control(self, topic: str, payload: bytes) -> None:
        """A scale-out control message, queued behind what was published before it."""
        with self._lock:
            self._put(Kind.EVENT, topic, payload)

    def publish_gap(
        self, band_id: str, from_t: float | None, to_t: float | None, batches: int
    ) -> None:
        """Say that raw batches of a band never arrived (``<base>/<band>/event/data_gap``)."""
        body: dict[str, Any] = {
            "type": "data_gap",
            "band": band_id,
            "t": from_t,
            "to_t": to_t,
            "batches": batches,
            "time": iso_utc(self._clock()),
        }
        with self._lock:
            self._put(Kind.EVENT, self.topics.event(band_id, "data_gap"), encode(body))

    def state(self, band_id: str) -> dict[str, Any]:
        """The live state of a band now (for a status line)."""
        with self._lock:
            return self._state(band_id).snapshot(self._last_state_t.get(band_id, 0.0))

    def counters(self) -> dict[str, Any]:
        """Queue and connection counters (for logs, the status line and tests)."""
        with self._lock, self._mid_lock:
            out: dict[str, Any] = {
                "connected": self._connected,
                "connects": self._connects,
                "disconnects": self._disconnects,
                "enqueued_events": self._enqueued[Kind.EVENT],
                "enqueued_state": self._enqueued[Kind.STATE],
                "enqueued_raw": self._enqueued[Kind.RAW],
                "delivered": self._delivered,
                "refused": self._refused,
                "in_flight": len(self._inflight),
                "pending": (len(self._outbox) if self._outbox is not None else 0)
                + len(self._incoming)
                + self._writing,
                "outbox_in_memory": self._outbox is not None and self._outbox.degraded is not None,
                **self._final_counters,
                "last_error": self._last_error,
                "protocol": "5" if self._protocol == mqtt.MQTTv5 else "3.1.1",
            }
        if self._outbox is not None:
            out.update(self._outbox.counters())
        return out

    # ------------------------------------------------------------------ internals
    def _band(self, band_id: str) -> BandInfo:
        band = self._bands.get(band_id)
        if band is None:
            raise KeyError(f"band {band_id!r} was not announced with band_online")
        return band

    def _state(self, band_id: str) -> LiveState:
        return self._states.setdefault(band_id, LiveState())

    def _put(self, kind: Kind, topic: str, payload: bytes, retain: bool = False) -> None:
        """Hand a message to the writer thread: no disk access in the caller's thread."""
        if self._outbox is None:
            raise RuntimeError("Publisher.start() was not called")
        with self._writer_cv:
            self._incoming.append(Pending(kind, topic, payload, 1, retain))
            self._enqueued[kind] += 1
            self._writer_cv.notify_all()

    # writer thread -----------------------------------------------------------------
    def _write(self) -> None:
        """Store what callers gave, in batches, then wake the drainer."""
        outbox = self._outbox
        assert outbox is not None
        while True:
            with self._writer_cv:
                while not self._incoming and not self._stop_writer:
                    self._writer_cv.wait()
                batch, self._incoming = self._incoming, []
                self._writing = len(batch)
                stopping = self._stop_writer
            if batch:
                outbox.put_many(batch)
                dropped = outbox.last_dropped
                if dropped is not None:
                    before, self._drops = self._drops, sum(outbox.counters().values())
                    # The first drop and then every 1000th, so a long outage does not flood
                    # the log.
                    if before == 0 or before // 1000 != self._drops // 1000:
                        log.warning(
                            "outbox full (%d messages): dropping the oldest %s messages; %s",
                            outbox.max_messages,
                            dropped.name.lower(),
                            {k: v for k, v in outbox.counters().items() if v},
                        )
                self._check_degraded()
            with self._writer_cv:
                self._writing = 0
                self._writer_cv.notify_all()
            with self._cv:
                self._cv.notify_all()
            if stopping and not batch:
                return

    def _check_degraded(self) -> None:
        outbox = self._outbox
        if outbox is None or outbox.degraded is None or self._said_degraded:
            return
        self._said_degraded = True
        log.error(
            "OUTBOX ON DISK FAILED: %s. Messages are now queued in memory only (at most %d); "
            "what the broker has not taken when this process ends is lost. Free the disk or "
            "set broker.outbox_path to a writable place, then restart.",
            outbox.degraded,
            outbox.max_messages,
        )

    def withdraw_discovery(self, band_id: str) -> None:
        """Remove a band's Home Assistant entities: an empty retained message on each of its
        discovery topics, and no announcement again (when Home Assistant restarts, say)."""
        with self._lock:
            self._withdrawn.add(band_id)
        for topic in discovery_topics(self.topics, band_id):
            self._set_retained(topic, b"")

    def _announce(self, band: BandInfo) -> None:
        with self._lock:
            if band.band_id in self._withdrawn:
                return
        for topic, config in discovery_configs(self.topics, band):
            self._set_retained(topic, encode(config))

    def _set_retained(self, topic: str, payload: bytes) -> None:
        with self._lock:
            self._retained[topic] = payload
        if self._connected:
            self._publish_direct(topic, payload)

    def _publish_direct(self, topic: str, payload: bytes) -> int | None:
        client = self._client
        if client is None:
            return None
        try:
            info = client.publish(topic, payload, qos=1, retain=True)
        except ValueError as err:  # over the MQTT maximum: it can never be sent
            self._count_refused(topic, f"cannot publish: {err}")
            return None
        with self._mid_lock:
            if info.mid in self._early:
                reason = self._early.pop(info.mid)
            else:
                self._direct[info.mid] = topic
                return int(info.mid)
        self._check_reason(topic, reason)
        return None

    def _check_reason(self, topic: str, reason: Any) -> bool:
        """Count a PUBACK that says no; True if the broker took the message."""
        if reason is not None and getattr(reason, "is_failure", False):
            # The broker said no (MQTT 5 PUBACK reason >= 0x80, e.g. not authorised):
            # resending would not change its mind.
            self._count_refused(topic, f"broker refused a message on {topic}: {reason}")
            return False
        return True

    def _count_refused(self, topic: str, why: str) -> None:
        now = time.monotonic()
        with self._mid_lock:
            self._refused += 1
            self._refused_topics[topic] += 1
            n = self._refused
            due = self._refused_said_at is None or now - self._refused_said_at >= REFUSED_LOG_S
            if due:
                self._refused_said_at = now
        self._last_error = why
        # The first, then at most one line per REFUSED_LOG_S: a read-only ACL refuses every
        # message, and the log must stay readable. ``report()`` names the topics at the end.
        if due:
            log.warning("%s (%d refused so far)", why, n)

    def _wait_direct(self, mids: list[int], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._mid_lock:
                if not any(m in self._direct for m in mids):
                    return
            time.sleep(0.01)

    def _make_client(self) -> mqtt.Client:
        client = make_client(
            self.settings, self.settings.effective_client_id, protocol=self._protocol
        )
        client.on_log = self._on_log
        client.will_set(self.topics.service_status, OFFLINE, qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_connect_fail = self._on_connect_fail
        return client

    def _start_client(self) -> None:
        url = self.settings.broker
        self._client_answered = False
        self._client = self._make_client()
        self._client.connect_async(url.host, url.port, keepalive=round(self.settings.keepalive_s))
        self._client.loop_start()
        log.info(
            "connecting to %s as %s (MQTT %s)",
            url,
            self.settings.effective_client_id,
            "5" if self._protocol == mqtt.MQTTv5 else "3.1.1",
        )

    def _fallback_to_311(self) -> None:
        old = self._client
        self._protocol = mqtt.MQTTv311
        log.info("the broker closed an MQTT 5 connection unanswered: using MQTT 3.1.1")
        if old is not None:
            old.loop_stop()
        self._start_client()

    def _drop_poison(self, row: int) -> None:
        """Drop the message the broker keeps hanging up over, and start a fresh client.

        paho would resend it first on every reconnect, so the client (and paho's queue) is
        replaced; the messages after it are read again from the outbox, in order.
        """
        old = self._client
        if old is not None:
            old.loop_stop()
        assert self._outbox is not None
        lost = self._outbox.after(row - 1, 1)
        what = f"{lost[0].topic} ({len(lost[0].payload)} bytes)" if lost else f"row {row}"
        self._outbox.delete(row)
        self._count_refused(
            lost[0].topic if lost else "?",
            f"the broker dropped the connection over one message {POISON_DISCONNECTS} times: "
            f"{what}",
        )
        log.error("%s; that message is dropped", self._last_error)
        with self._mid_lock:
            self._inflight.clear()
            self._inflight_topic.clear()
            self._early.clear()
            self._direct.clear()
        with self._cv:
            self._last_sent = row
            self._hold = False
            self._suspect_row, self._suspect_count = None, 0
        self._start_client()

    # paho callbacks (paho's network thread) --------------------------------------
    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        # A CONNACK, even a refusal, shows the broker speaks our protocol version.
        self._client_answered = True
        if reason.is_failure:
            self._last_error = f"broker refused the connection: {reason}"
            log.warning("%s: %s", self.settings.broker, self._last_error)
            return
        self._connects += 1
        log.info("connected to %s", self.settings.broker)
        if self.settings.discovery:
            client.subscribe(self.topics.ha_status, qos=1)
        with self._cv:
            self._connected = True
        self._publish_direct(self.topics.service_status, ONLINE)
        with self._lock:
            retained = list(self._retained.items())
        for topic, payload in retained:
            self._publish_direct(topic, payload)
        with self._cv:
            self._cv.notify_all()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        with self._cv:
            was = self._connected
            self._connected = False
            self._hold = True
            if (
                not was
                and not self._client_answered
                and self.settings.protocol == "auto"
                and self._protocol == mqtt.MQTTv5
            ):
                self._need_fallback = True
            self._cv.notify_all()
        if was and not self._stopping:
            with self._mid_lock:
                oldest = min(self._inflight.values(), default=None)
            with self._cv:
                if oldest is not None and oldest == self._suspect_row:
                    self._suspect_count += 1
                else:
                    self._suspect_row, self._suspect_count = oldest, 1
                if oldest is not None and self._suspect_count >= POISON_DISCONNECTS:
                    self._poison_row = oldest
                    self._cv.notify_all()
        if was and not self._stopping:
            self._disconnects += 1
            self._last_error = f"connection lost: {reason}"
            log.warning("lost %s (%s); events wait in the outbox", self.settings.broker, reason)

    def _on_log(self, client: mqtt.Client, userdata: Any, level: int, text: str) -> None:
        # paho 2.2 logs "Client is not connected" at error level whenever its loop runs
        # without a socket (between retries, after our own disconnect): that is our
        # "reconnecting" state, not an error. Everything else of paho's stays at debug.
        if level == mqtt.MQTT_LOG_ERR and not text.startswith("Client is not connected"):
            log.warning("paho: %s", text)
        else:
            log.debug("paho: %s", text)

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._last_error = "cannot connect"
        log.debug("cannot reach %s; retrying", self.settings.broker)

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        direct: str | None = None
        with self._mid_lock:
            row = self._inflight.pop(mid, None)
            topic = self._inflight_topic.pop(mid, "")
            if row is None:
                direct = self._direct.pop(mid, None)
                if direct is None:
                    self._early[mid] = reason
        if row is not None:
            self._acknowledged(row, topic, reason)
        elif direct is not None:
            self._check_reason(direct, reason)

    def _acknowledged(self, row: int, topic: str, reason: Any) -> None:
        if self._check_reason(topic, reason):
            with self._mid_lock:
                self._delivered += 1
        assert self._outbox is not None
        self._outbox.delete(row)
        with self._cv:
            self._cv.notify_all()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic == self.topics.ha_status and message.payload == ONLINE:
            self._reannounce()

    def _reannounce(self, *, trailing: bool = False) -> None:
        """Announce discovery again, at most once per ``DISCOVERY_MIN_INTERVAL_S``."""
        now = time.monotonic()
        with self._lock:
            if trailing:
                self._announce_again = None
            last = self._announced_at
            if not trailing and last is not None and now - last < DISCOVERY_MIN_INTERVAL_S:
                # Within the interval: one more announcement at its end covers every
                # ``online`` that arrives until then.
                if self._announce_again is None and not self._stopping:
                    timer = threading.Timer(
                        DISCOVERY_MIN_INTERVAL_S - (now - last),
                        self._reannounce,
                        kwargs={"trailing": True},
                    )
                    timer.daemon = True
                    self._announce_again = timer
                    timer.start()
                return
            self._announced_at = now
            bands = [b for b in self._bands.values() if b.band_id in self._announced]
        log.info("Home Assistant came online: announcing discovery again")
        for band in bands:
            self._announce(band)

    # drainer thread ----------------------------------------------------------------
    def _drain(self) -> None:
        assert self._outbox is not None
        while True:
            with self._cv:
                rows = []
                while True:
                    if self._stop_drainer:
                        return
                    if self._need_fallback or self._poison_row is not None:
                        break
                    if self._connected:
                        with self._mid_lock:
                            n_inflight = len(self._inflight)
                        if self._hold and n_inflight == 0:
                            self._hold = False
                        if not self._hold and n_inflight < WINDOW:
                            rows = self._outbox.after(self._last_sent, WINDOW - n_inflight)
                            if rows:
                                break
                    self._cv.wait(0.5)
                fallback, self._need_fallback = self._need_fallback, False
                poison, self._poison_row = self._poison_row, None
            if poison is not None:
                self._drop_poison(poison)
                continue
            if fallback:
                self._fallback_to_311()
                continue
            client = self._client
            assert client is not None
            for row in rows:
                if not self._connected:
                    break
                try:
                    info = client.publish(row.topic, row.payload, qos=row.qos, retain=row.retain)
                except ValueError as err:  # e.g. a payload over the MQTT maximum
                    self._count_refused(row.topic, f"cannot publish on {row.topic}: {err}")
                    self._outbox.delete(row.id)
                    self._last_sent = row.id
                    continue
                with self._mid_lock:
                    acked = info.mid in self._early
                    reason = self._early.pop(info.mid, None)
                    if not acked:
                        self._inflight[info.mid] = row.id
                        self._inflight_topic[info.mid] = row.topic
                self._last_sent = row.id
                if acked:
                    self._acknowledged(row.id, row.topic, reason)
