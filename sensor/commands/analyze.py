"""``retrosense analyze FILE``: run the streaming detectors over a file, print the events."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TextIO

from analysis.events import Event
from analysis.frame import parse_body_axes
from analysis.types import Placement
from sensor.progress import track_chunks
from sensor.recording import parse_placement
from sensor.report import format_table
from sensor.sources import SourceOptions, open_source, pipeline_for

log = logging.getLogger(__name__)

HELP = "analyse a recording or capture file and print its events (jsonl or a table)"


def placement_arg(text: str) -> Placement:
    try:
        return parse_placement(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def body_axes_arg(text: str) -> str:
    """A ``--body-axes`` value, checked as the recording spec's ``body_axes`` is."""
    try:
        parse_body_axes(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="recording CSV, raw capture (.jsonl) or a supported export")
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    p.add_argument("--placement", type=placement_arg, help="override the file's placement")
    p.add_argument(
        "--body-axes",
        type=body_axes_arg,
        help="sensor axes pointing forward, left, up (e.g. +z,+x,+y); overrides the file's own "
        "(write --body-axes=-z,+x,-y when the first starts with a minus)",
    )


def analyze_file(
    path: str, placement: Placement | None = None, body_axes: str | None = None
) -> tuple[list[Event], float]:
    """All events of a file in emission order, and the file's duration in seconds."""
    source = open_source(path, SourceOptions(placement=placement, body_axes=body_axes))
    # The detectors pull in scipy.signal (about a second): imported by pipeline_for, not at
    # start-up, since every subcommand's module is imported to build the parser.
    pipeline = pipeline_for(source.info, path)
    events: list[Event] = []
    first_t: float | None = None
    last_t = 0.0
    for chunk in track_chunks(source.body_chunks(), path):
        if len(chunk):
            first_t = float(chunk.time_s[0]) if first_t is None else first_t
            last_t = float(chunk.time_s[-1])
        events.extend(pipeline.update(chunk))
    events.extend(pipeline.flush())
    return events, (last_t - first_t if first_t is not None else 0.0)


def write_jsonl(events: list[Event], out: TextIO) -> None:
    for event in events:
        out.write(json.dumps(event.to_dict(), separators=(",", ":")) + "\n")


def run(args: argparse.Namespace) -> int:
    events, duration_s = analyze_file(args.file, args.placement, args.body_axes)
    if args.format == "jsonl":
        write_jsonl(events, sys.stdout)
    else:
        sys.stdout.write(format_table(events, duration_s))
    return 0
