"""Score detected events against labelled truth: matching, counts, errors, latency, targets.

Pure: typed truth and typed events in, typed scores out. ``sensor.evaluation`` reads the
files, runs the detectors and renders the scores; tests assert on them. The targets every
report and test judges against are defined here, once (``TARGETS``).

Matching rules: a detected event matches a labelled one of the same type when their times
differ by at most the type's tolerance (steps ±0.25 s, jump landings ±0.08 s, pedal
reversals ±1.5 s), one to one, closest pairs first. A step label that lags the foot contact
(``Truth.step_label_lag_s``: a labelling device that marks contacts late, or a time-reversed
heel strike, see ``analysis.perturb``) is moved back by its lag before matching.
Revolutions are not matched in time: where a revolution "starts" depends on the sensor, so
they are counted per pedalling bout, and their direction is checked against the labelled
revolution nearest in time; their cadence against the labelled crank's mean cadence over the
detected revolution's own interval ``[t - 60/cadence, t]`` (see ``score_revolutions``).

Beyond matching: the step count of each file against its labels (or against a reference
count where steps are not labelled one by one), direction only where the labels know which
way is forward (elsewhere whether a walk reads one way), false detections during labelled
rest, and steps lost after packet-loss gaps cut into a walk (``score_gap_losses``).

Notes
-----
Closest-pairs-first greedy matching is the usual event-matching rule of gait-event
evaluation (e.g. Micó-Amigo et al., J. NeuroEng. Rehabil. 20 (2023) 78, Mobilise-D;
the ``mobgap`` initial-contact matcher). With tolerances shorter than half the shortest
interval between labelled events it equals the optimal (Hungarian) assignment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from scipy.interpolate import PchipInterpolator

from analysis.events import (
    Direction,
    Event,
    JumpEvent,
    PedalReversalEvent,
    RevolutionEvent,
    StepEvent,
)

#: The scored event types, in report order.
SCORED_TYPES = ("step", "jump", "revolution", "pedal_reversal")

#: Variants of a recording the evaluation runs besides the recording itself ("" is the
#: recording as it is): the walk played backward in time, the walk with packet-loss gaps cut
#: in, and the walk resampled to a band's lowest rate (``analysis.perturb``).
PLAIN = ""
REVERSED = "time-reversed"
GAPS = "gaps cut in"
LOW_RATE = "resampled"
VARIANTS = (PLAIN, REVERSED, GAPS, LOW_RATE)


@dataclass(frozen=True)
class Tolerances:
    """How far apart in time a detection and a label may be and still match."""

    step_s: float = 0.25
    jump_landing_s: float = 0.08
    reversal_s: float = 1.5
    #: A revolution detected up to this long after a pedalling bout's end still counts for it
    #: (a detector confirms a revolution after it completes).
    bout_slack_s: float = 1.0
    #: Jumps travelling at least this far are scored for direction.
    jump_direction_min_travel_m: float = 0.15
    #: Cadence is scored where the labelled cadence lies in this range (the detectors' range,
    #: 40-120 rpm); the first turns out of a standstill and the last into one are slower.
    cadence_range_rpm: tuple[float, float] = (40.0, 120.0)
    #: A step is "at a gap" from this long before the gap (a step the detector confirms
    #: with samples the gap took: more than the detectors' look-ahead, 0.6 s at most) ...
    before_gap_s: float = 1.0
    #: ... to this long after it: the span in which a gap that restarts a detector loses
    #: steps (on the real lower-back walks, 491 of the 621 steps missed next to lost packets
    #: fell within 3 s after a gap).
    after_gap_s: float = 3.0

    def __post_init__(self) -> None:
        for name in (
            "step_s",
            "jump_landing_s",
            "reversal_s",
            "bout_slack_s",
            "before_gap_s",
            "after_gap_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


# --- truth ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TruthStep:
    t: float
    direction: str
    side: str | None = None


@dataclass(frozen=True)
class TruthJump:
    takeoff_t: float
    landing_t: float
    flight_time_s: float
    height_m: float
    direction: str
    distance_m: float | None = None
    peak_g: float | None = None
    #: Ground contact before this jump when it is linked to the previous one (a rebound).
    contact_s: float | None = None
    #: Set number in the recording and repetition within the set.
    set_number: int | None = None
    repetition: int | None = None


@dataclass(frozen=True)
class TruthRevolution:
    t: float
    direction: str
    cadence_rpm: float


@dataclass(frozen=True)
class TruthReversal:
    t: float
    from_direction: str
    to_direction: str


@dataclass(frozen=True)
class TruthBout:
    kind: str
    start: float
    end: float
    direction: str | None = None


@dataclass(frozen=True)
class TruthSegment:
    """A labelled stretch of activity (``sitting``, ``walking``, ...); ``rest`` marks the
    ones in which no step, jump or revolution belongs (sitting, standing, lying)."""

    activity: str
    start: float
    end: float
    rest: bool


@dataclass(frozen=True)
class Truth:
    """The labels of one recording; ``None`` for a type means "not labelled", not scored.

    ``step_label_lag_s`` is how long after the foot contact a step label lies (0 for labels
    at the contact); ``direction_known`` says whether the labels' directions can be trusted
    (whether the recording's forward axis is known); ``reference_steps`` is a step count to
    hold a file's count against where steps are not labelled one by one.
    """

    steps: tuple[TruthStep, ...] | None
    jumps: tuple[TruthJump, ...] | None
    revolutions: tuple[TruthRevolution, ...] | None
    reversals: tuple[TruthReversal, ...] | None
    bouts: tuple[TruthBout, ...] = ()
    segments: tuple[TruthSegment, ...] = ()
    step_label_lag_s: float = 0.0
    direction_known: bool = True
    reference_steps: int | None = None

    @property
    def pedal_bouts(self) -> list[TruthBout]:
        return [b for b in self.bouts if b.kind == "pedal"]

    @property
    def walk_bouts(self) -> list[TruthBout]:
        return [b for b in self.bouts if b.kind == "walk"]

    @property
    def step_reference(self) -> int | None:
        """The step count a file is held to: its labelled steps, else its reference count."""
        if self.steps:
            return len(self.steps)
        return self.reference_steps


# --- scores --------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if values else math.nan


def _p95(values: Sequence[float]) -> float:
    return float(np.percentile(values, 95)) if values else math.nan


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def _sd(values: Sequence[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _worst(values: Sequence[float]) -> float:
    """The value farthest from zero, with its sign."""
    return max(values, key=abs) if values else math.nan


#: Fields of ``TypeScore`` that add up when scores are pooled (the rest are ``type`` and
#: ``labelled``, and the matching counts that ``merged`` pools with care).
_ADDED = (
    "duration_s",
    "time_errors_s",
    "latencies_s",
    "direction_correct",
    "direction_scored",
    "direction_unknown",
    "flight_errors_s",
    "height_errors_m",
    "cadence_errors_rpm",
    "bout_count_errors_pct",
    "fp_on_empty",
    "contact_errors_s",
    "rsi_errors",
    "links_missed",
    "numbering_correct",
    "numbering_scored",
    "latency_excess_s",
    "count_errors_pct",
    "n_reference",
    "file_f1",
    "oneway_majority",
    "oneway_called",
    "rest_s",
    "rest_events",
    "rest_labelled_s",
    "rest_labelled_events",
    "gaps_cut",
    "after_gap_found",
    "after_gap_lost",
)


@dataclass(frozen=True)
class TypeScore:
    """The score of one event type, with the raw errors so that scores can be pooled.

    ``labelled`` is false where the truth did not label the type (then only counts of
    detections are kept). Time errors are ``detected.t - truth.t`` (the truth moved back by
    its label lag).
    """

    type: str
    labelled: bool = True
    n_truth: int = 0
    n_detected: int = 0
    tp: int = 0
    duration_s: float = 0.0
    time_errors_s: tuple[float, ...] = ()
    latencies_s: tuple[float, ...] = ()
    direction_correct: int = 0
    direction_scored: int = 0
    direction_unknown: int = 0
    flight_errors_s: tuple[float, ...] = ()
    height_errors_m: tuple[float, ...] = ()
    cadence_errors_rpm: tuple[float, ...] = ()
    bout_count_errors_pct: tuple[float, ...] = ()
    #: Detections during labelled recordings that have none of this type (false alarms).
    fp_on_empty: int = 0
    #: Jumps: detected minus labelled ground contact time of linked jumps (both reporting
    #: one), the reactive strength index's error there, linked jumps reported without a
    #: contact, and set/repetition numbers matching the labels.
    contact_errors_s: tuple[float, ...] = ()
    rsi_errors: tuple[float, ...] = ()
    links_missed: int = 0
    numbering_correct: int = 0
    numbering_scored: int = 0
    #: Reversals: latency minus the budget (one revolution at the labelled cadence after
    #: the turn plus 1 s with a gyroscope, two revolutions plus 1 s without); positive
    #: values are over budget.
    latency_excess_s: tuple[float, ...] = ()
    #: Per file: ``100 * (detected - reference) / reference`` for files with a reference
    #: count (their labelled steps, or ``Truth.reference_steps``).
    count_errors_pct: tuple[float, ...] = ()
    #: Reference counts of files whose steps are not labelled one by one.
    n_reference: int = 0
    #: Per file: F1 of files with labelled events (the worst decile of a set is read here).
    file_f1: tuple[float, ...] = ()
    #: Files whose forward is not known: called directions (forward or backward) and how
    #: many of them agree with the file's majority (does a walk read one way?).
    oneway_majority: int = 0
    oneway_called: int = 0
    #: Labelled rest where the body is still (``still_rest``), and detections in it; the
    #: same over all labelled rest.
    rest_s: float = 0.0
    rest_events: int = 0
    rest_labelled_s: float = 0.0
    rest_labelled_events: int = 0
    #: Packet-loss gaps cut into the file, and the steps at a gap (``score_gap_losses``)
    #: that the intact file found, of which the gapped file lost.
    gaps_cut: int = 0
    after_gap_found: int = 0
    after_gap_lost: int = 0

    @property
    def fp(self) -> int:
        return self.n_detected - self.tp

    @property
    def fn(self) -> int:
        return self.n_truth - self.tp

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.n_detected) if self.labelled else math.nan

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.n_truth) if self.labelled else math.nan

    @property
    def f1(self) -> float:
        return _ratio(2 * self.tp, self.n_truth + self.n_detected) if self.labelled else math.nan

    @property
    def direction_accuracy(self) -> float:
        return _ratio(self.direction_correct, self.direction_scored)

    @property
    def fp_per_min(self) -> float:
        return self.fp / (self.duration_s / 60.0) if self.duration_s > 0 else math.nan

    @property
    def scored(self) -> bool:
        """Whether there is anything to report: labels, a reference count or rest."""
        return self.labelled or bool(self.count_errors_pct) or self.rest_labelled_s > 0

    def merged(self, other: TypeScore) -> TypeScore:
        """Pool two scores of the same type (counts add, raw errors concatenate).

        Detections of a file whose events are not labelled do not enter the matching counts
        of labelled ones (they would count as false positives); their count errors,
        directions, rest and latencies pool as any file's.
        """
        if other.type != self.type:
            raise ValueError(f"cannot pool {self.type} with {other.type}")
        added = {name: getattr(self, name) + getattr(other, name) for name in _ADDED}
        if self.labelled == other.labelled:
            counts = [a + b for a, b in zip(self._counts(), other._counts(), strict=True)]
        else:
            counts = list((self if self.labelled else other)._counts())
        return TypeScore(
            type=self.type,
            labelled=self.labelled or other.labelled,
            n_truth=counts[0],
            n_detected=counts[1],
            tp=counts[2],
            **added,
        )

    def _counts(self) -> tuple[int, int, int]:
        return (self.n_truth, self.n_detected, self.tp)

    def summary(self) -> dict[str, float | int | str | bool | None]:
        """The figures a report shows (NaN where not measurable becomes ``None``)."""
        abs_time = [abs(e) for e in self.time_errors_s]
        flight = list(self.flight_errors_s)
        cadence = list(self.cadence_errors_rpm)
        bouts = [abs(e) for e in self.bout_count_errors_pct]
        counts = [abs(e) for e in self.count_errors_pct]
        out: dict[str, float | int | str | bool | None] = {
            "type": self.type,
            "labelled": self.labelled,
            "n_truth": self.n_truth,
            "n_detected": self.n_detected,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "f1_p10": float(np.percentile(self.file_f1, 10)) if self.file_f1 else math.nan,
            "fp_per_min": self.fp_per_min,
            "fp_on_empty": self.fp_on_empty,
            "count_error_mean_pct": _mean(counts),
            "count_error_max_pct": max(counts) if counts else math.nan,
            "count_error_worst_pct": _worst(self.count_errors_pct),
            "count_files": len(counts),
            "n_reference": self.n_reference,
            "direction_accuracy": self.direction_accuracy,
            "direction_scored": self.direction_scored,
            "direction_unknown": self.direction_unknown,
            # Share of the direction-scored events that got a call (not ``unknown``): an
            # accuracy of 100 % over few calls is not every event.
            "direction_coverage": _ratio(
                self.direction_scored, self.direction_scored + self.direction_unknown
            ),
            "oneway_share": _ratio(self.oneway_majority, self.oneway_called),
            "oneway_called": self.oneway_called,
            "rest_s": self.rest_s,
            "rest_events": self.rest_events,
            "rest_per_h": _ratio(self.rest_events, self.rest_s / 3600.0),
            "rest_labelled_per_h": _ratio(self.rest_labelled_events, self.rest_labelled_s / 3600.0),
            "gaps_cut": self.gaps_cut,
            "after_gap_found": self.after_gap_found,
            "after_gap_lost": self.after_gap_lost,
            "after_gap_lost_share": _ratio(self.after_gap_lost, self.after_gap_found),
            "time_error_median_s": _median(abs_time),
            "time_error_bias_s": _median(list(self.time_errors_s)),
            "latency_median_s": _median(self.latencies_s),
            "latency_p95_s": _p95(self.latencies_s),
            "latency_max_s": max(self.latencies_s) if self.latencies_s else math.nan,
            "flight_time_mae_s": _mean([abs(e) for e in flight]),
            "flight_time_bias_s": _mean(flight),
            "flight_time_sd_s": _sd(flight),
            "height_mae_m": _mean([abs(e) for e in self.height_errors_m]),
            "contact_time_mae_s": _mean([abs(e) for e in self.contact_errors_s]),
            "contact_time_bias_s": _mean(list(self.contact_errors_s)),
            "contacts_scored": len(self.contact_errors_s),
            "links_missed": self.links_missed,
            "rsi_mae": _mean([abs(e) for e in self.rsi_errors]),
            "numbering_accuracy": _ratio(self.numbering_correct, self.numbering_scored),
            "numbering_scored": self.numbering_scored,
            "cadence_mae_rpm": _mean([abs(e) for e in cadence]),
            "cadence_median_abs_error_rpm": _median([abs(e) for e in cadence]),
            "cadence_bias_rpm": _mean(cadence),
            "cadence_sd_rpm": _sd(cadence),
            "bout_count_error_mean_pct": _mean(bouts),
            "bout_count_error_max_pct": max(bouts) if bouts else math.nan,
            "bouts": len(bouts),
            "latency_excess_max_s": max(self.latency_excess_s)
            if self.latency_excess_s
            else math.nan,
        }
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in out.items()
        }


@dataclass(frozen=True)
class SegmentTally:
    """Detections during one labelled activity segment: all of it, and its still part."""

    activity: str
    rest: bool
    labelled_s: float
    still_s: float
    #: Per scored type: ``(detections in the segment, detections in its still part)``.
    events: tuple[tuple[str, int, int], ...] = ()

    def count(self, type_: str, still: bool = False) -> int:
        for name, every, quiet in self.events:
            if name == type_:
                return quiet if still else every
        return 0


#: Body sites in report order: the trunk, then the arm, then the leg from the hip down.
#: A recording's site is its placement unless its labels say where on that placement's
#: part of the body the sensor sat (an armband run as a chest sensor is an upper arm).
SITES = (
    "chest",
    "waist",
    "back pocket",
    "bag",
    "upper arm",
    "wrist",
    "thigh",
    "shank",
    "ankle",
    "foot",
)


@dataclass(frozen=True)
class RecordingScore:
    """Scores of one recording (or of one variant of it), per type."""

    name: str
    placement: str
    sample_rate_hz: float
    has_gyro: bool
    duration_s: float
    scores: dict[str, TypeScore] = field(default_factory=dict)
    #: ``"sim"`` for simulated recordings, ``"real"`` for recorded ones.
    origin: str = "sim"
    #: Where on the body the sensor sat (``SITES``); empty: its placement.
    site: str = ""
    #: ``PLAIN``, or the variant of the recording that was scored (``VARIANTS``).
    variant: str = PLAIN
    segments: tuple[SegmentTally, ...] = ()

    @property
    def body_site(self) -> str:
        return self.site or self.placement

    @property
    def group(self) -> str:
        """Origin, variant, site, rate and gyroscope: the rows of the accuracy tables."""
        gyro = " +gyro" if self.has_gyro else ""
        variant = f" {self.variant}" if self.variant else ""
        where = self.body_site
        if where != self.placement:
            where += f" (as {self.placement})"
        return f"{self.origin}{variant} {where} {self.sample_rate_hz:g} Hz{gyro}"

    @property
    def sort_key(self) -> tuple[int, int, int, str, float, bool, str]:
        """Real before simulated, the variants after the recording itself, then sites in
        ``SITES`` order, rate and gyroscope."""
        site = SITES.index(self.body_site) if self.body_site in SITES else len(SITES)
        variant = VARIANTS.index(self.variant) if self.variant in VARIANTS else len(VARIANTS)
        return (
            0 if self.origin == "real" else 1,
            variant,
            site,
            self.body_site,
            self.sample_rate_hz,
            self.has_gyro,
            self.name,
        )


# --- matching ------------------------------------------------------------------------------


def match_times(
    truth_t: Sequence[float], detected_t: Sequence[float], tolerance_s: float
) -> list[tuple[int, int]]:
    """One-to-one matches ``(truth index, detected index)``, closest pairs first.

    Parameters
    ----------
    truth_t, detected_t
        Event times (any order).
    tolerance_s
        The largest ``|detected - truth|`` that still matches.

    Returns
    -------
    list of tuple
        Matched index pairs, sorted by truth index.
    """
    if not len(truth_t) or not len(detected_t):
        return []
    tt = np.asarray(truth_t, dtype=np.float64)
    dt = np.asarray(detected_t, dtype=np.float64)
    order = np.argsort(dt)
    sorted_d = dt[order]
    pairs: list[tuple[float, int, int]] = []
    for i, t in enumerate(tt):
        lo = int(np.searchsorted(sorted_d, t - tolerance_s, side="left"))
        hi = int(np.searchsorted(sorted_d, t + tolerance_s, side="right"))
        for k in range(lo, hi):
            pairs.append((abs(float(sorted_d[k]) - float(t)), i, int(order[k])))
    pairs.sort()
    used_t: set[int] = set()
    used_d: set[int] = set()
    out: list[tuple[int, int]] = []
    for _, i, j in pairs:
        if i in used_t or j in used_d:
            continue
        used_t.add(i)
        used_d.add(j)
        out.append((i, j))
    return sorted(out)


def _direction_hit(truth: str, detected: Direction) -> bool | None:
    """True/False when the detector committed to a direction; None when it said unknown."""
    if detected is Direction.UNKNOWN:
        return None
    return str(detected) == truth


def _direction_counts(pairs: Iterable[tuple[str, Direction]]) -> tuple[int, int, int]:
    """Correct, scored and unknown directions of matched (truth, detected) pairs."""
    hits = [_direction_hit(truth, detected) for truth, detected in pairs]
    scored = [h for h in hits if h is not None]
    return sum(scored), len(scored), len(hits) - len(scored)


def _oneway_counts(detected: Iterable[Direction]) -> tuple[int, int]:
    """How many forward/backward calls agree with their majority, and how many there are."""
    calls = [d for d in detected if d in (Direction.FORWARD, Direction.BACKWARD)]
    forward = sum(d is Direction.FORWARD for d in calls)
    return max(forward, len(calls) - forward), len(calls)


def _inside(t: float, bouts: Sequence[TruthBout], slack_s: float) -> TruthBout | None:
    for bout in bouts:
        if bout.start - slack_s <= t <= bout.end + slack_s:
            return bout
    return None


# --- per type ------------------------------------------------------------------------------


def score_steps(
    truth: Sequence[TruthStep] | None,
    detected: Sequence[StepEvent],
    duration_s: float,
    tol: Tolerances = Tolerances(),
    *,
    label_lag_s: float = 0.0,
    direction_known: bool = True,
    reference_steps: int | None = None,
    walk_bouts: Sequence[TruthBout] = (),
) -> TypeScore:
    """Steps: matched within ``tol.step_s`` of ``label - label_lag_s``; direction per matched
    step; the file's count against its labels or ``reference_steps``.

    Where steps are not labelled one by one, the detections inside labelled walk bouts are
    scored for direction against the bout's. Where ``direction_known`` is false, no
    direction is scored: the calls count for "does the walk read one way"
    (``oneway_majority`` of ``oneway_called``) instead. The count error covers every
    detection of the file, the other leg's inferred contacts included (a step counter
    counts both legs).
    """
    latencies = tuple(e.detected_at - e.t for e in detected)
    reference = len(truth) if truth else reference_steps
    count_errors = (100.0 * (len(detected) - reference) / reference,) if reference else ()
    dir_pairs: list[tuple[str, Direction]] = []
    if truth is None:
        for e in detected:
            bout = _inside(e.t, walk_bouts, tol.step_s)
            if bout is not None and bout.direction:
                dir_pairs.append((bout.direction, e.direction))
        base = TypeScore(
            "step",
            labelled=False,
            n_detected=len(detected),
            duration_s=duration_s,
            latencies_s=latencies,
            count_errors_pct=count_errors,
            n_reference=reference or 0,
        )
    else:
        at = [s.t - label_lag_s for s in truth]
        pairs = match_times(at, [e.t for e in detected], tol.step_s)
        dir_pairs += [(truth[i].direction, detected[j].direction) for i, j in pairs]
        n_truth, n_det = len(truth), len(detected)
        base = TypeScore(
            "step",
            n_truth=n_truth,
            n_detected=n_det,
            tp=len(pairs),
            duration_s=duration_s,
            time_errors_s=tuple(detected[j].t - at[i] for i, j in pairs),
            latencies_s=latencies,
            fp_on_empty=n_det if not truth else 0,
            count_errors_pct=count_errors,
            file_f1=(2 * len(pairs) / (n_truth + n_det),) if truth else (),
        )
    if direction_known:
        correct, scored, unknown = _direction_counts(dir_pairs)
        return replace(
            base, direction_correct=correct, direction_scored=scored, direction_unknown=unknown
        )
    majority, called = _oneway_counts(d for _, d in dir_pairs)
    return replace(base, oneway_majority=majority, oneway_called=called)


def score_jumps(
    truth: Sequence[TruthJump] | None,
    detected: Sequence[JumpEvent],
    duration_s: float,
    tol: Tolerances = Tolerances(),
) -> TypeScore:
    """Jumps: landings matched within ``tol.jump_landing_s``; flight time, height, direction.

    Direction is scored for jumps that travel at least ``tol.jump_direction_min_travel_m``
    and for vertical ones (where the truth says ``vertical``: a vertical jump called
    forward or backward is a wrong call); shorter travels are too small to call. For jumps
    labelled as linked (``contact_s``), the ground contact time and the reactive strength
    index (flight / contact, Flanagan and Comyns 2008) are compared where the detector
    reports a contact, and counted as a missed link where it does not; where the labels
    number sets and repetitions, the detector's pair must equal them.
    """
    latencies = tuple(e.detected_at - e.landing_t for e in detected)
    if truth is None:
        return TypeScore("jump", labelled=False, n_detected=len(detected), latencies_s=latencies)
    pairs = match_times(
        [j.landing_t for j in truth], [e.landing_t for e in detected], tol.jump_landing_s
    )
    dirs: list[tuple[str, Direction]] = []
    for i, j in pairs:
        lab = truth[i]
        if lab.direction != "vertical" and (
            lab.distance_m is not None and abs(lab.distance_m) < tol.jump_direction_min_travel_m
        ):
            continue
        dirs.append((lab.direction, detected[j].direction))
    correct, scored, unknown = _direction_counts(dirs)
    contact_errors: list[float] = []
    rsi_errors: list[float] = []
    links_missed = 0
    numbering = [0, 0]
    for i, j in pairs:
        lab, ev = truth[i], detected[j]
        if lab.contact_s is not None:
            if ev.contact_time_s is None or ev.reactive_strength_index is None:
                links_missed += 1
            else:
                contact_errors.append(ev.contact_time_s - lab.contact_s)
                want_rsi = lab.flight_time_s / lab.contact_s
                rsi_errors.append(ev.reactive_strength_index - want_rsi)
        if lab.set_number is not None and lab.repetition is not None:
            numbering[1] += 1
            numbering[0] += (ev.set_number, ev.repetition) == (lab.set_number, lab.repetition)
    return TypeScore(
        "jump",
        n_truth=len(truth),
        n_detected=len(detected),
        tp=len(pairs),
        duration_s=duration_s,
        time_errors_s=tuple(detected[j].landing_t - truth[i].landing_t for i, j in pairs),
        latencies_s=latencies,
        direction_correct=correct,
        direction_scored=scored,
        direction_unknown=unknown,
        flight_errors_s=tuple(detected[j].flight_time_s - truth[i].flight_time_s for i, j in pairs),
        height_errors_m=tuple(detected[j].height_m - truth[i].height_m for i, j in pairs),
        fp_on_empty=len(detected) if not truth else 0,
        contact_errors_s=tuple(contact_errors),
        rsi_errors=tuple(rsi_errors),
        links_missed=links_missed,
        numbering_correct=numbering[0],
        numbering_scored=numbering[1],
        file_f1=(2 * len(pairs) / (len(truth) + len(detected)),) if truth else (),
    )


def score_reversals(
    truth: Sequence[TruthReversal] | None,
    detected: Sequence[PedalReversalEvent],
    duration_s: float,
    tol: Tolerances = Tolerances(),
    revolutions: Sequence[TruthRevolution] = (),
    *,
    has_gyro: bool = True,
) -> TypeScore:
    """Pedal reversals: matched within ``tol.reversal_s``; direction is the ``to`` side.

    Each matched reversal's latency is compared with its budget: one revolution at the
    labelled cadence of the first revolution after the turn plus 1 s, two revolutions plus
    1 s without a gyroscope (an accelerometer alone may see the new sense late, but never
    wrongly).
    """
    latencies = tuple(e.detected_at - e.t for e in detected)
    if truth is None:
        return TypeScore(
            "pedal_reversal", labelled=False, n_detected=len(detected), latencies_s=latencies
        )
    pairs = match_times([r.t for r in truth], [e.t for e in detected], tol.reversal_s)
    dirs: list[tuple[str, Direction]] = []
    excess: list[float] = []
    after = sorted(revolutions, key=lambda r: r.t)
    for i, j in pairs:
        dirs.append((truth[i].to_direction, detected[j].to_direction))
        nxt = next((r for r in after if r.t > truth[i].t), None)
        if nxt is not None and nxt.cadence_rpm > 0:
            budget = (1 if has_gyro else 2) * 60.0 / nxt.cadence_rpm + 1.0
            excess.append(detected[j].detected_at - truth[i].t - budget)
    correct, scored, unknown = _direction_counts(dirs)
    return TypeScore(
        "pedal_reversal",
        n_truth=len(truth),
        n_detected=len(detected),
        tp=len(pairs),
        duration_s=duration_s,
        time_errors_s=tuple(detected[j].t - truth[i].t for i, j in pairs),
        latencies_s=latencies,
        direction_correct=correct,
        direction_scored=scored,
        direction_unknown=unknown,
        fp_on_empty=len(detected) if not truth else 0,
        latency_excess_s=tuple(excess),
    )


def _crank_runs(truth: Sequence[TruthRevolution]) -> list[PchipInterpolator]:
    """The labelled crank as runs of turns against time: a run is revolutions each starting
    where the one before it ended (``t - 60/cadence``), one direction, no stop. Turns are
    interpolated monotonically (PCHIP, Fritsch and Carlson, SIAM J. Numer. Anal. 17 (1980)
    238-246), which follows a spin-up within a revolution closer than straight lines."""
    # Imported here: the command line lists its commands without loading SciPy.
    from scipy.interpolate import PchipInterpolator

    runs: list[tuple[list[float], list[float]]] = []
    last: TruthRevolution | None = None
    for r in sorted(truth, key=lambda r: r.t):
        if not r.cadence_rpm > 0:
            last = None
            continue
        start = r.t - 60.0 / r.cadence_rpm
        if last is not None and last.direction == r.direction and abs(last.t - start) < 1e-3:
            runs[-1][0].append(r.t)
            runs[-1][1].append(runs[-1][1][-1] + 1.0)
        else:
            runs.append(([start, r.t], [0.0, 1.0]))
        last = r
    return [PchipInterpolator(np.array(t), np.array(n)) for t, n in runs]


def _labelled_cadence(
    runs: Sequence[PchipInterpolator], ev: RevolutionEvent, nearest: TruthRevolution
) -> float:
    """Mean labelled cadence over the detected revolution ``[t - 60/cadence, t]``; the
    nearest label's cadence where that interval is not inside one labelled run (the partial
    turn into a stop is not labelled)."""
    if not (math.isfinite(ev.cadence_rpm) and ev.cadence_rpm > 0):
        return nearest.cadence_rpm
    begin = ev.t - 60.0 / ev.cadence_rpm
    for run in runs:
        lo, hi = float(run.x[0]), float(run.x[-1])
        if lo - 1e-6 <= begin and ev.t <= hi + 1e-6:
            n0, n1 = run(np.clip([begin, ev.t], lo, hi))
            return float((n1 - n0) / (ev.t - begin) * 60.0)
    return nearest.cadence_rpm


#: Turns of tolerance at each end of a pedalling run, beyond the ``[L - 1, L]`` that the
#: unknown reference angle gives (``score_revolutions``, Notes).
RUN_END_TURNS = 1


def _run_count_excess(
    det_t: NDArray[np.float64],
    run_starts: NDArray[np.float64],
    run_turns: NDArray[np.int64],
    bout: TruthBout,
) -> int:
    """Detected turns outside ``[L - 1 - RUN_END_TURNS, L + RUN_END_TURNS]`` per labelled
    run of the bout, summed with sign (see ``score_revolutions``); a detection belongs to the
    run that started last before it."""
    in_bout = np.flatnonzero((run_starts >= bout.start - 1e-3) & (run_starts <= bout.end))
    if in_bout.size == 0:
        return det_t.size
    starts = run_starts[in_bout]
    which = np.clip(np.searchsorted(starts, det_t, side="right") - 1, 0, starts.size - 1)
    found = np.bincount(which, minlength=starts.size)
    allowed = run_turns[in_bout]
    over = np.maximum(found - allowed - RUN_END_TURNS, 0)
    under = np.maximum(allowed - 1 - RUN_END_TURNS - found, 0)
    return int(over.sum() - under.sum())


def score_revolutions(
    truth: Sequence[TruthRevolution] | None,
    bouts: Sequence[TruthBout],
    detected: Sequence[RevolutionEvent],
    duration_s: float,
    tol: Tolerances = Tolerances(),
) -> TypeScore:
    """Revolutions: counted per pedalling bout; direction at the nearest label, cadence over
    the detected revolution's own interval.

    Within a bout ``[start, end + tol.bout_slack_s]`` the matched count is
    ``min(detected, labelled)``; detections outside every bout are false positives. The
    bout's count error (``bout_count_errors_pct``) adds up, run by run (a run: labelled turns
    one after the other, one direction, no stop), how far the detections in the run lie
    outside ``[L - 2, L + 1]`` for the run's ``L`` labelled turns, over the bout's labelled
    turns (see Notes). Each
    detection inside a bout is compared with the labelled revolution nearest in time for
    direction. Its cadence is compared with the labelled crank's mean cadence over
    ``[t - 60/cadence, t]`` (``_labelled_cadence``), where that lies in
    ``tol.cadence_range_rpm``.

    Notes
    -----
    A sensor's revolution starts at a crank angle of its own, up to half a turn from the
    labelled one, so while the cadence changes (spin-up, slow-down: 20-40 rpm/s) the nearest
    labelled revolution's cadence differs from that of the detected one by up to 10-25 rpm
    even for a flawless detector: comparing with it scored such a detector 1.3-1.5 rpm MAE on
    the simulated rides (most of the 2 rpm budget). The detected interval holds exactly one
    labelled turn only when the reported cadence is right.

    The labels count a turn each time the crank has turned a whole 2π since the run's start
    angle: ``L = floor(A)`` for a run of ``A`` turns. A sensor's revolution runs from one
    crossing of its own reference crank angle to the next (a revolution event has a cadence,
    so it is a whole turn), and a sensor cannot know where the run's start angle lies (a
    shank sensor cannot know where top dead centre is, so revolutions are counted, not
    timed). A reference angle a fraction ``δ`` of a turn past the start angle is crossed
    ``floor(A - δ) + 1`` times, so the run holds ``L`` whole turns at that angle if
    ``δ <= frac(A)`` and ``L - 1`` otherwise: both counts are the same physical motion, and
    no count of whole turns exceeds ``L``. A run's ends are where the crank starts from
    and comes to a standstill at an angle a sensor cannot know either: the first turn out of
    a standstill may be a part of one that a detector counts or does not, and so may the last
    turn into one. So each end of a run carries one turn of tolerance
    (``RUN_END_TURNS``): a run of ``L`` labelled turns is counted right with ``L - 2`` to
    ``L + 1`` detections, and every turn beyond that band is charged (a turn missed or
    invented in the middle of a run, a run half missed). Runs are scored one by one so that
    a miss in one run is not offset by another's tolerance.
    """
    latencies = tuple(e.detected_at - e.t for e in detected)
    if truth is None:
        return TypeScore(
            "revolution", labelled=False, n_detected=len(detected), latencies_s=latencies
        )
    det_t = np.array([e.t for e in detected], dtype=np.float64)
    lab_t = np.array([r.t for r in truth], dtype=np.float64)
    inside = np.zeros(len(detected), dtype=bool)
    tp = 0
    count_errors: list[float] = []
    runs = _crank_runs(truth)
    run_starts = np.array([float(run.x[0]) for run in runs], dtype=np.float64)
    run_turns = np.array([run.x.size - 1 for run in runs], dtype=np.int64)
    for bout in bouts:
        d_in = (det_t >= bout.start) & (det_t <= bout.end + tol.bout_slack_s) & ~inside
        l_in = (lab_t >= bout.start) & (lab_t <= bout.end + tol.bout_slack_s)
        n_d, n_l = int(d_in.sum()), int(l_in.sum())
        inside |= d_in
        tp += min(n_d, n_l)
        if n_l:
            count_errors.append(
                100.0 * _run_count_excess(det_t[d_in], run_starts, run_turns, bout) / n_l
            )
    dirs: list[tuple[str, Direction]] = []
    cadence_errors: list[float] = []
    if lab_t.size:
        for j in np.flatnonzero(inside):
            i = int(np.argmin(np.abs(lab_t - det_t[j])))
            ev, lab = detected[int(j)], truth[i]
            lo, hi = tol.cadence_range_rpm
            true_rpm = _labelled_cadence(runs, ev, lab)
            if lo <= true_rpm <= hi:
                cadence_errors.append(ev.cadence_rpm - true_rpm)
            dirs.append((lab.direction, ev.direction))
    correct, scored, unknown = _direction_counts(dirs)
    return TypeScore(
        "revolution",
        n_truth=len(truth),
        n_detected=len(detected),
        tp=tp,
        duration_s=duration_s,
        latencies_s=latencies,
        direction_correct=correct,
        direction_scored=scored,
        direction_unknown=unknown,
        cadence_errors_rpm=tuple(cadence_errors),
        bout_count_errors_pct=tuple(count_errors),
        fp_on_empty=len(detected) if not truth else 0,
    )


def _rest_tallies(
    segments: Sequence[TruthSegment],
    moving: Sequence[tuple[float, float]],
    events: dict[str, list[float]],
) -> tuple[SegmentTally, ...]:
    """Per segment: its length, its still length (outside ``moving``), and per type the
    detections in it and in its still part (``[start, end)`` each)."""
    out = []
    for seg in segments:
        spans = _subtract((seg.start, seg.end), moving)
        still_s = sum(b - a for a, b in spans)
        counts = []
        for type_, times in events.items():
            t = np.asarray(times, dtype=np.float64)
            every = int(np.count_nonzero((t >= seg.start) & (t < seg.end)))
            quiet = sum(int(np.count_nonzero((t >= a) & (t < b))) for a, b in spans)
            counts.append((type_, every, quiet))
        out.append(
            SegmentTally(seg.activity, seg.rest, seg.end - seg.start, still_s, tuple(counts))
        )
    return tuple(out)


def _subtract(
    span: tuple[float, float], cuts: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """``span`` minus the (sorted, disjoint) intervals ``cuts``."""
    start, end = span
    out = []
    for a, b in cuts:
        if b <= start or a >= end:
            continue
        if a > start:
            out.append((start, a))
        start = max(start, b)
    if start < end:
        out.append((start, end))
    return out


def moving_spans(
    time_s: NDArray[np.float64],
    acc_g: NDArray[np.float64],
    window_s: float = 2.0,
    threshold_g: float = 0.1,
    widen: int = 2,
) -> list[tuple[float, float]]:
    """Where a trunk sensor moves as it does in walking: windows of ``window_s`` whose
    acceleration magnitude varies by more than ``threshold_g`` (standard deviation), widened
    by ``widen`` windows on each side, merged.

    Rest labels are loose (a subject walks inside some "standing" labels); the evaluation
    scores false steps at rest only where the sensor is still by this measure, and reports
    the labelled rest as a whole beside it. On the real chest recording (Casale et al.,
    participant 15) the labelled walking exceeds 0.1 g in 128 of its 168 two-second windows,
    sitting at a computer in 20 of 496. Two windows, not one: a walk fades out under the
    level before its last steps (the same chest's walk inside its "talking while standing"
    label varies by 0.084-0.09 g over its last 4 s, with 0.2 g step peaks); one window left
    its two closing steps counted as steps at rest.
    """
    if time_s.size == 0:
        return []
    mag = np.linalg.norm(acc_g, axis=1)
    idx = np.floor((time_s - time_s[0]) / window_s).astype(np.int64)
    n = int(idx[-1]) + 1
    count = np.bincount(idx, minlength=n).astype(np.float64)
    total = np.bincount(idx, weights=mag, minlength=n)
    squares = np.bincount(idx, weights=mag * mag, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = squares / count - (total / count) ** 2
    moving = (count >= 2) & (np.sqrt(np.maximum(var, 0.0)) > threshold_g)
    wide = moving.copy()
    for shift in range(1, min(widen, n - 1) + 1):
        wide[shift:] |= moving[:-shift]
        wide[:-shift] |= moving[shift:]
    spans: list[tuple[float, float]] = []
    t0 = float(time_s[0])
    for k in np.flatnonzero(wide):
        a, b = t0 + k * window_s, t0 + (k + 1) * window_s
        if spans and spans[-1][1] >= a:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return spans


def score_recording(
    truth: Truth,
    events: Iterable[Event],
    *,
    name: str,
    placement: str,
    sample_rate_hz: float,
    has_gyro: bool,
    duration_s: float,
    tol: Tolerances = Tolerances(),
    origin: str = "sim",
    site: str = "",
    variant: str = PLAIN,
    moving: Sequence[tuple[float, float]] = (),
) -> RecordingScore:
    """Score every type of one recording's events against its truth.

    ``moving`` are the spans in which the sensor moved (``moving_spans``): detections in
    labelled rest outside them are false alarms at rest.
    """
    evs = list(events)
    # Steps a single shank sensor infers for the other leg are scored with the rest: the
    # labels hold both legs' contacts.
    steps = [e for e in evs if isinstance(e, StepEvent)]
    jumps = [e for e in evs if isinstance(e, JumpEvent)]
    revs = [e for e in evs if isinstance(e, RevolutionEvent)]
    reversals = [e for e in evs if isinstance(e, PedalReversalEvent)]
    scores = {
        "step": score_steps(
            truth.steps,
            steps,
            duration_s,
            tol,
            label_lag_s=truth.step_label_lag_s,
            direction_known=truth.direction_known,
            reference_steps=truth.reference_steps,
            walk_bouts=truth.walk_bouts,
        ),
        "jump": score_jumps(truth.jumps, jumps, duration_s, tol),
        "revolution": score_revolutions(
            truth.revolutions, truth.pedal_bouts, revs, duration_s, tol
        ),
        "pedal_reversal": score_reversals(
            truth.reversals,
            reversals,
            duration_s,
            tol,
            truth.revolutions or (),
            has_gyro=has_gyro,
        ),
    }
    tallies = _rest_tallies(
        truth.segments,
        sorted(moving),
        {
            "step": [e.t for e in steps],
            "jump": [e.t for e in jumps],
            "revolution": [e.t for e in revs],
        },
    )
    rest = [s for s in tallies if s.rest]
    if rest:
        for type_ in ("step", "jump"):
            scores[type_] = replace(
                scores[type_],
                rest_s=sum(s.still_s for s in rest),
                rest_events=sum(s.count(type_, still=True) for s in rest),
                rest_labelled_s=sum(s.labelled_s for s in rest),
                rest_labelled_events=sum(s.count(type_) for s in rest),
            )
    return RecordingScore(
        name,
        placement,
        sample_rate_hz,
        has_gyro,
        duration_s,
        scores,
        origin,
        site,
        variant,
        tallies,
    )


def score_gap_losses(
    reference_t: Sequence[float],
    intact_t: Sequence[float],
    gapped_t: Sequence[float],
    gaps: Sequence[tuple[float, float]],
    tol: Tolerances = Tolerances(),
) -> tuple[int, int]:
    """Steps next to packet-loss gaps: how many the intact recording found, and how many of
    those the gapped one lost.

    ``gaps`` are ``(last sample before, first sample after)``. A reference step (a label,
    moved back by its lag, or where steps are not labelled an intact detection) is "at a
    gap" from ``tol.before_gap_s`` before the gap to ``tol.after_gap_s`` after it: a step
    just before a gap is lost when the detector needed the samples the gap took to confirm
    it, the steps after it when the gap restarted the detector. It counts as found when a
    detection of the intact run matches it (one to one within ``tol.step_s``) and as lost
    when it was found and no detection of the gapped run matches it. Comparing with the
    intact run charges the gap with what it costs, not with the misses the detector has
    anyway.
    """
    ref = np.asarray(reference_t, dtype=np.float64)
    if ref.size == 0 or not len(gaps):
        return 0, 0
    near = np.zeros(ref.size, dtype=bool)
    for before, after in gaps:
        near |= (ref >= before - tol.before_gap_s) & (ref <= after + tol.after_gap_s)
    found = np.zeros(ref.size, dtype=bool)
    found[[i for i, _ in match_times(ref.tolist(), intact_t, tol.step_s)]] = True
    kept = np.zeros(ref.size, dtype=bool)
    kept[[i for i, _ in match_times(ref.tolist(), gapped_t, tol.step_s)]] = True
    return int(np.count_nonzero(near & found)), int(np.count_nonzero(near & found & ~kept))


def pool(
    recordings: Iterable[RecordingScore], key: str = "group"
) -> dict[str, dict[str, TypeScore]]:
    """Pool recordings' scores by ``key`` (``"group"``, ``"name"`` or ``"all"``) and type."""
    out: dict[str, dict[str, TypeScore]] = {}
    for rec in recordings:
        k = "all" if key == "all" else (rec.group if key == "group" else rec.name)
        bucket = out.setdefault(k, {})
        for kind, score in rec.scores.items():
            bucket[kind] = bucket[kind].merged(score) if kind in bucket else replace(score)
    return out


