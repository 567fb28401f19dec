"""``retrosense evaluate RECORDING...``: score the detectors on labelled recordings.

Each recording runs through the same streaming pipeline as ``retrosense analyze``
(``analyze_file``); its events are matched to the labels in ``<stem>.truth.json`` beside it
(or the files given with ``--labels``) by ``analysis.evaluate``. The report groups
recordings by origin (simulated or real), placement, sample rate and gyroscope, and shows the
detector issues' targets beside the figures. ``--format json`` is for machines,
``--format markdown`` is the accuracy table of README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.evaluate import (
    RATE_TARGETS,
    SCORED_TYPES,
    TARGETS,
    RecordingScore,
    Target,
    Truth,
    TruthBout,
    TruthJump,
    TruthReversal,
    TruthRevolution,
    TruthStep,
    TypeScore,
    check_targets,
    flight_target_s,
    pool,
    score_recording,
)
from sensor.errors import RecordingError

HELP = "score the detectors on labelled recordings (precision, recall, errors, latency)"


# --- labels --------------------------------------------------------------------------------


def truth_path_for(recording: str | Path) -> Path:
    """``walk.csv`` -> ``walk.truth.json`` beside it."""
    p = Path(recording)
    return p.with_name(p.stem + ".truth.json")


class _Fields:
    """Typed access to one labels object, with errors that name the file and the field."""

    def __init__(self, path: str, where: str, obj: object) -> None:
        if not isinstance(obj, dict):
            raise RecordingError(path, None, f"{where}: expected an object, got {obj!r:.40}")
        self.path, self.where, self.obj = path, where, obj

    def num(self, key: str, default: float | None = None) -> float:
        value = self.obj.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise RecordingError(
                self.path, None, f"{self.where}.{key}: expected a number, got {value!r:.40}"
            )
        return float(value)

    def opt_num(self, key: str) -> float | None:
        return None if self.obj.get(key) is None else self.num(key)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.obj.get(key, default)
        if not isinstance(value, str):
            raise RecordingError(
                self.path, None, f"{self.where}.{key}: expected a string, got {value!r:.40}"
            )
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self.obj.get(key) is None else self.text(key)


def _items(path: str, doc: dict[str, Any], key: str) -> list[_Fields] | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise RecordingError(path, None, f"{key}: expected a list or null, got {value!r:.40}")
    return [_Fields(path, f"{key}[{i}]", x) for i, x in enumerate(value)]


def parse_truth(path: str, doc: object) -> Truth:
    """Labels from a parsed ``.truth.json`` document (shape of shared/data/real/README.md)."""
    if not isinstance(doc, dict):
        raise RecordingError(path, None, "expected a JSON object with steps, jumps, ...")
    steps = _items(path, doc, "steps")
    jumps = _items(path, doc, "jumps")
    revs = _items(path, doc, "revolutions")
    reversals = _items(path, doc, "reversals")
    bouts = _items(path, doc, "bouts") or []

    def jump(f: _Fields) -> TruthJump:
        takeoff, landing = f.num("takeoff_t"), f.num("landing_t")
        flight = f.num("flight_time_s", landing - takeoff)
        return TruthJump(
            takeoff_t=takeoff,
            landing_t=landing,
            flight_time_s=flight,
            height_m=f.num("height_m", 9.80665 * flight**2 / 8.0),
            direction=f.text("direction", "vertical"),
            distance_m=f.opt_num("distance_m"),
            peak_g=f.opt_num("peak_g"),
            contact_s=f.opt_num("contact_s"),
            set_number=None if (n := f.opt_num("set")) is None else int(n),
            repetition=None if (r := f.opt_num("repetition")) is None else int(r),
        )

    return Truth(
        steps=None
        if steps is None
        else tuple(
            TruthStep(f.num("t"), f.text("direction", "forward"), f.opt_text("side")) for f in steps
        ),
        jumps=None if jumps is None else tuple(jump(f) for f in jumps),
        revolutions=None
        if revs is None
        else tuple(
            TruthRevolution(f.num("t"), f.text("direction"), f.num("cadence_rpm")) for f in revs
        ),
        reversals=None
        if reversals is None
        else tuple(TruthReversal(f.num("t"), f.text("from"), f.text("to")) for f in reversals),
        bouts=tuple(
            TruthBout(f.text("kind"), f.num("start"), f.num("end"), f.opt_text("direction"))
            for f in bouts
        ),
    )


def read_truth(path: str | Path) -> tuple[Truth, dict[str, Any]]:
    """The labels of a ``.truth.json`` file, and the raw document (for its ``source``)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as err:
        raise RecordingError(path, None, f"cannot read the labels: {err.strerror}") from err
    except json.JSONDecodeError as err:
        raise RecordingError(path, err.lineno, f"expected JSON labels: {err.msg}") from err
    return parse_truth(str(path), doc), doc if isinstance(doc, dict) else {}


