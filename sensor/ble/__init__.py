"""Live BLE bands: bleak client, device profiles, reconnects, raw captures.

The interface the service (``retrosense run``) and the MQTT publisher build on::

    from sensor.ble import BandSession, BandSpec, SampleBatch, HeartRateReading, LinkEvent

    spec = BandSpec(device="C8:2E:0A:1B:2C:3D", profile="polar-h10", placement=Placement.CHEST)
    async with BandSession(spec, raw_sink=capture_writer) as band:   # starts connecting
        pipeline = build_pipeline(band.info)                          # a StreamInfo
        async for item in band:                                       # typed items, in order
            match item:
                case SampleBatch(samples=s):      events = pipeline.update(to_body(s, axes))
                case HeartRateReading(bpm=b):     ...
                case BatteryReading(percent=p):   ...
                case DeviceInfoReading(info=i):   ...   # on every (re)connect
                case LinkEvent(status=st):        ...   # connecting/connected/disconnected/
                                                        # reconnecting/stopped
    # leaving the block (or ``await band.stop()``) writes the stop commands the band is owed

- ``BandSpec`` (frozen): ``device`` (address or name prefix), ``profile`` (name or TOML path),
  ``placement``, ``body_axes``, ``rate_hz``, ``range_g``, ``id``; ``None`` takes the profile's
  default. ``band.band_id`` is fixed for the session (``sensor.identity.band_id_for``): ``id``
  if given, else the address without separators, else the name it was asked by.
- ``band.info``: the ``StreamInfo`` for ``analysis``; ``band.body_axes`` for the rotation.
- Sample times (``SampleBatch.samples.time_s``, sensor frame) are seconds since the session
  started, on the band's own clock where it has one; a link loss leaves a gap in time
  (``gap_before`` on the next batch, ``LinkEvent.gap_from_s`` on the reconnect). Wall-clock
  time of a sample: ``band.started_unix_s + time_s``.
- ``band.counters``: notifications and malformed payloads per kind, connects, link losses,
  watchdog resets, stale-device resets, drops. ``band.battery_percent``, ``band.device_info``.
- ``raw_sink``: anything with ``record(t, kind, char, data, event)``; ``sensor.capture``'s
  ``CaptureWriter`` writes raw capture JSONL v1 from every notification, read, write and event.
- ``run_sessions(sessions, handle)`` runs several bands in one process.
- ``scan(timeout_s)`` lists nearby bands with the profile each would use.

A fatal problem (the band refuses the settings, a characteristic is missing, retries given up
with ``SessionOptions.max_attempts``) ends the iteration by raising a ``DeviceError``.
"""

from __future__ import annotations

from sensor.ble.items import (
    BandItem,
    BatteryReading,
    CadenceReading,
    DeviceInfoReading,
    HeartRateReading,
    LinkEvent,
    LinkStatus,
    SampleBatch,
    SessionCounters,
)
from sensor.ble.profiles import DeviceProfile, load_profile
from sensor.ble.session import BandSession, BandSpec, SessionOptions, run_sessions

__all__ = [
    "BandItem",
    "BandSession",
    "BandSpec",
    "BatteryReading",
    "CadenceReading",
    "DeviceInfoReading",
    "DeviceProfile",
    "HeartRateReading",
    "LinkEvent",
    "LinkStatus",
    "SampleBatch",
    "SessionCounters",
    "SessionOptions",
    "load_profile",
    "run_sessions",
]
