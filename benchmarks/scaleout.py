"""A gateway with two workers through a 120 s partition, a 60 s hang and a kill -9.

``python -m benchmarks.scaleout [--bands 4] [--partition-s 120] [--hang-s 60]``

Four emulated Polar H10 bands (each its own stretch of the 2-hour benchmark chest recording)
on the gateway; two workers; Mosquitto from the shipped example configuration and ACL. The
gateway reaches the broker through a relay the script cuts (a partition: nothing passes for
``--partition-s``); then the worker holding band 0 is stopped with SIGSTOP for ``--hang-s``
and resumed; then the worker holding band 1 is killed with SIGKILL. At the end the gateway
stops cleanly. Per band: the events published (every copy), compared with an offline
analysis of the gateway's own recording of the same samples; summaries published.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT
from benchmarks.data import RecordingSpec, ensure_recording
from benchmarks.live import (
    Broker,
    Proxy,
    Sink,
    compare,
    h10_clip,
    save,
    start_run,
    stop_run,
    write_config,
)

BASE = "bench"


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


async def scenario(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from tests.bluez.devices import VirtualH10
    from tests.bluez.emulator import BlueZEmulator
    from tests.bluez.fixtures import start_system_bus

    bus, address = start_system_bus()
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address
    spec = RecordingSpec("chest_100hz", "chest", 100, False, 7200.0, seed=101)
    recording, _ = ensure_recording(spec, ROOT / "benchmarks" / "out" / "data", reuse=True)
    total_s = args.lead_s + args.partition_s + args.settle_s + args.hang_s + 2 * args.settle_s
    emulator = await BlueZEmulator(address).start()
    addresses = [f"C8:2E:0A:1B:2C:{i:02X}" for i in range(args.bands)]
    for i, addr in enumerate(addresses):
        clip = h10_clip(recording, 600.0 * i + 60.0, total_s + 30.0)
        emulator.add(VirtualH10(addr, f"Polar H10 0A1B2C{i:02X}", clip=clip))
    broker = Broker(BASE).start()
    proxy = await Proxy(broker.port).start()
    sink = Sink(broker.port, [f"{BASE}/#"])
    bands = "".join(
        f'[[bands]]\naddress = "{a}"\nid = "b{i}"\nplacement = "chest"\n'
        for i, a in enumerate(addresses)
    )
    gcfg = write_config(
        work / "gateway.toml", "gateway", f"mqtt://127.0.0.1:{proxy.port}", BASE, bands
    )
    wcfg = write_config(work / "worker.toml", "worker", broker.url, BASE)
    workers = {
        w: await start_run(wcfg, "worker", "--role", "worker", "--worker-id", w)
        for w in ("w1", "w2")
    }
    await asyncio.sleep(5)
    gateway = await start_run(gcfg, "gateway", "--role", "gateway")
    t0 = time.monotonic()
    marks: dict[str, float] = {}

    def holder(band: str) -> str | None:
        leases = [
            json.loads(p) for _, t, p, _ in sink.snapshot() if t == f"{BASE}/{band}/lease" and p
        ]
        return leases[-1]["worker"] if leases else None

    await asyncio.sleep(args.lead_s)
    log(f"partition gateway <-> broker for {args.partition_s:.0f} s")
    marks["partition"] = time.monotonic() - t0
    proxy.partition()
    await asyncio.sleep(args.partition_s)
    proxy.heal()
    log("partition healed")
    await asyncio.sleep(args.settle_s)
    victim = holder("b0") or "w1"
    log(f"SIGSTOP {victim} (holds b0) for {args.hang_s:.0f} s")
    marks["hang"] = time.monotonic() - t0
    workers[victim].send_signal(signal.SIGSTOP)
    await asyncio.sleep(args.hang_s)
    workers[victim].send_signal(signal.SIGCONT)
    log(f"SIGCONT {victim}")
    await asyncio.sleep(args.settle_s)
    killed = holder("b1") or "w2"
    log(f"SIGKILL {killed} (holds b1)")
    marks["kill"] = time.monotonic() - t0
    workers[killed].kill()
    await asyncio.sleep(args.settle_s)
    log("stopping the gateway")
    marks["stop"] = time.monotonic() - t0
    gateway_code = await stop_run(gateway, 180)
    await asyncio.sleep(2)
    codes = {w: await stop_run(p) for w, p in workers.items()}
    got = sink.snapshot()
    sink.close()
    await proxy.stop()
    broker.stop()
    await emulator.stop()
    bus.terminate()
    out: dict[str, Any] = {
        "bands": args.bands,
        "marks_s": {k: round(v, 1) for k, v in marks.items()},
        "gateway_exit": gateway_code,
        "worker_exit": codes,
        "hung": victim,
        "killed": killed,
        "per_band": {},
    }
    for i in range(args.bands):
        band = f"b{i}"
        events = [
            json.loads(p)
            for _, t, p, r in got
            if t.startswith(f"{BASE}/{band}/event/") and not t.endswith("/data_gap") and not r
        ]
        summaries = [json.loads(p) for _, t, p, r in got if t == f"{BASE}/{band}/summary" and not r]
        (csv,) = (work / "sessions").glob(f"*_{band}.csv")
        row = compare(csv, events)
        row["summaries"] = len(summaries)
        if summaries:
            s = summaries[-1]
            row["summary_events"] = sum(s["events"].values())
            row["raw_batches_lost"] = s.get("raw_batches_lost")
            row["parts"] = s.get("parts")
        row["data_gap_messages"] = sum(t == f"{BASE}/{band}/event/data_gap" for _, t, _, _ in got)
        out["per_band"][band] = row
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bands", type=int, default=4)
    parser.add_argument("--partition-s", type=float, default=120.0)
    parser.add_argument("--hang-s", type=float, default=60.0)
    parser.add_argument("--lead-s", type=float, default=30.0)
    parser.add_argument("--settle-s", type=float, default=30.0)
    args = parser.parse_args()
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
    load0 = os.getloadavg()[0]
    result = asyncio.run(scenario(args, work))
    result["load_1min"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
    result["work"] = str(work)
    print(json.dumps(result, indent=2))
    log(f"saved {save('scaleout', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
