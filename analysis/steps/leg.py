"""Steps from a shank/ankle band, which sees one leg's swings (a foot is
``analysis.steps.foot``'s, a thigh ``analysis.steps.thigh``'s).

- **with gyroscope**: each swing is a peak of the sagittal angular rate, taken about the
  leg's own swing axis (learnt from the rate, ``_AXIS_CUTOFF_HZ``: a band is rarely strapped
  exactly as its axes were declared); its sign is the direction (forward swing turns the
  segment's lower end forward, a negative rate about the body's left axis), the contact is
  where the swing rotation ends.
- **accelerometer only**: each swing is a hump of dynamic acceleration with a contact shock (a
  transient that survives an 8 Hz high-pass; pedalling turns the leg smoothly and has none),
  the contact is the shock; direction ``unknown``. The tibia's turn over the planted foot in
  mid-stance, which the angle of gravity should show, called 100 % of the simulated shanks'
  steps right but 27.6 % of the real shin's (72.4 % with its forward axis read the other way)
  and 42 % of it played backward: nothing an accelerometer alone sees on a real shank tells
  the direction reliably.

The other leg's contact is emitted half a stride after each own contact (``inferred=True``),
when the stream reaches that time; the first from the swing time (without a gyroscope, from
the hump of a swing from standing); on the shank only if the planted shank turned over its
foot meanwhile (a closing step leaves the feet together). One due inside a lost-packet gap
shorter than a step is emitted when the gap ends. With a gyroscope, a shank's bout outlives a
gap that ends before the next own contact is due: the swing after it is observed and judged on
the signal after the gap.
"""

from __future__ import annotations

import math
from collections import deque
from typing import ClassVar

import numpy as np
from scipy import signal

from analysis.events import Direction, Event
from analysis.frame import principal_axis
from analysis.steps.base import StepDetector, T, median
from analysis.steps.params import StepParams
from analysis.stream import StreamingSOS
from analysis.types import FloatArray, Placement, Samples, StreamInfo

__all__ = ["LegStepDetector"]

#: Low-pass corner of the shank's inclination (the angle of gravity in the forward-up plane)
#: in stance, for how far it turned over the planted foot (``_stance_turn_deg``): keeps the
#: slow turn, drops contact transients and most of the swing.
_INCLINE_CUTOFF_HZ = 3.0

#: Shortest spell below ``freefall_g`` that a leg sensor takes for a flight (a jump): even a
#: 3 cm hop flies 0.16 s (0.17-0.54 s at the simulated shank), while a foot's swing dips
#: below 0.4 g for one or two samples (real IPOL feet: at most 0.02 s).
_MIN_FLIGHT_S = 0.05

#: A bout's first swing at least this fraction of the second counts as a full swing: the
#: other leg stepped first. Starting from standing, the first swing is a half step (feet side
#: by side to one ahead; Jian et al. 1993, "Trajectory of the body COG and COP during
#: initiation and termination of gait", Gait Posture 1:9-22).
_FULL_FIRST_SWING = 0.75

#: Half a stride in swing times: swing is about 40 % of the gait cycle at comfortable speed
#: (J. Perry and J. M. Burnfield, Gait Analysis, 2nd ed., 2010), 0.5 / 0.4 = 1.25.
_HALF_STRIDE_PER_SWING = 1.25

#: Least turn of a shank in the stance sense (gyroscope) over the half stride before a bout's
#: first swing for that swing to have come from behind (the other leg stepped first): from
#: standing the leg is still before it lifts (4-15° on the simulated shanks, anticipatory
#: sway), after the other leg's step it has turned over its foot (24-60°).
_MIN_STANCE_TURN_DEG = 20.0
#: Least fraction of the stride before's stance turn (see ``LegStepDetector._other_stepped``)
#: for the other leg's contact to be inferred: 0.59-1.1 while walking on, 0.25-0.32 after a
#: closing step on the simulated shanks.
_MIN_TURN_FRACTION = 0.45

#: A shank swing at walking speed, 250-450 °/s at mid-swing (Aminian et al. 2002), faster
#: than a pedalling shank turns (about 2 pi f A: 150-220 °/s for a 15-20° swing at 60-120
#: rpm; at most 155 °/s in the simulated rides), needs less asymmetry over its stride: the
#: swing that closes a walk follows a full push-off, with a smaller swing (1.66 times the
#: push-off lobe on the simulated shanks), while a pedalling shank's lobes reach 1.72 when the
#: stride window cuts one.
_FAST_SWING_DPS = 250.0
_FAST_SWING_ASYMMETRY = 1.4

