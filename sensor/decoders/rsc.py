"""Running Speed and Cadence Measurement (0x2A53) of the RSC service (0x1814).

References
----------
Bluetooth SIG, *Running Speed and Cadence Service 1.0* (RSCS_SPEC_V10) 3.1: flags bit 0
instantaneous stride length present (u16, 1/100 m), bit 1 total distance present (u32, 1/10
m), bit 2 walking (0) or running (1); then instantaneous speed u16 in 1/256 m/s and
instantaneous cadence u8 in steps per minute, before the optional fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from sensor.decoders import sig_uuid
from sensor.errors import DecodeError

RSC_SERVICE = sig_uuid(0x1814)
RSC_MEASUREMENT = sig_uuid(0x2A53)


@dataclass(frozen=True)
class RscMeasurement:
    """One decoded RSC notification."""

    speed_m_s: float
    cadence_spm: int
    stride_length_m: float | None
    total_distance_m: float | None
    running: bool


def decode_rsc(data: bytes) -> RscMeasurement:
    """Decode an RSC Measurement payload.

    Raises
    ------
    DecodeError
        If the payload is shorter than its flags promise.
    """
    if not data:
        raise DecodeError("rsc", "expected a flags byte, got an empty payload")
    flags = data[0]
    need = 4 + (2 if flags & 1 else 0) + (4 if flags & 2 else 0)
    if len(data) < need:
        raise DecodeError("rsc", f"flags 0x{flags:02x} need {need} bytes, got {len(data)}")
    speed = int.from_bytes(data[1:3], "little") / 256.0
    cadence = data[3]
    i = 4
    stride = distance = None
    if flags & 1:
        stride = int.from_bytes(data[i : i + 2], "little") / 100.0
        i += 2
    if flags & 2:
        distance = int.from_bytes(data[i : i + 4], "little") / 10.0
    return RscMeasurement(speed, cadence, stride, distance, bool(flags & 4))
