from __future__ import annotations

import json
import tomllib
from typing import Any

import numpy as np
import pytest

from analysis.events import (
    Direction,
    Event,
    JumpEvent,
    PedalReversalEvent,
    RevolutionEvent,
    StepEvent,
    WalkBoutEvent,
)
from analysis.summary import SummaryParams, Wearer, keytel_kj_per_min, summarize_session
from tests.paths import ROOT

F, B = Direction.FORWARD, Direction.BACKWARD


def steps(start: float, n: int, period: float, direction: Direction) -> list[Event]:
    return [
        StepEvent(t=start + i * period, detected_at=start + i * period + 0.3, direction=direction)
        for i in range(n)
    ]


def jump(takeoff: float, flight: float, direction: Direction = B, peak: float = 5.0) -> JumpEvent:
    landing = takeoff + flight
    return JumpEvent(
        t=landing,
        detected_at=landing + 0.2,
        takeoff_t=takeoff,
        landing_t=landing,
        flight_time_s=flight,
        height_m=9.81 * flight**2 / 8,
        landing_peak_g=peak,
        direction=direction,
    )


def revs(start: float, n: int, rpm: float, direction: Direction) -> list[Event]:
    period = 60.0 / rpm
    return [
        RevolutionEvent(
            t=start + (i + 1) * period,
            detected_at=start + (i + 1) * period + 0.2,
            direction=direction,
            cadence_rpm=rpm,
        )
        for i in range(n)
    ]


def workout() -> list[Event]:
    """20 s forward walk at 110 spm, 30 s backward at 90 spm, 3 jumps, 60 rpm both ways."""
    events: list[Event] = []
    events += steps(0.0, 37, 60 / 110, F)  # 0 .. 19.6 s
    events += steps(30.0, 46, 60 / 90, B)  # 30 .. 60 s
    events += [jump(70.0, 0.4), jump(70.9, 0.3, F), jump(80.0, 0.5, peak=8.0)]
    events += revs(100.0, 30, 60.0, F)  # 100 .. 130 s
    events.append(PedalReversalEvent(t=131.0, detected_at=132.0, from_direction=F, to_direction=B))
    events += revs(132.0, 20, 40.0, B)  # 132 .. 162 s
    return events


def test_counts_times_and_cadences_of_a_retro_workout() -> None:
    s = summarize_session(workout(), start_s=0.0, end_s=180.0)
    assert (s.steps_forward, s.steps_backward, s.steps_unknown) == (37, 46, 0)
    assert s.cadence_forward_spm == pytest.approx(110.0)
    assert s.cadence_backward_spm == pytest.approx(90.0)
    assert s.time_walk_forward_s == pytest.approx(36 * 60 / 110)
    assert s.time_walk_backward_s == pytest.approx(30.0)
    assert s.walk_bouts == 2
    assert (s.revolutions_forward, s.revolutions_backward) == (30, 20)
    assert s.cadence_forward_rpm == pytest.approx(60.0)
    assert s.cadence_backward_rpm == pytest.approx(40.0)
    assert s.time_pedal_forward_s == pytest.approx(30.0)
    assert s.time_pedal_backward_s == pytest.approx(30.0)
    assert (s.reversals_forward_to_backward, s.reversals_backward_to_forward) == (1, 0)
    assert (s.revolutions_unknown, s.time_pedal_unknown_s) == (0, 0.0)
    assert len(s.jumps) == 3 and s.jump_sets == 2
    assert [j.set_number for j in s.jumps] == [1, 1, 2]
    # Each jump from 0.8 s before takeoff to 0.5 s after landing: 69.2 .. 70.9 and
    # 70.1 .. 71.7 overlap into 2.5 s; 79.2 .. 81.0 is 1.8 s.
    assert s.time_jumping_s == pytest.approx(2.5 + 1.8)
    active = 36 * 60 / 110 + 30 + 4.3 + 30 + 30
    assert s.time_rest_s == pytest.approx(180 - active)
    intervals = np.array([60 / 110] * 36 + [60 / 90] * 45)
    assert s.step_time_cv == pytest.approx(intervals.std() / intervals.mean())


