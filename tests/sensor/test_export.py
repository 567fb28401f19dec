"""``retrosense export``: events as CSV, and TCX workouts that follow the TCX schema.

The TCX files are validated against tests/data/schema/tcx-subset.xsd, the part of Garmin's
TrainingCenterDatabasev2.xsd an activity uses (element order, required elements, types and
ranges), with xmlschema.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
import xmlschema

from analysis.events import PedalBoutEvent, WalkBoutEvent
from sensor.cli import main
from sensor.demo import demo_recording
from sensor.export import TCX_NS, TPX_NS
from sensor.session import analyze_file
from tests.paths import DATA

XSD = xmlschema.XMLSchema(DATA / "schema" / "tcx-subset.xsd")
CAPTURE = DATA / "ble" / "h10_walk_chest.jsonl"
NS = {"t": TCX_NS, "x": TPX_NS}


def export(capsys: pytest.CaptureFixture[bytes], *args: str) -> bytes:
    assert main(["export", *args]) == 0
    out: bytes = capsys.readouterr().out
    return out


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_demo_workout_as_tcx_has_a_lap_per_bout(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    data = export(
        capsysbinary, str(demo_recording()), "--format", "tcx", "--start", "2026-05-01T09:30:00Z"
    )
    XSD.validate(data)  # raises with the element and the rule it breaks
    root = ET.fromstring(data)
    activity = root.find("t:Activities/t:Activity", NS)
    assert activity is not None and activity.get("Sport") == "Biking"
    laps = activity.findall("t:Lap", NS)
    events, duration_s = analyze_file(demo_recording())
    bouts = [e for e in events if isinstance(e, (WalkBoutEvent, PedalBoutEvent))]
    active = [lap for lap in laps if lap.findtext("t:Intensity", namespaces=NS) == "Active"]
    assert len(active) == len(bouts) >= 2
    # The laps cover the session, one after the other.
    starts = [when(lap.get("StartTime", "")) for lap in laps]
    lengths = [float(lap.findtext("t:TotalTimeSeconds", namespaces=NS) or 0) for lap in laps]
    for a, b, length in zip(starts, starts[1:], lengths, strict=False):
        assert (b - a).total_seconds() == pytest.approx(length, abs=0.002)
    assert sum(lengths) == pytest.approx(duration_s, abs=0.02)
    notes = [lap.findtext("t:Notes", namespaces=NS) or "" for lap in active]
    assert any(n.startswith("walking backward") for n in notes)
    assert any(n.startswith("pedalling") for n in notes)
    # Cadence: steps as the Activity Extension's RunCadence in the walk, crank rpm in the ride.
    walk = active[[n.startswith("walking") for n in notes].index(True)]
    ride = active[[n.startswith("pedalling") for n in notes].index(True)]
    assert walk.findall(".//x:RunCadence", NS)
    assert ride.find("t:Cadence", NS) is not None and ride.findall(".//t:Trackpoint/t:Cadence", NS)
    points = root.findall(".//t:Trackpoint", NS)
    assert len(points) == pytest.approx(duration_s + 1, abs=1)


def test_a_capture_with_heart_rate_as_tcx(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    data = export(capsysbinary, str(CAPTURE), "--format", "tcx")  # it says when it started
    XSD.validate(data)
    root = ET.fromstring(data)
    # The capture's start plus its first sample's time (the first notification, 20 ms in).
    assert root.findtext(".//t:Activity/t:Id", namespaces=NS) == "2026-11-20T10:15:00.020Z"
    rates = [int(v.text or 0) for v in root.findall(".//t:Trackpoint/t:HeartRateBpm/t:Value", NS)]
    assert rates and set(rates) == {96}  # the capture's 0x60 bpm notifications


def test_events_as_csv(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    data = export(capsysbinary, str(CAPTURE), "--format", "csv").decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    events, _ = analyze_file(CAPTURE)
    assert [r["type"] for r in rows] == [e.type for e in events] and rows
    assert [float(r["t"]) for r in rows] == [e.to_dict()["t"] for e in events]
    assert {r["band"] for r in rows} == {"c82e0a1b2c3d"}
    first = when(rows[0]["time"])
    assert (first - when("2026-11-20T10:15:00Z")).total_seconds() == pytest.approx(events[0].t)
    steps = [r for r in rows if r["type"] == "step"]
    assert steps and all(r["direction"] for r in steps)


def test_export_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(demo_recording()), "--format", "tcx"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "give --start" in err
    for args in (["--format", "gpx"], ["--format", "tcx", "--start", "yesterday"],
                 ["--format", "tcx", "--start", "2026-05-01T09:30:00"]):  # fmt: skip
        with pytest.raises(SystemExit) as exit_:
            main(["export", str(demo_recording()), *args])
        assert exit_.value.code == 2
    assert "expected a time zone" in capsys.readouterr().err
    assert main(["export", str(CAPTURE), "--format", "csv", "-o", "/no/such/dir/x.csv"]) == 2
    assert "no folder /no/such/dir" in capsys.readouterr().err
