"""Raw capture JSONL v1: writer and reader round trip, bad input, and replay through the
device drivers into ``analyze`` and ``convert``.

tests/data/ble/h10_walk_chest.jsonl is made by tests/data/ble/make_files.py from its
deterministic ``reference_walk``, encoded as the virtual H10 encodes PMD frames (raw, every
fifth delta-compressed), with one cut-off frame and a 2-s link loss.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from analysis.types import Placement, Samples
from sensor.capture import CaptureReader, CaptureSource, CaptureWriter
from sensor.cli import main
from sensor.errors import RecordingError
from sensor.recording import RecordingReader
from sensor.sources import SourceOptions, open_source
from tests.data.ble.make_files import reference_walk
from tests.paths import DATA

CAPTURE = DATA / "ble" / "h10_walk_chest.jsonl"
HR = "00002a37-0000-1000-8000-00805f9b34fb"


def write_capture(path: Path) -> None:
    with CaptureWriter(
        path,
        profile="heart-rate",
        name="HRM",
        address="E1:22:33:44:55:66",
        placement=Placement.CHEST,
        body_axes="+x,+y,+z",
        started_unix_s=1_795_169_700.25,
    ) as w:
        w.record(0.0, "event", "", b"", "connected")
        w.record(0.5, "notify", HR, bytes([0x00, 70]), None)
        w.record(0.6, "write", "fb005c81-02e7-f387-1cad-8acd2d8df0c8", b"\x03\x02", None)


def test_writer_follows_the_spec(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_capture(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {
        "retrosense_capture": 1,
        "profile": "heart-rate",
        "device": {"name": "HRM", "address": "E1:22:33:44:55:66"},
        "placement": "chest",
        "body_axes": "+x,+y,+z",
        "started": "2026-11-20T10:15:00.250Z",
    }
    assert lines[1] == {"t": 0.0, "event": "connected"}
    assert lines[2] == {"t": 0.5, "char": HR, "hex": "0046"}
    assert lines[3]["kind"] == "write" and lines[3]["hex"] == "0302"
    reader = CaptureReader(path)
    got = list(reader.lines())
    assert [g.kind for g in got] == ["event", "notify", "write"]
    assert got[1].data == bytes([0, 70]) and got[1].line == 3


def test_replay_decodes_the_recording_played(tmp_path: Path) -> None:
    source = CaptureSource(CAPTURE)
    chunks = list(source.chunks())
    s = Samples.concat(chunks)
    ref = reference_walk(20.0, 100.0)
    # Each decoded sample is a sample of the walk played, to the H10's 1 mG.
    idx = np.searchsorted(ref.time_s, s.time_s - s.time_s[0] - 1e-6)
    np.testing.assert_allclose(ref.time_s[idx], s.time_s - s.time_s[0], atol=1e-6)
    np.testing.assert_allclose(s.acc_g, np.round(ref.acc_g[idx] * 1000) / 1000, atol=1e-9)
    # Dropped packets and the 8-10 s link loss are gaps, not invented samples.
    dt = np.diff(s.time_s)
    assert np.all(dt > 0)
    assert dt.max() > 1.5
    assert np.unique(idx).size == idx.size
    # The cut-off frame was counted and skipped; the replay went on.
    assert source.malformed == {"pmd_frame": 1}
    assert source.counters["pmd_frame"] > 40
    assert [bpm for _, bpm in source.heart_rate][:3] == [96, 96, 96]
    # Heart rate rides on the next sample row (several beats between two frames: the last).
    assert s.hr_bpm is not None
    hr_rows = s.hr_bpm[np.isfinite(s.hr_bpm)]
    assert 0.8 * len(source.heart_rate) <= hr_rows.size <= len(source.heart_rate)
    assert set(hr_rows.tolist()) == {96.0}
    assert source.info.sample_rate_hz == 100 and source.info.acc_range_g == 8
    assert source.info.placement is Placement.CHEST


def test_open_source_and_analyze_accept_captures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = open_source(CAPTURE, SourceOptions(placement=Placement.WAIST))
    assert isinstance(source, CaptureSource) and source.info.placement is Placement.WAIST
    assert main(["analyze", str(CAPTURE)]) == 0
    from_capture = capsys.readouterr().out.splitlines()
    # convert, then analyze the recording CSV: the same samples give the same events.
    out = tmp_path / "walk.csv"
    assert main(["convert", str(CAPTURE), str(out)]) == 0
    assert "skipped 1 malformed notifications (pmd_frame 1)" in capsys.readouterr().err
    assert main(["analyze", str(out)]) == 0
    from_csv = capsys.readouterr().out.splitlines()
    assert len(from_capture) == len(from_csv)
    kinds = [json.loads(e)["type"] for e in from_capture]
    assert kinds == [json.loads(e)["type"] for e in from_csv]
    header = RecordingReader(out).header
    assert header.body_axes == "+z,+x,+y" and header.extra["profile"] == "polar-h10"
    assert header.has_hr and header.started == "2026-11-20T10:15:00.000Z"


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (['{"t": 0.1, "char": "x", "hex": "abc"}'], 2, "even number of hex digits"),
        (["not json", '{"t": 1}'], 2, "expected a JSON object"),
        (['{"char": "x", "hex": "00"}'], 2, "expected 't'"),
        (['{"t": 0.1, "char": "x", "hex": "zz"}'], 2, "hex digits"),
    ],
)
def test_bad_lines_name_line_and_reason(
    tmp_path: Path, lines: list[str], line: int, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(CAPTURE.read_text().splitlines()[0] + "\n" + "\n".join(lines) + "\n")
    with pytest.raises(RecordingError, match=message) as info:
        list(CaptureReader(path).lines())
    assert info.value.line == line


def test_bad_headers(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"t": 0}\n')
    with pytest.raises(RecordingError, match="capture header"):
        CaptureReader(path)
    path.write_text('{"retrosense_capture": 1, "profile": "polar_h10", "placement": "chest"}\n')
    with pytest.raises(RecordingError, match=r"unknown device profile.*did you mean 'polar-h10'"):
        CaptureSource(path)
    path.write_text('{"retrosense_capture": 2, "profile": "polar-h10", "placement": "chest"}\n')
    with pytest.raises(RecordingError, match="version 1"):
        CaptureReader(path)


def test_cut_off_last_line_is_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "crash.jsonl"
    text = CAPTURE.read_text()
    path.write_text(text[: len(text) - 40])  # a crash mid-line
    source = CaptureSource(path)
    n = sum(len(c) for c in source.chunks())
    assert n > 1700
    # Said once, though the rate's trial pass read the whole (short) file too.
    assert [r.getMessage() for r in caplog.records if "incomplete" in r.getMessage()] == [
        f"{path}:{text.count(chr(10))}: last line is incomplete; dropped"
    ]


def test_cli_reports_bad_capture_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(CAPTURE.read_text().splitlines()[0] + '\n{"t": 1, "char": "x", "hex": "0"}\n')
    assert main(["convert", str(path), str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"retrosense: error: {path}:2: hex: expected an even number of hex digits, got '0'"
    ]


@pytest.mark.parametrize("command", ["convert", "record-csv", "record-raw"])
def test_an_output_in_a_missing_folder_is_one_line_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # convert read the whole capture and then died with a traceback on open(); record opened
    # its CSV only when the band's first samples came. Both now refuse first, in one line
    # (record before any Bluetooth: none is needed for this test).
    target = tmp_path / "missing" / "out.csv"
    args = {
        "convert": ["convert", str(CAPTURE), str(target)],
        "record-csv": ["record", "--band", "Polar H10", "-o", str(target)],
        "record-raw": ["record", "--band", "Polar H10", "--raw", str(target)],
    }[command]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == f"retrosense: error: {target}: cannot write: no folder {target.parent}\n"
    assert not target.parent.exists()


def with_declared_rate(path: Path, source: Path, rate_hz: float) -> Path:
    """``source`` with its header's ``sample_rate_hz`` replaced."""
    first, rest = source.read_text().split("\n", 1)
    header = json.loads(first)
    header["sample_rate_hz"] = rate_hz
    path.write_text(json.dumps(header) + "\n" + rest)
    return path


