"""The live page: its state from MQTT messages, and the page itself in a real headless
Chromium, fed by a real Mosquitto while ``retrosense replay`` publishes a recording."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sensor.errors import ConfigError
from sensor.web.dashboard import LiveBands, current_activity, is_loopback, parse_listen
from tests.browser import open_page, replay_args, retrosense, start_dashboard, stop_process
from tests.conftest import Mosquitto

pytest.importorskip("aiohttp", reason="the web extra is not installed (pip install -e '.[test]')")

#: Generous bounds for a loaded machine; never timing assertions.
START_TIMEOUT_S = 60.0
WAIT_MS = 90_000


def feed(bands: LiveBands, topic: str, payload: Any) -> dict[str, Any] | None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return bands.feed(topic, body, now_ms=1000.0)


def test_live_bands_from_the_service_topics() -> None:
    bands = LiveBands("retrosense")
    assert "retrosense/+/state" in bands.subscriptions()
    assert not any(s.endswith("/raw") or s.endswith("#") for s in bands.subscriptions())
    assert feed(bands, "retrosense/shin/status", b"online") == {
        "kind": "status",
        "band": "shin",
        "status": "online",
    }
    feed(bands, "retrosense/shin/battery", {"band": "shin", "battery_pct": 87})
    change = feed(
        bands,
        "retrosense/shin/state",
        {
            "t": 10.0,
            "step_cadence_spm": 104.0,
            "last_step_direction": "backward",
            "pedal_cadence_rpm": 0.0,
            "steps_backward": 12,
            "hr_bpm": 120,
        },
    )
    assert change is not None
    assert (change["activity"], change["direction"]) == ("walking", "backward")
    assert change["point"] == [1000.0, 104.0, 0.0, 120.0, "backward", "unknown"]
    feed(bands, "retrosense/shin/event/jump", {"type": "jump", "t": 11.0, "direction": "backward"})
    cue = {"type": "cue", "kind": "stiff_landing", "text": "Stiff landing (9.0 g)."}
    assert feed(bands, "retrosense/shin/cue", cue) == {"kind": "cue", "band": "shin", "cue": cue}
    view = bands.snapshot()["bands"]["shin"]
    assert view["battery_pct"] == 87
    assert [e["type"] for e in view["events"][:2]] == ["cue", "jump"]
    # Raw samples, another base topic and a worker's status are not the page's.
    assert feed(bands, "retrosense/shin/raw", {"t": [0.0]}) is None
    assert feed(bands, "other/shin/state", {"t": 1}) is None
    assert feed(bands, "retrosense/workers/w1/status", b"online") is None
    assert list(bands.bands) == ["shin"]
    feed(bands, "retrosense/shin/status", b"offline")
    assert bands.snapshot()["bands"]["shin"]["activity"] == "offline"


@pytest.mark.parametrize(
    ("state", "jump_t", "expected"),
    [
        (
            {
                "t": 5.0,
                "pedal_cadence_rpm": 60.0,
                "pedal_direction": "backward",
                "step_cadence_spm": 100.0,
            },
            None,
            ("pedalling", "backward"),
        ),
        (
            {"t": 5.0, "step_cadence_spm": 90.0, "last_step_direction": "forward"},
            None,
            ("walking", "forward"),
        ),
        (
            {"t": 5.0, "step_cadence_spm": 0.0, "last_jump_direction": "backward"},
            3.0,
            ("jumping", "backward"),
        ),
        (
            {"t": 20.0, "step_cadence_spm": 0.0, "last_jump_direction": "backward"},
            3.0,
            ("standing", None),
        ),
        ({"t": 5.0}, None, ("standing", None)),
    ],
)
def test_current_activity(state: dict[str, Any], jump_t: float | None, expected: Any) -> None:
    assert current_activity(state, jump_t) == expected


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen("[::1]:0") == ("::1", 0)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    for bad in ("8080", "host:", "host:http", "h:70000"):
        with pytest.raises(ConfigError, match="host:port"):
            parse_listen(bad)


@pytest.fixture
def dashboard(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[str]:
    """``retrosense dashboard`` on a free loopback port; its page's address."""
    proc, url = start_dashboard(mosquitto.url, "--base-topic", f"live{tmp_path.name[-8:]}")
    try:
        assert url.startswith("http://127.0.0.1:")
        yield url
    finally:
        stop_process(proc)


