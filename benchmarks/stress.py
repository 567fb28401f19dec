"""Score the detectors on the simulator's stress set: the worst files, not only the mean.

``python -m benchmarks.stress [DIR] [--count 200] [--seed 1] [--jobs N]`` writes the stress
set into DIR (``retrosense simulate stress``; default ``benchmarks/out/stress-s<seed>-n<count>``,
reused when its manifest is there), runs every recording through ``retrosense evaluate``'s
scoring (``sensor.evaluation.evaluate_recording``: the same pipeline and matching as
the accuracy tables), and prints a markdown report: per-file step F1, jump F1, direction
accuracy and coverage, revolution count error, each as mean, median, 10th percentile and the
mean of the worst decile of files; the targets beside them; where in the swept parameters the
failures gather; the worst files with their parameters. ``--json FILE`` keeps every file's
figures, ``--markdown FILE`` the report.

Not part of the test suite's default run (200 files take minutes); a six-file version runs
in tests/test_stress_benchmark.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: benchmarks/stress.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, write_outputs

OUT = ROOT / "benchmarks" / "out"

#: The stress set's targets: worst-decile per-file F1 (the mean F1 of the worst tenth of the
#: files that carry the event).
STEP_F1_TARGET = 0.95
JUMP_F1_TARGET = 0.98
#: Per-bout revolution count error the pedalling detector is held to (the accuracy tables').
REVOLUTION_ERROR_TARGET_PCT = 3.0


# --- scoring one file ------------------------------------------------------------------------


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def score_file(path: str) -> dict[str, Any]:
    """Every figure of one stress recording (``None`` where the file has nothing to score)."""
    from sensor.errors import RetrosenseError
    from sensor.evaluation import evaluate_recording

    # The pipeline says once per file that no detector serves a placement (thigh): the
    # report shows it as zero detections.
    logging.getLogger("sensor").setLevel(logging.ERROR)
    try:
        rec = evaluate_recording(path)
    except RetrosenseError as err:
        return {"file": Path(path).name, "error": str(err)}
    out: dict[str, Any] = {"file": Path(path).name}
    out |= served(rec.placement, rec.sample_rate_hz, rec.has_gyro)
    step, jump = rec.scores["step"], rec.scores["jump"]
    rev, reversal = rec.scores["revolution"], rec.scores["pedal_reversal"]
    out["steps_labelled"], out["steps_detected"] = step.n_truth, step.n_detected
    out["step_f1"] = step.f1 if step.n_truth else None
    out["step_count_error_pct"] = (
        100.0 * (step.n_detected - step.n_truth) / step.n_truth if step.n_truth else None
    )
    out["step_direction_accuracy"] = _ratio(step.direction_correct, step.direction_scored)
    out["step_direction_coverage"] = _ratio(
        step.direction_scored, step.direction_scored + step.direction_unknown
    )
    out["jumps_labelled"], out["jumps_detected"] = jump.n_truth, jump.n_detected
    out["jump_f1"] = jump.f1 if jump.n_truth else None
    out["jump_direction_accuracy"] = _ratio(jump.direction_correct, jump.direction_scored)
    out["jump_direction_coverage"] = _ratio(
        jump.direction_scored, jump.direction_scored + jump.direction_unknown
    )
    out["revolutions_labelled"], out["revolutions_detected"] = rev.n_truth, rev.n_detected
    errors = [abs(e) for e in rev.bout_count_errors_pct]
    out["revolution_count_error_pct"] = max(errors) if errors else None
    out["revolution_direction_accuracy"] = _ratio(rev.direction_correct, rev.direction_scored)
    out["revolution_direction_coverage"] = _ratio(
        rev.direction_scored, rev.direction_scored + rev.direction_unknown
    )
    out["reversals_labelled"], out["reversals_detected"] = reversal.n_truth, reversal.n_detected
    out["reversal_f1"] = reversal.f1 if reversal.n_truth else None
    # Events on files that have none of them (a walk's jumps, a ride's steps).
    out["false_steps"] = step.n_detected if not step.n_truth else 0
    out["false_jumps"] = jump.n_detected if not jump.n_truth else 0
    out["false_revolutions"] = rev.n_detected if not rev.n_truth else 0
    return out


def served(placement: str, rate_hz: float, gyro: bool) -> dict[str, bool]:
    """Which detectors the pipeline builds for a placement (none for some: a thigh today)."""
    from analysis.jumps import JumpDetector
    from analysis.pedalling import PedallingDetector
    from analysis.registry import build_detectors
    from analysis.steps import StepDetector
    from analysis.types import Placement, StreamInfo

    built = build_detectors(StreamInfo(rate_hz, Placement(placement), gyro))
    return {
        "served_steps": any(isinstance(d, StepDetector) for d in built),
        "served_jumps": any(isinstance(d, JumpDetector) for d in built),
        "served_pedalling": any(isinstance(d, PedallingDetector) for d in built),
    }


def score_set(directory: Path, jobs: int | None = None) -> list[dict[str, Any]]:
    """Score every file of a stress set; rows are the manifest's with the figures added."""
    from sensor.simulate.stress import parallel_map, read_manifest

    manifest = read_manifest(directory)
    scores = parallel_map(score_file, [str(directory / row["file"]) for row in manifest], jobs)
    return [row | score for row, score in zip(manifest, scores, strict=True)]


