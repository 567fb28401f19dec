"""Fit the trunk's walk evidence: the logistic models that start a walking bout.

``python -m benchmarks.walk_evidence [--stress DIR] [--jobs N]`` runs the trunk step detector
over the labelled trunk recordings (the shared real ones, ``tests/data/sim`` and the simulated
stress set, seed 0, written to ``benchmarks/out/stress-s0-n200`` if absent) with a detector
that never starts a bout, so that every run of held peaks it would judge is judged: the
features of each (``analysis.steps.trunk.WalkFeatures``) are kept with a label, then three
logistic models are fitted and printed as the constants ``analysis/steps/trunk.py`` holds,
with the share of each group of runs they accept.

Labels of a run of held peaks (each peak's contact, the peak less ``contact_offset_s``):
a walk's (1) when every contact lies within 0.3 s of a labelled step; not a walk's (0) when
every contact lies where the labels say no step is (0.3 s from any labelled step, a file that
labels no step, or labelled rest where the trunk is still: ``analysis.evaluate.moving_spans``);
runs that mix the two, or lie where nothing is labelled, are left out. A run is *fresh* when
no held peak came in the 1.3 s before its first: a walk's start, the moment the decision
matters for latency and for the first steps.

Fitting: L2-penalised logistic regression on standardised features (scipy's BFGS), each group
(origin x label, fresh or not, and the real rest runs) weighted to the same total, fresh walks
and real rest three times: the models are to start walks early and never start at rest, on
every source at once. Two pulses (a held peak and the next one's rise, or two held peaks) use
periodicity, amplitude, displacement, fore-aft motion and lean; three or more add the
step-time ratio and the number of pulses; a second model over three or more (the rhythm)
leaves the amplitude and the lean out. Not
part of the test suite; its output is pasted into the detector when the features change.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.steps.trunk import EVIDENCE_TERMS
from benchmarks.common import ROOT

OUT = ROOT / "benchmarks" / "out"
SIM = ROOT / "tests" / "data" / "sim"
REAL = ROOT.parent / "shared" / "data" / "real" / "as-recordings"
STRESS_SEED = 0
STRESS_COUNT = 200

#: A contact within this of a labelled step is that step's.
MATCH_S = 0.3
#: Weight of fresh walk runs and of real rest runs, against the other groups.
FRESH_WEIGHT = 3.0
REST_WEIGHT = 3.0
#: L2 penalty on the standardised coefficients.
PENALTY = 0.5

#: Terms of each model (``analysis.steps.trunk.EVIDENCE_TERMS``).
TWO_PULSES = ("periodicity", "log_amplitude", "low_displacement", "low_fore_aft", "lean_beyond")
THREE_PULSES = EVIDENCE_TERMS
RHYTHM = ("periodicity", "low_displacement", "log_interval_ratio", "low_fore_aft", "pulses")


@dataclass(frozen=True)
class Run:
    """One judged run of held peaks."""

    features: dict[str, float]
    label: int
    group: str
    fresh: bool


def design_row(f: dict[str, float]) -> list[float]:
    """The model's inputs, as the detector computes them (``evidence_terms``)."""
    from analysis.steps.trunk import WalkFeatures, evidence_terms

    return list(evidence_terms(WalkFeatures(**f)))  # type: ignore[arg-type]


def collect_file(path: str) -> list[Run]:
    """The judged runs of one recording (a detector that never starts a bout)."""
    from analysis.evaluate import moving_spans
    from analysis.steps import StepParams, TrunkStepDetector
    from analysis.stream import run_stream
    from sensor.evaluation.runner import read_samples
    from sensor.labels import read_truth, truth_path_for

    samples, source = read_samples(path)
    info = source.info
    if not info.placement.is_trunk:
        return []
    labels = read_truth(truth_path_for(path))
    truth = labels.truth
    params = StepParams()
    judged: list[tuple[Any, list[float]]] = []

    class Collector(TrunkStepDetector):
        def _walk_evidence(self, hist, run, now_t, rise_t, rise_step_s):  # type: ignore[no-untyped-def]
            features = self._walk_features(hist, run, now_t, rise_t, rise_step_s)
            judged.append((features, [h.peak_t for h in run]))
            return -1.0

    run_stream(Collector(params, info), samples.chunks(64))
    still: list[tuple[float, float]] = []
    rest = [s for s in truth.segments if s.rest]
    if rest:
        from analysis.evaluate import _subtract

        moving = sorted(moving_spans(samples.time_s, samples.acc_g))
        for seg in rest:
            still += _subtract((seg.start, seg.end), moving)
    steps = (
        None
        if truth.steps is None
        else np.array([s.t - truth.step_label_lag_s for s in truth.steps])
    )

    def contact_label(t: float) -> bool | None:
        if steps is not None:
            return bool(steps.size and np.min(np.abs(steps - t)) < MATCH_S)
        if any(a <= t < b for a, b in still):
            return False
        return None

    peaks = sorted({p for _, run in judged for p in run})
    out: list[Run] = []
    for features, run in judged:
        marks = [contact_label(p - params.contact_offset_s) for p in run]
        if all(m is True for m in marks):
            label = 1
        elif all(m is False for m in marks):
            label = 0
        else:
            continue
        before = [p for p in peaks if p < run[0] - 1e-9]
        fresh = not before or run[0] - before[-1] > params.max_step_s
        group = labels.origin + ("-rest" if steps is None else "")
        out.append(Run(asdict(features), label, group, fresh))
    return out


