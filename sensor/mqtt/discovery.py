"""Home Assistant MQTT discovery: a device per band, its sensors and event entities.

Configurations are retained under ``<prefix>/<component>/retrosense_<band>/<object>/config``
and re-announced when Home Assistant publishes ``online`` on ``<prefix>/status``.

References
----------
Home Assistant docs: "MQTT" (discovery topic format, ``device``, ``origin``, ``availability``
with ``availability_mode``), "MQTT Sensor" (``state_topic``, ``value_template``,
``unit_of_measurement``, ``state_class``), "MQTT Event" (required ``event_types``; the payload
is JSON with ``event_type`` plus attributes). A value template that renders ``None`` makes a
sensor's state unknown. Raw samples never become entities: 100 Hz would flood Home
Assistant's recorder database (project notes, domain/protocols.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analysis.events import Direction
from sensor.mqtt.payloads import BandInfo
from sensor.mqtt.topics import Topics

#: Every direction an event can carry, so that no ``event_type`` we send is unknown to HA.
EVENT_TYPES = [str(d) for d in Direction]


@dataclass(frozen=True)
class SensorSpec:
    object_id: str
    name: str
    field: str
    unit: str | None = None
    state_class: str | None = "measurement"
    device_class: str | None = None
    icon: str | None = None
    leaf: str = "state"
    entity_category: str | None = None


SENSORS = (
    SensorSpec("heart_rate", "Heart rate", "hr_bpm", "bpm", icon="mdi:heart-pulse"),
    SensorSpec("step_cadence", "Step cadence", "step_cadence_spm", "steps/min", icon="mdi:walk"),
    SensorSpec("pedal_cadence", "Pedal cadence", "pedal_cadence_rpm", "rpm", icon="mdi:bike"),
    SensorSpec(
        "pedal_direction", "Pedal direction", "pedal_direction", None, None, icon="mdi:sync"
    ),
    SensorSpec(
        "steps_forward",
        "Forward steps",
        "steps_forward",
        "steps",
        "total_increasing",
        icon="mdi:shoe-print",
    ),
    SensorSpec(
        "steps_backward",
        "Backward steps",
        "steps_backward",
        "steps",
        "total_increasing",
        icon="mdi:shoe-print",
    ),
    # Backward pedalling is what the project is for: its counters get entities too.
    SensorSpec(
        "revolutions_forward",
        "Forward revolutions",
        "revolutions_forward",
        "revolutions",
        "total_increasing",
        icon="mdi:rotate-right",
    ),
    SensorSpec(
        "revolutions_backward",
        "Backward revolutions",
        "revolutions_backward",
        "revolutions",
        "total_increasing",
        icon="mdi:rotate-left",
    ),
    SensorSpec(
        "pedal_reversals",
        "Pedal reversals",
        "pedal_reversals",
        "reversals",
        "total_increasing",
        icon="mdi:swap-horizontal",
    ),
    SensorSpec("jumps", "Jumps", "jumps", "jumps", "total_increasing", icon="mdi:human-handsup"),
    SensorSpec(
        "last_jump_height",
        "Last jump height",
        "last_jump_height_m",
        "m",
        device_class="distance",
    ),
    SensorSpec(
        "last_jump_landing_peak",
        "Last jump landing peak",
        "last_jump_landing_peak_g",
        "g",
        icon="mdi:arrow-collapse-down",
    ),
    SensorSpec(
        "last_jump_reactive_strength_index",
        "Last jump reactive strength index",
        "last_jump_reactive_strength_index",
        None,
        icon="mdi:spring",
    ),
    SensorSpec(
        "last_jump_contact_time",
        "Last jump contact time",
        "last_jump_contact_time_s",
        "s",
        device_class="duration",
    ),
    SensorSpec(
        "battery",
        "Battery",
        "battery_pct",
        "%",
        device_class="battery",
        leaf="battery",
        entity_category="diagnostic",
    ),
)


@dataclass(frozen=True)
class EventSpec:
    object_id: str
    name: str
    event: str
    icon: str
    #: The ``event_type`` values (``payloads.ha_event_type``) this kind of event can carry.
    event_types: tuple[str, ...] = tuple(EVENT_TYPES)


_LEVEL = tuple(t for t in EVENT_TYPES if t != Direction.VERTICAL)

EVENTS = (
    EventSpec("jump", "Jump", "jump", "mdi:human-handsup"),
    # A walk or a crank has no vertical direction.
    EventSpec("walking_bout", "Walking bout", "walk_bout", "mdi:walk", _LEVEL),
    EventSpec("pedal_reversal", "Pedal reversal", "pedal_reversal", "mdi:swap-horizontal", _LEVEL),
)


def device_block(band: BandInfo) -> dict[str, Any]:
    device: dict[str, Any] = {
        "identifiers": [f"retrosense_{band.band_id}"],
        "name": band.name,
    }
    if band.manufacturer:
        device["manufacturer"] = band.manufacturer
    if band.model:
        device["model"] = band.model
    if band.firmware:
        device["sw_version"] = band.firmware
    if band.address and len(band.address) == 17 and band.address.count(":") == 5:
        device["connections"] = [["mac", band.address.lower()]]
    return device


def origin_block() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        sw = version("retrosense")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        sw = "0"
    return {"name": "retrosense", "sw_version": sw}


def discovery_configs(topics: Topics, band: BandInfo) -> list[tuple[str, dict[str, Any]]]:
    """Every ``(topic, config)`` Home Assistant needs for one band."""
    b = band.band_id
    common: dict[str, Any] = {
        "device": device_block(band),
        "origin": origin_block(),
        "availability": [{"topic": topics.band_status(b)}, {"topic": topics.service_status}],
        "availability_mode": "all",
        "payload_available": "online",
        "payload_not_available": "offline",
    }
    out: list[tuple[str, dict[str, Any]]] = []
    for s in SENSORS:
        config: dict[str, Any] = {
            "name": s.name,
            "unique_id": f"retrosense_{b}_{s.object_id}",
            "state_topic": topics.band(b, s.leaf),
            "value_template": f"{{{{ value_json.{s.field} }}}}",
            **common,
        }
        for key, value in (
            ("unit_of_measurement", s.unit),
            ("state_class", s.state_class),
            ("device_class", s.device_class),
            ("icon", s.icon),
            ("entity_category", s.entity_category),
        ):
            if value is not None:
                config[key] = value
        out.append((topics.discovery("sensor", b, s.object_id), config))
    for e in EVENTS:
        out.append(
            (
                topics.discovery("event", b, e.object_id),
                {
                    "name": e.name,
                    "unique_id": f"retrosense_{b}_{e.object_id}",
                    "state_topic": topics.event(b, e.event),
                    "event_types": list(e.event_types),
                    "icon": e.icon,
                    **common,
                },
            )
        )
    return out
