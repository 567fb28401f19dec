"""Steps at the trunk (chest, waist) and the wrist: peaks of the vertical acceleration.

Steps are peaks of the levelled, band-passed vertical acceleration; direction is the rotation
sense of the sagittal-plane acceleration loop over the stride ending at the step
(``analysis.gait.sagittal_rotation``), not trusted while the trunk turns fast (a gyroscope only
flags turns). The wrist counts steps the same way, direction ``unknown``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from scipy import signal

from analysis.events import Direction, Event
from analysis.gait import gait_regularity, sagittal_rotation
from analysis.steps.base import Bout, StepDetector, T, median
from analysis.steps.params import StepParams
from analysis.stream import StreamingSOS
from analysis.types import FloatArray, Placement, Samples, StreamInfo

__all__ = ["TrunkStepDetector", "level_forward_up"]

#: Below this net/gross ratio the sagittal loop's sense is too weak to overrule the bout's
#: direction so far. Straight walking gives 0.14-1.0 (5th percentile 0.14 on the real walks);
#: the U-turn steps and closing steps that went wrong under 30° of yaw gave 0.0-0.07.
_WEAK_ROTATION = 0.1

#: Smallest ratio of fore-aft to vertical acceleration (standard deviations) for a trunk bout
#: to start (see ``TrunkStepDetector._sways_fore_aft``).
_MIN_FORE_AFT = 0.5

#: A weak peak inside a bout (turning, the last step that brings the feet together) counts
#: only if it comes at least this fraction of the bout's recent step time after the last step.
_WEAK_STEP_FRACTION = 0.6

#: Low-pass corner of the lean estimate used to tell sitting down and squats from a walk's
#: start: fast enough to see a lean within the first step, slow enough to average a step.
_LEAN_CUTOFF_HZ = 1.0
#: Samples before the lean window that settle the filter (five time constants at 1 Hz).
_LEAN_WARMUP_S = 1.0

# History columns after the time (``T``).
#: Forward acceleration, levelled, in the direction band (``direction_high_hz``).
_FORE = 1
#: Vertical acceleration, levelled, in the direction band.
_UP = 2
#: Vertical acceleration, levelled, in the step band: the candidate signal, and regularity.
_UP_STEP = 3
#: |a| of the raw acceleration: flight phases (a jump nearby vetoes a step).
_MAG = 4
#: Raw acceleration: the input of the derived columns, and the trunk's lean.
_ACC = slice(5, 8)
_WIDTH = 8
#: With a gyroscope: the turning rate about gravity (dps), from the raw rate after it.
_TURN = 8
_GYRO = slice(9, 12)
_WIDTH_GYRO = 12


def level_forward_up(
    acc_g: FloatArray, gravity: FloatArray, out: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Forward and vertical components of ``acc_g`` after levelling each row by ``gravity``.

    The first and last rows of ``analysis.frame.rotation_to_vertical`` (shortest arc onto
    +z, heading of the forward axis kept), written out for the two rows the detector needs.
    ``out`` (shape ``(2, n)``), if given, receives forward and vertical as its rows.
    """
    norm = np.sqrt(np.einsum("ij,ij->i", gravity, gravity))
    g = gravity / np.where(norm > 0, norm, 1.0)[:, None]
    gx, gy, gz = g[:, 0], g[:, 1], g[:, 2]
    ax, az = acc_g[:, 0], acc_g[:, 2]
    if out is None:
        out = np.empty((2, acc_g.shape[0]))
    # Row 0 is (1 - k gx², -k gx gy, -gx) with k = 1 / (1 + gz); row 2 is g itself.
    # (``maximum`` is ``clip`` from below without its Python-level wrapper.)
    horizontal = gx * ax + gy * acc_g[:, 1]
    np.add(horizontal, gz * az, out=out[1])
    np.subtract(ax, gx * (horizontal / (1.0 + np.maximum(gz, -0.999999)) + az), out=out[0])
    return out[0], out[1]


