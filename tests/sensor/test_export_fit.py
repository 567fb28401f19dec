"""``retrosense export --format fit``: FIT activity files, read back with an independent decoder.

The files are written with fit-tool and read with fitdecode, a decoder of its own (MIT, no
code shared with the writer), which checks the header CRC and the file CRC as it reads and
refuses malformed messages or developer fields it has no description for. Each file is
compared with the TCX export of the same session: the same records (one per trackpoint, at
the same second), heart rates and cadences, and the same laps.
"""

from __future__ import annotations

import importlib.abc
import math
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "fitdecode", reason="the test extra is not installed (pip install -e '.[test]')"
)
pytest.importorskip("fit_tool", reason="the fit extra is not installed (pip install -e '.[test]')")
import fitdecode
from fitdecode.types import DevFieldDefinition

from analysis.events import PedalBoutEvent, WalkBoutEvent
from sensor.cli import main
from sensor.demo import demo_recording
from sensor.export import TCX_NS, TPX_NS
from sensor.session import analyze_file
from tests.paths import DATA

CAPTURE = DATA / "ble" / "h10_walk_chest.jsonl"
NS = {"t": TCX_NS, "x": TPX_NS}


def export(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "workout.fit"
    assert main(["export", *args, "--format", "fit", "-o", str(out)]) == 0
    return out


def decode(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The file's messages by name, each a dict of its fields, its developer fields (by the
    name their field description gives) under ``developer_fields``."""
    messages: dict[str, list[dict[str, Any]]] = {}
    header_crcs, file_crcs = [], []
    with fitdecode.FitReader(
        str(path), check_crc=fitdecode.CrcCheck.RAISE, error_handling=fitdecode.ErrorHandling.RAISE
    ) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitHeader):
                header_crcs.append(frame.crc_matched)
            elif isinstance(frame, fitdecode.FitCRC):
                file_crcs.append(frame.matched)
            elif isinstance(frame, fitdecode.FitDataMessage):
                dev = [isinstance(f.field_def, DevFieldDefinition) for f in frame.fields]
                fields = {f.name: f.value for f, d in zip(frame.fields, dev, strict=True) if not d}
                fields["developer_fields"] = {
                    f.name: f.value for f, d in zip(frame.fields, dev, strict=True) if d
                }
                messages.setdefault(frame.name, []).append(fields)
    assert header_crcs == [True] and file_crcs == [True]  # one FIT file, both CRCs right
    return messages


class NotInstalled(importlib.abc.MetaPathFinder):
    """An import finder for which a package is not installed."""

    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] == self.package:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def tcx(capsys: pytest.CaptureFixture[bytes], *args: str) -> ET.Element:
    assert main(["export", *args, "--format", "tcx"]) == 0
    return ET.fromstring(capsys.readouterr().out)


def second(text: str) -> datetime:
    """A TCX time as FIT holds it: whole seconds, the fraction dropped."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return datetime.fromtimestamp(math.floor(when.timestamp()), UTC)


def test_a_capture_with_heart_rate_as_fit_matches_its_tcx(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    fit = decode(export(tmp_path, str(CAPTURE)))
    root = tcx(capsysbinary, str(CAPTURE))
    assert list(tmp_path.iterdir()) == [tmp_path / "workout.fit"]  # no temporary file left

    (file_id,) = fit["file_id"]
    assert file_id["type"] == "activity" and file_id["manufacturer"] == "development"
    (creator,) = fit["device_info"]
    assert creator["device_index"] == "creator" and creator["product_name"] == "retrosense"

    # A record per trackpoint, at its second, with its heart rate and cadence. (A TCX lap
    # shorter than a second repeats the trackpoint before it; FIT records are not per lap.)
    by_time = {p.findtext("t:Time", namespaces=NS): p for p in root.findall(".//t:Trackpoint", NS)}
    points = list(by_time.values())
    records = fit["record"]
    assert len(records) == len(points) > 10
    assert [r["timestamp"] for r in records] == [
        second(p.findtext("t:Time", namespaces=NS) or "") for p in points
    ]
    rates = [p.findtext("t:HeartRateBpm/t:Value", namespaces=NS) for p in points]
    assert [r.get("heart_rate") for r in records] == [int(v) if v else None for v in rates]
    assert {r.get("heart_rate") for r in records[1:]} == {96}  # the capture's 0x60 notifications
    cadences = [
        p.findtext("t:Cadence", namespaces=NS)
        or p.findtext("t:Extensions/x:TPX/x:RunCadence", namespaces=NS)
        for p in points
    ]
    assert [r.get("cadence") for r in records] == [int(c) if c else None for c in cadences]
    assert any(r.get("cadence") for r in records)

    # The TCX export's laps: a lap per walking bout, resting laps between them.
    laps = fit["lap"]
    tcx_laps = root.findall(".//t:Lap", NS)
    assert len(laps) == len(tcx_laps)
    assert [lap["start_time"] for lap in laps] == [second(t.get("StartTime", "")) for t in tcx_laps]
    assert [lap["total_elapsed_time"] for lap in laps] == [
        pytest.approx(float(t.findtext("t:TotalTimeSeconds", namespaces=NS) or 0), abs=0.001)
        for t in tcx_laps
    ]
    events, duration_s = analyze_file(CAPTURE)
    walks = [e for e in events if isinstance(e, WalkBoutEvent)]
    active = [lap for lap in laps if lap["intensity"] == "active"]
    assert len(active) == len(walks) >= 2
    assert [lap["developer_fields"]["Forward steps"] for lap in active] == [
        w.steps_forward for w in walks
    ]

    (session,) = fit["session"]
    assert session["sport"] == "walking"  # TCX's Other
    assert session["num_laps"] == len(laps) and session["first_lap_index"] == 0
    assert session["start_time"] == records[0]["timestamp"] == laps[0]["start_time"]
    assert session["total_elapsed_time"] == pytest.approx(duration_s, abs=0.001)
    assert session["avg_heart_rate"] == session["max_heart_rate"] == 96
    timer = [(e["event"], e["event_type"], e["timestamp"]) for e in fit["event"]]
    end = session["timestamp"]  # the session's last sample, within a second of the last record
    assert timer == [("timer", "start", records[0]["timestamp"]), ("timer", "stop_all", end)]
    assert 0 <= (end - records[-1]["timestamp"]).total_seconds() <= 1
    (activity,) = fit["activity"]
    assert activity["num_sessions"] == 1 and activity["timestamp"] == end


def test_the_demo_as_fit_is_a_ride_with_its_bouts_and_directions(tmp_path: Path) -> None:
    fit = decode(export(tmp_path, str(demo_recording()), "--start", "2026-05-01T09:30:00+02:00"))
    (session,) = fit["session"]
    assert session["sport"] == "cycling"  # TCX's Biking
    assert session["start_time"] == datetime(2026, 5, 1, 7, 30, tzinfo=UTC)
    (activity,) = fit["activity"]
    # local_timestamp is the same instant in local time: the +02:00 of the start.
    assert activity["local_timestamp"] - activity["timestamp"] == timedelta(hours=2)

    events, _ = analyze_file(demo_recording())
    bouts = [e for e in events if isinstance(e, (WalkBoutEvent, PedalBoutEvent))]
    laps = fit["lap"]
    assert [lap["intensity"] for lap in laps].count("active") == len(bouts) >= 2
    # Steps and revolutions each way, which FIT has no field for, as developer fields.
    descriptions = {
        (d["native_mesg_num"], d["field_definition_number"], d["field_name"], d["units"])
        for d in fit["field_description"]
    }
    counts = [("Backward steps", "steps"), ("Forward steps", "steps")]
    counts += [("Backward revolutions", "revolutions"), ("Forward revolutions", "revolutions")]
    assert descriptions == {
        (message, number, name, units)
        for message, first in (("lap", 0), ("session", 4))
        for number, (name, units) in enumerate(counts, first)
    }
    assert all(set(lap["developer_fields"]) == {n for n, _ in counts} for lap in laps)
    session_counts = session["developer_fields"]
    walks = [e for e in bouts if isinstance(e, WalkBoutEvent)]
    rides = [e for e in bouts if isinstance(e, PedalBoutEvent)]
    assert session_counts == {
        "Backward steps": sum(w.steps_backward for w in walks),
        "Forward steps": sum(w.steps_forward for w in walks),
        "Backward revolutions": sum(r.revolutions_backward for r in rides),
        "Forward revolutions": sum(r.revolutions_forward for r in rides),
    }
    assert session_counts["Backward steps"] > 0 and session_counts["Backward revolutions"] > 0


def test_fit_without_a_start_or_the_extra_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.fit"
    assert main(["export", str(demo_recording()), "--format", "fit", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a FIT workout needs it: give --start" in err
    # Without fit-tool, importing it fails as it does when it is not installed: a finder
    # first on the import path says so for the package (and the loaded modules go, or the
    # import would not look for them).
    for name in [n for n in sys.modules if n == "fit_tool" or n.startswith("fit_tool.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NotInstalled("fit_tool"), *sys.meta_path])
    monkeypatch.delitem(sys.modules, "sensor.export_fit", raising=False)
    assert main(["export", str(CAPTURE), "--format", "fit", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.rstrip().endswith(
        "a FIT workout needs the 'fit' extra (fit-tool is not installed): "
        "pip install 'retrosense[fit]'"
    )
    assert not out.exists()
