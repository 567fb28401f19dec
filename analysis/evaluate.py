"""Score detected events against labelled truth: matching, counts, errors, latency.

Pure: typed truth and typed events in, typed scores out. The command line
(``retrosense evaluate``) reads the files and prints the scores; tests assert on them.

Matching rules (issue 3): a detected event matches a labelled one of the same type when
their times differ by at most the type's tolerance (steps ±0.25 s, jump landings ±0.08 s,
pedal reversals ±1.5 s), one to one, closest pairs first. Revolutions are not matched in time:
where a revolution "starts" depends on the sensor, so they are counted per pedalling bout, and
their direction is checked against the labelled revolution nearest in time; their cadence
against the labelled crank's mean cadence over the detected revolution's own interval
``[t - 60/cadence, t]`` (see ``score_revolutions``).

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


@dataclass(frozen=True)
class Tolerances:
    """How far apart in time a detection and a label may be and still match (issue 3)."""

    step_s: float = 0.25
    jump_landing_s: float = 0.08
    reversal_s: float = 1.5
    #: A revolution detected up to this long after a pedalling bout's end still counts for it
    #: (a detector confirms a revolution after it completes).
    bout_slack_s: float = 1.0
    #: Jumps travelling at least this far are scored for direction (issue 4).
    jump_direction_min_travel_m: float = 0.15
    #: Cadence is scored where the labelled cadence lies in this range (issue 6: 40-120 rpm);
    #: the first turns out of a standstill and the last into one are slower.
    cadence_range_rpm: tuple[float, float] = (40.0, 120.0)

    def __post_init__(self) -> None:
        for name in ("step_s", "jump_landing_s", "reversal_s", "bout_slack_s"):
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
    #: Set number in the recording and repetition within the set (issue 4, item 2).
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
class Truth:
    """The labels of one recording; ``None`` for a type means "not labelled", not scored."""

    steps: tuple[TruthStep, ...] | None
    jumps: tuple[TruthJump, ...] | None
    revolutions: tuple[TruthRevolution, ...] | None
    reversals: tuple[TruthReversal, ...] | None
    bouts: tuple[TruthBout, ...] = ()

    @property
    def pedal_bouts(self) -> list[TruthBout]:
        return [b for b in self.bouts if b.kind == "pedal"]


# --- scores --------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if values else math.nan


def _p95(values: Sequence[float]) -> float:
    return float(np.percentile(values, 95)) if values else math.nan


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def _sd(values: Sequence[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


@dataclass(frozen=True)
class TypeScore:
    """The score of one event type, with the raw errors so that scores can be pooled.

    ``labelled`` is false where the truth did not label the type (then only counts of
    detections are kept). Time errors are ``detected.t - truth.t``.
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
    #: Reversals: latency minus the budget "one revolution (at the labelled cadence after
    #: the turn) plus 1 s" (issue 6); positive values are over budget.
    latency_excess_s: tuple[float, ...] = ()

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

    def merged(self, other: TypeScore) -> TypeScore:
        """Pool two scores of the same type (counts add, raw errors concatenate)."""
        if other.type != self.type:
            raise ValueError(f"cannot pool {self.type} with {other.type}")
        return TypeScore(
            type=self.type,
            labelled=self.labelled or other.labelled,
            n_truth=self.n_truth + other.n_truth,
            n_detected=self.n_detected + other.n_detected,
            tp=self.tp + other.tp,
            duration_s=self.duration_s + other.duration_s,
            time_errors_s=self.time_errors_s + other.time_errors_s,
            latencies_s=self.latencies_s + other.latencies_s,
            direction_correct=self.direction_correct + other.direction_correct,
            direction_scored=self.direction_scored + other.direction_scored,
            direction_unknown=self.direction_unknown + other.direction_unknown,
            flight_errors_s=self.flight_errors_s + other.flight_errors_s,
            height_errors_m=self.height_errors_m + other.height_errors_m,
            cadence_errors_rpm=self.cadence_errors_rpm + other.cadence_errors_rpm,
            bout_count_errors_pct=self.bout_count_errors_pct + other.bout_count_errors_pct,
            fp_on_empty=self.fp_on_empty + other.fp_on_empty,
            contact_errors_s=self.contact_errors_s + other.contact_errors_s,
            rsi_errors=self.rsi_errors + other.rsi_errors,
            links_missed=self.links_missed + other.links_missed,
            numbering_correct=self.numbering_correct + other.numbering_correct,
            numbering_scored=self.numbering_scored + other.numbering_scored,
            latency_excess_s=self.latency_excess_s + other.latency_excess_s,
        )

    def summary(self) -> dict[str, float | int | str | bool | None]:
        """The figures a report shows (NaN where not measurable becomes ``None``)."""
        abs_time = [abs(e) for e in self.time_errors_s]
        flight = list(self.flight_errors_s)
        cadence = list(self.cadence_errors_rpm)
        bouts = [abs(e) for e in self.bout_count_errors_pct]
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
            "fp_per_min": self.fp_per_min,
            "fp_on_empty": self.fp_on_empty,
            "direction_accuracy": self.direction_accuracy,
            "direction_scored": self.direction_scored,
            "direction_unknown": self.direction_unknown,
            # Share of the direction-scored events that got a call (not ``unknown``): an
            # accuracy of 100 % over few calls is not every event.
            "direction_coverage": _ratio(
                self.direction_scored, self.direction_scored + self.direction_unknown
            ),
            "time_error_median_s": _median(abs_time),
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
class RecordingScore:
    """Scores of one recording, per type."""

    name: str
    placement: str
    sample_rate_hz: float
    has_gyro: bool
    duration_s: float
    scores: dict[str, TypeScore] = field(default_factory=dict)
    #: ``"sim"`` for simulated recordings, ``"real"`` for recorded ones.
    origin: str = "sim"

    @property
    def group(self) -> str:
        """Origin, placement, rate and gyroscope: the rows of the accuracy table."""
        gyro = " +gyro" if self.has_gyro else ""
        return f"{self.origin} {self.placement} {self.sample_rate_hz:g} Hz{gyro}"


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
    if not truth_t or not detected_t:
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


