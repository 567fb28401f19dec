"""Movesense sensors running the GATT sensor data protocol (GSP).

References
----------
sensein/movesense-py, ``src/movesense/sensor.py``: service
``34802252-7185-4d5d-b431-630e7050e8f0``, write ``34800001-...``, notify ``34800002-...``;
commands ``[op, reference, ...]`` with HELLO 0, SUBSCRIBE 1, UNSUBSCRIBE 2; responses
``[code, reference, ...]`` with 1 = command response, 2 = data, 3 = data part 2. The
Movesense device library's ``gatt_sensordata_app`` sample sends the resource path as UTF-8
after the reference (``/Meas/IMU6/52``) and its data as a u32 millisecond timestamp of the
first sample followed by float32 vectors (IMU6: all accelerometer vectors in m/s², then all
gyroscope vectors in deg/s). Standard gravity 9.80665 m/s² (CGPM 1901).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from analysis.units import STANDARD_GRAVITY_M_S2
from sensor.errors import DecodeError

GSP_SERVICE = "34802252-7185-4d5d-b431-630e7050e8f0"
GSP_WRITE = "34800001-7185-4d5d-b431-630e7050e8f0"
GSP_NOTIFY = "34800002-7185-4d5d-b431-630e7050e8f0"

CMD_HELLO = 0
CMD_SUBSCRIBE = 1
CMD_UNSUBSCRIBE = 2
RESP_COMMAND = 1
RESP_DATA = 2
RESP_DATA_PART2 = 3


def encode_subscribe(reference: int, resource: str) -> bytes:
    """SUBSCRIBE ``resource`` (``/Meas/IMU6/52``) under a one-byte reference."""
    return bytes([CMD_SUBSCRIBE, reference & 0xFF]) + resource.encode("utf-8")


def encode_unsubscribe(reference: int) -> bytes:
    """UNSUBSCRIBE the resource subscribed under ``reference``."""
    return bytes([CMD_UNSUBSCRIBE, reference & 0xFF])


def resource_path(imu6: bool, rate_hz: int) -> str:
    """``/Meas/IMU6/<rate>`` or ``/Meas/Acc/<rate>``."""
    return f"/Meas/{'IMU6' if imu6 else 'Acc'}/{rate_hz}"


@dataclass(frozen=True, eq=False)
class MovesenseSamples:
    """One data notification: first-sample time on the sensor clock and the vectors."""

    reference: int
    timestamp_ms: int
    acc_g: NDArray[np.float64] = field(repr=False)
    gyro_dps: NDArray[np.float64] | None = field(repr=False, default=None)


def decode_movesense(data: bytes, imu6: bool) -> MovesenseSamples | None:
    """Decode a GSP notification; command responses give ``None``.

    Raises
    ------
    DecodeError
        For an unknown response code, a continuation packet (not supported), or a payload
        that is not whole vectors.
    """
    if len(data) < 2:
        raise DecodeError("movesense", f"expected at least 2 bytes, got {len(data)}")
    code, ref = data[0], data[1]
    if code == RESP_COMMAND:
        return None
    if code == RESP_DATA_PART2:
        raise DecodeError("movesense", "continuation packets (code 3) are not supported")
    if code != RESP_DATA:
        raise DecodeError("movesense", f"expected response code 1 or 2, got {code}")
    body = data[2:]
    per_sample = 24 if imu6 else 12
    if len(body) < 4 + per_sample or (len(body) - 4) % per_sample:
        raise DecodeError(
            "movesense",
            f"expected a u32 timestamp and whole {per_sample}-byte samples, got {len(body)} bytes",
        )
    ts = int.from_bytes(body[:4], "little")
    floats = np.frombuffer(body[4:], dtype="<f4").astype(np.float64)
    n = floats.size // (6 if imu6 else 3)
    acc = floats[: 3 * n].reshape(n, 3) / STANDARD_GRAVITY_M_S2
    gyro = floats[3 * n :].reshape(n, 3) if imu6 else None
    return MovesenseSamples(reference=ref, timestamp_ms=ts, acc_g=acc, gyro_dps=gyro)
