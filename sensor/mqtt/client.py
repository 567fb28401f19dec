"""The one way a paho client is made: protocol, credentials, TLS and reconnect back-off.

The publisher, the scale-out roles' control clients and ``listen`` all connect through
``make_client``, so a broker that needs a password or TLS works the same for each.
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from sensor.mqtt.settings import BrokerSettings

#: paho's reconnect back-off, seconds: first retry after 1 s, doubling to at most 10 s, so a
#: broker that restarts is found again within 10 s.
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 10


def make_client(
    settings: BrokerSettings,
    client_id: str,
    *,
    protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
) -> mqtt.Client:
    """A paho client (callback API 2) for ``settings``' broker, not yet connected.

    Parameters
    ----------
    settings
        Broker URL, credentials (already merged from the environment) and TLS files.
    client_id
        The MQTT client id.
    protocol
        MQTT 5 or 3.1.1 (``paho.mqtt.client.MQTTv5``, ``MQTTv311``).
    """
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        reconnect_on_failure=True,
    )
    url = settings.broker
    if url.username:
        client.username_pw_set(url.username, url.password or None)
    if url.tls:
        client.tls_set(
            ca_certs=settings.ca_file or None,
            certfile=settings.client_cert_file or None,
            keyfile=settings.client_key_file or None,
        )
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    return client