# --- running -------------------------------------------------------------------------------


def evaluate_recording(recording: str | Path, labels: str | Path | None = None) -> RecordingScore:
    """Run the detectors over one recording and score its events against its labels."""
    from sensor.session import analyze_file
    from sensor.sources import open_source

    if not Path(recording).exists():
        raise RecordingError(recording, None, "no such file")
    labels_path = Path(labels) if labels is not None else truth_path_for(recording)
    if not labels_path.exists():
        raise RecordingError(
            labels_path, None, f"no labels for {recording}; expected this file or --labels"
        )
    truth, doc = read_truth(labels_path)
    info = open_source(recording).info
    events, duration_s = analyze_file(str(recording))
    source = str(doc.get("source", ""))
    return score_recording(
        truth,
        events,
        name=Path(recording).name,
        placement=info.placement.value,
        sample_rate_hz=info.sample_rate_hz,
        has_gyro=info.has_gyro,
        duration_s=duration_s,
        origin="sim" if source.startswith("simulated") else "real",
    )


def evaluate_files(
    recordings: Sequence[str | Path], labels: Sequence[str | Path] | None = None
) -> list[RecordingScore]:
    """``evaluate_recording`` for each file (labels by position, or beside each file)."""
    if labels and len(labels) != len(recordings):
        raise RecordingError(
            str(labels[0]),
            None,
            f"--labels: expected one labels file per recording ({len(recordings)}), "
            f"got {len(labels)}",
        )
    return [evaluate_recording(r, labels[i] if labels else None) for i, r in enumerate(recordings)]


# --- reports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a type's table: a header and how to render a pooled score."""

    header: str
    render: Callable[[TypeScore, RecordingScore], str]
    target: Target | None = None


def _fmt(value: float | int | None, spec: str, scale: float = 1.0, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value * scale:{spec}}{unit}"


def _get(score: TypeScore, metric: str) -> float | None:
    value = score.summary().get(metric)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _judged(score: TypeScore, rec: RecordingScore, target: Target, text: str) -> str:
    if not target.applies(rec.placement, rec.sample_rate_hz, rec.has_gyro) or not target.judges(
        score
    ):
        return text
    limit = flight_target_s(rec.sample_rate_hz) if target.metric in RATE_TARGETS else None
    check = (
        target
        if limit is None
        else Target(target.type, target.metric, limit, target.at_least, target.label)
    )
    ok = check.met(_get(score, target.metric))
    return text if ok is None else f"{text} {'✓' if ok else '✗'}"


def _target(type_: str, metric: str, gyro: bool | None = None) -> Target | None:
    for t in TARGETS:
        if t.type == type_ and t.metric == metric and (gyro is None or t.gyro in (None, gyro)):
            return t
    return None


def _pct(metric: str) -> Callable[[TypeScore, RecordingScore], str]:
    return lambda s, r: _fmt(_get(s, metric), ".1f", 100.0, " %")


def _ratio3(metric: str) -> Callable[[TypeScore, RecordingScore], str]:
    return lambda s, r: _fmt(_get(s, metric), ".3f")


def _seconds(
    metric: str, scale: float = 1.0, unit: str = " s", spec: str = ".2f"
) -> Callable[[TypeScore, RecordingScore], str]:
    return lambda s, r: _fmt(_get(s, metric), spec, scale, unit)


def _bias_sd(
    bias: str, sd: str, scale: float, unit: str, spec: str
) -> Callable[[TypeScore, RecordingScore], str]:
    def render(s: TypeScore, r: RecordingScore) -> str:
        b, d = _get(s, bias), _get(s, sd)
        if b is None:
            return "–"
        return f"{b * scale:+{spec}}" + (f" ± {d * scale:{spec}}" if d is not None else "") + unit

    return render


def _direction(type_: str) -> Callable[[TypeScore, RecordingScore], str]:
    def render(s: TypeScore, r: RecordingScore) -> str:
        text = _fmt(_get(s, "direction_accuracy"), ".1f", 100.0, " %")
        if s.direction_unknown:
            text += f" ({s.direction_unknown} unknown)"
        target = _target(type_, "direction_accuracy", r.has_gyro if type_ == "revolution" else None)
        return _judged(s, r, target, text) if target else text

    return render


