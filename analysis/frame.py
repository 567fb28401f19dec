"""The body frame (x forward, y left, z up) and gravity levelling.

``body_axes`` (recording CSV v1) says which signed sensor axis points forward, left and up
when the wearer stands upright. A band is rarely worn exactly so: detectors level each sample
with a streaming estimate of gravity, which removes up to 30° of undeclared tilt, and find
how it is turned about the remaining axis from the motion itself (``principal_axis``).
"""

from __future__ import annotations

import numpy as np

from analysis.types import FloatArray

_AXES = {"x": 0, "y": 1, "z": 2}


def parse_body_axes(text: str) -> FloatArray:
    """Turn ``"+z,+x,+y"`` into the 3×3 matrix ``R`` with ``body = R @ sensor``.

    Parameters
    ----------
    text
        Three comma-separated signed axis names, the sensor axes that point along the body's
        forward, left and up directions.

    Raises
    ------
    ValueError
        If ``text`` is not a signed permutation of x, y and z.
    """
    parts = [p.strip().lower() for p in text.split(",")]
    if len(parts) != 3:
        raise ValueError(f"expected three signed axes such as '+z,+x,+y', got {text!r}")
    matrix = np.zeros((3, 3))
    seen: set[str] = set()
    for row, part in enumerate(parts):
        if len(part) == 1:
            part = "+" + part
        if len(part) != 2 or part[0] not in "+-" or part[1] not in _AXES:
            raise ValueError(
                f"expected a signed axis such as '+x' or '-z', got {part!r} in {text!r}"
            )
        if part[1] in seen:
            raise ValueError(f"axis {part[1]} appears twice in {text!r}")
        seen.add(part[1])
        matrix[row, _AXES[part[1]]] = 1.0 if part[0] == "+" else -1.0
    return matrix


def to_body_frame(values: FloatArray, matrix: FloatArray) -> FloatArray:
    """Rotate ``(n, 3)`` sensor-frame vectors into the body frame."""
    out: FloatArray = values @ matrix.T
    return out


def rotation_to_vertical(gravity: FloatArray) -> FloatArray:
    """Per-sample rotation matrices that turn each ``gravity`` row onto +z by the shortest arc.

    Parameters
    ----------
    gravity
        Shape ``(n, 3)``, the gravity direction (any length) in the body frame.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 3, 3)``; ``levelled = R @ v``. The shortest arc keeps the heading of the
        declared forward axis, so yaw misalignment is left as it was (it cannot be seen in
        gravity) while pitch and roll are removed.

    Notes
    -----
    Rodrigues' formula for the rotation taking unit vector ``a`` onto ``b = (0, 0, 1)``:
    ``R = I + [v]x + [v]x² / (1 + c)`` with ``v = a × b`` and ``c = a · b``.
    """
    norm = np.linalg.norm(gravity, axis=1, keepdims=True)
    a = gravity / np.where(norm > 0, norm, 1.0)
    vx, vy = a[:, 1], -a[:, 0]  # a × (0, 0, 1)
    c = np.clip(a[:, 2], -0.999999, None)
    k = 1.0 / (1.0 + c)
    n = gravity.shape[0]
    r = np.zeros((n, 3, 3))
    r[:, 0, 0] = 1.0 - k * vy * vy
    r[:, 0, 1] = k * vx * vy
    r[:, 0, 2] = vy
    r[:, 1, 0] = k * vx * vy
    r[:, 1, 1] = 1.0 - k * vx * vx
    r[:, 1, 2] = -vx
    r[:, 2, 0] = -vy
    r[:, 2, 1] = vx
    r[:, 2, 2] = 1.0 - k * (vx * vx + vy * vy)
    return r


def level(values: FloatArray, gravity: FloatArray) -> FloatArray:
    """Rotate ``(n, 3)`` body-frame vectors so that each row's ``gravity`` points along +z."""
    r = rotation_to_vertical(gravity)
    out: FloatArray = np.einsum("nij,nj->ni", r, values)
    return out


class GravityTracker:
    """Streaming gravity estimate: a low-pass filter of specific force, state carried in ``zi``.

    Parameters
    ----------
    sample_rate_hz
        Nominal sample rate.
    cutoff_hz
        Low-pass corner; well below step (≈1.6–2 Hz) and pedalling (≥0.6 Hz) rates, so body
        accelerations average out and the slow posture changes remain.

    Notes
    -----
    The filter starts from steady state at the first sample (``sosfilt_zi`` scaled by it), so
    the estimate is the same however the stream is chunked. After a gap the caller calls
    ``reset`` and the filter restarts from the first sample after the gap.
    """

    def __init__(self, sample_rate_hz: float, cutoff_hz: float = 0.3) -> None:
        # scipy.signal costs about a second to import: only modules that filter pay for it,
        # so commands such as `listen` and `config` start at once.
        from scipy import signal

        from analysis.stream import StreamingSOS

        self._filter = StreamingSOS(signal.butter(2, cutoff_hz, fs=sample_rate_hz, output="sos"))

    def reset(self) -> None:
        self._filter.reset()

    def update(self, acc_g: FloatArray) -> FloatArray:
        """Gravity estimate for each row of ``acc_g`` (shape ``(n, 3)``)."""
        if acc_g.shape[0] == 0:
            return np.empty((0, 3))
        return self._filter.process(acc_g)


def principal_axis(
    aa: FloatArray | float, bb: FloatArray | float, ab: FloatArray | float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The axis of most power in a plane, from the power along its axes ``a`` and ``b`` and
    their cross power (scalars or arrays alike).

    Returns the axis's angle from ``a`` towards ``b`` (rad, within ±90°: the axis on ``a``'s
    side) and the power along it and across it (the 2x2 power matrix's eigenvalues).
    """
    aa, bb, ab = np.asarray(aa, dtype=np.float64), np.asarray(bb, dtype=np.float64), np.asarray(ab)
    angle = 0.5 * np.arctan2(2.0 * ab, aa - bb)
    spread = np.hypot(aa - bb, 2.0 * ab)
    return angle, 0.5 * (aa + bb + spread), 0.5 * (aa + bb - spread)
