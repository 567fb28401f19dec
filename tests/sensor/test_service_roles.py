"""Scale-out: ``run --role gateway`` with the bands, two ``--role worker`` processes elsewhere.

Real processes, the emulated BlueZ and a real Mosquitto (MQTT v5 shared subscriptions). The
band's offer reaches one worker of the group; that worker alone runs its detectors.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.types import Samples
from sensor.mqtt.payloads import raw_payload
from sensor.roles import samples_from_raw
from tests.bluez.clips import walking_clip
from tests.bluez.devices import VirtualH10
from tests.bluez.emulator import BlueZEmulator
from tests.bluez.fixtures import bluez_fixture, system_bus_fixture  # noqa: F401
from tests.conftest import Mosquitto
from tests.sensor.mqtt_sink import Received, Sink
from tests.sensor.test_service_run import GUARD_S, H10, wait_until

BASE = "rolestest"


def test_raw_payload_round_trip() -> None:
    rng = np.random.default_rng(3)
    chunk = Samples(
        time_s=12.5 + np.arange(5) / 100.0,
        acc_g=rng.normal(0, 1, (5, 3)),
        gyro_dps=rng.normal(0, 100, (5, 3)),
        hr_bpm=np.array([120.0, np.nan, np.nan, np.nan, np.nan]),
    )
    from datetime import UTC, datetime

    back = samples_from_raw(raw_payload("b", chunk, datetime.now(UTC)))
    assert np.allclose(back.time_s, chunk.time_s, atol=1e-4)
    assert np.allclose(back.acc_g, chunk.acc_g, atol=1e-4)
    assert back.gyro_dps is not None and np.allclose(back.gyro_dps, chunk.gyro_dps, atol=1e-3)
    assert back.hr_bpm is not None and back.hr_bpm[0] == 120 and np.isnan(back.hr_bpm[1:]).all()


def config(tmp_path: Path, name: str, url: str, bands: str = "") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f"""{bands}
[broker]
url = "{url}"
base_topic = "{BASE}"
client_id = "{name}-{os.getpid()}"
outbox_path = "{tmp_path / (name + ".sqlite3")}"
discovery = false

[recording]
folder = "{tmp_path / "sessions"}"
""",
        encoding="utf-8",
    )
    return path


async def start(cfg: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sensor",
        "run",
        "--config",
        str(cfg),
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop(proc: asyncio.subprocess.Process) -> str:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    return err.decode()


@pytest.mark.slow
async def test_gateway_offers_the_band_to_one_worker(
    bluez: BlueZEmulator, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip(seconds=40.0)))
    sink = await asyncio.to_thread(Sink, mosquitto.url, [f"{BASE}/#"], client_id="roles-sink")
    wcfg = config(tmp_path, "worker", mosquitto.url)
    workers = [await start(wcfg, "--role", "worker", "--worker-id", w) for w in ("w1", "w2")]
    gateway = None

    def live(got: list[Received]) -> list[Received]:
        return [m for m in got if not m.retain]

    try:
        for w in ("w1", "w2"):
            topic = f"{BASE}/workers/{w}/status"
            await wait_until(
                lambda t=topic: any(
                    m.topic == t and m.payload == b"online" for m in sink.snapshot()
                ),
                f"worker {w} online",
            )
        # (An offer that comes before a worker's subscription is in place is sent again.)
        gcfg = config(
            tmp_path,
            "gateway",
            mosquitto.url,
            bands=f'[[bands]]\naddress = "{H10}"\nid = "chest"\nplacement = "waist"\n'
            'body_axes = "-z,+y,+x"\n',
        )
        gateway = await start(gcfg, "--role", "gateway")
        await wait_until(
            lambda: sum(m.topic.startswith(f"{BASE}/chest/event/") for m in sink.snapshot()) >= 5,
            "events from a worker",
        )
        gateway_err = await stop(gateway)
        assert gateway.returncode == 0, gateway_err
        await wait_until(
            lambda: any(m.topic == f"{BASE}/chest/summary" for m in live(sink.snapshot())),
            "the worker's summary",
        )
    finally:
        errs = [await stop(w) for w in workers]
        if gateway is not None and gateway.returncode is None:
            await stop(gateway)
        sink.close()
    assert all(w.returncode == 0 for w in workers), errs
    got = live(sink.snapshot())
    claims = {m.payload for m in got if m.topic == f"{BASE}/chest/worker" and m.payload}
    assert len(claims) == 1  # one worker took the band
    (owner,) = claims
    summary = next(m.json for m in got if m.topic == f"{BASE}/chest/summary")
    assert summary["worker"] == owner.decode()
    events = [m.json for m in got if m.topic.startswith(f"{BASE}/chest/event/")]
    sessions = {e["event_id"].rsplit("-", 1)[0] for e in events}
    assert len(sessions) == 1  # every event from the one worker's publisher
    assert sum(summary["events"].values()) == len(events)
    # Raw samples travelled over MQTT; the gateway kept its recording.
    assert any(m.topic == f"{BASE}/chest/raw" for m in got)
    assert list((tmp_path / "sessions").glob("*_chest.csv"))


@pytest.mark.slow
async def test_band_moves_to_another_worker_when_its_worker_dies(
    bluez: BlueZEmulator, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip(seconds=40.0)))
    base = f"{BASE}/chest"
    sink = await asyncio.to_thread(Sink, mosquitto.url, [f"{BASE}/#"], client_id="fail-sink")
    wcfg = config(tmp_path, "worker", mosquitto.url)
    workers = {w: await start(wcfg, "--role", "worker", "--worker-id", w) for w in ("wa", "wb")}
    gcfg = config(
        tmp_path,
        "gateway",
        mosquitto.url,
        bands=f'[[bands]]\naddress = "{H10}"\nid = "chest"\nplacement = "waist"\n',
    )
    gateway = await start(gcfg, "--role", "gateway")

    def claims() -> list[bytes]:
        return [
            m.payload
            for m in sink.snapshot()
            if m.topic == f"{base}/worker" and m.payload and not m.retain
        ]

    try:
        await wait_until(lambda: bool(claims()), "a first claim")
        first = claims()[0].decode()
        # The owner dies without a word: its last will says offline; the band moves on.
        workers[first].kill()
        await workers[first].wait()
        await wait_until(lambda: any(c.decode() != first for c in claims()), "a second claim")
        second = next(c.decode() for c in claims() if c.decode() != first)
        # The dead worker's last will marked only itself offline, not the gateway's service.
        assert (f"{BASE}/status", b"offline") not in [
            (m.topic, m.payload) for m in sink.snapshot() if not m.retain
        ]
        n_before = len(sink.snapshot())
        await wait_until(
            lambda: any(m.topic.startswith(f"{base}/event/") for m in sink.snapshot()[n_before:]),
            "events from the second worker",
        )
        assert (await stop(gateway)) is not None and gateway.returncode == 0
        await wait_until(
            lambda: any(m.topic == f"{base}/summary" and not m.retain for m in sink.snapshot()),
            "the second worker's summary",
        )
    finally:
        for proc in [*workers.values(), gateway]:
            if proc.returncode is None:
                await stop(proc)
        sink.close()
    assert second != first
    summary = next(m.json for m in sink.snapshot() if m.topic == f"{base}/summary" and not m.retain)
    assert summary["worker"] == second
