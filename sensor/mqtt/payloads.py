"""JSON payloads: events with identity and wall-clock time, live state, device info, summaries.

Every payload is a JSON object (UTF-8, compact). Times people read are ISO 8601 in UTC with
milliseconds and a ``Z`` (RFC 3339); times on the recording's axis stay ``t`` in seconds, as
in the events spec.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.events import (
    Activity,
    ActivityEvent,
    Direction,
    Event,
    JumpEvent,
    PedalBoutEvent,
    PedalReversalEvent,
    RevolutionEvent,
    StepEvent,
    WalkBoutEvent,
)
from analysis.types import Samples

if TYPE_CHECKING:  # a cue is only read here; the program code loads SciPy
    from analysis.program import Cue

ONLINE = b"online"
OFFLINE = b"offline"


def iso_utc(when: datetime) -> str:
    """``2026-11-22T01:02:03.456Z``: ISO 8601 / RFC 3339 in UTC, milliseconds."""
    if when.tzinfo is None:
        raise ValueError("wall-clock times must carry a time zone")
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wall_time(started: datetime, t_s: float, pace: float = 1.0) -> datetime:
    """The wall-clock time of ``t_s`` on a stream whose ``time_s = 0`` was ``started`` and
    that runs ``pace`` times as fast as the wall clock (a replay at N times real time; an
    infinite pace puts every time at ``started``)."""
    return started + timedelta(seconds=t_s / pace)


def encode(obj: dict[str, Any]) -> bytes:
    """Compact JSON; non-finite floats become ``null`` (JSON has no NaN)."""
    return json.dumps(_finite(obj), separators=(",", ":"), allow_nan=False).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def ha_event_type(event: Event) -> str:
    """The ``event_type`` a Home Assistant ``event`` entity shows for this event.

    Home Assistant's MQTT event entity requires ``event_type`` in the JSON payload, one of the
    ``event_types`` its discovery config lists (Home Assistant docs, "MQTT Event"). We use the
    direction (for a pedal reversal, the new one), the one thing people automate on.
    """
    if isinstance(event, PedalReversalEvent):
        return str(event.to_direction)
    direction = getattr(event, "direction", None)
    if isinstance(direction, Direction):
        return str(direction)
    return event.type


def event_id(band_id: str, band_started: datetime, event: Event) -> str:
    """The event's id: the same for the same event of the same band session, wherever made.

    Derived from the band, the band session (the wall-clock time of its ``time_s = 0``, to the
    millisecond, as offers carry it) and the event's type and sample time (to 0.1 ms, the raw
    payload's resolution; an activity change also by its activity), so a resent message, a
    restarted replay of the same session or a second worker that ran the same samples gives
    the same id, and consumers drop the copy.
    ``<band>-<16 hex digits>``: 64 bits of BLAKE2b make a collision between two events of
    one band improbable (about 1 in 10^11 for a million events).
    """
    key = f"{band_id}|{iso_utc(band_started)}|{event.type}|{event.t:.4f}"
    if isinstance(event, ActivityEvent):
        # Two changes may share a time (one whose evidence reached back to the change
        # before it begins where that one did): the activity tells them apart.
        key += f"|{event.activity.value}"
    digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    return f"{band_id}-{digest}"


def event_payload(
    band_id: str, event: Event, *, event_id: str, seq: int, when: datetime
) -> dict[str, Any]:
    """The events-spec object plus ``band``, ``event_id``, ``seq``, ``time``, ``event_type``.

    ``event_id`` identifies the event (``event_id``; consumers drop duplicates by it: QoS 1
    is at least once);
    ``seq`` counts the publisher session's events from 1, so a consumer can see order and
    gaps; ``time`` is when the event happened, not when it was delivered.
    """
    out = event.to_dict()
    out.update(
        band=band_id,
        event_id=event_id,
        seq=seq,
        time=iso_utc(when),
        event_type=ha_event_type(event),
    )
    return out


def cue_payload(band_id: str, cue: Cue, *, when: datetime) -> dict[str, Any]:
    """A coaching cue (``analysis.program.Cue``) plus ``band``, ``time`` and ``event_type``
    (the cue's kind, what a Home Assistant event entity shows)."""
    out = cue.to_dict()
    out.update(band=band_id, time=iso_utc(when), event_type=str(cue.kind))
    return out


def raw_payload(
    band_id: str, chunk: Samples, when: datetime, seq: int | None = None
) -> dict[str, Any]:
    """One notification's samples, compact: column arrays, times relative to ``t0``.

    Columns: ``t`` (s after ``t0``), ``acc`` (rows of x, y, z in g, body frame), and ``gyro``
    (deg/s) and ``hr`` where the chunk has them. Four decimals keep 0.1 mg and 0.1 ms.
    ``seq`` numbers the band session's batches from 1, so a receiver sees what is missing.
    """
    t0 = float(chunk.time_s[0]) if len(chunk) else 0.0
    out: dict[str, Any] = {
        "band": band_id,
        "time": iso_utc(when),
        "t0": round(t0, 6),
        "t": np.round(chunk.time_s - t0, 4).tolist(),
        "acc": np.round(chunk.acc_g, 4).tolist(),
    }
    if seq is not None:
        out["seq"] = seq
    if chunk.gyro_dps is not None:
        out["gyro"] = np.round(chunk.gyro_dps, 3).tolist()
    if chunk.hr_bpm is not None and bool(np.isfinite(chunk.hr_bpm).any()):
        out["hr"] = [None if not math.isfinite(v) else v for v in chunk.hr_bpm.tolist()]
    return out


#: A step cadence older than this is reported as 0: the slowest steady walking, about
#: 40 steps/min, has 1.5 s between steps, so 3 s is two missed steps.
STEP_STALE_S = 3.0
#: The same for pedalling: 5 s without a completed revolution is below 12 rpm, which is not
#: steady pedalling.
PEDAL_STALE_S = 5.0
#: Window of recent steps a cadence is computed from when the detector gives none.
CADENCE_WINDOW_S = 10.0
#: A heart rate older than this is reported as unknown (a strap that lost skin contact).
HR_STALE_S = 10.0


@dataclass
class LiveState:
    """What a dashboard shows for one band, built from events and heart-rate readings.

    Feed it events (``add_event``) and readings (``add_hr``) as they come; ``snapshot(t)``
    gives the state at stream time ``t``. Values that cannot be known yet are ``None``.
    """

    hr_bpm: float | None = None
    hr_t: float | None = None
    rr_ms: list[float] = field(default_factory=list)
    steps_forward: int = 0
    steps_backward: int = 0
    steps_unknown: int = 0
    last_step_direction: str | None = None
    step_times: deque[float] = field(default_factory=deque)
    step_cadence_from_detector: float | None = None
    revolutions_forward: int = 0
    revolutions_backward: int = 0
    revolutions_unknown: int = 0
    pedal_cadence_rpm: float | None = None
    pedal_direction: str | None = None
    last_revolution_t: float | None = None
    pedal_reversals: int = 0
    jumps: int = 0
    last_jump_height_m: float | None = None
    last_jump_landing_peak_g: float | None = None
    last_jump_direction: str | None = None
    last_jump_flight_time_s: float | None = None
    last_jump_contact_time_s: float | None = None
    last_jump_reactive_strength_index: float | None = None
    walk_bouts: int = 0
    #: What the wearer is doing (the activity stage's last ``activity`` event).
    activity: str = str(Activity.UNKNOWN)
    battery_pct: float | None = None
    #: Where the wearer is in the interval program followed (``Progress.to_dict``), if any.
    program: dict[str, Any] | None = None

    def add_event(self, event: Event) -> None:
        if isinstance(event, StepEvent):
            if event.direction is Direction.FORWARD:
                self.steps_forward += 1
            elif event.direction is Direction.BACKWARD:
                self.steps_backward += 1
            else:
                self.steps_unknown += 1
            self.last_step_direction = str(event.direction)
            self.step_times.append(event.t)
            self.step_cadence_from_detector = event.cadence_spm
            while self.step_times and self.step_times[0] < event.t - CADENCE_WINDOW_S:
                self.step_times.popleft()
        elif isinstance(event, RevolutionEvent):
            if event.direction is Direction.BACKWARD:
                self.revolutions_backward += 1
            elif event.direction is Direction.FORWARD:
                self.revolutions_forward += 1
            else:
                self.revolutions_unknown += 1
            self.pedal_cadence_rpm = event.cadence_rpm
            self.pedal_direction = str(event.direction)
            self.last_revolution_t = event.t
        elif isinstance(event, PedalReversalEvent):
            self.pedal_reversals += 1
            self.pedal_direction = str(event.to_direction)
        elif isinstance(event, JumpEvent):
            self.jumps += 1
            self.last_jump_height_m = event.height_m
            self.last_jump_landing_peak_g = event.landing_peak_g
            self.last_jump_direction = str(event.direction)
            self.last_jump_flight_time_s = event.flight_time_s
            # Only a jump linked to the one before by a short contact has these (None else).
            self.last_jump_contact_time_s = event.contact_time_s
            self.last_jump_reactive_strength_index = event.reactive_strength_index
        elif isinstance(event, WalkBoutEvent):
            self.walk_bouts += 1
        elif isinstance(event, ActivityEvent):
            self.activity = str(event.activity)
        elif isinstance(event, PedalBoutEvent):
            pass

    def add_hr(self, t: float, hr_bpm: float, rr_ms: list[float] | None = None) -> None:
        if math.isfinite(hr_bpm) and hr_bpm > 0:
            self.hr_bpm = hr_bpm
            self.hr_t = t
        if rr_ms:
            self.rr_ms = list(rr_ms)

    def step_cadence_spm(self, t: float) -> float | None:
        if not self.step_times:
            return None
        if t - self.step_times[-1] > STEP_STALE_S:
            return 0.0
        if self.step_cadence_from_detector is not None:
            return self.step_cadence_from_detector
        if len(self.step_times) < 2:
            return None
        span = self.step_times[-1] - self.step_times[0]
        return 60.0 * (len(self.step_times) - 1) / span if span > 0 else None

    def walking_direction(self, t: float) -> str | None:
        """The last step's direction while walking goes on (a step within ``STEP_STALE_S``)."""
        if not self.step_times or t - self.step_times[-1] > STEP_STALE_S:
            return None
        return self.last_step_direction

    def snapshot(self, t: float) -> dict[str, Any]:
        """The state at stream time ``t`` (seconds on the recording's axis)."""
        pedal_stale = self.last_revolution_t is None or t - self.last_revolution_t > PEDAL_STALE_S
        hr_fresh = self.hr_t is not None and t - self.hr_t <= HR_STALE_S
        cadence = self.step_cadence_spm(t)
        return {
            "t": round(t, 3),
            "hr_bpm": self.hr_bpm if hr_fresh else None,
            "rr_ms": self.rr_ms if hr_fresh else [],
            "step_cadence_spm": None if cadence is None else round(cadence, 1),
            "steps_forward": self.steps_forward,
            "steps_backward": self.steps_backward,
            "steps_unknown": self.steps_unknown,
            "last_step_direction": self.last_step_direction,
            # The direction of the walk going on now; null when no step came for a while.
            "walking_direction": self.walking_direction(t),
            "pedal_cadence_rpm": (
                None
                if self.pedal_cadence_rpm is None
                else 0.0
                if pedal_stale
                else round(self.pedal_cadence_rpm, 1)
            ),
            "pedal_direction": None if pedal_stale else self.pedal_direction,
            "revolutions_forward": self.revolutions_forward,
            "revolutions_backward": self.revolutions_backward,
            "revolutions_unknown": self.revolutions_unknown,
            "pedal_reversals": self.pedal_reversals,
            "jumps": self.jumps,
            "last_jump_height_m": _r(self.last_jump_height_m, 3),
            "last_jump_landing_peak_g": _r(self.last_jump_landing_peak_g, 2),
            "last_jump_direction": self.last_jump_direction,
            "last_jump_flight_time_s": _r(self.last_jump_flight_time_s, 3),
            "last_jump_contact_time_s": _r(self.last_jump_contact_time_s, 3),
            "last_jump_reactive_strength_index": _r(self.last_jump_reactive_strength_index, 2),
            "walk_bouts": self.walk_bouts,
            "activity": self.activity,
            **({"program": self.program} if self.program is not None else {}),
        }


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class BandInfo:
    """What the publisher knows about a band when it comes online.

    Parameters
    ----------
    band_id
        Sanitised id (``sensor.mqtt.topics.band_id_for``).
    name
        Human name (advertised name or the configured one).
    started
        Wall-clock time (with time zone) of the band's ``time_s = 0``; event times are
        ``started + t``.
    address
        Bluetooth address, if known (becomes a Home Assistant device connection).
    model, manufacturer, serial, firmware, hardware
        Device information (the Device Information service's strings), if known.
    placement
        Where the band sits.
    pace
        Stream seconds per wall-clock second: 1 for a live band; a replay at N times real
        time stamps its messages as it sends them with ``pace = N``.
    """

    band_id: str
    name: str
    started: datetime
    address: str | None = None
    model: str | None = None
    manufacturer: str | None = None
    firmware: str | None = None
    placement: str | None = None
    serial: str | None = None
    hardware: str | None = None
    pace: float = 1.0

    def __post_init__(self) -> None:
        if self.started.tzinfo is None:
            raise ValueError("BandInfo.started must carry a time zone")
        if not self.pace > 0:
            raise ValueError(f"BandInfo.pace must be positive, not {self.pace}")

    def wall_time(self, t_s: float) -> datetime:
        """When stream time ``t_s`` happened (or, in a replay, is sent) on the wall clock."""
        return wall_time(self.started, t_s, self.pace)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"band": self.band_id, "name": self.name}
        for key in (
            "address",
            "model",
            "manufacturer",
            "serial",
            "firmware",
            "hardware",
            "placement",
        ):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["started"] = iso_utc(self.started)
        return out


def now_utc() -> datetime:
    return datetime.now(UTC)
