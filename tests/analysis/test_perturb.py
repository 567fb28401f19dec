"""Altered copies of a labelled walk: played backward in time, packet-loss gaps cut in,
resampled to a band's lowest rate or to any other."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.evaluate import Truth, TruthBout, TruthJump, TruthSegment, TruthStep
from analysis.perturb import (
    DOUBLE_SUPPORT_SHARE,
    LOW_RATE_HZ,
    GapPlan,
    cut_gaps,
    low_rate,
    low_rate_factor,
    median_step_interval_s,
    resample,
    reverse_samples,
    reverse_truth,
    reversible,
)
from analysis.types import Samples

RNG = np.random.default_rng(11)


def walk_samples(duration_s: float = 30.0, fs: float = 100.0) -> Samples:
    t = np.arange(0.0, duration_s, 1.0 / fs)
    t = np.delete(t, np.arange(500, 520))  # a real gap of 0.2 s at 5 s
    acc = RNG.normal(0.0, 0.1, (t.size, 3)) + np.array([0.0, 0.0, 1.0])
    gyro = RNG.normal(0.0, 50.0, (t.size, 3))
    return Samples(time_s=t, acc_g=acc, gyro_dps=gyro)


def test_reversed_samples_run_backward_on_the_same_axis() -> None:
    s = walk_samples()
    r = reverse_samples(s)
    assert r.time_s[0] == s.time_s[0] and r.time_s[-1] == pytest.approx(s.time_s[-1])
    assert np.all(np.diff(r.time_s) > 0)
    # The gap keeps its length, mirrored: 5.0-5.2 s becomes T-5.2 to T-5.0.
    total = s.time_s[0] + s.time_s[-1]
    widest = int(np.argmax(np.diff(r.time_s)))
    assert r.time_s[widest + 1] == pytest.approx(total - 4.99)
    assert np.diff(r.time_s).max() == pytest.approx(np.diff(s.time_s).max())
    # Accelerations keep their sign, angular rates flip theirs.
    assert np.array_equal(r.acc_g, s.acc_g[::-1])
    assert r.gyro_dps is not None and s.gyro_dps is not None
    assert np.array_equal(r.gyro_dps, -s.gyro_dps[::-1])
    twice = reverse_samples(r)
    assert np.allclose(twice.time_s, s.time_s) and np.array_equal(twice.acc_g, s.acc_g)


STEPS = tuple(TruthStep(2.0 + 0.55 * k, "forward", "left" if k % 2 else "right") for k in range(30))
TRUTH = Truth(
    steps=STEPS,
    jumps=(),
    revolutions=None,
    reversals=None,
    bouts=(TruthBout("walk", 1.8, 18.0, "forward"),),
    segments=(TruthSegment("standing", 0.0, 1.8, rest=True),),
    step_label_lag_s=0.125,
)


def test_reversed_labels_mirror_flip_and_lag_by_a_double_support() -> None:
    r = reverse_truth(TRUTH, 0.0, 30.0)
    assert r.steps is not None
    assert [s.t for s in r.steps] == pytest.approx([30.0 - s.t for s in reversed(STEPS)])
    assert {s.direction for s in r.steps} == {"backward"}
    # The heel strike played backward ends a stance: the reversed contact comes a double
    # support earlier, and a label that lagged the heel strike now leads it.
    assert median_step_interval_s(STEPS) == pytest.approx(0.55)
    assert r.step_label_lag_s == pytest.approx(DOUBLE_SUPPORT_SHARE * 0.55 - 0.125)
    (bout,) = r.bouts
    assert (bout.start, bout.end, bout.direction) == pytest.approx((12.0, 28.2, "backward"))
    (seg,) = r.segments
    assert (seg.start, seg.end, seg.rest) == (28.2, 30.0, True)
    assert r.revolutions is None and r.jumps == ()
    assert reversible(TRUTH) and not reversible(r)  # a backward walk is not reversed again


def test_reversed_jumps_swap_takeoff_and_landing() -> None:
    jump = TruthJump(10.0, 10.4, 0.4, 0.2, "backward", -0.3)
    r = reverse_truth(Truth(steps=None, jumps=(jump,), revolutions=(), reversals=()), 0.0, 20.0)
    assert r.jumps is not None
    (j,) = r.jumps
    assert (j.takeoff_t, j.landing_t) == pytest.approx((9.6, 10.0))
    assert (j.direction, j.distance_m) == ("forward", 0.3)
    assert not reversible(Truth(steps=STEPS, jumps=(jump,), revolutions=None, reversals=None))


def test_gaps_are_cut_inside_the_walk_seeded_and_short() -> None:
    s = walk_samples(60.0)
    spans = [(10.0, 50.0)]
    cut, gaps = cut_gaps(s, spans, GapPlan(seed=4))
    again, same = cut_gaps(s, spans, GapPlan(seed=4))
    _, moved = cut_gaps(s, spans, GapPlan(seed=5))
    assert gaps == same and np.array_equal(cut.time_s, again.time_s)
    assert gaps != moved
    # One gap in each 5 s slot of the 40 s walk, each inside the walk.
    assert len(gaps) == 8
    assert all(g.before_s >= 10.0 and g.after_s <= 50.0 for g in gaps)
    assert len(s) - len(cut) == sum(g.samples_lost for g in gaps)
    assert all(1 <= g.samples_lost <= 30 for g in gaps)
    # Each gap is what the cut samples leave: no sample between its edges.
    for g in gaps:
        inside = (cut.time_s > g.before_s) & (cut.time_s < g.after_s)
        assert not inside.any()
        assert g.span_s == pytest.approx((g.samples_lost + 1) * 0.01)
    # Outside the walk nothing is cut.
    outside = (s.time_s < 10.0) | (s.time_s > 50.0)
    assert np.array_equal(s.time_s[outside], cut.time_s[(cut.time_s < 10.0) | (cut.time_s > 50.0)])


def test_at_a_low_rate_a_gap_is_at_least_one_sample() -> None:
    fs = 25.0
    t = np.arange(0.0, 40.0, 1.0 / fs)
    s = Samples(time_s=t, acc_g=np.tile([0.0, 0.0, 1.0], (t.size, 1)))
    _, gaps = cut_gaps(s, [(0.0, 40.0)], GapPlan(seed=1, shortest_s=0.01, longest_s=0.02))
    assert gaps and all(g.samples_lost == 1 for g in gaps)
    with pytest.raises(ValueError, match="shortest_s"):
        GapPlan(shortest_s=0.5, longest_s=0.3)


def test_a_fast_recording_is_thinned_to_a_band_s_lowest_rate_through_its_filter() -> None:
    assert [low_rate_factor(fs) for fs in (200, 104, 100, 52, 50, 26, 25, 40)] == [
        8,
        4,
        4,
        2,
        2,
        None,
        None,
        None,
    ]
    fs = 100.0
    samples = walk_samples(fs=fs)
    t = samples.time_s
    # A 2 Hz swing passes; 30 Hz, which would fold back to 5 Hz at 25 Hz, does not.
    slow = np.sin(2 * np.pi * 2.0 * t)
    fast = np.sin(2 * np.pi * 30.0 * t)
    acc = np.column_stack([slow, fast, np.ones_like(t)])
    thin = low_rate(Samples(time_s=t, acc_g=acc, gyro_dps=samples.gyro_dps), fs, 4)
    assert np.array_equal(thin.time_s, t[::4]) and thin.gyro_dps is not None
    assert thin.acc_g.shape == (t[::4].size, 3) and thin.gyro_dps.shape == thin.acc_g.shape
    settled = thin.time_s > 1.0
    assert np.abs(thin.acc_g[settled, 0]).max() > 0.9
    assert np.abs(thin.acc_g[settled, 1]).max() < 0.05
    assert np.allclose(thin.acc_g[settled, 2], 1.0, atol=1e-6)
    assert fs / 4 == LOW_RATE_HZ


@pytest.mark.parametrize("method", ["band", "polyphase"])
def test_a_recording_resampled_to_any_rate_keeps_its_gaps_and_its_walking_band(
    method: str,
) -> None:
    fs = 100.0
    samples = walk_samples(fs=fs)  # a gap from 5.0 to 5.2 s
    t = samples.time_s
    slow = np.sin(2 * np.pi * 2.0 * t)
    fast = np.sin(2 * np.pi * 30.0 * t)
    acc = np.column_stack([slow, fast, np.ones_like(t)])
    out = resample(Samples(time_s=t, acc_g=acc, gyro_dps=samples.gyro_dps), fs, 40.0, method)
    steps = np.diff(out.time_s)
    assert np.allclose(steps[steps < 0.1], 1 / 40.0)
    # The gap is kept: no sample inside it, and one step across it.
    assert not np.any((out.time_s > t[499] + 1e-9) & (out.time_s < t[500] - 1e-9))
    assert np.count_nonzero(steps >= 0.1) == 1
    assert out.gyro_dps is not None and out.gyro_dps.shape == out.acc_g.shape
    assert out.time_s[0] == t[0] and out.time_s[-1] <= t[-1]
    # A 2 Hz swing passes whole; 30 Hz, above the new Nyquist rate, does not fold back.
    settled = (out.time_s > 1.0) & (out.time_s < t[-1] - 1.0) & (np.abs(out.time_s - 5.1) > 1.0)
    assert 0.9 < np.abs(out.acc_g[settled, 0]).max() < 1.1
    assert np.abs(out.acc_g[settled, 1]).max() < 0.1
    assert np.allclose(out.acc_g[settled, 2], 1.0, atol=0.02)


def test_resampling_names_the_methods_it_knows() -> None:
    with pytest.raises(ValueError, match="band, polyphase"):
        resample(walk_samples(), 100.0, 40.0, "cubic")
