"""Interval programs and coaching cues: the follower's machine on events it is fed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.events import (
    Direction,
    Event,
    JumpEvent,
    PedalReversalEvent,
    RevolutionEvent,
    StepEvent,
)
from analysis.program import (
    CoachParams,
    Cue,
    CueKind,
    Interval,
    IntervalActivity,
    Program,
    ProgramFollower,
)

LATENCY_S = 0.4


def steps(t0: float, n: int, period_s: float, direction: Direction) -> list[Event]:
    return [
        StepEvent(t=t0 + i * period_s, detected_at=t0 + i * period_s + LATENCY_S, direction=d)
        for i, d in enumerate([direction] * n)
    ]


def jump(t: float, softness: float, peak_g: float = 4.0, height_m: float = 0.2) -> JumpEvent:
    return JumpEvent(
        t=t,
        detected_at=t + 0.2,
        takeoff_t=t - 0.4,
        landing_t=t,
        flight_time_s=0.4,
        height_m=height_m,
        landing_peak_g=peak_g,
        direction=Direction.UNKNOWN,
        landing_softness=softness,
    )


def follow(
    program: Program,
    events: list[Event],
    end_t: float,
    params: CoachParams | None = None,
    ticks: list[float] | None = None,
) -> tuple[list[Cue], ProgramFollower]:
    """Feed events one by one with ``advance`` at ``ticks``, as a session does."""
    follower = ProgramFollower(program, params)
    cues = follower.begin(0.0)
    pending = sorted(ticks or [])
    for event in sorted(events, key=lambda e: e.detected_at):
        while pending and pending[0] < event.detected_at:
            cues += follower.advance(pending.pop(0))
        cues += follower.update([event])
    for tick in pending:
        cues += follower.advance(tick)
    cues += follower.finish(end_t)
    return cues, follower


WALK_BACK = Interval(
    activity=IntervalActivity.WALK, direction="backward", duration_s=20.0, cadence_spm=(90.0, 130.0)
)
REST = Interval(activity=IntervalActivity.REST, duration_s=15.0)


def kinds(cues: list[Cue]) -> list[str]:
    return [str(c.kind) for c in cues]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activity": IntervalActivity.REST}, "duration_s: a rest needs a duration"),
        ({"activity": IntervalActivity.WALK}, "give either duration_s or reps"),
        ({"activity": IntervalActivity.WALK, "duration_s": 10, "reps": 5}, "give either"),
        ({"activity": IntervalActivity.WALK, "duration_s": -5}, "duration_s: expected 1..86400"),
        ({"activity": IntervalActivity.WALK, "reps": 0}, "reps: expected 1..100000"),
        ({"activity": IntervalActivity.WALK, "reps": 5, "direction": "vertical"}, "for jumps"),
        (
            {"activity": IntervalActivity.PEDAL, "reps": 5, "cadence_spm": (90, 120)},
            "'walk' intervals",
        ),
        ({"activity": IntervalActivity.WALK, "reps": 5, "cadence_spm": (120, 90)}, "low < high"),
        ({"activity": IntervalActivity.JUMP, "reps": 5, "hr_zone": (4, 2)}, "hr_zone"),
        (
            {"activity": IntervalActivity.REST, "duration_s": 5, "reps": 3},
            "a rest has no repetitions",
        ),
    ],
)
def test_an_impossible_interval_is_refused_naming_its_field(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Interval(**kwargs)  # type: ignore[arg-type]


def test_a_program_of_rests_only_is_refused() -> None:
    with pytest.raises(ValueError, match="rests only"):
        Program(name="x", intervals=(REST,))


def test_a_walk_interval_starts_on_the_first_step_and_ends_on_time() -> None:
    program = Program(name="p", intervals=(WALK_BACK, REST), repeat=2)
    events = steps(5.0, 60, 0.55, Direction.BACKWARD)  # 109 spm, on target, 32 s of walking
    cues, follower = follow(program, events, end_t=60.0)
    assert kinds(cues) == [
        "interval_next",  # at the start: the first interval, start when ready
        "interval_start",
        "interval_done",  # 20 s after the first step; the rest begins
        "interval_next",  # 10 s before the rest ends
        "interval_done",  # the rest is over; the second round waits for a step
    ]
    start, done, warn, rested = cues[1:]
    assert start.t == pytest.approx(5.0)
    assert done.t == pytest.approx(25.0)
    assert "Rest 15 s" in done.text
    assert warn.t == pytest.approx(30.0)
    assert rested.t == pytest.approx(40.0)
    assert "Next: walk backward" in rested.text
    walk = follower.results[0]
    assert walk.status == "done"
    assert walk.on_target_pct == pytest.approx(100.0)
    assert walk.reps == 37  # steps with t in [5, 25)
    assert walk.wrong_direction == 0
    assert [r.status for r in follower.results] == ["done", "done", "not started", "not started"]


def test_the_last_interval_done_ends_the_program() -> None:
    program = Program(name="p", intervals=(Interval(activity=IntervalActivity.WALK, reps=10),))
    cues, _ = follow(program, steps(1.0, 12, 0.5, Direction.FORWARD), end_t=20.0)
    assert kinds(cues) == ["interval_next", "interval_start", "program_done"]
    assert cues[-1].t == pytest.approx(1.0 + 9 * 0.5)


def test_cadence_below_target_for_the_hold_time_gives_one_cue_then_a_reminder() -> None:
    program = Program(name="p", intervals=(WALK_BACK,))
    slow = steps(1.0, 60, 0.8, Direction.BACKWARD)  # 75 spm for 48 s
    params = CoachParams(cadence_hold_s=5.0, repeat_gap_s=30.0)
    interval = Interval(
        activity=IntervalActivity.WALK,
        direction="backward",
        duration_s=45.0,
        cadence_spm=(90.0, 130.0),
    )
    cues, follower = follow(Program(name="p", intervals=(interval,)), slow, 60.0, params)
    low = [c for c in cues if c.kind is CueKind.CADENCE_LOW]
    # Out of range from the second step (the first with a cadence): cue 5 s later, once;
    # the condition never clears, so no second episode.
    assert len(low) == 1
    assert low[0].t == pytest.approx(1.8 + 5.0)
    assert low[0].numbers["cadence"] == pytest.approx(75.0)
    assert follower.results[0].on_target_pct == pytest.approx(0.0)
    del program


def test_walking_forward_in_a_backward_interval_is_said_once_per_run() -> None:
    program = Program(name="p", intervals=(WALK_BACK,))
    events = [
        *steps(1.0, 6, 0.5, Direction.BACKWARD),
        *steps(4.0, 8, 0.5, Direction.FORWARD),
        *steps(8.0, 6, 0.5, Direction.BACKWARD),
    ]
    cues, follower = follow(program, events, 30.0)
    wrong = [c for c in cues if c.kind is CueKind.WRONG_DIRECTION]
    assert len(wrong) == 1
    assert wrong[0].t == pytest.approx(4.0 + 3 * 0.5)  # the fourth forward step
    assert "walking forward" in wrong[0].text
    assert follower.results[0].wrong_direction == 8
    assert follower.results[0].reps == 12


def test_an_unasked_pedal_reversal_is_cued_and_not_repeated_as_wrong_direction() -> None:
    interval = Interval(activity=IntervalActivity.PEDAL, direction="backward", duration_s=30.0)
    revs: list[Event] = [
        RevolutionEvent(
            t=2.0 + i, detected_at=2.5 + i, direction=Direction.BACKWARD, cadence_rpm=60
        )
        for i in range(8)
    ]
    revs.append(
        PedalReversalEvent(
            t=10.5,
            detected_at=11.6,
            from_direction=Direction.BACKWARD,
            to_direction=Direction.FORWARD,
        )
    )
    revs += [
        RevolutionEvent(
            t=11.0 + i, detected_at=11.7 + i, direction=Direction.FORWARD, cadence_rpm=60
        )
        for i in range(8)
    ]
    cues, _ = follow(Program(name="p", intervals=(interval,)), revs, 40.0)
    assert kinds(cues).count("pedal_reversal") == 1
    assert "wrong_direction" not in kinds(cues)


def test_landings_are_judged_and_a_soft_streak_is_praised() -> None:
    interval = Interval(activity=IntervalActivity.JUMP, reps=6, landing="soft")
    events: list[Event] = [
        jump(2.0, 0.6),
        jump(4.0, 0.7),
        jump(6.0, 0.55),  # three soft in a row
        jump(30.0, 0.1, peak_g=9.0),  # stiff
        jump(32.0, 0.35),  # firm
        jump(34.0, 0.6),
    ]
    cues, follower = follow(Program(name="p", intervals=(interval,)), events, 40.0)
    assert [
        str(c.kind) for c in cues if c.kind in (CueKind.SOFT_STREAK, CueKind.STIFF_LANDING)
    ] == [
        "soft_streak",
        "stiff_landing",
    ]
    result = follower.results[0]
    assert result.status == "done"
    assert result.landings == {"soft": 4, "stiff": 1, "firm": 1}
    assert result.on_target_pct == pytest.approx(100.0 * 4 / 6)
    assert result.worst_landing_peak_g == pytest.approx(9.0)


def test_the_rate_limit_holds_back_a_kind_and_counts_what_it_held() -> None:
    interval = Interval(activity=IntervalActivity.JUMP, reps=5)
    events: list[Event] = [jump(2.0 + 2 * i, 0.1, peak_g=9.0) for i in range(5)]
    cues, follower = follow(
        Program(name="p", intervals=(interval,)), events, 30.0, CoachParams(repeat_gap_s=5.0)
    )
    stiff = [c.t for c in cues if c.kind is CueKind.STIFF_LANDING]
    assert stiff == [2.0, 8.0]  # 4 and 6 within 5 s of the cue before; 10 within 5 s of 8
    assert follower.suppressed == {"stiff_landing": 3}


def test_a_kind_switched_off_is_never_given_nor_counted() -> None:
    interval = Interval(activity=IntervalActivity.JUMP, reps=2)
    events: list[Event] = [jump(2.0, 0.1, peak_g=9.0), jump(40.0, 0.1, peak_g=9.0)]
    params = CoachParams(off=(CueKind.STIFF_LANDING, CueKind.INTERVAL_NEXT))
    cues, follower = follow(Program(name="p", intervals=(interval,)), events, 50.0, params)
    assert kinds(cues) == ["interval_start", "program_done"]
    assert follower.suppressed == {}


def test_heart_rate_out_of_its_zone_for_the_hold_time_is_cued() -> None:
    interval = Interval(activity=IntervalActivity.WALK, duration_s=60.0, hr_zone=(2, 3))
    follower = ProgramFollower(
        Program(name="p", intervals=(interval,)),
        CoachParams(hr_hold_s=10.0),
        hr_zone_bounds_bpm=(90.0, 108.0, 126.0, 144.0, 162.0, 180.0),
    )
    cues = follower.begin(0.0)
    cues += follower.update(steps(1.0, 4, 0.5, Direction.FORWARD))
    for t in range(2, 30):
        cues += follower.heart_rate(float(t), 150.0)  # zone 4
    high = [c for c in cues if c.kind is CueKind.HEART_RATE_HIGH]
    assert [c.t for c in high] == [12.0]
    assert high[0].numbers["zone"] == 4


def test_progress_says_where_the_wearer_is() -> None:
    program = Program(name="p", intervals=(WALK_BACK, REST), repeat=2)
    follower = ProgramFollower(program)
    follower.begin(0.0)
    assert follower.progress(0.0).status == "waiting"
    follower.update(steps(5.0, 10, 0.5, Direction.BACKWARD))
    now = follower.progress(12.0)
    assert (now.interval, now.intervals, now.round, now.status) == (1, 4, 1, "active")
    assert now.time_left_s == pytest.approx(13.0)
    follower.advance(30.0)
    rest = follower.progress(30.0)
    assert (rest.interval, rest.activity, rest.time_left_s) == (2, IntervalActivity.REST, 10.0)


def test_unfinished_intervals_are_reported_as_such() -> None:
    program = Program(name="p", intervals=(WALK_BACK, REST), repeat=2)
    _, follower = follow(program, steps(5.0, 10, 0.5, Direction.BACKWARD), end_t=12.0)
    assert [r.status for r in follower.results] == [
        "incomplete",
        "not started",
        "not started",
        "not started",
    ]


@settings(max_examples=60, deadline=None)
@given(
    ticks=st.lists(st.floats(min_value=0.0, max_value=80.0), max_size=40),
    seed_events=st.integers(min_value=0, max_value=3),
)
def test_cues_do_not_depend_on_when_the_stream_ticks(ticks: list[float], seed_events: int) -> None:
    """The cues are the same whether the session advances often, rarely or never."""
    program = Program(
        name="p",
        intervals=(
            WALK_BACK,
            REST,
            Interval(activity=IntervalActivity.JUMP, reps=3, landing="soft"),
        ),
    )
    events: list[Event] = [
        *steps(2.0 + seed_events, 20, 0.5 + 0.1 * seed_events, Direction.BACKWARD),
        *steps(16.0, 6, 0.7, Direction.FORWARD),
        jump(50.0, 0.1, peak_g=8.0),
        jump(52.0, 0.6),
        jump(54.0, 0.7),
    ]
    reference, _ = follow(program, events, 70.0)
    cues, _ = follow(program, events, 70.0, ticks=ticks)
    assert [c.to_dict() for c in cues] == [c.to_dict() for c in reference]
