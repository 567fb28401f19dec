"""Virtual bands for the BlueZ emulator: a Polar H10, a WitMotion IMU, a heart-rate strap.

Each plays a recording in real time once streaming starts, on a device clock that keeps
running while the link is down, so a link loss loses exactly the samples of that time. The
H10 speaks the PMD control point as the Polar BLE SDK describes it (read features; get
settings; start only with rate, resolution and range, answering ERROR_INVALID_PARAMETER
otherwise, as polar-ble-sdk issue 124 reports; stop), and sends raw or delta-compressed ACC
frames stamped with the last sample's time in ns since 2000-01-01.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from analysis.units import STANDARD_GRAVITY_M_S2
from sensor.decoders import movesense, witmotion
from sensor.decoders import polar_pmd as pmd
from sensor.decoders.heart_rate import HEART_RATE_MEASUREMENT, HEART_RATE_SERVICE
from sensor.decoders.info import BATTERY_LEVEL, BATTERY_SERVICE, DEVICE_INFORMATION_SERVICE
from tests.bluez.emulator import Char, Peripheral

MODEL_NUMBER = "00002a24-0000-1000-8000-00805f9b34fb"
MANUFACTURER = "00002a29-0000-1000-8000-00805f9b34fb"
#: 2026-11-20T10:15:00Z on the PMD clock (ns since 2000-01-01).
H10_CLOCK_START_NS = (1_795_169_700 - pmd.PMD_EPOCH_UNIX_S) * 1_000_000_000


@dataclass(frozen=True, eq=False)
class Clip:
    """What a virtual band plays: sample times (s from 0) and values."""

    time_s: NDArray[np.float64]
    acc_g: NDArray[np.float64]
    gyro_dps: NDArray[np.float64] | None = None
    rate_hz: float = 100.0


def info_services(model: str, maker: str, battery: int) -> dict[str, list[Char]]:
    return {
        BATTERY_SERVICE: [Char(BATTERY_LEVEL, ["read", "notify"], bytes([battery]))],
        DEVICE_INFORMATION_SERVICE: [
            Char(MANUFACTURER, ["read"], maker.encode()),
            Char(MODEL_NUMBER, ["read"], model.encode()),
        ],
    }


@dataclass
class Player:
    """Real-time playback of a clip on a device clock started at the first ``start``."""

    clip: Clip
    tick_s: float = 0.05
    started_at: float | None = None
    next_index: int = 0

    def due(self) -> range:
        """Indices of the samples whose time has come since the last call."""
        assert self.started_at is not None
        elapsed = time.monotonic() - self.started_at
        end = int(np.searchsorted(self.clip.time_s, elapsed, side="right"))
        lo, self.next_index = self.next_index, max(self.next_index, end)
        return range(lo, self.next_index)


@dataclass
class VirtualH10(Peripheral):
    """A Polar H10: HR service, battery, device info and PMD, playing ``clip`` as ACC."""

    clip: Clip | None = None
    compressed: bool = False
    max_samples_per_frame: int = 36
    #: Every control point write, in order.
    cp_writes: list[bytes] = field(default_factory=list)
    streaming: bool = False
    hr_on: bool = False
    #: Answer every start with this status instead (e.g. 9, ERROR_INVALID_RANGE).
    refuse_start: int | None = None
    _player: Player | None = None
    _task: asyncio.Task[None] | None = None
    _hr_task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.services = {
            HEART_RATE_SERVICE: [Char(HEART_RATE_MEASUREMENT, ["notify"])],
            pmd.PMD_SERVICE: [
                Char(pmd.PMD_CONTROL_POINT, ["read", "write", "indicate"]),
                Char(pmd.PMD_DATA, ["notify"]),
            ],
            **info_services("Polar H10", "Polar Electro Oy", 87),
        }
        assert self.clip is not None
        self._player = Player(self.clip)

    # --- the PMD control point --------------------------------------------------------
    def read(self, uuid: str) -> bytes:
        if uuid == pmd.PMD_CONTROL_POINT:
            return bytes([pmd.FEATURES_CODE, 0b101])  # ECG and ACC
        return super().read(uuid)

    def write(self, uuid: str, data: bytes) -> None:
        if uuid != pmd.PMD_CONTROL_POINT:
            return super().write(uuid, data)
        self.cp_writes.append(data)
        op, kind = data[0], data[1] if len(data) > 1 else 0xFF
        if kind != pmd.MeasurementType.ACC:
            return self._answer(op, kind, 2)  # ERROR_INVALID_MEASUREMENT_TYPE
        if op == pmd.OpCode.GET_SETTINGS:
            settings = bytes.fromhex("0004190032006400c800" + "01011000" + "0203020004000800")
            return self._answer(op, kind, 0, b"\x00" + settings)
        if op == pmd.OpCode.START:
            try:
                chosen = pmd.decode_settings(data[2:])
            except Exception:
                return self._answer(op, kind, 4)  # ERROR_INVALID_LENGTH
            needed = {
                pmd.SettingType.SAMPLE_RATE,
                pmd.SettingType.RESOLUTION,
                pmd.SettingType.RANGE,
            }
            if not needed <= set(chosen):
                return self._answer(op, kind, 5)  # ERROR_INVALID_PARAMETER (polar-ble-sdk 124)
            if self.refuse_start is not None:
                return self._answer(op, kind, self.refuse_start)
            if self.streaming:
                return self._answer(op, kind, 6)  # ERROR_ALREADY_IN_STATE
            self.streaming = True
            self._answer(op, kind, 0, b"\x00")
            self._start_stream()
            return None
        if op == pmd.OpCode.STOP:
            self._stop_stream()
            return self._answer(op, kind, 0, b"\x00")
        return self._answer(op, kind, 1)

    def _answer(self, op: int, kind: int, status: int, rest: bytes = b"") -> None:
        self.notify(pmd.PMD_CONTROL_POINT, bytes([pmd.RESPONSE_CODE, op, kind, status]) + rest)

    # --- streaming ------------------------------------------------------------------
    def subscribed(self, uuid: str, on: bool) -> None:
        if uuid == HEART_RATE_MEASUREMENT:
            self.hr_on = on
            if on and self._hr_task is None:
                self._hr_task = asyncio.get_running_loop().create_task(self._heart_rate())

    def _start_stream(self) -> None:
        assert self._player is not None
        if self._player.started_at is None:
            self._player.started_at = time.monotonic()
        else:
            self._player.due()  # what played while stopped is gone
        self._task = asyncio.get_running_loop().create_task(self._stream())

    def _stop_stream(self) -> None:
        self.streaming = False
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def disconnected(self) -> None:
        # The sensor ends its measurements when the link goes (the SDK restarts them).
        self._stop_stream()
        self.hr_on = False
        if self._hr_task is not None:
            self._hr_task.cancel()
            self._hr_task = None

    async def _stream(self) -> None:
        assert self._player is not None and self.clip is not None
        while True:
            await asyncio.sleep(self._player.tick_s)
            idx = self._player.due()
            for lo in range(idx.start, idx.stop, self.max_samples_per_frame):
                hi = min(lo + self.max_samples_per_frame, idx.stop)
                self.notify(pmd.PMD_DATA, self.frame(lo, hi))

    def frame(self, lo: int, hi: int) -> bytes:
        """The ACC frame of clip samples ``lo:hi``, stamped with sample ``hi - 1``'s time."""
        assert self.clip is not None
        mg = np.round(self.clip.acc_g[lo:hi] * 1000.0).astype(np.int64)
        ts = H10_CLOCK_START_NS + round(float(self.clip.time_s[hi - 1]) * 1e9)
        head = bytes([pmd.MeasurementType.ACC]) + ts.to_bytes(8, "little")
        if not self.compressed:
            return head + b"\x01" + mg.astype("<i2").tobytes()
        return head + b"\x81" + encode_delta(mg)

    async def _heart_rate(self) -> None:
        beat = 0
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(0.25)
                beat += 1
                # flags 0x16: contact supported + detected, RR present; 120 bpm, RR 0.5 s
                self.notify(
                    HEART_RATE_MEASUREMENT, bytes([0x16, 120]) + (512).to_bytes(2, "little")
                )


