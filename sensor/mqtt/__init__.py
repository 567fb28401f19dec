"""MQTT out: topics, payloads, Home Assistant discovery, and an outbox that loses nothing.

Interface for ``retrosense run``, ``replay`` and ``demo``
---------------------------------------------------------
::

    from sensor.mqtt import BandInfo, BrokerSettings, Publisher, band_id_for

    settings = config.broker.with_environment()        # username/password from the env
    pub = Publisher(settings)
    await asyncio.to_thread(pub.start)                  # opens the outbox; connects in background
    band_id = band_id_for(id=cfg.id, address=cfg.address, name=cfg.name)
    pub.band_online(BandInfo(band_id, name, started=datetime.now(UTC), address=...,
                             model=..., manufacturer=..., firmware=..., placement=...))
    pub.publish_battery(band_id, 87)
    for event in pipeline.update(chunk):
        pub.publish_event(band_id, event)               # wall time = started + event.t
    pub.publish_hr(band_id, t, hr_bpm, rr_ms)           # heart rate and RR into live state
    pub.publish_raw(band_id, chunk)                     # only if settings.raw
    pub.tick(band_id, t_last_sample)                    # once per chunk: throttled live state
    pub.publish_summary(band_id, summary_dict)          # retained, at the end of a session
    pub.band_offline(band_id)
    await asyncio.to_thread(pub.stop, 10.0)             # flush, publish offline, disconnect
    pub.counters()                                      # pending, delivered, dropped_*, ...

Every ``publish_*``/``band_*``/``tick`` call is thread-safe and returns at once (it stores to
memory or to the SQLite outbox, ~0.1 ms); paho's network thread and a drainer thread send.
``start`` and ``stop`` block. Call ``band_online`` before anything else for a band.
A publisher other than the service on the same base topic (replay, demo, a worker) should
pass ``Publisher(settings, service_name="replay")``: its availability and last will then go to
``<base>/status/<name>`` and never mark the live service offline.
``sensor.mqtt.broker.resolve_broker(url)`` gives a URL, starting the embedded broker when no
broker is configured and nothing answers on localhost:1883.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Names and the module each lives in; imported on first use, so that reading the settings
#: (``sensor.mqtt.settings``) does not load paho or numpy.
_EXPORTS = {
    "BandInfo": "sensor.mqtt.payloads",
    "LiveState": "sensor.mqtt.payloads",
    "Publisher": "sensor.mqtt.publisher",
    "BrokerSettings": "sensor.mqtt.settings",
    "parse_broker_url": "sensor.mqtt.settings",
    "Topics": "sensor.mqtt.topics",
    "band_id_for": "sensor.identity",
    "sanitize_band_id": "sensor.identity",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sensor.mqtt' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
