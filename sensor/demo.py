"""The demo: a bundled retro workout, live through the real pipeline, over MQTT.

``retrosense demo`` (``sensor.commands.demo``) calls ``run_demo``: the bundled recording
(``sensor/data/``, a shank band with gyroscope: backward walking, a backward-jump series and
backward pedalling, made by ``retrosense simulate``) replayed in real time through the same
``sensor.session.Session`` and publisher as ``retrosense run``, each detection printed as it
is published, with the topic to subscribe to.
"""

from __future__ import annotations

import importlib.resources
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from sensor.arguments import nothing_sent
from sensor.session import Session, SessionSink

if TYPE_CHECKING:
    from analysis.events import Event
    from analysis.program import Cue
    from sensor.mqtt.settings import BrokerSettings
    from sensor.session import SessionSettings

#: The bundled recording (see sensor/data/README.md for how it was made).
DEMO_FILE = "demo_retro_workout_shank_100hz_gyro.csv"
DEMO_BAND_ID = "demo"


def demo_recording() -> Path:
    """The bundled recording's path."""
    return Path(str(importlib.resources.files("sensor").joinpath("data", DEMO_FILE)))


def bundled_duration_s() -> float:
    """The bundled workout's length, from its labels."""
    import json

    truth = demo_recording().with_suffix(".truth.json")
    return float(json.loads(truth.read_text(encoding="utf-8"))["duration_s"])


def describe_event(event: Event) -> str:
    """One readable line's worth about an event (after its time and type)."""
    from analysis.events import (
        JumpEvent,
        PedalBoutEvent,
        PedalReversalEvent,
        RevolutionEvent,
        StepEvent,
        WalkBoutEvent,
    )

    if isinstance(event, StepEvent):
        extra = f"  {event.cadence_spm:.0f} steps/min" if event.cadence_spm else ""
        return f"{event.direction}{extra}"
    if isinstance(event, JumpEvent):
        clipped = "+" if event.landing_clipped else ""
        return (
            f"{event.direction}  height {event.height_m * 100:.0f} cm, flight "
            f"{event.flight_time_s:.2f} s, landing {event.landing_peak_g:.1f}{clipped} g"
        )
    if isinstance(event, RevolutionEvent):
        return f"{event.direction}  {event.cadence_rpm:.0f} rpm"
    if isinstance(event, PedalReversalEvent):
        return f"{event.from_direction} -> {event.to_direction}"
    if isinstance(event, WalkBoutEvent):
        return (
            f"{event.direction}  {event.steps} steps ({event.steps_backward} backward) in "
            f"{event.end_t - event.start_t:.0f} s"
        )
    if isinstance(event, PedalBoutEvent):
        return (
            f"{event.revolutions_forward} forward, {event.revolutions_backward} backward "
            + (f"{event.revolutions_unknown} unknown " if event.revolutions_unknown else "")
            + f"revolutions, {event.reversals} reversals"
        )
    direction = getattr(event, "direction", "")
    return str(direction)


def describe_summary(summary: dict[str, Any]) -> list[str]:
    """A few lines about a session summary (``SessionSummary.to_dict``)."""
    steps, jumps, pedal, energy = (
        summary["steps"],
        summary["jumps"],
        summary["pedalling"],
        summary["energy"],
    )
    lines = [
        f"steps: {steps['backward']} backward, {steps['forward']} forward"
        + (
            f" (backward cadence {steps['cadence_backward_spm']:.0f}/min)"
            if steps["cadence_backward_spm"]
            else ""
        ),
        f"jumps: {jumps['count']} in {jumps['sets']} set(s)"
        + (f", best {jumps['height_max_m'] * 100:.0f} cm" if jumps["height_max_m"] else ""),
        f"pedalling: {pedal['revolutions_backward']} backward, "
        f"{pedal['revolutions_forward']} forward"
        + (f", {pedal['revolutions_unknown']} unknown" if pedal.get("revolutions_unknown") else "")
        + " revolutions, "
        f"{pedal['reversals_forward_to_backward'] + pedal['reversals_backward_to_forward']} "
        "reversals",
        f"energy: {energy['met_minutes']:.0f} MET-minutes ({energy['method']})",
    ]
    program = summary.get("program")
    if program:
        lines.append(
            f"program {program['name']!r}: {program['intervals_done']} of "
            f"{len(program['intervals'])} intervals done"
        )
        for result in program["intervals"]:
            lines.append(f"  {describe_interval(result)}")
    return lines


