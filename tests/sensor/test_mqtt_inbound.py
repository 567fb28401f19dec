"""A worker takes in messages from anyone on the broker: nonsense is dropped, never obeyed.

A real ``retrosense run --role worker`` process and a real Mosquitto (no ACL here: the point
is what the worker itself refuses); the gateway's side runs in the test (``Gateway`` and a
``Publisher`` sending a recording's samples as raw batches), and a stranger floods the
worker with malformed, oversized, wrong-typed and out-of-order messages the whole time. The
healthy band's events must all be there, as an offline analysis of the same file finds them.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import psutil
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from sensor.mqtt.control import MAX_CONTROL_BYTES, MAX_RAW_BYTES
from sensor.mqtt.payloads import BandInfo
from sensor.mqtt.publisher import Publisher
from sensor.mqtt.settings import BrokerSettings, parse_broker_url
from sensor.roles import Gateway
from sensor.session import analyze_file
from sensor.sources import open_source
from tests.conftest import Mosquitto
from tests.paths import DATA
from tests.sensor.mqtt_sink import WAIT_S, Sink
from tests.sensor.test_service_roles import BASE, MATCH_S, config, stop
from tests.sensor.test_service_run import wait_until

RECORDING = DATA / "sim" / "walk_chest_100hz.csv"
#: A worker that parsed everything it was sent would hold far more than this.
MAX_WORKER_RSS_MB = 400


def nonsense(band: str, evil: str) -> list[tuple[str, bytes]]:
    """One round of what a stranger sends."""
    now = datetime.now(UTC).isoformat()
    good_offer = {
        "band": evil,
        "epoch": 1,
        "placement": "chest",
        "sample_rate_hz": 100,
        "started": now,
        "resume_seq": 1,
    }
    raw = {"band": band, "seq": 5, "t0": 0.0, "t": [0.0], "acc": [[0, 0, 1]]}
    return [
        (f"{BASE}/{band}/worker", b"0"),  # "release" the band
        (f"{BASE}/{band}/status", b"offline"),  # "end" its session
        (f"{BASE}/{band}/end", b'{"epoch": 1, "seq": 1}'),  # an end before what came
        (f"{BASE}/{band}/raw", json.dumps({**raw, "t0": 1e12}).encode()),
        (f"{BASE}/{band}/raw", json.dumps({**raw, "acc": [["x", 0, 1]]}).encode()),
        (f"{BASE}/{band}/raw", json.dumps({**raw, "t": [0.0, -1.0]}).encode()),
        (f"{BASE}/{band}/raw", json.dumps({**raw, "seq": 10**9}).encode()),
        (f"{BASE}/{band}/raw", json.dumps({**raw, "seq": -3}).encode()),
        (f"{BASE}/{band}/raw", b"[" * 100_000),
        (f"{BASE}/{band}/raw", b"\xff\xfe not utf-8"),
        (f"{BASE}/{band}/raw", b"x" * (MAX_RAW_BYTES + 1)),
        (f"{BASE}/{evil}/offer", b"y" * (MAX_CONTROL_BYTES + 1)),
        (f"{BASE}/{evil}/offer", json.dumps({**good_offer, "epoch": "1"}).encode()),
        (f"{BASE}/{evil}/offer", json.dumps({**good_offer, "sample_rate_hz": 1e12}).encode()),
        (f"{BASE}/{evil}/offer", json.dumps({**good_offer, "started": "1970"}).encode()),
        (f"{BASE}/{evil}/offer", json.dumps(good_offer).encode()),  # a band nobody grants
        (f"{BASE}/a/b/c/d", b"{}"),
    ]


@pytest.mark.slow
async def test_a_flood_of_nonsense_beside_a_healthy_band_loses_none_of_its_events(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    band = "healthy"
    settings = BrokerSettings(
        url=mosquitto.url,
        base_topic=BASE,
        client_id=f"flood-gw-{os.getpid()}",
        outbox_path=str(tmp_path / "gw.sqlite3"),
        discovery=False,
        raw=True,
    )
    sink = await asyncio.to_thread(Sink, mosquitto.url, [f"{BASE}/{band}/#"], client_id="fl-sink")
    online = await asyncio.to_thread(
        Sink, mosquitto.url, [f"{BASE}/workers/wf/status"], client_id="fl-online"
    )
    wcfg = config(tmp_path, "worker", mosquitto.url)
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sensor",
        "run",
        "--config",
        str(wcfg),
        "--role",
        "worker",
        "--worker-id",
        "wf",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    u = parse_broker_url(mosquitto.url)
    stranger = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="stranger")
    stranger.connect(u.host, u.port)
    stranger.loop_start()
    gateway = Gateway(settings)
    pub = Publisher(settings)
    rss_mb = 0.0
    flooded = 0
    try:
        await wait_until(
            lambda: any(m.payload == b"online" for m in online.snapshot()), "the worker online"
        )
        pub.start()
        gateway.start()
        source = open_source(RECORDING)
        info = BandInfo(band, "Healthy", datetime.now(UTC), placement=str(source.info.placement))
        pub.band_online(info)
        gateway.offer(info, source.info)
        # The recording at about ten times real time, a round of nonsense every 0.1 s, and
        # one 20 MB offer.
        round_ = nonsense(band, "evil")
        big = (f"{BASE}/evil20/offer", b"z" * (20 * 1024 * 1024))
        stranger.publish(*big, qos=1)
        for chunk in source.body_chunks():
            for piece in chunk.chunks(10):
                sent = pub.publish_raw(band, piece)
                assert sent is not None
                gateway.sent(band, sent[0], float(piece.time_s[-1]), sent[1])
                if sent[0] == 20:
                    # The worker has the band and runs it: from here on, an "end" at batch 1
                    # is one before what came. (A well-formed end at the right batch is what
                    # only the ACL keeps strangers from sending.)
                    await wait_until(
                        lambda: any(m.topic.endswith("/state") for m in sink.snapshot()),
                        "the worker's first state",
                    )
                if sent[0] % 10 == 0 and sent[0] > 20:
                    for topic, payload in round_:
                        stranger.publish(topic, payload, qos=0)
                        flooded += 1
                    await asyncio.sleep(0.1)
        worker_proc = psutil.Process(worker.pid)
        rss_mb = worker_proc.memory_info().rss / 1e6
        mark = gateway.end(band)
        assert mark is not None
        pub.publish_control(pub.topics.end(band), mark.to_payload())
        missing = await asyncio.to_thread(gateway.wait_done, [band], WAIT_S * 2)
        assert missing == []
        events, extra = gateway.session_events(band)
    finally:
        stranger.disconnect()
        stranger.loop_stop()
        gateway.stop()
        await asyncio.to_thread(pub.stop, 5)
        err = await stop(worker)
        sink.close()
        online.close()
    assert worker.returncode == 0, err
    assert flooded >= 50 * len(nonsense(band, "evil"))  # fifty rounds at least
    assert extra["raw_batches_lost"] == 0 and extra["data_gaps"] == 0
    assert extra["parts"] == [{"worker": "wf", "epoch": 1}]
    offline, _ = analyze_file(str(RECORDING))
    missing_events = [
        (e.type, e.t)
        for e in offline
        if not any(u.type == e.type and abs(u.t - e.t) <= MATCH_S for u in events)
    ]
    assert missing_events == [] and len(events) == len(offline) > 50
    # Counted and said, not silent: one warning names the drops (rate-limited).
    assert "dropped a message" in err
    assert err.count("dropped a message") < 20
    assert rss_mb < MAX_WORKER_RSS_MB


def test_listen_prints_hostile_messages_harmlessly() -> None:
    """``listen`` shows what anyone published: no terminal escapes, no 20 MB line, no crash."""
    from sensor.commands.listen import MAX_SHOWN_BYTES, format_message, json_line

    now = datetime.now(UTC)
    escape = format_message(f"{BASE}/b/\x1b[2Jx", b'"\x1b]0;owned\x07"', False, now)
    assert "\x1b" not in escape and "\x07" not in escape and "\\x1b" in escape
    huge = format_message(f"{BASE}/b/raw", b"x" * (MAX_SHOWN_BYTES + 1), False, now)
    assert huge.endswith(f"<{MAX_SHOWN_BYTES + 1} bytes, not shown>")
    nested = b"[" * 50_000  # within the size limit, beyond the JSON parser's depth
    assert format_message(f"{BASE}/b/raw", nested, False, now).endswith("[" * 10)
    assert json.loads(json_line(f"{BASE}/b/raw", nested, False, now))["payload"].startswith("[")
    # Refused before parsing: a RecursionError from the JSON parser left CPython 3.11's
    # recursion accounting off, and a later ast.parse in the process failed.
    import ast

    ast.parse("x = [[1]]")


def test_the_live_page_drops_what_no_retrosense_sends_and_stays_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from sensor.web.dashboard import MAX_BANDS, MAX_MESSAGE_BYTES, LiveBands

    bands = LiveBands(BASE)
    state = json.dumps({"t": 1.0, "step_cadence_spm": 100}).encode()
    assert bands.feed(f"{BASE}/chest/state", state) is not None
    with caplog.at_level("WARNING"):
        for topic, payload in [
            (f"{BASE}/chest/state", b'{"t": NaN}'),  # the page's JSON could not carry it
            (f"{BASE}/chest/summary", b"[" * 50_000),
            (f"{BASE}/chest/summary", b"x" * (MAX_MESSAGE_BYTES + 1)),
            (f"{BASE}/Not A Band/status", b"online"),
        ]:
            assert bands.feed(topic, payload) is None
        for i in range(MAX_BANDS + 50):
            bands.feed(f"{BASE}/fake{i}/status", b"online")
    assert len(bands.bands) == MAX_BANDS
    assert bands.bands["chest"].state == {"t": 1.0, "step_cadence_spm": 100}
    assert bands.dropped.total >= 53
    assert sum("dropped a message" in r.getMessage() for r in caplog.records) == 1
