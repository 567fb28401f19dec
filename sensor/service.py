"""The live service behind ``retrosense run``: every configured band, to MQTT and to disk.

One process, one asyncio loop, one task set per band (``sensor.ble.BandSession``: its
notification callback only enqueues; decoding runs in its consumer task). For each band a
``BandRunner`` takes the session's typed items in order and:

- rotates sample batches into the body frame (``body_axes``, as ``sensor.recording.to_body``)
  and runs them through the band's own pipeline (``analysis.registry.build_pipeline`` with the
  configured detector parameters);
- publishes events, heart rate, battery, device info and live state through the one shared
  ``sensor.mqtt.Publisher`` (which stores to its outbox and returns at once);
- writes the session's recording CSV (sensor frame, heart rate in ``hr_bpm``) and, when
  enabled, the raw capture, flushing whole lines so a crash loses at most the last one;
- at the end, writes the session summary JSON beside the recording and publishes it.

Shutdown (SIGINT, SIGTERM, or every band ending): each session is stopped first (the band's
stop command is written, e.g. the Polar H10's PMD stop, so it does not stream on until its
battery is empty), the remaining items are processed, the pipelines flushed, recordings closed
whole, summaries written, then the publisher drains its outbox and publishes ``offline``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from analysis.events import Event
from analysis.frame import parse_body_axes
from analysis.registry import build_pipeline
from analysis.stream import Pipeline
from analysis.summary import SummaryParams, Wearer, summarize_session
from analysis.types import FloatArray, Samples
from sensor.config import Config, recording_folder
from sensor.errors import DeviceError, ExitCode, RetrosenseError
from sensor.recording import RecordingWriter, to_body
from sensor.roles import (
    DEFAULT_GROUP,
    DONE_WAIT_S,
    Gateway,
    Worker,
    default_worker_id,
    worker_settings,
)

if TYPE_CHECKING:
    from sensor.ble import BandItem, BandSession, SessionOptions
    from sensor.mqtt.publisher import Publisher

log = logging.getLogger(__name__)

#: Seconds of sample times over which the status line's rate is measured.
RATE_WINDOW_S = 5.0


def session_stamp(when: datetime) -> str:
    """File-name-safe UTC time of a session's start: ``20261122T101500Z``."""
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def summary_params(cfg: Config) -> SummaryParams:
    """The summary's MET values and heart-rate zones from the configuration."""
    e = cfg.energy
    return SummaryParams(
        hr_zone_lower_pct=tuple(cfg.hr_zones.lower_pct_of_max),
        met_rest=e.met_rest,
        met_walk_forward=e.met_walk_forward,
        met_walk_backward=e.met_walk_backward,
        met_pedal=e.met_pedal,
        met_jumps=e.met_jumps,
    )


def wearer(cfg: Config) -> Wearer:
    w = cfg.wearer
    return Wearer(
        body_mass_kg=w.body_mass_kg, age_years=w.age_years, sex=w.sex, hr_max_bpm=w.hr_max_bpm
    )


@dataclass
class BandStatus:
    """What the status line shows for a band."""

    label: str
    link: str = "starting"
    samples: int = 0
    events: int = 0
    last_event: str = ""
    last_event_t: float | None = None
    last_sample_t: float | None = None
    hr_bpm: int | None = None
    battery_pct: int | None = None
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
        return ", ".join(parts)


