"""``retrosense demo``: a bundled retro workout, live through the real pipeline, over MQTT.

No band, no broker and no configuration needed. The demo uses the broker given by ``--broker``,
else starts an embedded one on a free port (iotcore, the ``broker`` extra), never one it was
not pointed at; replays the bundled recording (``sensor/data/``, a shank band with gyroscope:
backward walking, a backward-jump series and backward pedalling, made by ``retrosense
simulate``) in real time through the same streaming detectors and publisher as ``retrosense
run``; prints each detection as it is published, with the topic to subscribe to; serves the
live page while it plays and writes the session report at the end (the web extra).
"""

from __future__ import annotations

import argparse

from sensor.arguments import (
    add_config_option,
    add_discovery_options,
    add_program_option,
    add_speed_option,
    with_program_option,
)

#: The program the bundled workout is followed with, so the quick start shows coaching cues.
DEMO_PROGRAM = "demo-sampler"

#: The report's file name in the session folder.
DEMO_REPORT = "demo-report.html"

HELP = "replay a bundled retro workout live through the detectors to MQTT (no band needed)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_speed_option(p)
    p.add_argument(
        "--broker",
        metavar="URL",
        help="mqtt://host[:port]; default: an embedded broker of its own on a free port",
    )
    add_discovery_options(p)
    p.add_argument(
        "--recording",
        metavar="FILE",
        help="replay this recording instead of the bundled workout",
    )
    p.add_argument("--band-id", help="band id in topics (default demo)")
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default="127.0.0.1:8080",
        help="serve the live page here while the workout plays (default 127.0.0.1:8080, "
        "this computer only; a free port if that one is taken); needs the web extra",
    )
    p.add_argument(
        "--report",
        metavar="FILE",
        help="write the session report (HTML) here at the end (default: demo-report.html "
        "in the session folder, see [recording] folder); needs the web extra",
    )
    p.add_argument(
        "--no-web", action="store_true", help="neither the live page nor the session report"
    )
    add_config_option(p, " whose [detectors], [wearer] and [energy] to use (not its [broker])")
    add_program_option(p)
    p.add_argument(
        "--no-program",
        action="store_true",
        help=f"follow no program (the bundled workout follows {DEMO_PROGRAM!r} by default)",
    )


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from sensor.config import load_config, recording_folder
    from sensor.demo import run_demo
    from sensor.programs import load_program
    from sensor.session import SessionSettings
    from sensor.web.dashboard import parse_listen

    cfg = with_program_option(load_config(args.config).config, args)
    if args.no_program:
        cfg = replace(cfg, program=None)
    elif cfg.program is None and not args.recording:
        cfg = replace(cfg, program=load_program(DEMO_PROGRAM))
    report = None
    if not args.no_web:
        parse_listen(args.listen)  # a bad address is refused before anything starts
        report = Path(args.report) if args.report else recording_folder(cfg.recording) / DEMO_REPORT
        report.parent.mkdir(parents=True, exist_ok=True)
    return run_demo(
        recording=Path(args.recording) if args.recording else None,
        broker_url=args.broker,
        band_id=args.band_id,
        speed=args.speed,
        discovery="off" if args.no_discovery else "keep" if args.keep_discovery else "remove",
        settings=SessionSettings.from_config(cfg),
        listen=None if args.no_web else args.listen,
        report=report,
    )
