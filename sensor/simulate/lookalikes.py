"""Look-alikes that are not jumps: stomps, heel drops, squats, sitting down hard.

Notes
-----
Each has an impact or a dip a jump detector could mistake for a landing or a takeoff, but no
flight: a stomp (impact 1.5-3 g, no free fall), a heel drop (rise on the toes, drop on the
heels: under 0.1 s of partial free fall and a 2-3.5 g impact; heel-drop loading in
Lafortune et al., J. Biomech. 29 (1996) 1523-1529), a bodyweight squat (0.4 m in about
1.2 s, trunk leaning 35°), and sitting down hard on a chair (a short fall onto the seat and a
1.8-3 g impact). A jump has at least 0.15 s of free fall; none of these has 0.15 s below
0.3 g.
"""

from __future__ import annotations

import numpy as np

from analysis.types import FloatArray, Placement
from analysis.units import STANDARD_GRAVITY_M_S2
from sensor.simulate.jumps import keyframes, trunk_motion
from sensor.simulate.motion import (
    Motion,
    alpha_pulse,
    euler_zyx,
    grid,
    hann_lobe,
    n_fine,
    rot_y,
    second_derivative,
)
from sensor.simulate.truth import Labels, Segment


def stomp(rng: np.random.Generator, placement: Placement) -> Segment:
    """Lift one foot and stamp it down: an impact without any flight."""
    n = n_fine(2.5)
    t = grid(n)
    hit = 1.2
    peak = float(rng.uniform(1.5, 3.0))
    vert = 0.12 * (hann_lobe(t, 0.5, 0.5) - hann_lobe(t, 0.9, 0.3))
    vert += (peak - 1.0) * alpha_pulse(t, hit, 0.008) - 0.1 * hann_lobe(t, hit + 0.05, 0.3)
    acc = np.stack([np.zeros_like(t), 0.05 * hann_lobe(t, 0.4, 0.8), vert], axis=1)
    roll = np.radians(3.0) * hann_lobe(t, 0.4, 1.2)
    return _lookalike(t, acc, roll, np.zeros_like(t), placement, "stomp")


def heel_drop(rng: np.random.Generator, placement: Placement) -> Segment:
    """Rise on the toes, then drop onto the heels: a brief partial free fall and an impact."""
    n = n_fine(3.0)
    t = grid(n)
    drop = 1.6
    fall_s = float(rng.uniform(0.06, 0.09))
    depth = float(rng.uniform(0.5, 0.75))  # g below body weight during the drop
    v = depth * fall_s
    peak = float(rng.uniform(2.0, 3.5))
    tau = 0.6 * v / ((peak - 1.0) * np.e)
    vert = 0.1 * (hann_lobe(t, 0.3, 0.4) - hann_lobe(t, 0.7, 0.4))
    vert -= depth * ((t >= drop - fall_s) & (t < drop))
    vert += (peak - 1.0) * alpha_pulse(t, drop, tau) + 0.4 * v / 0.1 * hann_lobe(t, drop, 0.2)
    acc = np.stack([np.zeros_like(t), np.zeros_like(t), vert], axis=1)
    return _lookalike(t, acc, np.zeros_like(t), np.zeros_like(t), placement, "heel_drop")


def squat(rng: np.random.Generator, placement: Placement) -> Segment:
    """A slow bodyweight squat: down 0.4 m in about 1.2 s, up again."""
    down = float(rng.uniform(1.0, 1.5))
    n = n_fine(2 * down + 1.5)
    t = grid(n)
    depth = 0.4
    z = -depth * (0.5 - 0.5 * np.cos(np.pi * np.clip(t - 0.2, 0, down) / down))
    z += depth * (0.5 - 0.5 * np.cos(np.pi * np.clip(t - 0.7 - down, 0, down) / down))
    acc = np.zeros((n, 3))
    acc[:, 2] = second_derivative(z) / STANDARD_GRAVITY_M_S2
    pitch = np.radians(35.0) * np.clip(-z / depth, 0, 1)
    return _lookalike(t, acc, np.zeros_like(t), pitch, placement, "squat")


def sit_down_hard(rng: np.random.Generator, placement: Placement) -> Segment:
    """Drop onto a chair: lean forward, lower, a short fall onto the seat, sit, stand up."""
    n = n_fine(6.0)
    t = grid(n)
    seat = 1.5
    peak = float(rng.uniform(1.8, 3.0))
    vert = -0.25 * hann_lobe(t, 0.6, 0.6) - 0.45 * ((t >= seat - 0.15) & (t < seat))
    v = 0.25 * 0.3 + 0.45 * 0.15
    tau = 0.5 * v / ((peak - 1.0) * np.e)
    vert = (
        vert + (peak - 1.0) * alpha_pulse(t, seat, tau) + 0.5 * v / 0.15 * hann_lobe(t, seat, 0.3)
    )
    vert += 0.3 * hann_lobe(t, 3.8, 0.8) - 0.3 * hann_lobe(t, 4.6, 0.8)
    acc = np.stack([np.zeros_like(t), np.zeros_like(t), vert], axis=1)
    pitch = keyframes(
        t, [(0.0, 0.0), (0.5, 0.0), (1.2, 30.0), (1.6, -5.0), (3.5, -5.0), (4.0, 35.0), (5.2, 0.0)]
    )
    return _lookalike(t, acc, np.zeros_like(t), pitch, placement, "sit_down")


def _lookalike(
    t: FloatArray,
    acc_com_g: FloatArray,
    roll: FloatArray,
    pitch: FloatArray,
    placement: Placement,
    what: str,
) -> Segment:
    if placement.is_leg:
        motion = Motion(0.8 * acc_com_g, rot_y(0.5 * pitch))
    else:
        base = trunk_motion(t, acc_com_g, pitch, placement)
        motion = Motion(base.acc_world_g, euler_zyx(roll, pitch, np.zeros_like(t)))
    bout = {"kind": "lookalike", "what": what, "start": 0.0, "end": float(t[-1])}
    return Segment(motion, Labels(steps=[], jumps=[], bouts=[bout]))