class BandRunner:
    """One band's session: items in, events published, files written.

    Parameters
    ----------
    session
        The band's ``BandSession`` (started by the service).
    publisher
        The shared publisher.
    cfg
        The effective configuration.
    folder
        Where this session's files go (``None``: recording disabled).
    stamp
        The session's start as used in file names.
    """

    def __init__(
        self,
        session: BandSession,
        publisher: Publisher,
        cfg: Config,
        folder: Path | None,
        stamp: str,
        gateway: Gateway | None = None,
    ) -> None:
        self.session = session
        #: In the gateway role: detectors run on a worker; this band is offered to them.
        self.gateway = gateway
        self.publisher = publisher
        self.cfg = cfg
        self.folder = folder
        self.stamp = stamp
        self.band_id = session.band_id
        self.status = BandStatus(session.label)
        self.axes = parse_body_axes(session.body_axes)
        self.pipeline: Pipeline | None = None
        if session.profile.has_samples and gateway is None:
            try:
                self.pipeline = build_pipeline(session.info, cfg.detectors)
            except ValueError as err:
                raise DeviceError(
                    session.label, f"the detectors cannot run on this stream: {err}"
                ) from err
        self.events: list[Event] = []
        self.hr_t: list[float] = []
        self.hr_bpm: list[float] = []
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.writer: RecordingWriter | None = None
        self.recording_path: Path | None = None
        self.summary_path: Path | None = None
        self._pending_hr: float | None = None
        #: The raw capture writer, if raw captures are on (set by ``run_service``).
        self.capture: Any = None
        self._identified = False
        self._said_missing = False
        self._announced = False

    @property
    def base_path(self) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{self.stamp}_{self.band_id}"

    # ------------------------------------------------------------------ items
    def handle(self, item: BandItem) -> None:
        """Process one item of the band's session, in order."""
        from sensor.ble import (
            BatteryReading,
            DeviceInfoReading,
            HeartRateReading,
            LinkEvent,
            LinkStatus,
            SampleBatch,
        )

        if isinstance(item, SampleBatch):
            self._samples(item.samples)
        elif isinstance(item, HeartRateReading):
            self._announce()
            rr_ms = [r * 1000.0 for r in item.rr_s] if item.rr_s else None
            self.publisher.publish_hr(self.band_id, item.time_s, float(item.bpm), rr_ms)
            self.hr_t.append(item.time_s)
            self.hr_bpm.append(float(item.bpm))
            self._pending_hr = float(item.bpm)
            self.status.hr_bpm = item.bpm
        elif isinstance(item, BatteryReading):
            self._announce()
            self.publisher.publish_battery(self.band_id, float(item.percent))
            self.status.battery_pct = item.percent
        elif isinstance(item, DeviceInfoReading):
            self._announce(force=True)
        elif isinstance(item, LinkEvent):
            self.status.link = item.status.value
            if (
                item.status is LinkStatus.RECONNECTING
                and not self._said_missing
                and self.session.counters.connects == 0
            ):
                self._said_missing = True
                # A band that was never found (a misspelt name, say) was silent at the
                # default log level, and under systemd there is no status line: say it
                # once; the session keeps looking.
                log.warning("%s: %s (still looking)", self.session.label, item.reason)
            if item.status is LinkStatus.CONNECTED:
                self._announce(force=True)
                if self.capture is not None and not self._identified:
                    # A band found by name: its address is known from the first connection.
                    self.capture.set_device(self.session.name, self.session.address)
                    self._identified = True
            elif item.status is LinkStatus.DISCONNECTED and self._announced:
                self.publisher.band_offline(self.band_id)
            elif item.status is LinkStatus.STOPPED and self._announced and self.gateway is None:
                # (A gateway's bands go offline once the summary is made, see ``finish``.)
                self.publisher.band_offline(self.band_id)

    def _band_info(self) -> Any:
        from sensor.mqtt.payloads import BandInfo

        s = self.session
        info = s.device_info
        return BandInfo(
            band_id=self.band_id,
            name=s.name or s.label,
            started=datetime.fromtimestamp(s.started_unix_s, UTC),
            address=s.address,
            model=getattr(info, "model", None) or s.profile.name,
            manufacturer=getattr(info, "manufacturer", None),
            firmware=getattr(info, "firmware", None),
            placement=str(s.placement),
        )

    def _announce(self, force: bool = False) -> None:
        self.band_id = self.session.band_id
        if self._announced and not force:
            return
        band = self._band_info()
        self.publisher.band_online(band)
        if self.gateway is not None and self.session.profile.has_samples:
            self.gateway.offer(band, self.session.info)
        if self.session.battery_percent is not None:
            self.publisher.publish_battery(self.band_id, float(self.session.battery_percent))
            self.status.battery_pct = self.session.battery_percent
        self._announced = True

    def _samples(self, chunk: Samples) -> None:
        if len(chunk) == 0:
            return
        self._announce()
        if self.first_t is None:
            self.first_t = float(chunk.time_s[0])
        self.last_t = float(chunk.time_s[-1])
        hr = self._record(chunk)
        body = to_body(chunk, self.axes)
        if hr is not None:
            body = Samples(body.time_s, body.acc_g, body.gyro_dps, hr)
        # Raw samples go out in the body frame (sensor.mqtt.payloads.raw_payload).
        sent = self.publisher.publish_raw(self.band_id, body)
        if sent is not None and self.gateway is not None:
            self.gateway.sent(self.band_id, sent[0], self.last_t, sent[1])
        if self.pipeline is not None:
            for event in self.pipeline.update(body):
                self._event(event)
        self.publisher.tick(self.band_id, self.last_t)
        self.status.samples += len(chunk)
        self.status.last_sample_t = self.last_t
        self.status.recent.append((self.last_t, len(chunk)))

    def _event(self, event: Event) -> None:
        self.publisher.publish_event(self.band_id, event)
        self.events.append(event)
        self.status.events += 1
        direction = getattr(event, "direction", None)
        self.status.last_event = f"{event.type} {direction}" if direction else event.type
        self.status.last_event_t = event.t

    def _take_hr(self, n: int) -> FloatArray | None:
        """The heart-rate column for the next ``n`` samples: the reading since the last
        batch on the first row, NaN elsewhere (``None`` for bands without heart rate)."""
        if not self.session.profile.heart_rate:
            return None
        hr = np.full(n, np.nan)
        if self._pending_hr is not None:
            hr[0] = self._pending_hr
            self._pending_hr = None
        return hr

    def _record(self, chunk: Samples) -> FloatArray | None:
        """Write a sensor-frame batch to the recording; return its heart-rate column."""
        hr = self._take_hr(len(chunk))
        base = self.base_path
        if base is None or not self.cfg.recording.enabled:
            return hr
        s = self.session
        if self.writer is None:
            base.parent.mkdir(parents=True, exist_ok=True)
            self.recording_path = base.with_suffix(".csv")
            started = datetime.fromtimestamp(s.started_unix_s, UTC)
            self.writer = RecordingWriter(
                self.recording_path,
                placement=s.placement,
                sample_rate_hz=s.info.sample_rate_hz,
                body_axes=s.body_axes,
                has_gyro=chunk.gyro_dps is not None,
                has_hr=hr is not None,
                device=s.name or s.label,
                started=started.isoformat().replace("+00:00", "Z"),
                extra={"profile": s.profile.name, "band_id": self.band_id},
            )
            log.info("%s: recording to %s", s.label, self.recording_path)
        if self.writer.has_gyro and chunk.gyro_dps is None:
            return hr  # a batch without the gyroscope cannot go into this file's rows
        self.writer.write(Samples(chunk.time_s, chunk.acc_g, chunk.gyro_dps, hr))
        return hr

    # ------------------------------------------------------------------ end
    def finish(self) -> dict[str, Any] | None:
        """Flush the pipeline, close the recording, write and publish the summary.

        In the gateway role the detectors ran on workers: the summary is made from every
        event they published for this band session (``Gateway.session_events``; call after
        the workers said ``done``, see ``run_service``).
        """
        extra: dict[str, Any] = {}
        if self.gateway is not None:
            self.events, extra = self.gateway.session_events(self.band_id)
        for event in self.pipeline.flush() if self.pipeline is not None else []:
            self._event(event)
        if self.last_t is not None:
            self.publisher.tick(self.band_id, self.last_t, force=True)
        if self.writer is not None:
            self.writer.close()
        start = self.first_t if self.first_t is not None else 0.0
        end = self.last_t if self.last_t is not None else max(start, self.session.now())
        if self.hr_t and self.first_t is None:
            start, end = self.hr_t[0], self.hr_t[-1]
        summary = summarize_session(
            self.events,
            start_s=start,
            end_s=max(start, end),
            hr_t_s=np.asarray(self.hr_t) if self.hr_t else None,
            hr_bpm=np.asarray(self.hr_bpm) if self.hr_bpm else None,
            wearer=wearer(self.cfg),
            params=summary_params(self.cfg),
        ).to_dict()
        summary["band"] = self.band_id
        summary["started"] = (
            datetime.fromtimestamp(self.session.started_unix_s, UTC)
            .isoformat()
            .replace("+00:00", "Z")
        )
        summary.update(extra)
        if self.recording_path is not None:
            summary["recording"] = self.recording_path.name
        base = self.base_path
        if base is not None and self.cfg.recording.summary:
            base.parent.mkdir(parents=True, exist_ok=True)
            self.summary_path = base.with_suffix(".summary.json")
            self.summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
            log.info("%s: session summary in %s", self.session.label, self.summary_path)
        if self._announced:
            self.publisher.publish_summary(self.band_id, summary)
            self.publisher.band_offline(self.band_id)
        if self.gateway is not None:
            self.gateway.forget(self.band_id)
        return summary


