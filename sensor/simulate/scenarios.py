"""Scenarios: sequences of activities, each returning a labelled ``Segment``.

A scenario is a function ``(rng, placement, duration_s) -> Segment``; the capture (mounting,
tilt, rate, clock, losses) is applied afterwards by ``sensor.simulate.simulate``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from analysis.types import FloatArray, Placement
from sensor.simulate import cycling, jumps
from sensor.simulate import lookalikes as fakes
from sensor.simulate.body import REFERENCE_BODY, Body
from sensor.simulate.motion import Motion, grid, n_fine
from sensor.simulate.truth import Labels, Segment, join
from sensor.simulate.walking import stand, walk_bout

ScenarioFn = Callable[[np.random.Generator, Placement, float], Segment]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    default_duration_s: float
    build: ScenarioFn


def _walk_cadence(rng: np.random.Generator, backward: bool) -> float:
    # Comfortable cadence 100-120 steps/min forward; backward a little lower and more varied
    # (Thorstensson 1986; Laufer, Gait Posture 21 (2005) 307-313).
    return float(rng.uniform(85, 115) if backward else rng.uniform(100, 122))


def walk(rng: np.random.Generator, placement: Placement, duration_s: float) -> Segment:
    """Bouts of forward and backward walking with standing pauses."""
    parts = [stand(rng, float(rng.uniform(2.0, 3.5)))]
    backward = False
    used = parts[0].duration_s
    while used < duration_s - 8.0 or len(parts) == 1:  # at least one, however short
        bout_s = float(max(4.0, min(rng.uniform(9.0, 16.0), duration_s - used - 3.0)))
        amp = float(rng.uniform(0.6, 0.85) if backward else rng.uniform(0.85, 1.15))
        parts.append(
            walk_bout(
                rng,
                placement,
                duration_s=bout_s,
                backward=backward,
                cadence_spm=_walk_cadence(rng, backward),
                amp=amp,
            )
        )
        pause = float(rng.uniform(1.5, 3.0))
        parts.append(stand(rng, pause))
        used += bout_s + pause
        backward = not backward
    return join(parts)


def _jump_params(
    rng: np.random.Generator, kind: str, landing_gain: float = 1.0
) -> tuple[float, float, float]:
    flight = float(rng.uniform(0.2, 0.58) if kind == "vertical" else rng.uniform(0.2, 0.45))
    flight = float(np.clip(flight, 0.15, 0.6))
    horiz = {
        "vertical": float(rng.uniform(-0.05, 0.05)),
        "forward": float(rng.uniform(0.6, 1.1)),
        "backward": -float(rng.uniform(0.4, 0.8)),
    }[kind]
    # Trunk landing peaks of 3-8 g and more for stiff landings (McGinnis sacrum: 7.9 g); about
    # a quarter exceed the H10's ±8 g and clip.
    peak = float(rng.uniform(3.0, 9.0) + 2.0 * flight)
    return flight, horiz, peak * landing_gain


def jump_set(
    rng: np.random.Generator,
    placement: Placement,
    duration_s: float,
    *,
    body: Body = REFERENCE_BODY,
    landing_gain: float = 1.0,
) -> Segment:
    """Vertical, forward and backward countermovement jumps with rests between.

    ``body`` is the jumper's size; ``landing_gain`` makes the landings harder (> 1) or
    softer (< 1): their impact peak at the trunk and their tibial shock scale by it.
    """
    parts = [stand(rng, 2.0)]
    used = 2.0
    kinds = ["vertical", "backward", "forward"]
    i = 0
    while used < duration_s - 6.0 or len(parts) == 1:  # at least one, however short
        flight, horiz, peak = _jump_params(rng, kinds[i % 3], landing_gain)
        seg = jumps.countermovement_jump(
            rng,
            placement,
            flight_s=flight,
            horizontal_mps=horiz,
            peak_g=peak,
            body=body,
            tibial_shock_g=jumps.TIBIAL_SHOCK_G * landing_gain,
        )
        rest = float(rng.uniform(1.5, 3.5))
        parts += [seg, stand(rng, rest)]
        used += seg.duration_s + rest
        i += 1
    return join(parts)


def jump_series(
    rng: np.random.Generator,
    placement: Placement,
    duration_s: float,
    *,
    body: Body = REFERENCE_BODY,
    landing_gain: float = 1.0,
) -> Segment:
    """Seed 002's series: jump back, land, jump forward to the start, repeat.

    ``body`` and ``landing_gain`` as in ``jump_set``.
    """
    parts = [stand(rng, 2.0)]
    used = 2.0
    while used < duration_s - 8.0 or len(parts) == 1:  # at least one, however short
        travel = 0.0
        for kind in ("backward", "forward"):
            flight, horiz, peak = _jump_params(rng, kind, landing_gain)
            seg = jumps.countermovement_jump(
                rng,
                placement,
                flight_s=flight,
                horizontal_mps=horiz,
                peak_g=peak,
                lead_s=0.4,
                tail_s=float(rng.uniform(0.9, 1.4)),
                travel_m=-travel if kind == "forward" else None,
                body=body,
                tibial_shock_g=jumps.TIBIAL_SHOCK_G * landing_gain,
            )
            travel = seg.labels.jumps[0]["distance_m"]
            parts.append(seg)
            used += seg.duration_s
        rest = float(rng.uniform(1.5, 3.0))
        parts.append(stand(rng, rest))
        used += rest
    return join(parts)


def jump_drill(
    rng: np.random.Generator,
    placement: Placement,
    duration_s: float,
    *,
    body: Body = REFERENCE_BODY,
    landing_gain: float = 1.0,
) -> Segment:
    """The backward-jump drill in sets: jumps linked by short contacts, a pause between sets.

    Sets cycle through back-forward pairs ("jump back, land, jump straight forward to the
    start, repeat"), vertical rebounds, and back-vertical-forward-vertical; 3-6 jumps each.
    A forward jump returns the last backward jump's flight travel. Contacts are drawn from
    0.15-0.5 s, rebound contacts: fast stretch-shortening rebounds stay below 0.25 s,
    slower ones reach about 0.5 s (Flanagan and Comyns, Strength Cond. J. 30(5) (2008)
    32-38). The rest between sets (4-6 s standing) is what ends a set. ``body`` and
    ``landing_gain`` as in ``jump_set``.
    """
    patterns = (
        ("backward", "forward"),
        ("vertical",),
        ("backward", "vertical", "forward", "vertical"),
    )
    parts = [stand(rng, 2.0)]
    used = 2.0
    set_number = 0
    while used < duration_s - 8.0 or len(parts) == 1:  # at least one, however short
        pattern = patterns[set_number % len(patterns)]
        set_number += 1
        count = int(rng.integers(3, 7))
        flights: list[float] = []
        speeds: list[float] = []
        peaks: list[float] = []
        back_travel = 0.0
        for i in range(count):
            kind = pattern[i % len(pattern)]
            flight, horiz, peak = _jump_params(rng, kind, landing_gain)
            if kind == "backward":
                back_travel = horiz * flight
            elif kind == "forward" and back_travel < 0.0:
                # Back to the start: the backward jump's flight travel, at a speed a
                # forward jump reaches (Meylan et al. 2010: 0.5-1.5 m/s).
                horiz = float(np.clip(-back_travel / flight, 0.5, 1.5))
            flights.append(flight)
            speeds.append(horiz)
            peaks.append(peak)
        contacts = [float(rng.uniform(0.15, 0.5)) for _ in range(count - 1)]
        seg = jumps.linked_jumps(
            rng,
            placement,
            flights_s=flights,
            horizontal_mps=speeds,
            peaks_g=peaks,
            contacts_s=contacts,
            set_number=set_number,
            lead_s=float(rng.uniform(0.8, 1.2)),
            tail_s=1.5,
            body=body,
            tibial_shock_g=jumps.TIBIAL_SHOCK_G * landing_gain,
        )
        rest = float(rng.uniform(4.0, 6.0))
        parts += [seg, stand(rng, rest)]
        used += seg.duration_s + rest
    return join(parts)


def lookalikes(rng: np.random.Generator, placement: Placement, duration_s: float) -> Segment:
    """Stomps, heel drops, squats and sitting down hard: impacts and dips that are no jumps."""
    makers = [
        fakes.stomp,
        fakes.heel_drop,
        fakes.squat,
        fakes.sit_down_hard,
    ]
    parts = [stand(rng, 2.0)]
    used = 2.0
    i = 0
    while used < duration_s - 7.0 or len(parts) == 1:  # at least one, however short
        seg = makers[i % len(makers)](rng, placement)
        rest = float(rng.uniform(1.0, 2.5))
        parts += [seg, stand(rng, rest)]
        used += seg.duration_s + rest
        i += 1
    return join(parts)


def squats(rng: np.random.Generator, placement: Placement, duration_s: float) -> Segment:
    """A set of bodyweight squats."""
    parts = [stand(rng, 2.0)]
    used = 2.0
    while used < duration_s - 5.0 or len(parts) == 1:  # at least one, however short
        seg = fakes.squat(rng, placement)
        rest = float(rng.uniform(0.3, 1.0))
        parts += [seg, stand(rng, rest)]
        used += seg.duration_s + rest
    return join(parts)


def standing(rng: np.random.Generator, placement: Placement, duration_s: float) -> Segment:
    """Quiet standing with a few small shifts of weight."""
    return stand(rng, duration_s)


def cycle(rng: np.random.Generator, placement: Placement, duration_s: float) -> Segment:
    """Pedalling forward and backward: reversals, a slow-down, coasting."""
    return cycling.ride(rng, placement, cycling.ride_program(rng, duration_s))


def _transition(rot_a: FloatArray, rot_b: FloatArray, duration_s: float, kind: str) -> Segment:
    """Change posture smoothly (getting on or off the bike)."""
    n = n_fine(duration_s)
    t = grid(n)
    s = 0.5 - 0.5 * np.cos(np.pi * t / t[-1])
    slerp = Slerp([0.0, 1.0], Rotation.from_matrix(np.stack([rot_a, rot_b])))
    rot = slerp(s).as_matrix()
    bout = {"kind": kind, "start": 0.0, "end": duration_s}
    return Segment(Motion(np.zeros((n, 3)), rot), Labels(steps=[], bouts=[bout]))


def mixed(rng: np.random.Generator, placement: Placement, duration_s: float) -> Segment:
    """A workout: walk forward and back, a jump set, the back-and-forth series, pedalling."""
    share = max(duration_s, 60.0) / 240.0
    walk_part = walk(rng, placement, 60.0 * share)
    jump_part = jump_set(rng, placement, 40.0 * share)
    series_part = jump_series(rng, placement, 40.0 * share)
    ride_part = cycle(rng, placement, 90.0 * share)
    on_bike = ride_part.motion.rot[0]
    off_bike = ride_part.motion.rot[-1]
    return join(
        [
            walk_part,
            jump_part,
            series_part,
            stand(rng, 1.0),
            _transition(np.eye(3), on_bike, 3.0, "mount"),
            ride_part,
            _transition(off_bike, np.eye(3), 3.0, "dismount"),
            stand(rng, 2.0),
        ]
    )


def retro_demo(rng: np.random.Generator, placement: Placement, duration_s: float) -> Segment:
    """A short retro workout: backward walking, the backward jump series, backward pedalling."""
    walk_part = walk_bout(
        rng,
        placement,
        duration_s=max(12.0, 0.25 * duration_s),
        backward=True,
        cadence_spm=_walk_cadence(rng, True),
        amp=0.75,
    )
    series = jump_series(rng, placement, max(14.0, 0.3 * duration_s))
    back = -float(rng.uniform(50, 65))
    ride_part = cycling.ride(
        rng,
        placement,
        [
            cycling.Phase(1.5, 0.0),
            cycling.Phase(max(10.0, 0.2 * duration_s), back, 2.0),
            cycling.Phase(2.5, 0.0, 1.5),
            cycling.Phase(max(8.0, 0.12 * duration_s), float(rng.uniform(70, 85)), 2.0),
            cycling.Phase(2.0, 0.0, 1.5),
        ],
    )
    return join(
        [
            stand(rng, 2.0),
            walk_part,
            stand(rng, 2.0),
            series,
            _transition(np.eye(3), ride_part.motion.rot[0], 3.0, "mount"),
            ride_part,
            _transition(ride_part.motion.rot[-1], np.eye(3), 2.0, "dismount"),
            stand(rng, 1.5),
        ]
    )


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("walk", "walking forward and backward in bouts with pauses", 60.0, walk),
        Scenario(
            "cycle", "pedalling: forward, backward, reversals, slow-down, coasting", 80.0, cycle
        ),
        Scenario("jumps", "vertical, backward and forward countermovement jumps", 45.0, jump_set),
        Scenario(
            "jumpseries", "jump back, land, jump forward to the start, repeat", 40.0, jump_series
        ),
        Scenario(
            "jumpdrill",
            "sets of back/forward/vertical jumps linked by short contacts, rests between",
            60.0,
            jump_drill,
        ),
        Scenario(
            "lookalikes",
            "stomps, heel drops, squats, sitting down hard (no jumps)",
            60.0,
            lookalikes,
        ),
        Scenario("squats", "a set of bodyweight squats", 40.0, squats),
        Scenario("stand", "quiet standing", 40.0, standing),
        Scenario("mixed", "a workout: walking, jumps, the jump series, pedalling", 240.0, mixed),
        Scenario(
            "retro", "a short retro workout for the demo (backward everything)", 75.0, retro_demo
        ),
    )
}