#: With a gyroscope, a swing slower than ``min_swing_dps`` counts inside a walking bout of at
#: least this many steps (two own swings and the other leg's contacts) when it peaks at this
#: fraction of the last own swing or more. A slow walker's swings straddle the floor (stress
#: set seed 1, a backward walk at 58 steps/min: 114-124 °/s, one swing in three taken; with
#: this, 24 of its 40 steps, the rest before its bouts start). Margins: its swings peak within
#: 10 % of each other (113-125 °/s; the fraction allows 25 %); taken from a bout's first
#: step, 26 false steps came into 8 of 120 simulated rides with a shank gyroscope (one false
#: step on a ride, then its turns taken for swings); from the second none, nor from the
#: fourth, there or on the stress set's rides.
_IN_WALK_MIN_STEPS = 4
_IN_WALK_SWING_FRACTION = 0.75

#: Without a gyroscope, inside a walking bout of at least this many steps a dip under
#: ``freefall_g`` vetoes a swing only when it lasts ``_MIN_FLIGHT_S``, as with one; before,
#: a single sample does. The real shin's swings dip to 0.32-0.4 g for one sample at 50 Hz
#: (54 times in its 7 min) and vetoed about 100 of its steps, but the rides' dips are what
#: the single-sample veto keeps out: allowed before a bout as well, 22 false steps came into
#: 11 more of the stress set's and the steady-cadence benchmark's shank rides. Measured
#: (`evaluate`, reference 686 steps): real shin without gyroscope -8.5 -> +3.4 % (its steps
#: within 0.25 s of the gyroscope path's on the same walk 505 -> 567 of 675), played backward
#: -11.5 -> +0.9 %, gaps cut in -7.7 -> +3.1 %; the stress set's shank walks and rides
#: unchanged, as every other row of `evaluate`; the cadence-sweep rides without gyroscope
#: (`benchmarks.pedalling`) 124 -> 142 false steps, 4 of 2,770 revolutions and 2 of 86
#: reversals lost; from 3 steps +2.0 % (560 within 0.25 s); a dip of 0.03 s vetoes as one of
#: 0.05 s does.
_IN_WALK_MIN_FLIGHT_STEPS = 2

#: A contact this close to one counted already is that contact, not a second step: two legs'
#: contacts lie a step apart (0.3 s at 200 steps/min). The real shin without gyroscope
#: counted 45 of its contacts twice, 0-100 ms apart: inferred as the other leg's, then found
#: as its own (the other leg's heel strike shakes this shank too). A contact found so still
#: times the leg's stride.
_SAME_CONTACT_S = 0.1

#: Without a gyroscope, the contact transient's high-pass corner is at most this fraction of
#: the sample rate: a band sampling at 25 Hz keeps little of the heel strike's shock above
#: 8 Hz (its anti-alias filter), and at that corner the real shin resampled to 25 Hz counted
#: 230 of its 686 steps, the simulated shank walks 28-58 % of theirs. At a fifth of the
#: rate (5 Hz there): the shin +3.6 %, the simulated walks F1 0.93-0.97, one false step on
#: eight simulated rides. Thin: at a quarter (6.25 Hz) the shin reads -3.2 % and the
#: simulated walks 0.88-0.95; dropping the transient test there let 7-16 false steps into
#: rides. Rates of 40 Hz and up keep ``transient_hz``.
_TRANSIENT_PER_RATE = 0.2

#: Without a gyroscope, a leg is quiet before its swing while the dynamic acceleration
#: stays below this fraction of the swing's hump (standing before a bout's first swing).
_QUIET_FRACTION = 0.15

#: A shank's walking bout outlives a gap only if the gap ends before this fraction of the
#: usual stride (twice the recent step interval) after the last own contact: the next own
#: swing and contact are still to come and are observed; a gap that may have hidden an own
#: contact restarts the walk (a stride measured across it would span two).
_RESUME_STRIDE_FRACTION = 0.75

# History columns after the time (``T``).
#: The swing signal, low-passed at ``leg_lowpass_hz``: the sagittal angular rate (dps) with a
#: gyroscope, the dynamic acceleration ``||a| - 1|`` (g) without; the candidates are its
#: magnitude's peaks.
_SWING = 1
#: |a| of the raw acceleration: flight phases, and the contact shock.
_MAG = 2
#: Without a gyroscope: the norm of the high-passed acceleration, the contact transient (g).
_TRANSIENT = 3
#: Without a gyroscope: the shank's inclination, the angle of gravity in the forward-up plane
#: (rad), for the direction in stance.
_INCLINE = 4
#: Raw acceleration: the input of the derived columns.
_ACC = slice(5, 8)
_WIDTH = 8
#: With a gyroscope: the raw angular rate about the band's declared left axis and about its
#: forward axis (dps), the input of ``_SWING``, and the angle of the swing axis from the
#: left axis towards the forward one (rad, ``LegStepDetector._swing_axis``).
_RAW_SWING = 8
_RAW_ACROSS = 9
_AXIS = 10
_WIDTH_GYRO = 11

