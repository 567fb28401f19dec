"""Steps from a foot band, stride by stride, from one rest of the foot to the next.

Through mid-stance a foot lies flat and still on the ground; between two such rests it makes
one stride: heel rise and push-off, the swing, the contact, the roll to foot-flat (J. Perry and
J. M. Burnfield, Gait Analysis, 2nd ed., 2010). Foot-mounted inertial navigation rests on the
same fact (E. Foxlin, "Pedestrian tracking with shoe-mounted inertial sensors", IEEE CG&A
25:38-46, 2005; I. Skog et al., "Zero-velocity detection - an algorithm evaluation", IEEE
TBME 57:2657-2666, 2010): the stride between two rests is integrated from the accelerometer
and gyroscope with the foot at rest at both ends, which gives how far the foot travelled and
which way, relative to where it pointed. That displacement is what a step is:

- **a step** moves the foot at least ``_MIN_STEP_M``;
- **its direction** is the sign of the displacement along the foot's own forward axis,
  levelled (forward walking carries the foot ahead of where it pointed, backward walking
  behind it, and a walk played backward in time carries it back the same way, so no prior
  about walking forward enters); ``unknown`` for a foot that moved little or sideways
  (pivots in a turn);
- **its contact** is where the foot, coming in, has all but stopped (its speed fallen below
  ``_CONTACT_SPEED_FRACTION`` of the stride's peak).

Without a gyroscope the rests are where the foot reads gravity alone, steadily; a motion
between two rests is a stride if it landed with a contact's shock (a foot on a pedal has
none), its contact is that shock (the largest after the push-off, ``_CONTACT_FROM``), and
its direction is ``unknown``: nothing in the acceleration alone tells which way the foot
travelled.

The other foot's contacts are inferred as on a shank (``OneLegDetector``): half a stride after
each own contact, before a bout's first own stride when that stride was a full one, and none
after a half stride that closes the walk (the feet end side by side; with a gyroscope only,
which measures the stride).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import signal
from scipy.ndimage import minimum_filter1d

from analysis.events import Direction, Event
from analysis.steps.base import T, median
from analysis.steps.leg import OneLegDetector
from analysis.steps.params import StepParams
from analysis.stream import StreamingSOS
from analysis.types import FloatArray, Samples, StreamInfo
from analysis.units import STANDARD_GRAVITY_M_S2

__all__ = ["FootStepDetector"]

#: How long the foot must stay still for a rest (mid-stance lies flat for 0.15-0.4 s at
#: walking speeds on the real IPOL feet; a swing never turns this slowly for so long).
_REST_S = 0.08

#: Low-pass corner of the foot's angular rate magnitude before the rest threshold
#: (``foot_rest_dps``, 60 °/s): a foot flat on the ground still trembles at 20-90 °/s on some
#: real IPOL feet (a brisk walker's short foot-flat), at most 55 °/s once smoothed (margin
#: 9 %: thin; median 2 °/s), while a swing turns it at 200-800 °/s. On the simulator the
#: rests read 0-3 °/s, but its slow walks (54-62 steps/min) also hold the foot unturned in the
#: air for 0.1-0.3 s before contact: no rate threshold tells those from a rest (their strides
#: are split; ``_starts_walk`` and the travel still count most of them).
_MOTION_LOWPASS_HZ = 4.0

#: How long after a rest seems to begin it is examined (at least ``_REST_S``): the stride
#: before it is integrated then. Longer than the rest itself so that a band sending a few
#: samples at a time derives its signals every few notifications rather than at each one
#: (the cost per band-second falls by half; the latency grows by 0.12 s).
_CONFIRM_S = 0.2

#: Without a gyroscope, a rest reads gravity alone, steadily: its magnitude within this of
#: 1 g and its high-passed norm under the next, both low-passed as the rate, for ``_REST_S``.
#: Real IPOL rests (the gyroscope's) sit at 0.018 g and 0.003 g (median), 0.069 g and 0.12 g
#: (95th percentile); their moving samples at 0.11 g and 0.07 g (5th percentile), but not for
#: long. A stride then needs a contact's shock of ``_FIRST_IMPACT_G`` (the real feet's
#: strides: 0.98 g and up; a simulated pedalling foot: at most 0.35 g).
_REST_DEVIATION_G = 0.08
_REST_JITTER_G = 0.15
#: ... or, on a band that never reads that still, within ``_REST_FLOOR_RATIO`` times the
#: quietest each read over the last ``_REST_FLOOR_S`` (a stride and more). A strap ringing
#: at 8 Hz through a brisk walk's short stance (stress set seed 1, file 035) reads 0.14 g and
#: 0.22 g at its quietest, and no rest and no step was found; with this, 40 of its 48 steps
#: (2.5x: 34, 4x: 38). The real IPOL feet's quietest over 2 s reads at most 0.046 g and
#: 0.048 g, so their levels barely move (F1 without gyroscope 0.945 either way: one walk's
#: closing shuffle loses a step and a false one); every other stress-set file's steps are
#: unchanged. A pedalling foot's quietest reads up to 1.6 g and 0.19 g: its "rests" come
#: often then, and what keeps them from strides is the contact's shock (``_FIRST_IMPACT_G``):
#: no step on the 60 simulated rides of a foot without gyroscope nor on the stress set's 9.
_REST_FLOOR_S = 2.0
_REST_FLOOR_RATIO = 3.0
#: Without a gyroscope the contact is the largest shock after this share of the motion
#: between two rests: the motion ends with the swing's contact and the roll to foot-flat,
#: and begins with the push-off and the swing's start, whose jolt is the larger on many
#: feet. The real IPOL feet's labelled contacts lie at 0.47-0.78 of their motion (5th-99th
#: percentile, median 0.69; 0.35 at the 1st), the largest shock anywhere at 0.19-0.30 of it
#: in 1-5 % of the motions; the stress set's simulated feet at 0.65 (median). The real feet
#: read without their gyroscope: step F1 0.921 -> 0.945 (0.945 from 0.3 to 0.6 of the
#: motion); the stress set's feet without gyroscope 0.744 -> 0.759 (forward) and 0.921 ->
#: 0.933 (backward), worse from 0.7 on.
_CONTACT_FROM = 0.4
#: Without a gyroscope, within a walk a stride's shock may be as weak as this fraction of the
#: median of the walk's last ``_SHOCKS_KEPT`` strides (if under ``_FIRST_IMPACT_G``), but not
#: under ``_LEAST_SHOCK_G``, and such a weak stride must come at least
#: ``_WEAK_STRIDE_FRACTION`` of the walk's stride time after the last one; before a walk, up
#: to ``_MOST_HELD`` weaker strides are held, and counted when a stride with the full shock
#: follows from the rest they end at (within ``_HELD_REST_S``) if their shocks reach
#: ``_HELD_SHOCK`` of its. A band's own anti-alias filter takes most of a shock at low
#: rates: the real IPOL feet read at 25 Hz show 0.24 g (1st percentile), 0.36 g (5th) and
#: 0.88 g (median) where 100 Hz shows 0.81, 1.4 and 4.0 g, and their walks began a stride or
#: two late and lost a fifth of their strides. A walk's strides reach 0.26 of the median (1st
#: percentile at 25 Hz; 0.41 at the 5th), the motions in a walk that are no stride
#: (shuffles, a turn's pivots) 0.22 at most; 0.35 is 59 % above those and refuses 3 % of the
#: strides at 25 Hz. The timing is thin: the weak strides counted on the real feet at 25 Hz
#: come 0.76 stride times or more after the last (26), a false one at 0.60; on the stress set
#: a false one at 0.61 (the part of a slow walk's motion before a false rest) and two true
#: ones at 0.39 and 0.63 are refused. At 50 Hz and up the real feet's medians keep the bar
#: at ``_FIRST_IMPACT_G``. Measured, the real feet without gyroscope at 25 Hz: step F1 0.833
#: -> 0.897 (0.881 with the in-walk bar alone); at 50 and 100 Hz unchanged (0.941, 0.945);
#: the stress set's feet without gyroscope 0.925 -> 0.937 (0.931 without the timing). A
#: foot pedalling (the 60 simulated rides, at 25, 50 and 100 Hz; the stress set's) still
#: counts no step: its motions start no walk (``_FIRST_IMPACT_G``).
_IN_WALK_SHOCK = 0.35
_WEAK_STRIDE_FRACTION = 0.7
_HELD_SHOCK = 0.35
_LEAST_SHOCK_G = 0.15
_SHOCKS_KEPT = 8
_MOST_HELD = 2
_HELD_REST_S = 1.0
#: Shortest motion between two rests taken for a stride without a gyroscope.
_MIN_MOTION_S = 0.25
#: The swing's share of the motion between two rests, for when the other foot lands after a
#: bout's first stride: the swing is about 40 % of a stride (Perry and Burnfield 2010), the
#: motion between the foot's rests about 70 % (0.75 median on the real IPOL feet).
_SWING_PER_MOTION = 0.57

#: The delay of that low-pass (second-order Butterworth: about sqrt(2) / (2 pi f_c) = 56 ms
#: at 4 Hz), rounded up.
_LAG_S = 0.06

#: Longest motion between two rests that is one stride: a stride's motion lasts 0.5-1.1 s on
#: the real IPOL feet and at most 1.13 s on the simulated ones (margin 77 %); continuous
#: motion, as in pedalling, is no stride.
_MAX_MOTION_S = 2.0

#: A stride ends at rest: the velocity its integration leaves there is drift, at most 1.67
#: m/s over the real IPOL feet's strides (2.25 m/s resampled to 50 Hz, 3.28 m/s to 25 Hz).
#: More says the rest it started from was none: the foot turned slowly but moved (the
#: simulator's slow walks hold it unturned in the air before contact or roll it through
#: stance, 3-9 m/s left; one real stride, 3.6 m/s). Such a stride is integrated from the
#: rest before instead, when the stride ending at the doubtful rest was not counted and the
#: velocity left falls by half (the real stride: 3.6 -> 0.7 m/s; the simulated 8.4-8.9 ->
#: 0.2-0.4 m/s). Measured: real IPOL feet F1 0.953 -> 0.955 (gaps cut in 0.952 -> 0.954, at
#: 25 Hz 0.939 -> 0.941); stress set feet with gyroscope 0.920 -> 0.955 (forward) and 0.939
#: -> 0.936 (backward; one loose strap's split stances); the same from 2 to 2.5 m/s.
_MAX_RESIDUAL_M_S = 2.5

#: Least horizontal travel of the foot for a step. Strides move it 1.0-1.8 m on the real
#: IPOL feet, the half steps that start and end a walk 0.2-0.8 m, pivots in a U-turn
#: 0.05-0.25 m; shifting the weight in standing moves it under 0.05 m. A definition rather
#: than a test with a margin: the IPOL labels count four foot movements of 0.04-0.07 m as
#: steps and leave one of 0.16 m out (1 % of 529 steps either way). Simulated strides:
#: 0.12 m and up (1st percentile).
_MIN_STEP_M = 0.1

#: Least travel for a direction: below it (a pivot, a shuffle) the direction is unknown.
_MIN_DIRECTION_M = 0.25

#: Least share of the travel along the foot's own axis for a direction: cos 60°. Strides
#: keep 0.85-1.0 of it on the real IPOL feet (the bands sit up to 30° off the declared
#: axes); the steps of a U-turn go sideways.
_MIN_ALONG = 0.5

#: A walk's first stride shows a walk in one of two ways (``_starts_walk``). Its contact's
#: shock (the acceleration high-passed at ``transient_hz``, its largest over the stride):
#: 0.98-9 g at the bout-starting strides of the real IPOL feet played either way (margin 63 %),
#: at most 0.35 g at a simulated foot pedalling (71 %), whose slow pitch reversals look like
#: rests; but the simulated walks start as softly as 0.05 g (soft heels; at 25 Hz the shock is
#: filtered away). Or its turn and travel: a walking stride turns the foot through 51-300°
#: and carries it 0.3-1.8 m on the real feet (half steps included), 53-112° and 0.3-1.7 m on
#: the simulated ones, while a pedal turns it through at most 49° where it carries it 0.3 m
#: or more (the 73° of one simulated ride came with 0.17 m): margins 22 % on the turn to
#: pedalling, 76 % on the travel.
_FIRST_IMPACT_G = 0.6
_FIRST_TURN_DEG = 60.0
_FIRST_TRAVEL_M = 0.3

#: How long after a bout's first stride seems to end its contact's shock may still come.
_IMPACT_WAIT_S = 0.3

#: The contact: where the foot's speed has fallen below this fraction of the stride's peak.
_CONTACT_SPEED_FRACTION = 0.15

#: A first stride at least this fraction of the second's travel is a full stride (the other
#: foot stepped first): real IPOL first strides from standing travel 0.35-0.49 of the next
#: when this foot leads, 0.84-0.90 when the other foot did (margins 33 % / 29 %); closing
#: half strides 0.2-0.48 of the one before. Simulated first strides: 0.25-0.26 or 0.90-1.15,
#: one of 24 at 0.61 (6 % under); last strides 0.13-0.63 or 0.77-1.05.
_FULL_STRIDE_FRACTION = 0.65

#: A short stride that turns the foot more than this about the vertical is a pivot in a
#: turn, not the step that closes a walk: pivots in the real IPOL U-turns turn it 45-180°,
#: the half steps that start and close a walk under 20° (two walkers turned 50-85° on
#: their last steps); margins 50 % / 33 %. The simulated walks do not turn.
_MAX_CLOSING_TURN_DEG = 30.0

# History columns after the time (``T``).
_ACC = slice(1, 4)
_GYRO = slice(4, 7)
#: How many samples in a row, up to this one, the foot turned slower than ``foot_rest_dps``.
_STILL = 7
#: 1 at the first still sample after motion: a candidate rest.
_MARK = 8
#: The acceleration's high-passed norm (g): the shock of a contact.
_IMPACT = 9
_WIDTH = 10


@dataclass(frozen=True)
class _Motion:
    """A motion of the foot between two rests, read without a gyroscope (``_acc_stride``):
    when it began and when the rest after it did, its contact and that contact's shock, and
    its swing time."""

    start_t: float
    rest_t: float
    contact_t: float
    shock_g: float
    swing_s: float


@dataclass(frozen=True)
class Stride:
    """One stride of the foot between two rests, integrated (``FootStepDetector._integrate``).

    Attributes
    ----------
    travel_m
        Horizontal distance from rest to rest.
    turn_deg
        How far the foot turned about the vertical from rest to rest.
    direction
        Forward or backward along the foot's own axis at both rests; unknown where the foot
        moved little or sideways.
    contact_t
        When the foot made contact.
    swing_s
        How long the foot moved fast (from lifting to the contact).
    impact_g
        The largest high-passed acceleration over the stride: the contact's shock.
    residual_m_s
        The velocity the integration left at the rest it ends at (its drift).
    rotation_deg
        How far the foot turned in all, about any axis.
    rest_t
        When the rest it ends at began.
    """

    travel_m: float
    turn_deg: float
    direction: Direction
    contact_t: float
    swing_s: float
    impact_g: float
    residual_m_s: float
    rotation_deg: float
    rest_t: float


def _starts_walk(stride: Stride) -> bool:
    """Whether a stride can start a walk: it landed with a contact's shock, or it both turned
    the foot through a walking stride's angle and carried it as far (``_FIRST_IMPACT_G``,
    ``_FIRST_TURN_DEG``, ``_FIRST_TRAVEL_M``). A foot on a pedal does neither."""
    return stride.impact_g >= _FIRST_IMPACT_G or (
        stride.rotation_deg >= _FIRST_TURN_DEG and stride.travel_m >= _FIRST_TRAVEL_M
    )


class FootStepDetector(OneLegDetector):
    """Steps of both feet, direction and walking bouts from a foot band.

    Parameters
    ----------
    params
        Frozen parameters (``foot_rest_dps``, ``transient_hz``; the bout and step times).
    info
        The stream: a foot, with or without a gyroscope.

    Notes
    -----
    Besides ``OneLegDetector``'s state: how long the foot has been still at the newest sample.
    """

    full_swing_fraction: ClassVar[float] = _FULL_STRIDE_FRACTION
    #: A foot's first motion tells its stride badly: the swing is the motion's share
    #: (``_SWING_PER_MOTION``) without a gyroscope, and a slow walker's foot hangs in the air
    #: before contact, so the other foot's first contact, placed 1.25 swing times on, fell
    #: 0.4-0.5 s early on the stress set's slow walks (54-62 steps/min) and missed its label.
    #: It waits for the second own contact instead and falls half-way, one stride later.
    #: Only a walk's first contact waits (after a gap the walk's stride is known). Measured:
    #: real IPOL feet F1 0.955 -> 0.959 (latency p95 0.41 -> 0.46 s), without gyroscope
    #: unchanged at 0.945 (at 25 Hz 0.897 -> 0.902); stress set feet: with gyroscope 0.949 ->
    #: 0.964, without 0.937 -> 0.952. On a shank (whose swing the gyroscope or the swing's
    #: hump times well) it cost the real shin without gyroscope 15 extra steps and the
    #: simulated shanks their latency (p95 0.43 -> 0.81 s): not there.
    measures_first_stride: ClassVar[bool] = True
    bridges_gaps: ClassVar[bool] = True

    def __init__(self, params: StepParams, info: StreamInfo) -> None:
        fs = info.sample_rate_hz
        self._gyro = info.has_gyro
        self._need = max(2, round(_REST_S * fs))
        self._lag = round(_LAG_S * fs)
        self._motion = StreamingSOS(
            signal.butter(2, min(_MOTION_LOWPASS_HZ, 0.45 * fs), fs=fs, output="sos")
        )
        self._jitter = StreamingSOS(
            signal.butter(2, min(_MOTION_LOWPASS_HZ, 0.45 * fs), fs=fs, output="sos")
        )
        self._impact = StreamingSOS(
            signal.butter(2, min(params.transient_hz, 0.45 * fs), btype="high", fs=fs, output="sos")
        )
        super().__init__(
            params,
            info,
            lookahead_s=max(self._need / fs, _CONFIRM_S) if self._gyro else self._need / fs,
            width=_WIDTH,
            filters=(self._motion, self._impact, self._jitter),
            signal_column=_MARK,
            threshold=0.5,
        )
        self.closes_by_size = True
        self._still_run = 0
        self._floor_n = max(3, round(_REST_FLOOR_S * fs) | 1)
        self._quiet_tail = np.empty((2, 0))
        # When the rest that ended the last counted stride began.
        self._counted_rest_t: float | None = None
        # A bout's first stride waiting for its contact's shock: (stride, its start, until).
        self._pending: tuple[Stride, float, float] | None = None
        # Without a gyroscope: the shocks of the walk's latest strides, and a weak stride
        # held before a walk (``_acc_stride``).
        self._shocks: list[float] = []
        self._held_motions: list[_Motion] = []

    # ------------------------------------------------------------------ signals

    def _bout_ended(self) -> None:
        super()._bout_ended()
        self._shocks = []

    def _keeps_bout(self, now_t: float, events: list[Event]) -> bool:
        """A gap longer than ``bridge_gap_s`` but shorter than a step keeps the walk: the
        stride across it is lost (no rest before it is seen), the ones after it are not."""
        if self._scheduled is not None and self._last_t is not None:
            self._scheduled_in_gap(events, now_t)
        return (
            self._bout is not None
            and self._last_t is not None
            and now_t - self._last_t <= self.params.max_step_s
        )

    def _forget(self, keep: bool) -> None:
        super()._forget(keep)
        self._still_run = 0
        self._quiet_tail = np.empty((2, 0))
        self._pending = None
        self._held_motions = []
        if not keep:
            self._shocks = []

    def _write_raw(self, rows: FloatArray, seg: Samples) -> None:
        rows[:, _ACC] = seg.acc_g
        if self._gyro:
            assert seg.gyro_dps is not None
            rows[:, _GYRO] = seg.gyro_dps

    def _derive_rows(self, rows: FloatArray) -> None:
        acc = np.ascontiguousarray(rows[:, _ACC])
        high = self._impact.process(acc)
        rows[:, _IMPACT] = np.sqrt(np.einsum("ij,ij->i", high, high))
        if self._gyro:
            gyro = rows[:, _GYRO]
            rate = np.sqrt(np.einsum("ij,ij->i", gyro, gyro))
            still = self._motion.process(rate) < self.params.foot_rest_dps
        else:
            # Without a gyroscope: reading gravity alone, steadily.
            mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
            quiet = np.stack(
                [self._motion.process(np.abs(mag - 1.0)), self._jitter.process(rows[:, _IMPACT])]
            )
            floor = self._floor(quiet)
            still = (quiet[0] < np.maximum(_REST_DEVIATION_G, _REST_FLOOR_RATIO * floor[0])) & (
                quiet[1] < np.maximum(_REST_JITTER_G, _REST_FLOOR_RATIO * floor[1])
            )
        n = still.shape[0]
        idx = np.arange(n)
        # Consecutive still samples up to each row, carried across batches.
        last_moving = np.maximum.accumulate(np.where(still, -1, idx))
        run = np.where(still, idx - last_moving, 0)
        run = np.where(still & (last_moving < 0), self._still_run + idx + 1, run)
        if n:
            self._still_run = int(run[-1])
        rows[:, _STILL] = run
        rows[:, _MARK] = run == 1

    def _floor(self, quiet: FloatArray) -> FloatArray:
        """The least of each row of ``quiet`` over the last ``_REST_FLOOR_S``, sample by
        sample (the rows before carried across batches)."""
        both = np.concatenate([self._quiet_tail, quiet], axis=1)
        floor: FloatArray = minimum_filter1d(
            both, self._floor_n, axis=1, origin=(self._floor_n - 1) // 2, mode="nearest"
        )
        self._quiet_tail = both[:, -(self._floor_n - 1) :]
        return floor[:, both.shape[1] - quiet.shape[1] :]

    # ------------------------------------------------------------------ strides

    def _examine_peaks(self, hist: FloatArray, peaks: list[int], events: list[Event]) -> None:
        """Examine the candidate rests whose look-ahead (``_REST_S``) is complete."""
        need = self._need
        t = hist[:, T]
        still = hist[:, _STILL]
        for i in peaks:
            if still[i + need - 1] < need:
                continue  # not a rest: the foot moved again at once
            # The rest before: the last sample of the last run of still samples long enough.
            back = max(0, i - round(_MAX_MOTION_S * self._fs) - need)
            before = np.flatnonzero(still[back:i] >= need)
            if not before.size:
                continue  # no rest seen before this motion (start, or a long motion)
            last = back + int(before[-1])
            first, start = self._rest_end(still, last)
            if not self._gyro:
                self._acc_stride(hist, start, i, events)
                continue
            stride = self._integrate(hist, start, i + need - 1)
            earlier = back + before[back + before < first]
            if (
                stride is not None
                and stride.residual_m_s > _MAX_RESIDUAL_M_S
                and earlier.size
                and (self._counted_rest_t is None or float(t[first]) > self._counted_rest_t)
            ):
                # The rest it started from may be none (the foot turned slowly but moved),
                # and the stride ending there was not counted: from the rest before, if the
                # foot stopped there.
                _, start = self._rest_end(still, int(earlier[-1]))
                alt = self._integrate(hist, start, i + need - 1)
                if alt is not None and alt.residual_m_s < 0.5 * stride.residual_m_s:
                    stride = alt
            if stride is None or stride.travel_m < _MIN_STEP_M:
                continue
            now_t = float(t[min(i + self._ahead, len(t) - 1)])
            if self._pending is not None:
                self._decide_pending(hist, now_t, events)
            if self._bout is None and not _starts_walk(stride):
                # A walk starts with a contact's shock (a foot on a pedal has none); the
                # shock may come just after the rest seemed to begin (a foot held still in
                # the air before it lands): wait for it.
                self._pending = (stride, float(t[start]), now_t + _IMPACT_WAIT_S)
                continue
            self._stride(hist, stride, now_t, events)

    def _rest_end(self, still: FloatArray, last: int) -> tuple[int, int]:
        """The first row of the rest ending at row ``last``, and the row a stride after it
        is integrated from: the smoothed rate lags the motion, so the foot began to move up
        to ``_LAG_S`` before its rest seemed to end (it is levelled from the rest before)."""
        first = last - int(still[last]) + 1
        return first, max(first + self._need // 2, last - self._lag)

    def _acc_stride(self, hist: FloatArray, start: int, rest: int, events: list[Event]) -> None:
        """Without a gyroscope: the motion from row ``start`` to the rest at ``rest`` is a
        stride if it landed with a contact's shock; its contact is that shock, the largest in
        the motion's later part (``_CONTACT_FROM``). In a walk the shock may be weaker
        (``_IN_WALK_SHOCK``); before one a weak stride is held (``_HELD_SHOCK``)."""
        t = hist[:, T]
        shock = hist[start:rest, _IMPACT]
        if shock.size < 2 or float(t[rest] - t[start]) < _MIN_MOTION_S:
            return
        k0 = int(_CONTACT_FROM * shock.size)
        k = k0 + int(np.argmax(shock[k0:]))
        motion = _Motion(
            start_t=float(t[start]),
            rest_t=float(t[rest]),
            contact_t=float(t[start + k]),
            shock_g=float(shock[k]),
            swing_s=_SWING_PER_MOTION * float(t[rest] - t[start]),
        )
        now_t = float(t[min(rest + self._ahead, len(t) - 1)])
        run = [motion]
        bout = self._bout
        if (
            bout is not None
            and self._shocks
            and motion.contact_t - bout.last_peak_t <= self._step_gap_s()
        ):
            bar = max(_LEAST_SHOCK_G, _IN_WALK_SHOCK * median(self._shocks))
            if motion.shock_g < min(bar, _FIRST_IMPACT_G):
                return
            last = self._last_own_contact
            if (
                motion.shock_g < _FIRST_IMPACT_G
                and last is not None
                and self._recent
                and motion.contact_t - last < _WEAK_STRIDE_FRACTION * 2.0 * median(self._recent)
            ):
                return  # a weak shock half a stride on: the motion was split by a false rest
        elif motion.shock_g < _FIRST_IMPACT_G:
            # Perhaps a walk's first stride, softer than the next: held for it.
            kept = [*self._held_motions[1 - _MOST_HELD :], motion]
            self._held_motions = kept if motion.shock_g >= _LEAST_SHOCK_G else []
            return
        else:
            for held in reversed(self._held_motions):
                if not (
                    0.0 <= run[0].start_t - held.rest_t <= _HELD_REST_S
                    and held.shock_g >= _HELD_SHOCK * motion.shock_g
                ):
                    break
                run.insert(0, held)
        self._held_motions = []
        for m in run:
            # Counted first: a stride that ends a walk and starts the next (``_bout_ended``
            # forgets the old walk's shocks) is the new walk's first.
            self._leg_contact(hist, m.contact_t, Direction.UNKNOWN, now_t, None, m.swing_s, events)
            self._shocks = [*self._shocks[-(_SHOCKS_KEPT - 1) :], m.shock_g]

    def _stride(self, hist: FloatArray, stride: Stride, now_t: float, events: list[Event]) -> None:
        self._counted_rest_t = stride.rest_t
        self._leg_contact(
            hist,
            stride.contact_t,
            stride.direction,
            now_t,
            stride.travel_m,
            stride.swing_s,
            events,
            may_close=abs(stride.turn_deg) < _MAX_CLOSING_TURN_DEG,
        )

    def _due(self) -> bool:
        return self._pending is not None or super()._due()

    def _settle_more(self, t: FloatArray, start: int, stop: int, events: list[Event]) -> None:
        if self._pending is not None and self._pending[2] <= float(t[stop - 1]):
            k = int(np.searchsorted(t[:stop], self._pending[2]))
            self._decide_pending(self._history.view(), float(t[max(k, start)]), events)
        super()._settle_more(t, start, stop, events)

    def _decide_pending(self, hist: FloatArray, now_t: float, events: list[Event]) -> None:
        """A bout's first stride without a shock of its own: a walk if a shock came by now."""
        assert self._pending is not None
        stride, start_t, _ = self._pending
        self._pending = None
        self._derive()
        hist = self._history.view()
        t = hist[:, T]
        a, b = np.searchsorted(t, [start_t, now_t], side="left")
        if b > a and float(hist[a : b + 1, _IMPACT].max()) >= _FIRST_IMPACT_G:
            self._stride(hist, stride, now_t, events)

    def _integrate(self, hist: FloatArray, start: int, stop: int) -> Stride | None:
        """The stride from row ``start`` (the last still sample before it) to ``stop`` (still
        again), integrated.

        Strapdown integration: the attitude starts level from the acceleration at rest (the
        specific force points up), turns with the angular rate sample by sample; the
        acceleration turned into that frame, less gravity, integrates to the velocity, which
        is zero at both rests: the drift that remains at the end is taken out linearly
        (zero-velocity update) before it integrates to the position.
        """
        t = hist[start : stop + 1, T]
        acc = hist[start : stop + 1, _ACC]
        gyro = np.radians(hist[start : stop + 1, _GYRO])
        n = t.shape[0]
        if n < 3:
            return None
        rest = hist[max(0, start - self._need + 1) : start + 1, _ACC].mean(axis=0)
        g = float(np.linalg.norm(rest))
        if not 0.5 < g < 1.5:
            return None
        up = rest / g
        x = np.array([1.0, 0.0, 0.0]) - up[0] * up
        norm = float(np.linalg.norm(x))
        if norm < 0.3:
            return None  # the band's forward axis points nearly up: no heading
        x /= norm
        frame = np.vstack([x, np.cross(up, x), up])  # rows: level axes in the band's frame
        dt = np.diff(t)
        # Rotation of the band over each interval (the mean rate), by Rodrigues' formula.
        w = 0.5 * (gyro[1:] + gyro[:-1]) * dt[:, None]
        angle = np.sqrt(np.einsum("ij,ij->i", w, w))
        k = w / np.where(angle > 0.0, angle, 1.0)[:, None]
        sin = np.sin(angle)[:, None, None]
        cos = (1.0 - np.cos(angle))[:, None, None]
        cross = np.zeros((n - 1, 3, 3))
        cross[:, 0, 1], cross[:, 0, 2], cross[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
        cross[:, 1, 0], cross[:, 2, 0], cross[:, 2, 1] = k[:, 2], -k[:, 1], k[:, 0]
        turn = np.eye(3) + sin * cross + cos * (cross @ cross)
        force = np.empty((n, 3))
        force[0] = frame @ acc[0]
        for j in range(n - 1):
            frame = frame @ turn[j]
            force[j + 1] = frame @ acc[j + 1]
        force[:, 2] -= g
        force *= STANDARD_GRAVITY_M_S2
        vel = np.zeros((n, 3))
        vel[1:] = np.cumsum(0.5 * (force[1:] + force[:-1]) * dt[:, None], axis=0)
        residual = float(np.linalg.norm(vel[-1]))
        rotation = math.degrees(float(np.sum(angle)))
        elapsed = t - t[0]
        vel -= np.outer(elapsed / elapsed[-1], vel[-1])
        travel = np.sum(0.5 * (vel[1:] + vel[:-1]) * dt[:, None], axis=0)
        speed = np.sqrt(np.einsum("ij,ij->i", vel, vel))
        peak = int(np.argmax(speed))
        slow = speed < _CONTACT_SPEED_FRACTION * speed[peak]
        after = np.flatnonzero(slow[peak:])
        contact = peak + int(after[0]) if after.size else n - 1
        before = np.flatnonzero(slow[:peak])
        lift = int(before[-1]) + 1 if before.size else 0
        travel_m = math.hypot(float(travel[0]), float(travel[1]))
        # The foot's forward axis, levelled, where it rests again (the first row of ``frame``
        # is the level frame's x in the band's: its transpose turns the band's x level).
        end_x = frame[:2, 0]
        along = (float(travel[0]), float(travel[:2] @ end_x) / max(float(np.hypot(*end_x)), 1e-9))
        direction = Direction.UNKNOWN
        if travel_m >= _MIN_DIRECTION_M and min(abs(a) for a in along) >= _MIN_ALONG * travel_m:
            if along[0] > 0 and along[1] > 0:
                direction = Direction.FORWARD
            elif along[0] < 0 and along[1] < 0:
                direction = Direction.BACKWARD
        turn_deg = math.degrees(math.atan2(float(end_x[1]), float(end_x[0])))
        return Stride(
            travel_m=travel_m,
            turn_deg=turn_deg,
            direction=direction,
            contact_t=float(t[contact]),
            swing_s=float(t[contact] - t[lift]),
            impact_g=float(hist[start : stop + 1, _IMPACT].max()),
            residual_m_s=residual,
            rotation_deg=rotation,
            rest_t=float(hist[stop - self._need + 1, T]),
        )
