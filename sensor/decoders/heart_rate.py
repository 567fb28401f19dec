"""Heart Rate Measurement (0x2A37) of the Bluetooth SIG Heart Rate Service (0x180D).

References
----------
Bluetooth SIG, *Heart Rate Service 1.0* (HRS_SPEC_V10), section 3.1, and the GATT
Specification Supplement, "Heart Rate Measurement": flags bit 0 rate format (u8 / u16), bits
1-2 sensor contact (bit 2 = contact supported, bit 1 = contact detected), bit 3 energy expended
present (u16, kJ), bit 4 RR intervals present (u16 each, resolution 1/1024 s). Several RR
intervals may follow in one notification.
"""

from __future__ import annotations

from dataclasses import dataclass

from sensor.decoders import sig_uuid
from sensor.errors import DecodeError

HEART_RATE_SERVICE = sig_uuid(0x180D)
HEART_RATE_MEASUREMENT = sig_uuid(0x2A37)

#: RR intervals are counted in 1/1024 s (HRS 1.0, 3.1.1.5).
RR_TICK_S = 1.0 / 1024.0


@dataclass(frozen=True)
class HeartRateMeasurement:
    """One decoded 0x2A37 notification.

    Attributes
    ----------
    bpm
        Heart rate in beats per minute.
    contact
        ``True``/``False`` where the strap reports skin contact, ``None`` where it cannot.
    energy_kj
        Energy expended since the last reset, if present.
    rr_s
        RR intervals in seconds, oldest first (possibly empty).
    """

    bpm: int
    contact: bool | None
    energy_kj: int | None
    rr_s: tuple[float, ...]


def decode_heart_rate(data: bytes) -> HeartRateMeasurement:
    """Decode a Heart Rate Measurement payload.

    Raises
    ------
    DecodeError
        If the payload is shorter than its flags promise, or the RR part has an odd length.
    """
    if len(data) < 2:
        raise DecodeError("heart_rate", f"expected at least 2 bytes (flags, rate), got {len(data)}")
    flags = data[0]
    offset = 1
    if flags & 0x01:
        if len(data) < 3:
            raise DecodeError("heart_rate", "flags say a 16-bit rate, but only 2 bytes arrived")
        bpm = int.from_bytes(data[1:3], "little")
        offset = 3
    else:
        bpm = data[1]
        offset = 2
    contact = bool(flags & 0x02) if flags & 0x04 else None
    energy: int | None = None
    if flags & 0x08:
        if len(data) < offset + 2:
            raise DecodeError(
                "heart_rate", "flags say energy expended is present, but it is cut off"
            )
        energy = int.from_bytes(data[offset : offset + 2], "little")
        offset += 2
    rr: tuple[float, ...] = ()
    if flags & 0x10:
        tail = data[offset:]
        if len(tail) % 2:
            raise DecodeError(
                "heart_rate", f"RR intervals come in 2-byte values, got {len(tail)} bytes"
            )
        rr = tuple(
            int.from_bytes(tail[i : i + 2], "little") * RR_TICK_S for i in range(0, len(tail), 2)
        )
    return HeartRateMeasurement(bpm=bpm, contact=contact, energy_kj=energy, rr_s=rr)
