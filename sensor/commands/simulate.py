"""``retrosense simulate SCENARIO -o FILE``: a labelled recording from the simulator.

``retrosense simulate stress --count N --seed S -o DIR`` writes the stress set instead: ``N``
labelled recordings sweeping what varies between people and bands, and ``manifest.json``
(``sensor.simulate.stress``).
"""

from __future__ import annotations

import argparse
import sys

from sensor.arguments import placement_arg

HELP = "write a simulated, labelled recording (CSV + .truth.json) for a scenario"

#: The set that is not one scenario: ``-o`` names a directory.
STRESS = "stress"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {text!r}")
    return value


def _tilt(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected degrees, got {text!r}") from None
    if not 0.0 <= value <= 90.0:
        raise argparse.ArgumentTypeError(f"expected 0-90 degrees, got {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", help="what to simulate (see --list)")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="recording CSV to write (stress: a directory)"
    )
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument("--placement", type=placement_arg, default="chest", help="default: chest")
    p.add_argument(
        "--rate-hz", type=_positive, default=100.0, help="output rate, 25-200 (default 100)"
    )
    p.add_argument(
        "--gyro",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="include gyroscope columns (default: no)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--tilt-deg", type=_tilt, help="undeclared tilt (default: drawn, 10-30)")
    p.add_argument("--duration-s", type=_positive, help="approximate length in seconds")
    p.add_argument(
        "--count",
        type=_count,
        default=200,
        help="stress: how many recordings (default 200); placement, rate, gyroscope, tilt and "
        "length are swept per file",
    )
    p.add_argument(
        "--jobs", type=_count, help="stress: processes that build the files (default: CPUs)"
    )


def _run_stress(args: argparse.Namespace) -> int:
    from sensor.simulate.stress import write_stress_set

    if args.tilt_deg is not None or args.duration_s is not None:
        sys.stderr.write(
            "retrosense simulate: error: stress draws each file's tilt and length itself; "
            "expected only --count, --seed, --jobs and -o DIR\n"
        )
        return 2

    try:
        manifest = write_stress_set(args.output, args.count, args.seed, args.jobs)
    except OSError as err:
        sys.stderr.write(f"retrosense simulate: error: {args.output}: {err.strerror}\n")
        return 2
    sys.stderr.write(f"wrote {args.count} recordings, their labels and {manifest}\n")
    return 0


def run(args: argparse.Namespace) -> int:
    from sensor.simulate import SCENARIOS, simulate, write_simulation

    if args.list:
        width = max(len(n) for n in SCENARIOS)
        for name, spec in SCENARIOS.items():
            sys.stdout.write(f"{name:<{width}}  {spec.summary} ({spec.default_duration_s:g} s)\n")
        sys.stdout.write(
            f"{STRESS:<{width}}  a set of --count recordings sweeping people and bands "
            "(-o DIR; see docs/detectors.md)\n"
        )
        return 0
    if not args.scenario or not args.output:
        sys.stderr.write("retrosense simulate: error: give SCENARIO and -o FILE (or --list)\n")
        return 2
    if args.scenario == STRESS:
        return _run_stress(args)
    if args.scenario not in SCENARIOS:
        sys.stderr.write(
            f"retrosense simulate: error: unknown scenario {args.scenario!r}; "
            f"expected one of {', '.join(SCENARIOS)}\n"
        )
        return 2
    if not 10.0 <= args.rate_hz <= 500.0:
        sys.stderr.write(
            f"retrosense simulate: error: --rate-hz: expected 10-500 Hz, got {args.rate_hz:g}\n"
        )
        return 2
    sim = simulate(
        args.scenario,
        placement=args.placement,
        rate_hz=args.rate_hz,
        gyro=args.gyro,
        seed=args.seed,
        tilt_deg=args.tilt_deg,
        duration_s=args.duration_s,
    )
    try:
        labels = write_simulation(sim, args.output)
    except OSError as err:
        sys.stderr.write(f"retrosense simulate: error: {args.output}: {err.strerror}\n")
        return 2
    truth = sim.truth
    counts = ", ".join(
        f"{len(truth[k])} {k}" for k in ("steps", "jumps", "revolutions", "reversals") if truth[k]
    )
    sys.stderr.write(
        f"wrote {args.output} ({len(sim.samples)} samples, {truth['duration_s']:.1f} s) "
        f"and {labels} ({counts or 'no events'})\n"
    )
    return 0