# --- targets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """How a metric of ``TypeScore.summary()`` reads: its name (``{type}`` stands for the
    event type), and a value's unit."""

    name: str
    scale: float = 1.0
    unit: str = ""
    #: Decimals of a target value (a measured value gets those of its report column).
    decimals: int = 0


#: The metrics targets are set on.
METRICS: dict[str, Metric] = {
    "f1": Metric("F1", decimals=2),
    "f1_p10": Metric("worst-decile F1 per file", decimals=2),
    "count_error_max_pct": Metric("count error per file", unit=" %"),
    "direction_accuracy": Metric("direction right", 100.0, " %"),
    "direction_coverage": Metric("direction coverage", 100.0, " %"),
    "rest_per_h": Metric("false {type}s at rest", unit=" per hour"),
    "latency_p95_s": Metric("latency p95", unit=" s", decimals=1),
    "latency_max_s": Metric("latency", unit=" s", decimals=1),
    "fp_on_empty": Metric("{type}s on {type}-free files"),
    "flight_time_mae_s": Metric("flight MAE", 1000.0, " ms"),
    "contact_time_mae_s": Metric("contact MAE", 1000.0, " ms"),
    "bout_count_error_max_pct": Metric("count error per bout", unit=" %"),
    "cadence_mae_rpm": Metric("cadence MAE", unit=" rpm"),
    "latency_excess_max_s": Metric(
        "latency beyond 1 rev + 1 s (2 revs + 1 s without gyroscope)", unit=" s"
    ),
}

