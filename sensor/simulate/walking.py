"""Walking forward and backward, for trunk (chest, waist), shank/foot and wrist sensors.

Notes
-----
- Trunk: the centre of mass vaults over the stance leg as an inverted pendulum, lowest in
  double support just after heel strike, highest at mid-stance: vertical acceleration peaks
  shortly after contact, fore-aft acceleration rises slowly over single support (falling
  forward over the stance foot) and drops sharply after heel strike (braking as the body
  rises over the new leg); medio-lateral sway runs at stride frequency (Zijlstra and Hof,
  Gait Posture 18 (2003) 1-10; Moe-Nilssen and Helbostad, J. Biomech. 37 (2004) 121-126).
- Double support lasts about 12 % of the gait cycle after each heel strike (Perry and
  Burnfield, *Gait Analysis*, 2nd ed., 2010), i.e. 24 % of a step: ``DOUBLE_SUPPORT_STEP``.
- Backward walking is forward walking played in reverse time (Thorstensson, Med. Sci. Sports
  Exerc. 18 (1986) 46-51; Grasso, Bianchi and Lacquaniti, J. Neurophysiol. 80 (1998)
  1868-1885): the kinematics (positions, orientations) of a forward bout are reversed, which
  keeps accelerations and flips angular rates. Contact events are not reversed: in backward
  walking the toe lands first (at the reversed time of the forward toe-off) and the impact
  is softer and slower than a heel strike (Grasso 1998), so the contact transients are added
  after the reversal, sharp for heel strikes and soft for toe contacts.
- Shank: sagittal shank angle over the gait cycle after Winter, *Biomechanics and Motor
  Control of Human Movement*, 4th ed., 2009 (appendix kinematics); its swing-phase angular
  velocity peaks at 300-400 deg/s (Aminian et al., J. Biomech. 35 (2002) 689-699).
- Wrist: the arm swings as a pendulum at stride frequency, opposite to the ipsilateral leg
  (Meyns, Bruijn and Duysens, Gait Posture 38 (2013) 555-562).
- Thigh (a front trouser pocket or a thigh strap): the sensor sits half-way down the thigh
  and turns with it; thigh angle over the gait cycle after Winter (2009).
- Foot (a band on the instep or the shoe): the foot lands on its heel toes up, lies flat on
  the ground from about 8 % to 40 % of the gait cycle, rolls over its toes to toe-off at
  62 %, and swings through toes down and back up (Perry and Burnfield 2010; foot angle after
  Winter 2009). It pitches through about 80° between toe-off and contact, within the 60-90°
  of the real IPOL foot sensors, and does not move while flat: what foot-mounted step
  detectors and zero-velocity updates rely on (Skog et al., IEEE Trans. Biomed. Eng. 57
  (2010) 2657-2666).
- What varies between people (``walk_bout``'s keyword arguments; the defaults are the
  reference walker): body and leg size (``sensor.simulate.body``), step length, the fore-aft
  sway of the trunk relative to its vertical motion (0.36-1.31 between the 5th and 95th
  percentile of the real lower-back walks, 0.46-0.73 on the real chest walks, measured as
  ``fore_aft_ratio`` is), and soft or hard heel strikes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, signal
from scipy.interpolate import CubicSpline, PchipInterpolator

from analysis.types import FloatArray, Placement
from analysis.units import STANDARD_GRAVITY_M_S2
from sensor.simulate.body import REFERENCE_BODY, Body
from sensor.simulate.motion import (
    DT_S,
    FINE_HZ,
    Motion,
    alpha_pulse,
    euler_zyx,
    from_positions,
    gaussian_smooth,
    grid,
    n_fine,
    rot_y,
    smoothstep,
)
from sensor.simulate.truth import Labels, Segment

DOUBLE_SUPPORT_STEP = 0.24
#: The closing step of a forward walk, as a fraction of a step time. To stop, the trailing
#: foot is brought level with the leading one and lands with a contact while the body
#: decelerates over that last step (Jian, Winter, Ishac and Gilchrist, Gait Posture 1
#: (1993) 9-22). In the real lower-back walks (shared/data/real/as-recordings/ipol_*) the
#: labelled closing contact comes 0.85-0.95 of a median step after the last full one, with
#: hardly any trunk signal of its own (the trunk is nearly still by then).
CLOSING_STEP = 0.85
#: Mean walking speed factor: step length 0.65 m at ``amp`` 1 (about 1.2 m/s at 110 steps/min).
STEP_LENGTH_M = 0.65

#: Shank angle from vertical over the gait cycle (degrees, positive = ankle behind the knee),
#: heel strike at 0; after Winter (2009). Toe-off near 62 %.
_SHANK_KEYS = (
    (0.00, -20.0),
    (0.15, -10.0),
    (0.40, 10.0),
    (0.55, 35.0),
    (0.62, 45.0),
    (0.75, 30.0),
    (0.87, -10.0),
    (0.95, -22.0),
    (1.00, -20.0),
)
#: Thigh angle (degrees, negative = knee ahead of the hip), after Winter (2009).
_THIGH_KEYS = ((0.0, -25.0), (0.5, 10.0), (0.6, 5.0), (0.85, -30.0), (1.0, -25.0))


def _periodic(keys: tuple[tuple[float, float], ...]) -> CubicSpline:
    x, y = zip(*keys, strict=True)
    return CubicSpline(np.array(x), np.radians(np.array(y)), bc_type="periodic")


_SHANK = _periodic(_SHANK_KEYS)
_THIGH = _periodic(_THIGH_KEYS)

#: Foot pitch from the ground (degrees, positive = toes up) over the gait cycle, heel strike
#: at 0: loading response to foot flat by 8 %, flat until the heel rises at 40 %, toe-off at
#: 62 % 55° toes down, the most toes-down (62°) just after it, then dorsiflexion through the
#: swing into the next contact (Perry and Burnfield 2010; Winter 2009). Peak rates about
#: 400 deg/s both in push-off and in mid-swing at 105 steps/min; the real IPOL feet reach
#: 270-460 and 440-680 deg/s (1st and 99th percentiles of their sagittal rate).
_FOOT_KEYS = (
    (0.00, 20.0),
    (0.08, 0.0),
    (0.40, 0.0),
    (0.50, -12.0),
    (0.56, -32.0),
    (0.62, -55.0),
    (0.66, -62.0),
    (0.74, -42.0),
    (0.82, -8.0),
    (0.90, 12.0),
    (0.96, 20.0),
    (1.00, 20.0),
)
#: The foot's toe-off, as a fraction of the gait cycle.
_TOE_OFF = 0.62
#: Foot geometry (m, reference body): the toes' ground contact ahead of the heel's, and the
#: band on the instep, ahead of and above the heel's contact point.
_TOE_M = np.array([0.18, 0.0])
_INSTEP_M = np.array([0.08, 0.07])
#: How high the instep rises above its path in the swing (m): highest early in the swing,
#: while the knee flexes, then lowered onto the heel.
_SWING_LIFT_M = 0.06


def _periodic_pchip(keys: tuple[tuple[float, float], ...]) -> PchipInterpolator:
    """A shape-preserving (no overshoot) interpolant of periodic keys, in radians."""
    x, y = zip(*keys, strict=True)
    xs = np.concatenate([np.array(x[:-1]) - 1.0, np.array(x), np.array(x[1:]) + 1.0])
    ys = np.radians(np.concatenate([np.array(y[:-1]), np.array(y), np.array(y[1:])]))
    return PchipInterpolator(xs, ys)


_FOOT = _periodic_pchip(_FOOT_KEYS)


def _foot_pitch(psi: FloatArray) -> FloatArray:
    """Foot pitch (rad) at gait phase ``psi`` (periodic)."""
    out: FloatArray = _FOOT(psi % 1.0)
    return out


def _contacts(
    rng: np.random.Generator, duration_s: float, cadence_spm: float, cv: float
) -> FloatArray:
    """Foot contact times of a bout (first one about a step after the start)."""
    step_s = 60.0 / cadence_spm
    times = [0.6 * step_s + 0.2]
    while True:
        nxt = times[-1] + step_s * (1.0 + cv * rng.standard_normal())
        if nxt > duration_s - 0.8 * step_s - 0.2:
            break
        times.append(nxt)
    return np.array(times)


def _phase(t: FloatArray, events: FloatArray) -> tuple[NDArray[np.intp], FloatArray]:
    """Index of the last event before each ``t`` and the phase within that interval.

    Before the first and after the last event the phase continues with the neighbouring
    interval's length, so templates stay smooth through gait initiation and termination.
    """
    first = events[1] - events[0] if events.size > 1 else 1.0
    last = events[-1] - events[-2] if events.size > 1 else 1.0
    ext = np.concatenate([[events[0] - 2 * first, events[0] - first], events, [events[-1] + last]])
    ext = np.concatenate([ext, [ext[-1] + last, ext[-1] + 2 * last]])
    k = np.clip(np.searchsorted(ext, t, side="right") - 1, 0, ext.size - 2)
    phase = (t - ext[k]) / (ext[k + 1] - ext[k])
    index: NDArray[np.intp] = k - 2
    return index, phase


def _envelope(t: FloatArray, contacts: FloatArray, step_s: float) -> FloatArray:
    """Gait initiation over the first step, termination over the last.

    ``contacts`` ends with the closing contact (see ``CLOSING_STEP``): the body decelerates
    from the last full heel strike on, through the closing step, and settles half a step
    after the closing foot lands (Jian et al. 1993). On the real lower-back walks
    (shared/data/real/as-recordings/ipol_*) the trunk's vertical pulse (0.5-3 Hz) of the
    closing contact is 0.11-0.28 of the walk's median, that of the last full step 0.45-1.0;
    this envelope gives about 0.2 and 0.9.
    """
    rise = smoothstep((t - (contacts[0] - step_s)) / step_s)
    last, closing = contacts[-2], contacts[-1]
    settled = closing + 0.5 * step_s
    fall = smoothstep((settled - t) / (settled - last))
    out: FloatArray = rise * fall
    return out


#: Spread (Gaussian sigma, s) of the trunk's mean speed change around the envelope's rise and
#: fall: the centre of mass starts to move forward in the anticipatory postural adjustments
#: before the first toe-off and reaches steady speed within two to three steps (Breniere and
#: Do, J. Biomech. 19 (1986) 1035-1040; Jian et al. 1993). On the real lower-back walks
#: (shared/data/real/as-recordings/ipol_*) the fore-aft acceleration low-passed at 1 Hz
#: peaks at 0.07-0.11 g when starting and -0.04 to -0.13 g when stopping; 0.4 s gives about
#: 0.1 g at 1.2 m/s.
SPEED_SPREAD_S = 0.4


def _speed_rate(t: FloatArray, contacts: FloatArray, step_s: float) -> FloatArray:
    """Rate of the trunk's mean speed as a fraction of its steady value (1/s)."""
    speed = gaussian_smooth(_envelope(t, contacts, step_s), SPEED_SPREAD_S)
    out: FloatArray = np.gradient(speed, DT_S)
    return out


