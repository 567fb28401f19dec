"""The Polar H10 path through bleak's real BlueZ backend against the emulated BlueZ.

The virtual H10 (tests/bluez/devices.py) plays a real walking recording as PMD ACC frames in
real time, with heart rate alongside. Nothing here asserts how long anything took; timeouts
only keep a broken run from hanging.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sensor.ble import (
    BandSession,
    BandSpec,
    BatteryReading,
    DeviceInfoReading,
    HeartRateReading,
    LinkEvent,
    LinkStatus,
    SampleBatch,
    SessionOptions,
)
from sensor.ble.items import BandItem
from sensor.ble.scan import scan
from sensor.decoders import polar_pmd as pmd
from sensor.decoders.info import BATTERY_LEVEL
from sensor.errors import DeviceError
from tests.bluez.clips import walking_clip
from tests.bluez.devices import VirtualH10, VirtualWitMotion
from tests.bluez.emulator import BlueZEmulator
from tests.bluez.fixtures import bluez_fixture, system_bus_fixture  # noqa: F401
from tests.paths import ROOT

H10 = "C8:2E:0A:1B:2C:3D"
WIT = "F4:12:FA:00:11:22"
FAST = SessionOptions(
    scan_timeout_s=5.0, backoff_initial_s=0.1, backoff_max_s=0.5, command_timeout_s=5.0
)
#: Only keeps a broken run from hanging; never a measure of speed.
GUARD_S = 60.0

START_100HZ_8G = bytes.fromhex("0202" + "00016400" + "01011000" + "02010800")


def add_h10(bluez: BlueZEmulator, compressed: bool = False) -> VirtualH10:
    h10 = VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip(), compressed=compressed)
    bluez.add(h10)
    return h10


async def collect(
    band: BandSession,
    until: Callable[[list[BandItem]], bool],
    on_item: Callable[[BandItem], None] | None = None,
) -> list[BandItem]:
    """Items until ``until(items)`` holds (then stop the band and drain the rest)."""
    items: list[BandItem] = []

    async def run() -> None:
        async for item in band:
            items.append(item)
            if on_item is not None:
                on_item(item)
            if until(items):
                return

    await asyncio.wait_for(run(), GUARD_S)
    await band.stop()
    items.extend([item async for item in band])
    return items


def batches(items: list[BandItem]) -> list[SampleBatch]:
    return [i for i in items if isinstance(i, SampleBatch)]


def n_samples(items: list[BandItem]) -> int:
    return sum(len(b.samples) for b in batches(items))


def statuses(items: list[BandItem]) -> list[LinkStatus]:
    return [i.status for i in items if isinstance(i, LinkEvent)]


async def test_scan_finds_h10_and_witmotion(bluez: BlueZEmulator) -> None:
    add_h10(bluez)
    bluez.add(VirtualWitMotion(WIT, "WT901BLE68", clip=walking_clip(rate_hz=50), rate_hz=50))
    found = {r.address: r for r in await scan(1.0)}
    assert found[H10].profile == "polar-h10" and found[H10].name == "Polar H10 0A1B2C3D"
    assert found[WIT].profile == "witmotion"
    assert found[H10].rssi_dbm == -55


@pytest.mark.parametrize("compressed", [False, True], ids=["raw-frames", "delta-frames"])
async def test_h10_streams_the_recording(bluez: BlueZEmulator, compressed: bool) -> None:
    h10 = add_h10(bluez, compressed)
    clip = h10.clip
    assert clip is not None
    band = BandSession(BandSpec(H10, "polar-h10"), options=FAST)
    await band.start()
    drained = []

    def battery_drains(item: BandItem) -> None:
        if isinstance(item, SampleBatch) and not drained:
            drained.append(h10.notify(BATTERY_LEVEL, bytes([86])))

    items = await collect(band, lambda items: n_samples(items) >= 250, battery_drains)

    # The start command carries every setting: rate 100 Hz, resolution 16, range 8 g.
    assert START_100HZ_8G in h10.cp_writes
    assert h10.cp_writes[0] == pmd.encode_get_settings(pmd.MeasurementType.ACC)
    # ... and the stop command was written on the way out.
    assert h10.cp_writes[-1] == pmd.encode_stop(pmd.MeasurementType.ACC)

    got = [b.samples for b in batches(items)]
    t = np.concatenate([s.time_s for s in got])
    acc = np.concatenate([s.acc_g for s in got])
    n = len(t)
    # Samples decoded equal the recording played, to the H10's 1 mG resolution...
    np.testing.assert_allclose(acc, np.round(clip.acc_g[:n] * 1000) / 1000, atol=1e-9)
    # ... at the recording's own spacing (the band's clock, not arrival times).
    np.testing.assert_allclose(np.diff(t), np.diff(clip.time_s[:n]), atol=1e-6)
    assert np.all(np.diff(t) > 0)

    hr = [i for i in items if isinstance(i, HeartRateReading)]
    assert hr and hr[0].bpm == 120 and hr[0].rr_s == (0.5,) and hr[0].contact is True
    info = next(i for i in items if isinstance(i, DeviceInfoReading))
    assert info.info.model == "Polar H10" and info.address == H10
    # Battery: read on connect, then followed by its notifications.
    assert [i.percent for i in items if isinstance(i, BatteryReading)] == [87, 86]
    assert drained == [True] and band.battery_percent == 86
    assert band.band_id == "c82e0a1b2c3d"
    assert statuses(items)[:2] == [LinkStatus.CONNECTING, LinkStatus.CONNECTED]
    assert statuses(items)[-1] is LinkStatus.STOPPED
    assert band.info.sample_rate_hz == 100 and band.info.acc_range_g == 8
    assert sum(band.counters.malformed.values()) == 0


async def test_link_loss_reconnects_with_the_gap_marked(bluez: BlueZEmulator) -> None:
    h10 = add_h10(bluez)
    clip = h10.clip
    assert clip is not None
    band = BandSession(BandSpec(H10, "polar-h10"), options=FAST)
    await band.start()
    dropped = False

    def drop_once(item: BandItem) -> None:
        nonlocal dropped
        if not dropped and isinstance(item, SampleBatch) and n_samples_seen[0] >= 100:
            dropped = True
            bluez.drop_link(H10)

    n_samples_seen = [0]

    def on_item(item: BandItem) -> None:
        if isinstance(item, SampleBatch):
            n_samples_seen[0] += len(item.samples)
        drop_once(item)

    def done(items: list[BandItem]) -> bool:
        after = [b for b in items if isinstance(b, SampleBatch) and b.gap_before]
        return len(after) >= 2 and n_samples(items) >= n_samples_seen_at_gap(items) + 100

    def n_samples_seen_at_gap(items: list[BandItem]) -> int:
        k = next(
            i for i, b in enumerate(items) if isinstance(b, SampleBatch) and b.gap_before and i > 3
        )
        return n_samples(items[:k])

    items = await collect(band, done, on_item)
    st = statuses(items)
    assert st.count(LinkStatus.CONNECTED) == 2
    lost = next(
        i for i in items if isinstance(i, LinkEvent) and i.status is LinkStatus.DISCONNECTED
    )
    assert lost.reason == "link lost"
    assert LinkStatus.RECONNECTING in st
    again = [i for i in items if isinstance(i, LinkEvent) and i.status is LinkStatus.CONNECTED][1]
    assert again.gap_from_s is not None
    # Resubscribed: the start command was written on both connections.
    assert h10.cp_writes.count(START_100HZ_8G) == 2
    assert band.counters.link_losses == 1

    bs = batches(items)
    k = next(i for i, b in enumerate(bs) if b.gap_before and i > 0)
    before, after = bs[k - 1].samples, bs[k].samples
    assert again.gap_from_s == pytest.approx(float(before.time_s[-1]))
    # The gap is in sample time: no sample was invented for the time the link was down.
    gap_s = float(after.time_s[0] - before.time_s[-1])
    assert gap_s > 5 * 0.01
    # Samples after the gap are still the recording's, at the band's clock positions.
    t = np.concatenate([b.samples.time_s for b in bs])
    acc = np.concatenate([b.samples.acc_g for b in bs])
    idx = np.round((t - t[0]) * 100).astype(int)
    np.testing.assert_allclose(acc, np.round(clip.acc_g[idx] * 1000) / 1000, atol=1e-9)
    assert np.unique(idx).size == idx.size


async def test_stop_command_written_on_cancellation(bluez: BlueZEmulator) -> None:
    h10 = add_h10(bluez)

    async def consumer() -> None:
        async with BandSession(BandSpec(H10, "polar-h10"), options=FAST) as band:
            async for item in band:
                if isinstance(item, SampleBatch):
                    started.set()

    started = asyncio.Event()
    task = asyncio.get_running_loop().create_task(consumer())
    await asyncio.wait_for(started.wait(), GUARD_S)
    task.cancel()  # what Ctrl-C does to `retrosense record`
    with pytest.raises(asyncio.CancelledError):
        await task
    assert h10.cp_writes[-1] == pmd.encode_stop(pmd.MeasurementType.ACC)
    assert not h10.streaming


async def test_stop_command_written_when_the_session_task_is_cancelled(
    bluez: BlueZEmulator,
) -> None:
    h10 = add_h10(bluez)
    band = BandSession(BandSpec(H10, "polar-h10"), options=FAST)
    await band.start()
    async for item in band:
        if isinstance(item, SampleBatch):
            break
    # asyncio.run cancels every task left at shutdown: the run task must still stop the band.
    band._tasks[0].cancel()
    await asyncio.gather(*band._tasks, return_exceptions=True)
    assert h10.cp_writes[-1] == pmd.encode_stop(pmd.MeasurementType.ACC)
    assert not h10.streaming


async def test_vanished_band_is_retried_not_crashed_on(bluez: BlueZEmulator) -> None:
    add_h10(bluez)
    options = SessionOptions(scan_timeout_s=0.3, backoff_initial_s=0.05, backoff_max_s=0.2)
    band = BandSession(BandSpec(H10, "polar-h10"), options=options)
    await band.start()
    state = {"vanished": False, "back": False}

    def on_item(item: BandItem) -> None:
        if isinstance(item, SampleBatch) and not state["vanished"]:
            state["vanished"] = True
            bluez.vanish(H10)
        if (
            isinstance(item, LinkEvent)
            and item.status is LinkStatus.RECONNECTING
            and item.attempt >= 3
        ) and not state["back"]:
            state["back"] = True
            bluez.reappear(H10)

    items = await collect(
        band,
        lambda items: any(isinstance(i, SampleBatch) and i.gap_before for i in items[5:]),
        on_item,
    )
    retries = [i for i in items if isinstance(i, LinkEvent) and i.status is LinkStatus.RECONNECTING]
    assert max(r.attempt for r in retries) >= 3
    assert any("no such band" in r.reason for r in retries)
    assert statuses(items).count(LinkStatus.CONNECTED) == 2
    assert band.error is None


async def test_watchdog_reconnects_when_notifications_stop(bluez: BlueZEmulator) -> None:
    h10 = add_h10(bluez)
    options = SessionOptions(scan_timeout_s=5.0, backoff_initial_s=0.05, watchdog_s=1.0)
    band = BandSession(BandSpec(H10, "polar-h10"), options=options)
    await band.start()

    stalls = []

    def on_item(item: BandItem) -> None:
        if isinstance(item, SampleBatch) and not stalls:
            stalls.append(item)
            h10.stalled = True  # connected, but nothing arrives any more
        if isinstance(item, LinkEvent) and item.status is LinkStatus.DISCONNECTED:
            h10.stalled = False

    items = await collect(
        band,
        lambda items: statuses(items).count(LinkStatus.CONNECTED) >= 2 and n_samples(items) > 200,
        on_item,
    )
    lost = next(
        i for i in items if isinstance(i, LinkEvent) and i.status is LinkStatus.DISCONNECTED
    )
    assert lost.reason.startswith("watchdog")
    assert band.counters.watchdog_resets >= 1


async def test_stale_bluez_device_is_removed_and_reconnected(bluez: BlueZEmulator) -> None:
    add_h10(bluez)
    # bleak itself retries "le-connection-abort-by-local" until its connect timeout.
    options = SessionOptions(connect_timeout_s=1.0, backoff_initial_s=0.05, backoff_max_s=0.2)
    band = BandSession(BandSpec(H10, "polar-h10"), options=options)
    await band.start()
    state = {"done": False}

    def on_item(item: BandItem) -> None:
        if isinstance(item, SampleBatch) and not state["done"]:
            state["done"] = True
            bluez.make_stale(H10)
            bluez.drop_link(H10)

    items = await collect(
        band, lambda items: statuses(items).count(LinkStatus.CONNECTED) >= 2, on_item
    )
    assert band.counters.stale_device_resets >= 1
    assert "org.bluez.Adapter1.RemoveDevice /org/bluez/hci0" in bluez.calls
    assert statuses(items).count(LinkStatus.CONNECTED) == 2


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("configured_by", ["address", "name"])
async def test_band_left_connected_by_a_killed_process_streams_again(
    bluez: BlueZEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture, configured_by: str
) -> None:
    h10 = add_h10(bluez)
    # The earlier process: ``retrosense record`` streaming the band, then SIGKILLed.
    with (tmp_path / "earlier.err").open("wb") as err:
        earlier = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sensor", "record", "--band", H10,
            "-o", str(tmp_path / "earlier.csv"), "--duration-s", "600",
            cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
        try:
            await asyncio.wait_for(until(lambda: h10.streaming and h10.hr_on), GUARD_S)
        finally:
            earlier.send_signal(signal.SIGKILL)
            await earlier.wait()
    # As in BlueZ: the dead client's notify sessions end, its link stays, the band is silent.
    await asyncio.wait_for(until(lambda: not h10.hr_on), GUARD_S)
    assert h10.is_connected and h10.streaming
    assert os.environ["DBUS_SYSTEM_BUS_ADDRESS"] == bluez.bus_address
    earlier_writes = len(h10.cp_writes)
    # It no longer advertises; ``scan`` lists it as held connected.
    listed = [r for r in await scan(0.5) if r.address == H10]
    assert [(r.connected, r.rssi_dbm, r.profile) for r in listed] == [(True, None, "polar-h10")]

    caplog.set_level(logging.INFO, logger="sensor.ble.session")
    options = SessionOptions(scan_timeout_s=2.0, backoff_initial_s=0.05, max_attempts=2)
    device = H10 if configured_by == "address" else "Polar H10"
    band = BandSession(BandSpec(device, "polar-h10"), options=options)
    await band.start()
    items = await collect(band, lambda items: n_samples(items) >= 150)
    assert band.error is None
    assert band.counters.leftover_links_released == 1
    assert f"org.bluez.Device1.Disconnect {bluez.dev_path(H10)}" in bluez.calls
    assert statuses(items).count(LinkStatus.CONNECTED) == 1
    assert any("still connected from an earlier process" in r.message for r in caplog.records)
    # A fresh band: no stream left running to stop first; the one stop is the session's last.
    assert h10.cp_writes[earlier_writes:].count(pmd.encode_stop(pmd.MeasurementType.ACC)) == 1


async def test_malformed_notification_is_counted_and_skipped(bluez: BlueZEmulator) -> None:
    h10 = add_h10(bluez)
    band = BandSession(BandSpec(H10, "polar-h10"), options=FAST)
    await band.start()
    sent = {"bad": False}

    def on_item(item: BandItem) -> None:
        if isinstance(item, SampleBatch) and not sent["bad"]:
            sent["bad"] = True
            h10.notify(pmd.PMD_DATA, b"\x02\x00\x01")  # a cut-off frame
            h10.notify(pmd.PMD_DATA, b"\x02" + bytes(8) + b"\x01" + b"\x00")  # half a sample

    items = await collect(band, lambda items: n_samples(items) >= 150, on_item)
    assert band.counters.malformed["pmd_frame"] == 2
    assert n_samples(items) >= 150


async def test_refused_start_ends_the_session_with_the_reason(bluez: BlueZEmulator) -> None:
    h10 = add_h10(bluez)
    h10.refuse_start = 9  # ERROR_INVALID_RANGE
    band = BandSession(BandSpec(H10, "polar-h10"), options=FAST)
    await band.start()
    with pytest.raises(DeviceError, match=r"refused the ACC start .*: ERROR_INVALID_RANGE"):
        await asyncio.wait_for(collect(band, lambda items: False), GUARD_S)
    # A refused start is still followed by the stop command, in case the strap did start.
    assert h10.cp_writes[-1] == pmd.encode_stop(pmd.MeasurementType.ACC)


async def test_gives_up_after_max_attempts_when_asked(bluez: BlueZEmulator) -> None:
    options = SessionOptions(scan_timeout_s=0.2, backoff_initial_s=0.01, max_attempts=2)
    band = BandSession(BandSpec(H10, "polar-h10"), options=options)
    await band.start()
    with pytest.raises(DeviceError, match="gave up after 2 failed attempts: no such band"):
        await asyncio.wait_for(collect(band, lambda items: False), GUARD_S)
