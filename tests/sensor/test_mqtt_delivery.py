"""What the publisher promises about delivery, against a real Mosquitto and a real small disk.

- the caller's thread never waits on the outbox (a held outbox lock does not block it);
- a full disk turns the outbox into a memory queue with one loud warning and exit code 4,
  and the next start delivers what had been stored;
- what the broker refuses (a read-only ACL) is counted, named, and gives exit code 3;
- a burst of Home Assistant ``online`` messages costs two discovery announcements.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

import sensor.mqtt.publisher as publisher_module
from sensor.errors import ExitCode
from sensor.mqtt.discovery import discovery_configs
from sensor.mqtt.payloads import BandInfo
from sensor.mqtt.publisher import Publisher
from sensor.mqtt.settings import parse_broker_url
from sensor.mqtt.topics import Topics
from tests.conftest import Mosquitto
from tests.paths import DATA, ROOT
from tests.sensor.mqtt_sink import WAIT_S, Sink
from tests.sensor.test_mqtt_broker import (
    STARTED,
    events_on,
    first_seen,
    jump,
    settings_for,
    unique,
    wait_connected,
)

#: Small enough that a few hundred events fill it, big enough for SQLite's first pages.
TINY_FS_BYTES = 96 * 1024


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs of ``TINY_FS_BYTES`` mounted for the test (needs root, as in CI)."""
    where = tmp_path / "tiny"
    where.mkdir()
    out = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TINY_FS_BYTES}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        reason = f"cannot mount a small tmpfs: {out.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI runs as root and must be able to")
        pytest.skip(reason)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_the_callers_thread_never_waits_on_the_outbox(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    """While another thread holds the outbox (a slow disk), publishing still returns."""
    broker = mosquitto_factory()  # down: nothing is sent
    pub = Publisher(settings_for(broker.url, tmp_path, discovery=False))
    pub.start()
    try:
        pub.band_online(BandInfo("b", "B", STARTED))
        assert pub._outbox is not None
        done = threading.Event()

        def publish() -> None:
            for i in range(200):
                pub.publish_event("b", jump(i))
            done.set()

        with pub._outbox._lock:  # the disk is "stuck"
            worker = threading.Thread(target=publish, daemon=True)
            worker.start()
            # Generous: 200 events take milliseconds; a caller writing to the outbox would
            # wait here for ever.
            assert done.wait(WAIT_S), "publish_event waited on the outbox"
        assert pub.wait_stored(WAIT_S)
        assert pub.counters()["pending"] == 401  # 200 events, 200 state messages, online
    finally:
        pub.stop(0.1)


def test_a_full_disk_queues_in_memory_says_so_once_and_the_next_start_delivers_what_was_stored(
    mosquitto_factory: type[Mosquitto],
    tmp_path: Path,
    tiny_fs: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = mosquitto_factory()  # down while the disk fills
    s = settings_for(broker.url, tmp_path, discovery=False, outbox_path=str(tiny_fs / "o.sqlite3"))
    n = 600
    pub = Publisher(s)
    pub.start()
    with caplog.at_level(logging.WARNING, logger="sensor.mqtt"):
        pub.band_online(BandInfo("b", "B", STARTED))
        for i in range(n):
            pub.publish_event("b", jump(i))
            assert pub.wait_stored(WAIT_S)  # one small batch at a time, as a live run writes
        c = pub.counters()
        assert c["outbox_in_memory"], "the tiny disk did not fill: make the test publish more"
        sent = 2 * n + 1  # each event with its state message, and the band's online
        assert c["pending"] == sent  # nothing lost while the disk filled
        assert not pub.stop(0.2)
    loud = [r for r in caplog.records if "OUTBOX ON DISK FAILED" in r.getMessage()]
    assert len(loud) == 1 and loud[0].levelno == logging.ERROR
    report = pub.report()
    assert report.exit_code is ExitCode.OUTBOX_IN_MEMORY
    assert report.lost > 0 and report.lost < sent
    stored = sent - report.lost
    assert "could not write to disk" in report.problems()[0]

    # The next start, the disk still full: what reached the disk goes out, in order.
    broker.start()
    sink = Sink(broker.url, [f"{s.base_topic}/#"], client_id=unique("sink-"))
    try:
        again = Publisher(s)
        again.start()
        assert again.wait_drained(WAIT_S)
        assert again.counters()["delivered"] == stored
        got = first_seen(events_on(sink.wait_for(lambda g: len(g) >= stored), s.base_topic))
        assert [e["seq"] for e in got] == list(range(1, len(got) + 1))
        assert len(got) >= stored // 2 - 1  # an event and its state message alternate
        again.stop(5)
        assert again.report().lost == 0
    finally:
        sink.close()


def test_a_read_only_acl_gives_exit_code_3_and_names_what_was_refused(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    acl = tmp_path / "read-only.acl"
    acl.write_text("# anonymous clients may read everything and publish nothing\ntopic read #\n")
    broker = mosquitto_factory(extra=(f"acl_file {acl}",)).start()
    recording = DATA / "sim" / "walk_chest_100hz.csv"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sensor",
            "replay",
            str(recording),
            "--broker",
            broker.url,
            "--speed",
            "max",
            "--summary",
            "-",
            "--band-id",
            "acl",
            "--client-id",
            unique("ro-"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    assert out.returncode == ExitCode.REFUSED, out.stderr
    assert "published" not in out.stderr
    assert "the broker took 0 messages" in out.stderr
    assert "the broker refused" in out.stderr and "retrosense/acl/event/step" in out.stderr
    # Rate-limited: one warning line for the refusals, not one per message or topic.
    assert out.stderr.count("WARNING") <= 2, out.stderr


def test_a_burst_of_home_assistant_online_costs_two_announcements(
    mosquitto: Mosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publisher_module, "DISCOVERY_MIN_INTERVAL_S", 1.0)
    s = settings_for(mosquitto.url, tmp_path)
    band = BandInfo("b", "B", STARTED)
    per_band = len(discovery_configs(Topics(s.base_topic, s.discovery_prefix), band))
    sink = Sink(mosquitto.url, [f"{s.discovery_prefix}/+/+/+/config"], client_id=unique("ha-"))
    pub = Publisher(s)
    pub.start()
    try:
        wait_connected(pub)
        pub.band_online(band)
        sink.wait_for(lambda g: len(g) >= per_band)
        u = parse_broker_url(mosquitto.url)
        ha = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique("ha-status-"))
        ha.connect(u.host, u.port)
        ha.loop_start()
        try:
            infos = [
                ha.publish(f"{s.discovery_prefix}/status", b"online", qos=1) for _ in range(100)
            ]
            for info in infos:
                info.wait_for_publish(WAIT_S)
        finally:
            ha.disconnect()
            ha.loop_stop()
        # One announcement right away, one at the end of the interval: three in all.
        got = sink.wait_for(lambda g: len(g) >= 3 * per_band)
        pub.publish_summary("b", {"sentinel": True})  # later than any announcement
        assert pub.wait_drained(WAIT_S)
        assert len(sink.snapshot()) == len(got) == 3 * per_band
    finally:
        pub.stop(5)
        sink.close()
