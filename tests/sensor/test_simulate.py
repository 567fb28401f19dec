"""The labelled simulator: physics, capture, labels, fixtures; then evaluate."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from analysis.frame import parse_body_axes
from analysis.types import Placement
from analysis.units import STANDARD_GRAVITY_M_S2 as G_MPS2
from sensor.cli import main
from sensor.recording import RecordingReader
from sensor.simulate import SCENARIOS, simulate, truth_path, write_simulation
from sensor.simulate import scenarios as sc
from sensor.simulate.jumps import countermovement_jump
from sensor.simulate.motion import DT_S
from sensor.simulate.walking import walk_bout
from tests.paths import DATA

SIM = DATA / "sim"


# --- determinism and the command -------------------------------------------------------------


def test_same_seed_same_recording_other_seed_other_recording() -> None:
    a = simulate("stand", placement=Placement.WAIST, gyro=True, seed=7, duration_s=8)
    b = simulate("stand", placement=Placement.WAIST, gyro=True, seed=7, duration_s=8)
    c = simulate("stand", placement=Placement.WAIST, gyro=True, seed=8, duration_s=8)
    assert np.array_equal(a.samples.acc_g, b.samples.acc_g)
    assert a.truth == b.truth
    assert a.samples.acc_g.shape != c.samples.acc_g.shape or not np.allclose(
        a.samples.acc_g, c.samples.acc_g
    )


def test_command_writes_a_recording_and_its_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "j.csv"
    code = main(
        [
            "simulate",
            "jumps",
            "-o",
            str(out),
            "--placement",
            "waist",
            "--rate-hz",
            "50",
            "--gyro",
            "--seed",
            "4",
            "--duration-s",
            "14",
            "--tilt-deg",
            "20",
        ]
    )
    assert code == 0
    reader = RecordingReader(out)
    assert reader.header.placement is Placement.WAIST
    assert reader.header.sample_rate_hz == 50 and reader.header.has_gyro
    assert reader.header.extra["acc_range_g"] == "16"
    samples = reader.read_all()
    truth = json.loads(truth_path(out).read_text())
    assert truth["placement"] == "waist" and truth["fs"] == 50
    assert truth["steps"] == [] and len(truth["jumps"]) >= 1
    assert truth["simulation"]["tilt_deg"] == 20
    assert abs(truth["duration_s"] - (samples.time_s[-1] - samples.time_s[0])) < 1e-3
    assert "wrote" in capsys.readouterr().err


def test_list_and_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in SCENARIOS)
    assert main(["simulate", "moonwalk", "-o", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'moonwalk'" in err and err.count("\n") == 1
    assert main(["simulate", "walk"]) == 2
    assert "-o FILE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "walk", "-o", "x.csv", "--rate-hz", "fast"])
    assert exc.value.code == 2
    assert main(["simulate", "walk", "-o", str(tmp_path / "no" / "such" / "x.csv")]) == 2
    assert "No such file" in capsys.readouterr().err


# --- physics ---------------------------------------------------------------------------------


def test_backward_walking_is_forward_walking_in_reverse_time() -> None:
    # Same seed, same bout: the orientation history is reversed, so angular rate flips sign
    # and runs backwards (Thorstensson 1986; Grasso et al. 1998).
    kwargs = {"duration_s": 8.0, "cadence_spm": 110.0, "amp": 1.0}
    fwd = walk_bout(np.random.default_rng(1), Placement.SHANK, backward=False, **kwargs)
    back = walk_bout(np.random.default_rng(1), Placement.SHANK, backward=True, **kwargs)
    wf = fwd.motion.angular_rate_dps()
    wb = back.motion.angular_rate_dps()
    inner = slice(5, -5)
    assert np.allclose(wb[inner], -wf[::-1][inner], atol=1e-6)
    # Swing of the shank peaks at 300-400 deg/s forward (Aminian et al. 2002).
    assert 300.0 <= -wf[:, 1].min() <= 420.0
    assert {s["direction"] for s in back.labels.steps or []} == {"backward"}
    # Both legs' contacts are labelled, alternating sides.
    sides = [s["side"] for s in fwd.labels.steps or []]
    assert all(a != b for a, b in itertools.pairwise(sides))


def test_heel_strikes_are_sharper_than_backward_toe_contacts() -> None:
    kwargs = {"duration_s": 8.0, "cadence_spm": 110.0, "amp": 1.0}
    fwd = walk_bout(np.random.default_rng(2), Placement.WAIST, backward=False, **kwargs)
    back = walk_bout(np.random.default_rng(2), Placement.WAIST, backward=True, **kwargs)

    def jerk_at_contacts(seg: sc.Segment) -> float:
        z = seg.motion.acc_world_g[:, 2]
        jerk = np.abs(np.diff(z)) / DT_S
        idx = [int(s["t"] / DT_S) for s in seg.labels.steps or []]
        return float(np.median([jerk[i : i + 15].max() for i in idx]))

    assert jerk_at_contacts(fwd) > 2.0 * jerk_at_contacts(back)


@pytest.mark.parametrize("placement", [Placement.WAIST, Placement.CHEST])
def test_countermovement_jump_physics(placement: Placement) -> None:
    seg = countermovement_jump(
        np.random.default_rng(5), placement, flight_s=0.4, horizontal_mps=-0.6, peak_g=6.0
    )
    (label,) = seg.labels.jumps
    assert label["height_m"] == pytest.approx(G_MPS2 * 0.4**2 / 8)
    assert label["direction"] == "backward" and label["distance_m"] < -0.15
    f = seg.motion.specific_force_g()
    mag = np.linalg.norm(f, axis=1)
    a, b = int(label["takeoff_t"] / DT_S), int(label["landing_t"] / DT_S)
    flight = mag[a + 30 : b - 30]
    # The trunk moves relative to the falling centre of mass: 0.1-0.4 g, not 0 (real sacrum).
    assert 0.05 < float(np.median(flight)) < 0.4 and flight.max() < 0.45
    # Propulsion above body weight, the landing impact near the requested peak.
    assert mag[a - 500 : a].max() > 1.8
    assert 5.0 < label["peak_g"] < 7.5
    # The centre of mass leaves the ground at g*T/2: integrate the vertical acceleration.
    vz = np.cumsum(seg.motion.acc_world_g[:, 2]) * DT_S * G_MPS2
    if placement is Placement.WAIST:
        assert vz[a] == pytest.approx(G_MPS2 * 0.4 / 2, rel=0.1)


def test_lookalikes_have_no_flight() -> None:
    seg = sc.lookalikes(np.random.default_rng(3), Placement.WAIST, 30.0)
    mag = np.linalg.norm(seg.motion.specific_force_g(), axis=1)
    below = mag < 0.3
    # No run below 0.3 g lasts as long as the shortest flight we label (0.15 s).
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], below, [0]]))))[::2]
    assert runs.size == 0 or runs.max() * DT_S < 0.15
    assert seg.labels.jumps == [] and mag.max() > 1.8


def test_ride_labels_count_the_crank_turns() -> None:
    seg = sc.cycle(np.random.default_rng(6), Placement.SHANK, 60.0)
    revs = seg.labels.revolutions
    reversals = seg.labels.reversals
    assert seg.labels.steps == []
    assert len(reversals) >= 2 and all(r["from"] != r["to"] for r in reversals)
    directions = {r["direction"] for r in revs}
    assert directions == {"forward", "backward"}
    assert all(35.0 <= r["cadence_rpm"] <= 125.0 for r in revs[1:])
    # The shank pitches with the crank and sees it as angular rate about its left axis.
    w = seg.motion.angular_rate_dps()
    assert 100.0 < np.abs(w[:, 1]).max() < 600.0
    pedal_bouts = [b for b in seg.labels.bouts if b["kind"] == "pedal"]
    inside = sum(any(b["start"] <= r["t"] <= b["end"] for b in pedal_bouts) for r in revs)
    assert inside == len(revs)


# --- capture: mounting, tilt, clock, losses, range ------------------------------------------


def test_declared_axes_plus_undeclared_tilt() -> None:
    sim = simulate("stand", placement=Placement.CHEST, seed=2, tilt_deg=20.0, duration_s=6)
    body = sim.samples.acc_g @ parse_body_axes(sim.capture.body_axes).T
    g = body.mean(axis=0)
    angle = np.degrees(np.arccos(g[2] / np.linalg.norm(g)))
    assert angle == pytest.approx(20.0, abs=1.5)
    assert np.linalg.norm(g) == pytest.approx(1.0, abs=0.03)


def test_clock_drift_scales_the_label_times() -> None:
    a = simulate("jumps", placement=Placement.WAIST, seed=3, duration_s=12, drift_ppm=0.0)
    b = simulate("jumps", placement=Placement.WAIST, seed=3, duration_s=12, drift_ppm=400.0)
    ta, tb = a.truth["jumps"][0]["landing_t"], b.truth["jumps"][0]["landing_t"]
    assert tb == pytest.approx(ta * 1.0004, abs=2e-4)


def test_lost_packets_leave_gaps_never_invented_samples() -> None:
    sim = simulate(
        "stand", placement=Placement.WAIST, seed=4, duration_s=40, loss_bursts_per_min=6.0
    )
    k = sim.samples.time_s * sim.capture.rate_hz
    assert np.allclose(k, np.round(k), atol=1e-3)  # every sample on the band's own grid
    steps = np.diff(np.round(k))
    assert steps.min() == 1 and steps.max() > 1
    gaps = sim.truth["simulation"]["gaps"]
    assert len(gaps) == int((steps > 1).sum())


def test_h10_range_clips_hard_landings() -> None:
    sim = simulate("jumps", placement=Placement.CHEST, rate_hz=200, seed=11, duration_s=30)
    assert np.abs(sim.samples.acc_g).max() <= 8.0
    peaks = [j["peak_g"] for j in sim.truth["jumps"]]
    if max(peaks) > 8.5:
        assert np.isclose(np.abs(sim.samples.acc_g), 8.0).any()


def test_every_scenario_runs_on_every_placement() -> None:
    others = itertools.cycle((Placement.WRIST, Placement.FOOT, Placement.THIGH))
    for name, placement in zip(SCENARIOS, others, strict=False):
        if name not in ("mixed", "retro"):
            sim = simulate(name, placement=placement, gyro=True, seed=1, duration_s=12)
            assert len(sim.samples) > 100
            assert np.isfinite(sim.samples.acc_g).all()
            assert sim.samples.gyro_dps is not None and np.isfinite(sim.samples.gyro_dps).all()


# --- fixtures ---------------------------------------------------------------------------------


def fixture_lines() -> dict[str, str]:
    lines = {}
    for line in (SIM / "README.md").read_text().splitlines():
        if line.startswith("| `") and ".csv` |" in line:
            name, cmd = (cell.strip(" `") for cell in line.strip("|").split("|")[:2])
            lines[name] = cmd
    return lines


def test_every_fixture_has_labels_and_a_readme_line() -> None:
    csvs = sorted(p.name for p in SIM.glob("*.csv"))
    assert csvs and sorted(fixture_lines()) == csvs
    for name in csvs:
        truth = json.loads((SIM / name).with_suffix(".truth.json").read_text())
        assert set(truth) >= {"steps", "jumps", "revolutions", "reversals", "bouts", "source"}
    total = sum(p.stat().st_size for p in SIM.iterdir())
    assert total < 15e6


def test_a_fixture_is_what_its_readme_command_makes(tmp_path: Path) -> None:
    name = "stand_chest_100hz.csv"
    cmd = fixture_lines()[name].split()
    assert cmd[:2] == ["retrosense", "simulate"] and cmd[-2:] == ["-o", name]
    out = tmp_path / name
    assert main([*cmd[1:-2], "-o", str(out)]) == 0
    made = RecordingReader(out).read_all()
    kept = RecordingReader(SIM / name).read_all()
    assert np.array_equal(made.time_s, kept.time_s)
    assert np.allclose(made.acc_g, kept.acc_g, atol=2e-3)


# --- simulate, then evaluate: the whole loop ---------------------------------------------------


@pytest.fixture(scope="module")
def jump_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("eval") / "jumps.csv"
    write_simulation(simulate("jumps", placement=Placement.WAIST, seed=21, duration_s=20), path)
    return path


def test_evaluate_json_and_markdown(
    jump_recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", str(jump_recording), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (rec,) = report["recordings"]
    assert rec["group"] == "sim waist 100 Hz"
    jump = rec["scores"]["jump"]
    assert jump["n_truth"] >= 2 and jump["labelled"]
    assert set(report["groups"]) == {"sim waist 100 Hz"}
    assert main(["evaluate", str(jump_recording), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "| recordings | files | labelled | detected |" in md
    assert "| sim waist 100 Hz | 1 |" in md


def test_evaluate_scores_wrong_labels_worse(
    jump_recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = json.loads(truth_path(jump_recording).read_text())
    for j in truth["jumps"]:
        j["landing_t"] += 0.5
        j["takeoff_t"] += 0.5
    wrong = tmp_path / "wrong.truth.json"
    wrong.write_text(json.dumps(truth))
    main(["evaluate", str(jump_recording), "--format", "json"])
    right = json.loads(capsys.readouterr().out)["recordings"][0]["scores"]["jump"]
    main(["evaluate", str(jump_recording), "--labels", str(wrong), "--format", "json"])
    shifted = json.loads(capsys.readouterr().out)["recordings"][0]["scores"]["jump"]
    assert shifted["tp"] == 0 and (right["tp"] or 0) >= shifted["tp"]


def test_evaluate_bad_labels_are_one_line_errors(
    jump_recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lonely = tmp_path / "lonely.csv"
    lonely.write_text(jump_recording.read_text())
    assert main(["evaluate", str(lonely)]) == 2
    err = capsys.readouterr().err
    assert "lonely.truth.json" in err and "no labels" in err and err.count("\n") == 1
    bad = tmp_path / "bad.truth.json"
    bad.write_text(json.dumps({"steps": [{"t": "soon"}], "jumps": []}))
    assert main(["evaluate", str(jump_recording), "--labels", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "steps[0].t: expected a number" in err and "bad.truth.json" in err
    bad.write_text("{not json")
    assert main(["evaluate", str(jump_recording), "--labels", str(bad)]) == 2
    assert "expected JSON labels" in capsys.readouterr().err
    # A recording that is not there is named as missing, not as lacking labels.
    assert main(["evaluate", str(tmp_path / "nope.csv")]) == 2
    assert capsys.readouterr().err == f"retrosense: error: {tmp_path / 'nope.csv'}: no such file\n"


def test_evaluate_a_directory_row_per_file(
    jump_recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", str(jump_recording.parent), "--format", "markdown", "--by-file"]) == 0
    md = capsys.readouterr().out
    assert "| jumps.csv | 1 |" in md
    assert main(["evaluate", str(tmp_path)]) == 2
    assert "expected labelled recordings" in capsys.readouterr().err


def test_one_seed_is_one_session_whatever_the_placement() -> None:
    # A chest strap and a shank band on the same workout: the same events, in each its signal.
    chest = simulate("mixed", placement=Placement.CHEST, seed=5, duration_s=60)
    shank = simulate("mixed", placement=Placement.SHANK, gyro=True, seed=5, duration_s=60)
    for key in ("steps", "revolutions", "reversals"):
        assert chest.truth[key] == shank.truth[key]
    assert [j["landing_t"] for j in chest.truth["jumps"]] == [
        j["landing_t"] for j in shank.truth["jumps"]
    ]
    assert not np.allclose(chest.samples.acc_g[:1000], shank.samples.acc_g[:1000])


@pytest.mark.parametrize("backward", [False, True])
@pytest.mark.parametrize("duration_s", [8.0, 8.3])  # an even and an odd number of steps
def test_a_shank_band_feels_its_own_legs_contacts(backward: bool, duration_s: float) -> None:
    # The band is on the left shank: left contacts shake it, right ones only faintly.
    seg = walk_bout(
        np.random.default_rng(4),
        Placement.SHANK,
        duration_s=duration_s,
        backward=backward,
        cadence_spm=105.0,
    )
    z = seg.motion.acc_world_g[:, 2]
    jerk = np.abs(np.diff(z)) / DT_S

    def median_jerk(side: str) -> float:
        idx = [int(s["t"] / DT_S) for s in seg.labels.steps or [] if s["side"] == side]
        return float(np.median([jerk[i : i + 25].max() for i in idx]))

    assert median_jerk("left") > 2.0 * median_jerk("right")