#: The swing axis. A shank turns about the knee's axis in walking and pedalling alike, so
#: the axis of most power of the low-passed angular rate across the band's long axis is the
#: leg's left axis, however the band is turned on the leg; the swing is the rate about it
#: (a band strapped 40° round the leg from where its axes were declared counted 288 of the
#: real shin's 686 steps about its declared axis). Its power is averaged with this corner
#: (a 5.3 s time constant, kept across gaps: the band stays where it is strapped) and is
#: taken once it carries ``_MIN_AXIS_CONTRAST`` times the power across it (over a whole
#: walk: the real shin 84 times, the simulated shanks' walks and rides 450 and more) and
#: the leg has turned faster than ``_AXIS_MOTION_DPS`` for ``_AXIS_WARMUP_S`` in all: a
#: ride's or a walk's first strokes are judged about the declared axis (measured on the
#: simulated rides with a shank gyroscope: from the first stroke, with a 1.6 s constant, 32
#: false steps on 60 rides, 24 about the declared axis; with the warm-up, 26: one step in
#: the middle of each of two 125 rpm rides).
_AXIS_CUTOFF_HZ = 0.03
_MIN_AXIS_CONTRAST = 4.0
_AXIS_MOTION_DPS = 60.0
_AXIS_WARMUP_S = 3.0
#: Beyond this angle from the declared left axis the band sits nearer sideways on the leg
#: than forward: which way the swing turns is not known (``unknown``).
_MAX_AXIS_DEG = 60.0


