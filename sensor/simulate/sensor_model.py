"""From body kinematics to what a band streams: mounting, tilt, filtering, clock, losses.

Notes
-----
- Mounting: ``body_axes`` (recording CSV v1) is a proper signed permutation (a real sensor
  frame is right-handed); on top of it the band sits 10-30° off about a random axis, which
  is not declared, as the spec requires detectors to tolerate.
- Output filter: MEMS accelerometers low-pass their output at about half the output data
  rate (e.g. Bosch BMI160 datasheet, "filter bandwidth"; STMicro LSM6DS3 datasheet); a
  causal 4th-order Butterworth at 0.4 × rate stands in for it, so sharp impacts are smeared
  and under-read at 25-50 Hz as they are on a real band.
- Clock: the band's sample clock is off by a few hundred ppm (crystal tolerance ±20-50 ppm
  plus the RC oscillators of cheap IMUs; the Polar H10's own clock, polar-ble-sdk
  documentation/TimeSystemExplained.md). ``time_s`` counts the band's samples at the nominal
  rate, so true time runs at ``time_s / (1 + drift)``; labels are mapped the same way.
- Range: the Polar H10 streams ±8 g by default (polar-ble-sdk PmdSetting, protocols.md);
  IMUs here ±16 g and ±2000 deg/s, 16-bit. Values beyond the range are clipped.
- Losses: BLE notifications are dropped in bursts (connection events missed under
  interference); a burst removes whole packets of samples, leaving gaps in ``time_s`` and
  never invented samples.
- A loose strap: the band is a mass on a spring (the strap and the soft tissue under it)
  driven by the segment's motion, so it reads the segment's acceleration through the
  base-excitation transmissibility ``(2 z w s + w²) / (s² + 2 z w s + w²)``: unity at low
  frequencies (gravity and the walk pass unchanged), amplified about ``1/(2z)`` at the
  resonance, so every impact rings. Skin and soft tissue under a marker are 330-1900 N/m
  stiff tangentially, giving 23-51 Hz with the light wand markers (Karlsson and Tranberg,
  Hum. Mov. Sci. 18 (1999) 627-635); a 34 g skin-mounted accelerometer rang at its own
  resonance on the soft tissue (Ziegert and Lewis, J. Biomech. Eng. 101 (1979) 218-220).
  A 30-80 g band on the 330-1900 N/m gives 10-40 Hz; a strap with little preload sits at
  the low end or below (``Strap``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from analysis.frame import parse_body_axes
from analysis.types import FloatArray, Placement, Samples
from sensor.simulate.motion import DT_S, FINE_HZ, Motion


@dataclass(frozen=True)
class SensorProfile:
    """What the band can measure."""

    device: str
    acc_range_g: float
    acc_lsb_g: float
    acc_noise_g: float
    gyro_range_dps: float = 2000.0
    gyro_lsb_dps: float = 4000.0 / 65536.0
    gyro_noise_dps: float = 0.4
    #: Samples per BLE notification (a dropped packet loses this many).
    samples_per_packet: int = 10


#: Polar H10: ±8 g, 1 mg resolution (PMD ACC values are in mG), about 10-40 samples a frame.
H10 = SensorProfile(
    device="simulated Polar H10", acc_range_g=8.0, acc_lsb_g=0.001, acc_noise_g=0.004
)
#: A generic 16-bit IMU band (±16 g: 1/2048 g per LSB).
IMU = SensorProfile(
    device="simulated IMU band", acc_range_g=16.0, acc_lsb_g=1.0 / 2048.0, acc_noise_g=0.006
)

#: The 24 proper signed permutations (rotations by multiples of 90°).
PROPER_AXES: tuple[str, ...] = tuple(
    f"{a},{b},{c}"
    for a in ("+x", "-x", "+y", "-y", "+z", "-z")
    for b in ("+x", "-x", "+y", "-y", "+z", "-z")
    for c in ("+x", "-x", "+y", "-y", "+z", "-z")
    if len({a[1], b[1], c[1]}) == 3 and np.linalg.det(parse_body_axes(f"{a},{b},{c}")) > 0
)


@dataclass(frozen=True)
class Strap:
    """A loose strap: the band rides on a spring-mass resonance of the strap and tissue."""

    resonance_hz: float
    damping_ratio: float

    def __post_init__(self) -> None:
        if not 2.0 <= self.resonance_hz <= 100.0:
            raise ValueError(f"resonance_hz: expected 2-100 Hz, got {self.resonance_hz:g}")
        if not 0.02 <= self.damping_ratio <= 1.0:
            raise ValueError(f"damping_ratio: expected 0.02-1, got {self.damping_ratio:g}")

    def apply(self, force_g: FloatArray) -> FloatArray:
        """What the band reads of the segment's specific force ``force_g`` (fine grid, axis 0).

        The base-excitation transmissibility (see the module notes), discretised by the
        bilinear transform with the resonance pre-warped, settled on the first sample.
        """
        w = 2 * np.pi * self.resonance_hz
        z = self.damping_ratio
        # Pre-warp the resonance so the discrete filter rings at ``resonance_hz``.
        w = 2 * FINE_HZ * np.tan(w / (2 * FINE_HZ))
        b, a = signal.bilinear([2 * z * w, w * w], [1.0, 2 * z * w, w * w], fs=FINE_HZ)
        zi = signal.lfilter_zi(b, a)[:, None] * force_g[0][None, :]
        out, _ = signal.lfilter(b, a, force_g, axis=0, zi=zi)
        result: FloatArray = out
        return result


def profile_for(placement: Placement) -> SensorProfile:
    """The H10 for the chest, a generic IMU elsewhere."""
    return H10 if placement is Placement.CHEST else IMU


def axis_angle(axis: FloatArray, angle_rad: float) -> FloatArray:
    """Rotation matrix about ``axis`` by ``angle_rad`` (Rodrigues)."""
    k = axis / np.linalg.norm(axis)
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    out: FloatArray = np.eye(3) + np.sin(angle_rad) * kx + (1 - np.cos(angle_rad)) * kx @ kx
    return out


@dataclass(frozen=True)
class Capture:
    """How the simulated band records."""

    rate_hz: float
    body_axes: str = "+x,+y,+z"
    tilt_deg: float = 0.0
    tilt_axis: tuple[float, float, float] = (1.0, 0.0, 0.0)
    drift_ppm: float = 0.0
    #: Expected bursts of dropped packets per minute.
    loss_bursts_per_min: float = 0.0
    has_gyro: bool = False
    profile: SensorProfile = IMU
    #: Samples per BLE notification, if not the profile's (a dropped packet loses this many).
    samples_per_packet: int | None = None
    #: Most packets one burst drops (each burst drops 1 to this many, evenly drawn).
    burst_packets_max: int = 5
    #: A loose strap's resonance, or ``None`` for a band held firmly.
    strap: Strap | None = None

    @property
    def time_scale(self) -> float:
        """Recording time per true second."""
        return 1.0 + self.drift_ppm * 1e-6

    def sensor_from_body(self) -> FloatArray:
        """Matrix taking body-frame vectors to sensor axes (declared mounting and tilt)."""
        declared = parse_body_axes(self.body_axes)  # body = declared @ sensor (nominal)
        tilt = axis_angle(np.array(self.tilt_axis), np.radians(self.tilt_deg))
        out: FloatArray = tilt.T @ declared.T
        return out


def _lost_rows(
    n: int, capture: Capture, rng: np.random.Generator, keep_out: list[tuple[int, int]]
) -> FloatArray:
    """A boolean mask of the rows kept after bursts of lost packets."""
    keep = np.ones(n, dtype=bool)
    minutes = n / capture.rate_hz / 60.0
    bursts = rng.poisson(capture.loss_bursts_per_min * minutes)
    packet = capture.samples_per_packet or capture.profile.samples_per_packet
    for _ in range(int(bursts)):
        start = int(rng.integers(int(capture.rate_hz * 2), max(int(capture.rate_hz * 3), n - 1)))
        length = packet * int(rng.integers(1, capture.burst_packets_max + 1))
        if any(start < hi and start + length > lo for lo, hi in keep_out):
            continue
        keep[start : start + length] = False
    out: FloatArray = keep
    return out


def record(
    motion: Motion,
    capture: Capture,
    rng: np.random.Generator,
    protect_s: list[tuple[float, float]] | None = None,
) -> Samples:
    """Sample ``motion`` as the band would: sensor frame, filtered, drifting, noisy, lossy.

    Parameters
    ----------
    protect_s
        True-time windows where no packet is lost (labelled jumps and reversals, so every
        fixture scores detectors on events that were really recorded).
    """
    body_acc = motion.specific_force_g()
    if capture.strap is not None:
        body_acc = capture.strap.apply(body_acc)
    m = capture.sensor_from_body()
    acc = body_acc @ m.T
    channels = [acc]
    if capture.has_gyro:
        channels.append(motion.angular_rate_dps() @ m.T)
    fine = np.hstack(channels)
    sos = signal.butter(4, min(0.4 * capture.rate_hz, 0.45 * FINE_HZ), fs=FINE_HZ, output="sos")
    zi = signal.sosfilt_zi(sos)[:, :, None] * fine[0][None, None, :]
    fine, _ = signal.sosfilt(sos, fine, axis=0, zi=zi)
    t_fine = np.arange(len(motion)) * DT_S
    n_out = int(np.floor(t_fine[-1] * capture.rate_hz * capture.time_scale)) + 1
    time_s = np.arange(n_out) / capture.rate_hz
    true_t = time_s / capture.time_scale
    cols = [np.interp(true_t, t_fine, fine[:, j]) for j in range(fine.shape[1])]
    out = np.stack(cols, axis=1)
    p = capture.profile
    acc_out = out[:, :3]
    bias = rng.normal(0.0, 0.01, 3)
    acc_out = acc_out + bias + rng.normal(0.0, p.acc_noise_g, acc_out.shape)
    acc_out = np.clip(np.round(acc_out / p.acc_lsb_g) * p.acc_lsb_g, -p.acc_range_g, p.acc_range_g)
    gyro_out = None
    if capture.has_gyro:
        g = out[:, 3:6] + rng.normal(0.0, 1.0, 3) + rng.normal(0.0, p.gyro_noise_dps, (n_out, 3))
        gyro_out = np.clip(
            np.round(g / p.gyro_lsb_dps) * p.gyro_lsb_dps, -p.gyro_range_dps, p.gyro_range_dps
        )
    keep_out = [
        (
            int(a * capture.time_scale * capture.rate_hz),
            int(b * capture.time_scale * capture.rate_hz),
        )
        for a, b in (protect_s or [])
    ]
    keep = _lost_rows(n_out, capture, rng, keep_out).astype(bool)
    return Samples(
        time_s=time_s[keep],
        acc_g=acc_out[keep],
        gyro_dps=None if gyro_out is None else gyro_out[keep],
    )
