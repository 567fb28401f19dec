"""Real walks at the sample rates bands offer: step accuracy by placement and rate.

``python -m benchmarks.rates [DIR ...] [--rates 25,30,40,...] [--method band|polyphase]
[--jobs N] [--markdown FILE] [--json FILE]`` plays every real labelled walk under the
directories (default: ``../shared/data/real/as-recordings``; a file counts if its labels give
its steps one by one or a reference count) at each listed rate below its own, resampled
by ``analysis.perturb.resample``, through the same session ``retrosense evaluate`` runs,
and scores the steps as ``evaluate`` does (matched within 0.25 s; count error per file).
Each placement is printed at the rate it was recorded at, then at each lower one.

Bands stream at many rates (Polar 25-200 Hz, Movesense 13-208 Hz, WitMotion 10-200 Hz,
phones whatever they like), while the real recordings at hand were made at 50-104 Hz: this
says how much of what ``evaluate`` measured holds at the others. Not part of the test
suite (several minutes); its table is in docs/detectors.md.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.evaluate import RecordingScore, TypeScore
from analysis.perturb import RESAMPLE_METHODS, resample
from benchmarks.common import ROOT, write_outputs

REAL = ROOT.parent / "shared" / "data" / "real" / "as-recordings"
RATES_HZ = (25.0, 30.0, 40.0, 50.0, 64.0)


@dataclass(frozen=True)
class Job:
    """One recording at one rate (``None``: as recorded)."""

    path: str
    rate_hz: float | None
    method: str


def walks(directories: Sequence[Path]) -> list[Path]:
    """The recordings under ``directories`` whose labels count their steps."""
    from sensor.labels import read_truth, truth_path_for

    out = []
    for directory in directories:
        for path in sorted(directory.rglob("*.csv")):
            labels = truth_path_for(path)
            if labels.exists():
                truth = read_truth(labels).truth
                if truth.steps or truth.reference_steps:
                    out.append(path)
    return out


def score(job: Job) -> RecordingScore:
    """Detect and score one recording at the job's rate."""
    from sensor.evaluation.runner import detect, read_samples, score_events
    from sensor.labels import read_truth, truth_path_for

    labels = read_truth(truth_path_for(job.path))
    samples, source = read_samples(job.path)
    info = source.info
    if job.rate_hz is not None:
        samples = resample(samples, info.sample_rate_hz, job.rate_hz, job.method)
        info = replace(info, sample_rate_hz=job.rate_hz)
    events, duration_s = detect(source, samples, job.rate_hz)
    return score_events(labels, labels.truth, events, Path(job.path).name, info, duration_s, "")


def jobs_for(paths: Sequence[Path], rates_hz: Sequence[float], method: str) -> list[Job]:
    """Each recording as recorded and at each rate below its own (by at least 5 %)."""
    from sensor.sources import open_source

    out = []
    for path in paths:
        own = open_source(path).info.sample_rate_hz
        out.append(Job(str(path), None, method))
        out.extend(Job(str(path), r, method) for r in rates_hz if r < 0.95 * own)
    return out


def rows(scores: Sequence[RecordingScore], own: Sequence[bool]) -> list[dict[str, Any]]:
    """Pooled step scores per site, gyroscope and rate; ``own`` marks the scores of
    recordings at their own rate (pooled apart, whatever that rate was)."""
    pooled: dict[tuple[str, bool, str], tuple[TypeScore, int]] = {}
    for rec, as_recorded in zip(scores, own, strict=True):
        where = rec.body_site + ("" if rec.body_site == rec.placement else f" (as {rec.placement})")
        rate = "as recorded" if as_recorded else f"{rec.sample_rate_hz:g} Hz"
        key = (where, rec.has_gyro, rate)
        step = rec.scores["step"]
        if key in pooled:
            before, n = pooled[key]
            pooled[key] = (before.merged(step), n + 1)
        else:
            pooled[key] = (step, 1)
    out = []
    for (where, gyro, rate), (step, files) in pooled.items():
        errors = step.count_errors_pct
        out.append(
            {
                "placement": where + (" +gyro" if gyro else ""),
                "rate": rate,
                "files": files,
                "labelled": step.n_truth,
                "reference": step.n_reference,
                "detected": step.n_detected,
                "f1": step.f1 if step.n_truth else None,
                "count_error_mean_pct": (
                    sum(abs(e) for e in errors) / len(errors) if errors else None
                ),
                "count_error_worst_pct": max(errors, key=abs) if errors else None,
            }
        )
    return sorted(out, key=lambda r: (r["placement"], _rate_key(r["rate"])))


def _rate_key(rate: str) -> float:
    return -math.inf if rate == "as recorded" else -float(rate.split()[0])


def markdown(table: Sequence[dict[str, Any]], method: str) -> str:
    lines = [
        f"Labelled walks at other rates (`python -m benchmarks.rates --method {method}`)",
        "",
        "| placement | rate | files | steps labelled (reference) | detected | step F1 | "
        "count error per file, mean / worst |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in table:
        labelled = str(r["labelled"]) if r["labelled"] else f"({r['reference']})"
        f1 = "–" if r["f1"] is None else f"{r['f1']:.3f}"
        count = (
            "–"
            if r["count_error_mean_pct"] is None
            else f"{r['count_error_mean_pct']:.1f} % / {r['count_error_worst_pct']:+.1f} %"
        )
        lines.append(
            f"| {r['placement']} | {r['rate']} | {r['files']} | {labelled} | {r['detected']} | "
            f"{f1} | {count} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rates", description=__doc__)
    parser.add_argument("directories", nargs="*", type=Path, default=[REAL])
    parser.add_argument(
        "--rates",
        default=",".join(f"{r:g}" for r in RATES_HZ),
        help="comma-separated rates in Hz (default %(default)s)",
    )
    parser.add_argument("--method", choices=RESAMPLE_METHODS, default="band")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    try:
        rates_hz = [float(r) for r in args.rates.split(",") if r.strip()]
    except ValueError:
        parser.error(f"--rates: expected numbers in Hz separated by commas, got {args.rates!r}")
    if not rates_hz or min(rates_hz) <= 0:
        parser.error(f"--rates: expected rates above 0 Hz, got {args.rates!r}")
    missing = [str(d) for d in args.directories if not d.is_dir()]
    if missing:
        parser.error(f"not a directory: {', '.join(missing)}")
    from sensor.errors import RetrosenseError
    from sensor.simulate.stress import parallel_map

    try:
        jobs = jobs_for(walks(args.directories), rates_hz, args.method)
        scores = parallel_map(score, jobs, max(1, args.jobs))
    except RetrosenseError as err:
        print(f"python -m benchmarks.rates: {err}", file=sys.stderr)
        return 2
    table = rows(scores, [j.rate_hz is None for j in jobs])
    write_outputs(markdown(table, args.method), table, args.markdown, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
