"""Detection events, version 1 (shared spec ``events.md``), as typed frozen dataclasses.

Every event has ``t`` (when it happened, on the recording's ``time_s`` axis) and
``detected_at`` (the ``time_s`` of the sample whose arrival let the streaming detector emit
it). ``to_dict`` gives the JSON object of the spec: required fields first, then extras;
``None`` extras are left out, so consumers only see what a detector could measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar

#: Decimal places kept for float fields in the JSON form: microseconds for times, far below
#: any sensor's resolution, and enough to make floating-point summation order irrelevant.
JSON_DECIMALS = 6


class Direction(StrEnum):
    FORWARD = "forward"
    BACKWARD = "backward"
    VERTICAL = "vertical"
    UNKNOWN = "unknown"


class Activity(StrEnum):
    """What the wearer is doing, as the activity stage tells it (``analysis/activity.py``)."""

    WALKING = "walking"
    PEDALLING = "pedalling"
    JUMPING = "jumping"
    STANDING = "standing"
    SITTING = "sitting"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of all detection events."""

    type: ClassVar[str] = "event"
    #: Field names renamed in the JSON form (``from`` is a Python keyword).
    json_names: ClassVar[dict[str, str]] = {}

    t: float
    detected_at: float

    def to_dict(self) -> dict[str, Any]:
        """The event as the JSON object of the events spec."""
        out: dict[str, Any] = {"type": self.type}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[self.json_names.get(f.name, f.name)] = _jsonable(value)
        return out

    @property
    def sort_key(self) -> tuple[float, float, str]:
        """Emission order: by ``detected_at``, then ``t``, then type (chunking-independent)."""
        return (self.detected_at, self.t, self.type)


def _jsonable(value: object) -> object:
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, JSON_DECIMALS)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class StepEvent(Event):
    """One foot contact. ``t`` is the contact time."""

    type: ClassVar[str] = "step"
    direction: Direction
    cadence_spm: float | None = None
    #: Which leg, where the placement can tell (``left``/``right``), or ``None``.
    side: str | None = None
    #: True for a contact inferred for the leg a single shank/foot sensor does not carry.
    inferred: bool | None = None
    confidence: float | None = None


@dataclass(frozen=True, kw_only=True)
class WalkBoutEvent(Event):
    """A walking bout, emitted when it ends. ``t`` is the end of the bout."""

    type: ClassVar[str] = "walk_bout"
    start_t: float
    end_t: float
    direction: Direction
    steps: int
    steps_forward: int
    steps_backward: int
    cadence_spm: float
    #: Step and stride regularity from the trunk signal's autocorrelation (Moe-Nilssen and
    #: Helbostad 2004) and their ratio as symmetry; ``None`` where not measurable.
    step_regularity: float | None = None
    stride_regularity: float | None = None
    symmetry: float | None = None


@dataclass(frozen=True, kw_only=True)
class JumpEvent(Event):
    """One jump. ``t`` equals ``landing_t``."""

    type: ClassVar[str] = "jump"
    takeoff_t: float
    landing_t: float
    flight_time_s: float
    height_m: float
    landing_peak_g: float
    direction: Direction
    #: True when the landing peak reached the sensor's range: ``landing_peak_g`` is then a
    #: lower bound, not the peak.
    landing_clipped: bool = False
    landing_loading_rate_g_per_s: float | None = None
    landing_softness: float | None = None
    contact_time_s: float | None = None
    reactive_strength_index: float | None = None
    repetition: int | None = None
    set_number: int | None = None
    confidence: float | None = None


@dataclass(frozen=True, kw_only=True)
class RevolutionEvent(Event):
    """One full crank revolution; ``t`` is when it completed."""

    type: ClassVar[str] = "revolution"
    direction: Direction
    cadence_rpm: float
    confidence: float | None = None
    #: True for a turn inferred within a short gap of lost packets (the crank turned on at
    #: the same cadence and in the same sense on both sides; see analysis/pedalling.py).
    inferred: bool | None = None


@dataclass(frozen=True, kw_only=True)
class PedalReversalEvent(Event):
    """The crank stopped and turned the other way; ``t`` is the turning point."""

    type: ClassVar[str] = "pedal_reversal"
    json_names: ClassVar[dict[str, str]] = {"from_direction": "from", "to_direction": "to"}
    from_direction: Direction
    to_direction: Direction


@dataclass(frozen=True, kw_only=True)
class PedalBoutEvent(Event):
    """A pedalling bout, emitted when pedalling stops. ``t`` is the end of the bout."""

    type: ClassVar[str] = "pedal_bout"
    start_t: float
    end_t: float
    duration_s: float
    revolutions_forward: int
    revolutions_backward: int
    cadence_forward_rpm: float | None = None
    cadence_backward_rpm: float | None = None
    reversals: int = 0
    #: Revolutions whose direction could not be told (a shank band without a gyroscope, a
    #: run at the crossover cadence that nothing measured); absent when there were none.
    revolutions_unknown: int | None = None


@dataclass(frozen=True, kw_only=True)
class ActivityEvent(Event):
    """The activity changed. ``t`` is when the evidence for the new one began (the first
    step of a walk, the first revolution, a jump's takeoff, the start of a still spell, the
    moment the old activity's evidence lapsed); ``detected_at`` when the stage decided."""

    type: ClassVar[str] = "activity"
    json_names: ClassVar[dict[str, str]] = {"previous": "from"}
    activity: Activity
    previous: Activity


def sort_events(events: list[Event]) -> list[Event]:
    """Events in emission order (see ``Event.sort_key``)."""
    return sorted(events, key=lambda e: e.sort_key)


def event_from_dict(obj: dict[str, Any]) -> Event:
    """An event back from its JSON object (``Event.to_dict``; extra keys are ignored).

    Raises
    ------
    ValueError
        For an unknown ``type`` or a field of the wrong kind.
    """
    cls = _EVENT_TYPES.get(str(obj.get("type")))
    if cls is None:
        raise ValueError(f"unknown event type {obj.get('type')!r}")
    json_to_field = {v: k for k, v in cls.json_names.items()}
    kwargs: dict[str, Any] = {}
    names = {f.name: f for f in fields(cls)}
    for key, value in obj.items():
        name = json_to_field.get(key, key)
        f = names.get(name)
        if f is None or value is None:
            continue
        if "Direction" in str(f.type):
            value = Direction(value)
        elif "Activity" in str(f.type):
            value = Activity(value)
        elif str(f.type).startswith("float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{key} must be a number")
            value = float(value)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ValueError(f"{cls.type}: {err}") from None


_EVENT_TYPES: dict[str, type[Event]] = {
    c.type: c
    for c in (
        StepEvent,
        WalkBoutEvent,
        JumpEvent,
        RevolutionEvent,
        PedalReversalEvent,
        PedalBoutEvent,
        ActivityEvent,
    )
}