def describe_interval(result: dict[str, Any]) -> str:
    """One line about an interval's result (``IntervalResult.to_dict``)."""
    parts = [f"{result['interval']}. {result['title']}: {result['status']}"]
    if result["status"] != "not started" and result["activity"] != "rest":
        parts.append(f"{result['reps']} reps in {result['duration_s']:.0f} s")
    if result.get("on_target_pct") is not None:
        parts.append(f"{result['on_target_pct']:.0f} % on target")
    if result.get("landings"):
        parts.append(", ".join(f"{n} {kind}" for kind, n in result["landings"].items()))
    if result.get("wrong_direction"):
        parts.append(f"{result['wrong_direction']} the other way")
    return ", ".join(parts)


def run_demo(
    *,
    recording: Path | None = None,
    broker_url: str | None = None,
    band_id: str | None = None,
    speed: float = 1.0,
    discovery: Literal["remove", "keep", "off"] = "remove",
    settings: SessionSettings | None = None,
    out: TextIO | None = None,
    listen: str | None = None,
    report: Path | None = None,
) -> int:
    """Run the demo; 0 when the broker took everything, 1 when it did not.

    Parameters
    ----------
    recording
        A recording to replay instead of the bundled workout.
    broker_url
        The broker; default an embedded one on a free port (never one not named).
    band_id
        The band id in topics (default ``DEMO_BAND_ID``).
    speed
        1 = real time, N = N times faster, ``math.inf`` = as fast as possible.
    discovery
        The band's Home Assistant entities: announced and removed at the end
        (``remove``), announced and kept (``keep``), or not announced (``off``).
    settings
        Detectors, wearer and summary parameters (``SessionSettings.from_config``).
    out
        Where the text goes (stdout).
    listen
        Serve the live page here (``host:port``; a free port if that one is taken) while the
        workout plays; ``None``: no page.
    report
        Write the session report (HTML) here at the end; ``None``: none. Both need the
        ``web`` extra; without it the demo says so in one line and goes on.
    """
    import tempfile

    from sensor.mqtt.broker import resolve_broker
    from sensor.mqtt.settings import BrokerSettings, parse_broker_url

    path = recording or demo_recording()
    band_id = band_id or DEMO_BAND_ID
    if broker_url:
        parse_broker_url(broker_url)  # a bad URL is refused before anything starts
    url, embedded = resolve_broker(broker_url)
    out = out or sys.stdout
    try:
        with tempfile.TemporaryDirectory(prefix="retrosense-demo-") as tmp:
            broker = BrokerSettings(
                url=url,
                client_id=f"retrosense-demo-{Path(tmp).name}",
                # The demo's own outbox: never mixed with the service's.
                outbox_path=str(Path(tmp) / "outbox.sqlite3"),
                discovery=discovery != "off",
            ).with_environment()
            where = "embedded broker" if embedded is not None else "broker"
            topic = f"{broker.base_topic}/{band_id}/#"
            about = (
                f"a {bundled_duration_s():.0f} s retro workout on a shank band with gyroscope: "
                "backward walking,\n"
                "  the backward-jump series, then backward pedalling with a reversal\n"
                "  (simulated; see sensor/data/README.md)"
                if recording is None
                else path.name
            )
            pace = (
                "as fast as possible"
                if math.isinf(speed)
                else "in real time"
                if speed == 1
                else f"at {speed:g}x speed"
            )
            out.write(
                f"retrosense demo: {about},\n  replayed {pace} through the live detectors. "
                "Ctrl-C stops.\n"
                f"publishing to the {where} at {broker.broker}; to watch from elsewhere:\n"
                f"  mosquitto_sub -h {broker.broker.host} -p {broker.broker.port} -t '{topic}' -v\n"
                f"  retrosense listen --broker {broker.broker}\n"
            )
            page = start_live_page(broker, listen, out) if listen else None
            out.write("\n")
            out.flush()
            withdraw = discovery == "remove" and embedded is None
            try:
                code = replay_live(path, broker, band_id, speed, out, settings, report, withdraw)
            finally:
                if page is not None:
                    page.stop()
    finally:
        if embedded is not None:
            embedded.stop()
    return code


