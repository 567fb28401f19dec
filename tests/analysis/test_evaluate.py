"""The scorer itself: perfect lists score perfect; shifted, missing, extra score worse; the
rules for real recordings (label lag, direction only where forward is known, counts, rest,
gaps) each on a small case."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from analysis.evaluate import (
    GAPS,
    REVERSED,
    RecordingScore,
    Tolerances,
    Truth,
    TruthBout,
    TruthJump,
    TruthReversal,
    TruthRevolution,
    TruthSegment,
    TruthStep,
    TypeScore,
    check_targets,
    match_times,
    moving_spans,
    pool,
    score_gap_losses,
    score_jumps,
    score_recording,
    score_reversals,
    score_revolutions,
    score_steps,
    targets_for,
)
from analysis.events import (
    Direction,
    JumpEvent,
    PedalReversalEvent,
    RevolutionEvent,
    StepEvent,
)

RNG = np.random.default_rng(3)
STEP_T = np.cumsum(0.5 + 0.02 * RNG.standard_normal(40)) + 2.0
TRUTH_STEPS = tuple(
    TruthStep(float(t), "backward" if i >= 20 else "forward") for i, t in enumerate(STEP_T)
)


def steps_from(
    truth: tuple[TruthStep, ...], shift_s: float = 0.0, delay_s: float = 0.3
) -> list[StepEvent]:
    return [
        StepEvent(t=s.t + shift_s, detected_at=s.t + delay_s, direction=Direction(s.direction))
        for s in truth
    ]


# --- matching ------------------------------------------------------------------------------


def test_match_is_one_to_one_and_closest_first() -> None:
    # Two detections near one label: only the closer one matches; the other stays free.
    assert match_times([1.0, 2.0], [1.05, 0.98, 2.3], 0.25) == [(0, 1)]
    assert match_times([1.0, 1.2], [1.1], 0.25) in ([(0, 0)], [(1, 0)])
    assert match_times([], [1.0], 0.25) == []
    assert match_times([1.0], [], 0.25) == []


def test_match_respects_the_tolerance_edge() -> None:
    assert match_times([1.0], [1.25], 0.25) == [(0, 0)]
    assert match_times([1.0], [1.2501], 0.25) == []


def test_match_prefers_closest_pairs_over_time_order() -> None:
    # Greedy in time order would pair 1.0 with 1.2 and leave 1.4 unmatched.
    assert match_times([1.0, 1.4], [1.2, 0.9], 0.25) == [(0, 1), (1, 0)]


# --- steps ---------------------------------------------------------------------------------


def test_perfect_steps_score_perfect() -> None:
    s = score_steps(TRUTH_STEPS, steps_from(TRUTH_STEPS), 60.0)
    assert (s.precision, s.recall, s.f1, s.direction_accuracy) == (1.0, 1.0, 1.0, 1.0)
    assert s.fp == 0 and s.fn == 0
    assert s.summary()["latency_median_s"] == pytest.approx(0.3)
    assert s.summary()["time_error_median_s"] == pytest.approx(0.0)


def test_shifted_steps_score_worse_and_beyond_tolerance_not_at_all() -> None:
    near = score_steps(TRUTH_STEPS, steps_from(TRUTH_STEPS, shift_s=0.1), 60.0)
    assert near.f1 == 1.0
    assert near.summary()["time_error_median_s"] == pytest.approx(0.1)
    sparse = tuple(TruthStep(float(t), "forward") for t in np.arange(1.0, 30.0, 1.0))
    far = score_steps(sparse, steps_from(sparse, shift_s=0.26), 30.0)
    assert far.tp == 0 and far.f1 == 0.0 and far.fp == far.fn == len(sparse)
    wide = score_steps(sparse, steps_from(sparse, shift_s=0.26), 30.0, Tolerances(step_s=0.3))
    assert wide.f1 == 1.0
    with pytest.raises(ValueError, match="step_s"):
        Tolerances(step_s=0.0)
    # At 0.5 s spacing a 0.3 s shift lands 0.2 s from the next step and matches it: the
    # one-to-one rule still leaves the first label and the last detection unmatched.
    next_one = score_steps(TRUTH_STEPS, steps_from(TRUTH_STEPS, shift_s=0.3), 60.0)
    assert next_one.tp < len(TRUTH_STEPS) and next_one.f1 < near.f1


def test_missing_and_extra_steps_lower_recall_and_precision() -> None:
    detected = steps_from(TRUTH_STEPS)
    missing = score_steps(TRUTH_STEPS, detected[::2], 60.0)
    assert missing.precision == 1.0 and missing.recall == pytest.approx(0.5)
    extra = detected + [
        StepEvent(t=t, detected_at=t + 0.3, direction=Direction.FORWARD) for t in (0.5, 30.0, 40.0)
    ]
    scored = score_steps(TRUTH_STEPS, extra, 60.0)
    assert scored.recall == 1.0 and scored.precision == pytest.approx(40 / 43)
    assert scored.fp_per_min == pytest.approx(3.0)


def test_wrong_and_unknown_directions() -> None:
    detected = steps_from(TRUTH_STEPS)
    flipped = [
        StepEvent(t=e.t, detected_at=e.detected_at, direction=Direction.FORWARD) for e in detected
    ]
    s = score_steps(TRUTH_STEPS, flipped, 60.0)
    assert s.f1 == 1.0 and s.direction_accuracy == pytest.approx(0.5)
    unknown = [
        StepEvent(t=e.t, detected_at=e.detected_at, direction=Direction.UNKNOWN) for e in detected
    ]
    u = score_steps(TRUTH_STEPS, unknown, 60.0)
    assert u.direction_unknown == 40 and math.isnan(u.direction_accuracy)


def test_unlabelled_steps_are_not_scored_but_empty_labels_count_false_alarms() -> None:
    detected = steps_from(TRUTH_STEPS)
    unlabelled = score_steps(None, detected, 60.0)
    assert not unlabelled.labelled and unlabelled.n_detected == 40
    assert unlabelled.summary()["f1"] is None
    none_there = score_steps((), detected, 60.0)
    assert none_there.labelled and none_there.fp_on_empty == 40 and none_there.fp == 40


# --- jumps ---------------------------------------------------------------------------------

JUMPS = (
    TruthJump(2.0, 2.4, 0.4, 9.80665 * 0.16 / 8, "vertical", 0.0),
    TruthJump(6.0, 6.3, 0.3, 9.80665 * 0.09 / 8, "backward", -0.4),
    TruthJump(9.0, 9.3, 0.3, 9.80665 * 0.09 / 8, "forward", 0.1),
)


def jumps_from(truth: tuple[TruthJump, ...], flight_bias_s: float = 0.0) -> list[JumpEvent]:
    out = []
    for j in truth:
        flight = j.flight_time_s + flight_bias_s
        out.append(
            JumpEvent(
                t=j.landing_t,
                detected_at=j.landing_t + 0.2,
                takeoff_t=j.landing_t - flight,
                landing_t=j.landing_t,
                flight_time_s=flight,
                height_m=9.80665 * flight**2 / 8,
                landing_peak_g=5.0,
                direction=Direction(j.direction),
            )
        )
    return out


def test_perfect_jumps_score_perfect() -> None:
    s = score_jumps(JUMPS, jumps_from(JUMPS), 30.0)
    summary = s.summary()
    assert s.f1 == 1.0 and summary["flight_time_mae_s"] == pytest.approx(0.0)
    # The forward jump travels 10 cm: too short to judge its direction.
    assert s.direction_scored == 2 and s.direction_accuracy == 1.0
    assert summary["latency_max_s"] == pytest.approx(0.2)


def test_jump_flight_and_height_errors() -> None:
    s = score_jumps(JUMPS, jumps_from(JUMPS, flight_bias_s=-0.02), 30.0).summary()
    assert s["flight_time_mae_s"] == pytest.approx(0.02)
    assert s["flight_time_bias_s"] == pytest.approx(-0.02)
    assert s["height_mae_m"] is not None and s["height_mae_m"] > 0.004


def test_jump_landing_tolerance_is_tight() -> None:
    late = [
        JumpEvent(**{**e.__dict__, "t": e.t + 0.09, "landing_t": e.landing_t + 0.09})
        for e in jumps_from(JUMPS)
    ]
    assert score_jumps(JUMPS, late, 30.0).tp == 0
    ok = [
        JumpEvent(**{**e.__dict__, "t": e.t + 0.07, "landing_t": e.landing_t + 0.07})
        for e in jumps_from(JUMPS)
    ]
    assert score_jumps(JUMPS, ok, 30.0).tp == 3


def test_vertical_jump_called_travelling_is_a_wrong_call_and_coverage_counts_unknowns() -> None:
    events = jumps_from(JUMPS)
    events[0] = JumpEvent(**{**events[0].__dict__, "direction": Direction.BACKWARD})
    events[1] = JumpEvent(**{**events[1].__dict__, "direction": Direction.UNKNOWN})
    s = score_jumps(JUMPS, events, 30.0)
    assert (s.direction_correct, s.direction_scored, s.direction_unknown) == (0, 1, 1)
    assert s.summary()["direction_coverage"] == pytest.approx(0.5)


LINKED = (
    TruthJump(2.0, 2.4, 0.4, 0.2, "backward", -0.4, set_number=1, repetition=1),
    TruthJump(2.65, 3.0, 0.35, 0.15, "forward", 0.4, contact_s=0.25, set_number=1, repetition=2),
    TruthJump(9.0, 9.3, 0.3, 0.11, "vertical", 0.0, set_number=2, repetition=1),
)


def test_linked_jumps_score_contact_rsi_and_numbering() -> None:
    events = jumps_from(LINKED)
    events[1] = JumpEvent(
        **{
            **events[1].__dict__,
            "contact_time_s": 0.26,
            "reactive_strength_index": 0.35 / 0.26,
            "set_number": 1,
            "repetition": 2,
        }
    )
    events[0] = JumpEvent(**{**events[0].__dict__, "set_number": 1, "repetition": 1})
    events[2] = JumpEvent(**{**events[2].__dict__, "set_number": 2, "repetition": 2})
    s = score_jumps(LINKED, events, 30.0)
    summary = s.summary()
    assert summary["contact_time_mae_s"] == pytest.approx(0.01)
    assert summary["rsi_mae"] == pytest.approx(0.35 / 0.25 - 0.35 / 0.26)
    assert s.links_missed == 0
    assert (s.numbering_correct, s.numbering_scored) == (2, 3)
    # The same jumps without the contact reported: a missed link, no contact error.
    plain = score_jumps(LINKED, jumps_from(LINKED), 30.0)
    assert plain.links_missed == 1 and plain.contact_errors_s == ()


def test_contact_time_target_follows_the_flight_times() -> None:
    def rec(rate_hz: float, error_s: float) -> RecordingScore:
        score = TypeScore("jump", n_truth=1, n_detected=1, tp=1, contact_errors_s=(error_s,))
        return RecordingScore("x", "chest", rate_hz, False, 30.0, {"jump": score})

    labels = {m.label for m in check_targets([rec(100.0, 0.009)])}
    assert "contact MAE ≤ 8 ms at 100 Hz and above, 1/fs below" in labels
    assert not check_targets([rec(100.0, 0.007)])
    assert not check_targets([rec(50.0, 0.019)])


# --- pedalling -----------------------------------------------------------------------------


def ride_truth() -> tuple[tuple[TruthRevolution, ...], tuple[TruthBout, ...]]:
    fwd = [TruthRevolution(1.0 + 0.8 * k, "forward", 75.0) for k in range(1, 21)]
    back = [TruthRevolution(20.0 + 1.2 * k, "backward", 50.0) for k in range(1, 11)]
    bouts = (TruthBout("pedal", 1.0, 17.0, "forward"), TruthBout("pedal", 20.0, 32.0, "backward"))
    return tuple(fwd + back), bouts


def revs_from(truth: tuple[TruthRevolution, ...], offset_s: float = 0.3) -> list[RevolutionEvent]:
    return [
        RevolutionEvent(
            t=r.t + offset_s,
            detected_at=r.t + offset_s + 0.05,
            direction=Direction(r.direction),
            cadence_rpm=r.cadence_rpm,
        )
        for r in truth
    ]


def test_revolutions_perfect_even_when_offset_in_phase() -> None:
    truth, bouts = ride_truth()
    s = score_revolutions(truth, bouts, revs_from(truth), 40.0)
    summary = s.summary()
    assert s.f1 == 1.0 and s.direction_accuracy == 1.0
    assert summary["bout_count_error_max_pct"] == 0.0
    assert summary["cadence_mae_rpm"] == pytest.approx(0.0)


def test_revolution_cadence_is_scored_over_the_detected_turn() -> None:
    """A spin-up 40 -> 100 rpm: a flawless detector whose turns start half a turn after the
    labelled ones scores no cadence error (the nearest labelled turn is more than 1.5 rpm
    off here); one reporting 5 % too fast scores about 5 % of the cadence."""
    crank_t = np.linspace(0.0, 20.0, 20001)
    rpm = np.interp(crank_t, [0.0, 2.0, 12.0, 20.0], [40.0, 40.0, 100.0, 100.0])
    turns = np.concatenate(([0.0], np.cumsum(0.5 * (rpm[1:] + rpm[:-1]) * np.diff(crank_t))))
    turns /= 60.0

    def turn_ends(offset: float) -> list[tuple[float, float]]:
        ends = np.interp(np.arange(1.0 + offset, math.floor(turns[-1])), turns, crank_t)
        starts = np.interp(np.arange(offset, math.floor(turns[-1]) - 1.0), turns, crank_t)
        return [(float(b), 60.0 / float(b - a)) for a, b in zip(starts, ends, strict=True)]

    truth = tuple(TruthRevolution(t, "forward", c) for t, c in turn_ends(0.0))
    bouts = (TruthBout("pedal", 0.0, 20.0, "forward"),)

    def detections(scale: float) -> list[RevolutionEvent]:
        return [
            RevolutionEvent(
                t=t, detected_at=t + 0.05, direction=Direction.FORWARD, cadence_rpm=c * scale
            )
            for t, c in turn_ends(0.5)[1:]
        ]

    exact = score_revolutions(truth, bouts, detections(1.0), 20.0).cadence_errors_rpm
    assert len(exact) >= 20 and max(abs(e) for e in exact) < 0.5
    assert float(np.mean(np.abs(exact))) < 0.05
    nearest_off = [
        abs(c - min(truth, key=lambda r: abs(r.t - t)).cadence_rpm) for t, c in turn_ends(0.5)[1:]
    ]
    assert max(nearest_off) > 1.5  # what the nearest-label rule would have charged
    fast = score_revolutions(truth, bouts, detections(1.05), 20.0).cadence_errors_rpm
    assert all(0.035 * 40.0 < e < 0.06 * 100.0 for e in fast)


def test_revolutions_missing_wrong_and_outside_bouts() -> None:
    truth, bouts = ride_truth()
    detected = revs_from(truth)
    # 19 of 20 is what a sensor counting from another crank angle finds (score_revolutions,
    # Notes), 18 of 20 what one more turn at a run's end may cost: 17 of 20 is one short.
    assert score_revolutions(truth, bouts, detected[2:], 40.0).summary()[
        "bout_count_error_max_pct"
    ] == pytest.approx(0.0)  # 18 of 20
    fewer = score_revolutions(truth, bouts, detected[3:], 40.0).summary()
    assert fewer["bout_count_error_max_pct"] == pytest.approx(5.0)  # 17 of 20
    # A turn of a stop counted whole at each end is within the band; a third extra is not.
    extra = [
        RevolutionEvent(t=t, detected_at=t + 0.05, direction=Direction.FORWARD, cadence_rpm=75.0)
        for t in (17.05, 17.1)
    ]
    more = score_revolutions(truth, bouts, [*detected, extra[0]], 40.0).summary()
    assert more["bout_count_error_max_pct"] == pytest.approx(0.0)  # 21 of 20
    most = score_revolutions(truth, bouts, [*detected, *extra], 40.0).summary()
    assert most["bout_count_error_max_pct"] == pytest.approx(5.0)  # 22 of 20
    wrong = [
        RevolutionEvent(
            t=e.t,
            detected_at=e.detected_at,
            direction=Direction.FORWARD,
            cadence_rpm=e.cadence_rpm + 3,
        )
        for e in detected
    ]
    w = score_revolutions(truth, bouts, wrong, 40.0)
    assert w.direction_accuracy == pytest.approx(20 / 30)
    assert w.summary()["cadence_mae_rpm"] == pytest.approx(3.0)
    slow = [TruthRevolution(r.t, r.direction, 30.0) for r in truth]
    assert score_revolutions(tuple(slow), bouts, detected, 40.0).cadence_errors_rpm == ()
    stray = [
        *detected,
        RevolutionEvent(t=35.0, detected_at=35.1, direction=Direction.FORWARD, cadence_rpm=60.0),
    ]
    s = score_revolutions(truth, bouts, stray, 40.0)
    assert s.fp == 1 and s.precision < 1.0 and s.recall == 1.0


def test_reversals_matched_within_tolerance_and_latency_budget() -> None:
    truth_revs, _ = ride_truth()
    truth = (TruthReversal(19.0, "forward", "backward"),)
    on_time = [
        PedalReversalEvent(
            t=19.4,
            detected_at=20.5,
            from_direction=Direction.FORWARD,
            to_direction=Direction.BACKWARD,
        )
    ]
    s = score_reversals(truth, on_time, 40.0, revolutions=truth_revs)
    # Budget: one revolution at 50 rpm (1.2 s) plus 1 s; 1.5 s latency is within it.
    assert s.f1 == 1.0 and s.summary()["latency_excess_max_s"] == pytest.approx(1.5 - 2.2)
    late = [PedalReversalEvent(**{**on_time[0].__dict__, "t": 20.6, "detected_at": 23.0})]
    s_late = score_reversals(truth, late, 40.0, revolutions=truth_revs)
    assert s_late.tp == 0 and s_late.fp == 1 and s_late.fn == 1


# --- recordings, pooling, targets -----------------------------------------------------------


def perfect_recording(name: str, placement: str = "chest", rate: float = 100.0) -> RecordingScore:
    truth_revs, bouts = ride_truth()
    truth = Truth(
        steps=TRUTH_STEPS,
        jumps=JUMPS,
        revolutions=truth_revs,
        reversals=(TruthReversal(19.0, "forward", "backward"),),
        bouts=bouts,
    )
    events = [
        *steps_from(TRUTH_STEPS),
        *jumps_from(JUMPS),
        *revs_from(truth_revs),
        PedalReversalEvent(
            t=19.2,
            detected_at=20.0,
            from_direction=Direction.FORWARD,
            to_direction=Direction.BACKWARD,
        ),
    ]
    return score_recording(
        truth,
        events,
        name=name,
        placement=placement,
        sample_rate_hz=rate,
        has_gyro=True,
        duration_s=40.0,
    )


def test_a_perfect_recording_meets_every_target() -> None:
    rec = perfect_recording("a.csv")
    assert {k: v.f1 for k, v in rec.scores.items()} == {
        "step": 1.0,
        "jump": 1.0,
        "revolution": 1.0,
        "pedal_reversal": 1.0,
    }
    assert check_targets([rec]) == []
    assert rec.group == "sim chest 100 Hz +gyro"


def test_targets_flag_a_worse_recording() -> None:
    rec = perfect_recording("b.csv")
    worse = score_recording(
        Truth(steps=TRUTH_STEPS, jumps=(), revolutions=None, reversals=None),
        steps_from(TRUTH_STEPS)[5:] + jumps_from(JUMPS[:1]),
        name="c.csv",
        placement="chest",
        sample_rate_hz=100.0,
        has_gyro=True,
        duration_s=40.0,
    )
    misses = check_targets([rec, worse])
    labels = {(m.type, m.label) for m in misses}
    assert ("step", "F1 ≥ 0.98") in labels
    assert ("jump", "jumps on jump-free files = 0") in labels


def test_pooling_adds_counts_and_keeps_errors() -> None:
    a, b = perfect_recording("a.csv"), perfect_recording("b.csv", placement="waist")
    groups = pool([a, b])
    assert set(groups) == {"sim chest 100 Hz +gyro", "sim waist 100 Hz +gyro"}
    overall = pool([a, b], key="all")["all"]["step"]
    assert overall.n_truth == 80 and overall.tp == 80 and len(overall.latencies_s) == 80
    with pytest.raises(ValueError, match="cannot pool"):
        overall.merged(TypeScore("jump"))


# --- the rules for real recordings -------------------------------------------------------------

SPARSE = tuple(TruthStep(float(t), "forward") for t in np.arange(2.0, 40.0, 0.6))


def test_a_label_lag_moves_the_matching_window_back() -> None:
    # Detections 0.3 s before labels that lag the contact by 0.125 s: matched only with the lag.
    early = steps_from(SPARSE, shift_s=-0.3)
    assert score_steps(SPARSE, early, 40.0).tp == 0
    lagged = score_steps(SPARSE, early, 40.0, label_lag_s=0.125)
    assert lagged.f1 == 1.0
    assert lagged.summary()["time_error_bias_s"] == pytest.approx(-0.175)
    # The window moved rather than widened: 0.2 s after the label no longer matches.
    late = steps_from(SPARSE, shift_s=0.2)
    assert score_steps(SPARSE, late, 40.0).f1 == 1.0
    assert score_steps(SPARSE, late, 40.0, label_lag_s=0.125).tp == 0


def test_direction_is_scored_only_where_forward_is_known() -> None:
    detected = steps_from(SPARSE)
    detected[:10] = [
        StepEvent(t=e.t, detected_at=e.detected_at, direction=Direction.BACKWARD)
        for e in detected[:10]
    ]
    detected[10:13] = [
        StepEvent(t=e.t, detected_at=e.detected_at, direction=Direction.UNKNOWN)
        for e in detected[10:13]
    ]
    known = score_steps(SPARSE, detected, 40.0)
    n = len(SPARSE)
    assert (known.direction_correct, known.direction_scored) == (n - 13, n - 3)
    assert known.oneway_called == 0
    guessed = score_steps(SPARSE, detected, 40.0, direction_known=False)
    assert guessed.direction_scored == 0 and guessed.direction_unknown == 0
    assert (guessed.oneway_majority, guessed.oneway_called) == (n - 13, n - 3)
    assert guessed.f1 == known.f1 == 1.0


def test_a_reference_count_scores_the_count_and_the_direction_in_bouts() -> None:
    bout = TruthBout("walk", 2.0, 20.0, "forward")
    detected = [
        StepEvent(t=t, detected_at=t + 0.3, direction=Direction.FORWARD)
        for t in np.arange(2.5, 19.0, 0.5)
    ]
    detected.append(StepEvent(t=30.0, detected_at=30.3, direction=Direction.BACKWARD))
    s = score_steps(None, detected, 40.0, reference_steps=40, walk_bouts=(bout,))
    assert not s.labelled and s.n_reference == 40
    assert s.count_errors_pct == pytest.approx((100.0 * (len(detected) - 40) / 40,))
    # The step outside the bout is not held to the bout's direction.
    assert (s.direction_correct, s.direction_scored) == (len(detected) - 1, len(detected) - 1)
    # Pooled with a labelled file, its detections do not count as false positives there.
    labelled = score_steps(SPARSE, steps_from(SPARSE), 40.0)
    both = labelled.merged(s)
    assert both.precision == 1.0 and both.n_detected == len(SPARSE)
    assert len(both.count_errors_pct) == 2 and both.n_reference == 40


def test_count_error_is_per_file_and_the_worst_keeps_its_sign() -> None:
    ten = tuple(TruthStep(float(t), "forward") for t in range(1, 11))
    over = score_steps(ten, steps_from(ten) + steps_from(ten[:1], shift_s=0.5), 12.0)
    under = score_steps(ten, steps_from(ten)[:8], 12.0)
    summary = over.merged(under).summary()
    assert summary["count_error_mean_pct"] == pytest.approx(15.0)
    assert summary["count_error_max_pct"] == pytest.approx(20.0)
    assert summary["count_error_worst_pct"] == pytest.approx(-20.0)
    # The worst decile of per-file F1 is near the worse file, not the pooled F1.
    assert summary["f1_p10"] == pytest.approx(16 / 18 + 0.1 * (20 / 21 - 16 / 18))


def _chest_at_rest(
    segments: tuple[TruthSegment, ...], times: list[float], moving: list[tuple[float, float]]
) -> RecordingScore:
    """A real chest recording labelled only with activity segments, steps at ``times``."""
    truth = Truth(steps=None, jumps=(), revolutions=None, reversals=None, segments=segments)
    events = [
        StepEvent(t=float(t), detected_at=float(t), direction=Direction.UNKNOWN) for t in times
    ]
    return score_recording(
        truth,
        events,
        name="rest.csv",
        placement="chest",
        sample_rate_hz=52.0,
        has_gyro=False,
        duration_s=segments[-1].end,
        origin="real",
        moving=moving,
    )


def test_rest_counts_false_steps_where_the_sensor_is_still() -> None:
    # 4 steps while still in half an hour of sitting, 30 in a stretch where the subject moved,
    # 100 while walking.
    times = [100.0, 500.0, 900.0, 1300.0, *np.arange(1000.0, 1015.0, 0.5), *range(1800, 1900)]
    rec = _chest_at_rest(
        (
            TruthSegment("sitting", 0.0, 1800.0, rest=True),
            TruthSegment("walking", 1800.0, 1900.0, rest=False),
        ),
        times,
        moving=[(998.0, 1016.0)],
    )
    step = rec.scores["step"].summary()
    assert step["rest_s"] == pytest.approx(1800.0 - 18.0)
    assert step["rest_events"] == 4
    assert step["rest_per_h"] == pytest.approx(4 / (1782.0 / 3600.0))
    assert step["rest_labelled_per_h"] == pytest.approx(34 / 0.5)
    sitting, walking = rec.segments
    assert (sitting.count("step"), sitting.count("step", still=True)) == (34, 4)
    assert walking.count("step") == 100 and not walking.rest
    assert not [m for m in check_targets([rec]) if "rest" in m.label]
    more = replace(rec.scores["step"], rest_events=6)
    missed = check_targets([replace(rec, scores={**rec.scores, "step": more})])
    assert [m.label for m in missed] == ["false steps at rest ≤ 10 per hour"]


def test_a_rest_activity_over_the_target_is_listed_missed_though_the_whole_rest_meets_it() -> None:
    from sensor.evaluation import format_markdown, report_json

    # One step while still in five minutes of talking: 12 per hour there, 1.7 over all rest.
    rec = _chest_at_rest(
        (
            TruthSegment("sitting", 0.0, 1800.0, rest=True),
            TruthSegment("talking", 1800.0, 2100.0, rest=True),
        ),
        [1900.0],
        moving=[],
    )
    assert not check_targets([rec])
    report = format_markdown([rec])
    assert "| talking | rest | 5.0 | 5.0 | 1 | 12 | 12 ✗ |" in report
    assert "- real chest 52 Hz: false steps at rest ≤ 10 per hour (talking) (12)" in report
    missed = report_json([rec])["targets_missed"]
    assert [m["target"] for m in missed] == ["false steps at rest ≤ 10 per hour (talking)"]


def test_moving_spans_find_walking_and_leave_stillness() -> None:
    fs = 50.0
    t = np.arange(0.0, 60.0, 1.0 / fs)
    acc = np.zeros((t.size, 3))
    acc[:, 2] = 1.0 + 0.005 * np.sin(2 * np.pi * 0.3 * t)
    walking = (t >= 20.0) & (t < 30.0)
    acc[walking, 2] += 0.3 * np.sin(2 * np.pi * 1.8 * t[walking])
    (span,) = moving_spans(t, acc)
    # The walking windows (20-30 s) and two two-second windows either side.
    assert span == pytest.approx((16.0, 34.0))
    assert moving_spans(t[:0], acc[:0]) == []


def test_steps_lost_at_gaps_are_charged_against_the_intact_run() -> None:
    ref = [float(x) for x in np.arange(1.0, 30.0, 0.5)]
    intact = [t for t in ref if t != 12.0]  # missed without any gap: not the gap's fault
    gaps = [(10.0, 10.2)]
    # The gapped run loses the step just before the gap, one after it, and one long after.
    gapped = [t for t in intact if t not in (9.5, 11.0, 25.0)]
    found, lost = score_gap_losses(ref, intact, gapped, gaps)
    # At the gap: 9.0 (1 s before) to 13.2 (3 s after): 9.0 ... 13.0 less 12.0.
    assert found == len([t for t in ref if 9.0 <= t <= 13.2]) - 1
    assert lost == 2
    assert score_gap_losses(ref, intact, intact, gaps) == (found, 0)
    assert score_gap_losses(ref, intact, gapped, []) == (0, 0)


def test_targets_follow_origin_site_and_variant() -> None:
    def rec(origin: str, site: str, variant: str = "", f1_steps: int = 96) -> RecordingScore:
        # 100 labelled steps, f1_steps of them found: F1 = 2k / 200.
        step = TypeScore(
            "step", n_truth=100, n_detected=f1_steps, tp=f1_steps, file_f1=(f1_steps / 100,)
        )
        return RecordingScore(
            f"{origin}-{site}-{variant}.csv",
            "waist" if site == "bag" else site,
            100.0,
            False,
            60.0,
            {"step": step},
            origin,
            site,
            variant,
        )

    def missed(r: RecordingScore) -> set[str]:
        return {m.label for m in check_targets([r]) if m.type == "step"}

    # F1 0.98 (96 of 100 found): meets the real chest's 0.97, not the simulator's 0.98...
    assert "F1 ≥ 0.97" not in missed(rec("real", "chest"))
    assert "count error per file ≤ 3 %" not in missed(rec("real", "chest"))
    assert missed(rec("real", "chest", f1_steps=93)) == {"F1 ≥ 0.97"}
    assert "F1 ≥ 0.98" in missed(rec("sim", "chest", f1_steps=95))
    # ... a phone in a bag is not held to the lower back's target; a shank to 0.95.
    assert missed(rec("real", "bag", f1_steps=50)) == set()
    assert missed(rec("real", "shank", f1_steps=94)) == set()
    # A time-reversed walk is judged on its direction, not on its F1.
    assert missed(rec("real", "chest", REVERSED, f1_steps=50)) == set()


def test_reversed_walks_are_held_to_read_backward() -> None:
    back = tuple(TruthStep(s.t, "backward") for s in SPARSE)
    calls = steps_from(back)
    calls[0] = StepEvent(
        t=calls[0].t, detected_at=calls[0].detected_at, direction=Direction.FORWARD
    )
    truth = Truth(steps=back, jumps=(), revolutions=None, reversals=None)
    kwargs = dict(placement="chest", sample_rate_hz=100.0, has_gyro=False, duration_s=40.0)
    one_wrong = score_recording(
        truth, calls, name="r.csv", origin="real", variant=REVERSED, **kwargs
    )
    assert one_wrong.scores["step"].direction_accuracy == pytest.approx(1 - 1 / len(SPARSE))
    assert check_targets([one_wrong]) == []  # 98.5 % >= 98 %
    calls[1:3] = [
        StepEvent(t=c.t, detected_at=c.detected_at, direction=Direction.FORWARD) for c in calls[1:3]
    ]
    three = score_recording(truth, calls, name="r.csv", origin="real", variant=REVERSED, **kwargs)
    assert [m.label for m in check_targets([three])] == ["direction right ≥ 98 %"]
    # The same calls on a walk played as it was are held to 99 %.
    fwd = score_recording(truth, calls, name="r.csv", origin="real", **kwargs)
    assert "direction right ≥ 99 %" in {m.label for m in check_targets([fwd])}


def test_target_texts_are_rendered_from_the_targets() -> None:
    (chest,) = [t for t in targets_for("step", "f1") if t.origin == "real" and "chest" in t.sites]
    assert chest.label == f"F1 ≥ {chest.value:.2f}"
    assert chest.scope == "real chest, waist"
    (rest,) = targets_for("step", "rest_per_h")
    assert rest.label == "false steps at rest ≤ 10 per hour"
    assert targets_for("step", "direction_accuracy", REVERSED)[0].threshold == "≥ 98 %"
    jumps = targets_for("jump", "fp_on_empty", GAPS)
    assert [t.label for t in jumps] == ["jumps on jump-free files = 0"]


def test_reversal_budget_is_two_revolutions_without_a_gyroscope() -> None:
    truth_revs, _ = ride_truth()
    truth = (TruthReversal(19.0, "forward", "backward"),)
    # 2.8 s after the turn: beyond 1 rev (1.2 s at 50 rpm) + 1 s, within 2 revs + 1 s.
    event = PedalReversalEvent(
        t=19.4,
        detected_at=21.8,
        from_direction=Direction.FORWARD,
        to_direction=Direction.BACKWARD,
    )
    gyro = score_reversals(truth, [event], 40.0, revolutions=truth_revs)
    acc_only = score_reversals(truth, [event], 40.0, revolutions=truth_revs, has_gyro=False)
    assert gyro.summary()["latency_excess_max_s"] == pytest.approx(2.8 - 2.2)
    assert acc_only.summary()["latency_excess_max_s"] == pytest.approx(2.8 - 3.4)


# --- regression: the detectors on the labelled set ------------------------------------------

#: Targets missed on the labelled set (the simulated fixtures, every real recording and the
#: real walks' time-reversed and gapped variants) when this list was last updated, as
#: ``(group, type, target)``. A miss not listed here fails the test: a detector fell below its
#: target. Remove entries as detectors improve (a met target is never a failure).
KNOWN_MISSES: frozenset[tuple[str, str, str]] = frozenset(
    {
        # The real recordings' baseline (main at 323272d), the figure after each.
        ("real chest 52 Hz", "step", "false steps at rest ≤ 10 per hour"),  # 201
        ("real chest 100 Hz", "step", "count error per file ≤ 3 %"),  # 4.05
        ("real waist 100 Hz +gyro", "step", "F1 ≥ 0.97"),  # 0.882
        ("real waist 100 Hz +gyro", "step", "count error per file ≤ 3 %"),  # 76.3
        ("real shank 50 Hz", "jump", "jumps on jump-free files = 0"),  # 53
        ("real shank 50 Hz +gyro", "jump", "jumps on jump-free files = 0"),  # 53
        ("real time-reversed shank 50 Hz", "jump", "jumps on jump-free files = 0"),  # 1
        ("real time-reversed shank 50 Hz +gyro", "jump", "jumps on jump-free files = 0"),  # 1
        ("real gaps cut in shank 50 Hz", "jump", "jumps on jump-free files = 0"),  # 48
        ("real gaps cut in shank 50 Hz +gyro", "jump", "jumps on jump-free files = 0"),  # 49
        # Per run: the first bout's first cycle from rest is 0.74 of a turn (the restarted
        # band-pass crossed as the crank started, 0.21 turn short of the band's crossing
        # angle; simulator crank angle) and counts whole.
        ("sim shank 50 Hz", "revolution", "count error per bout ≤ 3 %"),  # 4.0
        # Without a gyroscope a reversal is reported once two trusted turns agree; the
        # spin-up turn out of the stop (36-41 rpm, on the crossover) carries no trusted
        # direction (its odd |f| shape is right on 75 % of such turns), so the run's steady
        # turns decide: 0.15 s and 0.39 s over two turns + 1 s (never a wrong reversal:
        # the single-turn decisions that met the budget called whole runs wrong on fresh
        # rides).
        (
            "sim shank 50 Hz",
            "pedal_reversal",
            "latency beyond 1 rev + 1 s (2 revs + 1 s without gyroscope) = 0 s",
        ),  # 0.15
        (
            "sim shank 100 Hz",
            "pedal_reversal",
            "latency beyond 1 rev + 1 s (2 revs + 1 s without gyroscope) = 0 s",
        ),  # 0.39
    }
)


def test_no_detector_falls_below_its_target_on_the_labelled_set() -> None:
    from tests.accuracy import evaluate_fixtures, fixture_paths
    from tests.paths import all_real_recordings

    report = evaluate_fixtures([*fixture_paths("*"), *all_real_recordings()], variants=True)
    misses = {(m.group, m.type, m.label): m.value for m in report.misses()}
    new = sorted(set(misses) - KNOWN_MISSES)
    assert not new, "below target: " + "; ".join(
        f"{t} {label} on {g} ({misses[(g, t, label)]:.3g})" for g, t, label in new
    )
