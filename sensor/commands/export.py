"""``retrosense export FILE --format csv|tcx``: a session's events as CSV, or a TCX workout."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from sensor.arguments import add_config_option, add_placement_options, check_writable
from sensor.safeio import write_bytes_atomic

HELP = "export a session (recording or capture) as events CSV or a TCX workout (Strava, Garmin)"


def _start_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2026-05-01T09:30:00Z, got {text!r}"
        ) from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(f"expected a time zone (Z or +01:00), got {text!r}")
    return when


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the session's recording CSV or raw capture (.jsonl)")
    p.add_argument("--format", choices=("csv", "tcx"), required=True)
    p.add_argument(
        "-o", "--output", metavar="FILE", help="where to write (default: standard output)"
    )
    p.add_argument(
        "--start",
        type=_start_time,
        metavar="TIME",
        help="when the recording started (ISO 8601 with time zone), for a file without a "
        "'started' header; a TCX workout needs it",
    )
    add_placement_options(p)
    add_config_option(p, " whose [detectors], [wearer] and [energy] to use")


def run(args: argparse.Namespace) -> int:
    from sensor.config import load_config
    from sensor.errors import RecordingError
    from sensor.export import events_csv, tcx_workout
    from sensor.session import SessionSettings, analyze_source
    from sensor.sources import SourceOptions, open_source, recording_started

    if args.output:
        check_writable(args.output, args.file)
    settings = SessionSettings.from_config(load_config(args.config).config)
    source = open_source(
        args.file, SourceOptions(placement=args.placement, body_axes=args.body_axes)
    )
    started = args.start or recording_started(source)
    if args.format == "tcx" and started is None:
        raise RecordingError(
            args.file,
            None,
            "the file does not say when it started (no 'started' header); a TCX workout needs "
            "it: give --start 2026-05-01T09:30:00Z",
        )
    session = analyze_source(source, settings, progress=args.file)
    if args.format == "csv":
        data = events_csv(session.events, band=session.band_id, started=started).encode()
    else:
        assert started is not None
        summary = session.summary or {}
        energy = summary.get("energy") or {}
        start_t = session.first_t or 0.0
        data = tcx_workout(
            session.events,
            started=started,
            start_t=start_t,
            end_t=max(start_t, session.last_t or start_t),
            hr_t_s=session.hr_t,
            hr_bpm=session.hr_bpm,
            kcal=energy.get("kcal"),
            notes=f"retrosense: {Path(args.file).name}",
        )
    if args.output:
        write_bytes_atomic(args.output, data)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
