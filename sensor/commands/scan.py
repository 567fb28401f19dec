"""``retrosense scan``: nearby bands with name, address, RSSI and the profile that would be used."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from sensor.arguments import number_arg
from sensor.safeio import visible

if TYPE_CHECKING:
    from sensor.ble.scan import ScanResult

HELP = (
    "list nearby BLE devices (and those this host holds connected) with name, address, signal "
    "and the device profile they match"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--timeout-s",
        type=number_arg(0.1, 600.0, unit="s"),
        default=5.0,
        help="how long to listen (default 5 s)",
    )
    p.add_argument("--all", action="store_true", help="also list devices no profile matches")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from sensor.ble.scan import scan

    results = asyncio.run(scan(args.timeout_s, only_known=not args.all))
    if not results:
        print(
            f"no {'' if args.all else 'known '}bands seen in {args.timeout_s:g} s", file=sys.stderr
        )
        return 1
    sys.stdout.write(format_results(results))
    return 0


def format_results(results: list[ScanResult]) -> str:
    """The scan as a table, one device per line; a band this host holds connected (it does
    not advertise) shows ``connected`` for its signal.

    Names are whatever a device nearby chooses to advertise: control characters and escape
    sequences in them are shown escaped, never sent to the terminal.
    """
    rows = [("NAME", "ADDRESS", "RSSI", "PROFILE")]
    for r in results:
        rssi = (
            "connected" if r.connected else f"{r.rssi_dbm} dBm" if r.rssi_dbm is not None else "-"
        )
        rows.append((visible(r.name or "(no name)"), visible(r.address), rssi, r.profile or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n"
        for row in rows
    )
