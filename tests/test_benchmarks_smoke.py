"""The benchmark runner works end to end on tiny sizes and reports every figure.

Nothing here is timed (speed lives in benchmarks/); the test proves the runner runs on a clean
checkout, that each section fills in every figure README.md quotes, and the few facts that do
not depend on speed: the three CSV readers read the same rows, every published event reached
the subscriber.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.paths import ROOT

RECORDINGS = ("chest_100hz", "shank_200hz_gyro")
NUMBERS = [
    ("machine", "cpus"),
    *[
        (section, rec, *path)
        for rec in RECORDINGS
        for section, *path in [
            ("offline", "samples"),
            ("offline", "whole_process", "wall_s"),
            ("offline", "whole_process", "realtime_factor"),
            ("offline", "whole_process", "startup_s"),
            ("offline", "pipeline_alone", "wall_s"),
            ("offline", "pipeline_alone", "realtime_factor"),
            ("offline", "pipeline_alone", "us_per_sample"),
            ("offline", "floor", "whole_process_wall_s"),
            ("offline", "floor", "read_s"),
            ("offline", "floor", "sosfilt_s"),
            ("offline", "floor", "find_peaks_s"),
            ("offline", "ratio_to_floor", "whole_process"),
            ("offline", "ratio_to_floor", "pipeline_vs_floor_compute"),
            ("streaming", "us_per_band_second"),
            ("streaming", "bands_per_core"),
            ("streaming", "by_chunk", "1", "us_per_band_second"),
            ("streaming", "by_chunk", "8", "us_per_band_second"),
            ("streaming", "by_chunk", "36", "us_per_band_second"),
            ("memory", "kb_per_band"),
            ("memory", "flat", "growth_after_warmup_mb"),
            ("memory", "flat", "slope_mb_per_hour"),
        ]
    ],
    ("csv", "RecordingReader", "rows_per_s"),
    ("csv", "numpy.loadtxt", "rows_per_s"),
    ("csv", "csv", "rows_per_s"),
]


def _get(d: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        assert isinstance(d, dict) and key in d, f"missing {'.'.join(path)} (at {key!r})"
        d = d[key]
    return d


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        if os.environ.get("CI"):
            pytest.fail("mosquitto is missing in CI (.ci/run installs it)")
        pytest.skip("mosquitto is not installed: the end-to-end section needs a real broker")
    out_dir = tmp_path_factory.mktemp("bench")
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    results = json.loads((out_dir / "latest.json").read_text())
    return results, out.stdout


@pytest.mark.slow
def test_every_figure_is_a_number(quick_run: tuple[dict[str, Any], str]) -> None:
    results, _ = quick_run
    for path in NUMBERS:
        value = _get(results, path)
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (
            f"{'.'.join(path)} = {value!r}"
        )
    for key in ("cpu_model", "python", "numpy", "scipy", "date_utc"):
        assert _get(results, ("machine", key))
    for rec in RECORDINGS:
        series = _get(results, ("memory", rec, "flat", "rss_series_mb"))
        assert len(series) >= 2


@pytest.mark.slow
def test_end_to_end_delivers_every_event(quick_run: tuple[dict[str, Any], str]) -> None:
    results, _ = quick_run
    runs = [*_get(results, ("e2e", "runs")).values(), _get(results, ("e2e", "transport_floor"))]
    assert len(runs) == 3
    for run in runs:
        assert run["notifications"] > 0
        assert run["events_received"] == run["events_published"]
        if run["events_published"]:
            for q in ("p50", "p99"):
                assert isinstance(run["delay_ms"][q], float)
            assert isinstance(run["algorithmic_latency_s"]["p50"], float)


@pytest.mark.slow
def test_the_three_csv_readers_agree_on_rows(quick_run: tuple[dict[str, Any], str]) -> None:
    results, _ = quick_run
    csv = results["csv"]
    rows = {csv[name]["rows"] for name in ("RecordingReader", "numpy.loadtxt", "csv")}
    assert rows == {results["offline"]["chest_100hz"]["samples"]}


@pytest.mark.slow
def test_targets_and_table(quick_run: tuple[dict[str, Any], str]) -> None:
    results, table = quick_run
    figures = [t["figure"] for t in results["targets"]]
    assert len(figures) == 8, figures
    for t in results["targets"]:
        assert set(t) == {"figure", "value", "target", "met"}
        assert t["met"] in (True, False) or t["value"] is None
    assert "targets:" in table
    assert results["machine"]["cpu_model"] in table
