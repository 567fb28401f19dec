"""Countermovement jumps: vertical, forward, backward (the series is in ``scenarios``).

Notes
-----
- A countermovement jump: unweighting (ground force below body weight, the centre of mass
  dips), braking and propulsion (force up to 2-3 body weights), takeoff when the force
  reaches zero, free flight, and a landing whose impact peak (3-8 g and more at the trunk)
  has a fast onset and is then damped by the legs (Linthorne, Am. J. Phys. 69 (2001)
  1198-1204; McMahon et al., Strength Cond. J. 40 (2018) 96-106).
- Flight time ``T`` gives the takeoff speed ``g T / 2`` and the height ``h = g T² / 8``
  (Bosco, Luhtanen and Komi, Eur. J. Appl. Physiol. 50 (1983) 273-282). ``T`` is drawn from
  0.15-0.6 s (h = 3-44 cm).
- In flight the centre of mass falls freely, so a sensor at the centre of mass would read
  0 g; a body-fixed sensor away from it reads the centripetal and tangential acceleration of
  the trunk's rotation, 0.1-0.4 g, as the real sacrum recording shows
  (shared/data/real/as-recordings/mcginnis_sacrum_jump.csv).
- Horizontal jumps add a horizontal push during propulsion and its braking at landing; in a
  backward jump the trunk leans forward more in the countermovement and the arms swing
  back (Meylan et al., J. Strength Cond. Res. 24 (2010) 2421-2428, on horizontal jumps).
- Look-alikes that are no jumps live in ``sensor.simulate.lookalikes``.
"""

from __future__ import annotations

import numpy as np
from scipy import signal
from scipy.interpolate import PchipInterpolator

from analysis.types import FloatArray, Placement
from sensor.simulate.motion import (
    DT_S,
    G_MPS2,
    Motion,
    alpha_pulse,
    euler_zyx,
    gaussian_smooth,
    grid,
    hann_lobe,
    n_fine,
    rot_y,
    second_derivative,
    smoothstep,
)
from sensor.simulate.truth import Labels, Segment

#: Sensor position relative to the centre of mass in the trunk frame (m): the sacrum sits
#: behind and slightly below it, a chest strap in front and about 0.3 m above.
OFFSET_M = {
    Placement.WAIST: np.array([-0.12, 0.0, -0.03]),
    Placement.CHEST: np.array([0.12, 0.0, 0.30]),
    Placement.WRIST: np.array([0.05, 0.2, -0.10]),
}


def trunk_motion(
    t: FloatArray, acc_com_g: FloatArray, pitch: FloatArray, placement: Placement
) -> Motion:
    """Centre-of-mass acceleration plus the lever arm of the rotating trunk."""
    rot = euler_zyx(np.zeros_like(t), pitch, np.zeros_like(t))
    offset = OFFSET_M.get(placement.canonical, OFFSET_M[Placement.WAIST])
    rel = np.einsum("nij,j->ni", rot, offset)
    acc = acc_com_g + second_derivative(rel) / G_MPS2
    return Motion(acc, rot)


def keyframes(
    t: FloatArray, keys: list[tuple[float, float]], contact_s: float | None = None
) -> FloatArray:
    """Segment angle (rad) through ``keys`` (s, degrees), smoothed.

    With ``contact_s`` (a key's time: touchdown), the moves after it are driven by the
    ground contact and start there: before it the angle follows the earlier keys and holds
    the contact key's angle; the later keys add a move that is zero before contact and is
    smoothed causally, so nothing anticipates the impact. A symmetric smoothing would start
    the landing's flexion about 60 ms before touchdown, which the real sacrum jump does not
    show (its |a| falls, 0.37 -> 0.26 g, over the last 40 ms before the impact, where the
    non-causal model rose 0.2 -> 0.35 g at the chest).
    """
    if contact_s is None:
        return _keyframes(t, keys)
    at_contact = dict(keys)[contact_s]
    before = [(x, y) for x, y in keys if x <= contact_s]
    after = [(x, y - at_contact) for x, y in keys if x >= contact_s]
    pre = _keyframes(t, [*before, (float(t[-1]) + 1.0, at_contact)])
    move = np.where(t >= contact_s, _pchip(t, after), 0.0)
    # Two cascaded first-order lags (10 ms each): the angular velocity builds up over tens
    # of milliseconds after touchdown instead of jumping.
    a = DT_S / (0.01 + DT_S)
    for _ in range(2):
        move = signal.lfilter([a], [1.0, a - 1.0], move)
    out: FloatArray = pre + move
    return out


