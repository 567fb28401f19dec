"""Section 5, CSV reading: the project's reader against numpy.loadtxt and the csv module.

All three read the same recording CSV into float64 arrays of every column it has (best of
``reps`` runs, rows per second):

- ``RecordingReader``: ``sensor.recording.RecordingReader.chunks()`` (sensor frame, every check
  of the spec: field counts, finite values, increasing time);
- ``numpy.loadtxt``: one call on the file, header lines skipped, no checks;
- ``csv``: ``csv.reader`` rows, ``float()`` per field, then one ``numpy.array``.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import rnd


def _header_lines(path: Path) -> int:
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            n += 1
            if not line.startswith("#"):
                return n  # the column line
    return n


def _reader(path: Path) -> int:
    from sensor.recording import RecordingReader

    return sum(len(c) for c in RecordingReader(path).chunks())


def _loadtxt(path: Path) -> int:
    arr = np.loadtxt(path, delimiter=",", skiprows=_header_lines(path), ndmin=2)
    return int(arr.shape[0])


def _csv(path: Path) -> int:
    skip = _header_lines(path)
    with open(path, encoding="utf-8", newline="") as f:
        for _ in range(skip):
            f.readline()
        rows = [[float(x) if x else np.nan for x in row] for row in csv.reader(f)]
    return int(np.array(rows, dtype=np.float64).shape[0])


def measure(path: Path, reps: int) -> dict[str, Any]:
    out: dict[str, Any] = {"file": path.name, "bytes": path.stat().st_size}
    for name, fn in (("RecordingReader", _reader), ("numpy.loadtxt", _loadtxt), ("csv", _csv)):
        best = float("inf")
        rows = 0
        for _ in range(reps):
            t0 = time.perf_counter()
            rows = fn(path)
            best = min(best, time.perf_counter() - t0)
        out[name] = {"rows": rows, "seconds": rnd(best, 4), "rows_per_s": int(rows / best)}
    out["rows"] = out["RecordingReader"]["rows"]
    out["reader_vs_loadtxt"] = rnd(
        out["RecordingReader"]["seconds"] / out["numpy.loadtxt"]["seconds"], 2
    )
    out["reader_vs_csv"] = rnd(out["RecordingReader"]["seconds"] / out["csv"]["seconds"], 2)
    return out
