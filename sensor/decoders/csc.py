"""Cycling Speed and Cadence Measurement (0x2A5B) of the CSC service (0x1816).

References
----------
Bluetooth SIG, *Cycling Speed and Cadence Service 1.0* (CSCS_SPEC_V10) 3.1 and the GATT
Specification Supplement: flags bit 0 wheel revolution data present (u32 cumulative wheel
revolutions, u16 last wheel event time in 1/1024 s), bit 1 crank revolution data present (u16
cumulative crank revolutions, u16 last crank event time in 1/1024 s). The counters roll over;
the service carries no direction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sensor.decoders import sig_uuid
from sensor.errors import DecodeError

CSC_SERVICE = sig_uuid(0x1816)
CSC_MEASUREMENT = sig_uuid(0x2A5B)
EVENT_TICK_S = 1.0 / 1024.0


@dataclass(frozen=True)
class CscMeasurement:
    """One notification's cumulative counters (``None`` where the flags leave them out)."""

    wheel_revolutions: int | None
    wheel_event_ticks: int | None
    crank_revolutions: int | None
    crank_event_ticks: int | None


def decode_csc(data: bytes) -> CscMeasurement:
    """Decode a CSC Measurement payload.

    Raises
    ------
    DecodeError
        If the payload is shorter than its flags promise.
    """
    if not data:
        raise DecodeError("csc", "expected a flags byte, got an empty payload")
    flags = data[0]
    need = 1 + (6 if flags & 1 else 0) + (4 if flags & 2 else 0)
    if len(data) < need:
        raise DecodeError("csc", f"flags 0x{flags:02x} need {need} bytes, got {len(data)}")
    i = 1
    wheel = wheel_t = crank = crank_t = None
    if flags & 1:
        wheel = int.from_bytes(data[i : i + 4], "little")
        wheel_t = int.from_bytes(data[i + 4 : i + 6], "little")
        i += 6
    if flags & 2:
        crank = int.from_bytes(data[i : i + 2], "little")
        crank_t = int.from_bytes(data[i + 2 : i + 4], "little")
    return CscMeasurement(wheel, wheel_t, crank, crank_t)


def cadence_rpm(
    prev_revolutions: int, prev_ticks: int, revolutions: int, ticks: int, bits: int = 16
) -> float | None:
    """Crank cadence between two measurements, across counter roll-over.

    Returns ``None`` where no new crank event happened (event time unchanged).
    """
    mod = 1 << bits
    revs = (revolutions - prev_revolutions) % mod
    dt_s = ((ticks - prev_ticks) % (1 << 16)) * EVENT_TICK_S
    if dt_s <= 0:
        return None
    return revs / dt_s * 60.0


def wheel_speed_m_s(
    prev_revolutions: int, prev_ticks: int, revolutions: int, ticks: int, circumference_m: float
) -> float | None:
    """Speed from two wheel measurements (u32 revolutions, u16 event time), or ``None``."""
    revs = (revolutions - prev_revolutions) % (1 << 32)
    dt_s = ((ticks - prev_ticks) % (1 << 16)) * EVENT_TICK_S
    if dt_s <= 0:
        return None
    return revs * circumference_m / dt_s