# --- per type ------------------------------------------------------------------------------


def score_steps(
    truth: Sequence[TruthStep] | None,
    detected: Sequence[StepEvent],
    duration_s: float,
    tol: Tolerances = Tolerances(),
) -> TypeScore:
    """Steps: matched within ``tol.step_s``; direction per matched step."""
    latencies = tuple(e.detected_at - e.t for e in detected)
    if truth is None:
        return TypeScore("step", labelled=False, n_detected=len(detected), latencies_s=latencies)
    pairs = match_times([s.t for s in truth], [e.t for e in detected], tol.step_s)
    correct, scored, unknown = _direction_counts(
        (truth[i].direction, detected[j].direction) for i, j in pairs
    )
    return TypeScore(
        "step",
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
    )


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
    )


def score_reversals(
    truth: Sequence[TruthReversal] | None,
    detected: Sequence[PedalReversalEvent],
    duration_s: float,
    tol: Tolerances = Tolerances(),
    revolutions: Sequence[TruthRevolution] = (),
) -> TypeScore:
    """Pedal reversals: matched within ``tol.reversal_s``; direction is the ``to`` side.

    Each matched reversal's latency is compared with its budget, one revolution at the
    labelled cadence of the first revolution after the turn plus 1 s (issue 6).
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
            budget = 60.0 / nxt.cadence_rpm + 1.0
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


def _run_count_excess(
    det_t: NDArray[np.float64],
    run_starts: NDArray[np.float64],
    run_turns: NDArray[np.int64],
    bout: TruthBout,
) -> int:
    """Detected turns outside ``[L - 1, L]`` per labelled run of the bout, summed with sign
    (see ``score_revolutions``); a detection belongs to the run that started last before it."""
    in_bout = np.flatnonzero((run_starts >= bout.start - 1e-3) & (run_starts <= bout.end))
    if in_bout.size == 0:
        return det_t.size
    starts = run_starts[in_bout]
    which = np.clip(np.searchsorted(starts, det_t, side="right") - 1, 0, starts.size - 1)
    found = np.bincount(which, minlength=starts.size)
    allowed = run_turns[in_bout]
    over = np.maximum(found - allowed, 0)
    under = np.maximum(allowed - 1 - found, 0)
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
    outside ``[L - 1, L]`` for the run's ``L`` labelled turns, over the bout's labelled
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
    so it is a whole turn), and a sensor cannot know where the run's start angle lies (issue
    6: "a shank sensor cannot know where top dead centre is, so revolutions are counted, not
    timed"). A reference angle a fraction ``δ`` of a turn past the start angle is crossed
    ``floor(A - δ) + 1`` times, so the run holds ``L`` whole turns at that angle if
    ``δ <= frac(A)`` and ``L - 1`` otherwise: both counts are the same physical motion, and
    no count of whole turns exceeds ``L``. Counting the run's turns into ``[L - 1, L]``
    charges a detector nothing for the crank angle it cannot know and everything else
    (a partial turn at a stop counted as a whole one, a turn missed in the middle). Runs are
    scored one by one so that a miss in one run is not offset by another's tolerance.
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
) -> RecordingScore:
    """Score every type of one recording's events against its truth."""
    evs = list(events)
    # Steps a single shank sensor infers for the other leg are scored with the rest: the
    # labels hold both legs' contacts.
    steps = [e for e in evs if isinstance(e, StepEvent)]
    jumps = [e for e in evs if isinstance(e, JumpEvent)]
    revs = [e for e in evs if isinstance(e, RevolutionEvent)]
    reversals = [e for e in evs if isinstance(e, PedalReversalEvent)]
    scores = {
        "step": score_steps(truth.steps, steps, duration_s, tol),
        "jump": score_jumps(truth.jumps, jumps, duration_s, tol),
        "revolution": score_revolutions(
            truth.revolutions, truth.pedal_bouts, revs, duration_s, tol
        ),
        "pedal_reversal": score_reversals(
            truth.reversals, reversals, duration_s, tol, truth.revolutions or ()
        ),
    }
    return RecordingScore(name, placement, sample_rate_hz, has_gyro, duration_s, scores, origin)


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
class Target:
    """A figure a detector must reach (the detector issues' "Targets" sections).

    ``metric`` is a key of ``TypeScore.summary()``; ``at_least`` says which side is good.
    """

    type: str
    metric: str
    value: float
    at_least: bool
    label: str
    #: Placements the target applies to (empty: all).
    placements: tuple[str, ...] = ()
    #: Only with (True) or without (False) a gyroscope; ``None``: both.
    gyro: bool | None = None
    #: Only at rates of at least this many Hz.
    min_rate_hz: float = 0.0

    def applies(self, placement: str, rate_hz: float, has_gyro: bool) -> bool:
        return (
            (not self.placements or placement in self.placements)
            and (self.gyro is None or self.gyro == has_gyro)
            and rate_hz >= self.min_rate_hz
        )

    def judges(self, score: TypeScore) -> bool:
        """Whether ``score`` can be held to this target: F1 needs labelled events (false
        alarms on recordings without any are judged by ``fp_on_empty``, not by F1)."""
        return score.labelled and (self.metric != "f1" or score.n_truth > 0)

    def met(self, value: float | None) -> bool | None:
        """Whether ``value`` reaches the target; ``None`` when there is nothing to judge."""
        if value is None or not math.isfinite(value):
            return None
        return value >= self.value if self.at_least else value <= self.value


