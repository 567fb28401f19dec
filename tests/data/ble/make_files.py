"""Make the small BLE test files in this folder from a deterministic synthetic walk.

Run from the repository root: ``.venv/bin/python -m tests.data.ble.make_files``. The tests
compare what they read back with ``reference_walk`` itself, so the files depend on nothing
else in the repository.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.types import Placement
from sensor.capture import CaptureWriter
from sensor.decoders import polar_pmd as pmd
from sensor.decoders.heart_rate import HEART_RATE_MEASUREMENT
from tests.bluez.devices import H10_CLOCK_START_NS, Clip, VirtualH10

HERE = Path(__file__).resolve().parent
STARTED_UNIX_S = 1_795_169_700.0  # 2026-11-20T10:15:00Z
LATENCY_S = 0.02
#: The virtual link drops between these sample times (s): those frames never arrive.
LOST = (8.0, 10.0)
#: Sensor axes of the synthetic band: forward is sensor +z, left +x, up +y.
BODY_AXES = "+z,+x,+y"
STEP_HZ = 1.8


def reference_walk(seconds: float, rate_hz: float) -> Clip:
    """A walk at 1.8 steps/s in sensor axes (``BODY_AXES``), seeded noise, two packet losses.

    Up: 1 g plus a 0.25 g step oscillation; forward: 0.15 g, leading by 0.8 rad; left: a
    0.08 g sway at half the step rate. Samples in 3.00-3.05 s and 13.2-13.3 s are missing, as
    dropped BLE packets leave them.
    """
    t = np.arange(round(seconds * rate_hz)) / rate_hz
    phase = 2 * np.pi * STEP_HZ * t
    left = 0.08 * np.sin(phase / 2)
    up = 1.0 + 0.25 * np.sin(phase)
    forward = 0.15 * np.sin(phase + 0.8)
    acc = np.column_stack([left, up, forward])
    acc += np.random.default_rng(20261120).normal(0.0, 0.01, acc.shape)
    keep = ~(((t >= 3.0) & (t < 3.05)) | ((t >= 13.2) & (t < 13.3)))
    return Clip(t[keep], acc[keep], None, rate_hz)


def h10_capture(seconds: float = 20.0) -> None:
    clip = reference_walk(seconds, 100.0)
    n = len(clip.time_s)
    h10 = VirtualH10("C8:2E:0A:1B:2C:3D", "Polar H10 0A1B2C3D", clip=clip)
    # Frames are contiguous runs of at most 36 samples: split at the recording's own gaps.
    breaks = np.flatnonzero(np.diff(clip.time_s) > 1.5 / 100) + 1
    bounds: list[tuple[int, int]] = []
    for lo, hi in zip([0, *breaks], [*breaks, n], strict=True):
        bounds += [(a, min(a + 36, hi)) for a in range(lo, hi, 36)]
    cap = CaptureWriter(
        HERE / "h10_walk_chest.jsonl",
        profile="polar-h10",
        name="Polar H10 0A1B2C3D",
        address="C8:2E:0A:1B:2C:3D",
        placement=Placement.CHEST,
        body_axes=BODY_AXES,
        started_unix_s=STARTED_UNIX_S,
        extra={"sample_rate_hz": 100, "acc_range_g": 8, "band_id": "c82e0a1b2c3d"},
    )
    start = bytes.fromhex("0202" + "00016400" + "01011000" + "02010800")
    cap.record(0.0, "event", "", b"", "connected")
    cap.record(0.01, "read", pmd.PMD_CONTROL_POINT, bytes([0x0F, 0x05]), None)
    cap.record(0.02, "write", pmd.PMD_CONTROL_POINT, start, None)
    cap.record(0.05, "notify", pmd.PMD_CONTROL_POINT, bytes.fromhex("f00202000000"), None)
    next_beat = 1.0
    reconnected = False
    for k, (lo, hi) in enumerate(bounds):
        t_last = float(clip.time_s[hi - 1])
        if LOST[0] <= t_last < LOST[1]:
            continue
        if t_last >= LOST[1] and not reconnected:
            reconnected = True
            cap.record(LOST[0] + 0.5, "event", "", b"", "disconnected")
            cap.record(LOST[1] - 0.3, "event", "", b"", "connected")
            cap.record(LOST[1] - 0.2, "write", pmd.PMD_CONTROL_POINT, start, None)
        while next_beat <= t_last:
            hr = bytes([0x16, 96]) + (640).to_bytes(2, "little")  # 96 bpm, RR 0.625 s
            cap.record(next_beat + LATENCY_S, "notify", HEART_RATE_MEASUREMENT, hr, None)
            next_beat += 1.0
        h10.compressed = k % 5 == 4  # every fifth frame delta-compressed, as both occur
        cap.record(t_last + LATENCY_S, "notify", pmd.PMD_DATA, h10.frame(lo, hi), None)
        if k == 3:  # one cut-off frame, as a radio can deliver
            cap.record(t_last + LATENCY_S + 0.001, "notify", pmd.PMD_DATA, b"\x02\x00\x01", None)
    cap.record(seconds + 0.1, "write", pmd.PMD_CONTROL_POINT, b"\x03\x02", None)
    cap.close()


def polar_sensor_logger(seconds: float = 5.0) -> None:
    clip = reference_walk(seconds, 100.0)
    sensor_ns = H10_CLOCK_START_NS + np.round(clip.time_s * 1e9).astype(np.int64)
    mg = np.round(clip.acc_g * 1000).astype(int)
    lines = ["Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]"]
    for i in range(len(clip.time_s)):
        ms = round(clip.time_s[i] * 1000)
        phone = f"2026-11-20T10:15:{ms // 1000:02d}.{ms % 1000:03d}"
        lines.append(f"{phone};{sensor_ns[i]};{mg[i, 0]};{mg[i, 1]};{mg[i, 2]}")
    (HERE / "polar_sensor_logger_ACC.txt").write_text("\n".join(lines) + "\n")


def phyphox(seconds: float = 5.0) -> None:
    clip = reference_walk(seconds, 50.0)
    ms2 = clip.acc_g * 9.80665
    t = clip.time_s
    n = len(t)
    head = [
        "Time (s)",
        "Acceleration x (m/s^2)",
        "Acceleration y (m/s^2)",
        "Acceleration z (m/s^2)",
        "Absolute acceleration (m/s^2)",
    ]
    lines = [",".join(f'"{h}"' for h in head)]
    for i in range(n):
        a = ms2[i]
        lines.append(f"{t[i]:.9E},{a[0]:.9E},{a[1]:.9E},{a[2]:.9E},{float(np.linalg.norm(a)):.9E}")
    (HERE / "phyphox_acceleration.csv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    h10_capture()
    polar_sensor_logger()
    phyphox()
