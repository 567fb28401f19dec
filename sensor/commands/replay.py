"""``retrosense replay FILE``: publish a recording's events and state over MQTT as if live."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sensor.errors import BrokerError, ConfigError

if TYPE_CHECKING:
    from sensor.mqtt.settings import BrokerSettings

HELP = "publish a recording's (CSV or capture) events and live state over MQTT, as if live"

log = logging.getLogger(__name__)

#: Samples go through the pipeline (and out as raw messages) in pieces of this many seconds,
#: about what one BLE notification of a band carries (a Polar H10 sends its 100 Hz ACC in
#: frames of a few dozen samples), so state and events come out as they would live.
NOTIFICATION_S = 0.1


def speed_arg(text: str) -> float:
    """``1``, any positive factor, or ``max`` (no pacing)."""
    if text == "max":
        return math.inf
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'max', got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive speed factor, got {text!r}")
    return value


def nothing_sent(settings: Any, counters: Mapping[str, Any]) -> str:
    """What to tell a user whose broker never answered (``Publisher.counters``)."""
    return (
        f"nothing was sent: {settings.broker} did not answer "
        f"({counters['last_error'] or 'no connection'})"
    )


def add_broker_arguments(p: argparse.ArgumentParser, *, embedded: bool = True) -> None:
    """Options shared by ``replay`` and ``listen``. Credentials are not among them: they come
    from the configuration file or RETROSENSE_MQTT_USERNAME / RETROSENSE_MQTT_PASSWORD.

    ``embedded``: whether the command starts an embedded broker when nothing answers on
    localhost:1883 (``replay`` does; ``listen`` has nothing to listen to on one of its own).
    """
    fallback = ", else localhost:1883 if it answers, else an embedded broker"
    p.add_argument(
        "--broker",
        metavar="URL",
        help="mqtt://host[:port] or mqtts://host[:port]; default: the [broker] url of "
        f"--config{fallback if embedded else ', else localhost:1883'}",
    )
    p.add_argument("--config", metavar="FILE", help="TOML file whose [broker] table to use")
    p.add_argument("--base-topic", help="first topic level(s) (default retrosense)")


def broker_settings(args: argparse.Namespace, **overrides: Any) -> tuple[BrokerSettings, bool]:
    """Settings from ``--config`` (its ``[broker]`` table), the options and the environment.

    Returns the settings and whether a broker was named (by ``--broker`` or the file).
    """
    from sensor.mqtt.settings import BrokerSettings
    from sensor.settings import load_dataclass, read_toml

    table: dict[str, Any] = {}
    file = "--config"
    if args.config:
        file = args.config
        data = read_toml(args.config)
        broker = data.get("broker", {})
        if not isinstance(broker, dict):
            raise ConfigError(file, "broker", "expected a table")
        table.update(broker)
    named = bool(args.broker or "url" in table)
    if args.broker:
        from sensor.mqtt.settings import ENV_PASSWORD, ENV_USERNAME, parse_broker_url

        if parse_broker_url(args.broker).username is not None:
            raise BrokerError(
                args.broker.split("@")[-1],
                "credentials do not belong on the command line, where ps shows them to "
                f"every user: set {ENV_USERNAME} and {ENV_PASSWORD}, or the [broker] table "
                "of --config",
            )
        table["url"] = args.broker
    if args.base_topic:
        table["base_topic"] = args.base_topic
    table.update({k: v for k, v in overrides.items() if v is not None})
    settings = load_dataclass(BrokerSettings, table, file, "broker")
    return settings.with_environment(), named


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="recording CSV, raw capture (.jsonl) or a supported export")
    add_broker_arguments(p)
    p.add_argument(
        "--speed",
        type=speed_arg,
        default=1.0,
        metavar="1|N|max",
        help="1 = real time (default), N = N times faster, max = as fast as possible",
    )
    p.add_argument("--band-id", help="band id in topics (default: from the file's device)")
    p.add_argument("--client-id", help="MQTT client id (default retrosense-replay-<host>)")
    p.add_argument("--raw", action="store_true", help="also publish raw samples")
    p.add_argument(
        "--summary",
        metavar="FILE",
        help="where to write the session summary JSON (default: beside the file, "
        "<name>.summary.json; '-' for none)",
    )
    p.add_argument(
        "--drain-timeout-s",
        type=float,
        default=10.0,
        help="how long to wait at the end for the broker to take every message (default 10)",
    )


def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    import numpy as np

    from analysis.events import Event
    from analysis.registry import build_pipeline
    from sensor.mqtt.broker import resolve_broker
    from sensor.mqtt.payloads import BandInfo
    from sensor.mqtt.publisher import Publisher
    from sensor.mqtt.settings import BrokerSettings
    from sensor.mqtt.topics import band_id_for
    from sensor.progress import track_chunks
    from sensor.sources import open_source

    settings, named = broker_settings(args, raw=True if args.raw else None)
    source = open_source(args.file)
    if not args.client_id and not settings.client_id:
        host_id = BrokerSettings().effective_client_id.removeprefix("retrosense-")
        settings = replace(settings, client_id=f"retrosense-replay-{host_id}")
    elif args.client_id:
        settings = replace(settings, client_id=args.client_id)
    url, embedded = resolve_broker(settings.url if named else None)
    settings = replace(settings, url=url)

    band_id = band_id_for(id=args.band_id, name=source.name or Path(args.file).stem)
    pipeline = build_pipeline(source.info)
    # Its own availability topic: a replay must not mark a running service offline.
    publisher = Publisher(settings, service_name="replay")
    started = datetime.now(UTC)
    events: list[Event] = []
    hr_t: list[float] = []
    hr_v: list[float] = []
    first_t: float | None = None
    last_t = 0.0
    try:
        publisher.start()
        publisher.band_online(
            BandInfo(
                band_id=band_id,
                name=source.name or band_id,
                started=started,
                model="replay",
                manufacturer="retrosense",
                placement=str(source.info.placement),
            )
        )
        wall0 = time.monotonic()
        rows = max(1, round(source.info.sample_rate_hz * NOTIFICATION_S))
        chunks = track_chunks(source.body_chunks(), args.file)
        for chunk in (c for big in chunks for c in big.chunks(rows)):
            if first_t is None:
                first_t = float(chunk.time_s[0])
            last_t = float(chunk.time_s[-1])
            if math.isfinite(args.speed):
                delay = wall0 + (last_t - first_t) / args.speed - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            publisher.publish_raw(band_id, chunk)
            if chunk.hr_bpm is not None:
                ok = np.isfinite(chunk.hr_bpm)
                for t, bpm in zip(
                    chunk.time_s[ok].tolist(), chunk.hr_bpm[ok].tolist(), strict=True
                ):
                    publisher.publish_hr(band_id, t, bpm)
                    hr_t.append(t)
                    hr_v.append(bpm)
            for event in pipeline.update(chunk):
                publisher.publish_event(band_id, event)
                events.append(event)
            publisher.tick(band_id, last_t)
        for event in pipeline.flush():
            publisher.publish_event(band_id, event)
            events.append(event)
        publisher.tick(band_id, last_t, force=True)
        summary = _summary(events, first_t or 0.0, last_t, hr_t, hr_v)
        publisher.publish_summary(band_id, summary)
        write_summary(summary, args.summary, Path(args.file))
        publisher.band_offline(band_id)
    finally:
        drained = publisher.stop(args.drain_timeout_s)
        counters = publisher.counters()
        report = publisher.report()
        if embedded is not None:
            embedded.stop()
    where = f"{settings.broker} under {settings.base_topic}/{band_id}/"
    # Never connected: nothing was published, and the user must hear why (it said
    # "published to mqtt://localhost:1" when nothing answered there).
    reached = counters["connects"] > 0
    # Never "published" for what the broker did not take: it said so when an ACL refused all.
    taken = f"; the broker took {report.delivered} messages" if reached else ""
    print(
        f"replay: {len(events)} event{'' if len(events) == 1 else 's'}, "
        f"{counters['enqueued_state']} state messages {'sent to' if reached else 'queued for'} "
        f"{where}{taken}",
        file=sys.stderr,
    )
    code = report.tell("replay")
    if not drained:
        if reached:
            why = f"the broker has not taken {counters['pending']} messages yet"
        else:
            why = f"{nothing_sent(settings, counters)}; {counters['pending']} messages"
        print(
            f"replay: {why}; they wait in {settings.effective_outbox_path} and go out on the "
            f"next replay with client id {settings.effective_client_id} to {settings.broker}",
            file=sys.stderr,
        )
    return int(code)


def _summary(
    events: list[Any], start_s: float, end_s: float, hr_t: list[float], hr_v: list[float]
) -> dict[str, Any]:
    """The session summary of the replayed file (analysis.summary)."""
    import numpy as np

    from analysis.summary import summarize_session

    summary = summarize_session(
        events,
        start_s=start_s,
        end_s=end_s,
        hr_t_s=np.asarray(hr_t, dtype=float) if hr_t else None,
        hr_bpm=np.asarray(hr_v, dtype=float) if hr_v else None,
    )
    out: dict[str, Any] = summary.to_dict()
    return out


def write_summary(summary: dict[str, Any], target: str | None, recording: Path) -> Path | None:
    """Write the summary JSON to ``target`` (default: beside the recording; ``-``: nowhere).

    A folder we may not write to (a shared data set, say) costs a warning, not the replay.
    """
    if target == "-":
        return None
    path = Path(target) if target else recording.with_name(recording.stem + ".summary.json")
    try:
        path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        log.warning("%s: session summary not written: %s", path, err.strerror)
        return None
    log.info("session summary in %s", path)
    return path
