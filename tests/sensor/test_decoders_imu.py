"""WitMotion, Movesense and generic (TOML-described) IMU payloads.

No vendor publishes a captured notification for these, so the byte strings are built here
from the layouts the vendors document, and each test says which:
WITMOTION/WitBluetooth_BWT901BLE5_0 Python/BWT901BLE5.0_python_sdk/device_model.py
(``processData``: 55 61, nine int16 LE, /32768 x 16 g, x 2000 deg/s, x 180 deg; register
commands FF AA reg lo hi); sensein/movesense-py src/movesense/sensor.py (GSP codes) with the
Movesense gatt_sensordata_app data layout (u32 ms timestamp, float32 vectors).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from sensor.decoders import movesense, witmotion
from sensor.decoders.generic import GenericLayout, decode_generic
from sensor.errors import DecodeError


def wit_frame(values: list[int], flag: int = 0x61) -> bytes:
    return bytes([0x55, flag]) + struct.pack("<9h", *values)


def test_witmotion_scaling() -> None:
    # device_model.py processData: 16384 counts = 8 g, -16384 = -1000 deg/s, 8192 = 45 deg.
    data = wit_frame([0, 2048, 16384, 0, 0, -16384, 0, 8192, -32768])
    s = witmotion.decode_witmotion(data)
    assert s.acc_g.tolist() == [[0.0, 1.0, 8.0]]
    assert s.gyro_dps.tolist() == [[0.0, 0.0, -1000.0]]
    assert s.angle_deg.tolist() == [[0.0, 45.0, -180.0]]


def test_witmotion_several_frames_and_register_reply_skipped() -> None:
    data = wit_frame([2048] * 9) + wit_frame([1] * 9, flag=0x71) + wit_frame([-2048] * 9)
    s = witmotion.decode_witmotion(data)
    assert len(s) == 2
    assert s.acc_g[:, 0].tolist() == [1.0, -1.0]


@pytest.mark.parametrize(
    "payload", [b"", wit_frame([0] * 9)[:19], bytes([0x55, 0x62]) + bytes(18), bytes(20)]
)
def test_witmotion_malformed(payload: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        witmotion.decode_witmotion(payload)
    assert info.value.kind == "witmotion"


def test_witmotion_rate_commands() -> None:
    # Unlock FF AA 69 88 B5, then RRATE (0x03) = 0x09 for 100 Hz.
    assert witmotion.encode_rate_commands(100) == [
        bytes.fromhex("ffaa6988b5"),
        bytes.fromhex("ffaa030900"),
    ]
    with pytest.raises(ValueError, match="output rate"):
        witmotion.encode_rate_commands(30)


def test_movesense_imu6() -> None:
    acc = [[0.0, 0.0, 9.80665], [9.80665, 0.0, 0.0]]
    gyro = [[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]]
    body = struct.pack("<I", 123456) + struct.pack("<12f", *(v for row in acc + gyro for v in row))
    s = movesense.decode_movesense(bytes([movesense.RESP_DATA, 7]) + body, imu6=True)
    assert s is not None
    assert s.reference == 7 and s.timestamp_ms == 123456
    assert s.acc_g == pytest.approx(np.array([[0, 0, 1.0], [1.0, 0, 0]]))
    assert s.gyro_dps is not None and s.gyro_dps.tolist() == gyro


def test_movesense_command_response_and_errors() -> None:
    assert movesense.decode_movesense(bytes([1, 7, 200, 0]), imu6=False) is None
    with pytest.raises(DecodeError, match="continuation"):
        movesense.decode_movesense(bytes([3, 7]) + bytes(16), imu6=False)
    with pytest.raises(DecodeError, match="whole 12-byte"):
        movesense.decode_movesense(bytes([2, 7]) + bytes(4 + 13), imu6=False)
    assert movesense.encode_subscribe(7, "/Meas/IMU6/52") == b"\x01\x07/Meas/IMU6/52"


def test_generic_layout_with_clock_and_gyro() -> None:
    layout = GenericLayout(
        struct_format="<Ihhhhhh",
        fields=("time_ms", "acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
        scales=(1.0, 1 / 4096, 1 / 4096, 1 / 4096, 1 / 16.4, 1 / 16.4, 1 / 16.4),
    )
    data = struct.pack("<Ihhhhhh", 10, 0, 0, 4096, 164, 0, 0) * 2
    s = decode_generic(data, layout)
    assert len(s) == 2
    assert s.acc_g.tolist() == [[0.0, 0.0, 1.0]] * 2
    assert s.gyro_dps is not None and s.gyro_dps[0, 0] == pytest.approx(10.0)
    assert s.time_ms is not None and s.time_ms.tolist() == [10.0, 10.0]
    with pytest.raises(DecodeError, match="whole 16-byte records"):
        decode_generic(data[:-1], layout)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"struct_format": "hhh"}, "byte order"),
        ({"struct_format": "<hh"}, "has 2 items"),
        ({"fields": ("acc_x", "acc_y", "acc_q")}, "unknown name"),
        ({"fields": ("acc_x", "acc_y", "skip")}, "required"),
        ({"scales": (1.0,)}, "expected 3 factors"),
    ],
)
def test_generic_layout_rejects(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "struct_format": "<hhh",
        "fields": ("acc_x", "acc_y", "acc_z"),
        "scales": (1.0, 1.0, 1.0),
    }
    with pytest.raises(ValueError, match=message):
        GenericLayout(**{**base, **kwargs})  # type: ignore[arg-type]
