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
from sensor.safeio import (
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    MAX_METADATA_LINES,
    AtomicFile,
    TooLong,
    bounded_lines,
    strip_bom,
    visible,
)

log = logging.getLogger(__name__)

MAGIC = "retrosense-recording"
VERSION = "1"
ACC_COLUMNS = ("acc_x_g", "acc_y_g", "acc_z_g")
GYRO_COLUMNS = ("gyro_x_dps", "gyro_y_dps", "gyro_z_dps")
HR_COLUMN = "hr_bpm"
#: Rows per chunk: about 3 MB of float64 at seven channels, whatever the file's length.
CHUNK_ROWS = 65_536
#: The sample rates a file may declare (and a stream may run at), in Hz.
MIN_RATE_HZ = 1.0
MAX_RATE_HZ = 10_000.0
#: Beyond any wearable's range (the widest accelerometers reach ±400 g, gyroscopes ±4000 °/s):
#: a value past these is a broken file, not a measurement, and refused with its line.
MAX_ABS_ACC_G = 1_000.0
MAX_ABS_GYRO_DPS = 10_000.0
#: Largest heart rate a recording may hold (a Heart Rate Measurement can carry up to 65,535).
MAX_HR_BPM = 1_000.0
#: A declared rate this many times off the rate the timestamps show is reported, and the
#: measured rate is used.
RATE_MISMATCH_FACTOR = 2.0
#: Rows whose times measure the real rate against the declared one.
RATE_PROBE_ROWS = 2_000


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
    if not (math.isfinite(rate) and MIN_RATE_HZ <= rate <= MAX_RATE_HZ):
        raise RecordingError(
            path,
            line,
            f"sample_rate_hz: expected a number of Hz within {MIN_RATE_HZ:g}..{MAX_RATE_HZ:g}, "
            f"got {rate_text!r}",
        )
    axes_line, axes = meta.get("body_axes", (None, "+x,+y,+z"))
    try:
        matrix = parse_body_axes(axes)
    except ValueError as err:
        raise RecordingError(
            path, axes_line, f"body_axes: expected a signed permutation of x, y, z: {err}"
        ) from err
    columns = tuple(c.strip() for c in columns_line.rstrip("\r\n").split(","))
    if len(columns) > MAX_COLUMNS:
        raise RecordingError(
            path,
            columns_lineno,
            f"expected at most {MAX_COLUMNS} columns, got {len(columns):,}",
        )
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
    lines = bounded_lines(f, MAX_LINE_CHARS)
    while True:
        try:
            line = next(lines, "")
        except TooLong as err:
            raise RecordingError(path, lineno + 1, str(err)) from None
        lineno += 1
        if lineno == 1:
            line = strip_bom(line)
        if not line:
            if lineno == 1:
                raise RecordingError(path, None, "the file is empty; expected a recording CSV")
            raise RecordingError(path, lineno, "expected the column line after the metadata")
        if lineno == 1 and not line.startswith(f"# {MAGIC}:"):
            raise RecordingError(
                path, 1, f"expected '# {MAGIC}: 1' as the first line, got {line.strip()[:40]!r}"
            )
        if line.startswith("#"):
            if lineno > MAX_METADATA_LINES:
                raise RecordingError(
                    path,
                    lineno,
                    f"expected the column line within the first {MAX_METADATA_LINES} lines",
                )
            body = line[1:].strip()
            if not body:
                continue
            key, sep, value = body.partition(":")
            if not sep:
                raise RecordingError(
                    path, lineno, f"expected '# key: value', got {line.strip()[:60]!r}"
                )
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
        rate = settle_rate(self.path, header.sample_rate_hz, self._probe_rate(header))
        if rate != header.sample_rate_hz:
            header = RecordingHeader(**{**header.__dict__, "sample_rate_hz": rate})
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

    def _probe_rate(self, header: RecordingHeader) -> float | None:
        """The rate the first rows' times show (``None`` with too few), read apart from the
        chunks so that the detectors know it before the first sample; a bad row is left
        for ``chunks`` to report."""
        times: list[float] = []
        try:
            with open(self.path, "rb") as f:
                for _ in range(header.first_data_line - 1):
                    f.readline()
                for line in bounded_lines(f):
                    if len(times) >= RATE_PROBE_ROWS:
                        break
                    head = line.split(b",", 1)[0]
                    if b"_" in head:
                        break
                    t = float(head)
                    if not math.isfinite(t) or (times and t <= times[-1]):
                        break
                    times.append(t)
        except (OSError, ValueError):  # TooLong is a ValueError too
            pass
        return measured_rate_hz(np.asarray(times))

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
                self._check_line_lengths(pending, ends, lineno)
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

    def _check_line_lengths(self, pending: bytes, ends: np.ndarray, lineno: int) -> None:
        """Refuse a line beyond ``MAX_LINE_CHARS`` as soon as it is seen, not once it is read
        whole (a gigabyte without a newline would be held and parsed first)."""
        starts = np.concatenate(([0], ends + 1))
        stops = np.concatenate((ends + 1, [len(pending)]))
        over = np.flatnonzero(stops - starts > MAX_LINE_CHARS + 1)
        if over.size:
            raise RecordingError(
                self.path,
                lineno + int(over[0]),
                f"a line longer than {MAX_LINE_CHARS:,} characters; expected one sample per line",
            )

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
            text = _empty_hr_as_nan(text)
        every_column = self._use == list(range(ncols))
        try:
            arr = self._load(text, every_column)
            if arr.shape[0] != rows:
                raise ValueError("row count")
            # Reading every column, numpy has checked that each row has as many fields.
            if arr.shape[1] != ncols if every_column else text.count(",") != rows * (ncols - 1):
                raise ValueError("field count")
        except ValueError:
            lines = raw.split("\n")[:rows]
            self._locate_error(lines, first_line, ncols)
            raise RecordingError(
                self.path, first_line + self._first_unparsable(lines), "malformed data"
            ) from None
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
        limits = [MAX_ABS_ACC_G] * 3 + [MAX_ABS_GYRO_DPS] * len(self._gyro_idx)
        beyond = np.abs(required[:, 1:]) > np.asarray(limits)
        if beyond.any():
            row, col = (int(v[0]) for v in np.nonzero(beyond))
            name = self._column_name(col + 1)
            unit = "g" if col < 3 else "°/s"
            raise RecordingError(
                self.path,
                first_line + row,
                f"{name}: expected a value within ±{limits[col]:g} {unit} (beyond any "
                f"sensor's range), got {required[row, col + 1]:g}",
            )
        n_acc = 4
        gyro = arr[:, n_acc : n_acc + 3] if self._gyro_idx else None
        hr = arr[:, -1] if self._hr_idx else None
        if hr is not None:
            wrong = ~(np.isnan(hr) | ((hr >= 0) & (hr <= MAX_HR_BPM)))
            if wrong.any():
                row = int(np.flatnonzero(wrong)[0])
                raise RecordingError(
                    self.path,
                    first_line + row,
                    f"{HR_COLUMN}: expected empty or within 0..{MAX_HR_BPM:g}, got {hr[row]:g}",
                )
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
                    if "_" in value:  # Python reads 1_0 as ten, numpy refuses it
                        raise ValueError(value)
                    float(value)
                except ValueError:
                    raise RecordingError(
                        self.path,
                        first_line + i,
                        f"{self.header.columns[j]}: expected a number, got {value!r}",
                    ) from None

    def _load(self, text: str, every_column: bool) -> FloatArray:
        if not text.strip():
            # Blank lines only: numpy would warn that there is no data; the caller reports
            # the line.
            raise ValueError("blank lines")
        arr: FloatArray = np.loadtxt(
            io.StringIO(text),
            delimiter=",",
            usecols=None if every_column else self._use,
            ndmin=2,
            dtype=np.float64,
        )
        return arr

    def _first_unparsable(self, lines: list[str]) -> int:
        """Index of the first line numpy cannot read, found by halving the block (for what
        the line-by-line check in ``_locate_error`` reads differently from numpy)."""
        every_column = self._use == list(range(len(self.header.columns)))
        lo, hi = 0, len(lines)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            text = "\n".join(lines[lo:mid]) + "\n"
            try:
                self._load(_empty_hr_as_nan(text) if self._hr_idx else text, every_column)
            except ValueError:
                hi = mid
            else:
                lo = mid
        return lo


