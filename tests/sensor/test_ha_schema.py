"""Every Home Assistant discovery payload against Home Assistant's documented rules.

The rules are pinned here as data, each with where it comes from, so that a change to our
entities that Home Assistant would refuse (or silently mangle) fails here, without a Home
Assistant install. ``tests/sensor/test_home_assistant.py`` runs the real thing where it can.

Sources (Home Assistant Core, ``homeassistant/``):

- ``components/sensor/const.py``: ``SensorDeviceClass``, ``SensorStateClass``,
  ``DEVICE_CLASS_UNITS`` (the units each device class accepts), ``DEVICE_CLASS_STATE_CLASSES``
  (the state classes each accepts) and ``NON_NUMERIC_DEVICE_CLASSES``; ``const.py`` for the
  unit enums (``UnitOfLength``, ``UnitOfTime``, ``UnitOfEnergy``, ``PERCENTAGE``).
- ``components/mqtt/sensor.py``, ``validate_sensor_state_and_device_class_config``: ``options``
  must not be empty, only with device class ``enum``, never with ``state_class`` or
  ``unit_of_measurement``; a unit outside ``DEVICE_CLASS_UNITS`` for its device class is
  refused from Core 2025.7 on. The discovery schema drops unknown keys silently
  (``extra=vol.REMOVE_EXTRA``), so a misspelt key is lost, not reported.
- ``components/mqtt/sensor.py``, ``_update_state``: a rendered ``None`` makes the state unknown
  (``PAYLOAD_NONE``); an enum state outside ``options`` is ignored with a warning.
- ``components/mqtt/event.py``: ``event_types`` is required (a list of strings).
- ``components/mqtt/discovery.py``, ``TOPIC_MATCHER``:
  ``<component>/[<node_id>/]<object_id>/config`` with ids in ``[a-zA-Z0-9_-]+``.
- ``components/mqtt/schemas.py`` / ``mixins.py``: ``availability`` entries (``topic``
  required; ``payload_available``, ``payload_not_available``, ``value_template``);
  ``availability_mode`` one of ``all``, ``any``, ``latest``; a ``device`` needs
  ``identifiers`` or ``connections``; device keys (``serial_number``, ``sw_version``,
  ``hw_version``, ...).
- ``components/sensor/__init__.py``: a sensor's entity category can only be ``diagnostic``
  (``config`` is refused).
- ``helpers/device_registry.py``: ``CONNECTION_BLUETOOTH = "bluetooth"``; only
  ``CONNECTION_NETWORK_MAC`` addresses are normalised, so Bluetooth integrations' upper-case
  addresses must be matched as they are.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import jinja2
import pytest

from analysis.events import Direction
from analysis.program import CueKind
from sensor.mqtt.discovery import (
    ACTIVITIES,
    EVENTS,
    LIVE,
    SENSORS,
    SUMMARY,
    device_block,
    discovery_configs,
    discovery_topics,
)
from sensor.mqtt.payloads import BandInfo, LiveState, encode
from sensor.mqtt.topics import Topics

# --- pinned facts ---------------------------------------------------------------------------

STATE_CLASSES = {"measurement", "measurement_angle", "total", "total_increasing"}
ALL_STATE_CLASSES = STATE_CLASSES
#: DEVICE_CLASS_UNITS for the device classes this project uses.
DEVICE_CLASS_UNITS: dict[str, set[str | None]] = {
    "battery": {"%"},
    # UnitOfLength
    "distance": {"km", "m", "cm", "mm", "mi", "nmi", "yd", "in", "ft"},
    # Only these UnitOfTime members
    "duration": {"d", "h", "min", "s", "ms", "μs"},
    # UnitOfEnergy
    "energy": {
        "J",
        "kJ",
        "MJ",
        "GJ",
        "mWh",
        "Wh",
        "kWh",
        "MWh",
        "GWh",
        "TWh",
        "cal",
        "kcal",
        "Mcal",
        "Gcal",
    },
}
#: DEVICE_CLASS_STATE_CLASSES for the device classes this project uses.
DEVICE_CLASS_STATE_CLASSES: dict[str, set[str]] = {
    "battery": {"measurement"},
    "distance": ALL_STATE_CLASSES,
    "duration": ALL_STATE_CLASSES,
    "energy": {"total", "total_increasing"},
    "enum": set(),
    "timestamp": set(),
}
NON_NUMERIC_DEVICE_CLASSES = {"date", "enum", "timestamp"}
SENSOR_ENTITY_CATEGORIES = {"diagnostic"}
AVAILABILITY_MODES = {"all", "any", "latest"}
AVAILABILITY_KEYS = {"topic", "payload_available", "payload_not_available", "value_template"}
DEVICE_KEYS = {
    "identifiers",
    "connections",
    "name",
    "manufacturer",
    "model",
    "model_id",
    "serial_number",
    "sw_version",
    "hw_version",
    "suggested_area",
    "via_device",
    "configuration_url",
}
ORIGIN_KEYS = {"name", "sw_version", "support_url"}
#: The keys we may send (the MQTT sensor / event schemas hold more; these are what we use).
COMMON_KEYS = {
    "name",
    "unique_id",
    "state_topic",
    "value_template",
    "device",
    "origin",
    "availability",
    "availability_mode",
    "payload_available",
    "payload_not_available",
    "icon",
    "entity_category",
}
SENSOR_KEYS = COMMON_KEYS | {"unit_of_measurement", "state_class", "device_class", "options"}
EVENT_KEYS = COMMON_KEYS | {"event_types", "device_class"}
TOPIC_MATCHER = re.compile(
    r"(?P<component>\w+)/(?:(?P<node_id>[a-zA-Z0-9_-]+)/)?(?P<object_id>[a-zA-Z0-9_-]+)/config"
)
CONNECTION_BLUETOOTH = "bluetooth"

# --- material -------------------------------------------------------------------------------

TOPICS = Topics("retrosense", "homeassistant")
BAND = BandInfo(
    "c82e0a1b2c3d",
    "Polar H10 0A1B2C3D",
    datetime(2026, 5, 1, 9, 30, tzinfo=UTC),
    address="C8:2E:0A:1B:2C:3D",
    model="H10",
    manufacturer="Polar Electro Oy",
    serial="C82E0A1B",
    firmware="3.1.1",
    hardware="39044024.02",
    placement="shank",
)


def configs() -> list[tuple[str, dict[str, Any]]]:
    return discovery_configs(TOPICS, BAND)


def component(topic: str) -> str:
    return topic.split("/")[1]


# --- the rules ------------------------------------------------------------------------------


def test_topics_match_home_assistants_discovery_pattern_and_unique_ids_are_unique() -> None:
    seen: set[str] = set()
    for topic, config in configs():
        prefix, rest = topic.split("/", 1)
        assert prefix == "homeassistant"
        match = TOPIC_MATCHER.fullmatch(rest)
        assert match, topic
        assert match["component"] in {"sensor", "event"}
        assert match["node_id"] == f"retrosense_{BAND.band_id}"
        assert config["unique_id"] not in seen
        seen.add(config["unique_id"])
    assert {t for t, _ in configs()} == set(discovery_topics(TOPICS, BAND.band_id))


@pytest.mark.parametrize("spec", SENSORS, ids=lambda s: s.object_id)
def test_every_sensor_follows_the_sensor_rules(spec: Any) -> None:
    config = dict(configs())[TOPICS.discovery("sensor", BAND.band_id, spec.object_id)]
    assert set(config) <= SENSOR_KEYS, set(config) - SENSOR_KEYS
    device_class = config.get("device_class")
    unit = config.get("unit_of_measurement")
    state_class = config.get("state_class")
    options = config.get("options")
    if state_class is not None:
        assert state_class in STATE_CLASSES
    if device_class in DEVICE_CLASS_UNITS:
        assert unit in DEVICE_CLASS_UNITS[device_class], (device_class, unit)
    if device_class in NON_NUMERIC_DEVICE_CLASSES:
        assert unit is None and state_class is None
    if device_class in DEVICE_CLASS_STATE_CLASSES and state_class is not None:
        assert state_class in DEVICE_CLASS_STATE_CLASSES[device_class], (device_class, state_class)
    if options is not None:
        assert options and all(isinstance(o, str) for o in options)
        assert device_class == "enum" and unit is None and state_class is None
    if device_class == "enum":
        assert options, "an enum sensor lists its options"
    if "entity_category" in config:
        assert config["entity_category"] in SENSOR_ENTITY_CATEGORIES


def test_every_event_entity_lists_its_event_types() -> None:
    events = [(t, c) for t, c in configs() if component(t) == "event"]
    assert len(events) == len(EVENTS)
    for _, config in events:
        assert set(config) <= EVENT_KEYS
        assert config["event_types"] and all(isinstance(e, str) for e in config["event_types"])
        if config["state_topic"].endswith("/cue"):  # the interval program's cues, by kind
            assert config["event_types"] == [str(k) for k in CueKind]
        else:
            assert set(config["event_types"]) <= {str(d) for d in Direction}


def test_availability_device_and_origin_blocks() -> None:
    for _, config in configs():
        assert config["availability"]
        for entry in config["availability"]:
            assert "topic" in entry and set(entry) <= AVAILABILITY_KEYS
        assert config.get("availability_mode", "latest") in AVAILABILITY_MODES
        device = config["device"]
        assert set(device) <= DEVICE_KEYS
        assert device.get("identifiers") or device.get("connections")
        assert set(config["origin"]) <= ORIGIN_KEYS


def test_the_device_is_a_bluetooth_connection_with_serial_number_and_firmware() -> None:
    device = device_block(BAND)
    assert device["connections"] == [[CONNECTION_BLUETOOTH, "C8:2E:0A:1B:2C:3D"]]
    assert device["serial_number"] == "C82E0A1B"
    assert device["sw_version"] == "3.1.1"
    assert device["hw_version"] == "39044024.02"
    # Lower case in, upper case out (as BlueZ and bleak report it); a macOS UUID is no address.
    lower = BandInfo("x", "x", BAND.started, address="c8:2e:0a:1b:2c:3d")
    assert device_block(lower)["connections"] == [["bluetooth", "C8:2E:0A:1B:2C:3D"]]
    uuid = BandInfo("x", "x", BAND.started, address="6F9D2C1E-0000-4E0A-9A1B-0123456789AB")
    assert "connections" not in device_block(uuid)


def test_live_entities_follow_the_band_and_summary_entities_have_their_own_availability() -> None:
    by_id = {c["unique_id"].removeprefix(f"retrosense_{BAND.band_id}_"): c for _, c in configs()}
    for spec in SENSORS:
        config = by_id[spec.object_id]
        topics = [a["topic"] for a in config["availability"]]
        if spec.availability == SUMMARY:
            assert topics == [TOPICS.summary(BAND.band_id)]
            assert config["state_topic"] == TOPICS.summary(BAND.band_id)
        else:
            assert spec.availability == LIVE
            assert topics == [TOPICS.band_status(BAND.band_id), TOPICS.service_status]
            assert config["availability_mode"] == "all"
    names = {c["name"] for c in by_id.values()}
    for wanted in (
        "Activity",
        "Walking direction",
        "Pedal direction",
        "Last jump direction",
        "Last jump height",
        "Walking bouts",
        "Steps of unknown direction",
        "Revolutions of unknown direction",
        "Last session backward steps",
    ):
        assert wanted in names
    assert by_id["activity"]["options"] == list(ACTIVITIES)
    assert by_id["pedal_direction"]["options"] == ["forward", "backward", "unknown"]
    assert by_id["walking_direction"]["options"] == ["forward", "backward", "unknown"]
    assert set(by_id["last_jump_direction"]["options"]) == {str(d) for d in Direction}


# --- the templates, rendered as Home Assistant renders them (Jinja) --------------------------

ENV = jinja2.Environment()


def render(template: str, payload: bytes) -> str:
    """``MqttValueTemplate.async_render_with_possible_json_value``: ``value`` is the payload,
    ``value_json`` its JSON where it parses."""
    variables: dict[str, Any] = {"value": payload.decode()}
    with contextlib.suppress(ValueError):
        variables["value_json"] = json.loads(payload)
    return ENV.from_string(template).render(**variables)


def workout_payloads() -> tuple[list[bytes], bytes]:
    """Live state messages and the summary of the bundled demo workout (walking backward,
    jumps, pedalling), built by the real pipeline and payload code."""
    from analysis.registry import build_pipeline
    from analysis.summary import summarize_session
    from sensor.demo import demo_recording
    from sensor.sources import SourceOptions, open_source

    rate_hz = open_source(demo_recording()).info.sample_rate_hz
    source = open_source(demo_recording(), SourceOptions(chunk_rows=round(rate_hz / 10)))
    pipeline = build_pipeline(source.info)
    state = LiveState()
    states: list[bytes] = []
    events = []
    last_t = 0.0
    next_t = 0.0
    for chunk in source.body_chunks():
        if len(chunk) == 0:
            continue
        for event in pipeline.update(chunk):
            state.add_event(event)
            events.append(event)
        last_t = float(chunk.time_s[-1])
        if last_t >= next_t:
            states.append(encode({"band": BAND.band_id, **state.snapshot(last_t)}))
            next_t = last_t + 2.0
    for event in pipeline.flush():
        state.add_event(event)
        events.append(event)
    states.append(encode({"band": BAND.band_id, **state.snapshot(last_t)}))
    summary = summarize_session(events, start_s=0.0, end_s=last_t, hr_t_s=None, hr_bpm=None)
    body = {"band": BAND.band_id, "time": "2026-05-01T09:31:17.000Z", "session": "s"}
    body.update(summary.to_dict())
    return states, encode(body)


@pytest.fixture(scope="module")
def payloads() -> tuple[list[bytes], bytes]:
    return workout_payloads()


def test_every_template_renders_a_state_home_assistant_takes(
    payloads: tuple[list[bytes], bytes],
) -> None:
    states, summary = payloads
    by_topic = dict(configs())
    seen: dict[str, set[str]] = {}
    for spec in SENSORS:
        config = by_topic[TOPICS.discovery("sensor", BAND.band_id, spec.object_id)]
        if spec.leaf == "battery":
            messages = [encode({"band": BAND.band_id, "battery_pct": 87})]
        elif spec.leaf == "summary":
            messages = [summary]
        else:
            messages = states
        for message in messages:
            out = render(config["value_template"], message)
            seen.setdefault(spec.object_id, set()).add(out)
            if out == "None":
                continue  # unknown (PAYLOAD_NONE)
            assert out != "", f"{spec.object_id}: a missing field renders '' (ignored or invalid)"
            if "options" in config:
                assert out in config["options"], (spec.object_id, out)
            elif config.get("device_class") == "timestamp":
                assert datetime.fromisoformat(out.replace("Z", "+00:00")).tzinfo is not None
            else:
                float(out)  # numeric: a unit or a state class makes Home Assistant expect one
    # The workout walks backward, jumps and pedals backward: the entities people automate on
    # see those values, not just unknown.
    assert "backward" in seen["walking_direction"]
    assert "backward" in seen["pedal_direction"]
    assert seen["last_jump_direction"] - {"None"}
    assert {"walking", "pedalling"} <= seen["activity"] <= {"None", *ACTIVITIES}
    assert int(next(iter(seen["last_session_steps_backward"]))) > 0
    assert seen["last_session_heart_rate_mean"] == {"None"}  # no strap in the demo


def test_the_summary_availability_template_says_online_only_for_a_summary(
    payloads: tuple[list[bytes], bytes],
) -> None:
    _, summary = payloads
    config = dict(configs())[TOPICS.discovery("sensor", BAND.band_id, "last_session_jumps")]
    (entry,) = config["availability"]
    assert render(entry["value_template"], summary) == "online"
    assert render(entry["value_template"], b"") == "offline"  # the summary was removed
    assert render(entry["value_template"], b'{"type":"other"}') == "offline"


def test_docs_name_every_entity() -> None:
    from tests.paths import ROOT

    docs = (ROOT / "docs" / "mqtt.md").read_text(encoding="utf-8")
    for spec in SENSORS:
        assert f"*{spec.name}*" in docs, spec.name
    for event in EVENTS:
        assert f"*{event.name}*" in docs, event.name
