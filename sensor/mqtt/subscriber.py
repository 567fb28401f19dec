"""A read-only MQTT client: connects with the configured settings and only subscribes.

``listen`` and the live page use it. It sets no last will and publishes nothing, so it can sit
beside a service, gateways and workers on their broker without changing what they show.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sensor.errors import BrokerError

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

    from sensor.mqtt.settings import BrokerSettings


def make_subscriber(settings: BrokerSettings, name: str) -> mqtt.Client:
    """A paho client for ``settings``'s broker (credentials and TLS included), not connected.

    ``name`` makes its client id, ``retrosense-<name>-<millisecond clock>``: unique, so two
    readers never take over each other's session.
    """
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    url = settings.broker
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"retrosense-{name}-{int(time.time() * 1000) % 10**9}",
        # Subscribing needs nothing of MQTT 5, and every broker speaks 3.1.1.
        protocol=mqtt.MQTTv5 if settings.protocol == "5" else mqtt.MQTTv311,
    )
    if url.username:
        client.username_pw_set(url.username, url.password or None)
    if url.tls:
        client.tls_set(
            ca_certs=settings.ca_file or None,
            certfile=settings.client_cert_file or None,
            keyfile=settings.client_key_file or None,
        )
    return client


def connect(client: Any, settings: BrokerSettings) -> None:
    """Connect ``client``, or raise ``BrokerError`` naming the broker."""
    url = settings.broker
    try:
        client.connect(url.host, url.port, keepalive=round(settings.keepalive_s))
    except OSError as err:
        raise BrokerError(str(url), f"cannot connect: {err}") from err
