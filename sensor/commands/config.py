"""``retrosense config check|show|path|init``: validate, print, locate or start a config."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sensor.arguments import add_config_option, bounded_arg

if TYPE_CHECKING:
    from sensor.config import BandConfig

HELP = (
    "check the configuration, show the effective one (secrets masked), print its path, or "
    "write a commented starter file (init)"
)
#: How long ``config init`` scans for bands by default.
INIT_SCAN_S = 5.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        choices=("check", "show", "path", "init"),
        help="check: validate and say what was read; show: print the effective configuration "
        "as TOML; path: print where the user file is looked for; init: write a commented "
        "starter file there (or to --config FILE) with the bands a scan finds",
    )
    add_config_option(p)
    p.add_argument(
        "--show-secrets", action="store_true", help="show: print passwords instead of ***"
    )
    p.add_argument("--force", action="store_true", help="init: replace a file that exists already")
    p.add_argument(
        "--scan-s",
        type=bounded_arg(0, 120, "seconds"),
        default=INIT_SCAN_S,
        metavar="S",
        help=f"init: scan this long for bands (default {INIT_SCAN_S:g}; 0: no scan)",
    )


def run(args: argparse.Namespace) -> int:
    from sensor.config import config_table, dump_toml, load_config

    if args.action == "path":
        path = _user_file(args)
        print(path)
        if path.is_file():
            print("(exists)", file=sys.stderr)
        else:
            print("(does not exist yet: `retrosense config init` writes one)", file=sys.stderr)
        return 0
    if args.action == "init":
        return init(_user_file(args), args)
    loaded = load_config(args.config)
    if args.action == "show":
        table = config_table(loaded.config, mask_secrets=not args.show_secrets)
        sys.stdout.write(f"# effective configuration from: {', '.join(loaded.files)}\n")
        sys.stdout.write(dump_toml(table))
        return 0
    cfg = loaded.config
    cfg.broker.check_files()  # TLS files that are missing or unreadable
    where = loaded.user_file or f"{loaded.files[0]} (defaults only; no user file)"
    bands = ", ".join(_describe(b) for b in cfg.bands) or "none"
    print(f"ok: {where}")
    print(f"bands: {bands}")
    return 0


def _describe(band: BandConfig) -> str:
    """``chest (polar-h10, chest, 100 Hz)``: the band with its profile's values filled in."""
    from sensor.ble.profiles import load_profile

    profile = load_profile(band.profile)
    placement = band.placement or profile.placement
    rate = band.rate_hz or (profile.sample_rate_hz if profile.has_samples else None)
    parts = [band.profile, str(placement) if placement else "placement from the profile"]
    if rate:
        parts.append(f"{rate:g} Hz")
    return f"{band.label} ({', '.join(parts)})"


def _user_file(args: argparse.Namespace) -> Path:
    """The user file as ``load_config`` looks for it: ``--config``, ``$RETROSENSE_CONFIG``,
    else ``config.toml`` in the user config directory."""
    import os

    from sensor.paths import ENV_CONFIG, user_config_path

    return Path(args.config or os.environ.get(ENV_CONFIG) or user_config_path())


def init(path: Path, args: argparse.Namespace) -> int:
    """Write the starter configuration to ``path`` (never over a file without ``--force``)."""
    from datetime import UTC, datetime

    from sensor.config import load_config
    from sensor.errors import ConfigError
    from sensor.starter import starter_config

    if path.exists() and not args.force:
        raise ConfigError(path, "config init", "the file exists; --force replaces it")
    found, note = _scan_for_bands(args.scan_s)
    text = starter_config(found, written=datetime.now(UTC))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as err:
        raise ConfigError(path, "config init", f"cannot write it: {err.strerror}") from None
    load_config(path)  # what we wrote must be a valid configuration
    bands = f"{len(found)} band{'' if len(found) == 1 else 's'} from a scan" if found else "no band"
    print(f"wrote {path} ({bands}{'; ' + note if note else ''})")
    print("edit it, then: retrosense config check && retrosense run")
    return 0


def _scan_for_bands(seconds: float) -> tuple[list[tuple[Any, str | None]], str]:
    """The known bands a scan of ``seconds`` finds, each with its profile's placement, and a
    note when the scan could not run."""
    if seconds <= 0:
        return [], "no scan"
    try:
        import asyncio

        from sensor.ble.profiles import load_profile
        from sensor.ble.scan import scan
    except ImportError:  # BLE support not installed
        return [], "no scan: bleak is not installed"
    from sensor.errors import DeviceError

    try:
        results = asyncio.run(scan(seconds, only_known=True))
    except DeviceError as err:
        return [], f"no scan: {err.expected}"
    out: list[tuple[Any, str | None]] = []
    for r in results:
        placement = None
        if r.profile:
            placement = str(load_profile(r.profile).placement)
        out.append((r, placement))
    return out, ""
