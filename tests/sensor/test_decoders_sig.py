"""Bluetooth SIG payloads: CSC (0x2A5B), RSC (0x2A53), Battery Level, Device Information.

Layouts from the Bluetooth SIG specifications: Cycling Speed and Cadence Service 1.0 section
3.1, Running Speed and Cadence Service 1.0 section 3.1, Battery Service 1.0, Device
Information Service 1.1 (as summarised in the GATT Specification Supplement).
"""

from __future__ import annotations

import pytest

from sensor.decoders.csc import cadence_rpm, decode_csc, wheel_speed_m_s
from sensor.decoders.info import decode_battery_level, decode_info_string
from sensor.decoders.rsc import decode_rsc
from sensor.errors import DecodeError


def test_csc_crank_only() -> None:
    # flags 0x02: crank revolutions 0x0102, last event 0x0400 (= 1 s)
    m = decode_csc(bytes([0x02, 0x02, 0x01, 0x00, 0x04]))
    assert (m.crank_revolutions, m.crank_event_ticks) == (0x0102, 0x0400)
    assert m.wheel_revolutions is None


def test_csc_wheel_and_crank() -> None:
    data = bytes([0x03]) + (1000).to_bytes(4, "little") + (2048).to_bytes(2, "little")
    data += (50).to_bytes(2, "little") + (1024).to_bytes(2, "little")
    m = decode_csc(data)
    assert (m.wheel_revolutions, m.wheel_event_ticks) == (1000, 2048)
    assert (m.crank_revolutions, m.crank_event_ticks) == (50, 1024)


def test_cadence_across_rollover() -> None:
    # 2 revolutions in 1 s across both counters' 16-bit roll-over: 120 rpm.
    assert cadence_rpm(65535, 65000, 1, 65000 + 1024 - 65536) == pytest.approx(120.0)
    assert cadence_rpm(10, 500, 10, 500) is None
    assert wheel_speed_m_s(0, 0, 5, 1024, 2.1) == pytest.approx(10.5)


def test_rsc_all_fields() -> None:
    # flags 0x07: stride, distance, running; 3.5 m/s (896/256), 170 spm, 1.25 m, 1234.5 m
    data = bytes([0x07]) + (896).to_bytes(2, "little") + bytes([170])
    data += (125).to_bytes(2, "little") + (12345).to_bytes(4, "little")
    m = decode_rsc(data)
    assert m.speed_m_s == 3.5 and m.cadence_spm == 170 and m.running
    assert m.stride_length_m == 1.25 and m.total_distance_m == 1234.5


def test_rsc_minimal_walking() -> None:
    m = decode_rsc(bytes([0x00, 0x00, 0x01, 60]))
    assert m.speed_m_s == 1.0 and not m.running and m.stride_length_m is None


@pytest.mark.parametrize(
    ("fn", "payload"),
    [(decode_csc, b""), (decode_csc, bytes([0x03, 1, 2])), (decode_rsc, bytes([0x01, 0, 1, 60]))],
)
def test_short_payloads(fn: object, payload: bytes) -> None:
    with pytest.raises(DecodeError, match=r"need|empty"):
        fn(payload)  # type: ignore[operator]


def test_battery_and_info() -> None:
    assert decode_battery_level(bytes([87])) == 87
    with pytest.raises(DecodeError, match=r"0\.\.100"):
        decode_battery_level(bytes([101]))
    assert decode_info_string(b"Polar Electro Oy\x00") == "Polar Electro Oy"
