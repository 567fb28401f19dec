"""Scale-out: a gateway next to the bands, workers elsewhere running the detectors.

``retrosense run --role gateway`` connects the bands, records them and publishes their raw
samples (body frame, ``<base>/<band>/raw``, QoS 1) but runs no detector.
``retrosense run --role worker`` connects no band: it takes bands from the gateway over MQTT
and publishes their events, live state and summaries as ``--role all`` (the default) would.

One band's stream stays with one worker because the stream itself is not load-balanced; its
*assignment* is. The gateway offers each band on ``<base>/<band>/offer``; workers subscribe to
offers through an MQTT v5 shared subscription, ``$share/<group>/<base>/+/offer``, so the broker
hands each offer to exactly one worker of the group (MQTT 5.0, section 4.8.2). That worker
claims the band (``<base>/<band>/worker``, retained: its worker id) and subscribes to the
band's raw topic on its own, so every sample of the band reaches it, in order (MQTT 5.0,
section 4.6: ordered per topic and QoS from one publisher). The gateway offers again, every
``OFFER_INTERVAL_S``, any band that no live worker has claimed: at start, before any worker
runs, and when the claiming worker's status (``<base>/workers/<id>/status``, ``offline`` as its
last will) goes offline; the band then continues on another worker after a gap (detectors
restart; what was sent while no worker listened is not replayed).

A band's session ends for the worker when the gateway publishes the band ``offline``: the
gateway publishes that only after its outbox has drained, so the last samples are in before it.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.types import Placement, Samples, StreamInfo
from sensor.mqtt.client import make_client
from sensor.mqtt.payloads import BandInfo, iso_utc
from sensor.mqtt.topics import Topics
from sensor.session import MqttSink, Session, SessionSettings, SessionSink

if TYPE_CHECKING:
    from sensor.mqtt.publisher import Publisher
    from sensor.mqtt.settings import BrokerSettings

log = logging.getLogger(__name__)

#: How often the gateway offers a band no live worker has claimed: well above the time a
#: worker takes to answer an offer with its claim (milliseconds, seconds on a loaded host),
#: so a band is not offered twice and handed to two workers.
OFFER_INTERVAL_S = 3.0
DEFAULT_GROUP = "retrosense"


def default_worker_id() -> str:
    """Host name and a random suffix: unique per process."""
    host = "".join(c if c.isalnum() else "-" for c in socket.gethostname()) or "host"
    return f"{host}-{uuid.uuid4().hex[:6]}"


def samples_from_raw(payload: dict[str, Any]) -> Samples:
    """A raw payload (``sensor.mqtt.payloads.raw_payload``) back to a body-frame chunk."""
    t0 = float(payload["t0"])
    time_s = t0 + np.asarray(payload["t"], dtype=np.float64)
    acc = np.asarray(payload["acc"], dtype=np.float64).reshape(-1, 3)
    gyro = payload.get("gyro")
    hr = payload.get("hr")
    return Samples(
        time_s=time_s,
        acc_g=acc,
        gyro_dps=None if gyro is None else np.asarray(gyro, dtype=np.float64).reshape(-1, 3),
        hr_bpm=None
        if hr is None
        else np.asarray([math.nan if v is None else v for v in hr], dtype=np.float64),
    )


def offer_payload(session: Session) -> dict[str, Any]:
    """What a worker needs to run a band's detectors: its description and stream."""
    band, info = session.band, session.info
    assert info is not None
    return {
        "band": band.band_id,
        "name": band.name,
        "address": band.address,
        "model": band.model,
        "placement": str(info.placement),
        "sample_rate_hz": info.sample_rate_hz,
        "has_gyro": info.has_gyro,
        "acc_range_g": info.acc_range_g,
        "started": iso_utc(band.started),
    }


@dataclass
class _Offer:
    payload: bytes
    claimed_by: str | None = None
    #: ``time.monotonic()`` of the last offer sent (``None``: never).
    sent_at: float | None = None


