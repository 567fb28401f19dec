"""The session object itself: what its sinks see, in which order, and what it sums up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.events import Event
from analysis.types import Placement, Samples, StreamInfo
from sensor.ble.items import LinkStatus
from sensor.mqtt.payloads import BandInfo
from sensor.recording import RecordingReader, to_body
from sensor.session import (
    RecordingSink,
    Session,
    SessionSink,
    SummaryFileSink,
    analyze_file,
    analyze_source,
)
from sensor.sources import open_source
from tests.paths import DATA

WALK = DATA / "sim" / "walk_waist_100hz_gyro.csv"
BAND = BandInfo("chest", "Polar H10 0A1B2C3D", datetime(2026, 5, 1, 9, 30, tzinfo=UTC))


class Calls(SessionSink):
    """Every call, in order, as (method, details)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def announce(self, session: Session) -> None:
        self.calls.append(("announce", session.band.name))

    def samples(self, session: Session, body: Samples, sensor: Samples | None) -> None:
        self.calls.append(("samples", (body, sensor)))

    def heart_rate(self, session: Session, t: float, bpm: float, rr_s: Sequence[float]) -> None:
        self.calls.append(("heart_rate", (t, bpm, tuple(rr_s))))

    def battery(self, session: Session, percent: float) -> None:
        self.calls.append(("battery", percent))

    def link(self, session: Session, status: LinkStatus, reason: str) -> None:
        self.calls.append(("link", status))

    def events(self, session: Session, events: Sequence[Event]) -> None:
        self.calls.append(("events", list(events)))

    def tick(self, session: Session, t: float, force: bool) -> None:
        self.calls.append(("tick", (t, force)))

    def finish(self, session: Session, summary: dict[str, Any] | None) -> None:
        self.calls.append(("finish", summary))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def test_a_live_band_in_the_sensor_frame_with_heart_rate(tmp_path: Path) -> None:
    reader = RecordingReader(WALK)
    sensor = reader.read_all()
    info = reader.stream_info()
    calls = Calls()
    csv = tmp_path / "live.csv"
    session = Session(
        BAND,
        info,
        sinks=[calls, RecordingSink(csv, profile="polar-h10")],
        body_axes=reader.header.body_axes,
        hr_column=True,
    )
    session.heart_rate(0.5, 96.0, (0.62,))  # before any sample: announces the band
    pieces = sensor.chunks(10)
    session.samples(pieces[0])
    assert calls.names() == ["announce", "heart_rate", "samples", "tick"]
    (body, seen), t = calls.calls[2][1], calls.calls[3][1]
    # The reading goes into the first row of the next batch, once; the body frame is rotated.
    assert seen is not None and seen.hr_bpm is not None and seen.hr_bpm[0] == 96.0
    assert np.isnan(seen.hr_bpm[1:]).all()
    np.testing.assert_array_equal(body.acc_g, to_body(pieces[0], reader.header.axes_matrix).acc_g)
    assert t == (float(pieces[0].time_s[-1]), False)
    for piece in pieces[1:]:
        session.samples(piece)
    session.battery(80.0)
    session.link(LinkStatus.STOPPED, "stopped")
    summary = session.finish(end_s=1e6)
    assert calls.names()[-4:] == ["battery", "link", "tick", "finish"]
    assert session.finish() is summary  # once only
    assert calls.names().count("finish") == 1
    # The events the sinks saw are the session's, and those of the file analysed.
    seen_events = [e for name, got in calls.calls if name == "events" for e in got]
    assert seen_events == session.events == analyze_file(WALK)[0]
    assert summary is not None
    assert summary["band"] == "chest" and summary["started"] == "2026-05-01T09:30:00.000Z"
    assert summary["recording"] == "live.csv"
    assert summary["heart_rate"]["readings"] == 1
    assert session.status.line().startswith("Polar H10 0A1B2C3D: stopped")
    steps = sum(e.type == "step" for e in session.events)
    now = session.live.snapshot(session.last_t or 0.0)
    assert (
        steps > 0 and now["steps_forward"] + now["steps_backward"] + now["steps_unknown"] == steps
    )
    # The recording is the sensor frame back, with its header and the band's id.
    written = RecordingReader(csv)
    assert written.header.extra == {"profile": "polar-h10", "band_id": "chest"}
    assert written.header.body_axes == reader.header.body_axes
    back = written.read_all()
    np.testing.assert_allclose(back.acc_g, sensor.acc_g, atol=1e-5)
    assert back.hr_bpm is not None and np.nansum(back.hr_bpm) == 96.0


def test_a_file_in_the_body_frame_registers_the_heart_rate_column(tmp_path: Path) -> None:
    capture = DATA / "ble" / "h10_walk_chest.jsonl"
    target = tmp_path / "s.json"
    session = analyze_source(open_source(capture), sinks=[SummaryFileSink(target)])
    assert session.band_id == "c82e0a1b2c3d"
    assert session.summary is not None and target.is_file()
    # 96 bpm every second in the capture, less what fell into the link loss.
    assert session.hr_bpm and set(session.hr_bpm) == {96.0}
    assert session.summary["heart_rate"]["readings"] == len(session.hr_bpm)


def test_a_gateway_session_runs_no_detector_and_makes_no_summary() -> None:
    calls = Calls()
    info = StreamInfo(sample_rate_hz=100.0, placement=Placement.WAIST)
    session = Session(BAND, info, sinks=[calls], detect=False)
    session.samples(RecordingReader(WALK).read_all())
    assert session.pipeline is None and session.finish() is None
    assert calls.calls[-1] == ("finish", None)


def test_a_strap_without_samples_is_summed_up_over_its_readings() -> None:
    session = Session(BAND, None)
    for i in range(5):
        session.heart_rate(10.0 + i, 100.0 + i)
    summary = session.finish(end_s=100.0)
    assert summary is not None
    assert (summary["start_t"], summary["end_t"]) == (10.0, 14.0)
    assert summary["heart_rate"]["max_bpm"] == 104


def test_a_session_keeps_its_band_id() -> None:
    session = Session(BAND, None)
    with pytest.raises(ValueError, match="keeps its band id"):
        session.announce(BandInfo("other", "x", BAND.started))
