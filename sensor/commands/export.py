"""``retrosense export FILE --format csv|tcx|fit``: a session's events as CSV, or a TCX or FIT
workout."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sensor.arguments import add_config_option, add_placement_options, check_writable
from sensor.safeio import write_bytes_atomic

HELP = (
    "export a session (recording or capture) as events CSV, or a TCX or FIT workout "
    "(Strava, Garmin)"
)


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
    p.add_argument(
        "--format",
        choices=("csv", "tcx", "fit"),
        required=True,
        help="csv: the events; tcx: a Training Center workout; fit: a FIT activity file "
        "(the 'fit' extra)",
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help="where to write (default: standard output)"
    )
    p.add_argument(
        "--start",
        type=_start_time,
        metavar="TIME",
        help="when the recording started (ISO 8601 with time zone), for a file without a "
        "'started' header; a TCX or FIT workout needs it",
    )
    add_placement_options(p)
    add_config_option(p, " whose [detectors], [wearer] and [energy] to use")


def run(args: argparse.Namespace) -> int:
    from sensor.config import load_config
    from sensor.errors import RecordingError, RetrosenseError
    from sensor.export import Workout, events_csv, tcx_workout
    from sensor.session import SessionSettings, analyze_source
    from sensor.sources import SourceOptions, open_source, recording_started

    if args.output:
        check_writable(args.output, args.file)
    fit_activity = _fit_writer() if args.format == "fit" else None
    if fit_activity is not None and not args.output and sys.stdout.isatty():
        raise RetrosenseError("a FIT file is binary: give -o FILE (or redirect the output)")
    settings = SessionSettings.from_config(load_config(args.config).config)
    source = open_source(
        args.file, SourceOptions(placement=args.placement, body_axes=args.body_axes)
    )
    started = args.start or recording_started(source)
    if args.format != "csv" and started is None:
        raise RecordingError(
            args.file,
            None,
            "the file does not say when it started (no 'started' header); a "
            f"{args.format.upper()} workout needs it: give --start 2026-05-01T09:30:00Z",
        )
    session = analyze_source(source, settings, progress=args.file)
    if args.format == "csv":
        data = events_csv(session.events, band=session.band_id, started=started).encode()
    else:
        assert started is not None
        summary = session.summary or {}
        energy = summary.get("energy") or {}
        start_t = session.first_t or 0.0
        # One pass over what the session kept (read back from its spill file if long).
        events, readings = session.kept()
        workout = Workout(
            events,
            started=started,
            start_t=start_t,
            end_t=max(start_t, session.last_t or start_t),
            hr_t_s=[t for t, _ in readings],
            hr_bpm=[bpm for _, bpm in readings],
            kcal=energy.get("kcal"),
        )
        if fit_activity is None:
            data = tcx_workout(workout, notes=f"retrosense: {Path(args.file).name}")
        else:
            data = fit_activity(
                workout, utc_offset_s=_utc_offset_s(started), software_version=_software_version()
            )
    if args.output:
        write_bytes_atomic(args.output, data)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def _fit_writer() -> Callable[..., bytes]:
    """``sensor.export_fit.fit_activity``, or ``MissingExtra`` naming the ``fit`` extra when
    fit-tool is not installed."""
    from sensor.errors import MissingExtra

    try:
        from sensor.export_fit import fit_activity
    except ModuleNotFoundError as err:
        if err.name != "fit_tool":
            raise
        raise MissingExtra("a FIT workout", "fit", "fit-tool") from None
    return fit_activity


def _utc_offset_s(started: datetime) -> int:
    """The wearer's time zone offset at the start: the one the start time was given in, or
    (for a UTC time, as the files' 'started' headers are) this computer's."""
    offset = started.utcoffset() or started.astimezone().utcoffset()
    return round(offset.total_seconds()) if offset is not None else 0


def _software_version() -> float | None:
    """retrosense's version as FIT's ``software_version``: major + minor / 100 (0.01 for 0.1.0,
    as a device shows 2.10 for 2.10.x), where it is one."""
    from sensor import package_version

    major, _, rest = package_version().partition(".")
    minor = rest.partition(".")[0]
    if not (major.isdigit() and minor.isdigit() and int(minor) < 100):
        return None
    return int(major) + int(minor) / 100
