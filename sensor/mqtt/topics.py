"""The topic tree, and band ids that are safe inside it.

::

    <base>/status                       service availability: online/offline, retained, last will
    <base>/status/<name>                the same for a named publisher (replay), so that it
                                        never flips the live service's availability
    <base>/<band>/status                band availability: online/offline, retained
    <base>/<band>/device                device info JSON, retained
    <base>/<band>/battery               battery JSON, retained
    <base>/<band>/state                 live state JSON, throttled, not retained
    <base>/<band>/event/<type>          one detection event per message, QoS 1, not retained
    <base>/<band>/summary               session summary JSON, retained
    <base>/<band>/raw                   raw samples, batched (off by default)
    <base>/<band>/offer, worker, lease, resend, end, done
                                        scale-out control (``sensor.mqtt.control``)
    <base>/workers/<id>/status, heartbeat, renew
                                        scale-out: a worker's availability and lease renewal
    <discovery prefix>/<component>/retrosense_<band>/<object>/config   Home Assistant discovery
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

#: What a band id may hold: Home Assistant's discovery ``node_id`` and ``object_id`` alphabet
#: (``[a-zA-Z0-9_-]``, Home Assistant MQTT discovery docs), which also keeps MQTT's
#: wildcards ``+``/``#``, the level separator ``/``, ``$`` (system topics) and control
#: characters out of our topics.
_BAND_ID_OK = re.compile(r"[a-z0-9_-]+")
_BAND_ID_BAD_RUN = re.compile(r"[^a-z0-9_-]+")
#: Long enough for a Bluetooth address or CoreBluetooth UUID as hex, short enough for topics
#: people read and type.
MAX_BAND_ID_CHARS = 48
#: Band ids that would make a band's topics overlap the service's (``<base>/status/...``)
#: or the workers' (``<base>/workers/...``).
RESERVED_BAND_IDS = frozenset({"status", "workers"})
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")


def sanitize_band_id(text: str) -> str:
    """A band id safe as one topic level and as a Home Assistant node id.

    Lower case; every run of characters outside ``a-z 0-9 _ -`` (wildcards, ``/``, control
    characters, spaces, non-ASCII) becomes one ``_``; cut to ``MAX_BAND_ID_CHARS``. A name
    with nothing usable left becomes ``band-`` and a hash of the name, so it stays stable.

    Examples
    --------
    >>> sanitize_band_id("Polar H10 0A1B2C3D")
    'polar_h10_0a1b2c3d'
    >>> sanitize_band_id("a/+/#")
    'a_'
    """
    cleaned = _BAND_ID_BAD_RUN.sub("_", text.strip().lower())[:MAX_BAND_ID_CHARS]
    if not cleaned.strip("_-"):
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        return f"band-{digest}"
    if cleaned in RESERVED_BAND_IDS:
        return f"{cleaned}_"
    return cleaned


def band_id_from_address(address: str) -> str:
    """A stable band id from a Bluetooth address (or a macOS CoreBluetooth UUID).

    The address does not change when the band is renamed, unlike its advertised name (the
    convention of Theengs Gateway and ble2mqtt). ``C8:2E:0A:1B:2C:3D`` gives ``c82e0a1b2c3d``.
    """
    text = address.strip().lower()
    if _MAC.match(text) or re.fullmatch(r"[0-9a-f-]{32,36}", text):
        return text.replace(":", "").replace("-", "")
    return sanitize_band_id(text)


def band_id_for(
    *, id: str | None = None, address: str | None = None, name: str | None = None
) -> str:
    """The band id: a configured id, else from the address, else from the name."""
    if id:
        return sanitize_band_id(id)
    if address:
        return band_id_from_address(address)
    if name:
        return sanitize_band_id(name)
    return "band"


def is_valid_band_id(band_id: str) -> bool:
    return (
        bool(_BAND_ID_OK.fullmatch(band_id))
        and len(band_id) <= MAX_BAND_ID_CHARS
        and band_id not in RESERVED_BAND_IDS
    )


@dataclass(frozen=True)
class Topics:
    """Topic names under one base topic and discovery prefix."""

    base: str = "retrosense"
    discovery_prefix: str = "homeassistant"
    #: A named publisher's availability goes to ``<base>/status/<service>`` instead.
    service: str | None = None

    @property
    def service_status(self) -> str:
        if self.service:
            return f"{self.base}/status/{sanitize_band_id(self.service)}"
        return f"{self.base}/status"

    @property
    def ha_status(self) -> str:
        """Where Home Assistant says ``online`` when it (re)starts (its ``birth_message``)."""
        return f"{self.discovery_prefix}/status"

    @property
    def all(self) -> str:
        return f"{self.base}/#"

    def band(self, band_id: str, leaf: str) -> str:
        if not is_valid_band_id(band_id):
            raise ValueError(f"band id {band_id!r} is not sanitised (see sanitize_band_id)")
        return f"{self.base}/{band_id}/{leaf}"

    def band_status(self, band_id: str) -> str:
        return self.band(band_id, "status")

    def device(self, band_id: str) -> str:
        return self.band(band_id, "device")

    def battery(self, band_id: str) -> str:
        return self.band(band_id, "battery")

    def state(self, band_id: str) -> str:
        return self.band(band_id, "state")

    def event(self, band_id: str, event_type: str) -> str:
        return self.band(band_id, f"event/{sanitize_band_id(event_type)}")

    def summary(self, band_id: str) -> str:
        return self.band(band_id, "summary")

    def raw(self, band_id: str) -> str:
        return self.band(band_id, "raw")

    def offer(self, band_id: str) -> str:
        return self.band(band_id, "offer")

    def claim(self, band_id: str) -> str:
        return self.band(band_id, "worker")

    def lease(self, band_id: str) -> str:
        return self.band(band_id, "lease")

    def resend(self, band_id: str) -> str:
        return self.band(band_id, "resend")

    def end(self, band_id: str) -> str:
        return self.band(band_id, "end")

    def done(self, band_id: str) -> str:
        return self.band(band_id, "done")

    def worker_status(self, worker_id: str) -> str:
        return f"{self.base}/workers/{worker_id}/status"

    def worker_heartbeat(self, worker_id: str) -> str:
        return f"{self.base}/workers/{worker_id}/heartbeat"

    def worker_renew(self, worker_id: str) -> str:
        return f"{self.base}/workers/{worker_id}/renew"

    def every_band(self, leaf: str) -> str:
        """``<base>/+/<leaf>``: a subscription to one leaf of every band."""
        return f"{self.base}/+/{leaf}"

    def every_worker(self, leaf: str) -> str:
        """``<base>/workers/+/<leaf>``."""
        return f"{self.base}/workers/+/{leaf}"

    @staticmethod
    def shared(group: str, topic: str) -> str:
        """An MQTT v5 shared subscription: the broker hands each message to one member of
        ``group`` (MQTT 5.0, section 4.8.2)."""
        return f"$share/{group}/{topic}"

    def node_id(self, band_id: str) -> str:
        return f"retrosense_{band_id}"

    def discovery(self, component: str, band_id: str, object_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.node_id(band_id)}/{object_id}/config"