#: Band in which the trunk's fore-aft sway is compared with its vertical motion
#: (``fore_aft_ratio``): the step and stride fundamentals and their first harmonics, the
#: band the trunk step detector works in.
SWAY_BAND_HZ = (0.5, 3.0)


def sway_ratio(force_g: FloatArray, steady: NDArray[np.bool_]) -> float:
    """Fore-aft over vertical standard deviation of a trunk's specific force (body frame).

    Both are band-passed to ``SWAY_BAND_HZ`` (zero phase: the simulator sees the whole
    bout) and compared over ``steady`` (the bout at full speed, without its start and stop).
    On the real recordings, the same ratio over each two steps of a walk, gravity levelled
    out first (shared/data/real/as-recordings): lower back (49 IPOL walks) 5th percentile
    0.36, median 0.68, 95th 1.31; chest (4 phone neck-pouch walks) 0.46, 0.60, 0.73.
    """
    sos = signal.butter(2, SWAY_BAND_HZ, btype="band", fs=FINE_HZ, output="sos")
    band = signal.sosfiltfilt(sos, force_g[:, [0, 2]], axis=0)[steady]
    vertical = float(np.std(band[:, 1]))
    return float(np.std(band[:, 0])) / vertical if vertical > 0 else 0.0


def _sawtooth_ap(phase: FloatArray) -> FloatArray:
    """Fore-aft trunk acceleration shape: sharp drop after contact, slow rise to the next."""
    drop = 0.12
    out: FloatArray = np.where(
        phase < drop, 1.0 - 2.0 * phase / drop, -1.0 + 2.0 * (phase - drop) / (1.0 - drop)
    )
    return out


