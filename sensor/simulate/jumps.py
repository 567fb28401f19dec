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

import math

import numpy as np
import numpy.typing as npt
from scipy import signal
from scipy.interpolate import PchipInterpolator

from analysis.types import FloatArray, Placement
from analysis.units import STANDARD_GRAVITY_M_S2
from sensor.simulate.body import REFERENCE_BODY, Body
from sensor.simulate.motion import (
    DT_S,
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


#: Height of a shank band above the ankle (m, reference body).
SHANK_SENSOR_M = 0.3
#: Peak of the tibial shock of a landing at the shank (g above the body's own motion): 3-10 g
#: in landings (Lafortune et al. 1996).
TIBIAL_SHOCK_G = 3.0


def trunk_motion(
    t: FloatArray,
    acc_com_g: FloatArray,
    pitch: FloatArray,
    placement: Placement,
    body: Body = REFERENCE_BODY,
) -> Motion:
    """Centre-of-mass acceleration plus the lever arm of the rotating trunk."""
    rot = euler_zyx(np.zeros_like(t), pitch, np.zeros_like(t))
    offset = OFFSET_M.get(placement.canonical, OFFSET_M[Placement.WAIST]) * body.scale
    rel = np.einsum("nij,j->ni", rot, offset)
    acc = acc_com_g + second_derivative(rel) / STANDARD_GRAVITY_M_S2
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
    body: Body = REFERENCE_BODY,
    tibial_shock_g: float = TIBIAL_SHOCK_G,
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
    body
        The jumper's size: where a trunk band sits from the centre of mass, how high a
        shank band sits above the ankle.
    tibial_shock_g
        The landing's shock at a shank band.
    """
    g = STANDARD_GRAVITY_M_S2
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
        motion = _shank_motion(
            t,
            acc_com,
            t_unw,
            t_prop,
            takeoff,
            landing,
            lean,
            sensor_m=SHANK_SENSOR_M * body.leg_scale,
            shock_g=tibial_shock_g,
        )
    else:
        motion = trunk_motion(t, acc_trunk, pitch, placement, body)
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
    *,
    sensor_m: float = SHANK_SENSOR_M,
    shock_g: float = TIBIAL_SHOCK_G,
) -> Motion:
    """Shank sensor, ``sensor_m`` above the ankle.

    The ankle stays on the ground until the heel rises in the last 60 ms before toe-off
    (plantar flexion), moves with the body in flight, lands toes first and lets the heel
    down over 0.1 s. The shank leans forward as the knees bend in the countermovement and
    the landing, and flexes a little in flight.
    """
    g = STANDARD_GRAVITY_M_S2
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
    point = ankle + sensor_m * up
    acc = second_derivative(point) / g
    # The ground contact transient at the shank is larger and sharper than at the trunk
    # (tibial shock of 3-10 g in landings; Lafortune et al. 1996).
    acc[:, 2] += shock_g * alpha_pulse(t, landing, 0.004)
    return Motion(acc, rot_y(alpha))


def _keyframes_linked(
    t: FloatArray, keys: list[tuple[float, float]], contacts: list[float]
) -> FloatArray:
    """``keyframes`` with several touchdowns: each contact's moves start there, causally.

    Before the first contact the angle follows the earlier keys (smoothed) and holds the
    first contact's key; from each contact on, the keys up to the next contact add a move
    that is zero before it, holds the next contact's key after it and is lagged like
    ``keyframes``' (two 10 ms first-order lags): nothing anticipates an impact.
    """
    at = dict(keys)
    first = contacts[0]
    before = [(x, y) for x, y in keys if x <= first]
    out: FloatArray = _keyframes(t, [*before, (float(t[-1]) + 1.0, at[first])])
    a = DT_S / (0.01 + DT_S)
    for i, c in enumerate(contacts):
        nxt = contacts[i + 1] if i + 1 < len(contacts) else math.inf
        after = [(x, y - at[c]) for x, y in keys if c <= x <= nxt]
        if math.isfinite(nxt):
            after.append((float(t[-1]) + 1.0, at[nxt] - at[c]))
        move = np.where(t >= c, _pchip(t, after), 0.0)
        for _ in range(2):
            move = signal.lfilter([a], [1.0, a - 1.0], move)
        out = out + move
    return out


def _trunk_at_takeoff(horizontal_mps: float, frac: float) -> float:
    """Trunk angle at takeoff (degrees, + forward), as in ``countermovement_jump``."""
    if horizontal_mps > 0.15:
        return -3.0 + 18.0 * horizontal_mps
    if horizontal_mps < -0.15:
        return 3.0 + 30.0 * (frac - 0.4)
    return -3.0


def _lean(horizontal_mps: float) -> float:
    """Countermovement trunk lean (degrees), as in ``countermovement_jump``."""
    return 45.0 if horizontal_mps < -0.15 else (38.0 if horizontal_mps > 0.15 else 32.0)


def linked_jumps(
    rng: np.random.Generator,
    placement: Placement,
    *,
    flights_s: list[float],
    horizontal_mps: list[float],
    peaks_g: list[float],
    contacts_s: list[float],
    set_number: int,
    lead_s: float = 1.0,
    tail_s: float = 1.5,
    body: Body = REFERENCE_BODY,
    tibial_shock_g: float = TIBIAL_SHOCK_G,
) -> Segment:
    """A set of jumps linked by short ground contacts (rebounds): the plyometric drill.

    The first jump starts with a countermovement from quiet standing, like
    ``countermovement_jump``; each later one takes off from the contact that stops the
    previous one ("jump back, land, jump straight forward to the start").

    Parameters
    ----------
    flights_s, horizontal_mps, peaks_g
        Per jump: flight time, horizontal takeoff speed (negative backward), landing impact
        peak at the trunk (before clipping).
    contacts_s
        Ground contact time before each jump after the first (one fewer than jumps).
    set_number
        The set's number in the session, written into each jump's label with its
        repetition (1, 2, ...).
    body, tibial_shock_g
        As in ``countermovement_jump``.

    Notes
    -----
    A rebound contact takes the landing's vertical momentum and gives the next takeoff's:
    the ground force's impulse above body weight over the contact is
    ``T_prev/2 + T_next/2`` g·s (momentum balance; Bosco et al. 1983). It holds the
    landing's impact (as in ``countermovement_jump``) and one broad loading lobe over the
    whole contact (the stretch-shortening cycle: the legs brake and push in one movement),
    on a body-weight share that falls to zero over the last 50 ms: the force declines
    from the lobe straight to zero at takeoff, with the rounded last phase of a
    countermovement jump's. Horizontally, the previous jump is braked over
    the contact's first 60 % and the next is pushed over its last 65 %. The trunk and shank
    flex less than in a countermovement from standing, the less the shorter the contact
    (to 60 % of the lean at 0.5 s, 30 % at 0.25 s). Fast
    stretch-shortening rebounds keep contacts below 0.25 s, slower ones up to about 0.5 s
    (Flanagan and Comyns, Strength Cond. J. 30(5) (2008) 32-38).
    """
    g = STANDARD_GRAVITY_M_S2
    n_jumps = len(flights_s)
    if not (len(horizontal_mps) == len(peaks_g) == n_jumps == len(contacts_s) + 1):
        raise ValueError("one contact between each two jumps, one speed and peak per jump")
    d1 = float(rng.uniform(0.3, 0.4))  # unweighting of the first jump
    a1 = float(rng.uniform(0.5, 0.7))
    d2 = float(rng.uniform(0.35, 0.45))
    dd = 0.05  # force falling to zero before each takeoff
    fracs = [float(rng.uniform(0.4, 0.6)) for _ in range(n_jumps)]
    tucks = [float(rng.uniform(0.12, 0.25)) for _ in range(n_jumps)]
    d3 = float(rng.uniform(0.3, 0.4))
    t_unw = lead_s
    t_prop = t_unw + d1
    takeoffs = [t_prop + d2 + dd]
    landings = [takeoffs[0] + flights_s[0]]
    for k in range(1, n_jumps):
        takeoffs.append(landings[-1] + contacts_s[k - 1])
        landings.append(takeoffs[-1] + flights_s[k])
    duration = landings[-1] + tail_s
    n = n_fine(duration)
    t = grid(n)

    def fall(at: float) -> tuple[npt.NDArray[np.bool_], FloatArray]:
        mask = (t >= at - dd) & (t < at)
        return mask, 0.5 + 0.5 * np.cos(np.pi * (t[mask] - (at - dd)) / dd)

    def impact(k: int) -> tuple[FloatArray, float]:
        v0 = g * flights_s[k] / 2
        tau = fracs[k] * v0 / (g * (peaks_g[k] - 1.0) * np.e)
        land = landings[k]
        pulse = (peaks_g[k] - 1.0) * alpha_pulse(t, land, tau)
        ring = np.where(
            t >= land, np.exp(-(t - land) / 0.04) * np.sin(2 * np.pi * 18.0 * (t - land)), 0
        )
        pulse += 0.15 * (peaks_g[k] - 1.0) * ring * (t > land + 2 * tau)
        return np.where(t >= land, pulse, 0.0), tau

    # First jump: countermovement from standing, as ``countermovement_jump`` draws it.
    v0 = g * flights_s[0] / 2
    a2 = (2 * v0 / g + a1 * d1 + dd) / d2
    f = 1.0 - a1 * hann_lobe(t, t_unw, d1) + a2 * hann_lobe(t, t_prop, d2)
    mask, value = fall(takeoffs[0])
    f[mask] = value
    push = horizontal_mps[0] / g * hann_lobe(t, t_prop, d2) / (d2 / 2)
    for k in range(n_jumps):
        f[(t >= takeoffs[k]) & (t < landings[k])] = 0.0
        pulse, tau = impact(k)
        land = landings[k]
        if k + 1 < n_jumps:
            # A rebound contact: impact, one loading lobe, the fall to zero at takeoff.
            off = takeoffs[k + 1]
            on = (t >= land) & (t < off)
            lobe = hann_lobe(t, land, off - land)
            need = flights_s[k] / 2 + flights_s[k + 1] / 2 + dd / 2
            have = float(np.sum(pulse[on])) * DT_S
            amp = (need - have) / ((off - land) / 2)
            base = np.ones_like(t)
            mask, value = fall(off)
            base[mask] = value
            f[on] = base[on] + pulse[on] + amp * lobe[on]
            c = off - land
            brake = hann_lobe(t, land, 0.6 * c) / (0.3 * c)
            start = land + 0.35 * c
            drive = hann_lobe(t, start, off - start) / ((off - start) / 2)
            push += (-horizontal_mps[k] * brake + horizontal_mps[k + 1] * drive) / g
        else:
            v_last = g * flights_s[k] / 2
            a3 = (v_last / g - (peaks_g[k] - 1.0) * np.e * tau) / (d3 / 2)
            after = t >= land
            f[after] = 1.0 + pulse[after] + a3 * hann_lobe(t[after], land, d3)
            push -= horizontal_mps[k] / g * hann_lobe(t, land, 0.25) / 0.125
    vert = f - 1.0
    flight_rel = np.zeros((n, 3))
    for k in range(n_jumps):
        x = np.clip((t - takeoffs[k]) / flights_s[k], 0.0, 1.0)
        inside = (t >= takeoffs[k]) & (t < landings[k])
        flight_rel[inside, 0] = (
            0.6 * tucks[k] * np.sin(4 * np.pi * x[inside] + 0.5) * np.sin(np.pi * x[inside])
        )
        flight_rel[inside, 2] = tucks[k] * np.sin(2 * np.pi * x[inside])
    acc_com = np.stack([push, np.zeros_like(t), vert], axis=1)

    leans = [_lean(h) for h in horizontal_mps]
    trunk_keys = [(0.0, 0.0), (t_unw, 0.0), (t_prop + 0.1, leans[0])]
    shank_keys = [(0.0, 0.0), (t_unw, 0.0), (t_prop + 0.1, 0.7 * leans[0])]
    for k in range(n_jumps):
        if k > 0:
            # The shorter the contact, the less the joints flex (a "bounce" rebound keeps
            # the hips and knees stiffer than a countermovement: Bobbert et al., Med. Sci.
            # Sports Exerc. 19 (1987) 332-338): 0.6 of the lean at a 0.5 s contact, about
            # 0.3 of it at 0.25 s, 0.2 at 0.15 s.
            c = contacts_s[k - 1]
            share = min(0.6, 1.2 * c)
            mid_contact = landings[k - 1] + 0.45 * c
            trunk_keys.append((mid_contact, share * leans[k]))
            shank_keys.append((mid_contact, share * 0.7 * leans[k]))
        at_takeoff = _trunk_at_takeoff(horizontal_mps[k], fracs[k])
        mid = 0.5 * (takeoffs[k] + landings[k])
        # In the air the trunk turns under a bounded internal moment (the legs counter-
        # rotate; angular momentum is conserved), so the angle it covers grows as T²: a
        # 0.4 s flight reaches the landing posture (5°) as in ``countermovement_jump``, a
        # 0.2 s hop a quarter of the way (turning the whole way put a 0.95 g lever-arm
        # bump into a 0.2 s flight at the chest; the real sacrum jump reads 0.1-0.4 g).
        at_landing = at_takeoff + (5.0 - at_takeoff) * min(1.0, (flights_s[k] / 0.4) ** 2)
        trunk_keys += [
            (takeoffs[k], at_takeoff),
            (mid, 0.5 * (at_takeoff + at_landing)),
            (landings[k], at_landing),
        ]
        shank_keys += [(takeoffs[k], -3.0), (mid, 3.0), (landings[k], 6.0)]
    last = landings[-1]
    trunk_keys += [(last + 0.3, 0.8 * leans[-1]), (last + 1.0, 0.0), (duration, 0.0)]
    shank_keys += [(last + 0.25, 0.8 * 0.7 * leans[-1]), (last + 1.0, 0.0), (duration, 0.0)]
    if placement.is_leg:
        alpha = _keyframes_linked(t, shank_keys, landings)
        motion = _shank_linked(
            t,
            acc_com,
            takeoffs,
            landings,
            alpha,
            sensor_m=SHANK_SENSOR_M * body.leg_scale,
            shock_g=tibial_shock_g,
        )
    else:
        pitch = _keyframes_linked(t, trunk_keys, landings)
        motion = trunk_motion(t, acc_com + flight_rel, pitch, placement, body)

    vel = np.cumsum(push) * DT_S * g
    pos = np.cumsum(vel) * DT_S
    force = motion.specific_force_g()
    labels: list[dict[str, object]] = []
    bouts: list[dict[str, object]] = []
    for k in range(n_jumps):
        # Travel of the centre of mass from the middle of the contact before (the start of
        # the countermovement for the first jump) to the middle of the contact after (half
        # a second after the last landing).
        begin = t_unw if k == 0 else 0.5 * (landings[k - 1] + takeoffs[k])
        end = 0.5 * (landings[k] + takeoffs[k + 1]) if k + 1 < n_jumps else last + 0.5
        i0, i1 = np.searchsorted(t, [begin, end])
        stop = takeoffs[k + 1] if k + 1 < n_jumps else duration
        window = (t >= landings[k]) & (t < stop)
        h = horizontal_mps[k]
        direction = "vertical" if abs(h) < 0.15 else ("backward" if h < 0 else "forward")
        labels.append(
            {
                "takeoff_t": takeoffs[k],
                "landing_t": landings[k],
                "flight_time_s": flights_s[k],
                "height_m": g * flights_s[k] ** 2 / 8.0,
                "direction": direction,
                "distance_m": float(pos[min(i1, n - 1)] - pos[i0]),
                "peak_g": float(np.max(np.linalg.norm(force[window], axis=1))),
                # Ground contact before this jump (linked jumps only), the set and the
                # repetition within it (as the jump detector numbers them).
                "contact_s": contacts_s[k - 1] if k > 0 else None,
                "set": set_number,
                "repetition": k + 1,
            }
        )
        bouts.append(
            {"kind": "jumps", "start": begin, "end": landings[k] + 0.5, "direction": direction}
        )
    return Segment(motion, Labels(steps=[], jumps=labels, bouts=bouts))


def _shank_linked(
    t: FloatArray,
    acc_com_g: FloatArray,
    takeoffs: list[float],
    landings: list[float],
    alpha: FloatArray,
    *,
    sensor_m: float = SHANK_SENSOR_M,
    shock_g: float = TIBIAL_SHOCK_G,
) -> Motion:
    """Shank sensor through linked jumps, each contact as ``_shank_motion`` draws one.

    The ankle rests on the ground during each contact until the heel rises in the last
    60 ms before toe-off, moves with the body in flight, lands toes first and lets the heel
    down over 0.1 s.
    """
    g = STANDARD_GRAVITY_M_S2
    vel = np.cumsum(acc_com_g, axis=0) * DT_S * g
    follow = np.zeros_like(t)
    for off, land in zip(takeoffs, landings, strict=True):
        rise = np.clip((t - (off - 0.06)) / 0.06, 0.0, 1.0)
        settle = np.clip(1.0 - (t - land) / 0.015, 0.0, 1.0)
        part = np.where(t < off, rise, np.where(t < land, 1.0, settle))
        part = np.where(t >= off - 0.06, part, 0.0)
        follow = np.maximum(follow, part)
    ankle = np.cumsum(vel * follow[:, None], axis=0) * DT_S
    for land in landings:
        after = t >= land
        if after.any():
            i = int(np.argmax(after))
            ankle[after, 2] -= ankle[i, 2] * smoothstep((t[after] - land) / 0.1)
    up = np.stack([np.sin(alpha), np.zeros_like(t), np.cos(alpha)], axis=1)
    point = ankle + sensor_m * up
    acc = second_derivative(point) / g
    for land in landings:
        # The tibial shock of each contact (Lafortune et al. 1996), as in ``_shank_motion``.
        acc[:, 2] += shock_g * alpha_pulse(t, land, 0.004)
    return Motion(acc, rot_y(alpha))
