"""Home Assistant MQTT discovery: a device per band, its sensors and event entities.

Configurations are retained under ``<prefix>/<component>/retrosense_<band>/<object>/config``
and re-announced when Home Assistant publishes ``online`` on ``<prefix>/status``.

Live entities read the band's ``state`` (and ``battery``) topic and are available while the
band and the service are ``online``. The last session's entities read the retained
``summary`` and have an availability of their own, on the summary topic: they stay readable
after the band and the service have gone offline, which is when a workout is over.

References
----------
Home Assistant docs: "MQTT" (discovery topic format, ``device`` with ``connections``,
``serial_number``, ``sw_version``, ``hw_version``; ``origin``; ``availability`` entries with
``topic`` and ``value_template``, ``availability_mode``), "MQTT Sensor" (``state_topic``,
``value_template``, ``unit_of_measurement``, ``state_class``, ``options``; a template that
renders ``None`` makes the state unknown), "MQTT Event" (required ``event_types``; the payload
is JSON with ``event_type`` plus attributes). The rules a configuration must follow (units per
device class, state classes per device class, ``options`` only on ``enum`` sensors) are pinned,
with their sources, in tests/sensor/test_ha_schema.py. Raw samples never become entities:
100 Hz would flood Home Assistant's recorder database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analysis.events import Activity, Direction
from analysis.program import CueKind
from sensor.mqtt.payloads import BandInfo
from sensor.mqtt.topics import Topics

#: Every direction an event can carry, so that no ``event_type`` we send is unknown to HA.
EVENT_TYPES = [str(d) for d in Direction]
#: The directions a walk or a crank can have (no vertical one).
LEVEL_DIRECTIONS = tuple(t for t in EVENT_TYPES if t != Direction.VERTICAL)
#: What the live state's ``activity`` can be (the activity stage's labels).
ACTIVITIES = tuple(str(a) for a in Activity)

#: Where an entity's availability comes from.
LIVE = "live"  # the band's and the service's status: unavailable while either is offline
SUMMARY = "summary"  # the retained summary: available once a session has ended


@dataclass(frozen=True)
class SensorSpec:
    """One ``sensor`` entity.

    ``field`` is the path of its value in the JSON payload (``steps.backward``); ``template``
    replaces the plain ``{{ value_json.<field> }}`` where a value may be missing. An ``enum``
    sensor lists its ``options`` and has neither unit nor state class (Home Assistant refuses
    them together).
    """

    object_id: str
    name: str
    field: str
    unit: str | None = None
    state_class: str | None = "measurement"
    device_class: str | None = None
    icon: str | None = None
    leaf: str = "state"
    entity_category: str | None = None
    options: tuple[str, ...] | None = None
    template: str | None = None
    availability: str = LIVE

    @property
    def value_template(self) -> str:
        return self.template or f"{{{{ value_json.{self.field} }}}}"


def _enum(
    object_id: str,
    name: str,
    field: str,
    options: tuple[str, ...],
    icon: str,
    template: str | None = None,
) -> SensorSpec:
    return SensorSpec(
        object_id,
        name,
        field,
        None,
        None,
        device_class="enum",
        icon=icon,
        options=options,
        template=template,
    )


def _count(
    object_id: str, name: str, field: str, unit: str, icon: str, entity_category: str | None = None
) -> SensorSpec:
    """A counter of the session so far (it starts again at 0 with the next session, which
    Home Assistant's ``total_increasing`` takes as a meter reset)."""
    return SensorSpec(
        object_id,
        name,
        field,
        unit,
        "total_increasing",
        icon=icon,
        entity_category=entity_category,
    )


def _last(
    object_id: str,
    name: str,
    path: str,
    unit: str | None = None,
    device_class: str | None = None,
    icon: str | None = None,
    state_class: str | None = "measurement",
    template: str | None = None,
) -> SensorSpec:
    """A value of the last session's summary."""
    return SensorSpec(
        f"last_session_{object_id}",
        f"Last session {name}",
        path,
        unit,
        state_class,
        device_class=device_class,
        icon=icon,
        leaf="summary",
        template=template,
        availability=SUMMARY,
    )


SENSORS = (
    SensorSpec("heart_rate", "Heart rate", "hr_bpm", "bpm", icon="mdi:heart-pulse"),
    # What people automate on: the activity and the walking direction right now.
    _enum("activity", "Activity", "activity", ACTIVITIES, "mdi:run"),
    _enum(
        "walking_direction",
        "Walking direction",
        "walking_direction",
        LEVEL_DIRECTIONS,
        "mdi:swap-vertical",
    ),
    SensorSpec("step_cadence", "Step cadence", "step_cadence_spm", "steps/min", icon="mdi:walk"),
    SensorSpec("pedal_cadence", "Pedal cadence", "pedal_cadence_rpm", "rpm", icon="mdi:bike"),
    _enum("pedal_direction", "Pedal direction", "pedal_direction", LEVEL_DIRECTIONS, "mdi:sync"),
    # Where the wearer is in the interval program followed (unknown without one).
    SensorSpec(
        "program_interval",
        "Program interval",
        "program",
        None,
        None,
        icon="mdi:format-list-numbered",
        template=(
            "{{ (value_json.program.interval ~ '/' ~ value_json.program.intervals ~ ' ' ~ "
            "value_json.program.title ~ ' (' ~ value_json.program.status ~ ')') "
            "if 'program' in value_json else None }}"
        ),
    ),
    _count("steps_forward", "Forward steps", "steps_forward", "steps", "mdi:shoe-print"),
    _count("steps_backward", "Backward steps", "steps_backward", "steps", "mdi:shoe-print"),
    _count(
        "steps_unknown",
        "Steps of unknown direction",
        "steps_unknown",
        "steps",
        "mdi:shoe-print",
        entity_category="diagnostic",
    ),
    _count("walking_bouts", "Walking bouts", "walk_bouts", "bouts", "mdi:walk"),
    # Backward pedalling is what the project is for: its counters get entities too.
    _count(
        "revolutions_forward",
        "Forward revolutions",
        "revolutions_forward",
        "revolutions",
        "mdi:rotate-right",
    ),
    _count(
        "revolutions_backward",
        "Backward revolutions",
        "revolutions_backward",
        "revolutions",
        "mdi:rotate-left",
    ),
    _count(
        "revolutions_unknown",
        "Revolutions of unknown direction",
        "revolutions_unknown",
        "revolutions",
        "mdi:rotate-360",
        entity_category="diagnostic",
    ),
    _count(
        "pedal_reversals", "Pedal reversals", "pedal_reversals", "reversals", "mdi:swap-horizontal"
    ),
    _count("jumps", "Jumps", "jumps", "jumps", "mdi:human-handsup"),
    _enum(
        "last_jump_direction",
        "Last jump direction",
        "last_jump_direction",
        tuple(EVENT_TYPES),
        "mdi:arrow-decision",
    ),
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
    # The last session, from the retained summary (analysis.summary's ``to_dict``).
    _last("end", "end", "time", device_class="timestamp", state_class=None),
    _last("duration", "duration", "duration_s", "s", device_class="duration"),
    _last("steps_backward", "backward steps", "steps.backward", "steps", icon="mdi:shoe-print"),
    _last("steps_forward", "forward steps", "steps.forward", "steps", icon="mdi:shoe-print"),
    _last(
        "walking_backward_time",
        "time walking backward",
        "time_s.walk_backward",
        "s",
        device_class="duration",
    ),
    _last(
        "revolutions_backward",
        "backward revolutions",
        "pedalling.revolutions_backward",
        "revolutions",
        icon="mdi:rotate-left",
    ),
    _last(
        "revolutions_forward",
        "forward revolutions",
        "pedalling.revolutions_forward",
        "revolutions",
        icon="mdi:rotate-right",
    ),
    _last("jumps", "jumps", "jumps.count", "jumps", icon="mdi:human-handsup"),
    _last(
        "best_jump_height", "best jump height", "jumps.height_max_m", "m", device_class="distance"
    ),
    _last(
        "heart_rate_mean",
        "mean heart rate",
        "heart_rate.mean_bpm",
        "bpm",
        icon="mdi:heart-pulse",
        # No strap, no heart rate: the summary's ``heart_rate`` is null.
        template="{{ value_json.heart_rate.mean_bpm if value_json.heart_rate else None }}",
    ),
    # Energy sensors may only be totals (state class total/total_increasing) in Home
    # Assistant; a session's estimate is neither, so it has no state class.
    _last("energy", "energy", "energy.kcal", "kcal", device_class="energy", state_class=None),
)


@dataclass(frozen=True)
class EventSpec:
    object_id: str
    name: str
    event: str
    icon: str
    #: The ``event_type`` values (``payloads.ha_event_type``) this kind of event can carry.
    event_types: tuple[str, ...] = tuple(EVENT_TYPES)
    #: A leaf of the band's own (``<base>/<band>/cue``) instead of ``event/<event>``.
    leaf: str | None = None


EVENTS = (
    EventSpec("jump", "Jump", "jump", "mdi:human-handsup"),
    # A walk or a crank has no vertical direction.
    EventSpec("walking_bout", "Walking bout", "walk_bout", "mdi:walk", LEVEL_DIRECTIONS),
    EventSpec(
        "pedal_reversal",
        "Pedal reversal",
        "pedal_reversal",
        "mdi:swap-horizontal",
        LEVEL_DIRECTIONS,
    ),
    # The interval program's cues: an automation can speak ``text`` on a speaker.
    EventSpec(
        "coach_cue", "Coach cue", "cue", "mdi:bullhorn", tuple(map(str, CueKind)), leaf="cue"
    ),
)


def device_block(band: BandInfo) -> dict[str, Any]:
    """The ``device`` every entity of a band shares.

    The Bluetooth address is a ``bluetooth`` connection, upper case as BlueZ and bleak give
    it, which is how Home Assistant's own Bluetooth integrations declare theirs
    (``CONNECTION_BLUETOOTH``, homeassistant/helpers/device_registry.py), so a band another
    integration knows becomes one device. Home Assistant normalises only ``mac`` connections.
    """
    device: dict[str, Any] = {
        "identifiers": [f"retrosense_{band.band_id}"],
        "name": band.name,
    }
    if band.manufacturer:
        device["manufacturer"] = band.manufacturer
    if band.model:
        device["model"] = band.model
    if band.serial:
        device["serial_number"] = band.serial
    if band.firmware:
        device["sw_version"] = band.firmware
    if band.hardware:
        device["hw_version"] = band.hardware
    if band.address and _is_bluetooth_address(band.address):
        device["connections"] = [["bluetooth", band.address.upper()]]
    return device


def _is_bluetooth_address(text: str) -> bool:
    parts = text.split(":")
    return len(parts) == 6 and all(
        len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p) for p in parts
    )