def test_reactive_strength_index_from_short_contacts_only() -> None:
    s = summarize_session(workout(), start_s=0.0, end_s=180.0)
    first, second, third = s.jumps
    assert first.reactive_strength_index is None  # no contact before the first jump
    # Contact 70.4 -> 70.9 = 0.5 s; height of a 0.3 s flight = 0.110 m.
    assert second.reactive_strength_index == pytest.approx((9.81 * 0.09 / 8) / 0.5)
    assert third.reactive_strength_index is None  # a new set: the pause is not a contact
    d = s.to_dict()
    assert d["jumps"]["height_max_m"] == pytest.approx(9.81 * 0.25 / 8, abs=1e-6)
    assert d["jumps"]["landing_peak_max_g"] == 8.0
    assert d["jumps"]["backward"] == 2 and d["jumps"]["forward"] == 1


def test_detector_rsi_and_contact_time_are_preferred() -> None:
    j1 = jump(10.0, 0.4)
    j2 = JumpEvent(
        **{
            **j1.__dict__,
            "t": 12.0,
            "landing_t": 12.0,
            "takeoff_t": 11.6,
            "detected_at": 12.2,
            "contact_time_s": 0.25,
        }
    )
    j3 = JumpEvent(
        **{
            **j1.__dict__,
            "t": 14.0,
            "landing_t": 14.0,
            "takeoff_t": 13.6,
            "detected_at": 14.2,
            "reactive_strength_index": 1.5,
        }
    )
    s = summarize_session([j1, j2, j3], start_s=0, end_s=20)
    assert s.jumps[1].reactive_strength_index == pytest.approx(j1.height_m / 0.25)
    assert s.jumps[2].reactive_strength_index == 1.5


def test_walk_bouts_give_time_and_regularity_when_detectors_emit_them() -> None:
    events = steps(0.0, 21, 0.5, B)
    events.append(
        WalkBoutEvent(
            t=10.0,
            detected_at=11.0,
            start_t=-0.25,
            end_t=10.25,
            direction=B,
            steps=21,
            steps_forward=0,
            steps_backward=21,
            cadence_spm=120.0,
            step_regularity=0.8,
            stride_regularity=0.9,
            symmetry=0.89,
        )
    )
    s = summarize_session(events, start_s=0.0, end_s=12.0)
    assert s.time_walk_backward_s == pytest.approx(10.5)
    assert s.step_regularity == pytest.approx(0.8)
    assert s.stride_regularity == pytest.approx(0.9)
    assert s.events == {"step": 21, "walk_bout": 1}


def test_a_few_stray_steps_are_not_a_bout() -> None:
    events = [*steps(5.0, 2, 0.5, F), *steps(50.0, 1, 0.5, B)]
    s = summarize_session(events, start_s=0.0, end_s=60.0)
    assert s.time_walk_forward_s == 0 and s.walk_bouts == 0
    assert s.time_rest_s == 60.0


def test_heart_rate_mean_max_and_zones() -> None:
    t = np.arange(0.0, 100.0, 1.0)
    bpm = np.where(t < 50, 100.0, 160.0)
    bpm[10] = np.nan  # a reading lost: the previous one holds
    wearer = Wearer(age_years=40)  # Tanaka: 208 - 28 = 180 bpm
    s = summarize_session([], start_s=0.0, end_s=100.0, hr_t_s=t, hr_bpm=bpm, wearer=wearer)
    hr = s.heart_rate
    assert hr is not None
    assert hr.readings == 99
    assert hr.max_bpm == 160 and hr.min_bpm == 100
    assert hr.mean_bpm == pytest.approx(130.0)
    assert hr.hr_max_bpm == pytest.approx(180.0)
    # 100 bpm = 55.6 % -> zone 1; 160 bpm = 88.9 % -> zone 4.
    assert hr.time_in_zones_s == pytest.approx((50.0, 0.0, 0.0, 50.0, 0.0))
    assert hr.time_below_zones_s == 0.0