def measured_rate_hz(time_s: FloatArray) -> float | None:
    """The rate the timestamps show: one over the median step between them (robust to gaps
    and jitter); ``None`` with fewer than two steps."""
    with np.errstate(all="ignore"):
        steps = np.diff(np.asarray(time_s, dtype=np.float64))
    steps = steps[np.isfinite(steps) & (steps > 0)]
    if steps.size < 2:
        return None
    rate = 1.0 / float(np.median(steps))
    return rate if math.isfinite(rate) else None


def settle_rate(path: str, declared: float, measured: float | None) -> float:
    """The rate to run the detectors at: ``declared``, unless the timestamps show one more
    than ``RATE_MISMATCH_FACTOR`` times off it; then the measured rate, with a warning.

    Raises
    ------
    RecordingError
        If the measured rate is outside the rates a stream may run at.
    """
    if measured is None or 1 / RATE_MISMATCH_FACTOR <= declared / measured <= RATE_MISMATCH_FACTOR:
        return declared
    shown = float(f"{measured:.4g}")
    if not MIN_RATE_HZ <= shown <= MAX_RATE_HZ:
        raise RecordingError(
            path,
            None,
            f"sample_rate_hz: its timestamps show {shown:g} Hz (it declares {declared:g}); "
            f"expected a rate within {MIN_RATE_HZ:g}..{MAX_RATE_HZ:g} Hz",
        )
    log.warning(
        "%s: declares %g Hz but its timestamps show %g Hz; using %g Hz",
        path,
        declared,
        shown,
        shown,
    )
    return shown


