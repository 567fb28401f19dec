"""The session summary: what a workout added up to, from its events and heart-rate readings.

Pure: typed events (and heart-rate readings as arrays) in, a ``SessionSummary`` out. The
service writes it as JSON beside the recording and publishes it when a session or a replay
ends; ``SessionSummary.to_dict`` is that JSON object.

What it holds: duration and time per activity (walking forward/backward, pedalling
forward/backward, jumping, rest); forward/backward step counts, cadence and regularity; each
jump with its height, landing peak and reactive strength index; revolutions, cadence and
reversals per direction; heart rate (mean, max, time in zones); and an energy estimate, from
heart rate (Keytel et al. 2005) where a strap, body mass and age are known, else from activity
METs (2011 Compendium of Physical Activities), labelled with the method used.

Examples
--------
>>> from analysis.events import Direction, StepEvent
>>> steps = [StepEvent(t=i * 0.5, detected_at=i * 0.5 + 0.3, direction=Direction.BACKWARD)
...          for i in range(20)]
>>> s = summarize_session(steps, start_s=0.0, end_s=10.0)
>>> s.steps_backward, round(s.cadence_backward_spm or 0)
(20, 120)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from analysis.events import (
    JSON_DECIMALS,
    Direction,
    Event,
    JumpEvent,
    PedalBoutEvent,
    PedalReversalEvent,
    RevolutionEvent,
    StepEvent,
    WalkBoutEvent,
)
from analysis.types import FloatArray

#: kJ per kcal (thermochemical calorie).
KJ_PER_KCAL = 4.184


@dataclass(frozen=True)
class Wearer:
    """Who wore the bands (all optional).

    Parameters
    ----------
    body_mass_kg, age_years
        For the energy estimate.
    sex
        ``"female"`` or ``"male"``; Keytel et al. fitted one equation per sex. Without it the
        mean of the two is used.
    hr_max_bpm
        Maximum heart rate for the zones; without it ``208 - 0.7 * age`` (Tanaka et al. 2001).
    """

    body_mass_kg: float | None = None
    age_years: float | None = None
    sex: str | None = None
    hr_max_bpm: float | None = None

    def __post_init__(self) -> None:
        if self.sex not in (None, "female", "male"):
            raise ValueError(f"sex must be 'female', 'male' or None, got {self.sex!r}")
        if self.body_mass_kg is not None and self.body_mass_kg <= 0:
            raise ValueError(f"body_mass_kg must be positive, got {self.body_mass_kg}")

    @property
    def estimated_hr_max_bpm(self) -> float | None:
        """The configured maximum, else Tanaka et al. (2001): ``208 - 0.7 * age``."""
        if self.hr_max_bpm is not None:
            return self.hr_max_bpm
        if self.age_years is not None:
            return 208.0 - 0.7 * self.age_years
        return None


@dataclass(frozen=True)
class SummaryParams:
    """How the summary groups events and estimates energy.

    The MET defaults are those of ``config/default.toml`` ``[energy]`` (a test keeps them
    equal), from the 2011 Compendium of Physical Activities (Ainsworth et al. 2011).

    Parameters
    ----------
    hr_zone_lower_pct
        Lower bound of each heart-rate zone in per cent of the maximum (Edwards 1993).
    met_rest
        Standing quietly, code 07040.
    met_walk_forward
        Walking 2.8-3.2 mph, level, moderate pace, code 17190.
    met_walk_backward
        Walking backwards, 3.5 mph, level, code 17320.
    met_pedal
        Bicycling, stationary, 51-89 W, light-to-moderate effort, code 02017 (no code exists
        for backward pedalling).
    met_jumps
        Calisthenics, vigorous effort (jumping jacks), code 02020.
    bout_gap_s
        Steps (or revolutions) further apart than this start a new bout.
    jump_series_gap_s
        Jumps further apart than this start a new series.
    jump_prep_s
        Time counted as jumping before each takeoff: the countermovement's unweighting,
        braking and propulsion phases, which take about 0.7-1.0 s (McMahon et al. 2018).
    jump_margin_s
        Time counted as jumping after each landing (absorbing it).
    max_reactive_contact_s
        The longest ground contact between two jumps that still counts as reactive, for the
        reactive strength index (jump height / contact time; Flanagan and Comyns 2008).
    max_hr_hold_s
        A heart-rate reading stands for at most this long (a strap that lost contact stops
        counting).
    min_bout_steps
        Fewer steps in a row are not a walking bout (for time per activity).
    """

    hr_zone_lower_pct: tuple[float, ...] = (50.0, 60.0, 70.0, 80.0, 90.0)
    met_rest: float = 1.3
    met_walk_forward: float = 3.5
    met_walk_backward: float = 6.0
    met_pedal: float = 4.8
    met_jumps: float = 8.0
    bout_gap_s: float = 2.5
    jump_series_gap_s: float = 5.0
    jump_prep_s: float = 0.8
    jump_margin_s: float = 0.5
    max_reactive_contact_s: float = 1.0
    max_hr_hold_s: float = 5.0
    min_bout_steps: int = 3

    def __post_init__(self) -> None:
        zones = list(self.hr_zone_lower_pct)
        if not zones or zones != sorted(set(zones)) or not (zones[0] > 0 and zones[-1] < 100):
            raise ValueError(f"hr_zone_lower_pct must increase within 0..100, got {zones}")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and value <= 0:
                raise ValueError(f"{f.name} must be positive, got {value}")


@dataclass(frozen=True)
class JumpSummary:
    """One jump as the summary lists it."""

    t: float
    direction: str
    flight_time_s: float
    height_m: float
    landing_peak_g: float
    landing_clipped: bool
    reactive_strength_index: float | None
    set_number: int


@dataclass(frozen=True)
class HeartRateSummary:
    """Heart rate over the session."""

    readings: int
    mean_bpm: float
    max_bpm: float
    min_bpm: float
    covered_s: float
    hr_max_bpm: float | None
    #: Zone bounds in bpm, ``zones + 1`` values (the last is ``hr_max_bpm``).
    zone_bounds_bpm: tuple[float, ...] | None
    #: Seconds in each zone (1 = lowest); ``None`` without a maximum heart rate.
    time_in_zones_s: tuple[float, ...] | None
    time_below_zones_s: float | None


@dataclass(frozen=True)
class EnergySummary:
    """Energy estimate and how it was made."""

    #: ``keytel-2005`` or ``compendium-mets`` (``kcal`` is ``None`` without body mass).
    method: str
    kcal: float | None
    met_minutes: float
    note: str


@dataclass(frozen=True)
class SessionSummary:
    """A session's summary. ``to_dict`` is the JSON object written and published."""

    start_t: float
    end_t: float
    duration_s: float
    time_walk_forward_s: float
    time_walk_backward_s: float
    time_walk_unknown_s: float
    time_pedal_forward_s: float
    time_pedal_backward_s: float
    time_jumping_s: float
    time_rest_s: float
    steps_forward: int
    steps_backward: int
    steps_unknown: int
    cadence_forward_spm: float | None
    cadence_backward_spm: float | None
    step_time_cv: float | None
    step_regularity: float | None
    stride_regularity: float | None
    walk_bouts: int
    jumps: tuple[JumpSummary, ...]
    jump_sets: int
    revolutions_forward: int
    revolutions_backward: int
    cadence_forward_rpm: float | None
    cadence_backward_rpm: float | None
    reversals_forward_to_backward: int
    reversals_backward_to_forward: int
    pedal_bouts: int
    heart_rate: HeartRateSummary | None
    energy: EnergySummary
    #: Pedalling whose direction the band could not tell (see ``PedalBoutEvent``).
    time_pedal_unknown_s: float = 0.0
    revolutions_unknown: int = 0
    events: dict[str, int] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return self.steps_forward + self.steps_backward + self.steps_unknown

    def to_dict(self) -> dict[str, Any]:
        """The summary as nested JSON-ready data (floats rounded as events are)."""
        heights = [j.height_m for j in self.jumps]
        peaks = [j.landing_peak_g for j in self.jumps]
        rsi = [j.reactive_strength_index for j in self.jumps if j.reactive_strength_index]
        out: dict[str, Any] = {
            "type": "session_summary",
            "start_t": self.start_t,
            "end_t": self.end_t,
            "duration_s": self.duration_s,
            "time_s": {
                "walk_forward": self.time_walk_forward_s,
                "walk_backward": self.time_walk_backward_s,
                "walk_unknown": self.time_walk_unknown_s,
                "pedal_forward": self.time_pedal_forward_s,
                "pedal_backward": self.time_pedal_backward_s,
                "pedal_unknown": self.time_pedal_unknown_s,
                "jumping": self.time_jumping_s,
                "rest": self.time_rest_s,
            },
            "steps": {
                "forward": self.steps_forward,
                "backward": self.steps_backward,
                "unknown": self.steps_unknown,
                "total": self.steps,
                "bouts": self.walk_bouts,
                "cadence_forward_spm": self.cadence_forward_spm,
                "cadence_backward_spm": self.cadence_backward_spm,
                "step_time_cv": self.step_time_cv,
                "step_regularity": self.step_regularity,
                "stride_regularity": self.stride_regularity,
            },
            "jumps": {
                "count": len(self.jumps),
                "sets": self.jump_sets,
                "backward": sum(j.direction == "backward" for j in self.jumps),
                "forward": sum(j.direction == "forward" for j in self.jumps),
                "height_max_m": max(heights) if heights else None,
                "height_mean_m": _mean(heights),
                "landing_peak_max_g": max(peaks) if peaks else None,
                "landing_peak_mean_g": _mean(peaks),
                "landings_clipped": sum(j.landing_clipped for j in self.jumps),
                "reactive_strength_index_max": max(rsi) if rsi else None,
                "reactive_strength_index_mean": _mean(rsi),
                "list": [_dataclass_dict(j) for j in self.jumps],
            },
            "pedalling": {
                "revolutions_forward": self.revolutions_forward,
                "revolutions_backward": self.revolutions_backward,
                "revolutions_unknown": self.revolutions_unknown,
                "cadence_forward_rpm": self.cadence_forward_rpm,
                "cadence_backward_rpm": self.cadence_backward_rpm,
                "reversals_forward_to_backward": self.reversals_forward_to_backward,
                "reversals_backward_to_forward": self.reversals_backward_to_forward,
                "bouts": self.pedal_bouts,
            },
            "heart_rate": None if self.heart_rate is None else _dataclass_dict(self.heart_rate),
            "energy": _dataclass_dict(self.energy),
            "events": dict(sorted(self.events.items())),
        }
        cleaned: dict[str, Any] = _round(out)
        return cleaned


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _dataclass_dict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _round(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return round(value, JSON_DECIMALS) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    return value


def _clusters(times: Sequence[float], gap_s: float) -> list[tuple[int, int]]:
    """Index ranges ``[a, b)`` of runs whose neighbours are at most ``gap_s`` apart."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(times) + 1):
        if i == len(times) or times[i] - times[i - 1] > gap_s:
            if i > start:
                out.append((start, i))
            start = i
    return out


def _union_s(intervals: list[tuple[float, float]]) -> float:
    total = 0.0
    end = -math.inf
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def _majority(directions: Sequence[Direction]) -> Direction:
    fwd = sum(d is Direction.FORWARD for d in directions)
    back = sum(d is Direction.BACKWARD for d in directions)
    if fwd == back:
        return Direction.UNKNOWN
    return Direction.FORWARD if fwd > back else Direction.BACKWARD


def step_cadence_series(
    steps: Sequence[StepEvent], direction: Direction, gap_s: float
) -> list[tuple[float, float]]:
    """``(t, steps/min)`` from each pair of consecutive steps of ``direction`` within a bout.

    ``steps`` in time order; a pair further apart than ``gap_s`` (a pause) gives none.
    """
    return [
        (b.t, 60.0 / (b.t - a.t))
        for a, b in itertools.pairwise(steps)
        if a.direction is direction and b.direction is direction and 0 < b.t - a.t <= gap_s
    ]


def _step_cadence(steps: list[StepEvent], direction: Direction, gap_s: float) -> float | None:
    """Median cadence over intervals between consecutive same-direction steps in a bout."""
    spm = [c for _, c in step_cadence_series(steps, direction, gap_s)]
    return float(np.median(spm)) if spm else None


@dataclass(frozen=True)
class ActivityIntervals:
    """When each activity went on, as the summary counts it: ``(start_t, end_t)`` pairs.

    The session report draws its timeline from these, so its bars add up to the summary's
    time per activity.
    """

    #: Walking bouts per direction (``VERTICAL`` never occurs; ``UNKNOWN`` where not told).
    walk: dict[Direction, list[tuple[float, float]]]
    #: Each revolution's span (``t - 60 / cadence`` to ``t``) per direction.
    pedal: dict[Direction, list[tuple[float, float]]]
    #: Each jump's span: ``jump_prep_s`` before takeoff to ``jump_margin_s`` after landing.
    jumping: list[tuple[float, float]]
    #: Index ranges ``[a, b)`` into the session's jumps (in time order), one per set.
    jump_sets: list[tuple[int, int]]
    #: Walking bouts found from runs of steps, where no ``walk_bout`` events came.
    walk_bouts_from_steps: int

    def rest(self, start_s: float, end_s: float) -> list[tuple[float, float]]:
        """What no activity covers within ``[start_s, end_s]``."""
        busy = sorted(
            iv
            for group in (*self.walk.values(), *self.pedal.values(), self.jumping)
            for iv in group
        )
        out: list[tuple[float, float]] = []
        at = start_s
        for a, b in busy:
            if a > at:
                out.append((at, min(a, end_s)))
            at = max(at, b)
            if at >= end_s:
                break
        if at < end_s:
            out.append((at, end_s))
        return [(a, b) for a, b in out if b > a]


def activity_intervals(
    events: Sequence[Event], params: SummaryParams | None = None
) -> ActivityIntervals:
    """The intervals of walking, pedalling and jumping that ``summarize_session`` counts.

    Walking comes from ``walk_bout`` events where the detector emits them, else from runs of
    at least ``min_bout_steps`` steps no more than ``bout_gap_s`` apart (direction: the
    majority's); pedalling from each revolution's duration; jumping from each jump's
    takeoff and landing, grouped in sets by ``jump_series_gap_s``.
    """
    params = params or SummaryParams()
    by_t = sorted(events, key=lambda e: (e.t, e.detected_at))
    steps = [e for e in by_t if isinstance(e, StepEvent)]
    walk_bouts = [e for e in by_t if isinstance(e, WalkBoutEvent)]
    jumps = [e for e in by_t if isinstance(e, JumpEvent)]
    revs = [e for e in by_t if isinstance(e, RevolutionEvent)]

    walk: dict[Direction, list[tuple[float, float]]] = {d: [] for d in Direction}
    from_steps = 0
    if walk_bouts:
        for wb in walk_bouts:
            walk[wb.direction].append((wb.start_t, wb.end_t))
    else:
        for a, b in _clusters([s.t for s in steps], params.bout_gap_s):
            if b - a < params.min_bout_steps:
                continue
            from_steps += 1
            direction = _majority([s.direction for s in steps[a:b]])
            walk[direction].append((steps[a].t, steps[b - 1].t))

    pedal: dict[Direction, list[tuple[float, float]]] = {d: [] for d in Direction}
    for r in revs:
        if r.cadence_rpm > 0:
            pedal[r.direction].append((r.t - 60.0 / r.cadence_rpm, r.t))

    series = _clusters([j.landing_t for j in jumps], params.jump_series_gap_s)
    # Each jump's own time; pauses between the jumps of a set count as rest.
    jumping = [
        (jumps[i].takeoff_t - params.jump_prep_s, jumps[i].landing_t + params.jump_margin_s)
        for a, b in series
        for i in range(a, b)
    ]
    return ActivityIntervals(walk, pedal, jumping, series, from_steps)


def summarize_session(
    events: Sequence[Event],
    *,
    start_s: float,
    end_s: float,
    hr_t_s: FloatArray | None = None,
    hr_bpm: FloatArray | None = None,
    wearer: Wearer | None = None,
    params: SummaryParams | None = None,
) -> SessionSummary:
    """Summarise a session.

    Parameters
    ----------
    events
        Every event of the session, any order.
    start_s, end_s
        The session's span on the recording's ``time_s`` axis.
    hr_t_s, hr_bpm
        Heart-rate readings (time, bpm); NaN readings are ignored.
    wearer
        Body mass, age, sex, maximum heart rate, where known.
    params
        Grouping rules and MET values.

    Returns
    -------
    SessionSummary

    Notes
    -----
    Time per activity comes from the detectors' bout events where they emit them, else from
    runs of steps (revolutions) no more than ``bout_gap_s`` apart; "rest" is what no activity
    covers. Cadence is the median over consecutive same-direction steps (revolutions: the mean
    of each revolution's ``cadence_rpm``), robust to the odd missed step.

    The reactive strength index is jump height over ground contact time (Flanagan and Comyns
    2008): the detector's own value or contact time where it gives one, else the time from
    the previous landing to this takeoff when shorter than ``max_reactive_contact_s``.

    Energy from heart rate uses Keytel et al. (2005), per minute in kJ:
    men ``-55.0969 + 0.6309 HR + 0.1988 W + 0.2017 A``, women
    ``-20.4022 + 0.4472 HR - 0.1263 W + 0.074 A`` (W body mass in kg, A age in years), floored
    at ``met_rest`` because the equations were fitted on exercise at 57-90 % of maximum heart
    rate and go negative at rest. Time without a heart-rate reading is costed with METs. With
    METs: ``kcal = MET x body mass x hours`` (1 MET = 1 kcal/kg/h, Ainsworth et al. 2011).

    References
    ----------
    Keytel L.R. et al. (2005) Prediction of energy expenditure from heart rate monitoring
    during submaximal exercise. J Sports Sci 23(3):289-297.
    Ainsworth B.E. et al. (2011) 2011 Compendium of Physical Activities: a second update of
    codes and MET values. Med Sci Sports Exerc 43(8):1575-1581.
    Tanaka H., Monahan K.D., Seals D.R. (2001) Age-predicted maximal heart rate revisited.
    J Am Coll Cardiol 37(1):153-156.
    McMahon J.J., Suchomel T.J., Lake J.P., Comfort P. (2018) Understanding the key phases of
    the countermovement jump force-time curve. Strength Cond J 40(4):96-106.
    Flanagan E.P., Comyns T.M. (2008) The use of contact time and the reactive strength index
    to optimize fast stretch-shortening cycle training. Strength Cond J 30(5):32-38.
    """
    params = params or SummaryParams()
    wearer = wearer or Wearer()
    if end_s < start_s:
        raise ValueError(f"end_s ({end_s}) is before start_s ({start_s})")
    duration = end_s - start_s
    by_t = sorted(events, key=lambda e: (e.t, e.detected_at))
    counts: dict[str, int] = {}
    for e in by_t:
        counts[e.type] = counts.get(e.type, 0) + 1

    steps = [e for e in by_t if isinstance(e, StepEvent)]
    walk_bouts = [e for e in by_t if isinstance(e, WalkBoutEvent)]
    jumps = [e for e in by_t if isinstance(e, JumpEvent)]
    revs = [e for e in by_t if isinstance(e, RevolutionEvent)]
    pedal_bouts = [e for e in by_t if isinstance(e, PedalBoutEvent)]
    reversals = [e for e in by_t if isinstance(e, PedalReversalEvent)]

    spans = activity_intervals(by_t, params)
    walk, pedal = spans.walk, spans.pedal
    walk_s = {d: _union_s(v) for d, v in walk.items()}
    n_walk_bouts = len(walk_bouts) if walk_bouts else spans.walk_bouts_from_steps

    step_times = [s.t for s in steps]
    intervals = [
        b - a
        for (i0, i1) in _clusters(step_times, params.bout_gap_s)
        for a, b in itertools.pairwise(step_times[i0:i1])
    ]
    step_time_cv = float(np.std(intervals) / np.mean(intervals)) if len(intervals) >= 2 else None
    reg = [(wb.step_regularity, wb.steps) for wb in walk_bouts if wb.step_regularity is not None]
    sreg = [
        (wb.stride_regularity, wb.steps) for wb in walk_bouts if wb.stride_regularity is not None
    ]

    pedal_s = {d: _union_s(v) for d, v in pedal.items()}
    n_pedal_bouts = (
        len(pedal_bouts) if pedal_bouts else len(_clusters([r.t for r in revs], params.bout_gap_s))
    )

    # Jumps, grouped in series (sets).
    jump_rows: list[JumpSummary] = []
    jump_spans = spans.jumping
    for set_number, (a, b) in enumerate(spans.jump_sets, 1):
        for i in range(a, b):
            j = jumps[i]
            rsi = j.reactive_strength_index
            if rsi is None and j.contact_time_s:
                rsi = j.height_m / j.contact_time_s
            if rsi is None and i > a:
                contact = j.takeoff_t - jumps[i - 1].landing_t
                if 0 < contact <= params.max_reactive_contact_s:
                    rsi = j.height_m / contact
            jump_rows.append(
                JumpSummary(
                    t=j.t,
                    direction=str(j.direction),
                    flight_time_s=j.flight_time_s,
                    height_m=j.height_m,
                    landing_peak_g=j.landing_peak_g,
                    landing_clipped=j.landing_clipped,
                    reactive_strength_index=rsi,
                    set_number=set_number,
                )
            )
    jumping_s = _union_s(jump_spans)
    series = spans.jump_sets

    active = [iv for v in walk.values() for iv in v] + [iv for v in pedal.values() for iv in v]
    active_s = _union_s([*active, *jump_spans])
    rest_s = max(0.0, duration - active_s)

    def rpm(direction: Direction) -> float | None:
        values = [r.cadence_rpm for r in revs if r.direction is direction]
        return _mean(values)

    heart = _heart_rate(hr_t_s, hr_bpm, end_s, wearer, params)
    met_minutes = (
        walk_s[Direction.FORWARD] * params.met_walk_forward
        + walk_s[Direction.BACKWARD] * params.met_walk_backward
        + walk_s[Direction.UNKNOWN] * params.met_walk_forward
        + (pedal_s[Direction.FORWARD] + pedal_s[Direction.BACKWARD] + pedal_s[Direction.UNKNOWN])
        * params.met_pedal
        + jumping_s * params.met_jumps
        + rest_s * params.met_rest
    ) / 60.0
    energy = _energy(hr_t_s, hr_bpm, end_s, duration, met_minutes, wearer, params)

    return SessionSummary(
        start_t=start_s,
        end_t=end_s,
        duration_s=duration,
        time_walk_forward_s=walk_s[Direction.FORWARD],
        time_walk_backward_s=walk_s[Direction.BACKWARD],
        time_walk_unknown_s=walk_s[Direction.UNKNOWN] + walk_s[Direction.VERTICAL],
        time_pedal_forward_s=pedal_s[Direction.FORWARD],
        time_pedal_backward_s=pedal_s[Direction.BACKWARD],
        time_pedal_unknown_s=pedal_s[Direction.UNKNOWN],
        time_jumping_s=jumping_s,
        time_rest_s=rest_s,
        steps_forward=sum(s.direction is Direction.FORWARD for s in steps),
        steps_backward=sum(s.direction is Direction.BACKWARD for s in steps),
        steps_unknown=sum(
            s.direction not in (Direction.FORWARD, Direction.BACKWARD) for s in steps
        ),
        cadence_forward_spm=_step_cadence(steps, Direction.FORWARD, params.bout_gap_s),
        cadence_backward_spm=_step_cadence(steps, Direction.BACKWARD, params.bout_gap_s),
        step_time_cv=step_time_cv,
        step_regularity=_weighted(reg),
        stride_regularity=_weighted(sreg),
        walk_bouts=n_walk_bouts,
        jumps=tuple(jump_rows),
        jump_sets=len(series),
        revolutions_forward=sum(r.direction is Direction.FORWARD for r in revs),
        revolutions_backward=sum(r.direction is Direction.BACKWARD for r in revs),
        revolutions_unknown=sum(
            r.direction not in (Direction.FORWARD, Direction.BACKWARD) for r in revs
        ),
        cadence_forward_rpm=rpm(Direction.FORWARD),
        cadence_backward_rpm=rpm(Direction.BACKWARD),
        reversals_forward_to_backward=sum(
            r.from_direction is Direction.FORWARD and r.to_direction is Direction.BACKWARD
            for r in reversals
        ),
        reversals_backward_to_forward=sum(
            r.from_direction is Direction.BACKWARD and r.to_direction is Direction.FORWARD
            for r in reversals
        ),
        pedal_bouts=n_pedal_bouts,
        heart_rate=heart,
        energy=energy,
        events=counts,
    )


def _weighted(pairs: list[tuple[float, int]]) -> float | None:
    total = sum(w for _, w in pairs)
    if not pairs or total <= 0:
        return None
    return sum(v * w for v, w in pairs) / total


def _hr_readings(
    hr_t_s: FloatArray | None, hr_bpm: FloatArray | None, end_s: float, hold_s: float
) -> tuple[FloatArray, FloatArray]:
    """Valid readings and how long each stands for (until the next, at most ``hold_s``)."""
    if hr_t_s is None or hr_bpm is None or len(hr_t_s) == 0:
        return np.empty(0), np.empty(0)
    t = np.asarray(hr_t_s, dtype=np.float64)
    bpm = np.asarray(hr_bpm, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(bpm) & (bpm > 0)
    t, bpm = t[ok], bpm[ok]
    order = np.argsort(t, kind="stable")
    t, bpm = t[order], bpm[order]
    if t.size == 0:
        return t, bpm
    nxt = np.append(t[1:], max(end_s, float(t[-1])))
    hold: FloatArray = np.clip(nxt - t, 0.0, hold_s)
    return bpm, hold


def hr_zone_bounds_bpm(wearer: Wearer, params: SummaryParams) -> tuple[float, ...] | None:
    """Heart-rate zone bounds in bpm: each zone's lower bound, then the maximum.

    Zone ``z`` (1 = lowest) spans ``bounds[z - 1]`` to ``bounds[z]``; ``None`` without a
    maximum heart rate (neither ``hr_max_bpm`` nor ``age_years`` known).
    """
    hr_max = wearer.estimated_hr_max_bpm
    if hr_max is None:
        return None
    return (*(hr_max * p / 100.0 for p in params.hr_zone_lower_pct), hr_max)


def _heart_rate(
    hr_t_s: FloatArray | None,
    hr_bpm: FloatArray | None,
    end_s: float,
    wearer: Wearer,
    params: SummaryParams,
) -> HeartRateSummary | None:
    bpm, hold = _hr_readings(hr_t_s, hr_bpm, end_s, params.max_hr_hold_s)
    if bpm.size == 0:
        return None
    covered = float(hold.sum())
    mean = float(np.average(bpm, weights=hold)) if covered > 0 else float(bpm.mean())
    hr_max = wearer.estimated_hr_max_bpm
    bounds = hr_zone_bounds_bpm(wearer, params)
    in_zones: tuple[float, ...] | None = None
    below: float | None = None
    if bounds is not None:
        lows = bounds[:-1]
        edges = np.array(lows)
        zone = np.searchsorted(edges, bpm, side="right")  # 0 = below the first zone
        in_zones = tuple(float(hold[zone == z].sum()) for z in range(1, len(lows) + 1))
        below = float(hold[zone == 0].sum())
    return HeartRateSummary(
        readings=int(bpm.size),
        mean_bpm=mean,
        max_bpm=float(bpm.max()),
        min_bpm=float(bpm.min()),
        covered_s=covered,
        hr_max_bpm=hr_max,
        zone_bounds_bpm=bounds,
        time_in_zones_s=in_zones,
        time_below_zones_s=below,
    )


def keytel_kj_per_min(
    hr_bpm: FloatArray, body_mass_kg: float, age_years: float, sex: str | None
) -> FloatArray:
    """Keytel et al. (2005) energy expenditure in kJ/min for each heart rate.

    ``sex=None`` gives the mean of the men's and women's equations.
    """
    men = -55.0969 + 0.6309 * hr_bpm + 0.1988 * body_mass_kg + 0.2017 * age_years
    women = -20.4022 + 0.4472 * hr_bpm - 0.1263 * body_mass_kg + 0.074 * age_years
    if sex == "male":
        out: FloatArray = men
    elif sex == "female":
        out = women
    else:
        out = (men + women) / 2.0
    return out


def _energy(
    hr_t_s: FloatArray | None,
    hr_bpm: FloatArray | None,
    end_s: float,
    duration_s: float,
    met_minutes: float,
    wearer: Wearer,
    params: SummaryParams,
) -> EnergySummary:
    mass = wearer.body_mass_kg
    bpm, hold = _hr_readings(hr_t_s, hr_bpm, end_s, params.max_hr_hold_s)
    covered = float(hold.sum())
    if mass is not None and wearer.age_years is not None and covered > 0:
        kj_min = keytel_kj_per_min(bpm, mass, wearer.age_years, wearer.sex)
        rest_kcal_min = params.met_rest * mass / 60.0
        kcal_min = np.maximum(kj_min / KJ_PER_KCAL, rest_kcal_min)
        hr_kcal = float(np.sum(kcal_min * hold / 60.0))
        # The uncovered part of the session at its mean MET rate.
        mean_met = met_minutes / (duration_s / 60.0) if duration_s > 0 else params.met_rest
        rest_of = max(0.0, duration_s - covered)
        kcal = hr_kcal + mean_met * mass * rest_of / 3600.0
        sex_note = (
            f"{wearer.sex} equation" if wearer.sex else "mean of the female and male equations"
        )
        note = (
            f"heart rate (Keytel et al. 2005, {sex_note}) over {covered:.0f} s; "
            f"activity METs over the {rest_of:.0f} s without a reading"
        )
        return EnergySummary("keytel-2005", kcal, met_minutes, note)
    if mass is not None:
        kcal = met_minutes * mass / 60.0
        why = "no heart-rate readings" if covered == 0 else "no age configured"
        note = f"activity METs (2011 Compendium of Physical Activities); {why}"
        return EnergySummary("compendium-mets", kcal, met_minutes, note)
    note = "MET-minutes only (2011 Compendium of Physical Activities); no body mass configured"
    return EnergySummary("compendium-mets", None, met_minutes, note)
