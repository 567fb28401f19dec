"""Recording CSV version 1: a streaming reader and a line-safe writer.

The format is the shared spec ``recording-csv.md``. The reader yields numpy chunks of a fixed
number of rows, so a two-hour 200 Hz file is never held as Python lists; every bad input the
spec lists raises ``RecordingError`` with the file, the line and what was expected. A last
line without its newline is what a crash leaves behind: it is dropped with a warning.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from analysis.frame import parse_body_axes
from analysis.types import FloatArray, Placement, Samples, StreamInfo
from sensor.errors import RecordingError

log = logging.getLogger(__name__)

MAGIC = "retrosense-recording"
VERSION = "1"
ACC_COLUMNS = ("acc_x_g", "acc_y_g", "acc_z_g")
GYRO_COLUMNS = ("gyro_x_dps", "gyro_y_dps", "gyro_z_dps")
HR_COLUMN = "hr_bpm"
#: Rows per chunk: about 3 MB of float64 at seven channels, whatever the file's length.
CHUNK_ROWS = 65_536


def parse_placement(text: str) -> Placement:
    """A placement name as in the spec; raises ``ValueError`` naming the valid ones."""
    try:
        return Placement(text.strip().lower())
    except ValueError:
        valid = ", ".join(p.value for p in Placement)
        raise ValueError(f"expected a placement ({valid}), got {text!r}") from None


@dataclass(frozen=True)
class RecordingHeader:
    """The metadata and column layout of a recording."""

    path: str
    placement: Placement
    sample_rate_hz: float
    body_axes: str
    axes_matrix: FloatArray
    columns: tuple[str, ...]
    device: str | None = None
    started: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    #: Line number (1-based) of the first data row.
    first_data_line: int = 0

    @property
    def has_gyro(self) -> bool:
        return all(c in self.columns for c in GYRO_COLUMNS)

    @property
    def has_hr(self) -> bool:
        return HR_COLUMN in self.columns

    def stream_info(self, acc_range_g: float | None = None) -> StreamInfo:
        return StreamInfo(
            sample_rate_hz=self.sample_rate_hz,
            placement=self.placement,
            has_gyro=self.has_gyro,
            acc_range_g=acc_range_g,
        )


def _header_from_lines(
    path: str, meta: dict[str, tuple[int, str]], columns_line: str, columns_lineno: int
) -> RecordingHeader:
    def need(key: str) -> tuple[int, str]:
        if key not in meta:
            raise RecordingError(path, None, f"missing required metadata line '# {key}: ...'")
        return meta[key]

    line, version = need(MAGIC)
    if version.strip() != VERSION:
        raise RecordingError(path, line, f"expected format version {VERSION}, got {version!r}")
    line, placement_text = need("placement")
    try:
        placement = parse_placement(placement_text)
    except ValueError as err:
        raise RecordingError(path, line, str(err)) from err
    line, rate_text = need("sample_rate_hz")
    try:
        rate = float(rate_text)
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and 1.0 <= rate <= 10_000.0):
        raise RecordingError(
            path,
            line,
            f"sample_rate_hz: expected a number of Hz within 1..10000, got {rate_text!r}",
        )
    axes_line, axes = meta.get("body_axes", (None, "+x,+y,+z"))
    try:
        matrix = parse_body_axes(axes)
    except ValueError as err:
        raise RecordingError(
            path, axes_line, f"body_axes: expected a signed permutation of x, y, z: {err}"
        ) from err
    columns = tuple(c.strip() for c in columns_line.rstrip("\r\n").split(","))
    if not columns or columns[0] != "time_s":
        raise RecordingError(
            path,
            columns_lineno,
            f"expected the column line to start with 'time_s', got {columns[0]!r}",
        )
    for c in ACC_COLUMNS:
        if c not in columns:
            raise RecordingError(path, columns_lineno, f"missing required column {c!r}")
    gyro_present = [c for c in GYRO_COLUMNS if c in columns]
    if gyro_present and len(gyro_present) != 3:
        raise RecordingError(
            path,
            columns_lineno,
            "expected all three gyro_*_dps columns or none, got " + ", ".join(gyro_present),
        )
    if len(set(columns)) != len(columns):
        raise RecordingError(path, columns_lineno, "a column name appears twice")
    known = {MAGIC, "placement", "sample_rate_hz", "body_axes", "device", "started"}
    return RecordingHeader(
        path=path,
        placement=placement,
        sample_rate_hz=rate,
        body_axes=axes.strip(),
        axes_matrix=matrix,
        columns=columns,
        device=meta["device"][1].strip() if "device" in meta else None,
        started=meta["started"][1].strip() if "started" in meta else None,
        extra={k: v for k, (_, v) in meta.items() if k not in known},
        first_data_line=columns_lineno + 1,
    )


def _read_header(path: str, f: TextIO) -> RecordingHeader:
    meta: dict[str, tuple[int, str]] = {}
    lineno = 0
    while True:
        line = f.readline()
        lineno += 1
        if not line:
            if lineno == 1:
                raise RecordingError(path, None, "the file is empty; expected a recording CSV")
            raise RecordingError(path, lineno, "expected the column line after the metadata")
        if lineno == 1 and not line.startswith(f"# {MAGIC}:"):
            raise RecordingError(
                path, 1, f"expected '# {MAGIC}: 1' as the first line, got {line.strip()[:40]!r}"
            )
        if line.startswith("#"):
            body = line[1:].strip()
            if not body:
                continue
            key, sep, value = body.partition(":")
            if not sep:
                raise RecordingError(path, lineno, f"expected '# key: value', got {line.strip()!r}")
            meta[key.strip()] = (lineno, value.strip())
            continue
        return _header_from_lines(path, meta, line, lineno)


class RecordingReader:
    """Stream a recording CSV in chunks of sensor-frame samples.

    Parameters
    ----------
    path
        The file.
    chunk_rows
        Rows per yielded chunk (the last may be shorter).
    placement
        Overrides the file's ``placement`` (``--placement`` on the command line).
    body_axes
        Overrides the file's ``body_axes`` (``--body-axes`` on the command line).

    Examples
    --------
    >>> reader = RecordingReader("walk.csv")  # doctest: +SKIP
    >>> for chunk in reader.body_chunks(): ...  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | Path,
        chunk_rows: int = CHUNK_ROWS,
        placement: Placement | None = None,
        body_axes: str | None = None,
    ) -> None:
        self.path = str(path)
        self.chunk_rows = chunk_rows
        self.truncated_line: int | None = None
        try:
            with open(self.path, encoding="utf-8", newline="") as f:
                header = _read_header(self.path, f)
        except OSError as err:
            raise RecordingError(self.path, None, f"cannot read: {err.strerror}") from err
        except UnicodeDecodeError as err:
            raise RecordingError(self.path, None, "expected UTF-8 text") from err
        if placement is not None:
            header = RecordingHeader(**{**header.__dict__, "placement": placement})
        if body_axes is not None:
            try:
                matrix = parse_body_axes(body_axes)
            except ValueError as err:
                raise RecordingError(self.path, None, f"--body-axes: {err}") from None
            header = RecordingHeader(
                **{**header.__dict__, "body_axes": body_axes.strip(), "axes_matrix": matrix}
            )
        self.header = header
        cols = header.columns
        self._time_idx = 0
        self._acc_idx = [cols.index(c) for c in ACC_COLUMNS]
        self._gyro_idx = [cols.index(c) for c in GYRO_COLUMNS] if header.has_gyro else []
        self._hr_idx = [cols.index(HR_COLUMN)] if header.has_hr else []
        self._use = [self._time_idx, *self._acc_idx, *self._gyro_idx, *self._hr_idx]

    def stream_info(self, acc_range_g: float | None = None) -> StreamInfo:
        return self.header.stream_info(acc_range_g)

    def __iter__(self) -> Iterator[Samples]:
        return self.chunks()

    def chunks(self) -> Iterator[Samples]:
        """Sensor-frame chunks of up to ``chunk_rows`` rows."""
        h = self.header
        ncols = len(h.columns)
        last_t = -math.inf
        lineno = h.first_data_line
        with open(self.path, "rb") as f:
            for _ in range(h.first_data_line - 1):
                f.readline()
            # Bytes read but not parsed yet: whole lines, then at most a part of the next.
            # Blocks are cut at newlines found with numpy and parsed as one text each: making
            # a Python string per line (``readlines``) cost as much as parsing them.
            pending = b""
            while True:
                data = f.read(self.chunk_rows * 48)
                eof = not data
                if eof and pending and not pending.endswith(b"\n"):
                    # Only the file's last line can lack its newline: a crash cut it off.
                    cut = pending.rfind(b"\n") + 1
                    self.truncated_line = lineno + pending.count(b"\n", 0, cut)
                    log.warning(
                        "%s:%d: last line is incomplete (no newline); dropped",
                        self.path,
                        self.truncated_line,
                    )
                    pending = pending[:cut]
                pending += data
                ends = np.flatnonzero(np.frombuffer(pending, dtype=np.uint8) == ord("\n"))
                start = done = 0
                while ends.size - done >= self.chunk_rows or (eof and done < ends.size):
                    rows = min(self.chunk_rows, ends.size - done)
                    stop = int(ends[done + rows - 1]) + 1
                    try:
                        text = pending[start:stop].decode("utf-8")
                    except UnicodeDecodeError as err:
                        raise RecordingError(self.path, None, "expected UTF-8 text") from err
                    chunk = self._parse_block(text, rows, lineno, ncols)
                    if chunk.time_s.shape[0]:
                        dt = np.diff(chunk.time_s, prepend=last_t)
                        bad = np.flatnonzero(dt <= 0)
                        if bad.size:
                            i = int(bad[0])
                            prev = last_t if i == 0 else chunk.time_s[i - 1]
                            raise RecordingError(
                                self.path,
                                lineno + i,
                                f"time_s must increase: {chunk.time_s[i]:g} after {prev:g}",
                            )
                        last_t = float(chunk.time_s[-1])
                    lineno += rows
                    start, done = stop, done + rows
                    yield chunk
                pending = pending[start:]
                if eof:
                    return

    def body_chunks(self) -> Iterator[Samples]:
        """Chunks rotated into the body frame by the header's ``body_axes``."""
        for chunk in self.chunks():
            yield to_body(chunk, self.header.axes_matrix)

    def read_all(self) -> Samples:
        """The whole file as one sensor-frame chunk (for small files and tests)."""
        return Samples.concat(list(self.chunks()))

    def _parse_block(self, text: str, rows: int, first_line: int, ncols: int) -> Samples:
        """Parse ``rows`` whole lines of ``text`` (each ending in a newline)."""
        raw = text
        if self._hr_idx:
            # An empty hr_bpm cell means "no new value": read it as NaN.
            text = text.replace(",,", ",nan,").replace(",,", ",nan,")
            text = text.replace(",\r\n", ",nan\r\n").replace(",\n", ",nan\n")
        every_column = self._use == list(range(ncols))
        try:
            arr = np.loadtxt(
                io.StringIO(text),
                delimiter=",",
                usecols=None if every_column else self._use,
                ndmin=2,
                dtype=np.float64,
            )
            if arr.shape[0] != rows:
                raise ValueError("row count")
            # Reading every column, numpy has checked that each row has as many fields.
            if arr.shape[1] != ncols if every_column else text.count(",") != rows * (ncols - 1):
                raise ValueError("field count")
        except ValueError:
            self._locate_error(raw.split("\n")[:rows], first_line, ncols)
            raise RecordingError(self.path, first_line, "malformed data") from None
        required = arr[:, : 4 + len(self._gyro_idx)]
        bad = ~np.isfinite(required)
        if bad.any():
            row, col = (int(v[0]) for v in np.nonzero(bad))
            name = self._column_name(col)
            got = raw.split("\n", row + 1)[row].split(",")[self._use[col]].strip()
            raise RecordingError(
                self.path,
                first_line + row,
                f"{name}: expected a finite number, got {got!r}",
            )
        n_acc = 4
        gyro = arr[:, n_acc : n_acc + 3] if self._gyro_idx else None
        hr = arr[:, -1] if self._hr_idx else None
        return Samples(
            time_s=np.ascontiguousarray(arr[:, 0]),
            acc_g=np.ascontiguousarray(arr[:, 1:4]),
            gyro_dps=None if gyro is None else np.ascontiguousarray(gyro),
            hr_bpm=None if hr is None else np.ascontiguousarray(hr),
        )

    def _column_name(self, used_index: int) -> str:
        return self.header.columns[self._use[used_index]]

    def _locate_error(self, block: list[str], first_line: int, ncols: int) -> None:
        """Find the first bad line of a block and raise a precise ``RecordingError``."""
        for i, line in enumerate(block):
            fields = line.rstrip("\r\n").split(",")
            if len(fields) != ncols:
                raise RecordingError(
                    self.path,
                    first_line + i,
                    f"expected {ncols} comma-separated fields ({','.join(self.header.columns)}), "
                    f"got {len(fields)}",
                )
            for j in self._use:
                value = fields[j].strip()
                if value == "" and self.header.columns[j] == HR_COLUMN:
                    continue
                try:
                    float(value)
                except ValueError:
                    raise RecordingError(
                        self.path,
                        first_line + i,
                        f"{self.header.columns[j]}: expected a number, got {value!r}",
                    ) from None


