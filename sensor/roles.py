"""Scale-out: a gateway next to the bands, workers elsewhere running the detectors.

``retrosense run --role gateway`` connects the bands, records them and publishes their raw
samples (body frame, ``<base>/<band>/raw``, QoS 1, numbered per band session) but runs no
detector. ``retrosense run --role worker`` connects no band: it takes bands from the
gateway over MQTT and publishes their events and live state; the gateway, which owns the
band session, publishes its summary. The messages and their checks are in
``sensor.mqtt.control``.

**Assignment.** The gateway offers each band on ``<base>/<band>/offer``; workers read offers
through an MQTT v5 shared subscription, ``$share/<group>/<base>/+/offer``, so the broker
hands each offer to one worker of the group (MQTT 5.0, section 4.8.2). That worker claims the
band with the offer's epoch; the gateway grants the first claim of the current epoch with a
lease (``<base>/<band>/lease``, retained), which the worker keeps by a heartbeat every
``HEARTBEAT_S`` that the gateway answers. The lease is a fencing token: a worker publishes
for a band only while its lease is valid by its own clock, the gateway offers the band again
(with a higher epoch) only after the lease has run out there too, and a worker that sees a
lease with another holder and a higher epoch drops the band. A hung worker (SIGSTOP) is
noticed after ``LEASE_S``; a dead one's last will does not shorten that, since its
publisher (a separate connection) might still be sending.

**Nothing lost between gateway and worker.** Raw batches carry a sequence number. The
gateway keeps the last ``REPLAY_BUFFER_S`` of each band's batches in memory; a worker puts
batches in order, asks the gateway to send a hole again (``<base>/<band>/resend``), and after
``RESEND_WAIT_S`` counts what is still missing as lost and says so (a ``data_gap`` event
and the summary's ``raw_batches_lost``). A worker taking a band over starts
``TAKEOVER_OVERLAP_S`` before the batch its predecessor last reported done, so events the
old one found but may not have delivered are found again, with the same event ids
(``sensor.mqtt.payloads.event_id``), and consumers drop the copies.

**End of a band session.** After the band's last batch the gateway publishes
``<base>/<band>/end`` with that batch's number; the worker processes up to it, flushes the
detectors and answers ``<base>/<band>/done`` behind its last events. The gateway makes the
one summary of the band session from every event published for it (all workers, copies
dropped by id) and its own heart-rate readings and times, as ``--role all`` does.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from analysis.events import Event, event_from_dict
from analysis.program import Cue
from analysis.types import Samples, StreamInfo
from sensor.identity import is_valid_band_id
from sensor.mqtt.client import make_client
from sensor.mqtt.control import (
    HEARTBEAT_S,
    LEASE_GRACE_S,
    LEASE_S,
    MAX_CONTROL_BYTES,
    REPLAY_BUFFER_BATCHES,
    REPLAY_BUFFER_BYTES,
    REPLAY_BUFFER_S,
    RESEND_WAIT_S,
    TAKEOVER_OVERLAP_S,
    UNDELIVERED_TAIL_S,
    DropCounter,
    Invalid,
    Lease,
    Offer,
    RawBatch,
    Renewal,
    SeqMark,
    SeqOrder,
    json_object,
    parse_claim,
    parse_heartbeat,
    parse_lease,
    parse_offer,
    parse_raw,
    parse_renewal,
    parse_seq_mark,
    worker_id_ok,
)
from sensor.mqtt.payloads import BandInfo
from sensor.mqtt.topics import Topics
from sensor.session import MqttSink, Session, SessionSettings, SessionSink

if TYPE_CHECKING:
    from sensor.ble.items import LinkStatus
    from sensor.mqtt.publisher import Publisher
    from sensor.mqtt.settings import BrokerSettings

log = logging.getLogger(__name__)

#: How often the gateway offers a band no worker holds: well above the time a worker takes
#: to answer an offer with its claim (milliseconds, seconds on a loaded host).
OFFER_INTERVAL_S = 3.0
DEFAULT_GROUP = "retrosense"
#: Resent batches go out in bursts of this many per band, ``RESEND_PAUSE_S`` apart: at most
#: 5000 batches a second per band, a pace one worker takes and the broker's queue for it holds
#: (Mosquitto's ``max_queued_messages``, 1000 by default, 100,000 in
#: config/mosquitto/mosquitto.conf).
RESEND_BURST = 100
RESEND_PAUSE_S = 0.02
#: The gateway waits this long for a worker's ``done`` after a band's end.
DONE_WAIT_S = 30.0
#: The gateway checks leases and offers this often (a lease runs out within this of its
#: time); a worker looks for stale holes as often.
TICK_S = 0.25
#: Raw batches a worker queues for its detectors; beyond, it drops and asks again.
MAX_INBOX_BATCHES = 50_000


def default_worker_id() -> str:
    """Host name and a random suffix: unique per process."""
    host = "".join(c if c.isalnum() else "-" for c in socket.gethostname()) or "host"
    return f"{host}-{uuid.uuid4().hex[:6]}"


def samples_from_raw(payload: dict[str, Any]) -> Samples:
    """A raw payload (``sensor.mqtt.payloads.raw_payload``) back to a body-frame chunk.

    Raises ``sensor.mqtt.control.Invalid`` for anything but a well-formed batch.
    """
    band = payload.get("band")
    if not isinstance(band, str):
        raise Invalid("wrong type", "band")
    body = dict(payload)
    body.setdefault("seq", 1)
    return parse_raw(band, json.dumps(body).encode()).samples


def _split(topic: str, base: str) -> list[str]:
    """The levels after ``<base>/``."""
    return topic[len(base) + 1 :].split("/") if topic.startswith(base + "/") else []


# ====================================================================================== gateway
@dataclass
class _Band:
    """The gateway's view of one band session."""

    band: BandInfo
    info: StreamInfo
    epoch: int = 0
    holder: str | None = None
    #: ``time.monotonic()`` of the holder's last renewal (or the grant).
    renewed_at: float = 0.0
    #: Last batch the holder (of any epoch) reported processed, and its stream time.
    done_seq: int = 0
    offered_at: float | None = None
    #: (seq, stream time of its last sample, payload), oldest first.
    buffer: deque[tuple[int, float, bytes]] = field(default_factory=deque)
    buffer_bytes: int = 0
    last_seq: int = 0
    ended: bool = False
    done: SeqMark | None = None
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    parts: list[dict[str, Any]] = field(default_factory=list)


