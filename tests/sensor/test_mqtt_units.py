"""MQTT parts that need no broker: band ids, settings, payloads, live state, the outbox."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.events import Direction, JumpEvent, PedalReversalEvent, RevolutionEvent, StepEvent
from sensor.errors import BrokerError, ConfigError
from sensor.identity import (
    band_id_for,
    band_id_from_address,
    is_valid_band_id,
    sanitize_band_id,
    split_device,
)
from sensor.mqtt.outbox import Kind, Outbox, OutboxError
from sensor.mqtt.payloads import BandInfo, LiveState, event_payload, iso_utc
from sensor.mqtt.settings import ENV_PASSWORD, ENV_USERNAME, BrokerSettings, parse_broker_url
from sensor.mqtt.topics import Topics
from sensor.settings import load_dataclass, to_table

HOSTILE = ["a/b", "+", "#", "x/#", "../..", "$SYS", "a\x00b", "tab\there", "\n", "ü/ß", "", " "]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_band_names_become_one_safe_topic_level(name: str) -> None:
    band = sanitize_band_id(name)
    assert is_valid_band_id(band)
    topic = Topics("retrosense").event(band, "jump")
    levels = topic.split("/")
    assert levels == ["retrosense", band, "event", "jump"]
    assert not set("+#$\x00") & set(topic)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=80))
def test_any_text_sanitises_to_a_valid_stable_id(name: str) -> None:
    band = sanitize_band_id(name)
    assert is_valid_band_id(band)
    assert sanitize_band_id(name) == band
    assert all(ord(c) >= 0x20 for c in band)


def test_unsanitised_ids_are_refused_by_the_topic_tree() -> None:
    with pytest.raises(ValueError, match="not sanitised"):
        Topics().state("a/b")
    with pytest.raises(ValueError, match="not sanitised"):
        Topics().state("status")


def test_band_and_service_topics_never_overlap() -> None:
    assert sanitize_band_id("Status") == "status_"
    live, replay = Topics("rs"), Topics("rs", service="replay")
    assert (live.service_status, replay.service_status) == ("rs/status", "rs/status/replay")
    band_topics = {live.band_status("status_"), live.state("status_"), live.event("x", "jump")}
    assert not band_topics & {live.service_status, replay.service_status}


def test_band_id_comes_from_the_address_not_the_name() -> None:
    assert band_id_from_address("C8:2E:0A:1B:2C:3D") == "c82e0a1b2c3d"
    assert band_id_for(address="C8:2E:0A:1B:2C:3D", name="Polar H10 0A1B2C3D") == "c82e0a1b2c3d"
    assert band_id_for(name="Polar H10 0A1B2C3D") == "polar_h10_0a1b2c3d"
    assert band_id_for(id="Chest/Strap", address="C8:2E:0A:1B:2C:3D") == "chest_strap"
    uuid = "6E400001-B5A3-F393-E0A9-E50E24DCCA9E"
    assert band_id_from_address(uuid) == uuid.replace("-", "").lower()
    # A recording's device line, as record and convert write it: "<name> <address>".
    assert split_device("Polar H10 0A1B2C3D C8:2E:0A:1B:2C:3D") == (
        "Polar H10 0A1B2C3D",
        "C8:2E:0A:1B:2C:3D",
    )
    assert split_device("WT901BLE68") == ("WT901BLE68", None)


def test_broker_url_forms() -> None:
    assert parse_broker_url("mqtt://h").port == 1883
    assert parse_broker_url("mqtts://h").port == 8883
    u = parse_broker_url("mqtts://user:p%40ss@broker.local:9883")
    assert (u.host, u.port, u.tls, u.username, u.password) == (
        "broker.local",
        9883,
        True,
        "user",
        "p@ss",
    )
    assert "p@ss" not in str(u) and "p@ss" not in repr(u)
    for bad in ("http://h", "mqtt://", "mqtt://h:notaport", "mqtt://h/topic", "h:1883"):
        with pytest.raises(BrokerError):
            parse_broker_url(bad)


def test_settings_from_a_table_refuse_bad_keys_and_values() -> None:
    s = load_dataclass(BrokerSettings, {"url": "mqtts://b", "keepalive_s": 20}, "f.toml", "broker")
    assert s.broker.tls and s.keepalive_s == 20.0
    with pytest.raises(ConfigError, match="did you mean 'base_topic'"):
        load_dataclass(BrokerSettings, {"base_topc": "x"}, "f.toml", "broker")
    with pytest.raises(ConfigError, match="base_topic"):
        load_dataclass(BrokerSettings, {"base_topic": "a/#"}, "f.toml", "broker")
    with pytest.raises(ConfigError, match="mqtt:// or mqtts://"):
        load_dataclass(BrokerSettings, {"url": "tcp://b"}, "f.toml", "broker")
    with pytest.raises(ConfigError, match=r"within 5\.0\.\.3600\.0"):
        load_dataclass(BrokerSettings, {"keepalive_s": 1}, "f.toml", "broker")


def test_credentials_from_the_environment_and_masked() -> None:
    s = BrokerSettings(username="file-user").with_environment(
        {ENV_USERNAME: "env-user", ENV_PASSWORD: "s3cret"}
    )
    assert (s.broker.username, s.broker.password) == ("env-user", "s3cret")
    shown = to_table(s)
    assert shown["username"] == "***" and shown["password"] == "***"
    assert BrokerSettings().with_environment({}).broker.username is None


def test_tls_files_are_checked_before_connecting(tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match=r"ca_file .* is not a readable file"):
        BrokerSettings(url="mqtts://b", ca_file=str(tmp_path / "nope.pem")).check_files()
    with pytest.raises(BrokerError, match="not mqtts"):
        BrokerSettings(url="mqtt://b", ca_file=__file__).check_files()


def jump(t: float, direction: Direction = Direction.BACKWARD) -> JumpEvent:
    return JumpEvent(
        t=t,
        detected_at=t + 0.2,
        takeoff_t=t - 0.4,
        landing_t=t,
        flight_time_s=0.4,
        height_m=9.80665 * 0.4**2 / 8,
        landing_peak_g=4.5,
        direction=direction,
    )


def test_event_payload_is_the_spec_object_plus_identity_and_time() -> None:
    when = datetime(2026, 5, 1, 12, 0, 1, 250_000, tzinfo=UTC)
    event = jump(10.0)
    body = event_payload("chest", event, event_id="s-1", seq=1, when=when)
    assert {k: body[k] for k in event.to_dict()} == event.to_dict()
    assert body["band"] == "chest" and body["event_id"] == "s-1" and body["seq"] == 1
    assert body["time"] == "2026-05-01T12:00:01.250Z"
    assert body["event_type"] == "backward"
    reversal = PedalReversalEvent(
        t=1, detected_at=2, from_direction=Direction.FORWARD, to_direction=Direction.BACKWARD
    )
    body = event_payload("b", reversal, event_id="s-2", seq=2, when=when)
    assert (body["from"], body["to"], body["event_type"]) == ("forward", "backward", "backward")
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 1, 1))


def test_live_state_counts_cadence_and_goes_stale() -> None:
    state = LiveState()
    for i in range(11):
        state.add_event(
            StepEvent(t=i * 0.5, detected_at=i * 0.5 + 0.3, direction=Direction.BACKWARD)
        )
    state.add_event(StepEvent(t=5.5, detected_at=5.8, direction=Direction.FORWARD))
    state.add_event(jump(6.0))
    state.add_hr(6.0, 131.0, [458.0])
    snap = state.snapshot(6.0)
    assert snap["steps_backward"] == 11 and snap["steps_forward"] == 1
    assert snap["step_cadence_spm"] == pytest.approx(120.0)
    assert snap["jumps"] == 1 and snap["last_jump_height_m"] == pytest.approx(0.196, abs=1e-3)
    assert snap["last_jump_landing_peak_g"] == 4.5
    assert snap["hr_bpm"] == 131.0 and snap["rr_ms"] == [458.0]
    later = state.snapshot(30.0)
    assert later["step_cadence_spm"] == 0.0 and later["hr_bpm"] is None
    state.add_event(
        RevolutionEvent(t=31.0, detected_at=31.1, direction=Direction.BACKWARD, cadence_rpm=62.0)
    )
    snap = state.snapshot(31.5)
    assert (snap["pedal_cadence_rpm"], snap["pedal_direction"]) == (62.0, "backward")
    assert state.snapshot(40.0)["pedal_cadence_rpm"] == 0.0
    json.dumps(snap)
    # A turn the band could not tell the direction of is no forward one.
    state.add_event(
        RevolutionEvent(t=41.0, detected_at=41.1, direction=Direction.UNKNOWN, cadence_rpm=55.0)
    )
    snap = state.snapshot(41.5)
    assert (snap["revolutions_forward"], snap["revolutions_backward"]) == (0, 1)
    assert snap["revolutions_unknown"] == 1 and snap["pedal_direction"] == "unknown"


def test_live_state_carries_a_linked_jumps_contact_time_and_rsi() -> None:
    # Home Assistant's "Last jump contact time" / "... reactive strength index" read these.
    state = LiveState()
    state.add_event(jump(6.0))
    snap = state.snapshot(6.5)
    assert snap["last_jump_contact_time_s"] is None
    assert snap["last_jump_reactive_strength_index"] is None
    linked = dataclasses.replace(
        jump(8.0), contact_time_s=0.2481, reactive_strength_index=1.6123, repetition=2
    )
    state.add_event(linked)
    snap = state.snapshot(8.5)
    assert snap["last_jump_contact_time_s"] == 0.248
    assert snap["last_jump_reactive_strength_index"] == 1.61
    state.add_event(jump(10.0))  # a jump after a pause has neither: not the stale values
    assert state.snapshot(10.5)["last_jump_contact_time_s"] is None


def test_band_info_needs_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        BandInfo("b", "B", datetime(2026, 1, 1))


def test_outbox_keeps_order_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    with Outbox(path, 100) as box:
        ids = [box.put(Kind.EVENT, f"t/{i}", f"{i}".encode(), 1, False) for i in range(5)]
        assert ids == sorted(ids)
        box.delete(ids[0])
    with Outbox(path, 100) as box:
        assert len(box) == 4
        assert [m.payload for m in box.after(0, 10)] == [b"1", b"2", b"3", b"4"]
        assert [m.payload for m in box.after(ids[2], 10)] == [b"3", b"4"]


def test_full_outbox_drops_raw_then_state_then_events_and_counts(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite3", 6) as box:
        box.put(Kind.EVENT, "e", b"e0", 1, False)
        box.put(Kind.STATE, "s", b"s0", 1, False)
        box.put(Kind.RAW, "r", b"r0", 1, False)
        box.put(Kind.STATE, "s", b"s1", 1, False)
        box.put(Kind.EVENT, "e", b"e1", 1, False)
        box.put(Kind.RAW, "r", b"r1", 1, False)
        box.put(Kind.EVENT, "e", b"e2", 1, False)  # drops r0
        box.put(Kind.EVENT, "e", b"e3", 1, False)  # drops r1
        box.put(Kind.EVENT, "e", b"e4", 1, False)  # drops s0
        assert box.put(Kind.RAW, "r", b"r2", 1, False) is None  # nothing below raw: itself
        box.put(Kind.STATE, "s", b"s2", 1, False)  # drops s1
        box.put(Kind.EVENT, "e", b"e5", 1, False)  # drops s2
        box.put(Kind.EVENT, "e", b"e6", 1, False)  # only events left: drops e0
        assert box.last_dropped is Kind.EVENT
        kept = [m.payload for m in box.after(0, 100)]
        assert kept == [b"e1", b"e2", b"e3", b"e4", b"e5", b"e6"]
        assert box.counters() == {"dropped_raw": 3, "dropped_state": 3, "dropped_event": 1}
    with Outbox(tmp_path / "o.sqlite3", 6) as box:
        assert box.counters()["dropped_raw"] == 3


def test_a_second_process_cannot_open_the_same_outbox(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "o.sqlite3"
    with Outbox(path, 10):
        code = (
            "import sys\nfrom sensor.mqtt.outbox import Outbox, OutboxError\n"
            f"try:\n    Outbox({str(path)!r}, 10)\nexcept OutboxError as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 3, out.stderr
    assert "in use by another retrosense process" in out.stdout
    with pytest.raises(OutboxError):
        raise OutboxError(path, "x")


def test_state_is_throttled_and_carries_heart_rate(tmp_path: Path) -> None:
    """No broker needed: what the publisher queues is in its counters and outbox."""
    from sensor.mqtt.publisher import Publisher

    s = BrokerSettings(
        url="mqtt://127.0.0.1:9",  # discard port: nothing answers
        outbox_path=str(tmp_path / "o.sqlite3"),
        state_interval_s=1.0,
        discovery=False,
    )
    pub = Publisher(s)
    pub.start()
    try:
        pub.band_online(BandInfo("b", "B", datetime(2026, 5, 1, tzinfo=UTC)))
        for i in range(100):  # 10 s in 0.1 s notifications
            t = 0.1 * (i + 1)
            pub.publish_hr("b", t, 120.0 + i % 5, [500.0])
            pub.tick("b", t)
        assert pub.counters()["enqueued_state"] == 10
        assert pub.state("b")["hr_bpm"] == 124.0
        with pytest.raises(KeyError, match="band_online"):
            pub.publish_event("unknown", jump(1.0))
    finally:
        assert not pub.stop(0.1)
    with Outbox(tmp_path / "o.sqlite3", 100) as box:
        states = [json.loads(m.payload) for m in box.after(0, 100) if m.topic.endswith("/state")]
    assert [round(x["t"], 1) for x in states] == [round(0.1 + k, 1) for k in range(10)]
    assert all(x["hr_bpm"] is not None and x["rr_ms"] == [500.0] for x in states)
