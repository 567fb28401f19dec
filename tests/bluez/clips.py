"""Clips the virtual bands play: a real walking recording (read in place) or, where the shared
recordings are absent, the project's own simulated waist walk (a labelled fixture) turned into
the Polar H10's sensor axes."""

from __future__ import annotations

from analysis.frame import parse_body_axes
from sensor.recording import RecordingReader, to_body
from tests.bluez.devices import Clip
from tests.paths import AS_RECORDINGS, DATA

WALK = AS_RECORDINGS / "ipol_2-1_lowback.csv"
#: Without the shared recordings: a simulated walk (stand 2 s, then walking bouts), played in
#: the axes config/devices/polar-h10.toml declares, so the service levels it as it would a band.
SIM_WALK = DATA / "sim" / "walk_waist_100hz_gyro.csv"
H10_AXES = "+z,+x,+y"


def walking_clip(seconds: float = 40.0, rate_hz: float = 100.0) -> Clip:
    """The first ``seconds`` of a real 100 Hz lower-back walk (decimated to ``rate_hz``)."""
    if WALK.exists() and 100.0 % rate_hz == 0:
        s = RecordingReader(WALK).read_all()
        every = int(100.0 / rate_hz)
        n = int(seconds * 100.0)
        gyro = None if s.gyro_dps is None else s.gyro_dps[:n:every]
        return Clip(s.time_s[:n:every] - s.time_s[0], s.acc_g[:n:every], gyro, rate_hz)
    reader = RecordingReader(SIM_WALK)
    body = to_body(reader.read_all(), reader.header.axes_matrix)
    # body = R @ sensor for the H10's matrix R, so the H10 would read sensor = R.T @ body:
    # as rows, body_row @ R.
    r = parse_body_axes(H10_AXES)
    every = int(100.0 / rate_hz)
    n = int(seconds * 100.0)
    gyro = None if body.gyro_dps is None else body.gyro_dps[:n:every] @ r
    return Clip(body.time_s[:n:every] - body.time_s[0], body.acc_g[:n:every] @ r, gyro, rate_hz)


def imu_clip(seconds: float = 20.0, rate_hz: float = 52.0) -> Clip:
    """The bundled retro workout (a shank band with gyroscope: backward walking first),
    resampled to ``rate_hz`` for bands whose rate does not divide 100 Hz (the Verity Sense's
    52 Hz), accelerometer and gyroscope alike."""
    import numpy as np

    from sensor.demo import demo_recording

    s = RecordingReader(demo_recording()).read_all()
    assert s.gyro_dps is not None
    t = np.arange(0.0, seconds, 1.0 / rate_hz)
    t0 = float(s.time_s[0])

    def resample(values: np.ndarray) -> np.ndarray:
        return np.stack([np.interp(t + t0, s.time_s, values[:, k]) for k in range(3)], axis=1)

    return Clip(t, resample(s.acc_g), resample(s.gyro_dps), rate_hz)
