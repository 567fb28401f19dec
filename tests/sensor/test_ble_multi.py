"""Several bands in one process through bleak's real BlueZ backend: an H10, a WitMotion IMU
and a heart-rate-only strap at once, against the emulated BlueZ."""

from __future__ import annotations

import asyncio

import numpy as np

from sensor.ble import (
    BandSession,
    BandSpec,
    HeartRateReading,
    SampleBatch,
    SessionOptions,
    run_sessions,
)
from sensor.ble.items import BandItem
from sensor.decoders import witmotion
from tests.bluez.clips import walking_clip
from tests.bluez.devices import Clip, HeartRateStrap, VirtualH10, VirtualMovesense, VirtualWitMotion
from tests.bluez.emulator import BlueZEmulator
from tests.bluez.fixtures import bluez_fixture, system_bus_fixture  # noqa: F401

H10 = "C8:2E:0A:1B:2C:3D"
WIT = "F4:12:FA:00:11:22"
STRAP = "E1:22:33:44:55:66"
OPTIONS = SessionOptions(scan_timeout_s=5.0, backoff_initial_s=0.1, backoff_max_s=0.5)
GUARD_S = 60.0


async def test_three_bands_at_once(bluez: BlueZEmulator) -> None:
    h10 = bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip()))
    wit_clip = walking_clip(rate_hz=50)
    wit = bluez.add(VirtualWitMotion(WIT, "WT901BLE68", clip=wit_clip))
    bluez.add(HeartRateStrap(STRAP, "HRM-Pro:123456"))
    sessions = [
        BandSession(BandSpec(H10, "polar-h10"), options=OPTIONS),
        # By advertised name, not address: the id comes from the name it was asked by, and
        # stays when the address shows (sensor.identity).
        BandSession(BandSpec("WT901", "witmotion"), options=OPTIONS),
        BandSession(BandSpec(STRAP, "heart-rate", id="strap"), options=OPTIONS),
    ]
    seen: dict[str, list[BandItem]] = {"c82e0a1b2c3d": [], "wt901": [], "strap": []}
    enough = asyncio.Event()

    def handle(item: BandItem) -> None:
        seen.setdefault(item.band_id, []).append(item)
        counts = {
            k: sum(len(i.samples) for i in v if isinstance(i, SampleBatch)) for k, v in seen.items()
        }
        beats = sum(isinstance(i, HeartRateReading) for i in seen["strap"])
        if counts["c82e0a1b2c3d"] >= 150 and counts["wt901"] >= 75 and beats >= 5:
            enough.set()

    runner = asyncio.get_running_loop().create_task(run_sessions(sessions, handle))
    await asyncio.wait_for(enough.wait(), GUARD_S)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)

    # The WitMotion's output rate was set on connect (unlock, then RRATE = 50 Hz).
    assert (witmotion.WITMOTION_WRITE, bytes.fromhex("ffaa6988b5")) in wit.writes
    assert (witmotion.WITMOTION_WRITE, bytes.fromhex("ffaa030800")) in wit.writes
    # Its samples are the clip's, to the int16 resolution of ±16 g / ±2000 °/s.
    batches = [i.samples for i in seen["wt901"] if isinstance(i, SampleBatch)]
    acc = np.concatenate([b.acc_g for b in batches])
    gyro = np.concatenate([b.gyro_dps for b in batches if b.gyro_dps is not None])
    n = len(acc)
    np.testing.assert_allclose(acc, wit_clip.acc_g[:n], atol=16 / 32768)
    assert wit_clip.gyro_dps is not None
    np.testing.assert_allclose(gyro, wit_clip.gyro_dps[:n], atol=2000 / 32768)
    t = np.concatenate([b.time_s for b in batches])
    assert np.all(np.diff(t) > 0)
    assert sessions[1].band_id == "wt901" and sessions[1].address == WIT
    assert set(seen) == {"c82e0a1b2c3d", "wt901", "strap"}
    assert sessions[1].info.has_gyro and sessions[1].info.sample_rate_hz == 50

    # The strap gives heart rate only.
    assert not any(isinstance(i, SampleBatch) for i in seen["strap"])
    assert [i.bpm for i in seen["strap"] if isinstance(i, HeartRateReading)][:3] == [60, 61, 62]
    # Every band was stopped on the way out; the H10 was sent its stop command.
    assert h10.cp_writes[-1] == bytes([0x03, 0x02])
    assert all(s.error is None for s in sessions)


async def test_movesense_imu6(bluez: BlueZEmulator) -> None:
    base = walking_clip()
    clip = Clip(base.time_s * 100 / 104, base.acc_g, base.gyro_dps, 104.0)
    sensor = bluez.add(VirtualMovesense("0C:8C:DC:00:11:22", "Movesense 220330000122", clip=clip))
    band = BandSession(BandSpec("Movesense", "movesense"), options=OPTIONS)
    await band.start()
    got: list[SampleBatch] = []

    async def run() -> None:
        async for item in band:
            if isinstance(item, SampleBatch):
                got.append(item)
                if sum(len(b.samples) for b in got) >= 100:
                    return

    await asyncio.wait_for(run(), GUARD_S)
    await band.stop()
    # Subscribed to the IMU6 resource at the profile's rate; unsubscribed on the way out.
    writes = [data for _, data in sensor.writes]
    assert writes[0] == b"\x01\x63/Meas/IMU6/104"
    assert writes[-1] == b"\x02\x63"
    acc = np.concatenate([b.samples.acc_g for b in got])
    gyro = np.concatenate([b.samples.gyro_dps for b in got if b.samples.gyro_dps is not None])
    n = len(acc)
    np.testing.assert_allclose(acc, clip.acc_g[:n], atol=1e-6)  # float32 on the wire
    assert clip.gyro_dps is not None
    np.testing.assert_allclose(gyro, clip.gyro_dps[:n], atol=1e-4)
    t = np.concatenate([b.samples.time_s for b in got])
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(np.diff(t), 1 / 104, atol=1.1e-3)  # ms timestamps
