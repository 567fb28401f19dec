"""``retrosense analyze`` as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import real_recordings


def retrosense(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sensor", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("path", real_recordings(), ids=lambda p: p.name)
def test_analyze_runs_on_every_real_recording(path: Path) -> None:
    out = retrosense("analyze", str(path), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for line in lines:
        event = json.loads(line)
        assert {"type", "t", "detected_at"} <= event.keys()
    table = retrosense("analyze", str(path), "--format", "table")
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("duration: ")
    assert f"{len(lines)} events" in table.stdout.splitlines()[0]


def test_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "# retrosense-recording: 1\n# placement: chest\n# sample_rate_hz: 100\n"
        "time_s,acc_x_g,acc_y_g,acc_z_g\n0.0,0,0,1\n0.01,0,zero,1\n"
    )
    out = retrosense("analyze", str(bad))
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.strip() == (
        f"retrosense: error: {bad}:6: acc_y_g: expected a number, got 'zero'"
    )
    assert "Traceback" not in out.stderr


def test_missing_file(tmp_path: Path) -> None:
    out = retrosense("analyze", str(tmp_path / "nope.csv"))
    assert out.returncode == 2
    assert "nope.csv: cannot read: No such file or directory" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_unknown_placement_is_a_usage_error(tmp_path: Path) -> None:
    out = retrosense("analyze", "x.csv", "--placement", "elbow")
    assert out.returncode == 2
    assert "expected a placement" in out.stderr


def test_a_thigh_is_served(tmp_path: Path) -> None:
    """Every placement has a step detector now (the thigh's since the front-pocket phones): a
    still thigh gives no step, and nothing to warn about."""
    rec = tmp_path / "thigh.csv"
    rec.write_text(
        "# retrosense-recording: 1\n# placement: thigh\n# sample_rate_hz: 100\n"
        "time_s,acc_x_g,acc_y_g,acc_z_g\n" + "".join(f"{i / 100:.2f},0,0,1\n" for i in range(300))
    )
    out = retrosense("analyze", str(rec))
    assert out.returncode == 0
    # Only the activity stage speaks: a still thigh at its standing tilt.
    assert [json.loads(line)["type"] for line in out.stdout.splitlines()] == ["activity"]
    assert "no detector works" not in out.stderr


def test_the_command_line_starts_without_scipy() -> None:
    # Every command module is imported to build --help; SciPy (0.5 s) loads only when a
    # command runs. A module-level SciPy import in analysis/evaluate.py once tripled start-up.
    code = "import sys, sensor.cli; sensor.cli.build_parser(); print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_body_axes_override_the_recordings_own() -> None:
    """``--body-axes`` overrides a recording's header, as ``--placement`` does: the file's own
    axes given explicitly change nothing; axes with up and forward swapped find no walk."""
    walk = Path(__file__).resolve().parents[1] / "data" / "sim" / "walk_chest_100hz.csv"
    own = retrosense("analyze", str(walk), "--format", "jsonl")
    same = retrosense("analyze", str(walk), "--body-axes=-y,-x,-z")  # the header's
    swapped = retrosense("analyze", str(walk), "--body-axes=-z,-x,-y")
    assert own.returncode == same.returncode == swapped.returncode == 0, swapped.stderr
    assert same.stdout == own.stdout
    steps = [json.loads(line) for line in own.stdout.splitlines() if '"type":"step"' in line]
    assert len(steps) > 50
    assert swapped.stdout != own.stdout


@pytest.mark.parametrize("axes", ["+x,+x,+z", "foo", "+x,+y"])
def test_bad_body_axes_is_a_usage_error(axes: str) -> None:
    walk = Path(__file__).resolve().parents[1] / "data" / "sim" / "walk_chest_100hz.csv"
    out = retrosense("analyze", str(walk), f"--body-axes={axes}")
    assert out.returncode == 2
    assert out.stdout == ""
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("retrosense analyze: error: argument --body-axes: ")
    assert axes in last
    assert "Traceback" not in out.stderr


def test_table_shows_linked_jumps_and_inferred_turns() -> None:
    """The table carries what a drill's user looks for (set.repetition, contact time, RSI)
    and says how many events were inferred across lost packets rather than seen."""
    sim = Path(__file__).resolve().parents[1] / "data" / "sim"
    drill = retrosense("analyze", str(sim / "jumpdrill_chest_100hz.csv"), "--format", "table")
    jsonl = retrosense("analyze", str(sim / "jumpdrill_chest_100hz.csv"))
    assert drill.returncode == jsonl.returncode == 0, drill.stderr
    linked = next(e for e in map(json.loads, jsonl.stdout.splitlines()) if e.get("contact_time_s"))
    row = f"{linked['set_number']}.{linked['repetition']}"
    rows = [line.split() for line in drill.stdout.splitlines()]
    match = [r for r in rows if len(r) > 7 and r[1] == row]
    assert match, drill.stdout
    assert match[0][7] == f"{linked['contact_time_s']:.3f}"
    assert match[0][8] == f"{linked['reactive_strength_index']:.2f}"
    ride = retrosense("analyze", str(sim / "cycle_shank_100hz.csv"), "--format", "table")
    inferred = sum(
        1
        for e in map(
            json.loads,
            retrosense("analyze", str(sim / "cycle_shank_100hz.csv")).stdout.splitlines(),
        )
        if e.get("inferred")
    )
    assert inferred > 0
    assert f"not seen): revolution {inferred}" in ride.stdout


def test_the_summary_is_dated_by_the_recording_not_by_its_analysis(tmp_path: Path) -> None:
    rec = tmp_path / "walk.csv"
    rows = "".join(f"{i / 50:.2f},0,0,1\n" for i in range(200))
    rec.write_text(
        "# retrosense-recording: 1\n# placement: chest\n# sample_rate_hz: 50\n"
        "# started: 2025-03-04T05:06:07.000Z\ntime_s,acc_x_g,acc_y_g,acc_z_g\n" + rows
    )
    out = retrosense("analyze", str(rec), "--summary")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["started"] == "2025-03-04T05:06:07.000Z"
