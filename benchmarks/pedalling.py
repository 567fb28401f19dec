"""Pedalling on many simulated rides: wrong and phantom reversals, wrong turns, counts per run.

``python -m benchmarks.pedalling [DIR] [--seeds 20] [--first-seed 401] [--stress DIR]
[--cell shank:no ...] [--jobs N] [--markdown FILE] [--json FILE]`` writes fresh seeded rides
into DIR (default ``benchmarks/out/pedalling``; reused when there, ``--regenerate`` to rewrite)
and scores them, with the labelled fixtures' rides and, given ``--stress``, a stress set's
files (``retrosense simulate stress``: its rides, and its walks and jump sessions for false
revolutions). Two kinds of fresh ride, each on every cell (placement and gyroscope) at 50 and
100 Hz:

- ``cycle``: ``retrosense simulate cycle`` (forward 65-95 rpm, backward 45-70, a slow-down
  to 30-42, coasting, a sprint out of the saddle at 90-115, two reversals);
- ``sweep``: six runs at cadences drawn from 30-130 rpm, some changing cadence half-way,
  between them a stop of 0.3-2 s after which the crank turns the other way (a reversal) or
  the same way (a pause: no reversal), or coasting for 3.5-6 s; a rider of 1.50-1.95 m, crank
  165-175 mm, tilt 0-35°, 0-6 bursts of lost packets a minute, a quarter on a loose strap.

Reported per cell and rate: revolutions labelled and detected, wrong-direction turns and
``unknown`` ones (coverage), reversals labelled / found / **wrong** (found, the other way) /
**phantom** (detected where none was within ±1.5 s) / over their latency budget (one turn at
the new cadence + 1 s with a gyroscope, two + 1 s without), the count error per bout as
``retrosense evaluate`` scores it (a run of L labelled turns is right with L - 2 .. L + 1
detections) and strictly (L - 1 .. L, what the unknown reference angle alone allows), the
cadence MAE, the revolutions found on files that are no ride and the steps the session
(after the activity stage) still reports on rides; ``--by-file`` lists every wrong or
phantom reversal and every wrong turn.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: benchmarks/pedalling.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, write_outputs

OUT = ROOT / "benchmarks" / "out" / "pedalling"
FIXTURES = ROOT / "tests" / "data" / "sim"

#: (placement, gyroscope) cells of the fresh rides.
CELLS = (
    ("shank", False),
    ("foot", False),
    ("thigh", False),
    ("shank", True),
    ("foot", True),
    ("thigh", True),
)
RATES_HZ = (50.0, 100.0)
KINDS = ("cycle", "sweep")


@dataclass(frozen=True)
class Ride:
    """One fresh ride to write: its kind, cell, rate and seed."""

    kind: str
    placement: str
    gyro: bool
    rate_hz: float
    seed: int

    @property
    def name(self) -> str:
        gyro = "_gyro" if self.gyro else ""
        return f"{self.kind}_{self.placement}{gyro}_{self.rate_hz:g}hz_s{self.seed}.csv"


def sweep_segment(rng: Any, placement: Any) -> tuple[Any, dict[str, Any]]:
    """The ``sweep`` ride (module docstring) and the rider drawn for it."""
    from sensor.simulate.body import Body
    from sensor.simulate.cycling import Phase, ride

    body = Body(float(rng.uniform(1.50, 1.95)), float(rng.uniform(0.94, 1.06)))
    crank_m = float(rng.uniform(0.165, 0.175))
    sign = float(rng.choice([-1.0, 1.0]))
    phases = [Phase(float(rng.uniform(2.0, 3.0)), 0.0)]
    for _ in range(6):  # each run starts from a standing crank
        rpm = float(rng.uniform(30.0, 130.0))
        run_s = float(rng.uniform(8.0, 14.0))
        standing = rpm > 80.0 and rng.random() < 0.15
        if rng.random() < 0.4:
            later = float(rng.uniform(30.0, 130.0))
            phases += [
                Phase(run_s / 2, sign * rpm, _ramp_s(rng, 0.0, rpm), standing),
                Phase(run_s / 2, sign * later, _ramp_s(rng, rpm, later), standing),
            ]
            rpm = later
        else:
            phases.append(Phase(run_s, sign * rpm, _ramp_s(rng, 0.0, rpm), standing))
        slow = _ramp_s(rng, rpm, 0.0)
        u = rng.random()
        if u < 0.55:  # a stop and the other way: a reversal
            phases.append(Phase(slow + float(rng.uniform(0.3, 2.0)), 0.0, slow))
            sign = -sign
        elif u < 0.8:  # a pause, then on the same way
            phases.append(Phase(slow + float(rng.uniform(0.3, 2.0)), 0.0, slow))
        else:  # coasting
            phases.append(Phase(slow + float(rng.uniform(3.5, 6.0)), 0.0, slow))
    phases.append(Phase(2.0, 0.0, 1.0))
    rider = {"height_m": body.height_m, "leg_ratio": body.leg_ratio, "crank_m": crank_m}
    return ride(rng, _placement(placement), phases, body=body, crank_m=crank_m), rider


#: Fastest change of cadence in a sweep ride (rpm/s): the cycle scenario's sprint start is
#: 35-45, the stress set's spin-ups up to 65.
MAX_RAMP_RPM_S = 50.0


def _ramp_s(rng: Any, start_rpm: float, end_rpm: float) -> float:
    """A ramp of 1-2.5 s, longer where the cadence would change faster than the limit."""
    return max(float(rng.uniform(1.0, 2.5)), abs(end_rpm - start_rpm) / MAX_RAMP_RPM_S)


def _placement(name: str) -> Any:
    from analysis.types import Placement

    return Placement(name)


def write_ride(job: tuple[Ride, str]) -> str:
    """Simulate one fresh ride into ``directory``; returns its path."""
    import numpy as np

    from sensor.simulate import Strap, record_segment, simulate, write_simulation

    spec, directory = job
    path = Path(directory) / spec.name
    placement = _placement(spec.placement)
    if spec.kind == "cycle":
        sim = simulate(
            "cycle", placement=placement, rate_hz=spec.rate_hz, gyro=spec.gyro, seed=spec.seed
        )
    else:
        rng = np.random.default_rng([spec.seed, 7])
        segment, rider = sweep_segment(rng, spec.placement)
        loose = rng.random() < 0.25
        strap = (
            Strap(float(math.exp(rng.uniform(math.log(8.0), math.log(25.0)))), 0.2)
            if loose
            else None
        )
        sim = record_segment(
            segment,
            source=f"simulated (pedalling sweep {spec.seed}): python -m benchmarks.pedalling",
            command=f"python -m benchmarks.pedalling ({spec.name})",
            scenario="pedal-sweep",
            placement=placement,
            rate_hz=spec.rate_hz,
            gyro=spec.gyro,
            seed=spec.seed,
            tilt_deg=float(rng.uniform(0.0, 35.0)),
            loss_bursts_per_min=float(rng.uniform(0.0, 6.0)),
            strap=strap,
            extra={"rider": rider},
        )
    write_simulation(sim, path)
    return str(path)


def _strict_run_excess(truth: Any, detected_t: Sequence[float]) -> list[float]:
    """Per labelled bout: detections outside ``[L - 1, L]`` per run, over its turns (%)."""
    import numpy as np

    from analysis.evaluate import _crank_runs

    runs = _crank_runs(truth.revolutions)
    starts = np.array([float(r.x[0]) for r in runs])
    turns = np.array([r.x.size - 1 for r in runs])
    lab_t = np.array([r.t for r in truth.revolutions])
    det = np.asarray(detected_t, dtype=np.float64)
    out: list[float] = []
    for bout in truth.bouts:
        if bout.kind != "pedal":
            continue
        n_l = int(np.count_nonzero((lab_t >= bout.start) & (lab_t <= bout.end + 1.0)))
        if not n_l:
            continue
        in_bout = np.flatnonzero((starts >= bout.start - 1e-3) & (starts <= bout.end))
        d = det[(det >= bout.start) & (det <= bout.end + 1.0)]
        if not in_bout.size:
            out.append(100.0 * d.size / n_l)
            continue
        which = np.clip(np.searchsorted(starts[in_bout], d, side="right") - 1, 0, None)
        found = np.bincount(which, minlength=in_bout.size)
        allowed = turns[in_bout]
        excess = np.maximum(found - allowed, 0).sum() - np.maximum(allowed - 1 - found, 0).sum()
        out.append(100.0 * float(excess) / n_l)
    return out


def score_ride(job: tuple[str, float | None]) -> dict[str, Any]:
    """Every pedalling figure of one recording, and its wrong and phantom reversals; with a
    gap spacing, of the recording with packet-loss gaps of 10-300 ms cut into its pedalling
    bouts that often (``analysis.perturb.cut_gaps``), and the revolutions the gaps cost: those
    the intact recording found from 1 s before a gap to 3 s after it that the gapped one did
    not (``analysis.evaluate.score_gap_losses``)."""
    import logging
    import zlib

    from analysis.evaluate import Tolerances, match_times, score_gap_losses, score_recording
    from analysis.events import Direction, PedalReversalEvent, RevolutionEvent, StepEvent
    from analysis.perturb import GapPlan, cut_gaps
    from sensor.evaluation.runner import detect, read_samples
    from sensor.labels import read_truth, truth_path_for

    path, spacing_s = job
    logging.getLogger("sensor").setLevel(logging.ERROR)
    labels = read_truth(truth_path_for(path))
    truth = labels.truth
    samples, source = read_samples(path)
    events, duration_s = detect(source, samples)
    gap_figures: dict[str, int] = {}
    if spacing_s is not None:
        spans = [(b.start, b.end) for b in truth.bouts if b.kind == "pedal"]
        plan = GapPlan(spacing_s=spacing_s, seed=zlib.crc32(Path(path).name.encode()))
        cut, gaps = cut_gaps(samples, spans, plan)
        intact = [e.t for e in events if isinstance(e, RevolutionEvent)]
        events, duration_s = detect(source, cut)
        gapped = [e.t for e in events if isinstance(e, RevolutionEvent)]
        found, lost = score_gap_losses(
            intact, intact, gapped, [(g.before_s, g.after_s) for g in gaps], Tolerances()
        )
        gap_figures = {"gaps_cut": len(gaps), "gap_found": found, "gap_lost": lost}
    info = source.info
    rec = score_recording(
        truth,
        events,
        name=Path(path).name,
        placement=info.placement.value,
        sample_rate_hz=info.sample_rate_hz,
        has_gyro=info.has_gyro,
        duration_s=duration_s,
    )
    rev, reversal = rec.scores["revolution"], rec.scores["pedal_reversal"]
    revs = [e for e in events if isinstance(e, RevolutionEvent)]
    turns = [e for e in events if isinstance(e, PedalReversalEvent)]
    labelled = list(truth.reversals or ())
    pairs = match_times([r.t for r in labelled], [e.t for e in turns], 1.5)
    matched = {j for _, j in pairs}
    wrong = [
        {"t": turns[j].t, "to": str(turns[j].to_direction), "label_to": labelled[i].to_direction}
        for i, j in pairs
        if str(turns[j].to_direction) != labelled[i].to_direction
    ]
    phantom = [
        {"t": e.t, "detected_at": e.detected_at, "to": str(e.to_direction)}
        for j, e in enumerate(turns)
        if j not in matched
    ]
    lab_revs = sorted(truth.revolutions or (), key=lambda r: r.t)
    wrong_turns: list[dict[str, Any]] = []
    if lab_revs:
        import numpy as np

        lab_t = np.array([r.t for r in lab_revs])
        for e in revs:
            if e.direction is Direction.UNKNOWN:
                continue
            i = int(np.argmin(np.abs(lab_t - e.t)))
            if abs(lab_t[i] - e.t) < 3.0 and lab_revs[i].direction != str(e.direction):
                wrong_turns.append({"t": e.t, "direction": str(e.direction)})
    return {
        "file": Path(path).name,
        "placement": info.placement.value,
        "gyro": info.has_gyro,
        "rate_hz": info.sample_rate_hz,
        "ride": bool(truth.revolutions),
        "revolutions_labelled": rev.n_truth,
        "revolutions_detected": rev.n_detected,
        "unknown": sum(1 for e in revs if e.direction is Direction.UNKNOWN),
        "direction_scored": rev.direction_scored,
        "direction_wrong": rev.direction_scored - rev.direction_correct,
        "bout_error_pct": list(rev.bout_count_errors_pct),
        "bout_error_strict_pct": _strict_run_excess(truth, [e.t for e in revs])
        if truth.revolutions
        else [],
        "cadence_abs_sum": sum(abs(x) for x in rev.cadence_errors_rpm),
        "cadence_n": len(rev.cadence_errors_rpm),
        "reversals_labelled": len(labelled),
        "reversals_detected": len(turns),
        "reversals_found": len(pairs) - len(wrong),
        "reversals_wrong": wrong,
        "reversals_phantom": phantom,
        "latency_excess_s": list(reversal.latency_excess_s),
        "wrong_turns": wrong_turns,
        # Steps no labelled step accounts for (a recording may hold a walk besides its ride).
        "steps_detected": sum(1 for e in events if isinstance(e, StepEvent))
        - (rec.scores["step"].tp if "step" in rec.scores else 0),
        **gap_figures,
    }


def _fmt_pct(num: float, den: float) -> str:
    return f"{100.0 * num / den:.1f} %" if den else "–"


def summary_rows(rows: Sequence[dict[str, Any]]) -> list[str]:
    """A markdown table: one row per (set, placement, gyroscope, rate)."""
    groups: dict[tuple[str, str, bool, float], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["set"], r["placement"], r["gyro"], r["rate_hz"]), []).append(r)
    head = (
        "| set | cell | files | revs labelled / detected | wrong turns | unknown (coverage) "
        "| reversals labelled / found | wrong | phantom | over budget (worst) "
        "| bout error mean / max / files > 3 % | strict [L-1, L] mean / max | cadence MAE "
        "| false revs on other files | false steps on rides | lost at gaps |"
    )
    out = [head, "|" + "---|" * 16]
    for (name, placement, gyro, rate), group in sorted(groups.items()):
        rides = [r for r in group if r["ride"]]
        others = [r for r in group if not r["ride"]]
        lab = sum(r["revolutions_labelled"] for r in rides)
        det = sum(r["revolutions_detected"] for r in rides)
        wrong_turns = sum(r["direction_wrong"] for r in rides)
        unknown = sum(r["unknown"] for r in rides)
        scored = sum(r["direction_scored"] for r in rides)
        rev_lab = sum(r["reversals_labelled"] for r in rides)
        found = sum(r["reversals_found"] for r in rides)
        wrong = sum(len(r["reversals_wrong"]) for r in group)
        phantom = sum(len(r["reversals_phantom"]) for r in group)
        excess = [x for r in rides for x in r["latency_excess_s"]]
        over = [x for x in excess if x > 0]
        errs = [abs(x) for r in rides for x in r["bout_error_pct"]]
        worst = [max((abs(x) for x in r["bout_error_pct"]), default=0.0) for r in rides]
        strict = [abs(x) for r in rides for x in r["bout_error_strict_pct"]]
        cad_n = sum(r["cadence_n"] for r in rides)
        cad = sum(r["cadence_abs_sum"] for r in rides) / cad_n if cad_n else math.nan
        false_revs = sum(r["revolutions_detected"] for r in others)
        stepped = [r.get("steps_detected", 0) for r in rides]
        false_steps = f"{sum(stepped)} on {sum(1 for n in stepped if n)}" if rides else "–"
        cut = sum(r.get("gaps_cut", 0) for r in group)
        gap_found = sum(r.get("gap_found", 0) for r in group)
        gap_lost = sum(r.get("gap_lost", 0) for r in group)
        at_gaps = f"{gap_lost} of {gap_found} ({cut} gaps)" if cut else "–"
        cell = f"{placement} {'+gyro' if gyro else 'no gyro'} {rate:g} Hz"
        out.append(
            f"| {name} | {cell} | {len(group)} | {lab} / {det} | {wrong_turns} "
            f"| {unknown} ({_fmt_pct(scored, scored + unknown)}) | {rev_lab} / {found} "
            f"| {wrong} | {phantom} | {len(over)} of {len(excess)} "
            f"({max(excess, default=math.nan):+.2f} s) "
            f"| {sum(errs) / max(len(errs), 1):.2f} / {max(errs, default=0.0):.1f} "
            f"/ {sum(1 for w in worst if w > 3.0)} "
            f"| {sum(strict) / max(len(strict), 1):.2f} / {max(strict, default=0.0):.1f} "
            f"| {cad:.2f} | {false_revs} on {len(others)} | {false_steps} | {at_gaps} |"
        )
    return out


def detail_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every wrong or phantom reversal and every wrong turn, by file."""
    out = []
    for r in rows:
        bits = []
        if r["reversals_wrong"]:
            bits.append("wrong reversals " + json.dumps(r["reversals_wrong"]))
        if r["reversals_phantom"]:
            bits.append("phantom reversals " + json.dumps(r["reversals_phantom"]))
        if r["wrong_turns"]:
            times = ", ".join(f"{w['t']:.1f}" for w in r["wrong_turns"])
            bits.append(f"{len(r['wrong_turns'])} wrong turns at {times}")
        worst = max((abs(x) for x in r["bout_error_pct"]), default=0.0)
        if worst > 3.0:
            bits.append(f"bout count error {worst:.1f} %")
        if bits:
            out.append(f"- `{r['set']}/{r['file']}`: " + "; ".join(bits))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from sensor.simulate.stress import parallel_map, read_manifest

    ap = argparse.ArgumentParser(prog="python -m benchmarks.pedalling", description=__doc__)
    ap.add_argument("directory", nargs="?", type=Path, default=OUT)
    ap.add_argument("--seeds", type=int, default=10, help="fresh rides per kind and cell")
    ap.add_argument("--first-seed", type=int, default=401)
    ap.add_argument("--kind", action="append", choices=KINDS, help="default: both")
    ap.add_argument(
        "--cell", action="append", help="placement:gyro|no (default: every cell)", default=None
    )
    ap.add_argument("--rate-hz", action="append", type=float, help="default: 50 and 100")
    ap.add_argument("--stress", type=Path, help="a stress set's directory (its rides and walks)")
    ap.add_argument("--no-fixtures", action="store_true")
    ap.add_argument("--no-fresh", action="store_true")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument(
        "--gaps",
        type=float,
        metavar="SPACING_S",
        help="also score every ride with a 10-300 ms gap cut in every SPACING_S of pedalling",
    )
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--by-file", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)

    cells: tuple[tuple[str, bool], ...] = CELLS
    if args.cell:
        cells = tuple((c.split(":")[0], c.split(":")[1] == "gyro") for c in args.cell)
    rates = tuple(args.rate_hz or RATES_HZ)
    jobs: list[tuple[str, str]] = []
    if not args.no_fresh:
        specs = [
            Ride(kind, placement, gyro, rate, seed)
            for kind in args.kind or KINDS
            for placement, gyro in cells
            for rate in rates
            for seed in range(args.first_seed, args.first_seed + args.seeds)
        ]
        args.directory.mkdir(parents=True, exist_ok=True)
        todo = [
            (s, str(args.directory))
            for s in specs
            if args.regenerate or not (args.directory / s.name).exists()
        ]
        parallel_map(write_ride, todo, args.jobs)
        jobs += [(s.kind, str(args.directory / s.name)) for s in specs]
    if not args.no_fixtures:
        jobs += [
            ("fixtures", str(p))
            for p in sorted(FIXTURES.glob("*.csv"))
            if not any(site in p.name for site in ("chest", "waist", "wrist"))
        ]
    if args.stress:
        for row in read_manifest(args.stress):
            if row["placement"] == "chest":
                continue
            kind = "stress ride" if row["activity"] == "pedal" else "stress other"
            jobs.append((kind, str(args.stress / row["file"])))
    runs = [(kind, (path, None)) for kind, path in jobs]
    if args.gaps:
        runs += [(f"{kind} gaps", (path, args.gaps)) for kind, path in jobs if "other" not in kind]
    scored = parallel_map(score_ride, [job for _, job in runs], args.jobs)
    rows = [{"set": kind, **row} for (kind, _), row in zip(runs, scored, strict=True)]
    lines = summary_rows(rows)
    if args.by_file:
        lines += ["", *detail_lines(rows)]
    write_outputs("\n".join(lines) + "\n", rows, args.markdown, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