class OneLegDetector(StepDetector):
    """What a band on one leg shares: it sees its own leg's contacts and infers the other's.

    The other leg's contact is emitted half a stride after each own contact
    (``inferred=True``) when the stream reaches that time, the first from the swing time
    (or half-way to the second own contact, ``measures_first_stride``); one before a bout's
    first own contact when that swing was a full one (the other leg stepped
    first); none after a half swing that closes the walk (the feet end side by side). A
    subclass finds the own contacts and calls ``_leg_contact`` with each; it says how big
    each swing was (``size``: an angle, or a distance) and may check that the other leg's
    step carried the body over the planted one (``_stance_turn_deg``).

    Notes
    -----
    Besides ``StepDetector``'s state: the last own contact and swing size, the bout's first
    swing size, the other leg's scheduled contact, the stance turn of the last half stride,
    and whether the bout was kept across a short gap.
    """

    steps_per_peak: ClassVar[float] = 2.0

    #: A bout's first swing at least this fraction of the second counts as a full one (the
    #: other leg stepped first), and a swing under this fraction of the one before closes the
    #: walk (see ``_FULL_FIRST_SWING``).
    full_swing_fraction: ClassVar[float] = _FULL_FIRST_SWING

    #: Whether the other leg's contact after a bout's first own one waits for the next own
    #: contact, which measures the stride, rather than coming at the time the first swing
    #: suggests (``_HALF_STRIDE_PER_SWING``): that costs the step up to a stride of latency
    #: (see ``FootStepDetector``).
    measures_first_stride: ClassVar[bool] = False

    def __init__(
        self,
        params: StepParams,
        info: StreamInfo,
        *,
        lookahead_s: float,
        width: int,
        filters: tuple[StreamingSOS, ...],
        signal_column: int,
        threshold: float,
    ) -> None:
        super().__init__(
            params,
            info,
            lookahead_s=lookahead_s,
            width=width,
            filters=filters,
            signal_column=signal_column,
            threshold=threshold,
        )
        #: Whether a swing under ``full_swing_fraction`` of the one before closes the walk.
        self.closes_by_size = False
        self._last_own_contact: float | None = None
        self._first_swing_deg: float | None = None
        self._last_swing: float | None = None  # size of the last own swing
        # The other leg's inferred contact: (due at t, direction, the own contact it follows
        # and that swing's sign, for the stance-turn check; None where not checked).
        self._scheduled: tuple[float, Direction, tuple[float, float] | None] | None = None
        # A bout's first own contact schedules the other leg's at a deadline; this is the
        # time its swing suggests, used if no own contact comes before the deadline.
        self._provisional: float | None = None
        self._last_turn_deg: float | None = None  # own stance turn over the last half stride
        self._first_stance_deg: float | None = None
        # A walking bout kept across a short gap: the history holds only what came after it.
        self._resumed = False
        # The latest contacts counted, own or inferred (``_count_step``).
        self._counted: deque[float] = deque(maxlen=4)

    def _new_contact(self, contact_t: float) -> bool:
        """Not a contact counted already (``_SAME_CONTACT_S``: one inferred for the other leg
        and then found as this leg's, or inferred twice); a new one is recorded."""
        if any(abs(contact_t - c) < _SAME_CONTACT_S for c in self._counted):
            return False
        self._counted.append(contact_t)
        return True

    def _stance_turn_deg(self, contact_t: float, due_t: float, sign: float) -> float | None:
        """How far the planted leg turned in the stance sense from its contact to ``due_t``
        (the other leg's contact), or ``None`` where the subclass does not check it."""
        return None

    def flush(self) -> list[Event]:
        events = super().flush()
        self._scheduled = None
        self._provisional = None
        return events

    def _forget(self, keep: bool) -> None:
        self._scheduled = None
        self._provisional = None
        self._first_swing_deg = None
        self._first_stance_deg = None
        self._last_swing = None
        self._resumed = keep
        if not keep:
            self._last_own_contact = None
            self._last_inferred_t = None
            self._last_turn_deg = None

    def _bout_ended(self) -> None:
        self._resumed = False
        self._last_turn_deg = None

    def _due(self) -> bool:
        return self._scheduled is not None or self._bout is not None

    def _settle_more(self, t: FloatArray, start: int, stop: int, events: list[Event]) -> None:
        """Emit the other leg's contact if it falls due at the samples ``t[start:stop]``."""
        last_t = float(t[stop - 1])
        if self._scheduled is not None and self._scheduled[0] <= last_t:
            due_t, direction, check = self._scheduled
            k = int(np.searchsorted(t[:stop], due_t))
            if k < stop:
                self._scheduled = None
                now_t = float(t[max(k, start)])
                if self._provisional is not None:
                    due_t, self._provisional = self._provisional, None
                if self._other_stepped(due_t, check):
                    self._count_step(due_t, due_t, None, direction, now_t, None, True, events)

    def _scheduled_in_gap(self, events: list[Event], now_t: float) -> None:
        """The other leg's contact, scheduled before a gap shorter than a step, due in it.

        Lost packets hide the signal, not the walk: the other leg's contact was inferred
        from this leg's stride before the gap (it is never seen by this sensor), and the
        planted shank's turn towards it is checked on the signal up to the gap (a part of
        the usual window: a smaller turn, so the check only gets stricter; nothing is
        interpolated). It is emitted when the first sample after the gap arrives. A contact
        due after the gap, or behind a longer gap, is dropped with the rest of the state.
        """
        assert self._scheduled is not None and self._last_t is not None
        due_t, direction, check = self._scheduled
        self._scheduled = None
        if now_t - self._last_t > self.params.max_step_s:
            self._provisional = None
            return
        if self._provisional is not None:
            # It waited for this leg's next contact, which the gap may hide: it comes where
            # the swing put it, if that is past (before the gap or in it).
            due_t, self._provisional = self._provisional, None
            if due_t > now_t:
                return
        elif not self._last_t < due_t <= now_t:
            return
        if self._other_stepped(due_t, check):
            self._count_step(due_t, due_t, None, direction, now_t, None, True, events)

    def _leg_contact(
        self,
        hist: FloatArray,
        contact_t: float,
        direction: Direction,
        now_t: float,
        swing_deg: float | None,
        swing_s: float | None,
        events: list[Event],
        stance_deg: float | None = None,
        swing_sign: float = 0.0,
        hump_s: float | None = None,
        may_close: bool = True,
    ) -> None:
        p = self.params
        t = hist[:, T]
        self._settle_until(t, now_t, events)
        previous = self._last_own_contact
        last_swing = self._last_swing
        self._last_swing = swing_deg
        stride = None
        if (
            previous is not None
            and 2.0 * p.min_step_s <= contact_t - previous <= 2.0 * p.max_step_s
        ):
            # Shorter than two of the shortest steps, the two were not both this leg's (at a
            # bout's start the other leg's first contact can shake it as much): no stride.
            stride = contact_t - previous
        scheduled = self._scheduled
        inferred_since = self._last_inferred_t is not None and (
            previous is not None and self._last_inferred_t > previous
        )
        first = self._first_swing_deg
        first_stance = self._first_stance_deg
        if previous is not None and stride is not None and first is not None:
            self._first_swing_deg = None
            self._first_stance_deg = None
            before = previous - 0.5 * stride
            if (
                swing_deg is not None
                and first >= self.full_swing_fraction * swing_deg
                and (first_stance is None or first_stance >= _MIN_STANCE_TURN_DEG)
                and before >= float(t[0])
            ):
                # The bout's first swing was a full one: it started from behind, so the other
                # leg had stepped first. Gait started from standing opens with a half step.
                self._count_step(before, before, None, direction, now_t, None, True, events)
        provisional, self._provisional = self._provisional, None
        if provisional is not None and scheduled is not None:
            # The other leg's first contact waited for this one (``measures_first_stride``):
            # with the stride measured it fell half-way (below); else where the swing put it.
            if (
                stride is None
                and provisional < contact_t
                and self._other_stepped(provisional, scheduled[2])
            ):
                self._count_step(
                    provisional, provisional, None, scheduled[1], now_t, None, True, events
                )
            scheduled = None
        if previous is not None and stride is not None and scheduled is None and not inferred_since:
            # The first stride of a bout: the other leg's contact fell half-way, in the past.
            mid = previous + 0.5 * stride
            self._count_step(mid, mid, 0.5 * stride, direction, now_t, None, True, events)
        elif scheduled is not None and scheduled[0] < contact_t:
            # Not yet reached (cadence rose): the other leg's contact still fell in between.
            self._scheduled = None
            self._count_step(
                scheduled[0], scheduled[0], None, scheduled[1], now_t, None, True, events
            )
        self._scheduled = None
        if stride is None:
            self._first_swing_deg = swing_deg
            self._first_stance_deg = stance_deg
        interval = None if stride is None else 0.5 * stride
        self._count_step(contact_t, contact_t, interval, direction, now_t, None, False, events)
        self._last_own_contact = contact_t
        half_s = None
        if stride is not None:
            half_s = 0.5 * stride
        elif swing_s is not None:
            # No stride yet: swing takes about 40 % of a stride (Perry and Burnfield 2010),
            # so the other leg's contact comes about 1.25 swing times after this one.
            half_s = _HALF_STRIDE_PER_SWING * swing_s
        elif previous is not None and contact_t - previous < 2.0 * p.min_step_s:
            # The earlier contact was the other leg's, one step ago: its next comes about a
            # step after this one.
            half_s = max(contact_t - previous, p.min_step_s)
        elif hump_s is not None and p.min_step_s <= _HALF_STRIDE_PER_SWING * hump_s <= p.max_step_s:
            # Without a gyroscope, a swing from standing shows where it began: the other
            # leg's contact comes about 1.25 swing times after this one, as above.
            half_s = _HALF_STRIDE_PER_SWING * hump_s
        if (
            self.closes_by_size
            and may_close
            and stride is not None
            and last_swing is not None
            and swing_deg is not None
            and swing_deg < self.full_swing_fraction * last_swing
        ):
            # A half swing after full ones brings the feet together: the walk ends, and the
            # other leg, already beside this one, takes no further step (gait termination
            # mirrors initiation; Jian et al. 1993). Should the walk go on, the next own
            # contact still emits the other leg's in between.
            half_s = None
        bout = self._bout
        if (
            self.measures_first_stride
            and half_s is not None
            and stride is None
            and bout is not None
            and bout.steps == 1
        ):
            # A walk's first contact: the other leg's waits for this leg's next, at most the
            # longest stride, and then falls half-way (or, if none comes, at ``half_s``).
            self._provisional = contact_t + half_s
            self._scheduled = (contact_t + 2.0 * p.max_step_s, direction, (contact_t, swing_sign))
            half_s = None
        if half_s is not None:
            due_t = contact_t + half_s
            check = (contact_t, swing_sign)
            if due_t <= now_t:
                # Already past (a long look-ahead): the other leg's contact is due now.
                if self._other_stepped(due_t, check):
                    self._count_step(due_t, due_t, None, direction, now_t, None, True, events)
            else:
                self._scheduled = (due_t, direction, check)

    def _other_stepped(self, due_t: float, check: tuple[float, float] | None) -> bool:
        """Whether the other leg's step carried the body over this (planted) shank.

        When the other leg swings through and lands, the planted shank turns over its foot in
        the stance sense (the ankle rocker; Perry and Burnfield 2010), 37-49° over half a
        stride on the simulated shanks. A walk that ends with this leg's closing step has the
        feet side by side: the shank stands near vertical and turns little (10-13°; gait
        termination, Jian et al. 1993), and the other leg takes no further step. The turn from
        the own contact to ``due_t`` is compared with the stride before's. Without a
        gyroscope the turn is the change of the shank's inclination (the angle of gravity in
        its forward-up plane) over the second half of that time, clear of the contact's
        transient: 13-23° walking on, 0.3-8° after a closing step on the simulated shank.
        """
        if check is None:
            return True
        contact_t, sign = check
        turn = self._stance_turn_deg(contact_t, due_t, sign)
        if turn is None:
            return True
        last = self._last_turn_deg
        self._last_turn_deg = turn
        return last is None or turn >= _MIN_TURN_FRACTION * last