def test_heart_rate_gap_longer_than_the_hold_is_not_counted() -> None:
    t = np.array([0.0, 1.0, 2.0, 60.0])
    bpm = np.array([120.0, 120.0, 120.0, 150.0])
    s = summarize_session([], start_s=0, end_s=61, hr_t_s=t, hr_bpm=bpm)
    assert s.heart_rate is not None
    assert s.heart_rate.covered_s == pytest.approx(1 + 1 + 5 + 1)
    assert s.heart_rate.time_in_zones_s is None  # no age, no maximum: no zones


def test_energy_from_heart_rate_uses_keytel() -> None:
    t = np.arange(0.0, 600.0, 1.0)
    bpm = np.full_like(t, 150.0)
    wearer = Wearer(body_mass_kg=75, age_years=35, sex="male")
    s = summarize_session([], start_s=0, end_s=600, hr_t_s=t, hr_bpm=bpm, wearer=wearer)
    # Keytel, men: -55.0969 + 0.6309*150 + 0.1988*75 + 0.2017*35 = 61.1 kJ/min -> 14.6 kcal/min
    per_min = (-55.0969 + 0.6309 * 150 + 0.1988 * 75 + 0.2017 * 35) / 4.184
    assert s.energy.method == "keytel-2005"
    assert s.energy.kcal == pytest.approx(10 * per_min, rel=1e-6)
    assert "male equation" in s.energy.note


def test_keytel_mean_of_sexes_and_rest_floor() -> None:
    hr = np.array([150.0])
    both = keytel_kj_per_min(hr, 70, 30, None)
    assert both == pytest.approx(
        (keytel_kj_per_min(hr, 70, 30, "male") + keytel_kj_per_min(hr, 70, 30, "female")) / 2
    )
    # At 50 bpm the equations go negative; the estimate never drops below standing rest.
    t = np.arange(0.0, 60.0, 1.0)
    s = summarize_session(
        [],
        start_s=0,
        end_s=60,
        hr_t_s=t,
        hr_bpm=np.full_like(t, 50.0),
        wearer=Wearer(body_mass_kg=70, age_years=30),
    )
    assert s.energy.kcal == pytest.approx(1.3 * 70 / 60)


def test_energy_from_mets_without_heart_rate() -> None:
    s = summarize_session(
        steps(0.0, 121, 0.5, B), start_s=0, end_s=60.0, wearer=Wearer(body_mass_kg=80)
    )
    # 60 s walking backward (code 17320, 6.0 MET) on an 80 kg wearer: 6 * 80 / 60 kcal.
    assert s.energy.method == "compendium-mets"
    assert s.energy.met_minutes == pytest.approx(6.0)
    assert s.energy.kcal == pytest.approx(8.0)
    without_mass = summarize_session(steps(0.0, 121, 0.5, B), start_s=0, end_s=60.0)
    assert without_mass.energy.kcal is None
    assert without_mass.energy.method == "compendium-mets"
    assert "no body mass" in without_mass.energy.note


def test_empty_session() -> None:
    s = summarize_session([], start_s=5.0, end_s=5.0)
    d = s.to_dict()
    assert d["duration_s"] == 0 and d["steps"]["total"] == 0
    assert d["heart_rate"] is None
    assert d["jumps"]["height_max_m"] is None


def test_to_dict_is_json_and_order_free() -> None:
    events = workout()
    a = summarize_session(events, start_s=0, end_s=180).to_dict()
    b = summarize_session(list(reversed(events)), start_s=0, end_s=180).to_dict()
    assert a == b
    text = json.dumps(a, allow_nan=False)
    assert json.loads(text)["type"] == "session_summary"
    assert a["pedalling"]["reversals_forward_to_backward"] == 1


def test_mets_agree_with_default_toml() -> None:
    with open(ROOT / "config" / "default.toml", "rb") as f:
        energy = tomllib.load(f)["energy"]
        f.seek(0)
        zones = tomllib.load(f)["hr_zones"]["lower_pct_of_max"]
    p = SummaryParams()
    for key, value in energy.items():
        assert getattr(p, key) == value, key
    assert list(p.hr_zone_lower_pct) == zones


