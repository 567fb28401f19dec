"""``replay`` and ``demo`` as tests and users run them: never a broker they were not pointed
at, no Home Assistant device left behind, an outbox of their own, side by side without clashes,
the ``time`` they stamp, progress by recording time, a summary file only when asked."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sensor.cli import main
from sensor.mqtt.discovery import discovery_topics
from sensor.mqtt.outbox import Outbox
from sensor.mqtt.topics import Topics
from sensor.progress import track_recording_time
from sensor.recording import RecordingReader
from sensor.sources import open_source
from tests.conftest import Mosquitto, free_port
from tests.paths import ROOT
from tests.sensor.mqtt_sink import Sink
from tests.sensor.test_demo import short_recording

WAIT_S = 60.0


def retrosense(*args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sensor", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=ROOT,
    )


def with_started(path: Path, started: str) -> Path:
    """``path`` with a ``# started:`` header line (recording CSV v1 allows it)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out = path.with_name(path.stem + "_started.csv")
    out.write_text(lines[0] + f"# started: {started}\n" + "".join(lines[1:]), encoding="utf-8")
    return out


# --- never a broker it was not pointed at ----------------------------------------------------


def test_demo_without_a_broker_uses_its_own_never_localhost_1883(tmp_path: Path) -> None:
    # Whatever listens on localhost:1883 (on a Pi: the user's Home Assistant broker) must not
    # hear from the demo. Where the port is free here, a listener counts connections.
    accepted: list[socket.socket] = []
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", 1883))
        listener.listen()
        listener.settimeout(0.2)
    except OSError:
        listener.close()
        listener = None  # type: ignore[assignment]
    stop = threading.Event()

    def accept() -> None:
        while listener is not None and not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        recording = short_recording(tmp_path, 8.0)
        out = retrosense("demo", "--speed", "max", "--recording", str(recording))
    finally:
        stop.set()
        thread.join(5)
        if listener is not None:
            listener.close()
        for conn in accepted:
            conn.close()
    assert out.returncode == 0, out.stderr
    assert "publishing to the embedded broker at mqtt://127.0.0.1:" in out.stdout
    port = int(out.stdout.split("embedded broker at mqtt://127.0.0.1:")[1].split(";")[0])
    assert port != 1883
    assert "events published" in out.stdout
    assert accepted == []


# --- discovery removed at the end, kept on request, or never sent ------------------------------


def retained_configs(url: str, prefix: str, expect: int) -> list[str]:
    """The retained discovery topics a fresh subscriber gets (waits for ``expect`` of them; a
    retained marker after them says when everything retained has come)."""
    marker = f"{prefix}/zz_marker/config"
    sink = Sink(url, [f"{prefix}/#"], client_id=f"cfg-{prefix}")
    try:
        sink.client.publish(marker, b"m", qos=1, retain=True).wait_for_publish(WAIT_S)
        got = sink.wait_for(lambda ms: any(m.topic == marker for m in ms))
        sink.client.publish(marker, b"", qos=1, retain=True).wait_for_publish(WAIT_S)
    finally:
        sink.close()
    topics = [m.topic for m in got if m.retain and m.topic != marker and m.payload]
    assert len(topics) == expect or expect < 0, topics
    return topics