_TRUNK_LEG = ("chest", "waist", "shank", "ankle", "foot", "thigh")
#: Pedalling targets apply where the crank's motion reaches the sensor (issue 6); a chest strap
#: on the same ride is reported, not judged.
_LEG = ("shank", "ankle", "foot", "thigh")

#: Issue 5 (steps), issue 4 (jumps), issue 6 (pedalling).
TARGETS: tuple[Target, ...] = (
    Target("step", "f1", 0.98, True, "F1 ≥ 0.98", placements=_TRUNK_LEG),
    Target("step", "direction_accuracy", 0.98, True, "direction ≥ 98 %"),
    Target("step", "latency_p95_s", 0.6, False, "latency p95 ≤ 0.6 s"),
    Target("jump", "f1", 0.99, True, "F1 ≥ 0.99"),
    Target("jump", "fp_on_empty", 0, False, "jumps on jump-free files = 0"),
    Target("jump", "flight_time_mae_s", 0.008, False, "flight MAE ≤ 8 ms (≤ 1/fs below 100 Hz)"),
    Target("jump", "direction_accuracy", 0.95, True, "direction ≥ 95 %"),
    # Contact time is the interval between two of the flight time's edges: the flight
    # time's tolerance (issue 4; Castagna et al. 2013 as the anchor, see flight_target_s).
    Target(
        "jump",
        "contact_time_mae_s",
        0.008,
        False,
        "contact MAE ≤ 8 ms (≤ 1/fs below 100 Hz)",
    ),
    Target("jump", "latency_max_s", 0.3, False, "latency ≤ 0.3 s"),
    Target(
        "revolution",
        "bout_count_error_max_pct",
        3.0,
        False,
        "count error ≤ 3 % per bout",
        placements=_LEG,
    ),
    Target(
        "revolution",
        "direction_accuracy",
        0.99,
        True,
        "direction ≥ 99 %",
        placements=_LEG,
        gyro=True,
    ),
    Target(
        "revolution",
        "direction_accuracy",
        0.97,
        True,
        "direction ≥ 97 %",
        placements=_LEG,
        gyro=False,
    ),
    Target("revolution", "cadence_mae_rpm", 2.0, False, "cadence MAE ≤ 2 rpm", placements=_LEG),
    Target("pedal_reversal", "f1", 0.95, True, "F1 ≥ 0.95", placements=_LEG),
    Target(
        "pedal_reversal",
        "latency_excess_max_s",
        0.0,
        False,
        "latency ≤ 1 rev + 1 s",
        placements=_LEG,
    ),
)


