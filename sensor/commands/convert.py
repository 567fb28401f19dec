"""``retrosense convert CAPTURE OUT.csv``: decode a raw BLE capture into a recording CSV."""

from __future__ import annotations

import argparse
import sys

from sensor.arguments import add_placement_options, check_writable

HELP = "decode a raw capture (.jsonl) into a recording CSV"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("capture", help="raw capture JSONL written by `retrosense record --raw`")
    p.add_argument("output", help="recording CSV to write")
    add_placement_options(p, "the capture's")


def run(args: argparse.Namespace) -> int:
    from sensor.capture import CaptureSource
    from sensor.recording import RecordingWriter
    from sensor.sources import SourceOptions

    # It read the whole capture first and then died with a traceback on open().
    check_writable(args.output)
    source = CaptureSource(
        args.capture, SourceOptions(placement=args.placement, body_axes=args.body_axes)
    )
    h = source.reader.header
    info = source.info
    with RecordingWriter(
        args.output,
        placement=source.placement,
        sample_rate_hz=info.sample_rate_hz,
        body_axes=source.body_axes,
        has_gyro=info.has_gyro,
        has_hr=source.profile.heart_rate,
        device=" ".join(x for x in (h.name, h.address) if x) or None,
        started=h.started,
        # The band's one id, so a replay of this file publishes as one of the capture does.
        extra={"profile": h.profile, "band_id": source.band_id},
    ) as out:
        for chunk in source.chunks():
            out.write(chunk)
    bad = sum(source.malformed.values())
    detail = ", ".join(f"{k} {v}" for k, v in sorted(source.malformed.items()))
    print(
        f"{args.output}: {out.rows_written} samples"
        + (f"; skipped {bad} malformed notifications ({detail})" if bad else ""),
        file=sys.stderr,
    )
    return 0
