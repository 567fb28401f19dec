"""A session as a FIT activity file, written with Garmin's FIT Python SDK (the ``fit`` extra).

The file follows Garmin's "Encoding FIT Activity Files" recipe, summary last: a file id
(type ``activity``), the creating device, a timer start event, a record every
``TRACKPOINT_S`` (heart rate, cadence), a timer stop event, a lap per walking or pedalling
bout with resting laps between them (the laps of the TCX export), one session and one
activity message. The sport is the TCX export's: ``cycling`` when pedalling outweighs
walking, else ``walking``.

What FIT has no field for, the direction the wearer moved in, goes in developer fields of
each lap and of the session: steps and crank revolutions, backward and forward.

References
----------
Garmin, FIT SDK: "Activity File" (required messages: File Id with type 4 first, at least one
Record, Lap and Session, exactly one Activity; timer events and a Device Info message with
``device_index`` creator as best practice), "Encoding FIT Activity Files" (summary-last
order; the Activity's ``local_timestamp`` gives the time zone offset), "Working With
Developer Data Fields" (a Developer Data Id with a 16-byte application id, then a Field
Description per field). FIT Profile 21: ``record.cadence`` is in rpm, for walking and running
strides (steps of one foot) per minute as TCX's ``RunCadence``; date_time is whole seconds
since 1989-12-31T00:00:00Z; ``lap``/``session.total_elapsed_time`` in ms (scale 1000);
``heart_rate``/``cadence`` are uint8 with 255 invalid; ``manufacturer`` 255 is
``development``, for software without a Garmin-assigned manufacturer id.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from garmin_fit_sdk import BASE_TYPE, FIT_EPOCH_S, Encoder, Profile

from analysis.events import PedalBoutEvent, WalkBoutEvent
from sensor.export import Lap, Trackpoint, Workout, lap_points, whole_bpm, whole_cadence

if TYPE_CHECKING:  # the SDK ships these types in stubs only
    from garmin_fit_sdk.mesgs import DeveloperDataIdMesg, FieldDescriptionMesg

#: The application id of retrosense's developer fields (FIT asks for a UUID as 16 bytes;
#: this one is uuid5(NAMESPACE_URL, "retrosense/fit-developer-fields"), fixed so that every
#: file's fields are recognisably the same).
APPLICATION_ID = uuid.UUID("a295ffac-7e61-52e8-9051-6dc8d45b657b")
#: FIT's ``heart_rate`` is a uint8 whose 255 means "invalid".
MAX_FIT_BPM = 254

#: The counts each lap and the session carry as developer fields, with their names and units.
#: A field description names one message (``native_mesg_num``), so the lap's and the
#: session's are separate fields (numbers 0-3 and 4-7).
_COUNTS = ("steps_backward", "steps_forward", "revolutions_backward", "revolutions_forward")
_COUNT_NAMES = {
    "steps_backward": ("Backward steps", "steps"),
    "steps_forward": ("Forward steps", "steps"),
    "revolutions_backward": ("Backward revolutions", "revolutions"),
    "revolutions_forward": ("Forward revolutions", "revolutions"),
}


def _mesg_num(name: str) -> int:
    number: int = Profile["mesg_num"][name]
    return number


def _fit_time(when: datetime) -> int:
    """Whole seconds since the FIT epoch (the fraction dropped, as the SDK does)."""
    return math.floor(when.timestamp()) - FIT_EPOCH_S


def _developer_fields() -> tuple[
    DeveloperDataIdMesg, dict[tuple[str, str], int], list[FieldDescriptionMesg]
]:
    """The Developer Data Id message, the key of each (message, count) field, and the Field
    Description messages."""
    developer: DeveloperDataIdMesg = {
        "mesg_num": _mesg_num("DEVELOPER_DATA_ID"),
        "developer_data_index": 0,
        "application_id": list(APPLICATION_ID.bytes),
    }
    keys: dict[tuple[str, str], int] = {}
    descriptions: list[FieldDescriptionMesg] = []
    for message in ("LAP", "SESSION"):
        for count in _COUNTS:
            key = len(keys)
            keys[(message, count)] = key
            name, units = _COUNT_NAMES[count]
            descriptions.append(
                {
                    "mesg_num": _mesg_num("FIELD_DESCRIPTION"),
                    "developer_data_index": 0,
                    "field_definition_number": key,
                    "fit_base_type_id": BASE_TYPE["UINT16"],
                    "field_name": name,
                    "units": units,
                    "native_mesg_num": _mesg_num(message),
                }
            )
    return developer, keys, descriptions


def _counts(bouts: Sequence[WalkBoutEvent | PedalBoutEvent | None]) -> dict[str, int]:
    totals = dict.fromkeys(_COUNTS, 0)
    for bout in bouts:
        if isinstance(bout, WalkBoutEvent):
            totals["steps_backward"] += bout.steps_backward
            totals["steps_forward"] += bout.steps_forward
        elif isinstance(bout, PedalBoutEvent):
            totals["revolutions_backward"] += bout.revolutions_backward
            totals["revolutions_forward"] += bout.revolutions_forward
    return {name: min(65534, n) for name, n in totals.items()}  # uint16, 65535 invalid


def point_cadence(p: Trackpoint) -> int | None:
    """A record's ``cadence``: crank rpm while pedalling, else strides per minute (half the
    step cadence) while walking, else none."""
    if p.pedal_cadence_rpm:
        return whole_cadence(p.pedal_cadence_rpm)
    if p.step_cadence_spm:
        return whole_cadence(p.step_cadence_spm / 2)
    return None


def point_bpm(p: Trackpoint) -> int | None:
    """A record's ``heart_rate``, where one is known."""
    return min(MAX_FIT_BPM, whole_bpm(p.hr_bpm)) if p.hr_bpm else None


