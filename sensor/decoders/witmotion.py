"""WitMotion BWT901BLE-family IMUs (BLE 5.0 versions): 20-byte ``55 61`` frames and commands.

References
----------
WITMOTION/WitBluetooth_BWT901BLE5_0, ``Python/BWT901BLE5.0_python_sdk/device_model.py``:
service ``0000ffe5-0000-1000-8000-00805f9a34fb``, notify ``...ffe4...``, write ``...ffe9...``
(the vendor spells the base ``9a34fb``, not the SIG's ``9b34fb``); frame ``55 61`` then nine
little-endian int16: acceleration / 32768 x 16 g, angular rate / 32768 x 2000 deg/s, angle /
32768 x 180 deg; ``55 71`` frames answer register reads. Commands ``FF AA <reg> <lo> <hi>``;
unlock ``FF AA 69 88 B5``. *WIT Standard Communication Protocol*, register 0x03 RRATE (return
rate): 0x06 10 Hz, 0x07 20 Hz, 0x08 50 Hz, 0x09 100 Hz, 0x0B 200 Hz.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sensor.errors import DecodeError

WITMOTION_SERVICE = "0000ffe5-0000-1000-8000-00805f9a34fb"
WITMOTION_NOTIFY = "0000ffe4-0000-1000-8000-00805f9a34fb"
WITMOTION_WRITE = "0000ffe9-0000-1000-8000-00805f9a34fb"

FRAME_BYTES = 20
HEADER = 0x55
FLAG_DATA = 0x61
FLAG_REGISTERS = 0x71
ACC_FULL_SCALE_G = 16.0
GYRO_FULL_SCALE_DPS = 2000.0
ANGLE_FULL_SCALE_DEG = 180.0

#: Register 0x03 (RRATE) codes per output rate (WIT Standard Communication Protocol).
RATE_CODES: dict[int, int] = {10: 0x06, 20: 0x07, 50: 0x08, 100: 0x09, 200: 0x0B}
REG_RATE = 0x03
UNLOCK = bytes([0xFF, 0xAA, 0x69, 0x88, 0xB5])


@dataclass(frozen=True, eq=False)
class WitMotionSamples:
    """The data frames of one notification, ``(n, 3)`` each, sensor axes."""

    acc_g: NDArray[np.float64] = field(repr=False)
    gyro_dps: NDArray[np.float64] = field(repr=False)
    angle_deg: NDArray[np.float64] = field(repr=False)

    def __len__(self) -> int:
        return int(self.acc_g.shape[0])


def decode_witmotion(data: bytes) -> WitMotionSamples:
    """Decode the ``55 61`` frames of a notification; ``55 71`` register replies are skipped.

    Raises
    ------
    DecodeError
        If the payload is not whole 20-byte frames, or a frame does not start ``55 61``/``55 71``.
    """
    if not data or len(data) % FRAME_BYTES:
        raise DecodeError("witmotion", f"expected whole 20-byte frames, got {len(data)} bytes")
    frames = np.frombuffer(data, dtype=np.uint8).reshape(-1, FRAME_BYTES)
    heads = frames[:, 0]
    flags = frames[:, 1]
    bad = (heads != HEADER) | ((flags != FLAG_DATA) & (flags != FLAG_REGISTERS))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DecodeError(
            "witmotion",
            f"frame {k}: expected '55 61' or '55 71', got {bytes(frames[k, :2]).hex()!r}",
        )
    body = frames[flags == FLAG_DATA, 2:].copy()
    values = body.view("<i2").astype(np.float64).reshape(-1, 9)
    return WitMotionSamples(
        acc_g=values[:, 0:3] / 32768.0 * ACC_FULL_SCALE_G,
        gyro_dps=values[:, 3:6] / 32768.0 * GYRO_FULL_SCALE_DPS,
        angle_deg=values[:, 6:9] / 32768.0 * ANGLE_FULL_SCALE_DEG,
    )


def encode_register_write(register: int, value: int) -> bytes:
    """``FF AA <reg> <value lo> <value hi>``."""
    return bytes([0xFF, 0xAA, register & 0xFF, value & 0xFF, (value >> 8) & 0xFF])


def encode_rate_commands(rate_hz: int) -> list[bytes]:
    """Unlock, then set the output rate (not saved to flash, so every connect sets it).

    Raises
    ------
    ValueError
        For a rate the register does not offer.
    """
    if rate_hz not in RATE_CODES:
        raise ValueError(f"expected an output rate of {sorted(RATE_CODES)} Hz, got {rate_hz}")
    return [UNLOCK, encode_register_write(REG_RATE, RATE_CODES[rate_hz])]
