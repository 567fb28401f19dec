"""``retrosense evaluate RECORDING...``: score the detectors on labelled recordings.

Argument parsing only; the work is in ``sensor.evaluation`` (runner and report) and
``sensor.labels`` (the labels files).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from sensor.arguments import number_arg

HELP = "score the detectors on labelled recordings (precision, recall, errors, latency)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "recordings",
        nargs="+",
        metavar="RECORDING",
        help="labelled recordings, or directories of them (subfolders included)",
    )
    p.add_argument(
        "--labels",
        nargs="+",
        metavar="LABELS",
        help="labels files, one per recording in order (default: <stem>.truth.json beside each)",
    )
    p.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    p.add_argument(
        "--by-file",
        action="store_true",
        help="markdown: a row per recording instead of per placement and rate",
    )
    p.add_argument(
        "--no-variants",
        action="store_true",
        help="score the recordings only, not real forward walks played backward in time, "
        "with packet-loss gaps cut in, or resampled to 25 Hz",
    )
    p.add_argument(
        "--gap-seed",
        type=number_arg(0, 2**32 - 1, integer=True),
        default=0,
        metavar="N",
        help="seed of the packet-loss gaps cut into real walks (default 0)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=number_arg(0, 256, integer=True),
        default=0,
        metavar="N",
        help="processes to run files on (default 0: one per CPU)",
    )


def run(args: argparse.Namespace) -> int:
    from analysis.perturb import GapPlan
    from sensor.evaluation import (
        EvaluationOptions,
        evaluate_files,
        expand_recordings,
        format_markdown,
        format_table,
        report_json,
    )

    options = EvaluationOptions(
        variants=not args.no_variants,
        gap_plan=GapPlan(seed=args.gap_seed),
        jobs=args.jobs or os.cpu_count() or 1,
    )
    recordings = evaluate_files(expand_recordings(args.recordings), args.labels, options)
    if args.format == "json":
        sys.stdout.write(json.dumps(report_json(recordings), indent=1) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(format_markdown(recordings, args.by_file))
    else:
        sys.stdout.write(format_table(recordings))
    return 0
