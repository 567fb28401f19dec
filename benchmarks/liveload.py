"""Live load in one ``retrosense run``: many emulated bands over the BlueZ emulator.

``python -m benchmarks.liveload [--witmotion 10] [--h10 0] [--seconds 60]``

WitMotion bands at 200 Hz (one sample per notification, shank with gyroscope, from the 2-hour
200 Hz benchmark recording) and Polar H10 bands at 100 Hz (from the chest recording), each its
own stretch, all in one ``run`` process with the emulator in this one (both on the same two
cores). Per band: events published against an offline analysis of the service's own
recording of what it received (lost: offline events never published), samples recorded
against samples the band sent, and timeline jumps (steps in the recording's time axis over
three sample periods).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import ROOT
from benchmarks.data import RecordingSpec, ensure_recording
from benchmarks.live import Broker, Sink, compare, h10_clip, save, start_run, stop_run, write_config
from sensor.recording import RecordingReader, to_body

BASE = "load"


def shank_clip(recording: Path, start_s: float, seconds: float) -> Any:
    """A stretch of the 200 Hz shank recording as a WitMotion plays it (sensor axes = body)."""
    from tests.bluez.devices import Clip

    reader = RecordingReader(recording)
    body = to_body(reader.read_all(), reader.header.axes_matrix)
    rate = reader.header.sample_rate_hz
    lo, n = round(start_s * rate), round(seconds * rate)
    t = body.time_s[lo : lo + n]
    gyro = body.gyro_dps[lo : lo + n] if body.gyro_dps is not None else None
    return Clip(t - t[0], body.acc_g[lo : lo + n], gyro, rate)


async def scenario(n_wit: int, n_h10: int, seconds: float, work: Path) -> dict[str, Any]:
    from tests.bluez.devices import VirtualH10, VirtualWitMotion
    from tests.bluez.emulator import BlueZEmulator
    from tests.bluez.fixtures import start_system_bus

    bus, address = start_system_bus()
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address
    data = ROOT / "benchmarks" / "out" / "data"
    chest, _ = ensure_recording(
        RecordingSpec("chest_100hz", "chest", 100, False, 7200.0, seed=101), data, reuse=True
    )
    shank, _ = ensure_recording(
        RecordingSpec("shank_200hz_gyro", "shank", 200, True, 7200.0, seed=202), data, reuse=True
    )
    emulator = await BlueZEmulator(address).start()
    bands = ""
    played: dict[str, int] = {}
    for i in range(n_wit):
        addr = f"F4:12:FA:00:{i // 256:02X}:{i % 256:02X}"
        clip = shank_clip(shank, 300.0 * i + 10.0, seconds + 60.0)
        emulator.add(VirtualWitMotion(addr, f"WT901BLE{i:02d}", clip=clip, rate_hz=10))
        bands += (
            f'[[bands]]\naddress = "{addr}"\nprofile = "witmotion"\nid = "w{i}"\n'
            'placement = "shank"\nrate_hz = 200\n'
        )
    for i in range(n_h10):
        addr = f"C8:2E:0A:2B:{i // 256:02X}:{i % 256:02X}"
        clip = h10_clip(chest, 60.0 * i + 10.0, seconds + 60.0)
        emulator.add(VirtualH10(addr, f"Polar H10 2B{i:04X}", clip=clip))
        bands += f'[[bands]]\naddress = "{addr}"\nid = "h{i}"\nplacement = "chest"\n'
    broker = Broker(BASE).start()
    sink = Sink(broker.port, [f"{BASE}/+/event/#"])
    cfg = write_config(work / "run.toml", "run", broker.url, BASE, bands)
    service = await start_run(cfg, "gateway")
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    code = await stop_run(service, 300)
    elapsed = time.monotonic() - t0
    await asyncio.sleep(2)
    got = sink.snapshot()
    sink.close()
    broker.stop()
    await emulator.stop()
    bus.terminate()
    del played
    out: dict[str, Any] = {
        "witmotion": n_wit,
        "h10": n_h10,
        "seconds": round(elapsed),
        "exit": code,
    }
    rows = {}
    for csv in sorted((work / "sessions").glob("*.csv")):
        band = csv.stem.split("_", 1)[1]
        events = [json.loads(p) for _, t, p, _ in got if t.startswith(f"{BASE}/{band}/event/")]
        row = compare(csv, events)
        t = RecordingReader(csv).read_all().time_s
        rate = 200.0 if band.startswith("w") else 100.0
        steps = np.diff(t)
        row["samples_recorded"] = len(t)
        row["recorded_span_s"] = round(float(t[-1] - t[0]), 1) if len(t) else 0.0
        row["timeline_jumps"] = int(np.sum(steps > 3.0 / rate))
        row["largest_jump_s"] = round(float(steps.max()), 3) if len(steps) else 0.0
        rows[band] = row
    out["per_band"] = rows
    keys = ("offline_events", "missing", "timeline_jumps", "copies_by_id", "one_event_two_ids")
    out["totals"] = {k: sum(r[k] for r in rows.values()) for k in keys}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--witmotion", type=int, default=10)
    parser.add_argument("--h10", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-liveload-"))
    load0 = os.getloadavg()[0]
    result = asyncio.run(scenario(args.witmotion, args.h10, args.seconds, work))
    result["load_1min"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
    result["work"] = str(work)
    print(json.dumps({k: v for k, v in result.items() if k != "per_band"}, indent=2))
    save(f"liveload_{args.witmotion}wit_{args.h10}h10", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