def _jump_direction(s: TypeScore, r: RecordingScore) -> str:
    """Accuracy of the calls made, judged, then how many of the scored jumps got one."""
    text = _jump_accuracy(s, r)
    total = s.direction_scored + s.direction_unknown
    return f"{text}, {s.direction_scored} of {total} called" if total else text


def _contact(s: TypeScore, r: RecordingScore) -> str:
    """Contact time MAE over the linked jumps, and links reported without a contact."""
    text = _contact_mae(s, r)
    return f"{text} ({s.links_missed} not linked)" if s.links_missed else text


def _with_target(
    type_: str, metric: str, render: Callable[[TypeScore, RecordingScore], str]
) -> Callable[[TypeScore, RecordingScore], str]:
    target = _target(type_, metric)

    def wrapped(s: TypeScore, r: RecordingScore) -> str:
        text = render(s, r)
        return _judged(s, r, target, text) if target else text

    return wrapped


_jump_accuracy = _with_target(
    "jump", "direction_accuracy", _seconds("direction_accuracy", 100.0, " %", ".1f")
)
_contact_mae = _with_target(
    "jump", "contact_time_mae_s", _seconds("contact_time_mae_s", 1000.0, " ms", ".1f")
)


def _count(attr: str) -> Callable[[TypeScore, RecordingScore], str]:
    return lambda s, r: str(getattr(s, attr))


COLUMNS: dict[str, tuple[str, list[Column]]] = {
    "step": (
        "Steps (issue 5): matched within ±0.25 s; targets F1 ≥ 0.98 (chest, waist, shank), "
        "direction ≥ 98 %, latency p95 ≤ 0.6 s",
        [
            Column("labelled", _count("n_truth")),
            Column("detected", _count("n_detected")),
            Column("precision", _ratio3("precision")),
            Column("recall", _ratio3("recall")),
            Column("F1 (≥ 0.98)", _with_target("step", "f1", _ratio3("f1"))),
            Column("direction (≥ 98 %)", _direction("step")),
            Column("false steps /min", lambda s, r: _fmt(s.fp_per_min, ".1f")),
            Column(
                "latency median / p95 (≤ 0.6 s)",
                _with_target(
                    "step",
                    "latency_p95_s",
                    lambda s, r: (
                        f"{_seconds('latency_median_s')(s, r)} / {_seconds('latency_p95_s')(s, r)}"
                    ),
                ),
            ),
        ],
    ),
    "jump": (
        "Jumps (issue 4): landings matched within ±0.08 s; targets F1 ≥ 0.99, no jumps on "
        "jump-free files, flight MAE ≤ 8 ms at 100–200 Hz (≤ 1/fs below), direction ≥ 95 % "
        "(jumps travelling ≥ 15 cm, and vertical ones), contact time MAE of linked jumps like "
        "the flight's, latency ≤ 0.3 s. Anchor: Myotest waist flight time "
        "+31 ± 21 ms (Castagna et al. 2013)",
        [
            Column("labelled", _count("n_truth")),
            Column("detected", _count("n_detected")),
            Column("precision", _ratio3("precision")),
            Column("recall", _ratio3("recall")),
            Column("F1 (≥ 0.99)", _with_target("jump", "f1", _ratio3("f1"))),
            Column(
                "false jumps on jump-free files (0)",
                _with_target("jump", "fp_on_empty", _count("fp_on_empty")),
            ),
            Column(
                "flight MAE (≤ 8 ms)",
                _with_target(
                    "jump", "flight_time_mae_s", _seconds("flight_time_mae_s", 1000, " ms", ".1f")
                ),
            ),
            Column(
                "flight error mean ± sd",
                _bias_sd("flight_time_bias_s", "flight_time_sd_s", 1000.0, " ms", ".1f"),
            ),
            Column("height MAE", _seconds("height_mae_m", 100.0, " cm", ".1f")),
            Column("direction (≥ 95 %), called of scored", _jump_direction),
            Column("contact MAE (≤ 8 ms)", _contact),
            Column("RSI MAE", lambda s, r: _fmt(_get(s, "rsi_mae"), ".2f")),
            Column(
                "set/repetition right",
                lambda s, r: (
                    f"{_fmt(_get(s, 'numbering_accuracy'), '.1f', 100.0, ' %')} of "
                    f"{s.numbering_scored}"
                    if s.numbering_scored
                    else "–"
                ),
            ),
            Column(
                "latency max (≤ 0.3 s)",
                _with_target("jump", "latency_max_s", _seconds("latency_max_s")),
            ),
        ],
    ),
    "revolution": (
        "Revolutions (issue 6): counted per pedalling bout; targets count error ≤ 3 % per bout, "
        "direction ≥ 99 % with gyroscope (≥ 97 % without), cadence MAE ≤ 2 rpm. Anchor: "
        "seat-tube IMU 95 % of revolutions, cadence +0.9 ± 2.05 rpm (Hollaus et al. 2022)",
        [
            Column("bouts", lambda s, r: str(len(s.bout_count_errors_pct))),
            Column("labelled", _count("n_truth")),
            Column("detected", _count("n_detected")),
            Column(
                "count error per bout mean / max (≤ 3 %)",
                _with_target(
                    "revolution",
                    "bout_count_error_max_pct",
                    lambda s, r: (
                        f"{_seconds('bout_count_error_mean_pct', 1, ' %', '.1f')(s, r)} / "
                        f"{_seconds('bout_count_error_max_pct', 1, ' %', '.1f')(s, r)}"
                    ),
                ),
            ),
            Column("direction (≥ 99 % / 97 %)", _direction("revolution")),
            Column(
                "cadence MAE (≤ 2 rpm)",
                _with_target(
                    "revolution", "cadence_mae_rpm", _seconds("cadence_mae_rpm", 1, " rpm", ".1f")
                ),
            ),
            Column(
                "cadence error mean ± sd",
                _bias_sd("cadence_bias_rpm", "cadence_sd_rpm", 1.0, " rpm", ".1f"),
            ),
            Column("latency median", _seconds("latency_median_s")),
        ],
    ),
    "pedal_reversal": (
        "Pedal reversals (issue 6): matched within ±1.5 s; targets F1 ≥ 0.95, latency ≤ one "
        "revolution + 1 s",
        [
            Column("labelled", _count("n_truth")),
            Column("detected", _count("n_detected")),
            Column("precision", _ratio3("precision")),
            Column("recall", _ratio3("recall")),
            Column("F1 (≥ 0.95)", _with_target("pedal_reversal", "f1", _ratio3("f1"))),
            Column("direction", _direction("pedal_reversal")),
            Column(
                "latency median / max",
                lambda s, r: (
                    f"{_seconds('latency_median_s')(s, r)} / {_seconds('latency_max_s')(s, r)}"
                ),
            ),
            Column(
                "over budget, worst (≤ 0: 1 rev + 1 s)",
                _with_target(
                    "pedal_reversal", "latency_excess_max_s", _seconds("latency_excess_max_s")
                ),
            ),
        ],
    ),
}


