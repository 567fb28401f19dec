"""A progress bar on stderr for long files, silent when stderr is not a terminal.

``analyze``, ``replay`` and ``evaluate`` wrap their chunk iterators in ``track_chunks``. The bar
shows only when stderr is a terminal, the file is long (``MIN_BYTES``), logging is not set to
quiet and ``RETROSENSE_PROGRESS`` is not ``0``; pipes, files and CI logs see nothing. The total
is the file's size in bytes and progress is estimated from the rows read times the mean row
length of the file's first lines, so no reader needs to expose its file position.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from analysis.types import Samples

#: Files smaller than this are over before a bar would help.
MIN_BYTES = 2_000_000
#: Redraws per second at most.
MAX_REDRAW_HZ = 10.0
ENV_PROGRESS = "RETROSENSE_PROGRESS"
BAR_WIDTH = 30


def progress_wanted(stream: TextIO | None = None) -> bool:
    """Whether a bar belongs on ``stream`` (stderr by default)."""
    stream = stream if stream is not None else sys.stderr
    if os.environ.get(ENV_PROGRESS, "") == "0":
        return False
    if logging.getLogger().getEffectiveLevel() >= logging.ERROR:
        return False  # -q
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ProgressBar:
    """A one-line bar redrawn in place with ``\\r``.

    Parameters
    ----------
    total
        The amount that means done (bytes, rows, ...).
    label
        Shown before the bar (a file name).
    stream
        Where it is drawn; nothing is written unless ``enabled``.
    enabled
        Draw at all (``progress_wanted`` by default).
    unit
        When given, the bar also shows ``done/total unit`` (``12/75 s``).
    """

    def __init__(
        self,
        total: float,
        label: str,
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        unit: str = "",
    ) -> None:
        self.unit = unit
        self.total = max(float(total), 1.0)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = progress_wanted(self.stream) if enabled is None else enabled
        self.done = 0.0
        self._last_draw = -1.0
        self._started = time.monotonic()
        self._drawn = False

    def update(self, amount: float) -> None:
        """Add ``amount`` to the progress and redraw if it is time."""
        self.done += amount
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last_draw >= 1.0 / MAX_REDRAW_HZ:
            self._last_draw = now
            self._draw(min(self.done / self.total, 0.99))

    def _draw(self, fraction: float) -> None:
        filled = round(fraction * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        elapsed = time.monotonic() - self._started
        eta = ""
        if 0.02 < fraction < 1.0:
            eta = f" {elapsed * (1 - fraction) / fraction:4.0f} s left"
        amount = f" {self.done:.0f}/~{self.total:.0f} {self.unit}" if self.unit else ""
        self.stream.write(f"\r{self.label} [{bar}] {fraction * 100:3.0f}%{amount}{eta}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Clear the line, so what follows on the terminal starts clean."""
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def mean_row_bytes(path: Path, probe_bytes: int = 65_536) -> float:
    """Mean bytes per line over the file's first ``probe_bytes``."""
    with open(path, "rb") as f:
        head = f.read(probe_bytes)
    lines = head.count(b"\n")
    return len(head) / lines if lines else float(len(head) or 1)


def track_chunks(
    chunks: Iterable[Samples],
    path: str | Path,
    *,
    stream: TextIO | None = None,
    enabled: bool | None = None,
    rows_per_line: float = 1.0,
) -> Iterator[Samples]:
    """Yield ``chunks`` unchanged while a bar shows how far through ``path`` they are.

    Parameters
    ----------
    rows_per_line
        Samples per line of the file (a raw capture carries several per line).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    stream = stream if stream is not None else sys.stderr
    wanted = progress_wanted(stream) if enabled is None else enabled
    if not wanted or size < MIN_BYTES:
        yield from chunks
        return
    per_row = mean_row_bytes(path) / rows_per_line
    with ProgressBar(size, path.name, stream=stream, enabled=True) as bar:
        for chunk in chunks:
            bar.update(len(chunk) * per_row)
            yield chunk


def track_recording_time(
    chunks: Iterable[Samples],
    path: str | Path,
    sample_rate_hz: float,
    *,
    stream: TextIO | None = None,
    enabled: bool | None = None,
    rows_per_line: float = 1.0,
) -> Iterator[Samples]:
    """Yield ``chunks`` unchanged while a bar shows how far into the recording they are.

    For a paced replay, where the wait is the recording's own length: shown for a file of any
    size (a 2-minute recording replayed in real time takes 2 minutes). The total is the
    recording's length estimated from the file's size (rows at ``sample_rate_hz``).
    """
    path = Path(path)
    stream = stream if stream is not None else sys.stderr
    wanted = progress_wanted(stream) if enabled is None else enabled
    if not wanted:
        yield from chunks
        return
    try:
        rows = path.stat().st_size / mean_row_bytes(path) * rows_per_line
    except OSError:
        rows = 0.0
    total_s = rows / sample_rate_hz if sample_rate_hz > 0 else 0.0
    first_t: float | None = None
    with ProgressBar(total_s, path.name, stream=stream, enabled=True, unit="s") as bar:
        for chunk in chunks:
            if len(chunk):
                first_t = float(chunk.time_s[0]) if first_t is None else first_t
                bar.update(float(chunk.time_s[-1]) - first_t - bar.done)
            yield chunk
