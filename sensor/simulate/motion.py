"""Rigid-segment kinematics on a fine time grid, and what a sensor fixed to it would read.

A ``Motion`` holds, on a uniform grid of ``FINE_HZ``, the acceleration of the sensor point in
the world frame (x forward, y left, z up; in g, gravity excluded) and the orientation of the
segment carrying the sensor (rotation matrices segment -> world; the identity is the upright
standing pose, so at rest the segment frame is the body frame of recording CSV v1).

Notes
-----
An accelerometer measures specific force ``f = R^T (a + g e_z)`` (in g), a gyroscope the body
rate ``w`` with ``[w]x = R^T dR/dt`` (Titterton and Weston, *Strapdown Inertial Navigation
Technology*, 2nd ed., 2004, ch. 3). Time reversal of a motion is reversal of positions and
orientations: accelerations keep their sign, velocities and angular rates flip
(``w_b(t) = -w_f(T - t)``), which is how backward walking and pedalling are made
(Thorstensson 1986; Grasso et al. 1998).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.types import FloatArray
from analysis.units import STANDARD_GRAVITY_M_S2

#: Internal simulation rate: 1 kHz resolves landing impacts (rise times of 5-20 ms) and is
#: five times the highest output rate.
FINE_HZ = 1000.0
DT_S = 1.0 / FINE_HZ


def rot_x(angle_rad: FloatArray) -> FloatArray:
    """Rotation matrices about +x (roll), shape ``(n, 3, 3)``."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    r = np.zeros((angle_rad.shape[0], 3, 3))
    r[:, 0, 0] = 1.0
    r[:, 1, 1], r[:, 1, 2] = c, -s
    r[:, 2, 1], r[:, 2, 2] = s, c
    return r


def rot_y(angle_rad: FloatArray) -> FloatArray:
    """Rotation matrices about +y (pitch; positive tips +z towards +x), shape ``(n, 3, 3)``."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    r = np.zeros((angle_rad.shape[0], 3, 3))
    r[:, 1, 1] = 1.0
    r[:, 0, 0], r[:, 0, 2] = c, s
    r[:, 2, 0], r[:, 2, 2] = -s, c
    return r


def rot_z(angle_rad: FloatArray) -> FloatArray:
    """Rotation matrices about +z (yaw), shape ``(n, 3, 3)``."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    r = np.zeros((angle_rad.shape[0], 3, 3))
    r[:, 2, 2] = 1.0
    r[:, 0, 0], r[:, 0, 1] = c, -s
    r[:, 1, 0], r[:, 1, 1] = s, c
    return r


def euler_zyx(roll_rad: FloatArray, pitch_rad: FloatArray, yaw_rad: FloatArray) -> FloatArray:
    """``Rz(yaw) @ Ry(pitch) @ Rx(roll)`` per sample."""
    out: FloatArray = np.einsum(
        "nij,njk,nkl->nil", rot_z(yaw_rad), rot_y(pitch_rad), rot_x(roll_rad)
    )
    return out


def second_derivative(x: FloatArray) -> FloatArray:
    """Second time derivative on the fine grid, along axis 0."""
    out: FloatArray = np.gradient(np.gradient(x, DT_S, axis=0), DT_S, axis=0)
    return out


