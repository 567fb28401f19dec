"""The live status line of ``retrosense run`` and the service's small helpers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from analysis.summary import SummaryParams
from sensor.config import load_config
from sensor.service import StatusLine, session_stamp
from sensor.session import BandStatus, SessionSettings


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_names_link_rate_heart_rate_and_last_event() -> None:
    s = BandStatus("chest", link="connected")
    for i in range(50):  # 10 notifications of 10 samples per 0.1 s = 100 Hz
        s.recent.append((i * 0.1, 10))
    s.hr_bpm = 131
    s.battery_pct = 87
    s.events = 12
    s.last_event, s.last_event_t, s.last_sample_t = "step backward", 3.0, 4.9
    assert s.line() == (
        "chest: connected, 100 Hz, 131 bpm, battery 87%, 12 events, last: step backward 2 s ago"
    )


def test_status_line_before_any_sample() -> None:
    assert BandStatus("shank").line() == "shank: starting, 0 events"


def test_status_lines_redraw_in_place_on_a_terminal_only() -> None:
    term = Terminal()
    line = StatusLine(term, enabled=True)
    a, b = BandStatus("a", link="connected"), BandStatus("b", link="reconnecting")
    line.draw([a, b])
    line.draw([a, b])
    out = term.getvalue()
    assert out.count("a: connected") == 2 and out.count("b: reconnecting") == 2
    assert "\x1b[2F" in out  # the second draw moves up over the first
    line.clear()
    assert term.getvalue().endswith("\x1b[2F\x1b[J")
    pipe = io.StringIO()
    silent = StatusLine(pipe, enabled=False)
    silent.draw([a])
    silent.clear()
    assert pipe.getvalue() == ""


def test_session_stamp_is_utc() -> None:
    when = datetime(2026, 11, 22, 10, 15, 0, tzinfo=timezone(timedelta(hours=2)))
    assert session_stamp(when) == "20261122T081500Z"
    assert session_stamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "20260102T030405Z"


def test_summary_params_and_wearer_come_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        "[energy]\nmet_pedal = 7.0\n[hr_zones]\nlower_pct_of_max = [60, 75, 90]\n"
        '[wearer]\nbody_mass_kg = 64\nsex = "female"\n'
    )
    settings = SessionSettings.from_config(load_config(path).config)
    p = settings.summary
    assert p.met_pedal == 7.0 and p.hr_zone_lower_pct == (60.0, 75.0, 90.0)
    assert p.met_walk_backward == SummaryParams().met_walk_backward
    w = settings.wearer
    assert (w.body_mass_kg, w.sex, w.age_years) == (64.0, "female", None)


def test_log_lines_clear_the_status_lines_first() -> None:
    import logging

    term = Terminal()
    line = StatusLine(term, enabled=True)
    handler = logging.StreamHandler(term)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        line.attach()
        line.draw([BandStatus("a", link="connected")])
        logging.getLogger("sensor.test").warning("link lost")
        out = term.getvalue()
        # The status line is erased (cursor up, clear below) before the log line appears.
        assert out.index("\x1b[1F\x1b[J") < out.index("link lost")
        line.detach()
        assert line not in handler.filters
    finally:
        root.removeHandler(handler)
