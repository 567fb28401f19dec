"""Heart Rate Measurement (0x2A37) decoding.

Byte strings from polarofficial/polar-ble-sdk (commit 8fb5311c),
sources/Android/android-communications/library/src/test/java/com/polar/androidcommunications/
api/ble/model/gatt/client/BleHrClientTest.kt, and layouts from the Bluetooth SIG Heart Rate
Service 1.0, section 3.1.
"""

from __future__ import annotations

import pytest

from sensor.decoders.heart_rate import decode_heart_rate
from sensor.errors import DecodeError


def test_uint8_rate() -> None:
    # BleHrClientTest "Process heart rate value uint8": 00 FF -> 255, 00 7F -> 127
    assert decode_heart_rate(bytes([0x00, 0xFF])).bpm == 255
    assert decode_heart_rate(bytes([0x00, 0x7F])).bpm == 127


def test_uint16_rate() -> None:
    # BleHrClientTest "Process heart rate value uint16": 01 80 80 -> 32896
    assert decode_heart_rate(bytes([0x01, 0x80, 0x80])).bpm == 32896
    assert decode_heart_rate(bytes([0x01, 0x7F, 0x7F])).bpm == 0x7F7F


def test_contact_bits() -> None:
    # BleHrClientTest "sensor contact": 06 00 contact, 04 00 no contact, 02/00 unsupported
    assert decode_heart_rate(bytes([0x06, 0x00])).contact is True
    assert decode_heart_rate(bytes([0x04, 0x00])).contact is False
    assert decode_heart_rate(bytes([0x02, 0x00])).contact is None
    assert decode_heart_rate(bytes([0x00, 0x00])).contact is None


def test_energy_expended() -> None:
    # BleHrClientTest "energy expended": 09 00 00 FF FF -> 65535 kJ; 08 00 7F 80 -> 0x807F
    assert decode_heart_rate(bytes([0x09, 0x00, 0x00, 0xFF, 0xFF])).energy_kj == 65535
    assert decode_heart_rate(bytes([0x08, 0x00, 0x7F, 0x80])).energy_kj == 0x807F


def test_rr_intervals_in_1024ths() -> None:
    # BleHrClientTest "rr interval": 10 00 FF FF -> 65535/1024 s
    m = decode_heart_rate(bytes([0x10, 0x00, 0xFF, 0xFF]))
    assert m.rr_s == pytest.approx((65535 / 1024,))
    # Several RR values in one notification, with a 16-bit rate (HRS 1.0 3.1.1.5):
    # flags 0x11, 72 bpm, RR 800 and 820 ticks.
    m = decode_heart_rate(bytes([0x11, 72, 0, 0x20, 0x03, 0x34, 0x03]))
    assert m.bpm == 72
    assert m.rr_s == pytest.approx((800 / 1024, 820 / 1024))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "at least 2 bytes"),
        (bytes([0x01, 0x50]), "16-bit rate"),
        (bytes([0x08, 0x50, 0x01]), "energy"),
        (bytes([0x10, 0x50, 0x01]), "RR intervals"),
    ],
)
def test_malformed(payload: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message) as info:
        decode_heart_rate(payload)
    assert info.value.kind == "heart_rate"