class LegStepDetector(OneLegDetector):
    """Steps of both legs, direction and walking bouts from a shank/ankle band.

    Parameters
    ----------
    params
        Frozen parameters.
    info
        The stream: a shank (or ankle), with or without a gyroscope.

    Notes
    -----
    Besides ``StepDetector``'s state: the last own contact and swing, the other leg's
    scheduled contact, the stance turn of the last half stride, and whether the bout was kept
    across a short gap.
    """

    bridges_gaps: ClassVar[bool] = True

    def __init__(self, params: StepParams, info: StreamInfo) -> None:
        fs = info.sample_rate_hz
        nyq = 0.45 * fs
        placement = info.placement.canonical
        self._gyro = info.has_gyro
        if placement is not Placement.SHANK:
            raise ValueError(f"LegStepDetector serves a shank or ankle, not a {placement}")
        self._leg_lp = StreamingSOS(
            signal.butter(2, min(params.leg_lowpass_hz, nyq), fs=fs, output="sos")
        )
        # The swing axis's power and how long the leg has moved (``_swing_axis``): not among
        # the filters a gap restarts.
        self._axis_power = StreamingSOS(signal.butter(1, _AXIS_CUTOFF_HZ, fs=fs, output="sos"))
        self._axis_moved = 0
        self._axis_warmup = round(_AXIS_WARMUP_S * fs)
        self._transient = StreamingSOS(
            signal.butter(
                2,
                min(params.transient_hz, _TRANSIENT_PER_RATE * fs),
                btype="high",
                fs=fs,
                output="sos",
            )
        )
        self._incline = StreamingSOS(
            signal.butter(2, min(_INCLINE_CUTOFF_HZ, nyq), fs=fs, output="sos")
        )
        lookahead_s = params.lookahead_s
        super().__init__(
            params,
            info,
            lookahead_s=lookahead_s,
            width=_WIDTH_GYRO if self._gyro else _WIDTH,
            filters=(self._leg_lp, self._transient, self._incline),
            signal_column=_SWING,
            threshold=(
                _IN_WALK_SWING_FRACTION * params.min_swing_dps if self._gyro else params.min_swing_g
            ),
        )
        self.closes_by_size = True
        # A leg's own swing can cancel gravity for an instant: with a gyroscope (which tells
        # pedalling by its rotation) a flight must last; without one, any dip vetoes until a
        # walking bout has begun (``_flight_samples``).
        self._flight = max(1, round(_MIN_FLIGHT_S * fs))
        # Below 30 Hz that rounds to one sample (``_flight_samples``).
        self._walking_gyro_flight = max(2, self._flight)
        # With a gyroscope: the peak rate of the last own swing taken (``_slow_swing_kept``).
        self._swing_peak: float | None = None

    def _flight_samples(self) -> int:
        """How many samples in a row under ``freefall_g`` veto a swing as a flight.

        ``_MIN_FLIGHT_S`` with a gyroscope, which tells pedalling by its rotation. Without
        one, a single sample before a walking bout of ``_IN_WALK_MIN_FLIGHT_STEPS`` steps has
        begun: a pedalling shank dips below the level too (0.26 g at the simulated shank),
        and that veto is part of what keeps pedalling out; inside the walk
        ``_MIN_FLIGHT_S`` as well (``_IN_WALK_MIN_FLIGHT_STEPS``).

        Below 30 Hz ``_MIN_FLIGHT_S`` rounds to one sample; with a gyroscope, inside the
        walk, a dip then vetoes only when it spans two (0.08 s at 25 Hz, half a hop's
        flight). The real shin played at 25 Hz (``benchmarks/rates.py``) dips below 0.4 g
        for one sample in its swings, and each such dip broke the walk: count -7.0 % with a
        sharp anti-alias filter (``--method polyphase``; -1.2 % with this rule, -0.6 % with
        the learnt swing axis as well), -1.5 % with a band's (-0.7 %, -0.3 %); the
        evaluation's 25 Hz variant -2.0 % -> -1.2 % (-0.6 %); the stress set's 25 Hz
        shank walk with gyroscope F1 0.914 -> 0.927. Before a walk one sample still vetoes:
        two samples there let 2 false steps into six simulated 25 Hz rides with a shank
        gyroscope (none now, as before). Without a gyroscope nothing changes: two samples
        inside the walk lifted the shin at 25 Hz from +3.2 % to +7.9 % (polyphase).
        """
        in_walk = self._bout is not None and self._bout.steps >= _IN_WALK_MIN_FLIGHT_STEPS
        if self._gyro:
            return self._walking_gyro_flight if in_walk else self._flight
        return self._flight if in_walk else 1

    def _slow_swing_kept(self, peak: float) -> bool:
        """Whether a swing peaking under ``min_swing_dps`` counts: inside a walking bout of
        ``_IN_WALK_MIN_STEPS`` steps, when it reaches ``_IN_WALK_SWING_FRACTION`` of the last
        own swing taken (the walk told itself from pedalling with full swings first)."""
        return bool(
            self._bout is not None
            and self._bout.steps >= _IN_WALK_MIN_STEPS
            and self._swing_peak is not None
            and peak >= _IN_WALK_SWING_FRACTION * self._swing_peak
        )

    def _keeps_bout(self, now_t: float, events: list[Event]) -> bool:
        """A shank with gyroscope walking on through a gap shorter than a step keeps its bout
        and its last own contact: the next swing, observed after the gap, closes a stride
        across it (the other leg's contact in between is inferred as usual). A contact of the
        other leg due in the gap is emitted first (``_scheduled_in_gap``)."""
        if self._scheduled is not None and self._last_t is not None:
            self._scheduled_in_gap(events, now_t)
        return (
            self._gyro
            and self._bout is not None
            and self._last_t is not None
            and self._last_own_contact is not None
            and now_t - self._last_t <= self.params.max_step_s
            and bool(self._recent)
            and now_t - self._last_own_contact
            <= _RESUME_STRIDE_FRACTION * 2.0 * median(self._recent)
        )

    def _write_raw(self, rows: FloatArray, seg: Samples) -> None:
        rows[:, _ACC] = seg.acc_g
        if self._gyro:
            assert seg.gyro_dps is not None
            rows[:, _RAW_SWING] = seg.gyro_dps[:, 1]
            rows[:, _RAW_ACROSS] = seg.gyro_dps[:, 0]

    def _derive_rows(self, rows: FloatArray) -> None:
        acc = np.ascontiguousarray(rows[:, _ACC])
        mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
        if self._gyro:
            rates = self._leg_lp.process(rows[:, _RAW_SWING : _RAW_ACROSS + 1])
            left, across = rates[:, 0], rates[:, 1]
            axis = self._swing_axis(left, across)
            rows[:, _AXIS] = axis
            rows[:, _SWING] = np.cos(axis) * left + np.sin(axis) * across
        else:
            rows[:, _SWING] = self._leg_lp.process(np.abs(mag - 1.0)[:, None])[:, 0]
            # The angle of gravity in the forward-up plane, for the direction in stance.
            slow = self._incline.process(acc[:, 0::2])
            rows[:, _INCLINE] = np.arctan2(slow[:, 0], slow[:, 1])
            high = self._transient.process(acc)
            rows[:, _TRANSIENT] = np.sqrt(np.einsum("ij,ij->i", high, high))
        rows[:, _MAG] = mag

    def _swing_axis(self, left: FloatArray, across: FloatArray) -> FloatArray:
        """Per sample, the angle (rad) from the declared left axis towards the forward axis
        of the axis the shank swings about, on the left axis's side (``_AXIS_CUTOFF_HZ``);
        0 (the declared axis) until it stands out and the leg has moved enough."""
        power = self._axis_power.process(
            np.column_stack([left * left, across * across, left * across])
        )
        angle, major, minor = principal_axis(power[:, 0], power[:, 1], power[:, 2])
        clear = major >= _MIN_AXIS_CONTRAST * np.maximum(minor, 1e-9)
        # Samples counted, not seconds summed: the same for any chunking.
        moved = self._axis_moved + np.cumsum(np.hypot(left, across) > _AXIS_MOTION_DPS)
        if moved.size:
            self._axis_moved = int(moved[-1])
        out: FloatArray = np.where(clear & (moved >= self._axis_warmup), angle, 0.0)
        return out

    def _candidate_signal(self, column: FloatArray) -> FloatArray:
        # A swing turns the leg either way: forward and backward walking.
        return np.abs(column)

    def _examine_peaks(self, hist: FloatArray, peaks: list[int], events: list[Event]) -> None:
        """Examine the swing signal's local maxima (``_derive``) whose look-ahead is complete."""
        p = self.params
        u = hist[:, _SWING]
        t = hist[:, T]
        stride = max(1, round(p.max_step_s * self._fs))
        for i in peaks:
            # A peak of its own lobe: a larger peak of the other sign nearby (a foot's push-off
            # next to its swing) does not hide it.
            sign = 1.0 if u[i] > 0 else -1.0
            peak = abs(u[i])
            if peak <= (sign * u[max(0, i - self._back) : i]).max(initial=-np.inf):
                continue
            if peak < (sign * u[i + 1 : i + self._ahead + 1]).max():
                continue
            confirm = i + self._ahead
            falling = hist[max(0, i - self._guard) : confirm + 1, _MAG] < p.freefall_g
            flight = self._flight_samples()
            if falling.any() and np.convolve(falling, np.ones(flight), "valid").max() >= flight:
                continue  # a flight phase nearby: a jump, not a step
            if self._gyro:
                if peak < p.min_swing_dps and not self._slow_swing_kept(peak):
                    continue
                # The swing rotation ends at contact: the first zero crossing after the peak.
                after = sign * u[i + 1 : confirm + 1]
                ends = np.flatnonzero(after <= 0.0)
                contact_i = i + 1 + int(ends[0]) if ends.size else confirm
                if i < stride // 2 and not self._resumed:
                    # Too soon after the start or a gap to see the stride around the peak:
                    # whether it turned both ways alike cannot be told yet. Inside a walking
                    # bout kept across a short gap, what came after the gap is judged (the
                    # bout already told walking from pedalling).
                    continue
                window = sign * u[max(0, i - stride // 2) : confirm + 1]
                against = max(-window.min(), 0.0)
                asymmetry = _FAST_SWING_ASYMMETRY if peak >= _FAST_SWING_DPS else p.swing_asymmetry
                if window.max() < asymmetry * against:
                    continue  # both ways alike: pedalling, not a swing
                direction = Direction.FORWARD if sign < 0 else Direction.BACKWARD
                if abs(hist[i, _AXIS]) > math.radians(_MAX_AXIS_DEG):
                    direction = Direction.UNKNOWN  # the band sits sideways on the leg
                back_i = max(0, i - stride)
                prior = np.flatnonzero(sign * u[back_i:i] <= 0.0)
                lobe_start = back_i + int(prior[-1]) + 1 if prior.size else back_i
                swing_deg: float | None = float((sign * u[lobe_start:contact_i]).sum()) / self._fs
                if lobe_start == 0 and self._resumed:
                    swing_deg = None  # the lobe began in the gap: its angle is not seen whole
                swing_time_s = float(t[contact_i] - t[lobe_start])
                swing_s: float | None = swing_time_s
                # The own shank's turn in the stance sense over about half a stride before
                # this swing: the other leg's swing carried the body over this foot.
                before_n = round(_HALF_STRIDE_PER_SWING * swing_time_s * self._fs)
                stance_deg: float | None = (
                    float((-sign * u[max(0, lobe_start - before_n) : lobe_start]).sum()) / self._fs
                )
                swing_sign = sign
                hump_s = None
            else:
                swing_deg = swing_s = stance_deg = None
                swing_sign = 0.0
                hump_s = None
                direction = Direction.UNKNOWN
                # The shock comes before the hump it raises peaks (the low-pass delays it),
                # and a step after the last contact counted: two swing peaks close together
                # (a fast pedal stroke) would otherwise both take the one shock between them.
                shock_i = max(0, i - self._back // 2)
                if self._last_own_contact is not None:
                    after_t = self._last_own_contact + p.min_step_s
                    shock_i = max(shock_i, int(np.searchsorted(t, after_t, side="right")))
                if shock_i > confirm:
                    continue
                if hist[shock_i : confirm + 1, _MAG].max() < p.min_contact_g:
                    continue  # no ground contact shock: pedalling or a leg swung in the air
                shock = hist[shock_i : confirm + 1, _TRANSIENT]
                if shock.max() < p.min_transient_g:
                    continue  # a smooth push, no contact transient: pedalling
                # The contact is the shock itself.
                contact_i = shock_i + int(np.argmax(shock))
                # The swing's duration, where the leg was quiet before it (a bout's first
                # swing, from standing): from the last quiet sample to the contact.
                back_i = max(0, i - stride)
                quiet = np.flatnonzero(u[back_i:i] < _QUIET_FRACTION * u[i])
                if quiet.size:
                    hump_s = float(t[contact_i] - t[back_i + int(quiet[-1]) + 1])
            if self._gyro:
                self._swing_peak = peak
            self._leg_contact(
                hist,
                float(t[contact_i]),
                direction,
                float(t[confirm]),
                swing_deg,
                swing_s,
                events,
                stance_deg,
                swing_sign,
                hump_s,
            )

    def _stance_turn_deg(self, contact_t: float, due_t: float, sign: float) -> float | None:
        """The planted shank's turn in the stance sense from its contact to ``due_t``: with a
        gyroscope the integrated sagittal rate; without one the change of its inclination
        over the second half of that time, clear of the contact's transient."""
        self._derive()
        hist = self._history.view()
        t = hist[:, T]
        b = int(np.searchsorted(t, due_t))
        if self._gyro:
            a = int(np.searchsorted(t, contact_t))
            return float((-sign * hist[a:b, _SWING]).sum()) / self._fs
        a = int(np.searchsorted(t, 0.5 * (contact_t + due_t)))
        b = min(b, len(t) - 1)
        turn = abs(float(hist[b, _INCLINE] - hist[a, _INCLINE])) if b > a else 0.0
        return math.degrees(turn)
