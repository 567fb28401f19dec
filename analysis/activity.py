"""The activity stage: one decision per moment, after the detectors.

Each detector decides alone whether its own events happened; the wearer does one thing at a
time. The stage runs after the detectors on the same samples and their events, tells what
the wearer is doing (``Activity``: walking, pedalling, jumping, standing, sitting, unknown),
publishes it (an ``activity`` event on every change) and takes out the events that
contradict it:

- **Walking** is two steps within ``walk_gap_s`` of each other; it holds for
  ``walk_hold_s`` after the last step. **Pedalling** is a revolution (the pedalling
  detector reports none before three confirmed cycles); it holds for two turns at its
  cadence, at least ``pedal_hold_s``. Walking and pedalling exclude each other: at each step
  or revolution their evidence over the last ``compare_s`` is weighed (a revolution weighs
  as two steps: one leg cycle each); the activity there is keeps it unless the other has
  more than a quarter more (``_SWITCH_MARGIN``: a fast walk's strides can read as a cadence,
  and a bare majority flipped at every event), with neither the one with more wins, and the
  loser's events are taken out (revolutions while walking, steps while pedalling).
- A **jump** inside a walking or pedalling bout, or within ``pause_s`` after its last step
  or revolution, is taken out unless its flight is unmistakable (the jump's
  ``confidence``, from the depth of its flight, at least ``unmistakable_jump_confidence``);
  a jump that stays makes the activity ``jumping`` for ``jump_hold_s`` after its landing.
- **Still**: over the last ``still_window_s`` the magnitude of specific force varies by at
  most ``still_sd_g`` (standard deviation; it leaves stillness above twice that). A step
  there is taken out. Whether a still wearer stands or sits only a thigh band tells
  (``Placement.THIGH``: thigh within ``standing_tilt_deg`` of upright, standing; beyond
  ``sitting_tilt_deg``, sitting); elsewhere a still wearer is ``unknown`` (a chest's tilt
  is the same sitting at a desk and standing: 7.6 and 7.4 degrees median on the real chest
  recording of Casale et al.).
- A walking or pedalling bout summary is taken out when every step or revolution of it was.

Latency: the stage holds nothing back. An event is decided when it arrives, on the samples
and events up to its ``detected_at``, so the kept events keep their detectors' latency. An
activity change is reported when its evidence arrives (walking at the second step's
``detected_at``, pedalling at the first revolution's, jumping at the jump's), a still spell
``still_window_s`` after it began, and the end of an activity ``walk_hold_s``,
``pedal_hold_s`` (or two turns) or ``jump_hold_s`` after its last event, said
``lapse_wait_s`` later (dated at the lapse) so that an event its detector confirms late does
not end the activity and start it again.

Streaming: every decision uses only samples and events up to its own time, events are taken
in emission order and samples in time order between them, so the output does not depend on
how the stream is chunked. A gap in the samples shorter than ``max_bridged_gap_s`` is
ignored (the still window runs on); a longer one forgets the still window.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from analysis.events import (
    Activity,
    ActivityEvent,
    Event,
    JumpEvent,
    PedalBoutEvent,
    PedalReversalEvent,
    RevolutionEvent,
    StepEvent,
    WalkBoutEvent,
)
from analysis.params import BRIDGED_GAP_S, bounded, check_ranges
from analysis.types import FloatArray, Placement, Samples, StreamInfo

__all__ = ["ActivityParams", "ActivityStage"]

#: Published stillness ends where ``|a|`` varies by more than this many ``still_sd_g``.
_STILL_EXIT = 1.5

#: Walking gives way to pedalling, and pedalling to walking, only to more than this many
#: times its evidence over ``compare_s``. A fast walk at a shank without gyroscope (stress
#: set seed 1, file 007: 132 steps/min) reads its strides as turns of 66 rpm; its counts tie
#: within one event (9 steps against 2 x 5 turns: 1.11), and with the bare majority the
#: activity changed at nearly every step and revolution (22 changes in its two 10 s walks),
#: 11 revolutions were kept and 5 steps taken out. Measured: at 1.1 nothing changes; from
#: 1.25 (to 1.5 alike) the stress set's walks keep no revolution (17 on 5 files before) and
#: their step F1 rises on 3 files (007 0.918 -> 0.978), its rides keep their false steps (5)
#: and revolutions; the pedalling sweeps lose 1 of 1,385 revolutions in two cells and gain 2
#: in one; `evaluate` on every real and simulated recording unchanged. A real change of
#: activity is over the margin within a second or two: the old activity's events stop.
_SWITCH_MARGIN = 1.25


class _State(IntEnum):
    """The stage's own states; ``STILL`` is published as ``unknown`` (posture not told)."""

    UNKNOWN = 0
    STILL = 1
    STANDING = 2
    SITTING = 3
    WALKING = 4
    PEDALLING = 5
    JUMPING = 6


