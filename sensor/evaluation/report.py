"""The evaluation report: markdown tables (docs/detectors.md), a terminal table, JSON.

Rows are groups of recordings (origin, variant, body site, rate, gyroscope), real ones first
and the simulated after them, or one row per recording (``by_file``). Column titles show the
targets of ``analysis.evaluate.TARGETS`` that judge the column, rendered from them; a cell
carries ✓ or ✗ where one of them applies to its row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.evaluate import (
    GAPS,
    LOW_RATE,
    PLAIN,
    REVERSED,
    SCORED_TYPES,
    TARGETS,
    Miss,
    RecordingScore,
    SegmentTally,
    Tolerances,
    TypeScore,
    check_targets,
    judge,
    pool,
    targets_for,
)
from analysis.perturb import ANTI_ALIAS_FRACTION, DOUBLE_SUPPORT_SHARE, LOW_RATE_HZ, GapPlan


@dataclass(frozen=True)
class Row:
    """A row of a table: a label, its recordings and their pooled scores."""

    label: str
    recordings: tuple[RecordingScore, ...]
    scores: dict[str, TypeScore]

    @property
    def first(self) -> RecordingScore:
        return self.recordings[0]


Render = Callable[[Row], str]


@dataclass(frozen=True)
class Column:
    """A column: its title, how a row renders, and the metric whose targets judge it."""

    title: str
    render: Render
    type: str = ""
    metric: str = ""


@dataclass(frozen=True)
class Table:
    """One table: the event type whose rows it shows, the variant, a title, columns."""

    type: str
    variant: str
    title: str
    columns: tuple[Column, ...]


# --- cells ---------------------------------------------------------------------------------


def _fmt(value: float | int | None, spec: str, scale: float = 1.0, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value * scale:{spec}}{unit}"


def _get(score: TypeScore, metric: str) -> float | None:
    value = score.summary().get(metric)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _score(row: Row, type_: str) -> TypeScore:
    return row.scores.get(type_) or TypeScore(type_, labelled=False)


def _metric(type_: str, metric: str, spec: str, scale: float = 1.0, unit: str = "") -> Render:
    return lambda row: _fmt(_get(_score(row, type_), metric), spec, scale, unit)


def _count(type_: str, attr: str) -> Render:
    return lambda row: str(getattr(_score(row, type_), attr))


def _judged(type_: str, metric: str, variant: str, render: Render) -> Render:
    """``render`` with ✓ or ✗ where a target on ``metric`` judges the row."""
    targets = targets_for(type_, metric, variant)

    def wrapped(row: Row) -> str:
        text = render(row)
        verdicts = [judge(t, _score(row, type_), row.first)[0] for t in targets]
        known = [v for v in verdicts if v is not None]
        return f"{text} {'✓' if all(known) else '✗'}" if known else text

    return wrapped


def _targets_text(type_: str, metric: str, variant: str) -> str:
    """``"≥ 0.97 real chest, waist; ≥ 0.98 sim"``: the targets on a column, in words."""
    parts = []
    for t in targets_for(type_, metric, variant):
        parts.append(f"{t.threshold} {t.scope}".strip())
    return "; ".join(parts)


def _column(
    title: str, render: Render, type_: str = "", metric: str = "", variant: str = PLAIN
) -> Column:
    """A column judged by the targets on ``metric`` (if any), its title showing them."""
    if not metric or not targets_for(type_, metric, variant):
        return Column(title, render, type_, metric)
    return Column(
        f"{title} ({_targets_text(type_, metric, variant)})",
        _judged(type_, metric, variant, render),
        type_,
        metric,
    )


def _labelled_steps(row: Row) -> str:
    s = _score(row, "step")
    parts = [str(s.n_truth)] if s.labelled else []
    if s.n_reference:
        parts.append(f"{s.n_reference} ref.")
    return " + ".join(parts) or "–"


def _count_errors(row: Row) -> str:
    s = _score(row, "step")
    mean, worst = _get(s, "count_error_mean_pct"), _get(s, "count_error_worst_pct")
    if mean is None or worst is None:
        return "–"
    return f"{mean:.1f} % / {worst:+.1f} %"


def _direction(type_: str) -> Render:
    def render(row: Row) -> str:
        s = _score(row, type_)
        text = _fmt(_get(s, "direction_accuracy"), ".1f", 100.0, " %")
        if s.direction_scored:
            text += f" of {s.direction_scored}"
        return text

    return render


def _share_of(type_: str, metric: str, of: str) -> Render:
    """``"97.0 % of 412"``: a share and how many it is of, ``–`` for none."""

    def render(row: Row) -> str:
        s = _score(row, type_)
        n = getattr(s, of)
        return f"{_fmt(_get(s, metric), '.1f', 100.0, ' %')} of {n}" if n else "–"

    return render


def _noted(type_: str, metric: str, scale: float, unit: str, count: str, note: str) -> Render:
    """A value, and a count in brackets where it is not zero: ``"96.0 % (3 unknown)"``."""

    def render(row: Row) -> str:
        s = _score(row, type_)
        text = _fmt(_get(s, metric), ".1f", scale, unit)
        n = getattr(s, count)
        return f"{text} ({n} {note})" if n else text

    return render


_coverage = _noted("step", "direction_coverage", 100.0, " %", "direction_unknown", "unknown")
_oneway = _share_of("step", "oneway_share", "oneway_called")


def _rest(type_: str) -> Render:
    def render(row: Row) -> str:
        s = _score(row, type_)
        if s.rest_labelled_s <= 0:
            return "–"
        return (
            f"{_fmt(_get(s, 'rest_per_h'), '.0f')} "
            f"(all rest {_fmt(_get(s, 'rest_labelled_per_h'), '.0f')})"
        )

    return render


def _pair(type_: str, first: str, second: str, spec: str, unit: str) -> Render:
    """Two figures of one score: ``"0.45 s / 0.52 s"``."""

    def render(row: Row) -> str:
        s = _score(row, type_)
        return f"{_fmt(_get(s, first), spec, unit=unit)} / {_fmt(_get(s, second), spec, unit=unit)}"

    return render


_latency = _pair("step", "latency_median_s", "latency_p95_s", ".2f", " s")


def _after_gaps(row: Row) -> str:
    s = _score(row, "step")
    if not s.after_gap_found:
        return "–"
    return (
        f"{s.after_gap_lost} of {s.after_gap_found} "
        f"({_fmt(_get(s, 'after_gap_lost_share'), '.1f', 100.0, ' %')})"
    )


def _bias_sd(
    type_: str, metric_bias: str, metric_sd: str, scale: float, unit: str, spec: str
) -> Render:
    def render(row: Row) -> str:
        s = _score(row, type_)
        b, d = _get(s, metric_bias), _get(s, metric_sd)
        if b is None:
            return "–"
        return f"{b * scale:+{spec}}" + (f" ± {d * scale:{spec}}" if d is not None else "") + unit

    return render


def _jump_direction(row: Row) -> str:
    """Accuracy of the calls made, then how many of the scored jumps got one."""
    s = _score(row, "jump")
    text = _fmt(_get(s, "direction_accuracy"), ".1f", 100.0, " %")
    total = s.direction_scored + s.direction_unknown
    return f"{text}, {s.direction_scored} of {total} called" if total else text


_contact = _noted("jump", "contact_time_mae_s", 1000.0, " ms", "links_missed", "not linked")
_numbering = _share_of("jump", "numbering_accuracy", "numbering_scored")


_bout_counts = _pair(
    "revolution", "bout_count_error_mean_pct", "bout_count_error_max_pct", ".1f", " %"
)
_reversal_latency = _pair("pedal_reversal", "latency_median_s", "latency_max_s", ".2f", " s")


def _pct(type_: str, metric: str) -> Render:
    return _metric(type_, metric, ".1f", 100.0, " %")


def _ratio(type_: str, metric: str) -> Render:
    return _metric(type_, metric, ".3f")


# --- tables --------------------------------------------------------------------------------

_TOL = Tolerances()
_GAPS = GapPlan()


def _false_jumps(variant: str) -> Column:
    return _column(
        "false jumps", _count("jump", "fp_on_empty"), "jump", "fp_on_empty", variant=variant
    )


def _tables() -> tuple[Table, ...]:
    step_s = f"±{_TOL.step_s:g} s"
    plain_steps = Table(
        "step",
        PLAIN,
        f"Steps. Matched one to one within {step_s} of the foot contact (a label that lags "
        "the contact, as the Oxford step counter's do, is moved back by its lag first). Count "
        "error per file against the labelled steps, or a reference count where steps are not "
        "labelled one by one (mean of |error| / the worst, signed). Direction is scored "
        'where the labels know which way is forward ("right" of the steps called, '
        '"coverage" the share called); elsewhere "one way" is the share of the called '
        "steps that agree with their file's majority. False steps at rest: per hour of "
        "labelled rest where the trunk is still, and over all labelled rest",
        (
            _column("labelled", _labelled_steps),
            _column("detected", _count("step", "n_detected")),
            _column("precision", _ratio("step", "precision")),
            _column("recall", _ratio("step", "recall")),
            _column("F1", _ratio("step", "f1"), "step", "f1"),
            _column("F1 worst decile", _ratio("step", "f1_p10"), "step", "f1_p10"),
            _column("count error", _count_errors, "step", "count_error_max_pct"),
            _column("direction right", _direction("step"), "step", "direction_accuracy"),
            _column("direction coverage", _coverage, "step", "direction_coverage"),
            _column("one way", _oneway),
            _column("false steps at rest /h", _rest("step"), "step", "rest_per_h"),
            _column("latency median / p95", _latency, "step", "latency_p95_s"),
        ),
    )
    reversed_steps = Table(
        "step",
        REVERSED,
        "Real forward walks played backward in time (acceleration reversed in time, angular "
        "rate reversed and negated; labels at T − t, backward). A heel strike played "
        "backward is the heel leaving the ground; the reversed walk's contact is the other "
        "foot's toe-off played backward, one double support earlier, so a label is moved "
        f"back by a double support ({DOUBLE_SUPPORT_SHARE:g} of the file's step interval) "
        "before matching within "
        f"{step_s}. Direction right = read backward",
        (
            _column("labelled", _labelled_steps),
            _column("detected", _count("step", "n_detected")),
            _column("F1", _ratio("step", "f1")),
            _column("count error", _count_errors),
            _column(
                "direction right",
                _direction("step"),
                "step",
                "direction_accuracy",
                variant=REVERSED,
            ),
            _column(
                "direction coverage",
                _coverage,
                "step",
                "direction_coverage",
                variant=REVERSED,
            ),
            _column("one way", _oneway),
            _false_jumps(REVERSED),
        ),
    )
    gapped_steps = Table(
        "step",
        GAPS,
        f"Real walks with packet-loss gaps cut in: one gap in every {_GAPS.spacing_s:g} s of "
        f"labelled walking, {_GAPS.shortest_s * 1000:g}-{_GAPS.longest_s * 1000:g} ms (at "
        'least one sample), seeded per file. "Lost at gaps": steps from '
        f"{_TOL.before_gap_s:g} s before a gap to {_TOL.after_gap_s:g} s after it that the "
        "intact walk found and the gapped one did not",
        (
            _column("gaps", _count("step", "gaps_cut")),
            _column("labelled", _labelled_steps),
            _column("detected", _count("step", "n_detected")),
            _column("F1", _ratio("step", "f1")),
            _column("count error", _count_errors),
            _column("lost at gaps", _after_gaps),
            _false_jumps(GAPS),
        ),
    )
    resampled_steps = Table(
        "step",
        LOW_RATE,
        f"Real walks resampled to {LOW_RATE_HZ:g} Hz, the slowest rate bands offer for their "
        "accelerometers (the Polar H10's 25 Hz): low-passed at "
        f"{ANTI_ALIAS_FRACTION * LOW_RATE_HZ:g} Hz (fourth order, run forward as a band's own "
        "filter runs) and every second or fourth sample kept (from 50-52 Hz, 100-104 Hz). "
        "No target of its own: what a slow band costs",
        (
            _column("labelled", _labelled_steps),
            _column("detected", _count("step", "n_detected")),
            _column("F1", _ratio("step", "f1")),
            _column("count error", _count_errors),
            _column("direction right", _direction("step")),
            _column("direction coverage", _coverage),
            _column("one way", _oneway),
            _false_jumps(LOW_RATE),
        ),
    )
    jumps = Table(
        "jump",
        PLAIN,
        f"Jumps. Landings matched within ±{_TOL.jump_landing_s:g} s; direction scored for "
        f"jumps travelling ≥ {_TOL.jump_direction_min_travel_m * 100:g} cm and vertical "
        "ones; contact time of linked jumps (rebounds). Anchor: Myotest waist flight time "
        "+31 ± 21 ms (Castagna et al. 2013)",
        (
            _column("labelled", _count("jump", "n_truth")),
            _column("detected", _count("jump", "n_detected")),
            _column("precision", _ratio("jump", "precision")),
            _column("recall", _ratio("jump", "recall")),
            _column("F1", _ratio("jump", "f1"), "jump", "f1"),
            _column("F1 worst decile", _ratio("jump", "f1_p10"), "jump", "f1_p10"),
            _column(
                "false jumps on jump-free files",
                _count("jump", "fp_on_empty"),
                "jump",
                "fp_on_empty",
            ),
            _column(
                "flight MAE",
                _metric("jump", "flight_time_mae_s", ".1f", 1000.0, " ms"),
                "jump",
                "flight_time_mae_s",
            ),
            _column(
                "flight error mean ± sd",
                _bias_sd("jump", "flight_time_bias_s", "flight_time_sd_s", 1000.0, " ms", ".1f"),
            ),
            _column("height MAE", _metric("jump", "height_mae_m", ".1f", 100.0, " cm")),
            _column("direction, called of scored", _jump_direction, "jump", "direction_accuracy"),
            _column("contact MAE", _contact, "jump", "contact_time_mae_s"),
            _column("RSI MAE", _metric("jump", "rsi_mae", ".2f")),
            _column("set/repetition right", _numbering),
            _column(
                "latency max",
                _metric("jump", "latency_max_s", ".2f", unit=" s"),
                "jump",
                "latency_max_s",
            ),
        ),
    )
    revolutions = Table(
        "revolution",
        PLAIN,
        "Revolutions. Counted per pedalling bout, run by run (a sensor cannot know top dead "
        "centre, nor where a run starts or stops: a run of L labelled turns is right at "
        "L - 2 to L + 1); direction at the nearest label; "
        "cadence over each detected turn's own interval. Anchor: seat-tube IMU 95 % of "
        "revolutions, cadence +0.9 ± 2.05 rpm (Hollaus et al. 2022)",
        (
            _column("bouts", lambda row: str(len(_score(row, "revolution").bout_count_errors_pct))),
            _column("labelled", _count("revolution", "n_truth")),
            _column("detected", _count("revolution", "n_detected")),
            _column(
                "count error per bout mean / max",
                _bout_counts,
                "revolution",
                "bout_count_error_max_pct",
            ),
            _column(
                "direction right", _direction("revolution"), "revolution", "direction_accuracy"
            ),
            _column(
                "cadence MAE",
                _metric("revolution", "cadence_mae_rpm", ".1f", unit=" rpm"),
                "revolution",
                "cadence_mae_rpm",
            ),
            _column(
                "cadence error mean ± sd",
                _bias_sd("revolution", "cadence_bias_rpm", "cadence_sd_rpm", 1.0, " rpm", ".1f"),
            ),
            _column("latency median", _metric("revolution", "latency_median_s", ".2f", unit=" s")),
        ),
    )
    reversals = Table(
        "pedal_reversal",
        PLAIN,
        f"Pedal reversals. Matched within ±{_TOL.reversal_s:g} s; latency budget one "
        "revolution at the new cadence + 1 s with a gyroscope, two + 1 s without",
        (
            _column("labelled", _count("pedal_reversal", "n_truth")),
            _column("detected", _count("pedal_reversal", "n_detected")),
            _column("precision", _ratio("pedal_reversal", "precision")),
            _column("recall", _ratio("pedal_reversal", "recall")),
            _column("F1", _ratio("pedal_reversal", "f1"), "pedal_reversal", "f1"),
            _column("direction right", _direction("pedal_reversal")),
            _column("latency median / max", _reversal_latency),
            _column(
                "over budget, worst",
                _metric("pedal_reversal", "latency_excess_max_s", ".2f", unit=" s"),
                "pedal_reversal",
                "latency_excess_max_s",
            ),
        ),
    )
    return (
        plain_steps,
        reversed_steps,
        gapped_steps,
        resampled_steps,
        jumps,
        revolutions,
        reversals,
    )


def _rows(recordings: Sequence[RecordingScore], table: Table, by_file: bool = False) -> list[Row]:
    """Pooled rows of one table: groups (or files) of its variant where its type is scored."""
    groups: dict[str, list[RecordingScore]] = {}
    for rec in sorted(recordings, key=lambda r: r.sort_key):
        score = rec.scores.get(table.type)
        if rec.variant != table.variant or score is None or not score.scored:
            continue
        groups.setdefault(rec.name if by_file else rec.group, []).append(rec)
    rows = []
    for label, recs in groups.items():
        pooled = pool(recs, key="all")["all"]
        score = pooled[table.type]
        if score.n_truth or score.n_detected or score.count_errors_pct or score.rest_labelled_s:
            rows.append(Row(label, tuple(recs), pooled))
    return rows


def _none_labelled_note(recordings: Sequence[RecordingScore], type_: str) -> str:
    """One line on the recordings that have none of ``type_``: false alarms there."""
    empty = [
        r
        for r in recordings
        if r.variant == PLAIN
        and r.scores.get(type_) is not None
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
    if len(where) > 8:
        return text + f" (in {len(where)} of them)."
    return text + (f" ({', '.join(where)})." if where else ".")


def _markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |"]
    out.append("|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|")
    out += ["| " + " | ".join(cells) + " |" for cells in rows]
    return out


def _rest_activities(
    recordings: Sequence[RecordingScore],
) -> list[tuple[str, str, bool, list[SegmentTally], bool | None]]:
    """The labelled activity segments per group, activity and kind (rest or not), with the
    rest verdict of their false steps while still (``None``: no target applies)."""
    rest_target = targets_for("step", "rest_per_h")
    per: dict[tuple[str, str, bool], list[SegmentTally]] = {}
    first: dict[str, RecordingScore] = {}
    for rec in sorted(recordings, key=lambda r: r.sort_key):
        if rec.variant != PLAIN:
            continue
        for seg in rec.segments:
            per.setdefault((rec.group, seg.activity, seg.rest), []).append(seg)
            first.setdefault(rec.group, rec)
    out = []
    for (group, activity, rest), segs in per.items():
        known = [
            v
            for v in (t.met(_still_rate(segs)) for t in rest_target if t.applies(first[group]))
            if v is not None
        ]
        out.append((group, activity, rest, segs, all(known) if known and rest else None))
    return out


def _still_rate(segs: Sequence[SegmentTally]) -> float | None:
    """Steps per hour where the trunk is still, over rest segments."""
    still = sum(s.still_s for s in segs)
    quiet = sum(s.count("step", True) for s in segs)
    return quiet / (still / 3600.0) if still > 0 and all(s.rest for s in segs) else None


def _rest_misses(recordings: Sequence[RecordingScore]) -> list[Miss]:
    """The rest target missed on a labelled activity (rows marked ✗ in its table)."""
    (target, *_) = targets_for("step", "rest_per_h")
    return [
        Miss(group, "step", f"{target.label} ({activity})", _still_rate(segs) or 0.0)
        for group, activity, _, segs, verdict in _rest_activities(recordings)
        if verdict is False
    ]


def targets_missed(recordings: Sequence[RecordingScore]) -> list[Miss]:
    """Every target missed: per group of recordings (``check_targets``), then per labelled
    rest activity."""
    return check_targets(recordings) + _rest_misses(recordings)


def _rest_table(recordings: Sequence[RecordingScore]) -> list[str]:
    """Detections per labelled activity segment of the recordings that label them."""
    rest_target = targets_for("step", "rest_per_h")
    rows: list[list[str]] = []
    activities = _rest_activities(recordings)
    if not activities:
        return []
    for group, activity, rest, segs, verdict in activities:
        labelled = sum(s.labelled_s for s in segs)
        still = sum(s.still_s for s in segs)
        steps = sum(s.count("step") for s in segs)
        rate_text = _fmt(_still_rate(segs), ".0f")
        if verdict is not None:
            rate_text += " ✓" if verdict else " ✗"
        rows.append(
            [
                group,
                activity,
                "rest" if rest else "active",
                f"{labelled / 60:.1f}",
                f"{still / 60:.1f}" if rest else "–",
                str(steps),
                _fmt(steps / (labelled / 3600.0) if labelled > 0 else None, ".0f"),
                rate_text if rest else "–",
                str(sum(s.count("jump") for s in segs)),
                str(sum(s.count("revolution") for s in segs)),
            ]
        )
    threshold = "; ".join(f"{t.threshold} {t.scope}" for t in rest_target)
    return [
        "**Labelled activities.** Detections per labelled segment. Rest labels are loose (a "
        'subject walks inside some "standing" labels): false steps at rest are counted '
        "where the trunk is still (its acceleration magnitude varies by at most 0.1 g over "
        "2 s, two windows either side of any that varies more left out), beside the rate over "
        "the whole rest label.",
        "",
        *_markdown_table(
            [
                "recordings",
                "activity",
                "kind",
                "labelled min",
                "still min",
                "steps",
                "steps /h",
                f"steps /h while still ({threshold})",
                "jumps",
                "revolutions",
            ],
            rows,
        ),
        "",
    ]


def _miss_text(miss: Miss) -> str:
    """The target's label, after the event type where the label does not name it."""
    kind = miss.type.replace("_", " ")
    return miss.label if kind in miss.label else f"{kind} {miss.label}"


