"""Render a results JSON as the Markdown tables of README.md's "Performance" section.

``python -m benchmarks.readme [benchmarks/results.json]`` prints them; the prose around them
(why a target is missed) is written by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.run import PUBLISHED


def _n(v: Any, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.{digits}g}"
    return str(v)


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    out: list[str] = []
    loaded = max(m["load_average"][0], r.get("load_average_at_end", [0.0])[0]) > 1.0
    busy = (
        " (other work shared the machine, so wall-clock figures are pessimistic; CPU figures "
        "are less affected)"
        if loaded
        else ""
    )
    out.append(
        f"Measured with `python -m benchmarks --publish` on {m['date_utc'][:10]} "
        f"({m['date_utc'][11:16]} UTC, commit `{m['git_commit']}`): {m['cpu_model']}, "
        f"{m['cpus']} cores, {m['memory_gb']} GB, {m['os'].split('-with-')[0]}, Python "
        f"{m['python']}, numpy {m['numpy']}, scipy {m['scipy']}, paho-mqtt {m['paho_mqtt']}, "
        f"{m['mosquitto'] or 'mosquitto'}. Load average (1 minute) when the run started "
        f"{m['load_average'][0]:.1f} and when it ended {r['load_average_at_end'][0]:.1f} on "
        f"2 cores{busy}. Full figures: `benchmarks/results.json`."
    )
    out.append("")
    out.append("| target | measured | target | met |")
    out.append("|---|---|---|---|")
    for t in r["targets"]:
        met = {True: "yes", False: "**no**", None: "–"}[t["met"]]
        out.append(f"| {t['figure']} | {_n(t['value'])} | {t['target']} | {met} |")
    out.append("")
    if "offline" in r:
        out.append(
            "**Offline** (`retrosense analyze FILE --format jsonl > /dev/null`, best of "
            f"{r['sizes']['reps']}; 2-hour recordings made by `retrosense simulate mixed`):"
        )
        out.append("")
        out.append(
            "| recording | samples | events | whole process s (× real time) | its CPU s "
            "(× real time) | start-up s | pipeline alone s (× real time) | its CPU s "
            "(× real time) | floor s (loadtxt + sosfilt + find_peaks, whole process) | "
            "ratio to floor (wall / CPU) |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for key, o in r["offline"].items():
            w, p, f, q = o["whole_process"], o["pipeline_alone"], o["floor"], o["ratio_to_floor"]
            out.append(
                f"| {key} | {_n(o['samples'])} | {_n(o['events'])} | {_n(w['wall_s'])} "
                f"({_n(w['realtime_factor'])}×) | {_n(w['cpu_s'])} "
                f"({_n(w.get('realtime_factor_cpu'))}×) | {_n(w['startup_s'])} | "
                f"{_n(p['wall_s'])} ({_n(p['realtime_factor'])}×) | "
                f"{_n(p.get('cpu_s'))} ({_n(p.get('realtime_factor_cpu'))}×) | "
                f"{_n(f['whole_process_wall_s'])} | {_n(q['whole_process'])} / "
                f"{_n(q.get('whole_process_cpu'))} |"
            )
        out.append("")
        out.append(
            "Inside the process (seconds): import, reading the CSV (`RecordingReader` + body "
            "frame), each detector alone over the in-memory file, JSON serialisation; and the "
            "floor's `numpy.loadtxt`, `sosfilt`, `find_peaks`:"
        )
        out.append("")
        out.append(
            "| recording | import | read | detectors alone | serialise | floor import | "
            "floor loadtxt | floor sosfilt + find_peaks |"
        )
        out.append("|---|---|---|---|---|---|---|---|")
        for key, o in r["offline"].items():
            p, f = o["pipeline_alone"], o["floor"]
            dets = ", ".join(f"{k} {_n(v)}" for k, v in p["per_detector_s"].items()) or "–"
            out.append(
                f"| {key} | {_n(p['import_s'])} | {_n(p['read_s'])} | {dets} | "
                f"{_n(p['serialize_s'])} | {_n(f['import_s'])} | {_n(f['read_s'])} | "
                f"{_n(f['sosfilt_s'])} + {_n(f['find_peaks_s'])} |"
            )
        out.append("")
    if "streaming" in r:
        s0 = next(iter(r["streaming"].values()))
        out.append(
            f"**Streaming** ({s0['bands']} bands fed round-robin, {_n(s0['seconds_per_band'])} s "
            "each, CPU time of `Pipeline.update`; chunk = samples per BLE notification: 1 as a "
            "WitMotion sends, 8 between the two, 36 as a full H10 "
            "16-bit frame):"
        )
        out.append("")
        out.append(
            "| recording | chunk | µs per band-second | µs per update call | bands per core |"
        )
        out.append("|---|---|---|---|---|")
        for key, s in r["streaming"].items():
            for size, c in s["by_chunk"].items():
                out.append(
                    f"| {key} | {size} | {_n(c['us_per_band_second'])} | "
                    f"{_n(c['us_per_update_call'])} | {_n(c['bands_per_core'])} |"
                )
        out.append("")
        out.append(
            f"Per detector at chunk {s0['headline_chunk']} (µs per band-second, each alone in "
            "a pipeline):"
        )
        out.append("")
        for key, s in r["streaming"].items():
            parts = ", ".join(
                f"{k} {_n(v)}" for k, v in s["per_detector_us_per_band_second"].items()
            )
            out.append(f"- {key}: {parts}")
        out.append("")
    if "memory" in r:
        out.append(
            "**Memory** (psutil RSS in a fresh process; per band = growth with "
            f"{next(iter(r['memory'].values()))['bands']} warmed-up pipelines; flat = RSS "
            "every 5 minutes of a 2-hour stream, after a 10-minute warm-up):"
        )
        out.append("")
        out.append(
            "| recording | kB per band (RSS) | kB per band (tracemalloc) | bands streamed | "
            "RSS growth after warm-up | slope |"
        )
        out.append("|---|---|---|---|---|---|")
        for key, mem in r["memory"].items():
            f = mem["flat"]
            out.append(
                f"| {key} | {_n(mem['kb_per_band'])} | {_n(mem.get('traced_kb_per_band'))} | "
                f"{f['bands']} over "
                f"{f['stream_s'] / 3600:.2g} h | {_n(f['growth_after_warmup_mb'])} MB | "
                f"{_n(f['slope_mb_per_hour'])} MB/h |"
            )
        out.append("")
    if "e2e" in r:
        e = r["e2e"]
        out.append(
            f"**End to end** (chunk of {e['chunk']} samples at 100 Hz per band, "
            f"{_n(e['seconds_per_run'])} s per run, publisher: {e['publisher']}; delay = "
            "arrival at a subscriber in another process minus the scheduled arrival of the "
            "notification that completed the event; algorithmic latency `detected_at - t` "
            "apart):"
        )
        out.append("")
        out.append(
            "| bands | events delivered | delay p50 ms | p99 ms | max ms | update call p99 ms |"
            " algorithmic latency p50 / p99 s | driver fell behind |"
        )
        out.append("|---|---|---|---|---|---|---|---|")
        runs = dict(e["runs"])
        if "transport_floor" in e:
            runs[f"{e['transport_floor']['bands']}, bare paho"] = e["transport_floor"]
        for bands, x in runs.items():
            d, a = x["delay_ms"], x["algorithmic_latency_s"]
            out.append(
                f"| {bands} | {x['events_received']}/{x['events_published']} | {_n(d['p50'])} | "
                f"{_n(d['p99'])} | {_n(d['max'])} | {_n(x['update_ms']['p99'])} | "
                f"{_n(a['p50'])} / {_n(a['p99'])} | {_n(x.get('fell_behind'))} |"
            )
        out.append("")
    if "csv" in r:
        c = r["csv"]
        out.append(
            f"**CSV reading** ({_n(c['rows'])} rows, {c['bytes'] / 2**20:.0f} MB, best of "
            f"{r['sizes']['reps']}): `RecordingReader` {_n(c['RecordingReader']['rows_per_s'])} "
            f"rows/s (all the spec's checks), `numpy.loadtxt` "
            f"{_n(c['numpy.loadtxt']['rows_per_s'])} rows/s, `csv` module + `float()` "
            f"{_n(c['csv']['rows_per_s'])} rows/s."
        )
    return "\n".join(out)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else PUBLISHED
    print(render(json.loads(path.read_text())))