_PUBLISHED = {
    _State.UNKNOWN: Activity.UNKNOWN,
    _State.STILL: Activity.UNKNOWN,
    _State.STANDING: Activity.STANDING,
    _State.SITTING: Activity.SITTING,
    _State.WALKING: Activity.WALKING,
    _State.PEDALLING: Activity.PEDALLING,
    _State.JUMPING: Activity.JUMPING,
}


@dataclass(frozen=True)
class ActivityParams:
    """Parameters of the activity stage (TOML table ``[detectors.activity]``).

    Parameters
    ----------
    walk_gap_s, walk_hold_s
        Two steps at most ``walk_gap_s`` apart make a walk; it holds ``walk_hold_s`` after
        the last step (the slowest walking, 50 steps/min, has 1.2 s between steps, and a
        trunk's steps arrive 0.45 s after their contact).
    pedal_hold_s
        Pedalling holds two turns at its cadence after the last revolution, at least this.
    compare_s
        How far back steps and revolutions are counted when walking and pedalling compete.
    jump_hold_s
        A jump makes the activity ``jumping`` this long after its landing (a set's pause).
    lapse_wait_s
        An activity whose evidence lapsed ends only this much later (dated at the lapse):
        the detectors confirm a step or a revolution up to about a second after it (a
        shank's steps 0.8 s at p95), and one that comes in that time keeps the activity
        instead of ending it and starting it again.
    pause_s
        A jump that is not unmistakable is taken out within this long after the last step
        or revolution kept as well, bout or not: a rider stopping to pedal the other way
        (the stress set's riders stop 0.3-2.0 s, after a 1.5 s slowing; at 42 rpm the
        pedalling bout lapses 2.8 s after its last revolution) passes the top of the stroke
        as slowly as a jump's flight; stress set seed 1, file 150, 4.4 s after the last
        revolution, confidence 0.27. The simulated jumps (fixtures and stress set) and the
        real sacrum jump keep their F1 of 1.00 with it.
    unmistakable_jump_confidence
        A jump inside a walking or pedalling bout stays only with at least this
        ``confidence`` (the jump detector's: ``1 - depth / max_flight_depth_g``; 0.5 is a
        flight whose stillest 60 ms average 0.18 g or less). Margin: the simulated shank
        rides whose top-of-stroke dips pass the jump detector's rules (stress set seed 1,
        files 150 and 183) read 0.17-0.34 (depths 0.24-0.30 g; 0.5 is 1.47x that
        confidence's ... depth 1.31x below the shallowest); the real walks give no jump
        at all to veto. Of the 611 simulated jumps, 599 read 0.5 or more: a jump inside a
        bout is lost only if it is shallower (a loose strap ringing through the flight).
    still_window_s, still_sd_g
        Still: the standard deviation of ``|a|`` over the last ``still_window_s`` at most
        ``still_sd_g``. Margin: the 2 s before each detected step of the real walks (5,682
        steps of IPOL, Oxford, RealWorld) vary by 0.051 g at least (2.6x the level), of
        the simulated walks (fixtures and stress set, 3,435 steps, 50-140 steps/min) by
        0.028 g (1.4x); the false steps of the real chest at rest (Casale) sit in windows
        of 0.026 g and more, so this rule takes out almost none of them: telling a
        fidgeting trunk from a walking one is the step detector's work.
    standing_tilt_deg, sitting_tilt_deg
        A still thigh within ``standing_tilt_deg`` of its standing up axis is standing;
        beyond ``sitting_tilt_deg`` (a seated thigh lies near 90°) sitting; between them
        unknown.
    max_bridged_gap_s
        A gap in the samples up to this long (shorter than a step) does not restart the
        still window.
    """

    walk_gap_s: float = field(default=2.5, metadata=bounded(0.5, 10.0))
    walk_hold_s: float = field(default=2.0, metadata=bounded(0.5, 10.0))
    pedal_hold_s: float = field(default=2.0, metadata=bounded(0.5, 10.0))
    compare_s: float = field(default=4.0, metadata=bounded(1.0, 20.0))
    jump_hold_s: float = field(default=3.0, metadata=bounded(0.5, 60.0))
    lapse_wait_s: float = field(default=1.0, metadata=bounded(0.0, 5.0))
    pause_s: float = field(default=6.0, metadata=bounded(0.0, 30.0))
    unmistakable_jump_confidence: float = field(default=0.5, metadata=bounded(0.0, 1.0))
    still_window_s: float = field(default=2.0, metadata=bounded(0.5, 10.0))
    still_sd_g: float = field(default=0.02, metadata=bounded(0.001, 0.5))
    standing_tilt_deg: float = field(default=30.0, metadata=bounded(0.0, 90.0))
    sitting_tilt_deg: float = field(default=60.0, metadata=bounded(0.0, 90.0))
    max_bridged_gap_s: float = field(default=BRIDGED_GAP_S, metadata=bounded(0.0, 2.0))

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.standing_tilt_deg > self.sitting_tilt_deg:
            raise ValueError(
                "standing_tilt_deg must not exceed sitting_tilt_deg, got "
                f"{self.standing_tilt_deg} > {self.sitting_tilt_deg}"
            )


