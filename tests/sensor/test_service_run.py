"""The real ``retrosense run`` as a subprocess: emulated BlueZ, a real Mosquitto, SIGTERM.

The virtual H10 (tests/bluez) plays a real walking recording over bleak's real BlueZ backend;
the service runs in its own process, as a user starts it, with a configuration file. Nothing
here asserts how long anything took; the waits only keep a broken run from hanging.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from analysis.types import Samples
from sensor.decoders import polar_pmd as pmd
from sensor.recording import RecordingReader
from sensor.sources import open_source
from tests.bluez.clips import walking_clip
from tests.bluez.devices import HeartRateStrap, VirtualH10, VirtualWitMotion
from tests.bluez.emulator import BlueZEmulator
from tests.bluez.fixtures import bluez_fixture, system_bus_fixture  # noqa: F401
from tests.conftest import Mosquitto
from tests.sensor.mqtt_sink import Sink

H10 = "C8:2E:0A:1B:2C:3D"
WIT = "F4:12:FA:00:11:22"
STRAP = "E0:11:22:33:44:55"
GUARD_S = 90.0


def write_config(tmp_path: Path, broker_url: str, extra: str = "") -> Path:
    cfg = tmp_path / "retrosense.toml"
    cfg.write_text(
        f"""
[[bands]]
address = "{H10}"
id = "chest"
placement = "waist"
body_axes = "-z,+y,+x"

[[bands]]
name = "WT901BLE68"
profile = "witmotion"
id = "shank"
rate_hz = 50

[[bands]]
address = "E0:11:22:33:44:55"
profile = "heart-rate"
id = "strap"

[broker]
url = "{broker_url}"
client_id = "retrosense-run-test-{os.getpid()}"
outbox_path = "{tmp_path / "outbox.sqlite3"}"

[recording]
folder = "{tmp_path / "sessions"}"
raw_capture = true

[wearer]
body_mass_kg = 70
age_years = 40
{extra}
""",
        encoding="utf-8",
    )
    return cfg


async def run_to_end(config: Path) -> tuple[int | None, bytes]:
    """``retrosense run --config CONFIG`` until it exits by itself: exit code and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sensor",
        "run",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    return proc.returncode, err