def _bump(phase: FloatArray, centre: float, width: float) -> FloatArray:
    """A periodic Gaussian bump on the step phase."""
    d = (phase - centre + 0.5) % 1.0 - 0.5
    out: FloatArray = np.exp(-0.5 * (d / width) ** 2)
    return out


def _vertical(phase: FloatArray) -> FloatArray:
    """Vertical trunk acceleration shape over a step, zero mean.

    The centre of mass is lowest and turning upward in double support: the vertical peak
    comes within the first tenth of the step after heel strike, before the fore-aft
    minimum, with a smaller second peak about a third into the step, and -0.1 to -0.2 g
    through single support (stride-averaged real lower-back walks in
    shared/data/real/as-recordings/ipol_*; Zijlstra and Hof 2003).
    """
    shape = _bump(phase, 0.08, 0.05) + 0.4 * _bump(phase, 0.33, 0.05)
    out: FloatArray = shape - 1.4 * 0.05 * np.sqrt(2 * np.pi)
    return out


def _trunk_forward(
    rng: np.random.Generator,
    t: FloatArray,
    contacts: FloatArray,
    step_s: float,
    amp: float,
    chest: bool,
    *,
    step_length_m: float | None = None,
) -> Callable[[float], Motion]:
    """The trunk's motion as a function of the gain of its fore-aft sway (1: as drawn).

    The fore-aft sway is the walking pattern's fore-aft acceleration and the trunk's pitching
    with each step (which tilts gravity into the fore-aft axis): both scale together.
    """
    k, phase = _phase(t, contacts)
    stride = ((k % 2) + phase) / 2.0
    env = _envelope(t, contacts, step_s)
    # Waist amplitudes (g) from Zijlstra and Hof (2003), Moe-Nilssen (2004) and the real
    # lower-back walks at ~1.2 m/s; the chest moves less vertically and fore-aft but rotates
    # more.
    av, aap, aml, rot_scale = (0.5, 0.18, 0.09, 1.4) if chest else (0.65, 0.24, 0.12, 1.0)
    # No two steps are alike: 10 % step-to-step amplitude variation, a left-right asymmetry
    # of a few per cent, and unstructured trunk motion of a few hundredths of a g.
    per_step = 1.0 + 0.1 * rng.standard_normal((contacts.size + 6, 2))
    per_step[::2] *= 1.0 + 0.04 * rng.standard_normal(2)
    idx = np.clip(k + 2, 0, per_step.shape[0] - 1)
    vert = av * _vertical(phase) * per_step[idx, 0]
    ap = aap * gaussian_smooth(_sawtooth_ap(phase), 0.012) * per_step[idx, 1]
    ml = aml * np.sin(2 * np.pi * stride)
    wobble = gaussian_smooth(rng.standard_normal((t.size, 3)), 0.015) * 0.03 / 0.12
    acc = amp * env[:, None] * (np.stack([ap, ml, vert], axis=1) + wobble)
    # The trunk's mean forward speed rises from standing and falls back to it: pushed
    # forward when starting, braked when stopping (Jian et al. 1993; ``SPEED_SPREAD_S``).
    speed_mps = (STEP_LENGTH_M * amp if step_length_m is None else step_length_m) / step_s
    acc[:, 0] += speed_mps * _speed_rate(t, contacts, step_s) / STANDARD_GRAVITY_M_S2
    deg = np.radians(rot_scale) * env * amp
    pitch = 1.5 * deg * np.cos(2 * np.pi * phase)
    roll = 2.5 * deg * np.sin(2 * np.pi * stride)
    yaw = 3.0 * deg * np.sin(2 * np.pi * stride + 0.4)
    sway = np.zeros_like(acc)
    sway[:, 0] = amp * env * ap

    def swayed(gain: float) -> Motion:
        if gain == 1.0:
            return Motion(acc, euler_zyx(roll, pitch, yaw))
        return Motion(acc + (gain - 1.0) * sway, euler_zyx(roll, gain * pitch, yaw))

    return swayed


