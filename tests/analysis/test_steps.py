"""The step detector: contract, real walks, the time-reversal test, tilt, look-alikes, legs.

The real lower-back walks (IPOL, Voisard et al. 2023) are all forward with a U-turn; they are
the anchor for accelerometer-only direction. Backward walking is close to forward walking
played in reverse time (Thorstensson 1986; Grasso et al. 1998), so the same recordings
reversed in time must be called backward: accelerations are even under time reversal (the
reversed acceleration is what a backward walker's trunk would feel), angular rates odd.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from analysis.evaluate import match_times
from analysis.events import Direction, StepEvent, WalkBoutEvent
from analysis.frame import parse_body_axes
from analysis.gait import gait_regularity, sagittal_rotation, unbiased_autocorrelation
from analysis.registry import build_detectors
from analysis.steps import (
    FootStepDetector,
    LegStepDetector,
    StepDetector,
    StepParams,
    ThighStepDetector,
    TrunkStepDetector,
    detect_steps,
)
from analysis.types import Placement, Samples, StreamInfo
from tests.accuracy import read_body
from tests.analysis.detector_contract import check_all
from tests.paths import AS_RECORDINGS, REAL

LOWBACK = sorted(AS_RECORDINGS.glob("ipol_*_lowback.csv"))
IPOL = REAL / "ipol-voisard-gait"
SACRUM_JUMP = AS_RECORDINGS / "mcginnis_sacrum_jump.csv"
TOLERANCE_S = 0.25

needs_real = pytest.mark.skipif(not LOWBACK, reason="shared real recordings are absent")


# ----------------------------------------------------------------------------------------
# Helpers


@dataclass(frozen=True)
class Walk:
    name: str
    samples: Samples
    info: StreamInfo
    steps_t: list[float]
    bout: tuple[float, float]
    #: Toe-offs (start of each labelled footstep in the IPOL annotations).
    toe_offs_t: list[float]


def read_lowback(path: Path) -> Walk:
    samples, info = read_body(path)
    truth = json.loads(path.with_suffix(".truth.json").read_text())
    bout = truth["bouts"][0]
    trial = path.stem.split("_")[1]
    meta = json.loads((IPOL / f"{trial}.json").read_text())
    toe_offs = [a / 100.0 for a, _ in meta["LeftFootEvents"] + meta["RightFootEvents"]]
    return Walk(
        path.stem,
        samples,
        info,
        [s["t"] for s in truth["steps"]],
        (bout["start"], bout["end"]),
        sorted(toe_offs),
    )


def time_reversed(walk: Walk) -> Walk:
    """The walk played backward: accelerations keep their sign, angular rates flip.

    Played backward, a toe-off becomes a foot contact: the backward walker's contacts are the
    reversed toe-offs, its toe-offs the reversed heel strikes.
    """
    s = walk.samples
    end = float(s.time_s[-1] + s.time_s[0])
    return Walk(
        walk.name + "-reversed",
        Samples(
            time_s=s.time_s.copy(),
            acc_g=s.acc_g[::-1].copy(),
            gyro_dps=None if s.gyro_dps is None else -s.gyro_dps[::-1].copy(),
        ),
        walk.info,
        sorted(end - t for t in walk.toe_offs_t),
        (end - walk.bout[1], end - walk.bout[0]),
        sorted(end - t for t in walk.steps_t),
    )


def rotated(walk: Walk, roll_deg: float, pitch_deg: float, yaw_deg: float) -> Walk:
    """The band turned on the body by the given angles (undeclared tilt)."""
    r, p, y = np.radians([roll_deg, pitch_deg, yaw_deg])
    rx = np.array([[1, 0, 0], [0, math.cos(r), -math.sin(r)], [0, math.sin(r), math.cos(r)]])
    ry = np.array([[math.cos(p), 0, math.sin(p)], [0, 1, 0], [-math.sin(p), 0, math.cos(p)]])
    rz = np.array([[math.cos(y), -math.sin(y), 0], [math.sin(y), math.cos(y), 0], [0, 0, 1]])
    m = rz @ ry @ rx
    s = walk.samples
    return Walk(
        f"{walk.name}-tilt{roll_deg:g},{pitch_deg:g},{yaw_deg:g}",
        Samples(
            time_s=s.time_s,
            acc_g=s.acc_g @ m,
            gyro_dps=None if s.gyro_dps is None else s.gyro_dps @ m,
        ),
        walk.info,
        walk.steps_t,
        walk.bout,
        walk.toe_offs_t,
    )


def match(detected: Sequence[float], truth: Sequence[float], tol: float = TOLERANCE_S) -> int:
    """True positives: one-to-one matches within ``tol``, nearest first."""
    pairs = sorted((abs(d - t), i, j) for i, d in enumerate(detected) for j, t in enumerate(truth))
    used_d: set[int] = set()
    used_t: set[int] = set()
    for err, i, j in pairs:
        if err > tol:
            break
        if i not in used_d and j not in used_t:
            used_d.add(i)
            used_t.add(j)
    return len(used_d)


def f1(tp: int, n_detected: int, n_truth: int) -> float:
    return 2.0 * tp / (n_detected + n_truth) if n_detected + n_truth else 1.0


def steps_of(events: Sequence[object]) -> list[StepEvent]:
    return [e for e in events if isinstance(e, StepEvent)]


@dataclass
class Score:
    tp: int = 0
    detected: int = 0
    truth: int = 0
    forward: int = 0
    backward: int = 0
    latencies: list[float] | None = None

    def add(self, steps: list[StepEvent], truth: Sequence[float]) -> None:
        self.tp += match([s.t for s in steps], truth)
        self.detected += len(steps)
        self.truth += len(truth)
        self.forward += sum(s.direction is Direction.FORWARD for s in steps)
        self.backward += sum(s.direction is Direction.BACKWARD for s in steps)
        self.latencies = [*(self.latencies or []), *(s.detected_at - s.t for s in steps)]

    @property
    def f1(self) -> float:
        return f1(self.tp, self.detected, self.truth)

    @property
    def committed(self) -> int:
        """Steps given a direction (the rest say ``unknown``: a loop too weak to tell)."""
        return self.forward + self.backward

    @property
    def latency_p95_s(self) -> float:
        return float(np.percentile(self.latencies or [0.0], 95))


def in_bout(walk: Walk) -> list[float]:
    """The labelled steps inside the labelled walking bout (IPOL 5-2 also labels shuffling
    steps after the trial ends, one past the recording's end)."""
    lo, hi = walk.bout
    return [t for t in walk.steps_t if lo - TOLERANCE_S <= t <= hi + TOLERANCE_S]


@pytest.fixture(scope="module")
def walks() -> list[Walk]:
    if not LOWBACK:
        pytest.skip("shared real recordings are absent")
    return [read_lowback(p) for p in LOWBACK]


# ----------------------------------------------------------------------------------------
# Parameters, contract


def test_params_reject_out_of_range_values_naming_the_field() -> None:
    with pytest.raises(ValueError, match="min_peak_g"):
        StepParams(min_peak_g=-1.0)
    with pytest.raises(ValueError, match="band_high_hz"):
        StepParams(band_low_hz=2.0, band_high_hz=1.0)
    with pytest.raises(ValueError, match="max_step_s"):
        StepParams(min_step_s=1.0, max_step_s=0.9)


@needs_real
def test_contract_on_a_real_lowback_walk() -> None:
    walk = read_lowback(LOWBACK[1])
    s = walk.samples.slice(0, 1800)  # 18 s: stand, walk, U-turn
    check_all(lambda: step_detector(walk.info), s, max_examples=15)


@needs_real
def test_contract_on_a_foot_with_gyroscope() -> None:
    samples, info, _, _ = read_ipol_foot("2-1", "lf")
    check_all(lambda: step_detector(info), samples.slice(300, 1800), max_examples=10)


def step_detector(info: StreamInfo) -> StepDetector:
    """The step detector the registry builds for the stream."""
    return next(d for d in build_detectors(info) if isinstance(d, StepDetector))


def test_registry_builds_the_step_detector_where_steps_can_be_seen() -> None:
    for placement in (Placement.CHEST, Placement.WAIST, Placement.WRIST):
        assert isinstance(step_detector(StreamInfo(100.0, placement)), TrunkStepDetector)
    for placement in (Placement.ANKLE, Placement.SHANK, Placement.FOOT):
        for gyro in (False, True):
            built = step_detector(StreamInfo(100.0, placement, has_gyro=gyro))
            kind = FootStepDetector if placement is Placement.FOOT else LegStepDetector
            assert isinstance(built, kind), (placement, gyro)
    for gyro in (False, True):
        built = step_detector(StreamInfo(100.0, Placement.THIGH, has_gyro=gyro))
        assert isinstance(built, ThighStepDetector), gyro


# ----------------------------------------------------------------------------------------
# Real lower-back walks: accuracy, direction, latency, bouts


@needs_real
def test_real_lowback_walks_steps_direction_latency(walks: list[Walk]) -> None:
    within = Score()
    everything = Score()
    for walk in walks:
        steps = steps_of(detect_steps(walk.samples, walk.info))
        lo, hi = walk.bout
        # The shuffles after the trial are labelled steps too: within the trial, only the
        # steps detected there count.
        within.add([s for s in steps if lo - TOLERANCE_S <= s.t <= hi + TOLERANCE_S], in_bout(walk))
        everything.add(steps, walk.steps_t)
    # The step targets: F1 >= 0.95 and >= 98 % called forward; latency p95 <= 0.6 s.
    assert within.f1 >= 0.95, within
    # Against every label, shuffles after the trial included (what `retrosense evaluate`
    # scores): 0.930. The shuffles of 5-2 after its trial (0.02-0.06 g at the trunk, 0.6-1.5 s
    # apart) are not told from fidgeting at a desk, and are no longer counted (all 52 IPOL
    # walks: tests/analysis/test_trunk.py).
    assert everything.f1 >= 0.92, everything
    # Direction over the steps that commit to one (as `retrosense evaluate` scores it); a
    # shuffle with no loop sense says unknown, and those stay few.
    assert everything.forward >= 0.98 * everything.committed, everything
    # Inside the trials every step is called forward but a bout's first steps whose loop is
    # weak, which say unknown: 101 of 103.
    assert within.backward == 0 and within.forward >= 0.97 * within.detected, within
    # With the band's gyroscope the steps of a fast turn (U-turn, > 30 °/s) keep the bout's
    # direction or say unknown: 5 of 108, none called backward.
    assert everything.committed >= 0.95 * everything.detected, everything
    assert everything.backward == 0, everything
    assert within.latency_p95_s <= 0.6, within.latency_p95_s


@needs_real
def test_time_reversed_real_walks_are_called_backward(walks: list[Walk]) -> None:
    """The physics test: the same feature on the walks played backward says backward."""
    score = Score()
    for walk in walks:
        rev = time_reversed(walk)
        score.add(steps_of(detect_steps(rev.samples, rev.info)), in_bout(rev))
    assert score.f1 >= 0.93, score
    assert score.backward >= 0.98 * score.committed, score
    assert score.committed >= 0.95 * score.detected, score


@needs_real
@pytest.mark.parametrize(
    "angles", [(30.0, 0.0, 0.0), (0.0, 30.0, 0.0), (0.0, -30.0, 0.0), (0.0, 0.0, 30.0)]
)
def test_thirty_degrees_of_undeclared_tilt(walks: list[Walk], angles: tuple[float, ...]) -> None:
    forward = Score()
    backward = Score()
    for walk in walks:
        tilted = rotated(walk, *angles)
        forward.add(steps_of(detect_steps(tilted.samples, tilted.info)), in_bout(tilted))
        rev = time_reversed(tilted)
        backward.add(steps_of(detect_steps(rev.samples, rev.info)), in_bout(rev))
    assert forward.f1 >= 0.94, forward
    # Measured, of the steps given a direction: 99-100 % right for 30° roll or pitch; for 30°
    # yaw 101 of 102 forward and 97 of 97 backward. The U-turn steps (and, under yaw, a few
    # more) say unknown: the trunk gyroscope shows the turn.
    assert forward.forward >= 0.98 * forward.committed, forward
    assert backward.backward >= 0.97 * backward.committed, backward
    assert forward.committed >= 0.94 * forward.detected, forward  # 30° yaw: 102 of 108
    assert backward.committed >= 0.93 * backward.detected, backward  # 30° yaw: 97 of 104


@needs_real
def test_a_short_gap_does_not_end_a_walk(walks: list[Walk]) -> None:
    """0.15 s of lost packets mid-walk: one bout still, the steps around it still counted."""
    walk = walks[2]  # 5-2: straight walking from 6 to 14 s
    s = walk.samples
    keep = (s.time_s < 10.1) | (s.time_s >= 10.25)
    cut = Samples(time_s=s.time_s[keep], acc_g=s.acc_g[keep], gyro_dps=None)
    events = detect_steps(cut, walk.info)
    bouts = [e for e in events if isinstance(e, WalkBoutEvent)]
    walked = [b for b in bouts if b.start_t < 10.0 < b.end_t]
    assert len(walked) == 1, bouts
    steps = [e for e in steps_of(events) if 8.0 <= e.t <= 13.0]
    truth = [t for t in walk.steps_t if 8.0 <= t <= 13.0]
    assert match([e.t for e in steps], truth) >= len(truth) - 1, (steps, truth)
    assert all(e.direction is Direction.FORWARD for e in steps)


@needs_real
def test_walk_bouts_carry_cadence_and_regularity(walks: list[Walk]) -> None:
    for walk in walks:
        events = detect_steps(walk.samples, walk.info)
        bouts = [e for e in events if isinstance(e, WalkBoutEvent)]
        assert bouts, walk.name
        steps = steps_of(events)
        assert sum(b.steps for b in bouts) == len(steps)
        truth = in_bout(walk)
        true_cadence = 60.0 * (len(truth) - 1) / (truth[-1] - truth[0])
        longest = max(bouts, key=lambda b: b.steps)
        assert longest.direction is Direction.FORWARD
        assert longest.cadence_spm == pytest.approx(true_cadence, rel=0.1)
        assert longest.step_regularity is not None and 0.5 < longest.step_regularity <= 1.0
        assert longest.stride_regularity is not None and 0.5 < longest.stride_regularity <= 1.0
        assert longest.symmetry is not None and 0.7 < longest.symmetry < 1.3
        for b in bouts:
            assert b.detected_at >= b.end_t >= b.start_t
        # Live cadence on every step after the first of a bout.
        cadences = [s.cadence_spm for s in steps if s.cadence_spm is not None]
        assert len(cadences) == len(steps)
        assert np.median(cadences) == pytest.approx(true_cadence, rel=0.1)


@needs_real
def test_wrist_counts_steps_and_leaves_direction_unknown(walks: list[Walk]) -> None:
    walk = walks[0]
    info = StreamInfo(walk.info.sample_rate_hz, Placement.WRIST)
    steps = steps_of(detect_steps(walk.samples, info))
    assert steps
    assert all(s.direction is Direction.UNKNOWN for s in steps)


# ----------------------------------------------------------------------------------------
# Look-alikes: no steps while standing, pedalling, squatting or jumping


def synthetic(
    duration_s: float, fs: float, vertical_g: np.ndarray, forward_g: np.ndarray, seed: int
) -> Samples:
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    acc = np.zeros((n, 3))
    acc[:, 0] = forward_g[:n]
    acc[:, 2] = 1.0 + vertical_g[:n]
    acc += rng.normal(0.0, 0.01, acc.shape)
    return Samples(time_s=np.arange(n) / fs, acc_g=acc)


@pytest.mark.parametrize("placement", [Placement.CHEST, Placement.WAIST, Placement.WRIST])
def test_no_steps_while_standing_pedalling_or_squatting(placement: Placement) -> None:
    fs = 100.0
    t = np.arange(int(120 * fs)) / fs
    info = StreamInfo(fs, placement)
    cases = {
        # Quiet standing: sensor noise and 0.3 Hz postural sway of a few mg.
        "standing": (0.005 * np.sin(2 * np.pi * 0.3 * t), 0.01 * np.sin(2 * np.pi * 0.2 * t)),
        # Seated pedalling at 80 rpm: the trunk bobs twice per revolution by a few hundredths
        # of g (2.7 Hz), the hips rock once per revolution.
        "pedalling": (
            0.04 * np.sin(2 * np.pi * 2.67 * t),
            0.03 * np.sin(2 * np.pi * 1.33 * t),
        ),
        # Squats, one every 2.5 s: the body goes down and up by 0.4 m; peak vertical
        # acceleration of a 0.4 Hz sinusoid of 0.2 m amplitude is (2π·0.4)²·0.2 m ≈ 0.13 g.
        "squats": (
            0.13 * np.cos(2 * np.pi * 0.4 * t) + 0.05 * np.cos(2 * np.pi * 1.2 * t),
            0.05 * np.sin(2 * np.pi * 0.4 * t),
        ),
    }
    for name, (vertical, forward) in cases.items():
        events = detect_steps(synthetic(120.0, fs, vertical, forward, seed=5), info)
        assert steps_of(events) == [], name


@pytest.mark.skipif(not SACRUM_JUMP.exists(), reason="shared real recordings are absent")
def test_no_steps_at_a_real_countermovement_jump() -> None:
    samples, info = read_body(SACRUM_JUMP)
    steps = steps_of(detect_steps(samples, info))
    takeoff_t, landing_t = 82.27, 82.615  # read off the trace (shared data README)
    assert not [s for s in steps if takeoff_t - 1.5 <= s.t <= landing_t + 1.5]


@pytest.mark.skipif(not SACRUM_JUMP.exists(), reason="shared real recordings are absent")
def test_no_lone_steps_while_moving_about() -> None:
    """A bout needs a second step that is a step itself: the real sacrum recording's wobbles
    (a 0.075 g pulse and a bump 0.3 s later) once gave lone steps."""
    samples, info = read_body(SACRUM_JUMP)
    times = sorted(s.t for s in steps_of(detect_steps(samples, info)))
    for k, t in enumerate(times):
        neighbours = times[max(0, k - 1) : k] + times[k + 1 : k + 2]
        assert any(abs(t - n) <= StepParams().max_step_s for n in neighbours), t


# ----------------------------------------------------------------------------------------
# Gait measures


def test_regularity_of_a_periodic_signal_and_of_a_limping_one() -> None:
    fs, step_s = 100.0, 0.55
    t = np.arange(int(10 * fs)) / fs
    even = np.cos(2 * np.pi * t / step_s)
    reg = gait_regularity(even, fs, step_s)
    assert reg.step is not None and reg.step > 0.95
    assert reg.stride is not None and reg.stride > 0.95
    # Every other step weaker: step regularity drops, stride regularity stays.
    limp = even * (1.0 + 0.6 * np.cos(np.pi * t / step_s))
    reg2 = gait_regularity(limp, fs, step_s)
    assert reg2.step is not None and reg2.stride is not None and reg2.symmetry is not None
    assert reg2.step < reg.step - 0.1
    assert reg2.stride > 0.9
    assert reg2.symmetry < 0.9
    assert gait_regularity(even[:100], fs, step_s).step is None
    acf = unbiased_autocorrelation(np.ones(50), 10)
    assert not acf.any()


def test_sagittal_rotation_sign_follows_the_loop_sense() -> None:
    theta = np.linspace(0.0, 4 * np.pi, 200)
    # Forward walking: forward acceleration lags vertical by a quarter step.
    assert sagittal_rotation(-np.sin(theta), np.cos(theta)) > 0.9
    assert sagittal_rotation(np.sin(theta), np.cos(theta)) < -0.9
    assert sagittal_rotation(np.zeros(200), np.cos(theta)) == 0.0
    assert sagittal_rotation(np.zeros(2), np.zeros(2)) == 0.0


# ----------------------------------------------------------------------------------------
# Legs: real foot sensors (IPOL), with and without gyroscope

#: The IPOL XSens MTw on the instep: +z up at rest; +x rises along the instep towards the
#: ankle (at rest it reads +0.5 g: tilted up), i.e. points backward; so forward is -x and,
#: right-handed, left is -y. Anatomy, not the walking direction, fixes this mapping.
IPOL_FOOT_AXES = "-x,-y,+z"


def read_ipol_foot(
    trial: str, foot: str, gyro: bool = True
) -> tuple[Samples, StreamInfo, list[float], list[float]]:
    """A foot sensor of an IPOL trial in the body frame, with own and other heel strikes."""
    raw = np.loadtxt(IPOL / f"{trial}_{foot}.txt", skiprows=2)
    m = parse_body_axes(IPOL_FOOT_AXES)
    meta = json.loads((IPOL / f"{trial}.json").read_text())
    own_key, other_key = (
        ("LeftFootEvents", "RightFootEvents")
        if foot == "lf"
        else ("RightFootEvents", "LeftFootEvents")
    )
    fs = 100.0
    samples = Samples(
        time_s=np.arange(raw.shape[0]) / fs,
        acc_g=(raw[:, 1:4] / 9.81) @ m.T,
        gyro_dps=np.degrees(raw[:, 4:7]) @ m.T if gyro else None,
    )
    own = [e / fs for _, e in meta[own_key]]
    other = [e / fs for _, e in meta[other_key]]
    return samples, StreamInfo(fs, Placement.FOOT, has_gyro=gyro), own, other


IPOL_TRIALS = ("1-1", "2-1", "5-2")


@needs_real
def test_real_foot_with_gyroscope_reaches_the_measured_level() -> None:
    """Both legs' contacts from one foot sensor, forward walks with a U-turn (the three IPOL
    trials read from the upstream files; the fifteen others are in the evaluation).

    Measured: pooled F1 0.928 (0.873 while swings were told from push-offs by their rate),
    no step called backward, 26 of 213 unknown: the pivots of the U-turns, which move the
    foot sideways or little. Both legs: about as many inferred contacts as own ones.
    """
    score = Score()
    own_inferred: list[bool] = []
    unknown = 0
    for trial in IPOL_TRIALS:
        for foot in ("lf", "rf"):
            samples, info, own, other = read_ipol_foot(trial, foot)
            steps = steps_of(detect_steps(samples, info))
            score.add(steps, sorted(own + other))
            own_inferred.extend(bool(s.inferred) for s in steps)
            unknown += sum(s.direction is Direction.UNKNOWN for s in steps)
    assert score.f1 >= 0.91, score
    assert score.backward == 0, score
    assert unknown <= 0.15 * score.detected, (unknown, score)
    assert 0.3 <= np.mean(own_inferred) <= 0.7


@needs_real
def test_foot_without_gyroscope_counts_and_leaves_direction_unknown() -> None:
    """Measured: F1 0.929 pooled over the six IPOL feet, stride by stride between rests
    (0.902 with the contact at the largest shock anywhere in the motion, 0.777 when swings
    were acceleration humps as on the shank)."""
    score = Score()
    for trial in IPOL_TRIALS:
        for foot in ("lf", "rf"):
            feet, feet_info, own, other = read_ipol_foot(trial, foot, gyro=False)
            score.add(steps_of(detect_steps(feet, feet_info)), sorted(own + other))
    assert score.f1 >= 0.915, score
    samples, info, _, _ = read_ipol_foot("1-1", "lf", gyro=False)
    steps = steps_of(detect_steps(samples, info))
    assert all(s.direction is Direction.UNKNOWN for s in steps)
    check_all(lambda: step_detector(info), samples.slice(300, 1500), max_examples=5)


GAITMAP = REAL / "gaitmap-foot"


@pytest.mark.skipif(not GAITMAP.exists(), reason="shared real recordings are absent")
@pytest.mark.parametrize(("gyro", "min_f1"), [(True, 0.92), (False, 0.92)])
def test_real_gaitmap_feet_reach_the_measured_level(gyro: bool, min_f1: float) -> None:
    """An independent real set: gaitmap's example 2 x 20 m walk, both feet at 204.8 Hz, read
    in its sensor frame (z up, the gyroscope's y the sagittal axis), scored against its
    initial contacts of both feet. Measured: F1 0.938 with gyroscope (0.905 while swings were
    told from push-offs by their rate), 0.942 without (0.866 with swing humps as on the
    shank). Direction is not asserted: the frame's forward sign is not documented in the
    sample."""
    raw = np.loadtxt(GAITMAP / "imu_sample.csv", delimiter=",", skiprows=2)
    fs = 204.8
    with (GAITMAP / "stride_events_sample.csv").open() as f:
        rows = [line.split(",") for line in f.read().splitlines()[1:]]
    truth = sorted(float(r[4]) / fs for r in rows)
    score = Score()
    for first in (1, 2):  # left, right: columns alternate
        cols = list(range(first, 13, 2))
        samples = Samples(
            time_s=np.arange(raw.shape[0]) / fs,
            acc_g=raw[:, cols[:3]] / 9.81,
            gyro_dps=raw[:, cols[3:]] if gyro else None,
        )
        info = StreamInfo(fs, Placement.FOOT, has_gyro=gyro)
        score.add(steps_of(detect_steps(samples, info)), truth)
    assert score.f1 >= min_f1, score


def shank_gyro(direction: int, seconds: float, fs: float, pedalling: bool = False) -> Samples:
    """Sagittal angular rate of a shank: a fast swing one way, a slow stance rotation back
    (Aminian et al. 2002: swing peaks of 250-450 dps, stance about a quarter of that).
    ``direction`` +1 forward: the swing turns the lower end forward, negative about the left
    axis. Pedalling turns the shank both ways alike."""
    t = np.arange(int(seconds * fs)) / fs
    stride_s = 1.1
    phase = (t % stride_s) / stride_s
    if pedalling:
        rate = 150.0 * np.sin(2 * np.pi * t / 0.75)
    else:
        swing = (phase >= 0.6) & (phase < 1.0)
        rate = np.where(
            swing, -350.0 * np.sin(np.pi * (phase - 0.6) / 0.4), 90.0 * np.sin(np.pi * phase / 0.6)
        )
        rate *= direction
        if direction < 0:
            rate = rate[::-1]
    gyro = np.zeros((t.size, 3))
    gyro[:, 1] = rate
    acc = np.zeros((t.size, 3))
    acc[:, 2] = 1.0
    return Samples(time_s=t, acc_g=acc, gyro_dps=gyro)


@pytest.mark.parametrize("direction", [1, -1])
def test_shank_gyro_swing_gives_direction_and_both_legs(direction: int) -> None:
    fs = 100.0
    info = StreamInfo(fs, Placement.SHANK, has_gyro=True)
    steps = steps_of(detect_steps(shank_gyro(direction, 20.0, fs), info))
    expected = Direction.FORWARD if direction > 0 else Direction.BACKWARD
    assert len(steps) >= 30  # 18 strides, two contacts each, less the ends
    assert all(s.direction is expected for s in steps)
    inferred = [s for s in steps if s.inferred]
    assert abs(len(inferred) - (len(steps) - len(inferred))) <= 2
    gaps = np.diff(sorted(s.t for s in steps))
    assert np.allclose(gaps, 0.55, atol=0.06)


def test_shank_pedalling_is_not_walking() -> None:
    info = StreamInfo(100.0, Placement.SHANK, has_gyro=True)
    assert steps_of(detect_steps(shank_gyro(1, 30.0, 100.0, pedalling=True), info)) == []


SIM = Path(__file__).resolve().parent.parent / "data" / "sim"


#: Measured on the simulated walks (retrosense evaluate, 22 Nov, walks ending with a closing
#: step since dd11a39): chest 0.991-1.0, waist 1.0, shank with gyroscope 0.971-0.993, without
#: 0.974, mixed chest 1.0. What keeps some below the issue's 0.98: steps lost in the simulated
#: lost-packet gaps (state resets, nothing is interpolated) and, at the shank, the first
#: contacts of backward bouts (the other leg steps first; without a gyroscope nothing shows
#: it) and a closing step's soft swing. Fixtures are regenerated as the simulator improves,
#: hence the margin.
@pytest.mark.parametrize(
    ("name", "min_f1"),
    [
        ("walk_chest_100hz", 0.99),
        ("walk_chest_200hz", 0.99),
        ("walk_chest_25hz", 0.99),
        ("walk_waist_100hz_gyro", 0.99),
        ("walk_shank_100hz_gyro", 0.99),
        ("walk_shank_100hz", 0.98),  # no gyroscope: 0.91-0.98 as the fixture changed
        ("mixed_chest_100hz", 0.98),
        ("mixed_shank_100hz_gyro", 0.97),
    ],
)
def test_simulated_walks_steps_and_direction(name: str, min_f1: float) -> None:
    path = SIM / f"{name}.csv"
    if not path.exists():
        pytest.skip("simulated fixtures are absent")
    samples, info = read_body(path)
    truth = json.loads(path.with_suffix(".truth.json").read_text())["steps"]
    steps = steps_of(detect_steps(samples, info))
    truth_t = [s["t"] for s in truth]
    assert f1(match([s.t for s in steps], truth_t), len(steps), len(truth_t)) >= min_f1
    right = matched = 0
    # Matched one to one, as `retrosense evaluate` does.
    for j, i in match_times(truth_t, [s.t for s in steps], TOLERANCE_S):
        if steps[i].direction is not Direction.UNKNOWN:
            matched += 1
            right += steps[i].direction == truth[j]["direction"]
    assert right >= 0.98 * matched
    unknown = sum(s.direction is Direction.UNKNOWN for s in steps)
    if info.placement.is_leg and not info.has_gyro:
        # Nothing an accelerometer alone sees on a real shank tells the direction.
        assert unknown == len(steps)
    else:
        assert unknown <= 0.1 * len(steps), unknown


@pytest.mark.parametrize("name", ["walk_shank_100hz", "walk_shank_100hz_gyro"])
def test_shank_without_gyroscope_leaves_direction_unknown(name: str) -> None:
    """The tibia's turn over the planted foot in stance, seen in gravity alone, called every
    simulated shank step right but 27.6 % of the real shin's (42 % played backward): without a
    gyroscope the shank's steps are counted and their direction is ``unknown`` (the gyroscope
    fixture is read without its gyroscope)."""
    path = SIM / f"{name}.csv"
    if not path.exists():
        pytest.skip("simulated fixtures are absent")
    samples, info = read_body(path)
    info = StreamInfo(info.sample_rate_hz, Placement.SHANK, has_gyro=False)
    steps = steps_of(detect_steps(Samples(samples.time_s, samples.acc_g), info))
    assert len(steps) >= 60
    assert all(s.direction is Direction.UNKNOWN for s in steps)


@pytest.mark.parametrize(
    "name",
    [
        "lookalikes_chest_100hz",  # stomps, heel drops, squats, sitting down hard
        "lookalikes_waist_100hz_gyro",
        "squats_waist_100hz",
        "stand_chest_100hz",
        "cycle_chest_100hz",  # seated riding and a sprint out of the saddle
        "cycle_foot_200hz_gyro",
        "jumps_waist_100hz",
        "jumpseries_chest_100hz",
        "jumps_shank_100hz_gyro",
        # Pedalling turns the shank smoothly: no contact transient without a gyroscope, both
        # ways alike with one (also right after a lost-packet gap).
        "cycle_shank_100hz",
        "cycle_shank_100hz_gyro",
        "cycle_shank_50hz",
    ],
)
def test_no_steps_in_simulated_look_alikes(name: str) -> None:
    """None of these holds a step."""
    path = SIM / f"{name}.csv"
    if not path.exists():
        pytest.skip("simulated fixtures are absent")
    samples, info = read_body(path)
    assert steps_of(detect_steps(samples, info)) == []


@pytest.mark.parametrize(
    "name", ["walk_shank_100hz_gyro", "walk_shank_100hz", "walk_wrist_50hz", "mixed_chest_100hz"]
)
def test_contract_on_simulated_placements(name: str) -> None:
    path = SIM / f"{name}.csv"
    if not path.exists():
        pytest.skip("simulated fixtures are absent")
    samples, info = read_body(path)
    n = int(25 * info.sample_rate_hz)  # standing, a walk, its end and the next start
    check_all(lambda: step_detector(info), samples.slice(0, n), max_examples=8)


def test_two_row_levelling_matches_the_frame_module() -> None:
    from analysis.frame import level
    from analysis.steps import level_forward_up

    rng = np.random.default_rng(3)
    acc = rng.normal(size=(500, 3))
    gravity = rng.normal(size=(500, 3))
    gravity[:, 2] = np.abs(gravity[:, 2]) + 0.2
    forward, up = level_forward_up(acc, gravity)
    full = level(acc, gravity)
    assert np.allclose(forward, full[:, 0]) and np.allclose(up, full[:, 2])


@pytest.mark.parametrize("name", ["walk_shank_100hz", "walk_shank_100hz_gyro"])
def test_shank_other_leg_contact_due_in_a_short_gap_is_still_emitted(name: str) -> None:
    """Lost packets hide the signal, not the walk: the other leg's contact, inferred from the
    stride before a gap shorter than a step, is emitted when the first sample after the gap
    arrives (its stance-turn check on the signal up to the gap); behind a longer gap it is
    dropped. Without gyroscope this gave the fixture's own gap (7.59-8.00 s) its step back:
    sim shank 100 Hz F1 0.974 -> 0.981."""
    path = SIM / f"{name}.csv"
    if not path.exists():
        pytest.skip("simulated fixtures are absent")
    samples, info = read_body(path)
    whole = steps_of(detect_steps(samples, info))
    # A mid-walk contact of the other leg (inferred), clear of the fixture's own gaps.
    dt = np.diff(samples.time_s)
    gaps = samples.time_s[:-1][dt > 1.5 / info.sample_rate_hz]
    inferred = [
        s
        for s in whole
        if s.inferred and 10.0 < s.t < 16.0 and not np.any(np.abs(gaps - s.t) < 2.0)
    ]
    assert inferred, whole
    due = inferred[0].t
    for lost_s, kept in ((0.3, True), (1.5, False)):
        t = samples.time_s
        keep = (t < due - 0.1) | (t >= due - 0.1 + lost_s)
        cut = Samples(
            t[keep],
            samples.acc_g[keep],
            None if samples.gyro_dps is None else samples.gyro_dps[keep],
        )
        after = float(t[keep][np.searchsorted(t[keep], due - 0.1)])
        steps = steps_of(detect_steps(cut, info))
        near = [s for s in steps if abs(s.t - due) < 1e-6]
        if kept:
            assert len(near) == 1 and near[0].inferred, steps
            assert near[0].detected_at == pytest.approx(after)
        else:
            assert near == [], near
    if name == "walk_shank_100hz":
        truth_t = [s["t"] for s in json.loads(path.with_suffix(".truth.json").read_text())["steps"]]
        assert match([s.t for s in whole if 7.59 <= s.detected_at <= 8.01], [7.6983]) == 1
        assert min(truth_t, key=lambda x: abs(x - 7.7)) == pytest.approx(7.6983)


def test_shank_gyro_walk_keeps_the_steps_after_a_short_gap() -> None:
    """A gap shorter than a step inside a walking bout on a shank with gyroscope: the filters
    ride through it on a straight line between the samples either side (``bridge_gap_s``),
    the bout goes on. Before the bout was kept across gaps, the leg restarted its walk and
    lost the swing after the gap and the other leg's contact before it. A 0.21 s gap cut at
    every 0.5 s over both bouts of the fixture (45 places): labelled steps lost in the 1.5 s
    after the gap 65 (restarting) -> 26 (bout kept, nothing bridged) -> 14 (bridged); steps
    not labelled 2 -> 1 -> 2."""
    path = SIM / "walk_shank_100hz_gyro.csv"
    if not path.exists():
        pytest.skip("simulated fixtures are absent")
    samples, info = read_body(path)
    truth_t = [s["t"] for s in json.loads(path.with_suffix(".truth.json").read_text())["steps"]]
    t = samples.time_s
    assert samples.gyro_dps is not None
    lost = extra = 0
    starts = [*np.arange(4.0, 13.5, 0.5).tolist(), *np.arange(18.0, 31.0, 0.5).tolist()]
    for start in starts:
        end = start + 0.21
        keep = (t < start) | (t >= end)
        cut = Samples(t[keep], samples.acc_g[keep], samples.gyro_dps[keep])
        steps = [s.t for s in steps_of(detect_steps(cut, info))]
        after = [x for x in truth_t if end <= x <= end + 1.5]
        lost += len(after) - match(steps, after)
        extra += len(steps) - match(steps, truth_t)
    assert lost <= 16, lost
    assert extra <= 2, extra