def start_live_page(broker: BrokerSettings, listen: str, out: TextIO) -> Any:
    """The live page on ``listen`` (a free port if taken), its address printed; ``None``
    without the web extra (said in one line)."""
    from sensor.errors import MissingExtra

    try:
        from sensor.web import require
        from sensor.web.dashboard import DashboardThread

        require("aiohttp", "the live page")
        require("plotly", "the live page")
        try:
            page = DashboardThread(broker, listen)
            url = page.start()
        except OSError:
            host = listen.rpartition(":")[0]
            page = DashboardThread(broker, f"{host}:0")  # that port is taken: any free one
            url = page.start()
    except MissingExtra as err:
        out.write(f"  (no live page: {err})\n")
        return None
    out.write(f"  the live page: {url}  (open it in a browser)\n")
    return page


class EventPrinter(SessionSink):
    """Each detection as a line: time, type, what it says, the topic it went to."""

    def __init__(self, out: TextIO, topics: Any) -> None:
        self.out = out
        self.topics = topics
        out.write(f"{'time':>7}  {'event':<15} {'':<44} topic\n")

    def events(self, session: Session, events: Sequence[Event]) -> None:
        for event in events:
            self.out.write(
                f"{event.t:6.1f}s  {event.type:<15} {describe_event(event):<44} "
                f"{self.topics.event(session.band_id, event.type)}\n"
            )
        self.out.flush()

    def cues(self, session: Session, cues: Sequence[Cue]) -> None:
        for cue in cues:
            self.out.write(
                f"{cue.t:6.1f}s  {'coach':<15} {cue.text:<44} {self.topics.cue(session.band_id)}\n"
            )
        self.out.flush()


def replay_live(
    path: Path,
    broker: BrokerSettings,
    band_id: str,
    speed: float,
    out: TextIO,
    settings: SessionSettings | None = None,
    report: Path | None = None,
    withdraw_discovery: bool = False,
) -> int:
    """Replay ``path`` paced by ``speed``, publish everything, print each detection; write
    the session report to ``report`` at the end."""
    from sensor.mqtt.topics import Topics
    from sensor.replay import replay_source
    from sensor.session import file_band
    from sensor.sources import open_source

    source = open_source(path)
    topics = Topics(broker.base_topic, broker.discovery_prefix)
    band = file_band(
        source,
        band_id,
        name=f"retrosense demo ({source.name})",
        model="demo recording",
        manufacturer="retrosense",
        # Times as a live band would stamp them while the demo sends them.
        started=datetime.now(UTC),
        pace=speed,
    )
    keeper = report_keeper(report)
    # Its own availability topic (<base>/status/demo): the demo may share a broker with a
    # running service, whose status it must not flip.
    done = replay_source(
        source,
        band,
        broker,
        settings=settings,
        speed=speed,
        service_name="demo",
        sinks=[EventPrinter(out, topics), *([keeper] if keeper is not None else [])],
        outbox_kept=False,
        withdraw_discovery=withdraw_discovery,
    )
    events, counters = done.session.events, done.counters
    out.write(f"\nsession summary ({topics.summary(band.band_id)}):\n")
    summary = done.session.summary
    assert summary is not None  # the detectors ran
    for line in describe_summary(summary):
        out.write(f"  {line}\n")
    if not done.reached:
        # It said "58 events published (0 messages delivered, ...)" when nothing answered.
        out.write(f"\n{len(events)} events detected; {nothing_sent(broker, counters)}.\n")
    else:
        out.write(
            f"\n{len(events)} events published ({counters['delivered']} messages delivered"
            f"{'' if done.drained else ', some not yet taken by the broker'}).\n"
        )
    if keeper is not None and report is not None:
        write_demo_report(done.session, keeper, report, path, out)
    out.flush()
    code = done.report.tell("demo")
    return int(code) if code else (0 if done.drained else 1)


def report_keeper(report: Path | None) -> Any:
    """The sink that keeps the signal for the report, or ``None`` (no report wanted)."""
    if report is None:
        return None
    from sensor.web.data import SignalKeeper

    return SignalKeeper()


def write_demo_report(
    session: Session, keeper: Any, report: Path, recording: Path, out: TextIO
) -> None:
    """The session report of the demo's session (or one line saying why there is none)."""
    from sensor.errors import RetrosenseError
    from sensor.mqtt.payloads import iso_utc
    from sensor.web.data import band_session

    try:
        from sensor.web.report import write_report

        band = band_session(session, keeper, path=recording, started=iso_utc(session.band.started))
        write_report([band], report)
    except RetrosenseError as err:  # the web extra missing, an unwritable folder
        out.write(f"\nno session report: {err}\n")
        return
    out.write(f"\nthe session report: {report.resolve().as_uri()}\n")
