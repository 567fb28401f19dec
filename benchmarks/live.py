"""Helpers for the live benchmarks: emulated bands, a broker, ``retrosense run`` processes,
a subscriber that keeps everything, and the comparison with an offline analysis.

The bands are the project's emulated BlueZ (tests/bluez) on a private D-Bus, played from the
2-hour benchmark recordings (``benchmarks/data.py``), each band its own stretch. Nothing here
is a test: the scripts that use it print and save figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from analysis.frame import parse_body_axes
from benchmarks.broker import free_port
from benchmarks.common import ROOT
from sensor.recording import RecordingReader, to_body
from tests.bluez.devices import Clip

#: Matching a live event with the offline analysis of the gateway's recording: the raw
#: payload keeps 0.1 mg and 0.1 ms, so a detector may place an event a sample or two apart.
MATCH_S = 0.025
H10_AXES = "+z,+x,+y"
USERS = ("gateway", "worker", "dashboard", "readonly")


def h10_clip(recording: Path, start_s: float, seconds: float) -> Clip:
    """``seconds`` of a 100 Hz chest recording from ``start_s``, in the H10's sensor axes."""
    reader = RecordingReader(recording)
    body = to_body(reader.read_all(), reader.header.axes_matrix)
    rate = reader.header.sample_rate_hz
    lo, n = round(start_s * rate), round(seconds * rate)
    r = parse_body_axes(H10_AXES)
    t = body.time_s[lo : lo + n]
    return Clip(t - t[0], body.acc_g[lo : lo + n] @ r, None, rate)


@dataclass
class Broker:
    """Mosquitto from the shipped example (config/mosquitto), base topic swapped."""

    base: str
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-mosq-")))
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Broker:
        example = ROOT / "config" / "mosquitto"
        passwd = self.workdir / "passwd"
        if not passwd.exists():
            for i, user in enumerate(USERS):
                cmd = ["mosquitto_passwd", *(["-c"] if i == 0 else []), "-b", str(passwd)]
                subprocess.run([*cmd, user, f"{user}-pw"], check=True, capture_output=True)
        acl = self.workdir / "acl"
        acl.write_text((example / "acl").read_text().replace("retrosense/", f"{self.base}/"))
        own = ("listener", "allow_anonymous", "password_file", "acl_file", "persistence")
        lines = [
            line
            for line in (example / "mosquitto.conf").read_text().splitlines()
            if line.strip() and not line.startswith("#") and not line.startswith(own)
        ]
        persist = self.workdir / "persist"
        persist.mkdir(exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            "\n".join(
                [
                    # As root, mosquitto would become user 'mosquitto' and could not read
                    # the private temporary files: stay who we are.
                    f"user {pwd.getpwuid(os.geteuid()).pw_name}",
                    f"listener {self.port} 127.0.0.1",
                    f"password_file {passwd}",
                    f"acl_file {acl}",
                    "persistence true",
                    "autosave_interval 1",
                    f"persistence_location {persist}/",
                    "log_dest stderr",
                    "log_type error",
                    *lines,
                ]
            )
            + "\n"
        )
        self.proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited: {err}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None


class Sink:
    """A read-only subscriber keeping every message with its arrival time."""

    def __init__(self, url_port: int, topics: list[str], persistent: bool = False) -> None:
        self.messages: list[tuple[float, str, bytes, bool]] = []
        self._lock = threading.Lock()
        # persistent: the broker keeps what comes for us while we reconnect (after a broker
        # restart, our session comes back from its persistence file).
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"bench-sink-{os.getpid()}",
            clean_session=not persistent,
        )
        self.client.reconnect_delay_set(1, 1)
        self.client.username_pw_set("readonly", "readonly-pw")
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", url_port)
        self.client.loop_start()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        with self._lock:
            self.messages.append((time.monotonic(), msg.topic, bytes(msg.payload), msg.retain))

    def snapshot(self) -> list[tuple[float, str, bytes, bool]]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Proxy:
    """A TCP relay that can be cut: while cut, nothing passes and nobody connects (a network
    partition); on ``heal`` the old connections are closed, as their keep-alives would have."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.cut = False
        self._conns: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.close()
            return
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._conns += [writer, up_w]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    while self.cut:
                        await asyncio.sleep(0.1)
                    if dst.is_closing():
                        return
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))

    def partition(self) -> None:
        self.cut = True

    def heal(self) -> None:
        for w in self._conns:
            w.close()
        self._conns.clear()
        self.cut = False

    async def stop(self) -> None:
        self.heal()
        if self._server is not None:
            self._server.close()


def write_config(path: Path, name: str, url: str, base: str, bands: str = "") -> Path:
    folder = path.parent
    path.write_text(
        f"""{bands}
[broker]
url = "{url}"
base_topic = "{base}"
client_id = "{name}"
outbox_path = "{folder / (name + ".sqlite3")}"
discovery = false

[recording]
folder = "{folder / "sessions"}"
""",
        encoding="utf-8",
    )
    return path


async def start_run(config: Path, user: str | None, *args: str) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    if user:
        env["RETROSENSE_MQTT_USERNAME"] = user
        env["RETROSENSE_MQTT_PASSWORD"] = f"{user}-pw"
    log = open(config.with_suffix(".log"), "wb")  # noqa: SIM115
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sensor",
        "-v",
        "run",
        "--config",
        str(config),
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
        cwd=ROOT,
        env=env,
    )


async def stop_run(proc: asyncio.subprocess.Process, timeout_s: float = 120.0) -> int | None:
    if proc.returncode is None:
        try:
            proc.send_signal(signal.SIGCONT)
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        await asyncio.wait_for(proc.wait(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
    return proc.returncode


def compare(recording: Path, published: list[dict[str, Any]]) -> dict[str, Any]:
    """Published events (copies included) against an offline analysis of ``recording``.

    ``missing``: offline events no published event matches (same type, ``t`` within
    ``MATCH_S``); ``not_in_offline`` the other way round; ``one_event_two_ids``: two
    different ids for events of one type closer than ``MATCH_S``; ``copies_by_id``: messages
    that repeat an id already seen (QoS 1 resends, a take-over's overlap).
    """
    from sensor.session import analyze_file

    offline, _ = analyze_file(str(recording))
    by_id: dict[str, dict[str, Any]] = {}
    for e in published:
        by_id.setdefault(e["event_id"], e)
    unique = list(by_id.values())
    types = {e["type"] for e in unique} | {e.type for e in offline}
    live_t = {k: np.sort([float(u["t"]) for u in unique if u["type"] == k]) for k in types}
    ref_t = {k: np.sort([e.t for e in offline if e.type == k]) for k in types}

    def unmatched(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> int:
        if len(b) == 0:
            return len(a)
        i = np.clip(np.searchsorted(b, a), 1, len(b) - 1) if len(b) > 1 else np.zeros(len(a), int)
        near = np.minimum(np.abs(b[i] - a), np.abs(b[np.maximum(i - 1, 0)] - a))
        return int(np.sum(near > MATCH_S))

    return {
        "offline_events": len(offline),
        "published_messages": len(published),
        "unique_ids": len(unique),
        "copies_by_id": len(published) - len(unique),
        "missing": sum(unmatched(ref_t[k], live_t[k]) for k in types),
        "not_in_offline": sum(unmatched(live_t[k], ref_t[k]) for k in types),
        "one_event_two_ids": sum(int(np.sum(np.diff(ts) < MATCH_S)) for ts in live_t.values()),
    }


def save(name: str, result: dict[str, Any]) -> Path:
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