#: Metrics whose target follows the sample rate (``flight_target_s``).
RATE_TARGETS = ("flight_time_mae_s", "contact_time_mae_s")


def flight_target_s(rate_hz: float) -> float:
    """Flight-time MAE target: 8 ms at 100-200 Hz, one sample period at 25-50 Hz.

    Contact time (between linked jumps) is held to the same: its edges are a landing and
    a takeoff, measured alike.
    """
    return 0.008 if rate_hz >= 100.0 else 1.0 / rate_hz


@dataclass(frozen=True)
class Target:
    """A figure a detector must reach.

    ``metric`` is a key of ``TypeScore.summary()`` (and of ``METRICS``); ``at_least`` says
    which side is good. The other fields say which groups of recordings it judges.
    """

    type: str
    metric: str
    value: float
    at_least: bool
    #: Body sites the target applies to (empty: all; see ``RecordingScore.body_site``).
    sites: tuple[str, ...] = ()
    #: Only with (True) or without (False) a gyroscope; ``None``: both.
    gyro: bool | None = None
    #: Only at rates of at least this many Hz.
    min_rate_hz: float = 0.0
    #: ``"real"``, ``"sim"``, or ``None`` for both.
    origin: str | None = None
    #: The variants of a recording it judges (``VARIANTS``).
    variants: tuple[str, ...] = (PLAIN,)

    @property
    def threshold(self) -> str:
        """``"≥ 0.97"``, ``"≤ 3 %"``: the comparison and the value in the metric's unit."""
        m = METRICS[self.metric]
        if self.value == 0 and not self.at_least:
            return f"= 0{m.unit}"
        value = f"{self.value * m.scale:.{m.decimals}f}{m.unit}"
        if self.metric in RATE_TARGETS:
            value += " at 100 Hz and above, 1/fs below"
        return f"{'≥' if self.at_least else '≤'} {value}"

    @property
    def label(self) -> str:
        """The metric's name and the threshold: ``"F1 ≥ 0.97"``."""
        name = METRICS[self.metric].name.format(type=self.type.replace("_", " "))
        return f"{name} {self.threshold}"

    @property
    def scope(self) -> str:
        """Which recordings it judges, in words: ``"real chest, waist"``, ``"+gyro"``."""
        words = [self.origin or "", ", ".join(self.sites)]
        if self.gyro is not None:
            words.append("+gyro" if self.gyro else "no gyro")
        if self.min_rate_hz:
            words.append(f"≥ {self.min_rate_hz:g} Hz")
        return " ".join(w for w in words if w)

    def applies(self, rec: RecordingScore) -> bool:
        return (
            (not self.sites or rec.body_site in self.sites)
            and (self.gyro is None or self.gyro == rec.has_gyro)
            and rec.sample_rate_hz >= self.min_rate_hz
            and (self.origin is None or self.origin == rec.origin)
            and rec.variant in self.variants
        )

    def judges(self, score: TypeScore) -> bool:
        """Whether ``score`` can be held to this target: F1 needs labelled events (false
        alarms on recordings without any are judged by ``fp_on_empty``, not by F1)."""
        if self.metric.startswith("f1"):
            return score.labelled and score.n_truth > 0
        # Counts, directions and rest are scored against reference counts and labelled
        # bouts and segments too; a metric with nothing behind it reads None.
        return self.metric in _UNMATCHED or score.labelled

    def limit_at(self, rate_hz: float) -> float:
        """The target value for a group at ``rate_hz`` (``RATE_TARGETS`` follow the rate)."""
        return flight_target_s(rate_hz) if self.metric in RATE_TARGETS else self.value

    def met(self, value: float | None, rate_hz: float = 100.0) -> bool | None:
        """Whether ``value`` reaches the target; ``None`` when there is nothing to judge."""
        if value is None or not math.isfinite(value):
            return None
        limit = self.limit_at(rate_hz)
        return value >= limit if self.at_least else value <= limit


