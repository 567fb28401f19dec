"""The embedded broker, so that ``demo`` and ``replay`` need nothing else installed.

Used when no broker is named: ``demo`` and ``replay`` never publish into a broker they were
not pointed at (on a Raspberry Pi next to Home Assistant, whatever answers on localhost:1883
is the user's real one). It runs on a free loopback port of its own and is
``iotcore`` (rumqttd in a wheel; the optional extra ``broker``), bound to the loopback
interface only. Without a rumqttd configuration file it speaks MQTT 3.1.1 and closes MQTT 5
connections unanswered (checked against iotcore 0.4.0); the publisher's ``protocol = "auto"``
falls back to 3.1.1 for it.
"""

from __future__ import annotations

import logging
import socket
import time
from types import TracebackType
from typing import Any

from sensor.errors import BrokerError

log = logging.getLogger(__name__)

DEFAULT_URL = "mqtt://localhost:1883"
LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 1883
#: rumqttd's default limit is 20 KiB (iotcore 0.4 ``IotCoreBroker`` signature); a session
#: summary with a long list of jumps can pass that, and a broker that drops the connection
#: over one message would stall the outbox behind it. 1 MiB leaves room for any of ours.
MAX_PAYLOAD_BYTES = 1 << 20
#: Looks at the embedded broker's port, 50 ms apart, before it counts as not started (10 s).
START_TRIES = 200


def broker_answers(host: str = LOOPBACK, port: int = DEFAULT_PORT, timeout_s: float = 0.3) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class EmbeddedBroker:
    """An iotcore broker in a child process on the loopback interface."""

    def __init__(self, port: int = DEFAULT_PORT) -> None:
        try:
            from iotcore import Broker
        except ImportError as err:
            raise BrokerError(
                f"mqtt://localhost:{port}",
                "nothing answers here and the embedded broker is not installed: "
                "pip install 'retrosense[broker]', or give a broker URL",
            ) from err
        self.port = port
        self._broker: Any = Broker(port=port, listen=LOOPBACK, max_payload_size=MAX_PAYLOAD_BYTES)

    @property
    def url(self) -> str:
        return f"mqtt://{LOOPBACK}:{self.port}"

    def start(self) -> EmbeddedBroker:
        try:
            self._broker.start()
        except (OSError, RuntimeError) as err:
            raise BrokerError(self.url, f"the embedded broker did not start: {err}") from err
        # Ready when it accepts connections (its listener starts in the background).
        for _ in range(START_TRIES):
            if broker_answers(LOOPBACK, self.port):
                break
            time.sleep(0.05)
        else:
            self._broker.stop()
            raise BrokerError(self.url, "the embedded broker did not accept connections")
        log.info("embedded MQTT broker (iotcore) listening on %s", self.url)
        return self

    def stop(self) -> None:
        self._broker.stop()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def free_loopback_port() -> int:
    """A TCP port nothing listens on now on the loopback interface (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def resolve_broker(url: str | None) -> tuple[str, EmbeddedBroker | None]:
    """The broker to use: ``url`` if given, else an embedded one on a free loopback port.

    Returns the URL and the started embedded broker (``None`` if none was needed); the
    caller stops it. Nothing else is ever tried: an unnamed broker is never the user's.
    """
    if url:
        return url, None
    embedded = EmbeddedBroker(free_loopback_port()).start()
    return embedded.url, embedded
