"""Every path through the one session: ``run`` and ``analyze`` agree under one configuration,
replay and demo summaries use ``[wearer]``/``[energy]``, and a recording keeps its band id
whether it is replayed as the raw capture or as the converted CSV.

Real parts: ``retrosense run`` as a subprocess with the emulated BlueZ, a real Mosquitto,
``analyze``/``replay``/``convert``/``demo`` as a user runs them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sensor.cli import main
from tests.bluez.clips import walking_clip
from tests.bluez.devices import VirtualH10
from tests.bluez.emulator import BlueZEmulator
from tests.bluez.fixtures import bluez_fixture, system_bus_fixture  # noqa: F401
from tests.conftest import Mosquitto
from tests.paths import DATA, ROOT
from tests.sensor.mqtt_sink import Sink
from tests.sensor.test_service_run import GUARD_S, H10, wait_until

#: A tuning that changes the steps of the walk the virtual H10 plays (32 steps in its first
#: 29 s with the default 0.025 g for a trunk bout's first peak, 21 with this; the simulated
#: walk that stands in without the shared recordings: 85 and 69).
TUNED = "[detectors.steps]\nmin_start_peak_g = 0.2\n"
#: What the MQTT event payload adds to the events spec's object.
PUBLISHED_KEYS = ("band", "event_id", "seq", "time", "event_type")
CAPTURE = DATA / "ble" / "h10_walk_chest.jsonl"


def retrosense(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-m", "sensor", *args],
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        cwd=ROOT,
        env={**os.environ, "RETROSENSE_PROGRESS": "0"},
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def events_of(jsonl: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in jsonl.splitlines()]


async def test_analyze_with_the_config_gives_the_events_run_published(
    bluez: BlueZEmulator, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    h10 = bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip(seconds=40.0)))
    config = tmp_path / "tuned.toml"
    config.write_text(
        f'[[bands]]\naddress = "{H10}"\nid = "chest"\nplacement = "waist"\n'
        'body_axes = "-z,+y,+x"\n'
        f'[broker]\nurl = "{mosquitto.url}"\nbase_topic = "tuned"\n'
        f'client_id = "retrosense-tuned-{os.getpid()}"\n'
        f'outbox_path = "{tmp_path / "outbox.sqlite3"}"\n'
        f'[recording]\nfolder = "{tmp_path / "sessions"}"\nraw_capture = true\n' + TUNED,
        encoding="utf-8",
    )
    sink = await asyncio.to_thread(Sink, mosquitto.url, ["tuned/#"], client_id="tuned-sink")
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "sensor", "run", "--config", str(config)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_until(
            lambda: sum(m.topic.startswith("tuned/chest/event/step") for m in sink.snapshot()) >= 6,
            "six steps on the broker",
        )
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert not h10.streaming
    got = await asyncio.to_thread(
        sink.wait_for, lambda ms: any(m.topic == "tuned/chest/summary" for m in ms)
    )
    sink.close()
    live = [m.json for m in got if m.topic.startswith("tuned/chest/event/")]
    for event in live:
        for key in PUBLISHED_KEYS:
            del event[key]
    (capture,) = (tmp_path / "sessions").glob("*_chest.capture.jsonl")

    # The capture holds what the live session decoded, notification by notification: the
    # same configuration gives the very same events.
    tuned = events_of(retrosense("analyze", str(capture), "--config", str(config)).stdout)
    assert tuned == live
    # The tuning matters: the defaults find more steps in the same capture.
    default = events_of(retrosense("analyze", str(capture)).stdout)
    steps = [sum(e["type"] == "step" for e in x) for x in (tuned, default)]
    assert steps[0] < steps[1]
    # The summary analyze makes is the one run wrote, but for when it was made.
    (summary_file,) = (tmp_path / "sessions").glob("*_chest.summary.json")
    written = json.loads(summary_file.read_text())
    made = json.loads(
        retrosense("analyze", str(capture), "--config", str(config), "--summary").stdout
    )
    assert made["band"] == written["band"] == "chest"
    for key in ("steps", "jumps", "pedalling", "events", "time_s"):
        assert made.get(key) == written.get(key), key


def band_levels(sink: Sink, base: str) -> set[str]:
    """The band levels of every event and summary topic under ``base``."""
    return {
        m.topic.split("/")[1]
        for m in sink.snapshot()
        if m.topic.startswith(f"{base}/") and ("/event/" in m.topic or m.topic.endswith("/summary"))
    }


def without_line(path: Path, start: str, out: Path) -> Path:
    """``path`` less its lines that start with ``start``: a file from before that line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(x for x in lines if not x.startswith(start)), encoding="utf-8")
    return out


