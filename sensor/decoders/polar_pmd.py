"""Polar Measurement Data (PMD) service: control point commands and responses, data frames.

The Polar H10 streams its accelerometer over this service. A client enables indications on the
control point, may read it (``0F <feature mask>``), asks for the settings of a measurement
(``01 <type>``), starts it with every setting chosen (``02 <type> (<setting> 01 <value>)...``)
and must stop it (``03 <type>``): a strap left streaming stays awake until its battery is flat.

Data frames: byte 0 measurement type, bytes 1-8 a little-endian u64 timestamp in nanoseconds
since 2000-01-01T00:00Z of the *last* sample in the frame, byte 9 the frame type (bit 7 set =
delta-compressed; low 7 bits the type), then the samples.

References
----------
polarofficial/polar-ble-sdk (commit 8fb5311c), Android sources under
``sources/Android/android-communications/.../gatt/client/pmd/``: ``BlePMDClient.kt`` (UUIDs,
``parseDeltaFramesAll``), ``PmdDataFrame.kt`` (frame header), ``PmdSetting.kt`` (setting types
and field sizes), ``PmdControlPointResponse.kt`` (response layout, status codes 0-14),
``model/AccData.kt`` (ACC frame types and factors), ``model/PmdTimeStampUtils.kt`` (sample
times); ``documentation/TimeSystemExplained.md`` (epoch 2000-01-01, clock reset) and
``documentation/KnownIssues.md`` (a stream left running drains the battery); polar-ble-sdk
issue 124 (the H10 answers ERROR_INVALID_PARAMETER unless the resolution is sent too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from sensor.errors import DecodeError

PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_POINT = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

#: Seconds from 1970-01-01 to 2000-01-01, the PMD epoch (TimeSystemExplained.md).
PMD_EPOCH_UNIX_S = 946_684_800

#: First byte of a control point response (PmdControlPointResponse.kt).
RESPONSE_CODE = 0xF0
#: First byte of the control point's read value: the feature mask follows (BlePMDClient.kt).
FEATURES_CODE = 0x0F

IntArray = NDArray[np.int64]


class MeasurementType(IntEnum):
    """PMD measurement types (PmdMeasurementType.kt)."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAGNETOMETER = 6


class SettingType(IntEnum):
    """PMD setting types; the value is the wire code (PmdSetting.kt)."""

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5
    SECURITY = 6


#: Field size in bytes of each setting's values (PmdSetting.kt, ``typeToFieldSize``).
SETTING_SIZES: dict[SettingType, int] = {
    SettingType.SAMPLE_RATE: 2,
    SettingType.RESOLUTION: 2,
    SettingType.RANGE: 2,
    SettingType.RANGE_MILLIUNIT: 4,
    SettingType.CHANNELS: 1,
    SettingType.FACTOR: 4,
    SettingType.SECURITY: 16,
}


class OpCode(IntEnum):
    """Client-to-sensor control point operations (PmdControlPointCommand.kt)."""

    GET_SETTINGS = 1
    START = 2
    STOP = 3


#: Response status codes (PmdControlPointResponse.kt, ``PmdControlPointResponseCode``).
STATUS_NAMES = (
    "SUCCESS",
    "ERROR_INVALID_OP_CODE",
    "ERROR_INVALID_MEASUREMENT_TYPE",
    "ERROR_NOT_SUPPORTED",
    "ERROR_INVALID_LENGTH",
    "ERROR_INVALID_PARAMETER",
    "ERROR_ALREADY_IN_STATE",
    "ERROR_INVALID_RESOLUTION",
    "ERROR_INVALID_SAMPLE_RATE",
    "ERROR_INVALID_RANGE",
    "ERROR_INVALID_MTU",
    "ERROR_INVALID_NUMBER_OF_CHANNELS",
    "ERROR_INVALID_STATE",
    "ERROR_DEVICE_IN_CHARGER",
    "ERROR_DISK_FULL",
)
STATUS_ALREADY_IN_STATE = 6