# --- summaries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A per-file figure the report summarises."""

    key: str
    label: str
    #: Higher is better (F1, accuracy) or lower is (errors).
    higher_is_better: bool
    #: Which files carry it.
    applies: Callable[[dict[str, Any]], bool]
    target: float | None = None
    fmt: str = ".3f"
    #: The file row's flag saying the placement has a detector for it.
    served: str = "served_steps"


def _is_leg(row: dict[str, Any]) -> bool:
    return row["placement"] in ("shank", "ankle", "foot", "thigh")


METRICS = (
    Metric("step_f1", "step F1", True, lambda r: r["activity"].startswith("walk"), STEP_F1_TARGET),
    Metric(
        "step_count_error_pct",
        "step count error (%, absolute)",
        False,
        lambda r: r["activity"].startswith("walk"),
        fmt=".1f",
    ),
    Metric(
        "step_direction_accuracy",
        "step direction accuracy (of the calls)",
        True,
        lambda r: r["activity"].startswith("walk"),
    ),
    Metric(
        "step_direction_coverage",
        "step direction coverage (called / matched)",
        True,
        lambda r: r["activity"].startswith("walk"),
    ),
    Metric(
        "jump_f1",
        "jump F1",
        True,
        lambda r: r["activity"] == "jumps",
        JUMP_F1_TARGET,
        served="served_jumps",
    ),
    Metric(
        "jump_direction_accuracy",
        "jump direction accuracy (of the calls)",
        True,
        lambda r: r["activity"] == "jumps",
        served="served_jumps",
    ),
    Metric(
        "revolution_count_error_pct",
        "revolution count error per bout (%, worst bout of the file; legs)",
        False,
        lambda r: r["activity"] == "pedal" and _is_leg(r),
        REVOLUTION_ERROR_TARGET_PCT,
        ".1f",
        served="served_pedalling",
    ),
    Metric(
        "revolution_direction_accuracy",
        "revolution direction accuracy (legs)",
        True,
        lambda r: r["activity"] == "pedal" and _is_leg(r),
        served="served_pedalling",
    ),
    Metric(
        "reversal_f1",
        "pedal reversal F1 (legs)",
        True,
        lambda r: r["activity"] == "pedal" and _is_leg(r),
        served="served_pedalling",
    ),
)


def _value(row: dict[str, Any], metric: Metric) -> float | None:
    value = row.get(metric.key)
    if value is None:
        return None
    v = float(value)
    return abs(v) if not metric.higher_is_better else v


