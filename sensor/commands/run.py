"""``retrosense run``: the service. Every configured band, live, to MQTT and to disk."""

from __future__ import annotations

import argparse

from sensor.arguments import add_config_option, add_program_option, with_program_option

HELP = "connect the configured bands, detect live, publish to MQTT, record the sessions"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_option(p)
    add_program_option(p)
    p.add_argument(
        "--role",
        choices=("all", "gateway", "worker"),
        default="all",
        help="all (default): bands, detectors and MQTT in this process; gateway: bands and "
        "raw samples only; worker: no bands, detectors for the bands gateways offer over "
        "MQTT v5 shared subscriptions",
    )
    p.add_argument(
        "--group",
        default="retrosense",
        help="worker: the shared-subscription group whose workers share the bands",
    )
    p.add_argument("--worker-id", help="worker: this worker's id (default: host and random)")
    p.add_argument(
        "--no-record",
        action="store_true",
        help="publish only: no recording CSV, raw capture or summary file this time",
    )


def run(args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses
    import logging

    from sensor.config import load_config
    from sensor.service import run_service

    log = logging.getLogger("sensor.commands.run")
    # Every configuration error is refused here, before any band is touched.
    loaded = load_config(args.config)
    cfg = with_program_option(loaded.config, args)
    if args.no_record:
        cfg = dataclasses.replace(
            cfg,
            recording=dataclasses.replace(
                cfg.recording, enabled=False, raw_capture=False, summary=False
            ),
        )
    cfg.broker.check_files()
    if cfg.web.listen:
        from sensor.web import require

        require("aiohttp", "the live page ([web] listen)")
        require("plotly", "the live page ([web] listen)")
    log.info("configuration: %s", ", ".join(loaded.files))
    return asyncio.run(run_service(cfg, role=args.role, group=args.group, worker_id=args.worker_id))