def format_markdown(recordings: Sequence[RecordingScore], by_file: bool = False) -> str:
    """The accuracy tables of docs/detectors.md: one per event type and variant, a row per
    origin, site, rate and gyroscope (real recordings first), then the labelled activities,
    then the targets missed. With ``by_file`` a row per recording instead (targets judged the
    same way)."""
    out: list[str] = []
    for table in _tables():
        rows = _rows(recordings, table, by_file)
        note = _none_labelled_note(recordings, table.type) if table.variant == PLAIN else ""
        if rows or note:
            out += [f"**{table.title}.**", ""]
        if rows:
            headers = ["recordings" if not by_file else "recording", "files"]
            headers += [c.title for c in table.columns]
            cells = [
                [row.label, str(len(row.recordings)), *[c.render(row) for c in table.columns]]
                for row in rows
            ]
            out += [*_markdown_table(headers, cells), ""]
        if note:
            out += [note, ""]
        # The labelled activities follow the gap-cut walks, whether or not there are any.
        if table.type == "step" and table.variant == GAPS:
            out += _rest_table(recordings)
    misses = targets_missed(recordings)
    if misses:
        out.append(f"Targets missed ({len(misses)}):")
        out.append("")
        out += [f"- {m.group}: {_miss_text(m)} ({m.value:.3g})" for m in misses]
    else:
        out.append("Every target is met on these recordings.")
    return "\n".join(out) + "\n"


