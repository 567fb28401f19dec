"""A stress set: seeded recordings that sweep what varies between people and bands.

``design(count, seed)`` lays out the files: each is one activity (a forward or a backward
walk, a jump session, a ride with a reversal) on one placement, with or without a
gyroscope, the cells balanced within each activity; the continuous parameters are a Latin
hypercube per activity (McKay, Beckman and Conover, Technometrics 21 (1979) 239-245: each
parameter's range is cut into ``n`` equal strata and every stratum is used once, so even
200 files cover each range evenly and the worst files can be told apart by parameter).
``build_file`` simulates one of them; ``write_stress_set`` writes them all (recording CSVs,
their ``.truth.json`` labels, and ``manifest.json`` with each file's parameters).

What is swept, and why these ranges:

- **Body**: height 1.50-1.95 m (adult statures, 1st to 99th percentile roughly), relative leg
  length ±6 % (``sensor.simulate.body``).
- **Walking cadence** 50-140 steps/min, forward and backward. Step length follows the walk
  ratio (step length over cadence), near constant for a person across speeds at 0.0055-
  0.0075 m·min/step scaled by leg length (Sekiya and Nagasaki, Gait Posture 7 (1998) 41-48:
  about 0.0064 in young men, a little less in women); backward steps are shorter at the same
  cadence (Thorstensson 1986; Laufer 2005), taken as 0.75 of a forward one. The trunk's
  accelerations grow with walking speed (Kavanagh, J. NeuroEng. Rehabil. 6 (2009) 9: RMS
  acceleration rises with speed in every direction; Sekine et al., J. NeuroEng. Rehabil. 10
  (2013) 118); they are taken in proportion to speed, 1 at the reference walker's 1.19 m/s,
  within a personal style of ±15 %, so a 50 steps/min shuffle moves the trunk a quarter as
  much as a brisk walk. The legs' joint excursions go with the square root of the step
  length's ratio to the reference walker's (0.6-1.25 of its angles): a slow walker's swing
  leg still bends to clear the foot, so the joints turn through more than the short step
  alone would ask.
- **Fore-aft sway of the trunk** 0.3-1.2 of its vertical motion (``walking.sway_ratio``; the
  real lower-back walks span 0.36-1.31 between their 5th and 95th percentiles, the real
  chest walks 0.46-0.73).
- **Heel strikes** 0.4-2 times the reference walker's (log-uniform; at the shank 0.7-6.5 g
  against the reference 1.8-3.3 g): soft shoes and a gentle gait to hard heels on a hard
  floor (``walking._impacts``); for jumps the landings' peak and tibial shock 0.6-1.6 times
  (log-uniform).
- **Pedalling** 30-130 rpm forward, then a stop of 0.3-2 s and 30-130 rpm backward; crank
  165-175 mm.
- **The band**: a third of the files on a loose strap that rings at 8-25 Hz with damping
  0.1-0.3 (``sensor_model.Strap``); an undeclared tilt of 0-35° about a uniformly drawn
  axis; 25-200 Hz output; 0-8 bursts of lost packets per minute, each 1-5 packets of
  20-60 ms (a gap of up to 0.3 s, shorter than a step: what a band must ride through),
  never inside a jump or a pedal reversal, as in ``simulate``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from analysis.types import FloatArray, Placement
from sensor.labels import rounded
from sensor.simulate import RATES_HZ, Simulation, record_segment, write_simulation
from sensor.simulate import scenarios as sc
from sensor.simulate.body import Body
from sensor.simulate.cycling import Phase, ride
from sensor.simulate.sensor_model import Strap
from sensor.simulate.truth import Segment, join
from sensor.simulate.walking import STEP_LENGTH_M, stand, walk_bout

#: The activities of the set and each one's share of the files.
ACTIVITIES: dict[str, float] = {
    "walk_forward": 0.275,
    "walk_backward": 0.275,
    "jumps": 0.2,
    "pedal": 0.25,
}

#: Placement and gyroscope of each activity's files, used in turn. The simulator's jumps
#: have no foot or thigh model (the leg's jump is a shank's), so those sit out the jumps.
CELLS: dict[str, tuple[tuple[Placement, bool], ...]] = {
    "walk_forward": tuple(
        (p, g)
        for p in (
            Placement.CHEST,
            Placement.WAIST,
            Placement.SHANK,
            Placement.FOOT,
            Placement.THIGH,
        )
        for g in (False, True)
    ),
    "jumps": tuple(
        (p, g) for p in (Placement.CHEST, Placement.WAIST, Placement.SHANK) for g in (False, True)
    ),
    "pedal": (
        (Placement.SHANK, True),
        (Placement.SHANK, False),
        (Placement.FOOT, True),
        (Placement.FOOT, False),
        (Placement.THIGH, True),
        (Placement.CHEST, False),
    ),
}
CELLS["walk_backward"] = CELLS["walk_forward"]

#: The reference walker's speed: ``STEP_LENGTH_M`` at 110 steps/min.
REFERENCE_SPEED_MPS = STEP_LENGTH_M * 110.0 / 60.0
#: A backward step relative to a forward one at the same cadence.
BACKWARD_STEP = 0.75
#: Share of the files whose band sits on a loose strap.
LOOSE_STRAP_SHARE = 1.0 / 3.0
#: The jump programs, drawn in turn.
JUMP_PROGRAMS = ("jumps", "jumpseries", "jumpdrill")


@dataclass(frozen=True)
class Range:
    """A swept parameter's range; ``log`` draws evenly on a log scale."""

    lo: float
    hi: float
    log: bool = False

    def at(self, u: float) -> float:
        """The value at quantile ``u`` (0-1) of the range."""
        if self.log:
            return float(math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo))))
        return float(self.lo + u * (self.hi - self.lo))


