"""A generic accelerometer/gyroscope characteristic described by a ``struct`` layout.

Custom ESP32/Arduino bands notify fixed-size records; a device TOML names the characteristic,
the record's ``struct`` format, what each item is and how to scale it, so adding such a band
needs a file, not code. A notification may hold several records back to back.

References
----------
Python ``struct`` module format strings (byte order prefix ``<``/``>``, item codes).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sensor.errors import DecodeError

ACC_FIELDS = ("acc_x", "acc_y", "acc_z")
GYRO_FIELDS = ("gyro_x", "gyro_y", "gyro_z")
#: Item names a layout may use: the axes, a sample counter in milliseconds, or padding.
FIELD_NAMES = (*ACC_FIELDS, *GYRO_FIELDS, "time_ms", "skip")
#: The largest attribute value ATT carries (Core Specification Vol 3 Part F 3.2.9): no
#: notification, so no record, is longer.
MAX_RECORD_BYTES = 512


@dataclass(frozen=True)
class GenericLayout:
    """How to read one record.

    Parameters
    ----------
    struct_format
        A ``struct`` format of one record, with byte order (``"<hhh"``).
    fields
        One name per item: ``acc_x``/``acc_y``/``acc_z`` (required), ``gyro_x``/``gyro_y``/
        ``gyro_z`` (all or none), ``time_ms`` (the band's own clock, optional), ``skip``.
    scales
        One factor per item turning it into g, deg/s or ms (``skip`` items: any value).
    """

    struct_format: str
    fields: tuple[str, ...]
    scales: tuple[float, ...]
    _struct: struct.Struct = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.struct_format or self.struct_format[0] not in "<>!=":
            raise ValueError(
                f"struct_format: expected a byte order first ('<' little-endian), "
                f"got {self.struct_format!r}"
            )
        try:
            st = struct.Struct(self.struct_format)
        except struct.error as err:
            raise ValueError(f"struct_format {self.struct_format!r}: {err}") from None
        if not 0 < st.size <= MAX_RECORD_BYTES:
            raise ValueError(
                f"struct_format: expected a record of 1..{MAX_RECORD_BYTES} bytes (what one "
                f"notification can carry), got {st.size:,}"
            )
        zero = st.unpack(bytes(st.size))
        if not all(isinstance(v, (int, float)) for v in zero):
            raise ValueError(
                f"struct_format: expected number items (b, h, i, q, e, f, d, ...), "
                f"got {self.struct_format!r}"
            )
        items = len(zero)
        if len(self.fields) != items:
            raise ValueError(
                f"fields: struct_format {self.struct_format!r} has {items} items, "
                f"got {len(self.fields)} names"
            )
        if len(self.scales) != items:
            raise ValueError(f"scales: expected {items} factors, got {len(self.scales)}")
        if not all(math.isfinite(x) for x in self.scales):
            raise ValueError(f"scales: expected finite factors, got {list(self.scales)}")
        unknown = [f for f in self.fields if f not in FIELD_NAMES]
        if unknown:
            raise ValueError(
                f"fields: unknown name {unknown[0]!r}; expected {', '.join(FIELD_NAMES)}"
            )
        named = [f for f in self.fields if f != "skip"]
        if len(set(named)) != len(named):
            raise ValueError("fields: a name appears twice")
        if not all(a in self.fields for a in ACC_FIELDS):
            raise ValueError("fields: acc_x, acc_y and acc_z are required")
        gyro = [g for g in GYRO_FIELDS if g in self.fields]
        if gyro and len(gyro) != 3:
            raise ValueError("fields: expected all of gyro_x, gyro_y, gyro_z or none")
        object.__setattr__(self, "_struct", st)

    @property
    def record_bytes(self) -> int:
        return self._struct.size

    @property
    def has_gyro(self) -> bool:
        return "gyro_x" in self.fields

    @property
    def has_time(self) -> bool:
        return "time_ms" in self.fields


@dataclass(frozen=True, eq=False)
class GenericSamples:
    """The records of one notification, scaled, sensor axes."""

    acc_g: NDArray[np.float64] = field(repr=False)
    gyro_dps: NDArray[np.float64] | None = field(repr=False, default=None)
    time_ms: NDArray[np.float64] | None = field(repr=False, default=None)

    def __len__(self) -> int:
        return int(self.acc_g.shape[0])


def decode_generic(data: bytes, layout: GenericLayout) -> GenericSamples:
    """Decode the whole records of a notification.

    Raises
    ------
    DecodeError
        If the payload is not a whole number of records.
    """
    size = layout.record_bytes
    if not data or len(data) % size:
        raise DecodeError(
            "generic",
            f"expected whole {size}-byte records ({layout.struct_format}), got {len(data)} bytes",
        )
    rows = np.array(list(layout._struct.iter_unpack(data)), dtype=np.float64)
    # Float items may hold anything; what overflows is refused by the range check after.
    with np.errstate(over="ignore", invalid="ignore"):
        rows *= np.asarray(layout.scales, dtype=np.float64)
    idx = {name: i for i, name in enumerate(layout.fields)}

    def cols(names: tuple[str, ...]) -> NDArray[np.float64]:
        return np.ascontiguousarray(rows[:, [idx[n] for n in names]])

    return GenericSamples(
        acc_g=cols(ACC_FIELDS),
        gyro_dps=cols(GYRO_FIELDS) if layout.has_gyro else None,
        time_ms=np.ascontiguousarray(rows[:, idx["time_ms"]]) if layout.has_time else None,
    )