def status_name(status: int) -> str:
    """The SDK's name of a status code, or ``"status N"`` for one it does not know."""
    return STATUS_NAMES[status] if 0 <= status < len(STATUS_NAMES) else f"status {status}"


# --------------------------------------------------------------------------- control point


def decode_features(data: bytes) -> frozenset[MeasurementType]:
    """The measurements a sensor offers, from a read of the control point (``0F <mask>``).

    Raises
    ------
    DecodeError
        If the value does not start with ``0F`` and a mask byte.
    """
    if len(data) < 2 or data[0] != FEATURES_CODE:
        raise DecodeError("pmd_features", f"expected '0f <mask>', got {data.hex()!r}")
    mask = data[1]
    return frozenset(m for m in MeasurementType if mask & (1 << int(m)))


def encode_get_settings(measurement: MeasurementType) -> bytes:
    """The command asking which settings a measurement supports."""
    return bytes([OpCode.GET_SETTINGS, measurement])


def encode_start(measurement: MeasurementType, settings: Mapping[SettingType, int]) -> bytes:
    """The start command with every given setting, in wire-code order.

    Each setting is sent as ``<type> 01 <value, little-endian, SETTING_SIZES bytes>``; the
    factor is never sent (PmdSetting.kt ``serializeSelected``).
    """
    out = bytearray([OpCode.START, measurement])
    for kind in sorted(settings):
        if kind is SettingType.FACTOR:
            continue
        size = SETTING_SIZES[kind]
        out += bytes([kind, 1]) + int(settings[kind]).to_bytes(size, "little", signed=False)
    return bytes(out)


def encode_stop(measurement: MeasurementType) -> bytes:
    """The stop command."""
    return bytes([OpCode.STOP, measurement])


@dataclass(frozen=True)
class ControlPointResponse:
    """A control point indication ``F0 <op> <type> <status> [<more> <parameters>...]``."""

    op: int
    measurement: int
    status: int
    more: bool = False
    parameters: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def status_name(self) -> str:
        return status_name(self.status)


def decode_control_point_response(data: bytes) -> ControlPointResponse:
    """Decode a control point indication.

    Raises
    ------
    DecodeError
        If the payload is not ``F0`` followed by at least op, type and status.
    """
    if len(data) < 4 or data[0] != RESPONSE_CODE:
        raise DecodeError(
            "pmd_response", f"expected 'f0 <op> <type> <status> ...', got {data.hex()!r}"
        )
    status = data[3]
    more = status == 0 and len(data) > 4 and data[4] != 0
    params = bytes(data[5:]) if status == 0 and len(data) > 5 else b""
    return ControlPointResponse(
        op=data[1], measurement=data[2], status=status, more=more, parameters=params
    )


def decode_settings(data: bytes) -> dict[SettingType, tuple[int, ...]]:
    """Settings as ``<type> <count> <values...>`` runs (a settings response's parameters).

    The factor is a little-endian float32 and comes back as its raw bits; use
    ``factor_from_bits``.

    Raises
    ------
    DecodeError
        For an unknown setting type or a run cut short.
    """
    out: dict[SettingType, tuple[int, ...]] = {}
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            raise DecodeError("pmd_settings", f"setting header cut off at byte {i}")
        try:
            kind = SettingType(data[i])
        except ValueError:
            raise DecodeError(
                "pmd_settings", f"unknown setting type {data[i]} at byte {i}"
            ) from None
        count = data[i + 1]
        size = SETTING_SIZES[kind]
        i += 2
        if i + count * size > len(data):
            raise DecodeError("pmd_settings", f"{kind.name} values cut off at byte {i}")
        signed = kind is not SettingType.FACTOR
        out[kind] = tuple(
            int.from_bytes(data[i + k * size : i + (k + 1) * size], "little", signed=signed)
            for k in range(count)
        )
        i += count * size
    return out


