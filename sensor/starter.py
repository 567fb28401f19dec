"""A commented starter configuration (``retrosense config init``), with the bands a scan found.

The text is ``config/starter.toml`` with one ``[[bands]]`` table per band found, or a
commented example where none was; values are written by tomli-w, so any advertised name is
quoted and escaped as TOML requires.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import tomli_w

if TYPE_CHECKING:
    from sensor.ble.scan import ScanResult

#: The line of the template the bands replace.
BANDS_MARKER = "#@bands"

EXAMPLE = """\
# No band was found in a scan (is one on and near, is there a Bluetooth adapter?); one looks
# like this:
# [[bands]]
# name = "Polar H10 0A1B2C3D"
# id = "chest"
# placement = "chest"
"""


def starter_template() -> str:
    """The shipped template (``config/starter.toml``)."""
    path = importlib.resources.files("sensor.defaults").joinpath("starter.toml")
    return path.read_text(encoding="utf-8")


def band_table(found: ScanResult, placement: str | None) -> str:
    """One ``[[bands]]`` table for a band seen in a scan: its address picks it; its advertised
    name, the profile's placement and an id are there to uncomment and edit."""
    keys: dict[str, str] = {"address": found.address}
    if found.profile:
        keys["profile"] = found.profile
    lines = ["[[bands]]", tomli_w.dumps(keys).rstrip()]
    seen = f"seen at {found.rssi_dbm} dBm" if found.rssi_dbm is not None else "seen"
    if found.name:
        lines.append(f"# {tomli_w.dumps({'name': found.name}).strip()}  ({seen})")
    else:
        lines.append(f"# ({seen}, without a name)")
    lines.append(f'# placement = "{placement or "chest"}"')
    lines.append('# id = "chest"')
    return "\n".join(lines) + "\n"


def starter_config(
    found: Iterable[tuple[ScanResult, str | None]], *, written: datetime | None = None
) -> str:
    """The starter file: the template with a ``[[bands]]`` table per ``(band, placement)``
    (the placement is the band's profile's, shown as a comment to edit)."""
    tables = [band_table(band, placement) for band, placement in found]
    bands = "\n".join(tables) if tables else EXAMPLE
    text = starter_template().replace(BANDS_MARKER + "\n", bands, 1)
    if written is not None:
        first, rest = text.split("\n", 1)
        text = f"{first}\n# Written {written.isoformat(timespec='seconds')}.\n{rest}"
    return text
