"""The session report: one self-contained HTML file with the workout's charts.

Plotly draws every chart (its JavaScript is inlined, so the file opens offline, on a phone
too); ``report.js`` (beside this module) draws them from the data embedded in the page and
keeps the signal chart decimated to the screen as it is zoomed. ``write_report`` also writes a
PNG of the overview (``--png``) through Plotly's image export (kaleido, which drives a local
Chrome or Chromium).

What is embedded for the signal: the acceleration magnitude ``|a|`` at every sample, as
unsigned 16-bit milli-g (0.001 g, up to 65 g), and the sample times as 1 ms steps in unsigned
bytes (a step of 255 ms or more is written in a second list): three bytes a sample, 2.9 MB
of base64 for two hours at 100 Hz. The browser picks at most two points per pixel column
(each column's minimum and maximum, so no peak is lost) from whatever range is in view.
"""

from __future__ import annotations

import base64
import html
import importlib.resources
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from analysis.events import (
    Direction,
    JumpEvent,
    PedalReversalEvent,
    RevolutionEvent,
    StepEvent,
    WalkBoutEvent,
)
from analysis.landing import LandingJudgement, judge_landing
from analysis.summary import activity_intervals, step_cadence_series
from sensor.errors import RetrosenseError
from sensor.web import (
    DIRECTION_COLOURS,
    HEART_COLOUR,
    LANDING_COLOURS,
    REST_COLOUR,
    require,
)
from sensor.web.data import BandSession

FEATURE = "the session report"
#: Event types drawn on the signal, bottom to top, with their marker lanes' labels.
MARKER_TYPES = (
    "step",
    "revolution",
    "pedal_reversal",
    "jump",
    "walk_bout",
    "pedal_bout",
    "activity",
)
#: Chart heights in CSS pixels.
CHART_HEIGHT_PX = 320
#: Size of the static overview (``--png``).
PNG_WIDTH_PX = 1200
PNG_HEIGHT_PX = 1000
#: Milli-g per stored unit of ``|a|``, and the largest stored value.
SIGNAL_SCALE_G = 0.001
SIGNAL_MAX = 65535
#: Sample-time steps of this many milliseconds or more go to the list of long steps.
LONG_STEP_MS = 255
ACTIVITY_LANES = ("resting", "jumping", "pedalling", "walking")
#: Above this many points a series is drawn as a line without markers (see ``_mode``).
MAX_MARKERS = 300


class ReportError(RetrosenseError):
    """The report could not be written (its file, or the PNG export)."""

    def __init__(self, path: str | Path, expected: str) -> None:
        self.path = str(path)
        self.expected = expected
        super().__init__(f"{self.path}: {expected}")


@dataclass(frozen=True)
class Headline:
    """One number in the header, with the summary key it shows (for the page's tests too)."""

    label: str
    text: str
    key: str
    value: float | int | None


def _go() -> Any:
    return require("plotly.graph_objects", FEATURE)


#: Where the session's ``t = 0`` sits on the charts' date axes (ms since 1970, UTC midnight):
#: the axes then read as elapsed time. plotly.js reads a small number on a date axis as a
#: year (4465 ms would be the year 4465), so times are never given from 0.
TIME_BASE_MS = 946_684_800_000.0  # 2000-01-01T00:00:00Z


def _ms(t_s: Any) -> list[float]:
    """Seconds on the session's axis as positions on the charts' date axes (ms, see above).

    A list, not an array: plotly.py would send an array as a typed array, which plotly.js
    does not take as dates.
    """
    t = np.asarray(t_s, dtype=np.float64)
    out: list[float] = np.round(TIME_BASE_MS + t * 1000.0, 3).tolist()
    return out


def _at(t_s: float) -> float:
    """One time as a position on the date axes."""
    return round(TIME_BASE_MS + t_s * 1000.0, 3)


def _clock(t_s: float) -> str:
    t = max(0, round(t_s))
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    m, s = divmod(round(seconds), 60)
    if m < 60:
        return f"{m} min {s} s" if s else f"{m} min"
    h, m = divmod(m, 60)
    return f"{h} h {m} min"


