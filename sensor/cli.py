"""The ``retrosense`` command line.

Each subcommand lives in ``sensor.commands.<name>`` and offers ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Command modules import heavy parts (bleak,
paho) inside ``run``, so that ``retrosense analyze`` starts fast.
A ``RetrosenseError`` becomes one line on stderr and exit code 2; a traceback means a bug.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

# Before numpy loads: the detectors' arrays are small, and OpenBLAS's worker threads cost CPU
# (about 40 % more on a 2-hour analysis, measured in benchmarks/) without saving time. A user's
# own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from collections.abc import Sequence
from types import ModuleType

from sensor import package_version
from sensor.errors import ExitCode, RetrosenseError

log = logging.getLogger(__name__)

#: Subcommands in the order ``--help`` lists them.
COMMANDS = (
    "demo",
    "run",
    "analyze",
    "export",
    "report",
    "dashboard",
    "replay",
    "listen",
    "record",
    "scan",
    "convert",
    "simulate",
    "evaluate",
    "config",
    "program",
)

EXIT_USAGE = ExitCode.USAGE


def _command_modules() -> dict[str, ModuleType]:
    modules: dict[str, ModuleType] = {}
    for name in COMMANDS:
        qualified = f"sensor.commands.{name.replace('-', '_')}"
        try:
            modules[name] = importlib.import_module(qualified)
        except ModuleNotFoundError as err:
            if err.name != qualified:
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retrosense",
        description="Steps, pedalling and jumps — with their direction — from BLE bands, to MQTT.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output on stderr (-vv: debug)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    parser.add_argument("--version", action="version", version=f"retrosense {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in _command_modules().items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("retrosense: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party chatter stays at warnings unless -vv.
    for noisy in ("bleak", "dbus_fast", "paho"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    try:
        code: int = args._run(args)
        return code
    except RetrosenseError as err:
        print(f"retrosense: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # A reader such as `head` closed stdout: not an error of ours.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