async def wait_until(condition: object, what: str) -> None:
    """Poll ``condition()`` (a callable) without blocking the emulator's loop."""
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + GUARD_S
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_run_streams_publishes_records_and_stops_cleanly_on_sigterm(
    bluez: BlueZEmulator, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    # The real lower-back walk (ipol 2-1), worn as the recording declares it.
    h10 = VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip(seconds=40.0))
    bluez.add(h10)
    # A second band in the same process: a WitMotion IMU found by its name.
    wit = VirtualWitMotion(WIT, "WT901BLE68", clip=walking_clip(rate_hz=50), rate_hz=10)
    bluez.add(wit)
    # And a heart-rate-only strap: no samples, so no recording, but a summary.
    strap = HeartRateStrap(STRAP, "HRM-Pro")
    bluez.add(strap)
    sink = await asyncio.to_thread(Sink, mosquitto.url, ["retrosense/#"], client_id="run-sink")
    config = write_config(tmp_path, mosquitto.url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sensor",
        "-v",
        "run",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "RETROSENSE_PROGRESS": "0"},
    )
    try:
        # Mid-session: streaming, samples recorded, events on the broker.
        await wait_until(lambda: h10.streaming, "the H10 to stream")
        sessions = tmp_path / "sessions"
        await wait_until(
            lambda: (
                sum(m.topic.startswith("retrosense/chest/event/") for m in sink.snapshot()) >= 8
            ),
            "eight events on the broker",
        )
        await wait_until(lambda: len(list(sessions.glob("*.csv"))) == 2, "both recordings")
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    except AssertionError as err:
        if proc.returncode is None:
            proc.kill()
        _, err_text = await proc.communicate()
        raise AssertionError(f"{err}; the service said:\n{err_text.decode()[-3000:]}") from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    stderr = err.decode()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr

    # The stop command reached the virtual H10 (PMD op 03 for ACC), and it stopped.
    assert bytes([pmd.OpCode.STOP, pmd.MeasurementType.ACC]) in [w[:2] for w in h10.cp_writes]
    assert h10.cp_writes[-1][:2] == bytes([pmd.OpCode.STOP, pmd.MeasurementType.ACC])
    assert not h10.streaming

    # The recording is complete (no cut-off line) and parses; heart rate is in it.
    (csv,) = sessions.glob("*_chest.csv")
    reader = RecordingReader(csv)
    samples = reader.read_all()
    assert reader.truncated_line is None
    assert len(samples) > 100
    assert reader.header.body_axes == "-z,+y,+x"
    assert reader.header.has_hr and samples.hr_bpm is not None
    assert set(samples.hr_bpm[~(samples.hr_bpm != samples.hr_bpm)].tolist()) == {120.0}

    # The raw capture beside it replays through the decoders to the same samples.
    (capture,) = sessions.glob("*_chest.capture.jsonl")
    replayed = Samples.concat(list(open_source(capture).body_chunks()))
    assert len(replayed) == len(samples)

    # The summary beside it, and on the broker.
    (summary_file,) = sessions.glob("*_chest.summary.json")
    summary = json.loads(summary_file.read_text())
    assert summary["recording"] == csv.name
    assert summary["heart_rate"]["max_bpm"] == 120
    assert summary["energy"]["method"] == "keytel-2005"

    def final(got: list[object]) -> bool:
        topics = [(m.topic, m.payload) for m in got if not m.retain]  # type: ignore[attr-defined]
        return ("retrosense/status", b"offline") in topics and any(
            t == "retrosense/chest/summary" for t, _ in topics
        )

    got = await asyncio.to_thread(sink.wait_for, final)
    sink.close()
    # Every event is on the broker: as many per type as the session counted, each once.
    events = [m.json for m in got if m.topic.startswith("retrosense/chest/event/")]
    ids = [e["event_id"] for e in events]
    assert len(ids) == len(set(ids))
    per_type: dict[str, int] = {}
    for e in events:
        per_type[e["type"]] = per_type.get(e["type"], 0) + 1
    assert per_type == summary["events"]
    assert sum(per_type.values()) > 0
    # offline published for the band and for the service.
    # (Live messages only: the session's broker may hold retained ones from other tests.)
    status = [(m.topic, m.payload) for m in got if m.topic.endswith("/status") and not m.retain]
    assert ("retrosense/chest/status", b"online") in status
    # The band goes offline before the service does (the service's is the last word).
    band_off = status.index(("retrosense/chest/status", b"offline"))
    assert status.index(("retrosense/status", b"offline")) > band_off
    published = next(m.json for m in got if m.topic == "retrosense/chest/summary")
    assert published["steps"] == summary["steps"]

    # The WitMotion band ran alongside: asked for 50 Hz, recorded with its gyroscope,
    # announced and taken offline under its own id.
    assert wit.rate_hz == 50
    (wit_csv,) = sessions.glob("*_shank.csv")
    wit_reader = RecordingReader(wit_csv)
    assert wit_reader.header.has_gyro and wit_reader.header.sample_rate_hz == 50
    assert wit_reader.truncated_line is None and len(wit_reader.read_all()) > 50
    assert ("retrosense/shank/status", b"online") in status
    assert ("retrosense/shank/status", b"offline") in status
    wit_summary = json.loads(next(sessions.glob("*_shank.summary.json")).read_text())
    wit_events = [m for m in got if m.topic.startswith("retrosense/shank/event/")]
    assert len(wit_events) == sum(wit_summary["events"].values())

    assert not list(sessions.glob("*_strap.csv"))
    strap_summary = json.loads(next(sessions.glob("*_strap.summary.json")).read_text())
    assert strap_summary["heart_rate"]["readings"] > 0
    assert strap_summary["heart_rate"]["min_bpm"] >= 60
    assert ("retrosense/strap/status", b"offline") in status


async def test_run_refuses_bad_config_before_touching_a_band(
    bluez: BlueZEmulator, tmp_path: Path
) -> None:
    h10 = VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip(seconds=5.0))
    bluez.add(h10)
    config = write_config(tmp_path, "mqtt://127.0.0.1:1", extra="bogus_kg = 3\n")
    returncode, err = await run_to_end(config)
    assert returncode == 2
    assert err.decode().strip() == (
        f"retrosense: error: {config}: wearer.bogus_kg: unknown key; did you mean 'body_mass_kg'?"
    )
    assert h10.cp_writes == [] and not h10.streaming