def _merge(intervals: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping or touching intervals joined (the union the summary adds up)."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _blocks(lane: int, intervals: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Many intervals as one filled outline: each a rectangle across its lane (``lane`` ±
    0.4), joined along the lane's bottom edge, where the fill has no area.

    One SVG path per lane and direction, where a bar per interval would be an element each
    (thousands in a two-hour session, which the browser draws slowly). Every fourth point
    starts an interval: ``x[4k]`` to ``x[4k + 2]``.
    """
    x: list[float] = []
    y: list[float] = []
    lo, hi = lane - 0.4, lane + 0.4
    for a, b in intervals:
        x += [_at(a), _at(a), _at(b), _at(b)]
        y += [lo, hi, hi, lo]
    return x, y


def _series(
    t_s: Sequence[float], values: Sequence[float], gap_s: float
) -> tuple[list[float | None], list[float | None]]:
    """Points on the date axis, the line broken where consecutive points are further apart
    than ``gap_s`` (between bouts)."""
    x: list[float | None] = []
    y: list[float | None] = []
    last: float | None = None
    for t, v in zip(t_s, values, strict=True):
        if last is not None and t - last > gap_s:
            x.append(None)
            y.append(None)
        x.append(_at(t))
        y.append(round(v, 1))
        last = t
    return x, y


def _direction_trace(
    name: str, direction: Direction, t_s: Sequence[float], values: Sequence[float], gap_s: float
) -> Any:
    """A series over time in its direction's colour, broken at gaps longer than ``gap_s``."""
    x, y = _series(t_s, values, gap_s)
    colour = DIRECTION_COLOURS[str(direction)]
    return _go().Scatter(
        name=name,
        x=x,
        y=y,
        mode=_mode(len(t_s)),
        line={"color": colour, "width": 1.5},
        marker={"color": colour, "size": 5},
    )


def _mode(points: int) -> str:
    """Markers and lines for a few points; lines alone for many (one SVG path, not one
    element per point, which the browser draws slowly by the thousand)."""
    return "lines+markers" if points <= MAX_MARKERS else "lines"


def _layout(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "template": "plotly_white",
        "height": CHART_HEIGHT_PX,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "hovermode": "closest",
    }
    base.update(extra)
    return base


def _time_axis(**extra: Any) -> dict[str, Any]:
    """An x axis of elapsed time: milliseconds from the session's zero, shown h:mm:ss."""
    axis: dict[str, Any] = {
        "type": "date",
        "tickformatstops": [
            {"dtickrange": [None, 1000], "value": "%H:%M:%S.%L"},
            {"dtickrange": [1000, None], "value": "%H:%M:%S"},
        ],
        "hoverformat": "%H:%M:%S.%L",
        "title": {"text": "time from start"},
    }
    axis.update(extra)
    return axis


def headlines(summary: dict[str, Any]) -> list[Headline]:
    """The header's numbers, each from the summary (``SessionSummary.to_dict``)."""
    steps, jumps, pedal, energy = (
        summary["steps"],
        summary["jumps"],
        summary["pedalling"],
        summary["energy"],
    )
    best = jumps["height_max_m"]
    reversals = pedal["reversals_forward_to_backward"] + pedal["reversals_backward_to_forward"]
    out = [
        Headline("duration", _duration(summary["duration_s"]), "duration_s", summary["duration_s"]),
        Headline("backward steps", str(steps["backward"]), "steps.backward", steps["backward"]),
        Headline("forward steps", str(steps["forward"]), "steps.forward", steps["forward"]),
        Headline("jumps", str(jumps["count"]), "jumps.count", jumps["count"]),
        Headline(
            "best jump",
            "—" if best is None else f"{best * 100:.0f} cm",
            "jumps.height_max_m",
            best,
        ),
        Headline(
            "backward revolutions",
            str(pedal["revolutions_backward"]),
            "pedalling.revolutions_backward",
            pedal["revolutions_backward"],
        ),
        Headline(
            "forward revolutions",
            str(pedal["revolutions_forward"]),
            "pedalling.revolutions_forward",
            pedal["revolutions_forward"],
        ),
        Headline("pedal reversals", str(reversals), "pedalling.reversals", reversals),
    ]
    if energy["kcal"] is not None:
        out.append(Headline("energy", f"{energy['kcal']:.0f} kcal", "energy.kcal", energy["kcal"]))
    else:
        out.append(
            Headline(
                "energy",
                f"{energy['met_minutes']:.0f} MET-min",
                "energy.met_minutes",
                energy["met_minutes"],
            )
        )
    return out