def factor_from_bits(bits: int) -> float:
    """The float32 a FACTOR setting carries as raw little-endian bits."""
    return float(np.frombuffer(int(bits).to_bytes(4, "little"), dtype="<f4")[0])


# --------------------------------------------------------------------------- data frames


@dataclass(frozen=True, eq=False)
class PmdFrame:
    """One decoded data frame, before scaling.

    Attributes
    ----------
    measurement
        The measurement type byte.
    timestamp_ns
        Sensor time of the last sample, ns since 2000-01-01T00:00Z.
    frame_type
        The low 7 bits of byte 9.
    compressed
        Bit 7 of byte 9.
    values
        ``(n, channels)`` integer samples as sent (after delta expansion).
    """

    measurement: int
    timestamp_ns: int
    frame_type: int
    compressed: bool
    values: IntArray = field(repr=False)


#: Bytes per channel value of raw frame types 0/1/2 (AccData.kt TYPE_n_SAMPLE_SIZE_IN_BYTES).
RAW_WIDTH_BYTES = {0: 1, 1: 2, 2: 3}
HEADER_BYTES = 10


def decode_pmd_frame(data: bytes, channels: int = 3, resolution_bits: int = 16) -> PmdFrame:
    """Decode a PMD data frame into integer samples.

    Parameters
    ----------
    data
        The notification payload of the data characteristic.
    channels
        Values per sample (3 for ACC).
    resolution_bits
        Width of a compressed frame's reference sample (16 for the H10's ACC).

    Raises
    ------
    DecodeError
        For a short header, an unknown raw frame type, a payload that is not whole samples,
        or a delta block that is cut off.
    """
    if len(data) < HEADER_BYTES:
        raise DecodeError("pmd_frame", f"expected a 10-byte header, got {len(data)} bytes")
    measurement = data[0]
    timestamp_ns = int.from_bytes(data[1:9], "little")
    frame_type = data[9] & 0x7F
    compressed = bool(data[9] & 0x80)
    body = bytes(data[HEADER_BYTES:])
    if compressed:
        values = decode_delta_frames(body, channels, resolution_bits)
    else:
        width = RAW_WIDTH_BYTES.get(frame_type)
        if width is None:
            raise DecodeError("pmd_frame", f"raw frame type {frame_type} is not an ACC layout")
        step = width * channels
        if not body or len(body) % step:
            raise DecodeError(
                "pmd_frame",
                f"expected whole {step}-byte samples (type {frame_type}), got {len(body)} bytes",
            )
        values = _signed_le(body, width).reshape(-1, channels)
    return PmdFrame(measurement, timestamp_ns, frame_type, compressed, values)


def _signed_le(body: bytes, width: int) -> IntArray:
    """Little-endian two's complement integers of ``width`` bytes each."""
    raw = np.frombuffer(body, dtype=np.uint8).reshape(-1, width).astype(np.int64)
    value = np.zeros(raw.shape[0], dtype=np.int64)
    for k in range(width):
        value |= raw[:, k] << (8 * k)
    sign = np.int64(1) << (8 * width - 1)
    return np.where(value & sign, value - (sign << 1), value)


