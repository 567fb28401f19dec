"""Interval programs and live coaching cues: where the wearer is in a program, from events.

A ``Program`` lists intervals (walk, pedal or jump in a direction, or rest), each as long as a
time or a number of repetitions, with optional targets: a cadence range, landings no harder
than soft or firm, a jump height, a heart-rate zone. ``ProgramFollower`` takes the detection
events of one band as they come, with the stream's time and heart rate, and returns ``Cue``
objects — short sentences with the numbers behind them — when they matter:

- an interval starts (the activity's first event: the first step, revolution or jump; a rest
  starts when the interval before it ends), is done (its time or its repetitions), and the
  next is announced (``next_warning_s`` before a rest ends);
- cadence below or above the target for ``cadence_hold_s``; walking or pedalling the other
  way than the interval asks (``wrong_direction_events`` in a row); a pedal reversal the
  interval did not ask for; a stiff landing, and a streak of soft ones; a jump below the
  target height; heart rate out of its zone for ``hr_hold_s``.

Cues are rate-limited — one kind at most once per ``repeat_gap_s``, any two advice cues at
least ``min_gap_s`` apart (the interval's own start, done and next cues always pass) — and a
kind listed in ``CoachParams.off`` is never given. Cues held back are counted, not lost
silently (``ProgramFollower.suppressed``).

The follower is a discrete-event machine ordered by the events' ``detected_at``: before an
event is taken, every deadline before it (an interval's end, a cadence held out of range)
fires, so the cues depend on the events, never on how samples were chunked. ``advance(now)``
fires the deadlines up to ``now`` (the stream's latest sample time) and ``finish(end_t)``
closes the program with a result per interval.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from analysis.events import (
    Direction,
    Event,
    JumpEvent,
    PedalReversalEvent,
    RevolutionEvent,
    StepEvent,
)
from analysis.landing import Landing, judge_landing
from analysis.types import Placement, StreamInfo


class IntervalActivity(StrEnum):
    """What an interval asks for."""

    WALK = "walk"
    PEDAL = "pedal"
    JUMP = "jump"
    REST = "rest"


#: What the events of each activity count as repetitions.
_REP_NAMES = {
    IntervalActivity.WALK: "steps",
    IntervalActivity.PEDAL: "revolutions",
    IntervalActivity.JUMP: "jumps",
}

#: Which landings each ``landing`` target accepts.
_LANDINGS_ACCEPTED = {
    "soft": (Landing.SOFT,),
    "firm": (Landing.SOFT, Landing.FIRM),
}


class CueKind(StrEnum):
    """The kinds of cue; each can be switched off (``CoachParams.off``)."""

    INTERVAL_START = "interval_start"
    INTERVAL_DONE = "interval_done"
    INTERVAL_NEXT = "interval_next"
    PROGRAM_DONE = "program_done"
    CADENCE_LOW = "cadence_low"
    CADENCE_HIGH = "cadence_high"
    WRONG_DIRECTION = "wrong_direction"
    PEDAL_REVERSAL = "pedal_reversal"
    STIFF_LANDING = "stiff_landing"
    SOFT_STREAK = "soft_streak"
    JUMP_LOW = "jump_low"
    HEART_RATE_HIGH = "heart_rate_high"
    HEART_RATE_LOW = "heart_rate_low"


#: Cues about the program's own structure: never held back by the rate limit.
STRUCTURE_CUES = frozenset(
    {
        CueKind.INTERVAL_START,
        CueKind.INTERVAL_DONE,
        CueKind.INTERVAL_NEXT,
        CueKind.PROGRAM_DONE,
    }
)


def _check_range(name: str, value: tuple[float, float] | None, lo: float, hi: float) -> None:
    if value is None:
        return
    if len(value) != 2 or not all(math.isfinite(v) for v in value):
        raise ValueError(f"{name}: expected [low, high], got {list(value)}")
    if not (lo <= value[0] < value[1] <= hi):
        raise ValueError(f"{name}: expected low < high within {lo:g}..{hi:g}, got {list(value)}")


@dataclass(frozen=True)
class Interval:
    """One interval of a program.

    Parameters
    ----------
    activity
        ``walk``, ``pedal``, ``jump`` or ``rest``.
    direction
        ``forward``, ``backward`` (``vertical`` for jumps) or ``any``.
    duration_s
        How long the interval lasts once started; a rest needs it.
    reps
        Or how many repetitions: steps, revolutions or jumps (not for a rest).
    name
        What cues call it; by default made from the activity and direction.
    cadence_spm
        Target walking cadence ``[low, high]`` in steps per minute (walk only).
    cadence_rpm
        Target pedal cadence ``[low, high]`` in revolutions per minute (pedal only).
    landing
        The hardest landing on target: ``soft``, or ``firm`` (jump only;
        ``analysis.landing``).
    min_height_m
        Target jump height (jump only).
    hr_zone
        Target heart-rate zones ``[low, high]``, 1 = lowest (see ``[hr_zones]``).
    """

    activity: IntervalActivity
    direction: Literal["any", "forward", "backward", "vertical"] = "any"
    duration_s: float | None = None
    reps: int | None = None
    name: str = ""
    cadence_spm: tuple[float, float] | None = None
    cadence_rpm: tuple[float, float] | None = None
    landing: Literal["soft", "firm"] | None = None
    min_height_m: float | None = None
    hr_zone: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        rest = self.activity is IntervalActivity.REST
        if self.duration_s is not None and not (
            math.isfinite(self.duration_s) and 1.0 <= self.duration_s <= 86_400.0
        ):
            raise ValueError(f"duration_s: expected 1..86400 seconds, got {self.duration_s}")
        if self.reps is not None and not 1 <= self.reps <= 100_000:
            raise ValueError(f"reps: expected 1..100000, got {self.reps}")
        if rest:
            if self.duration_s is None:
                raise ValueError("duration_s: a rest needs a duration")
            if self.reps is not None:
                raise ValueError("reps: a rest has no repetitions; give duration_s")
            if self.direction != "any":
                raise ValueError("direction: a rest has no direction")
        elif (self.duration_s is None) == (self.reps is None):
            raise ValueError("duration_s: give either duration_s or reps, not both or neither")
        if self.direction == "vertical" and self.activity is not IntervalActivity.JUMP:
            raise ValueError(f"direction: 'vertical' is for jumps, not {self.activity}")
        _check_range("cadence_spm", self.cadence_spm, 20.0, 250.0)
        _check_range("cadence_rpm", self.cadence_rpm, 10.0, 200.0)
        if self.hr_zone is not None and (
            len(self.hr_zone) != 2 or not 1 <= self.hr_zone[0] <= self.hr_zone[1] <= 10
        ):
            raise ValueError(
                f"hr_zone: expected [low, high] within 1..10, got {list(self.hr_zone)}"
            )
        if self.min_height_m is not None and not (
            math.isfinite(self.min_height_m) and 0.0 < self.min_height_m <= 2.0
        ):
            raise ValueError(f"min_height_m: expected 0..2 m, got {self.min_height_m}")
        for key, only in (
            ("cadence_spm", IntervalActivity.WALK),
            ("cadence_rpm", IntervalActivity.PEDAL),
            ("landing", IntervalActivity.JUMP),
            ("min_height_m", IntervalActivity.JUMP),
        ):
            if getattr(self, key) is not None and self.activity is not only:
                raise ValueError(f"{key}: a target for '{only}' intervals, not '{self.activity}'")

    @property
    def title(self) -> str:
        """What cues call the interval: its name, or ``walk backward``."""
        if self.name:
            return self.name
        if self.activity is IntervalActivity.REST or self.direction == "any":
            return str(self.activity)
        return f"{self.activity} {self.direction}"

    @property
    def length(self) -> str:
        """``2 min``, ``45 s`` or ``8 jumps``."""
        if self.reps is not None:
            return f"{self.reps} {_REP_NAMES[self.activity]}"
        return _duration(self.duration_s or 0.0)


@dataclass(frozen=True)
class Program:
    """A named list of intervals, run ``repeat`` times.

    Parameters
    ----------
    name
        Shown on the status line, the live page and in cues.
    intervals
        The intervals of one round, in order.
    description
        One or two sentences for ``retrosense program show``.
    repeat
        How many rounds.
    """

    name: str
    intervals: tuple[Interval, ...]
    description: str = ""
    repeat: int = 1

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("name: a program needs a name")
        if not self.intervals:
            raise ValueError("intervals: a program needs at least one interval")
        if not 1 <= self.repeat <= 1000:
            raise ValueError(f"repeat: expected 1..1000, got {self.repeat}")
        if all(i.activity is IntervalActivity.REST for i in self.intervals):
            raise ValueError("intervals: a program of rests only has nothing to follow")

    def plan(self) -> list[tuple[int, int, Interval]]:
        """Every interval to do, in order, as ``(round, index in the round, interval)``."""
        return [
            (r, i, interval)
            for r in range(1, self.repeat + 1)
            for i, interval in enumerate(self.intervals, start=1)
        ]


@dataclass(frozen=True)
class CoachParams:
    """When and how often cues are given.

    Parameters
    ----------
    cadence_hold_s
        Cadence outside its target this long before a cue.
    hr_hold_s
        Heart rate outside its zone this long before a cue.
    wrong_direction_events
        Steps or revolutions the other way in a row before a cue.
    soft_streak
        Soft landings in a row worth a cue.
    repeat_gap_s
        The same kind of advice at most once in this many seconds.
    min_gap_s
        Any two advice cues at least this far apart.
    next_warning_s
        How long before a rest ends the next interval is announced.
    cadence_timeout_s
        No step (or revolution) for this long: the cadence has fallen to 0.
    off
        Cue kinds never given.
    """

    cadence_hold_s: float = 5.0
    hr_hold_s: float = 15.0
    wrong_direction_events: int = 4
    soft_streak: int = 3
    repeat_gap_s: float = 20.0
    min_gap_s: float = 3.0
    next_warning_s: float = 10.0
    cadence_timeout_s: float = 3.0
    off: tuple[CueKind, ...] = ()

    def __post_init__(self) -> None:
        for key, lo, hi in (
            ("cadence_hold_s", 0.0, 600.0),
            ("hr_hold_s", 0.0, 600.0),
            ("repeat_gap_s", 0.0, 3600.0),
            ("min_gap_s", 0.0, 600.0),
            ("next_warning_s", 0.0, 600.0),
            ("cadence_timeout_s", 0.5, 60.0),
        ):
            value = getattr(self, key)
            if not (math.isfinite(value) and lo <= value <= hi):
                raise ValueError(f"{key}: expected {lo:g}..{hi:g} seconds, got {value}")
        for key in ("wrong_direction_events", "soft_streak"):
            if not 1 <= getattr(self, key) <= 1000:
                raise ValueError(f"{key}: expected 1..1000, got {getattr(self, key)}")


@dataclass(frozen=True)
class Cue:
    """A short message for the wearer, and the numbers behind it.

    ``t`` is when the situation arose on the recording's time axis; ``detected_at`` when the
    follower could know it (the later of ``t`` and the event that told it).
    """

    t: float
    detected_at: float
    kind: CueKind
    text: str
    #: 1-based position of the interval in the whole plan, and its round.
    interval: int
    round: int
    numbers: dict[str, float | int | str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "cue",
            "t": round(self.t, 6),
            "detected_at": round(self.detected_at, 6),
            "kind": str(self.kind),
            "text": self.text,
            "interval": self.interval,
            "round": self.round,
            "numbers": {
                k: round(v, 3) if isinstance(v, float) else v for k, v in self.numbers.items()
            },
        }


@dataclass(frozen=True)
class IntervalResult:
    """How one interval of the plan went (in the session summary and the report)."""

    interval: int
    round: int
    title: str
    activity: IntervalActivity
    direction: str
    status: Literal["done", "incomplete", "not started"]
    start_t: float | None
    end_t: float | None
    duration_s: float
    reps: int
    target_reps: int | None
    target_duration_s: float | None
    #: What was judged against the interval's targets, and of it what was on target: seconds
    #: of cadence (walk, pedal), or jumps (jump); ``None`` without targets.
    measured: float | None
    on_target: float | None
    cadence_mean: float | None
    wrong_direction: int
    landings: dict[str, int]
    best_landing_softness: float | None
    worst_landing_softness: float | None
    worst_landing_peak_g: float | None

    @property
    def on_target_pct(self) -> float | None:
        if not self.measured or self.on_target is None:
            return None
        return 100.0 * self.on_target / self.measured

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = round(value, 3) if isinstance(value, float) else value
        out["activity"] = str(self.activity)
        pct = self.on_target_pct
        out["on_target_pct"] = None if pct is None else round(pct, 1)
        return out


@dataclass(frozen=True)
class Progress:
    """Where the wearer is now (the live state's ``program`` object)."""

    program: str
    interval: int
    intervals: int
    round: int
    rounds: int
    title: str
    activity: IntervalActivity
    direction: str
    status: Literal["waiting", "active", "finished"]
    time_left_s: float | None
    reps_done: int
    reps_left: int | None
    on_target_pct: float | None

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["activity"] = str(self.activity)
        for key in ("time_left_s", "on_target_pct"):
            if out[key] is not None:
                out[key] = round(out[key], 1)
        return out


def _duration(seconds: float) -> str:
    """``45 s``, ``2 min``, ``1 min 30 s``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    m, rest = divmod(s, 60)
    return f"{m} min" if rest == 0 else f"{m} min {rest} s"


@dataclass
class _Running:
    """The interval under way: counters and the target bookkeeping."""

    index: int
    round: int
    interval: Interval
    #: When the interval became the one under way; events before it belong to the last one.
    opened_t: float
    start_t: float | None = None
    end_t: float | None = None
    done: bool = False
    reps: int = 0
    wrong_in_row: int = 0
    wrong_total: int = 0
    #: The wearer has been told about going the other way (by a reversal or a run of
    #: events); reset by the next event in the asked direction.
    wrong_told: bool = False
    # Cadence: the latest value, since when it has been outside the target, and a timeline
    # of (time, on target) changes for the time-on-target figure.
    event_times: deque[float] = field(default_factory=lambda: deque(maxlen=5))
    cadence: float | None = None
    cadence_values: list[float] = field(default_factory=list)
    out_since: float | None = None
    out_side: CueKind | None = None
    out_cued: bool = False
    #: Seconds (walk, pedal) or jumps (jump) with a target judged, and of those on target.
    measured: float = 0.0
    on_target: float = 0.0
    mark_t: float | None = None
    mark_on: bool | None = None
    landings: dict[str, int] = field(default_factory=dict)
    soft_in_row: int = 0
    softness: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    warned_next: bool = False

    def mark(self, t: float, on: bool | None) -> None:
        """Time-on-target bookkeeping: the state ``on`` holds from ``t``."""
        if self.mark_t is not None and self.mark_on is not None and t > self.mark_t:
            self.measured += t - self.mark_t
            if self.mark_on:
                self.on_target += t - self.mark_t
        if self.mark_t is None or t >= self.mark_t:
            self.mark_t, self.mark_on = t, on


class ProgramFollower:
    """Follow one band through a program; see the module docstring.

    Parameters
    ----------
    program
        What to follow.
    params
        Cue timing, rate limits and the kinds switched off.
    hr_zone_bounds_bpm
        Heart-rate zone bounds (``analysis.summary.hr_zone_bounds_bpm``): each zone's lower
        bound, then the maximum; ``None`` where the maximum heart rate is not known (zone
        targets are then not checked).
    stream
        The band's stream: landings are judged only where its placement and rate can tell
        (``analysis.landing``); by default a chest band at 100 Hz.
    """

    def __init__(
        self,
        program: Program,
        params: CoachParams | None = None,
        hr_zone_bounds_bpm: tuple[float, ...] | None = None,
        stream: StreamInfo | None = None,
    ) -> None:
        self.program = program
        self.params = params or CoachParams()
        self._stream = stream or StreamInfo(sample_rate_hz=100.0, placement=Placement.CHEST)
        self._zones = hr_zone_bounds_bpm
        self._plan = program.plan()
        self._pos = 0
        self._run: _Running | None = None
        #: The interval closed last: events that happened in it but were detected after its
        #: end (the detectors' latency) still count there.
        self._closed: _Running | None = None
        self._muted = False
        self._results: list[IntervalResult] = []
        self._last_cue_t: dict[CueKind, float] = {}
        self._last_advice_t = -math.inf
        self._now = -math.inf
        self._started = False
        self._finished = False
        self._hr_out_since: float | None = None
        self._hr_side: CueKind | None = None
        self._hr_cued = False
        self._hr_zone: int | None = None
        #: Cues held back by the rate limit, by kind (switched-off kinds are not counted).
        self.suppressed: dict[str, int] = {}

    # -- input -------------------------------------------------------------------------------

    def begin(self, t: float) -> list[Cue]:
        """The stream starts at ``t`` (its first sample): the first interval opens.

        Without it the first event's time or the first ``advance`` is taken, which depends
        on how the stream was chunked; the session calls it with the first sample's time.
        """
        if self._started:
            return []
        self._started = True
        self._now = max(self._now, t)
        return self._open(0, t, previous=None)

    def update(self, events: Iterable[Event]) -> list[Cue]:
        """Take events in emission order; return the cues they (and deadlines before) raise."""
        cues: list[Cue] = []
        for event in events:
            if not self._started:
                cues += self.begin(event.t)
            cues += self._until(event.detected_at, inclusive=False)
            self._now = max(self._now, event.detected_at)
            cues += self._take(event)
        return cues

    def advance(self, now_t: float) -> list[Cue]:
        """The stream has reached ``now_t``: fire the deadlines up to it."""
        cues = [] if self._started else self.begin(now_t)
        cues += self._until(now_t, inclusive=True)
        self._now = max(self._now, now_t)
        return cues

    def heart_rate(self, t: float, bpm: float) -> list[Cue]:
        """A heart-rate reading at ``t``."""
        cues = [] if self._started else self.begin(t)
        cues += self._until(t, inclusive=False)
        self._now = max(self._now, t)
        run = self._run
        if self._zones is None or not math.isfinite(bpm) or bpm <= 0:
            return cues
        zone = sum(1 for lower in self._zones[:-1] if bpm >= lower)  # 0 = below zone 1
        self._hr_zone = zone
        target = run.interval.hr_zone if run is not None and run.start_t is not None else None
        if target is None:
            self._hr_out_since, self._hr_cued = None, False
            return cues
        side = (
            CueKind.HEART_RATE_LOW
            if zone < target[0]
            else CueKind.HEART_RATE_HIGH
            if zone > target[1]
            else None
        )
        if side is None:
            self._hr_out_since, self._hr_side, self._hr_cued = None, None, False
        elif side is not self._hr_side or self._hr_out_since is None:
            self._hr_out_since, self._hr_side, self._hr_cued = t, side, False
        cues += self._until(t, inclusive=True)
        return cues

    def finish(self, end_t: float) -> list[Cue]:
        """The session has ended at ``end_t``: fire what is due and close the program."""
        cues = self.advance(end_t)
        if not self._finished:
            self._close_run(end_t, done=False)
            for pos in range(self._pos + 1, len(self._plan)):
                r, _, interval = self._plan[pos]
                self._results.append(_not_started(pos + 1, r, interval))
            self._pos = len(self._plan)
            self._finished = True
        return cues

    # -- output ------------------------------------------------------------------------------

    @property
    def results(self) -> list[IntervalResult]:
        """One result per interval closed so far (all of them after ``finish``)."""
        return list(self._results)

    def progress(self, now_t: float) -> Progress:
        """Where the wearer is at ``now_t`` (for the live state and the status line)."""
        plan_len = len(self._plan)
        if self._run is None:
            r, _, interval = self._plan[min(self._pos, plan_len - 1)]
            return Progress(
                program=self.program.name,
                interval=min(self._pos + 1, plan_len),
                intervals=plan_len,
                round=r,
                rounds=self.program.repeat,
                title=interval.title,
                activity=interval.activity,
                direction=interval.direction,
                status="finished" if self._finished else "waiting",
                time_left_s=None,
                reps_done=0,
                reps_left=None,
                on_target_pct=None,
            )
        run = self._run
        iv = run.interval
        time_left = None
        if iv.duration_s is not None:
            elapsed = 0.0 if run.start_t is None else max(0.0, now_t - run.start_t)
            time_left = max(0.0, iv.duration_s - elapsed)
        on_pct = 100.0 * run.on_target / run.measured if run.measured > 0 else None
        return Progress(
            program=self.program.name,
            interval=run.index,
            intervals=plan_len,
            round=run.round,
            rounds=self.program.repeat,
            title=iv.title,
            activity=iv.activity,
            direction=iv.direction,
            status="active" if run.start_t is not None else "waiting",
            time_left_s=time_left,
            reps_done=run.reps,
            reps_left=None if iv.reps is None else max(0, iv.reps - run.reps),
            on_target_pct=on_pct,
        )

    # -- the machine -------------------------------------------------------------------------

    def _cue(
        self,
        t: float,
        kind: CueKind,
        text: str,
        run: _Running | None = None,
        **numbers: float | int | str,
    ) -> list[Cue]:
        """A cue, unless switched off or held back by the rate limit."""
        if kind in self.params.off or self._muted:
            return []
        if kind not in STRUCTURE_CUES:
            last = self._last_cue_t.get(kind, -math.inf)
            if (
                t - last < self.params.repeat_gap_s
                or t - self._last_advice_t < self.params.min_gap_s
            ):
                self.suppressed[str(kind)] = self.suppressed.get(str(kind), 0) + 1
                return []
            self._last_advice_t = t
        self._last_cue_t[kind] = t
        run = run or self._run
        index, rnd = (run.index, run.round) if run is not None else (self._pos + 1, 1)
        return [
            Cue(
                t=t,
                detected_at=max(t, self._now),
                kind=kind,
                text=text,
                interval=index,
                round=rnd,
                numbers=dict(numbers),
            )
        ]

    def _open(self, pos: int, t: float, previous: _Running | None) -> list[Cue]:
        """Make ``pos`` the interval under way (a rest starts at ``t``, others wait)."""
        self._pos = pos
        r, _, interval = self._plan[pos]
        run = _Running(index=pos + 1, round=r, interval=interval, opened_t=t)
        self._run = run
        self._hr_out_since, self._hr_side, self._hr_cued = None, None, False
        where = f"Interval {pos + 1} of {len(self._plan)}"
        if interval.activity is IntervalActivity.REST:
            run.start_t = t
            run.mark(t, None)
            if previous is None:
                return self._cue(
                    t, CueKind.INTERVAL_START, f"{where}: rest {interval.length}.", run=run
                )
            return []  # the interval before announced the rest with its own "done"
        if previous is None:
            return self._cue(
                t,
                CueKind.INTERVAL_NEXT,
                f"{where}: {interval.title}, {interval.length}. Start when ready.",
                run=run,
            )
        return []

    def _take(self, event: Event) -> list[Cue]:
        cues: list[Cue] = []
        kind = _activity_of(event)
        run = self._run
        if run is None or event.t < run.opened_t:
            self._count_late(event, kind)
            return cues
        iv = run.interval
        if kind is not iv.activity:
            return cues
        if run.start_t is None:
            if isinstance(event, PedalReversalEvent):
                return cues
            run.start_t = event.t
            run.mark(event.t, None)
            cues += self._cue(event.t, CueKind.INTERVAL_START, f"Go: {iv.title}, {iv.length}.")
        if isinstance(event, StepEvent | RevolutionEvent):
            cues += self._repetition(run, event)
        elif isinstance(event, JumpEvent):
            cues += self._jump(run, event)
        elif isinstance(event, PedalReversalEvent):
            wanted = iv.direction
            if wanted != "any" and str(event.to_direction) != wanted:
                run.wrong_told = True
                cues += self._cue(
                    event.t,
                    CueKind.PEDAL_REVERSAL,
                    f"The pedals turned {event.to_direction}; this interval is {wanted}.",
                    direction=str(event.to_direction),
                )
        if iv.reps is not None and run.reps >= iv.reps:
            cues += self._done(event.t)
        return cues

    def _repetition(self, run: _Running, event: StepEvent | RevolutionEvent) -> list[Cue]:
        """A step or revolution: count it, judge its direction and the cadence."""
        cues: list[Cue] = []
        iv = run.interval
        wanted = iv.direction
        direction = str(event.direction)
        opposite = wanted != "any" and direction not in (wanted, str(Direction.UNKNOWN))
        if opposite:
            run.wrong_in_row += 1
            run.wrong_total += 1
            if run.wrong_in_row >= self.params.wrong_direction_events and not run.wrong_told:
                run.wrong_told = True
                verb = "walking" if iv.activity is IntervalActivity.WALK else "pedalling"
                cues += self._cue(
                    event.t,
                    CueKind.WRONG_DIRECTION,
                    f"You are {verb} {direction}; this interval is {wanted}.",
                    direction=direction,
                    count=run.wrong_in_row,
                )
        else:
            if direction == wanted:
                run.wrong_told = False
            run.wrong_in_row = 0
            run.reps += 1
        target = iv.cadence_spm if iv.activity is IntervalActivity.WALK else iv.cadence_rpm
        run.event_times.append(event.t)
        run.cadence = _cadence(run.event_times, iv.activity)
        if run.cadence is not None:
            run.cadence_values.append(run.cadence)
        if target is not None:
            cues += self._judge_cadence(run, event.t, target)
        return cues

    def _judge_cadence(self, run: _Running, t: float, target: tuple[float, float]) -> list[Cue]:
        cadence = run.cadence
        if cadence is None:
            return []
        side = (
            CueKind.CADENCE_LOW
            if cadence < target[0]
            else CueKind.CADENCE_HIGH
            if cadence > target[1]
            else None
        )
        run.mark(t, side is None)
        if side is None:
            run.out_since, run.out_side, run.out_cued = None, None, False
        elif side is not run.out_side or run.out_since is None:
            run.out_since, run.out_side, run.out_cued = t, side, False
        return []

    def _jump(self, run: _Running, jump: JumpEvent) -> list[Cue]:
        cues: list[Cue] = []
        iv = run.interval
        direction = str(jump.direction)
        if iv.direction != "any" and direction not in (iv.direction, str(Direction.UNKNOWN)):
            run.wrong_total += 1
        run.reps += 1
        judged = judge_landing(jump, self._stream.placement, self._stream.sample_rate_hz).landing
        #: Each target this jump could be judged against, met or not.
        verdicts: list[bool] = []
        if judged is not Landing.UNKNOWN:
            run.landings[str(judged)] = run.landings.get(str(judged), 0) + 1
            if jump.landing_softness is not None:
                run.softness.append(jump.landing_softness)
            run.peaks.append(jump.landing_peak_g)
            if iv.landing is not None:
                verdicts.append(judged in _LANDINGS_ACCEPTED[iv.landing])
            if judged is Landing.STIFF:
                run.soft_in_row = 0
                cues += self._cue(
                    jump.t,
                    CueKind.STIFF_LANDING,
                    f"Stiff landing ({jump.landing_peak_g:.1f} g): bend the knees, land on "
                    "the balls of the feet.",
                    landing_peak_g=jump.landing_peak_g,
                    landing_softness=jump.landing_softness or 0.0,
                )
            elif judged is Landing.SOFT:
                run.soft_in_row += 1
                if run.soft_in_row == self.params.soft_streak:
                    run.soft_in_row = 0
                    cues += self._cue(
                        jump.t,
                        CueKind.SOFT_STREAK,
                        f"{self.params.soft_streak} soft landings in a row. Keep it up.",
                        count=self.params.soft_streak,
                    )
            else:
                run.soft_in_row = 0
        if iv.min_height_m is not None:
            verdicts.append(jump.height_m >= iv.min_height_m)
        if iv.min_height_m is not None and jump.height_m < iv.min_height_m:
            cues += self._cue(
                jump.t,
                CueKind.JUMP_LOW,
                f"Jump of {100 * jump.height_m:.0f} cm; aim for {100 * iv.min_height_m:.0f}.",
                height_m=jump.height_m,
                target_m=iv.min_height_m,
            )
        if verdicts:
            # Jumps are moments, not spans: a jump judged counts one, in jumps.
            run.measured += 1.0
            run.on_target += 1.0 if all(verdicts) else 0.0
        return cues

    def _done(self, t: float) -> list[Cue]:
        """The interval under way is done at ``t``: close it, open the next."""
        run = self._run
        assert run is not None
        self._close_run(t, done=True)
        iv = run.interval
        nxt = run.index  # 0-based position of the next one
        if nxt >= len(self._plan):
            self._finished = True
            self._pos = len(self._plan)
            self._run = None
            done = sum(1 for r in self._results if r.status == "done")
            return self._cue(
                t,
                CueKind.PROGRAM_DONE,
                f"Program done: {self.program.name}, {done} of {len(self._plan)} intervals.",
                run=run,
                intervals_done=done,
            )
        _, _, following = self._plan[nxt]
        if following.activity is IntervalActivity.REST:
            then = f"Rest {following.length}."
        else:
            then = f"Next: {following.title}, {following.length}. Start when ready."
        what = (
            "Rest over."
            if iv.activity is IntervalActivity.REST
            else f"Done: {iv.title}, {iv.length}."
        )
        cues = self._cue(t, CueKind.INTERVAL_DONE, f"{what} {then}", run=run, reps=run.reps)
        return cues + self._open(nxt, t, previous=run)

    def _close_run(self, t: float, done: bool) -> None:
        run = self._run
        if run is None:
            return
        run.mark(t, None)
        run.end_t, run.done = t, done
        self._results.append(_result(run))
        self._closed = run
        self._run = None

    def _count_late(self, event: Event, kind: IntervalActivity | None) -> None:
        """An event of the interval closed last, detected after it closed: count it there."""
        closed = self._closed
        if (
            closed is None
            or kind is not closed.interval.activity
            or closed.start_t is None
            or closed.end_t is None
            or not closed.start_t <= event.t < closed.end_t
        ):
            return
        self._muted = True  # the moment for its cues has passed
        try:
            if isinstance(event, StepEvent | RevolutionEvent):
                self._repetition(closed, event)
            elif isinstance(event, JumpEvent):
                self._jump(closed, event)
        finally:
            self._muted = False
        self._results[closed.index - 1] = _result(closed)

    def _deadline(self) -> tuple[float, str] | None:
        """The earliest pending deadline of the interval under way, and what it is."""
        run = self._run
        if run is None or self._finished:
            return None
        iv = run.interval
        p = self.params
        found: list[tuple[float, str]] = []
        if run.out_since is not None and not run.out_cued:
            found.append((run.out_since + p.cadence_hold_s, "cadence"))
        if run.start_t is not None:
            if iv.duration_s is not None:
                found.append((run.start_t + iv.duration_s, "end"))
                if (
                    iv.activity is IntervalActivity.REST
                    and not run.warned_next
                    and iv.duration_s > p.next_warning_s
                    and run.index < len(self._plan)
                ):
                    found.append((run.start_t + iv.duration_s - p.next_warning_s, "next"))
            if run.event_times and run.cadence not in (None, 0.0):
                found.append((run.event_times[-1] + p.cadence_timeout_s, "stopped"))
            if self._hr_out_since is not None and not self._hr_cued:
                found.append((self._hr_out_since + p.hr_hold_s, "heart_rate"))
        return min(found) if found else None

    def _until(self, t: float, *, inclusive: bool) -> list[Cue]:
        """Fire every deadline before (or at) ``t``, in time order."""
        cues: list[Cue] = []
        while True:
            due = self._deadline()
            if due is None:
                return cues
            when, what = due
            if when > t or (when == t and not inclusive):
                return cues
            run = self._run
            assert run is not None
            if what == "end":
                cues += self._done(when)
            elif what == "next":
                run.warned_next = True
                _, _, following = self._plan[run.index]
                cues += self._cue(
                    when,
                    CueKind.INTERVAL_NEXT,
                    f"Next in {_duration(self.params.next_warning_s)}: {following.title}, "
                    f"{following.length}.",
                )
            elif what == "stopped":
                run.cadence = 0.0
                run.event_times.clear()
                target = run.interval.cadence_spm or run.interval.cadence_rpm
                if target is not None:
                    run.mark(when, False)
                    if run.out_side is not CueKind.CADENCE_LOW or run.out_since is None:
                        run.out_since, run.out_side, run.out_cued = when, CueKind.CADENCE_LOW, False
            elif what == "cadence":
                run.out_cued = True
                target = run.interval.cadence_spm or run.interval.cadence_rpm
                assert target is not None and run.out_side is not None
                unit = "steps/min" if run.interval.activity is IntervalActivity.WALK else "rpm"
                cadence = run.cadence or 0.0
                if run.out_side is CueKind.CADENCE_LOW:
                    text = (
                        f"Cadence {cadence:.0f} {unit}: a little quicker, "
                        f"{target[0]:.0f}–{target[1]:.0f}."
                    )
                else:
                    text = (
                        f"Cadence {cadence:.0f} {unit}: a little slower, "
                        f"{target[0]:.0f}–{target[1]:.0f}."
                    )
                cues += self._cue(
                    when, run.out_side, text, cadence=cadence, low=target[0], high=target[1]
                )
            elif what == "heart_rate":
                self._hr_cued = True
                zone = self._hr_zone if self._hr_zone is not None else 0
                target_zone = run.interval.hr_zone
                assert target_zone is not None and self._hr_side is not None
                text = (
                    f"Heart rate in zone {zone}: ease off to zone {target_zone[1]}."
                    if self._hr_side is CueKind.HEART_RATE_HIGH
                    else f"Heart rate in zone {zone}: push a little, up to zone {target_zone[0]}."
                )
                cues += self._cue(when, self._hr_side, text, zone=zone)


def _activity_of(event: Event) -> IntervalActivity | None:
    if isinstance(event, StepEvent):
        return IntervalActivity.WALK
    if isinstance(event, RevolutionEvent | PedalReversalEvent):
        return IntervalActivity.PEDAL
    if isinstance(event, JumpEvent):
        return IntervalActivity.JUMP
    return None


def _cadence(times: deque[float], activity: IntervalActivity) -> float | None:
    """Steps per minute or revolutions per minute over the last few events."""
    if len(times) < 2:
        return None
    span = times[-1] - times[0]
    if span <= 0:
        return None
    return 60.0 * (len(times) - 1) / span


def _result(run: _Running) -> IntervalResult:
    """The result of a closed interval."""
    iv = run.interval
    started = run.start_t is not None
    targets = iv.cadence_spm or iv.cadence_rpm or iv.landing or iv.min_height_m
    end_t = run.end_t if run.end_t is not None else run.opened_t
    return IntervalResult(
        interval=run.index,
        round=run.round,
        title=iv.title,
        activity=iv.activity,
        direction=iv.direction,
        status="done" if run.done else "incomplete" if started else "not started",
        start_t=run.start_t,
        end_t=end_t if started else None,
        duration_s=max(0.0, end_t - run.start_t) if run.start_t is not None else 0.0,
        reps=run.reps,
        target_reps=iv.reps,
        target_duration_s=iv.duration_s,
        measured=run.measured if targets else None,
        on_target=run.on_target if targets else None,
        cadence_mean=(
            sum(run.cadence_values) / len(run.cadence_values) if run.cadence_values else None
        ),
        wrong_direction=run.wrong_total,
        landings=dict(run.landings),
        best_landing_softness=max(run.softness) if run.softness else None,
        worst_landing_softness=min(run.softness) if run.softness else None,
        worst_landing_peak_g=max(run.peaks) if run.peaks else None,
    )


def _not_started(index: int, rnd: int, interval: Interval) -> IntervalResult:
    return IntervalResult(
        interval=index,
        round=rnd,
        title=interval.title,
        activity=interval.activity,
        direction=interval.direction,
        status="not started",
        start_t=None,
        end_t=None,
        duration_s=0.0,
        reps=0,
        target_reps=interval.reps,
        target_duration_s=interval.duration_s,
        measured=None,
        on_target=None,
        cadence_mean=None,
        wrong_direction=0,
        landings={},
        best_landing_softness=None,
        worst_landing_softness=None,
        worst_landing_peak_g=None,
    )