@dataclass
class Motion:
    """Sensor-point acceleration (world, g, gravity excluded) and segment orientation."""

    acc_world_g: FloatArray
    rot: FloatArray

    def __post_init__(self) -> None:
        n = self.acc_world_g.shape[0]
        if self.acc_world_g.shape != (n, 3) or self.rot.shape != (n, 3, 3):
            raise ValueError("acc_world_g must be (n, 3) and rot (n, 3, 3)")

    def __len__(self) -> int:
        return int(self.acc_world_g.shape[0])

    @property
    def duration_s(self) -> float:
        return len(self) * DT_S

    @staticmethod
    def still(n: int, rot: FloatArray | None = None) -> Motion:
        """``n`` samples at rest in pose ``rot`` (a single 3×3 matrix; upright by default)."""
        r = np.eye(3) if rot is None else rot
        return Motion(np.zeros((n, 3)), np.broadcast_to(r, (n, 3, 3)).copy())

    def reversed(self) -> Motion:
        """The motion played backwards in time (accelerations keep their sign)."""
        return Motion(self.acc_world_g[::-1].copy(), self.rot[::-1].copy())

    def specific_force_g(self) -> FloatArray:
        """What an accelerometer on the segment reads, in the segment frame (g)."""
        f = self.acc_world_g + np.array([0.0, 0.0, 1.0])
        out: FloatArray = np.einsum("nji,nj->ni", self.rot, f)
        return out

    def angular_rate_dps(self) -> FloatArray:
        """Body angular rate in the segment frame (deg/s), from ``R^T dR/dt``."""
        dr = np.gradient(self.rot, DT_S, axis=0)
        w = np.einsum("nji,njk->nik", self.rot, dr)
        rate = np.stack([w[:, 2, 1] - w[:, 1, 2], w[:, 0, 2] - w[:, 2, 0], w[:, 1, 0] - w[:, 0, 1]])
        out: FloatArray = np.degrees(0.5 * rate.T)
        return out

    @staticmethod
    def concat(parts: list[Motion]) -> Motion:
        return Motion(
            np.concatenate([p.acc_world_g for p in parts]),
            np.concatenate([p.rot for p in parts]),
        )


def from_positions(pos_m: FloatArray, rot: FloatArray) -> Motion:
    """A motion from sensor positions (m, world) and orientations on the fine grid."""
    return Motion(second_derivative(pos_m) / STANDARD_GRAVITY_M_S2, rot)


def alpha_pulse(t_s: FloatArray, onset_s: float, tau_s: float) -> FloatArray:
    """Unit-peak impact shape ``x e^(1-x)``, ``x = (t - onset) / tau``: fast rise, slow decay.

    Notes
    -----
    A critically damped second-order response to a step in contact force, the usual shape of a
    heel-strike or landing transient in body-worn accelerometers (Lafortune, Lake and Hennig,
    J. Biomech. 29 (1996) 1523-1529). Its integral is ``e * tau``.
    """
    x = np.clip((t_s - onset_s) / tau_s, 0.0, None)
    out: FloatArray = x * np.exp(1.0 - x)
    return out


def hann_lobe(t_s: FloatArray, start_s: float, duration_s: float) -> FloatArray:
    """A unit-peak raised-cosine lobe on ``[start, start + duration]``; integral ``duration/2``."""
    x = (t_s - start_s) / duration_s
    out: FloatArray = np.where((x >= 0) & (x <= 1), 0.5 - 0.5 * np.cos(2 * np.pi * x), 0.0)
    return out


def smoothstep(x: FloatArray) -> FloatArray:
    """``0`` below 0, ``1`` above 1, the quintic smootherstep between (C2 continuous)."""
    x = np.clip(x, 0.0, 1.0)
    out: FloatArray = x * x * x * (x * (6 * x - 15) + 10)
    return out


def gaussian_smooth(x: FloatArray, sigma_s: float) -> FloatArray:
    """Circular-free Gaussian smoothing along axis 0 (edges reflect)."""
    from scipy.ndimage import gaussian_filter1d

    out: FloatArray = gaussian_filter1d(x, sigma_s * FINE_HZ, axis=0, mode="nearest")
    return out


def n_fine(duration_s: float) -> int:
    """Samples of the fine grid in ``duration_s``."""
    return round(duration_s * FINE_HZ)


def grid(n: int) -> FloatArray:
    """Times of ``n`` samples of the fine grid, from 0."""
    out: FloatArray = np.arange(n, dtype=np.float64) * DT_S
    return out
