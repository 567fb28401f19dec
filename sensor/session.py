"""One band's session: samples, heart rate and link events in; events, state, summary out.

Every path that runs the detectors runs them through a ``Session``: ``retrosense run`` (one
per configured band, fed by its ``sensor.ble.BandSession``), the worker of ``run --role
worker`` (one per band a gateway hands it, fed from the band's raw MQTT messages), ``replay``,
``demo`` and ``analyze`` (fed from a file by ``play``). So the detectors are built from the
same ``[detectors]``, the summary uses the same ``[wearer]`` and ``[energy]``, and a band has
the same id, whichever path a stream takes.

Interface
---------
::

    session = Session(band, info, settings=SessionSettings.from_config(cfg),
                      sinks=[MqttSink(publisher), RecordingSink(base_path, profile="polar-h10")],
                      body_axes="+z,+x,+y", hr_column=True)   # live: sensor-frame batches
    session.announce(band)                 # (re)describe the band: name, model, firmware, ...
    session.samples(chunk)                 # -> new events; sinks see samples, events, tick
    session.heart_rate(t, bpm, rr_s)       # a reading of a heart-rate strap
    session.battery(percent)
    session.link(LinkStatus.DISCONNECTED, "link lost")
    session.handle(item)                   # any sensor.ble item: one of the five above
    summary = session.finish(end_s=now)    # flush, summary (dict), sinks told; idempotent

    session.events / session.summary / session.band_id / session.duration_s
    session.live.snapshot(t)               # cadence, counts, last jump, heart rate now
    session.status.line()                  # the terminal's status line

A file goes through the same object: ``play(source, session, speed=1.0)`` feeds a
``sensor.sources.Source`` paced to real time (or as fast as possible) and finishes the session;
``analyze_file(path)`` is ``play`` into a session without sinks.

Inputs
------
``samples(chunk)`` takes the chunks in the sensor frame when the session was given
``body_axes`` (a live band: the session rotates them and sinks get both frames), else in the
body frame (a file source, a worker's raw messages). Heart rate arrives one of two ways:
``heart_rate()`` for a live reading, or the ``hr_bpm`` column of a chunk (a file, a raw
message), whose finite values are readings at their rows' times. With ``hr_column=True`` (a
live band with heart rate) the session writes each live reading into the first row of the
next batch, so recordings and raw messages carry it.

Sinks
-----
A ``SessionSink`` receives, in order, what happens to the session; each method is a no-op by
default, so a sink overrides only what it needs. Shipped sinks: ``MqttSink`` (a
``sensor.mqtt.Publisher``), ``RecordingSink`` (the session's recording CSV),
``SummaryFileSink`` (the summary JSON). Features hook in as sinks: a session report keeps
samples and events and writes at ``finish``; a coach that follows an interval programme reads
``events`` and ``tick`` and publishes its cues; a gateway offers the band at ``announce``.
A live page needs no hook: it reads what ``MqttSink`` publishes.

Order per ``samples(chunk)``: ``samples`` (body frame, and the sensor frame where known), then
``heart_rate`` for each reading in the chunk's ``hr_bpm``, then ``events`` (only when there
are new ones), then ``tick`` with the chunk's last time. The first input announces the band
(``announce``) if the caller did not. ``finish`` flushes the detectors (``events``), ticks
with ``force=True``, builds the summary and calls ``finish`` on every sink.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.events import Event
from analysis.frame import parse_body_axes
from analysis.program import CoachParams, Cue, Program, ProgramFollower
from analysis.registry import AnalysisParams, build_pipeline, unserved
from analysis.stream import Pipeline
from analysis.summary import SummaryParams, Wearer, hr_zone_bounds_bpm, summarize_session
from analysis.types import FloatArray, Samples, StreamInfo
from sensor.errors import DeviceError
from sensor.mqtt.payloads import BandInfo, LiveState, iso_utc
from sensor.recording import RecordingWriter, to_body
from sensor.safeio import write_text_atomic
from sensor.spill import SpillList

if TYPE_CHECKING:
    from sensor.ble.items import BandItem, LinkStatus
    from sensor.ble.session import BandSession
    from sensor.capture import CaptureWriter
    from sensor.config import Config
    from sensor.mqtt.publisher import Publisher
    from sensor.sources import Source

log = logging.getLogger(__name__)

#: Seconds of sample times over which the status line's rate is measured.
RATE_WINDOW_S = 5.0


def pipeline_for(info: StreamInfo, name: str, params: AnalysisParams | None = None) -> Pipeline:
    """The detectors' pipeline for a stream, saying in one line each which detectors its
    placement or rate leaves out (the others still run).

    ``name`` is the file or band named in those lines.
    """
    pipeline = build_pipeline(info, params)
    for detector, rate in unserved(info, params).items():
        log.warning(
            "%s: %s not detected: the detector needs more than %.1f Hz, this stream runs at %g Hz",
            name,
            detector,
            rate,
            info.sample_rate_hz,
        )
    if not pipeline.detectors and not unserved(info, params):
        log.warning(
            "%s: no detector works at placement %s; nothing will be detected",
            name,
            info.placement,
        )
    return pipeline


@dataclass(frozen=True)
class SessionSettings:
    """What the configuration says about every session: detectors, wearer, summary.

    Parameters
    ----------
    detectors
        The ``[detectors]`` tables.
    wearer
        The ``[wearer]`` table (energy estimate, heart-rate zones).
    summary
        ``[energy]`` MET values and ``[hr_zones]`` bounds, with the summary's own constants.
    program
        An interval program to follow (``[program]``, ``--program``), or ``None``.
    coach
        When and how often its cues are given (``[coach]``).
    spill_dir
        Where a long session keeps the older events and heart-rate readings its summary
        needs (``sensor.spill.SpillList``), so that its memory stays flat however long it
        runs; ``None`` (a file's analysis) keeps them in memory.
    """

    detectors: AnalysisParams = field(default_factory=AnalysisParams)
    wearer: Wearer = field(default_factory=Wearer)
    summary: SummaryParams = field(default_factory=SummaryParams)
    program: Program | None = None
    coach: CoachParams = field(default_factory=CoachParams)
    spill_dir: Path | None = None

    @classmethod
    def from_config(cls, cfg: Config, *, live: bool = False) -> SessionSettings:
        """The session settings of a loaded configuration; ``live`` (a service's bands, a
        worker's) keeps long sessions' events beside the outbox (``spill_dir``)."""
        return cls(
            detectors=cfg.detectors,
            wearer=cfg.wearer,
            summary=cfg.summary,
            program=cfg.program,
            coach=cfg.coach,
            spill_dir=cfg.broker.effective_outbox_path.parent if live else None,
        )


@dataclass
class BandStatus:
    """The session's live figures, as the terminal's status line shows them."""

    label: str
    link: str = "starting"
    samples: int = 0
    events: int = 0
    last_event: str = ""
    last_event_t: float | None = None
    last_sample_t: float | None = None
    hr_bpm: int | None = None
    battery_pct: int | None = None
    #: Where the wearer is in the program followed (``2/10 walk backward, 1:12 left``).
    program: str = ""
    recent: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=256))

    def rate_hz(self) -> float | None:
        """Samples per second of stream time over the last ``RATE_WINDOW_S``."""
        if len(self.recent) < 2:
            return None
        t_end = self.recent[-1][0]
        window = [(t, n) for t, n in self.recent if t >= t_end - RATE_WINDOW_S]
        if len(window) < 2 or window[-1][0] <= window[0][0]:
            return None
        return sum(n for _, n in window[1:]) / (window[-1][0] - window[0][0])

    def line(self) -> str:
        parts = [f"{self.label}: {self.link}"]
        rate = self.rate_hz()
        if rate is not None:
            parts.append(f"{rate:.0f} Hz")
        if self.hr_bpm is not None:
            parts.append(f"{self.hr_bpm} bpm")
        if self.battery_pct is not None:
            parts.append(f"battery {self.battery_pct}%")
        parts.append(f"{self.events} events")
        if self.last_event and self.last_event_t is not None and self.last_sample_t is not None:
            ago = max(0.0, self.last_sample_t - self.last_event_t)
            parts.append(f"last: {self.last_event} {ago:.0f} s ago")
        if self.program:
            parts.append(self.program)
        return ", ".join(parts)


class SessionSink:
    """Where a session's output goes; override what you need (every method is a no-op).

    Methods are called on the thread that feeds the session, in the order the module
    docstring gives. A sink must not block: the live path runs on the service's event loop.
    """

    def announce(self, session: Session) -> None:
        """The band is there, or what is known about it changed (``session.band``)."""

    def samples(self, session: Session, body: Samples, sensor: Samples | None) -> None:
        """New samples: ``body`` in the body frame; ``sensor`` in the sensor frame if known.

        Both carry the ``hr_bpm`` column where the band has heart rate.
        """

    def heart_rate(self, session: Session, t: float, bpm: float, rr_s: Sequence[float]) -> None:
        """A heart-rate reading at stream time ``t`` (RR intervals in seconds, if any)."""

    def battery(self, session: Session, percent: float) -> None:
        """A battery level."""

    def link(self, session: Session, status: LinkStatus, reason: str) -> None:
        """The band's link changed (live bands only)."""

    def events(self, session: Session, events: Sequence[Event]) -> None:
        """Events the detectors confirmed, in emission order."""

    def cues(self, session: Session, cues: Sequence[Cue]) -> None:
        """Coaching cues of the program the session follows, in order."""

    def tick(self, session: Session, t: float, force: bool) -> None:
        """Stream time ``t`` has been reached (once per chunk; ``force`` at the end)."""

    def finish(self, session: Session, summary: dict[str, Any] | None) -> None:
        """The session ended; ``summary`` is ``None`` where no detector ran (a gateway)."""


class Session:
    """One band's session: the pipeline, the live status, the summary and the sinks.

    Parameters
    ----------
    band
        The band's id and description (``band.band_id`` is the one id of the band: topics,
        file names, summaries).
    info
        The sample stream (rate, placement, gyroscope); ``None`` for a band without samples
        (a heart-rate strap).
    settings
        Detector parameters, wearer and summary parameters (``SessionSettings.from_config``).
    sinks
        Where output goes, in this order.
    body_axes
        ``samples`` gets sensor-frame chunks from a band worn with these axes (rotated here);
        ``None``: chunks come in the body frame already.
    hr_column
        Put each live heart-rate reading into the next batch's ``hr_bpm`` (first row).
    detect
        Run the detectors and make a summary; ``False`` for a gateway, whose bands are
        analysed by a worker.
    label
        How logs and the status line name the band (default: its name, else its id).

    Raises
    ------
    ValueError
        When the detectors cannot run on ``info`` (from ``analysis.registry.build_pipeline``).
    """

    def __init__(
        self,
        band: BandInfo,
        info: StreamInfo | None,
        *,
        settings: SessionSettings | None = None,
        sinks: Sequence[SessionSink] = (),
        body_axes: str | None = None,
        hr_column: bool = False,
        detect: bool = True,
        label: str | None = None,
    ) -> None:
        self.band = band
        self.info = info
        self.settings = settings or SessionSettings()
        self.sinks = list(sinks)
        self.body_axes = body_axes
        self.hr_column = hr_column
        self.detect = detect
        self._axes: FloatArray | None = None if body_axes is None else parse_body_axes(body_axes)
        self.pipeline: Pipeline | None = None
        if info is not None and detect:
            self.pipeline = pipeline_for(
                info, label or band.name or band.band_id, self.settings.detectors
            )
        self.status = BandStatus(label or band.name or band.band_id)
        s = self.settings
        #: The interval program's follower, where one is followed and detectors run.
        self.coach: ProgramFollower | None = None
        if s.program is not None and self.pipeline is not None:
            self.coach = ProgramFollower(
                s.program,
                s.coach,
                hr_zone_bounds_bpm=hr_zone_bounds_bpm(s.wearer, s.summary),
                stream=info,
            )
        self.cues: list[Cue] = []
        #: Heart-rate readings the coach has not seen yet: taken in time order with the events.
        self._coach_hr: list[tuple[float, float]] = []
        #: What a dashboard shows now (the MQTT state payload's figures).
        self.live = LiveState()
        #: The events and the heart-rate readings ``(t, bpm)``, in arrival order, for the
        #: summary.
        self._kept: SpillList[Event | tuple[float, float]] = SpillList(s.spill_dir)
        self.first_t: float | None = None
        self.last_t: float | None = None
        #: Keys added to the summary (``recording``, ``worker``, ...).
        self.summary_extra: dict[str, Any] = {}
        self.summary: dict[str, Any] | None = None
        self.announced = False
        self.finished = False
        self._pending_hr: float | None = None

    @property
    def events(self) -> list[Event]:
        """Every event so far, in the order confirmed (read back from ``spill_dir``)."""
        return self.kept()[0]

    @property
    def hr_t(self) -> list[float]:
        """Times of the heart-rate readings so far."""
        return [t for t, _ in self.kept()[1]]

    @property
    def hr_bpm(self) -> list[float]:
        """The heart-rate readings so far (bpm), at ``hr_t``."""
        return [bpm for _, bpm in self.kept()[1]]

    def kept(self) -> tuple[list[Event], list[tuple[float, float]]]:
        """The events and the heart-rate readings ``(t, bpm)`` kept, in one pass over them
        (read back from ``spill_dir``): for a caller that wants both."""
        events: list[Event] = []
        readings: list[tuple[float, float]] = []
        for x in self._kept:
            if isinstance(x, tuple):
                readings.append(x)
            else:
                events.append(x)
        return events, readings

    @property
    def band_id(self) -> str:
        return self.band.band_id

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last sample (0 before two samples)."""
        if self.first_t is None or self.last_t is None:
            return 0.0
        return self.last_t - self.first_t

    # ------------------------------------------------------------------ inputs
    def announce(self, band: BandInfo | None = None) -> None:
        """Tell the sinks the band is there, with ``band`` as its new description if given."""
        if band is not None:
            if band.band_id != self.band.band_id:
                raise ValueError(f"a session keeps its band id {self.band.band_id!r}")
            self.band = band
        self.announced = True
        for sink in self.sinks:
            sink.announce(self)

    def _ensure_announced(self) -> None:
        if not self.announced:
            self.announce()

    def samples(self, chunk: Samples) -> list[Event]:
        """Feed a chunk (see the module docstring for its frame); return the new events."""
        if len(chunk) == 0:
            return []
        self._ensure_announced()
        if self.first_t is None:
            self.first_t = float(chunk.time_s[0])
            if self.coach is not None:
                self._coached(self.coach.begin(self.first_t))
        self.last_t = float(chunk.time_s[-1])
        readings = chunk.hr_bpm is not None
        sensor: Samples | None = None
        if self._axes is not None:
            sensor = self._with_pending_hr(chunk)
            body = to_body(sensor, self._axes)
        else:
            body = self._with_pending_hr(chunk)
        for sink in self.sinks:
            sink.samples(self, body, sensor)
        if readings and body.hr_bpm is not None:
            ok = np.isfinite(body.hr_bpm)
            for t, bpm in zip(body.time_s[ok].tolist(), body.hr_bpm[ok].tolist(), strict=True):
                self._reading(t, bpm, ())
        new = self.pipeline.update(body) if self.pipeline is not None else []
        self._emit(new)
        self._coach_step(new, self.last_t)
        for sink in self.sinks:
            sink.tick(self, self.last_t, False)
        status = self.status
        status.samples += len(chunk)
        status.last_sample_t = self.last_t
        status.recent.append((self.last_t, len(chunk)))
        return new

    def heart_rate(self, t: float, bpm: float, rr_s: Sequence[float] = ()) -> None:
        """A live heart-rate reading at stream time ``t``."""
        self._ensure_announced()
        self._reading(t, float(bpm), rr_s)
        if self.hr_column:
            self._pending_hr = float(bpm)

    def battery(self, percent: float) -> None:
        """A battery level in per cent."""
        self._ensure_announced()
        self.status.battery_pct = round(percent)
        self.live.battery_pct = percent
        for sink in self.sinks:
            sink.battery(self, percent)

    def link(self, status: LinkStatus, reason: str = "") -> None:
        """The band's link changed."""
        self.status.link = status.value
        for sink in self.sinks:
            sink.link(self, status, reason)

    def handle(self, item: BandItem) -> list[Event]:
        """A ``sensor.ble`` item: samples, heart rate, battery or a link event.

        ``DeviceInfoReading`` and ``CONNECTED`` need what only the band's connection knows
        (name, address, device information): the caller announces those (``announce``).
        """
        # Imported here: files and workers never load the BLE stack.
        from sensor.ble.items import BatteryReading, HeartRateReading, LinkEvent, SampleBatch

        if isinstance(item, SampleBatch):
            return self.samples(item.samples)
        if isinstance(item, HeartRateReading):
            self.heart_rate(item.time_s, float(item.bpm), item.rr_s or ())
        elif isinstance(item, BatteryReading):
            self.battery(float(item.percent))
        elif isinstance(item, LinkEvent):
            self.link(item.status, item.reason)
        return []

    # ------------------------------------------------------------------ end
    def finish(self, end_s: float | None = None) -> dict[str, Any] | None:
        """Flush the detectors, make the summary and close every sink; returns the summary.

        ``end_s``: the session's end where no sample or reading says it (a band that never
        streamed: the time it was looked for). Calling it again returns the same summary.
        """
        if self.finished:
            return self.summary
        self.finished = True
        if self.pipeline is not None:
            flushed = self.pipeline.flush()
            self._emit(flushed)
            if self.coach is not None:
                end = self.last_t if self.last_t is not None else (end_s or 0.0)
                self._coach_step(flushed, end)
                self._coached(self.coach.finish(end))
                self.summary_extra["program"] = self.program_result()
        if self.last_t is not None:
            for sink in self.sinks:
                sink.tick(self, self.last_t, True)
        if self.detect:
            self.summary = self._summary(end_s)
        for sink in self.sinks:
            sink.finish(self, self.summary)
        return self.summary

    def adopt(self, events: Sequence[Event], extra: dict[str, Any]) -> None:
        """The session's events as found elsewhere (a gateway's workers, every part, copies
        dropped): ``finish`` makes the summary from them, with ``extra`` added to it."""
        readings = self.kept()[1]
        self._kept.close()
        self._kept.extend(events)
        self._kept.extend(readings)
        self.summary_extra.update(extra)
        self.detect = True

    def _summary(self, end_s: float | None) -> dict[str, Any]:
        events, readings = self.kept()
        hr = np.array(readings, dtype=np.float64).reshape(-1, 2)
        start = self.first_t
        end = self.last_t
        if start is None and len(hr):
            start, end = float(hr[0, 0]), float(hr[-1, 0])
        start = 0.0 if start is None else start
        if end is None:
            end = max(start, end_s) if end_s is not None else start
        s = self.settings
        summary: dict[str, Any] = summarize_session(
            events,
            start_s=start,
            end_s=max(start, end),
            hr_t_s=hr[:, 0] if len(hr) else None,
            hr_bpm=hr[:, 1] if len(hr) else None,
            wearer=s.wearer,
            params=s.summary,
        ).to_dict()
        summary["band"] = self.band_id
        summary["started"] = iso_utc(self.band.started)
        summary.update(self.summary_extra)
        return summary

    # ------------------------------------------------------------------ internals
    def _with_pending_hr(self, chunk: Samples) -> Samples:
        if not self.hr_column or chunk.hr_bpm is not None:
            return chunk
        hr = np.full(len(chunk), np.nan)
        if self._pending_hr is not None:
            hr[0] = self._pending_hr
            self._pending_hr = None
        return Samples(chunk.time_s, chunk.acc_g, chunk.gyro_dps, hr)

    def _reading(self, t: float, bpm: float, rr_s: Sequence[float]) -> None:
        if self.coach is not None:
            self._coach_hr.append((t, bpm))
        self._kept.append((t, bpm))
        self.live.add_hr(t, bpm, [r * 1000.0 for r in rr_s] or None)
        if math.isfinite(bpm):
            self.status.hr_bpm = round(bpm)
        for sink in self.sinks:
            sink.heart_rate(self, t, bpm, rr_s)

    def _emit(self, new: list[Event]) -> None:
        if not new:
            return
        self._kept.extend(new)
        for event in new:
            self.live.add_event(event)
        status = self.status
        status.events += len(new)
        last = new[-1]
        direction = getattr(last, "direction", None)
        status.last_event = f"{last.type} {direction}" if direction else last.type
        status.last_event_t = last.t
        for sink in self.sinks:
            sink.events(self, new)

    def _coach_step(self, new: Sequence[Event], until: float) -> None:
        """The coach takes the new events and heart-rate readings in time order, then
        reaches ``until``: the cues do not depend on how the samples were chunked."""
        coach = self.coach
        if coach is None:
            return
        cues: list[Cue] = []
        readings, self._coach_hr = self._coach_hr, []
        i = 0
        for event in new:
            while i < len(readings) and readings[i][0] < event.detected_at:
                cues += coach.heart_rate(*readings[i])
                i += 1
            cues += coach.update([event])
        for reading in readings[i:]:
            cues += coach.heart_rate(*reading)
        cues += coach.advance(until)
        self._coached(cues)

    def _coached(self, cues: list[Cue]) -> None:
        """Cues of the program followed: kept, shown on the status line, told to the sinks."""
        coach = self.coach
        if coach is None:
            return
        if cues:
            self.cues.extend(cues)
            for sink in self.sinks:
                sink.cues(self, cues)
        now = self.last_t if self.last_t is not None else 0.0
        self.status.program = describe_progress(coach.progress(now).to_dict())

    def program_result(self) -> dict[str, Any] | None:
        """The program's result for the summary: each interval, and the cues given."""
        coach = self.coach
        if coach is None:
            return None
        counts: dict[str, int] = {}
        for cue in self.cues:
            counts[str(cue.kind)] = counts.get(str(cue.kind), 0) + 1
        results = coach.results
        return {
            "name": coach.program.name,
            "intervals_done": sum(1 for r in results if r.status == "done"),
            "intervals": [r.to_dict() for r in results],
            "cues": counts,
            "cues_held_back": dict(coach.suppressed),
        }


def describe_progress(progress: dict[str, Any]) -> str:
    """``2/10 walk backward, 1:12 left`` from a program progress (``Progress.to_dict``)."""
    if progress["status"] == "finished":
        return f"{progress['program']}: done"
    where = f"{progress['interval']}/{progress['intervals']} {progress['title']}"
    if progress["status"] == "waiting":
        return f"{where}: start when ready"
    if progress["time_left_s"] is not None:
        left = round(progress["time_left_s"])
        return f"{where}, {left // 60}:{left % 60:02d} left"
    return f"{where}, {progress['reps_left']} to go"


# ---------------------------------------------------------------------------------- sinks
class MqttSink(SessionSink):
    """Publish the session through a ``sensor.mqtt.Publisher`` (started by the caller).

    Parameters
    ----------
    publisher
        The publisher (shared by every band of a process).
    end_band
        Publish the band ``offline`` when the session stops and ends. ``False`` where
        another process says it: a gateway's bands go offline when its publisher stops,
        after the outbox (the last raw samples) has drained, and a worker leaves the
        band's availability to the gateway.
    """

    def __init__(self, publisher: Publisher, *, end_band: bool = True) -> None:
        self.publisher = publisher
        self.end_band = end_band

    def announce(self, session: Session) -> None:
        self.publisher.band_online(session.band)
        if session.status.battery_pct is not None:
            self.publisher.publish_battery(session.band_id, float(session.status.battery_pct))

    def samples(self, session: Session, body: Samples, sensor: Samples | None) -> None:
        # Raw samples go out in the body frame (sensor.mqtt.payloads.raw_payload).
        self.publisher.publish_raw(session.band_id, body)

    def heart_rate(self, session: Session, t: float, bpm: float, rr_s: Sequence[float]) -> None:
        rr_ms = [r * 1000.0 for r in rr_s] if rr_s else None
        self.publisher.publish_hr(session.band_id, t, bpm, rr_ms)

    def battery(self, session: Session, percent: float) -> None:
        self.publisher.publish_battery(session.band_id, percent)

    def link(self, session: Session, status: LinkStatus, reason: str) -> None:
        from sensor.ble.items import LinkStatus

        if not session.announced:
            return
        if status is LinkStatus.DISCONNECTED or (status is LinkStatus.STOPPED and self.end_band):
            self.publisher.band_offline(session.band_id)

    def events(self, session: Session, events: Sequence[Event]) -> None:
        for event in events:
            self.publisher.publish_event(session.band_id, event)

    def cues(self, session: Session, cues: Sequence[Cue]) -> None:
        for cue in cues:
            self.publisher.publish_cue(session.band_id, cue)

    def tick(self, session: Session, t: float, force: bool) -> None:
        if session.coach is not None:
            self.publisher.set_program(session.band_id, session.coach.progress(t).to_dict())
        self.publisher.tick(session.band_id, t, force=force)

    def finish(self, session: Session, summary: dict[str, Any] | None) -> None:
        if not session.announced:
            return
        if summary is not None:
            self.publisher.publish_summary(session.band_id, summary)
        if self.end_band:
            self.publisher.band_offline(session.band_id)


class RecordingSink(SessionSink):
    """Write the session's samples to a recording CSV (sensor frame, ``hr_bpm`` if any).

    The file is opened at the first sensor-frame samples (a session fed in the body frame
    writes nothing), its header from the session: placement, rate, body axes, device name,
    start, profile and band id. Whole lines are flushed after every batch, so a crash loses
    at most the last one.

    Parameters
    ----------
    path
        The CSV to write (its folder is made).
    profile
        The device profile, for the header.
    """

    def __init__(self, path: Path, *, profile: str | None = None) -> None:
        self.path = path
        self.profile = profile
        self.writer: RecordingWriter | None = None

    def samples(self, session: Session, body: Samples, sensor: Samples | None) -> None:
        if sensor is None or session.info is None:
            return
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            extra = {"band_id": session.band_id}
            if self.profile:
                extra = {"profile": self.profile, **extra}
            self.writer = RecordingWriter(
                self.path,
                placement=session.info.placement,
                sample_rate_hz=session.info.sample_rate_hz,
                body_axes=session.body_axes or "+x,+y,+z",
                has_gyro=sensor.gyro_dps is not None,
                has_hr=sensor.hr_bpm is not None,
                # "<name> <address>", as record and convert write it (sensor.identity).
                device=" ".join(x for x in (session.band.name, session.band.address) if x),
                started=iso_utc(session.band.started),
                extra=extra,
            )
            session.summary_extra["recording"] = self.path.name
            log.info("%s: recording to %s", session.status.label, self.path)
        if self.writer.has_gyro and sensor.gyro_dps is None:
            return  # a batch without the gyroscope cannot go into this file's rows
        self.writer.write(sensor)

    def finish(self, session: Session, summary: dict[str, Any] | None) -> None:
        if self.writer is not None:
            self.writer.close()


class SummaryFileSink(SessionSink):
    """Write the summary JSON at the end. A folder we may not write to costs a warning."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written: Path | None = None

    def finish(self, session: Session, summary: dict[str, Any] | None) -> None:
        if summary is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(summary, indent=2) + "\n")
        except OSError as err:
            log.warning("%s: session summary not written: %s", self.path, err.strerror)
            return
        self.written = self.path
        log.info("%s: session summary in %s", session.status.label, self.path)


# ---------------------------------------------------------------------------------- live
class LiveBand:
    """A live band: its ``sensor.ble.BandSession``'s items fed, in order, to a ``Session``.

    What only the link knows is handled here: the band's description as it connects (name,
    address, device information, the battery read on connect), the raw capture's device
    line for a band found by its name, and one warning for a band that is never found.

    Parameters
    ----------
    ble
        The band's ``BandSession``.
    sinks, settings, detect
        As for ``Session``.
    say_missing
        Log a warning when the band is not found at the first attempt (the service, where
        nothing else would say it).

    Raises
    ------
    DeviceError
        When the detectors cannot run on the band's stream.
    """

    def __init__(
        self,
        ble: BandSession,
        *,
        sinks: Sequence[SessionSink] = (),
        settings: SessionSettings | None = None,
        detect: bool = True,
        say_missing: bool = True,
    ) -> None:
        self.ble = ble
        try:
            self.session = Session(
                self.describe(),
                ble.info if ble.profile.has_samples else None,
                settings=settings,
                sinks=sinks,
                body_axes=ble.body_axes,
                hr_column=ble.profile.heart_rate,
                detect=detect,
                label=ble.label,
            )
        except ValueError as err:
            raise DeviceError(ble.label, f"the detectors cannot run on this stream: {err}") from err
        #: The raw capture writer (``sensor.capture.open_capture``), if one is written.
        self.capture: CaptureWriter | None = None
        self._identified = False
        self._say_missing = say_missing

    @property
    def status(self) -> BandStatus:
        return self.session.status

    def describe(self) -> BandInfo:
        """The band as its link knows it now."""
        s = self.ble
        info = s.device_info
        return BandInfo(
            band_id=s.band_id,
            name=s.name or s.label,
            started=datetime.fromtimestamp(s.started_unix_s, UTC),
            address=s.address,
            model=getattr(info, "model", None) or s.profile.name,
            manufacturer=getattr(info, "manufacturer", None),
            firmware=getattr(info, "firmware", None),
            placement=str(s.placement),
            serial=getattr(info, "serial", None),
            hardware=getattr(info, "hardware", None),
        )

    def handle(self, item: BandItem) -> list[Event]:
        """Process one item of the band's session, in order; the events it confirmed."""
        from sensor.ble.items import DeviceInfoReading, LinkEvent, LinkStatus

        if isinstance(item, LinkEvent):
            self.session.link(item.status, item.reason)
            if (
                item.status is LinkStatus.RECONNECTING
                and self._say_missing
                and self.ble.counters.connects == 0
            ):
                self._say_missing = False
                # A band that was never found (a misspelt name, say) was silent at the
                # default log level, and under systemd there is no status line: say it
                # once; the session keeps looking.
                log.warning("%s: %s (still looking)", self.ble.label, item.reason)
            if item.status is LinkStatus.CONNECTED:
                self._connected()
                if self.capture is not None and not self._identified:
                    # A band found by name: its address is known from the first connection.
                    self.capture.set_device(self.ble.name, self.ble.address)
                    self._identified = True
        elif isinstance(item, DeviceInfoReading):
            self._connected()
        else:
            return self.session.handle(item)
        return []

    def _connected(self) -> None:
        self.session.announce(self.describe())
        if self.ble.battery_percent is not None:
            self.session.battery(float(self.ble.battery_percent))

    def finish(self) -> dict[str, Any] | None:
        """End the session (see ``Session.finish``); a band that never streamed ends now."""
        return self.session.finish(end_s=self.ble.now())


# ---------------------------------------------------------------------------------- files
def play(
    source: Source,
    session: Session,
    *,
    speed: float = math.inf,
    chunk_s: float | None = None,
    progress: str | Path | None = None,
) -> dict[str, Any] | None:
    """Feed a file source to a session, paced to ``speed`` times real time, and finish it.

    Parameters
    ----------
    source
        A ``sensor.sources.Source`` (body-frame chunks; the session takes them as such).
    speed
        1 = real time, N = N times faster, ``math.inf`` = as fast as possible.
    chunk_s
        Cut the source's chunks into pieces of this many seconds, about what a band's
        notifications carry, so state and events come out as they would live; ``None``
        keeps the source's own chunks.
    progress
        The file, for a progress bar on a terminal: by the recording time reached when the
        replay is paced (``sensor.progress.track_recording_time``), else by the file read
        (``track_chunks``).
    """
    chunks: Iterator[Samples] = iter(source.body_chunks())
    if progress is not None:
        from sensor.progress import track_chunks, track_recording_time

        if math.isfinite(speed):
            chunks = track_recording_time(chunks, progress, source.info.sample_rate_hz)
        else:
            chunks = track_chunks(chunks, progress)
    if chunk_s is not None:
        rows = max(1, round(source.info.sample_rate_hz * chunk_s))
        chunks = (piece for big in chunks for piece in big.chunks(rows))
    wall0 = time.monotonic()
    first_t: float | None = None
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        if first_t is None:
            first_t = float(chunk.time_s[0])
        if math.isfinite(speed):
            delay = wall0 + (float(chunk.time_s[-1]) - first_t) / speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        session.samples(chunk)
    return session.finish()


def file_band(source: Source, band_id: str | None = None, **describe: Any) -> BandInfo:
    """The band a file was recorded from: its id (``band_id`` overrides the file's), name,
    placement; ``describe`` sets more ``BandInfo`` fields (``model``, ``name``, ...)."""
    from sensor.identity import band_id_for
    from sensor.sources import recording_started

    band = BandInfo(
        band_id=band_id_for(id=band_id) if band_id else source.band_id,
        name=source.name,
        # A file says when it was recorded; one that does not is dated by its analysis.
        started=recording_started(source) or datetime.now(UTC),
        placement=str(source.info.placement),
    )
    return replace(band, **describe) if describe else band


def analyze_source(
    source: Source,
    settings: SessionSettings | None = None,
    *,
    sinks: Sequence[SessionSink] = (),
    progress: str | Path | None = None,
) -> Session:
    """Run a source through a session as fast as possible; the finished session."""
    session = Session(
        file_band(source),
        source.info,
        settings=settings,
        sinks=sinks,
        label=str(progress) if progress else None,
    )
    play(source, session, progress=progress)
    return session


def analyze_file(
    path: str | Path,
    placement: Any = None,
    body_axes: str | None = None,
    settings: SessionSettings | None = None,
) -> tuple[list[Event], float]:
    """All events of a file in emission order, and the file's duration in seconds."""
    from sensor.sources import SourceOptions, open_source

    source = open_source(path, SourceOptions(placement=placement, body_axes=body_axes))
    session = analyze_source(source, settings, progress=path)
    return session.events, session.duration_s


__all__ = [
    "BandStatus",
    "LiveBand",
    "MqttSink",
    "RecordingSink",
    "Session",
    "SessionSettings",
    "SessionSink",
    "SummaryFileSink",
    "analyze_file",
    "analyze_source",
    "file_band",
    "play",
]