@pytest.mark.parametrize("how", ["default", "--keep-discovery", "--no-discovery"])
def test_discovery_of_a_replayed_band_is_removed_at_the_end_unless_kept(
    mosquitto: Mosquitto, tmp_path: Path, how: str
) -> None:
    prefix = f"ha{tmp_path.name[-8:]}".replace("_", "x")
    config = tmp_path / "c.toml"
    config.write_text(f'[broker]\nurl = "{mosquitto.url}"\ndiscovery_prefix = "{prefix}"\n')
    seen = Sink(mosquitto.url, [f"{prefix}/#"], client_id=f"seen-{prefix}")
    recording = short_recording(tmp_path, 8.0)
    extra = [] if how == "default" else [how]
    try:
        out = retrosense(
            "replay", str(recording), "--config", str(config), "--speed", "max",
            "--band-id", "rp", *extra,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        announced = {m.topic for m in seen.snapshot() if m.payload}
    finally:
        seen.close()
    topics = set(discovery_topics(Topics(discovery_prefix=prefix), "rp"))
    if how == "--no-discovery":
        assert announced == set()
        retained_configs(mosquitto.url, prefix, 0)
    elif how == "--keep-discovery":
        assert set(retained_configs(mosquitto.url, prefix, len(topics))) == topics
    else:
        assert announced == topics  # Home Assistant saw the band while it ran
        retained_configs(mosquitto.url, prefix, 0)  # and nothing is left


def test_demo_removes_its_discovery_from_a_named_broker(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    broker = mosquitto_factory().start()
    recording = short_recording(tmp_path, 8.0)
    out = retrosense(
        "demo", "--broker", broker.url, "--speed", "max", "--recording", str(recording)
    )
    assert out.returncode == 0, out.stderr
    retained_configs(broker.url, "homeassistant", 0)


# --- an outbox of its own, side by side ------------------------------------------------------


def test_a_replay_to_a_dead_broker_leaves_nothing_for_the_next_replay(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    dead = f"mqtt://127.0.0.1:{free_port()}"
    first = short_recording(tmp_path, 8.0)
    out = retrosense(
        "replay", str(first), "--broker", dead, "--speed", "max", "--band-id", "old",
        "--client-id", "same-id", "--drain-timeout-s", "0.5",
    )  # fmt: skip
    assert out.returncode == 1 and "dropped with this run's outbox" in out.stderr
    broker = mosquitto_factory().start()
    sink = Sink(broker.url, ["retrosense/#"], client_id="next-sink")
    try:
        out = retrosense(
            "replay", str(first), "--broker", broker.url, "--speed", "max", "--band-id", "new",
            "--client-id", "same-id",
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        got = sink.wait_for(lambda ms: any(m.topic == "retrosense/new/summary" for m in ms))
    finally:
        sink.close()
    assert {m.topic.split("/")[1] for m in got} == {"new", "status"}


def test_a_durable_outbox_is_opt_in_and_goes_out_on_the_next_replay(
    mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    port = free_port()
    outbox = tmp_path / "kept.sqlite3"
    recording = short_recording(tmp_path, 8.0)
    common = ("--speed", "max", "--client-id", "kept", "--outbox", str(outbox))
    out = retrosense(
        "replay", str(recording), "--broker", f"mqtt://127.0.0.1:{port}", "--band-id", "early",
        "--drain-timeout-s", "0.5", *common,
    )  # fmt: skip
    assert out.returncode == 1
    assert f"they wait in {outbox}" in out.stderr and "--client-id kept" in out.stderr
    broker = mosquitto_factory(port=port).start()
    sink = Sink(broker.url, ["retrosense/+/summary"], client_id="kept-sink")
    try:
        out = retrosense(
            "replay", str(recording), "--broker", broker.url, "--band-id", "late", *common
        )
        assert out.returncode == 0, out.stderr
        got = sink.wait_for(lambda ms: len({m.topic for m in ms}) >= 2)
    finally:
        sink.close()
    assert {m.topic for m in got} == {"retrosense/early/summary", "retrosense/late/summary"}


def test_a_held_outbox_names_the_client_id_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox = tmp_path / "held.sqlite3"
    held = Outbox(outbox, 100)  # another process's replay, as far as the lock goes
    try:
        code = main(
            [
                "replay", str(short_recording(tmp_path, 4.0)), "--broker",
                f"mqtt://127.0.0.1:{free_port()}", "--outbox", str(outbox),
            ]
        )  # fmt: skip
    finally:
        held.close()
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"retrosense: error: {outbox}: in use by another replay")
    assert "--client-id" in err


def test_replays_side_by_side_do_not_clash(mosquitto: Mosquitto, tmp_path: Path) -> None:
    recording = short_recording(tmp_path, 20.0)
    base = f"side{tmp_path.name[-6:]}".replace("_", "x")
    sink = Sink(mosquitto.url, [f"{base}/+/summary"], client_id=f"{base}-sink")
    try:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sensor",
                    "replay",
                    str(recording),
                    "--broker",
                    mosquitto.url,
                    "--base-topic",
                    base,
                    "--speed",
                    "20",
                    "--band-id",
                    f"b{i}",
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(3)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
        got = sink.wait_for(lambda ms: len({m.topic for m in ms}) >= 3)
    finally:
        sink.close()
    assert {m.topic for m in got} == {f"{base}/b{i}/summary" for i in range(3)}


# --- the time it stamps ----------------------------------------------------------------------


def event_times(mosquitto: Mosquitto, recording: Path, base: str, *extra: str) -> list[dict]:
    sink = Sink(mosquitto.url, [f"{base}/+/event/step", f"{base}/+/summary"], client_id=base)
    try:
        out = retrosense(
            "replay", str(recording), "--broker", mosquitto.url, "--base-topic", base, *extra
        )
        assert out.returncode == 0, out.stderr
        got = sink.wait_for(lambda ms: any(m.topic.endswith("/summary") for m in ms))
    finally:
        sink.close()
    return [m.json for m in got if "/event/" in m.topic]


def when(event: dict) -> datetime:
    return datetime.fromisoformat(event["time"].replace("Z", "+00:00"))


def test_clock_wall_stamps_as_sent_and_recording_as_recorded(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    recording = with_started(short_recording(tmp_path, 20.0), "2026-05-01T09:30:00Z")
    paced = event_times(mosquitto, recording, "clockwall", "--speed", "10")
    assert len(paced) >= 3
    # At 10x, 10 s of recording are sent in 1 s: time follows the sending, not the file (it
    # stamped up to 70 s into the future before).
    first, last = paced[0], paced[-1]
    spread = (when(last) - when(first)).total_seconds()
    assert spread == pytest.approx((last["t"] - first["t"]) / 10, abs=0.002)
    recorded = event_times(
        mosquitto, recording, "clockrec", "--speed", "max", "--clock", "recording"
    )
    start = datetime.fromisoformat("2026-05-01T09:30:00+00:00")
    for event in recorded:
        assert when(event) == pytest.approx(start + timedelta(seconds=event["t"]),
                                            abs=timedelta(milliseconds=1))  # fmt: skip


def test_clock_recording_needs_a_start_time(tmp_path: Path) -> None:
    recording = short_recording(tmp_path, 4.0)
    assert RecordingReader(recording).header.started is None
    out = retrosense(
        "replay", str(recording), "--broker", f"mqtt://127.0.0.1:{free_port()}", "--clock",
        "recording",
    )  # fmt: skip
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "--clock recording needs the file's start time" in out.stderr


# --- progress, summary file, bad options -----------------------------------------------------


def test_progress_of_a_paced_replay_is_by_recording_time(tmp_path: Path) -> None:
    recording = short_recording(tmp_path, 20.0)
    source = open_source(recording)
    stream = io.StringIO()
    chunks = list(
        track_recording_time(
            (c for big in source.body_chunks() for c in big.chunks(50)),
            recording,
            source.info.sample_rate_hz,
            stream=stream,
            enabled=True,
        )
    )
    assert chunks
    drawn = stream.getvalue()
    assert recording.name in drawn and "/~20 s" in drawn


def test_replay_writes_a_summary_file_only_when_asked(mosquitto: Mosquitto, tmp_path: Path) -> None:
    recording = short_recording(tmp_path, 8.0)
    before = set(tmp_path.iterdir())
    out = retrosense("replay", str(recording), "--broker", mosquitto.url, "--speed", "max")
    assert out.returncode == 0, out.stderr
    assert set(tmp_path.iterdir()) == before
    target = tmp_path / "asked.json"
    out = retrosense(
        "replay", str(recording), "--broker", mosquitto.url, "--speed", "max", "--summary",
        str(target),
    )  # fmt: skip
    assert out.returncode == 0 and json.loads(target.read_text())["type"] == "session_summary"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clock", "sundial"], "--clock"),
        (["--drain-timeout-s", "-1"], "--drain-timeout-s"),
        (["--keep-discovery", "--no-discovery"], "not allowed with"),
        (["--summary", "/no/such/folder/s.json"], "no folder /no/such/folder"),
    ],
)
def test_bad_replay_options_are_one_line(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = short_recording(tmp_path, 4.0)
    try:
        code = main(["replay", str(recording), "--broker", "mqtt://127.0.0.1:1", *args])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
