"""Helpers shared by the benchmark sections: machine description, timing, percentiles."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cpu_model() -> str:
    """The CPU model as ``lscpu`` names it (falls back to /proc/cpuinfo, then platform)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return None


def mosquitto_version() -> str | None:
    try:
        out = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    first = (out.stdout or out.stderr).splitlines()
    return first[0].strip() if first else None


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import psutil

    return {
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "paho_mqtt": _version("paho-mqtt"),
        "mosquitto": mosquitto_version(),
        "git_commit": git_commit(),
        "date_utc": utc_now(),
        # Other work on the machine while the run started: the 1/5/15-minute load averages.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def children_cpu_s() -> float:
    """User plus system CPU seconds of all waited-for child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_process(cmd: Sequence[str], reps: int, *, capture: bool = False) -> dict[str, Any]:
    """Run ``cmd`` ``reps`` times with stdout to /dev/null; wall and CPU seconds of the best run.

    With ``capture`` the last run's stdout is returned as ``stdout`` (for children that report
    their own timings). Raises ``RuntimeError`` with the command's stderr if it fails.
    """
    walls: list[float] = []
    cpus: list[float] = []
    stdout = ""
    for _ in range(reps):
        cpu0 = children_cpu_s()
        t0 = time.perf_counter()
        out = subprocess.run(
            list(cmd),
            cwd=ROOT,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wall = time.perf_counter() - t0
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}")
        walls.append(wall)
        cpus.append(children_cpu_s() - cpu0)
        stdout = out.stdout or ""
    best = min(range(reps), key=lambda i: walls[i])
    result: dict[str, Any] = {
        "wall_s": round(walls[best], 4),
        "cpu_s": round(cpus[best], 4),
        "wall_all_s": [round(w, 4) for w in walls],
    }
    if capture:
        result["stdout"] = stdout
    return result


def run_json(cmd: Sequence[str], timeout_s: float = 3600) -> Any:
    """Run a benchmark child process that prints one JSON object on stdout; return it."""
    out = subprocess.run(list(cmd), cwd=ROOT, capture_output=True, text=True, timeout=timeout_s)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100, linear interpolation), or ``None`` for no values."""
    if not values:
        return None
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q))


def rnd(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(float(x), digits)


def write_outputs(text: str, data: Any, markdown: Path | None, json_path: Path | None) -> None:
    """Print a benchmark's report and write it (``--markdown``) and its figures (``--json``)."""
    sys.stdout.write(text)
    if markdown:
        markdown.write_text(text, encoding="utf-8")
    if json_path:
        json_path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
