"""The real client: Home Assistant Core reads a replay from the test broker.

Home Assistant (tests/ha/runner.py) discovers the replayed band, takes its live state while
the workout runs and keeps the last session's numbers after the band goes offline; a band
announced with its Bluetooth address, serial number and firmware becomes a device with those.
Everything is read back from Home Assistant itself: states over ``mqtt_statestream``,
entities and devices from its registries.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from analysis.events import Direction
from sensor.cli import main
from sensor.demo import demo_recording
from sensor.mqtt.discovery import LIVE, SENSORS, SUMMARY, discovery_configs
from sensor.mqtt.payloads import BandInfo
from sensor.mqtt.publisher import Publisher
from sensor.mqtt.settings import BrokerSettings
from sensor.mqtt.topics import Topics
from tests.conftest import Mosquitto
from tests.ha.runner import START_TIMEOUT_S, STATESTREAM, HomeAssistant, home_assistant_python
from tests.sensor.mqtt_sink import Received, Sink
from tests.sensor.test_ha_schema import BAND as FULL_BAND

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

BAND = "ha_replay"
#: A band with everything its Device Information service tells.
DEVICE_BAND = FULL_BAND


def states_by_entity(messages: list[Received]) -> dict[str, list[str]]:
    """``sensor.x`` -> the states Home Assistant published for it, in order."""
    out: dict[str, list[str]] = {}
    for m in messages:
        parts = m.topic.split("/")
        if len(parts) == 4 and parts[0] == STATESTREAM and parts[3] == "state":
            out.setdefault(f"{parts[1]}.{parts[2]}", []).append(m.payload.decode())
    return out


def attribute_values(messages: list[Received], entity_id: str, attribute: str) -> list[Any]:
    domain, object_id = entity_id.split(".")
    topic = f"{STATESTREAM}/{domain}/{object_id}/{attribute}"
    return [json.loads(m.payload) for m in messages if m.topic == topic]


def replay(url: str, tmp_path: Path, name: str, *extra: str) -> dict[str, Any]:
    summary = tmp_path / f"{name}.summary.json"
    code = main(
        [
            "replay",
            str(demo_recording()),
            "--broker",
            url,
            "--speed",
            "max",
            "--band-id",
            BAND,
            "--client-id",
            f"ha-test-{name}",
            "--summary",
            str(summary),
            *extra,
        ]
    )
    assert code == 0
    result: dict[str, Any] = json.loads(summary.read_text())
    return result


def test_home_assistant_takes_every_entity_and_keeps_the_last_session(
    mosquitto_factory: type[Mosquitto], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = home_assistant_python()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    broker = mosquitto_factory().start()
    sink = Sink(broker.url, [f"{STATESTREAM}/#", "homeassistant/status"], client_id="ha-sink")
    ha = HomeAssistant(python, tmp_path / "ha", broker.port)
    ha.config.mkdir()
    ha.start()
    try:
        sink.wait_for(
            lambda got: any(
                m.topic == "homeassistant/status" and m.payload == b"online" for m in got
            ),
            timeout_s=START_TIMEOUT_S,
        )
        n_entities = len(discovery_configs(Topics(), DEVICE_BAND))
        # A first workout makes the entities (kept, as a band the service knows keeps them);
        # the second is then followed live; the third, as replays are by default, removes
        # them at its end.
        replay(broker.url, tmp_path, "first", "--keep-discovery")
        sink.wait_for(lambda got: len(states_by_entity(got)) >= n_entities, timeout_s=120)
        mark = len(sink.snapshot())
        summary = replay(broker.url, tmp_path, "second", "--keep-discovery")

        # A band with everything its Device Information service tells; its battery readings
        # also mark how far Home Assistant has got: it takes the broker's messages in order,
        # so once it has a reading, it has had everything the replays sent before.
        settings = BrokerSettings(
            url=broker.url,
            client_id="ha-test-device",
            outbox_path=str(tmp_path / "device-outbox.sqlite3"),
        )
        pub = Publisher(settings)
        pub.start()
        try:
            pub.band_online(DEVICE_BAND)

            def battery_seen(pct: int) -> int:
                pub.publish_battery(DEVICE_BAND.band_id, pct)
                # Home Assistant's own state of the reading, not the band's message to it; a
                # battery entity's, since a heart rate or a count can read the same number.
                got = sink.wait_for(
                    lambda got: any(
                        m.topic.startswith(f"{STATESTREAM}/sensor/")
                        and m.topic.endswith("_battery/state")
                        and m.payload == str(pct).encode()
                        for m in got
                    ),
                    timeout_s=120,
                )
                return len(got)

            after_second = battery_seen(87)

            # Home Assistant's statestream publishes from tasks of its own, each state's
            # attributes one by one, so the battery reading alone does not prove the
            # workout's states are out: its pedalling and its walking bout's type, too.
            def workout_out(got: list[Received]) -> bool:
                return any(
                    m.topic.endswith("_activity/state") and m.payload == b"pedalling"
                    for m in got[mark:]
                ) and any(
                    m.topic.endswith("_walking_bout/event_type") and m.payload == b'"backward"'
                    for m in got[mark:]
                )

            after_second = max(after_second, len(sink.wait_for(workout_out, timeout_s=120)))
            replay(broker.url, tmp_path, "third")
            battery_seen(88)
        finally:
            pub.stop(5)
    finally:
        ha.stop()
        sink.close()

    registry = ha.storage("core.entity_registry")
    kept = {e["unique_id"]: e for e in registry["entities"] if e["platform"] == "mqtt"}
    removed = {e["unique_id"]: e for e in registry["deleted_entities"]}
    entities = {**removed, **kept}
    for _, config in discovery_configs(Topics(), DEVICE_BAND):
        assert config["unique_id"] in kept, f"Home Assistant refused {config['unique_id']}"
    # The replayed band had every entity (each had states) and is gone: the third replay
    # removed its discovery at the end.
    for _, config in discovery_configs(Topics(), BandInfo(BAND, BAND, DEVICE_BAND.started)):
        assert config["unique_id"] in removed and config["unique_id"] not in kept

    devices = {
        tuple(map(tuple, d["identifiers"])): d
        for d in ha.storage("core.device_registry")["devices"]
    }
    device = devices[(("mqtt", f"retrosense_{DEVICE_BAND.band_id}"),)]
    assert device["connections"] == [["bluetooth", "C8:2E:0A:1B:2C:3D"]]
    assert (device["serial_number"], device["sw_version"], device["hw_version"]) == (
        "C82E0A1B",
        "3.1.1",
        "39044024.02",
    )
    assert (device["manufacturer"], device["model"]) == ("Polar Electro Oy", "H10")

    messages = sink.snapshot()[:after_second]
    second = states_by_entity(messages[mark:])

    def entity(object_id: str) -> str:
        return str(entities[f"retrosense_{BAND}_{object_id}"]["entity_id"])

    def numbers(object_id: str, states: dict[str, list[str]] = second) -> list[float]:
        out = []
        for s in states.get(entity(object_id), []):
            with contextlib.suppress(ValueError):
                out.append(float(s))
        return out

    # While the workout ran: the live values people automate on.
    assert "backward" in second[entity("walking_direction")]
    assert {"walking", "pedalling"} <= set(second[entity("activity")])
    assert "backward" in second[entity("pedal_direction")]
    assert set(second[entity("last_jump_direction")]) & {str(d) for d in Direction}
    assert max(numbers("steps_backward")) == summary["steps"]["backward"]
    assert max(numbers("revolutions_backward")) == summary["pedalling"]["revolutions_backward"]
    assert max(numbers("jumps")) == summary["jumps"]["count"]
    assert max(numbers("walking_bouts")) >= 1
    assert numbers("last_jump_height")
    bouts = attribute_values(messages[mark:], entity("walking_bout"), "event_type")
    assert "backward" in bouts

    # After it: live entities unavailable (the band is offline), the last session readable
    # (the same numbers as the first run's: Home Assistant publishes a state only on a change).
    every = states_by_entity(messages)
    for spec in SENSORS:
        final = every.get(entity(spec.object_id), ["(none)"])[-1]
        if spec.availability == LIVE:
            assert final == "unavailable", (spec.object_id, final)
        else:
            assert spec.availability == SUMMARY
            assert final != "unavailable", (spec.object_id, final)
    assert numbers("last_session_steps_backward", every)[-1] == summary["steps"]["backward"]
    assert numbers("last_session_jumps", every)[-1] == summary["jumps"]["count"]
    assert numbers("last_session_duration", every)[-1] == pytest.approx(summary["duration_s"])

    # Nothing Home Assistant had to say about our entities or messages (an invalid state, a
    # unit its device class does not take, a template error); its own start-up notes aside,
    # and its note that a task of its own outlived a shutdown stage (a busy machine's timing
    # when the test stops it, nothing the band's messages caused).
    problems = [
        line
        for line in ha.log_lines("WARNING") + ha.log_lines("ERROR")
        if "[homeassistant.bootstrap]" not in line
        and not ("[homeassistant.core]" in line and "shutdown stage" in line)
    ]
    assert not problems, problems
