"""Pure device decoders: ``bytes -> samples``, one module per device family.

Every decoder is a function of the payload alone (plus, where a protocol needs it, settings
that were negotiated earlier and are passed in), returns frozen dataclasses or numpy arrays,
and raises ``sensor.errors.DecodeError`` naming the payload kind and what was expected. No
decoder touches Bluetooth, files or clocks, so a raw capture replays through exactly the code
a live band runs.

Modules: ``heart_rate`` (0x2A37), ``polar_pmd`` (Polar Measurement Data), ``witmotion``
(WT901BLE family), ``movesense`` (GATT sensor data protocol), ``csc`` (0x2A5B), ``rsc``
(0x2A53), ``generic`` (a ``struct`` layout from a device TOML), ``info`` (battery and Device
Information strings).
"""

from __future__ import annotations

#: The Bluetooth Base UUID; 16-bit SIG numbers sit in its first group
#: (Core Specification Vol 3 Part B 2.5.1).
_BASE = "0000{:04x}-0000-1000-8000-00805f9b34fb"


def sig_uuid(number: int) -> str:
    """The 128-bit lower-case form of a 16-bit SIG UUID (``0x2A37`` -> ``00002a37-...``)."""
    return _BASE.format(number)


def normalize_uuid(text: str) -> str:
    """A UUID as bleak and the capture format spell it: 128-bit, lower case.

    Accepts the 16-bit short form (``"2a37"``, ``"0x2A37"``) as well.
    """
    t = text.strip().lower()
    if t.startswith("0x"):
        t = t[2:]
    if len(t) == 4:
        return sig_uuid(int(t, 16))
    return t
