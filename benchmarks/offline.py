"""Section 1, offline throughput: ``retrosense analyze`` against the numpy/scipy floor.

Three views of the same file:

- the whole process, as a user runs it: ``retrosense analyze FILE --format jsonl > /dev/null``
  (``python -m sensor``), wall time, best of ``reps``;
- the pipeline alone (``python -m benchmarks.offline FILE``, a fresh process): the file is read
  into memory first, then the registry's pipeline is fed the reader's chunks and flushed; the
  same child times import, reading, serialising, each detector alone and an empty pipeline;
- the floor (``python -m benchmarks.floor FILE``): ``numpy.loadtxt``, one ``sosfilt``, one
  ``find_peaks``, also as a whole process.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import PYTHON, percentile, rnd, run_json, time_process


def _best(fn: Any, reps: int, clock: Any = time.perf_counter) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(reps):
        t0 = clock()
        result = fn()
        best = min(best, clock() - t0)
    return best, result


def child(path: str, reps: int) -> dict[str, Any]:
    """Timings inside one process (run by ``python -m benchmarks.offline FILE REPS``)."""
    t0 = time.perf_counter()
    from analysis.registry import build_detectors, build_pipeline
    from analysis.stream import Pipeline
    from sensor.report import write_jsonl
    from sensor.sources import open_source

    import_s = time.perf_counter() - t0

    def read() -> tuple[list[Any], Any]:
        source = open_source(path)
        return list(source.body_chunks()), source.info

    read_s, (chunks, info) = _best(read, reps)
    n = sum(len(c) for c in chunks)
    duration_s = float(chunks[-1].time_s[-1] - chunks[0].time_s[0]) if n else 0.0

    def run(pipeline: Pipeline) -> list[Any]:
        events: list[Any] = []
        for c in chunks:
            events.extend(pipeline.update(c))
        events.extend(pipeline.flush())
        return events

    pipeline_s, events = _best(lambda: run(build_pipeline(info)), reps)
    pipeline_cpu_s, _ = _best(lambda: run(build_pipeline(info)), reps, time.process_time)
    serialize_s, _ = _best(lambda: write_jsonl(events, io.StringIO()), reps)
    empty_s, _ = _best(lambda: run(Pipeline(info, [])), reps)
    names = [type(d).__name__ for d in build_detectors(info)]
    per_detector: dict[str, float] = {}
    for i, name in enumerate(names):
        s, _ = _best(lambda i=i: run(Pipeline(info, [build_detectors(info)[i]])), 1)
        per_detector[name] = round(s, 4)
    latency: dict[str, dict[str, float | None]] = {}
    by_type: dict[str, list[float]] = {}
    for e in events:
        by_type.setdefault(e.type, []).append(e.detected_at - e.t)
    for kind, lat in by_type.items():
        latency[kind] = {
            "p50_s": rnd(percentile(lat, 50)),
            "p99_s": rnd(percentile(lat, 99)),
            "max_s": rnd(max(lat)),
        }
    return {
        "samples": n,
        "duration_s": duration_s,
        "chunks": len(chunks),
        "detectors": names,
        "import_s": round(import_s, 4),
        "read_s": round(read_s, 4),
        "pipeline_s": round(pipeline_s, 4),
        "pipeline_cpu_s": round(pipeline_cpu_s, 4),
        "empty_pipeline_s": round(empty_s, 4),
        "per_detector_s": per_detector,
        "serialize_s": round(serialize_s, 4),
        "events": len(events),
        "events_by_type": dict(Counter(e.type for e in events)),
        "algorithmic_latency": latency,
    }


def measure(path: Path, reps: int) -> dict[str, Any]:
    """All offline figures for one recording."""
    inner = run_json([PYTHON, "-m", "benchmarks.offline", str(path), str(reps)])
    duration = inner["duration_s"]
    whole = time_process([PYTHON, "-m", "sensor", "analyze", str(path), "--format", "jsonl"], reps)
    startup = time_process([PYTHON, "-m", "sensor", "--help"], reps)
    floor_run = time_process([PYTHON, "-m", "benchmarks.floor", str(path)], reps, capture=True)
    floor = json.loads(floor_run.pop("stdout").strip().splitlines()[-1])
    floor_compute = floor["sosfilt_s"] + floor["find_peaks_s"]
    return {
        "file": path.name,
        "samples": inner["samples"],
        "duration_s": round(duration, 3),
        "detectors": inner["detectors"],
        "events": inner["events"],
        "events_by_type": inner["events_by_type"],
        "whole_process": {
            **whole,
            "realtime_factor": rnd(duration / whole["wall_s"], 1),
            # CPU seconds do not grow when other work shares the cores; wall seconds do.
            "realtime_factor_cpu": rnd(duration / whole["cpu_s"], 1) if whole["cpu_s"] else None,
            "startup_s": startup["wall_s"],
            "startup_cpu_s": startup["cpu_s"],
        },
        "pipeline_alone": {
            "wall_s": inner["pipeline_s"],
            "realtime_factor": rnd(duration / inner["pipeline_s"], 1)
            if inner["pipeline_s"]
            else None,
            "us_per_sample": rnd(1e6 * inner["pipeline_s"] / max(1, inner["samples"]), 4),
            # CPU seconds of the same run (one thread): what the code costs, whatever else
            # shares the machine.
            "cpu_s": inner["pipeline_cpu_s"],
            "realtime_factor_cpu": rnd(duration / inner["pipeline_cpu_s"], 1)
            if inner["pipeline_cpu_s"]
            else None,
            "empty_pipeline_s": inner["empty_pipeline_s"],
            "per_detector_s": inner["per_detector_s"],
            "read_s": inner["read_s"],
            "serialize_s": inner["serialize_s"],
            "import_s": inner["import_s"],
        },
        "floor": {
            "reader": "numpy.loadtxt (whole file, all columns)",
            "filter": "scipy.signal.sosfilt, 4th-order Butterworth low-pass 5 Hz, 3 acc axes",
            "peaks": "scipy.signal.find_peaks on filtered vertical axis, distance 0.25 s",
            "whole_process_wall_s": floor_run["wall_s"],
            "whole_process_cpu_s": floor_run["cpu_s"],
            "read_s": rnd(floor["read_s"], 4),
            "sosfilt_s": rnd(floor["sosfilt_s"], 4),
            "find_peaks_s": rnd(floor["find_peaks_s"], 4),
            "import_s": rnd(floor["import_s"], 4),
        },
        "ratio_to_floor": {
            "whole_process": rnd(whole["wall_s"] / floor_run["wall_s"], 2),
            "whole_process_cpu": rnd(whole["cpu_s"] / floor_run["cpu_s"], 2)
            if floor_run["cpu_s"]
            else None,
            "pipeline_vs_floor_compute": rnd(inner["pipeline_s"] / floor_compute, 1)
            if floor_compute > 0
            else None,
            "reading_vs_loadtxt": rnd(inner["read_s"] / floor["read_s"], 2)
            if floor["read_s"] > 0
            else None,
        },
        "algorithmic_latency": inner["algorithmic_latency"],
    }


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)))
