"""``retrosense report``: the HTML rendered in a real headless Chromium, checked against the
summary and the events that ``retrosense analyze`` gives for the same file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sensor.cli import main
from sensor.demo import demo_recording
from sensor.errors import MissingExtra
from sensor.web import require
from tests.browser import need_browser, open_page
from tests.paths import DATA

pytest.importorskip("plotly", reason="the web extra is not installed (pip install -e '.[test]')")

#: A recorded session (a Polar H10's raw capture: chest, heart rate) and a simulated workout
#: (the demo's retro workout on the shank: backward walking, jumps, pedalling both ways).
RECORDED = DATA / "ble" / "h10_walk_chest.jsonl"
SIMULATED = demo_recording()
#: A simulated chest workout with jumps the landing judgement can call.
CHEST_JUMPS = DATA / "sim" / "mixed_chest_100hz.csv"
#: How long a page may take to draw; a bound for a loaded machine, not a speed assertion.
READY_TIMEOUT_MS = 60_000


def analyze(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[Any, Any]:
    """The events (JSONL) and the summary ``retrosense analyze`` prints for ``path``."""
    assert main(["analyze", str(path), *extra]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["analyze", str(path), "--summary", *extra]) == 0
    summary = json.loads(capsys.readouterr().out)
    return events, summary


def open_report(chromium: Any, html: Path) -> tuple[Any, list[str]]:
    page, problems = open_page(chromium, html.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=READY_TIMEOUT_MS)
    return page, problems


def summary_value(summary: dict[str, Any], key: str) -> Any:
    if key == "pedalling.reversals":
        p = summary["pedalling"]
        return p["reversals_forward_to_backward"] + p["reversals_backward_to_forward"]
    value: Any = summary
    for part in key.split("."):
        value = value[part]
    return value


@pytest.mark.parametrize("recording", [RECORDED, SIMULATED], ids=["recorded", "simulated"])
def test_report_renders_with_the_summary_numbers_and_every_event(
    recording: Path,
    tmp_path: Path,
    chromium: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    events, summary = analyze(recording, capsys)
    out = tmp_path / "session.html"
    assert main(["report", str(recording), "-o", str(out)]) == 0
    assert "report:" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    # Offline: plotly.js is inside the file, nothing is fetched from elsewhere.
    assert "http://" not in text.split("<script>")[0] and 'src="http' not in text
    page, problems = open_report(chromium, out)

    assert problems == []
    # Every chart has data.
    charts = page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => [gd.id,
             gd.data.reduce((n, t) => n + ((t.x && t.x.length) || 0), 0)])"""
    )
    ids = {c[0] for c in charts}
    assert {"b0-timeline", "b0-signal"} <= ids
    if summary["steps"]["total"]:
        assert "b0-cadence" in ids
    if summary["jumps"]["count"]:
        assert "b0-jumps" in ids
    if summary["pedalling"]["revolutions_backward"] + summary["pedalling"]["revolutions_forward"]:
        assert "b0-pedalling" in ids
    if summary["heart_rate"]:
        assert "b0-heart" in ids
    assert all(n > 0 for _, n in charts), charts

    # The header's numbers are the summary's.
    shown = page.evaluate(
        """() => Array.from(document.querySelectorAll('dd[data-key]')).map(d =>
             [d.dataset.key, d.dataset.value, d.textContent])"""
    )
    assert len(shown) >= 9
    for key, value, visible in shown:
        expected = summary_value(summary, key)
        assert (json.loads(value) if value else None) == pytest.approx(expected), key
        if isinstance(expected, int):
            assert visible == str(expected), key
    best = summary["jumps"]["height_max_m"]
    if best is not None:
        assert page.inner_text('dd[data-key="jumps.height_max_m"]') == f"{best * 100:.0f} cm"

    # The timeline's bars (four corners each) add up to the summary's time per activity.
    bars = page.evaluate(
        """() => document.getElementById('b0-timeline').data.map(t => {
             let total = 0;
             for (let i = 0; i + 2 < t.x.length; i += 4) total += t.x[i + 2] - t.x[i];
             return [t.meta.summary_key, total / 1000]; })"""
    )
    totals: dict[str, float] = {}
    for key, seconds in bars:
        totals[key] = totals.get(key, 0.0) + seconds
    for key, seconds in totals.items():
        if key != "jumping":
            assert seconds == pytest.approx(summary["time_s"][key], abs=1e-3), key
    if "jumping" in totals:
        assert totals["jumping"] == pytest.approx(summary["time_s"]["jumping"], abs=1e-3)

    # Every event of the events file is a marker on the signal, and nothing else is.
    markers = page.evaluate(
        """() => { const gd = document.getElementById('b0-signal');
             const base = JSON.parse(document.getElementById('report-data').textContent)
                          .b0.time_base_ms;
             const out = {};
             gd.data.filter(t => t.meta && t.meta.marker_type).forEach(t => {
               const xs = Array.from(t.x).filter((x, i) => i % 3 === 0);
               out[t.meta.marker_type] = (out[t.meta.marker_type] || [])
                 .concat(xs.map(x => (x - base) / 1000));
             });
             return out; }"""
    )
    expected_markers: dict[str, list[float]] = {}
    for e in events:
        expected_markers.setdefault(e["type"], []).append(e["t"])
    assert set(markers) == set(expected_markers)
    for kind, times in expected_markers.items():
        # The events file keeps microseconds and the page milliseconds since its time base:
        # 10 µs covers both roundings, far below any sample period.
        assert sorted(markers[kind]) == pytest.approx(sorted(times), abs=1e-5), kind
    # The signal holds every sample, and zooming in draws them.
    samples = page.evaluate("() => document.getElementById('b0-signal').data[0].meta.samples")
    assert samples > 100


