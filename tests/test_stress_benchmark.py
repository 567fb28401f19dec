"""The stress set's scorer works end to end on six files and reports the worst, not the mean.

The full set (200 files, minutes) runs with ``python -m benchmarks.stress``, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.stress import (
    METRICS,
    format_report,
    main,
    regions,
    score_set,
    summarise,
    summary_json,
    worst_decile,
)
from sensor.simulate.stress import write_stress_set


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    directory = tmp_path_factory.mktemp("stress")
    write_stress_set(directory, 6, 5, jobs=1)
    return directory, score_set(directory, jobs=1)


def test_worst_decile_is_the_mean_of_the_worst_tenth() -> None:
    values = [1.0] * 18 + [0.5, 0.7]
    assert worst_decile(values) == pytest.approx(0.6)
    assert worst_decile([3.0] * 19 + [40.0], higher_is_better=False) == pytest.approx(21.5)
    assert worst_decile([0.9]) == 0.9
    f1 = next(m for m in METRICS if m.key == "step_f1")
    rows = [
        {"activity": "walk_forward", "placement": "chest", "gyro": False, "step_f1": v}
        for v in values
    ]
    s = summarise(rows, f1)
    assert s["files"] == 20 and s["worst_decile_mean"] == pytest.approx(0.6)
    assert s["met"] is False and s["files_missing_target"] == 2 and s["worst"] == 0.5
    assert s["mean"] == pytest.approx((18 + 1.2) / 20)


def test_regions_cut_numeric_parameters_into_terciles() -> None:
    f1 = next(m for m in METRICS if m.key == "step_f1")
    rows = [
        {
            "activity": "walk_forward",
            "placement": "waist",
            "gyro": False,
            "cadence_spm": 50.0 + 10 * i,
            "step_f1": 0.5 if i < 3 else 1.0,
        }
        for i in range(9)
    ]
    found = [r for r in regions(rows, f1, ["cadence_spm"]) if r["parameter"] == "cadence_spm"]
    assert [r["files"] for r in found] == [3, 3, 3]
    assert found[0]["bin"] == "50–70" and found[0]["missing_target"] == 3
    assert found[1]["missing_target"] == 0 and found[2]["mean"] == 1.0


def test_every_file_is_scored_with_its_parameters(
    scored: tuple[Path, list[dict[str, object]]],
) -> None:
    _, rows = scored
    assert len(rows) == 6 and not [r for r in rows if "error" in r]
    for row in rows:
        activity = str(row["activity"])
        assert "cadence_spm" in row if activity.startswith("walk") else True
        if activity.startswith("walk"):
            assert row["steps_labelled"] == row["steps"] and row["step_f1"] is not None
            assert row["jump_f1"] is None and row["revolution_count_error_pct"] is None
        if activity == "jumps":
            assert row["jump_f1"] is not None and row["step_f1"] is None
        if activity == "pedal":
            assert row["revolutions_labelled"] == row["revolutions"]
            assert row["reversals_labelled"] == 1
        assert {"served_steps", "served_jumps", "served_pedalling"} <= set(row)


def test_report_shows_the_worst_decile_targets_and_parameters(
    scored: tuple[Path, list[dict[str, object]]],
) -> None:
    _, rows = scored
    report = format_report(rows, "tiny")
    assert report.startswith("# tiny")
    for heading in ("## Per-file figures: every file", "## False events", "## Steps"):
        assert heading in report
    assert "worst decile (mean)" in report and "≥ 0.95" in report and "≥ 0.98" in report
    assert "Where it fails (step F1" in report and "Worst files (step F1)" in report
    document = summary_json(rows)
    assert set(document) == {"summary", "summary_served", "regions", "files"}
    step = document["summary"]["step_f1"]
    assert step["files"] == sum(str(r["activity"]).startswith("walk") for r in rows)
    assert {"mean", "median", "p10", "worst_decile_mean", "worst", "met"} <= set(step)
    json.dumps(document)  # machine-readable as it stands


def test_the_command_reuses_a_written_set(
    scored: tuple[Path, list[dict[str, object]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory, _ = scored
    manifest = (directory / "manifest.json").stat().st_mtime_ns
    out_json, out_md = tmp_path / "s.json", tmp_path / "s.md"
    code = main([str(directory), "--jobs", "1", "--json", str(out_json), "--markdown", str(out_md)])
    assert code == 0
    assert (directory / "manifest.json").stat().st_mtime_ns == manifest
    printed = capsys.readouterr().out
    assert printed.startswith("# Stress set: `retrosense simulate stress --count 6 --seed 5`")
    assert out_md.read_text() == printed
    assert len(json.loads(out_json.read_text())["files"]) == 6