class StatusLine(logging.Filter):
    """One line per band on a terminal, redrawn in place; nothing at all elsewhere.

    While attached (``attach``) it is also a filter on the root logger's handlers: the status
    lines are cleared before a log line is written, so the two never overwrite each other;
    the next ``draw`` puts them back below it.
    """

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        super().__init__()
        self.stream = stream
        self.enabled = enabled
        self._lines = 0

    def filter(self, record: logging.LogRecord) -> bool:
        self.clear()
        return True

    def attach(self) -> None:
        if self.enabled:
            for handler in logging.getLogger().handlers:
                handler.addFilter(self)

    def detach(self) -> None:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self)

    def draw(self, statuses: list[BandStatus]) -> None:
        if not self.enabled:
            return
        up = f"\x1b[{self._lines}F" if self._lines else ""
        text = "".join(f"\x1b[2K{s.line()}\n" for s in statuses)
        self.stream.write(up + text)
        self.stream.flush()
        self._lines = len(statuses)

    def clear(self) -> None:
        if self.enabled and self._lines:
            self.stream.write(f"\x1b[{self._lines}F\x1b[J")
            self.stream.flush()
            self._lines = 0


def _open_capture(path: Path, session: BandSession) -> Any:
    """A raw capture writer (``sensor.capture``) for a started session.

    Called right after ``session.start()`` and before the first ``await``, so the decoder
    task records from the very first entry.
    """
    from sensor.capture import CaptureWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    return CaptureWriter(
        path,
        profile=session.profile.name,
        name=session.name,
        address=session.address,
        placement=session.placement,
        body_axes=session.body_axes,
        started_unix_s=session.started_unix_s,
        extra={
            "sample_rate_hz": session.info.sample_rate_hz,
            "acc_range_g": session.info.acc_range_g,
            "band_id": session.band_id,
        },
    )


