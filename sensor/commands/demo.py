"""``retrosense demo``: a bundled retro workout, live through the real pipeline, over MQTT.

No band, no broker and no configuration needed. The demo uses the broker given by ``--broker``,
else one answering on localhost:1883, else starts the embedded one (iotcore, the ``broker``
extra); replays the bundled recording (``sensor/data/``, a shank band with gyroscope:
backward walking, a backward-jump series and backward pedalling, made by ``retrosense
simulate``) in real time through the same streaming detectors and publisher as ``retrosense
run``; and prints each detection as it is published, with the topic to subscribe to.
"""

from __future__ import annotations

import argparse
import importlib.resources
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sensor.commands.replay import nothing_sent, speed_arg

if TYPE_CHECKING:
    from analysis.events import Event

HELP = "replay a bundled retro workout live through the detectors to MQTT (no band needed)"

#: The bundled recording (see sensor/data/README.md for how it was made).
DEMO_FILE = "demo_retro_workout_shank_100hz_gyro.csv"
DEMO_BAND_ID = "demo"
#: Seconds of samples handed to the pipeline at a time: what a live band's notifications
#: add up to between two looks at the queue.
PACE_S = 0.1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--speed",
        type=speed_arg,
        default=1.0,
        metavar="1|N|max",
        help="1 = real time (default), N = N times faster, max = as fast as possible",
    )
    p.add_argument(
        "--broker",
        metavar="URL",
        help="mqtt://host[:port]; default: localhost:1883 if it answers, else an embedded broker",
    )
    p.add_argument(
        "--recording",
        metavar="FILE",
        help="replay this recording instead of the bundled workout",
    )
    p.add_argument("--band-id", default=DEMO_BAND_ID, help="band id in topics (default demo)")


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
    return lines


def run(args: argparse.Namespace) -> int:
    import tempfile
    from dataclasses import replace

    from sensor.mqtt.broker import resolve_broker
    from sensor.mqtt.settings import BrokerSettings, parse_broker_url
    from sensor.mqtt.topics import band_id_for

    path = Path(args.recording) if args.recording else demo_recording()
    if args.broker:
        parse_broker_url(args.broker)  # a bad URL is refused before anything starts
    url, embedded = resolve_broker(args.broker)
    band_id = band_id_for(id=args.band_id)
    out = sys.stdout
    try:
        with tempfile.TemporaryDirectory(prefix="retrosense-demo-") as tmp:
            settings = BrokerSettings(
                url=url,
                client_id=f"retrosense-demo-{Path(tmp).name}",
                # The demo's own outbox: never mixed with the service's.
                outbox_path=str(Path(tmp) / "outbox.sqlite3"),
            )
            settings = replace(settings.with_environment())
            broker = parse_broker_url(url)
            where = "embedded broker" if embedded is not None else "broker"
            topic = f"{settings.base_topic}/{band_id}/#"
            about = (
                f"a {bundled_duration_s():.0f} s retro workout on a shank band with gyroscope: "
                "backward walking,\n"
                "  the backward-jump series, then backward pedalling with a reversal\n"
                "  (simulated; see sensor/data/README.md)"
                if not args.recording
                else path.name
            )
            speed = (
                "as fast as possible"
                if math.isinf(args.speed)
                else "in real time"
                if args.speed == 1
                else f"at {args.speed:g}x speed"
            )
            out.write(
                f"retrosense demo: {about},\n  replayed {speed} through the live detectors. "
                "Ctrl-C stops.\n"
                f"publishing to the {where} at {broker}; to watch from elsewhere:\n"
                f"  mosquitto_sub -h {broker.host} -p {broker.port} -t '{topic}' -v\n"
                f"  retrosense listen --broker {broker}\n\n"
            )
            out.flush()
            code = replay_live(path, settings, band_id, args.speed, out)
    finally:
        if embedded is not None:
            embedded.stop()
    return code


def replay_live(path: Path, settings: Any, band_id: str, speed: float, out: TextIO) -> int:
    """Replay ``path`` paced by ``speed``, publish everything, print each detection."""
    import time
    from datetime import UTC, datetime

    import numpy as np

    from analysis.registry import build_pipeline
    from analysis.summary import summarize_session
    from sensor.mqtt.payloads import BandInfo
    from sensor.mqtt.publisher import Publisher
    from sensor.sources import SourceOptions, open_source

    probe = open_source(path)
    rows = max(1, round(probe.info.sample_rate_hz * PACE_S))
    source = open_source(path, SourceOptions(chunk_rows=rows))
    pipeline = build_pipeline(source.info)
    # Its own availability topic (<base>/status/demo): the demo may share a broker with a
    # running service, whose status it must not flip.
    publisher = Publisher(settings, service_name="demo", outbox_kept=False)
    events: list[Event] = []
    hr_t: list[float] = []
    hr_v: list[float] = []
    first_t: float | None = None
    last_t = 0.0
    topics = publisher.topics
    out.write(f"{'time':>7}  {'event':<15} {'':<44} topic\n")
    try:
        publisher.start()
        publisher.band_online(
            BandInfo(
                band_id=band_id,
                name=f"retrosense demo ({source.name})",
                started=datetime.now(UTC),
                model="demo recording",
                manufacturer="retrosense",
                placement=str(source.info.placement),
            )
        )
        wall0 = time.monotonic()

        def emit(new: list[Event]) -> None:
            for event in new:
                publisher.publish_event(band_id, event)
                events.append(event)
                out.write(
                    f"{event.t:6.1f}s  {event.type:<15} {describe_event(event):<44} "
                    f"{topics.event(band_id, event.type)}\n"
                )
            if new:
                out.flush()

        for chunk in source.body_chunks():
            if len(chunk) == 0:
                continue
            if first_t is None:
                first_t = float(chunk.time_s[0])
            last_t = float(chunk.time_s[-1])
            if math.isfinite(speed):
                delay = wall0 + (last_t - first_t) / speed - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            if chunk.hr_bpm is not None:
                ok = np.isfinite(chunk.hr_bpm)
                for t, bpm in zip(
                    chunk.time_s[ok].tolist(), chunk.hr_bpm[ok].tolist(), strict=True
                ):
                    publisher.publish_hr(band_id, t, bpm)
                    hr_t.append(t)
                    hr_v.append(bpm)
            emit(pipeline.update(chunk))
            publisher.tick(band_id, last_t)
        emit(pipeline.flush())
        publisher.tick(band_id, last_t, force=True)
        summary = summarize_session(
            events,
            start_s=first_t or 0.0,
            end_s=last_t,
            hr_t_s=np.asarray(hr_t) if hr_t else None,
            hr_bpm=np.asarray(hr_v) if hr_v else None,
        ).to_dict()
        publisher.publish_summary(band_id, summary)
        publisher.band_offline(band_id)
    finally:
        drained = publisher.wait_drained(10.0)
        counters = publisher.counters()
        publisher.stop(2.0)
        report = publisher.report()
    out.write(f"\nsession summary ({topics.summary(band_id)}):\n")
    for line in describe_summary(summary):
        out.write(f"  {line}\n")
    if counters["connects"] == 0:
        # It said "58 events published (0 messages delivered, ...)" when nothing answered.
        out.write(f"\n{len(events)} events detected; {nothing_sent(settings, counters)}.\n")
    else:
        out.write(
            f"\n{len(events)} events published ({counters['delivered']} messages delivered"
            f"{'' if drained else ', some not yet taken by the broker'}).\n"
        )
    out.flush()
    code = report.tell("demo")
    return int(code) if code else (0 if drained else 1)