def origin_block() -> dict[str, Any]:
    from sensor import package_version

    return {"name": "retrosense", "sw_version": package_version()}


#: The summary topic's availability: ``online`` while it holds a summary (an empty retained
#: message, which removes it, or anything else is ``offline``).
SUMMARY_AVAILABLE = (
    "{{ 'online' if value_json is defined and value_json.type == 'session_summary' "
    "else 'offline' }}"
)


def discovery_configs(topics: Topics, band: BandInfo) -> list[tuple[str, dict[str, Any]]]:
    """Every ``(topic, config)`` Home Assistant needs for one band."""
    b = band.band_id
    shared: dict[str, Any] = {"device": device_block(band), "origin": origin_block()}
    availability: dict[str, dict[str, Any]] = {
        LIVE: {
            "availability": [{"topic": topics.band_status(b)}, {"topic": topics.service_status}],
            "availability_mode": "all",
            "payload_available": "online",
            "payload_not_available": "offline",
        },
        SUMMARY: {
            "availability": [{"topic": topics.summary(b), "value_template": SUMMARY_AVAILABLE}],
            "payload_available": "online",
            "payload_not_available": "offline",
        },
    }
    out: list[tuple[str, dict[str, Any]]] = []
    for s in SENSORS:
        config: dict[str, Any] = {
            "name": s.name,
            "unique_id": f"retrosense_{b}_{s.object_id}",
            "state_topic": topics.band(b, s.leaf),
            "value_template": s.value_template,
            **shared,
            **availability[s.availability],
        }
        for key, value in (
            ("unit_of_measurement", s.unit),
            ("state_class", s.state_class),
            ("device_class", s.device_class),
            ("options", None if s.options is None else list(s.options)),
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
                    "state_topic": topics.band(b, e.leaf) if e.leaf else topics.event(b, e.event),
                    "event_types": list(e.event_types),
                    "icon": e.icon,
                    **shared,
                    **availability[LIVE],
                },
            )
        )
    return out


def discovery_topics(topics: Topics, band_id: str) -> list[str]:
    """The configuration topics of a band: an empty retained message on each removes it."""
    return [topics.discovery("sensor", band_id, s.object_id) for s in SENSORS] + [
        topics.discovery("event", band_id, e.object_id) for e in EVENTS
    ]
