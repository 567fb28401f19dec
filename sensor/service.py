"""The live service behind ``retrosense run``: every configured band, to MQTT and to disk.

One process, one asyncio loop, one task set per band (``sensor.ble.BandSession``: its
notification callback only enqueues; decoding runs in its consumer task). Each band's items
go, in order, to its ``sensor.session.Session`` (through ``sensor.session.LiveBand``), which
runs the configured detectors on the body-frame samples and hands everything to its sinks
(``live_band`` picks them from the configuration):

- ``MqttSink``: events, heart rate, battery, device info and live state through the one
  shared ``sensor.mqtt.Publisher`` (which stores to its outbox and returns at once);
- ``RecordingSink``: the session's recording CSV (sensor frame, heart rate in ``hr_bpm``),
  flushing whole lines so a crash loses at most the last one; the raw capture, when enabled,
  is written by the BLE session itself (``sensor.capture.open_capture``);
- ``SummaryFileSink``: at the end, the session summary JSON beside the recording (which
  ``MqttSink`` publishes).

Shutdown (SIGINT, SIGTERM, or every band ending): each session is stopped first (the band's
stop command is written, e.g. the Polar H10's PMD stop, so it does not stream on until its
battery is empty), the remaining items are processed, the pipelines flushed, recordings closed
whole, summaries written, then the publisher drains its outbox and publishes ``offline``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sensor.config import Config, recording_folder
from sensor.errors import DeviceError, ExitCode, RetrosenseError
from sensor.roles import (
    DEFAULT_GROUP,
    DONE_WAIT_S,
    Gateway,
    GatewaySink,
    Worker,
    default_worker_id,
    worker_settings,
)
from sensor.session import (
    BandStatus,
    LiveBand,
    MqttSink,
    RecordingSink,
    SessionSettings,
    SessionSink,
    SummaryFileSink,
)

if TYPE_CHECKING:
    from sensor.ble import BandSession, SessionOptions
    from sensor.mqtt.publisher import Publisher

log = logging.getLogger(__name__)


def session_stamp(when: datetime) -> str:
    """File-name-safe UTC time of a session's start: ``20261122T101500Z``."""
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def live_band(
    ble: BandSession,
    publisher: Publisher,
    cfg: Config,
    folder: Path | None,
    stamp: str,
    gateway: Gateway | None = None,
) -> LiveBand:
    """A configured band's ``LiveBand``, with the sinks the configuration asks for.

    Parameters
    ----------
    ble
        The band's ``BandSession`` (started by the service).
    publisher
        The shared publisher.
    cfg
        The effective configuration.
    folder
        Where this session's files go (``None``: recording disabled).
    stamp
        The session's start as used in file names.
    gateway
        In the gateway role: detectors run on workers; this band is offered to them, and
        its summary is made here from every event they published for it (``Session.adopt``,
        after ``_end_on_workers``).
    """
    base = folder / f"{stamp}_{ble.band_id}" if folder is not None else None
    sinks: list[SessionSink] = [MqttSink(publisher, end_band=gateway is None)]
    if base is not None and cfg.recording.enabled:
        sinks.append(RecordingSink(base.with_suffix(".csv"), profile=ble.profile.name))
    if gateway is not None:
        sinks.append(GatewaySink(gateway))
    if base is not None and cfg.recording.summary:
        sinks.append(SummaryFileSink(base.with_suffix(".summary.json")))
    return LiveBand(
        ble,
        sinks=sinks,
        settings=SessionSettings.from_config(cfg, live=True),
        detect=gateway is None,
    )


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


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event, enabled: bool = True) -> Iterator[None]:
    """While inside, SIGINT (Ctrl-C) and SIGTERM set ``stop``; nothing unless ``enabled``."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if enabled else ()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


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
        0 after a clean stop; 1 when the broker had not taken every message by the
        timeout (they wait in the outbox); 2 when every band ended with an error.
    """
    from sensor.web.dashboard import live_page

    if role not in ("all", "gateway", "worker"):
        raise ValueError(f"role must be all, gateway or worker, not {role!r}")
    if role != "worker" and not cfg.bands:
        raise RetrosenseError(
            "no band is configured: add a [[bands]] table to your configuration "
            "(see `retrosense config path` and README.md, Configuration)"
        )
    # The live page reads back what this process (and its peers) publish, so it works for
    # every role; it stops last, after the bands' final state and offline are out.
    async with live_page(cfg.broker.with_environment(), cfg.web.listen):
        if role == "worker":
            return await run_worker(
                cfg, stop=stop, handle_signals=handle_signals, group=group, worker_id=worker_id
            )
        stop = stop or asyncio.Event()
        with stop_on_signals(stop, handle_signals):
            return await _run_bands(cfg, options, stop, status_stream, gateway=role == "gateway")