async def run_service(
    cfg: Config,
    *,
    options: SessionOptions | None = None,
    stop: asyncio.Event | None = None,
    status_stream: TextIO | None = None,
    handle_signals: bool = True,
    role: str = "all",
    group: str = DEFAULT_GROUP,
    worker_id: str | None = None,
) -> int:
    """Run every configured band until SIGINT/SIGTERM (or ``stop``), then shut down cleanly.

    ``role`` is ``all`` (bands, detectors and publishing in this process), ``gateway`` (bands
    and raw samples; detectors on workers) or ``worker`` (no bands; detectors for the bands a
    gateway offers), see ``sensor.roles``.

    Returns
    -------
    int
        ``sensor.errors.ExitCode``: 0 after a clean stop with every message taken by the
        broker; 1 when the broker had not taken every message by the timeout (they wait in
        the outbox); 2 when every band ended with an error; 3 when the broker refused
        messages; 4 when the outbox fell back to memory.
    """
    from sensor.ble import BandSession, BandSpec
    from sensor.mqtt.publisher import Publisher
    from sensor.mqtt.topics import band_id_for

    if role == "worker":
        return await run_worker(
            cfg, stop=stop, handle_signals=handle_signals, group=group, worker_id=worker_id
        )
    if role not in ("all", "gateway"):
        raise ValueError(f"role must be all, gateway or worker, not {role!r}")
    if not cfg.bands:
        raise RetrosenseError(
            "no band is configured: add a [[bands]] table to your configuration "
            "(see `retrosense config path` and README.md, Configuration)"
        )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    started = datetime.now(UTC)
    stamp = session_stamp(started)
    folder = (
        recording_folder(cfg.recording)
        if (cfg.recording.enabled or cfg.recording.summary or cfg.recording.raw_capture)
        else None
    )
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise RetrosenseError(
                f"recording.folder: cannot create {folder}: {err.strerror}; "
                "set [recording] folder to a writable place, or use --no-record"
            ) from err
    gateway: Gateway | None = None
    if role == "gateway":
        cfg = dataclasses.replace(cfg, broker=dataclasses.replace(cfg.broker, raw=True))
        gateway = Gateway(cfg.broker.with_environment())
    publisher = Publisher(cfg.broker.with_environment())
    sessions: list[BandSession] = []
    runners: list[BandRunner] = []
    captures: list[Any] = []
    for band in cfg.bands:
        spec = BandSpec(
            device=band.address or band.name or "",
            profile=band.profile,
            placement=band.placement,
            body_axes=band.body_axes,
            rate_hz=band.rate_hz,
            range_g=band.range_g,
            # The id every part uses (topics, file names, the session) from the start, so it
            # does not change when a band configured by name shows its address.
            id=band_id_for(id=band.id, address=band.address, name=band.name),
        )
        session = BandSession(spec, options=options)
        sessions.append(session)
        runners.append(BandRunner(session, publisher, cfg, folder, stamp, gateway))

    await asyncio.to_thread(publisher.start)
    log.info("publishing to %s under %s/", cfg.broker.broker, cfg.broker.base_topic)
    if gateway is not None:
        gateway.start()
    status = StatusLine(
        status_stream or sys.stderr,
        enabled=bool(getattr(status_stream or sys.stderr, "isatty", lambda: False)())
        and logging.getLogger().getEffectiveLevel() < logging.ERROR,
    )
    status.attach()
    errors: list[BaseException] = []

    async def pump(session: BandSession, runner: BandRunner) -> None:
        try:
            async for item in session:
                runner.handle(item)
        except RetrosenseError as err:
            # A DeviceError already names the band; naming it again read "chest: chest: ...".
            named = isinstance(err, DeviceError) and err.device == session.label
            log.error("%s", err if named else f"{session.label}: {err}")
            errors.append(err)

    async def draw() -> None:
        while True:
            status.draw([r.status for r in runners])
            await asyncio.sleep(cfg.service.status_interval_s)

    for session in sessions:
        await session.start()
        if folder is not None and cfg.recording.raw_capture:
            path = folder / f"{stamp}_{session.band_id}.capture.jsonl"
            session.raw_sink = _open_capture(path, session)
            captures.append(session.raw_sink)
            runners[sessions.index(session)].capture = session.raw_sink
    pumps = [
        loop.create_task(pump(s, r), name=f"pump {s.label}")
        for s, r in zip(sessions, runners, strict=True)
    ]
    drawer = loop.create_task(draw(), name="status line")
    stopper = loop.create_task(stop.wait(), name="stop signal")
    try:
        await asyncio.wait([stopper, *pumps], return_when=asyncio.FIRST_COMPLETED)
        while not stop.is_set() and not all(p.done() for p in pumps):
            await asyncio.wait([stopper, *pumps], return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping: sending the bands their stop commands")
    finally:
        timeout = cfg.service.stop_timeout_s
        # Stop every band (stop commands written), then let the pumps handle what is left.
        await asyncio.gather(*(s.stop() for s in sessions), return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*pumps, return_exceptions=True), timeout)
        stopper.cancel()
        drawer.cancel()
        status.clear()
        status.detach()
        if gateway is not None:
            await _end_on_workers(gateway, publisher, runners, timeout)
        for runner in runners:
            try:
                runner.finish()
            except Exception:  # one band's summary must not keep the others from closing
                log.exception("%s: could not finish the session", runner.session.label)
        for cap in captures:
            with contextlib.suppress(Exception):
                cap.close()
        t0 = time.monotonic()
        drained = await asyncio.to_thread(publisher.stop, timeout)
        code = publisher.report().tell("run")
        if gateway is not None:
            gateway.stop()
        log.info(
            "publisher stopped in %.1f s (%s)",
            time.monotonic() - t0,
            "outbox empty" if drained else "messages wait in the outbox",
        )
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    if errors and len(errors) == len(sessions):
        return int(ExitCode.USAGE)
    return int(code)