class Gateway:
    """The gateway's side: offer bands, track claims and worker liveness.

    Parameters
    ----------
    settings
        Broker settings (the gateway's publisher uses the same broker).
    """

    def __init__(self, settings: BrokerSettings) -> None:
        self.topics = Topics(settings.base_topic)
        self._settings = settings
        self._lock = threading.Lock()
        self._offers: dict[str, _Offer] = {}
        self._workers_offline: set[str] = set()
        self._client = make_client(settings, f"{settings.effective_client_id}-gateway")
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message

    def start(self) -> None:
        url = self._settings.broker
        self._client.connect_async(url.host, url.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        t = self.topics
        client.subscribe([(t.every_band("worker"), 1), (t.every_worker_status, 1)])

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        parts = msg.topic.split("/")
        text = bytes(msg.payload).decode("utf-8", "replace")
        with self._lock:
            if msg.topic.endswith("/worker"):
                band = parts[-2]
                if band in self._offers:
                    self._offers[band].claimed_by = text or None
            elif msg.topic.endswith("/status") and len(parts) >= 3 and parts[-3] == "workers":
                worker = parts[-2]
                if text == "offline":
                    self._workers_offline.add(worker)
                else:
                    self._workers_offline.discard(worker)

    def offer(self, band_id: str, description: dict[str, Any]) -> None:
        """Make ``band_id`` available to the workers (re-offered until claimed)."""
        payload = json.dumps(description).encode()
        with self._lock:
            previous = self._offers.get(band_id)
            if previous is None:
                self._offers[band_id] = _Offer(payload)
            else:
                previous.payload = payload
        self.tick()

    def withdraw(self, band_id: str) -> None:
        with self._lock:
            self._offers.pop(band_id, None)

    def tick(self) -> None:
        """Offer every band that no live worker holds, at most every ``OFFER_INTERVAL_S``.

        The interval gives a worker's claim time to come back before the band is offered
        again, where the broker would hand it to another worker of the group.
        """
        now = time.monotonic()
        due: list[tuple[str, bytes]] = []
        with self._lock:
            for band, o in self._offers.items():
                free = o.claimed_by is None or o.claimed_by in self._workers_offline
                if free and (o.sent_at is None or now - o.sent_at >= OFFER_INTERVAL_S):
                    o.sent_at = now
                    due.append((band, o.payload))
        for band, payload in due:
            self._client.publish(self.topics.offer(band), payload, qos=1)

    def claims(self) -> dict[str, str | None]:
        with self._lock:
            return {b: o.claimed_by for b, o in self._offers.items()}


class GatewaySink(SessionSink):
    """A gateway's band: offered to the workers while it streams, withdrawn when it ends."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def announce(self, session: Session) -> None:
        if session.info is not None:
            self.gateway.offer(session.band_id, offer_payload(session))

    def finish(self, session: Session, summary: dict[str, Any] | None) -> None:
        self.gateway.withdraw(session.band_id)


class Worker:
    """The worker's side: take offered bands, run each through a ``Session``, publish.

    Parameters
    ----------
    broker
        Broker settings (credentials merged from the environment).
    settings
        Detector parameters, wearer and summary parameters for every band.
    publisher
        Where events, state and summaries go (started by the caller).
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
        self.broker = broker
        self.settings = settings
        self.publisher = publisher
        self.topics = Topics(broker.base_topic)
        self.group = group
        self.worker_id = worker_id
        self.held: dict[str, Session] = {}
        self.finished: list[str] = []
        self._client = make_client(
            broker, f"{broker.effective_client_id}-worker-{worker_id}-control"
        )
        self._client.will_set(self.topics.worker_status(worker_id), b"offline", qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message

    def start(self) -> None:
        url = self.broker.broker
        self._client.connect_async(url.host, url.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        """Finish every held band, release the claims, say offline, disconnect."""
        for band_id in list(self.held):
            self._finish(band_id)
        status = self.topics.worker_status(self.worker_id)
        info = self._client.publish(status, b"offline", qos=1, retain=True)
        info.wait_for_publish(5.0)
        self._client.disconnect()
        self._client.loop_stop()

    def _band_topics(self, band_id: str) -> list[str]:
        """What a worker follows of a band it holds: its raw samples and its availability."""
        return [self.topics.raw(band_id), self.topics.band_status(band_id)]

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        t = self.topics
        client.publish(t.worker_status(self.worker_id), b"online", 1, True)
        client.subscribe(
            [
                (t.every_band("worker"), 1),
                (t.shared(self.group, t.every_band("offer")), 1),
                *[(topic, 1) for b in self.held for topic in self._band_topics(b)],
            ]
        )

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            self._dispatch(msg.topic, bytes(msg.payload))
        except Exception:  # a bad message must not stop the worker's network thread
            log.exception("worker: could not handle a message on %s", msg.topic)

    def _dispatch(self, topic: str, payload: bytes) -> None:
        parts = topic.split("/")
        band = parts[-2] if len(parts) >= 2 else ""
        leaf = parts[-1]
        if leaf == "worker":
            owner = payload.decode("utf-8", "replace")
            if owner and owner < self.worker_id and band in self.held:
                # Two workers took the same offer: the smaller id keeps the band.
                self._release(band)
        elif leaf == "offer":
            self._take(band, json.loads(payload))
        elif leaf == "raw" and band in self.held:
            self.held[band].samples(samples_from_raw(json.loads(payload)))
        elif leaf == "status" and band in self.held and payload == b"offline":
            self._finish(band)

    def _take(self, band_id: str, offer: dict[str, Any]) -> None:
        # An offer means the gateway sees no live worker holding the band (a claim by a
        # worker whose status went offline does not count), so it is taken.
        if band_id in self.held:
            return
        info = StreamInfo(
            sample_rate_hz=float(offer["sample_rate_hz"]),
            placement=Placement(offer["placement"]),
            has_gyro=bool(offer.get("has_gyro", False)),
            acc_range_g=offer.get("acc_range_g"),
        )
        band = BandInfo(
            band_id=band_id,
            name=str(offer.get("name") or band_id),
            started=datetime.fromisoformat(str(offer["started"]).replace("Z", "+00:00")),
            address=offer.get("address"),
            model=offer.get("model"),
            placement=info.placement.value,
        )
        # The gateway says when the band goes offline (after its last raw samples).
        session = Session(
            band, info, settings=self.settings, sinks=[MqttSink(self.publisher, end_band=False)]
        )
        session.summary_extra["worker"] = self.worker_id
        session.announce()
        self.held[band_id] = session
        self._client.publish(
            self.topics.claim(band_id), self.worker_id.encode(), qos=1, retain=True
        )
        self._client.subscribe([(topic, 1) for topic in self._band_topics(band_id)])
        log.info("worker %s: took band %s", self.worker_id, band_id)

    def _release(self, band_id: str) -> None:
        """Drop a band another worker holds, without a summary or touching its claim."""
        self.held.pop(band_id, None)
        self._client.unsubscribe(self._band_topics(band_id))
        log.warning(
            "worker %s: band %s is held by another worker; released", self.worker_id, band_id
        )

    def _finish(self, band_id: str) -> None:
        session = self.held.pop(band_id, None)
        if session is None:
            return
        session.finish()
        self._client.unsubscribe(self._band_topics(band_id))
        self._client.publish(self.topics.claim(band_id), b"", qos=1, retain=True)
        self.finished.append(band_id)
        log.info(
            "worker %s: band %s ended (%d events)", self.worker_id, band_id, len(session.events)
        )


def worker_settings(settings: BrokerSettings, worker_id: str) -> BrokerSettings:
    """The worker's publisher settings: its own client id (and so its own outbox).

    Never raw samples: they are what the worker reads, from the gateway.
    """
    client_id = f"{settings.effective_client_id}-worker-{worker_id}"
    outbox = f"{settings.outbox_path}.worker-{worker_id}" if settings.outbox_path else ""
    return replace(settings, client_id=client_id, outbox_path=outbox, raw=False)