#: Metrics measured without one-by-one labels of the type.
_UNMATCHED = ("count_error_max_pct", "direction_accuracy", "direction_coverage", "rest_per_h")

TRUNK = ("chest", "waist")
#: Sites whose steps are held to an F1 on the simulator (the wrist is counted, not timed).
_STEP_SITES = ("chest", "waist", "shank", "ankle", "foot", "thigh")
#: Pedalling targets apply where the crank's motion reaches the sensor; a chest strap on
#: the same ride is reported, not judged.
_LEG = ("shank", "ankle", "foot", "thigh")
ALL_VARIANTS = VARIANTS

#: Every target, in one place. Real recordings are the judge: steps on real walks of the
#: lower back and chest (F1 per group, count per file), the shank and foot, the thigh and the
#: wrist; direction called on real forward walks, and the same walks played backward in
#: time; no false jump on any walk, gapped or reversed ones included; false steps at rest.
#: The simulated set keeps its own, and the simulated stress set's worst decile per file.
TARGETS: tuple[Target, ...] = (
    # Steps on real recordings.
    Target("step", "f1", 0.97, True, sites=TRUNK, origin="real"),
    Target("step", "count_error_max_pct", 3.0, False, sites=TRUNK, origin="real"),
    Target("step", "f1", 0.95, True, sites=("shank", "ankle", "foot"), origin="real"),
    Target("step", "count_error_max_pct", 5.0, False, sites=("thigh",), origin="real"),
    Target("step", "count_error_max_pct", 3.0, False, sites=("wrist",), origin="real"),
    Target("step", "direction_accuracy", 0.99, True, origin="real"),
    Target("step", "direction_coverage", 0.90, True, sites=TRUNK, origin="real"),
    Target("step", "direction_coverage", 0.90, True, sites=_LEG, gyro=True, origin="real"),
    # The same walks played backward in time must read backward.
    Target("step", "direction_accuracy", 0.98, True, origin="real", variants=(REVERSED,)),
    Target(
        "step", "direction_coverage", 0.90, True, sites=TRUNK, origin="real", variants=(REVERSED,)
    ),
    Target(
        "step",
        "direction_coverage",
        0.90,
        True,
        sites=_LEG,
        gyro=True,
        origin="real",
        variants=(REVERSED,),
    ),
    Target("step", "rest_per_h", 10.0, False, origin="real"),
    # Steps on the simulator.
    Target("step", "f1", 0.98, True, sites=_STEP_SITES, origin="sim"),
    Target("step", "f1_p10", 0.95, True, sites=_STEP_SITES, origin="sim"),
    Target("step", "direction_accuracy", 0.98, True, origin="sim"),
    Target("step", "latency_p95_s", 0.6, False),
    # Jumps.
    Target("jump", "f1", 1.0, True),
    Target("jump", "f1_p10", 0.98, True, origin="sim"),
    Target("jump", "fp_on_empty", 0, False, variants=ALL_VARIANTS),
    Target("jump", "flight_time_mae_s", 0.008, False),
    Target("jump", "direction_accuracy", 0.95, True),
    # Contact time is the interval between two of the flight time's edges: the flight
    # time's tolerance (Castagna et al. 2013 as the anchor, see flight_target_s).
    Target("jump", "contact_time_mae_s", 0.008, False),
    Target("jump", "latency_max_s", 0.3, False),
    # Pedalling.
    Target("revolution", "bout_count_error_max_pct", 3.0, False, sites=_LEG),
    Target("revolution", "direction_accuracy", 0.99, True, sites=_LEG, gyro=True),
    Target("revolution", "direction_accuracy", 0.97, True, sites=_LEG, gyro=False),
    Target("revolution", "cadence_mae_rpm", 2.0, False, sites=_LEG),
    Target("pedal_reversal", "f1", 0.95, True, sites=_LEG),
    Target("pedal_reversal", "latency_excess_max_s", 0.0, False, sites=_LEG),
)


