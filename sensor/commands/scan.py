"""``retrosense scan``: nearby bands with name, address, RSSI and the profile that would be used."""

from __future__ import annotations

import argparse
import sys

HELP = "list nearby BLE devices with name, address, signal and the device profile they match"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout-s", type=float, default=5.0, help="how long to listen (default 5 s)")
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
    rows = [("NAME", "ADDRESS", "RSSI", "PROFILE")]
    for r in results:
        rssi = f"{r.rssi_dbm} dBm" if r.rssi_dbm is not None else "-"
        rows.append((r.name or "(no name)", r.address, rssi, r.profile or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0