class Gateway:
    """The gateway's side: offer bands, grant leases, keep raw batches to send again,
    collect every event of a band session for its summary.

    Parameters
    ----------
    settings
        Broker settings (the gateway's publisher uses the same broker).
    """

    def __init__(self, settings: BrokerSettings) -> None:
        self.topics = Topics(settings.base_topic)
        self.base = settings.base_topic
        self._settings = settings
        self._lock = threading.Lock()
        self._bands: dict[str, _Band] = {}
        self.dropped = DropCounter("gateway")
        self._client = make_client(settings, f"{settings.effective_client_id}-gateway")
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._connected = False
        #: Resend requests waiting, per band: the lowest batch asked for (requests for one
        #: band that come while one waits are one request).
        self._resends: dict[str, int] = {}
        self._resend_cv = threading.Condition()
        self._stopping = False
        self._resender = threading.Thread(target=self._resend_loop, name="resend", daemon=True)
        self._ticker = threading.Thread(target=self._tick_loop, name="leases", daemon=True)

    def start(self) -> None:
        url = self._settings.broker
        self._client.connect_async(url.host, url.port, keepalive=30)
        self._client.loop_start()
        self._resender.start()
        self._ticker.start()

    def stop(self) -> None:
        with self._resend_cv:
            self._stopping = True
            self._resend_cv.notify_all()
        self._ticker.join(5.0)
        self._client.disconnect()
        self._client.loop_stop()

    def _tick_loop(self) -> None:
        while not self._stopping:
            try:
                self.tick()
            except Exception:  # the leases must go on being checked
                log.exception("gateway: lease check failed")
            time.sleep(TICK_S)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self._connected = False

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self._connected = True
        t = self.topics
        client.subscribe(
            [
                (t.every_band("worker"), 1),
                (t.every_band("resend"), 1),
                (t.every_band("done"), 1),
                (t.every_band("event/#"), 1),
                (t.every_worker("heartbeat"), 1),
            ]
        )

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            self._dispatch(msg.topic, bytes(msg.payload))
        except Invalid as err:
            self.dropped.drop(msg.topic, err)
        except Exception:  # a bug must not stop the network thread
            log.exception("gateway: could not handle a message on %s", msg.topic)

    def _dispatch(self, topic: str, payload: bytes) -> None:
        levels = _split(topic, self.base)
        if len(levels) == 3 and levels[0] == "workers" and levels[2] == "heartbeat":
            self._heartbeat(levels[1], payload)
            return
        if len(levels) < 2:
            return
        band_id, leaf = levels[0], levels[1]
        with self._lock:
            band = self._bands.get(band_id)
        if band is None:
            return  # not ours (another gateway's, or a session that ended)
        if leaf == "worker":
            self._claim(band_id, band, payload)
        elif leaf == "resend":
            mark = parse_seq_mark(payload)
            if mark.epoch == band.epoch and mark.worker == band.holder:
                log.info(
                    "gateway: band %s: %s asks for batches from %d", band_id, mark.worker, mark.seq
                )
                with self._resend_cv:
                    asked = max(1, mark.seq)
                    self._resends[band_id] = min(asked, self._resends.get(band_id, asked))
                    self._resend_cv.notify()
        elif leaf == "done":
            mark = parse_seq_mark(payload)
            with self._lock:
                if mark.epoch == band.epoch and mark.worker == band.holder:
                    band.done = mark
        elif leaf == "event" and len(levels) >= 3:
            event = json_object(payload, MAX_CONTROL_BYTES)
            ident = event.get("event_id")
            if isinstance(ident, str) and event.get("band") == band_id:
                with self._lock:
                    band.events.setdefault(ident, event)
            elif event.get("type") == "data_gap" and event.get("band") == band_id:
                with self._lock:
                    band.events.setdefault(f"gap-{len(band.events)}", event)

    def _claim(self, band_id: str, band: _Band, payload: bytes) -> None:
        claim = parse_claim(payload)
        now = time.monotonic()
        with self._lock:
            if claim.epoch != band.epoch or band.holder is not None or band.ended:
                return  # a stale or second claim: the lease already names the holder
            band.holder = claim.worker
            band.renewed_at = now
            band.parts.append({"worker": claim.worker, "epoch": claim.epoch})
            lease = Lease(claim.worker, claim.epoch)
        self._client.publish(self.topics.lease(band_id), lease.to_payload(), qos=1, retain=True)
        log.info("gateway: band %s to worker %s (epoch %d)", band_id, claim.worker, claim.epoch)

    def _heartbeat(self, worker: str, payload: bytes) -> None:
        if not worker_id_ok(worker):
            raise Invalid("wrong type", "worker id")
        beat = parse_heartbeat(worker, payload)
        now = time.monotonic()
        granted: dict[str, int] = {}
        with self._lock:
            for band_id, (epoch, done_seq) in beat.bands.items():
                band = self._bands.get(band_id)
                if band is None or band.holder != worker or band.epoch != epoch:
                    continue
                band.renewed_at = now
                band.done_seq = max(band.done_seq, done_seq)
                granted[band_id] = epoch
        self._client.publish(
            self.topics.worker_renew(worker), Renewal(beat.stamp, granted).to_payload(), qos=1
        )

    # -------------------------------------------------------------- the service's side
    def offer(self, band: BandInfo, info: StreamInfo) -> None:
        """Make a band available to the workers (offered until a worker holds it)."""
        with self._lock:
            known = self._bands.get(band.band_id)
            if known is None:
                self._bands[band.band_id] = _Band(band, info)
            else:
                known.band, known.info = band, info
        self.tick()

    def sent(self, band_id: str, seq: int, t_end: float, payload: bytes) -> None:
        """A raw batch went into the publisher: keep it to send again."""
        with self._lock:
            band = self._bands.get(band_id)
            if band is None:
                return
            band.last_seq = seq
            buf = band.buffer
            buf.append((seq, t_end, payload))
            band.buffer_bytes += len(payload)
            while buf and (
                len(buf) > REPLAY_BUFFER_BATCHES
                or t_end - buf[0][1] > REPLAY_BUFFER_S
                or band.buffer_bytes > REPLAY_BUFFER_BYTES
            ):
                band.buffer_bytes -= len(buf.popleft()[2])

    def tick(self) -> None:
        """Expire leases not renewed in time; offer free bands at most every OFFER_INTERVAL_S.

        Nothing while cut off from the broker: offers would pile up in paho's queue, and a
        worker whose renewals stop lets go of its bands by itself.
        """
        if not self._connected:
            return
        now = time.monotonic()
        due: list[tuple[str, bytes]] = []
        revoked: list[tuple[str, bytes]] = []
        with self._lock:
            for band_id, band in self._bands.items():
                if band.ended:
                    continue
                if band.holder is not None and now - band.renewed_at > LEASE_S + LEASE_GRACE_S:
                    log.warning(
                        "gateway: worker %s did not renew its lease on band %s for %.0f s "
                        "(hung, gone or cut off): offering the band again",
                        band.holder,
                        band_id,
                        now - band.renewed_at,
                    )
                    band.holder = None
                    band.offered_at = None
                    revoked.append((band_id, Lease(None, band.epoch).to_payload()))
                if band.holder is None and (
                    band.offered_at is None or now - band.offered_at >= OFFER_INTERVAL_S
                ):
                    band.epoch += 1
                    band.offered_at = now
                    offer = Offer(
                        band_id=band_id,
                        epoch=band.epoch,
                        info=band.info,
                        started=band.band.started,
                        name=band.band.name,
                        address=band.band.address,
                        model=band.band.model,
                        resume_seq=self._resume_seq(band),
                        publish_from_t=self._publish_from_t(band),
                    )
                    due.append((band_id, offer.to_payload()))
        for band_id, payload in revoked:
            self._client.publish(self.topics.lease(band_id), payload, qos=1, retain=True)
        for band_id, payload in due:
            self._client.publish(self.topics.offer(band_id), payload, qos=1)

    @staticmethod
    def _resume_seq(band: _Band) -> int:
        """Where a new holder starts: ``TAKEOVER_OVERLAP_S`` before the last batch done."""
        if band.done_seq == 0:
            return 1
        done_t = next((t for s, t, _ in reversed(band.buffer) if s <= band.done_seq), None)
        if done_t is None:
            return band.done_seq + 1
        for seq, t, _ in band.buffer:
            if t >= done_t - TAKEOVER_OVERLAP_S:
                return seq
        return band.done_seq + 1

    @staticmethod
    def _publish_from_t(band: _Band) -> float | None:
        """Events before this were published by the earlier holder (its done point less
        ``UNDELIVERED_TAIL_S``, which the new holder publishes again)."""
        done_t = next((t for s, t, _ in reversed(band.buffer) if s <= band.done_seq), None)
        if band.done_seq == 0 or done_t is None:
            return None
        return done_t - UNDELIVERED_TAIL_S

    def end(self, band_id: str) -> SeqMark | None:
        """The band session is over: no more offers; the end mark for the publisher to send."""
        with self._lock:
            band = self._bands.get(band_id)
            if band is None:
                return None
            band.ended = True
            return SeqMark(band.epoch, band.last_seq)

    def wait_done(self, band_ids: list[str], timeout_s: float) -> list[str]:
        """Wait until the holder of every band has said ``done``; return those that did not."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                waiting = [b for b in band_ids if b in self._bands and not _done(self._bands[b])]
            if not waiting or time.monotonic() > deadline:
                return waiting
            time.sleep(0.05)

    def session_events(self, band_id: str) -> tuple[list[Event], dict[str, Any]]:
        """Every event published for the band session (copies dropped), and what the summary
        says about how it was made (workers and epochs, raw batches lost)."""
        with self._lock:
            band = self._bands.get(band_id)
            if band is None:
                return [], {}
            events = list(band.events.values())
            parts = list(band.parts)
        out: list[Event] = []
        lost = 0
        gaps = 0
        for e in events:
            if e.get("type") == "data_gap":
                gaps += 1
                batches = e.get("batches")
                lost += batches if isinstance(batches, int) else 0
                continue
            try:
                out.append(event_from_dict(e))
            except ValueError as err:
                self.dropped.drop(f"{self.base}/{band_id}/event", Invalid("not an event", str(err)))
        return out, {"parts": parts, "data_gaps": gaps, "raw_batches_lost": lost}

    def forget(self, band_id: str) -> None:
        with self._lock:
            self._bands.pop(band_id, None)
        self._client.publish(self.topics.lease(band_id), b"", qos=1, retain=True)

    def claims(self) -> dict[str, str | None]:
        with self._lock:
            return {b: band.holder for b, band in self._bands.items()}

    def _resend_loop(self) -> None:
        """Send requested batches again, the bands in turn, ``RESEND_BURST`` at a time.

        In turn, so that every band's hole fills steadily (a worker gives up on a hole that
        makes no progress for ``RESEND_WAIT_S``); in bursts, so the broker's queue for the
        worker is not flooded.
        """
        while True:
            with self._resend_cv:
                while not self._resends and not self._stopping:
                    self._resend_cv.wait()
                if self._stopping:
                    return
                todo = dict(self._resends)
            for band_id, from_seq in todo.items():
                with self._lock:
                    band = self._bands.get(band_id)
                    batch = [(s, p) for s, _, p in (band.buffer if band else ()) if s >= from_seq][
                        :RESEND_BURST
                    ]
                with self._resend_cv:
                    asked = self._resends.get(band_id)
                    if asked is not None and asked < from_seq:
                        continue  # asked again from further back meanwhile
                    if batch:
                        self._resends[band_id] = batch[-1][0] + 1
                    else:
                        self._resends.pop(band_id, None)
                topic = self.topics.raw(band_id)
                for _, payload in batch:
                    self._client.publish(topic, payload, qos=1)
            time.sleep(RESEND_PAUSE_S)


class GatewaySink(SessionSink):
    """A gateway's band: offered to the workers while it streams; forgotten once its summary
    (made from the workers' events, ``Session.adopt``) is out."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def announce(self, session: Session) -> None:
        if session.info is not None:
            self.gateway.offer(session.band, session.info)

    def finish(self, session: Session, summary: dict[str, Any] | None) -> None:
        self.gateway.forget(session.band_id)


def _done(band: _Band) -> bool:
    """Whether the band's holder said ``done`` for its last batch (or there was none)."""
    return band.last_seq == 0 or (band.done is not None and band.done.seq >= band.last_seq)


# ======================================================================================= worker
@dataclass
class _Held:
    """A band a worker holds (or has claimed)."""

    band: BandInfo
    epoch: int
    order: SeqOrder
    resume_seq: int
    granted: bool = False
    #: ``time.monotonic()`` until which the lease is valid by this worker's clock.
    valid_until: float = 0.0
    done_seq: int = 0
    end_seq: int | None = None
    #: The last resend request: the batches it covers, and when it went out.
    asked: tuple[int, int] | None = None
    asked_at: float = 0.0
    publish_from_t: float | None = None
    events: int = 0
    #: The band's ``Session`` (detectors, live state, coaching), set right after.
    session: Session | None = None


class Worker:
    """The worker's side: take offered bands, run their detectors, publish while leased.

    Parameters
    ----------
    broker
        Broker settings (credentials merged from the environment).
    settings
        Detector parameters, wearer and program for every band.
    publisher
        Where events and state go (started by the caller).
    group
        The shared-subscription group; workers of one group share the bands.
    worker_id
        This worker's id (unique per process).
    """

    def __init__(
        self,
        broker: BrokerSettings,
        settings: SessionSettings,
        publisher: Publisher,
        group: str,
        worker_id: str,
    ) -> None:
        if not worker_id_ok(worker_id):
            raise ValueError(f"worker id {worker_id!r}: letters, digits, '-', '_', '.' only")
        self.broker = broker
        self.settings = settings
        self.publisher = publisher
        self.base = broker.base_topic
        self.topics = Topics(self.base)
        self.group = group
        self.worker_id = worker_id
        self.held: dict[str, _Held] = {}
        self.finished: list[str] = []
        self.dropped = DropCounter(f"worker {worker_id}")
        self._lock = threading.RLock()
        self._client = make_client(
            broker, f"{broker.effective_client_id}-worker-{worker_id}-control"
        )
        self._client.will_set(self.topics.worker_status(worker_id), b"offline", qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._stop = threading.Event()
        self._beater = threading.Thread(target=self._beat_loop, name="heartbeat", daemon=True)
        self._inbox: deque[tuple[str, RawBatch]] = deque()
        #: Stamps of the last heartbeats: a renewal must echo one of them.
        self._stamps: deque[float] = deque(maxlen=round(2 * LEASE_S / HEARTBEAT_S))
        self._inbox_cv = threading.Condition()
        self._processor = threading.Thread(target=self._process_loop, name="detect", daemon=True)

    def start(self) -> None:
        url = self.broker.broker
        self._client.connect_async(url.host, url.port, keepalive=30)
        self._client.loop_start()
        self._beater.start()
        self._processor.start()

    def stop(self) -> None:
        """Let go of every band (unfinished: the gateway offers it again), say offline."""
        self._stop.set()
        self._processor.join(10.0)
        with self._lock:
            for band_id in list(self.held):
                self._drop(band_id, "the worker stops")
        info = self._client.publish(
            self.topics.worker_status(self.worker_id), b"offline", qos=1, retain=True
        )
        info.wait_for_publish(5.0)
        self._client.disconnect()
        self._client.loop_stop()

    def _band_topics(self, band_id: str) -> list[str]:
        return [self.topics.raw(band_id), self.topics.end(band_id)]

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        t = self.topics
        client.publish(t.worker_status(self.worker_id), b"online", 1, True)
        with self._lock:
            held = list(self.held)
        client.subscribe(
            [
                (t.every_band("lease"), 1),
                (t.shared(self.group, t.every_band("offer")), 1),
                (t.worker_renew(self.worker_id), 1),
                *[(topic, 1) for b in held for topic in self._band_topics(b)],
            ]
        )

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        # paho's network thread: control messages are handled here (they are small, and
        # a renewal must never wait behind a backlog of samples); raw batches are parsed
        # and handed to the processing thread.
        try:
            with self._lock:
                self._dispatch(msg.topic, bytes(msg.payload))
        except Invalid as err:
            self.dropped.drop(msg.topic, err)
        except Exception:  # a bad message must not stop the worker's network thread
            log.exception("worker: could not handle a message on %s", msg.topic)

    def _process_loop(self) -> None:
        """Run the detectors on queued batches; every ``TICK_S`` look for stale holes."""
        next_check = time.monotonic()
        while not self._stop.is_set():
            with self._inbox_cv:
                if not self._inbox:
                    self._inbox_cv.wait(TICK_S)
                work = list(self._inbox)
                self._inbox.clear()
            try:
                with self._lock:
                    for band_id, batch in work:
                        held = self.held.get(band_id)
                        if held is None or not held.granted:
                            continue
                        try:
                            self._raw(band_id, held, batch)
                        except Invalid as err:  # one stranger's batch, not the band's
                            self.dropped.drop(self.topics.raw(band_id), err)
                    if time.monotonic() >= next_check:
                        next_check = time.monotonic() + TICK_S
                        for band_id, held in list(self.held.items()):
                            if self._valid(band_id, held):
                                self._progress(band_id, held, expire=True)
            except Exception:  # a bug in one band must not stop the others
                log.exception("worker %s: processing failed", self.worker_id)

    def _dispatch(self, topic: str, payload: bytes) -> None:
        levels = _split(topic, self.base)
        if levels == ["workers", self.worker_id, "renew"]:
            self._renewed(parse_renewal(payload))
            return
        if len(levels) != 2 or not is_valid_band_id(levels[0]):
            raise Invalid("unknown topic")
        band_id, leaf = levels
        if leaf == "offer":
            self._take(parse_offer(band_id, payload))
        elif leaf == "lease":
            if payload:
                self._lease(band_id, parse_lease(payload))
        elif leaf == "raw":
            held = self.held.get(band_id)
            batch = parse_raw(band_id, payload)
            # Before the grant nothing is taken in: the resend asked for with the grant
            # brings every batch from the offer's resume point, in order.
            if held is not None and held.granted:
                with self._inbox_cv:
                    if len(self._inbox) >= MAX_INBOX_BATCHES:
                        # Behind by this much: let the sequence numbers find the hole and
                        # ask for it again, rather than grow without bound.
                        raise Invalid("worker overloaded", f"{len(self._inbox)} batches queued")
                    self._inbox.append((band_id, batch))
                    self._inbox_cv.notify()
        elif leaf == "end":
            held = self.held.get(band_id)
            if held is not None:
                mark = parse_seq_mark(payload)
                if mark.seq < held.order.highest:
                    raise Invalid(
                        "out of order",
                        f"end at {mark.seq}, batches up to {held.order.highest} came",
                    )
                if mark.epoch >= held.epoch:
                    held.end_seq = mark.seq
                    log.info(
                        "worker %s: band %s ends after batch %d (at %d)",
                        self.worker_id,
                        band_id,
                        mark.seq,
                        held.order.next_seq - 1,
                    )
                    self._progress(band_id, held)

    # ------------------------------------------------------------------ leases
    def _take(self, offer: Offer) -> None:
        held = self.held.get(offer.band_id)
        if held is not None and held.epoch >= offer.epoch:
            return  # a stale offer
        if held is not None:
            self._drop(offer.band_id, "offered again with a newer epoch")
        band = BandInfo(
            band_id=offer.band_id,
            name=offer.name,
            started=offer.started,
            address=offer.address,
            model=offer.model,
            placement=offer.info.placement.value,
        )
        held = _Held(
            band=band,
            epoch=offer.epoch,
            order=SeqOrder(offer.resume_seq),
            resume_seq=offer.resume_seq,
            publish_from_t=offer.publish_from_t,
            # Valid from the claim on, by our clock; the grant and renewals extend it.
            valid_until=time.monotonic() + LEASE_S,
        )
        try:
            held.session = Session(
                band, offer.info, settings=self.settings, sinks=[_LeasedSink(self, held)]
            )
        except ValueError as err:
            raise Invalid("detectors cannot run", str(err)) from None
        held.session.announce()
        self.held[offer.band_id] = held
        self._client.subscribe([(topic, 1) for topic in self._band_topics(offer.band_id)])
        claim = json.dumps({"worker": self.worker_id, "epoch": offer.epoch}).encode()
        self._client.publish(self.topics.claim(offer.band_id), claim, qos=1)

    def _lease(self, band_id: str, lease: Lease) -> None:
        held = self.held.get(band_id)
        if held is None:
            return
        if lease.worker == self.worker_id and lease.epoch == held.epoch:
            if not held.granted:
                held.granted = True
                log.info(
                    "worker %s: took band %s (epoch %d, from batch %d)",
                    self.worker_id,
                    band_id,
                    held.epoch,
                    held.resume_seq,
                )
                held.asked = (held.resume_seq, held.order.highest)
                held.asked_at = time.monotonic()
                self._ask_resend(band_id, held, held.resume_seq)
        elif lease.epoch > held.epoch or (lease.epoch == held.epoch and lease.worker is not None):
            self._drop(
                band_id, f"the lease went to {lease.worker or 'nobody'} (epoch {lease.epoch})"
            )

    def _renewed(self, renewal: Renewal) -> None:
        if renewal.stamp not in self._stamps:
            # Only an answer to a heartbeat we sent extends a lease: a stranger's "renewal"
            # must not keep a hung worker publishing.
            raise Invalid("not ours", "a renewal for no heartbeat of ours")
        for band_id, held in list(self.held.items()):
            if renewal.bands.get(band_id) == held.epoch:
                held.valid_until = max(held.valid_until, renewal.stamp + LEASE_S)

    def _valid(self, band_id: str, held: _Held) -> bool:
        """Whether the lease still holds; drops the band (fencing) when it does not."""
        if time.monotonic() < held.valid_until:
            return True
        if held.granted:
            self._drop(band_id, "its lease ran out (no renewal from the gateway)")
        else:  # a claim the gateway never granted (another worker's, or not a real band)
            self._drop(band_id, "no lease granted")
        return False

    def _drop(self, band_id: str, why: str) -> None:
        held = self.held.pop(band_id, None)
        if held is None:
            return
        self._client.unsubscribe(self._band_topics(band_id))
        log.warning("worker %s: band %s let go: %s", self.worker_id, band_id, why)

    def _beat_loop(self) -> None:
        # Without the lock: a heartbeat must go out on time while a band's detectors catch
        # up (a copy of the dict, and ints read whole, are enough).
        while not self._stop.wait(HEARTBEAT_S):
            held = dict(self.held)
            bands = {b: {"epoch": h.epoch, "seq": h.done_seq} for b, h in held.items()}
            stamp = time.monotonic()
            self._stamps.append(stamp)
            beat = json.dumps({"stamp": stamp, "bands": bands}).encode()
            self._client.publish(self.topics.worker_heartbeat(self.worker_id), beat, qos=0)

    # ------------------------------------------------------------------ samples
    def _ask_resend(self, band_id: str, held: _Held, from_seq: int) -> None:
        mark = SeqMark(held.epoch, from_seq, self.worker_id)
        self._client.publish(self.topics.resend(band_id), mark.to_payload(), qos=1)

    def _raw(self, band_id: str, held: _Held, batch: RawBatch) -> None:
        for ready in held.order.push(batch):
            if not self._process(band_id, held, ready):
                return
        self._progress(band_id, held)

    def _progress(self, band_id: str, held: _Held, *, expire: bool = False) -> None:
        """Ask for a hole, give up on an old one, end the band when its last batch is in."""
        if self.held.get(band_id) is not held:
            return
        if not held.granted:
            return
        now = time.monotonic()
        end = held.end_seq
        order = held.order
        hole = order.missing()
        tail = hole is None and end is not None and order.next_seq <= end
        if tail:
            assert end is not None
            hole = (order.next_seq, end)  # the session's last batches have not come
        if hole is not None and not self._asked_for(held, hole, now):
            # One request covers every batch from its start that the gateway has: ask
            # again only for what it did not cover, or once it is stale.
            held.asked = (hole[0], max(hole[1], order.highest))
            held.asked_at = now
            self._ask_resend(band_id, held, hole[0])
        if expire:
            n_gaps = len(order.gaps)
            for ready in order.expire():
                if not self._process(band_id, held, ready):
                    return
            for gap in order.gaps[n_gaps:]:
                self._gap(band_id, gap.first_seq, gap.last_seq, gap.from_t, gap.to_t)
            if tail and now - held.asked_at >= RESEND_WAIT_S:
                assert end is not None
                self._gap(band_id, order.next_seq, end, order.last_t, None)
                order.next_seq = end + 1
        if end is not None and order.next_seq > end:
            self._finish(band_id, held)

    @staticmethod
    def _asked_for(held: _Held, hole: tuple[int, int], now: float) -> bool:
        asked = held.asked
        return (
            asked is not None
            and asked[0] <= hole[0]
            and hole[1] <= asked[1]
            and now - held.asked_at < RESEND_WAIT_S
        )

    def _gap(
        self, band_id: str, first: int, last: int, from_t: float | None, to_t: float | None
    ) -> None:
        log.warning(
            "worker %s: band %s: raw batches %d..%d never arrived (%d lost)",
            self.worker_id,
            band_id,
            first,
            last,
            last - first + 1,
        )
        self.publisher.publish_gap(band_id, from_t, to_t, last - first + 1)

    def _process(self, band_id: str, held: _Held, batch: RawBatch) -> bool:
        if not held.granted or not self._valid(band_id, held):
            return False
        assert held.session is not None
        held.session.samples(batch.samples)  # events go out through _LeasedSink
        if self.held.get(band_id) is not held:
            return False  # the lease ran out on the way
        held.done_seq = batch.seq
        return True

    def _finish(self, band_id: str, held: _Held) -> None:
        assert held.session is not None
        held.session.finish()
        if self.held.get(band_id) is not held:
            return  # the lease ran out while flushing: the next holder publishes the rest
        # Behind the last events in the publisher's queue: the gateway then has them all.
        done = SeqMark(held.epoch, held.end_seq or held.done_seq, self.worker_id)
        self.publisher.publish_control(self.topics.done(band_id), done.to_payload())
        self.held.pop(band_id, None)
        self._client.unsubscribe(self._band_topics(band_id))
        self.finished.append(band_id)
        log.info("worker %s: band %s ended (%d events)", self.worker_id, band_id, held.events)


class _LeasedSink(MqttSink):
    """A worker's band on its publisher: events, live state and cues, only while the lease
    holds; no raw samples, availability or summary (the gateway's)."""

    def __init__(self, worker: Worker, held: _Held) -> None:
        super().__init__(worker.publisher, end_band=False)
        self.worker = worker
        self.held = held

    def _leased(self, session: Session) -> bool:
        return self.worker._valid(session.band_id, self.held)

    def announce(self, session: Session) -> None:
        self.publisher.register_band(session.band)

    def samples(self, session: Session, body: Samples, sensor: Samples | None) -> None:
        pass

    def battery(self, session: Session, percent: float) -> None:
        pass

    def link(self, session: Session, status: LinkStatus, reason: str) -> None:
        pass

    def heart_rate(self, session: Session, t: float, bpm: float, rr_s: Sequence[float]) -> None:
        if self._leased(session):
            super().heart_rate(session, t, bpm, rr_s)

    def events(self, session: Session, events: Sequence[Event]) -> None:
        start = self.held.publish_from_t
        for event in events:
            # Checked per event: a worker stopped mid-batch must not publish once it is late.
            if not self._leased(session):
                return
            if start is not None and event.t < start:
                continue  # the earlier holder's, found again while the detectors warm up
            self.publisher.publish_event(session.band_id, event)
            self.held.events += 1

    def cues(self, session: Session, cues: Sequence[Cue]) -> None:
        if self._leased(session):
            super().cues(session, cues)

    def tick(self, session: Session, t: float, force: bool) -> None:
        if self._leased(session):
            super().tick(session, t, force)

    def finish(self, session: Session, summary: dict[str, Any] | None) -> None:
        pass


def worker_settings(settings: BrokerSettings, worker_id: str) -> BrokerSettings:
    """The worker's publisher settings: its own client id (and so its own outbox), no
    Home Assistant discovery."""
    client_id = f"{settings.effective_client_id}-worker-{worker_id}"
    outbox = f"{settings.outbox_path}.worker-{worker_id}" if settings.outbox_path else ""
    # Discovery is the gateway's: it knows the bands and announces them.
    return replace(settings, client_id=client_id, outbox_path=outbox, discovery=False)
