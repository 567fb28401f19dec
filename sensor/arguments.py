"""Command-line options several commands share, and turning them into settings.

The commands (``sensor.commands.*``) are argument parsing plus a call into the library; what
more than one of them parses lives here, so that an option means the same in each.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from analysis.frame import parse_body_axes
from analysis.types import Placement
from sensor.errors import BrokerError, RecordingError
from sensor.recording import parse_placement

if TYPE_CHECKING:
    from sensor.config import Config, LoadedConfig
    from sensor.mqtt.settings import BrokerSettings


def placement_arg(text: str) -> Placement:
    """A ``--placement`` value, checked as the recording spec's ``placement`` is."""
    try:
        return parse_placement(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def body_axes_arg(text: str) -> str:
    """A ``--body-axes`` value, checked as the recording spec's ``body_axes`` is."""
    try:
        parse_body_axes(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def speed_arg(text: str) -> float:
    """``1``, any positive factor, or ``max`` (no pacing)."""
    if text == "max":
        return math.inf
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'max', got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive speed factor, got {text!r}")
    return value


def bounded_arg(low: float, high: float, unit: str) -> Callable[[str], float]:
    """An argparse ``type``: a number within ``low..high`` (``unit`` names it in errors)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {unit}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low:g} to {high:g} {unit}, got {text!r}")
        return value

    return parse


def add_speed_option(p: argparse.ArgumentParser) -> None:
    """``--speed 1|N|max`` for the commands that replay a file as if live."""
    p.add_argument(
        "--speed",
        type=speed_arg,
        default=1.0,
        metavar="1|N|max",
        help="1 = real time (default), N = N times faster, max = as fast as possible",
    )


def add_config_option(p: argparse.ArgumentParser, what: str = "") -> None:
    """``--config FILE``, for every command that reads the configuration."""
    p.add_argument(
        "--config",
        metavar="FILE",
        help=f"configuration file{what} (default: $RETROSENSE_CONFIG, else config.toml in the "
        "user config directory; see `retrosense config path`)",
    )


def add_program_option(p: argparse.ArgumentParser) -> None:
    """``--program NAME|FILE``: follow an interval program and give its coaching cues."""
    p.add_argument(
        "--program",
        metavar="NAME|FILE",
        help="follow an interval program and give coaching cues: a built-in (see `retrosense "
        "program list`), one of yours in <config dir>/programs/, or a file; overrides the "
        "configuration's [program]",
    )


def with_program_option(cfg: Config, args: argparse.Namespace) -> Config:
    """The configuration with ``--program`` (if given) as the program to follow."""
    if not getattr(args, "program", None):
        return cfg
    from sensor.programs import load_program

    return dataclasses.replace(cfg, program=load_program(args.program))


def add_placement_options(p: argparse.ArgumentParser, what: str = "the file's") -> None:
    """``--placement`` and ``--body-axes``, overriding what a file (or profile) says."""
    p.add_argument("--placement", type=placement_arg, help=f"override {what} placement")
    p.add_argument(
        "--body-axes",
        type=body_axes_arg,
        help="sensor axes pointing forward, left, up (e.g. +z,+x,+y); overrides "
        f"{what} own (write --body-axes=-z,+x,-y when the first starts with a minus)",
    )


def add_broker_arguments(p: argparse.ArgumentParser, *, embedded: bool = True) -> None:
    """``--broker``, ``--config`` and ``--base-topic``. Credentials are not among them: they
    come from the configuration file or RETROSENSE_MQTT_USERNAME / RETROSENSE_MQTT_PASSWORD.

    ``embedded``: whether the command starts an embedded broker of its own when no broker is
    named (``replay`` does: it never publishes into a broker it was not pointed at; ``listen``
    has nothing to listen to on one of its own).
    """
    fallback = ", else an embedded broker of its own on a free port"
    p.add_argument(
        "--broker",
        metavar="URL",
        help="mqtt://host[:port] or mqtts://host[:port]; default: the [broker] url of the "
        f"configuration{fallback if embedded else ', else localhost:1883'}",
    )
    add_config_option(p, " (its [broker] table, and for replay [detectors], [wearer], [energy])")
    p.add_argument("--base-topic", help="first topic level(s) (default retrosense)")


#: What a replayed message's ``time`` says: ``wall`` = when it is sent (the replay's start plus
#: stream time divided by the speed, as a live band would stamp it now); ``recording`` = when it
#: happened in the recording (the file's ``started`` plus stream time).
Clock = Literal["wall", "recording"]
CLOCKS: tuple[Clock, ...] = ("wall", "recording")


def add_discovery_options(p: argparse.ArgumentParser) -> None:
    """``--keep-discovery`` and ``--no-discovery``, for the commands that publish a file as a
    band (``replay``, ``demo``): such a band is no device to keep in Home Assistant."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--keep-discovery",
        action="store_true",
        help="leave the band's Home Assistant entities when done (default: removed at the end)",
    )
    group.add_argument(
        "--no-discovery",
        action="store_true",
        help="announce no Home Assistant entities at all",
    )


def broker_settings(
    args: argparse.Namespace, loaded: LoadedConfig, **overrides: Any
) -> tuple[BrokerSettings, bool]:
    """The configuration's ``[broker]`` with ``--broker``, ``--base-topic`` and ``overrides``
    (``None`` values are ignored) laid over it, credentials from the environment.

    Returns the settings and whether a broker was named (by ``--broker`` or the user's file).
    """
    import dataclasses

    from sensor.mqtt.settings import ENV_PASSWORD, ENV_USERNAME, parse_broker_url

    settings = loaded.config.broker
    named = bool(args.broker) or loaded.user_sets("broker", "url")
    changes: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if args.broker:
        if parse_broker_url(args.broker).username is not None:
            raise BrokerError(
                args.broker.split("@")[-1],
                "credentials do not belong on the command line, where ps shows them to "
                f"every user: set {ENV_USERNAME} and {ENV_PASSWORD}, or the [broker] table "
                "of --config",
            )
        changes["url"] = args.broker
    if args.base_topic:
        changes["base_topic"] = args.base_topic
    try:
        settings = dataclasses.replace(settings, **changes)
    except ValueError as err:
        option, _, expected = str(err).partition(": ")
        raise BrokerError(args.broker or settings.url, expected or option) from None
    return settings.with_environment(), named


def nothing_sent(settings: BrokerSettings, counters: dict[str, Any]) -> str:
    """What to tell a user whose broker never answered (``Publisher.counters``)."""
    return (
        f"nothing was sent: {settings.broker} did not answer "
        f"({counters['last_error'] or 'no connection'})"
    )


def check_writable(path: str | Path) -> None:
    """Refuse an output file that cannot be written, before any work (or band) starts.

    Raises
    ------
    RecordingError
        Naming the file and why: its folder is missing or not writable, or it is a folder.
    """
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise RecordingError(target, None, "cannot write: it is a folder; expected a file name")
    if not folder.is_dir():
        raise RecordingError(target, None, f"cannot write: no folder {folder}")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise RecordingError(target, None, "cannot write: permission denied")