HEIGHT_M = Range(1.50, 1.95)
LEG_RATIO = Range(0.94, 1.06)
CADENCE_SPM = Range(50.0, 140.0)
FORE_AFT_RATIO = Range(0.3, 1.2)
HEEL_STRIKE_GAIN = Range(0.4, 2.0, log=True)
LANDING_GAIN = Range(0.6, 1.6, log=True)
CADENCE_RPM = Range(30.0, 130.0)
CRANK_M = Range(0.165, 0.175)
STOP_S = Range(0.3, 2.0)
STRAP_HZ = Range(8.0, 25.0, log=True)
STRAP_DAMPING = Range(0.1, 0.3)
TILT_DEG = Range(0.0, 35.0)
LOSS_BURSTS_PER_MIN = Range(0.0, 8.0)
PACKET_S = Range(0.02, 0.06)
WALK_RATIO = Range(0.0055, 0.0075)
STYLE = Range(0.85, 1.15)
STEP_CV = Range(0.015, 0.045)
STEPS_PER_BOUT = Range(14.0, 24.0)

#: Hypercube dimensions shared by every activity (the person and the band).
_COMMON = (
    "height",
    "leg_ratio",
    "strap",
    "strap_damping",
    "tilt",
    "tilt_z",
    "tilt_azimuth",
    "rate",
    "loss",
    "packet",
    "burst",
)
_OWN: dict[str, tuple[str, ...]] = {
    "walk": ("cadence", "fore_aft", "heel", "walk_ratio", "style", "cv", "steps1", "steps2"),
    "jumps": ("landing", "program"),
    "pedal": ("rpm_forward", "rpm_backward", "crank", "stop"),
}


@dataclass(frozen=True)
class StressFile:
    """One file of the stress set: what it is and every parameter swept for it."""

    index: int
    activity: str
    placement: Placement
    gyro: bool
    rate_hz: float
    seed: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        gyro = "_gyro" if self.gyro else ""
        return (
            f"{self.index:03d}_{self.activity}_{self.placement.value}{gyro}_{self.rate_hz:g}hz.csv"
        )

    def manifest(self) -> dict[str, Any]:
        """The file's row in ``manifest.json``."""
        return {
            "file": self.name,
            "activity": self.activity,
            "placement": self.placement.value,
            "gyro": self.gyro,
            "rate_hz": self.rate_hz,
            "seed": self.seed,
            **self.params,
        }


def latin_hypercube(rng: np.random.Generator, n: int, d: int) -> FloatArray:
    """``n`` points in ``[0, 1)^d``, each dimension's ``n`` strata used once (McKay 1979)."""
    strata = np.stack([rng.permutation(n) for _ in range(d)], axis=1)
    out: FloatArray = (strata + rng.uniform(size=(n, d))) / n
    return out


