"""The session report's size and drawing time: ``python -m benchmarks.report``.

A two-hour 100 Hz session (the benchmarks' simulated mixed workout on a chest band, and the
same on a shank band with gyroscope, which adds pedalling) goes through ``retrosense report``;
the HTML file's size is measured, then it is opened in Debian's headless Chromium (Playwright,
a new empty profile each time) and timed from navigation to the moment every chart is drawn
(the page sets ``body[data-ready]``), best and median of ``--reps``, with the CPU time the
page's renderer main thread spent meanwhile (what the drawing costs, whatever else runs on
the machine) and the same for a page of plotly.js alone. Then the signal chart is zoomed to
one minute, timed in the page. The targets: under 10 MB, drawn in under 3 s. Prints JSON;
``--out FILE`` writes it too. Needs the test extra (Playwright) and psutil.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import PYTHON, ROOT, machine, utc_now
from benchmarks.data import RecordingSpec, ensure_recording
from tests.browser import CHROMIUM, CHROMIUM_ARGS

TARGET_MB = 10.0
TARGET_DRAW_S = 3.0


def _chromium_cpu() -> dict[int, tuple[float, float]]:
    """CPU seconds so far of every Chromium process here: (its main thread, all threads).

    A renderer's main thread parses the page, runs plotly.js and lays the charts out, one
    task after another: its CPU time is what the drawing costs, whatever else the machine
    runs, and the least the wall time can be on an idle machine.
    """
    import psutil

    out: dict[int, tuple[float, float]] = {}
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            if "chrom" not in (proc.info["name"] or ""):
                continue
            threads = {t.id: t.user_time + t.system_time for t in proc.threads()}
            out[proc.pid] = (threads.get(proc.pid, 0.0), sum(threads.values()))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def _cpu_spent(
    before: dict[int, tuple[float, float]], after: dict[int, tuple[float, float]]
) -> tuple[float, float]:
    """The busiest main thread's CPU seconds between two snapshots, and all processes'."""
    main = 0.0
    total = 0.0
    for pid, (m, t) in after.items():
        m0, t0 = before.get(pid, (0.0, 0.0))
        main = max(main, m - m0)
        total += t - t0
    return main, total


def draw_times(html: Path, reps: int) -> dict[str, Any]:
    """Seconds from navigation to every chart drawn, and a zoom's redraw, over ``reps``; and
    the same for a page holding plotly.js alone, the part no report can do without (on a
    machine shared with other work, both grow together)."""
    from playwright.sync_api import sync_playwright

    from sensor.web.report import plotly_js

    alone = html.with_name("plotly-alone.html")
    alone.write_text(
        f"<!DOCTYPE html><html><body><script>{plotly_js()}</script><script>"
        "document.body.setAttribute('data-ready', 'true')</script></body></html>",
        encoding="utf-8",
    )
    loads: list[float] = []
    zooms: list[float] = []
    bases: list[float] = []
    main_cpu: list[float] = []
    all_cpu: list[float] = []
    base_cpu: list[float] = []
    with sync_playwright() as p:
        for _ in range(reps):
            with tempfile.TemporaryDirectory(prefix="bench-chromium-") as profile:
                ctx = p.chromium.launch_persistent_context(
                    profile,
                    executable_path=CHROMIUM,
                    headless=True,
                    args=list(CHROMIUM_ARGS),
                    viewport={"width": 1100, "height": 900},
                )
                page = ctx.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                cpu0 = _chromium_cpu()
                t0 = time.perf_counter()
                page.goto(html.as_uri(), timeout=120_000)
                page.wait_for_selector("body[data-ready=true]", timeout=120_000)
                loads.append(time.perf_counter() - t0)
                main, everything = _cpu_spent(cpu0, _chromium_cpu())
                main_cpu.append(main)
                all_cpu.append(everything)
                base = ctx.new_page()
                cpu0 = _chromium_cpu()
                t0 = time.perf_counter()
                base.goto(alone.as_uri(), timeout=120_000)
                base.wait_for_selector("body[data-ready=true]", state="attached", timeout=120_000)
                bases.append(time.perf_counter() - t0)
                base_cpu.append(_cpu_spent(cpu0, _chromium_cpu())[0])
                # In the page's own clock: one zoom of the signal chart, redrawn.
                zooms.append(
                    page.evaluate(
                        """() => new Promise(done => {
                          const gd = document.getElementById('b0-signal');
                          const r = gd.layout.xaxis.range.map(v => typeof v === 'string'
                            ? Date.parse(v.replace(' ', 'T') + 'Z') : v);
                          const t0 = performance.now();
                          gd.once('plotly_afterplot', () => done((performance.now() - t0) / 1000));
                          Plotly.relayout(gd, {'xaxis.range': [r[0] + 600000, r[0] + 660000]});
                        })"""
                    )
                )
                ctx.close()
                if errors:
                    raise RuntimeError(f"the page failed: {errors[0]}")
    return {
        "draw_best_s": round(min(loads), 3),
        "draw_median_s": round(statistics.median(loads), 3),
        "draw_all_s": [round(x, 3) for x in loads],
        "zoom_redraw_median_s": round(statistics.median(zooms), 3),
        "plotly_alone_median_s": round(statistics.median(bases), 3),
        "renderer_main_thread_cpu_median_s": round(statistics.median(main_cpu), 3),
        "chromium_all_cpu_median_s": round(statistics.median(all_cpu), 3),
        "plotly_alone_main_thread_cpu_median_s": round(statistics.median(base_cpu), 3),
    }


def bench(spec: RecordingSpec, reps: int, out_dir: Path) -> dict[str, Any]:
    import subprocess

    path, meta = ensure_recording(spec, out_dir / "data", reuse=True)
    html = out_dir / f"report-{spec.name}.html"
    t0 = time.perf_counter()
    subprocess.run(
        [PYTHON, "-m", "sensor", "-q", "report", str(path), "-o", str(html)],
        check=True,
        cwd=ROOT,
    )
    write_s = time.perf_counter() - t0
    size_mb = html.stat().st_size / 1e6
    result = {
        "recording": path.name,
        "generator": meta.get("command") or meta.get("generator"),
        "duration_s": spec.duration_s,
        "rate_hz": spec.rate_hz,
        "report_command_s": round(write_s, 2),
        "size_mb": round(size_mb, 2),
        "size_ok": size_mb < TARGET_MB,
    }
    result.update(draw_times(html, reps))
    result["draw_ok"] = result["draw_median_s"] < TARGET_DRAW_S
    result["draw_cpu_ok"] = result["renderer_main_thread_cpu_median_s"] < TARGET_DRAW_S
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=float, default=7200.0)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    out_dir = ROOT / "benchmarks" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    d = args.duration_s
    specs = [
        RecordingSpec("chest_100hz", "chest", 100, False, d, seed=101),
        RecordingSpec("shank_100hz_gyro", "shank", 100, True, d, seed=202),
    ]
    import os

    results = {
        "when": utc_now(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "machine": machine(),
        "targets": {"size_mb": TARGET_MB, "draw_s": TARGET_DRAW_S},
        "sessions": {s.name: bench(s, args.reps, out_dir) for s in specs},
    }
    text = json.dumps(results, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
