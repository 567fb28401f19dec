"""Scale-out: ``run --role gateway`` with the bands, ``--role worker`` processes elsewhere.

Real processes, the emulated BlueZ and a real Mosquitto configured from the shipped example
(config/mosquitto/: its settings, its ACL with the gateway, worker, dashboard and read-only
users). Every test compares what the workers published with an offline analysis of the
gateway's own recording of the same samples: nothing lost, copies only under the same id.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.types import Samples
from sensor.mqtt.payloads import raw_payload
from sensor.roles import samples_from_raw
from sensor.session import analyze_file
from tests.bluez.clips import walking_clip
from tests.bluez.devices import VirtualH10
from tests.bluez.emulator import BlueZEmulator
from tests.bluez.fixtures import bluez_fixture, system_bus_fixture  # noqa: F401
from tests.conftest import Mosquitto, need_tool
from tests.paths import ROOT
from tests.sensor.mqtt_sink import Received, Sink
from tests.sensor.test_service_run import GUARD_S, H10, wait_until

BASE = "rolestest"
EXAMPLE = ROOT / "config" / "mosquitto"
USERS = ("gateway", "worker", "dashboard", "readonly")
#: Matching a live event with the offline analysis: the raw payload keeps 0.1 mg and 0.1 ms,
#: so a detector may place an event a sample or two apart (100 Hz).
MATCH_S = 0.025


def test_raw_payload_round_trip() -> None:
    rng = np.random.default_rng(3)
    chunk = Samples(
        time_s=12.5 + np.arange(5) / 100.0,
        acc_g=rng.normal(0, 1, (5, 3)),
        gyro_dps=rng.normal(0, 100, (5, 3)),
        hr_bpm=np.array([120.0, np.nan, np.nan, np.nan, np.nan]),
    )
    back = samples_from_raw(raw_payload("b", chunk, datetime.now(UTC), seq=7))
    assert np.allclose(back.time_s, chunk.time_s, atol=1e-4)
    assert np.allclose(back.acc_g, chunk.acc_g, atol=1e-4)
    assert back.gyro_dps is not None and np.allclose(back.gyro_dps, chunk.gyro_dps, atol=1e-3)
    assert back.hr_bpm is not None and back.hr_bpm[0] == 120 and np.isnan(back.hr_bpm[1:]).all()


# ------------------------------------------------------------------------------ helpers
def example_broker(factory: type[Mosquitto], tmp_path: Path) -> Mosquitto:
    """A Mosquitto with the shipped settings and ACL (base topic swapped for the test's)."""
    passwd = tmp_path / "passwd"
    for i, user in enumerate(USERS):
        subprocess.run(
            [
                need_tool("mosquitto_passwd"),
                *(["-c"] if i == 0 else []),
                "-b",
                str(passwd),
                user,
                f"{user}-pw",
            ],
            check=True,
            capture_output=True,
        )
    acl = tmp_path / "acl"
    acl.write_text((EXAMPLE / "acl").read_text().replace("retrosense/", f"{BASE}/"))
    own = ("listener", "allow_anonymous", "password_file", "acl_file", "persistence")
    lines = [
        line
        for line in (EXAMPLE / "mosquitto.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith(own)
    ]
    return factory(extra=(*lines, f"password_file {passwd}", f"acl_file {acl}")).start()


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


async def start(cfg: Path, user: str, *args: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "RETROSENSE_MQTT_USERNAME": user,
        "RETROSENSE_MQTT_PASSWORD": f"{user}-pw",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sensor",
        "-v",
        "run",
        "--config",
        str(cfg),
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def stop(proc: asyncio.subprocess.Process) -> str:
    if proc.returncode is None:
        try:
            proc.send_signal(signal.SIGCONT)
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    print("STDERR", proc.pid, err.decode()[-3000:])
    return err.decode()


def sink_for(broker: Mosquitto, client_id: str) -> Sink:
    """A dashboard's view (the ACL's read-only user) of everything under the base topic."""
    return Sink(
        broker.url, [f"{BASE}/#"], client_id=client_id, credentials=("readonly", "readonly-pw")
    )


def live(got: list[Received]) -> list[Received]:
    return [m for m in got if not m.retain]


def events_of(got: list[Received], band: str) -> list[dict[str, Any]]:
    return [
        m.json
        for m in live(got)
        if m.topic.startswith(f"{BASE}/{band}/event/") and not m.topic.endswith("/data_gap")
    ]


def raw_until(got: list[Received], band: str) -> float:
    """The span of stream time the band's raw batches cover so far."""
    raw = [m.json for m in got if m.topic == f"{BASE}/{band}/raw"]
    if not raw:
        return 0.0
    return max(r["t0"] + r["t"][-1] for r in raw) - min(r["t0"] for r in raw)


def lease_holder(got: list[Received], band: str) -> Callable[[], str | None]:
    def holder() -> str | None:
        leases = [m.json for m in got if m.topic == f"{BASE}/{band}/lease" and m.payload]
        return leases[-1]["worker"] if leases else None

    return holder


def compare_with_offline(tmp_path: Path, band: str, published: list[dict[str, Any]]) -> None:
    """Every event of the offline analysis was published; no event under two ids."""
    (csv,) = (tmp_path / "sessions").glob(f"*_{band}.csv")
    offline, _ = analyze_file(str(csv))
    by_id: dict[str, dict[str, Any]] = {}
    for e in published:
        by_id.setdefault(e["event_id"], e)
    unique = list(by_id.values())
    keys = sorted((e["type"], e["t"]) for e in unique)
    # No event published twice under different ids (two workers, or a retry, disagreeing).
    for (ta, a), (tb, b) in itertools.pairwise(keys):
        assert not (ta == tb and abs(a - b) < MATCH_S and ta == "step"), (ta, a, b)
    missing = [
        (e.type, e.t)
        for e in offline
        if not any(u["type"] == e.type and abs(u["t"] - e.t) <= MATCH_S for u in unique)
    ]
    assert missing == [], f"{len(missing)} of {len(offline)} offline events never published"
    assert len(unique) >= len(offline) > 10


# ------------------------------------------------------------------------------ tests
@pytest.mark.slow
async def test_gateway_offers_the_band_to_one_worker_and_makes_the_one_summary(
    bluez: BlueZEmulator, mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    broker = example_broker(mosquitto_factory, tmp_path)
    bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip(seconds=30.0)))
    sink = await asyncio.to_thread(sink_for, broker, "roles-sink")
    wcfg = config(tmp_path, "worker", broker.url)
    workers = [
        await start(wcfg, "worker", "--role", "worker", "--worker-id", w) for w in ("w1", "w2")
    ]
    gateway = None
    try:
        for w in ("w1", "w2"):
            topic = f"{BASE}/workers/{w}/status"
            await wait_until(
                lambda t=topic: any(
                    m.topic == t and m.payload == b"online" for m in sink.snapshot()
                ),
                f"worker {w} online",
            )
        gcfg = config(
            tmp_path,
            "gateway",
            broker.url,
            bands=f'[[bands]]\naddress = "{H10}"\nid = "chest"\nplacement = "waist"\n'
            'body_axes = "-z,+y,+x"\n',
        )
        gateway = await start(gcfg, "gateway", "--role", "gateway")
        await wait_until(lambda: len(events_of(sink.snapshot(), "chest")) > 10, "events")
        # The whole clip, then a clean stop.
        await wait_until(lambda: raw_until(sink.snapshot(), "chest") >= 28.5, "the whole clip")
        await asyncio.sleep(2)
        gateway_err = await stop(gateway)
        assert gateway.returncode == 0, gateway_err
    finally:
        errs = [await stop(w) for w in workers]
        if gateway is not None and gateway.returncode is None:
            await stop(gateway)
        sink.close()
    assert all(w.returncode == 0 for w in workers), errs
    got = sink.snapshot()
    leases = [m.json for m in got if m.topic == f"{BASE}/chest/lease" and m.payload]
    assert {lease["worker"] for lease in leases} <= {"w1", "w2"} and len(leases) == 1
    summaries = [m.json for m in live(got) if m.topic == f"{BASE}/chest/summary"]
    assert len(summaries) == 1  # one summary, made by the gateway
    (summary,) = summaries
    assert summary["parts"] == [{"worker": leases[0]["worker"], "epoch": 1}]
    assert summary["raw_batches_lost"] == 0 and summary["data_gaps"] == 0
    events = events_of(got, "chest")
    assert len({e["event_id"] for e in events}) == len(events)  # nothing sent twice here
    assert sum(summary["events"].values()) == len(events)
    compare_with_offline(tmp_path, "chest", events)
    seqs = [m.json["seq"] for m in got if m.topic == f"{BASE}/chest/raw"]
    assert sorted(set(seqs)) == list(range(1, max(seqs) + 1))  # every batch
    # In order, except that batches sent before the worker took the band (a busy machine)
    # are sent again once, from the batch it asked for (the first).
    backs = [i for i in range(1, len(seqs)) if seqs[i] <= seqs[i - 1]]
    assert len(backs) <= 1 and all(seqs[i] == 1 for i in backs)


@pytest.mark.slow
async def test_a_hung_worker_is_fenced_and_a_killed_one_replaced_without_losing_events(
    bluez: BlueZEmulator, mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    """SIGSTOP the band's worker (a hang), resume it, then SIGKILL the one that took over."""
    broker = example_broker(mosquitto_factory, tmp_path)
    bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip(seconds=60.0)))
    sink = await asyncio.to_thread(sink_for, broker, "fail-sink")
    wcfg = config(tmp_path, "worker", broker.url)
    workers = {
        w: await start(wcfg, "worker", "--role", "worker", "--worker-id", w) for w in ("wa", "wb")
    }
    gcfg = config(
        tmp_path,
        "gateway",
        broker.url,
        bands=f'[[bands]]\naddress = "{H10}"\nid = "chest"\nplacement = "waist"\n',
    )
    gateway = await start(gcfg, "gateway", "--role", "gateway")
    holder = lease_holder(sink.messages, "chest")
    try:
        await wait_until(lambda: holder() is not None, "a first lease")
        first = holder()
        assert first is not None
        await wait_until(lambda: len(events_of(sink.snapshot(), "chest")) > 10, "events")
        workers[first].send_signal(signal.SIGSTOP)  # hung: no heartbeat, no word
        await wait_until(lambda: holder() not in (None, first), "the band on the other worker")
        second = holder()
        assert second is not None
        workers[first].send_signal(signal.SIGCONT)  # back, with a lease long gone
        n = len(sink.snapshot())
        await wait_until(
            lambda: len(events_of(sink.snapshot()[n:], "chest")) > 5, "events after take-over"
        )
        workers[second].kill()  # dies without a word
        await workers[second].wait()
        await wait_until(lambda: holder() not in (None, second), "the band back on the first")
        await asyncio.sleep(25)  # the rest of the clip
        gateway_err = await stop(gateway)
        assert gateway.returncode == 0, gateway_err
    finally:
        for proc in [*workers.values(), gateway]:
            if proc.returncode is None:
                await stop(proc)
        sink.close()
    got = sink.snapshot()
    summaries = [m.json for m in live(got) if m.topic == f"{BASE}/chest/summary"]
    assert len(summaries) == 1
    parts = summaries[0]["parts"]
    assert [p["worker"] for p in parts] == [first, second, first]
    assert [p["epoch"] for p in parts] == sorted({p["epoch"] for p in parts})
    assert summaries[0]["raw_batches_lost"] == 0
    compare_with_offline(tmp_path, "chest", events_of(got, "chest"))
