from __future__ import annotations

import numpy as np
import pytest

from analysis.frame import GravityTracker, level, parse_body_axes, principal_axis, to_body_frame


def test_body_axes_example_from_the_spec() -> None:
    # "+z,+x,+y": forward is sensor +z, left is sensor +x, up is sensor +y.
    m = parse_body_axes("+z,+x,+y")
    body = to_body_frame(np.array([[0.1, 0.98, -0.12]]), m)
    np.testing.assert_allclose(body, [[-0.12, 0.1, 0.98]])


def test_negative_axes() -> None:
    m = parse_body_axes("-z,+y,+x")  # the XSens L5 mounting of the IPOL recordings
    np.testing.assert_allclose(to_body_frame(np.array([[1.0, 2.0, 3.0]]), m), [[-3.0, 2.0, 1.0]])


@pytest.mark.parametrize("bad", ["x,y", "+x,+x,+z", "+a,+y,+z", "x,y,z,", "++x,y,z"])
def test_malformed_body_axes(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_body_axes(bad)


@pytest.mark.parametrize("tilt_deg", [0.0, 10.0, 30.0, 89.0])
def test_level_turns_gravity_up_and_keeps_heading(tilt_deg: float) -> None:
    a = np.radians(tilt_deg)
    gravity = np.array([[np.sin(a), 0.0, np.cos(a)]])  # pitched forward about y
    forward = np.array([[np.cos(a), 0.0, -np.sin(a)]])
    np.testing.assert_allclose(level(gravity, gravity), [[0.0, 0.0, 1.0]], atol=1e-12)
    np.testing.assert_allclose(level(forward, gravity), [[1.0, 0.0, 0.0]], atol=1e-12)


def test_gravity_tracker_converges_to_the_static_vector_whatever_the_chunking() -> None:
    rng = np.random.default_rng(3)
    acc = np.array([0.3, -0.2, 0.93]) + rng.normal(0, 0.05, (2000, 3))
    g1 = GravityTracker(100.0).update(acc)
    tracker = GravityTracker(100.0)
    g2 = np.concatenate([tracker.update(acc[i : i + 37]) for i in range(0, 2000, 37)])
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_allclose(g1[-1], [0.3, -0.2, 0.93], atol=0.03)


def test_principal_axis_of_motion_in_a_plane() -> None:
    # Motion along a line 30° from a towards b, and a little noise across it.
    rng = np.random.default_rng(3)
    along, across = rng.normal(0, 1.0, 2000), rng.normal(0, 0.2, 2000)
    th = np.radians(30.0)
    a = np.cos(th) * along - np.sin(th) * across
    b = np.sin(th) * along + np.cos(th) * across
    angle, major, minor = principal_axis(np.mean(a * a), np.mean(b * b), np.mean(a * b))
    assert np.degrees(angle) == pytest.approx(30.0, abs=1.0)
    assert major / minor == pytest.approx(25.0, rel=0.15)
    # The axis is given on a's side: a line 120° from a reads -60°.
    angle, _, _ = principal_axis(
        np.array([0.25, 1.0]), np.array([0.75, 0.0]), np.array([-np.sqrt(3) / 4, 0.0])
    )
    assert np.degrees(angle) == pytest.approx([-60.0, 0.0])
