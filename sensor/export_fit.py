"""A session as a FIT activity file, written with fit-tool (the ``fit`` extra).

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
``development``, for software without a Garmin-assigned manufacturer id. fit-tool takes
date_time values as milliseconds since 1970 and scales every field as the Profile says.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fit_tool.base_type import BaseType
from fit_tool.developer_field import DeveloperField
from fit_tool.fit_file import FitFile
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.fit_file_header import FitFileHeader
from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
from fit_tool.profile.messages.device_info_message import DeviceInfoMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import (
    Activity,
    DeviceIndex,
    Event,
    EventType,
    FileType,
    Intensity,
    LapTrigger,
    Manufacturer,
    SessionTrigger,
    Sport,
    SubSport,
)

from analysis.events import PedalBoutEvent, WalkBoutEvent
from sensor.export import Lap, Trackpoint, Workout, lap_points, whole_bpm, whole_cadence

#: The application id of retrosense's developer fields (FIT asks for a UUID as 16 bytes;
#: this one is uuid5(NAMESPACE_URL, "retrosense/fit-developer-fields"), fixed so that every
#: file's fields are recognisably the same).
APPLICATION_ID = uuid.UUID("a295ffac-7e61-52e8-9051-6dc8d45b657b")
#: The File Id's ``serial_number`` (a uint32z, 0 invalid): software has no serial, but
#: fit-tool's activity-file rules require one, so this is the application id's first four
#: bytes, the same in every file.
SERIAL_NUMBER = int.from_bytes(APPLICATION_ID.bytes[:4], "big")
#: FIT's ``heart_rate`` is a uint8 whose 255 means "invalid".
MAX_FIT_BPM = 254
#: The FIT epoch, from which FIT's date_time (and local_date_time) count seconds.
FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
#: Developer fields are uint16 (two bytes), 65535 being their invalid value.
_COUNT_SIZE_BYTES = 2

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
_COUNT_MESSAGES: tuple[type[Any], ...] = (LapMessage, SessionMessage)


def _message(kind: type[Any], developer_fields: Sequence[Any] = (), **fields: object) -> Any:
    """A fit-tool message of ``kind`` with ``fields`` set (``None`` leaves a field invalid,
    as FIT writes a value it does not have)."""
    message = kind(developer_fields=list(developer_fields))
    for name, value in fields.items():
        # fit-tool's fields are properties; setting anything else would be silently lost.
        if not isinstance(getattr(kind, name, None), property):
            raise AttributeError(f"FIT {kind.NAME} message has no field {name!r}")
        setattr(message, name, value)
    return message


def _unix_ms(when: datetime) -> int:
    """A FIT date_time as fit-tool takes it: milliseconds since 1970 of the whole second
    (FIT keeps whole seconds; the fraction is dropped)."""
    return math.floor(when.timestamp()) * 1000


def _developer_fields() -> tuple[list[Any], dict[tuple[type[Any], str], int]]:
    """The Developer Data Id and Field Description messages, and the field number of each
    (message, count)."""
    messages: list[Any] = [
        _message(
            DeveloperDataIdMessage, developer_data_index=0, application_id=APPLICATION_ID.bytes
        )
    ]
    keys: dict[tuple[type[Any], str], int] = {}
    for kind in _COUNT_MESSAGES:
        for count in _COUNTS:
            key = len(keys)
            keys[(kind, count)] = key
            name, units = _COUNT_NAMES[count]
            messages.append(
                _message(
                    FieldDescriptionMessage,
                    developer_data_index=0,
                    field_definition_number=key,
                    fit_base_type_id=BaseType.UINT16.value,
                    field_name=name,
                    units=units,
                    native_mesg_num=kind.ID,
                )
            )
    return messages, keys


def _count_fields(
    kind: type[Any],
    bouts: Sequence[WalkBoutEvent | PedalBoutEvent | None],
    keys: dict[tuple[type[Any], str], int],
) -> list[Any]:
    """The developer fields of a lap or session: its bouts' steps and revolutions each way."""
    totals = dict.fromkeys(_COUNTS, 0)
    for bout in bouts:
        if isinstance(bout, WalkBoutEvent):
            totals["steps_backward"] += bout.steps_backward
            totals["steps_forward"] += bout.steps_forward
        elif isinstance(bout, PedalBoutEvent):
            totals["revolutions_backward"] += bout.revolutions_backward
            totals["revolutions_forward"] += bout.revolutions_forward
    fields = []
    for count, n in totals.items():
        name, units = _COUNT_NAMES[count]
        field = DeveloperField(
            developer_data_index=0,
            field_id=keys[(kind, count)],
            name=name,
            units=units,
            base_type=BaseType.UINT16,
            size=_COUNT_SIZE_BYTES,
        )
        field.set_value(0, min(65534, n))  # uint16, 65535 invalid
        fields.append(field)
    return fields


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
        retrosense's version as FIT's ``software_version`` (major + minor / 100, scale 100, as
        devices show "2.10": 0.01 for 0.1.0).
    """
    laps = workout.laps()
    points = workout.points()
    start_t, end_t, kcal = workout.start_t, workout.end_t, workout.kcal

    def at(t: float) -> int:
        return _unix_ms(workout.started + timedelta(seconds=t))

    developer, keys = _developer_fields()
    first, last = at(start_t), max(at(start_t), at(end_t))
    creator = {"manufacturer": Manufacturer.DEVELOPMENT, "product": 0, "product_name": "retrosense"}
    # strict: fit-tool checks the wire limits, the Profile's fields and the activity file's
    # required messages and fields as it builds (a failure is a bug here, not bad input).
    builder = FitFileBuilder(auto_define=True, strict=True)
    builder.add(
        _message(
            FileIdMessage,
            type=FileType.ACTIVITY,
            time_created=first,
            serial_number=SERIAL_NUMBER,
            **creator,
        )
    )
    builder.add_all(developer)
    builder.add(
        _message(
            DeviceInfoMessage,
            timestamp=first,
            device_index=DeviceIndex.CREATOR.value,
            software_version=software_version,
            **creator,
        )
    )
    timer = {"event": Event.TIMER}
    builder.add(_message(EventMessage, timestamp=first, event_type=EventType.START, **timer))
    for p in points:
        builder.add(
            _message(
                RecordMessage, timestamp=at(p.t), heart_rate=point_bpm(p), cadence=point_cadence(p)
            )
        )
    builder.add(_message(EventMessage, timestamp=last, event_type=EventType.STOP_ALL, **timer))
    for index, lap in enumerate(laps):
        builder.add(_lap(lap, index, lap_points(lap, points), at, workout, keys))
    elapsed_s = end_t - start_t
    builder.add(
        _message(
            SessionMessage,
            _count_fields(SessionMessage, [lap.bout for lap in laps], keys),
            message_index=0,
            timestamp=last,
            event=Event.SESSION,
            event_type=EventType.STOP,
            start_time=first,
            total_elapsed_time=elapsed_s,
            total_timer_time=elapsed_s,
            sport=Sport[workout.sport().upper()],  # the FIT names, as Sport's members
            sub_sport=SubSport.GENERIC,
            first_lap_index=0,
            num_laps=len(laps),
            total_calories=None if kcal is None else min(65535, round(kcal)),
            trigger=SessionTrigger.ACTIVITY_END,
            **_averages(points),
        )
    )
    fit_epoch_ms = _unix_ms(FIT_EPOCH)
    builder.add(
        _message(
            ActivityMessage,
            timestamp=last,
            total_timer_time=elapsed_s,
            num_sessions=1,
            type=Activity.MANUAL,
            event=Event.ACTIVITY,
            event_type=EventType.STOP,
            # local_date_time has no offset in the Profile: seconds since the FIT epoch, local.
            local_timestamp=(last - fit_epoch_ms) // 1000 + utc_offset_s,
        )
    )
    builder.validate()
    # The 14-byte header with its own CRC (FitFileBuilder writes the legacy 12-byte one): the
    # FIT protocol's preferred header, which readers check before the records.
    header = FitFileHeader(records_size=0, gen_crc=True)  # sizes and CRCs set as it encodes
    data: bytes = FitFile(header, builder.records).to_bytes()
    return data


def _lap(
    lap: Lap,
    index: int,
    points: Sequence[Trackpoint],
    at: Callable[[float], int],
    workout: Workout,
    keys: dict[tuple[type[Any], str], int],
) -> Any:
    return _message(
        LapMessage,
        _count_fields(LapMessage, [lap.bout], keys),
        message_index=index,
        timestamp=at(lap.end_t),
        event=Event.LAP,
        event_type=EventType.STOP,
        start_time=at(lap.start_t),
        total_elapsed_time=lap.end_t - lap.start_t,
        total_timer_time=lap.end_t - lap.start_t,
        total_calories=None if workout.kcal is None else workout.lap_kcal(lap),
        intensity=Intensity.ACTIVE if lap.active else Intensity.REST,
        lap_trigger=LapTrigger.MANUAL,
        **_averages(points),
    )
