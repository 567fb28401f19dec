"""``retrosense config check|show|path``: validate, print or locate the configuration."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from sensor.arguments import add_config_option

if TYPE_CHECKING:
    from sensor.config import BandConfig

HELP = "check the configuration, show the effective one (secrets masked), or print its path"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        choices=("check", "show", "path"),
        help="check: validate and say what was read; show: print the effective configuration "
        "as TOML; path: print where the user file is looked for",
    )
    add_config_option(p)
    p.add_argument(
        "--show-secrets", action="store_true", help="show: print passwords instead of ***"
    )


def run(args: argparse.Namespace) -> int:
    from sensor.config import config_table, dump_toml, load_config
    from sensor.paths import user_config_path

    if args.action == "path":
        print(user_config_path())
        return 0
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