def witmotion_capture(path: Path, rate_hz: float, every_s: float = 0.01) -> Path:
    """The reference walk as a WitMotion sends it, one sample every ``every_s``, declaring
    ``rate_hz``: frames three to a connection event, a 3-s pause without a link loss, and no
    rate command (the header alone says the rate, as for a band without the write char)."""
    from tests.bluez.devices import Clip, VirtualWitMotion
    from tests.data.ble.make_files import BODY_AXES

    walk = reference_walk(20.0, 100.0)
    band = VirtualWitMotion(
        "D4:11:22:33:44:55",
        "WT901BLE68",
        clip=Clip(walk.time_s, walk.acc_g, np.zeros_like(walk.acc_g), 100.0),
    )
    with CaptureWriter(
        path,
        profile="witmotion",
        name="WT901BLE68",
        address="D4:11:22:33:44:55",
        placement=Placement.CHEST,
        body_axes=BODY_AXES,
        started_unix_s=1_795_169_700.0,
        extra={"sample_rate_hz": rate_hz, "band_id": "d41122334455"},
    ) as w:
        w.record(0.0, "event", "", b"", "connected")
        for i in range(len(walk.time_s)):
            t = (i // 3 + 1) * 3 * every_s + 0.02
            if 8.0 <= t < 11.0:
                continue
            w.record(t, "notify", "0000ffe4-0000-1000-8000-00805f9a34fb", band.frame(i), None)
    return path


def rate_warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if "declares" in line]