def _rows(
    recordings: Sequence[RecordingScore], type_: str, by_file: bool = False
) -> list[tuple[str, int, TypeScore, RecordingScore]]:
    """Pooled score per group for one type, only groups where the type is labelled."""
    groups: dict[str, list[RecordingScore]] = {}
    for rec in recordings:
        score = rec.scores.get(type_)
        if score is not None and score.labelled:
            groups.setdefault(rec.name if by_file else rec.group, []).append(rec)
    rows = []
    for group in sorted(groups):
        recs = groups[group]
        pooled = pool(recs, key="all")["all"][type_]
        if pooled.n_truth or pooled.n_detected:
            rows.append((group, len(recs), pooled, recs[0]))
    return rows


def _none_labelled_note(recordings: Sequence[RecordingScore], type_: str) -> str:
    """One line on the recordings that have none of ``type_``: false alarms there."""
    empty = [
        r
        for r in recordings
        if r.scores.get(type_) is not None
        and r.scores[type_].labelled
        and r.scores[type_].n_truth == 0
    ]
    if not empty:
        return ""
    false = sum(r.scores[type_].n_detected for r in empty)
    minutes = sum(r.duration_s for r in empty) / 60.0
    where = sorted({r.name for r in empty if r.scores[type_].n_detected})
    text = (
        f"On the {len(empty)} recordings without any {type_.replace('_', ' ')} "
        f"({minutes:.1f} min): {false} detected"
    )
    return text + (f" ({', '.join(where)})." if where else ".")