@pytest.mark.parametrize(
    "kwargs",
    [{"hr_zone_lower_pct": (60.0, 50.0)}, {"met_rest": 0.0}, {"hr_zone_lower_pct": ()}],
)
def test_params_are_checked(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SummaryParams(**kwargs)  # type: ignore[arg-type]


def test_wearer_is_checked() -> None:
    with pytest.raises(ValueError, match="sex"):
        Wearer(sex="x")
    with pytest.raises(ValueError, match="before"):
        summarize_session([], start_s=2.0, end_s=1.0)


def truth_events(truth: dict[str, Any]) -> list[Event]:
    """The labels of a simulated recording as the events a perfect detector would emit."""
    out: list[Event] = []
    for s in truth["steps"] or []:
        out.append(StepEvent(t=s["t"], detected_at=s["t"], direction=Direction(s["direction"])))
    for j in truth["jumps"] or []:
        out.append(
            JumpEvent(
                t=j["landing_t"],
                detected_at=j["landing_t"],
                takeoff_t=j["takeoff_t"],
                landing_t=j["landing_t"],
                flight_time_s=j["flight_time_s"],
                height_m=j["height_m"],
                landing_peak_g=j["peak_g"],
                direction=Direction(j["direction"]),
            )
        )
    for r in truth["revolutions"] or []:
        out.append(
            RevolutionEvent(
                t=r["t"],
                detected_at=r["t"],
                direction=Direction(r["direction"]),
                cadence_rpm=r["cadence_rpm"],
            )
        )
    return out


@pytest.mark.parametrize("name", ["mixed_shank_100hz_gyro", "mixed_chest_100hz"])
def test_time_per_activity_matches_the_simulators_labelled_bouts(name: str) -> None:
    """Fed the labels, the summary's times agree with the labelled bouts of the workout."""
    truth = json.loads((ROOT / "tests" / "data" / "sim" / f"{name}.truth.json").read_text())
    s = summarize_session(truth_events(truth), start_s=0.0, end_s=truth["duration_s"])
    bouts: dict[str, float] = {}
    for b in truth["bouts"]:
        key = b["kind"] if b["kind"] != "walk" else f"walk_{b['direction']}"
        bouts[key] = bouts.get(key, 0.0) + b["end"] - b["start"]
    # Walking: first to last contact of a bout, so up to a step shorter than the label.
    assert s.time_walk_forward_s == pytest.approx(bouts["walk_forward"], abs=1.5)
    assert s.time_walk_backward_s == pytest.approx(bouts["walk_backward"], abs=1.5)
    # Jumping: each jump from its countermovement to just after landing.
    assert s.time_jumping_s == pytest.approx(bouts["jumps"], rel=0.2)
    # Pedalling: the revolutions' own time; the labelled bout also holds the stop of the
    # reversal and the slow-down, so it is longer.
    pedal = s.time_pedal_forward_s + s.time_pedal_backward_s
    assert 0.6 * bouts["pedal"] <= pedal <= bouts["pedal"]
    assert s.steps == len(truth["steps"])
    assert len(s.jumps) == len(truth["jumps"])


def test_revolutions_of_unknown_direction_count_and_take_time() -> None:
    """A band that cannot tell a run's direction (no gyroscope, at the crossover cadence)
    reports its turns ``unknown``: they count, take pedalling time and energy, and are no
    forward or backward turns."""
    events = revs(0.0, 10, 60.0, F) + revs(12.0, 10, 50.0, Direction.UNKNOWN)
    s = summarize_session(events, start_s=0.0, end_s=30.0)
    assert (s.revolutions_forward, s.revolutions_backward, s.revolutions_unknown) == (10, 0, 10)
    assert s.time_pedal_unknown_s == pytest.approx(12.0)
    assert s.time_rest_s == pytest.approx(8.0)  # 0-10 s and 12-24 s pedalled
    out = s.to_dict()
    assert out["pedalling"]["revolutions_unknown"] == 10
    assert out["time_s"]["pedal_unknown"] == pytest.approx(12.0)
