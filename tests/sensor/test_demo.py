"""``retrosense demo`` end to end: a real broker, the real pipeline, a real subscriber."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sensor.cli import main
from sensor.demo import demo_recording
from sensor.recording import RecordingReader
from tests.conftest import Mosquitto, need_tool

#: Generous bound for the subscriber to see the end of the demo; never a timing assertion.
WAIT_S = 60.0


def short_recording(tmp_path: Path, seconds: float) -> Path:
    """The bundled workout's first ``seconds``, as its own recording CSV."""
    src = demo_recording()
    reader = RecordingReader(src)
    keep = reader.header.first_data_line - 1 + int(seconds * reader.header.sample_rate_hz)
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)[:keep]
    out = tmp_path / "short_retro.csv"
    out.write_text("".join(lines), encoding="utf-8")
    return out


def test_bundled_recording_is_a_valid_retro_workout() -> None:
    path = demo_recording()
    reader = RecordingReader(path)
    samples = reader.read_all()
    assert reader.header.has_gyro and reader.header.placement == "shank"
    assert 60.0 <= samples.time_s[-1] - samples.time_s[0] <= 90.0
    truth = json.loads(path.with_suffix(".truth.json").read_text())
    kinds = {b["kind"] for b in truth["bouts"]}
    assert {"walk", "pedal"} <= kinds
    assert any(j["direction"] == "backward" for j in truth["jumps"])
    assert any(s["direction"] == "backward" for s in truth["steps"])
    assert any(r["direction"] == "backward" for r in truth["revolutions"])


def test_demo_publishes_and_prints_events(tmp_path: Path, mosquitto: Mosquitto) -> None:
    recording = short_recording(tmp_path, 40.0)
    # A retained marker: when mosquitto_sub prints it, its subscription is in place.
    marker = f"retrosense/demotest/marker {tmp_path.name}"
    subprocess.run(
        [
            need_tool("mosquitto_pub"),
            "-h",
            "127.0.0.1",
            "-p",
            str(mosquitto.port),
            "-r",
            "-t",
            "retrosense/demotest/marker",
            "-m",
            tmp_path.name,
        ],
        check=True,
        timeout=30,
    )
    sub = subprocess.Popen(
        [
            need_tool("mosquitto_sub"),
            "-h",
            "127.0.0.1",
            "-p",
            str(mosquitto.port),
            "-v",
            "-t",
            "retrosense/demotest/#",
            "-q",
            "1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sub.stdout is not None
        deadline = time.monotonic() + WAIT_S
        while sub.stdout.readline().rstrip("\n") != marker:
            assert time.monotonic() < deadline, "mosquitto_sub never subscribed"
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "sensor",
                "demo",
                "--speed",
                "max",
                "--broker",
                mosquitto.url,
                "--recording",
                str(recording),
                "--band-id",
                "demotest",
                "--listen",
                "127.0.0.1:0",
                "--report",
                str(tmp_path / "demo-report.html"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        lines: list[str] = []
        deadline = time.monotonic() + WAIT_S
        assert sub.stdout is not None
        while time.monotonic() < deadline:
            line = sub.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("retrosense/demotest/summary "):
                break
    finally:
        sub.terminate()
        sub.wait(10)
        if sub.stdout is not None:
            sub.stdout.close()
    printed = [line for line in out.stdout.splitlines() if "retrosense/demotest/event/" in line]
    received = [line for line in lines if line.startswith("retrosense/demotest/event/")]
    assert printed, out.stdout
    # Every detection printed reached a real subscriber, once.
    assert len(received) == len(printed)
    printed_types = sorted(line.split()[-1].rsplit("/", 1)[-1] for line in printed)
    received_types = sorted(line.split()[0].rsplit("/", 1)[-1] for line in received)
    assert printed_types == received_types
    # The topic to subscribe to is shown, and the session summary went out.
    assert f"-p {mosquitto.port} -t 'retrosense/demotest/#'" in out.stdout
    summary = json.loads(
        next(x for x in lines if x.startswith("retrosense/demotest/summary ")).split(" ", 1)[1]
    )
    assert summary["type"] == "session_summary"
    assert summary["steps"]["total"] + summary["jumps"]["count"] > 0
    assert f"{len(printed)} events published" in out.stdout
    # The quick start ends with a picture: the live page was served, the report written.
    assert "the live page: http://127.0.0.1:" in out.stdout
    report = tmp_path / "demo-report.html"
    assert f"the session report: {report.as_uri()}" in out.stdout
    assert 'data-key="steps.backward"' in report.read_text(encoding="utf-8")


def test_demo_refuses_a_bad_broker_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--broker", "http://x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("retrosense: error: http://x: expected an mqtt://")
    assert "Traceback" not in err


@pytest.mark.parametrize("speed", ["0", "-1", "fast"])
def test_demo_speed_is_checked(speed: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "--speed", speed])
    assert info.value.code == 2
    assert "--speed" in capsys.readouterr().err


def test_demo_to_a_broker_that_never_answers_says_nothing_was_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import free_port

    url = f"mqtt://127.0.0.1:{free_port()}"
    recording = short_recording(tmp_path, 8.0)
    args = ["demo", "--broker", url, "--speed", "max", "--recording", str(recording), "--no-web"]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert "events published" not in out
    assert out.rstrip().endswith(f"nothing was sent: {url} did not answer (cannot connect).")
    # The demo's outbox is a temporary file deleted on exit: nothing waits for a next start.
    assert "wait in the outbox" not in err
    assert f"messages were not delivered to {url}\n" in err
