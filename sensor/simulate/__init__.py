"""A labelled simulator of body-worn motion sensors, for tests, accuracy figures and demos.

``simulate(scenario, ...)`` builds body kinematics for a scenario (pure numpy, seeded),
records them as a band would (mounting, undeclared tilt, filtering, clock drift, lost
packets, range clipping, noise) and returns the samples with their ground-truth labels;
``write_simulation`` writes the recording CSV v1 and the ``.truth.json`` beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.types import Placement, Samples
from sensor.labels import truth_path_for as truth_path
from sensor.labels import write_truth
from sensor.recording import RecordingWriter
from sensor.simulate.scenarios import SCENARIOS, Scenario
from sensor.simulate.sensor_model import PROPER_AXES, Capture, Strap, profile_for, record
from sensor.simulate.truth import Segment, truth_document

__all__ = [
    "SCENARIOS",
    "Scenario",
    "Simulation",
    "Strap",
    "record_segment",
    "simulate",
    "truth_path",
    "write_simulation",
]

#: Output rates the simulator offers: those of the Polar H10 and common IMU bands.
RATES_HZ = (25.0, 50.0, 52.0, 100.0, 104.0, 128.0, 200.0)


@dataclass(frozen=True)
class Simulation:
    """A simulated recording: sensor-frame samples, how they were captured, the labels."""

    samples: Samples
    capture: Capture
    placement: Placement
    truth: dict[str, Any]
    command: str


def simulate(
    scenario: str,
    *,
    placement: Placement = Placement.CHEST,
    rate_hz: float = 100.0,
    gyro: bool = False,
    seed: int = 0,
    tilt_deg: float | None = None,
    duration_s: float | None = None,
    body_axes: str | None = None,
    drift_ppm: float | None = None,
    loss_bursts_per_min: float = 1.0,
) -> Simulation:
    """Simulate ``scenario`` as recorded by one band.

    Parameters
    ----------
    scenario
        A key of ``SCENARIOS``.
    placement, rate_hz, gyro
        Where the band sits, its output rate, and whether it streams a gyroscope.
    seed
        Seeds everything: the same arguments give the same file.
    tilt_deg
        Undeclared tilt of the band off its declared axes (default: 10-30°, drawn).
    duration_s
        Approximate length (default: the scenario's own).
    body_axes
        Declared mounting (default: one of the 24 right-handed signed permutations, drawn).
    drift_ppm
        Clock error of the band (default: ±100-400 ppm, drawn).
    loss_bursts_per_min
        Mean bursts of lost BLE packets per minute.
    """
    if scenario not in SCENARIOS:
        raise KeyError(scenario)
    spec = SCENARIOS[scenario]
    rng = np.random.default_rng(seed)
    length = spec.default_duration_s if duration_s is None else duration_s
    segment = spec.build(rng, placement, length)
    command = (
        f"retrosense simulate {scenario} --placement {placement.value} --rate-hz {rate_hz:g} "
        f"{'--gyro' if gyro else '--no-gyro'} --seed {seed}"
        + (f" --tilt-deg {tilt_deg:g}" if tilt_deg is not None else "")
        + (f" --duration-s {duration_s:g}" if duration_s is not None else "")
    )
    return record_segment(
        segment,
        source=f"simulated ({spec.summary}): {command}",
        command=command,
        scenario=scenario,
        placement=placement,
        rate_hz=rate_hz,
        gyro=gyro,
        seed=seed,
        tilt_deg=tilt_deg,
        body_axes=body_axes,
        drift_ppm=drift_ppm,
        loss_bursts_per_min=loss_bursts_per_min,
    )


def record_segment(
    segment: Segment,
    *,
    source: str,
    command: str,
    scenario: str,
    placement: Placement,
    rate_hz: float,
    gyro: bool,
    seed: int,
    tilt_deg: float | None = None,
    tilt_axis: tuple[float, float, float] | None = None,
    body_axes: str | None = None,
    drift_ppm: float | None = None,
    loss_bursts_per_min: float = 1.0,
    samples_per_packet: int | None = None,
    burst_packets_max: int = 5,
    strap: Strap | None = None,
    extra: dict[str, Any] | None = None,
) -> Simulation:
    """Record a built ``segment`` as one band would, with its labels (see ``simulate``).

    The capture draws from its own generator, seeded by ``[seed, 1]``; what is not given is
    drawn from it as ``simulate`` describes. ``tilt_axis`` fixes the axis of the undeclared
    tilt (default: drawn, uniform over directions); ``samples_per_packet`` and
    ``burst_packets_max`` shape the lost-packet bursts (default: the band's packets, 1-5 of
    them); ``strap`` makes the band ride on a loose strap. ``extra`` is added to the labels'
    ``simulation`` record.
    """
    capture_rng = np.random.default_rng([seed, 1])
    drawn_axis = capture_rng.standard_normal(3)
    axis = drawn_axis if tilt_axis is None else np.array(tilt_axis, dtype=np.float64)
    tilt = float(capture_rng.uniform(10.0, 30.0)) if tilt_deg is None else tilt_deg
    axes = PROPER_AXES[int(capture_rng.integers(len(PROPER_AXES)))]
    drift = float(capture_rng.uniform(100.0, 400.0) * capture_rng.choice([-1.0, 1.0]))
    capture = Capture(
        rate_hz=rate_hz,
        body_axes=axes if body_axes is None else body_axes,
        tilt_deg=tilt,
        tilt_axis=(float(axis[0]), float(axis[1]), float(axis[2])),
        drift_ppm=drift if drift_ppm is None else drift_ppm,
        loss_bursts_per_min=loss_bursts_per_min,
        has_gyro=gyro,
        profile=profile_for(placement),
        samples_per_packet=samples_per_packet,
        burst_packets_max=burst_packets_max,
        strap=strap,
    )
    labels = segment.labels
    protect = [(j["takeoff_t"] - 1.2, j["landing_t"] + 0.6) for j in labels.jumps]
    protect += [(r["t"] - 1.5, r["t"] + 1.5) for r in labels.reversals]
    samples = record(segment.motion, capture, capture_rng, protect)
    mapped = labels.mapped(0.0, capture.time_scale)
    dt = np.diff(samples.time_s)
    gaps = [
        [float(samples.time_s[i]), float(samples.time_s[i + 1])]
        for i in np.flatnonzero(dt > 1.5 / rate_hz)
    ]
    truth = truth_document(
        mapped,
        source=source,
        placement=placement.value,
        fs=rate_hz,
        duration_s=float(samples.time_s[-1] - samples.time_s[0]),
        extra={
            "scenario": scenario,
            "seed": seed,
            "body_axes": capture.body_axes,
            "tilt_deg": tilt,
            "tilt_axis": [float(a) for a in axis / np.linalg.norm(axis)],
            "clock_drift_ppm": capture.drift_ppm,
            "acc_range_g": capture.profile.acc_range_g,
            "gyro": gyro,
            "gaps": gaps,
            **(extra or {}),
        },
    )
    return Simulation(samples, capture, placement, truth, command)


def write_simulation(sim: Simulation, path: str | Path) -> Path:
    """Write the recording CSV and its ``.truth.json``; returns the labels path."""
    with RecordingWriter(
        path,
        placement=sim.placement,
        sample_rate_hz=sim.capture.rate_hz,
        body_axes=sim.capture.body_axes,
        has_gyro=sim.capture.has_gyro,
        device=sim.capture.profile.device,
        extra={
            "acc_range_g": f"{sim.capture.profile.acc_range_g:g}",
            "simulated": sim.command,
        },
    ) as writer:
        writer.write(sim.samples)
    labels = truth_path(path)
    write_truth(labels, sim.truth)
    return labels