def _counts(count: int) -> dict[str, int]:
    """Files per activity: the shares by largest remainder, one each at least if possible."""
    raw = {a: count * share for a, share in ACTIVITIES.items()}
    out = {a: math.floor(v) for a, v in raw.items()}
    for a in sorted(raw, key=lambda a: raw[a] - out[a], reverse=True):
        if sum(out.values()) >= count:
            break
        out[a] += 1
    for a in ACTIVITIES:
        if out[a] == 0 and count >= len(ACTIVITIES):
            donor = max(out, key=lambda k: out[k])
            out[donor] -= 1
            out[a] = 1
    return out


def _tilt_axis(u_z: float, u_azimuth: float) -> list[float]:
    """A unit vector, uniform over the sphere (Archimedes: ``z`` uniform in -1..1)."""
    z = 2.0 * u_z - 1.0
    r = math.sqrt(max(0.0, 1.0 - z * z))
    phi = 2.0 * math.pi * u_azimuth
    return [r * math.cos(phi), r * math.sin(phi), z]


def _common(u: dict[str, float], rate_hz: float) -> dict[str, Any]:
    loose = u["strap"] < LOOSE_STRAP_SHARE
    packet_s = PACKET_S.at(u["packet"])
    return {
        "height_m": HEIGHT_M.at(u["height"]),
        "leg_ratio": LEG_RATIO.at(u["leg_ratio"]),
        "strap_hz": STRAP_HZ.at(u["strap"] / LOOSE_STRAP_SHARE) if loose else None,
        "strap_damping": STRAP_DAMPING.at(u["strap_damping"]) if loose else None,
        "tilt_deg": TILT_DEG.at(u["tilt"]),
        "tilt_axis": _tilt_axis(u["tilt_z"], u["tilt_azimuth"]),
        "loss_bursts_per_min": LOSS_BURSTS_PER_MIN.at(u["loss"]),
        "samples_per_packet": max(1, round(packet_s * rate_hz)),
        "burst_packets_max": 1 + min(4, int(u["burst"] * 5)),
    }


def walk_params(
    *,
    cadence_spm: float,
    walk_ratio: float,
    style: float,
    fore_aft_ratio: float,
    heel_strike_gain: float,
    step_cv: float,
    steps_per_bout: list[int],
    backward: bool,
    body: Body,
) -> dict[str, Any]:
    """A walk's parameters, speed and amplitudes derived from cadence and walk ratio."""
    ratio = walk_ratio * body.leg_scale * (BACKWARD_STEP if backward else 1.0)
    step_m = ratio * cadence_spm
    speed = step_m * cadence_spm / 60.0
    return {
        "cadence_spm": cadence_spm,
        "step_length_m": step_m,
        "speed_mps": speed,
        "amp": float(np.clip(style * speed / REFERENCE_SPEED_MPS, 0.2, 1.8)),
        "leg_amp": float(np.clip(np.sqrt(step_m / (STEP_LENGTH_M * body.leg_scale)), 0.6, 1.25)),
        "fore_aft_ratio": fore_aft_ratio,
        "heel_strike_gain": heel_strike_gain,
        "step_cv": step_cv,
        "steps_per_bout": steps_per_bout,
    }


def _walk_params(u: dict[str, float], backward: bool, body: Body) -> dict[str, Any]:
    return walk_params(
        cadence_spm=CADENCE_SPM.at(u["cadence"]),
        walk_ratio=WALK_RATIO.at(u["walk_ratio"]),
        style=STYLE.at(u["style"]),
        fore_aft_ratio=FORE_AFT_RATIO.at(u["fore_aft"]),
        heel_strike_gain=HEEL_STRIKE_GAIN.at(u["heel"]),
        step_cv=STEP_CV.at(u["cv"]),
        steps_per_bout=[
            round(STEPS_PER_BOUT.at(u["steps1"])),
            round(STEPS_PER_BOUT.at(u["steps2"])),
        ],
        backward=backward,
        body=body,
    )