def fit(
    runs: Sequence[Run], columns: Sequence[str], keep: Callable[[Run], bool]
) -> tuple[float, dict[str, float], list[Run]]:
    """An L2-penalised, group-weighted logistic fit; intercept and coefficients."""
    from scipy.optimize import minimize

    chosen = [r for r in runs if keep(r)]
    use = [EVIDENCE_TERMS.index(c) for c in columns]
    x = np.array([[design_row(r.features)[i] for i in use] for r in chosen])
    y = np.array([r.label for r in chosen], dtype=float)
    keys = [f"{r.group}{'+' if r.label else '-'}{'F' if r.fresh else ''}" for r in chosen]
    count = Counter(keys)

    def weight(key: str) -> float:
        w = FRESH_WEIGHT if key.endswith("F") and "+" in key else 1.0
        return w * (REST_WEIGHT if "-rest" in key else 1.0)

    w = np.array([weight(k) / count[k] for k in keys])
    w *= len(w) / w.sum()
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mu) / sd

    def loss(b: np.ndarray) -> float:
        logit = z @ b[1:] + b[0]
        return float(np.sum(w * (np.logaddexp(0.0, logit) - y * logit)) + PENALTY * b[1:] @ b[1:])

    b = minimize(loss, np.zeros(len(use) + 1), method="BFGS").x
    coef = b[1:] / sd
    return float(b[0] - np.sum(b[1:] * mu / sd)), dict(zip(columns, coef, strict=True)), chosen


def logit(intercept: float, coef: dict[str, float], run: Run) -> float:
    row = dict(zip(EVIDENCE_TERMS, design_row(run.features), strict=True))
    return intercept + sum(c * row[name] for name, c in coef.items())


def constant(name: str, intercept: float, coef: dict[str, float]) -> str:
    body = "".join(f"    {c}={round(float(coef.get(c, 0.0)), 3)!r},\n" for c in EVIDENCE_TERMS)
    return f"{name} = _Logistic(\n    intercept={round(intercept, 3)!r},\n{body})"


def main(argv: Sequence[str] | None = None) -> int:
    from analysis.steps import trunk
    from sensor.simulate.stress import MANIFEST, parallel_map, write_stress_set

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stress", type=Path, default=None, help="stress set folder")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    stress = args.stress or OUT / f"stress-s{STRESS_SEED}-n{STRESS_COUNT}"
    if not (stress / MANIFEST).exists():
        write_stress_set(stress, STRESS_COUNT, STRESS_SEED, args.jobs)
    files = [
        str(p)
        for folder in (REAL, SIM, stress)
        for p in sorted(folder.rglob("*.csv"))
        if p.with_suffix(".truth.json").exists()
    ]
    runs = [r for rs in parallel_map(collect_file, files, args.jobs) for r in rs]
    models = {
        "_EVIDENCE_2": (TWO_PULSES, lambda r: r.features["pulses"] == 2),
        "_EVIDENCE_3": (THREE_PULSES, lambda r: r.features["pulses"] >= 3),
        "_RHYTHM_3": (RHYTHM, lambda r: r.features["pulses"] >= 3),
    }
    thresholds = {
        "_EVIDENCE_2": trunk._START_LOGIT_2,
        "_EVIDENCE_3": trunk._START_LOGIT_3,
        "_RHYTHM_3": trunk._RHYTHM_LOGIT_3,
    }
    lines = [f"{len(runs)} judged runs from {len(files)} recordings.", ""]
    for name, (columns, keep) in models.items():
        intercept, coef, chosen = fit(runs, columns, keep)
        lines += ["```python", constant(name, intercept, coef), "```", ""]
        lines += [
            f"| {name}: group | runs | accepted (logit >= {thresholds[name]}) "
            "| logit 5th / 50th / 95th percentile | highest |"
        ]
        lines += ["|---|---:|---:|---:|---:|"]
        groups: dict[str, list[float]] = {}
        for r in chosen:
            key = f"{r.group} {'walk' if r.label else 'no walk'}{' fresh' if r.fresh else ''}"
            groups.setdefault(key, []).append(logit(intercept, coef, r))
        for key in sorted(groups):
            z = np.array(groups[key])
            q = np.percentile(z, [5, 50, 95])
            lines.append(
                f"| {key} | {z.size} | {np.mean(z >= thresholds[name]):.3f} "
                f"| {q[0]:.1f} / {q[1]:.1f} / {q[2]:.1f} | {z.max():.1f} |"
            )
        lines.append("")
    sys.stdout.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
