"""MQTT out against a real Mosquitto (and the embedded iotcore broker): its guarantees.

Every subscriber here is a real client (paho, or the ``mosquitto_sub`` command). Each test
uses its own base topic, so the session broker's retained messages do not mix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from analysis.events import Direction, Event, JumpEvent, PedalReversalEvent, StepEvent
from analysis.program import CueKind
from sensor.mqtt.discovery import EVENT_TYPES, discovery_topics
from sensor.mqtt.payloads import BandInfo, event_id
from sensor.mqtt.publisher import Publisher
from sensor.mqtt.settings import BrokerSettings
from sensor.mqtt.topics import sanitize_band_id
from sensor.session import analyze_file
from tests.conftest import Mosquitto, free_port, need_tool
from tests.paths import AS_RECORDINGS, DATA, ROOT
from tests.sensor.mqtt_sink import WAIT_S, Received, Sink

STARTED = datetime(2026, 5, 1, 9, 30, 0, tzinfo=UTC)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def settings_for(url: str, tmp_path: Path, **kw: Any) -> BrokerSettings:
    base = dict(
        url=url,
        base_topic=unique("rt"),
        discovery_prefix=unique("ha"),
        client_id=unique("pub-"),
        outbox_path=str(tmp_path / "outbox.sqlite3"),
    )
    base.update(kw)
    return BrokerSettings(**base)  # type: ignore[arg-type]


def jump(i: int) -> JumpEvent:
    return jump_at(
        10.0 + 2.0 * i,
        landing_peak_g=4.0 + i % 3,
        direction=(Direction.BACKWARD, Direction.FORWARD, Direction.VERTICAL)[i % 3],
    )


def jump_at(
    t: float, landing_peak_g: float = 4.0, direction: Direction = Direction.BACKWARD
) -> JumpEvent:
    """A jump landing at ``t`` (with the defaults: the child process's event)."""
    return JumpEvent(
        t=t,
        detected_at=t + 0.25,
        takeoff_t=t - 0.4,
        landing_t=t,
        flight_time_s=0.4,
        height_m=0.196,
        landing_peak_g=landing_peak_g,
        direction=direction,
    )


def events_on(messages: list[Received], base: str) -> list[dict[str, Any]]:
    return [m.json for m in messages if m.topic.startswith(f"{base}/") and "/event/" in m.topic]


def first_seen(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop QoS 1 duplicates by event id, keeping first arrivals in order."""
    seen: set[str] = set()
    out = []
    for e in events:
        if e["event_id"] not in seen:
            seen.add(e["event_id"])
            out.append(e)
    return out


def wait_connected(pub: Publisher) -> None:
    deadline = time.monotonic() + WAIT_S
    while not pub.counters()["connected"]:
        assert time.monotonic() < deadline, pub.counters()
        time.sleep(0.02)


def replay_files() -> list[Path]:
    """The real jump recording and one simulated walk, jump and cycling session, if present."""
    sim = DATA / "sim"
    files = [AS_RECORDINGS / "mcginnis_sacrum_jump.csv"]
    for kind in ("walk", "jumps", "cycle"):
        files += sorted(sim.glob(f"{kind}_*.csv"))[:1]
    return [f for f in files if f.exists()]


# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", replay_files(), ids=lambda p: p.name)
def test_replay_delivers_every_event_once_read_by_mosquitto_sub(
    mosquitto: Mosquitto, tmp_path: Path, path: Path
) -> None:
    """``retrosense replay`` as a user runs it; the real ``mosquitto_sub`` reads the events."""
    expected, _ = analyze_file(str(path))
    base = unique("rt")
    config = tmp_path / "c.toml"
    config.write_text(
        f'[broker]\nurl = "{mosquitto.url}"\nbase_topic = "{base}"\n'
        f'outbox_path = "{tmp_path / "outbox.sqlite3"}"\n'
    )
    sub = subprocess.Popen(
        [
            need_tool("mosquitto_sub"),
            *("-h", "127.0.0.1", "-p", str(mosquitto.port), "-q", "1", "-v"),
            *("-t", f"{base}/+/event/#", "-t", f"{base}/+/summary", "-t", f"{base}/ready"),
            *("-C", str(len(expected) + 2), "-W", str(int(WAIT_S * 4))),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    # mosquitto_sub says nothing when it has subscribed: a retained marker it prints tells.
    marker = Sink(mosquitto.url, [f"{base}/ready"], client_id=unique("marker-"))
    marker.client.publish(f"{base}/ready", b"ready", qos=1, retain=True).wait_for_publish(WAIT_S)
    marker.close()
    assert sub.stdout is not None
    assert sub.stdout.readline().strip() == f"{base}/ready ready"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sensor",
            "replay",
            str(path),
            "--config",
            str(config),
            "--speed",
            "max",
            "--band-id",
            "Chest Band/1",
            "--summary",
            str(tmp_path / "session.summary.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    out, _ = sub.communicate(timeout=WAIT_S * 4 + 10)
    lines = [line.split(" ", 1) for line in out.splitlines()]
    events = [json.loads(p) for topic, p in lines if "/event/" in topic]
    topics = [topic for topic, _ in lines if "/event/" in topic]
    assert len(events) == len(expected)
    assert len({e["event_id"] for e in events}) == len(expected)
    assert [e["seq"] for e in events] == list(range(1, len(expected) + 1))
    for got, want, topic in zip(events, expected, topics, strict=True):
        assert topic == f"{base}/chest_band_1/event/{want.type}"
        assert {k: got[k] for k in want.to_dict()} == want.to_dict()
        assert got["band"] == "chest_band_1"
        datetime.fromisoformat(got["time"].replace("Z", "+00:00"))
    summary = [json.loads(p) for topic, p in lines if topic.endswith("/summary")]
    assert len(summary) == 1 and summary[0]["band"] == "chest_band_1"
    # The same summary is written where --summary says (only there, and only when asked).
    written = json.loads((tmp_path / "session.summary.json").read_text())
    assert {k: summary[0][k] for k in written} == written
    # The replay's availability has its own topic: a live service's is left alone.
    status = Sink(mosquitto.url, [f"{base}/status", f"{base}/status/+"], client_id=unique("st-"))
    try:
        got = status.wait_for(lambda g: len(g) >= 1)
        time.sleep(0.2)  # anything else retained arrives together with it
        assert [(m.topic, m.payload) for m in status.snapshot()] == [
            (f"{base}/status/replay", b"offline")
        ]
        assert got[0].retain
    finally:
        status.close()


def test_discovery_is_complete_and_reannounced_when_home_assistant_starts(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    s = settings_for(mosquitto.url, tmp_path)
    sink = Sink(mosquitto.url, [f"{s.discovery_prefix}/#"], client_id=unique("ha-"))
    pub = Publisher(s)
    pub.start()
    try:
        band = BandInfo(
            "c82e0a1b2c3d",
            "Polar H10 0A1B2C3D",
            STARTED,
            address="C8:2E:0A:1B:2C:3D",
            model="H10",
            manufacturer="Polar",
        )
        pub.band_online(band)
        expected = len(discovery_topics(pub.topics, band.band_id))
        configs = sink.wait_for(lambda got: len({m.topic for m in got}) >= expected)
        by_topic = {m.topic: m.json for m in configs}
        late = Sink(mosquitto.url, [f"{s.discovery_prefix}/#"], client_id=unique("late-"))
        try:
            retained = late.wait_for(lambda got: len(got) >= len(by_topic))
        finally:
            late.close()
        assert all(m.retain for m in retained) and {m.topic for m in retained} == set(by_topic)
        unique_ids = [c["unique_id"] for c in by_topic.values()]
        assert len(set(unique_ids)) == len(unique_ids)
        kinds = {t.split("/")[1] for t in by_topic}
        assert kinds == {"sensor", "event"}
        for topic, c in by_topic.items():
            component = topic.split("/")[1]
            assert topic.startswith(f"{s.discovery_prefix}/{component}/retrosense_{band.band_id}/")
            assert c["state_topic"].startswith(f"{s.base_topic}/{band.band_id}/")
            assert c["device"]["identifiers"] == [f"retrosense_{band.band_id}"]
            assert c["device"]["connections"] == [["bluetooth", "C8:2E:0A:1B:2C:3D"]]
            if c["state_topic"].endswith("/summary"):
                # The last session stays readable after the band and the service go offline.
                assert [a["topic"] for a in c["availability"]] == [c["state_topic"]]
            else:
                assert c["availability"] == [
                    {"topic": f"{s.base_topic}/{band.band_id}/status"},
                    {"topic": f"{s.base_topic}/status"},
                ]
                assert c["availability_mode"] == "all"
            assert c["origin"]["name"] == "retrosense"
            if component == "event" and c["state_topic"].endswith("/cue"):
                # The interval program's cues: their kinds, not directions.
                assert c["event_types"] == [str(k) for k in CueKind]
            elif component == "event":
                vertical = ["vertical"] if c["state_topic"].endswith("/event/jump") else []
                assert sorted(c["event_types"]) == sorted(
                    [t for t in EVENT_TYPES if t != "vertical"] + vertical
                )
                assert "/event/" in c["state_topic"]
            else:
                assert "value_json." in c["value_template"]
            assert not c["state_topic"].endswith("/raw")
        units = {c["name"]: c.get("unit_of_measurement") for c in by_topic.values()}
        assert units["Heart rate"] == "bpm" and units["Battery"] == "%"
        assert units["Last jump height"] == "m" and units["Pedal cadence"] == "rpm"
        # The pedalling counters and a linked jump's contact time and RSI (the state's fields).
        fields = {c["name"]: c.get("value_template") for c in by_topic.values()}
        assert fields["Backward revolutions"] == "{{ value_json.revolutions_backward }}"
        assert fields["Forward revolutions"] == "{{ value_json.revolutions_forward }}"
        assert fields["Pedal reversals"] == "{{ value_json.pedal_reversals }}"
        assert units["Last jump contact time"] == "s"
        rsi = "{{ value_json.last_jump_reactive_strength_index }}"
        assert fields["Last jump reactive strength index"] == rsi
        events = {c["name"] for t, c in by_topic.items() if "/event/" in t}
        assert events == {"Jump", "Walking bout", "Pedal reversal", "Coach cue"}

        n = len(sink.snapshot())
        sink.client.publish(f"{s.discovery_prefix}/status", b"online", qos=1)
        again = sink.wait_for(
            lambda got: len([m for m in got[n:] if m.topic.endswith("/config")]) >= len(by_topic)
        )
        assert {m.topic for m in again[n:] if m.topic.endswith("/config")} == set(by_topic)
    finally:
        pub.stop(5)
        sink.close()


def test_event_payloads_carry_home_assistant_event_types(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    s = settings_for(mosquitto.url, tmp_path)
    sink = Sink(mosquitto.url, [f"{s.base_topic}/#"], client_id=unique("sink-"))
    pub = Publisher(s)
    pub.start()
    try:
        pub.band_online(BandInfo("b", "B", STARTED))
        sent: list[Event] = [
            jump(0),
            StepEvent(t=1.0, detected_at=1.3, direction=Direction.BACKWARD),
            PedalReversalEvent(
                t=2.0,
                detected_at=2.5,
                from_direction=Direction.FORWARD,
                to_direction=Direction.BACKWARD,
            ),
        ]
        for e in sent:
            pub.publish_event("b", e)
        got = sink.wait_for(lambda got: len(events_on(got, s.base_topic)) >= 3)
        events = events_on(got, s.base_topic)
        assert [e["type"] for e in events] == ["jump", "step", "pedal_reversal"]
        assert all(e["event_type"] in EVENT_TYPES for e in events)
        assert events[0]["time"] == "2026-05-01T09:30:10.000Z"
        assert pub.wait_drained(WAIT_S)
    finally:
        pub.stop(5)
        sink.close()


CHILD = textwrap.dedent(
    """
    import os, sys, time, signal
    from datetime import UTC, datetime
    from analysis.events import Direction, JumpEvent
    from sensor.mqtt.payloads import BandInfo
    from sensor.mqtt.publisher import Publisher
    from sensor.mqtt.settings import BrokerSettings

    url, base, client_id, outbox, mode, first, n = sys.argv[1:8]
    s = BrokerSettings(url=url, base_topic=base, client_id=client_id, outbox_path=outbox,
                       discovery=False)
    pub = Publisher(s)
    pub.start()
    pub.band_online(BandInfo("b", "B", datetime(2026, 5, 1, 9, 30, tzinfo=UTC)))
    for i in range(int(first), int(first) + int(n)):
        t = 10.0 + 2.0 * i
        pub.publish_event("b", JumpEvent(t=t, detected_at=t + 0.25, takeoff_t=t - 0.4,
            landing_t=t, flight_time_s=0.4, height_m=0.196, landing_peak_g=4.0,
            direction=Direction.BACKWARD))
    if mode == "wait-connected":
        while not pub.counters()["connected"]:
            time.sleep(0.01)
        print("ready", flush=True)
        time.sleep(120)
    elif mode == "crash":
        assert pub.wait_stored(10)  # on disk (the writer thread stores within milliseconds)
        print("queued", pub.counters()["pending"], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    else:
        print("drained" if pub.stop(60) else "not drained", flush=True)
    """
)


def child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )


def test_last_will_turns_the_service_offline_on_sigkill(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    base = unique("rt")
    sink = Sink(mosquitto.url, [f"{base}/status"], client_id=unique("sink-"))
    try:
        proc = child(
            mosquitto.url, base, unique("svc-"), str(tmp_path / "o.db"), "wait-connected", "0", "0"
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        sink.wait_for(lambda got: [m.payload for m in got] == [b"online"])
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
        got = sink.wait_for(lambda got: len(got) >= 2)
        assert [m.payload for m in got] == [b"online", b"offline"]
    finally:
        sink.close()


def test_broker_killed_and_restarted_mid_stream_loses_nothing_and_keeps_order(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    broker = mosquitto_factory().start()
    s = settings_for(broker.url, tmp_path, discovery=False)
    # A persistent subscriber session: the broker keeps what arrives while it is away.
    sink = Sink(
        broker.url, [f"{s.base_topic}/+/event/#"], client_id=unique("sink-"), persistent=True
    )
    pub = Publisher(s)
    pub.start()
    n = 150
    try:
        wait_connected(pub)
        pub.band_online(BandInfo("b", "B", STARTED))
        outage_at, back_at = 50, 100
        for i in range(n):
            if i == outage_at:
                sink.wait_for(lambda got: len(got) >= 10)  # the stream is flowing
                broker.stop(signal.SIGTERM)
                deadline = time.monotonic() + WAIT_S
                while pub.counters()["connected"]:
                    assert time.monotonic() < deadline, "the publisher did not notice"
                    time.sleep(0.01)
            if i == back_at:
                assert not pub.counters()["connected"]
                assert pub.counters()["pending"] >= back_at - outage_at
                broker.start()
            pub.publish_event("b", jump(i))
            time.sleep(0.005)
        assert pub.wait_drained(WAIT_S * 2), pub.counters()
        got = first_seen(
            events_on(
                sink.wait_for(lambda got: len(first_seen(events_on(got, s.base_topic))) >= n),
                s.base_topic,
            )
        )
        assert [e["seq"] for e in got] == list(range(1, n + 1))
        assert [e["t"] for e in got] == [jump(i).t for i in range(n)]
        counters = pub.counters()
        assert counters["disconnects"] >= 1 and counters["connects"] >= 2
        assert counters["dropped_event"] == 0
    finally:
        pub.stop(5)
        sink.close()


def test_a_band_goes_offline_after_its_last_state_and_event_reach_the_broker(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    # A backlog in the outbox (here: the broker down while the session runs) must not let
    # the band's offline overtake it: a dashboard takes what comes after it for a band that
    # is gone (Home Assistant shows such states as unavailable).
    broker = mosquitto_factory().start()
    s = settings_for(broker.url, tmp_path, state_interval_s=0.0)
    status = f"{s.base_topic}/b/status"
    sink = Sink(broker.url, [f"{s.base_topic}/b/#"], client_id=unique("sink-"), persistent=True)
    broker.stop(signal.SIGTERM)
    pub = Publisher(s)
    pub.start()
    try:
        pub.band_online(BandInfo("b", "B", STARTED))
        for i in range(10):
            pub.publish_event("b", jump(i))
            pub.tick("b", 11.0 + 2.0 * i)
        pub.band_offline("b")
        assert pub.wait_stored(WAIT_S)
        broker.start()
        assert pub.wait_drained(WAIT_S * 2), pub.counters()
        got = sink.wait_for(
            lambda got: (
                len(first_seen(events_on(got, s.base_topic))) >= 10
                and any(m.topic == status and m.payload == b"offline" for m in got)
            )
        )
        last_status = max(i for i, m in enumerate(got) if m.topic == status)
        last_other = max(i for i, m in enumerate(got) if m.topic != status)
        assert got[last_status].payload == b"offline"
        assert last_status > last_other, [m.topic.rsplit("/", 1)[-1] for m in got]
    finally:
        pub.stop(5)
        sink.close()


def test_our_process_restarted_while_the_broker_is_down_delivers_in_order_with_original_times(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    broker = mosquitto_factory()  # not started: the broker is down
    base, client_id, outbox = unique("rt"), unique("svc-"), str(tmp_path / "outbox.sqlite3")
    first = child(broker.url, base, client_id, outbox, "crash", "0", "20")
    out, _ = first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    # 20 events, 20 state messages (events are 2 s apart), the band's online.
    assert out.strip() == "queued 41"
    broker.start()
    sink = Sink(broker.url, [f"{base}/+/event/#"], client_id=unique("sink-"))
    try:
        second = child(broker.url, base, client_id, outbox, "stop", "20", "5")
        out, _ = second.communicate(timeout=120)
        assert out.strip() == "drained"
        got = first_seen(events_on(sink.wait_for(lambda got: len(got) >= 25), base))
        assert [e["t"] for e in got] == [10.0 + 2.0 * i for i in range(25)]
        # Original wall-clock times: the band's start plus t, whenever they were delivered.
        assert got[0]["time"] == "2026-05-01T09:30:10.000Z"
        assert got[19]["time"] == "2026-05-01T09:30:48.000Z"
        # Ids come from band, band session and sample time: the same in either process.
        started = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
        assert [e["event_id"] for e in got] == [
            event_id("b", started, jump_at(e["t"])) for e in got
        ]
        assert len({e["event_id"] for e in got}) == 25
    finally:
        sink.close()


def test_full_outbox_drops_state_before_events_and_says_so(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    broker = mosquitto_factory()  # down for now
    s = settings_for(broker.url, tmp_path, outbox_max_messages=20, state_interval_s=0.0)
    pub = Publisher(s)
    pub.start()
    try:
        pub.band_online(BandInfo("b", "B", STARTED))
        for i in range(12):
            pub.publish_event("b", jump(i))  # each also brings a state message
        for k in range(30):
            pub.tick("b", 100.0 + k)
        assert pub.wait_stored(WAIT_S)
        c = pub.counters()
        assert c["pending"] == 20
        # 20 kept: the 12 events, the band's online and the 7 newest state messages.
        assert c["dropped_event"] == 0 and c["dropped_state"] == 12 + 30 - 7
        broker.start()
        sink = Sink(broker.url, [f"{s.base_topic}/#"], client_id=unique("sink-"))
        try:
            assert pub.wait_drained(WAIT_S * 2)
            got = first_seen(
                events_on(
                    sink.wait_for(lambda g: len(events_on(g, s.base_topic)) >= 12), s.base_topic
                )
            )
            assert [e["seq"] for e in got] == list(range(1, 13))
        finally:
            sink.close()
    finally:
        pub.stop(5)


def test_mqtts_with_a_ca_made_in_the_test(
    tls_broker: tuple[Mosquitto, str], tmp_path: Path
) -> None:
    broker, ca_file = tls_broker
    assert broker.url.startswith("mqtts://")

    s = settings_for(broker.url, tmp_path, ca_file=ca_file, discovery=False)
    sink = Sink(broker.url, [f"{s.base_topic}/#"], client_id=unique("sink-"), tls_ca=ca_file)
    pub = Publisher(s)
    pub.start()
    try:
        pub.band_online(BandInfo("b", "B", STARTED))
        pub.publish_event("b", jump(0))
        got = sink.wait_for(lambda g: len(events_on(g, s.base_topic)) >= 1)
        assert events_on(got, s.base_topic)[0]["type"] == "jump"
    finally:
        pub.stop(5)
        sink.close()


@pytest.fixture
def tls_broker(mosquitto_factory: type[Mosquitto], tmp_path: Path) -> tuple[Mosquitto, str]:
    """An mqtts Mosquitto whose certificate a CA made here signed; returns it and the CA file."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file, key_file = (str(tmp_path / n) for n in ("ca.pem", "cert.pem", "key.pem"))
    ca.cert_pem.write_to_path(ca_file)
    cert.private_key_pem.write_to_path(key_file)
    cert.cert_chain_pems[0].write_to_path(cert_file)
    return mosquitto_factory(tls=(ca_file, cert_file, key_file)).start(), ca_file


# paho 2.2 leaves the socket of a failed TLS handshake for the garbage collector
# (client.py, _create_socket/_ssl_wrap_socket), which pytest reports as unraisable.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_mqtts_refuses_a_broker_our_ca_did_not_sign(
    tls_broker: tuple[Mosquitto, str], tmp_path: Path
) -> None:
    import trustme

    broker, _ = tls_broker
    other = trustme.CA()
    other.cert_pem.write_to_path(str(tmp_path / "other.pem"))
    s2 = settings_for(broker.url, tmp_path / "x", ca_file=str(tmp_path / "other.pem"))
    (tmp_path / "x").mkdir()
    pub = Publisher(s2)
    pub.start()
    try:
        pub.band_online(BandInfo("b", "B", STARTED))
        pub.publish_event("b", jump(0))
        assert not pub.wait_drained(2.0)
        assert not pub.counters()["connected"]
    finally:
        assert not pub.stop(0.1)


def test_hostile_band_names_cannot_escape_their_topic(mosquitto: Mosquitto, tmp_path: Path) -> None:
    s = settings_for(mosquitto.url, tmp_path)
    sink = Sink(mosquitto.url, ["#"], client_id=unique("sink-"))
    pub = Publisher(s)
    pub.start()
    hostile = ["evil/../#", "+/+", "$SYS/broker", "a\x00b", "x\ny", "#"]
    ids = [sanitize_band_id(h) for h in hostile]
    try:
        for band_id, name in zip(ids, hostile, strict=True):
            pub.band_online(BandInfo(band_id, name, STARTED))
            pub.publish_event(band_id, jump(0))
        assert pub.wait_drained(WAIT_S)
        ours = sink.wait_for(
            lambda got: (
                len(events_on(got, s.base_topic)) >= len(hostile)
                and len([m for m in got if m.topic.startswith(s.discovery_prefix)])
                >= 13 * len(set(ids))
            )
        )
        mine = [
            m for m in ours if m.topic.startswith((s.base_topic + "/", s.discovery_prefix + "/"))
        ]
        for m in mine:
            levels = m.topic.split("/")
            if levels[0] == s.base_topic and len(levels) > 2:
                assert levels[1] in ids
                assert len(levels) == (4 if levels[2] == "event" else 3)
            assert not set("+#\x00\n") & set(m.topic)
        # Nothing of ours landed anywhere else (e.g. under $SYS or a sibling tree).
        for m in ours:
            if m not in mine and m.payload.startswith(b"{"):
                assert m.json.get("band") not in ids
    finally:
        pub.stop(5)
        sink.close()


def test_embedded_broker_works_through_the_mqtt_3_fallback(tmp_path: Path) -> None:
    from sensor.mqtt.broker import EmbeddedBroker

    port = free_port()
    with EmbeddedBroker(port) as broker:
        s = settings_for(broker.url, tmp_path, discovery=False)
        sink = Sink(broker.url, [f"{s.base_topic}/#"], client_id=unique("sink-"))
        pub = Publisher(s)
        pub.start()
        try:
            pub.band_online(BandInfo("b", "B", STARTED))
            for i in range(5):
                pub.publish_event("b", jump(i))
            got = first_seen(
                events_on(
                    sink.wait_for(lambda g: len(events_on(g, s.base_topic)) >= 5), s.base_topic
                )
            )
            assert [e["seq"] for e in got] == [1, 2, 3, 4, 5]
            assert pub.counters()["protocol"] == "3.1.1"
            # A long session's summary is far over rumqttd's default 20 KiB payload limit.
            pub.publish_summary(
                "b", {"jumps": [{"t": float(i), "height_m": 0.2} for i in range(3000)]}
            )
            big = sink.wait_for(lambda g: any(m.topic.endswith("/summary") for m in g))
            summary = next(m for m in big if m.topic.endswith("/summary"))
            assert len(summary.payload) > 20 * 1024 and len(summary.json["jumps"]) == 3000
        finally:
            pub.stop(5)
            sink.close()


def test_listen_prints_one_readable_line_per_message(mosquitto: Mosquitto, tmp_path: Path) -> None:
    s = settings_for(mosquitto.url, tmp_path, discovery=False)
    pub = Publisher(s)
    pub.start()
    try:
        pub.band_online(BandInfo("b", "B", STARTED))
        pub.publish_battery("b", 87)
        wait_connected(pub)
        assert pub.wait_drained(WAIT_S)
        time.sleep(0.2)
        out = subprocess.run(
            [
                *(sys.executable, "-m", "sensor", "listen", "--broker", mosquitto.url),
                *("--base-topic", s.base_topic, "--count", "4", "--timeout-s", str(WAIT_S)),
            ],
            capture_output=True,
            text=True,
            timeout=WAIT_S + 30,
            cwd=ROOT,
        )
    finally:
        pub.stop(5)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 4
    joined = "\n".join(lines)
    assert f"{s.base_topic}/status [retained]  online" in joined
    assert f"{s.base_topic}/b/battery [retained]" in joined and '"battery_pct": 87' in joined


def test_bad_broker_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = AS_RECORDINGS / "mcginnis_sacrum_jump.csv"
    out = subprocess.run(
        [sys.executable, "-m", "sensor", "replay", str(path), "--broker", "http://x"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "mqtt:// or mqtts://" in out.stderr
    assert "Traceback" not in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "sensor", "listen", "--broker", "mqtt://me:s3cret@host"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "RETROSENSE_MQTT_PASSWORD" in out.stderr and "s3cret" not in out.stderr


def test_replay_to_a_broker_that_never_answers_says_so_and_exits_1(tmp_path: Path) -> None:
    # Nothing listens on the port: the replay must not claim it "published to" it.
    url = f"mqtt://127.0.0.1:{free_port()}"
    config = tmp_path / "c.toml"
    config.write_text(f'[broker]\nurl = "{url}"\noutbox_path = "{tmp_path / "outbox.sqlite3"}"\n')
    path = AS_RECORDINGS / "mcginnis_sacrum_jump.csv"
    out = subprocess.run(
        [
            *(sys.executable, "-m", "sensor", "replay", str(path), "--config", str(config)),
            *("--speed", "max", "--drain-timeout-s", "0.5", "--summary", "-"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "published to" not in out.stderr
    assert f"replay: nothing was sent: {url} did not answer (cannot connect);" in out.stderr
    # A replay's outbox is its own and goes with it, unless asked to keep it (--outbox).
    assert "dropped with this run's outbox (--outbox keeps them" in out.stderr
    assert not (tmp_path / "outbox.sqlite3").exists()


def test_credentials_come_from_the_environment(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    from sensor.mqtt.settings import ENV_PASSWORD, ENV_USERNAME

    passwd = tmp_path / "passwd"
    subprocess.run(
        [need_tool("mosquitto_passwd"), "-b", "-c", str(passwd), "band-user", "s3cret pass"],
        check=True,
        capture_output=True,
    )
    broker = mosquitto_factory(extra=(f"password_file {passwd}",)).start()
    for password, ok in (("s3cret pass", True), ("wrong", False)):
        folder = tmp_path / password.replace(" ", "_")
        folder.mkdir()
        s = settings_for(broker.url, folder, discovery=False).with_environment(
            {ENV_USERNAME: "band-user", ENV_PASSWORD: password}
        )
        pub = Publisher(s)
        pub.start()
        try:
            pub.band_online(BandInfo("b", "B", STARTED))
            pub.publish_event("b", jump(0))
            if ok:
                assert pub.wait_drained(WAIT_S), pub.counters()
            else:
                deadline = time.monotonic() + WAIT_S
                while "refused" not in (pub.counters()["last_error"] or ""):
                    assert time.monotonic() < deadline, pub.counters()
                    time.sleep(0.02)
                assert not pub.wait_drained(0.5) and pub.counters()["pending"] >= 1
        finally:
            pub.stop(0.5)


def test_raw_samples_only_when_asked_and_one_message_per_notification(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    import numpy as np

    from analysis.types import Samples

    rng = np.random.default_rng(8)
    t = np.arange(0, 1.0, 0.01)
    chunk = Samples(time_s=t, acc_g=rng.normal(0, 0.1, (t.size, 3)) + np.array([0.0, 0.0, 1.0]))
    for raw in (False, True):
        folder = tmp_path / str(raw)
        folder.mkdir()
        s = settings_for(mosquitto.url, folder, raw=raw, discovery=False)
        sink = Sink(mosquitto.url, [f"{s.base_topic}/+/raw"], client_id=unique("raw-"))
        pub = Publisher(s)
        pub.start()
        try:
            pub.band_online(BandInfo("b", "B", STARTED))
            for piece in chunk.chunks(25):  # four notifications
                pub.publish_raw("b", piece)
            pub.publish_event("b", jump(0))
            assert pub.wait_drained(WAIT_S)
        finally:
            pub.stop(5)
        if not raw:
            assert sink.snapshot() == [] and pub.counters()["enqueued_raw"] == 0
        else:
            got = [m.json for m in sink.wait_for(lambda g: len(g) >= 4)]
            assert [len(m["t"]) for m in got] == [25, 25, 25, 25]
            assert got[1]["t0"] == 0.25 and got[1]["time"] == "2026-05-01T09:30:00.250Z"
            back = np.array([row for m in got for row in m["acc"]])
            assert np.allclose(back, chunk.acc_g, atol=5e-5)
        sink.close()


def test_a_message_the_broker_keeps_hanging_up_over_does_not_stall_the_rest(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    """Mosquitto drops an MQTT 5 client over a message above ``message_size_limit``."""
    broker = mosquitto_factory(extra=("message_size_limit 4000",)).start()
    s = settings_for(broker.url, tmp_path, discovery=False, protocol="5")
    sink = Sink(broker.url, [f"{s.base_topic}/#"], client_id=unique("sink-"))
    pub = Publisher(s)
    pub.start()
    try:
        pub.band_online(BandInfo("b", "B", STARTED))
        pub.publish_event("b", jump(0))
        pub.publish_summary("b", {"padding": "x" * 10_000})
        pub.publish_event("b", jump(1))
        pub.publish_event("b", jump(2))
        assert pub.wait_drained(WAIT_S * 2), pub.counters()
        got = first_seen(
            events_on(sink.wait_for(lambda g: len(events_on(g, s.base_topic)) >= 3), s.base_topic)
        )
        assert [e["seq"] for e in got] == [1, 2, 3]
        c = pub.counters()
        assert c["refused"] == 1 and "summary" in (c["last_error"] or "")
        assert not [m for m in sink.snapshot() if m.topic.endswith("/summary")]
    finally:
        pub.stop(5)
        sink.close()


def test_listen_help_promises_no_embedded_broker() -> None:
    # listen connects to localhost:1883 without --broker; its help said it would start an
    # embedded broker (as replay does), and a user got "cannot connect" instead.
    out = subprocess.run(
        [sys.executable, "-m", "sensor", "listen", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0 and "localhost:1883" in out.stdout
    assert "embedded" not in out.stdout
    free = f"mqtt://127.0.0.1:{free_port()}"
    out = subprocess.run(
        [sys.executable, "-m", "sensor", "listen", "--broker", free, "--timeout-s", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 2 and out.stderr.startswith(f"retrosense: error: {free}: cannot")


def test_what_waits_for_one_broker_never_goes_to_another(
    mosquitto_factory: type[Mosquitto], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default outbox is per client id and broker: events queued while broker A was down
    are not sent to broker B by the next run with the same client id; they still reach A."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    a, b = mosquitto_factory(), mosquitto_factory()  # A down for now
    b.start()
    shared = dict(base_topic=unique("rt"), client_id=unique("pub-"), outbox_path="")
    to_a = settings_for(a.url, tmp_path, **shared)
    to_b = settings_for(b.url, tmp_path, **shared)
    assert to_a.effective_outbox_path != to_b.effective_outbox_path
    assert to_a.effective_outbox_path.is_relative_to(tmp_path / "state")
    pub = Publisher(to_a)
    pub.start()
    pub.band_online(BandInfo("b", "B", STARTED))
    for i in range(3):
        pub.publish_event("b", jump(i))
    assert not pub.stop(0.5)  # A never answered: three events wait for it
    base = to_a.base_topic
    sink_b = Sink(b.url, [f"{base}/#"], client_id=unique("sink-"))
    try:
        pub = Publisher(to_b)
        pub.start()
        pub.band_online(BandInfo("b", "B", STARTED))
        pub.publish_event("b", jump(7))
        assert pub.wait_drained(WAIT_S)
        pub.stop(5)
        # One outbox sends in order: had A's events gone to B, they would have come first.
        got = first_seen(events_on(sink_b.wait_for(lambda g: events_on(g, base)), base))
        assert [e["t"] for e in got] == [24.0]
    finally:
        sink_b.close()
    a.start()
    sink_a = Sink(a.url, [f"{base}/#"], client_id=unique("sink-"))
    try:
        pub = Publisher(to_a)
        pub.start()
        assert pub.wait_drained(WAIT_S * 2)
        pub.stop(5)
        got = first_seen(events_on(sink_a.wait_for(lambda g: len(events_on(g, base)) >= 3), base))
        assert [e["t"] for e in got] == [10.0, 12.0, 14.0]
    finally:
        sink_a.close()
