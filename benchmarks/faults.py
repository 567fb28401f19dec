"""Faults during a live ``retrosense run`` with emulated bands: figures for docs/performance.md.

``python -m benchmarks.faults broker-kill``: two emulated Polar H10 bands; the broker is
killed with SIGKILL 40 s in and restarted 30 s later. ``service-kill``: the service is killed
with SIGKILL 40 s in and started again 10 s later (a new band session). ``flapping``: one band
whose link drops every 10 s for ``--minutes`` (10); the service's resident memory and its
thread and file-descriptor counts are read every 10 s. ``long``: ``--bands`` (10) bands
streaming for ``--minutes``, the same counts read every minute.

Events are compared with an offline analysis of the service's own recordings of the same
samples (``benchmarks.live.compare``): lost (offline events never published), copies by id,
one event under two ids. Time is real: these take minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from benchmarks.common import ROOT
from benchmarks.data import RecordingSpec, ensure_recording
from benchmarks.live import Broker, Sink, compare, h10_clip, save, start_run, stop_run, write_config

BASE = "faults"


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


async def scenario(kind: str, minutes: float, work: Path, n_long: int = 10) -> dict[str, Any]:
    from tests.bluez.devices import VirtualH10
    from tests.bluez.emulator import BlueZEmulator
    from tests.bluez.fixtures import start_system_bus

    bus, address = start_system_bus()
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address
    spec = RecordingSpec("chest_100hz", "chest", 100, False, 7200.0, seed=101)
    recording, _ = ensure_recording(spec, ROOT / "benchmarks" / "out" / "data", reuse=True)
    watched = kind in ("flapping", "long")
    length_s = minutes * 60.0 + 60.0 if watched else 150.0
    n_bands = {"flapping": 1, "long": n_long}.get(kind, 2)
    # Each band its own stretch of the 2-hour recording.
    spacing = 900.0 if kind != "long" else max(0.0, 7140.0 - length_s) / max(1, n_bands - 1)
    emulator = await BlueZEmulator(address).start()
    addresses = [f"C8:2E:0A:1B:3C:{i:02X}" for i in range(n_bands)]
    for i, addr in enumerate(addresses):
        clip = h10_clip(recording, spacing * i + 30.0, length_s)
        emulator.add(VirtualH10(addr, f"Polar H10 1A1B2C{i:02X}", clip=clip))
    broker = Broker(BASE)
    broker.start()
    sink = Sink(broker.port, [f"{BASE}/#"], persistent=True)
    bands = "".join(
        f'[[bands]]\naddress = "{a}"\nid = "b{i}"\nplacement = "chest"\n'
        for i, a in enumerate(addresses)
    )
    cfg = write_config(work / "run.toml", "run", broker.url, BASE, bands)
    out: dict[str, Any] = {"kind": kind, "bands": n_bands}
    service = await start_run(cfg, "gateway")
    t0 = time.monotonic()
    if kind == "broker-kill":
        await asyncio.sleep(40)
        log("SIGKILL the broker")
        broker.stop(signal.SIGKILL)
        await asyncio.sleep(30)
        log("broker restarted")
        broker.start()
        await asyncio.sleep(70)
    elif kind == "service-kill":
        await asyncio.sleep(40)
        log("SIGKILL the service")
        service.kill()
        await service.wait()
        out["killed_exit"] = service.returncode
        await asyncio.sleep(10)
        log("service started again")
        service = await start_run(cfg, "gateway")
        await asyncio.sleep(90)
    else:
        proc = psutil.Process(service.pid)
        samples = []
        drops = 0
        while time.monotonic() - t0 < minutes * 60.0:
            await asyncio.sleep(10 if kind == "flapping" else 60)
            if kind == "flapping":
                emulator.drop_link(addresses[0])
                drops += 1
            samples.append(
                {
                    "t_s": round(time.monotonic() - t0),
                    "rss_mb": round(proc.memory_info().rss / 1e6, 1),
                    "threads": proc.num_threads(),
                    "fds": proc.num_fds(),
                }
            )
        out["link_drops"] = drops
        out["samples"] = samples
        out["rss_mb_first_last"] = [samples[1]["rss_mb"], samples[-1]["rss_mb"]]
        out["threads_first_last"] = [samples[1]["threads"], samples[-1]["threads"]]
        out["fds_first_last"] = [samples[1]["fds"], samples[-1]["fds"]]
    out["exit"] = await stop_run(service, 120)
    await asyncio.sleep(3)
    got = sink.snapshot()
    sink.close()
    broker.stop()
    await emulator.stop()
    bus.terminate()
    out["per_band"] = {}
    for i in range(n_bands):
        band = f"b{i}"
        events = [
            json.loads(p) for _, t, p, r in got if t.startswith(f"{BASE}/{band}/event/") and not r
        ]
        csvs = sorted((work / "sessions").glob(f"*_{band}.csv"))
        rows = [compare(csv, [e for e in events if _in_session(e, csv)]) for csv in csvs]
        out["per_band"][band] = rows
        out["per_band"][f"{band}_reconnects"] = sum(
            1 for _, t, p, _ in got if t == f"{BASE}/{band}/status" and p == b"online"
        )
    return out


def _in_session(event: dict[str, Any], csv: Path) -> bool:
    """Whether an event belongs to the run recorded in ``csv``: the latest run (by the UTC
    stamp that starts the file's name) that started before the event's band session did."""
    starts = sorted(
        datetime.strptime(p.name.split("_", 1)[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        for p in csv.parent.glob("*.csv")
    )
    mine = datetime.strptime(csv.name.split("_", 1)[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    when = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    band_start = when - timedelta(seconds=event["t"])
    before = [s for s in starts if s <= band_start + timedelta(seconds=1)]
    return bool(before) and before[-1] == mine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("broker-kill", "service-kill", "flapping", "long"))
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--bands", type=int, default=10, help="bands of the long run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix=f"bench-{args.kind}-"))
    load0 = os.getloadavg()[0]
    result = asyncio.run(scenario(args.kind, args.minutes, work, args.bands))
    result["load_1min"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
    result["work"] = str(work)
    print(json.dumps(result, indent=2))
    log(f"saved {save('faults_' + args.kind, result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
