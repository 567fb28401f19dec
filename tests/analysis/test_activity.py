"""The activity stage: its decisions, its published events, its streaming contract, real data."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import numpy as np
import pytest

from analysis.activity import ActivityParams, ActivityStage
from analysis.events import (
    Activity,
    ActivityEvent,
    Direction,
    Event,
    JumpEvent,
    RevolutionEvent,
    StepEvent,
)
from analysis.jumps import JumpParams
from analysis.perturb import GapPlan, cut_gaps
from analysis.registry import AnalysisParams, build_pipeline
from analysis.stream import run_batch
from analysis.types import Placement, Samples, StreamInfo
from sensor.mqtt.payloads import LiveState
from tests.accuracy import read_body
from tests.analysis.detector_contract import check_chunking_invariance
from tests.paths import AS_RECORDINGS, DATA

SHIN = AS_RECORDINGS / "realworld" / "rw_s1_walking_shin.csv"
SIM = DATA / "sim"


def still_samples(seconds: float, fs: float, up: tuple[float, float, float]) -> Samples:
    rng = np.random.default_rng(5)
    n = round(seconds * fs)
    acc = np.tile(np.asarray(up, dtype=np.float64), (n, 1)) + rng.normal(0.0, 0.003, (n, 3))
    return Samples(time_s=np.arange(n) / fs, acc_g=acc)


def moving_samples(seconds: float, fs: float) -> Samples:
    n = round(seconds * fs)
    t = np.arange(n) / fs
    acc = np.zeros((n, 3))
    acc[:, 2] = 1.0 + 0.3 * np.sin(2 * np.pi * 1.8 * t)
    return Samples(time_s=t, acc_g=acc)


def step(t: float) -> StepEvent:
    return StepEvent(t=t, detected_at=t + 0.2, direction=Direction.FORWARD)


def revolutions(first: float, period: float, n: int, direction: Direction) -> list[Event]:
    """``n`` revolutions a ``period`` apart from ``first``, each reported 0.1 s later."""
    return [
        RevolutionEvent(
            t=first + period * k,
            detected_at=first + 0.1 + period * k,
            direction=direction,
            cadence_rpm=60.0 / period,
        )
        for k in range(n)
    ]


def jump(landing: float, confidence: float) -> JumpEvent:
    return JumpEvent(
        t=landing,
        detected_at=landing + 0.21,
        takeoff_t=landing - 0.4,
        landing_t=landing,
        flight_time_s=0.4,
        height_m=0.2,
        landing_peak_g=5.0,
        direction=Direction.VERTICAL,
        confidence=confidence,
    )


def activities(events: list[Event]) -> list[Activity]:
    return [e.activity for e in events if isinstance(e, ActivityEvent)]


def test_params_out_of_range_name_the_field() -> None:
    with pytest.raises(ValueError, match="still_sd_g"):
        ActivityParams(still_sd_g=-1.0)
    with pytest.raises(ValueError, match="standing_tilt_deg"):
        ActivityParams(standing_tilt_deg=70.0, sitting_tilt_deg=60.0)


def test_a_still_thigh_stands_upright_and_sits_level() -> None:
    info = StreamInfo(sample_rate_hz=50.0, placement=Placement.THIGH)
    for up, expected in (
        ((0.0, 0.0, 1.0), Activity.STANDING),
        ((1.0, 0.0, 0.05), Activity.SITTING),
    ):
        stage = ActivityStage(ActivityParams(), info)
        out = stage.update(still_samples(5.0, 50.0, up), [])
        (change,) = out
        assert isinstance(change, ActivityEvent)
        assert change.activity is expected and change.previous is Activity.UNKNOWN
        # Decided once the still window is full, dated at its start.
        assert change.detected_at == pytest.approx(2.0 - 1 / 50.0, abs=0.03)
        # ... the window's first sample, here the stream's first: never before it.
        assert change.t == pytest.approx(0.0)


def test_a_still_chest_is_unknown_posture_and_its_steps_are_taken_out() -> None:
    info = StreamInfo(sample_rate_hz=50.0, placement=Placement.CHEST)
    stage = ActivityStage(ActivityParams(), info)
    chunk = still_samples(8.0, 50.0, (0.0, 0.0, 1.0))
    out = stage.update(chunk, [step(4.0), step(4.6), step(5.2)])
    assert activities(out) == []  # still, but a chest cannot tell standing from sitting
    assert not [e for e in out if isinstance(e, StepEvent)]


def test_steps_make_a_walk_and_a_shallow_jump_inside_it_is_taken_out() -> None:
    info = StreamInfo(sample_rate_hz=50.0, placement=Placement.SHANK)
    samples = moving_samples(12.0, 50.0)
    steps = [step(1.0 + 0.55 * k) for k in range(12)]
    shallow = jump(4.0, confidence=0.3)
    clear = jump(5.0, confidence=0.8)
    events: list[Event] = sorted([*steps, shallow, clear], key=lambda e: e.sort_key)
    out = ActivityStage(ActivityParams(), info).update(samples, events)
    kept = [e for e in out if not isinstance(e, ActivityEvent)]
    assert shallow not in kept and clear in kept
    assert all(s in kept for s in steps)
    assert activities(out)[:3] == [Activity.WALKING, Activity.JUMPING, Activity.WALKING]
    walk = next(e for e in out if isinstance(e, ActivityEvent))
    assert walk.t == steps[0].t and walk.detected_at == steps[1].detected_at
    # The walk lapses walk_hold_s after its last step, said lapse_wait_s later (a step the
    # detector confirms in that time would have kept it).
    last = [e for e in out if isinstance(e, ActivityEvent)][-1]
    assert last.activity is Activity.UNKNOWN
    assert last.t == pytest.approx(steps[-1].t + 2.0)
    assert last.detected_at == pytest.approx(steps[-1].t + 3.0, abs=0.02)


def test_a_shallow_jump_in_a_pause_between_pedalling_bouts_is_taken_out() -> None:
    """A rider stopping to pedal the other way: the bout has lapsed, the pause has not."""
    info = StreamInfo(sample_rate_hz=50.0, placement=Placement.SHANK)
    samples = moving_samples(30.0, 50.0)
    revs = [
        RevolutionEvent(t=t, detected_at=t + 0.1, direction=Direction.FORWARD, cadence_rpm=42.0)
        for t in (1.0, 2.4, 3.8, 5.2)
    ]
    paused = jump(9.5, confidence=0.3)  # takeoff 4.5 s after the last revolution
    later = jump(20.0, confidence=0.3)  # long after: a jump of its own
    events: list[Event] = sorted([*revs, paused, later], key=lambda e: e.sort_key)
    out = ActivityStage(ActivityParams(), info).update(samples, events)
    assert paused not in out and later in out
    # Without the pause the shallow jump would stay: pedalling had lapsed before it.
    out = ActivityStage(ActivityParams(pause_s=0.0), info).update(samples, events)
    assert paused in out


def test_walking_and_pedalling_exclude_each_other() -> None:
    info = StreamInfo(sample_rate_hz=50.0, placement=Placement.SHANK)
    samples = moving_samples(20.0, 50.0)
    revs = revolutions(1.0, 0.8, 12, Direction.FORWARD)
    stray = [step(3.0), step(3.5)]  # steps while pedalling
    events: list[Event] = sorted([*revs, *stray], key=lambda e: e.sort_key)
    out = ActivityStage(ActivityParams(), info).update(samples, events)
    assert not [e for e in out if isinstance(e, StepEvent)]
    assert len([e for e in out if isinstance(e, RevolutionEvent)]) == len(revs)
    assert activities(out)[0] is Activity.PEDALLING


def test_activity_reaches_the_live_state() -> None:
    state = LiveState()
    assert state.snapshot(0.0)["activity"] == "unknown"
    state.add_event(
        ActivityEvent(t=1.0, detected_at=1.5, activity=Activity.WALKING, previous=Activity.UNKNOWN)
    )
    assert state.snapshot(2.0)["activity"] == "walking"
    change = ActivityEvent(
        t=1.0, detected_at=1.5, activity=Activity.PEDALLING, previous=Activity.WALKING
    )
    assert change.to_dict() == {
        "type": "activity",
        "t": 1.0,
        "detected_at": 1.5,
        "activity": "pedalling",
        "from": "walking",
    }


def test_the_mixed_workout_reads_each_activity_in_turn() -> None:
    samples, info = read_body(SIM / "mixed_shank_100hz_gyro.csv")
    truth = json.loads((SIM / "mixed_shank_100hz_gyro.truth.json").read_text())
    events = run_batch(build_pipeline(info), samples)
    seen = activities(events)
    for wanted in (Activity.WALKING, Activity.JUMPING, Activity.PEDALLING):
        assert wanted in seen
    assert all(a is not b for a, b in itertools.pairwise(seen))
    jumps = [e for e in events if isinstance(e, JumpEvent)]
    assert len(jumps) == len(truth["jumps"])


def test_chunking_does_not_change_the_pipeline_with_its_stage() -> None:
    samples, info = read_body(SIM / "mixed_shank_100hz_gyro.csv")
    window = samples.select(samples.time_s < 90.0)
    check_chunking_invariance(lambda: build_pipeline(info), window, max_examples=8)


@pytest.mark.skipif(not SHIN.exists(), reason="shared real recordings are not present")
@pytest.mark.parametrize("name", [SHIN.name, "rw_s1_walking_shin_acconly.csv"])
def test_real_shin_walk_gives_no_jump_with_or_without_gaps(name: str) -> None:
    samples, info = read_body(SHIN.parent / name)
    events = run_batch(build_pipeline(info), samples)
    assert not [e for e in events if isinstance(e, JumpEvent)]
    span = [(float(samples.time_s[0]), float(samples.time_s[-1]))]
    gapped, gaps = cut_gaps(samples, span, GapPlan(spacing_s=2.0, seed=3))
    assert len(gaps) > 100
    events = run_batch(build_pipeline(info), gapped)
    assert not [e for e in events if isinstance(e, JumpEvent)]
    walking = [e for e in events if isinstance(e, ActivityEvent)]
    assert walking and walking[0].activity is Activity.WALKING


def test_short_gaps_do_not_lose_jumps() -> None:
    """Gaps of 10-300 ms every 2 s cut into the simulated jump sessions: the jumps are still
    found, and more than when every gap restarts the jump detector."""

    def found(bridged_s: float) -> tuple[int, int]:
        hits = labelled = 0
        for path in sorted(SIM.glob("jump*.csv")):
            samples, info = read_body(path)
            truth = json.loads(path.with_suffix(".truth.json").read_text())
            lands = np.array([j["landing_t"] for j in truth["jumps"]])
            span = [(float(samples.time_s[0]), float(samples.time_s[-1]))]
            gapped, _ = cut_gaps(samples, span, GapPlan(spacing_s=2.0, seed=7))
            params = AnalysisParams(jumps=JumpParams(max_bridged_gap_s=bridged_s))
            events = run_batch(build_pipeline(info, params), gapped)
            got = np.array([e.t for e in events if isinstance(e, JumpEvent)])
            hits += sum(1 for t in lands if got.size and np.min(np.abs(got - t)) <= 0.08)
            labelled += lands.size
        return hits, labelled

    bridged, labelled = found(0.3)
    restarted, _ = found(0.0)
    assert bridged >= 0.9 * labelled
    assert bridged > restarted


@pytest.mark.parametrize(
    "name", ["cycle_shank_50hz.csv", "jumpseries_chest_100hz.csv", "walk_wrist_50hz.csv"]
)
def test_the_activity_timeline_stays_in_order(name: str) -> None:
    """A change whose evidence reaches back past the change before it (pedalling whose first
    turn came before a still spell was called) begins where that one did, not earlier."""
    samples, info = read_body(SIM / name)
    changes = [e for e in run_batch(build_pipeline(info), samples) if isinstance(e, ActivityEvent)]
    assert len(changes) >= 2
    assert all(b.t >= a.t for a, b in itertools.pairwise(changes))


def test_a_step_confirmed_just_after_the_walk_lapsed_keeps_the_walk() -> None:
    """Steps 2.1 s apart (a pause), each confirmed 0.6 s after its contact: the walk's
    evidence lapses 2 s after a step, the next step arrives 0.7 s later and dates from
    before the lapse; the walk goes on, with no change to ``unknown`` and back."""
    info = StreamInfo(sample_rate_hz=50.0, placement=Placement.SHANK)
    samples = moving_samples(12.0, 50.0)
    contacts = [1.0, 1.5, 2.0, 4.1, 4.6, 5.1]
    steps = [replace(step(c), detected_at=c + 0.6) for c in contacts]
    stage = ActivityStage(ActivityParams(), info)
    out = stage.update(
        samples.select(samples.time_s < 6.0), sorted(steps, key=lambda e: e.sort_key)
    )
    assert activities(out) == [Activity.WALKING]


def test_a_fast_walk_whose_strides_read_as_turns_stays_a_walk() -> None:
    """Steps every 0.45 s and, from the same strides, revolutions every 0.9 s at 66 rpm:
    the counts over ``compare_s`` tie within one event. The walk keeps the activity (its
    revolutions are taken out) instead of changing at every event."""
    info = StreamInfo(sample_rate_hz=50.0, placement=Placement.SHANK)
    samples = moving_samples(20.0, 50.0)
    steps = [step(1.0 + 0.45 * k) for k in range(36)]
    revs = revolutions(3.05, 0.9, 14, Direction.BACKWARD)
    events: list[Event] = sorted([*steps, *revs], key=lambda e: e.sort_key)
    out = ActivityStage(ActivityParams(), info).update(samples, events)
    assert activities(out)[0] is Activity.WALKING
    assert Activity.PEDALLING not in activities(out)
    assert not [e for e in out if isinstance(e, RevolutionEvent)]
    assert len([e for e in out if isinstance(e, StepEvent)]) == len(steps)