def to_body(chunk: Samples, matrix: FloatArray) -> Samples:
    """Rotate a sensor-frame chunk into the body frame by a ``body_axes`` matrix."""
    return Samples(
        time_s=chunk.time_s,
        acc_g=chunk.acc_g @ matrix.T,
        gyro_dps=None if chunk.gyro_dps is None else chunk.gyro_dps @ matrix.T,
        hr_bpm=chunk.hr_bpm,
    )


class RecordingWriter:
    """Write a recording CSV line by line, flushing whole lines after each chunk.

    A crash leaves at most one incomplete last line, which readers drop with a warning.
    Use as a context manager, or call ``close``.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        placement: Placement,
        sample_rate_hz: float,
        body_axes: str = "+x,+y,+z",
        has_gyro: bool = False,
        has_hr: bool = False,
        device: str | None = None,
        started: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        parse_body_axes(body_axes)
        self.path = str(path)
        self.has_gyro = has_gyro
        self.has_hr = has_hr
        self.rows_written = 0
        self._f = open(self.path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        meta = [f"# {MAGIC}: {VERSION}"]
        if device:
            meta.append(f"# device: {device}")
        meta.append(f"# placement: {Placement(placement).value}")
        meta.append(f"# sample_rate_hz: {sample_rate_hz:g}")
        meta.append(f"# body_axes: {body_axes}")
        if started:
            meta.append(f"# started: {started}")
        for k, v in (extra or {}).items():
            meta.append(f"# {k}: {v}")
        columns = ["time_s", *ACC_COLUMNS]
        if has_gyro:
            columns.extend(GYRO_COLUMNS)
        if has_hr:
            columns.append(HR_COLUMN)
        self._f.write("\n".join([*meta, ",".join(columns)]) + "\n")
        self._f.flush()

    def write(self, chunk: Samples) -> None:
        """Append the rows of a sensor-frame chunk."""
        if self.has_gyro and chunk.gyro_dps is None:
            raise ValueError("this recording has gyroscope columns; the chunk has none")
        parts = [chunk.time_s[:, None], chunk.acc_g]
        fmt = ["%.6f", "%.5f", "%.5f", "%.5f"]
        if self.has_gyro:
            assert chunk.gyro_dps is not None
            parts.append(chunk.gyro_dps)
            fmt.extend(["%.4f"] * 3)
        table = np.hstack(parts) if parts else np.empty((0, 4))
        row_fmt = ",".join(fmt)
        lines = [row_fmt % tuple(row) for row in table.tolist()]
        if self.has_hr:
            hr = chunk.hr_bpm if chunk.hr_bpm is not None else np.full(len(chunk), np.nan)
            lines = [
                f"{line},{'' if math.isnan(v) else f'{v:.0f}'}"
                for line, v in zip(lines, hr.tolist(), strict=True)
            ]
        if lines:
            self._f.write("\n".join(lines) + "\n")
            self._f.flush()
        self.rows_written += len(lines)

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
