"""The topic tree (band ids: ``sensor.identity``).

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
    <base>/<band>/cue                   a coaching cue of the interval program, not retained
    <base>/<band>/raw                   raw samples, batched (off by default)
    <base>/<band>/offer, worker, lease, resend, end, done
                                        scale-out control (``sensor.mqtt.control``)
    <base>/workers/<id>/status, heartbeat, renew
                                        scale-out: a worker's availability and lease renewal
    <discovery prefix>/<component>/retrosense_<band>/<object>/config   Home Assistant discovery
"""

from __future__ import annotations

from dataclasses import dataclass

from sensor.identity import is_valid_band_id, sanitize_band_id


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

    def cue(self, band_id: str) -> str:
        return self.band(band_id, "cue")

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

    @property
    def every_worker_status(self) -> str:
        return self.worker_status("+")

    @staticmethod
    def shared(group: str, topic: str) -> str:
        """An MQTT v5 shared subscription: the broker hands each message to one member of
        ``group`` (MQTT 5.0, section 4.8.2)."""
        return f"$share/{group}/{topic}"

    def node_id(self, band_id: str) -> str:
        return f"retrosense_{band_id}"

    def discovery(self, component: str, band_id: str, object_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.node_id(band_id)}/{object_id}/config"