#: Metrics whose target follows the sample rate (``flight_target_s``).
RATE_TARGETS = ("flight_time_mae_s", "contact_time_mae_s")


def flight_target_s(rate_hz: float) -> float:
    """Flight-time MAE target: 8 ms at 100-200 Hz, one sample period at 25-50 Hz (issue 4).

    Contact time (between linked jumps) is held to the same: its edges are a landing and
    a takeoff, measured alike.
    """
    return 0.008 if rate_hz >= 100.0 else 1.0 / rate_hz


@dataclass(frozen=True)
class Miss:
    """A target a group of recordings did not reach."""

    group: str
    type: str
    label: str
    value: float


def check_targets(
    recordings: Sequence[RecordingScore], targets: Sequence[Target] = TARGETS
) -> list[Miss]:
    """Every target missed, per group of recordings (pooled as in the accuracy table).

    Direction, F1 and latency targets apply to groups where the type is labelled and
    present; the flight-time target follows the sample rate (``flight_target_s``).
    """
    misses: list[Miss] = []
    groups: dict[str, list[RecordingScore]] = {}
    for rec in recordings:
        groups.setdefault(rec.group, []).append(rec)
    for group, recs in groups.items():
        first = recs[0]
        pooled = pool(recs, key="all")["all"]
        for target in targets:
            score = pooled.get(target.type)
            if score is None or not target.judges(score):
                continue
            if not target.applies(first.placement, first.sample_rate_hz, first.has_gyro):
                continue
            value = score.summary().get(target.metric)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            limit = target.value
            if target.metric in RATE_TARGETS:
                limit = flight_target_s(first.sample_rate_hz)
            ok = Target(target.type, target.metric, limit, target.at_least, target.label).met(
                float(value)
            )
            if ok is False:
                misses.append(Miss(group, target.type, target.label, float(value)))
    return misses
