"""Protocol drivers: what to write and subscribe on connect, what to stop, how to decode.

A driver knows one protocol and nothing of bleak: it talks to a ``Link`` (the session's thin
wrapper around a connected client) when starting and stopping, and turns each received
payload into typed items in ``decode``, which is also what a raw capture replays through.
Drivers keep the per-stream state decoding needs (the previous PMD frame's timestamp, the
clock tie, the negotiated rate) and forget the parts a reconnect invalidates in
``on_reconnect``.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

import numpy as np

from analysis.types import FloatArray, Samples
from sensor.ble.items import (
    BandItem,
    BatteryReading,
    CadenceReading,
    HeartRateReading,
    SampleBatch,
)
from sensor.ble.profiles import DeviceProfile
from sensor.ble.timing import CounterClock, DeviceClock
from sensor.decoders import csc, movesense, rsc, witmotion
from sensor.decoders import polar_pmd as pmd
from sensor.decoders.generic import decode_generic
from sensor.decoders.heart_rate import HEART_RATE_MEASUREMENT, decode_heart_rate
from sensor.decoders.info import BATTERY_LEVEL, decode_battery_level
from sensor.errors import DecodeError, DeviceError
from sensor.recording import MAX_ABS_ACC_G, MAX_ABS_GYRO_DPS, MAX_RATE_HZ, MIN_RATE_HZ

log = logging.getLogger(__name__)


class Link(Protocol):
    """What a driver may do with a connected band."""

    def has_char(self, char: str) -> bool: ...

    async def read(self, char: str) -> bytes: ...

    async def write(self, char: str, data: bytes) -> None: ...

    async def subscribe(self, char: str, *, responses: bool = False) -> None:
        """Enable notifications/indications; ``responses`` also queues them for ``response``."""
        ...

    async def response(self, char: str, timeout_s: float) -> bytes:
        """The next indication queued on ``char`` (raises ``TimeoutError``)."""
        ...


#: Payload kinds, as the counters and ``DecodeError.kind`` name them.
KIND_BY_CHAR = {
    HEART_RATE_MEASUREMENT: "heart_rate",
    BATTERY_LEVEL: "battery",
    pmd.PMD_DATA: "pmd_frame",
    pmd.PMD_CONTROL_POINT: "pmd_response",
    witmotion.WITMOTION_NOTIFY: "witmotion",
    movesense.GSP_NOTIFY: "movesense",
    csc.CSC_MEASUREMENT: "csc",
    rsc.RSC_MEASUREMENT: "rsc",
}


class Driver:
    """Common part: heart rate, battery, the strictly-increasing sample check.

    Parameters
    ----------
    profile
        The band's profile.
    band_id
        Stamped on every item.
    rate_hz, range_g
        What to ask of the band (already checked against the profile).
    """

    def __init__(
        self, profile: DeviceProfile, band_id: str, rate_hz: float, range_g: float | None
    ) -> None:
        self.profile = profile
        self.band_id = band_id
        self.rate_hz = rate_hz
        self.range_g = range_g
        self._last_t: float | None = None
        self._gap_next = True
        #: Samples dropped because their time did not follow the previous sample's.
        self.overlaps = 0
        #: Whether dropped samples go unlogged (a trial pass over a capture, whose rate may
        #: still be wrong and make the counted times overlap).
        self.quiet = False
        self._dropping = False
        self._kind = "generic"

    # -- live side -------------------------------------------------------------------
    def subscriptions(self) -> list[str]:
        """Data characteristics to subscribe to (heart rate included where the profile asks)."""
        return [HEART_RATE_MEASUREMENT] if self.profile.heart_rate else []

    async def start(self, link: Link) -> None:
        """Configure the band and start its streams."""
        for char in self.subscriptions():
            if not link.has_char(char):
                raise DeviceError(self.band_id, f"expected characteristic {char}; it is missing")
            await link.subscribe(char)

    async def stop(self, link: Link) -> None:
        """Stop what ``start`` started on the band (no-op where nothing needs stopping)."""

    def on_reconnect(self) -> None:
        """A new connection: the next samples start after a gap."""
        self._gap_next = True

    def set_rate(self, rate_hz: float) -> None:
        """Take ``rate_hz`` as the band's rate from now on (a replayed start command, a
        capture's header, or the rate a capture's notifications show)."""
        self.rate_hz = rate_hz

    # -- decoding --------------------------------------------------------------------
    def kind(self, char: str) -> str:
        return KIND_BY_CHAR.get(char, "generic")

    def observe_write(self, char: str, data: bytes) -> None:
        """A command that was written (live, or replayed from a capture)."""

    def decode(self, char: str, receive_s: float, data: bytes) -> list[BandItem]:
        """Items of one payload received at ``receive_s`` (session seconds).

        Raises
        ------
        DecodeError
            If the payload is malformed; the caller counts and skips it.
        """
        if char == HEART_RATE_MEASUREMENT:
            m = decode_heart_rate(data)
            return [
                HeartRateReading(self.band_id, receive_s, m.bpm, m.rr_s, m.contact, m.energy_kj)
            ]
        if char == BATTERY_LEVEL:
            return [BatteryReading(self.band_id, receive_s, decode_battery_level(data))]
        self._kind = self.kind(char)
        return self.decode_data(char, receive_s, data)

    def decode_data(self, char: str, receive_s: float, data: bytes) -> list[BandItem]:
        return []

    def _batch(
        self, t: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None
    ) -> list[BandItem]:
        """A batch of the samples later than the last one sent.

        Raises
        ------
        DecodeError
            For a value beyond any sensor's range (a payload that is not what the profile
            says, or a broken band): the whole payload is refused, as a malformed one is.
        """
        with np.errstate(invalid="ignore"):
            beyond = np.abs(acc_g) > MAX_ABS_ACC_G
            if gyro_dps is not None:
                beyond = beyond | (np.abs(gyro_dps) > MAX_ABS_GYRO_DPS)
        if beyond.any():
            raise DecodeError(
                self._kind,
                f"expected samples within ±{MAX_ABS_ACC_G:g} g and ±{MAX_ABS_GYRO_DPS:g} °/s, "
                "got values beyond any sensor's range",
            )
        if self._last_t is not None:
            keep = t > self._last_t
            if not keep.all():
                dropped = int((~keep).sum())
                if not self._dropping and not self.quiet:
                    log.warning(
                        "%s: %d sample%s dropped: %s before the last one kept (%d so far)",
                        self.band_id,
                        dropped,
                        "" if dropped == 1 else "s",
                        "its time falls" if dropped == 1 else "their times fall",
                        self.overlaps + dropped,
                    )
                self.overlaps += dropped
                t, acc_g = t[keep], acc_g[keep]
                gyro_dps = None if gyro_dps is None else gyro_dps[keep]
            self._dropping = not keep.all()
        if t.size == 0:
            return []
        if self.profile.gyro and gyro_dps is None:
            gyro_dps = np.full_like(acc_g, np.nan)
        samples = Samples(
            time_s=np.ascontiguousarray(t, dtype=np.float64),
            acc_g=np.ascontiguousarray(acc_g, dtype=np.float64),
            gyro_dps=None if gyro_dps is None else np.ascontiguousarray(gyro_dps),
        )
        self._last_t = float(t[-1])
        gap, self._gap_next = self._gap_next, False
        return [SampleBatch(self.band_id, samples, gap_before=gap)]


class HeartRateDriver(Driver):
    """Any Heart Rate Service strap."""

    def subscriptions(self) -> list[str]:
        return [HEART_RATE_MEASUREMENT]


class PolarPmdDriver(Driver):
    """Polar bands on PMD: ACC (and GYRO on the Verity Sense), heart rate alongside; stop on
    exit.

    Notes
    -----
    Sequence (polar-ble-sdk BlePMDClient.kt): enable control point indications, read the
    feature mask, ask each stream's settings, subscribe to the data characteristic, start each
    stream with sample rate, resolution 16 and range (the H10 refuses a start without the
    resolution, polar-ble-sdk issue 124). A start answered ``ERROR_ALREADY_IN_STATE`` (a stream
    left running by an earlier session) is stopped and started again.

    ACC and GYRO frames come separately, each stamped on the band's clock; GYRO values (deg/s,
    compressed type 0 times the FACTOR the start response gives, GyrData.kt) are interpolated
    onto the ACC samples' times, which wait until the gyroscope has reached them (at most
    ``GYRO_WAIT_S``; a gyroscope that falls silent leaves them with NaN gyro, not held back).
    """

    RESOLUTION_BITS = 16
    #: The gyroscope range asked for: the Verity Sense's only one outside SDK mode
    #: (polar-ble-sdk documentation/products/PolarVeritySense.md).
    GYRO_RANGE_DPS = 2000
    #: Longest wait of ACC samples for the gyroscope's frames.
    GYRO_WAIT_S = 2.0

    def __init__(
        self, profile: DeviceProfile, band_id: str, rate_hz: float, range_g: float | None
    ) -> None:
        super().__init__(profile, band_id, rate_hz, range_g)
        self.factors: dict[int, float] = {}
        self.streaming = False
        self._prev_ts_ns: dict[int, int] = {}
        self._ref_ns: int | None = None
        self.clock = DeviceClock()
        #: ACC samples (band-clock ns, g) waiting for the gyroscope; GYRO samples (ns, dps).
        self._acc_ns = np.empty(0)
        self._acc_g = np.empty((0, 3))
        self._gyro_ns = np.empty(0)
        self._gyro_dps = np.empty((0, 3))

    @property
    def factor(self) -> float:
        """The ACC factor (1 until the band says otherwise)."""
        return self.factors.get(pmd.MeasurementType.ACC, 1.0)

    @property
    def measurements(self) -> tuple[pmd.MeasurementType, ...]:
        if self.profile.has_gyro:
            return (pmd.MeasurementType.ACC, pmd.MeasurementType.GYRO)
        return (pmd.MeasurementType.ACC,)

    def start_command(self, kind: pmd.MeasurementType = pmd.MeasurementType.ACC) -> bytes:
        full_scale = self.GYRO_RANGE_DPS if kind == pmd.MeasurementType.GYRO else self.range_g
        return pmd.encode_start(
            kind,
            {
                pmd.SettingType.SAMPLE_RATE: int(self.rate_hz),
                pmd.SettingType.RESOLUTION: self.RESOLUTION_BITS,
                pmd.SettingType.RANGE: int(full_scale or 8),
            },
        )

    async def _command(
        self, link: Link, command: bytes, timeout_s: float = 5.0
    ) -> pmd.ControlPointResponse:
        await link.write(pmd.PMD_CONTROL_POINT, command)
        while True:
            raw = await link.response(pmd.PMD_CONTROL_POINT, timeout_s)
            try:
                resp = pmd.decode_control_point_response(raw)
            except DecodeError:
                continue  # a feature read echo or a stream-stopped notice: not our answer
            if resp.op == command[0] and resp.measurement == command[1]:
                return resp

    async def start(self, link: Link) -> None:
        await super().start(link)
        for char in (pmd.PMD_CONTROL_POINT, pmd.PMD_DATA):
            if not link.has_char(char):
                raise DeviceError(self.band_id, f"expected the PMD characteristic {char}")
        await link.subscribe(pmd.PMD_CONTROL_POINT, responses=True)
        features = pmd.decode_features(await link.read(pmd.PMD_CONTROL_POINT))
        for kind in self.measurements:
            if kind not in features:
                raise DeviceError(
                    self.band_id,
                    f"the band offers no {kind.name} stream over PMD ({self.profile.name})",
                )
            await self._check_offer(link, kind)
        await link.subscribe(pmd.PMD_DATA)
        self.streaming = True  # from here on, the stop commands are owed whatever happens
        for kind in self.measurements:
            command = self.start_command(kind)
            resp = await self._command(link, command)
            if resp.status == pmd.STATUS_ALREADY_IN_STATE:
                await self._command(link, pmd.encode_stop(kind))
                resp = await self._command(link, command)
            if not resp.ok:
                raise DeviceError(
                    self.band_id,
                    f"refused the {kind.name} start {command.hex()}: {resp.status_name}",
                )
            self._take_factor(kind, resp.parameters)

    async def _check_offer(self, link: Link, kind: pmd.MeasurementType) -> None:
        resp = await self._command(link, pmd.encode_get_settings(kind))
        if not resp.ok:
            return
        offered = pmd.decode_settings(resp.parameters)
        rates = offered.get(pmd.SettingType.SAMPLE_RATE, ())
        ranges = offered.get(pmd.SettingType.RANGE, ())
        if rates and int(self.rate_hz) not in rates:
            raise DeviceError(
                self.band_id, f"offers {kind.name} rates {sorted(rates)} Hz, not {self.rate_hz:g}"
            )
        wanted = self.GYRO_RANGE_DPS if kind == pmd.MeasurementType.GYRO else self.range_g
        if ranges and wanted is not None and int(wanted) not in ranges:
            raise DeviceError(
                self.band_id, f"offers {kind.name} ranges {sorted(ranges)}, not {wanted:g}"
            )

    async def stop(self, link: Link) -> None:
        if not self.streaming:
            return
        self.streaming = False
        for kind in reversed(self.measurements):
            await link.write(pmd.PMD_CONTROL_POINT, pmd.encode_stop(kind))

    def on_reconnect(self) -> None:
        super().on_reconnect()
        self._prev_ts_ns = {}
        self._acc_ns, self._acc_g = np.empty(0), np.empty((0, 3))
        self._gyro_ns, self._gyro_dps = np.empty(0), np.empty((0, 3))

    def _take_factor(self, kind: int, params: bytes) -> None:
        try:
            settings = pmd.decode_settings(params)
        except DecodeError:
            return
        if pmd.SettingType.FACTOR in settings:
            self.factors[kind] = pmd.factor_from_bits(settings[pmd.SettingType.FACTOR][0])

    def observe_write(self, char: str, data: bytes) -> None:
        if (
            char == pmd.PMD_CONTROL_POINT
            and len(data) >= 2
            and data[0] == pmd.OpCode.START
            and data[1] == pmd.MeasurementType.ACC
        ):
            try:
                settings = pmd.decode_settings(data[2:])
            except DecodeError:
                return
            # A replayed capture's command is a file's word: only a rate and a range the
            # profile allows are taken (a rate of 0 would stop the sample clock).
            if pmd.SettingType.SAMPLE_RATE in settings:
                rate = float(settings[pmd.SettingType.SAMPLE_RATE][0])
                with contextlib.suppress(ValueError):
                    self.profile.check_rate(rate)
                    self.rate_hz = rate if MIN_RATE_HZ <= rate <= MAX_RATE_HZ else self.rate_hz
            if pmd.SettingType.RANGE in settings:
                range_g = float(settings[pmd.SettingType.RANGE][0])
                with contextlib.suppress(ValueError):
                    self.profile.check_range(range_g)
                    self.range_g = range_g if range_g > 0 else self.range_g

    def decode_data(self, char: str, receive_s: float, data: bytes) -> list[BandItem]:
        if char == pmd.PMD_CONTROL_POINT:
            if data[:2] == bytes([pmd.RESPONSE_CODE, pmd.OpCode.START]):
                resp = pmd.decode_control_point_response(data)
                self._take_factor(resp.measurement, resp.parameters)
            return []
        if char != pmd.PMD_DATA:
            return []
        frame = pmd.decode_pmd_frame(data, channels=3, resolution_bits=self.RESOLUTION_BITS)
        if frame.measurement not in self.measurements:
            return []
        kind = frame.measurement
        if kind == pmd.MeasurementType.ACC:
            values = pmd.acc_mg(frame, self.factor) / 1000.0
        else:
            values = pmd.gyro_dps(frame, self.factors.get(kind, 1.0))
        times_ns = pmd.sample_times_ns(
            frame.timestamp_ns, values.shape[0], self.rate_hz, self._prev_ts_ns.get(kind)
        )
        self._prev_ts_ns[kind] = frame.timestamp_ns
        if self._ref_ns is None:
            self._ref_ns = frame.timestamp_ns
        if not self.profile.has_gyro:
            return self._emit(times_ns, values, None, receive_s)
        if kind == pmd.MeasurementType.ACC:
            self._acc_ns = np.concatenate([self._acc_ns, times_ns])
            self._acc_g = np.concatenate([self._acc_g, values])
        else:
            self._gyro_ns = np.concatenate([self._gyro_ns, times_ns])
            self._gyro_dps = np.concatenate([self._gyro_dps, values])
        return self._merge(receive_s)

    def _merge(self, receive_s: float) -> list[BandItem]:
        """The waiting ACC samples the gyroscope has reached, with its rate interpolated."""
        if self._acc_ns.size == 0:
            return []
        gyro_end = self._gyro_ns[-1] if self._gyro_ns.size else -np.inf
        ready = self._acc_ns <= gyro_end
        # Samples the gyroscope will never reach in time go out without it.
        ready |= self._acc_ns < self._acc_ns[-1] - self.GYRO_WAIT_S * 1e9
        n = int(np.argmin(ready)) if not ready.all() else ready.size
        if n == 0:
            return []
        t_ns, acc = self._acc_ns[:n], self._acc_g[:n]
        self._acc_ns, self._acc_g = self._acc_ns[n:], self._acc_g[n:]
        gyro = np.full_like(acc, np.nan)
        if self._gyro_ns.size >= 2:
            inside = (t_ns >= self._gyro_ns[0]) & (t_ns <= self._gyro_ns[-1])
            for axis in range(3):
                gyro[inside, axis] = np.interp(t_ns[inside], self._gyro_ns, self._gyro_dps[:, axis])
            # Keep the gyroscope samples the next ACC samples still interpolate between.
            keep = max(0, int(np.searchsorted(self._gyro_ns, t_ns[-1], side="right")) - 1)
            self._gyro_ns, self._gyro_dps = self._gyro_ns[keep:], self._gyro_dps[keep:]
        return self._emit(t_ns, acc, gyro, receive_s)

    def _emit(
        self,
        times_ns: FloatArray,
        acc_g: FloatArray,
        gyro_dps: FloatArray | None,
        receive_s: float,
    ) -> list[BandItem]:
        assert self._ref_ns is not None
        device_s = (times_ns - self._ref_ns) / 1e9
        return self._batch(self.clock.to_session(device_s, receive_s), acc_g, gyro_dps)


class WitMotionDriver(Driver):
    """WitMotion BWT901BLE: set the output rate, subscribe to 0xFFE4."""

    def __init__(
        self, profile: DeviceProfile, band_id: str, rate_hz: float, range_g: float | None
    ) -> None:
        super().__init__(profile, band_id, rate_hz, range_g)
        self.clock = CounterClock(rate_hz)

    def subscriptions(self) -> list[str]:
        return [*super().subscriptions(), witmotion.WITMOTION_NOTIFY]

    async def start(self, link: Link) -> None:
        if link.has_char(witmotion.WITMOTION_WRITE):
            for command in witmotion.encode_rate_commands(int(self.rate_hz)):
                await link.write(witmotion.WITMOTION_WRITE, command)
        await super().start(link)

    def on_reconnect(self) -> None:
        super().on_reconnect()
        self.clock.reset()

    def set_rate(self, rate_hz: float) -> None:
        # The band sends no sample clock: the rate is the spacing of its samples' times.
        super().set_rate(rate_hz)
        self.clock = CounterClock(rate_hz)

    def observe_write(self, char: str, data: bytes) -> None:
        if char == witmotion.WITMOTION_WRITE and data[:3] == bytes(
            [0xFF, 0xAA, witmotion.REG_RATE]
        ):
            rates = {code: hz for hz, code in witmotion.RATE_CODES.items()}
            if len(data) >= 4 and data[3] in rates:
                self.set_rate(float(rates[data[3]]))

    def decode_data(self, char: str, receive_s: float, data: bytes) -> list[BandItem]:
        if char != witmotion.WITMOTION_NOTIFY:
            return []
        s = witmotion.decode_witmotion(data)
        if len(s) == 0:
            return []
        return self._batch(self.clock.times(len(s), receive_s), s.acc_g, s.gyro_dps)


class MovesenseDriver(Driver):
    """Movesense: SUBSCRIBE ``/Meas/IMU6/<rate>`` (or Acc) over GSP, UNSUBSCRIBE on stop."""

    REFERENCE = 99

    def __init__(
        self, profile: DeviceProfile, band_id: str, rate_hz: float, range_g: float | None
    ) -> None:
        super().__init__(profile, band_id, rate_hz, range_g)
        self.clock = DeviceClock()
        self.subscribed = False

    def subscriptions(self) -> list[str]:
        return [*super().subscriptions(), movesense.GSP_NOTIFY]

    async def start(self, link: Link) -> None:
        await super().start(link)
        path = movesense.resource_path(self.profile.movesense_imu6, int(self.rate_hz))
        self.subscribed = True
        await link.write(movesense.GSP_WRITE, movesense.encode_subscribe(self.REFERENCE, path))

    async def stop(self, link: Link) -> None:
        if self.subscribed:
            self.subscribed = False
            await link.write(movesense.GSP_WRITE, movesense.encode_unsubscribe(self.REFERENCE))

    def decode_data(self, char: str, receive_s: float, data: bytes) -> list[BandItem]:
        if char != movesense.GSP_NOTIFY:
            return []
        s = movesense.decode_movesense(data, self.profile.movesense_imu6)
        if s is None:
            return []
        n = s.acc_g.shape[0]
        device_s = s.timestamp_ms / 1000.0 + np.arange(n) / self.rate_hz
        return self._batch(self.clock.to_session(device_s, receive_s), s.acc_g, s.gyro_dps)


class GenericDriver(Driver):
    """A band described by a ``[generic]`` table: subscribe, unpack records."""

    def __init__(
        self, profile: DeviceProfile, band_id: str, rate_hz: float, range_g: float | None
    ) -> None:
        super().__init__(profile, band_id, rate_hz, range_g)
        assert profile.generic is not None
        self.settings = profile.generic
        self.layout = profile.generic.layout()
        self.device_clock = DeviceClock()
        self.counter = CounterClock(rate_hz)

    def subscriptions(self) -> list[str]:
        return [*super().subscriptions(), self.settings.char_uuid]

    def kind(self, char: str) -> str:
        return "generic" if char == self.settings.char_uuid else super().kind(char)

    def on_reconnect(self) -> None:
        super().on_reconnect()
        self.counter.reset()

    def set_rate(self, rate_hz: float) -> None:
        # Records without a time field are spaced at the rate (see WitMotionDriver).
        super().set_rate(rate_hz)
        self.counter = CounterClock(rate_hz)

    def decode_data(self, char: str, receive_s: float, data: bytes) -> list[BandItem]:
        if char != self.settings.char_uuid:
            return []
        s = decode_generic(data, self.layout)
        if s.time_ms is not None:
            t = self.device_clock.to_session(s.time_ms / 1000.0, receive_s)
        else:
            t = self.counter.times(len(s), receive_s)
        return self._batch(t, s.acc_g, s.gyro_dps)


class CscDriver(Driver):
    """Cycling Speed and Cadence: cadence from successive crank counters."""

    def __init__(
        self, profile: DeviceProfile, band_id: str, rate_hz: float, range_g: float | None
    ) -> None:
        super().__init__(profile, band_id, rate_hz, range_g)
        self._prev: csc.CscMeasurement | None = None

    def subscriptions(self) -> list[str]:
        return [csc.CSC_MEASUREMENT]

    def on_reconnect(self) -> None:
        super().on_reconnect()
        self._prev = None

    def decode_data(self, char: str, receive_s: float, data: bytes) -> list[BandItem]:
        if char != csc.CSC_MEASUREMENT:
            return []
        m = csc.decode_csc(data)
        prev, self._prev = self._prev, m
        if prev is None or m.crank_revolutions is None or prev.crank_revolutions is None:
            return []
        assert m.crank_event_ticks is not None and prev.crank_event_ticks is not None
        rpm = csc.cadence_rpm(
            prev.crank_revolutions, prev.crank_event_ticks, m.crank_revolutions, m.crank_event_ticks
        )
        return [CadenceReading(self.band_id, receive_s, "csc", cadence_rpm=rpm)]


class RscDriver(Driver):
    """Running Speed and Cadence."""

    def subscriptions(self) -> list[str]:
        return [rsc.RSC_MEASUREMENT]

    def decode_data(self, char: str, receive_s: float, data: bytes) -> list[BandItem]:
        if char != rsc.RSC_MEASUREMENT:
            return []
        m = rsc.decode_rsc(data)
        return [
            CadenceReading(
                self.band_id,
                receive_s,
                "rsc",
                cadence_rpm=float(m.cadence_spm),
                speed_m_s=m.speed_m_s,
                stride_length_m=m.stride_length_m,
            )
        ]


DRIVERS: dict[str, type[Driver]] = {
    "heart-rate": HeartRateDriver,
    "polar-pmd": PolarPmdDriver,
    "witmotion": WitMotionDriver,
    "movesense": MovesenseDriver,
    "generic": GenericDriver,
    "csc": CscDriver,
    "rsc": RscDriver,
}


def make_driver(
    profile: DeviceProfile, band_id: str, rate_hz: float | None = None, range_g: float | None = None
) -> Driver:
    """The driver of a profile, asking ``rate_hz``/``range_g`` (default: the profile's).

    Raises
    ------
    DeviceError
        If the profile does not offer the rate or range.
    """
    rate = float(rate_hz if rate_hz is not None else profile.sample_rate_hz)
    rng = range_g if range_g is not None else profile.acc_range_g
    try:
        profile.check_rate(rate)
        if rng is not None and range_g is not None:
            profile.check_range(rng)
    except ValueError as err:
        raise DeviceError(band_id, str(err)) from None
    return DRIVERS[profile.driver](profile, band_id, rate, rng)
