"""Coaching cues end to end: ``retrosense replay --program`` to a real Mosquitto."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from sensor.demo import demo_recording
from tests.conftest import Mosquitto
from tests.paths import DATA, ROOT
from tests.sensor.mqtt_sink import WAIT_S, Received, Sink

SAMPLER = """
name = "Test sampler"
[[intervals]]
activity = "walk"
direction = "backward"
duration_s = 12
cadence_spm = [90, 130]
[[intervals]]
activity = "rest"
duration_s = 5
[[intervals]]
activity = "jump"
reps = 4
min_height_m = 0.10
[[intervals]]
activity = "pedal"
direction = "backward"
duration_s = 25
"""

DRILL = """
name = "Drill"
[[intervals]]
activity = "jump"
reps = 24
landing = "soft"
"""


def replay(
    mosquitto: Mosquitto, tmp_path: Path, recording: Path, program: str, coach: str = ""
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Replay ``recording`` following ``program``; the cues and the summary the broker got."""
    base = f"coach{uuid.uuid4().hex[:8]}"
    program_file = tmp_path / "program.toml"
    program_file.write_text(program, encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(
        f'[broker]\nurl = "{mosquitto.url}"\nbase_topic = "{base}"\n'
        f'outbox_path = "{tmp_path / "outbox.sqlite3"}"\n{coach}',
        encoding="utf-8",
    )
    sink = Sink(mosquitto.url, [f"{base}/+/cue", f"{base}/+/summary"], client_id=base)
    try:
        run = subprocess.run(
            [
                *(sys.executable, "-m", "sensor", "replay", str(recording)),
                *("--config", str(config), "--program", str(program_file)),
                *("--speed", "max", "--summary", "-", "--band-id", "coached"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert run.returncode == 0, run.stderr

        def summary_in(got: list[Received]) -> bool:
            return any(m.topic.endswith("/summary") for m in got)

        got = sink.wait_for(summary_in, WAIT_S)
    finally:
        sink.client.disconnect()
    cues = [m.json for m in got if m.topic == f"{base}/coached/cue"]
    summary = next(m.json for m in got if m.topic.endswith("/summary"))
    return cues, summary


def test_replay_with_a_program_publishes_its_cues_when_they_happen(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    recording = demo_recording()
    truth = json.loads(recording.with_suffix(".truth.json").read_text(encoding="utf-8"))
    cues, summary = replay(mosquitto, tmp_path, recording, SAMPLER)
    kinds = [c["kind"] for c in cues]
    assert kinds == [
        "interval_next",  # the first interval, at the start
        "interval_start",  # walk: the first backward step
        "interval_done",  # 12 s later; the rest begins
        "interval_done",  # the rest is over: jumps next
        "interval_start",  # the first jump
        "jump_low",  # the third jump flies 6 cm (labelled 0.21 s flight)
        "interval_done",  # the fourth jump
        "interval_start",  # pedal: the first revolution
        "pedal_reversal",  # the labelled reversal, backward -> forward
        "program_done",  # 25 s after the first revolution
    ]
    by_kind = {c["kind"]: c for c in cues}
    walk_start, walk_done, rest_done = cues[1]["t"], cues[2]["t"], cues[3]["t"]
    first_step = truth["steps"][0]["t"]
    assert first_step <= walk_start <= first_step + 1.5  # the detector confirms a few steps
    assert walk_done == pytest.approx(walk_start + 12.0, abs=1e-3)
    assert rest_done == pytest.approx(walk_done + 5.0, abs=1e-3)
    landings = [j["landing_t"] for j in truth["jumps"]]
    assert cues[4]["t"] == pytest.approx(landings[0], abs=0.05)
    assert cues[6]["t"] == pytest.approx(landings[3], abs=0.05)
    assert by_kind["jump_low"]["t"] == pytest.approx(landings[2], abs=0.05)
    assert by_kind["pedal_reversal"]["t"] == pytest.approx(truth["reversals"][0]["t"], abs=1.5)
    assert by_kind["pedal_reversal"]["numbers"]["direction"] == "forward"
    pedal_start = cues[7]["t"]
    assert by_kind["program_done"]["t"] == pytest.approx(pedal_start + 25.0, abs=1e-3)
    for cue in cues:
        assert cue["band"] == "coached" and cue["event_type"] == cue["kind"] and cue["text"]
    program = summary["program"]
    assert program["name"] == "Test sampler"
    assert program["intervals_done"] == 4
    assert [i["status"] for i in program["intervals"]] == ["done"] * 4
    assert program["intervals"][2]["reps"] == 4
    assert program["cues"]["interval_done"] == 3


def test_cues_are_rate_limited_and_a_kind_switched_off_never_comes(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    recording = DATA / "sim" / "jumpdrill_chest_100hz.csv"
    # Three stiff landings: 28.4 s and 29.0 s (within the 20 s gap), then 52.6 s.
    cues, summary = replay(mosquitto, tmp_path, recording, DRILL, "[coach]\nrepeat_gap_s = 20\n")
    stiff = [c["t"] for c in cues if c["kind"] == "stiff_landing"]
    assert len(stiff) == 2
    assert stiff[1] - stiff[0] >= 20.0
    assert summary["program"]["cues_held_back"] == {"stiff_landing": 1}
    assert summary["program"]["intervals"][0]["landings"]["stiff"] == 3

    quiet, summary = replay(
        mosquitto,
        tmp_path,
        recording,
        DRILL,
        '[coach]\noff = ["stiff_landing", "interval_next"]\n',
    )
    kinds = {c["kind"] for c in quiet}
    assert "stiff_landing" not in kinds and "interval_next" not in kinds
    assert {"interval_start", "program_done"} <= kinds
    assert summary["program"]["cues_held_back"] == {}
