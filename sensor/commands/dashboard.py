"""``retrosense dashboard --broker URL``: the live page of every band on a broker."""

from __future__ import annotations

import argparse
import contextlib
import sys

from sensor.arguments import add_broker_arguments, broker_settings

HELP = "serve a live page of every band on the broker (read-only; needs the web extra)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_broker_arguments(p, embedded=False)
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=None,
        help="where the page is served (default 127.0.0.1:8080, this computer only; "
        "0.0.0.0:8080 opens it to the network, read-only and without a password)",
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    from sensor.web import require
    from sensor.web.dashboard import DEFAULT_LISTEN, parse_listen, serve_dashboard

    require("aiohttp", "the live page")
    listen = args.listen or DEFAULT_LISTEN
    parse_listen(listen)  # a bad address is refused before anything connects
    from sensor.config import load_config

    settings, _named = broker_settings(args, load_config(args.config))
    settings.check_files()

    def ready(url: str) -> None:
        print(f"dashboard: {url} (reading {settings.broker}; Ctrl-C stops)", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_dashboard(settings, listen, ready))
    print("dashboard: stopped", file=sys.stderr)
    return 0