def test_live_page_follows_a_replay(
    dashboard: str, mosquitto: Mosquitto, chromium: Any, tmp_path: Path
) -> None:
    base = f"live{tmp_path.name[-8:]}"
    page, problems = open_page(chromium, dashboard)
    page.wait_for_selector("#link.online", timeout=WAIT_MS)
    assert page.locator("section.band").count() == 0

    summary_file = tmp_path / "replay.summary.json"
    replay = retrosense(
        *replay_args(mosquitto.url, base, "demo", "8", str(summary_file)),
        *("--program", "demo-sampler"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        band = '[data-band="demo"]'
        steps = f'{band} [data-key="steps_backward"]'
        # The counters move while the replay runs ...
        page.wait_for_function(
            f"() => Number((document.querySelector('{steps}') || {{}}).textContent) > 0",
            timeout=WAIT_MS,
        )
        first_count = int(page.inner_text(steps))
        # The program's progress shows under the activity, and its cues as they come.
        page.wait_for_selector(f'{band} [data-key="cue"]:not([hidden])', timeout=WAIT_MS)
        assert page.inner_text(f'{band} [data-key="program"]').startswith("Retro sampler · ")
        first_event = page.inner_text(f"{band} ol.events li:first-child")
        assert page.inner_text(f'{band} [data-key="status"]') == "online"
        # ... the last event changes as new ones arrive ...
        page.wait_for_function(
            f"() => document.querySelector('{band} ol.events li:first-child').textContent "
            f"!== {json.dumps(first_event)}",
            timeout=WAIT_MS,
        )
        _, err = replay.communicate(timeout=WAIT_MS / 1000)
        assert replay.returncode == 0, err.decode()
    finally:
        if replay.poll() is None:
            replay.kill()
            replay.wait()
    # ... and end where the replay's summary ends.
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    page.wait_for_function(
        f"() => document.querySelector('{band} [data-key=\"status\"]').textContent === 'offline'",
        timeout=WAIT_MS,
    )
    counts = {
        key: int(page.inner_text(f'{band} [data-key="{key}"]'))
        for key in ("steps_backward", "revolutions_backward", "revolutions_forward", "jumps")
    }
    assert counts == {
        "steps_backward": summary["steps"]["backward"],
        "revolutions_backward": summary["pedalling"]["revolutions_backward"],
        "revolutions_forward": summary["pedalling"]["revolutions_forward"],
        "jumps": summary["jumps"]["count"],
    }
    assert counts["steps_backward"] > first_count
    assert page.inner_text(f'{band} [data-key="activity"]') == "offline"
    chart_points = page.evaluate(
        f"() => document.querySelector('{band} [data-key=\"chart\"]').data"
        ".reduce((n, t) => n + t.x.length, 0)"
    )
    assert chart_points > 0
    assert problems == []


def test_run_serves_the_live_page(mosquitto: Mosquitto, tmp_path: Path) -> None:
    """``run`` with ``[web] listen`` serves the page beside its own work (here a worker,
    which needs no band); the page shows what a replay publishes to the same broker."""
    import signal
    import urllib.request

    from tests.conftest import free_port

    base = f"runweb{tmp_path.name[-8:]}"
    port = free_port()
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[broker]\nurl = "mqtt://127.0.0.1:{mosquitto.port}"\nbase_topic = "{base}"\n'
        f'[recording]\nfolder = "{tmp_path / "sessions"}"\n'
        f'[web]\nlisten = "127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "sensor", "run", "--config", str(cfg), "--role", "worker"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/bands.json"

    def bands() -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=5) as answer:
            data: dict[str, Any] = json.loads(answer.read())["bands"]
            return data

    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                assert bands() == {}
                break
            except OSError:
                assert run.poll() is None and time.monotonic() < deadline, "no live page"
                time.sleep(0.2)
        replay = subprocess.run(
            [sys.executable, "-m", "sensor", *replay_args(mosquitto.url, base, "shin", "max", "-")],
            capture_output=True,
            timeout=WAIT_MS / 1000,
        )
        assert replay.returncode == 0, replay.stderr.decode()
        deadline = time.monotonic() + START_TIMEOUT_S
        while bands().get("shin", {}).get("status") != "offline":
            assert time.monotonic() < deadline, bands()
            time.sleep(0.2)
        shin = bands()["shin"]
        assert shin["state"]["steps_backward"] > 0 and shin["events"]
    finally:
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=60)
    assert run.returncode == 0, err.decode()
    assert f"live page: http://127.0.0.1:{port}/" in err.decode()