def test_zoom_redraws_the_signal_from_every_sample(tmp_path: Path, chromium: Any) -> None:
    out = tmp_path / "session.html"
    assert main(["report", str(SIMULATED), "-o", str(out)]) == 0
    page, problems = open_report(chromium, out)
    count = "() => document.getElementById('b0-signal').data[0].x.filter(x => x !== null).length"
    overview = page.evaluate(count)
    page.evaluate(
        "Plotly.relayout('b0-signal', "
        "{'xaxis.range': ['2000-01-01 00:00:10', '2000-01-01 00:00:12']})"
    )
    page.wait_for_function(f"({count})() !== {overview}")
    # Two seconds at 100 Hz: every sample in view, none skipped.
    assert 195 <= page.evaluate(count) <= 205
    page.evaluate("Plotly.relayout('b0-signal', {'xaxis.autorange': true})")
    page.wait_for_function(f"({count})() === {overview}")
    assert problems == []


def test_landings_are_judged_with_their_thresholds_stated(
    tmp_path: Path, chromium: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "session.html"
    assert main(["report", str(CHEST_JUMPS), "-o", str(out)]) == 0
    page, problems = open_report(chromium, out)
    words = page.evaluate(
        "() => Array.from(document.querySelectorAll('table.jumps tr[data-landing]'))"
        ".map(r => r.dataset.landing)"
    )
    events, _ = analyze(CHEST_JUMPS, capsys)
    softness = [e["landing_softness"] for e in events if e["type"] == "jump"]
    assert len(words) == len(softness) > 0
    for word, s in zip(words, softness, strict=True):
        assert word == ("soft" if s >= 0.5 else "stiff" if s < 0.25 else "firm")
    note = page.inner_text(".thresholds")
    assert "softness ≥ 0.5" in note and "below 0.25" in note and "Guy-Cherry" in note
    assert problems == []


def test_shank_landings_are_not_judged(tmp_path: Path) -> None:
    out = tmp_path / "session.html"
    assert main(["report", str(SIMULATED), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert 'data-landing="unknown"' in text
    assert 'data-landing="soft"' not in text and 'data-landing="stiff"' not in text


def test_a_folder_of_run_sessions_reports_its_newest_session(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    folder.mkdir()
    shutil.copy(CHEST_JUMPS, folder / "20260101T090000Z_old.csv")
    shutil.copy(SIMULATED, folder / "20260102T090000Z_shin.csv")
    shutil.copy(CHEST_JUMPS, folder / "20260102T090000Z_chest.csv")
    (folder / "20260102T090000Z_chest.summary.json").write_text("{}", encoding="utf-8")
    assert main(["report", str(folder)]) == 0
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert text.count('<section class="band"') == 2
    assert "20260102T090000Z_chest.csv" in text and "20260102T090000Z_shin.csv" in text
    assert "20260101T090000Z_old.csv" not in text


def test_png_overview(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("kaleido")
    need_browser()
    out = tmp_path / "session.html"
    assert main(["report", str(SIMULATED), "-o", str(out), "--png"]) == 0
    png = tmp_path / "session.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a picture, not an empty canvas


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n", encoding="utf-8")
    assert main(["report", str(bad), "-o", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("retrosense: error:") and "notes.txt" in err and "\n" not in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "retrosense run" in capsys.readouterr().err


def test_a_missing_extra_names_it() -> None:
    with pytest.raises(MissingExtra) as err:
        require("retrosense_no_such_module.charts", "the session report")
    assert str(err.value) == (
        "the session report needs the 'web' extra (retrosense_no_such_module is not "
        "installed): pip install 'retrosense[web]'"
    )


def test_a_program_followed_shows_its_result_per_interval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    assert main(["report", str(SIMULATED), "-o", str(out), "--program", "demo-sampler"]) == 0
    assert main(["analyze", str(SIMULATED), "--summary", "--program", "demo-sampler"]) == 0
    program = json.loads(capsys.readouterr().out)["program"]
    text = out.read_text(encoding="utf-8")
    assert "<h3>Program: Retro sampler</h3>" in text
    assert f'<span data-key="intervals_done">{program["intervals_done"]}</span>' in text
    statuses = [r["status"] for r in program["intervals"]]
    assert text.count("<tr data-status=") == len(statuses) == 4
    for status in set(statuses):
        assert text.count(f'<tr data-status="{status}">') == statuses.count(status)