def targets_for(type_: str, metric: str, variant: str = PLAIN) -> list[Target]:
    """The targets on one metric of one type that judge ``variant`` rows."""
    return [t for t in TARGETS if t.type == type_ and t.metric == metric and variant in t.variants]


@dataclass(frozen=True)
class Miss:
    """A target a group of recordings did not reach."""

    group: str
    type: str
    label: str
    value: float


def judge(
    target: Target, score: TypeScore, rec: RecordingScore
) -> tuple[bool | None, float | None]:
    """Whether the pooled ``score`` of a group whose first recording is ``rec`` meets
    ``target`` (``None``: the target does not apply or there is nothing to judge), and the
    value judged."""
    if not target.applies(rec) or not target.judges(score):
        return None, None
    value = score.summary().get(target.metric)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None, None
    return target.met(float(value), rec.sample_rate_hz), float(value)


def check_targets(
    recordings: Sequence[RecordingScore], targets: Sequence[Target] = TARGETS
) -> list[Miss]:
    """Every target missed, per group of recordings (pooled as in the accuracy tables),
    groups in report order."""
    misses: list[Miss] = []
    groups: dict[str, list[RecordingScore]] = {}
    for rec in sorted(recordings, key=lambda r: r.sort_key):
        groups.setdefault(rec.group, []).append(rec)
    for group, recs in groups.items():
        pooled = pool(recs, key="all")["all"]
        for target in targets:
            score = pooled.get(target.type)
            if score is None:
                continue
            ok, value = judge(target, score, recs[0])
            if ok is False and value is not None:
                misses.append(Miss(group, target.type, target.label, value))
    return misses
