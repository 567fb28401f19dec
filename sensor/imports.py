"""Files people already have: Polar Sensor Logger ACC exports and phyphox accelerometer exports.

Both become sources for ``analyze``/``replay`` (registered in ``sensor.sources.FILE_READERS``).
Neither file says where the sensor was worn or how it was turned: ``--placement`` and
``--body-axes`` say it (``SourceOptions``); the Polar export defaults to a Polar H10 on the
chest, a phyphox export needs ``--placement``.

References
----------
Polar Sensor Logger (Android app by Jukka Happonen) ``*_ACC.txt``: semicolon-separated,
``Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]``, the sensor timestamp in ns
since 2000-01-01 (the Polar SDK's clock). phyphox (RWTH Aachen) CSV export of the
"Acceleration with g" experiment: quoted header ``"Time (s)","Acceleration x (m/s^2)",...``,
separator and decimal point as chosen in the export dialog. Standard gravity 9.80665 m/s².
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from analysis.frame import parse_body_axes
from analysis.types import FloatArray, Placement, Samples, StreamInfo
from analysis.units import STANDARD_GRAVITY_M_S2
from sensor.errors import RecordingError
from sensor.identity import band_id_for
from sensor.recording import (
    MAX_ABS_ACC_G,
    MAX_RATE_HZ,
    MIN_RATE_HZ,
    measured_rate_hz,
    settle_rate,
    to_body,
)
from sensor.safeio import TooLong, bounded_lines, strip_bom
from sensor.sources import FILE_READERS, Source, SourceOptions

log = logging.getLogger(__name__)

POLAR_COLUMNS = ("sensor timestamp [ns]", "X [mg]", "Y [mg]", "Z [mg]")
PHYPHOX_TIME = "Time (s)"
PHYPHOX_AXES = ("Acceleration x (m/s^2)", "Acceleration y (m/s^2)", "Acceleration z (m/s^2)")
#: The Polar H10 profile's axes, for a Polar export that does not say otherwise.
POLAR_DEFAULT_AXES = "+z,+x,+y"


@dataclass
class ImportedSource:
    """A whole imported file held as one sensor-frame chunk, yielded in pieces."""

    path: str
    samples: Samples
    placement: Placement
    body_axes: str
    sample_rate_hz: float
    device: str
    chunk_rows: int

    @property
    def name(self) -> str:
        return self.device

    @property
    def band_id(self) -> str:
        return band_id_for(name=self.device or Path(self.path).stem)

    @property
    def info(self) -> StreamInfo:
        return StreamInfo(sample_rate_hz=self.sample_rate_hz, placement=self.placement)

    def chunks(self) -> Iterator[Samples]:
        yield from self.samples.chunks(self.chunk_rows) if len(self.samples) else []

    def body_chunks(self) -> Iterator[Samples]:
        matrix = parse_body_axes(self.body_axes)
        for chunk in self.chunks():
            yield to_body(chunk, matrix)


def _nominal_rate(path: str, t: FloatArray, given: float | None) -> float:
    measured = measured_rate_hz(t)
    if given is not None:
        return settle_rate(path, given, measured)
    if measured is None:
        raise RecordingError(path, None, "expected at least three samples to tell the sample rate")
    rate = float(round(measured)) if measured >= 10 else measured
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise RecordingError(
            path,
            None,
            f"its timestamps show {rate:.4g} Hz; expected a rate within "
            f"{MIN_RATE_HZ:g}..{MAX_RATE_HZ:g} Hz",
        )
    return rate


def _check_increasing(path: str, t: FloatArray, lines: NDArray[np.int64]) -> None:
    bad = np.flatnonzero(np.diff(t) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise RecordingError(
            path, int(lines[i]), f"time must increase: {t[i]:.9g} after {t[i - 1]:.9g}"
        )


def _check_range(path: str, acc_g: FloatArray, lines: NDArray[np.int64]) -> None:
    beyond = np.flatnonzero(np.any(np.abs(acc_g) > MAX_ABS_ACC_G, axis=1))
    if beyond.size:
        i = int(beyond[0])
        raise RecordingError(
            path,
            int(lines[i]),
            f"expected accelerations within ±{MAX_ABS_ACC_G:g} g (beyond any sensor's range), "
            f"got {np.max(np.abs(acc_g[i])):g} g",
        )


def _axes(path: str, text: str) -> str:
    try:
        parse_body_axes(text)
    except ValueError as err:
        raise RecordingError(path, None, f"body_axes: {err}") from None
    return text


def _finite(text: str) -> float:
    """A number as the exports write it; ``ValueError`` for anything else (``nan``, ``1_0``)."""
    if "_" in text:
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _lines(path: str, f: TextIO) -> Iterator[tuple[int, str]]:
    """Numbered lines of an export, each bounded (``RecordingError`` for a longer one)."""
    lineno = 0
    try:
        for lineno, line in enumerate(bounded_lines(f), start=1):
            yield lineno, strip_bom(line) if lineno == 1 else line
    except TooLong as err:
        raise RecordingError(path, lineno + 1, str(err)) from None


class _Table:
    """Rows of numbers gathered in fixed-size numpy blocks, with their line numbers."""

    BLOCK = 65_536

    def __init__(self, width: int) -> None:
        self.width = width
        self._blocks: list[FloatArray] = []
        self._lines: list[NDArray[np.int64]] = []
        self._block = np.empty((self.BLOCK, width))
        self._block_lines = np.empty(self.BLOCK, dtype=np.int64)
        self._n = 0

    def add(self, row: list[float], line: int) -> None:
        if self._n == self.BLOCK:
            self._blocks.append(self._block)
            self._lines.append(self._block_lines)
            self._block = np.empty((self.BLOCK, self.width))
            self._block_lines = np.empty(self.BLOCK, dtype=np.int64)
            self._n = 0
        self._block[self._n] = row
        self._block_lines[self._n] = line
        self._n += 1

    def arrays(self) -> tuple[FloatArray, NDArray[np.int64]]:
        values = np.concatenate([*self._blocks, self._block[: self._n]])
        lines = np.concatenate([*self._lines, self._block_lines[: self._n]])
        return values, lines


# --------------------------------------------------------------- Polar Sensor Logger


def sniff_polar(first_line: str) -> bool:
    return "sensor timestamp [ns]" in first_line and "X [mg]" in first_line


def read_polar_acc(path: str | Path, options: SourceOptions) -> ImportedSource:
    """Read a Polar Sensor Logger ``*_ACC.txt`` export.

    Raises
    ------
    RecordingError
        For a missing column, a non-numeric value, a value beyond any sensor's range, a line
        beyond ``MAX_LINE_CHARS`` or time that does not increase.
    """
    path = str(path)
    ts: list[int] = []
    table = _Table(3)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = _lines(path, f)
        _, first = next(lines, (1, ""))
        header = [c.strip() for c in first.rstrip("\r\n").split(";")]
        missing = [c for c in POLAR_COLUMNS if c not in header]
        if missing:
            raise RecordingError(path, 1, f"missing column {missing[0]!r} of a Polar ACC export")
        cols = [header.index(c) for c in POLAR_COLUMNS]
        for lineno, line in lines:
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split(";")
            try:
                stamp = fields[cols[0]].strip()
                if "_" in stamp:
                    raise ValueError(stamp)
                stamp_ns = int(stamp)
                if abs(stamp_ns) >= 2**62:  # centuries past 2000: not a Polar timestamp
                    raise ValueError(stamp)
                ts.append(stamp_ns)
                table.add([_finite(fields[c]) for c in cols[1:]], lineno)
            except (ValueError, IndexError):
                raise RecordingError(
                    path,
                    lineno,
                    f"expected {len(header)} ';'-separated fields with numbers in "
                    f"{', '.join(POLAR_COLUMNS)}, got {line.strip()[:60]!r}",
                ) from None
    if not ts:
        raise RecordingError(path, None, "no samples after the header")
    mg, line_of = table.arrays()
    t_ns = np.asarray(ts, dtype=np.int64)
    t = (t_ns - t_ns[0]).astype(np.float64) / 1e9
    _check_increasing(path, t, line_of)
    acc_g = mg / 1000.0
    _check_range(path, acc_g, line_of)
    placement = options.placement or Placement.CHEST
    axes = _axes(path, options.body_axes or POLAR_DEFAULT_AXES)
    if options.placement is None or options.body_axes is None:
        log.info(
            "%s: assuming a Polar H10 (placement %s, body axes %s); pass --placement and "
            "--body-axes if it was worn otherwise",
            path,
            placement.value,
            axes,
        )
    samples = Samples(time_s=t, acc_g=acc_g)
    return ImportedSource(
        path,
        samples,
        placement,
        axes,
        _nominal_rate(path, t, options.sample_rate_hz),
        "Polar Sensor Logger export",
        options.chunk_rows,
    )


# --------------------------------------------------------------------------- phyphox


def sniff_phyphox(first_line: str) -> bool:
    first_line = strip_bom(first_line)
    return (
        first_line.lstrip().startswith('"')
        and PHYPHOX_TIME in first_line
        and ("Acceleration" in first_line)
    )


def read_phyphox(path: str | Path, options: SourceOptions) -> ImportedSource:
    """Read a phyphox "Acceleration with g" CSV export (any separator and decimal mark).

    Raises
    ------
    RecordingError
        For an export without gravity ("Linear Acceleration"), a missing column, no
        ``--placement``, a non-numeric value, a value beyond any sensor's range, a line
        beyond ``MAX_LINE_CHARS`` or time that does not increase.
    """
    path = str(path)
    table = _Table(4)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = _lines(path, f)
        _, first = next(lines, (1, ""))
        if "Linear Acceleration" in first:
            raise RecordingError(
                path,
                1,
                "this phyphox export has gravity removed (Linear Acceleration); export the "
                "'Acceleration with g' experiment instead",
            )
        sep = next((s for s in (",", ";", "\t") if f'"{s}"' in first), ",")
        header = [c.strip() for c in next(csv.reader([first], delimiter=sep, quotechar='"'), [])]
        wanted = (PHYPHOX_TIME, *PHYPHOX_AXES)
        missing = [c for c in wanted if c not in header]
        if missing:
            raise RecordingError(path, 1, f"missing column {missing[0]!r} of a phyphox export")
        if options.placement is None:
            raise RecordingError(
                path, None, "a phyphox export cannot say where the phone was: pass --placement"
            )
        cols = [header.index(c) for c in wanted]
        for lineno, line in lines:
            row = next(csv.reader([line], delimiter=sep, quotechar='"'), [])
            if not row or not "".join(row).strip():
                continue
            try:
                table.add([_finite(row[c].strip().replace(",", ".")) for c in cols], lineno)
            except (ValueError, IndexError):
                raise RecordingError(
                    path,
                    lineno,
                    f"expected numbers in {', '.join(wanted)}, got {sep.join(row)[:60]!r}",
                ) from None
    values, line_of = table.arrays()
    if values.shape[0] == 0:
        raise RecordingError(path, None, "no samples after the header")
    t = values[:, 0] - values[0, 0]
    _check_increasing(path, t, line_of)
    acc_g = values[:, 1:4] / STANDARD_GRAVITY_M_S2
    _check_range(path, acc_g, line_of)
    axes = _axes(path, options.body_axes or "+x,+y,+z")
    samples = Samples(time_s=t, acc_g=acc_g)
    return ImportedSource(
        path,
        samples,
        options.placement,
        axes,
        _nominal_rate(path, t, options.sample_rate_hz),
        "phyphox export",
        options.chunk_rows,
    )


def _open_polar(path: Path, options: SourceOptions) -> Source:
    return read_polar_acc(path, options)


def _open_phyphox(path: Path, options: SourceOptions) -> Source:
    return read_phyphox(path, options)


FILE_READERS.append((sniff_polar, _open_polar))
FILE_READERS.append((sniff_phyphox, _open_phyphox))