def format_markdown(recordings: Sequence[RecordingScore], by_file: bool = False) -> str:
    """One README-ready table per event type, a row per origin, placement, rate, gyroscope.

    With ``by_file`` a row per recording instead (targets judged the same way).
    """
    out: list[str] = []
    for type_ in SCORED_TYPES:
        title, columns = COLUMNS[type_]
        rows = _rows(recordings, type_, by_file)
        if not rows and not _none_labelled_note(recordings, type_):
            continue
        out.append(f"**{title}.**")
        out.append("")
        headers = ["recordings", "files", *[c.header for c in columns]]
        out.append("| " + " | ".join(headers) + " |")
        out.append("|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|")
        for group, n, score, rec in rows:
            cells = [group, str(n), *[c.render(score, rec) for c in columns]]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        note = _none_labelled_note(recordings, type_)
        if note:
            out += [note, ""]
    misses = check_targets(recordings)
    if misses:
        out.append(
            "Targets missed: "
            + "; ".join(f"{m.type} {m.label} on {m.group} ({m.value:.3g})" for m in misses)
            + "."
        )
    else:
        out.append("Every target is met on these recordings.")
    return "\n".join(out) + "\n"


def format_table(recordings: Sequence[RecordingScore]) -> str:
    """A plain-text version of the markdown report for the terminal, per recording first."""
    lines = []
    width = max((len(r.name) for r in recordings), default=10)
    lines.append(
        f"{'recording':<{width}}  {'type':<15}{'truth':>6}{'det':>6}"
        f"{'P':>7}{'R':>7}{'F1':>7}{'dir':>8}"
    )
    for rec in recordings:
        for type_ in SCORED_TYPES:
            s = rec.scores[type_]
            if not s.labelled or (s.n_truth == 0 and s.n_detected == 0):
                continue
            lines.append(
                f"{rec.name:<{width}}  {type_:<15}{s.n_truth:>6}{s.n_detected:>6}"
                f"{_fmt(_get(s, 'precision'), '.3f'):>7}{_fmt(_get(s, 'recall'), '.3f'):>7}"
                f"{_fmt(_get(s, 'f1'), '.3f'):>7}"
                f"{_fmt(_get(s, 'direction_accuracy'), '.1f', 100.0, '%'):>8}"
            )
    lines.append("")
    return "\n".join(lines) + "\n" + format_markdown(recordings)


def report_json(recordings: Sequence[RecordingScore]) -> dict[str, Any]:
    """The machine-readable report: per recording, per group and overall, plus target misses."""
    groups: dict[str, dict[str, TypeScore]] = pool(recordings, key="group")
    overall = pool(recordings, key="all").get("all", {})
    return {
        "recordings": [
            {
                "name": r.name,
                "group": r.group,
                "origin": r.origin,
                "placement": r.placement,
                "sample_rate_hz": r.sample_rate_hz,
                "gyro": r.has_gyro,
                "duration_s": r.duration_s,
                "scores": {k: v.summary() for k, v in r.scores.items()},
            }
            for r in recordings
        ],
        "groups": {g: {k: v.summary() for k, v in s.items()} for g, s in groups.items()},
        "overall": {k: v.summary() for k, v in overall.items()},
        "targets_missed": [
            {"group": m.group, "type": m.type, "target": m.label, "value": m.value}
            for m in check_targets(recordings)
        ],
    }


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "recordings",
        nargs="+",
        metavar="RECORDING",
        help="labelled recordings, or directories of them",
    )
    p.add_argument(
        "--labels",
        nargs="+",
        metavar="LABELS",
        help="labels files, one per recording in order (default: <stem>.truth.json beside each)",
    )
    p.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    p.add_argument(
        "--by-file",
        action="store_true",
        help="markdown: a row per recording instead of per placement and rate",
    )


def expand_recordings(items: Sequence[str]) -> list[str]:
    """Directories stand for the recording CSVs in them that have labels beside them."""
    out: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = [str(c) for c in sorted(p.glob("*.csv")) if truth_path_for(c).exists()]
            if not found:
                raise RecordingError(
                    p, None, "expected labelled recordings (*.csv with .truth.json)"
                )
            out.extend(found)
        else:
            out.append(item)
    return out


def run(args: argparse.Namespace) -> int:
    recordings = evaluate_files(expand_recordings(args.recordings), args.labels)
    if args.format == "json":
        sys.stdout.write(json.dumps(report_json(recordings), indent=1) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(format_markdown(recordings, args.by_file))
    else:
        sys.stdout.write(format_table(recordings))
    return 0