def _without_sway(motion: Motion) -> Callable[[float], Motion]:
    """A limb's motion, which has no trunk sway to scale."""
    return lambda _gain: motion


def _gain_for_ratio(
    swayed: Callable[[float], Motion], ratio: float, steady: NDArray[np.bool_]
) -> float:
    """The gain of the fore-aft sway at which ``sway_ratio`` over ``steady`` is ``ratio``.

    What is left without any sway (side-to-side sway and yaw leaking into the fore-aft
    axis, the trunk's unstructured wobble) sets the smallest ratio reachable; a ratio below
    it gives gain 0.
    """

    def excess(gain: float) -> float:
        return sway_ratio(swayed(gain).specific_force_g(), steady) - ratio

    if excess(0.0) >= 0.0:
        return 0.0
    hi = 1.0
    while excess(hi) < 0.0:
        if hi >= 64.0:
            return hi
        hi *= 2.0
    return float(optimize.brentq(excess, 0.0, hi, xtol=1e-4))


#: Where a shank band sits below the knee (m, reference body): a little above the ankle.
_BELOW_KNEE_M = 0.3
#: A front trouser pocket or a thigh strap: half-way from the hip to the knee.
_THIGH_SENSOR = 0.5


def _leg_forward(
    t: FloatArray,
    contacts: FloatArray,
    step_s: float,
    amp: float,
    placement: Placement,
    *,
    body: Body = REFERENCE_BODY,
    step_length_m: float | None = None,
) -> Motion:
    """Left leg: contacts[0::2] are left heel strikes.

    ``amp`` scales the joint excursions; the leg's lengths scale with ``body.leg_scale``.
    """
    env = _envelope(t, contacts, step_s)
    left = contacts[0::2]
    if left.size < 2:
        left = np.array([contacts[0], contacts[0] + 2 * step_s])
    stride, psi = _phase(t, left)
    shank = env * amp * _SHANK(psi % 1.0)
    thigh = env * amp * _THIGH(psi % 1.0)
    _, phase = _phase(t, contacts)
    step_len_m = STEP_LENGTH_M * amp if step_length_m is None else step_length_m
    speed = env * step_len_m / step_s
    legs = body.leg_scale
    hip_x = np.cumsum(speed) * DT_S
    hip_z = 0.9 * legs - env * 0.022 * legs * np.cos(2 * np.pi * (phase - 0.1))
    if placement is Placement.FOOT:
        return _foot_forward(t, left, stride, psi, env * amp, hip_x, legs)
    if placement is Placement.THIGH:
        reach = _THIGH_SENSOR * 0.45 * legs
        pos = np.stack(
            [hip_x - reach * np.sin(thigh), np.zeros_like(t), hip_z - reach * np.cos(thigh)],
            axis=1,
        )
        return from_positions(gaussian_smooth(pos, 0.004), rot_y(thigh))
    knee_x = hip_x - 0.45 * legs * np.sin(thigh)
    knee_z = hip_z - 0.45 * legs * np.cos(thigh)
    radius_m = _BELOW_KNEE_M * legs
    pos = np.stack(
        [knee_x - radius_m * np.sin(shank), np.zeros_like(t), knee_z - radius_m * np.cos(shank)],
        axis=1,
    )
    return from_positions(gaussian_smooth(pos, 0.004), rot_y(shank))