def _scored(
    rows: Sequence[dict[str, Any]], metric: Metric, served_only: bool = False
) -> list[dict[str, Any]]:
    """The rows that carry ``metric`` (only those whose placement has its detector)."""
    return [
        r
        for r in rows
        if "error" not in r
        and metric.applies(r)
        and _value(r, metric) is not None
        and (not served_only or r.get(metric.served, True))
    ]


def _values(
    rows: Sequence[dict[str, Any]], metric: Metric, served_only: bool = False
) -> list[float]:
    out = []
    for row in rows:
        if "error" in row or not metric.applies(row):
            continue
        if served_only and not row.get(metric.served, True):
            continue
        v = _value(row, metric)
        if v is not None:
            out.append(v)
    return out


def worst_decile(values: Sequence[float], higher_is_better: bool = True) -> float:
    """Mean of the worst tenth of ``values`` (at least one value)."""
    ordered = sorted(values, reverse=not higher_is_better)
    k = max(1, math.ceil(len(ordered) / 10))
    return sum(ordered[:k]) / k


def _percentile(values: Sequence[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q))


def summarise(
    rows: Sequence[dict[str, Any]], metric: Metric, served_only: bool = False
) -> dict[str, Any]:
    """Count, mean, median, the worst decile's boundary and mean, the worst file's value.

    ``served_only`` leaves out the files whose placement has no detector for the figure.
    """
    values = _values(rows, metric, served_only)
    if not values:
        return {"files": 0}
    tail = 10.0 if metric.higher_is_better else 90.0
    worst = worst_decile(values, metric.higher_is_better)
    out: dict[str, Any] = {
        "files": len(values),
        "mean": sum(values) / len(values),
        "median": _percentile(values, 50.0),
        "p10" if metric.higher_is_better else "p90": _percentile(values, tail),
        "worst_decile_mean": worst,
        "worst": min(values) if metric.higher_is_better else max(values),
    }
    if metric.target is not None:
        out["target"] = metric.target
        out["met"] = worst >= metric.target if metric.higher_is_better else worst <= metric.target
        out["files_missing_target"] = sum(
            1
            for v in values
            if (v < metric.target if metric.higher_is_better else v > metric.target)
        )
    return out


# --- where failures gather -------------------------------------------------------------------

#: Parameters to look for failure regions in, per activity (numeric ones are cut into
#: terciles, the others grouped by value).
REGION_PARAMS: dict[str, tuple[str, ...]] = {
    "walk": (
        "activity",
        "rate_hz",
        "strap",
        "cadence_spm",
        "speed_mps",
        "fore_aft_ratio",
        "heel_strike_gain",
        "height_m",
        "leg_ratio",
        "tilt_deg",
        "loss_bursts_per_min",
        "longest_gap_s",
        "step_cv",
    ),
    "jumps": (
        "program",
        "rate_hz",
        "strap",
        "landing_gain",
        "height_m",
        "tilt_deg",
        "loss_bursts_per_min",
    ),
    "pedal": (
        "rate_hz",
        "strap",
        "rpm_forward",
        "rpm_backward",
        "stop_s",
        "height_m",
        "leg_ratio",
        "tilt_deg",
        "loss_bursts_per_min",
    ),
}


#: Placements whose failures are looked for apart (a trunk and a leg fail for other reasons).
FAMILIES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "walk": (
        ("trunk (chest, waist)", ("chest", "waist")),
        ("legs (shank, foot, thigh)", ("shank", "ankle", "foot", "thigh")),
    ),
}


def _param(row: dict[str, Any], name: str) -> Any:
    if name == "placement":
        return row["placement"] + (" +gyro" if row["gyro"] else "")
    if name == "strap":
        return "loose" if row.get("strap_hz") is not None else "firm"
    if name == "fore_aft_ratio" and row["placement"] not in ("chest", "waist"):
        return None  # a trunk's sway: a leg band does not see it
    return row.get(name)