async def _run_bands(
    cfg: Config,
    options: SessionOptions | None,
    stop: asyncio.Event,
    status_stream: TextIO | None,
    *,
    gateway: bool,
) -> int:
    """``run_service`` for the roles with bands (``all``, ``gateway``)."""
    from sensor.ble import BandSession, BandSpec
    from sensor.capture import open_capture
    from sensor.identity import band_id_for
    from sensor.mqtt.publisher import Publisher

    loop = asyncio.get_running_loop()
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
    offers: Gateway | None = None
    if gateway:
        cfg = dataclasses.replace(cfg, broker=dataclasses.replace(cfg.broker, raw=True))
        offers = Gateway(cfg.broker.with_environment())
    publisher = Publisher(cfg.broker.with_environment())
    if offers is not None:
        publisher.on_raw = offers.sent
    sessions: list[BandSession] = []
    runners: list[LiveBand] = []
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
        runners.append(live_band(session, publisher, cfg, folder, stamp, offers))

    await asyncio.to_thread(publisher.start)
    log.info("publishing to %s under %s/", cfg.broker.broker, cfg.broker.base_topic)
    if offers is not None:
        offers.start()
    status = StatusLine(
        status_stream or sys.stderr,
        enabled=bool(getattr(status_stream or sys.stderr, "isatty", lambda: False)())
        and logging.getLogger().getEffectiveLevel() < logging.ERROR,
    )
    status.attach()
    errors: list[BaseException] = []

    async def pump(session: BandSession, runner: LiveBand) -> None:
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
            # Before the first await, so the decoder task records from the very first entry.
            session.raw_sink = open_capture(path, session)
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
        if offers is not None:
            await _end_on_workers(offers, publisher, runners, timeout)
        for runner in runners:
            try:
                runner.finish()
            except Exception:  # one band's summary must not keep the others from closing
                log.exception("%s: could not finish the session", runner.ble.label)
        for cap in captures:
            with contextlib.suppress(Exception):
                cap.close()
        t0 = time.monotonic()
        drained = await asyncio.to_thread(publisher.stop, timeout)
        code = publisher.report().tell("run")
        if offers is not None:
            offers.stop()
        log.info(
            "publisher stopped in %.1f s (%s)",
            time.monotonic() - t0,
            "outbox empty" if drained else "messages wait in the outbox",
        )
    if errors and len(errors) == len(sessions):
        return int(ExitCode.USAGE)
    return int(code)


async def _end_on_workers(
    gateway: Gateway, publisher: Publisher, runners: list[LiveBand], timeout_s: float
) -> None:
    """Tell the workers each band's last batch, wait until they published every event, and
    give each session the events of all its parts for its summary."""
    ended = []
    for runner in runners:
        band_id = runner.session.band_id
        mark = gateway.end(band_id)
        if mark is not None and runner.session.announced:
            publisher.publish_control(publisher.topics.end(band_id), mark.to_payload())
            ended.append(band_id)
    missing = await asyncio.to_thread(gateway.wait_done, ended, max(timeout_s, DONE_WAIT_S))
    for band_id in missing:
        log.error(
            "band %s: no worker confirmed its last events; the summary holds the events "
            "received so far",
            band_id,
        )
    for runner in runners:
        if runner.session.band_id in ended:
            runner.session.adopt(*gateway.session_events(runner.session.band_id))


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
    worker_id = worker_id or default_worker_id()
    settings = cfg.broker.with_environment()
    with stop_on_signals(stop, handle_signals):
        # Its own availability topic (<base>/status/worker-<id>): a worker stopping or dying
        # must not mark the gateway's service offline.
        publisher = Publisher(
            worker_settings(settings, worker_id), service_name=f"worker-{worker_id}"
        )
        await asyncio.to_thread(publisher.start)
        worker = Worker(
            settings, SessionSettings.from_config(cfg, live=True), publisher, group, worker_id
        )
        worker.start()
        log.info("worker %s: waiting for bands (group %s)", worker_id, group)
        try:
            await stop.wait()
        finally:
            await asyncio.to_thread(worker.stop)
            await asyncio.to_thread(publisher.stop, cfg.service.stop_timeout_s)
            code = publisher.report().tell("worker")
    return int(code)


__all__ = [
    "StatusLine",
    "live_band",
    "run_service",
    "run_worker",
    "session_stamp",
    "stop_on_signals",
]
