"""``retrosense report INPUT -o session.html``: the session as one offline HTML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sensor.arguments import (
    add_config_option,
    add_placement_options,
    add_program_option,
    with_program_option,
)

HELP = "write a session's report: one HTML file with its charts, offline (needs the web extra)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input",
        help="recording CSV, raw capture (.jsonl), a supported export, or a folder of "
        "`retrosense run` sessions (its newest session, every band)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the HTML file to write (default: beside the input, <name>.report.html)",
    )
    p.add_argument(
        "--png",
        nargs="?",
        const="",
        metavar="FILE",
        help="also write a static PNG of the overview (of the first band, for a folder; default: "
        "the HTML's name with .png); needs Chrome or Chromium installed",
    )
    add_config_option(p, " whose [detectors], [wearer], [energy] and [hr_zones] to use")
    add_placement_options(p)
    add_program_option(p)


def default_output(input_path: Path) -> Path:
    """``walk.csv`` -> ``walk.report.html``; a folder -> ``<folder>/report.html``."""
    if input_path.is_dir():
        return input_path / "report.html"
    return input_path.with_name(input_path.name.split(".")[0] + ".report.html")


def run(args: argparse.Namespace) -> int:
    from sensor.config import load_config
    from sensor.session import SessionSettings
    from sensor.sources import SourceOptions
    from sensor.web import require
    from sensor.web.data import load_band_sessions

    # Before the (long) analysis: a missing extra is said at once.
    require("plotly", "the session report")
    from sensor.web.report import write_report

    source = Path(args.input)
    out = Path(args.output) if args.output else default_output(source)
    png = None
    if args.png is not None:
        png = Path(args.png) if args.png else out.with_suffix(".png")
    settings = SessionSettings.from_config(
        with_program_option(load_config(args.config).config, args)
    )
    sessions = load_band_sessions(
        source, settings, SourceOptions(placement=args.placement, body_axes=args.body_axes)
    )
    written = write_report(sessions, out, png=png)
    for path in written:
        print(f"report: {path}", file=sys.stderr)
    return 0
