"""Typed containers that flow through the analysis: sample chunks and stream descriptions."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# The ufuncs' reductions themselves: ``ndarray.sum`` and ``.max`` add a Python-level wrapper
# that costs as much as the reduction of a notification's few samples.
_sum = np.add.reduce
_max = np.maximum.reduce


class Placement(StrEnum):
    """Where the band sits on the body (recording CSV v1, ``placement``)."""

    CHEST = "chest"
    WAIST = "waist"
    WRIST = "wrist"
    THIGH = "thigh"
    SHANK = "shank"
    ANKLE = "ankle"
    FOOT = "foot"

    @property
    def canonical(self) -> Placement:
        """The placement detectors treat this one as (ankle is treated as shank)."""
        return Placement.SHANK if self is Placement.ANKLE else self

    @property
    def is_trunk(self) -> bool:
        return self.canonical in (Placement.CHEST, Placement.WAIST)

    @property
    def is_leg(self) -> bool:
        return self.canonical in (Placement.SHANK, Placement.FOOT, Placement.THIGH)


@dataclass(frozen=True)
class StreamInfo:
    """What a detector may know about the stream before the first sample.

    Parameters
    ----------
    sample_rate_hz
        Nominal rate; real times are in each chunk's ``time_s``.
    placement
        Where the band sits.
    has_gyro
        Whether chunks carry ``gyro_dps``.
    acc_range_g
        Full-scale range of the accelerometer, if known (the Polar H10 runs at ±8 g by
        default); values at or beyond it are clipped by the sensor.
    """

    sample_rate_hz: float
    placement: Placement
    has_gyro: bool = False
    acc_range_g: float | None = None

    def __post_init__(self) -> None:
        if not (1.0 <= self.sample_rate_hz <= 10_000.0):
            raise ValueError(f"sample_rate_hz must be within 1..10000, got {self.sample_rate_hz}")
        if self.acc_range_g is not None and self.acc_range_g <= 0:
            raise ValueError(f"acc_range_g must be positive, got {self.acc_range_g}")


@dataclass(frozen=True, eq=False)
class Samples:
    """A chunk of samples in time order, in the body frame (x forward, y left, z up).

    Attributes
    ----------
    time_s
        Shape ``(n,)``, strictly increasing seconds; a jump larger than the nominal period
        is a gap (dropped packets), never filled in.
    acc_g
        Shape ``(n, 3)``, specific force in g.
    gyro_dps
        Shape ``(n, 3)`` angular rate in degrees per second, or ``None``.
    hr_bpm
        Shape ``(n,)`` heart rate, NaN on samples without a new value, or ``None``.
    """

    time_s: FloatArray
    acc_g: FloatArray
    gyro_dps: FloatArray | None = None
    hr_bpm: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.time_s.shape[0]
        if self.time_s.ndim != 1:
            raise ValueError("time_s must be one-dimensional")
        if self.acc_g.shape != (n, 3):
            raise ValueError(f"acc_g must have shape ({n}, 3), got {self.acc_g.shape}")
        if self.gyro_dps is not None and self.gyro_dps.shape != (n, 3):
            raise ValueError(f"gyro_dps must have shape ({n}, 3), got {self.gyro_dps.shape}")
        if self.hr_bpm is not None and self.hr_bpm.shape != (n,):
            raise ValueError(f"hr_bpm must have shape ({n},), got {self.hr_bpm.shape}")

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    # A chunk's arrays are not changed once it is made (detectors only read them), so what
    # is measured of it once holds: the pipeline measures a chunk, its detectors reuse it.

    @functools.cached_property
    def all_finite(self) -> bool:
        """Whether every time, acceleration (and gyroscope) value is finite."""
        # One reduction per array: a sum is finite exactly when every term is (short of
        # overflow near 1e308, which only reports a finite chunk as not finite).
        total = float(_sum(self.time_s)) + float(_sum(self.acc_g, axis=None))
        if self.gyro_dps is not None:
            total += float(_sum(self.gyro_dps, axis=None))
        return math.isfinite(total)

    @functools.cached_property
    def largest_step_s(self) -> float:
        """The largest step between consecutive times (0 for fewer than two samples)."""
        t = self.time_s
        return float(_max(t[1:] - t[:-1])) if t.shape[0] > 1 else 0.0

    def slice(self, start: int, stop: int) -> Samples:
        """Rows ``start:stop`` as a new chunk (views, no copy)."""
        return Samples(
            time_s=self.time_s[start:stop],
            acc_g=self.acc_g[start:stop],
            gyro_dps=None if self.gyro_dps is None else self.gyro_dps[start:stop],
            hr_bpm=None if self.hr_bpm is None else self.hr_bpm[start:stop],
        )

    def select(self, mask: NDArray[np.bool_]) -> Samples:
        """The rows where ``mask`` is true."""
        return Samples(
            time_s=self.time_s[mask],
            acc_g=self.acc_g[mask],
            gyro_dps=None if self.gyro_dps is None else self.gyro_dps[mask],
            hr_bpm=None if self.hr_bpm is None else self.hr_bpm[mask],
        )

    @staticmethod
    def concat(chunks: list[Samples]) -> Samples:
        """Join chunks end to end; all must agree on which optional channels they carry."""
        if not chunks:
            return Samples.empty()
        gyro = [c.gyro_dps for c in chunks]
        hr = [c.hr_bpm for c in chunks]
        return Samples(
            time_s=np.concatenate([c.time_s for c in chunks]),
            acc_g=np.concatenate([c.acc_g for c in chunks]),
            gyro_dps=None if any(g is None for g in gyro) else np.concatenate(gyro),  # type: ignore[arg-type]
            hr_bpm=None if any(h is None for h in hr) else np.concatenate(hr),  # type: ignore[arg-type]
        )

    @staticmethod
    def empty(has_gyro: bool = False) -> Samples:
        return Samples(
            time_s=np.empty(0),
            acc_g=np.empty((0, 3)),
            gyro_dps=np.empty((0, 3)) if has_gyro else None,
        )

    def chunks(self, size: int) -> list[Samples]:
        """Split into consecutive chunks of at most ``size`` rows."""
        if size <= 0:
            raise ValueError(f"chunk size must be positive, got {size}")
        return [self.slice(i, i + size) for i in range(0, len(self), size)]