async def test_run_without_bands_says_how_to_add_one(tmp_path: Path) -> None:
    config = tmp_path / "empty.toml"
    config.write_text("[recording]\nenabled = false\n")
    returncode, err = await run_to_end(config)
    assert returncode == 2
    assert "no band is configured: add a [[bands]] table" in err.decode()


async def test_run_refuses_an_unwritable_recording_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[bands]]\naddress = "{H10}"\n[recording]\nfolder = "{blocker / "sessions"}"\n'
        '[broker]\nurl = "mqtt://127.0.0.1:1"\n'
    )
    returncode, err = await run_to_end(config)
    assert returncode == 2
    assert err.decode().strip() == (
        f"retrosense: error: recording.folder: cannot create {blocker / 'sessions'}: Not a "
        "directory; set [recording] folder to a writable place, or use --no-record"
    )


async def test_ctrl_c_stops_as_cleanly_as_sigterm(bluez: BlueZEmulator, tmp_path: Path) -> None:
    """SIGINT (Ctrl-C on a terminal) takes the same path: stop command, whole recording."""
    h10 = VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip(seconds=20.0))
    bluez.add(h10)
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[bands]]\naddress = "{H10}"\nid = "chest"\n'
        f'[recording]\nfolder = "{tmp_path / "s"}"\n'
        # No broker answers here: events wait in the outbox, and the stop still completes.
        f'[broker]\nurl = "mqtt://127.0.0.1:1"\noutbox_path = "{tmp_path / "o.sqlite3"}"\n'
        "[service]\nstop_timeout_s = 1.0\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sensor",
        "run",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_until(lambda: h10.streaming, "the H10 to stream")
        await wait_until(lambda: any((tmp_path / "s").glob("*.csv")), "the recording")
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert "Traceback" not in err.decode()
    # 1: the broker never took the messages; they wait in the outbox for the next start.
    assert proc.returncode == 1
    assert "wait in the outbox" in err.decode()
    assert h10.cp_writes[-1][:2] == bytes([pmd.OpCode.STOP, pmd.MeasurementType.ACC])
    (csv,) = (tmp_path / "s").glob("*_chest.csv")
    reader = RecordingReader(csv)
    assert len(reader.read_all()) > 0 and reader.truncated_line is None
    assert list((tmp_path / "s").glob("*_chest.summary.json"))


async def test_run_without_bluetooth_names_each_band_once(
    mosquitto: Mosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No system bus at all, as on a machine without BlueZ: each band's one error line names
    # it once (it read "chest: chest: Bluetooth is not available ...").
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[bands]]\naddress = "{H10}"\nid = "chest"\n'
        '[[bands]]\nname = "WT901BLE68"\nprofile = "witmotion"\nid = "shank"\n'
        f'[broker]\nurl = "{mosquitto.url}"\nclient_id = "retrosense-nobt-{os.getpid()}"\n'
        f'outbox_path = "{tmp_path / "outbox.sqlite3"}"\n'
        f'[recording]\nenabled = false\nsummary = false\nfolder = "{tmp_path}"\n'
    )
    returncode, err = await run_to_end(config)
    assert returncode == 2
    lines = err.decode().strip().splitlines()
    assert sorted(line.split(" (")[0] for line in lines) == [
        "retrosense: ERROR: chest: Bluetooth is not available",
        "retrosense: ERROR: shank: Bluetooth is not available",
    ]


async def test_run_says_when_a_configured_band_is_not_found(
    bluez: BlueZEmulator, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    # No such band: at the default log level and without a terminal it said nothing at all.
    config = tmp_path / "c.toml"
    config.write_text(
        '[[bands]]\nname = "Polar H10 NOPE"\nid = "chest"\n'
        f'[broker]\nurl = "{mosquitto.url}"\nclient_id = "retrosense-nf-{os.getpid()}"\n'
        f'outbox_path = "{tmp_path / "outbox.sqlite3"}"\n'
        f'[recording]\nenabled = false\nsummary = false\nfolder = "{tmp_path}"\n'
    )
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "sensor", "run", "--config", str(config)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    line = b""
    while b"chest" not in line:  # (bleak may first warn that bluetoothctl is missing)
        line = await asyncio.wait_for(proc.stderr.readline(), GUARD_S)
        assert line, "run ended without a word about the band"
    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(proc.communicate(), GUARD_S)
    assert line.decode().rstrip() == (
        "retrosense: WARNING: chest: no such band seen in a scan within 10 s; is it on and in "
        "range? (still looking)"
    )
