"""What reaches a terminal: names and payloads made visible, a closed pipe ends quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from sensor.ble.scan import ScanResult
from sensor.commands.listen import format_message, json_line
from sensor.commands.scan import format_results
from sensor.safeio import visible
from tests.conftest import Mosquitto

#: How long the listener may take to see its first message and to end after the pipe closes:
#: a guard against a hang, not a speed assertion.
HANG_GUARD_S = 60.0
NOW = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)


def test_visible_escapes_controls_and_keeps_printable_text() -> None:
    assert visible("Jörg's band 1") == "Jörg's band 1"
    assert visible("a\nb\x1b[2J\x00\u202e\x7f") == "a\\nb\\x1b[2J\\x00\\u202e\\x7f"


def test_scan_shows_advertised_names_escaped_on_one_line() -> None:
    table = format_results(
        [
            ScanResult("Evil\n\x1b]0;owned\x07band", "AA:BB:CC:DD:EE:FF", -50, (), None),
            ScanResult("Polar H10 0A1B2C3D", "C8:2E:0A:1B:2C:3D", -60, (), "polar-h10"),
            ScanResult("Polar H10 1A1B2C3D", "C8:2E:0A:1B:2C:3E", None, (), "polar-h10", True),
        ]
    )
    lines = table.splitlines()
    assert len(lines) == 4
    assert lines[3].split()[-2:] == ["connected", "polar-h10"]
    assert lines[1].startswith("Evil\\n\\x1b]0;owned\\x07band  AA:BB:CC:DD:EE:FF")
    assert "\x1b" not in table and "\x07" not in table


def test_listen_shows_topics_and_payloads_escaped() -> None:
    line = format_message("retrosense/x\x1b[31m", b"red\x1b[0m\nnext", False, NOW)
    assert line.endswith("retrosense/x\\x1b[31m  red\\x1b[0m\\nnext")
    line = format_message("t", json.dumps({"name": "a\u202eb"}).encode(), True, NOW)
    assert line.endswith('t [retained]  {"name": "a\\u202eb"}')
    as_json = json_line("t", "a\u202eb\x7f".encode(), False, NOW)
    assert as_json.isprintable() and json.loads(as_json)["payload"] == "a\u202eb\x7f"
    # JSON nested past the parser's depth is shown as the text it is.
    deep = b"[" * 1_000 + b"]" * 1_000
    assert format_message("t", deep, False, NOW).endswith("]]]")
    assert json.loads(json_line("t", deep, False, NOW))["payload"] == deep.decode()


def test_listen_piped_into_head_exits_quietly(mosquitto: Mosquitto) -> None:
    base = f"pipe-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "RETROSENSE_MQTT_USERNAME": "", "RETROSENSE_MQTT_PASSWORD": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sensor", "listen", "--broker", mosquitto.url, "--base-topic", base],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{base}")
    pub.connect("127.0.0.1", mosquitto.port)
    pub.loop_start()
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + HANG_GUARD_S
        first = b""
        while not first and time.monotonic() < deadline:
            # Retained, so the listener sees it whenever its subscription lands.
            pub.publish(f"{base}/band/state", b'{"n": 1}', qos=1, retain=True).wait_for_publish()
            first = proc.stdout.readline()
        assert b"band/state" in first
        proc.stdout.close()  # what `head -1` does after its line
        while proc.poll() is None and time.monotonic() < deadline:
            pub.publish(f"{base}/band/state", b'{"n": 2}', qos=1).wait_for_publish()
            time.sleep(0.05)
        assert proc.poll() is not None, "listen hung after its reader went away"
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        proc.stderr.close()
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "BrokenPipe" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        pub.publish(f"{base}/band/state", b"", qos=1, retain=True).wait_for_publish()
        pub.loop_stop()
        pub.disconnect()
