"""The benchmark runner: ``python -m benchmarks`` (or ``python benchmarks/run.py``).

Prints a table and writes the full figures as JSON to ``benchmarks/out/results-<time>.json``
(and ``benchmarks/out/latest.json``); ``--publish`` also writes ``benchmarks/results.json``,
the run README.md quotes. ``--quick`` runs every section on tiny sizes (the smoke test uses it;
its figures mean nothing). Recordings are generated once and cached under ``benchmarks/out/``.

Sections: ``offline`` (analyze throughput vs the numpy/scipy floor), ``streaming`` (CPU per
band-second in BLE-sized chunks), ``memory`` (RSS per band, flat over the stream), ``e2e``
(notification to MQTT subscriber through a local Mosquitto), ``csv`` (reader vs numpy.loadtxt
vs the csv module).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import PYTHON, ROOT, machine, run_json, utc_now
from benchmarks.data import RecordingSpec, ensure_recording, load_body

SECTIONS = ("offline", "streaming", "memory", "e2e", "csv")
OUT = ROOT / "benchmarks" / "out"
PUBLISHED = ROOT / "benchmarks" / "results.json"

#: The speed and memory targets, for a 2-core machine.
TARGET_REALTIME_FACTOR = 2000.0
TARGET_FLOOR_RATIO = 3.0
TARGET_BANDS_PER_CORE = 500
TARGET_KB_PER_BAND = 2048.0
#: "Flat": resident memory grows by less than this over the stream after warm-up.
TARGET_FLAT_GROWTH_MB = 1.0
TARGET_E2E_P99_MS = 50.0


@dataclass(frozen=True)
class Sizes:
    duration_s: float
    reps: int
    stream_bands: int
    stream_s: float
    mem_bands: int
    mem_warm_s: float
    flat_bands: int
    flat_chunk: int
    e2e_bands: tuple[int, ...]
    e2e_s: float


FULL = Sizes(
    duration_s=7200.0,
    reps=3,
    stream_bands=10,
    stream_s=60.0,
    mem_bands=50,
    mem_warm_s=60.0,
    flat_bands=2,
    flat_chunk=36,
    e2e_bands=(1, 10, 100),
    e2e_s=30.0,
)
QUICK = Sizes(
    duration_s=90.0,
    reps=1,
    stream_bands=2,
    stream_s=20.0,
    mem_bands=4,
    mem_warm_s=10.0,
    flat_bands=1,
    flat_chunk=36,
    e2e_bands=(1, 2),
    e2e_s=6.0,
)


def recordings(sizes: Sizes) -> dict[str, RecordingSpec]:
    d = sizes.duration_s
    return {
        "chest_100hz": RecordingSpec("chest_100hz", "chest", 100, False, d, seed=101),
        "shank_200hz_gyro": RecordingSpec("shank_200hz_gyro", "shank", 200, True, d, seed=202),
    }


def _first_event_s(samples: Any, info: Any) -> float:
    """Seconds from the start to the first event, so short runs start where something happens."""
    from analysis.registry import build_pipeline
    from analysis.stream import run_stream

    events = run_stream(build_pipeline(info), samples.chunks(65_536))
    if not events:
        return 0.0
    return max(0.0, min(e.t for e in events) - float(samples.time_s[0]) - 5.0)


def run(
    sizes: Sizes, sections: tuple[str, ...], data_dir: Path, reuse: bool = False
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "schema": "retrosense-benchmarks/1",
        "machine": machine(),
        "sizes": sizes.__dict__ | {"e2e_bands": list(sizes.e2e_bands)},
        "recordings": {},
    }
    files: dict[str, Path] = {}
    for key, spec in recordings(sizes).items():
        t0 = time.perf_counter()
        path, meta = ensure_recording(spec, data_dir, reuse)
        files[key] = path
        results["recordings"][key] = meta | {"file": path.name}
        _log(f"recording {key}: {path.name} ({time.perf_counter() - t0:.1f} s)")
    loaded = {key: load_body(path) for key, path in files.items()}
    from analysis.registry import build_detectors

    results["detectors"] = {
        key: [type(d).__name__ for d in build_detectors(info)] for key, (_, info) in loaded.items()
    }
    if "offline" in sections:
        from benchmarks import offline

        results["offline"] = {}
        for key, path in files.items():
            _log(f"offline {key} ...")
            results["offline"][key] = offline.measure(path, sizes.reps)
    _checkpoint(results, data_dir)
    if "streaming" in sections:
        from benchmarks import streaming

        results["streaming"] = {}
        for key, (samples, info) in loaded.items():
            _log(f"streaming {key} ...")
            results["streaming"][key] = streaming.measure(
                samples, info, sizes.stream_bands, sizes.stream_s
            )
    _checkpoint(results, data_dir)
    if "memory" in sections:
        results["memory"] = {}
        for key, path in files.items():
            _log(f"memory {key} ...")
            results["memory"][key] = run_json(
                [
                    PYTHON,
                    "-m",
                    "benchmarks.memory",
                    str(path),
                    str(sizes.mem_bands),
                    str(sizes.mem_warm_s),
                    str(sizes.flat_bands),
                    str(sizes.flat_chunk),
                ]
            )
    _checkpoint(results, data_dir)
    if "e2e" in sections:
        from benchmarks import e2e

        samples, info = loaded["chest_100hz"]
        _log("e2e chest_100hz ...")
        results["e2e"] = e2e.measure(
            samples, info, sizes.e2e_bands, sizes.e2e_s, _first_event_s(samples, info)
        )
    _checkpoint(results, data_dir)
    if "csv" in sections:
        from benchmarks import csvread

        _log("csv chest_100hz ...")
        results["csv"] = csvread.measure(files["chest_100hz"], sizes.reps)
    results["targets"] = targets(results)
    results["finished_utc"] = utc_now()
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def _checkpoint(results: dict[str, Any], data_dir: Path) -> None:
    """Write what is measured so far, so a long run that is stopped still leaves its figures."""
    (data_dir.parent / "partial.json").write_text(json.dumps(results, indent=1))


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Each speed and memory target with the measured figure and whether it is met."""
    out: list[dict[str, Any]] = []

    def add(name: str, value: Any, target: str, met: bool | None) -> None:
        out.append({"figure": name, "value": value, "target": target, "met": met})

    rtf = _get(r, "offline", "chest_100hz", "whole_process", "realtime_factor")
    if "offline" in r:
        add(
            "offline chest 100 Hz, whole process, × real time",
            rtf,
            f">= {TARGET_REALTIME_FACTOR:g}",
            None if rtf is None else rtf >= TARGET_REALTIME_FACTOR,
        )
        ratio = _get(r, "offline", "chest_100hz", "ratio_to_floor", "whole_process")
        add(
            "offline chest 100 Hz, whole process / numpy-scipy floor",
            ratio,
            f"<= {TARGET_FLOOR_RATIO:g}",
            None if ratio is None else ratio <= TARGET_FLOOR_RATIO,
        )
    if "streaming" in r:
        bpc = _get(r, "streaming", "chest_100hz", "bands_per_core")
        add(
            "streaming chest 100 Hz, bands per core",
            bpc,
            f">= {TARGET_BANDS_PER_CORE}",
            None if bpc is None else bpc >= TARGET_BANDS_PER_CORE,
        )
    if "memory" in r:
        for key in ("chest_100hz", "shank_200hz_gyro"):
            kb = _get(r, "memory", key, "kb_per_band")
            add(
                f"memory {key}, kB per band",
                kb,
                f"< {TARGET_KB_PER_BAND:g}",
                None if kb is None else kb < TARGET_KB_PER_BAND,
            )
            growth = _get(r, "memory", key, "flat", "growth_after_warmup_mb")
            add(
                f"memory {key}, growth after warm-up over the stream, MB",
                growth,
                f"< {TARGET_FLAT_GROWTH_MB:g} (flat)",
                None if growth is None else growth < TARGET_FLAT_GROWTH_MB,
            )
    if "e2e" in r:
        runs = _get(r, "e2e", "runs") or {}
        biggest = max(runs, key=int) if runs else None
        p99 = _get(runs, biggest, "delay_ms", "p99") if biggest else None
        add(
            f"end-to-end p99 at {biggest} bands, ms",
            p99,
            f"< {TARGET_E2E_P99_MS:g}",
            None if p99 is None else p99 < TARGET_E2E_P99_MS,
        )
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def table(r: dict[str, Any]) -> str:
    """A plain-text summary of the results."""
    lines: list[str] = []
    m = r["machine"]
    lines.append(
        f"{m['cpu_model']}, {m['cpus']} CPUs, Python {m['python']}, numpy {m['numpy']}, "
        f"scipy {m['scipy']}, {m['date_utc']}, load average {m['load_average']}"
    )
    for key, names in r.get("detectors", {}).items():
        lines.append(f"detectors for {key}: {', '.join(names) or '(none registered)'}")
    rows: list[tuple[str, str]] = []
    for key, o in r.get("offline", {}).items():
        wp, pa = o["whole_process"], o["pipeline_alone"]
        rows += [
            (f"offline {key}: samples / events", f"{_fmt(o['samples'])} / {_fmt(o['events'])}"),
            (
                f"offline {key}: whole process wall s (× real time)",
                f"{_fmt(wp['wall_s'])} ({_fmt(wp['realtime_factor'])}×)",
            ),
            (f"offline {key}: of which start-up s", _fmt(o["whole_process"]["startup_s"])),
            (
                f"offline {key}: pipeline alone s (× real time)",
                f"{_fmt(pa['wall_s'])} ({_fmt(pa['realtime_factor'])}×)",
            ),
            (
                f"offline {key}: floor whole process s (loadtxt+sosfilt+find_peaks)",
                _fmt(o["floor"]["whole_process_wall_s"]),
            ),
            (
                f"offline {key}: ratio to floor, whole process",
                _fmt(o["ratio_to_floor"]["whole_process"]),
            ),
            (
                f"offline {key}: ratio pipeline / (sosfilt+find_peaks)",
                _fmt(o["ratio_to_floor"]["pipeline_vs_floor_compute"]),
            ),
        ]
    for key, s in r.get("streaming", {}).items():
        for size, c in s["by_chunk"].items():
            rows.append(
                (
                    f"streaming {key}, chunk {size}: µs per band-second (bands/core)",
                    f"{_fmt(c['us_per_band_second'])} ({_fmt(c['bands_per_core'])})",
                )
            )
    for key, mem in r.get("memory", {}).items():
        rows.append((f"memory {key}: kB per band", _fmt(mem["kb_per_band"])))
        f = mem["flat"]
        rows.append(
            (
                f"memory {key}: {f['bands']} bands over {f['stream_s'] / 3600:.2g} h, growth MB",
                f"{_fmt(f['growth_after_warmup_mb'])} ({_fmt(f['slope_mb_per_hour'])} MB/h)",
            )
        )
    e2e_runs = dict((r.get("e2e") or {}).get("runs", {}))
    if "transport_floor" in (r.get("e2e") or {}):
        floor = r["e2e"]["transport_floor"]
        e2e_runs[f"{floor['bands']} (bare paho)"] = floor
    for bands, e in e2e_runs.items():
        d = e["delay_ms"]
        got = f"{e['events_received']}/{e['events_published']}"
        rows.append(
            (
                f"e2e {bands} band(s): delay ms p50 / p99 (events)",
                f"{_fmt(d['p50'])} / {_fmt(d['p99'])} ({got})",
            )
        )
        a = e["algorithmic_latency_s"]
        rows.append(
            (
                f"e2e {bands} band(s): algorithmic latency s p50 / p99",
                f"{_fmt(a['p50'])} / {_fmt(a['p99'])}",
            )
        )
    c = r.get("csv")
    if c:
        for name in ("RecordingReader", "numpy.loadtxt", "csv"):
            rows.append((f"csv {name}: rows/s", _fmt(c[name]["rows_per_s"])))
    width = max((len(a) for a, _ in rows), default=10)
    lines.append("")
    lines += [f"{a:<{width}}  {b}" for a, b in rows]
    lines.append("")
    lines.append("targets:")
    for t in r.get("targets", []):
        mark = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
        lines.append(f"  [{mark:>6}] {t['figure']}: {_fmt(t['value'])} (target {t['target']})")
    return "\n".join(lines)


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick", action="store_true", help="tiny sizes (smoke test); figures mean nothing"
    )
    p.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections ({', '.join(SECTIONS)})",
    )
    p.add_argument("--out", type=Path, default=OUT, help="folder for JSON and cached recordings")
    p.add_argument(
        "--publish", action="store_true", help=f"also write {PUBLISHED.relative_to(ROOT)}"
    )
    p.add_argument(
        "--reuse-recordings",
        action="store_true",
        help="use cached recordings even if the simulator changed since they were made",
    )
    args = p.parse_args(argv)
    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        p.error(f"unknown section(s) {', '.join(sorted(unknown))}; expected {', '.join(SECTIONS)}")
    sizes = QUICK if args.quick else FULL
    args.out.mkdir(parents=True, exist_ok=True)
    results = run(sizes, sections, args.out / "data", args.reuse_recordings)
    text = json.dumps(results, indent=1)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (args.out / f"results-{stamp}.json").write_text(text)
    (args.out / "latest.json").write_text(text)
    if args.publish:
        PUBLISHED.write_text(text + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
