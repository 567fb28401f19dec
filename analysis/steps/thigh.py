"""Steps from a thigh band or a phone in a front trouser pocket.

The thigh moves with the pelvis: each heel strike, of either leg, stops the body's fall and
shows as a peak of the acceleration's magnitude at the step rate (on the real front-pocket
walks the magnitude's power sits at the step rate, 20-70 times its power at the stride
rate). Steps are those peaks, band-passed as at the trunk; the magnitude needs no
orientation, so a phone turned any way in a pocket counts the same. A bout starts with two
peaks a step apart, the first of at least ``min_peak_g`` (0.07 g): the real front-pocket
walks' peaks reach 0.066 g at their 1st percentile and 0.25 g at their 5th, the simulated
thighs' 0.03-0.18 g at the 5th; a weaker first peak only starts the bout a step later.
Within a bout a peak of ``min_peak_in_bout_g`` counts.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import signal

from analysis.events import Direction, Event
from analysis.steps.base import StepDetector, T, median
from analysis.steps.params import StepParams
from analysis.stream import StreamingSOS
from analysis.types import FloatArray, Samples, StreamInfo

__all__ = ["ThighStepDetector"]

#: Shortest spell below ``freefall_g`` taken for a flight (a jump): a phone loose in a
#: pocket dips below 0.4 g for up to 0.11 s in each stride on the real front-pocket walks
#: (the thigh swings it forward); even a 3 cm hop flies 0.16 s.
_MIN_FLIGHT_S = 0.13

#: With a gyroscope, the thigh's swing tells the direction: it turns forward (hip flexion)
#: in the swing, faster than it turns back in stance, so over a stride the sagittal rate's
#: largest forward value over its largest backward one is 1.56-1.90 walking forward on the
#: simulated thighs, 0.52-0.66 backward (the time-reversed swing), and 0.86-1.09 pedalling
#: (the crank turns the thigh both ways alike). At least this ratio (or at most its inverse)
#: tells a direction and, at a bout's start, a walk from pedalling; margins 20 % to walking,
#: 19 % to pedalling, on the simulator only: no real thigh recording with a gyroscope was at
#: hand (the real front-pocket phones record no rotation).
_SWING_ASYMMETRY = 1.3

# History columns after the time (``T``).
#: The acceleration's magnitude, band-passed to the step band: the candidate signal.
_STEP = 1
#: The acceleration's magnitude (flight phases).
_MAG = 2
_ACC = slice(3, 6)
_WIDTH = 6
#: With a gyroscope: the sagittal rate (about the left axis, dps), low-passed; then its input.
_SWING = 6
_RATE = 7
_WIDTH_GYRO = 8


class ThighStepDetector(StepDetector):
    """Steps of both legs and walking bouts from a thigh band or a front-pocket phone.

    Parameters
    ----------
    params
        Frozen parameters (the step band, peak sizes and step times).
    info
        The stream: a thigh, with or without a gyroscope.

    Notes
    -----
    Besides ``StepDetector``'s state: a held first peak of a bout.
    """

    steps_per_peak: ClassVar[float] = 1.0
    bridges_gaps: ClassVar[bool] = True

    def __init__(self, params: StepParams, info: StreamInfo) -> None:
        fs = info.sample_rate_hz
        self._band = StreamingSOS(
            signal.butter(
                2,
                [params.band_low_hz, min(params.band_high_hz, 0.45 * fs)],
                btype="band",
                fs=fs,
                output="sos",
            )
        )
        self._gyro = info.has_gyro
        self._swing = StreamingSOS(
            signal.butter(2, min(params.leg_lowpass_hz, 0.45 * fs), fs=fs, output="sos")
        )
        super().__init__(
            params,
            info,
            lookahead_s=params.lookahead_s,
            width=_WIDTH_GYRO if self._gyro else _WIDTH,
            filters=(self._band, self._swing),
            signal_column=_STEP,
            threshold=params.min_peak_in_bout_g,
        )
        self._held: tuple[float, float] | None = None  # a bout's first peak: (peak, contact)
        self._flight = max(1, round(_MIN_FLIGHT_S * fs))

    @property
    def latency_s(self) -> float:
        """Look-ahead before a step is confirmed plus the contact offset."""
        return self._lookahead_s + max(0.0, self.params.contact_offset_s)

    def flush(self) -> list[Event]:
        events = super().flush()
        self._held = None
        return events

    def _keeps_bout(self, now_t: float, events: list[Event]) -> bool:
        return False

    def _forget(self, keep: bool) -> None:
        self._held = None

    def _write_raw(self, rows: FloatArray, seg: Samples) -> None:
        rows[:, _ACC] = seg.acc_g
        if self._gyro:
            assert seg.gyro_dps is not None
            rows[:, _RATE] = seg.gyro_dps[:, 1]

    def _derive_rows(self, rows: FloatArray) -> None:
        acc = rows[:, _ACC]
        mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
        rows[:, _MAG] = mag
        rows[:, _STEP] = self._band.process(mag)
        if self._gyro:
            rows[:, _SWING] = self._swing.process(np.ascontiguousarray(rows[:, _RATE]))

    def _swing_direction(self, hist: FloatArray, stride_s: float, now_t: float) -> Direction:
        """Which way the thigh swung over the stride up to ``now_t`` (``_SWING_ASYMMETRY``);
        ``unknown`` without a gyroscope, or where it turned both ways alike."""
        if not self._gyro:
            return Direction.UNKNOWN
        t = hist[:, T]
        a, b = np.searchsorted(t, [now_t - stride_s, now_t], side="right")
        u = hist[a:b, _SWING]
        if u.size < 3:
            return Direction.UNKNOWN
        forward, back = max(-float(u.min()), 0.0), max(float(u.max()), 0.0)
        if forward >= _SWING_ASYMMETRY * back:
            return Direction.FORWARD
        if back >= _SWING_ASYMMETRY * forward:
            return Direction.BACKWARD
        return Direction.UNKNOWN

    def _examine_peaks(self, hist: FloatArray, peaks: list[int], events: list[Event]) -> None:
        p = self.params
        v = hist[:, _STEP]
        t = hist[:, T]
        for i in peaks:
            if v[i] <= v[max(0, i - self._back) : i].max(initial=-np.inf):
                continue
            # The largest of its own lobe, within the shortest step either side (a weak step
            # 0.4 s before a strong one, as in an uneven gait, is still one).
            if v[i] < v[i + 1 : i + min(self._back, self._ahead) + 1].max():
                continue
            falling = hist[max(0, i - self._guard) : i + self._ahead + 1, _MAG] < p.freefall_g
            if falling.any() and (
                np.convolve(falling, np.ones(self._flight), "valid").max() >= self._flight
            ):
                continue  # a flight phase nearby: a jump, not a step
            now_t = float(t[i + self._ahead])
            peak_t = float(t[i])
            self._settle_until(t, now_t, events)
            contact_t = max(peak_t - p.contact_offset_s, float(t[0]))
            bout = self._bout
            if bout is not None and peak_t - bout.last_peak_t <= p.max_step_s:
                stride_s = 2.0 * median(self._recent) if self._recent else 2.0 * p.max_step_s
                direction = self._swing_direction(hist, stride_s, now_t)
                self._count_step(contact_t, peak_t, None, direction, now_t, None, None, events)
                continue
            held = self._held
            if held is not None and p.min_step_s <= peak_t - held[0] <= p.max_step_s:
                self._held = None
                direction = self._swing_direction(hist, 2.0 * (peak_t - held[0]), now_t)
                if self._gyro and direction is Direction.UNKNOWN:
                    # The thigh turned both ways alike: pedalling, not a walk's start.
                    self._held = (peak_t, contact_t) if v[i] >= p.min_peak_g else None
                    continue
                self._count_step(
                    held[1], held[0], peak_t - held[0], direction, now_t, None, None, events
                )
                self._count_step(contact_t, peak_t, None, direction, now_t, None, None, events)
                continue
            if v[i] >= p.min_peak_g:
                self._held = (peak_t, contact_t)