def _pchip(t: FloatArray, keys: list[tuple[float, float]]) -> FloatArray:
    x, y = zip(*sorted(keys), strict=True)
    f = PchipInterpolator(np.array(x), np.radians(np.array(y)), extrapolate=False)
    out: FloatArray = np.nan_to_num(f(t), nan=0.0)
    out = np.where(t < x[0], np.radians(y[0]), out)
    out = np.where(t > x[-1], np.radians(y[-1]), out)
    return out


def _keyframes(t: FloatArray, keys: list[tuple[float, float]]) -> FloatArray:
    # Muscles cannot change angular velocity instantly: smooth the corners PCHIP leaves.
    return gaussian_smooth(_pchip(t, keys), 0.03)


def countermovement_jump(
    rng: np.random.Generator,
    placement: Placement,
    *,
    flight_s: float,
    horizontal_mps: float,
    peak_g: float,
    lead_s: float = 1.0,
    tail_s: float = 1.5,
    travel_m: float | None = None,
) -> Segment:
    """One countermovement jump between quiet standing.

    Parameters
    ----------
    flight_s
        Flight time ``T``.
    horizontal_mps
        Horizontal takeoff speed; negative jumps backward.
    peak_g
        Specific-force peak of the landing impact at the trunk (before sensor clipping).
    travel_m
        If given, the horizontal travel (signed) instead of ``horizontal_mps``.
    """
    g = G_MPS2
    d1 = float(rng.uniform(0.3, 0.4))  # unweighting
    a1 = float(rng.uniform(0.5, 0.7))  # its depth (g below body weight)
    d2 = float(rng.uniform(0.35, 0.45))  # braking + propulsion
    dd = 0.05  # force falling to zero before takeoff
    v0 = g * flight_s / 2
    if travel_m is not None:
        # Travel = v (d2/2 + dd + T + 0.125): the push lobe, the last 50 ms, flight, braking.
        horizontal_mps = travel_m / (d2 / 2 + dd + flight_s + 0.125)
    a2 = (2 * v0 / g + a1 * d1 + dd) / d2
    t_unw = lead_s
    t_prop = t_unw + d1
    t_fall = t_prop + d2
    takeoff = t_fall + dd
    landing = takeoff + flight_s
    duration = landing + tail_s
    n = n_fine(duration)
    t = grid(n)
    f = 1.0 - a1 * hann_lobe(t, t_unw, d1) + a2 * hann_lobe(t, t_prop, d2)
    fall = (t >= t_fall) & (t < takeoff)
    f[fall] = 0.5 + 0.5 * np.cos(np.pi * (t[fall] - t_fall) / dd)
    f[(t >= takeoff) & (t < landing)] = 0.0
    # Landing: an impact carrying a share of the momentum, then absorption by the legs.
    frac = float(rng.uniform(0.4, 0.6))
    tau = frac * v0 / (g * (peak_g - 1.0) * np.e)
    d3 = float(rng.uniform(0.3, 0.4))
    a3 = (v0 / g - (peak_g - 1.0) * np.e * tau) / (d3 / 2)
    after = t >= landing
    f[after] = (
        1.0
        + (peak_g - 1.0) * alpha_pulse(t[after], landing, tau)
        + a3 * hann_lobe(t[after], landing, d3)
    )
    ring = np.where(
        after, np.exp(-(t - landing) / 0.04) * np.sin(2 * np.pi * 18.0 * (t - landing)), 0
    )
    f += 0.15 * (peak_g - 1.0) * ring * (t > landing + 2 * tau)
    vert = f - 1.0
    # In flight the legs tuck and extend and the arms swing: the trunk moves relative to the
    # freely falling centre of mass by 0.1-0.3 g, what the real sacrum recording shows.
    x = np.clip((t - takeoff) / flight_s, 0.0, 1.0)
    tuck = float(rng.uniform(0.12, 0.25))
    flight_rel = np.stack(
        [
            0.6 * tuck * np.sin(4 * np.pi * x + 0.5) * np.sin(np.pi * x),
            np.zeros_like(t),
            tuck * np.sin(2 * np.pi * x),
        ],
        axis=1,
    )
    push = horizontal_mps / g * hann_lobe(t, t_prop, d2) / (d2 / 2)
    brake = -horizontal_mps / g * hann_lobe(t, landing, 0.25) / 0.125
    acc_com = np.stack([push + brake, np.zeros_like(t), vert], axis=1)
    acc_trunk = acc_com + flight_rel
    backward = horizontal_mps < -0.15
    lean = 45.0 if backward else (38.0 if horizontal_mps > 0.15 else 32.0)
    # Trunk angle at takeoff: upright (slightly extended) for a vertical jump; leaning into a
    # forward jump with the whole body line (the centre of mass ahead of the feet, about 18°
    # per m/s); in a backward jump the body line leans back but the hips stay flexed, so the
    # trunk itself still leans a little forward.
    if horizontal_mps > 0.15:
        at_takeoff = -3.0 + 18.0 * horizontal_mps
    elif backward:
        at_takeoff = 3.0 + 30.0 * (frac - 0.4)  # 3-9°, reusing a draw keeps the seeds' files
    else:
        at_takeoff = -3.0
    mid = 0.5 * (takeoff + landing)
    keys = [
        (0.0, 0.0),
        (t_unw, 0.0),
        (t_prop + 0.1, lean),
        (takeoff, at_takeoff),
        (mid, 0.5 * at_takeoff),
        (landing, 5.0),
        (landing + 0.3, lean * 0.8),
        (landing + 1.0, 0.0),
        (duration, 0.0),
    ]
    pitch = keyframes(t, keys, contact_s=landing)
    if placement.is_leg:
        motion = _shank_motion(t, acc_com, t_unw, t_prop, takeoff, landing, lean)
    else:
        motion = trunk_motion(t, acc_trunk, pitch, placement)
    direction = (
        "vertical" if abs(horizontal_mps) < 0.15 else ("backward" if backward else "forward")
    )
    label = {
        "takeoff_t": takeoff,
        "landing_t": landing,
        "flight_time_s": flight_s,
        "height_m": g * flight_s**2 / 8.0,
        "direction": direction,
        # Horizontal travel of the centre of mass, takeoff push and landing brake included.
        "distance_m": float(np.sum(np.cumsum(push + brake) * DT_S * g) * DT_S),
        "peak_g": float(np.max(np.linalg.norm(motion.specific_force_g()[after], axis=1))),
    }
    bouts = [{"kind": "jumps", "start": t_unw, "end": landing + 0.5, "direction": direction}]
    return Segment(motion, Labels(steps=[], jumps=[label], bouts=bouts))


