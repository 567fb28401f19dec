"""``retrosense replay FILE``: publish a recording's events and state over MQTT as if live."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sensor.arguments import (
    add_broker_arguments,
    add_program_option,
    add_speed_option,
    broker_settings,
    nothing_sent,
    with_program_option,
)

HELP = "publish a recording's (CSV or capture) events and live state over MQTT, as if live"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="recording CSV, raw capture (.jsonl) or a supported export")
    add_broker_arguments(p)
    add_speed_option(p)
    add_program_option(p)
    p.add_argument(
        "--band-id",
        help="band id in topics (default: the file's band_id, else from its device's address "
        "or name)",
    )
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
    from dataclasses import replace

    from sensor.config import load_config
    from sensor.mqtt.broker import resolve_broker
    from sensor.mqtt.settings import BrokerSettings
    from sensor.replay import replay_source
    from sensor.session import SessionSettings, SessionSink, SummaryFileSink, file_band
    from sensor.sources import open_source

    loaded = load_config(args.config)
    settings, named = broker_settings(args, loaded, raw=True if args.raw else None)
    source = open_source(args.file)
    if not args.client_id and not settings.client_id:
        host_id = BrokerSettings().effective_client_id.removeprefix("retrosense-")
        settings = replace(settings, client_id=f"retrosense-replay-{host_id}")
    elif args.client_id:
        settings = replace(settings, client_id=args.client_id)
    band = file_band(source, args.band_id)
    file = Path(args.file)
    sinks: list[SessionSink] = []
    if args.summary != "-":
        summary = (
            Path(args.summary) if args.summary else file.with_name(f"{file.stem}.summary.json")
        )
        sinks.append(SummaryFileSink(summary))
    url, embedded = resolve_broker(settings.url if named else None)
    settings = replace(settings, url=url)
    where = f"{settings.broker} under {settings.base_topic}/{band.band_id}/"
    print(f"replay: {file.name} as band {band.band_id}, to {where}", file=sys.stderr)
    try:
        done = replay_source(
            source,
            band,
            settings,
            settings=SessionSettings.from_config(with_program_option(loaded.config, args)),
            speed=args.speed,
            sinks=sinks,
            drain_timeout_s=args.drain_timeout_s,
            progress=args.file,
        )
    finally:
        if embedded is not None:
            embedded.stop()
    counters = done.counters
    n = len(done.session.events)
    # Never connected: nothing was published, and the user must hear why (it said
    # "published to mqtt://localhost:1" when nothing answered there).
    # Never "published" for what the broker did not take: it said so when an ACL refused all.
    taken = f"; the broker took {done.report.delivered} messages" if done.reached else ""
    print(
        f"replay: {n} event{'' if n == 1 else 's'}, {counters['enqueued_state']} state messages "
        f"{'sent to' if done.reached else 'queued for'} {where}{taken}",
        file=sys.stderr,
    )
    code = done.report.tell("replay")
    if not done.drained:
        if done.reached:
            why = f"the broker has not taken {counters['pending']} messages yet"
        else:
            why = f"{nothing_sent(settings, counters)}; {counters['pending']} messages"
        print(
            f"replay: {why}; they wait in {settings.effective_outbox_path} and go out on the "
            f"next replay with client id {settings.effective_client_id} to {settings.broker}",
            file=sys.stderr,
        )
    return int(code)
