"""``retrosense replay FILE``: publish a recording's events and state over MQTT as if live."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sensor.arguments import (
    CLOCKS,
    add_broker_arguments,
    add_discovery_options,
    add_program_option,
    add_speed_option,
    bounded_arg,
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
    p.add_argument(
        "--client-id",
        help="MQTT client id (default: retrosense-replay-<host>-<random>, new for every run, "
        "so that replays side by side never clash)",
    )
    p.add_argument("--raw", action="store_true", help="also publish raw samples")
    p.add_argument(
        "--clock",
        choices=CLOCKS,
        default="wall",
        help="what each message's time says: wall = when it is sent, as a live band would "
        "stamp it (default); recording = when it happened (the file's 'started' header)",
    )
    add_discovery_options(p)
    p.add_argument(
        "--outbox",
        nargs="?",
        const="",
        metavar="FILE",
        help="keep what the broker has not taken in a durable outbox for the next replay with "
        "the same --client-id (FILE, else the configured one); by default each run has its "
        "own, and what it could not send is lost",
    )
    p.add_argument("--summary", metavar="FILE", help="also write the session summary JSON to FILE")
    p.add_argument(
        "--drain-timeout-s",
        type=bounded_arg(0, 3600, "seconds"),
        default=10.0,
        metavar="S",
        help="how long to wait at the end for the broker to take every message (default 10)",
    )


def run(args: argparse.Namespace) -> int:
    import tempfile
    import uuid
    from dataclasses import replace

    from sensor.arguments import check_writable
    from sensor.config import load_config
    from sensor.mqtt.broker import resolve_broker
    from sensor.mqtt.outbox import OutboxError
    from sensor.mqtt.settings import BrokerSettings
    from sensor.replay import clocked_band, replay_source
    from sensor.session import SessionSettings, SessionSink, SummaryFileSink, file_band
    from sensor.sources import open_source

    loaded = load_config(args.config)
    settings, named = broker_settings(
        args, loaded, raw=True if args.raw else None, discovery=False if args.no_discovery else None
    )
    file = Path(args.file)
    source = open_source(file)
    if args.client_id:
        settings = replace(settings, client_id=args.client_id)
    else:
        host_id = BrokerSettings().effective_client_id.removeprefix("retrosense-")
        settings = replace(
            settings, client_id=f"retrosense-replay-{host_id}-{uuid.uuid4().hex[:6]}"
        )
    if args.outbox:
        settings = replace(settings, outbox_path=args.outbox)
    band = clocked_band(file_band(source, args.band_id), source, args.clock, args.speed, file)
    sinks: list[SessionSink] = []
    if args.summary and args.summary != "-":  # "-": none, as before
        check_writable(args.summary)
        sinks.append(SummaryFileSink(Path(args.summary)))
    url, embedded = resolve_broker(settings.url if named else None)
    settings = replace(settings, url=url)
    where = f"{settings.broker} under {settings.base_topic}/{band.band_id}/"
    print(
        f"replay: {file.name} as band {band.band_id}, to "
        f"{'an embedded broker at ' if embedded else ''}{where}",
        file=sys.stderr,
    )
    durable = args.outbox is not None
    try:
        with tempfile.TemporaryDirectory(prefix="retrosense-replay-") as tmp:
            if not durable:
                settings = replace(settings, outbox_path=str(Path(tmp) / "outbox.sqlite3"))
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
                    outbox_kept=durable,
                    withdraw_discovery=embedded is None and not args.keep_discovery,
                )
            except OutboxError as err:
                if "in use by another" not in str(err):
                    raise
                raise OutboxError(
                    err.path,
                    "in use by another replay; give this one its own --client-id, or its own "
                    "--outbox FILE",
                ) from None
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
    if "taken over" in str(counters.get("last_error") or ""):
        print(
            f"replay: another client connected with client id {settings.effective_client_id} "
            "and took the connection over; give each replay its own --client-id",
            file=sys.stderr,
        )
    code = done.report.tell("replay")
    if not done.drained:
        if done.reached:
            why = f"the broker has not taken {counters['pending']} messages yet"
        else:
            why = f"{nothing_sent(settings, counters)}; {counters['pending']} messages"
        if durable:
            print(
                f"replay: {why}; they wait in {settings.effective_outbox_path} and go out on "
                f"the next replay with --client-id {settings.effective_client_id} and the same "
                "--outbox",
                file=sys.stderr,
            )
        else:
            print(
                f"replay: {why}; they are dropped with this run's outbox (--outbox keeps them "
                "for the next replay)",
                file=sys.stderr,
            )
    return int(code)
