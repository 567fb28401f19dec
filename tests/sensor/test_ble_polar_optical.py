"""The Polar Verity Sense and OH1 through bleak's real BlueZ backend against the emulated BlueZ.

Both speak PMD as the H10 does (tests/sensor/test_ble_h10.py); the Verity Sense also streams
its gyroscope, which the driver puts beside the accelerometer on the same sample times.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from sensor.ble import BandSession, BandSpec, HeartRateReading
from sensor.ble.scan import scan
from sensor.decoders import polar_pmd as pmd
from sensor.errors import DeviceError
from tests.bluez.clips import imu_clip
from tests.bluez.devices import VERITY_GYRO_FACTOR, VirtualPolarOptical
from tests.bluez.emulator import BlueZEmulator
from tests.bluez.fixtures import bluez_fixture, system_bus_fixture  # noqa: F401
from tests.sensor.test_ble_h10 import FAST, GUARD_S, batches, collect, n_samples

VERITY = "A0:9E:1A:B5:A6:C7"
OH1 = "A0:9E:1A:11:22:33"
ACC = pmd.MeasurementType.ACC
GYRO = pmd.MeasurementType.GYRO


def start(kind: int, rate_hz: int, full_scale: int) -> bytes:
    return pmd.encode_start(
        pmd.MeasurementType(kind),
        {
            pmd.SettingType.SAMPLE_RATE: rate_hz,
            pmd.SettingType.RESOLUTION: 16,
            pmd.SettingType.RANGE: full_scale,
        },
    )


def verity(bluez: BlueZEmulator, gyro: bool = True) -> VirtualPolarOptical:
    band = VirtualPolarOptical(VERITY, "Polar Sense B5A6C7D8", clip=imu_clip(), gyro=gyro)
    bluez.add(band)
    return band


async def test_scan_tells_the_verity_sense_and_the_oh1_apart(bluez: BlueZEmulator) -> None:
    verity(bluez)
    bluez.add(
        VirtualPolarOptical(
            OH1, "Polar OH1 1A2B3C4D", clip=imu_clip(rate_hz=50), gyro=False, model="Polar OH1"
        )
    )
    found = {r.address: r.profile for r in await scan(1.0)}
    assert found == {VERITY: "polar-verity-sense", OH1: "polar-oh1"}


async def test_verity_sense_streams_accelerometer_and_gyroscope_together(
    bluez: BlueZEmulator,
) -> None:
    band_device = verity(bluez)
    clip = band_device.clip
    assert clip is not None and clip.gyro_dps is not None
    band = BandSession(BandSpec(VERITY, "polar-verity-sense"), options=FAST)
    await band.start()
    items = await collect(band, lambda items: n_samples(items) >= 200)

    writes = band_device.cp_writes
    assert start(ACC, 52, 8) in writes and start(GYRO, 52, 2000) in writes
    # Both streams are stopped on the way out, the gyroscope first.
    assert writes[-2:] == [pmd.encode_stop(GYRO), pmd.encode_stop(ACC)]

    got = [b.samples for b in batches(items)]
    acc = np.concatenate([s.acc_g for s in got])
    gyro = np.concatenate([s.gyro_dps for s in got if s.gyro_dps is not None])
    n = len(acc)
    assert gyro.shape == (n, 3)
    np.testing.assert_allclose(acc, np.round(clip.acc_g[:n] * 1000) / 1000, atol=1e-9)
    # The gyroscope, on the accelerometer's sample times, to its 0.06 deg/s resolution; only
    # samples before its first frame may lack it.
    known = ~np.isnan(gyro).any(axis=1)
    assert known.sum() >= n - 30 and known[-1]
    assert not known[: int(np.argmax(known))].any()
    want = np.round(clip.gyro_dps[:n] / VERITY_GYRO_FACTOR) * VERITY_GYRO_FACTOR
    np.testing.assert_allclose(gyro[known], want[known], atol=1e-3)
    assert np.abs(gyro[known]).max() > 20  # the workout moves: not a zero stream
    assert band.info.sample_rate_hz == 52 and band.info.has_gyro
    assert any(isinstance(i, HeartRateReading) for i in items)


async def test_oh1_streams_its_accelerometer(bluez: BlueZEmulator) -> None:
    device = VirtualPolarOptical(
        OH1, "Polar OH1 1A2B3C4D", clip=imu_clip(rate_hz=50), gyro=False, model="Polar OH1"
    )
    bluez.add(device)
    band = BandSession(BandSpec(OH1, "polar-oh1"), options=FAST)
    await band.start()
    items = await collect(band, lambda items: n_samples(items) >= 100)
    assert start(ACC, 50, 8) in device.cp_writes
    assert all(w[1] == ACC for w in device.cp_writes)  # no gyroscope asked of it
    assert device.cp_writes[-1] == pmd.encode_stop(ACC)
    got = [b.samples for b in batches(items)]
    assert all(s.gyro_dps is None for s in got)
    t = np.concatenate([s.time_s for s in got])
    np.testing.assert_allclose(np.diff(t), 1 / 50, atol=1e-6)


async def test_a_band_without_the_gyroscope_stream_is_refused_by_name(
    bluez: BlueZEmulator,
) -> None:
    verity(bluez, gyro=False)
    band = BandSession(BandSpec(VERITY, "polar-verity-sense"), options=FAST)
    await band.start()
    with pytest.raises(DeviceError, match="offers no GYRO stream over PMD"):
        await asyncio.wait_for(collect(band, lambda items: False), GUARD_S)
