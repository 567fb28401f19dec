"""Clips the virtual bands play: a real walking recording (read in place) or, where the shared
recordings are absent, a seeded synthetic walk of the same shape."""

from __future__ import annotations

import numpy as np

from sensor.recording import RecordingReader
from tests.bluez.devices import Clip
from tests.paths import AS_RECORDINGS

WALK = AS_RECORDINGS / "ipol_2-1_lowback.csv"


def walking_clip(seconds: float = 40.0, rate_hz: float = 100.0) -> Clip:
    """The first ``seconds`` of a real 100 Hz lower-back walk (decimated to ``rate_hz``)."""
    if WALK.exists() and 100.0 % rate_hz == 0:
        s = RecordingReader(WALK).read_all()
        every = int(100.0 / rate_hz)
        n = int(seconds * 100.0)
        gyro = None if s.gyro_dps is None else s.gyro_dps[:n:every]
        return Clip(s.time_s[:n:every] - s.time_s[0], s.acc_g[:n:every], gyro, rate_hz)
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    step = 2 * np.pi * 1.8 * t
    acc = np.column_stack([0.2 * np.sin(step), 0.1 * np.cos(step / 2), 1 + 0.3 * np.sin(step)])
    acc += rng.normal(0, 0.01, acc.shape)
    gyro = np.column_stack([30 * np.sin(step / 2), 10 * np.cos(step), 5 * np.sin(step)])
    return Clip(t, acc, gyro, rate_hz)
