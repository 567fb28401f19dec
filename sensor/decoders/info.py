"""Battery Level (0x2A19) and Device Information (0x180A) characteristics.

References
----------
Bluetooth SIG, *Battery Service 1.0* (Battery Level: u8, percent 0-100) and *Device
Information Service 1.1* (UTF-8 strings: 0x2A29 manufacturer, 0x2A24 model number, 0x2A25
serial number, 0x2A27 hardware, 0x2A26 firmware, 0x2A28 software revision).
"""

from __future__ import annotations

from dataclasses import dataclass

from sensor.decoders import sig_uuid
from sensor.errors import DecodeError

BATTERY_SERVICE = sig_uuid(0x180F)
BATTERY_LEVEL = sig_uuid(0x2A19)
DEVICE_INFORMATION_SERVICE = sig_uuid(0x180A)

#: Device Information characteristic -> ``DeviceInfo`` field.
DEVICE_INFO_FIELDS: dict[str, str] = {
    sig_uuid(0x2A29): "manufacturer",
    sig_uuid(0x2A24): "model",
    sig_uuid(0x2A25): "serial",
    sig_uuid(0x2A27): "hardware",
    sig_uuid(0x2A26): "firmware",
    sig_uuid(0x2A28): "software",
}


@dataclass(frozen=True)
class DeviceInfo:
    """What the Device Information service told about a band (``None`` where absent)."""

    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    hardware: str | None = None
    firmware: str | None = None
    software: str | None = None


def decode_battery_level(data: bytes) -> int:
    """Battery Level in percent.

    Raises
    ------
    DecodeError
        If the payload is not one byte within 0..100.
    """
    if len(data) != 1 or data[0] > 100:
        raise DecodeError("battery", f"expected one byte within 0..100, got {data.hex()!r}")
    return data[0]


def decode_info_string(data: bytes) -> str:
    """A Device Information string: UTF-8, trailing NULs and spaces removed."""
    return data.decode("utf-8", errors="replace").rstrip("\x00 ").strip()