async def _end_on_workers(
    gateway: Gateway, publisher: Publisher, runners: list[BandRunner], timeout_s: float
) -> None:
    """Tell the workers each band's last batch, and wait until they published every event."""
    ended = []
    for runner in runners:
        mark = gateway.end(runner.band_id)
        if mark is not None and runner._announced:
            publisher.publish_control(publisher.topics.end(runner.band_id), mark.to_payload())
            ended.append(runner.band_id)
    missing = await asyncio.to_thread(gateway.wait_done, ended, max(timeout_s, DONE_WAIT_S))
    for band_id in missing:
        log.error(
            "band %s: no worker confirmed its last events; the summary holds the events "
            "received so far",
            band_id,
        )


async def run_worker(
    cfg: Config,
    *,
    stop: asyncio.Event | None = None,
    handle_signals: bool = True,
    group: str = DEFAULT_GROUP,
    worker_id: str | None = None,
) -> int:
    """The worker role: run the detectors of the bands gateways offer, until stopped."""
    from sensor.mqtt.publisher import Publisher

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    worker_id = worker_id or default_worker_id()
    # Its own availability topic (<base>/status/worker-<id>): a worker stopping or dying
    # must not mark the gateway's service offline.
    publisher = Publisher(
        worker_settings(cfg.broker.with_environment(), worker_id),
        service_name=f"worker-{worker_id}",
    )
    await asyncio.to_thread(publisher.start)
    worker = Worker(
        dataclasses.replace(cfg, broker=cfg.broker.with_environment()), publisher, group, worker_id
    )
    worker.start()
    log.info("worker %s: waiting for bands (group %s)", worker_id, group)
    try:
        await stop.wait()
    finally:
        await asyncio.to_thread(worker.stop)
        await asyncio.to_thread(publisher.stop, cfg.service.stop_timeout_s)
        code = publisher.report().tell("worker")
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    return int(code)


__all__ = [
    "BandRunner",
    "BandStatus",
    "StatusLine",
    "run_service",
    "session_stamp",
    "summary_params",
    "wearer",
]