def _empty_hr_as_nan(text: str) -> str:
    """An empty hr_bpm cell means "no new value": read it as NaN."""
    text = text.replace(",,", ",nan,").replace(",,", ",nan,")
    return text.replace(",\r\n", ",nan\r\n").replace(",\n", ",nan\n")


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
    Use as a context manager, or call ``close``. Metadata values are written on one line
    each, control characters made visible (a band may advertise a name with a newline).

    With ``atomic`` (a file made from another, as ``convert`` does), the rows go to a
    temporary file beside ``path`` that ``close`` renames over it; leaving the ``with`` block
    by an exception (or calling ``discard``) leaves ``path`` as it was. Without it (a live
    recording, a new file per session), the rows are in ``path`` as they arrive.
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
        atomic: bool = False,
    ) -> None:
        parse_body_axes(body_axes)
        self.path = str(path)
        self.has_gyro = has_gyro
        self.has_hr = has_hr
        self.rows_written = 0
        self._atomic = AtomicFile(self.path) if atomic else None
        self._f = (
            self._atomic.file
            if self._atomic is not None
            else open(self.path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        )
        meta = [f"# {MAGIC}: {VERSION}"]
        if device:
            meta.append(f"# device: {_one_line(device)}")
        meta.append(f"# placement: {Placement(placement).value}")
        meta.append(f"# sample_rate_hz: {sample_rate_hz:g}")
        meta.append(f"# body_axes: {body_axes}")
        if started:
            meta.append(f"# started: {_one_line(started)}")
        for k, v in (extra or {}).items():
            key = _one_line(k).replace(":", "_") or "_"
            meta.append(f"# {key}: {_one_line(v)}")
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
        """Close the file (an atomic writer's file goes in place of ``path`` now)."""
        if self._atomic is not None:
            self._atomic.commit()
        elif not self._f.closed:
            self._f.close()

    def discard(self) -> None:
        """An atomic writer's file is dropped; a plain one is closed as it stands."""
        if self._atomic is not None:
            self._atomic.discard()
        elif not self._f.closed:
            self._f.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()


def _one_line(value: object) -> str:
    """A metadata value on one line: control characters made visible, no outer spaces."""
    return visible(str(value)).strip()
