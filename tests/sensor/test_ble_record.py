"""``retrosense scan`` and ``retrosense record`` run as a user runs them (a subprocess), through
bleak's real BlueZ backend against the emulated BlueZ on the private bus; Ctrl-C included."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from sensor.capture import CaptureSource
from sensor.decoders import polar_pmd as pmd
from sensor.recording import RecordingReader
from tests.bluez.clips import walking_clip
from tests.bluez.devices import VirtualH10
from tests.bluez.emulator import BlueZEmulator
from tests.bluez.fixtures import bluez_fixture, system_bus_fixture  # noqa: F401
from tests.paths import ROOT

H10 = "C8:2E:0A:1B:2C:3D"
GUARD_S = 120.0
STOP = pmd.encode_stop(pmd.MeasurementType.ACC)


def _ctrl_c_as_on_a_terminal() -> None:
    # A test run started in the background of a script ignores SIGINT, and its children
    # would inherit that: the command under test gets Ctrl-C as a terminal gives it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def retrosense(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sensor",
        *args,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_ctrl_c_as_on_a_terminal,
    )


async def test_scan_command_lists_the_band(bluez: BlueZEmulator) -> None:
    bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip()))
    proc = await retrosense("scan", "--timeout-s", "1")
    out, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0].split() == ["NAME", "ADDRESS", "RSSI", "PROFILE"]
    assert lines[1].split() == ["Polar", "H10", "0A1B2C3D", H10, "-55", "dBm", "polar-h10"]


async def test_record_writes_csv_and_capture_that_agree(
    bluez: BlueZEmulator, tmp_path: Path
) -> None:
    h10 = bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip()))
    assert h10.clip is not None
    csv, raw = tmp_path / "walk.csv", tmp_path / "walk.jsonl"
    proc = await retrosense(
        "record", "--band", H10, "-o", str(csv), "--raw", str(raw), "--duration-s", "2",
        "--placement", "waist", "--body-axes=-z,+y,+x",
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    assert proc.returncode == 0, err.decode()
    assert h10.cp_writes[-1] == STOP
    reader = RecordingReader(csv)
    assert reader.header.placement.value == "waist" and reader.header.body_axes == "-z,+y,+x"
    assert reader.header.extra["profile"] == "polar-h10"  # found by the band's advertised name
    s = reader.read_all()
    assert len(s) >= 150
    np.testing.assert_allclose(s.acc_g, np.round(h10.clip.acc_g[: len(s)] * 1000) / 1000)
    assert s.hr_bpm is not None and 120.0 in s.hr_bpm
    # The raw capture decodes to the very same samples.
    replay = CaptureSource(raw)
    r = np.concatenate([c.acc_g for c in replay.chunks()])
    np.testing.assert_allclose(r[: len(s)], s.acc_g)
    np.testing.assert_allclose(
        np.concatenate([c.time_s for c in CaptureSource(raw).chunks()])[: len(s)],
        s.time_s,
        atol=2e-6,
    )
    assert "recorded" in err.decode()


@pytest.mark.parametrize(
    ("stop_signal", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "term"]
)
async def test_ctrl_c_stops_the_band_and_keeps_the_file(
    bluez: BlueZEmulator, tmp_path: Path, stop_signal: int, code: int
) -> None:
    h10 = bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip()))
    csv = tmp_path / "walk.csv"
    proc = await retrosense("record", "--band", "Polar H10", "-o", str(csv))
    assert proc.stderr is not None

    async def wait_streaming() -> None:
        while not (csv.exists() and len(csv.read_text().splitlines()) > 60):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait_streaming(), GUARD_S)
    assert h10.streaming
    proc.send_signal(stop_signal)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    finally:
        if proc.returncode is None:  # not left running into the next test
            proc.kill()
            await proc.wait()
    assert proc.returncode == code, err.decode()
    assert h10.cp_writes[-1] == STOP and not h10.streaming
    assert len(RecordingReader(csv).read_all()) > 50
    assert "Traceback" not in err.decode()


async def test_no_bluez_is_one_clear_line(system_bus: str, tmp_path: Path) -> None:
    # A bus with nobody owning org.bluez: bluetoothd is not running.
    for args in (
        ["scan", "--timeout-s", "1"],
        ["record", "--band", H10, "-o", str(tmp_path / "x.csv")],
    ):
        proc = await retrosense(*args)
        _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
        assert proc.returncode == 2
        last = err.decode().strip().splitlines()[-1]
        assert last.startswith("retrosense: error: ") and "Bluetooth is not available" in last
        assert "Traceback" not in err.decode()


async def test_a_band_never_found_is_an_error_not_an_empty_recording(
    bluez: BlueZEmulator, tmp_path: Path
) -> None:
    # No band at all: it ended "recorded 0 samples ... 0 connections" with exit code 0.
    csv = tmp_path / "walk.csv"
    proc = await retrosense(
        *("record", "--band", "Polar H10 NOPE", "-o", str(csv)),
        *("--duration-s", "3", "--scan-timeout-s", "1"),
    )
    _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    assert proc.returncode == 2, err.decode()
    last = err.decode().strip().splitlines()[-1]
    assert last == (
        "retrosense: error: Polar H10 NOPE: never connected: no such band seen in a scan "
        "within 1 s; is it on and in range?"
    )
    assert not csv.exists()


async def test_config_init_writes_the_bands_a_scan_finds(
    bluez: BlueZEmulator, tmp_path: Path
) -> None:
    from sensor.config import load_config

    bluez.add(VirtualH10(H10, 'Polar H10 "0A1B"\tx', clip=walking_clip()))
    target = tmp_path / "conf" / "config.toml"
    proc = await retrosense("config", "init", "--config", str(target), "--scan-s", "1")
    out, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    assert proc.returncode == 0, err.decode()
    assert "1 band from a scan" in out.decode()
    cfg = load_config(target).config
    (band,) = cfg.bands
    assert (band.address, band.profile) == (H10, "polar-h10")
    # The advertised name, quotes and a tab included, is a comment that stays one line.
    assert '# name = "Polar H10 \\"0A1B\\"\tx"  (seen at -55 dBm)\n' in target.read_text()
