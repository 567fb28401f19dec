"""Pedalling forward and backward: crank kinematics, leg linkage, reversals, coasting.

Notes
-----
- Crank length 170 mm, the most common road-bike crank (Martin and Spirduso, Eur. J. Appl.
  Physiol. 84 (2001) 413-418, found 145-195 mm all give the same maximal power).
- The ankle rides on a circle about the bottom bracket; the shank is the lower bar of a
  two-bar linkage hip-knee-ankle with fixed hip (saddle), thigh and shank 0.43 m each
  (Winter 2009, segment lengths 0.245 H and 0.246 H for H = 1.75 m), so the shank pitches by
  about ±20-30° per revolution (Bini et al., J. Electromyogr. Kinesiol. 21 (2011) 893-897).
- The sensor point's acceleration (centripetal ``r ω²``, tangential ``r dω/dt`` and the
  linkage's own terms) comes from differentiating its position; gravity turns with the
  segment. Backward pedalling is the exact time reverse of forward pedalling: the crank angle
  decreases instead of increasing.
- Crank speed dips twice per revolution at the dead spots (top and bottom) by a few per cent
  (Hull and Jorge, J. Biomech. 18 (1985) 631-644).
- Riders of another size: the legs' segments and the saddle's position relative to the
  bottom bracket scale with the legs (``Body.leg_scale``; a saddle is set for the leg's
  length), the crank does not (``crank_m``; 165-175 mm are the usual sizes).
- On the chest, pedalling only shows as a small trunk motion at twice the cadence (one
  downstroke per leg) and a sway at the cadence; it does not reveal the direction.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from analysis.types import FloatArray, Placement
from sensor.simulate.body import REFERENCE_BODY, Body
from sensor.simulate.motion import (
    DT_S,
    Motion,
    euler_zyx,
    from_positions,
    gaussian_smooth,
    grid,
    n_fine,
    rot_y,
    smoothstep,
)
from sensor.simulate.truth import Labels, Segment

CRANK_M = 0.17
THIGH_M = 0.43
SHANK_M = 0.43
#: Hip (saddle) relative to the bottom bracket: behind and above it (seat-tube angle ≈ 73°).
HIP_M = np.array([-0.17, 0.70])
#: Ankle relative to the pedal spindle: above and slightly behind it.
ANKLE_FROM_PEDAL_M = np.array([-0.03, 0.09])
#: Trunk forward lean on a road or stationary bike (degrees).
TRUNK_LEAN_DEG = 35.0
#: A stop no longer than this between opposite directions is a reversal, not two bouts.
MAX_REVERSAL_STOP_S = 3.0


@dataclass(frozen=True)
class Phase:
    """A stretch of the ride: reach ``rpm`` (signed: negative = backward) over ``ramp_s``."""

    duration_s: float
    rpm: float
    ramp_s: float = 1.0
    #: Out of the saddle: the hips rise and move forward, the body rocks over the pedals.
    standing: bool = False


def cadence_profile(phases: list[Phase], rng: np.random.Generator) -> FloatArray:
    """Signed cadence (rpm) on the fine grid, with slow natural fluctuation of ±3 %."""
    parts = []
    current = 0.0
    for ph in phases:
        n = n_fine(ph.duration_s)
        t = grid(n)
        w = smoothstep(t / max(ph.ramp_s, DT_S))
        parts.append(current + (ph.rpm - current) * w)
        current = float(parts[-1][-1]) if n else current
    rpm = np.concatenate(parts)
    wobble = 1.0 + 0.03 * gaussian_smooth(rng.standard_normal(rpm.size), 1.5) / 0.02
    out: FloatArray = rpm * np.clip(wobble, 0.9, 1.1)
    return out


def crank_angle(rpm: FloatArray, start_rad: float) -> FloatArray:
    """Crank angle (0 = left pedal at the top, increasing forward) with dead-spot dips."""
    phi = start_rad + np.cumsum(rpm) * DT_S * 2 * np.pi / 60.0
    out: FloatArray = phi + 0.03 * np.sin(2 * phi)
    return out


#: Hip displacement when standing on the pedals (forward, up; m), kept short of a straight
#: leg at the bottom of the stroke.
STANDING_HIP_M = np.array([0.08, 0.06])


def _leg(
    phi: FloatArray,
    placement: Placement,
    standing: FloatArray,
    body: Body = REFERENCE_BODY,
    crank_m: float = CRANK_M,
) -> Motion:
    legs = body.leg_scale
    pedal = crank_m * np.stack([np.sin(phi), np.cos(phi)], axis=1)
    ankle = pedal + ANKLE_FROM_PEDAL_M * body.scale
    # Standing, the hips drop onto each downstroke: 2 cm at twice the cadence.
    hip = (
        HIP_M * legs
        + standing[:, None] * STANDING_HIP_M * legs
        + np.stack([np.zeros_like(phi), -0.01 * standing * (1 + np.cos(2 * phi))], axis=1)
    )
    d = ankle - hip
    dist = np.linalg.norm(d, axis=1, keepdims=True)
    thigh_m = THIGH_M * legs
    h = np.sqrt(np.clip(thigh_m**2 - (dist / 2) ** 2, 0.0, None))
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / dist
    knee = hip + d / 2 + h * normal
    s = ankle - knee
    alpha = np.arctan2(-s[:, 0], -s[:, 1])
    zeros = np.zeros_like(phi)
    if placement.canonical is Placement.FOOT:
        point = pedal + np.array([0.0, 0.05])
        foot = np.radians(-8.0 + 12.0 * np.cos(phi - 0.5))
        return from_positions(np.stack([point[:, 0], zeros, point[:, 1]], axis=1), rot_y(foot))
    if placement.canonical is Placement.THIGH:
        th = knee - hip
        beta = np.arctan2(-th[:, 0], -th[:, 1])
        point = hip + 0.5 * th
        return from_positions(np.stack([point[:, 0], zeros, point[:, 1]], axis=1), rot_y(beta))
    point = knee + 0.6 * s
    return from_positions(np.stack([point[:, 0], zeros, point[:, 1]], axis=1), rot_y(alpha))


def _trunk(phi: FloatArray, rpm: FloatArray, placement: Placement, standing: FloatArray) -> Motion:
    scale = (rpm / 90.0) ** 2
    # Seated, the trunk barely moves; standing, the body rocks side to side over the pedals
    # and bobs with each downstroke (several tenths of a g).
    acc = np.stack(
        [
            (0.004 + 0.03 * standing) * scale * np.sin(2 * phi),
            (0.012 + 0.08 * standing) * scale * np.sin(phi),
            (0.015 + 0.12 * standing) * scale * np.cos(2 * phi),
        ],
        axis=1,
    )
    seated_lean = TRUNK_LEAN_DEG if placement.is_trunk else 50.0
    lean = np.radians(seated_lean - 15.0 * standing)
    roll = np.radians(0.8 + 6.0 * standing) * np.abs(scale) ** 0.5 * np.sin(phi)
    pitch = lean + np.radians(0.3) * np.cos(2 * phi)
    return Motion(acc, euler_zyx(roll, pitch, np.zeros_like(phi)))


def _labels(t: FloatArray, rpm: FloatArray, phi_raw: FloatArray) -> Labels:
    moving = np.abs(rpm) > 2.0
    sign = np.sign(rpm) * moving
    revolutions: list[dict[str, object]] = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], sign, [0]])) != 0)
    runs = [(int(a), int(b)) for a, b in itertools.pairwise(edges) if sign[a] != 0]
    for a, b in runs:
        direction = "forward" if sign[a] > 0 else "backward"
        turned = np.abs(phi_raw[a:b] - phi_raw[a])
        k = np.floor(turned / (2 * np.pi))
        done = np.flatnonzero(np.diff(k) > 0) + 1
        prev_t = t[a]
        for i in done:
            ti = float(t[a + i])
            revolutions.append(
                {"t": ti, "direction": direction, "cadence_rpm": 60.0 / (ti - prev_t)}
            )
            prev_t = ti
    reversals: list[dict[str, object]] = []
    bouts: list[dict[str, object]] = []
    bout_start: int | None = None
    for j, (a, b) in enumerate(runs):
        if bout_start is None:
            bout_start = a
        nxt = runs[j + 1] if j + 1 < len(runs) else None
        gap = (nxt[0] - b) * DT_S if nxt else np.inf
        if nxt and gap <= MAX_REVERSAL_STOP_S:
            if sign[nxt[0]] != sign[a]:
                frm = "forward" if sign[a] > 0 else "backward"
                to = "backward" if sign[a] > 0 else "forward"
                # The turn: when the crank, stopped, starts moving the other way.
                reversals.append(
                    {"t": float(t[nxt[0]]), "from": frm, "to": to, "stop_s": float(gap)}
                )
            continue
        dirs = {float(sign[r[0]]) for r in runs if bout_start <= r[0] < b}
        direction = "mixed" if len(dirs) > 1 else ("forward" if dirs == {1.0} else "backward")
        bouts.append(
            {
                "kind": "pedal",
                "start": float(t[bout_start]),
                "end": float(t[b - 1]),
                "direction": direction,
            }
        )
        bout_start = None
    return Labels(steps=[], revolutions=revolutions, reversals=reversals, bouts=bouts)


def ride(
    rng: np.random.Generator,
    placement: Placement,
    phases: list[Phase],
    *,
    road: bool = True,
    body: Body = REFERENCE_BODY,
    crank_m: float = CRANK_M,
) -> Segment:
    """A ride on a bike (or home trainer) following ``phases``; the legs stay on the pedals.

    Parameters
    ----------
    phases
        Signed cadence targets in order; ``rpm=0`` holds the crank still (coasting, or the
        stop of a reversal when the next phase turns the other way); ``standing`` phases are
        ridden out of the saddle.
    road
        Add road vibration (0.02-0.05 g, 10-40 Hz) transmitted through the pedals and saddle.
    body, crank_m
        The rider's size and the crank's length (leg bands).
    """
    rpm = cadence_profile(phases, rng)
    # The crank only turns when the cadence target is non-zero: hold it exactly still when
    # the rider stops or coasts.
    targets = np.concatenate([np.full(n_fine(p.duration_s), p.rpm) for p in phases])
    rpm = np.where((np.abs(rpm) < 1.0) & (targets == 0), 0.0, rpm)
    phi0 = float(rng.uniform(0, 2 * np.pi))
    phi = crank_angle(rpm, phi0)
    t = grid(rpm.size)
    standing = gaussian_smooth(
        np.concatenate([np.full(n_fine(p.duration_s), float(p.standing)) for p in phases]), 0.4
    )
    motion = (
        _leg(phi, placement, standing, body, crank_m)
        if placement.is_leg
        else _trunk(phi, rpm, placement, standing)
    )
    if road:
        vib = rng.standard_normal((rpm.size, 3))
        vib = vib - gaussian_smooth(vib, 0.02)
        motion = Motion(motion.acc_world_g + 0.03 * gaussian_smooth(vib, 0.003) / 0.15, motion.rot)
    phi_raw = phi0 + np.cumsum(rpm) * DT_S * 2 * np.pi / 60.0
    return Segment(motion, _labels(t, rpm, phi_raw))


def ride_program(rng: np.random.Generator, duration_s: float) -> list[Phase]:
    """A ride with forward and backward bouts, reversals, a slow-down, coasting and a
    sprint out of the saddle."""
    fwd = float(rng.uniform(65, 95))
    back = -float(rng.uniform(45, 70))
    stop1 = float(rng.uniform(0.5, 2.0))
    stop2 = float(rng.uniform(0.3, 1.5))
    core = [
        Phase(3.0, 0.0),
        Phase(12.0, fwd, 2.0),
        Phase(4.0, float(rng.uniform(30, 42)), 2.0),  # slow-down, not a reversal
        Phase(6.0, fwd, 2.0),
        Phase(4.0, 0.0, 1.5),  # coasting, legs still
        Phase(8.0, fwd * 0.9, 2.0),
        Phase(1.5 + stop1, 0.0, 1.5),  # slow down and stop ...
        Phase(14.0, back, 2.0),  # ... then turn the other way: a reversal
        Phase(1.2 + stop2, 0.0, 1.2),
        Phase(10.0, float(rng.uniform(90, 115)), 2.5, standing=True),  # out of the saddle
        Phase(3.0, 0.0, 2.0),
    ]
    total = sum(p.duration_s for p in core)
    if duration_s < total - 5:
        k = max(duration_s, 30.0) / total
        core = [
            Phase(p.duration_s * k, p.rpm, min(p.ramp_s, max(0.8, p.ramp_s * k)), p.standing)
            for p in core
        ]
    elif duration_s > total + 10:
        extra = duration_s - total
        core[-1:-1] = [
            Phase(1.5, 0.0, 1.5),
            Phase(extra - 4.0, -float(rng.uniform(40, 60)), 2.0),
            Phase(1.0, 0.0, 1.5),
        ]
    return core