def _carried_sums(kept: FloatArray, rows: FloatArray) -> FloatArray:
    """``kept`` prefix sums, then those of ``rows`` carried on from the last of them: added
    one after another, so the same numbers however the stream was cut."""
    return np.concatenate((kept, np.cumsum(np.concatenate((kept[-1:], rows)), axis=0)[1:]))


class ActivityStage:
    """The activity stage of a pipeline; see the module docstring.

    ``update(chunk, events)`` takes the chunk the detectors saw (finite rows) and their
    events in emission order, and returns the events kept plus the ``activity`` events, in
    emission order. ``flush(events)`` does the same for the detectors' last events.
    """

    def __init__(self, params: ActivityParams, info: StreamInfo) -> None:
        self.params = params
        self.info = info
        fs = info.sample_rate_hz
        self._n = max(2, round(params.still_window_s * fs))
        self._thigh = info.placement.canonical is Placement.THIGH
        self._cos_standing = math.cos(math.radians(params.standing_tilt_deg))
        self._cos_sitting = math.cos(math.radians(params.sitting_tilt_deg))
        # Still windows from running sums: the last ``_n`` prefix sums of ``|a| - 1`` (its
        # square, and the acceleration on the thigh) since the stream began, the first a 0.
        # Sequential sums carried from chunk to chunk are the same numbers however the
        # stream is cut, and each window costs two subtractions, not a pass over its samples.
        self._seen = 0  # samples looked at
        self._prev_t = -math.inf  # time of the last of them
        self._run_start = 0  # index of the first sample after the last gap that restarts
        self._sums: FloatArray = np.zeros((1, 2))  # of |a| - 1 and of its square
        self._sum_acc: FloatArray = np.zeros((1, 3))
        self._still_run = False  # the still flag at the last sample looked at
        self._calm_now = False  # whether the window up to the decisions' sample is still
        self._rest = _State.UNKNOWN
        self._rest_since = -math.inf
        self._state = _State.UNKNOWN
        self._published = Activity.UNKNOWN
        self._published_t = -math.inf  # when the published activity began
        self._walk_until = -math.inf
        self._evidence_t = -math.inf
        self._pedal_until = -math.inf
        self._jump_until = -math.inf
        self._steps: deque[float] = deque()  # step times (kept or not), for the comparison
        self._revs: deque[float] = deque()
        self._last_kept_step = -math.inf
        self._last_kept_cycle = -math.inf  # the last step or revolution kept
        self._kept_steps = 0  # since the last walk bout summary
        self._kept_revs = 0  # since the last pedal bout summary

    @property
    def activity(self) -> Activity:
        """The activity now (as last published)."""
        return self._published

    # -- streaming ---------------------------------------------------------------------

    def update(self, chunk: Samples, events: list[Event]) -> list[Event]:
        out: list[Event] = []
        t = chunk.time_s
        still, calm, rest = self._still_states(chunk)
        i = 0
        n = t.shape[0]
        for event in events:
            j = int(np.searchsorted(t, event.detected_at, side="right"))
            if j > i:
                self._advance(t[i:j], still[i:j], rest[i:j], out)
                self._calm_now = bool(calm[j - 1])
                i = j
            if self._decide(event):
                out.append(event)
            self._settle(event.detected_at, out)
        if i < n:
            self._advance(t[i:], still[i:], rest[i:], out)
            self._calm_now = bool(calm[-1])
        return out

    def flush(self, events: list[Event]) -> list[Event]:
        out: list[Event] = []
        for event in events:
            if self._decide(event):
                out.append(event)
            self._settle(event.detected_at, out)
        return out

    # -- samples -----------------------------------------------------------------------

    def _still_states(
        self, chunk: Samples
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.int8]]:
        """Per sample: still (with hysteresis), calm (its window still, without), and the
        rest state a still wearer is in."""
        t = chunk.time_s
        acc = chunk.acc_g
        m = t.shape[0]
        k = self._n
        c = self._seen
        kept = self._sums.shape[0]
        x = np.sqrt(np.einsum("ij,ij->i", acc, acc)) - 1.0
        sums = _carried_sums(self._sums, np.column_stack((x, x * x)))
        # Sample c + i's window: the prefix sums at rows kept + i and kept + i - k of ``sums``.
        index = np.arange(m)
        lo = index + (kept - k)
        window = sums[index + kept] - sums[np.maximum(lo, 0)]
        mean = window[:, 0] / k
        sd = np.sqrt(np.maximum(window[:, 1] / k - mean * mean, 0.0))
        # A gap longer than the bridged one restarts the window: only samples after the
        # last such gap count.
        steps = np.empty(m)
        steps[:1] = t[:1] - self._prev_t
        np.subtract(t[1:], t[:-1], out=steps[1:])
        starts = np.where(steps > self.params.max_bridged_gap_s, index, self._run_start - c)
        if m:
            starts = np.maximum.accumulate(starts)
        sd_all = np.where((lo >= 0) & (starts <= index - k + 1), sd, np.inf)
        # Published stillness has a hysteresis (still at ``still_sd_g``, moving again above
        # ``_STILL_EXIT`` times it) so that it does not flicker; a step is taken out only
        # where its own window is still (``calm``), without it.
        calm = sd_all <= self.params.still_sd_g
        marks = np.where(calm, 1, np.where(sd_all > _STILL_EXIT * self.params.still_sd_g, 0, -1))
        prev = 1 if self._still_run else 0
        idx = np.maximum.accumulate(np.where(marks >= 0, index, -1)) if m else marks
        still = np.where(idx >= 0, marks[np.maximum(idx, 0)], prev).astype(bool)
        if self._thigh:
            sum_acc = _carried_sums(self._sum_acc, acc)
            acc_mean = (sum_acc[index + kept] - sum_acc[np.maximum(lo, 0)]) / k
            norm = np.linalg.norm(acc_mean, axis=1)
            cos = np.where(norm > 0, acc_mean[:, 2] / np.where(norm > 0, norm, 1.0), 0.0)
            rest = np.where(
                cos >= self._cos_standing,
                int(_State.STANDING),
                np.where(cos <= self._cos_sitting, int(_State.SITTING), int(_State.STILL)),
            ).astype(np.int8)
            self._sum_acc = sum_acc[-k:].copy()
        else:
            rest = np.full(m, int(_State.STILL), dtype=np.int8)
        if m:
            self._still_run = bool(still[-1])
            self._prev_t = float(t[-1])
            self._run_start = c + int(starts[-1])
        self._seen = c + m
        self._sums = sums[-k:].copy()
        return still, calm, rest

    def _advance(
        self, t: FloatArray, still: NDArray[np.bool_], rest: NDArray[np.int8], out: list[Event]
    ) -> None:
        """Samples between events: evidence lapses, still spells begin and end."""
        code = np.where(still, rest, int(_State.UNKNOWN)).astype(np.int8)
        wait = self.params.lapse_wait_s
        active = np.full(t.shape[0], -1, dtype=np.int8)
        active = np.where(t < self._walk_until + wait, int(_State.WALKING), active)
        active = np.where(t < self._pedal_until + wait, int(_State.PEDALLING), active)
        active = np.where(t < self._jump_until + wait, int(_State.JUMPING), active)
        code = np.where(active >= 0, active, code)
        changes = np.flatnonzero(code != int(self._state))
        if not changes.size:
            return
        # The change points: the first sample off the state there is, then wherever the code
        # differs from the sample before.
        diff = np.flatnonzero(np.diff(code)) + 1
        first = int(changes[0])
        for i in [first, *(int(x) for x in diff if x > first)]:
            new = _State(int(code[i]))
            if new is self._state:
                continue
            at = float(t[i])
            began = at
            if new in (_State.STILL, _State.STANDING, _State.SITTING):
                # The still window's first sample: ``_n`` samples end at ``at``.
                began = at - (self._n - 1) / self.info.sample_rate_hz
            lapsed = self._lapsed_at()
            if lapsed is not None:
                # An activity ends where its evidence lapsed, not where the wait ran out.
                began = lapsed if new is _State.UNKNOWN else max(began, min(lapsed, at))
            self._change(new, began, at, out)

    def _lapsed_at(self) -> float | None:
        """When the evidence of the activity there is lapsed (``None`` for a rest state)."""
        return {
            _State.WALKING: self._walk_until,
            _State.PEDALLING: self._pedal_until,
            _State.JUMPING: self._jump_until,
        }.get(self._state)

    # -- events ------------------------------------------------------------------------

    def _decide(self, event: Event) -> bool:
        """Whether ``event`` stays; updates the evidence it carries."""
        p = self.params
        now = event.detected_at
        if isinstance(event, StepEvent):
            self._steps.append(event.t)
            self._trim(now)
            walking = self._contest(now, step=True)
            if not walking or self._calm_now:
                return False
            if event.t - self._last_kept_step <= p.walk_gap_s:
                if now >= self._walk_until:
                    self._evidence_t = self._last_kept_step
                self._walk_until = max(self._walk_until, event.t + p.walk_hold_s)
                self._pedal_until = -math.inf
            self._last_kept_step = event.t
            self._last_kept_cycle = max(self._last_kept_cycle, event.t)
            self._kept_steps += 1
            return True
        if isinstance(event, RevolutionEvent):
            self._revs.append(event.t)
            self._trim(now)
            if self._contest(now, step=False):
                return False
            turn = 60.0 / event.cadence_rpm if event.cadence_rpm > 0 else 0.0
            if now >= self._pedal_until:
                self._evidence_t = event.t
            self._pedal_until = max(self._pedal_until, event.t + max(p.pedal_hold_s, 2 * turn))
            self._walk_until = -math.inf
            self._last_kept_cycle = max(self._last_kept_cycle, event.t)
            self._kept_revs += 1
            return True
        if isinstance(event, JumpEvent):
            in_bout = (
                now < self._walk_until
                or now < self._pedal_until
                or event.takeoff_t - self._last_kept_cycle <= p.pause_s
            )
            confidence = event.confidence if event.confidence is not None else 1.0
            if in_bout and confidence < p.unmistakable_jump_confidence:
                return False
            self._evidence_t = event.takeoff_t
            self._jump_until = max(self._jump_until, event.landing_t + p.jump_hold_s)
            return True
        if isinstance(event, PedalReversalEvent):
            return now >= self._walk_until
        if isinstance(event, WalkBoutEvent):
            kept = self._kept_steps > 0
            self._kept_steps = 0
            return kept
        if isinstance(event, PedalBoutEvent):
            kept = self._kept_revs > 0
            self._kept_revs = 0
            return kept
        return True

    def _trim(self, now: float) -> None:
        cutoff = now - self.params.compare_s
        while self._steps and self._steps[0] < cutoff:
            self._steps.popleft()
        while self._revs and self._revs[0] < cutoff:
            self._revs.popleft()

    def _contest(self, now: float, *, step: bool) -> bool:
        """Walking (``True``) or pedalling (``False``) by the evidence of the last
        ``compare_s``: the activity there is keeps it unless the other has more than
        ``_SWITCH_MARGIN`` times its evidence; with neither, the one with more, and on a tie
        the arriving event's."""
        walk = len(self._steps)
        pedal = 2 * len(self._revs)
        if now < self._walk_until:
            return pedal <= _SWITCH_MARGIN * walk
        if now < self._pedal_until:
            return walk > _SWITCH_MARGIN * pedal
        if walk != pedal:
            return walk > pedal
        return step

    def _settle(self, at: float, out: list[Event]) -> None:
        """After an event: the state its evidence makes, if that changed."""
        if at < self._jump_until:
            new = _State.JUMPING
        elif at < self._pedal_until:
            new = _State.PEDALLING
        elif at < self._walk_until:
            new = _State.WALKING
        else:
            return
        if new is not self._state:
            began = self._evidence_t if math.isfinite(self._evidence_t) else at
            self._change(new, min(began, at), at, out)

    def _change(self, new: _State, t: float, at: float, out: list[Event]) -> None:
        self._state = new
        published = _PUBLISHED[new]
        if published is self._published:
            return
        # A change's evidence may reach back past the change published before it (walking
        # whose first step came before a still spell was called): the timeline stays in
        # order, the new activity begins where the last one did at the earliest.
        t = max(t, self._published_t)
        out.append(ActivityEvent(t=t, detected_at=at, activity=published, previous=self._published))
        self._published = published
        self._published_t = t