def encode_delta(values: NDArray[np.int64]) -> bytes:
    """A delta-compressed body (the inverse of BlePMDClient.parseDeltaFramesAll)."""
    out = bytearray(values[0].astype("<i2").tobytes())
    deltas = np.diff(values, axis=0)
    for lo in range(0, deltas.shape[0], 255):
        block = deltas[lo : lo + 255]
        top = int(np.abs(block).max()) if block.size else 0
        width = max(2, top.bit_length() + 1)
        twos = np.where(block < 0, block + (1 << width), block).astype(np.int64).reshape(-1)
        bits = ((twos[:, None] >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
        out += bytes([width, block.shape[0]]) + np.packbits(bits, bitorder="little").tobytes()
    return bytes(out)


@dataclass
class VirtualWitMotion(Peripheral):
    """A WitMotion BWT901BLE: one 20-byte ``55 61`` frame per notification at the set rate."""

    clip: Clip | None = None
    rate_hz: int = 10
    _player: Player | None = None
    _task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.services = {
            witmotion.WITMOTION_SERVICE: [
                Char(witmotion.WITMOTION_WRITE, ["write-without-response", "write"]),
                Char(witmotion.WITMOTION_NOTIFY, ["notify"]),
            ],
            **info_services("WT901BLE68", "WitMotion", 64),
        }
        assert self.clip is not None
        self._player = Player(self.clip, tick_s=0.02)

    def write(self, uuid: str, data: bytes) -> None:
        if uuid == witmotion.WITMOTION_WRITE and data[:3] == bytes(
            [0xFF, 0xAA, witmotion.REG_RATE]
        ):
            rates = {code: hz for hz, code in witmotion.RATE_CODES.items()}
            self.rate_hz = rates[data[3]]

    def subscribed(self, uuid: str, on: bool) -> None:
        if uuid == witmotion.WITMOTION_NOTIFY and on and self._task is None:
            assert self._player is not None
            if self._player.started_at is None:
                self._player.started_at = time.monotonic()
            else:
                self._player.due()
            self._task = asyncio.get_running_loop().create_task(self._stream())

    def disconnected(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _stream(self) -> None:
        assert self._player is not None and self.clip is not None
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(self._player.tick_s)
                for i in self._player.due():
                    self.notify(witmotion.WITMOTION_NOTIFY, self.frame(i))

    def frame(self, i: int) -> bytes:
        assert self.clip is not None and self.clip.gyro_dps is not None
        acc = np.round(self.clip.acc_g[i] / 16.0 * 32768.0)
        gyro = np.round(self.clip.gyro_dps[i] / 2000.0 * 32768.0)
        values = [int(v) for v in np.clip(np.concatenate([acc, gyro, [0, 0, 0]]), -32768, 32767)]
        return bytes([0x55, 0x61]) + struct.pack("<9h", *values)


@dataclass
class HeartRateStrap(Peripheral):
    """A plain Heart Rate Service strap: one notification every 0.2 s, bpm counting up."""

    _task: asyncio.Task[None] | None = None
    sent: int = 0

    def __post_init__(self) -> None:
        self.services = {
            HEART_RATE_SERVICE: [Char(HEART_RATE_MEASUREMENT, ["notify"])],
            **info_services("HRM-Pro", "Garmin", 50),
        }

    def subscribed(self, uuid: str, on: bool) -> None:
        if uuid == HEART_RATE_MEASUREMENT and on and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._beat())

    def disconnected(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _beat(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(0.2)
                self.notify(HEART_RATE_MEASUREMENT, bytes([0x00, 60 + self.sent % 100]))
                self.sent += 1


@dataclass
class VirtualMovesense(Peripheral):
    """A Movesense sensor with the GATT sensor data app: SUBSCRIBE ``/Meas/IMU6/<rate>``, then
    data packets ``[2, ref, u32 ms of the first sample, acc vectors (m/s²), gyro vectors]``."""

    clip: Clip | None = None
    samples_per_packet: int = 4
    subscriptions: dict[int, str] = field(default_factory=dict)
    _player: Player | None = None
    _task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.services = {
            movesense.GSP_SERVICE: [
                Char(movesense.GSP_WRITE, ["write", "write-without-response"]),
                Char(movesense.GSP_NOTIFY, ["notify"]),
            ],
            **info_services("Movesense Active", "Amer Sports", 75),
        }
        assert self.clip is not None
        self._player = Player(self.clip, tick_s=0.04)

    def write(self, uuid: str, data: bytes) -> None:
        if uuid != movesense.GSP_WRITE or len(data) < 2:
            return
        op, ref = data[0], data[1]
        if op == movesense.CMD_SUBSCRIBE:
            self.subscriptions[ref] = data[2:].decode()
            assert self._player is not None
            if self._player.started_at is None:
                self._player.started_at = time.monotonic()
            self._task = asyncio.get_running_loop().create_task(self._stream(ref))
            self.notify(movesense.GSP_NOTIFY, bytes([movesense.RESP_COMMAND, ref, 200, 0]))
        elif op == movesense.CMD_UNSUBSCRIBE:
            self.subscriptions.pop(ref, None)
            self.disconnected()

    def disconnected(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _stream(self, ref: int) -> None:
        assert self._player is not None and self.clip is not None
        pending: list[int] = []
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(self._player.tick_s)
                pending.extend(self._player.due())
                while len(pending) >= self.samples_per_packet:
                    idx, pending = (
                        pending[: self.samples_per_packet],
                        pending[self.samples_per_packet :],
                    )
                    self.notify(movesense.GSP_NOTIFY, self.packet(ref, idx))

    def packet(self, ref: int, idx: list[int]) -> bytes:
        assert self.clip is not None and self.clip.gyro_dps is not None
        ts_ms = 1000 + round(float(self.clip.time_s[idx[0]]) * 1000)
        acc = self.clip.acc_g[idx] * STANDARD_GRAVITY_M_S2
        gyro = self.clip.gyro_dps[idx]
        body = np.concatenate([acc.reshape(-1), gyro.reshape(-1)]).astype("<f4").tobytes()
        return bytes([movesense.RESP_DATA, ref]) + ts_ms.to_bytes(4, "little") + body


#: The gyroscope factor a virtual Verity Sense sends in its GYRO start response: ±2000 deg/s
#: over 16 bits (deg/s per count).
VERITY_GYRO_FACTOR = 2000.0 / 32768.0


@dataclass
class VirtualPolarOptical(VirtualH10):
    """A Polar Verity Sense (``gyro``: ACC and GYRO) or OH1 (ACC only) on PMD: the H10's
    control point with the sensor's own rates and ranges (polar-ble-sdk product pages:
    Verity Sense 52 Hz, ±8 g, ±2000 deg/s; OH1 50 Hz, ±8 g), GYRO as compressed type 0
    frames scaled by the FACTOR its start response carries, in frames cut differently from
    the ACC ones."""

    model: str = "Polar Sense"
    gyro: bool = True
    max_gyro_samples_per_frame: int = 20
    gyro_on: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self.services.update(info_services(self.model, "Polar Electro Oy", 87))

    def read(self, uuid: str) -> bytes:
        if uuid == pmd.PMD_CONTROL_POINT:
            mask = (1 << pmd.MeasurementType.ACC) | (1 << pmd.MeasurementType.PPG)
            if self.gyro:
                mask |= 1 << pmd.MeasurementType.GYRO
            return bytes([pmd.FEATURES_CODE, mask & 0xFF, mask >> 8])
        return super().read(uuid)

    def write(self, uuid: str, data: bytes) -> None:
        if uuid != pmd.PMD_CONTROL_POINT or len(data) < 2:
            return super().write(uuid, data)
        op, kind = data[0], data[1]
        offers = {pmd.MeasurementType.ACC: 8} | (
            {pmd.MeasurementType.GYRO: 2000} if self.gyro else {}
        )
        if kind not in offers:
            self.cp_writes.append(data)
            return self._answer(op, kind, 2)  # ERROR_INVALID_MEASUREMENT_TYPE
        rate = int(self.clip.rate_hz) if self.clip is not None else 52
        if op == pmd.OpCode.GET_SETTINGS:
            self.cp_writes.append(data)
            settings = (
                bytes([pmd.SettingType.SAMPLE_RATE, 1]) + rate.to_bytes(2, "little")
                + bytes([pmd.SettingType.RESOLUTION, 1]) + (16).to_bytes(2, "little")
                + bytes([pmd.SettingType.RANGE, 1]) + offers[kind].to_bytes(2, "little")
            )  # fmt: skip
            return self._answer(op, kind, 0, b"\x00" + settings)
        if kind == pmd.MeasurementType.ACC:
            return super().write(uuid, data)
        self.cp_writes.append(data)
        if op == pmd.OpCode.START:
            chosen = pmd.decode_settings(data[2:])
            if chosen.get(pmd.SettingType.RANGE) != (2000,):
                return self._answer(op, kind, 9)  # ERROR_INVALID_RANGE
            self.gyro_on = True
            factor = np.float32(VERITY_GYRO_FACTOR).tobytes()
            return self._answer(op, kind, 0, b"\x00" + bytes([pmd.SettingType.FACTOR, 1]) + factor)
        if op == pmd.OpCode.STOP:
            self.gyro_on = False
            return self._answer(op, kind, 0, b"\x00")
        return self._answer(op, kind, 1)

    def disconnected(self) -> None:
        super().disconnected()
        self.gyro_on = False

    async def _stream(self) -> None:
        assert self._player is not None and self.clip is not None
        while True:
            await asyncio.sleep(self._player.tick_s)
            idx = self._player.due()
            if self.gyro_on:
                for lo in range(idx.start, idx.stop, self.max_gyro_samples_per_frame):
                    hi = min(lo + self.max_gyro_samples_per_frame, idx.stop)
                    self.notify(pmd.PMD_DATA, self.gyro_frame(lo, hi))
            for lo in range(idx.start, idx.stop, self.max_samples_per_frame):
                hi = min(lo + self.max_samples_per_frame, idx.stop)
                self.notify(pmd.PMD_DATA, self.frame(lo, hi))

    def gyro_frame(self, lo: int, hi: int) -> bytes:
        """The GYRO frame of clip samples ``lo:hi`` (compressed type 0, counts of the factor)."""
        assert self.clip is not None and self.clip.gyro_dps is not None
        counts = np.round(self.clip.gyro_dps[lo:hi] / VERITY_GYRO_FACTOR).astype(np.int64)
        ts = H10_CLOCK_START_NS + round(float(self.clip.time_s[hi - 1]) * 1e9)
        head = bytes([pmd.MeasurementType.GYRO]) + ts.to_bytes(8, "little")
        return head + b"\x80" + encode_delta(counts)