class BandReport:
    """The charts and tables of one band's session."""

    def __init__(self, band: BandSession, index: int) -> None:
        self.band = band
        self.prefix = f"b{index}"
        self.summary = band.summary
        self.events = sorted(band.events, key=lambda e: (e.t, e.detected_at))
        self.steps = [e for e in self.events if isinstance(e, StepEvent)]
        self.revs = [e for e in self.events if isinstance(e, RevolutionEvent)]
        self.jumps = [e for e in self.events if isinstance(e, JumpEvent)]
        self.bouts = [e for e in self.events if isinstance(e, WalkBoutEvent)]
        self.reversals = [e for e in self.events if isinstance(e, PedalReversalEvent)]
        self.judgements: list[LandingJudgement] = [
            judge_landing(
                j,
                band.placement,
                band.sample_rate_hz,
                band.landing,
                band.settings.detectors.jumps,
            )
            for j in self.jumps
        ]

    def session_axis(self) -> dict[str, Any]:
        """The time axis every chart shares: the whole session, shown as elapsed time."""
        return _time_axis(range=[_at(self.summary["start_t"]), _at(self.summary["end_t"])])

    def over_time(self, fig: Any, y_title: str, rangemode: str = "tozero", **extra: Any) -> Any:
        """``fig`` laid out on the session's time axis, its y axis titled ``y_title``."""
        fig.update_layout(
            **_layout(
                xaxis=self.session_axis(),
                yaxis={"title": {"text": y_title}, "rangemode": rangemode},
                **extra,
            )
        )
        return fig

    def set_reps(self) -> list[str]:
        """``set.repetition`` of each jump, from the summary's sets."""
        out: list[str] = []
        rep = 0
        last = None
        for row in self.summary["jumps"]["list"]:
            rep = rep + 1 if row["set_number"] == last else 1
            last = row["set_number"]
            out.append(f"{row['set_number']}.{rep}")
        return out

    # ----- charts -------------------------------------------------------------------------

    def timeline(self) -> Any:
        """Bars of walking, pedalling, jumping and rest on one time axis, coloured by direction."""
        go = _go()
        b = self.band
        spans = activity_intervals(self.events, b.settings.summary)
        t = self.summary["time_s"]
        rows: list[tuple[str, str, list[tuple[float, float]], str]] = []
        for direction in (Direction.BACKWARD, Direction.FORWARD, Direction.UNKNOWN):
            key = f"walk_{direction}"
            walk = spans.walk[direction]
            if direction is Direction.UNKNOWN:
                walk = walk + spans.walk[Direction.VERTICAL]
            rows.append(("walking", str(direction), walk, key))
            rows.append(("pedalling", str(direction), spans.pedal[direction], f"pedal_{direction}"))
        jump_dirs = [str(j.direction) for j in self.jumps]
        for way in ("backward", "forward", "vertical", "unknown"):
            own = [iv for iv, d in zip(spans.jumping, jump_dirs, strict=True) if d == way]
            rows.append(("jumping", way, own, "jumping"))
        start, end = self.summary["start_t"], self.summary["end_t"]
        rows.append(("resting", "", spans.rest(start, end), "rest"))
        traces = []
        for lane, way, intervals, key in rows:
            merged = _merge(intervals)
            if not merged:
                continue
            total = t.get(key) if lane != "jumping" else sum(bb - aa for aa, bb in merged)
            label = f"{lane} {way}".strip()
            x, y = _blocks(ACTIVITY_LANES.index(lane), merged)
            traces.append(
                go.Scatter(
                    name=f"{label} · {_duration(total or 0.0)}",
                    x=x,
                    y=y,
                    mode="none",
                    fill="toself",
                    fillcolor=DIRECTION_COLOURS.get(way, REST_COLOUR),
                    hoveron="fills",
                    hoverinfo="name",
                    meta={"lane": lane, "direction": way, "summary_key": key},
                )
            )
        fig = go.Figure(traces)
        fig.update_layout(
            **_layout(
                height=220,
                xaxis=self.session_axis(),
                yaxis={
                    "range": [-0.5, len(ACTIVITY_LANES) - 0.5],
                    "tickmode": "array",
                    "tickvals": list(range(len(ACTIVITY_LANES))),
                    "ticktext": list(ACTIVITY_LANES),
                    "showgrid": False,
                    "zeroline": False,
                    "fixedrange": True,
                },
            )
        )
        return fig

    def cadence(self) -> Any:
        """Steps per minute over time, one colour per direction, walking bouts shaded."""
        go = _go()
        gap = self.band.settings.summary.bout_gap_s
        fig = go.Figure()
        top = 1.0
        for direction in Direction:
            series = step_cadence_series(self.steps, direction, gap)
            if not series:
                continue
            top = max(top, max(p[1] for p in series))
            fig.add_trace(
                _direction_trace(
                    f"{direction} steps/min",
                    direction,
                    [p[0] for p in series],
                    [p[1] for p in series],
                    gap,
                )
            )
        # The walking bouts, shaded by direction: one filled trace per direction.
        for direction in Direction:
            own = [b for b in self.bouts if b.direction is direction]
            if not own:
                continue
            xs: list[float | None] = []
            ys: list[float | None] = []
            for b in own:
                a, e = _at(b.start_t), _at(b.end_t)
                xs += [a, a, e, e, a, None]
                ys += [0.0, top * 1.05, top * 1.05, 0.0, 0.0, None]
            fig.add_trace(
                go.Scatter(
                    name=f"walking bout {direction}",
                    x=xs,
                    y=ys,
                    mode="none",
                    fill="toself",
                    fillcolor=_tint(DIRECTION_COLOURS[str(direction)]),
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
        return self.over_time(fig, "steps/min")

    def jumps_chart(self) -> Any:
        """Height per jump (bars coloured by the landing's word) and the landing peak."""
        go = _go()
        labels = self.set_reps()
        words = [str(jj.landing) for jj in self.judgements]
        fig = go.Figure()
        fig.add_trace(
            go.Bar(
                name="height (cm)",
                x=labels,
                y=[round(j.height_m * 100, 1) for j in self.jumps],
                marker={"color": [LANDING_COLOURS[w] for w in words]},
                customdata=[
                    [w, round(j.flight_time_s, 3), jj.reason]
                    for w, j, jj in zip(words, self.jumps, self.judgements, strict=True)
                ],
                hovertemplate="set.rep %{x}: %{y} cm, flight %{customdata[1]} s"
                "<br>landing %{customdata[0]}: %{customdata[2]}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                name="landing peak (g)",
                x=labels,
                y=[round(j.landing_peak_g, 2) for j in self.jumps],
                yaxis="y2",
                mode="markers" if len(self.jumps) <= MAX_MARKERS else "lines",
                marker={"symbol": "diamond", "size": 9, "color": "#333333"},
                line={"color": "#333333", "width": 1},
            )
        )
        for word in ("soft", "firm", "stiff", "unknown"):
            if word in words:  # a legend entry per colour in use
                fig.add_trace(
                    go.Bar(
                        name=f"landing {word}",
                        x=[None],
                        y=[None],
                        marker={"color": LANDING_COLOURS[word]},
                        showlegend=True,
                        hoverinfo="skip",
                    )
                )
        fig.update_layout(
            **_layout(
                barmode="overlay",
                xaxis={"title": {"text": "set.repetition"}, "type": "category"},
                yaxis={"title": {"text": "height (cm)"}, "rangemode": "tozero"},
                yaxis2={
                    "title": {"text": "landing peak (g)"},
                    "overlaying": "y",
                    "side": "right",
                    "rangemode": "tozero",
                    "showgrid": False,
                },
            )
        )
        return fig

    def pedalling(self) -> Any:
        """Crank cadence per revolution, one colour per direction, reversals marked."""
        go = _go()
        fig = go.Figure()
        gap = self.band.settings.summary.bout_gap_s
        for direction in Direction:
            revs = [r for r in self.revs if r.direction is direction]
            if not revs:
                continue
            # A revolution lasts 60/cadence s: a gap is longer than the slowest turn's.
            fig.add_trace(
                _direction_trace(
                    f"{direction} rpm",
                    direction,
                    [r.t for r in revs],
                    [r.cadence_rpm for r in revs],
                    2 * gap,
                )
            )
        if self.reversals:
            top = max((r.cadence_rpm for r in self.revs), default=60.0)
            fig.add_trace(
                go.Scatter(
                    name="reversal",
                    x=[v for rv in self.reversals for v in (_at(rv.t), _at(rv.t), None)],
                    y=[v for _ in self.reversals for v in (0.0, top, None)],
                    mode="lines",
                    line={"color": "#555555", "dash": "dash", "width": 1.5},
                    hovertemplate="reversal at %{x|%H:%M:%S}<extra></extra>",
                )
            )
        return self.over_time(fig, "rpm")

    def heart_rate(self) -> Any:
        """Heart rate over time over the zones' bands (where a maximum heart rate is known)."""
        go = _go()
        b = self.band
        fig = go.Figure(
            go.Scatter(
                name="heart rate (bpm)",
                x=_ms(b.hr_t_s),
                y=np.round(b.hr_bpm, 1),
                mode="lines",
                line={"color": HEART_COLOUR, "width": 2},
            )
        )
        hr = self.summary["heart_rate"]
        bounds = hr and hr.get("zone_bounds_bpm")
        if bounds:
            shades = ("#f1f8e9", "#dcedc8", "#fff9c4", "#ffe0b2", "#ffcdd2")
            for z, (lo, hi) in enumerate(itertools.pairwise(bounds)):
                fig.add_hrect(
                    y0=lo,
                    y1=hi,
                    fillcolor=shades[z % len(shades)],
                    opacity=0.8,
                    line_width=0,
                    layer="below",
                    annotation_text=f"zone {z + 1}",
                    annotation_position="top left",
                )
        return self.over_time(fig, "bpm", rangemode="normal", showlegend=False)

    def signal_layout(self) -> dict[str, Any]:
        """The signal chart's layout; its traces are drawn by report.js from the embedded data."""
        lanes = [t for t in MARKER_TYPES if any(e.type == t for e in self.events)]
        return _layout(
            height=460,
            xaxis=self.session_axis(),
            yaxis={"title": {"text": "|a| (g)"}, "domain": [0.0, 0.66], "rangemode": "tozero"},
            # One lane per event type, numbered from the bottom (report.js draws each event
            # as a tick across its lane).
            yaxis2={
                "domain": [0.7, 1.0],
                "range": [-0.6, max(len(lanes), 1) - 0.4],
                "tickmode": "array",
                "tickvals": list(range(len(lanes))),
                "ticktext": [lane.replace("_", " ") for lane in lanes],
                "showgrid": False,
                "zeroline": False,
                "fixedrange": True,
            },
            meta={"lanes": lanes},
            hovermode="closest",
            dragmode="zoom",
        )

    # ----- embedded data ------------------------------------------------------------------

    def signal_data(self) -> dict[str, Any]:
        """``|a|`` and the sample times, packed as the module's notes say."""
        b = self.band
        if len(b.time_s) == 0:
            return {"n": 0, "t0_ms": TIME_BASE_MS, "dt": "", "long": [], "mag": "", "scale_g": 1.0}
        t_ms = np.round(b.time_s * 1000.0).astype(np.int64)
        steps = np.diff(t_ms)
        steps = np.maximum(steps, 0)
        long_at = np.nonzero(steps >= LONG_STEP_MS)[0]
        packed = np.where(steps >= LONG_STEP_MS, LONG_STEP_MS, steps).astype(np.uint8)
        mag = np.sqrt(np.sum(b.acc_g * b.acc_g, axis=1))
        stored = np.clip(np.round(mag / SIGNAL_SCALE_G), 0, SIGNAL_MAX).astype("<u2")
        return {
            "n": len(t_ms),
            "t0_ms": TIME_BASE_MS + int(t_ms[0]),
            "dt": base64.b64encode(packed.tobytes()).decode("ascii"),
            "long": steps[long_at].tolist(),
            "mag": base64.b64encode(stored.tobytes()).decode("ascii"),
            "scale_g": SIGNAL_SCALE_G,
            "rate_hz": b.sample_rate_hz,
        }

    def markers(self) -> dict[str, dict[str, list[float]]]:
        """Every event's time on the date axis, by type and direction (ticks above the signal).

        A reversal's direction is the one it turned to; a bout without one is ``unknown``.
        """
        out: dict[str, dict[str, list[float]]] = {}
        for e in self.events:
            if e.type not in MARKER_TYPES:
                continue
            if isinstance(e, PedalReversalEvent):
                direction = str(e.to_direction)
            else:
                direction = str(getattr(e, "direction", Direction.UNKNOWN))
            out.setdefault(e.type, {}).setdefault(direction, []).append(_at(e.t))
        return out

    def figures(self) -> dict[str, Any]:
        """Every chart of the band, by element id (the signal's traces come from report.js)."""
        go = _go()
        figs: dict[str, Any] = {f"{self.prefix}-timeline": self.timeline()}
        if self.steps:
            figs[f"{self.prefix}-cadence"] = self.cadence()
        if self.jumps:
            figs[f"{self.prefix}-jumps"] = self.jumps_chart()
        if self.revs:
            figs[f"{self.prefix}-pedalling"] = self.pedalling()
        if len(self.band.hr_bpm):
            figs[f"{self.prefix}-heart"] = self.heart_rate()
        figs[f"{self.prefix}-signal"] = go.Figure(layout=self.signal_layout())
        return figs

    # ----- HTML ---------------------------------------------------------------------------

    def header_html(self) -> str:
        b = self.band
        day = _day(b.started)
        rows = "".join(
            f'<div class="num"><dt>{html.escape(h.label)}</dt>'
            f'<dd data-key="{h.key}" data-value="{_attr(h.value)}">{html.escape(h.text)}</dd></div>'
            for h in headlines(self.summary)
        )
        return (
            f'<header class="band-head"><h2>{html.escape(b.name)}</h2>'
            f'<p class="meta"><span data-key="day">{html.escape(day)}</span> · '
            f"{html.escape(str(b.placement))} · {b.sample_rate_hz:g} Hz"
            f"{' · gyroscope' if b.has_gyro else ''}"
            f"{' · ' + html.escape(b.path.name) if b.path else ''}</p>"
            f'<dl class="nums">{rows}</dl></header>'
        )

    def section_html(self, ids: dict[str, Any]) -> str:
        p = self.prefix
        s = self.summary
        parts = [f'<section class="band" id="{p}">', self.header_html()]
        parts.append(
            '<h3>Activity</h3><p class="note">When the wearer walked, pedalled, jumped or '
            "rested; each bar coloured by direction.</p>"
            f'<div class="chart" id="{p}-timeline"></div>'
        )
        if self.steps:
            st = s["steps"]
            parts.append(
                "<h3>Walking cadence</h3>"
                f"<p class=note>Steps per minute between consecutive steps of one direction; "
                f"walking bouts shaded. Median cadence backward "
                f"{_num(st['cadence_backward_spm'], 0, '/min')}, forward "
                f"{_num(st['cadence_forward_spm'], 0, '/min')}; step-time variation "
                f"{_num(None if st['step_time_cv'] is None else st['step_time_cv'] * 100, 1, ' %')}"
                f".</p>"
                f'<div class="chart" id="{p}-cadence"></div>' + self.bouts_table()
            )
        if self.jumps:
            parts.append(
                "<h3>Jumps</h3><p class=note>Height per jump, coloured by how it landed; "
                "diamonds: the landing's peak.</p>"
                f'<div class="chart" id="{p}-jumps"></div>'
                + self.jumps_table()
                + self.landing_note()
            )
        if self.revs:
            pd = s["pedalling"]
            parts.append(
                "<h3>Pedalling</h3>"
                f"<p class=note>Crank cadence per revolution; dashed lines: reversals. "
                f"Backward {_duration(s['time_s']['pedal_backward'])} at "
                f"{_num(pd['cadence_backward_rpm'], 0, ' rpm')}, forward "
                f"{_duration(s['time_s']['pedal_forward'])} at "
                f"{_num(pd['cadence_forward_rpm'], 0, ' rpm')}.</p>"
                f'<div class="chart" id="{p}-pedalling"></div>'
            )
        if s.get("program"):
            parts.append(self.program_html())
        parts.append("<h3>Heart rate</h3>" + self.heart_html())
        parts.append(
            "<h3>Signal</h3><p class=note>Acceleration magnitude at every sample (zoom in with "
            "a drag, double-click to zoom out); above it every event, by type.</p>"
            f'<div class="chart tall" id="{p}-signal"></div>'
        )
        parts.append("</section>")
        ids[p] = {
            "time_base_ms": TIME_BASE_MS,
            "signal": self.signal_data(),
            "markers": self.markers(),
            "colours": DIRECTION_COLOURS,
        }
        return "".join(parts)

    def program_html(self) -> str:
        """The interval program followed: each interval's result, and the cues given."""
        program = self.summary["program"]
        start = self.summary["start_t"]
        rows = []
        for r in program["intervals"]:
            when = _clock(r["start_t"] - start) if r["start_t"] is not None else "–"
            target = (
                f"{r['target_reps']} reps"
                if r["target_reps"] is not None
                else _duration(r["target_duration_s"] or 0.0)
            )
            landings = ", ".join(f"{n} {kind}" for kind, n in r["landings"].items()) or "–"
            rows.append(
                f'<tr data-status="{html.escape(r["status"])}">'
                f"<td>{r['interval']}</td><td>{html.escape(r['title'])}</td><td>{target}</td>"
                f"<td>{html.escape(r['status'])}</td><td>{when}</td>"
                f"<td>{_duration(r['duration_s'])}</td><td>{r['reps']}</td>"
                f"<td>{_num(r['on_target_pct'], 0, ' %')}</td>"
                f"<td>{_num(r['cadence_mean'], 0)}</td><td>{r['wrong_direction']}</td>"
                f"<td>{landings}</td></tr>"
            )
        cues = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in program["cues"].items())
        held = sum(program["cues_held_back"].values())
        return (
            f"<h3>Program: {html.escape(program['name'])}</h3>"
            f'<p class="note"><span data-key="intervals_done">{program["intervals_done"]}</span> '
            f"of {len(program['intervals'])} intervals done. On target: the share of the "
            "seconds of cadence, or of the jumps, that met the interval's targets. Cues: "
            f"{html.escape(cues) or 'none'}"
            f"{f' ({held} held back by the rate limit)' if held else ''}.</p>"
            '<table class="program"><thead><tr><th>#</th><th>interval</th><th>length</th>'
            "<th>status</th><th>from</th><th>for</th><th>reps</th><th>on target</th>"
            "<th>cadence</th><th>the other way</th><th>landings</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def bouts_table(self) -> str:
        if not self.bouts:
            return ""
        start = self.summary["start_t"]
        rows = "".join(
            "<tr>"
            f"<td>{_clock(b.start_t - start)}</td><td>{_duration(b.end_t - b.start_t)}</td>"
            f'<td><span class="dot" style="background:{DIRECTION_COLOURS[str(b.direction)]}">'
            f"</span>{b.direction}</td><td>{b.steps}</td><td>{b.cadence_spm:.0f}</td>"
            f"<td>{_num(b.step_regularity, 2)}</td><td>{_num(b.stride_regularity, 2)}</td>"
            f"<td>{_num(b.symmetry, 2)}</td></tr>"
            for b in self.bouts
        )
        return (
            '<table class="bouts"><thead><tr><th>from</th><th>for</th><th>direction</th>'
            "<th>steps</th><th>steps/min</th><th>step regularity</th>"
            "<th>stride regularity</th><th>symmetry</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )

    def jumps_table(self) -> str:
        rows = []
        start = self.summary["start_t"]
        for label, j, r, jj in zip(
            self.set_reps(),
            self.jumps,
            self.summary["jumps"]["list"],
            self.judgements,
            strict=True,
        ):
            peak = f"{j.landing_peak_g:.1f}" + ("+" if j.landing_clipped else "")
            rows.append(
                f'<tr data-landing="{jj.landing}">'
                f"<td>{label}</td>"
                f"<td>{_clock(j.t - start)}</td><td>{j.direction}</td>"
                f"<td>{j.height_m * 100:.1f}</td><td>{j.flight_time_s:.3f}</td>"
                f"<td>{peak}</td><td>{_num(j.landing_softness, 2)}</td>"
                f"<td>{_num(j.contact_time_s, 3)}</td>"
                f"<td>{_num(r['reactive_strength_index'], 2)}</td>"
                f'<td><span class="dot" style="background:{LANDING_COLOURS[str(jj.landing)]}">'
                f"</span><b>{jj.landing}</b> — {html.escape(jj.reason)}</td></tr>"
            )
        return (
            '<table class="jumps"><thead><tr><th>set.rep</th><th>at</th><th>direction</th>'
            "<th>height cm</th><th>flight s</th><th>peak g</th><th>softness</th>"
            "<th>contact s</th><th>RSI</th><th>landing</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def landing_note(self) -> str:
        lp = self.band.landing
        ref = self.band.settings.detectors.jumps.softness_ref_s
        soft_tau = lp.stop_time_s(lp.soft_min_softness, ref)
        stiff_tau = lp.stop_time_s(lp.stiff_below_softness, ref)
        best = max(self.jumps, key=lambda j: j.height_m)
        soft_g, stiff_g = lp.peak_limits_g(best.flight_time_s, ref)
        return (
            '<p class="note thresholds">How landings are judged: the softness of a landing is '
            "how long its peak would take to stop the body's fall — the longer, the softer "
            f"(the jump's height taken out). <b>soft</b>: softness ≥ {lp.soft_min_softness:g} "
            f"(stopped in {soft_tau * 1000:.0f} ms or more); <b>stiff</b>: softness below "
            f"{lp.stiff_below_softness:g} (under {stiff_tau * 1000:.0f} ms); <b>firm</b>: in "
            f"between. For the highest jump here ({best.height_m * 100:.0f} cm) that is a peak "
            f"of at most {soft_g:.1f} g for soft and over {stiff_g:.1f} g for stiff. Judged on "
            f"trunk bands (chest, waist) at {lp.min_sample_rate_hz:g} Hz or more, where the "
            "peak is the body's ground reaction force in body weights; bent-knee landings lower "
            "it by a fifth to a third against stiff-legged ones (Guy-Cherry et al. 2018; "
            "Seymore et al. 2019; DeVita and Skelly 1992).</p>"
        )

    def heart_html(self) -> str:
        hr = self.summary["heart_rate"]
        p = self.prefix
        if not hr or not len(self.band.hr_bpm):
            return "<p class=note>No heart-rate strap in this session.</p>"
        zones = ""
        if hr["time_in_zones_s"] is not None:
            cells = "".join(
                f"<td>zone {z + 1}<br>{_duration(s)}</td>"
                for z, s in enumerate(hr["time_in_zones_s"])
            )
            zones = (
                f'<table class="zones"><tr><td>below<br>{_duration(hr["time_below_zones_s"])}'
                f"</td>{cells}</tr></table>"
            )
        else:
            zones = (
                "<p class=note>Zones need a maximum heart rate: set [wearer] age_years or "
                "hr_max_bpm in the configuration.</p>"
            )
        return (
            f"<p class=note>Mean {hr['mean_bpm']:.0f} bpm, max {hr['max_bpm']:.0f} bpm.</p>"
            f'<div class="chart" id="{p}-heart"></div>{zones}'
        )


def _tint(colour: str, alpha: float = 0.15) -> str:
    """``#RRGGBB`` as a translucent ``rgba``, for shading behind a chart's lines."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _day(started: str | None) -> str:
    if not started:
        return "day not recorded"
    try:
        when = datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        return started
    return when.strftime("%A %d %B %Y, %H:%M UTC")


def _num(value: float | None, decimals: int, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{decimals}f}{unit}"


def _attr(value: float | int | None) -> str:
    return "" if value is None else html.escape(json.dumps(value))


def _asset(name: str) -> str:
    return importlib.resources.files("sensor.web").joinpath("assets", name).read_text("utf-8")


def plotly_js() -> str:
    """The plotly.js bundle that ships with the plotly package (inlined: no CDN)."""
    require("plotly", FEATURE)
    from plotly.offline import get_plotlyjs

    text: str = get_plotlyjs()
    return text


def _json_script(element_id: str, data: Any) -> str:
    # "</" inside a script element would end it early.
    text = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def render_report(sessions: Sequence[BandSession]) -> str:
    """The report's HTML: every band's header, charts and tables, with plotly.js inlined."""
    pio = require("plotly.io", FEATURE)
    reports = [BandReport(b, i) for i, b in enumerate(sessions)]
    data: dict[str, Any] = {}
    sections = [r.section_html(data) for r in reports]
    figures = {
        element: json.loads(pio.to_json(fig, validate=False))
        for r in reports
        for element, fig in r.figures().items()
    }
    summaries = {r.prefix: r.summary for r in reports}
    title = "retrosense session"
    if reports:
        title += f": {reports[0].band.name}, {_day(reports[0].band.started)}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{html.escape(title)}</title><style>{_asset('report.css')}</style></head>"
        f"<body><main><h1>Session report</h1>{''.join(sections)}"
        '<footer>Made by retrosense. Directions: <span class="dot" style="background:'
        f'{DIRECTION_COLOURS["backward"]}"></span>backward, <span class="dot" style="background:'
        f'{DIRECTION_COLOURS["forward"]}"></span>forward, <span class="dot" style="background:'
        f'{DIRECTION_COLOURS["unknown"]}"></span>not told.</footer></main>'
        + _json_script("report-figures", figures)
        + _json_script("report-data", data)
        + _json_script("report-summaries", summaries)
        + f"<script>{plotly_js()}</script><script>{_asset('report.js')}</script>"
        "</body></html>\n"
    )


def overview_figure(session: BandSession) -> Any:
    """The static overview for ``--png``: header numbers, activity, cadences and jumps."""
    subplots = require("plotly.subplots", FEATURE)
    r = BandReport(session, 0)
    panels: list[tuple[str, Any]] = [("Activity", r.timeline())]
    if r.steps:
        panels.append(("Walking cadence (steps/min)", r.cadence()))
    if r.revs:
        panels.append(("Pedalling cadence (rpm)", r.pedalling()))
    if r.jumps:
        panels.append(("Jump height (cm), coloured by landing", r.jumps_chart()))
    if len(session.hr_bpm):
        panels.append(("Heart rate (bpm)", r.heart_rate()))
    fig = subplots.make_subplots(
        rows=len(panels),
        cols=1,
        subplot_titles=[t for t, _ in panels],
        vertical_spacing=0.08,
    )
    for row, (_, panel) in enumerate(panels, 1):
        for trace in panel.data:
            if getattr(trace, "yaxis", None) == "y2":
                continue  # the jump chart's second axis: its numbers are in the HTML report
            fig.add_trace(trace, row=row, col=1)
        if panel.layout.xaxis.type == "date":
            fig.update_xaxes(type="date", tickformat="%H:%M:%S", row=row, col=1)
        if row == 1:
            fig.update_yaxes(
                tickmode="array",
                tickvals=list(range(len(ACTIVITY_LANES))),
                ticktext=list(ACTIVITY_LANES),
                showgrid=False,
                zeroline=False,
                row=row,
                col=1,
            )
    numbers = " · ".join(f"{h.label} {h.text}" for h in headlines(r.summary))
    fig.update_layout(
        template="plotly_white",
        barmode="overlay",
        showlegend=False,
        title={
            "text": f"{html.escape(session.name)} — {_day(session.started)}<br>"
            f"<sup>{html.escape(numbers)}</sup>",
            "x": 0.01,
        },
        margin={"l": 70, "r": 20, "t": 90, "b": 30},
    )
    return fig


def write_report(
    sessions: Sequence[BandSession], out: Path, *, png: Path | None = None
) -> list[Path]:
    """Write the HTML report (and the PNG overview of the first band); the paths written."""
    text = render_report(sessions)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise ReportError(out, f"cannot write the report: {err.strerror}") from err
    written = [out]
    if png is not None and sessions:
        write_png(overview_figure(sessions[0]), png)
        written.append(png)
    return written


def write_png(fig: Any, path: Path) -> None:
    """The figure as a PNG through Plotly's image export (kaleido and a local Chromium)."""
    require("kaleido", "--png")
    try:
        fig.write_image(str(path), width=PNG_WIDTH_PX, height=PNG_HEIGHT_PX, scale=1)
    except OSError as err:
        raise ReportError(path, f"cannot write the image: {err.strerror}") from err
    except Exception as err:  # kaleido's errors have no common base: a missing browser, say
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ReportError(
            path,
            f"the image export needs Chrome or Chromium installed (kaleido drives it): {first}",
        ) from err
