"""A band's one id: in topics, file names, recording and capture headers and summaries.

The rule, the same in every command: an id the user gave (``[[bands]] id``, ``--band-id``)
as it is, sanitised; else the id derived from the Bluetooth address (``C8:2E:0A:1B:2C:3D``
gives ``c82e0a1b2c3d``); else, for a band known only by its name, the sanitised name. The id
is fixed when the session starts and written into the files it makes (``band_id`` in the
raw capture header, ``# band_id:`` in the recording CSV), so a replay of either file
publishes under the id the live session used.

Ids are safe as one MQTT topic level and as a Home Assistant node id.
"""

from __future__ import annotations

import hashlib
import re

#: What a band id may hold: Home Assistant's discovery ``node_id`` and ``object_id`` alphabet
#: (``[a-zA-Z0-9_-]``, Home Assistant MQTT discovery docs), which also keeps MQTT's
#: wildcards ``+``/``#``, the level separator ``/``, ``$`` (system topics) and control
#: characters out of our topics.
_BAND_ID_OK = re.compile(r"[a-z0-9_-]+")
_BAND_ID_BAD_RUN = re.compile(r"[^a-z0-9_-]+")
#: Long enough for a Bluetooth address or CoreBluetooth UUID as hex, short enough for topics
#: people read and type.
MAX_BAND_ID_CHARS = 48
#: Band ids that would make a band's topics overlap the service's (``<base>/status/...``).
RESERVED_BAND_IDS = frozenset({"status", "workers"})
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
#: A CoreBluetooth UUID, which macOS gives instead of the address.
_CB_UUID = re.compile(r"^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$")


def is_address(text: str) -> bool:
    """Whether ``text`` is a Bluetooth address (or, on macOS, a CoreBluetooth UUID)."""
    text = text.strip()
    return bool(_MAC.match(text) or _CB_UUID.match(text))


def sanitize_band_id(text: str) -> str:
    """A band id safe as one topic level and as a Home Assistant node id.

    Lower case; every run of characters outside ``a-z 0-9 _ -`` (wildcards, ``/``, control
    characters, spaces, non-ASCII) becomes one ``_``; cut to ``MAX_BAND_ID_CHARS``. A name
    with nothing usable left becomes ``band-`` and a hash of the name, so it stays stable.

    Examples
    --------
    >>> sanitize_band_id("Polar H10 0A1B2C3D")
    'polar_h10_0a1b2c3d'
    >>> sanitize_band_id("a/+/#")
    'a_'
    """
    cleaned = _BAND_ID_BAD_RUN.sub("_", text.strip().lower())[:MAX_BAND_ID_CHARS]
    if not cleaned.strip("_-"):
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        return f"band-{digest}"
    if cleaned in RESERVED_BAND_IDS:
        return f"{cleaned}_"
    return cleaned


def band_id_from_address(address: str) -> str:
    """A stable band id from a Bluetooth address (or a macOS CoreBluetooth UUID).

    The address does not change when the band is renamed, unlike its advertised name (the
    convention of Theengs Gateway and ble2mqtt). ``C8:2E:0A:1B:2C:3D`` gives ``c82e0a1b2c3d``.
    """
    text = address.strip()
    if is_address(text):
        return text.lower().replace(":", "").replace("-", "")
    return sanitize_band_id(text)


def band_id_for(
    *, id: str | None = None, address: str | None = None, name: str | None = None
) -> str:
    """The band id: a given id, else from the address, else from the name.

    Examples
    --------
    >>> band_id_for(address="C8:2E:0A:1B:2C:3D", name="Polar H10 0A1B2C3D")
    'c82e0a1b2c3d'
    >>> band_id_for(name="Polar H10 0A1B2C3D")
    'polar_h10_0a1b2c3d'
    """
    if id:
        return sanitize_band_id(id)
    if address:
        return band_id_from_address(address)
    if name:
        return sanitize_band_id(name)
    return "band"


def split_device(text: str) -> tuple[str, str | None]:
    """A recording's ``device`` line as name and address, where it ends in an address.

    ``record`` and ``convert`` write ``<name> <address>``: ``"Polar H10 0A1B2C3D
    C8:2E:0A:1B:2C:3D"`` gives ``("Polar H10 0A1B2C3D", "C8:2E:0A:1B:2C:3D")``.
    """
    name, _, last = text.strip().rpartition(" ")
    if is_address(last):
        return name.strip(), last
    return text.strip(), None


def is_valid_band_id(band_id: str) -> bool:
    return (
        bool(_BAND_ID_OK.fullmatch(band_id))
        and len(band_id) <= MAX_BAND_ID_CHARS
        and band_id not in RESERVED_BAND_IDS
    )


__all__ = [
    "MAX_BAND_ID_CHARS",
    "RESERVED_BAND_IDS",
    "band_id_for",
    "band_id_from_address",
    "is_address",
    "is_valid_band_id",
    "sanitize_band_id",
    "split_device",
]