def format_table(recordings: Sequence[RecordingScore]) -> str:
    """A plain-text version of the report for the terminal, per recording first."""
    lines = []
    names = [r.name + (f" ({r.variant})" if r.variant else "") for r in recordings]
    width = max((len(n) for n in names), default=10)
    lines.append(
        f"{'recording':<{width}}  {'type':<15}{'truth':>6}{'det':>6}"
        f"{'P':>7}{'R':>7}{'F1':>7}{'count':>8}{'dir':>8}"
    )
    for name, rec in zip(names, recordings, strict=True):
        for type_ in SCORED_TYPES:
            s = rec.scores[type_]
            if not s.scored or (s.n_truth == 0 and s.n_detected == 0):
                continue
            lines.append(
                f"{name:<{width}}  {type_:<15}{s.n_truth:>6}{s.n_detected:>6}"
                f"{_fmt(_get(s, 'precision'), '.3f'):>7}{_fmt(_get(s, 'recall'), '.3f'):>7}"
                f"{_fmt(_get(s, 'f1'), '.3f'):>7}"
                f"{_fmt(_get(s, 'count_error_worst_pct'), '+.1f', unit='%'):>8}"
                f"{_fmt(_get(s, 'direction_accuracy'), '.1f', 100.0, '%'):>8}"
            )
    lines.append("")
    return "\n".join(lines) + "\n" + format_markdown(recordings)