@pytest.mark.parametrize("declared_hz", [10_000, 5])
@pytest.mark.parametrize("band", ["polar-h10", "witmotion"])
def test_a_declared_rate_the_notifications_contradict_is_reported_and_the_measured_one_used(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    band: str,
    declared_hz: float,
) -> None:
    # The band sent 100 samples/s. The H10 stamps its samples (the rate only feeds the
    # detectors); the WitMotion is counted at the rate, so its timeline depends on it too.
    if band == "polar-h10":
        right = with_declared_rate(tmp_path / "right.jsonl", CAPTURE, 100)
        wrong = with_declared_rate(tmp_path / "wrong.jsonl", CAPTURE, declared_hz)
    else:
        right = witmotion_capture(tmp_path / "right.jsonl", 100)
        wrong = witmotion_capture(tmp_path / "wrong.jsonl", declared_hz)
    assert main(["analyze", str(right)]) == 0
    expected, err = capsys.readouterr()
    assert expected.count('"type":"step"') > 10
    assert rate_warnings(err) == []
    assert main(["analyze", str(wrong)]) == 0
    out, err = capsys.readouterr()
    assert out == expected
    assert rate_warnings(err) == [
        f"retrosense: WARNING: {wrong}: declares {declared_hz:g} Hz but its timestamps show "
        "100 Hz; using 100 Hz"
    ]
    assert CaptureSource(wrong).info.sample_rate_hz == 100


def test_a_counted_band_is_spaced_at_the_rate_its_header_declares(tmp_path: Path) -> None:
    # Without a rate command in the capture, the header is the only word on the rate; the
    # driver counted at the profile's default (50 Hz) instead, piling samples up and dropping.
    source = CaptureSource(witmotion_capture(tmp_path / "c.jsonl", 100))
    s = Samples.concat(list(source.chunks()))
    steps = np.diff(s.time_s)
    assert np.median(steps) == pytest.approx(0.01)
    assert len(s) == len(reference_walk(20.0, 100.0).time_s) - 300  # the 3-s pause
    assert source.driver.overlaps == 0


def test_notifications_showing_a_rate_no_stream_runs_at_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = witmotion_capture(tmp_path / "slow.jsonl", 100, every_s=5.0)
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(
        f"retrosense: error: {re.escape(str(path))}: sample_rate_hz: its timestamps show "
        r"0\.2\d* Hz \(it declares 100\); expected a rate within 1\.\.10000 Hz\n",
        err,
    ), err
