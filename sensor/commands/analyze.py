"""``retrosense analyze FILE``: run the streaming detectors over a file, print the events."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sensor.arguments import (
    add_config_option,
    add_placement_options,
    add_program_option,
    check_writable,
    with_program_option,
)

HELP = "analyse a recording or capture file and print its events (jsonl or a table)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="recording CSV, raw capture (.jsonl) or a supported export")
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    add_placement_options(p)
    add_config_option(p, " whose [detectors], [wearer] and [energy] to use")
    p.add_argument(
        "--summary",
        nargs="?",
        const="-",
        metavar="FILE",
        help="the session summary JSON: alone, printed instead of the events; with FILE, "
        "written there (the events still printed)",
    )
    add_program_option(p)


def run(args: argparse.Namespace) -> int:
    # The detectors pull in scipy.signal (about a second): imported here, not at start-up,
    # since every subcommand's module is imported to build the parser.
    from sensor.config import load_config
    from sensor.report import format_table, write_jsonl
    from sensor.session import SessionSettings, SessionSink, SummaryFileSink, analyze_source
    from sensor.sources import SourceOptions, open_source

    settings = SessionSettings.from_config(
        with_program_option(load_config(args.config).config, args)
    )
    sinks: list[SessionSink] = []
    if args.summary not in (None, "-"):
        check_writable(args.summary)
        sinks.append(SummaryFileSink(Path(args.summary)))
    source = open_source(
        args.file, SourceOptions(placement=args.placement, body_axes=args.body_axes)
    )
    session = analyze_source(source, settings, sinks=sinks, progress=args.file)
    if args.summary == "-":
        sys.stdout.write(json.dumps(session.summary, indent=2) + "\n")
    elif args.format == "jsonl":
        write_jsonl(session.events, sys.stdout)
    else:
        sys.stdout.write(format_table(session.events, session.duration_s))
    return 0
