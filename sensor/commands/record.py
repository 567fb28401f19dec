"""``retrosense record --band DEVICE -o FILE [--raw CAPTURE]``: record a live band.

Writes a recording CSV (sensor frame, ``body_axes`` in its header) and/or a raw capture of
every notification, until ``--duration-s`` has passed, Ctrl-C or SIGTERM. The band is always
sent its stop command on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from sensor.arguments import add_placement_options, check_writable, number_arg

HELP = "record a live band to a recording CSV and/or a raw BLE capture"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--band",
        required=True,
        metavar="DEVICE",
        help="the band's address (C8:2E:0A:1B:2C:3D) or the start of its name (Polar H10)",
    )
    p.add_argument(
        "--profile",
        help="device profile (polar-h10, witmotion, movesense, heart-rate, ... or a TOML "
        "file); default: the profile whose name prefixes match --band, else one found by a scan",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="recording CSV to write")
    p.add_argument("--raw", metavar="CAPTURE", help="raw capture (.jsonl) to write")
    p.add_argument(
        "--duration-s",
        type=number_arg(0.1, 7 * 86_400.0, unit="s"),
        help="stop after this long (default: Ctrl-C)",
    )
    add_placement_options(p, "the profile's")
    p.add_argument(
        "--rate-hz",
        type=number_arg(1.0, 10_000.0, unit="Hz"),
        help="sample rate to ask of the band",
    )
    p.add_argument(
        "--range-g",
        type=number_arg(0.5, 64.0, unit="g"),
        help="accelerometer range to ask of the band",
    )
    p.add_argument(
        "--scan-timeout-s",
        type=number_arg(0.1, 600.0, unit="s"),
        default=10.0,
        help="how long to look (10 s)",
    )


def run(args: argparse.Namespace) -> int:
    from sensor.errors import DeviceError

    if not args.output and not args.raw:
        raise DeviceError(args.band, "nothing to write: give -o FILE.csv and/or --raw FILE.jsonl")
    # Before the band is touched: the CSV was opened only at the first samples, so a bad
    # path ended a running recording with a traceback.
    if args.output:
        check_writable(args.output, *[args.raw] if args.raw else [])
    if args.raw:
        check_writable(args.raw)
    return asyncio.run(_until_terminated(_record(args)))


async def _until_terminated(work: Coroutine[Any, Any, int]) -> int:
    """``work``, which SIGTERM (``timeout``, ``kill``, a service manager) ends the way Ctrl-C
    does: the band gets its stop command and the files are closed whole; exit code 143."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    terminated = []

    def terminate() -> None:
        terminated.append(True)
        task.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        return await work
    except asyncio.CancelledError:
        if terminated:
            return 128 + signal.SIGTERM
        raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def _pick_profile(args: argparse.Namespace) -> Any:
    from sensor.ble.profiles import all_profiles, load_profile, match_profile
    from sensor.ble.scan import scan
    from sensor.errors import DeviceError
    from sensor.identity import is_address

    if args.profile:
        return load_profile(args.profile)
    profiles = all_profiles()
    if not is_address(args.band):
        found = match_profile(args.band, [], profiles)
        if found is not None:
            return found
    for result in await scan(min(args.scan_timeout_s, 5.0), profiles):
        same = result.address.upper() == args.band.upper()
        if result.profile and (same or (result.name or "").startswith(args.band)):
            return load_profile(result.profile)
    raise DeviceError(args.band, "no profile matches this band; pass --profile")


async def _stop_after(band: Any, seconds: float) -> None:
    await asyncio.sleep(seconds)
    await band.stop()


async def _record(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sensor.ble import BandSession, BandSpec, LinkEvent, SampleBatch
    from sensor.ble.items import LinkStatus
    from sensor.ble.session import SessionOptions
    from sensor.capture import open_capture
    from sensor.errors import DeviceError
    from sensor.session import LiveBand, RecordingSink

    profile = await _pick_profile(args)
    if args.output and not profile.has_samples:
        raise DeviceError(
            args.band, f"profile {profile.name} streams no samples; record it with --raw only"
        )
    spec = BandSpec(
        device=args.band,
        profile=profile.name,
        placement=args.placement,
        body_axes=args.body_axes,
        rate_hz=args.rate_hz,
        range_g=args.range_g,
    )
    band = BandSession(
        spec, profile, SessionOptions(scan_timeout_s=args.scan_timeout_s), raw_sink=None
    )
    sinks = [RecordingSink(Path(args.output), profile=profile.name)] if args.output else []
    # No detectors: the session only writes the recording (sensor frame, heart rate column).
    live = LiveBand(band, sinks=sinks, detect=False, say_missing=False)
    samples = gaps = 0
    last_reason = ""
    timer: asyncio.Task[None] | None = None
    try:
        await band.start()
        if args.duration_s is not None:
            # Also ends a session that never connects (the band is off or out of range).
            timer = asyncio.get_running_loop().create_task(_stop_after(band, args.duration_s))
        if args.raw:
            # Before the first await: the decoder task records from the very first entry.
            live.capture = band.raw_sink = open_capture(args.raw, band)
        async for item in band:
            live.handle(item)
            if isinstance(item, LinkEvent):
                if item.reason and item.status is LinkStatus.RECONNECTING:
                    last_reason = item.reason
                print(
                    f"retrosense: {item.status.value}{': ' + item.reason if item.reason else ''}",
                    file=sys.stderr,
                )
            elif isinstance(item, SampleBatch):
                samples += len(item.samples)
                gaps += int(item.gap_before and samples > len(item.samples))
            if args.duration_s is not None and band.now() >= args.duration_s:
                await band.stop()
    finally:
        if timer is not None:
            timer.cancel()
        await band.stop()
        live.finish()
        if live.capture is not None:
            live.capture.close()
    bad = sum(band.counters.malformed.values())
    print(
        f"retrosense: recorded {samples} samples, {gaps} gaps, {bad} malformed notifications "
        f"skipped, {band.counters.connects} connections",
        file=sys.stderr,
    )
    if band.counters.connects == 0:
        # A band that was never found (a wrong name, switched off) ended with exit code 0.
        raise DeviceError(args.band, f"never connected: {last_reason or 'not found'}")
    return 0