def design(count: int, seed: int) -> list[StressFile]:
    """The stress set's files: balanced cells per activity, a Latin hypercube within each."""
    if count < 1:
        raise ValueError(f"count: expected at least 1 file, got {count}")
    files: list[StressFile] = []
    for k, (activity, n) in enumerate(_counts(count).items()):
        if n == 0:
            continue
        rng = np.random.default_rng([seed, k])
        kind = "walk" if activity.startswith("walk") else activity
        dims = (*_COMMON, *_OWN[kind])
        cube = latin_hypercube(rng, n, len(dims))
        cells = CELLS[activity]
        offset = int(rng.integers(len(cells)))
        order = rng.permutation(n)
        for j in range(n):
            placement, gyro = cells[(int(order[j]) + offset) % len(cells)]
            u = dict(zip(dims, (float(x) for x in cube[j]), strict=True))
            rate = RATES_HZ[min(len(RATES_HZ) - 1, int(u["rate"] * len(RATES_HZ)))]
            params = _common(u, rate)
            body = Body(params["height_m"], params["leg_ratio"])
            if kind == "walk":
                params |= _walk_params(u, activity == "walk_backward", body)
            elif kind == "jumps":
                params |= {
                    "program": JUMP_PROGRAMS[min(2, int(u["program"] * 3))],
                    "landing_gain": LANDING_GAIN.at(u["landing"]),
                }
            else:
                params |= {
                    "rpm_forward": CADENCE_RPM.at(u["rpm_forward"]),
                    "rpm_backward": CADENCE_RPM.at(u["rpm_backward"]),
                    "crank_m": CRANK_M.at(u["crank"]),
                    "stop_s": STOP_S.at(u["stop"]),
                }
            files.append(StressFile(0, activity, placement, gyro, rate, 0, params))
    return [
        StressFile(i, f.activity, f.placement, f.gyro, f.rate_hz, seed * 100_000 + i, f.params)
        for i, f in enumerate(files)
    ]


#: The reference person and band of the one-at-a-time probes: every parameter at the
#: reference walker's, rider's or jumper's value, the band firm, tilted 10°, at 100 Hz,
#: losing nothing.
REFERENCE: dict[str, dict[str, Any]] = {
    "common": {
        "height_m": 1.75,
        "leg_ratio": 1.0,
        "strap_hz": None,
        "strap_damping": None,
        "tilt_deg": 10.0,
        "loss_bursts_per_min": 0.0,
        "burst_packets_max": 5,
    },
    "walk": {
        "cadence_spm": 110.0,
        "walk_ratio": 0.0064,
        "style": 1.0,
        "fore_aft_ratio": 0.7,
        "heel_strike_gain": 1.0,
        "step_cv": 0.025,
        "steps_per_bout": [20, 20],
    },
    "jumps": {"program": "jumps", "landing_gain": 1.0},
    "pedal": {"rpm_forward": 80.0, "rpm_backward": 60.0, "crank_m": 0.17, "stop_s": 1.0},
}

#: The values each probe runs through, one parameter at a time (the rest at ``REFERENCE``);
#: ``rate_hz`` is the band's output rate, ``strap_hz`` a loose strap damped 0.15, a loss rate
#: comes with bursts of up to five 60 ms packets (gaps up to 0.3 s).
PROBES: dict[str, dict[str, tuple[Any, ...]]] = {
    "walk": {
        "cadence_spm": (50.0, 60.0, 70.0, 80.0, 95.0, 110.0, 125.0, 140.0),
        "fore_aft_ratio": (0.3, 0.4, 0.5, 0.6, 0.9, 1.2),
        "heel_strike_gain": (0.4, 0.6, 1.0, 1.5, 2.0),
        "strap_hz": (None, 25.0, 15.0, 10.0, 8.0),
        "tilt_deg": (0.0, 15.0, 25.0, 35.0),
        "rate_hz": (25.0, 50.0, 100.0, 200.0),
        "loss_bursts_per_min": (0.0, 4.0, 8.0),
        "height_m": (1.5, 1.75, 1.95),
    },
    "jumps": {
        "landing_gain": (0.6, 1.0, 1.6),
        "strap_hz": (None, 15.0, 8.0),
        "tilt_deg": (0.0, 20.0, 35.0),
        "rate_hz": (25.0, 50.0, 100.0, 200.0),
        "height_m": (1.5, 1.95),
    },
    "pedal": {
        "rpm_forward": (30.0, 50.0, 70.0, 90.0, 110.0, 130.0),
        "stop_s": (0.3, 1.0, 2.0),
        "strap_hz": (None, 15.0, 8.0),
        "tilt_deg": (0.0, 20.0, 35.0),
        "rate_hz": (25.0, 50.0, 100.0, 200.0),
        "loss_bursts_per_min": (0.0, 8.0),
        "height_m": (1.5, 1.95),
    },
}