def decode_delta_frames(body: bytes, channels: int, resolution_bits: int) -> IntArray:
    """Expand a delta-compressed frame body.

    A reference sample (``channels`` signed values of ``ceil(resolution_bits / 8)`` bytes)
    is followed by blocks ``<bit width u8> <sample count u8> <count x channels x width bits>``;
    bits are read least significant first, each delta is two's complement and is added to
    the sample before it (BlePMDClient.kt ``parseDeltaFramesAll``).
    """
    ref_bytes = -(-resolution_bits // 8)
    need = ref_bytes * channels
    if len(body) < need:
        raise DecodeError("pmd_frame", f"expected a {need}-byte reference sample, got {len(body)}")
    ref = _signed_le(body[:need], ref_bytes)
    blocks = [ref.reshape(1, channels)]
    i = need
    while i < len(body):
        if i + 2 > len(body):
            raise DecodeError("pmd_frame", f"delta block header cut off at byte {i}")
        width, count = body[i], body[i + 1]
        i += 2
        nbits = width * count * channels
        nbytes = -(-nbits // 8)
        if width > 32 or i + nbytes > len(body):
            raise DecodeError(
                "pmd_frame", f"delta block of {count} x {width}-bit samples cut off at byte {i}"
            )
        if width == 0:
            deltas = np.zeros((count, channels), dtype=np.int64)
        else:
            bits = np.unpackbits(
                np.frombuffer(body[i : i + nbytes], dtype=np.uint8), bitorder="little"
            )[:nbits].astype(np.int64)
            weights = np.int64(1) << np.arange(width, dtype=np.int64)
            vals = bits.reshape(-1, width) @ weights
            top = np.int64(1) << (width - 1)
            vals = np.where(vals & top, vals - (top << 1), vals)
            deltas = vals.reshape(count, channels)
        blocks.append(deltas)
        i += nbytes
    stacked = np.concatenate(blocks)
    return np.cumsum(stacked, axis=0)


def acc_mg(frame: PmdFrame, factor: float = 1.0) -> NDArray[np.float64]:
    """ACC frame values in milli-g, as AccData.kt scales each frame type.

    Raw frames carry mG; compressed type 1 carries counts times ``factor`` (mG); compressed
    type 0 carries counts times ``factor`` in g.

    Raises
    ------
    DecodeError
        For a compressed frame type the SDK's ACC parser does not know either.
    """
    v = frame.values.astype(np.float64)
    if not frame.compressed:
        return v
    if frame.frame_type == 0:
        return v * (factor * 1000.0)
    if frame.frame_type == 1:
        return v * factor if factor != 1.0 else v
    raise DecodeError("pmd_frame", f"compressed ACC frame type {frame.frame_type} is not known")


def gyro_dps(frame: PmdFrame, factor: float = 1.0) -> NDArray[np.float64]:
    """GYRO frame values in deg/s: compressed type 0 carries counts times ``factor``
    (GyrData.kt ``dataFromCompressedType0``; the factor comes in the start response).

    Raises
    ------
    DecodeError
        For a frame type the SDK's gyroscope parser does not know either (raw frames,
        compressed types other than 0).
    """
    if not frame.compressed or frame.frame_type != 0:
        kind = "compressed" if frame.compressed else "raw"
        raise DecodeError("pmd_frame", f"{kind} GYRO frame type {frame.frame_type} is not known")
    return frame.values.astype(np.float64) * factor


def sample_times_ns(
    frame_timestamp_ns: int,
    n: int,
    sample_rate_hz: float,
    previous_timestamp_ns: int | None = None,
    max_gap_periods: float = 1.5,
) -> NDArray[np.float64]:
    """Times of a frame's samples, the last one at the frame timestamp.

    With the previous frame's timestamp the interval between the two is shared evenly among
    the ``n`` samples (PmdTimeStampUtils.kt), which follows the sensor's real rate. Where that
    interval is longer than ``n + max_gap_periods`` nominal periods, frames were lost: the
    samples are then spaced at the nominal rate back from the timestamp, so the loss shows
    as a gap rather than stretched samples.
    """
    period_ns = 1e9 / sample_rate_hz
    if previous_timestamp_ns is not None and previous_timestamp_ns < frame_timestamp_ns:
        span = frame_timestamp_ns - previous_timestamp_ns
        if span <= (n + max_gap_periods) * period_ns and span >= (n - max_gap_periods) * period_ns:
            period_ns = span / n
    return frame_timestamp_ns - period_ns * np.arange(n - 1, -1, -1, dtype=np.float64)
