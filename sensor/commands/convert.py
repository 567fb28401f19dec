"""``retrosense convert CAPTURE OUT.csv``: decode a raw BLE capture into a recording CSV."""

from __future__ import annotations

import argparse
import sys

from sensor.commands.analyze import body_axes_arg, placement_arg

HELP = "decode a raw capture (.jsonl) into a recording CSV"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("capture", help="raw capture JSONL written by `retrosense record --raw`")
    p.add_argument("output", help="recording CSV to write")
    p.add_argument("--placement", type=placement_arg, help="override the capture's placement")
    p.add_argument(
        "--body-axes", type=body_axes_arg, help="override the capture's body axes (e.g. +z,+x,+y)"
    )


def check_writable(path: str, *inputs: str) -> None:
    """Refuse an output file that cannot be written, before any work (or band) starts.

    Raises
    ------
    RecordingError
        Naming the file and why: it is one of ``inputs`` (also through a link), its folder
        is missing or not writable, or it is a folder.
    """
    import os
    from pathlib import Path

    from sensor.errors import RecordingError
    from sensor.safeio import same_file

    target = Path(path)
    folder = target.parent
    for source in inputs:
        if same_file(source, target):
            raise RecordingError(
                target, None, f"cannot write: it is the input {source}; expected another file"
            )
    if target.is_dir():
        raise RecordingError(target, None, "cannot write: it is a folder; expected a file name")
    if not folder.is_dir():
        raise RecordingError(target, None, f"cannot write: no folder {folder}")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise RecordingError(target, None, "cannot write: permission denied")


def run(args: argparse.Namespace) -> int:
    from sensor.capture import CaptureSource
    from sensor.recording import RecordingWriter
    from sensor.sources import SourceOptions

    # It read the whole capture first and then died with a traceback on open().
    check_writable(args.output, args.capture)
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
        extra={"profile": h.profile},
        atomic=True,
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