def test_capture_and_converted_csv_replay_under_one_band_id(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    csv = tmp_path / "walk.csv"
    retrosense("convert", str(CAPTURE), str(csv))
    assert "# band_id: c82e0a1b2c3d\n" in csv.read_text(encoding="utf-8")
    # Files written before the band id was stored: the id comes from the address they name
    # (the capture's header, the CSV's device line).
    old_capture = tmp_path / "old.jsonl"
    lines = CAPTURE.read_text(encoding="utf-8").splitlines(keepends=True)
    header = json.loads(lines[0])
    del header["band_id"]
    old_capture.write_text(json.dumps(header) + "\n" + "".join(lines[1:]), encoding="utf-8")
    old_csv = without_line(csv, "# band_id:", tmp_path / "old.csv")
    files = [CAPTURE, csv, old_capture, old_csv]
    config = tmp_path / "c.toml"
    for i, path in enumerate(files):
        base = f"bandid{i}"
        config.write_text(
            f'[broker]\nurl = "{mosquitto.url}"\nbase_topic = "{base}"\n'
            f'outbox_path = "{tmp_path / "outbox.sqlite3"}"\n',
            encoding="utf-8",
        )
        sink = Sink(mosquitto.url, [f"{base}/#"], client_id=f"bandid-sink-{i}")
        try:
            out = retrosense(
                *("replay", str(path), "--config", str(config), "--speed", "max"),
                *("--summary", "-"),
            )
            sink.wait_for(lambda ms, b=base: any(m.topic.endswith("/summary") for m in ms))
        finally:
            sink.close()
        assert band_levels(sink, base) == {"c82e0a1b2c3d"}, path.name
        assert f"{path.name} as band c82e0a1b2c3d," in out.stderr


def test_replay_and_demo_summaries_use_wearer_and_energy(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[broker]\nurl = "{mosquitto.url}"\nbase_topic = "wearer"\n'
        f'outbox_path = "{tmp_path / "outbox.sqlite3"}"\n'
        '[wearer]\nbody_mass_kg = 80\nage_years = 30\nsex = "male"\n'
        "[energy]\nmet_rest = 2.5\nmet_walk_forward = 9.0\n",
        encoding="utf-8",
    )
    # The capture carries heart rate: with body mass and age, energy comes from it.
    summary = tmp_path / "replayed.json"
    retrosense(
        *("replay", str(CAPTURE), "--config", str(config), "--speed", "max"),
        *("--summary", str(summary)),
    )
    replayed = json.loads(summary.read_text(encoding="utf-8"))
    assert replayed["energy"]["method"] == "keytel-2005" and replayed["energy"]["kcal"] > 0
    # The same file analysed with the defaults: no wearer, the Compendium's METs.
    default = json.loads(retrosense("analyze", str(CAPTURE), "--summary").stdout)
    assert default["energy"]["method"] == "compendium-mets"
    assert default["energy"]["kcal"] is None
    assert replayed["energy"]["met_minutes"] > default["energy"]["met_minutes"]
    assert replayed["steps"] == default["steps"]

    # The demo, playing the same capture, sums up the same.
    sink = Sink(mosquitto.url, ["retrosense/wearertest/summary"], client_id="demo-wearer")
    try:
        out = retrosense(
            *("demo", "--speed", "max", "--broker", mosquitto.url, "--config", str(config)),
            *("--recording", str(CAPTURE), "--band-id", "wearertest"),
        )
        (message,) = sink.wait_for(lambda ms: len(ms) > 0 and not ms[-1].retain)[-1:]
    finally:
        sink.close()
    demo = message.json
    assert demo["energy"] == replayed["energy"]
    assert f"energy: {demo['energy']['met_minutes']:.0f} MET-minutes (keytel-2005)" in out.stdout


def test_analyze_finds_the_users_configuration_as_run_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    walk = DATA / "sim" / "walk_waist_100hz_gyro.csv"
    tuned = tmp_path / "tuned.toml"
    tuned.write_text(TUNED, encoding="utf-8")

    def steps(*args: str) -> int:
        assert main(["analyze", str(walk), *args]) == 0
        return sum(e["type"] == "step" for e in events_of(capsys.readouterr().out))

    default, given = steps(), steps("--config", str(tuned))
    assert given < default
    monkeypatch.setenv("RETROSENSE_CONFIG", str(tuned))
    assert steps() == given
    monkeypatch.delenv("RETROSENSE_CONFIG")
    user_dir = tmp_path / "xdg"
    (user_dir / "retrosense").mkdir(parents=True)
    (user_dir / "retrosense" / "config.toml").write_text(TUNED, encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user_dir))
    assert steps() == given
