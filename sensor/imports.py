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
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.frame import parse_body_axes
from analysis.types import FloatArray, Placement, Samples, StreamInfo
from analysis.units import STANDARD_GRAVITY_M_S2
from sensor.errors import RecordingError
from sensor.identity import band_id_for
from sensor.recording import to_body
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
    if given is not None:
        return given
    if t.size < 2:
        raise RecordingError(path, None, "expected at least two samples to tell the sample rate")
    rate = 1.0 / float(np.median(np.diff(t)))
    return float(round(rate)) if rate >= 10 else rate


def _check_increasing(path: str, t: FloatArray, first_line: int) -> None:
    bad = np.flatnonzero(np.diff(t) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise RecordingError(
            path, first_line + i, f"time must increase: {t[i]:.9g} after {t[i - 1]:.9g}"
        )


def _axes(path: str, text: str) -> str:
    try:
        parse_body_axes(text)
    except ValueError as err:
        raise RecordingError(path, None, f"body_axes: {err}") from None
    return text


# --------------------------------------------------------------- Polar Sensor Logger


def sniff_polar(first_line: str) -> bool:
    return "sensor timestamp [ns]" in first_line and "X [mg]" in first_line


def read_polar_acc(path: str | Path, options: SourceOptions) -> ImportedSource:
    """Read a Polar Sensor Logger ``*_ACC.txt`` export.

    Raises
    ------
    RecordingError
        For a missing column, a non-numeric value or time that does not increase.
    """
    path = str(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        header = [c.strip() for c in f.readline().rstrip("\r\n").split(";")]
        missing = [c for c in POLAR_COLUMNS if c not in header]
        if missing:
            raise RecordingError(path, 1, f"missing column {missing[0]!r} of a Polar ACC export")
        cols = [header.index(c) for c in POLAR_COLUMNS]
        ts: list[int] = []
        mg: list[tuple[float, float, float]] = []
        for lineno, line in enumerate(f, start=2):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split(";")
            try:
                ts.append(int(fields[cols[0]]))
                mg.append((float(fields[cols[1]]), float(fields[cols[2]]), float(fields[cols[3]])))
            except (ValueError, IndexError):
                raise RecordingError(
                    path,
                    lineno,
                    f"expected {len(header)} ';'-separated fields with numbers in "
                    f"{', '.join(POLAR_COLUMNS)}, got {line.strip()[:60]!r}",
                ) from None
    if not ts:
        raise RecordingError(path, None, "no samples after the header")
    t_ns = np.asarray(ts, dtype=np.int64)
    t = (t_ns - t_ns[0]).astype(np.float64) / 1e9
    _check_increasing(path, t, 2)
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
    samples = Samples(time_s=t, acc_g=np.asarray(mg, dtype=np.float64) / 1000.0)
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
        ``--placement``, a non-numeric value or time that does not increase.
    """
    path = str(path)
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        text = f.read()
    first = text.split("\n", 1)[0]
    if "Linear Acceleration" in first:
        raise RecordingError(
            path,
            1,
            "this phyphox export has gravity removed (Linear Acceleration); export the "
            "'Acceleration with g' experiment instead",
        )
    sep = next((s for s in (",", ";", "\t") if f'"{s}"' in first), ",")
    rows = list(csv.reader(io.StringIO(text), delimiter=sep, quotechar='"'))
    header = [c.strip() for c in rows[0]]
    wanted = (PHYPHOX_TIME, *PHYPHOX_AXES)
    missing = [c for c in wanted if c not in header]
    if missing:
        raise RecordingError(path, 1, f"missing column {missing[0]!r} of a phyphox export")
    if options.placement is None:
        raise RecordingError(
            path, None, "a phyphox export cannot say where the phone was: pass --placement"
        )
    cols = [header.index(c) for c in wanted]
    values = np.empty((len(rows) - 1, 4))
    n = 0
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        try:
            values[n] = [float(row[c].strip().replace(",", ".")) for c in cols]
        except (ValueError, IndexError):
            raise RecordingError(
                path, lineno, f"expected numbers in {', '.join(wanted)}, got {sep.join(row)[:60]!r}"
            ) from None
        n += 1
    values = values[:n]
    if n == 0:
        raise RecordingError(path, None, "no samples after the header")
    t = values[:, 0] - values[0, 0]
    _check_increasing(path, t, 2)
    axes = _axes(path, options.body_axes or "+x,+y,+z")
    samples = Samples(time_s=t, acc_g=values[:, 1:4] / STANDARD_GRAVITY_M_S2)
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