def probe_design(
    activity: str, placement: Placement, gyro: bool, seed: int, seeds: int = 3
) -> list[StressFile]:
    """Files that vary one parameter at a time from ``REFERENCE`` (``seeds`` of each).

    Each file's ``params["probe"]`` names the parameter and value it stands for; the tilt's
    axis is drawn per file, uniform over directions.
    """
    kind = "walk" if activity.startswith("walk") else activity
    rng = np.random.default_rng([seed, 99])
    out: list[StressFile] = []
    for name, values in PROBES[kind].items():
        if name == "fore_aft_ratio" and not placement.is_trunk:
            continue
        for value in values:
            for _ in range(seeds):
                base = {**REFERENCE["common"], **REFERENCE[kind], "rate_hz": 100.0}
                base[name] = value
                if name == "strap_hz" and value is not None:
                    base["strap_damping"] = 0.15
                if name == "loss_bursts_per_min":
                    base["packet_s"] = 0.06
                if name == "rpm_forward":
                    base["rpm_backward"] = value
                rate = float(base.pop("rate_hz"))
                packet_s = float(base.pop("packet_s", 0.04))
                params = dict(base)
                params["tilt_axis"] = _tilt_axis(float(rng.uniform()), float(rng.uniform()))
                params["samples_per_packet"] = max(1, round(packet_s * rate))
                if kind == "walk":
                    body = Body(params["height_m"], params["leg_ratio"])
                    walk = {k: params.pop(k) for k in REFERENCE["walk"]}
                    params |= walk_params(**walk, backward=activity == "walk_backward", body=body)
                params["probe"] = f"{name}={_value_text(value)}"
                out.append(StressFile(len(out), activity, placement, gyro, rate, 0, params))
    return [
        StressFile(
            f.index, f.activity, f.placement, f.gyro, f.rate_hz, seed * 100_000 + i, f.params
        )
        for i, f in enumerate(out)
    ]


def _value_text(value: Any) -> str:
    return "none" if value is None else f"{value:g}"


def _walk_segment(rng: np.random.Generator, spec: StressFile, body: Body) -> Segment:
    p = spec.params
    step_s = 60.0 / p["cadence_spm"]
    parts = [stand(rng, float(rng.uniform(2.0, 3.0)))]
    for steps in p["steps_per_bout"]:
        parts.append(
            walk_bout(
                rng,
                spec.placement,
                # ``walk_bout`` fits its contacts from 0.6 steps in to 0.8 steps before the
                # end: this length holds ``steps`` of them.
                duration_s=(steps + 0.9) * step_s + 0.45,
                backward=spec.activity == "walk_backward",
                cadence_spm=p["cadence_spm"],
                amp=p["amp"],
                cv=p["step_cv"],
                body=body,
                leg_amp=p["leg_amp"],
                step_length_m=p["step_length_m"],
                fore_aft_ratio=p["fore_aft_ratio"] if spec.placement.is_trunk else None,
                heel_strike_gain=p["heel_strike_gain"],
            )
        )
        parts.append(stand(rng, float(rng.uniform(1.5, 3.0))))
    return join(parts)


def _pedal_segment(rng: np.random.Generator, spec: StressFile, body: Body) -> Segment:
    p = spec.params
    phases = [
        Phase(3.0, 0.0),
        Phase(14.0, p["rpm_forward"], 2.0),
        Phase(1.5 + p["stop_s"], 0.0, 1.5),
        Phase(14.0, -p["rpm_backward"], 2.0),
        Phase(3.0, 0.0, 2.0),
    ]
    return ride(rng, spec.placement, phases, body=body, crank_m=p["crank_m"])