def _rotate(v: FloatArray, angle: FloatArray) -> FloatArray:
    """The (forward, up) vector ``v`` turned by ``angle`` (positive: forward towards up)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * v[0] - s * v[1], s * v[0] + c * v[1]], axis=1)


def _foot_forward(
    t: FloatArray,
    left: FloatArray,
    stride: NDArray[np.intp],
    psi: FloatArray,
    scale: FloatArray,
    hip_x: FloatArray,
    legs: float,
) -> Motion:
    """Left foot: flat and still on the ground in stance, pitching over heel and toes.

    ``left`` holds the left heel strikes, ``stride`` and ``psi`` the index of the last one
    (``_phase``: before the first and after the last, strides of the neighbouring length)
    and the gait phase since it, ``scale`` the pitch's amplitude over time (the bout's
    envelope times its amplitude), ``hip_x`` the body's forward path: each heel lands where
    the hip is at its contact.
    """
    pitch = scale * _foot_pitch(psi)
    toe, instep = _TOE_M * legs, _INSTEP_M * legs
    first = left[1] - left[0] if left.size > 1 else 1.0
    last = left[-1] - left[-2] if left.size > 1 else 1.0

    def landing_x(i: NDArray[np.intp]) -> FloatArray:
        when = np.where(
            i < 0,
            left[0] + i * first,
            np.where(i >= left.size, left[-1] + (i - left.size + 1) * last, left[i % left.size]),
        )
        out: FloatArray = np.interp(np.clip(when, 0.0, t[-1]), t, hip_x)
        return out

    heel, nxt = landing_x(stride), landing_x(stride + 1)
    # Stance: rolling over the heel (toes up) or the toes (heel up), else flat.
    over_heel = _rotate(instep, np.maximum(pitch, 0.0))
    over_toe = toe + _rotate(instep - toe, np.minimum(pitch, 0.0))
    stance = np.where((pitch >= 0.0)[:, None], over_heel, over_toe)
    stance[:, 0] += heel
    # Swing: from the toe-off posture to the next heel strike's, lifted in between.
    off = scale * _foot_pitch(np.full(1, _TOE_OFF))
    on = scale * _foot_pitch(np.zeros(1))
    start = toe + _rotate(instep - toe, np.minimum(off, 0.0))
    start[:, 0] += heel
    end = _rotate(instep, np.maximum(on, 0.0))
    end[:, 0] += nxt
    w = smoothstep((psi - _TOE_OFF) / (1.0 - _TOE_OFF))
    swing = start + w[:, None] * (end - start)
    travel = np.clip(np.abs(nxt - heel) / (0.5 * legs), 0.0, 1.0)
    early = w * (2.0 - w)
    swing[:, 1] += _SWING_LIFT_M * legs * np.sin(np.pi * early) * travel
    plane = np.where((psi < _TOE_OFF)[:, None], stance, swing)
    pos = np.stack([plane[:, 0], np.zeros_like(t), plane[:, 1]], axis=1)
    return from_positions(gaussian_smooth(pos, 0.004), rot_y(-pitch))


def _wrist_forward(
    rng: np.random.Generator, t: FloatArray, contacts: FloatArray, step_s: float, amp: float
) -> Motion:
    trunk = _trunk_forward(rng, t, contacts, step_s, amp, chest=False)(1.0)
    env = _envelope(t, contacts, step_s)
    left = contacts[0::2]
    if left.size < 2:
        left = np.array([contacts[0], contacts[0] + 2 * step_s])
    _, psi = _phase(t, left)
    swing = env * amp * np.radians(22.0) * np.cos(2 * np.pi * psi)
    rel = np.stack([-0.6 * np.sin(swing), np.zeros_like(t), -0.6 * np.cos(swing)], axis=1)
    arm = from_positions(rel, rot_y(swing))
    return Motion(0.6 * trunk.acc_world_g + arm.acc_world_g, arm.rot)


def _impacts(
    t: FloatArray,
    contacts: FloatArray,
    backward: bool,
    placement: Placement,
    scale: FloatArray,
    own_leg: NDArray[np.bool_],
    gain: float = 1.0,
) -> FloatArray:
    """Contact transients in the world frame (g): sharp heel strikes, soft toe contacts.

    ``gain`` makes every contact harder (> 1) or softer (< 1): a contact is a mass meeting
    the heel pad and shoe as a spring, whose peak grows with the touchdown speed ``v`` and
    the stiffness's angular frequency ``w`` (``v w``) while its rise time goes as ``1/w``;
    harder strikes are taken to come half from each, so the rise time goes as
    ``gain^-1/2`` (peak and loading rate rise together, Lafortune et al. 1996).
    """
    acc = np.zeros((t.size, 3))
    if placement.is_trunk:
        # A small sharp transient at heel strike; most of the trunk's loading comes later.
        peak_z, peak_x = (0.25, -0.2) if placement.canonical is Placement.WAIST else (0.18, -0.12)
    elif placement is Placement.WRIST:
        peak_z, peak_x = 0.15, -0.08
    elif placement is Placement.FOOT:
        # Nearer the ground than a shank band, with no tibia to damp the heel strike: the
        # real IPOL foot sensors peak at 2.2-5.9 g per foot (median of their contacts).
        peak_z, peak_x = 3.5, -1.8
    else:
        peak_z, peak_x = 2.5, -1.2
    tau = 0.018 if backward else 0.007
    if backward:
        # Toe first, then a gradual roll onto the heel: lower peak, slower rise (Grasso 1998).
        peak_z, peak_x = 0.45 * peak_z, -0.5 * peak_x
    if gain != 1.0:
        peak_z, peak_x, tau = gain * peak_z, gain * peak_x, tau / np.sqrt(gain)
    for i, (c, s) in enumerate(zip(contacts, scale, strict=True)):
        gain = s
        if placement.is_leg and not own_leg[i]:
            gain = 0.15 * s  # the other leg's contact, felt through the pelvis
        window = slice(max(0, int((c - 0.01) * FINE_HZ)), min(t.size, int((c + 0.3) * FINE_HZ)))
        shape = alpha_pulse(t[window], c, tau)
        acc[window, 2] += gain * peak_z * shape
        acc[window, 0] += gain * peak_x * shape
    return acc


def walk_bout(
    rng: np.random.Generator,
    placement: Placement,
    *,
    duration_s: float,
    backward: bool,
    cadence_spm: float,
    amp: float = 1.0,
    cv: float = 0.025,
    body: Body = REFERENCE_BODY,
    leg_amp: float | None = None,
    step_length_m: float | None = None,
    fore_aft_ratio: float | None = None,
    heel_strike_gain: float = 1.0,
) -> Segment:
    """One walking bout, starting and ending at rest, with its step labels.

    Parameters
    ----------
    duration_s
        Length of the segment, standing moments at both ends included.
    backward
        Walk backward (the forward bout's kinematics in reverse time).
    cadence_spm
        Steps per minute (both directions keep the cadence, Thorstensson 1986).
    amp
        Amplitude factor (speed and walking style); backward walking is slower.
    cv
        Step-to-step variability of step time (coefficient of variation), 2-4 % in healthy
        adults (Hausdorff, J. NeuroEng. Rehabil. 2 (2005) 19).
    body
        The walker's size: a leg band's lengths scale with the legs.
    leg_amp
        Amplitude factor of the legs' joint angles (default ``amp``).
    step_length_m
        Step length (default ``STEP_LENGTH_M * amp``): the speed of the legs and the trunk.
    fore_aft_ratio
        The trunk's fore-aft sway relative to its vertical motion, as ``sway_ratio``
        measures it on the bout at full speed, heel strikes included (default: as drawn,
        0.9 on the reference walker); the fore-aft sway (the walking pattern's fore-aft
        acceleration and the trunk's pitching with each step) is scaled to give it. Trunk
        placements only.
    heel_strike_gain
        Harder (> 1) or softer (< 1) foot contacts than the reference walker's (see
        ``_impacts``).
    """
    n = n_fine(duration_s)
    t = grid(n)
    step_s = 60.0 / cadence_spm
    contacts = _contacts(rng, duration_s, cadence_spm, cv)
    # The forward walk ends with the closing contact (``CLOSING_STEP``); the kinematics see
    # it as the last contact, the labels below decide whether it is one.
    closing = contacts[-1] + CLOSING_STEP * step_s
    kin_contacts = np.append(contacts, closing)
    # Placement-specific detail draws from its own generator, so that one seed is one
    # session whatever the placement (several bands on the same walk).
    detail = np.random.default_rng(int(rng.integers(2**63)))
    p = placement.canonical
    swayed: Callable[[float], Motion]
    if p.is_trunk:
        swayed = _trunk_forward(
            detail,
            t,
            kin_contacts,
            step_s,
            amp,
            chest=p is Placement.CHEST,
            step_length_m=step_length_m,
        )
    else:
        if p is Placement.WRIST:
            unswayed = _wrist_forward(detail, t, kin_contacts, step_s, amp)
        else:
            unswayed = _leg_forward(
                t,
                kin_contacts,
                step_s,
                amp if leg_amp is None else leg_amp,
                p,
                body=body,
                step_length_m=step_length_m,
            )
        swayed = _without_sway(unswayed)
    sides = np.array(["left", "right"] * (contacts.size // 2 + 1))[: contacts.size]
    durations = np.diff(kin_contacts)
    scale = rng.uniform(0.7, 1.3, contacts.size)
    if backward:
        # The forward bout starts from standing: the first foot toes off before the first
        # heel strike (the kinematics hold its swing, see ``_phase``), at the toe-off of the
        # step before, which the phase extends back by one interval. Reversed, that toe-off is
        # the foot landing that ends the backward walk with the feet together: a real contact,
        # labelled like every other reversed toe-off (the IPOL walks label the closing step
        # too). Soft, like the gait-termination step it is: the lowest gain of the range.
        first = contacts[1] - contacts[0] if contacts.size > 1 else step_s
        contacts = np.concatenate([[contacts[0] - first], contacts])
        durations = np.concatenate([[first], durations])
        sides = np.concatenate([["right"], sides])
        scale = np.concatenate([scale, [0.7]])
        # Backward contact = reversed forward toe-off of the trailing foot.
        contacts = duration_s - (contacts + DOUBLE_SUPPORT_STEP * durations)
        contacts, sides = contacts[::-1], sides[::-1]
        # The forward closing contact, reversed, is the first foot lifting from standing
        # (backward gait initiation): a toe-off, no contact, no label.
    else:
        # The forward walk's closing contact: the trailing foot lands level with the other
        # one, slowly (the lowest gain of the range), and is labelled like the IPOL walks'.
        contacts = kin_contacts
        sides = np.append(sides, "left" if sides[-1] == "right" else "right")
        scale = np.append(scale, 0.7)
    # The foot that toes off in forward time is the other one: in reverse it lands.
    if backward:
        sides = np.where(sides == "left", "right", "left")
    # A leg sensor sits on the left leg: the right leg's contacts reach it only faintly.
    impacts = _impacts(t, contacts, backward, p, scale, sides == "left", heel_strike_gain)

    def walked(gain: float) -> Motion:
        forward = swayed(gain)
        moved = forward.reversed() if backward else forward
        return Motion(moved.acc_world_g + impacts, moved.rot)

    gain = 1.0
    if fore_aft_ratio is not None and p.is_trunk:
        # Over the bout at full speed: from 1.5 s after its first contact to 1 s before
        # its last full one (the start and the stop push and brake the trunk fore-aft).
        env = _envelope(t, kin_contacts, step_s)
        steady = (env > 0.999) & (t >= kin_contacts[0] + 1.5) & (t <= kin_contacts[-2] - 1.0)
        steady = steady if steady.any() else env > 0.999
        gain = _gain_for_ratio(walked, fore_aft_ratio, steady[::-1] if backward else steady)
    motion = walked(gain)
    direction = "backward" if backward else "forward"
    steps = [
        {"t": float(c), "direction": direction, "side": str(s)}
        for c, s in zip(contacts, sides, strict=True)
    ]
    bouts = [
        {
            "kind": "walk",
            "start": float(contacts[0]),
            "end": float(contacts[-1]),
            "direction": direction,
            "cadence_spm": cadence_spm,
        }
    ]
    return Segment(motion, Labels(steps=steps, bouts=bouts))


def stand(rng: np.random.Generator, duration_s: float, rot: FloatArray | None = None) -> Segment:
    """Quiet standing: postural sway of a few mm and a few tenths of a degree.

    Notes
    -----
    Sway of the centre of mass in quiet stance is mostly below 1 Hz with accelerations of a
    few mg (Mancini et al., J. NeuroEng. Rehabil. 9 (2012) 59).
    """
    n = n_fine(duration_s)
    base = Motion.still(n, rot)
    sway = gaussian_smooth(rng.standard_normal((n, 3)), 0.25) * 0.02
    ramp = smoothstep(np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.3 * FINE_HZ))
    angles = gaussian_smooth(rng.standard_normal((n, 3)), 0.4) * np.radians(4.0) * ramp[:, None]
    wobble = euler_zyx(angles[:, 0], angles[:, 1], angles[:, 2] * 0.5)
    rot_all = np.einsum("nij,njk->nik", base.rot, wobble)
    acc = sway * ramp[:, None]
    return Segment(
        Motion(acc, rot_all), Labels(bouts=[{"kind": "stand", "start": 0.0, "end": duration_s}])
    )
