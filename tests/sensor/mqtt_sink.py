"""A real paho subscriber that records what arrives, for the MQTT tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from sensor.mqtt.settings import parse_broker_url

#: Generous upper bound for anything to arrive; tests wait for conditions, never for time.
WAIT_S = 30.0


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool

    @property
    def json(self) -> Any:
        return json.loads(self.payload)


class Sink:
    """Subscribe to ``topics`` on ``url`` and keep every message, in arrival order."""

    def __init__(
        self,
        url: str,
        topics: list[str],
        *,
        client_id: str = "test-sink",
        tls_ca: str | None = None,
        persistent: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        u = parse_broker_url(url)
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=not persistent,
        )
        if tls_ca:
            self.client.tls_set(ca_certs=tls_ca)
        if credentials:
            self.client.username_pw_set(*credentials)
        self.client.on_connect = lambda c, ud, fl, rc, pr: c.subscribe([(t, 1) for t in topics])
        self.client.on_subscribe = lambda c, ud, mid, rcs, pr: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 1)
        self.client.connect(u.host, u.port, keepalive=10)
        self.client.loop_start()
        assert self._subscribed.wait(WAIT_S), "subscription not acknowledged"

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        with self._lock:
            self.messages.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain)))

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.messages)

    def wait_for(
        self, condition: Callable[[list[Received]], bool], timeout_s: float = WAIT_S
    ) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while True:
            got = self.snapshot()
            if condition(got):
                return got
            if time.monotonic() > deadline:
                topics = sorted({m.topic for m in got})
                raise AssertionError(f"condition not met; {len(got)} messages on {topics}")
            time.sleep(0.02)

    def on(self, topic_start: str) -> list[Received]:
        return [m for m in self.snapshot() if m.topic.startswith(topic_start)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