def report_json(recordings: Sequence[RecordingScore]) -> dict[str, Any]:
    """The machine-readable report: per recording, per group and overall, plus target misses."""
    groups: dict[str, dict[str, TypeScore]] = pool(recordings, key="group")
    overall = pool([r for r in recordings if r.variant == PLAIN], key="all").get("all", {})
    return {
        "recordings": [
            {
                "name": r.name,
                "group": r.group,
                "origin": r.origin,
                "variant": r.variant,
                "placement": r.placement,
                "site": r.body_site,
                "sample_rate_hz": r.sample_rate_hz,
                "gyro": r.has_gyro,
                "duration_s": r.duration_s,
                "scores": {k: v.summary() for k, v in r.scores.items()},
                "segments": [
                    {
                        "activity": s.activity,
                        "rest": s.rest,
                        "labelled_s": s.labelled_s,
                        "still_s": s.still_s,
                        "detected": {t: n for t, n, _ in s.events},
                        "detected_still": {t: n for t, _, n in s.events},
                    }
                    for s in r.segments
                ],
            }
            for r in recordings
        ],
        "groups": {g: {k: v.summary() for k, v in s.items()} for g, s in groups.items()},
        "overall": {k: v.summary() for k, v in overall.items()},
        "targets_missed": [
            {"group": m.group, "type": m.type, "target": m.label, "value": m.value}
            for m in targets_missed(recordings)
        ],
        "targets": [
            {
                "type": t.type,
                "metric": t.metric,
                "target": t.label,
                "applies_to": t.scope,
                "variants": [v or "plain" for v in t.variants],
            }
            for t in TARGETS
        ],
    }