def _shank_motion(
    t: FloatArray,
    acc_com_g: FloatArray,
    t_unw: float,
    t_prop: float,
    takeoff: float,
    landing: float,
    lean_deg: float,
) -> Motion:
    """Shank sensor, 0.3 m above the ankle.

    The ankle stays on the ground until the heel rises in the last 60 ms before toe-off
    (plantar flexion), moves with the body in flight, lands toes first and lets the heel
    down over 0.1 s. The shank leans forward as the knees bend in the countermovement and
    the landing, and flexes a little in flight.
    """
    g = G_MPS2
    vel = np.cumsum(acc_com_g, axis=0) * DT_S * g
    heel_rise = np.clip((t - (takeoff - 0.06)) / 0.06, 0.0, 1.0)
    contact = np.clip(1.0 - (t - landing) / 0.015, 0.0, 1.0)
    follow = np.where(t < takeoff, heel_rise, np.where(t < landing, 1.0, contact))
    ankle = np.cumsum(vel * follow[:, None], axis=0) * DT_S
    # Toes first, then the heel comes down to the ground.
    after = t >= landing
    if after.any():
        i = int(np.argmax(after))
        ankle[after, 2] -= ankle[i, 2] * smoothstep((t[after] - landing) / 0.1)
    alpha = keyframes(
        t,
        [
            (0.0, 0.0),
            (t_unw, 0.0),
            (t_prop + 0.1, 0.7 * lean_deg),
            (takeoff, -3.0),
            (0.5 * (takeoff + landing), 3.0),
            (landing, 6.0),
            (landing + 0.25, 0.8 * lean_deg),
            (landing + 1.0, 0.0),
            (float(t[-1]) + DT_S, 0.0),
        ],
        contact_s=landing,
    )
    up = np.stack([np.sin(alpha), np.zeros_like(t), np.cos(alpha)], axis=1)
    point = ankle + 0.3 * up
    acc = second_derivative(point) / g
    # The ground contact transient at the shank is larger and sharper than at the trunk
    # (tibial shock of 3-10 g in landings; Lafortune et al. 1996).
    acc[:, 2] += 3.0 * alpha_pulse(t, landing, 0.004)
    return Motion(acc, rot_y(alpha))