def _jump_segment(rng: np.random.Generator, spec: StressFile, body: Body) -> Segment:
    p = spec.params
    program = sc.SCENARIOS[p["program"]]
    return {"jumps": sc.jump_set, "jumpseries": sc.jump_series, "jumpdrill": sc.jump_drill}[
        p["program"]
    ](
        rng,
        spec.placement,
        program.default_duration_s,
        body=body,
        landing_gain=p["landing_gain"],
    )


def set_command(count: int, seed: int) -> str:
    """The command that writes the stress set of ``count`` files from ``seed``."""
    return f"retrosense simulate stress --count {count} --seed {seed}"


def build_file(spec: StressFile, command: str) -> Simulation:
    """Simulate one file of a set written by ``command`` (``set_command``)."""
    p = spec.params
    body = Body(p["height_m"], p["leg_ratio"])
    rng = np.random.default_rng(spec.seed)
    if spec.activity.startswith("walk"):
        segment = _walk_segment(rng, spec, body)
    elif spec.activity == "jumps":
        segment = _jump_segment(rng, spec, body)
    else:
        segment = _pedal_segment(rng, spec, body)
    strap = (
        None if p["strap_hz"] is None else Strap(float(p["strap_hz"]), float(p["strap_damping"]))
    )
    return record_segment(
        segment,
        source=f"simulated (stress set, file {spec.index}: {spec.activity}): {command}",
        command=f"{command} (file {spec.index})",
        scenario=f"stress:{spec.activity}",
        placement=spec.placement,
        rate_hz=spec.rate_hz,
        gyro=spec.gyro,
        seed=spec.seed,
        tilt_deg=float(p["tilt_deg"]),
        tilt_axis=(float(p["tilt_axis"][0]), float(p["tilt_axis"][1]), float(p["tilt_axis"][2])),
        loss_bursts_per_min=float(p["loss_bursts_per_min"]),
        samples_per_packet=int(p["samples_per_packet"]),
        burst_packets_max=int(p["burst_packets_max"]),
        strap=strap,
        extra={"stress": spec.manifest()},
    )


def _write_one(job: tuple[StressFile, str, str]) -> dict[str, Any]:
    spec, command, directory = job
    sim = build_file(spec, command)
    write_simulation(sim, Path(directory) / spec.name)
    truth = sim.truth
    gaps = truth["simulation"]["gaps"]
    return {
        **spec.manifest(),
        "duration_s": truth["duration_s"],
        "steps": len(truth["steps"] or []),
        "jumps": len(truth["jumps"]),
        "revolutions": len(truth["revolutions"]),
        "reversals": len(truth["reversals"]),
        "gaps": len(gaps),
        "longest_gap_s": max((b - a for a, b in gaps), default=0.0),
    }


MANIFEST = "manifest.json"

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Sequence[T], jobs: int | None = None) -> list[R]:
    """``fn`` over ``items`` in ``jobs`` processes (default: one per CPU), results in order."""
    workers = max(1, min(jobs or os.cpu_count() or 1, len(items)))
    if workers == 1:
        return [fn(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items, chunksize=1))


def write_stress_set(directory: str | Path, count: int, seed: int, jobs: int | None = None) -> Path:
    """Write the set's recordings, labels and ``manifest.json`` into ``directory``.

    ``jobs`` processes build the files (default: one per CPU); the files do not depend on
    it. Returns the manifest's path.
    """
    return write_files(directory, design(count, seed), set_command(count, seed), seed, jobs)


def write_files(
    directory: str | Path,
    specs: Sequence[StressFile],
    command: str,
    seed: int,
    jobs: int | None = None,
) -> Path:
    """Write ``specs`` (a stress set, or probes) and their ``manifest.json``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rows = parallel_map(_write_one, [(s, command, str(out)) for s in specs], jobs)
    manifest = out / MANIFEST
    document = {"command": command, "count": len(specs), "seed": seed, "files": rows}
    manifest.write_text(json.dumps(rounded(document), indent=1) + "\n", encoding="utf-8")
    return manifest


def read_manifest(directory: str | Path) -> list[dict[str, Any]]:
    """The file rows of a stress set's ``manifest.json``."""
    document = json.loads((Path(directory) / MANIFEST).read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = document["files"]
    return rows
