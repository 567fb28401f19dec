"""Exports of an analysed session for the apps people log workouts in: events as CSV, and a
TCX workout (heart rate, cadence, a lap per walking or pedalling bout). The FIT activity file
(``sensor.export_fit``, the ``fit`` extra) is made of the same laps and trackpoints.

References
----------
Garmin, Training Center Database v2 schema (``TrainingCenterDatabasev2.xsd``): ``Activity_t``
(``Sport`` attribute ``Running``/``Biking``/``Other``, ``Id`` dateTime, ``Lap``+),
``ActivityLap_t`` (``StartTime`` attribute; ``TotalTimeSeconds``, ``DistanceMeters``,
``Calories`` unsignedShort, optional ``AverageHeartRateBpm``/``MaximumHeartRateBpm``,
``Intensity`` ``Active``/``Resting``, optional ``Cadence`` 0-254, ``TriggerMethod``,
``Track``*, ``Notes``), ``Trackpoint_t`` (``Time``, optional ``HeartRateBpm``, ``Cadence``,
``Extensions``); Garmin Activity Extension v2 (``ActivityExtensionv2.xsd``): ``TPX`` with
``RunCadence`` in strides (steps of one foot) per minute. Strava and Garmin Connect import
TCX files of this shape; walking has no TCX sport, so a walk is ``Other``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from analysis.events import Event, PedalBoutEvent, WalkBoutEvent
from sensor.mqtt.payloads import LiveState, iso_utc

TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
TPX_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
#: Trackpoints every this many seconds of the session.
TRACKPOINT_S = 1.0
#: TCX ``CadenceValue_t`` is an unsignedByte of at most 254; FIT's ``cadence`` (uint8) stops
#: there too, 255 being its invalid value.
MAX_CADENCE = 254


def events_csv(
    events: Sequence[Event], *, band: str | None = None, started: datetime | None = None
) -> str:
    """The events, one row each: the events spec's fields as columns (the union over the
    events, in first-seen order), ``time`` (ISO 8601 UTC) when the start is known, nested
    values as JSON."""
    rows: list[dict[str, Any]] = []
    columns: dict[str, None] = {"type": None, "t": None}
    if started is not None:
        columns["time"] = None
    if band is not None:
        columns["band"] = None
    for event in events:
        row = event.to_dict()
        if started is not None:
            row["time"] = iso_utc(started + timedelta(seconds=event.t))
        if band is not None:
            row["band"] = band
        columns.update(dict.fromkeys(row))
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, separators=(",", ":"))
    if value is None:
        return ""
    return value


@dataclass(frozen=True)
class Lap:
    """A stretch of the session: a bout (``Active``) or the time between bouts (``Resting``)."""

    start_t: float
    end_t: float
    active: bool
    notes: str
    #: The bout an active lap is (``None`` for a resting lap, or a session without bouts).
    bout: WalkBoutEvent | PedalBoutEvent | None = None


def laps_of(events: Sequence[Event], start_t: float, end_t: float) -> list[Lap]:
    """A lap per walking or pedalling bout, and a resting lap for each stretch between them,
    so that the laps cover the session."""
    bouts = sorted(
        (e for e in events if isinstance(e, (WalkBoutEvent, PedalBoutEvent))),
        key=lambda e: e.start_t,
    )
    laps: list[Lap] = []
    t = start_t
    for bout in bouts:
        lo, hi = max(bout.start_t, t), min(bout.end_t, end_t)
        if hi <= lo:
            continue
        if lo > t:
            laps.append(Lap(t, lo, False, "rest"))
        laps.append(Lap(lo, hi, True, _bout_notes(bout), bout))
        t = hi
    if end_t > t or not laps:
        laps.append(Lap(t, max(end_t, t), not bouts, "session" if not bouts else "rest"))
    return laps


def _bout_notes(bout: WalkBoutEvent | PedalBoutEvent) -> str:
    if isinstance(bout, WalkBoutEvent):
        return (
            f"walking {bout.direction}: {bout.steps} steps ({bout.steps_backward} backward, "
            f"{bout.steps_forward} forward)"
        )
    unknown = f", {bout.revolutions_unknown} unknown" if bout.revolutions_unknown else ""
    return (
        f"pedalling: {bout.revolutions_backward} backward, {bout.revolutions_forward} forward"
        f"{unknown} revolutions, {bout.reversals} reversal{'' if bout.reversals == 1 else 's'}"
    )


def workout_sport(events: Sequence[Event]) -> str:
    """``cycling`` when the pedalling bouts last longer than the walking bouts, else
    ``walking`` (the FIT sport names; TCX has *Biking* and, for a walk, *Other*)."""
    walk_s = sum(e.end_t - e.start_t for e in events if isinstance(e, WalkBoutEvent))
    pedal_s = sum(e.end_t - e.start_t for e in events if isinstance(e, PedalBoutEvent))
    return "cycling" if pedal_s > walk_s else "walking"


def lap_kcal(lap: Lap, kcal: float | None, start_t: float, end_t: float) -> int:
    """The lap's share of the session's energy, by time (0 when the session has no
    estimate), as an unsignedShort."""
    if kcal is None:
        return 0
    return min(65535, round(kcal * (lap.end_t - lap.start_t) / max(end_t - start_t, 1e-9)))


@dataclass(frozen=True)
class Trackpoint:
    t: float
    hr_bpm: float | None
    pedal_cadence_rpm: float | None
    step_cadence_spm: float | None


def trackpoints(
    events: Sequence[Event],
    hr_t_s: Sequence[float],
    hr_bpm: Sequence[float],
    start_t: float,
    end_t: float,
) -> list[Trackpoint]:
    """The live state (``LiveState``, as MQTT publishes it) every ``TRACKPOINT_S``."""
    state = LiveState()
    ordered = sorted(events, key=lambda e: e.t)
    hr = sorted(zip(hr_t_s, hr_bpm, strict=True))
    i = j = 0
    out: list[Trackpoint] = []
    for t in np.arange(start_t, end_t + 1e-9, TRACKPOINT_S):
        while i < len(ordered) and ordered[i].t <= t:
            state.add_event(ordered[i])
            i += 1
        while j < len(hr) and hr[j][0] <= t:
            state.add_hr(hr[j][0], hr[j][1])
            j += 1
        snap = state.snapshot(float(t))
        out.append(
            Trackpoint(
                float(t), snap["hr_bpm"], snap["pedal_cadence_rpm"], snap["step_cadence_spm"]
            )
        )
    return out


def lap_points(lap: Lap, points: Sequence[Trackpoint]) -> list[Trackpoint]:
    """The trackpoints within the lap, or (for a lap shorter than ``TRACKPOINT_S`` between
    two of them) the last one before its end."""
    return [p for p in points if lap.start_t <= p.t < lap.end_t] or [
        p for p in points if p.t <= lap.end_t
    ][-1:]


@dataclass(frozen=True)
class Workout:
    """A session as the workout exports see it.

    Parameters
    ----------
    events
        The session's events (bouts make the laps; the live state the trackpoints).
    started
        When the recording's ``t = 0`` was.
    start_t, end_t
        The session's first and last sample time.
    hr_t_s, hr_bpm
        Heart rate readings.
    kcal
        The session's energy estimate, shared among the laps by time.
    """

    events: Sequence[Event]
    started: datetime
    start_t: float
    end_t: float
    hr_t_s: Sequence[float] = ()
    hr_bpm: Sequence[float] = ()
    kcal: float | None = None

    def laps(self) -> list[Lap]:
        return laps_of(self.events, self.start_t, self.end_t)

    def points(self) -> list[Trackpoint]:
        """The live state every ``TRACKPOINT_S``."""
        return trackpoints(self.events, self.hr_t_s, self.hr_bpm, self.start_t, self.end_t)

    def sport(self) -> str:
        return workout_sport(self.events)

    def lap_kcal(self, lap: Lap) -> int:
        return lap_kcal(lap, self.kcal, self.start_t, self.end_t)


def tcx_workout(workout: Workout, *, notes: str = "") -> bytes:
    """A TCX document with one activity: laps per bout, trackpoints every second."""
    ET.register_namespace("", TCX_NS)
    ET.register_namespace("tpx", TPX_NS)
    laps = workout.laps()
    points = workout.points()
    sport = "Biking" if workout.sport() == "cycling" else "Other"
    started = workout.started

    def at(t: float) -> str:
        return iso_utc(started + timedelta(seconds=t))

    def sub(parent: ET.Element, tag: str, text: Any = None, ns: str = TCX_NS) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ns}}}{tag}")
        if text is not None:
            element.text = str(text)
        return element

    root = ET.Element(f"{{{TCX_NS}}}TrainingCenterDatabase")
    activity = sub(sub(root, "Activities"), "Activity")
    activity.set("Sport", sport)
    sub(activity, "Id", at(workout.start_t))
    for lap in laps:
        inside = lap_points(lap, points)
        element = sub(activity, "Lap")
        element.set("StartTime", at(lap.start_t))
        sub(element, "TotalTimeSeconds", f"{lap.end_t - lap.start_t:.3f}")
        sub(element, "DistanceMeters", "0")
        sub(element, "Calories", workout.lap_kcal(lap))
        rates = [p.hr_bpm for p in inside if p.hr_bpm]
        if rates:
            sub(sub(element, "AverageHeartRateBpm"), "Value", whole_bpm(float(np.mean(rates))))
            sub(sub(element, "MaximumHeartRateBpm"), "Value", whole_bpm(max(rates)))
        sub(element, "Intensity", "Active" if lap.active else "Resting")
        cadences = [p.pedal_cadence_rpm for p in inside if p.pedal_cadence_rpm]
        if cadences:
            sub(element, "Cadence", whole_cadence(float(np.mean(cadences))))
        sub(element, "TriggerMethod", "Manual")
        track = sub(element, "Track")
        for p in inside:
            _trackpoint(sub(track, "Trackpoint"), p, at, sub)
        sub(element, "Notes", lap.notes)
    if notes:
        sub(activity, "Notes", notes)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def _trackpoint(element: ET.Element, p: Trackpoint, at: Any, sub: Any) -> None:
    sub(element, "Time", at(p.t))
    if p.hr_bpm:
        sub(sub(element, "HeartRateBpm"), "Value", whole_bpm(p.hr_bpm))
    if p.pedal_cadence_rpm:
        sub(element, "Cadence", whole_cadence(p.pedal_cadence_rpm))
    if p.step_cadence_spm:
        tpx = sub(sub(element, "Extensions"), "TPX", ns=TPX_NS)
        sub(tpx, "RunCadence", whole_cadence(p.step_cadence_spm / 2), ns=TPX_NS)


def whole_bpm(value: float) -> int:
    """Whole beats per minute as TCX's ``HeartRateInBeatsPerMinute_t`` takes them: an
    unsignedByte of at least 1."""
    return min(255, max(1, round(value)))


def whole_cadence(value: float) -> int:
    """A whole cadence of 0 to ``MAX_CADENCE`` (0 for a value that is not finite)."""
    return min(MAX_CADENCE, max(0, round(value))) if math.isfinite(value) else 0