def regions(
    rows: Sequence[dict[str, Any]], metric: Metric, params: Sequence[str]
) -> list[dict[str, Any]]:
    """Per parameter and bin: files, mean of the metric, files missing its target.

    Numeric parameters are cut into terciles of the files (equal counts), the others
    grouped by value; the rows come worst bin first.
    """
    scored = _scored(rows, metric, served_only=True)
    out: list[dict[str, Any]] = []
    for name in params:
        present = [r for r in scored if _param(r, name) is not None]
        if not present:
            continue
        sample = _param(present[0], name)
        numeric = isinstance(sample, int | float) and not isinstance(sample, bool)
        bins: dict[str, list[dict[str, Any]]] = {}
        if numeric and len({_param(r, name) for r in present}) > 3:
            ordered = sorted(present, key=lambda r: float(_param(r, name)))
            thirds = [
                ordered[i * len(ordered) // 3 : (i + 1) * len(ordered) // 3] for i in range(3)
            ]
            for part in thirds:
                if part:
                    lo, hi = float(_param(part[0], name)), float(_param(part[-1], name))
                    bins[f"{lo:.3g}–{hi:.3g}"] = part
        else:
            for r in present:
                bins.setdefault(str(_param(r, name)), []).append(r)
        for label, part in bins.items():
            values = [v for r in part if (v := _value(r, metric)) is not None]
            missing = None
            if metric.target is not None:
                t = metric.target
                missing = sum(1 for v in values if (v < t if metric.higher_is_better else v > t))
            out.append(
                {
                    "parameter": name,
                    "bin": label,
                    "files": len(values),
                    "mean": sum(values) / len(values),
                    "worst": min(values) if metric.higher_is_better else max(values),
                    "missing_target": missing,
                }
            )
    return out


# --- the report ------------------------------------------------------------------------------

#: Columns of the worst-file lists: (header, key).
_WALK_COLUMNS = (
    ("cadence", "cadence_spm"),
    ("speed m/s", "speed_mps"),
    ("fore-aft", "fore_aft_ratio"),
    ("heel", "heel_strike_gain"),
    ("strap Hz", "strap_hz"),
    ("tilt °", "tilt_deg"),
    ("loss /min", "loss_bursts_per_min"),
    ("longest gap s", "longest_gap_s"),
    ("height m", "height_m"),
)
_JUMP_COLUMNS = (
    ("program", "program"),
    ("landing", "landing_gain"),
    ("strap Hz", "strap_hz"),
    ("tilt °", "tilt_deg"),
    ("loss /min", "loss_bursts_per_min"),
    ("height m", "height_m"),
)
_PEDAL_COLUMNS = (
    ("rpm fwd", "rpm_forward"),
    ("rpm back", "rpm_backward"),
    ("stop s", "stop_s"),
    ("strap Hz", "strap_hz"),
    ("tilt °", "tilt_deg"),
    ("loss /min", "loss_bursts_per_min"),
    ("height m", "height_m"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else f"{value:{spec}}"


def _worst_files(
    rows: Sequence[dict[str, Any]],
    metric: Metric,
    columns: Sequence[tuple[str, str]],
    counts: tuple[str, str],
    limit: int,
) -> list[str]:
    scored = _scored(rows, metric, served_only=True)
    scored.sort(key=lambda r: float(_value(r, metric) or 0.0), reverse=not metric.higher_is_better)
    head = ["file", metric.label.split(" (")[0], "labelled / detected", *[c[0] for c in columns]]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    for r in scored[:limit]:
        cells = [
            f"`{r['file']}`",
            _fmt(_value(r, metric), metric.fmt),
            f"{r[counts[0]]} / {r[counts[1]]}",
            *[_cell(r.get(key)) for _, key in columns],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _summary_table(rows: Sequence[dict[str, Any]], served_only: bool) -> list[str]:
    lines = [
        "| per-file figure | files | mean | median | 10th pct (90th for errors) | "
        "worst decile (mean) | worst file | target | files missing it |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for metric in METRICS:
        s = summarise(rows, metric, served_only)
        if not s["files"]:
            continue
        tail = s.get("p10", s.get("p90"))
        target = "–"
        if metric.target is not None:
            sign = "≥" if metric.higher_is_better else "≤"
            target = f"{sign} {metric.target:g} {'✓' if s['met'] else '✗'}"
        lines.append(
            f"| {metric.label} | {s['files']} | {s['mean']:{metric.fmt}} | "
            f"{s['median']:{metric.fmt}} | {tail:{metric.fmt}} | "
            f"{s['worst_decile_mean']:{metric.fmt}} | {s['worst']:{metric.fmt}} | {target} | "
            f"{s.get('files_missing_target', '–')} |"
        )
    return lines


def _by_group(rows: Sequence[dict[str, Any]], metric: Metric) -> list[str]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if "error" not in r and metric.applies(r) and r.get(metric.served, True):
            key = f"{r['activity']} {_param(r, 'placement')}"
            groups.setdefault(key, []).append(r)
    lines = [
        f"| {metric.label.split(' (')[0]}: activity, placement | files | mean | worst decile | "
        "worst | files missing target |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key in sorted(groups):
        s = summarise(groups[key], metric)
        if not s["files"]:
            continue
        lines.append(
            f"| {key} | {s['files']} | {s['mean']:{metric.fmt}} | "
            f"{s['worst_decile_mean']:{metric.fmt}} | {s['worst']:{metric.fmt}} | "
            f"{s.get('files_missing_target', '–')} |"
        )
    return lines


def _region_lines(rows: Sequence[dict[str, Any]], metric: Metric, kind: str) -> list[str]:
    """One row per parameter, its bins side by side; the parameter whose worst bin misses
    the target most often comes first."""
    found = regions(rows, metric, REGION_PARAMS[kind])
    by_param: dict[str, list[dict[str, Any]]] = {}
    for reg in found:
        by_param.setdefault(reg["parameter"], []).append(reg)

    def badness(regs: list[dict[str, Any]]) -> float:
        if metric.target is None:
            return 0.0
        return max(float(r["missing_target"] or 0) / float(r["files"]) for r in regs)

    name = metric.label.split(" (")[0]
    lines = [
        f"| parameter | {name}: mean over the bin's files (files missing the target / files) |",
        "|---|---|",
    ]
    for param, regs in sorted(by_param.items(), key=lambda kv: -badness(kv[1])):
        cells = "; ".join(
            f"{r['bin']}: {r['mean']:{metric.fmt}} ({_cell(r['missing_target'])}/{r['files']})"
            for r in regs
        )
        lines.append(f"| {param} | {cells} |")
    return lines


def _false_events(rows: Sequence[dict[str, Any]]) -> list[str]:
    lines = []
    for key, label, where in (
        ("false_steps", "steps detected on jump and pedalling files", ("jumps", "pedal")),
        ("false_jumps", "jumps detected on walking and pedalling files", ("walk", "pedal")),
        ("false_revolutions", "revolutions detected on walking and jump files", ("walk", "jumps")),
    ):
        files = [r for r in rows if "error" not in r and r["activity"].startswith(where)]
        hit = [r for r in files if r.get(key)]
        total = sum(int(r.get(key) or 0) for r in files)
        names = ", ".join(f"`{r['file']}` ({r[key]})" for r in hit[:8])
        more = f" and {len(hit) - 8} more" if len(hit) > 8 else ""
        lines.append(
            f"- {label}: {total} on {len(hit)} of {len(files)} files"
            + (f" ({names}{more})" if hit else "")
        )
    return lines


def format_report(rows: Sequence[dict[str, Any]], title: str, worst: int = 12) -> str:
    """The markdown report of a scored stress set."""
    out = [f"# {title}", ""]
    errors = [r for r in rows if "error" in r]
    activities: dict[str, int] = {}
    for r in rows:
        activities[r["activity"]] = activities.get(r["activity"], 0) + 1
    out.append(
        f"{len(rows)} files: "
        + ", ".join(f"{n} {a.replace('_', ' ')}" for a, n in activities.items())
        + (f"; {len(errors)} could not be scored" if errors else "")
        + ". Worst decile = the mean of the worst tenth of the files that carry the figure "
        "(the 10th percentile, the decile's boundary, is shown too)."
    )
    unserved = sorted(
        {
            f"{_param(r, 'placement')} ({what})"
            for r in rows
            for what, key in (
                ("steps", "served_steps"),
                ("jumps", "served_jumps"),
                ("pedalling", "served_pedalling"),
            )
            if not r.get(key, True) and any(m.served == key and m.applies(r) for m in METRICS)
        }
    )
    out += ["", "## Per-file figures: every file", "", *_summary_table(rows, False), ""]
    if unserved:
        out += [
            "## Per-file figures: placements with a detector for the figure",
            "",
            "No detector is built today for " + ", ".join(unserved) + "; their files score 0 "
            "above and are left out here, in the regions and in the worst files below.",
            "",
            *_summary_table(rows, True),
            "",
        ]
    out += ["## False events", "", *_false_events(rows), ""]
    sections = (
        ("Steps", METRICS[0], "walk", _WALK_COLUMNS, ("steps_labelled", "steps_detected")),
        ("Jumps", METRICS[4], "jumps", _JUMP_COLUMNS, ("jumps_labelled", "jumps_detected")),
        (
            "Revolutions",
            METRICS[6],
            "pedal",
            _PEDAL_COLUMNS,
            ("revolutions_labelled", "revolutions_detected"),
        ),
    )
    for name, metric, kind, columns, counts in sections:
        if not summarise(rows, metric)["files"]:
            continue
        out += [f"## {name}", "", *_by_group(rows, metric), ""]
        for family, placements in FAMILIES.get(kind, (("", ()),)):
            mine = [r for r in rows if not placements or r["placement"] in placements]
            if not _scored(mine, metric, served_only=True):
                continue
            where = f", {family}" if family else ""
            out += [f"Where it fails ({metric.label}{where}, by parameter):", ""]
            out += [*_region_lines(mine, metric, kind), ""]
        out += [f"Worst files ({metric.label}):", ""]
        out += [*_worst_files(rows, metric, columns, counts, worst), ""]
    if errors:
        out += ["## Not scored", ""] + [f"- `{r['file']}`: {r['error']}" for r in errors] + [""]
    return "\n".join(out)


def summary_json(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every file's figures, each metric's summary, and the regions."""
    return {
        "summary": {m.key: summarise(rows, m) for m in METRICS},
        "summary_served": {m.key: summarise(rows, m, served_only=True) for m in METRICS},
        "regions": {
            m.key: regions(rows, m, REGION_PARAMS[kind])
            for m, kind in ((METRICS[0], "walk"), (METRICS[4], "jumps"), (METRICS[6], "pedal"))
        },
        "files": list(rows),
    }


# --- one parameter at a time ------------------------------------------------------------------


def _probe_metric(activity: str) -> Metric:
    key = {"jumps": "jump_f1", "pedal": "revolution_count_error_pct"}.get(activity, "step_f1")
    return next(m for m in METRICS if m.key == key)


def parse_probe(text: str) -> tuple[str, str, bool]:
    """``walk_forward:chest`` or ``pedal:shank+gyro`` -> activity, placement, gyroscope."""
    from sensor.simulate.stress import ACTIVITIES

    activity, _, where = text.partition(":")
    placement, _, gyro = where.partition("+")
    if activity not in ACTIVITIES or not placement or gyro not in ("", "gyro"):
        raise argparse.ArgumentTypeError(
            f"expected ACTIVITY:PLACEMENT[+gyro] with ACTIVITY one of {', '.join(ACTIVITIES)}, "
            f"got {text!r}"
        )
    return activity, placement, gyro == "gyro"


def probe_lines(rows: Sequence[dict[str, Any]], title: str) -> list[str]:
    """One row per probed parameter: each value's mean figure over its seeds (worst seed)."""
    if not rows:
        return []
    metric = _probe_metric(str(rows[0]["activity"]))
    by_param: dict[str, dict[str, list[float]]] = {}
    for r in rows:
        name, _, value = str(r["probe"]).partition("=")
        v = _value(r, metric)
        by_param.setdefault(name, {}).setdefault(value, []).append(float("nan") if v is None else v)
    lines = [
        f"**{title}** ({metric.label}: mean over the seeds, worst seed in brackets; every other "
        "parameter at the reference)",
        "",
        "| parameter | value: figure |",
        "|---|---|",
    ]
    for name, values in by_param.items():
        worst = min if metric.higher_is_better else max
        cells = "; ".join(
            f"{value}: {sum(vs) / len(vs):{metric.fmt}} ({worst(vs):{metric.fmt}})"
            for value, vs in values.items()
        )
        lines.append(f"| {name} | {cells} |")
    return lines


def run_probe(
    directory: Path, activity: str, placement: str, gyro: bool, seed: int, jobs: int | None
) -> list[str]:
    """Write and score one probe (``probe_design``); its markdown lines."""
    from analysis.types import Placement
    from sensor.simulate.stress import MANIFEST, probe_design, write_files

    label = f"{activity}:{placement}{'+gyro' if gyro else ''}"
    where = directory / f"probe-{activity}-{placement}{'-gyro' if gyro else ''}"
    if not (where / MANIFEST).exists():
        specs = probe_design(activity, Placement(placement), gyro, seed)
        write_files(where, specs, f"python -m benchmarks.stress --probe {label}", seed, jobs)
    return probe_lines(score_set(where, jobs), f"One at a time: {label}")


# --- command ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stress", description=__doc__)
    parser.add_argument("directory", nargs="?", type=Path, help="where the set is (or goes)")
    parser.add_argument("--count", type=int, default=200, help="files in the set (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="the set's seed (default 1)")
    parser.add_argument("--jobs", type=int, help="processes (default: one per CPU)")
    parser.add_argument("--regenerate", action="store_true", help="write the set even if there")
    parser.add_argument("--json", type=Path, help="write every file's figures here")
    parser.add_argument("--markdown", type=Path, help="write the report here too")
    parser.add_argument("--worst", type=int, default=12, help="worst files listed per section")
    parser.add_argument(
        "--probe",
        type=parse_probe,
        action="append",
        metavar="ACTIVITY:PLACEMENT[+gyro]",
        help="vary one parameter at a time from the reference instead (e.g. walk_forward:chest)",
    )
    args = parser.parse_args(argv)
    if args.probe:
        directory = args.directory or OUT / f"stress-probes-s{args.seed}"
        lines: list[str] = []
        for activity, placement, gyro in args.probe:
            lines += [*run_probe(directory, activity, placement, gyro, args.seed, args.jobs), ""]
        write_outputs("\n".join(lines), None, args.markdown, None)
        return 0
    from sensor.simulate.stress import MANIFEST, write_stress_set

    directory = args.directory or OUT / f"stress-s{args.seed}-n{args.count}"
    started = time.perf_counter()
    if args.regenerate or not (directory / MANIFEST).exists():
        write_stress_set(directory, args.count, args.seed, args.jobs)
    generated = time.perf_counter()
    rows = score_set(directory, args.jobs)
    scored = time.perf_counter()
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    report = format_report(rows, f"Stress set: `{manifest['command']}`", args.worst)
    report += (
        f"\nGenerated in {generated - started:.0f} s, scored in {scored - generated:.0f} s "
        f"({args.jobs or os.cpu_count()} processes).\n"
    )
    write_outputs(report, summary_json(rows), args.markdown, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
