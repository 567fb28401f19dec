"""Section 2, streaming cost: CPU time per band-second with BLE-sized chunks.

Many bands are fed round-robin, one notification-sized chunk at a time, as the service does
with one pipeline per band. Each band streams a different stretch of the recording, so the
bands are in different activities at any moment. Chunks are cut before timing (a decoder makes
them in the service); the figure is CPU time of ``Pipeline.update`` and ``flush`` only, in
microseconds per second of band data. ``bands_per_core`` is one million over that figure:
how many bands one core keeps up with in real time with nothing else to do.

Chunk sizes (samples per BLE notification):

- 1: one sample per notification, as the WitMotion BWT901BLE sends (a 20-byte frame of one
  acc/gyro/angle sample; WITMOTION/WitBluetooth_BWT901BLE5_0, device_model.py);
- 8: a middle case between the two, a few samples per notification;
- 36: a Polar H10 16-bit raw ACC frame filling a 232-byte ATT MTU ((232 - 3 - 10) // 6 = 36;
  frame layout from polar-ble-sdk PmdDataFrame.kt; the Heart Sync documentation reports packets
  of 36 samples, collectiveecg.readthedocs.io).
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import rnd

CHUNK_SIZES = (1, 8, 36)
#: The chunk size the headline figure is quoted at.
HEADLINE_CHUNK = 8


def _band_chunks(samples: Any, bands: int, duration_s: float, rate_hz: float, size: int) -> Any:
    """Per band, the chunks of its own stretch of the recording."""
    n = len(samples)
    per_band = min(n, int(duration_s * rate_hz))
    spare = max(0, n - per_band)
    out = []
    for b in range(bands):
        start = (spare * b) // max(1, bands - 1) if bands > 1 else 0
        out.append(samples.slice(start, start + per_band).chunks(size))
    return out, per_band


def feed(pipelines: list[Any], band_chunks: list[list[Any]]) -> tuple[float, int]:
    """Feed chunks round-robin; CPU seconds and events."""
    events = 0
    steps = max(len(c) for c in band_chunks)
    t0 = time.process_time()
    for i in range(steps):
        for p, chunks in zip(pipelines, band_chunks, strict=True):
            if i < len(chunks):
                events += len(p.update(chunks[i]))
    for p in pipelines:
        events += len(p.flush())
    return time.process_time() - t0, events


def measure(samples: Any, info: Any, bands: int, duration_s: float) -> dict[str, Any]:
    """Streaming cost for one recording at every chunk size, plus a per-detector breakdown."""
    from analysis.registry import build_detectors, build_pipeline
    from analysis.stream import Pipeline

    rate = info.sample_rate_hz
    result: dict[str, Any] = {
        "bands": bands,
        "seconds_per_band": duration_s,
        "detectors": [type(d).__name__ for d in build_detectors(info)],
        "by_chunk": {},
    }
    for size in CHUNK_SIZES:
        # One-sample chunks cost the most calls; a shorter stretch keeps the run short.
        seconds = duration_s if size >= HEADLINE_CHUNK else duration_s / 4
        band_chunks, per_band = _band_chunks(samples, bands, seconds, rate, size)
        pipelines = [build_pipeline(info) for _ in range(bands)]
        cpu_s, events = feed(pipelines, band_chunks)
        band_seconds = bands * per_band / rate
        us = 1e6 * cpu_s / band_seconds
        calls = sum(len(c) for c in band_chunks)
        result["by_chunk"][str(size)] = {
            "us_per_band_second": rnd(us, 1),
            "us_per_update_call": rnd(1e6 * cpu_s / calls, 2),
            "bands_per_core": int(1e6 / us) if us > 0 else None,
            "events": events,
        }
    # Which detector costs what, at the headline chunk size.
    band_chunks, per_band = _band_chunks(samples, bands, duration_s, rate, HEADLINE_CHUNK)
    band_seconds = bands * per_band / rate
    breakdown: dict[str, float | None] = {}
    cpu_s, _ = feed([Pipeline(info, []) for _ in range(bands)], band_chunks)
    breakdown["(pipeline, no detector)"] = rnd(1e6 * cpu_s / band_seconds, 1)
    for i, name in enumerate(result["detectors"]):
        pipes = [Pipeline(info, [build_detectors(info)[i]]) for _ in range(bands)]
        cpu_s, _ = feed(pipes, band_chunks)
        breakdown[name] = rnd(1e6 * cpu_s / band_seconds, 1)
    result["per_detector_us_per_band_second"] = breakdown
    head = result["by_chunk"][str(HEADLINE_CHUNK)]
    result["headline_chunk"] = HEADLINE_CHUNK
    result["us_per_band_second"] = head["us_per_band_second"]
    result["bands_per_core"] = head["bands_per_core"]
    return result