def _averages(points: Sequence[Trackpoint]) -> dict[str, int | None]:
    rates = [r for r in map(point_bpm, points) if r]
    cadences = [c for c in map(point_cadence, points) if c]
    return {
        "avg_heart_rate": min(MAX_FIT_BPM, round(sum(rates) / len(rates))) if rates else None,
        "max_heart_rate": max(rates) if rates else None,
        "avg_cadence": round(sum(cadences) / len(cadences)) if cadences else None,
        "max_cadence": max(cadences) if cadences else None,
    }


def fit_activity(
    workout: Workout, *, utc_offset_s: int = 0, software_version: float | None = None
) -> bytes:
    """A FIT activity file: a record every ``TRACKPOINT_S``, a lap per bout, one session.

    Parameters
    ----------
    workout
        The session; records fall at ``workout.started + t``.
    utc_offset_s
        The wearer's time zone offset, for the Activity message's ``local_timestamp``.
    software_version
        retrosense's version as FIT's ``software_version`` (scale 100: 0.1 for 0.1.0).
    """
    laps = workout.laps()
    points = workout.points()
    start_t, end_t, kcal = workout.start_t, workout.end_t, workout.kcal

    def at(t: float) -> int:
        return _fit_time(workout.started + timedelta(seconds=t))

    developer, keys, descriptions = _developer_fields()
    encoder = Encoder()
    for description in descriptions:
        encoder.add_developer_field(description["field_definition_number"], developer, description)
    first, last = at(start_t), max(at(start_t), at(end_t))
    encoder.write_mesg(
        {
            "mesg_num": _mesg_num("FILE_ID"),
            "type": "activity",
            "manufacturer": "development",
            "product": 0,
            "time_created": first,
            "product_name": "retrosense",
        }
    )
    for message in (developer, *descriptions):
        encoder.write_mesg(dict(message))
    encoder.write_mesg(
        {
            "mesg_num": _mesg_num("DEVICE_INFO"),
            "timestamp": first,
            "device_index": "creator",
            "manufacturer": "development",
            "product": 0,
            "product_name": "retrosense",
            "software_version": software_version,
        }
    )
    timer = {"mesg_num": _mesg_num("EVENT"), "event": "timer"}
    encoder.write_mesg({**timer, "timestamp": first, "event_type": "start"})
    for p in points:
        encoder.write_mesg(
            {
                "mesg_num": _mesg_num("RECORD"),
                "timestamp": at(p.t),
                "heart_rate": point_bpm(p),
                "cadence": point_cadence(p),
            }
        )
    encoder.write_mesg({**timer, "timestamp": last, "event_type": "stop_all"})
    for index, lap in enumerate(laps):
        encoder.write_mesg(_lap(lap, index, lap_points(lap, points), at, workout, keys))
    elapsed_s = end_t - start_t
    encoder.write_mesg(
        {
            "mesg_num": _mesg_num("SESSION"),
            "message_index": 0,
            "timestamp": last,
            "event": "session",
            "event_type": "stop",
            "start_time": first,
            "total_elapsed_time": elapsed_s,
            "total_timer_time": elapsed_s,
            "sport": workout.sport(),
            "sub_sport": "generic",
            "first_lap_index": 0,
            "num_laps": len(laps),
            "total_calories": None if kcal is None else min(65535, round(kcal)),
            "trigger": "activity_end",
            **_averages(points),
            "developer_fields": {
                keys[("SESSION", name)]: n
                for name, n in _counts([lap.bout for lap in laps]).items()
            },
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": _mesg_num("ACTIVITY"),
            "timestamp": last,
            "total_timer_time": elapsed_s,
            "num_sessions": 1,
            "type": "manual",
            "event": "activity",
            "event_type": "stop",
            "local_timestamp": last + utc_offset_s,
        }
    )
    return encoder.close()


def _lap(
    lap: Lap,
    index: int,
    points: Sequence[Trackpoint],
    at: Callable[[float], int],
    workout: Workout,
    keys: dict[tuple[str, str], int],
) -> dict[str, Any]:
    return {
        "mesg_num": _mesg_num("LAP"),
        "message_index": index,
        "timestamp": at(lap.end_t),
        "event": "lap",
        "event_type": "stop",
        "start_time": at(lap.start_t),
        "total_elapsed_time": lap.end_t - lap.start_t,
        "total_timer_time": lap.end_t - lap.start_t,
        "total_calories": None if workout.kcal is None else workout.lap_kcal(lap),
        "intensity": "active" if lap.active else "rest",
        "lap_trigger": "manual",
        **_averages(points),
        "developer_fields": {keys[("LAP", name)]: n for name, n in _counts([lap.bout]).items()},
    }
