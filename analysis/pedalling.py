"""Pedalling from a shank, ankle or foot band: crank revolutions, direction, reversals, bouts.

Method
------
A band near the ankle or on the foot rides the pedal around a circle of crank radius ``r``;
its acceleration ``-r·ω²`` (centripetal) turns with the crank. Backward pedalling is the exact
time reverse of forward pedalling, so the sense in which the sagittal-plane (x, z)
acceleration turns is the direction.

1. **Revolutions are counted, not timed.** The magnitude of specific force ``|f|`` is
   independent of how the band is tilted, so the shank's own ±20° swing and any mounting tilt
   drop out; its crank-rate component is the vertical acceleration ``-r·ω²·sin θ``. It is
   band-passed (streaming second-order sections) and each upward zero crossing confirmed by a
   hysteresis of a fraction of the running amplitude closes one cycle. With a gyroscope the
   revolution is timed by the band's pitch extremes instead (the raw pitch rate crossing
   zero): seated, hip-knee-ankle-crank is a one-degree-of-freedom linkage, so they come at
   the same crank angles every turn, and the time between two is one revolution exactly even
   while the cadence changes (``_time_by_pitch``).
2. **A cycle is a revolution** only if it looks like pedalling: cadence within
   ``min_cadence_rpm``–``max_cadence_rpm``, an amplitude above the noise floor, and a smooth
   shape: after removing the first three crank harmonics, little is left (walking leaves heel
   strikes and a flat stance phase; coasting and standing leave no crank-rate signal). A new
   bout needs three such cycles in a row before the first is reported.
3. **Direction** is the sign of ``Im(conj(X)·N)`` over one cycle, where ``N`` and ``X`` are the
   crank-rate Fourier coefficients of ``|f|`` (vertical) and of the horizontal acceleration:
   the latter leads the former by 90° when the crank turns forward and lags by 90° backward.
   With a gyroscope the band's pitch (leaky integral of the y rate) turns ``x`` into a frame
   that does not swing with the shank, so the sign is clean at any cadence. Without one, the
   shank's swing tips gravity into ``x`` by ``g·sin(tilt)`` *in phase* with the horizontal
   acceleration: below the cadence at which ``r·ω²`` equals that (≈ 45-60 rpm for a 22°
   swing) the sign is inverted, and at it the fundamental carries no direction at all (what
   is left in phase is the same both ways). A turn's sense is trusted only where several
   readings agree and none contradicts (``_no_gyro_vote``): strong and clear above every
   crossover seen, or inverted clear below it on a steady turn, or the time-reversal-odd
   shape of ``|f|`` on a steady turn near it; everything else is a guess that counts the
   turn but never tells its direction. A run's direction is known once its trusted turns
   agree (``_KNOWN_EVIDENCE``: one turn clear above the crossover, two otherwise); until
   then its revolutions are ``unknown``. A crank cannot change direction without stopping.
4. **Reversals and bouts**: a segment ends when a cycle is not a revolution (the crank stopped
   or slowed below the cadence range). The next segment within ``bout_end_s`` that turns the
   other way is a ``pedal_reversal``, dated in the still spell between them (half-way if none
   was seen; reported late if the segment's first turns were ``unknown`` and its evidence
   came later; a run whose direction never became known dates no reversal at either end);
   ``bout_end_s`` without
   a revolution ends the bout and emits its ``pedal_bout`` summary. Without a gyroscope a
   still crank (``|f|`` flat for ``_STILL_WINDOW_S``) ends the run at once and restarts the
   band-pass at the still level, as a packet gap does: the high-pass's ringing after a stop
   (a step in the mean of ``|f|``) no longer hides the new run's first dip or joins the two
   runs into one cycle (``_on_still``); a slowing turn waits for the next cycle and is not
   counted if the crank stood still before the crossing that closed it (the band-pass rang).
   Turns that carry only the crossover's guess leave their run's direction ``unknown``.
5. **Lost packets**: a gap up to ``max_bridged_gap_s`` (0.3 s, shorter than a step) leaves
   the filters running and the run going: a cycle with samples missing is fitted by least
   squares rather than projected, counted but not read for direction (``_holed``), and one
   that spans two turns because the crank's crossing fell in the gap counts both
   (``_lost_crossing``); after a longer gap shorter than two turns, the turns in it are
   counted where they are determinate (same cadence and sense either side, crossings a whole
   number of turns apart) and reported with ``inferred=True`` (``_bridge``); nothing is
   invented where the cadence could have changed.

A chest strap is not handled: the trunk carries no crank-rate signal we could validate, so
the registry does not build this detector for trunk placements (it says nothing rather than
guessing).

Notes
-----
The swing amplitude of the shank (≈ ±22°) is the crank radius over the shank length,
0.17 m / 0.43 m ≈ 0.4 rad, and agrees with a two-link leg model of a seated rider (see
tests/analysis/test_pedalling.py). The magnitude of specific force equals ``g + a_z`` to first
order in ``|a|/g`` whatever the band's orientation, which is why it is the counting channel.

References
----------
.. [1] Hollaus B, Volmer JC, Fleischmann T. Cadence detection in road cycling using saddle tube
   motion and machine learning. Sensors 2022;22(16):6140 (a seat-tube IMU: 95 % of
   revolutions, cadence +0.9 ± 2.05 rpm; the anchor of the pedalling accuracy targets).
.. [2] Bluetooth SIG, Cycling Speed and Cadence Service 1.0 (crank revolution data of the CSC
   Measurement characteristic 0x2A5B): cadence without direction, see ``external_cadence``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray
from scipy import signal

from analysis.events import (
    Direction,
    Event,
    PedalBoutEvent,
    PedalReversalEvent,
    RevolutionEvent,
)
from analysis.params import BRIDGED_GAP_S, bounded, check_ranges
from analysis.stream import GAP_PERIODS, DetectorBase, History, StreamingSOS, run_batch
from analysis.types import FloatArray, Placement, Samples, StreamInfo

#: Rows processed at a time; bounds the history however large a chunk arrives.
_BLOCK_ROWS = 256

#: History columns beyond time, the band-passed horizontal and |f|, raw |f| and its power
#: (1-4): the raw x and z, and with a gyroscope the raw pitch rate (°/s) and the levelled
#: acceleration's winding (rad).
_COL_X_RAW, _COL_Z_RAW, _COL_RATE, _COL_WIND = 5, 6, 7, 8

#: Weight of a cycle's turning sense where it cannot be trusted (no gyroscope, see
#: ``_TRUSTED_SENSE``): a guess on the nearer side of the crossover, never a direction.
_WEAK_VOTE = 0.15

#: Without a gyroscope a turn's sense decides only if it is this strong (``|Im(conj(X)·N)|``
#: over ``|X|·|N|``; 1 for a clean circle). Near the crossover the crank's acceleration and
#: the tipped gravity cancel and the sense is weak whichever way it points: on 2,478 shank
#: turns at ≥ 1.6 × the crossover scale (100 fresh simulated rides, the stress set's rides
#: and the fixtures, no gyroscope) one was wrong, at ``|sense|`` 0.18 (six at ≥ 1.45 ×, all
#: ≤ 0.23); 0.4 is 2.2 times that. (The foot's wrong turns, at 0.57-0.74, wound twice: see
#: ``_winding_contradicts``.)
_TRUSTED_SENSE = 0.4

#: Without a gyroscope, below ``tilt_ratio_high`` on a steady shank turn, the odd shape of
#: ``|f|`` (see ``_no_gyro_vote``) reads forward when at least this positive, backward when
#: this negative. On the simulator's rides, steady turns at 0.6-1.6 × the crossover scale
#: with ``|odd|`` ≥ 0.05 read it right 444 times in 447 (forward: median +0.13); on the
#: tests' crank model (six riders, three band pitches, 40-80 rpm) it is +0.04 to +0.09
#: forward at every ratio up to 2.1. It flips at higher amplitudes (simulator: negative
#: forward on 94 % of steady turns above 2.0 ×), so it is read only below ``tilt_ratio_high``.
#: A property of the seated linkage on two models, not measured on a real rider.
_ODD_SHAPE = 0.05

#: Weight of a turn's direction read from the odd shape alone.
_SHAPE_VOTE = 0.5

#: Evidence a run needs before its direction is known, and what each trusted turn brings:
#: with a gyroscope (the levelled sense is clean at any cadence) and without one a strong
#: sense clear above every crossover seen (``tilt_ratio_high``), a turn; read inverted below
#: the crossover or from the odd shape of ``|f|``, half: two such turns must agree. (None
#: of the 5,328 turns trusted above the crossover was wrong; below it and from the shape
#: the evidence rests on the linkage's geometry, which two models agree on, not on physics
#: that holds for any band.)
_KNOWN_EVIDENCE = 1.0
_HALF_EVIDENCE = 0.5

#: Share of a run's trusted evidence (``|Σ vote| / Σ |vote|``) that must agree for its
#: direction to be known: 0.6 is four fifths of the weight on one side.
_TRUSTED_AGREEMENT = 0.6

#: Turns before a bout's first three alike ones that the bout starts with (``_lead_in``):
#: a hard spin-up from rest (stress set seed 1: a 49 rpm turn, then 117-127 rpm) leaves a
#: cycle refused for its shape (``max_residual_ratio``, a quiet half, stride-like) or one too
#: unlike the next, and the bout began two or three turns late. At most two, each at most
#: ``_LEAD_IN_SLOWER`` times as long as the turn after it. A run inside a bout (after a stop,
#: a reversal, or a cycle refused mid-run) starts again the same way. Measured: no false
#: revolution added on the stress set's 150 walking and jump files or the real walks; the
#: stress rides' count error per bout worst decile 4.5 -> 3.4 % (a bout's) -> 2.9 % (a run's).
_LEAD_IN_TURNS = 2
_LEAD_IN_SLOWER = 2.0
_LEAD_IN_REFUSALS = ("residual", "halves", "stride")

#: Largest relative change of period between two cycles for a turn to be steady.
_STEADY_PERIOD = 0.1

#: With a gyroscope, a cycle's vote at least this strong is confident; a weaker first turn of
#: a run after a stop waits for the run's next turn before its direction is decided (the
#: spin-ups of the simulated rides measure 0.3-0.5 of the full sense).
_CONFIDENT_VOTE = 0.3

#: Sign of the winding of (horizontal, |f|) crank-rate acceleration when pedalling forward:
#: forward, horizontal = cos ωt and vertical = -sin ωt (``Im(conj(X)·N) > 0``), angle -ωt.
_FORWARD_WINDING = -1.0

#: How far back from a detected turn the still moment of the crank is looked for (a stop of
#: up to 3 s plus the half turn that confirms the new sense).
_TURN_LOOKBACK_S = 5.0

#: Smallest power ratio between the two halves of a revolution: power of ``r·ω²`` goes as the
#: cadence to the fourth, so 0.15 lets the cadence change by up to 1.6× within one turn (50 to
#: 80 rpm, a hard spin-up) and refuses a cycle half of which the crank stood still.
_HALF_POWER_RATIO = 0.15

#: The directions a bout counts revolutions in.
_COUNTED = (Direction.FORWARD, Direction.BACKWARD, Direction.UNKNOWN)

#: Crank harmonics removed before measuring what is left of a cycle (smoothness test).
_HARMONICS = 3

#: Hysteresis (°/s) of the pitch rate's upward zero crossings that time the revolutions when
#: a gyroscope is worn: a shank swings ±0.4 rad per turn, so its pitch rate peaks at 0.4·ω
#: (≥ 50 °/s at 22 rpm); a foot's ankling of ±10° gives ≥ 20 °/s; gyroscope noise is
#: ≈ 0.5 °/s and bias a few °/s. The rate crosses zero at ≈ 0.4·ω² (≥ 900 °/s² at 60 rpm), so
#: noise moves a crossing by well under a millisecond: the raw rate is used, unfiltered.
_RATE_HYSTERESIS_DPS = 10.0

#: Lost packets are bridged (``_bridge``) only if the cycles either side of the gap took as
#: long within this ratio (5 % is about the crank's own wobble from turn to turn; the
#: dead-spot dips of Hull and Jorge 1985 are a few per cent within a turn and cancel over it)
#: and the crossings either side are this close to a whole number of turns apart: with the
#: cadence known to 5 %, a gap of under two turns (``_BRIDGE_MAX_TURNS``) adds < 0.1 turn of
#: phase uncertainty, half the tolerance.
_BRIDGE_PERIOD_RATIO = 1.05
_BRIDGE_PHASE_TOL = 0.2
#: Longest gap bridged, in turns of the cadence either side of it (the simulated 50 Hz band
#: loses 0.6-0.8 s bursts, about one turn at 80 rpm).
_BRIDGE_MAX_TURNS = 2.0

#: A cycle slower than the one before it whose crank-rate amplitude over the squared cadence
#: (``_Cycle.radius``) is below this fraction of that one's held less than a whole turn: the
#: linkage's kinematics scale with ω², so a whole turn at the cycle's mean rate keeps the
#: run's ratio (0.79-1.4 through slow-downs and into stops on 12 simulated rides, with and
#: without gyroscope), while a cycle that closes on the band-pass's ringing after the crank
#: stopped half a turn in shows 0.47. (A spin-up's first cycle, often 0.8 of a turn, is not
#: told apart this way: it shows 0.66-0.75 against the next, a whole one 0.70.)
_PARTIAL_TURN = 0.6
#: ... and only if its period is this much longer than that one's (the crank slowed or
#: stopped within it; between turns of one cadence the ratio only scatters).
_PARTIAL_SLOWER = 1.1

#: A still crank (no gyroscope): over ``_STILL_WINDOW_S`` the magnitude of specific force,
#: averaged over ``_STILL_SMOOTH_S`` (white noise of 0.01-0.03 g drops by 3-5x; a crank-rate
#: sine up to 150 rpm keeps 90 %), stays within ``min_amplitude_g``, i.e. a crank-rate
#: amplitude under half the smallest counted one (the still crank of ``_turns``). A stopped
#: leg's ``|f|`` is 1 g whatever its tilt. At that moment the band-pass is re-primed for the
#: current level (as after a packet gap): its memory of the run before (a second-order
#: high-pass rings for seconds after the step in the mean of ``|f|`` that a stop is, 0.1-0.25 g
#: on the simulated rides) otherwise keeps the new run's first dip from arming a crossing.
_STILL_WINDOW_S = 1.0
_STILL_SMOOTH_S = 0.1
_STILL_RANGE = 1.0

#: With a gyroscope the crank stood still where the smoothed power of the pitch rate falls
#: below this rate squared. At the 390 labelled stops of 120 simulated rides with gyroscope
#: (shank, foot, thigh) the smoothed rate fell to 24 °/s at most (stops of 0.5 s; a gyroscope
#: at rest reads its bias of a few °/s); pedalling swings a shank by ±0.4 rad a turn (≥ 50 °/s
#: at 22 rpm). At 15 °/s 7 of 30 reversals of ten rides were missed (their 0.5 s stops), at
#: 25-40 °/s none, and no false one at any value: the stop is one piece of evidence, the
#: winding after it another (``_confirm_turn``).
_STOPPED_RATE_DPS = 30.0
#: ... and its quietest stretch is where the power stays within this rate squared of its
#: lowest.
_QUIET_RATE_DPS = 7.5

#: A cycle whose |f| is not smooth enough (``max_residual_ratio``) is still a revolution if
#: its crank-rate amplitude of |f| is at least ``_STRONG_G`` and the band's x and z
#: acceleration, linear in the motion, leave at most ``_VECTOR_RESIDUAL`` of their
#: fundamental after three harmonics: once ``r·ω²`` nears 1 g, |f| = |a + g| grows harmonics
#: of its own (the simulated shank's second harmonic is 0.6 of its fundamental at 130 rpm,
#: its residual 0.5), which refused 54 of 153 thigh cycles at 120-140 rpm and most of the
#: shank's at 125-130 rpm. Measured: simulated shank rides at ≥ 90 rpm leave 0.19 (95th
#: percentile; 0.18-0.29 for a rider of 1.51 m at 115-128 rpm, who keeps some misses); of the
#: real walks' cycles (IPOL feet and RealWorld shin with and without gyroscope, Oxford front
#: pockets as a shank) that the |f| test refuses at ≥ 0.3 g, none leaves less than 0.305
#: (1,118 cycles; 5th percentile 0.45). That is 1.22 times the limit, thin alone: the path
#: opens only where |f| is strong and the cycle passes every other test (both halves, the
#: strides, the bout start's three alike turns): no revolution came of it on the real walks
#: (time-reversed and gapped too); on the stress set's 110 simulated walks, smoother than
#: real ones (13 of their 631 such cycles leave ≤ 0.25), false revolutions went 21 -> 22
#: from 0.2 to 0.25, while the 1.51 m rider's bout kept its first 11 turns (stress set,
#: worst decile 11.9 % at 0.2, 7.1 % at 0.25).
_STRONG_G = 0.3
_VECTOR_RESIDUAL = 0.25
#: On a thigh (gyroscope) the pitch rate is the linear signal: the simulated thigh rides
#: leave at most 0.06 of it at ≥ 60 rpm (95th percentile); a thigh's walking is refused by
#: its pitch repeating every second |f| cycle, not by this (``_stride_like``).
_PITCH_RESIDUAL = 0.2

#: A pitch-rate revolution replaces the |f| cycle's timing only if their periods agree within
#: this ratio (a second pitch extreme within a turn, e.g. strong ankling, would halve it).
_PITCH_PERIOD_RATIO = 1.35


@dataclass(frozen=True)
class PedallingParams:
    """Parameters of the pedalling detector (``[detectors.pedalling]``).

    Parameters
    ----------
    min_cadence_rpm, max_cadence_rpm
        Cadence range of a revolution; pedalling is specified for 30–130 rpm, the margins keep
        spin-up and sprints.
    band_low_hz, band_high_hz
        Band-pass corners of the crank-rate signal (second-order Butterworth each side).
    min_amplitude_g
        Smallest crank-rate amplitude of ``|f|`` counted as a revolution: ``r·ω²`` is 0.1 g at
        23 rpm with a 170 mm crank; a band at rest shows ≈ 0.01 g of noise.
    hysteresis_fraction
        Fraction of the running amplitude the signal must pass on either side of zero to close
        a cycle (rejects the second harmonic's extra crossings).
    max_residual_ratio
        Largest rms left after removing the first three crank harmonics, relative to the
        fundamental amplitude; heel strikes and the stance phase of walking leave far more.
    max_period_change
        Largest ratio between consecutive cycle periods within one segment.
    bout_end_s
        No revolution for this long ends the bout; a pause shorter than this between two
        directions is still a reversal.
    tilt_deg
        Swing of the band's pitch over a revolution when no gyroscope can measure it: about
        the crank radius over the shank length (0.17/0.43 rad) for a shank; the ankling range
        (≈ ±10°) for a foot is used when the placement is a foot (``foot_tilt_deg``).
    foot_tilt_deg
        As ``tilt_deg`` for a foot band.
    tilt_ratio_low, tilt_ratio_high
        Without a gyroscope: below ``tilt_ratio_low`` × ``sin(tilt)`` g of vertical crank
        acceleration, gravity tipped by the swing dominates the horizontal signal and the
        turning sense is inverted; above ``tilt_ratio_high`` × it the acceleration dominates.
    pitch_integrator_hz
        Corner of the leaky integrator that turns the pitch rate into a pitch angle (gyroscope
        only); well below the crank rate so the phase error at 30 rpm stays under 12°.
    external_max_age_s
        An external cadence (BLE CSC) older than this is ignored.
    max_bridged_gap_s
        A gap in time (lost packets) up to this long, shorter than a step (0.3 s, as the other
        detectors), does not restart the filters: a cycle spanning it is still measured from
        the real samples on both sides (fitted, none is invented; its direction is not read).
        Longer gaps restart everything but the bout, which ends by time. On 160 simulated rides
        with a 10-300 ms gap every 5 s of pedalling, turns lost within 1 s before to 3 s after
        a gap: 0.1 s 1,287 of 8,778, 0.25 s 508, 0.3 s 412 (before the fits and the lost
        crossings, 264 after).
    max_stride_ratio
        Largest energy at half the cycle rate (over two cycles, horizontal and ``|f|``)
        relative to that at the cycle rate: walking repeats per stride, every second cycle.
    reversal_turn_fraction
        With a gyroscope, the crank has turned round once the levelled acceleration has wound
        this many turns the other way since its last extreme: the reversal is reported then,
        without waiting for a whole revolution the new way.
    bout_start_revolutions
        Alike revolutions in a row that start a bout; the first is reported when the last of
        them completes (a few strides of a walk can pass for two turns of a crank), with the
        turns of a spin-up that ran into them (``PedallingDetector._lead_in``).
    """

    min_cadence_rpm: float = field(default=22.0, metadata=bounded(5.0, 100.0))
    max_cadence_rpm: float = field(default=150.0, metadata=bounded(30.0, 300.0))
    band_low_hz: float = field(default=0.25, metadata=bounded(0.01, 2.0))
    band_high_hz: float = field(default=3.5, metadata=bounded(1.0, 20.0))
    min_amplitude_g: float = field(default=0.06, metadata=bounded(0.0, 2.0))
    hysteresis_fraction: float = field(default=0.3, metadata=bounded(0.0, 0.9))
    max_residual_ratio: float = field(default=0.45, metadata=bounded(0.01, 10.0))
    max_period_change: float = field(default=1.6, metadata=bounded(1.0, 10.0))
    bout_end_s: float = field(default=8.0, metadata=bounded(0.5, 120.0))
    tilt_deg: float = field(default=22.0, metadata=bounded(0.0, 60.0))
    foot_tilt_deg: float = field(default=10.0, metadata=bounded(0.0, 60.0))
    tilt_ratio_low: float = field(default=0.75, metadata=bounded(0.0, 10.0))
    tilt_ratio_high: float = field(default=1.6, metadata=bounded(0.0, 10.0))
    pitch_integrator_hz: float = field(default=0.08, metadata=bounded(0.001, 1.0))
    external_max_age_s: float = field(default=3.0, metadata=bounded(0.0, 60.0))
    max_bridged_gap_s: float = field(default=BRIDGED_GAP_S, metadata=bounded(0.0, 2.0))
    max_stride_ratio: float = field(default=0.3, metadata=bounded(0.0, 100.0))
    reversal_turn_fraction: float = field(default=0.5, metadata=bounded(0.1, 2.0))
    bout_start_revolutions: int = field(default=3, metadata=bounded(1, 10))

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.max_cadence_rpm <= self.min_cadence_rpm:
            raise ValueError("max_cadence_rpm must be above min_cadence_rpm")
        if self.band_high_hz <= self.band_low_hz:
            raise ValueError("band_high_hz must be above band_low_hz")
        if self.tilt_ratio_high < self.tilt_ratio_low:
            raise ValueError("tilt_ratio_high must not be below tilt_ratio_low")


class _UpCrossings:
    """Upward zero crossings of a streamed signal, each confirmed once the signal has been
    below ``-hyst`` and then rises above ``+hyst`` (the state carries across chunks)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._armed = False
        self._above = False
        self._below = False
        self._prev_v: float | None = None
        self._prev_vt = 0.0
        self._last_zc: float | None = None
        self._armed_at = -math.inf

    def pending(self) -> float | None:
        """The upward crossing since the last arming, if the signal is still above zero and
        the crossing waits for its confirming rise (e.g. the crank stopped just after it)."""
        zc = self._last_zc
        if self._armed and zc is not None and zc > self._armed_at and (self._prev_v or 0.0) > 0:
            return zc
        return None

    def update(
        self, t: FloatArray, v: FloatArray, hyst: FloatArray | float
    ) -> list[tuple[float, float]]:
        """Confirmed upward zero crossings: ``(crossing time, time of the confirming sample)``."""
        if self._prev_v is not None and (self._above or self._below):
            # Fast path (most BLE chunks): the signal stays beyond the threshold it was
            # beyond, so nothing crosses zero or either threshold.
            lo, hi, h = float(v.min()), float(v.max()), float(np.max(hyst))
            if (self._above and lo > h) or (self._below and hi < -h):
                self._prev_v = float(v[-1])
                self._prev_vt = float(t[-1])
                return []
        prev_v = v[0] if self._prev_v is None else self._prev_v
        prev_t = t[0] if self._prev_v is None else self._prev_vt
        vv = np.concatenate(([prev_v], v))
        tt = np.concatenate(([prev_t], t))
        up = np.flatnonzero((vv[:-1] < 0.0) & (vv[1:] >= 0.0))  # crossing into sample up[k]
        zc_times = tt[up] + (tt[up + 1] - tt[up]) * (-vv[up] / (vv[up + 1] - vv[up]))
        above = v > hyst
        below = v < -hyst
        above_start = np.flatnonzero(above & ~np.concatenate(([self._above], above[:-1])))
        below_start = np.flatnonzero(below & ~np.concatenate(([self._below], below[:-1])))
        out: list[tuple[float, float]] = []
        if above_start.size or below_start.size:
            marks = sorted(
                [(int(i), 1) for i in above_start.tolist()]
                + [(int(i), -1) for i in below_start.tolist()]
            )
            for i, kind in marks:
                if kind < 0:
                    self._armed = True
                    self._armed_at = float(t[i])
                    continue
                if not self._armed:
                    continue
                k = int(np.searchsorted(up, i, side="right")) - 1  # last crossing at or before i
                zc = float(zc_times[k]) if k >= 0 else self._last_zc
                self._armed = False
                if zc is not None:
                    out.append((zc, float(t[i])))
        if up.size:
            self._last_zc = float(zc_times[-1])
        self._above = bool(above[-1])
        self._below = bool(below[-1])
        self._prev_v = float(v[-1])
        self._prev_vt = float(t[-1])
        return out


def _confirmed_up_crossings(t: FloatArray, v: FloatArray, hyst: float) -> list[float]:
    """Upward zero crossings of ``v`` confirmed as ``_UpCrossings`` confirms them (armed by a
    fall below ``-hyst``, confirmed by the next rise above ``+hyst``), within one window."""
    above = v > hyst
    below = v < -hyst
    above_start = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    below_start = np.flatnonzero(below[1:] & ~below[:-1]) + 1
    if not (above_start.size and below_start.size):
        return []
    up = np.flatnonzero((v[:-1] < 0.0) & (v[1:] >= 0.0))
    out: list[float] = []
    armed_from = int(below_start[0])
    for a in above_start.tolist():
        if a < armed_from:
            continue
        k = int(np.searchsorted(up, a - 1, side="right")) - 1  # last crossing into <= a
        if k >= 0 and up[k] >= armed_from - 1:
            i = int(up[k])
            out.append(float(t[i] + (t[i + 1] - t[i]) * (-v[i] / (v[i + 1] - v[i]))))
        nxt = int(np.searchsorted(below_start, a, side="right"))
        if nxt >= below_start.size:
            break
        armed_from = int(below_start[nxt])
    return out


@dataclass
class _Cycle:
    """One cycle of the counting signal, between two confirmed upward zero crossings."""

    start_t: float
    end_t: float
    detected_at: float
    valid: bool
    cadence_rpm: float
    #: Signed evidence for forward (> 0) or backward (< 0), already corrected for the tilt
    #: regime; 0 when the cycle cannot tell.
    vote: float
    #: How late the band-pass shows the closing crossing (group delay at the crank rate):
    #: the revolution ended at ``end_t - delay_s``.
    delay_s: float = 0.0
    #: With a gyroscope: the end and cadence of the revolution between the two latest pitch
    #: extremes (a fixed crank angle each), which replace the |f| cycle's when they agree.
    pitch_end_t: float | None = None
    pitch_rpm: float | None = None
    #: A turn inferred within a gap of lost packets (``_bridge``), not measured.
    inferred: bool = False
    #: Crank-rate amplitude of ``|f|`` over the squared cadence (g/rpm²): the linkage's
    #: effective radius, the same from turn to turn of a run (see ``_PARTIAL_TURN``).
    radius: float = 0.0
    #: The vote is only the crossover's guess (``_WEAK_VOTE``): no measured direction.
    guessed: bool = False
    #: How much its vote tells of the run's direction when not a guess (``_KNOWN_EVIDENCE``).
    evidence: float = _KNOWN_EVIDENCE
    #: Why the cycle is not a revolution (``_measure``, ``_on_cycle``); empty when it is one.
    refused: str = ""

    @property
    def true_end_t(self) -> float:
        return self.end_t - self.delay_s

    @property
    def period(self) -> float:
        return self.end_t - self.start_t

    def runs_into(self, after: _Cycle) -> bool:
        """Whether ``after`` starts where this cycle ends (no crossing lost between)."""
        return abs(self.end_t - after.start_t) < 1e-9

    def keeps_pace(self, after: _Cycle, max_change: float) -> bool:
        """Whether ``after`` runs on from this cycle with a period within ``max_change``
        times this one's, either way."""
        return self.runs_into(after) and max(self.period, after.period) <= max_change * min(
            self.period, after.period
        )


@dataclass(frozen=True)
class _Trust:
    """The trusted direction evidence of a run (turns whose sense is not a guess)."""

    #: Sum of the trusted votes (> 0 forward), the sum of their sizes, and the evidence
    #: they bring (``_KNOWN_EVIDENCE``).
    total: float = 0.0
    weight: float = 0.0
    evidence: float = 0.0

    def add(self, vote: float, evidence: float) -> _Trust:
        return _Trust(self.total + vote, self.weight + abs(vote), self.evidence + evidence)

    @property
    def known(self) -> bool:
        """Whether enough trusted turns agree (``_TRUSTED_AGREEMENT``) on a direction."""
        return (
            self.evidence >= _KNOWN_EVIDENCE - 1e-9
            and self.weight > 0.0
            and abs(self.total) >= _TRUSTED_AGREEMENT * self.weight
        )


@dataclass(frozen=True)
class _Segment:
    """The running segment (a run of turns one way) as the detector keeps it."""

    #: Summed direction evidence of its turns (> 0 forward), guesses included.
    vote: float
    #: The evidence of its trusted turns (not guesses, not inferred).
    trust: _Trust
    #: Revolutions reported in it.
    emitted: int
    direction: Direction | None
    #: The direction of the run before it, the stop between them, and whether the reversal
    #: at that stop has been reported.
    came_from: Direction | None
    turn_t: float
    reversed: bool


@dataclass
class _GapBridge:
    """The run as it was when packets were lost: its last crossing, period and segment."""

    last_crossing: float
    period_s: float
    delay_s: float
    gap_s: float
    #: The segment before the gap (its direction the run's), restored if the gap is bridged.
    segment: _Segment


@dataclass
class _Bout:
    start_t: float
    end_t: float
    count: dict[Direction, int]
    cadence_sum: dict[Direction, float]
    reversals: int = 0


def sos_group_delay_s(sos: FloatArray, freq_hz: FloatArray, fs: float) -> FloatArray:
    """Group delay in seconds of a second-order-sections filter at ``freq_hz``.

    Section by section (the delays of a cascade add), each from its polynomials: a
    polynomial ``c(z) = sum c_k z^-k`` delays by ``Re(sum k c_k z^-k / c(z))`` samples at
    ``z = exp(j 2 pi f / fs)``, a section by its numerator's delay less its denominator's.
    One transfer function of the whole band-pass (``signal.group_delay(sos2tf(...))``)
    loses its precision as the rate grows: 0.01 samples off at 200 Hz, seconds at 1 kHz,
    with SciPy warning of a singularity from about 400 Hz.
    """
    z = np.exp(-2j * math.pi * np.asarray(freq_hz, dtype=np.float64) / fs)[:, None]
    powers = z ** np.arange(3)
    k = np.arange(3)
    samples = np.zeros(powers.shape[0])
    for section in np.asarray(sos, dtype=np.float64):
        for coefs, sign in ((section[:3], 1.0), (section[3:], -1.0)):
            samples += sign * np.real((powers * (coefs * k)).sum(1) / (powers * coefs).sum(1))
    out: FloatArray = samples / fs
    return out


class PedallingDetector(DetectorBase):
    """Streaming pedalling detector (see the module docstring for the method).

    Parameters
    ----------
    params
        Frozen parameters.
    info
        The stream; the placement should be a shank, ankle or foot (the registry builds it only
        there), ``has_gyro`` selects the gyroscope method of direction.
    """

    block_rows = _BLOCK_ROWS

    def __init__(self, params: PedallingParams, info: StreamInfo) -> None:
        # A gap up to ``max_bridged_gap_s`` leaves the filters running (module docstring, 5).
        super().__init__(info, max(1.5, params.max_bridged_gap_s * info.sample_rate_hz))
        self.params = params
        fs = info.sample_rate_hz
        self._fs = fs
        self._gyro = info.has_gyro
        # A thigh swings about the hip: its pitch repeats every turn (the revolutions are
        # timed by it), but its motion is an arc whose time asymmetry depends on the rider's
        # saddle height, setback and ankling (module docstring, "Thigh"): no direction is read.
        self._thigh = info.placement.canonical is Placement.THIGH
        if self._thigh and not self._gyro:
            raise ValueError("pedalling on a thigh needs a gyroscope (has_gyro)")
        nyq = fs / 2.0
        high = min(params.band_high_hz, 0.45 * fs)
        low = min(params.band_low_hz, 0.5 * high)
        band_sos: FloatArray = signal.butter(2, [low / nyq, high / nyq], "bandpass", output="sos")
        self._band = StreamingSOS(band_sos)
        # Squared amplitude of the counting signal, smoothed over about one slow revolution.
        env_hz = min(0.5, 0.2 * nyq)
        self._env = StreamingSOS(signal.butter(1, env_hz / nyq, output="sos"))
        # With a gyroscope the pitch rate's power tells a still crank (the segment's rotation
        # stops with the crank; its acceleration's band-passed power rings on after a stop),
        # smoothed as |f|'s power is, when it is needed (``_still_time``).
        self._smoother = signal.butter(1, env_hz / nyq)
        # The band-pass's group delay over the crank rates (crossings are seen that late).
        self._delay_hz: FloatArray = np.linspace(0.1, min(8.0, 0.45 * fs), 256)
        self._delay_s: FloatArray = sos_group_delay_s(band_sos, self._delay_hz, fs)
        # The power smoother's delay (first order: 1/(2π·fc) at low frequency).
        self._smoother_delay_s = 1.0 / (2.0 * math.pi * env_hz)
        # After a restart (a gap of lost packets) the filters start afresh: not a still crank
        # until they have settled, about twice the band-pass's delay at 1 Hz and the
        # smoother's.
        self._settle_s = 2.0 * (self._group_delay_s(1.0) + self._smoother_delay_s)
        # Leaky integrator: 1/(s + a) discretised; state starts at zero (a constant offset of
        # the pitch only rotates the frame and leaves the turning sense alone).
        a = 2.0 * math.pi * params.pitch_integrator_hz
        b_lp, a_lp = signal.bilinear([1.0], [1.0, a], fs=fs)
        self._pitch = StreamingSOS(signal.tf2sos(b_lp, a_lp), steady=False)
        tilt = (
            params.foot_tilt_deg if info.placement.canonical is Placement.FOOT else params.tilt_deg
        )
        self._tilt_g = math.sin(math.radians(tilt))
        max_period_s = 60.0 / params.min_cadence_rpm
        # Columns: time, horizontal (x) band-passed, |f| band-passed, |f| raw, crank-rate
        # power of |f|, raw x and z; with a gyroscope also the raw pitch rate (°/s) and the
        # winding of the levelled acceleration (rad).
        history_s = max(2.2 * max_period_s, _TURN_LOOKBACK_S + 1.0)
        history_rows = math.ceil(history_s * fs) + _BLOCK_ROWS + 8
        self._history_rows = history_rows
        self._history = History(
            history_rows, _COL_WIND + 1 if self._gyro else _COL_RATE, spare=history_rows
        )
        self._external: deque[tuple[float, float]] = deque(maxlen=16)
        self._zc = _UpCrossings()
        self._still_box = max(1, round(_STILL_SMOOTH_S * fs))
        self._still_boxes = max(2, round(_STILL_WINDOW_S / _STILL_SMOOTH_S))
        self._reset_signal_state()
        self._last_t: float | None = None
        # Segment and bout state (kept across gaps; they end by time).
        self._pending: list[_Cycle] = []
        # Before a bout: the turns just before the pending ones, refused only for their shape
        # or for a change of pace (a spin-up), which the bout may start with (``_lead_in``).
        self._lead: list[_Cycle] = []
        self._prev_cycle: _Cycle | None = None
        self._segment_vote = 0.0
        self._trust = _Trust()
        self._segment_dir: Direction | None = None
        self._segment_emitted = 0
        # The direction of the run before this segment, the stop between them, and whether
        # this segment reported the turn already.
        self._seg_from: Direction | None = None
        self._seg_turn_t = 0.0
        self._seg_reversed = False
        # A weak first turn of a run, waiting for the run's next turn (see ``_on_cycle``).
        self._held: _Cycle | None = None
        #: ... or a slowing turn, waiting to see the crank move on (see ``_on_cycle``).
        self._held_slowing = False
        self._last_dir: Direction | None = None
        self._last_rev_end: float | None = None
        self._bout: _Bout | None = None
        self._turned_at = -math.inf
        # The running turn before a short gap of lost packets (see ``_bridge``).
        self._gap_bridge: _GapBridge | None = None
        # The last still crank a suggested reversal found (gyroscope; kept across gaps).
        self._seen_stop: float | None = None

    # -- public -----------------------------------------------------------------------------

    @property
    def latency_s(self) -> float:
        """Look-ahead before a revolution is reported: a bout's first revolution waits for the
        ``bout_start_revolutions - 1`` after it (slowest cadence); later ones are reported as
        they complete, reversals half a turn after the crank turned round (gyroscope)."""
        return max(1, self.params.bout_start_revolutions - 1) * 60.0 / self.params.min_cadence_rpm

    def external_cadence(self, t_s: float, rpm: float) -> None:
        """Offer a cadence from a crank sensor (BLE CSC, 0x2A5B) measured at ``t_s``.

        Revolutions completing within ``external_max_age_s`` after it report this cadence;
        counting and direction still come from the band. Offer values before the samples that
        follow them in time.
        """
        if math.isfinite(t_s) and math.isfinite(rpm) and rpm >= 0.0:
            self._external.append((float(t_s), float(rpm)))

    def flush(self) -> list[Event]:
        events: list[Event] = []
        self._drop_pending()
        if self._last_t is not None:
            self._release_held(self._last_t, events)
        if self._bout is not None and self._last_t is not None:
            events.append(self._close_bout(self._last_t))
        return events

    # -- signal path ------------------------------------------------------------------------

    def _restart(self, t_s: float, events: list[Event]) -> None:
        if self._last_t is not None:
            self._release_held(self._last_t, events)
        self._gap_bridge = self._bridge_state(t_s)
        self._reset_signal_state()
        self._prev_cycle = None
        self._drop_pending()
        self._end_segment()

    def _reset_signal_state(self) -> None:
        self._band.reset()
        self._env.reset()
        # A reversal the winding suggested, waiting for the crank's stop before it (gyroscope).
        self._turn_candidate: tuple[Direction, float] | None = None
        self._pitch.reset()
        self._history.clear()
        self._settled_t: float | None = None  # set by the first sample after the restart
        self._zc.reset()
        self._last_rate_mark: float | None = None
        self._last_boundary: float | None = None
        self._boundary_before: float | None = None
        self._last_delay_s: float | None = None
        # Winding of the levelled (horizontal, |f|) acceleration, gyroscope only.
        self._wind = 0.0
        self._wind_angle: float | None = None
        self._wind_sense = 0  # +1 / -1: the sense it last wound in by a turn fraction; 0: none
        self._wind_ext = 0.0  # extreme of the winding in that sense since then
        # The last raw |f| values the stillness test looks back over, and whether the crank
        # was still at the last sample (no gyroscope, see ``_STILL_WINDOW_S``).
        self._box_sum = 0.0  # raw |f| summed over the box being filled, and its samples
        self._box_n = 0
        self._box_means: deque[float] = deque(maxlen=self._still_boxes)
        self._still = False
        #: The crank's last still spell (no gyroscope): when it began, when it moved again.
        self._still_since: float | None = None
        self._moved_at: float | None = None
        self._from_rest = False  # the next crossing is a run's first from a still crank

    def _process(self, block: Samples, events: list[Event]) -> None:
        acc = block.acc_g
        norm = np.sqrt(np.einsum("ij,ij->i", acc, acc))
        if self._gyro:
            self._scan(block, norm, events)
            return
        start = 0
        for i in self._still_onsets(block.time_s, norm):
            if i > start:
                self._scan(block.slice(start, i), norm[start:i], events)
            self._on_still(block.time_s[i : i + 1], float(acc[i, 0]), float(norm[i]), events)
            start = i
        self._scan(block.slice(start, len(block)) if start else block, norm[start:], events)

    def _still_onsets(self, t: FloatArray, norm: FloatArray) -> list[int]:
        """Samples of this block at which the crank became still (see ``_STILL_WINDOW_S``);
        when it moved again is kept in ``_moved_at``.

        ``|f|`` is averaged over boxes of ``_STILL_SMOOTH_S`` counted from the filters' start
        (the last gap), and the test is made at the last sample of each box, so every
        chunking finds the same samples; one box completes per BLE chunk or so.
        """
        box = self._still_box
        n = norm.shape[0]
        fill = box - self._box_n  # samples that complete the box being filled
        if n < fill:
            self._box_sum += float(norm.sum())
            self._box_n += n
            return []
        m = 1 + (n - fill) // box
        used = fill + (m - 1) * box
        means = [(self._box_sum + float(norm[:fill].sum())) / box]
        if m > 1:
            means += norm[fill:used].reshape(m - 1, box).mean(axis=1).tolist()
        self._box_sum = float(norm[used:].sum())
        self._box_n = n - used
        limit = _STILL_RANGE * self.params.min_amplitude_g
        recent = self._box_means
        onsets: list[int] = []
        for k, mean in enumerate(means):
            recent.append(mean)
            if len(recent) < self._still_boxes:
                continue
            still = max(recent) - min(recent) <= limit
            if still and not self._still:
                onsets.append(fill - 1 + k * box)
            elif self._still and not still:
                self._moved_at = float(t[fill - 1 + k * box])
            self._still = still
        return onsets

    def _on_still(self, now: FloatArray, horiz: float, norm: float, events: list[Event]) -> None:
        """The crank stood still (no gyroscope): end the run, restart the signal path.

        A crossing the crank made just before it stopped waited for the rise that confirms
        it; the stop ended the motion, not the crossing: it closes the run's last cycle (which
        ``_measure`` and ``_partial`` judge as any other). Then the run ends (the segment, a
        held first turn, the turns pending a bout start) and the band-pass and its power
        restart at the still level, as after a gap of lost packets: the next run's cycles
        start from its own first crossing, not from the filters' memory of this one.
        """
        t = float(now[0])
        self._still_since = t - _STILL_WINDOW_S
        zc = self._zc.pending()
        if zc is not None:
            self._check_bout_end(t, events, now)
            self._on_boundary(t, zc, events)
        held = self._held
        if self._held_slowing and held is not None and t - _STILL_WINDOW_S < held.end_t:
            # The crank was still already when the crossing that closed the slowing turn
            # came: the band-pass's ringing closed it, not the crank; it was the partial turn
            # into the stop (not counted; see ``_on_cycle``). It went the run's way, though,
            # and its sense may tell a run that had none (an unknown run).
            partial, self._held, self._held_slowing = held, None, False
            if self._segment_dir is Direction.UNKNOWN:
                self._add_vote(partial)
                self._decided_late(t, events)
        self._release_held(t, events)
        self._drop_pending()
        self._end_segment()
        self._band.reset()
        self._band.process(np.array([[horiz, norm]]))
        self._env.reset()
        self._env.process(np.zeros(1))
        self._zc.reset()
        self._last_boundary = None
        self._boundary_before = None
        self._last_delay_s = None
        self._from_rest = True

    def _scan(self, block: Samples, norm: FloatArray, events: list[Event]) -> None:
        t = block.time_s
        acc = block.acc_g
        if self._gyro and block.gyro_dps is not None:
            rate_dps = block.gyro_dps[:, 1]
            pitch = self._pitch.process(np.deg2rad(rate_dps))
            cos_p, sin_p = np.cos(pitch), np.sin(pitch)
            horiz = cos_p * acc[:, 0] + sin_p * acc[:, 2]
            # The levelled vertical too: linear in the acceleration, it turns with the crank
            # at any cadence, where |f| (the counting channel) grows strong harmonics once
            # r·ω² passes 1 g (the second 0.6-0.9 of the fundamental at 110-130 rpm on the
            # simulated shank) and its winding runs back within a turn.
            vert = cos_p * acc[:, 2] - sin_p * acc[:, 0]
            filt = self._band.process(np.column_stack((horiz, norm, vert)))
        else:
            horiz = acc[:, 0]
            filt = self._band.process(np.column_stack((horiz, norm)))
        v = filt[:, 1]
        env = self._env.process(v * v)
        turns: list[tuple[float, float]] = []
        if self._gyro and block.gyro_dps is not None:
            turns, wind = self._turns(t, filt)
        rows = self._history.append(t.shape[0])
        rows[:, 0] = t
        rows[:, 1] = filt[:, 0]
        rows[:, 2] = v
        rows[:, 3] = norm
        rows[:, 4] = env
        rows[:, _COL_X_RAW] = acc[:, 0]
        rows[:, _COL_Z_RAW] = acc[:, 2]
        if self._gyro and block.gyro_dps is not None:
            rows[:, _COL_RATE] = block.gyro_dps[:, 1]
            rows[:, _COL_WIND] = wind
        self._history.keep_last(self._history_rows)
        if self._settled_t is None:
            self._settled_t = float(t[0]) + self._settle_s
        hyst = np.maximum(
            self.params.hysteresis_fraction * np.sqrt(2.0 * np.maximum(env, 0.0)),
            0.5 * self.params.min_amplitude_g,
        )
        boundaries = self._zc.update(t, v, hyst)
        # Both kinds of evidence in time order, so any chunking takes the same path.
        marks = sorted(
            [(at_t, 0, zc_t, 0.0) for zc_t, at_t in boundaries]
            + [(at_t, 1, at_t, sense) for at_t, sense in turns]
        )
        for at_t, kind, when, sense in marks:
            self._check_bout_end(at_t, events, t)
            if kind == 1:
                self._on_turn(at_t, sense, events)
                continue
            # A turn the winding suggested is checked again at each crossing (a point in the
            # signal, so every chunking checks it at the same samples).
            self._confirm_turn(at_t, events)
            self._on_boundary(at_t, when, events)
        self._check_bout_end(float(t[-1]), events, t)
        self._last_t = float(t[-1])

    def _on_boundary(self, at_t: float, when: float, events: list[Event]) -> None:
        """A confirmed upward crossing at ``when`` (confirmed at ``at_t``) closes a cycle."""
        delay = None
        if self._last_boundary is not None:
            # Each crossing is seen late by the band-pass's group delay at the crank rate
            # of its time; during a spin-up the two ends of a cycle are delayed unequally.
            mid = self._lost_crossing(when)
            if mid is not None:
                # Two turns between these crossings, one crossing lost in a bridged gap: the
                # first ends half-way (inferred), then the second is measured as any other.
                first = self._measure(self._last_boundary, mid, at_t, mid - self._last_boundary)
                first.delay_s = self._last_delay_s or 0.0
                first.inferred = first.valid
                self._on_cycle(first, events)
                self._boundary_before, self._last_boundary = self._last_boundary, mid
            delay = self._group_delay_s(1.0 / max(when - self._last_boundary, 1e-3))
            before = delay if self._last_delay_s is None else self._last_delay_s
            period = (when - delay) - (self._last_boundary - before)
            cycle = self._measure(self._last_boundary, when, at_t, period)
            cycle.delay_s = delay
            if self._gyro and cycle.valid:
                self._time_by_pitch(cycle)
                prev = self._prev_cycle
                if (
                    self._thigh
                    and cycle.pitch_end_t is None
                    and prev is not None
                    and prev.valid
                    and prev.runs_into(cycle)
                ):
                    # Within a run a thigh's pitch repeats every turn of a crank (every
                    # second |f| cycle of a walk, a stride of two steps): a cycle it does not
                    # repeat in is no revolution. (A run's first cycle has no pitch extreme
                    # of its own run before it to compare.)
                    cycle.valid, cycle.refused = False, "pitch"
            self._on_cycle(cycle, events)
        elif self._from_rest:
            # The first crossing of a run from a still crank: the crank passed the slowest
            # rates first, and the band-pass shows its first crossing that late.
            delay = self._group_delay_s(self.params.min_cadence_rpm / 60.0)
        self._from_rest = False
        self._boundary_before = self._last_boundary
        self._last_boundary = when
        self._last_delay_s = delay

    def _lost_crossing(self, when: float) -> float | None:
        """Where the crossing lost in a bridged gap lay, if the cycle closing at ``when``
        spans one: it took twice the turn before it (within ``_BRIDGE_PHASE_TOL``) and
        packets were lost within it. A gap of up to 0.3 s is up to 0.6 of a turn at 120 rpm:
        the crank's crossing can fall in it, and the cycle across it spans two turns (refused
        as not smooth, a turn lost at each such gap: 4 of 6 gaps of 0.05-0.3 s at 120 rpm on
        the crank model)."""
        prev, last = self._prev_cycle, self._last_boundary
        if prev is None or last is None or not prev.valid or abs(prev.end_t - last) > 1e-9:
            return None
        turns = (when - last) / prev.period
        if abs(turns - 2.0) > _BRIDGE_PHASE_TOL:
            return None
        if not self._holed_rows(self._history.between(last, when + 1e-9)):
            return None
        return last + 0.5 * (when - last)

    def _turns(
        self, t: FloatArray, filt: FloatArray
    ) -> tuple[list[tuple[float, float]], FloatArray]:
        """Where the levelled acceleration changed its sense of winding by a turn fraction.

        Returns ``(time of the confirming sample, new sense)`` pairs (sense ``-1`` is
        forward, see ``_FORWARD_WINDING``) and the winding (rad, cumulative) at each sample.
        Samples whose crank-rate amplitude is below half ``min_amplitude_g`` (a still crank)
        add no winding, so a pause winds nothing.
        """
        u, v = filt[:, 0], filt[:, 2]
        angle = np.arctan2(v, u)
        strong = (u * u + v * v) >= (0.5 * self.params.min_amplitude_g) ** 2
        prev = angle[0] if self._wind_angle is None else self._wind_angle
        step = np.empty_like(angle)  # np.diff(angle, prepend=prev), without its overhead
        step[0] = angle[0] - prev
        np.subtract(angle[1:], angle[:-1], out=step[1:])
        step = (step + math.pi) % (2.0 * math.pi) - math.pi
        step[~strong] = 0.0
        # The last angle whatever its strength: a step into a strong sample counts from the
        # sample before it, as within a chunk (keeping only strong angles made one-sample
        # chunks drop that step after a weak sample: reversals 20 ms later than the batch run
        # after a packet gap).
        self._wind_angle = float(angle[-1])
        wind = np.cumsum(np.concatenate(([self._wind], step)))[1:]
        self._wind = float(wind[-1])
        limit = 2.0 * math.pi * self.params.reversal_turn_fraction
        out: list[tuple[float, float]] = []
        pos = 0
        n = wind.shape[0]
        while pos < n:
            w = wind[pos:]
            if self._wind_sense == 0:
                hit = np.flatnonzero(np.abs(w - self._wind_ext) >= limit)
                if not hit.size:
                    return out, wind
                i = pos + int(hit[0])
                self._wind_sense = 1 if wind[i] > self._wind_ext else -1
                self._wind_ext = float(wind[i])
                pos = i + 1
                continue
            sense = self._wind_sense
            # Running extreme in the current sense (max for +1, min for -1).
            ext = (
                sense
                * np.maximum.accumulate(np.concatenate(([sense * self._wind_ext], sense * w)))[1:]
            )
            back = sense * (ext - w)
            hit = np.flatnonzero(back >= limit)
            if not hit.size:
                self._wind_ext = float(ext[-1])
                return out, wind
            i = pos + int(hit[0])
            out.append((float(t[i]), float(-sense)))
            self._wind_sense = -sense
            self._wind_ext = float(wind[i])
            pos = i + 1
        return out, wind

    def _still_time(self, at_t: float, since: float = -math.inf) -> tuple[float, float]:
        """When the crank, standing still before ``at_t`` (and after ``since``), moved again
        (gyroscope): the end of the quietest stretch of the pitch rate's power within
        ``_TURN_LOOKBACK_S``, less the smoother's delay, not counting the filters' start
        after a gap of lost packets (no power yet, no stop); and the power there (°/s
        squared). The segment stops turning with the crank, and the labels date a reversal
        when the crank starts the other way (the crank model of the tests dates it at the
        middle of the stop, up to 1.5 s earlier for the stops of up to 3 s that the
        simulator labels reversals)."""
        settled = -math.inf if self._settled_t is None else self._settled_t
        start = max(at_t - _TURN_LOOKBACK_S, since)
        sel = self._history.between(max(start, settled), at_t + 1e-9)
        if sel.shape[0] == 0:
            sel = self._history.between(start, at_t + 1e-9)
        if sel.shape[0] == 0:
            return at_t, math.inf
        # The power, smoothed from up to a second before the window (the smoother's state at
        # its start: the mean over that second, or over the window's first 0.3 s after a gap).
        lead = self._history.between(max(sel[0, 0] - 1.0, settled), sel[0, 0])
        if lead.shape[0] == 0:
            lead = sel[: max(1, round(0.3 * self._fs))]
        b, a = self._smoother
        rate2 = sel[:, _COL_RATE] ** 2
        state = signal.lfilter_zi(b, a) * float(np.mean(lead[:, _COL_RATE] ** 2))
        power, _ = signal.lfilter(b, a, rate2, zi=state)
        lowest = float(power.min())
        quiet = np.flatnonzero(power <= lowest + _QUIET_RATE_DPS**2)
        return float(max(sel[0, 0], sel[quiet[-1], 0] - self._smoother_delay_s)), lowest

    def _time_by_pitch(self, cycle: _Cycle) -> None:
        """Time the revolution by the pitch rate's zero crossings (gyroscope).

        Seated, the leg is a one-degree-of-freedom linkage (hip-knee-ankle-crank): the shank's
        pitch is a function of the crank angle, so its extremes (pitch rate crossing zero) come
        at the same crank angles every turn, whatever the cadence does in between. The time
        between two of them is exactly one revolution, read from the unfiltered rate (no
        delay), while the |f| cycle's zero crossings move with the band-pass's transients when
        the cadence changes (spin-ups, slow-downs). Used when the two periods agree.
        """
        period = 60.0 / cycle.cadence_rpm
        # Two crossings, the later within 1.1 periods of the cycle's end, the earlier up to
        # _PITCH_PERIOD_RATIO periods before it, and the arming swing before that.
        sel = self._history.between(
            cycle.true_end_t - (2.6 + _PITCH_PERIOD_RATIO) * period, cycle.detected_at + 1e-9
        )
        if sel.shape[0] < 8 or sel.shape[1] <= _COL_RATE:
            return
        marks = _confirmed_up_crossings(sel[:, 0], sel[:, _COL_RATE], _RATE_HYSTERESIS_DPS)
        if len(marks) < 2 or marks[-1] == self._last_rate_mark:
            return
        g1, g2 = marks[-2], marks[-1]
        end = g2
        ratio = (g2 - g1) / period
        # The latest pitch revolution, if it ended within this cycle (any crank angle is as
        # good a start of a turn as another; only a stale one is refused).
        if end < cycle.true_end_t - 1.1 * period or not (
            1.0 / _PITCH_PERIOD_RATIO <= ratio <= _PITCH_PERIOD_RATIO
        ):
            return
        cycle.pitch_end_t = end
        cycle.pitch_rpm = 60.0 / (g2 - g1)
        self._last_rate_mark = g2

    def _group_delay_s(self, hz: float) -> float:
        return float(np.interp(hz, self._delay_hz, self._delay_s))

    def _measure(self, start_t: float, end_t: float, at_t: float, period_s: float) -> _Cycle:
        """Features of one cycle from the ring buffer; ``period_s`` is delay-corrected."""
        p = self.params
        period = end_t - start_t
        cadence = 60.0 / period_s if period_s > 0 else math.inf

        def bad(why: str) -> _Cycle:
            return _Cycle(start_t, end_t, at_t, False, cadence, 0.0, refused=why)

        if not (p.min_cadence_rpm <= cadence <= p.max_cadence_rpm):
            return bad("cadence")
        sel = self._history.between(start_t, end_t)
        if sel.shape[0] < 8:
            return bad("samples")
        phase = (2.0 * math.pi / period) * (sel[:, 0] - start_t)
        e1 = np.exp(-1j * phase)
        basis = np.column_stack((e1, e1 * e1, e1 * e1 * e1))  # crank harmonics 1-3
        if self._holed_rows(sel):
            # Packets lost within the cycle (a bridged gap): the samples no longer cover it
            # evenly and projecting on the harmonics leaks one into another (cycles across a
            # gap failed the smoothness test 11 times as often); least squares fits them.
            coef = _fit_harmonics(basis, sel[:, 1:4])
            x_coef, n_coef, harm = complex(coef[0, 0]), complex(coef[0, 1]), coef[:, 2]
            raw = sel[:, 3] - float(coef[-1, 2].real)
        else:
            m = sel.shape[0]
            x_coef = 2.0 * (sel[:, 1] @ basis[:, 0]) / m
            n_coef = 2.0 * (sel[:, 2] @ basis[:, 0]) / m
            raw = sel[:, 3] - sel[:, 3].mean()
            harm = 2.0 * (raw @ basis) / m
        n_amp = abs(n_coef)
        if n_amp < p.min_amplitude_g:
            return bad("amplitude")
        fit = (basis.conj() @ harm[:3]).real
        residual = float(np.sqrt(np.mean((raw - fit) ** 2)))
        if residual > p.max_residual_ratio * abs(harm[0]) and not self._smooth_otherwise(
            sel, basis, n_amp
        ):
            return bad("residual")
        # A whole turn keeps turning: a cycle whose one half is much quieter than the other
        # holds the start or the end of the motion (a partial turn), not a revolution.
        first = phase < math.pi
        p_first = float(np.mean(sel[first, 2] ** 2)) if bool(first.any()) else 0.0
        p_second = float(np.mean(sel[~first, 2] ** 2)) if bool((~first).any()) else 0.0
        if min(p_first, p_second) < _HALF_POWER_RATIO * max(p_first, p_second):
            return bad("halves")
        if self._stride_like(start_t, end_t):
            return bad("stride")
        x_amp = abs(x_coef)
        sense = (x_coef.conjugate() * n_coef).imag / (x_amp * n_amp) if x_amp > 0 else 0.0
        vote = float(sense)
        guessed = False
        evidence = _KNOWN_EVIDENCE
        if not self._gyro:
            h1, h2 = complex(harm[0]), complex(harm[1])
            odd = (h2 * h1.conjugate() ** 2).imag / abs(h1) ** 3 if h1 else 0.0
            vote, guessed, evidence = self._no_gyro_vote(vote, odd, n_amp, sel, start_t, end_t)
        elif self._thigh:
            vote, guessed, evidence = 0.0, True, 0.0  # module docstring, "Thigh"
        elif abs(vote) < _CONFIDENT_VOTE:
            guessed, evidence = True, 0.0
        if self._braking(start_t, end_t) or self._holed(start_t, end_t):
            guessed, evidence = True, 0.0
        return _Cycle(
            start_t,
            end_t,
            at_t,
            True,
            cadence,
            vote,
            radius=n_amp / cadence**2,
            guessed=guessed,
            evidence=evidence,
        )

    def _smooth_otherwise(
        self, sel: FloatArray, basis: NDArray[np.complex128], n_amp: float
    ) -> bool:
        """Whether a cycle whose ``|f|`` is not smooth is smooth in signals linear in the
        motion (see ``_VECTOR_RESIDUAL``): the band's x and z acceleration when the crank's
        acceleration is strong (``|f|`` then grows harmonics of its own), the pitch rate on a
        thigh (whose |f| is small against its harmonics at any cadence)."""
        holed = self._holed_rows(sel)

        def residual(values: FloatArray) -> float:
            """Rms left after the first three harmonics, over the fundamental's amplitude
            (summed over the columns)."""
            if holed:
                coef = _fit_harmonics(basis, values)
                harm, mean = coef[:-1], coef[-1].real
            else:
                mean = values.mean(axis=0)
                harm = 2.0 * (basis.T @ (values - mean)) / values.shape[0]
            fit = (basis.conj() @ harm).real
            left = float(np.sum(np.mean((values - mean - fit) ** 2, axis=0)))
            fundamental = float(np.sum(np.abs(harm[0]) ** 2) / 2.0)
            return math.sqrt(left / fundamental) if fundamental > 0 else math.inf

        if n_amp >= _STRONG_G and (residual(sel[:, [_COL_X_RAW, _COL_Z_RAW]]) <= _VECTOR_RESIDUAL):
            return True
        return self._thigh and residual(sel[:, [_COL_RATE]]) <= _PITCH_RESIDUAL

    def _holed_rows(self, rows: FloatArray) -> bool:
        """Whether packets were lost between these rows (a gap the filters bridged)."""
        if rows.shape[0] < 2:
            return False
        return float(np.max(np.diff(rows[:, 0]))) > GAP_PERIODS / self._fs

    def _holed(self, start_t: float, end_t: float) -> bool:
        """Whether packets were lost within this cycle or the period before it (a gap the
        filters bridged): the band-pass rings on the jump and the cycle's phase is not the
        crank's (on simulated rides with a 10-300 ms gap every 2 s, a spin-up cycle across a
        0.26 s gap, and a cycle just after a 0.25 s one, read the other way at 0.7-0.95 of
        full sense). Such a cycle is counted, but tells no direction."""
        return self._holed_rows(self._history.between(start_t - (end_t - start_t), end_t + 1e-9))

    def _braking(self, start_t: float, end_t: float) -> bool:
        """Whether the crank slowed hard within this cycle: it took more than
        ``max_period_change`` × the cycle before. Braking turns the acceleration backward
        relative to the crank (from centripetal towards tangential), and such a turn's sense
        tells no direction: with a gyroscope 4 of the 22 such turns of 100 simulated rides read
        the wrong way (0.66-0.97 of full sense), against 1 of 6,015 other turns (at 0.02)."""
        before = self._boundary_before
        return (
            before is not None
            and before < start_t
            and end_t - start_t > self.params.max_period_change * (start_t - before)
        )

    def _steady(self, start_t: float, end_t: float) -> bool:
        """Whether the cycle before this one took as long, within ``_STEADY_PERIOD``: the
        shape of a spin-up or slow-down cycle is not the shape of the posture."""
        before = self._boundary_before
        if before is None or before >= start_t:
            return False
        return abs((start_t - before) - (end_t - start_t)) <= _STEADY_PERIOD * (end_t - start_t)

    def _no_gyro_vote(
        self,
        sense: float,
        odd: float,
        n_amp: float,
        sel: FloatArray,
        start_t: float,
        end_t: float,
    ) -> tuple[float, bool, float]:
        """A turn's direction evidence without a gyroscope, whether it is only a guess, and
        how much it tells (``_KNOWN_EVIDENCE``).

        The shank's swing tips gravity into the horizontal axis in phase with the crank's own
        horizontal acceleration, so the turning sense is ``±(r·ω² + C)`` with ``C`` fixed by
        the rider's linkage: inverted while the vertical crank-rate amplitude ``r·ω²`` is
        below the crossover (where it equals ``-C``), without direction at it. The crossover
        lies at 1.05-1.2 × ``g·sin(tilt)`` on the tests' crank model (six riders, the band
        pitched -30 to +20°) and at 1.3-1.6 × on the simulator's riders. A turn's direction
        is trusted only when independent readings agree and none contradicts:

        - the sense, strong (``_TRUSTED_SENSE``), its sample-by-sample winding not the other
          way or twice (a cycle spanning two turns), and the amplitude clear of every
          crossover seen: read as it is from ``tilt_ratio_high`` up, inverted up to
          ``tilt_ratio_low`` on a steady shank turn (a foot's ankling does not follow the
          tilt model: on the simulated foot the raw sense was right at every amplitude, so a
          foot below ``tilt_ratio_high`` is not read from it either way);
        - on a steady shank turn below ``tilt_ratio_high``, the time-reversal-odd shape of
          ``|f|``, ``Im(N₂·conj(N₁)²)/|N₁|³`` (orientation-free; it flips sign with the
          direction and is positive forward there on both models: ``_ODD_SHAPE``).

        Anything else is a weak guess on the nearer side (``guessed``): counted with the
        run, never its direction. Margins: ``_TRUSTED_SENSE``, ``_ODD_SHAPE``.
        """
        p = self.params
        ratio = n_amp / self._tilt_g if self._tilt_g > 0 else math.inf
        shank = self.info.placement.canonical is not Placement.FOOT
        steady = self._steady(start_t, end_t)
        readings: list[tuple[float, float]] = []
        if abs(sense) >= _TRUSTED_SENSE and not self._winding_contradicts(sense, sel):
            if ratio >= p.tilt_ratio_high:
                readings.append((sense, _KNOWN_EVIDENCE))
            elif ratio <= p.tilt_ratio_low and shank and steady:
                readings.append((-sense, _HALF_EVIDENCE))
        if shank and steady and ratio < p.tilt_ratio_high and abs(odd) >= _ODD_SHAPE:
            readings.append((math.copysign(_SHAPE_VOTE, odd), _HALF_EVIDENCE))
        signs = {math.copysign(1.0, v) for v, _ in readings}
        if len(signs) == 1:
            vote = max((v for v, _ in readings), key=abs)
            return vote, False, min(_KNOWN_EVIDENCE, sum(e for _, e in readings))
        # A guess on the nearer side: any trusted turn of the same run outweighs it.
        side = 1.0 if ratio >= math.sqrt(p.tilt_ratio_low * p.tilt_ratio_high) else -1.0
        return _WEAK_VOTE * side * math.copysign(1.0, sense), True, 0.0

    @staticmethod
    def _winding_contradicts(sense: float, sel: FloatArray) -> bool:
        """Whether the (horizontal, |f|) crank-rate acceleration wound, sample by sample over
        the cycle, the other way than its fundamental's ``sense`` says, or twice (the cycle
        then spans two turns: a crossing was missed)."""
        angle = np.unwrap(np.arctan2(sel[:, 2], sel[:, 1]))
        turns = float(angle[-1] - angle[0]) / (2.0 * math.pi)
        wrong_way = abs(turns) >= 0.75 and math.copysign(1.0, turns) == math.copysign(1.0, sense)
        return wrong_way or abs(turns) >= 1.5

    def _stride_like(self, start_t: float, end_t: float) -> bool:
        """Whether this cycle and the one before it look like two steps of one stride.

        Walking turns the shank too, but one leg's motion repeats once per stride, i.e. every
        *two* cycles of ``|f|`` (each foot's contact shakes the whole body); a crank repeats
        every cycle. So the component at half the cycle rate, over the two cycles, is large
        for walking and near zero for pedalling.
        """
        before = self._boundary_before
        if before is None or before >= start_t:
            return False
        if (start_t - before) > self.params.max_period_change * (end_t - start_t) or (
            end_t - start_t
        ) > self.params.max_period_change * (start_t - before):
            return False  # a fast spin-up or slow-down: the pair is not periodic either way
        sel = self._history.between(before, end_t)
        if sel.shape[0] < 16:
            return False
        phase = (2.0 * math.pi / (end_t - before)) * (sel[:, 0] - before)
        half = np.exp(-1j * phase)
        full = half * half
        chans = sel[:, 1:3]
        if self._holed_rows(sel):
            # A bridged gap within the pair: the band-pass rings on the jump and reads as
            # half-rate content (the turns either side of 0.1-0.3 s gaps were refused as
            # strides), and a fit of the raw signals refused more (363 turns lost near the
            # gaps of 160 simulated rides, against 303 untested): the pair is not tested. A
            # walk must still pass the smoothness test and the bout start's alike turns.
            return False
        if self._thigh:
            # A thigh swings once per stride, every second |f| cycle of a walk, and once per
            # turn of a crank: its pitch rate is the plainest stride test there is.
            chans = sel[:, [1, 2, _COL_RATE]]
        sub = np.abs(half @ chans) ** 2
        fund = np.abs(full @ chans) ** 2
        # The horizontal axis alone too: a leg swings once per stride, and its swing can hide
        # behind strong step-rate |f| (soft backward contacts); a crank's horizontal
        # acceleration has nothing at half its rate.
        limit = self.params.max_stride_ratio
        if self._thigh and sub[2] > limit * fund[2]:
            return True
        return bool(sub[:2].sum() > limit * fund[:2].sum() or sub[0] > limit * fund[1])

    # -- revolutions, segments, bouts --------------------------------------------------------

    def _on_cycle(self, cycle: _Cycle, events: list[Event]) -> None:
        prev = self._prev_cycle
        bridge, self._gap_bridge = self._gap_bridge, None
        if cycle.start_t < self._turned_at:
            # It spans the turn: part of it went one way, the rest the other.
            cycle.valid, cycle.refused = False, "turn"
        if cycle.valid and prev is not None and _partial(cycle, prev):
            # The crank stopped within it: the band-pass's ringing closed the cycle.
            cycle.valid, cycle.refused = False, "partial"
        self._prev_cycle = cycle
        if not cycle.valid:
            self._release_held(cycle.detected_at, events)
            self._lead = (
                [*self._lead_before(cycle), cycle]
                if cycle.refused in _LEAD_IN_REFUSALS
                and (self._bout is None or self._segment_emitted == 0)
                else []
            )
            self._pending = []
            self._end_segment()
            return
        bridged = bridge is not None and self._bridge(bridge, cycle, events)
        contiguous = bridged or (
            prev is not None
            and prev.valid
            and prev.keeps_pace(cycle, self.params.max_period_change)
        )
        held = self._held
        if held is not None:
            self._held = None
            if contiguous and prev is held:
                # The held first turn and this one decide the run's first direction together.
                self._add_vote(cycle)
                self._add_vote(held)
                self._emit_lead(held, cycle.detected_at, events)
                self._emit(held, cycle.detected_at, events, counted=True)
                self._emit(cycle, cycle.detected_at, events, counted=True)
                return
            self._emit(held, cycle.detected_at, events)
        if self._segment_emitted and not contiguous:
            self._end_segment()
        if (
            self._segment_emitted
            and self._segment_dir is not None
            and self._gyro
            and cycle.vote * (1.0 if self._segment_dir is Direction.FORWARD else -1.0) < -0.5
        ):
            # A confident opposite turning sense without a stop in between: the crank turned
            # round within one cycle; start a new segment so it counts as a reversal.
            self._end_segment()
        if self._bout is None:
            # A bout starts with ``bout_start_revolutions`` alike turns in a row (two steps of
            # a walk are not alike; a few strides can be, a longer run of them rarely is).
            last = self._pending[-1] if self._pending else None
            if last is not None:
                if not last.keeps_pace(cycle, self.params.max_period_change):
                    self._lead = self._lead_before(cycle)
                    self._pending = []
            elif not self._lead or not self._lead[-1].runs_into(cycle):
                self._lead = []
            self._pending.append(cycle)
            if len(self._pending) < self.params.bout_start_revolutions:
                return
            pending, self._pending = self._pending, []
            # All their evidence decides the first revolutions' direction.
            for c in pending[1:]:
                self._add_vote(c)
            self._emit_lead(pending[0], cycle.detected_at, events)
            for c in pending[:-1]:
                self._emit(c, cycle.detected_at, events, counted=c is not pending[0])
            self._emit(cycle, cycle.detected_at, events, counted=True)
            return
        if self._segment_emitted == 0 and (
            not self._gyro or (self._last_dir is not None and abs(cycle.vote) < _CONFIDENT_VOTE)
        ):
            # A run's first turn after a stop is a spin-up, part of it still; it waits for the
            # run's next turn, and the two decide the run's direction together (without a
            # gyroscope always: one turn's sense never decides a run; with one when weak).
            self._held = cycle
            return
        if self._segment_emitted == 0:
            # A run's first turn, confident: the turns that ran into it start the run.
            self._add_vote(cycle)
            self._emit_lead(cycle, cycle.detected_at, events)
            self._emit(cycle, cycle.detected_at, events, counted=True)
            return
        self._lead = []
        if (
            not self._gyro
            and self._segment_emitted
            and contiguous
            and prev is not None
            and cycle.period > _PARTIAL_SLOWER * prev.period
        ):
            # Slowing down: the crank may be stopping within this turn, and the band-pass
            # closes a cycle on its own ringing while the crank stops; the turn counts once
            # the crank is seen moving on (the next cycle), and not if it stands still first.
            self._held = cycle
            self._held_slowing = True
            return
        self._emit(cycle, cycle.detected_at, events)

    def _drop_pending(self) -> None:
        """Forget the turns waiting to start a bout and the lead that ran into them."""
        self._pending = []
        self._lead = []

    def _emit_lead(self, first: _Cycle, detected_at: float, events: list[Event]) -> None:
        """Report the turns a bout or a run inside one began with (``_lead_in``) before its
        first turn ``first``, whose votes are in."""
        lead, self._lead = self._lead_in(first), []
        for c in lead:
            self._emit(c, detected_at, events, counted=True)

    def _lead_before(self, cycle: _Cycle) -> list[_Cycle]:
        """The turns that ran into ``cycle`` without a break (the lead kept so far and the
        pending turns; the newest ``_LEAD_IN_TURNS``), or none if they end elsewhere."""
        chain = [*self._lead, *self._pending]
        if not chain or not chain[-1].runs_into(cycle):
            return []
        return chain[-_LEAD_IN_TURNS:]

    def _lead_in(self, first: _Cycle) -> list[_Cycle]:
        """The turns a bout or run starting with ``first`` began with: the kept lead, as far
        back as it runs into ``first`` without a break and each turn took from 1 /
        ``max_period_change`` to ``_LEAD_IN_SLOWER`` times the one after it (a spin-up's
        turns are slower). Their sense does not count (their shape did not pass for a turn):
        they take the run's direction, with confidence 0."""
        out: list[_Cycle] = []
        after = first
        for c in reversed(self._lead[-_LEAD_IN_TURNS:]):
            period, next_period = c.period, after.period
            if not c.runs_into(after) or not (
                next_period / self.params.max_period_change
                <= period
                <= _LEAD_IN_SLOWER * next_period
            ):
                break
            out.append(replace(c, valid=True, vote=0.0, guessed=True, evidence=0.0))
            after = c
        return out[::-1]

    def _bridge_state(self, resume_t: float) -> _GapBridge | None:
        """The running turn as packets were lost, if a gap ending at ``resume_t`` may be
        bridged: the bout's last cycle was a reported revolution closing at the last crossing,
        and the gap is shorter than ``_BRIDGE_MAX_TURNS`` of that revolution."""
        prev = self._prev_cycle
        last = self._last_boundary
        if (
            self._bout is None
            or prev is None
            or not prev.valid
            or last is None
            or abs(prev.end_t - last) > 1e-9
            or self._segment_dir is None
            or self._segment_emitted == 0
            or self._last_t is None
        ):
            return None
        gap_s = resume_t - self._last_t
        period = prev.period
        if not (0.0 < gap_s < _BRIDGE_MAX_TURNS * period):
            return None
        return _GapBridge(
            last_crossing=last,
            period_s=period,
            delay_s=prev.delay_s,
            gap_s=gap_s,
            segment=_Segment(
                vote=self._segment_vote,
                trust=self._trust,
                emitted=self._segment_emitted,
                direction=self._segment_dir,
                came_from=self._seg_from,
                turn_t=self._seg_turn_t,
                reversed=self._seg_reversed,
            ),
        )

    def _bridge(self, bridge: _GapBridge, cycle: _Cycle, events: list[Event]) -> bool:
        """Count the turns lost in a short gap of packets, if they are determinate.

        The crossings that close cycles come at one crank angle. The first cycle after the gap
        ends a whole number ``m`` of turns after the last crossing before it: if that span
        over the period before the gap is within ``_BRIDGE_PHASE_TOL`` of a whole number, its
        mean turn takes as long as the turn before the gap (``_BRIDGE_PERIOD_RATIO``), and the
        first cycle after it turned the same way at about the same cadence, the crank kept
        turning through the gap and the ``m - 1`` turns before that cycle are known: they are
        reported as inferred revolutions (``inferred=True``, evenly spaced, no confidence of
        their own) and the run goes on. Anything else (a change of cadence or sense, a phase
        that does not fit) leaves the gap uncounted: a crank cannot stop and turn round
        within a gap shorter than two turns and come out of it at its cadence before (at
        60-100 rpm that is 1.2-2 s for a stop, a pause and a spin-up back to speed; the
        simulated reversals take 3-6 s), but it can speed up or slow down, and
        then the count is not determinate. The end of that cycle is the anchor, not its start:
        the restarted band-pass moves the first crossing after a gap by a few per cent of a
        turn, the second one no longer.
        """
        period = cycle.period
        before = bridge.period_s
        # The first cycle after the gap starts in the band-pass's restart transient: its
        # cadence is only checked loosely (a change of cadence of 15 % shows).
        if period <= 0.0 or max(period, before) > 1.15 * min(period, before):
            return False
        if bridge.gap_s >= _BRIDGE_MAX_TURNS * min(period, before):
            return False
        seg = bridge.segment
        if seg.direction is Direction.UNKNOWN:
            sign = math.copysign(1.0, seg.vote)  # the same guess, as the turns before the gap
        else:
            sign = 1.0 if seg.direction is Direction.FORWARD else -1.0
        if cycle.vote * sign <= 0.0:
            return False
        span = cycle.end_t - bridge.last_crossing
        m = round(span / before)
        if m < 2 or abs(span / before - m) > _BRIDGE_PHASE_TOL:
            return False
        step = span / m
        if max(step, before) > _BRIDGE_PERIOD_RATIO * min(step, before):
            return False
        self._segment_vote, self._segment_emitted = seg.vote, seg.emitted
        self._trust = seg.trust
        self._segment_dir, self._seg_from = seg.direction, seg.came_from
        self._seg_turn_t, self._seg_reversed = seg.turn_t, seg.reversed
        delay = 0.5 * (bridge.delay_s + cycle.delay_s)
        for k in range(m - 1):
            start = bridge.last_crossing + k * step
            turn = _Cycle(start, start + step, cycle.detected_at, True, 60.0 / step, 0.0, delay)
            turn.inferred = True
            self._emit(turn, cycle.detected_at, events, counted=True)
        return True

    def _release_held(self, detected_at: float, events: list[Event]) -> None:
        """Report a held turn on its own (no turn followed it in time). A run's first turn
        alone, a spin-up, is half the evidence a run's direction needs."""
        held, self._held = self._held, None
        slowing, self._held_slowing = self._held_slowing, False
        if held is not None and self._bout is not None:
            if not slowing and self._segment_emitted == 0:
                held.evidence = min(held.evidence, _HALF_EVIDENCE)
            self._emit(held, max(detected_at, held.detected_at), events)

    def _on_turn(self, at_t: float, sense: float, events: list[Event]) -> None:
        """The levelled acceleration started winding the other way (gyroscope only): a
        reversal if the crank stood still first (``_confirm_turn``)."""
        direction = Direction.FORWARD if sense == _FORWARD_WINDING else Direction.BACKWARD
        if self._thigh:
            return  # a thigh's arc does not wind with the crank (module docstring, "Thigh")
        if self._bout is None or self._last_dir is None or direction is self._last_dir:
            self._turn_candidate = None  # it wound back: what it suggested did not happen
            return
        self._turn_candidate = (direction, at_t)
        self._confirm_turn(at_t, events)

    def _confirm_turn(self, now: float, events: list[Event]) -> None:
        """Report the reversal the winding suggested once the crank is seen to have stood
        still and then wound ``reversal_turn_fraction`` of a turn the new way since.

        A crank cannot turn round without stopping, and braking turns the acceleration
        backward relative to the crank (from centripetal towards tangential, up to a
        quarter turn) before the stop: on fresh simulated rides the winding ran back half a
        turn during hard slow-downs (108 to 0 rpm in 1.2 s, 125 to 43 rpm in 2 s) and
        during spin-ups at 110-130 rpm, each a false reversal (26 in 80 rides, with pairs
        back and forth after a real one). The stop is the quietest stretch of levelled
        crank-rate power before ``now`` (``_still_time``), which must fall below the power of
        ``_STOPPED_RATE_DPS``; a reversal already reported at that stop, or a winding back
        since it, is none.
        """
        candidate = self._turn_candidate
        if candidate is None or self._bout is None or self._last_dir is None:
            return
        direction, since = candidate
        if now - since > _TURN_LOOKBACK_S:
            self._turn_candidate = None
            return
        still_t, lowest = self._still_time(now)
        if lowest <= _STOPPED_RATE_DPS**2:
            self._seen_stop = still_t
        if still_t <= self._turned_at + 1e-9 or lowest > _STOPPED_RATE_DPS**2:
            return  # no stop, or the reversal before's: the crank has not stopped since
        at_stop = self._history.between(still_t, now + 1e-9)
        if at_stop.shape[0] < 2:
            return
        wound = float(at_stop[-1, _COL_WIND] - at_stop[0, _COL_WIND]) * (
            1.0 if direction is Direction.BACKWARD else -1.0
        )
        # Most of the turn fraction the winding counted from its last extreme: that extreme
        # lies at the stop, where the quiet stretch ends a little later.
        if wound < 0.8 * 2.0 * math.pi * self.params.reversal_turn_fraction:
            return
        self._turn_candidate = None
        self._release_held(now, events)  # a turn from before the crank turned round
        events.append(
            PedalReversalEvent(
                t=still_t,
                detected_at=now,
                from_direction=self._last_dir,
                to_direction=direction,
            )
        )
        self._bout.reversals += 1
        self._drop_pending()
        self._end_segment()
        self._last_dir = direction
        self._last_rev_end = now
        self._turned_at = still_t

    def _emit(
        self, cycle: _Cycle, detected_at: float, events: list[Event], counted: bool = False
    ) -> None:
        first_of_segment = self._segment_emitted == 0
        if not counted:
            self._add_vote(cycle)
        if not self._known:
            # No trusted evidence yet (only guesses, or too little): not measured.
            direction = Direction.UNKNOWN
        else:
            direction = Direction.FORWARD if self._trust.total > 0 else Direction.BACKWARD
        if self._bout is None:
            self._bout = _Bout(
                start_t=cycle.start_t,
                end_t=cycle.end_t,
                count=dict.fromkeys(_COUNTED, 0),
                cadence_sum=dict.fromkeys(_COUNTED, 0.0),
            )
        elif first_of_segment and self._last_dir is not None and self._last_rev_end is not None:
            # The run before this one went ``_seg_from``; the crank stopped in between.
            self._seg_turn_t, stopped = self._stop_between(self._last_rev_end, cycle)
            # Without a stop seen between the runs no reversal is dated there, now or when
            # this run's direction becomes known (``_came_round``).
            self._seg_from = self._last_dir if stopped else None
            self._seg_reversed = direction not in (self._last_dir, Direction.UNKNOWN)
            if self._seg_reversed and stopped:
                self._reversal(self._seg_turn_t, detected_at, self._last_dir, direction, events)
            elif self._seg_reversed:
                # Read the other way with no stop before it: a crank cannot turn round so,
                # the reading is wrong (a hard slow-down out of a gap of lost packets, where
                # ``_braking`` has no turn before to compare): no direction, no reversal.
                self._trust = _Trust()
                direction = Direction.UNKNOWN
        elif direction is not self._segment_dir:
            self._came_round(direction, detected_at, events)
        cadence = self._cadence_for(cycle)
        events.append(
            RevolutionEvent(
                t=cycle.true_end_t if cycle.pitch_end_t is None else cycle.pitch_end_t,
                detected_at=detected_at,
                direction=direction,
                cadence_rpm=cadence,
                confidence=None if cycle.inferred else min(1.0, abs(float(cycle.vote))),
                inferred=True if cycle.inferred else None,
            )
        )
        self._segment_dir = direction
        self._segment_emitted += 1
        if direction is not Direction.UNKNOWN:
            self._last_dir = direction
        self._last_rev_end = cycle.end_t
        self._bout.end_t = cycle.end_t
        self._bout.count[direction] += 1
        self._bout.cadence_sum[direction] += cadence

    def _stop_between(self, last_end: float, cycle: _Cycle) -> tuple[float, bool]:
        """When the crank turned round between a run's last revolution (ending at
        ``last_end``) and the next run's first ``cycle``, and whether it is known to have stood
        still there.

        Without a gyroscope, the middle of the still spell seen between them (the labels date
        a reversal when the crank moves again; the gyroscope's quietest moment is the middle
        of the stop), else half-way between them: the next run starts after the stop ended the
        last one (``_on_still``, an invalid cycle or a gap). With one, the middle of the
        quietest levelled crank-rate power between them, which must be a stop: a cycle read
        the other way without a stop before it is a hard slow-down (see ``_confirm_turn``).
        """
        if self._gyro:
            settled = self._settled_t
            if settled is not None and settled > last_end:
                # Packets were lost since the last run (the filters restarted): the stop, if
                # any, may lie in what is gone; only one seen before the gap counts (a slow
                # foot's pitch rate after it, under 30 °/s, looked still: a false reversal).
                seen = self._seen_stop
                if seen is not None and last_end < seen < cycle.start_t:
                    return seen, True
                return 0.5 * (last_end + cycle.start_t), False
            still_t, lowest = self._still_time(cycle.end_t, since=last_end)
            return still_t, lowest <= _STOPPED_RATE_DPS**2
        since, moved = self._still_since, self._moved_at
        if (
            since is not None
            and moved is not None
            and last_end - _STILL_WINDOW_S < since < moved <= cycle.end_t
        ):
            return 0.5 * (max(since, last_end) + moved), True
        return 0.5 * (last_end + cycle.start_t), True

    def _decided_late(self, detected_at: float, events: list[Event]) -> None:
        """An unknown run's direction became known from a turn not reported as a revolution:
        report the reversal at the stop before the run if it turned the other way."""
        if not self._known:
            return
        direction = Direction.FORWARD if self._trust.total > 0 else Direction.BACKWARD
        self._came_round(direction, detected_at, events)
        self._segment_dir = self._last_dir = direction

    @property
    def _known(self) -> bool:
        """Whether the running segment's direction is known from trusted turns."""
        return self._trust.known

    def _came_round(self, direction: Direction, detected_at: float, events: list[Event]) -> None:
        """The run's evidence now says ``direction``: if that is the other sense from the run
        before the stop and the reversal there is not reported yet, the crank did turn round
        at that stop (near the no-gyroscope crossover, after first turns that went the old way
        or said ``unknown``). Reported now; the turns already reported stay."""
        if (
            self._seg_from is not None
            and not self._seg_reversed
            and direction not in (self._seg_from, Direction.UNKNOWN)
        ):
            self._seg_reversed = True
            self._reversal(self._seg_turn_t, detected_at, self._seg_from, direction, events)

    def _add_vote(self, cycle: _Cycle) -> None:
        """Add a turn's direction evidence to the running segment's."""
        self._segment_vote += cycle.vote
        if not cycle.guessed and not cycle.inferred:
            self._trust = self._trust.add(cycle.vote, cycle.evidence)

    def _cadence_for(self, cycle: _Cycle) -> float:
        for t_ext, rpm in reversed(self._external):
            if t_ext <= cycle.end_t + 1e-9:
                if cycle.end_t - t_ext <= self.params.external_max_age_s:
                    return rpm
                break
        return cycle.cadence_rpm if cycle.pitch_rpm is None else cycle.pitch_rpm

    def _reversal(
        self,
        t: float,
        detected_at: float,
        from_dir: Direction,
        to_dir: Direction,
        events: list[Event],
    ) -> None:
        events.append(
            PedalReversalEvent(
                t=t, detected_at=detected_at, from_direction=from_dir, to_direction=to_dir
            )
        )
        assert self._bout is not None
        self._bout.reversals += 1

    def _end_segment(self) -> None:
        if self._segment_emitted and not self._known:
            # The run ended without a known direction: the next run's direction cannot be
            # held against the one before the stop, so no reversal is dated there.
            self._last_dir = None
        self._segment_vote = 0.0
        self._trust = _Trust()
        self._segment_dir = None
        self._segment_emitted = 0
        self._seg_from = None
        self._seg_turn_t = 0.0
        self._seg_reversed = False

    def _check_bout_end(self, now: float, events: list[Event], times: FloatArray) -> None:
        """Close the bout at the first sample at or after its deadline, if ``now`` passed it;
        first report a held turn no turn followed within two of its periods."""
        held = self._held
        if held is not None:
            due = held.detected_at + 2.0 * held.period
            if now >= due:
                k = int(np.searchsorted(times, due, side="left"))
                self._release_held(float(times[min(k, times.shape[0] - 1)]), events)
        if self._bout is None or self._last_rev_end is None:
            return
        deadline = self._last_rev_end + self.params.bout_end_s
        if now < deadline:
            return
        k = int(np.searchsorted(times, deadline, side="left"))
        events.append(self._close_bout(float(times[min(k, times.shape[0] - 1)])))

    def _close_bout(self, detected_at: float) -> PedalBoutEvent:
        bout = self._bout
        assert bout is not None
        self._bout = None
        self._last_dir = None
        self._last_rev_end = None
        self._end_segment()
        fwd, bwd = bout.count[Direction.FORWARD], bout.count[Direction.BACKWARD]
        return PedalBoutEvent(
            t=bout.end_t,
            detected_at=max(detected_at, bout.end_t),
            start_t=bout.start_t,
            end_t=bout.end_t,
            duration_s=bout.end_t - bout.start_t,
            revolutions_forward=fwd,
            revolutions_backward=bwd,
            cadence_forward_rpm=bout.cadence_sum[Direction.FORWARD] / fwd if fwd else None,
            cadence_backward_rpm=bout.cadence_sum[Direction.BACKWARD] / bwd if bwd else None,
            reversals=bout.reversals,
            revolutions_unknown=bout.count[Direction.UNKNOWN] or None,
        )


def _fit_harmonics(basis: NDArray[np.complex128], values: FloatArray) -> NDArray[np.complex128]:
    """Least-squares harmonic coefficients of ``values`` (columns) on ``basis`` (the crank
    harmonics ``exp(-ik·phase)``, columns), in the projection's convention (``A - iB`` for
    ``A·cos + B·sin``), with each column's mean in the last row."""
    design = np.column_stack((basis.real, -basis.imag, np.ones(basis.shape[0])))
    solution, *_ = np.linalg.lstsq(design, values, rcond=None)
    k = basis.shape[1]
    out: NDArray[np.complex128] = np.vstack(
        (solution[:k] - 1j * solution[k : 2 * k], solution[-1:])
    ).astype(np.complex128)
    return out


def _partial(cycle: _Cycle, before: _Cycle) -> bool:
    """Whether ``cycle``, right after ``before`` and slower, held less than a whole turn (see
    ``_PARTIAL_TURN``)."""
    return (
        before.valid
        and before.runs_into(cycle)
        and cycle.period > _PARTIAL_SLOWER * before.period
        and cycle.radius < _PARTIAL_TURN * before.radius
    )


def detect_pedalling(
    samples: Samples, info: StreamInfo, params: PedallingParams | None = None
) -> list[Event]:
    """Revolutions, reversals and bouts of a whole recording (the stream fed in one go)."""
    return run_batch(PedallingDetector(params or PedallingParams(), info), samples)
