"""Section 3, memory: resident memory per band, and whether it stays flat over a long stream.

Run in a fresh process (``python -m benchmarks.memory FILE BANDS WARM_S FLAT_BANDS CHUNK``) so
that nothing else the runner did sits in its heap. The recording is loaded once and shared by
every band (a decoder's output in the service is transient), so the difference in resident
memory (psutil RSS, freed heap handed back with ``malloc_trim`` before each reading) before and
after building ``BANDS`` pipelines and feeding each ``WARM_S`` seconds (in 36-sample chunks) is
the state the bands keep; tracemalloc counts the same state by allocation on ten bands. Then
``FLAT_BANDS`` pipelines stream the whole recording in ``CHUNK``-sample chunks with RSS sampled
every five minutes of stream time; events are counted and dropped, as a publisher would hand
them on.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import sys
import tracemalloc
from pathlib import Path
from typing import Any

#: Chunk size while warming the bands up: the state a detector keeps does not depend on it, and
#: H10-frame-sized chunks keep the 100-band warm-up short.
WARM_CHUNK = 36
#: Stream time between two RSS samples in the flatness run.
SAMPLE_EVERY_S = 300.0
#: The first part of the flatness run is warm-up (ring buffers filling, arenas growing).
WARMUP_S = 600.0


def _trim() -> None:
    """Hand freed heap back to the OS (glibc ``malloc_trim``), so RSS shows what is held.

    Without it, memory freed while the recording was loaded is reused by the pipelines and
    their state never shows in RSS.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def child(path: str, bands: int, warm_s: float, flat_bands: int, chunk: int) -> dict[str, Any]:
    import numpy as np
    import psutil

    from analysis.registry import build_pipeline
    from benchmarks.data import load_body

    proc = psutil.Process()
    samples, info = load_body(Path(path))
    rate = info.sample_rate_hz
    n = len(samples)

    def rss_mb() -> float:
        gc.collect()
        _trim()
        return float(proc.memory_info().rss / 2**20)

    # Resident memory per band.
    per_band_n = min(n, int(warm_s * rate))
    spare = max(0, n - per_band_n)
    rss0 = rss_mb()
    pipelines = [build_pipeline(info) for _ in range(bands)]
    for b, p in enumerate(pipelines):
        start = (spare * b) // max(1, bands - 1) if bands > 1 else 0
        for c in samples.slice(start, start + per_band_n).chunks(WARM_CHUNK):
            p.update(c)
    rss1 = rss_mb()
    per_band_kb = 1024 * (rss1 - rss0) / bands
    del pipelines
    rss_after_free = rss_mb()

    # The same state counted by allocation (numpy reports its buffers to tracemalloc), on fewer
    # bands: tracemalloc slows every allocation down.
    traced_bands = max(1, min(10, bands))
    tracemalloc.start()
    traced = [build_pipeline(info) for _ in range(traced_bands)]
    for b, p in enumerate(traced):
        start = (spare * b) // max(1, traced_bands - 1) if traced_bands > 1 else 0
        for c in samples.slice(start, start + per_band_n).chunks(WARM_CHUNK):
            p.update(c)
    gc.collect()
    traced_kb = tracemalloc.get_traced_memory()[0] / 1024 / traced_bands
    tracemalloc.stop()
    del traced

    # Flat over the whole recording.
    flat = [build_pipeline(info) for _ in range(flat_bands)]
    series: list[tuple[float, float]] = [(0.0, rss_mb())]
    t_first = float(samples.time_s[0])
    next_sample = SAMPLE_EVERY_S
    events = 0
    # Chunks made one at a time (a list of them would itself grow RSS during the stream).
    for c in (samples.slice(i, i + chunk) for i in range(0, n, chunk)):
        for p in flat:
            events += len(p.update(c))
        t = float(c.time_s[-1]) - t_first
        if t >= next_sample:
            series.append((round(t, 1), round(rss_mb(), 2)))
            next_sample += SAMPLE_EVERY_S
    series.append((round(float(samples.time_s[-1]) - t_first, 1), round(rss_mb(), 2)))
    for p in flat:
        events += len(p.flush())
    after_flush = rss_mb()
    after = [(t, m) for t, m in series if t >= min(WARMUP_S, series[-1][0] / 2)]
    if len(after) >= 2:
        ts = np.array([t for t, _ in after]) / 3600.0
        ms = np.array([m for _, m in after])
        slope = float(np.polyfit(ts, ms, 1)[0]) if np.ptp(ts) > 0 else 0.0
        growth = float(ms[-1] - ms[0])
    else:
        slope, growth = 0.0, 0.0
    return {
        "bands": bands,
        "warm_s": warm_s,
        "rss_before_mb": round(rss0, 2),
        "rss_with_bands_mb": round(rss1, 2),
        "rss_after_free_mb": round(rss_after_free, 2),
        "kb_per_band": round(per_band_kb, 1),
        "traced_kb_per_band": round(traced_kb, 1),
        "traced_bands": traced_bands,
        "flat": {
            "bands": flat_bands,
            "chunk": chunk,
            "stream_s": series[-1][0],
            "events": events,
            "rss_series_mb": series,
            "rss_after_flush_mb": round(after_flush, 2),
            "growth_after_warmup_mb": round(growth, 2),
            "slope_mb_per_hour": round(slope, 3),
            "warmup_s": min(WARMUP_S, series[-1][0] / 2),
        },
    }


if __name__ == "__main__":
    a = sys.argv[1:]
    print(json.dumps(child(a[0], int(a[1]), float(a[2]), int(a[3]), int(a[4]))))
