"""Broker connection and topic settings (the ``[broker]`` table of the configuration).

Credentials come from the configuration file or from the environment
(``RETROSENSE_MQTT_USERNAME``, ``RETROSENSE_MQTT_PASSWORD``), never from the command line,
where ``ps`` would show them to every user of the machine.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from sensor.errors import BrokerError
from sensor.settings import bounded, dataclass, field

ENV_USERNAME = "RETROSENSE_MQTT_USERNAME"
ENV_PASSWORD = "RETROSENSE_MQTT_PASSWORD"

#: IANA-registered MQTT ports: 1883 plain, 8883 over TLS (MQTT 5.0, section 4.2).
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}

#: Characters a topic level of ours may not carry: the wildcards ``+`` and ``#`` and the level
#: separator ``/`` (MQTT 5.0, section 4.7), and U+0000, which the specification forbids in any
#: UTF-8 string (section 1.5.4).
_TOPIC_FORBIDDEN = re.compile(r"[+#\x00]")


@dataclass(frozen=True)
class BrokerUrl:
    """A parsed ``mqtt://`` or ``mqtts://`` URL."""

    scheme: Literal["mqtt", "mqtts"]
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def tls(self) -> bool:
        return self.scheme == "mqtts"

    def __str__(self) -> str:
        """The URL without credentials (safe for logs)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_broker_url(url: str) -> BrokerUrl:
    """Parse ``mqtt://host[:port]`` or ``mqtts://host[:port]``.

    Raises
    ------
    BrokerError
        For another scheme, a missing host, a bad port or a path.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise BrokerError(
            url, f"expected mqtt://host[:port] or mqtts://host[:port]: {err}"
        ) from err
    if parts.scheme not in DEFAULT_PORTS:
        raise BrokerError(
            url, f"expected an mqtt:// or mqtts:// URL, got scheme {parts.scheme or 'none'!r}"
        )
    if not parts.hostname:
        raise BrokerError(url, "expected a host name after the scheme (mqtt://localhost:1883)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BrokerError(url, "expected no path, query or fragment after host and port")
    scheme: Literal["mqtt", "mqtts"] = "mqtts" if parts.scheme == "mqtts" else "mqtt"
    return BrokerUrl(
        scheme=scheme,
        host=parts.hostname,
        port=port or DEFAULT_PORTS[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _check_topic_prefix(name: str, value: str) -> None:
    if not value or value.startswith("/") or value.endswith("/") or "//" in value:
        raise ValueError(f"{name} must be non-empty topic levels joined by '/', got {value!r}")
    if _TOPIC_FORBIDDEN.search(value) or value.startswith("$"):
        raise ValueError(f"{name} must not contain '+', '#', NUL or start with '$', got {value!r}")


@dataclass(frozen=True)
class BrokerSettings:
    """How to reach the broker and where to publish (``[broker]`` in the configuration).

    Parameters
    ----------
    url
        ``mqtt://host[:port]`` or ``mqtts://host[:port]`` (TLS; port 8883 by default).
    ca_file
        CA certificate(s) (PEM) that signed the broker's certificate; ``""`` uses the system's
        trust store. Only for ``mqtts://``.
    client_cert_file, client_key_file
        Client certificate and its key (PEM) where the broker asks for one.
    username, password
        Broker credentials; better set through ``RETROSENSE_MQTT_USERNAME`` and
        ``RETROSENSE_MQTT_PASSWORD`` (see ``with_environment``).
    client_id
        MQTT client id; ``""`` means ``retrosense-<host name>``. The outbox file is per
        client id and broker, so two processes need two ids.
    keepalive_s
        MQTT keep-alive; the broker declares us gone (and publishes our last will) after
        1.5 times this without traffic (MQTT 5.0, section 3.1.2.10).
    protocol
        ``auto`` tries MQTT 5 and falls back to 3.1.1 when the broker closes the connection
        without an answer (as rumqttd does unless configured for v5); ``5`` or ``3.1.1``
        force one.
    base_topic
        First topic level(s) of everything we publish.
    discovery
        Publish Home Assistant MQTT discovery configurations.
    discovery_prefix
        Home Assistant's discovery prefix.
    state_interval_s
        Live state is published at most this often per band (in the stream's time).
    raw
        Publish raw samples on ``<base>/<band>/raw`` (off: they are for the gateway/worker
        split, not for dashboards).
    outbox_path
        SQLite file of the outbox; ``""`` means ``outbox-<client id>-<host>-<port>.sqlite3``
        in the platform's user state directory, so messages queued for one broker wait for
        that broker and never go to another. A file named here is the user's: pointing the
        same file at another broker sends what waits in it there.
    outbox_max_messages
        Bound of the outbox. When it is reached, the oldest raw messages go first, then the
        oldest state messages, events last; counters say how many went.
    """

    url: str = "mqtt://localhost:1883"
    ca_file: str = ""
    client_cert_file: str = ""
    client_key_file: str = ""
    username: str = field(default="", metadata=bounded(secret=True))
    password: str = field(default="", metadata=bounded(secret=True))
    client_id: str = ""
    keepalive_s: float = field(default=30.0, metadata=bounded(5.0, 3600.0))
    protocol: Literal["auto", "5", "3.1.1"] = "auto"
    base_topic: str = "retrosense"
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    state_interval_s: float = field(default=1.0, metadata=bounded(0.0, 3600.0))
    raw: bool = False
    outbox_path: str = ""
    outbox_max_messages: int = field(default=100_000, metadata=bounded(10, 100_000_000))

    def __post_init__(self) -> None:
        try:
            parse_broker_url(self.url)
        except BrokerError as err:
            raise ValueError(f"url: {err.expected}") from None
        _check_topic_prefix("base_topic", self.base_topic)
        _check_topic_prefix("discovery_prefix", self.discovery_prefix)
        if self.client_key_file and not self.client_cert_file:
            raise ValueError("client_key_file needs client_cert_file")
        if len(self.client_id.encode()) > 256:
            raise ValueError("client_id must be at most 256 bytes")

    @property
    def broker(self) -> BrokerUrl:
        """The parsed URL, with credentials from the settings in preference to the URL's."""
        url = parse_broker_url(self.url)
        return dataclasses.replace(
            url,
            username=self.username or url.username,
            password=self.password or url.password,
        )

    @property
    def effective_client_id(self) -> str:
        if self.client_id:
            return self.client_id
        host = re.sub(r"[^A-Za-z0-9_-]+", "-", socket.gethostname()).strip("-") or "host"
        return f"retrosense-{host}"

    @property
    def effective_outbox_path(self) -> Path:
        if self.outbox_path:
            return Path(self.outbox_path).expanduser()
        from sensor.paths import user_state_dir

        # One file per client id AND broker: what waits for one broker must never go out to
        # another that the same client id is pointed at later.
        broker = parse_broker_url(self.url)
        name = f"{self.effective_client_id}-{broker.host}-{broker.port}"
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        return user_state_dir() / f"outbox-{safe}.sqlite3"

    def with_environment(self, environ: Mapping[str, str] | None = None) -> BrokerSettings:
        """These settings with username and password taken from the environment where set."""
        env = os.environ if environ is None else environ
        return dataclasses.replace(
            self,
            username=env.get(ENV_USERNAME) or self.username,
            password=env.get(ENV_PASSWORD) or self.password,
        )

    def check_files(self) -> None:
        """Refuse TLS files that are missing or unreadable, before connecting.

        Raises
        ------
        BrokerError
            Naming the setting and the file.
        """
        for key in ("ca_file", "client_cert_file", "client_key_file"):
            path = getattr(self, key)
            if not path:
                continue
            if not self.broker.tls:
                raise BrokerError(self.url, f"{key} is set but the URL is not mqtts://")
            p = Path(path).expanduser()
            if not p.is_file() or not os.access(p, os.R_OK):
                raise BrokerError(self.url, f"{key} {str(p)!r} is not a readable file")