def _band_pass(low_hz: float, high_hz: float, fs: float) -> StreamingSOS:
    return StreamingSOS(signal.butter(2, [low_hz, high_hz], btype="band", fs=fs, output="sos"))


class TrunkStepDetector(StepDetector):
    """Steps, direction, walking bouts and regularity from a chest, waist or wrist band.

    Parameters
    ----------
    params
        Frozen parameters.
    info
        The stream: chest, waist or wrist (the wrist leaves direction ``unknown``); a
        gyroscope, where present, only flags turns.

    Notes
    -----
    Besides ``StepDetector``'s state: a held first peak of a bout and its pulse's rise (a
    bout starts once a second step follows).
    """

    steps_per_peak: ClassVar[float] = 1.0
    bridges_gaps: ClassVar[bool] = True

    def __init__(self, params: StepParams, info: StreamInfo) -> None:
        fs = info.sample_rate_hz
        nyq = 0.45 * fs
        self._gravity = StreamingSOS(
            signal.butter(2, params.gravity_cutoff_hz, fs=fs, output="sos")
        )
        self._lean_sos = signal.butter(2, min(_LEAN_CUTOFF_HZ, nyq), fs=fs, output="sos")
        self._band = _band_pass(params.band_low_hz, min(params.band_high_hz, nyq), fs)
        self._wide = _band_pass(params.band_low_hz, min(params.direction_high_hz, nyq), fs)
        self._wrist = info.placement.canonical is Placement.WRIST
        self._gyro = info.has_gyro
        super().__init__(
            params,
            info,
            lookahead_s=params.lookahead_s,
            width=_WIDTH_GYRO if self._gyro else _WIDTH,
            filters=(self._gravity, self._band, self._wide),
            signal_column=_UP_STEP,
            threshold=min(params.min_peak_g, params.min_peak_in_bout_g),
        )
        # A held first peak of a bout: (peak_t, contact_t, confirmed at t).
        self._pending: tuple[float, float, float] | None = None
        # For the held peak: its pulse's rise time, whether it rose from below the threshold,
        # and the last sample searched for the next rise (see ``_try_start``).
        self._rise: tuple[tuple[float, float, float], float, bool, int] | None = None

    @property
    def latency_s(self) -> float:
        """Look-ahead before a step is confirmed plus the contact offset."""
        return self._lookahead_s + max(0.0, self.params.contact_offset_s)

    def flush(self) -> list[Event]:
        events = super().flush()
        self._pending = None
        return events

    def _keeps_bout(self, now_t: float, events: list[Event]) -> bool:
        """A trunk bout outlives a gap shorter than a step (lost packets while walking on):
        the walk goes on, the steps lost in the gap stay lost."""
        return (
            self._bout is not None
            and self._last_t is not None
            and now_t - self._bout.last_peak_t <= self.params.max_step_s
        )

    def _forget(self, keep: bool) -> None:
        self._pending = None

    def _write_raw(self, rows: FloatArray, seg: Samples) -> None:
        rows[:, _ACC] = seg.acc_g
        if self._gyro:
            rows[:, _GYRO] = 0.0 if seg.gyro_dps is None else seg.gyro_dps

    def _derive_rows(self, rows: FloatArray) -> None:
        acc = np.ascontiguousarray(rows[:, _ACC])
        mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
        gravity = self._gravity.process(acc)
        # Rows: forward and vertical (then filtered in the direction band), vertical (then
        # in the step band): the columns _FORE, _UP and _UP_STEP.
        levelled = np.empty((3, rows.shape[0]))
        level_forward_up(acc, gravity, out=levelled)
        levelled[2] = levelled[1]
        self._wide.process_rows(levelled[:2])
        self._band.process_rows(levelled[2:])
        rows[:, _FORE : _UP_STEP + 1] = levelled.T
        rows[:, _MAG] = mag
        if self._gyro:
            # Turning rate about the vertical (gravity's direction).
            norm = np.sqrt(np.einsum("ij,ij->i", gravity, gravity))
            rows[:, _TURN] = np.einsum(
                "ij,ij->i", np.ascontiguousarray(rows[:, _GYRO]), gravity
            ) / np.where(norm > 0, norm, 1.0)

    def _examine(self, hist: FloatArray, stop: int, events: list[Event]) -> None:
        super()._examine(hist, stop, events)
        if self._pending is not None and self._bout is None:
            self._try_start(hist, len(hist) - 1, events)

    def _regularity(
        self, bout: Bout, duration_s: float
    ) -> tuple[float | None, float | None, float | None]:
        history = self._history
        if self._wrist or bout.steps < 4 or not len(history):
            return None, None, None
        self._derive()
        hist = history.view()
        t = hist[:, T]
        lo = max(bout.start_t, bout.last_peak_t - self.params.regularity_window_s)
        a = int(np.searchsorted(t, lo))
        b = int(np.searchsorted(t, bout.last_peak_t, side="right"))
        step_s = duration_s / (bout.steps - 1) if bout.steps > 1 else math.nan
        reg = gait_regularity(hist[a:b, _UP_STEP], self._fs, step_s)
        return reg.step, reg.stride, reg.symmetry

    def _examine_peaks(self, hist: FloatArray, peaks: list[int], events: list[Event]) -> None:
        """Examine the local maxima above the threshold whose look-ahead is complete now.

        ``peaks`` (history rows) come from ``_derive``; the window tests run only on these.
        """
        p = self.params
        v = hist[:, _UP_STEP]
        t = hist[:, T]
        for i in peaks:
            if v[i] <= v[max(0, i - self._back) : i].max(initial=-np.inf):
                continue
            if v[i] < v[i + 1 : i + self._ahead + 1].max():
                continue
            if hist[max(0, i - self._guard) : i + self._ahead + 1, _MAG].min() < p.freefall_g:
                continue  # a flight phase nearby: a jump's push-off or landing, not a step
            confirm = i + self._ahead
            self._try_start(hist, confirm, events)
            self._trunk_candidate(hist, i, float(t[i]), float(v[i]), float(t[confirm]), events)

    def _try_start(self, hist: FloatArray, upto: int, events: list[Event]) -> None:
        """Start a bout with the held first peak once the next step's rise is seen.

        The first peak of a bout is only a step if another follows within ``max_step_s``:
        rather than wait for that peak's own look-ahead, the held step is emitted at the first
        sample (not before the first peak's confirmation) where the vertical acceleration,
        having fallen below ``min_peak_in_bout_g`` after the first peak, rises to it again at
        least ``min_step_s`` after the first pulse rose, provided the trunk kept its lean.
        ``upto`` is the last sample index examined now.
        """
        pending = self._pending
        if pending is None or self._bout is not None:
            return
        self._derive()  # the rise of the next step is sought up to the newest row
        p = self.params
        peak_t, contact_t, confirm_t = pending
        t = hist[:, T]
        v = hist[:, _UP_STEP]
        i1 = int(np.searchsorted(t, peak_t))
        reach = round((p.max_step_s + 2.0 * self._lookahead_s) * self._fs)
        upto = min(upto, i1 + reach)
        # A weak second step starts the bout only once it is a step itself
        # (``_trunk_candidate``); here the second pulse is a full one.
        second_g = p.min_peak_g
        # The first pulse's rise, and the rises after its peak that come a step later (no
        # step is shorter than ``min_step_s``: a wobble within the first step is not one).
        # Both are remembered for the held peak (``_rise``): the first rise lies in the past,
        # and each call searches only the samples after those searched before.
        first = i1 + 1
        if self._rise is not None and self._rise[0] is pending:
            _, rise0_t, rose, searched = self._rise
            first = max(first, searched - self._history.first + 1)
        else:
            back = max(0, i1 - reach)
            rises = np.flatnonzero(v[back:i1] < second_g)
            rose = bool(rises.size)
            rise0_t = float(t[back + int(rises[-1]) + 1]) if rose else peak_t
        high = v[first - 1 : upto + 1] >= second_g
        ups = first + np.flatnonzero(high[1:] & ~high[:-1])
        ups = ups[t[ups] - rise0_t >= p.min_step_s]
        if ups.size == 0:
            self._rise = (pending, rise0_t, rose, self._history.first + max(upto, first - 1))
            # Kept until a weak second peak up to ``max_step_s`` later has been examined.
            if t[upto] - peak_t > p.max_step_s + self._lookahead_s:
                self._pending = None
            return
        r = int(ups[0])
        self._rise = (pending, rise0_t, rose, self._history.first + r - 1)
        if t[r] - peak_t > p.max_step_s:
            self._pending = None
            return
        k = max(r, int(np.searchsorted(t, confirm_t)))
        if k > upto:
            return
        now_t = float(t[k])
        self._pending = None
        # The wrist turns with every arm swing: its lean says nothing about the trunk.
        if not self._wrist and not self._posture_steady(hist, peak_t - p.max_step_s, now_t):
            return
        if not self._wrist and not self._sways_fore_aft(hist, peak_t - p.max_step_s, now_t):
            return
        # Step time from rise to rise (the first pulse's rise to the second's): the stride
        # window for the first step's direction then spans a whole stride, where leakage from
        # the side-to-side sway cancels.
        step_s = float(t[r]) - rise0_t if rose else now_t - peak_t
        self._settle_until(t, now_t, events)
        self._emit_trunk_step(
            hist, peak_t, contact_t, now_t, events, next_peak_t=now_t, interval_s=step_s
        )

    def _trunk_candidate(
        self,
        hist: FloatArray,
        i: int,
        peak_t: float,
        value: float,
        now_t: float,
        events: list[Event],
    ) -> None:
        p = self.params
        self._settle_until(hist[:, T], now_t, events)
        seg_start = float(hist[0, T])
        contact_t = max(peak_t - p.contact_offset_s, seg_start)
        bout = self._bout
        if bout is not None and peak_t - bout.last_peak_t <= p.max_step_s:
            interval = peak_t - bout.last_peak_t
            if value >= p.min_peak_g or (
                self._recent and interval >= _WEAK_STEP_FRACTION * median(self._recent)
            ):
                self._emit_trunk_step(hist, peak_t, contact_t, now_t, events)
            return
        pending = self._pending
        if (
            bout is None
            and pending is not None
            and not self._wrist
            and value >= p.min_peak_in_bout_g
            and p.min_step_s <= peak_t - pending[0] <= p.max_step_s
        ):
            # The second step may be as weak as any step within a bout (the shuffles and the
            # short steps that end a real walk reach 0.03-0.06 g at the lower back); once it is
            # a step itself (a peak confirmed like any other), it starts the bout with the held
            # first. The wrist, with no lean or fore-aft check and swinging with squats, waits
            # for a full second pulse (``_try_start``).
            first_t, first_contact_t, _ = pending
            self._pending = None
            since_t = first_t - p.max_step_s
            if self._posture_steady(hist, since_t, now_t) and self._sways_fore_aft(
                hist, since_t, now_t
            ):
                self._emit_trunk_step(
                    hist,
                    first_t,
                    first_contact_t,
                    now_t,
                    events,
                    next_peak_t=peak_t,
                    interval_s=peak_t - first_t,
                )
                self._emit_trunk_step(hist, peak_t, contact_t, now_t, events)
                return
        if value < p.min_peak_g:
            return
        self._pending = (peak_t, contact_t, now_t)

    def _posture_steady(self, hist: FloatArray, since_t: float, now_t: float) -> bool:
        """Whether the trunk kept its lean from ``since_t`` until ``now_t``.

        Walking, forward or backward, holds the trunk's lean within about ten degrees;
        sitting down, standing up and squats tilt it by tens of degrees while giving step-like
        vertical peaks.
        """
        t = hist[:, T]
        a = int(np.searchsorted(t, since_t - _LEAN_WARMUP_S))
        b = int(np.searchsorted(t, now_t, "right"))
        skip = int(np.searchsorted(t[a:b], since_t))
        if b - a - skip < 2:
            return True
        # Low-passed here, over the window only (from steady state at its first sample), so
        # the filter runs at bout starts rather than on every chunk.
        lean = StreamingSOS(self._lean_sos).process(hist[a:b, _ACC])[skip:]
        norm = np.sqrt(np.einsum("ij,ij->i", lean, lean))
        g = lean / np.where(norm > 0, norm, 1.0)[:, None]
        cos = g @ g[-1]
        return bool(cos.min() >= math.cos(math.radians(self.params.max_lean_change_deg)))

    def _sways_fore_aft(self, hist: FloatArray, since_t: float, now_t: float) -> bool:
        """Whether the trunk's fore-aft acceleration is a walk's, not a bob's.

        Each walking step brakes and then pushes the trunk along its path (Zijlstra and Hof
        2003): over the stride where a bout starts, fore-aft acceleration has 0.56-1.39 times
        the vertical's standard deviation on the real IPOL lower-back walks (played either way)
        and 0.57-0.98 on the simulated chest and waist walks, forward and backward. Standing on
        the pedals bobs the trunk up and down with little fore-aft motion: 0.25-0.46 on the
        simulated sprints. The margin is thin (0.46 against 0.56).
        """
        t = hist[:, T]
        a = int(np.searchsorted(t, since_t))
        b = int(np.searchsorted(t, now_t, "right"))
        if b - a < 3:
            return True
        vertical = float(np.std(hist[a:b, _UP]))
        return vertical <= 0.0 or float(np.std(hist[a:b, _FORE])) >= _MIN_FORE_AFT * vertical

    def _emit_trunk_step(
        self,
        hist: FloatArray,
        peak_t: float,
        contact_t: float,
        now_t: float,
        events: list[Event],
        next_peak_t: float | None = None,
        interval_s: float | None = None,
    ) -> None:
        bout = self._bout
        if bout is not None:
            interval = peak_t - bout.last_peak_t
        else:
            assert next_peak_t is not None
            interval = next_peak_t - peak_t if interval_s is None else interval_s
        # The stride ending at this step; the first step of a bout borrows the stride ending
        # at the second (before the first, the walker was standing or starting).
        end_t = peak_t if next_peak_t is None else next_peak_t
        t = hist[:, T]
        a = int(np.searchsorted(t, end_t - 2.0 * interval))
        b = int(np.searchsorted(t, end_t)) + 1
        if self._wrist:
            direction, confidence = Direction.UNKNOWN, None
        else:
            rotation = sagittal_rotation(hist[a:b, _FORE], hist[a:b, _UP])
            direction = Direction.FORWARD if rotation >= 0.0 else Direction.BACKWARD
            confidence = abs(rotation)
            # A trunk gyroscope shows turns: walking a curve or turning on the spot, the
            # centripetal acceleration and the yaw of the trunk under the band mix into the
            # fore-aft axis and the loop's sense says little (IPOL U-turns; the mobgap
            # lower-back daily-living trial, where turning steps came out backward).
            turning = (
                self._gyro
                and b > a
                and abs(float(hist[a:b, _TURN].mean())) > self.params.max_turn_dps
            )
            if confidence < _WEAK_ROTATION or turning:
                # A loop with hardly any sense (turning on the spot, the step that closes a
                # walk, shuffling) keeps the bout's direction so far: a walker does not switch
                # between forward and backward within a bout without stopping. Without a
                # clear direction so far, the step's is unknown.
                if bout is not None and bout.steps >= 3 and bout.forward > 2 * bout.backward:
                    direction = Direction.FORWARD
                elif bout is not None and bout.steps >= 3 and bout.backward > 2 * bout.forward:
                    direction = Direction.BACKWARD
                else:
                    direction = Direction.UNKNOWN
        self._count_step(contact_t, peak_t, interval, direction, now_t, confidence, None, events)
