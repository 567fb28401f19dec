"""Live load in one ``retrosense run``: many emulated bands over the BlueZ emulator.

``python -m benchmarks.liveload [--witmotion 10] [--h10 0] [--seconds 60] [--raw-capture]``

WitMotion bands at 200 Hz (one sample per notification, shank with gyroscope, from the 2-hour
200 Hz benchmark recording) and Polar H10 bands at 100 Hz (from the chest recording), each its
own stretch, all in one ``run`` process with the emulator in this one (both on the same two
cores). Per band: events published against an offline analysis of the service's own
recording of what it received (lost: offline events never published), samples recorded
against data notifications the emulated band sent (for a WitMotion, one sample each), and
timeline jumps (steps in the recording's time axis over three sample periods) against the
gaps the band's own stretch has (``band_gaps``: the recording it plays has lost packets).
With ``--raw-capture`` the service also keeps each band's raw capture, and the notifications
it received are counted with how late each came after it was sent (the k-th received
against the k-th sent, their clocks tied on the least late).
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


def counted(peripheral: Any, sent: list[float], payloads: list[bytes]) -> None:
    """Record the emulator time and payload of every data notification ``peripheral`` sends
    that goes out (heart rate aside)."""
    from sensor.decoders.heart_rate import HEART_RATE_MEASUREMENT

    send = peripheral.notify

    def notify(uuid: str, data: bytes) -> bool:
        ok = bool(send(uuid, data))
        if ok and uuid != HEART_RATE_MEASUREMENT:
            sent.append(time.monotonic())
            payloads.append(data)
        return ok

    peripheral.notify = notify


def arrivals(capture: Path) -> tuple[np.ndarray[Any, Any], list[bytes]]:
    """Session receive times and payloads of the data notifications a raw capture holds."""
    from sensor.decoders.heart_rate import HEART_RATE_MEASUREMENT

    t, data = [], []
    for line in capture.read_text(encoding="utf-8").splitlines()[1:]:
        obj = json.loads(line)
        if "hex" in obj and "kind" not in obj and obj.get("char") != HEART_RATE_MEASUREMENT:
            t.append(float(obj["t"]))
            data.append(bytes.fromhex(obj["hex"]))
    return np.asarray(t), data


def lateness(sent: np.ndarray[Any, Any], received: np.ndarray[Any, Any]) -> dict[str, Any]:
    """How late the k-th notification received came after the k-th sent (clocks tied on the
    least late one): a delivery that loses nothing keeps the two in step."""
    n = min(len(sent), len(received))
    late = received[:n] - sent[:n]
    late = late - late.min()
    return {
        "late_p50_s": round(float(np.percentile(late, 50)), 3),
        "late_p99_s": round(float(np.percentile(late, 99)), 3),
        "late_max_s": round(float(late.max()), 3),
    }


async def scenario(
    n_wit: int, n_h10: int, seconds: float, work: Path, raw_capture: bool = False
) -> dict[str, Any]:
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
    sent: dict[str, list[float]] = {}
    payloads: dict[str, list[bytes]] = {}
    clips: dict[str, Any] = {}
    for i in range(n_wit):
        addr = f"F4:12:FA:00:{i // 256:02X}:{i % 256:02X}"
        clip = shank_clip(shank, 300.0 * i + 10.0, seconds + 60.0)
        band = VirtualWitMotion(addr, f"WT901BLE{i:02d}", clip=clip, rate_hz=10)
        counted(band, sent.setdefault(f"w{i}", []), payloads.setdefault(f"w{i}", []))
        clips[f"w{i}"] = clip
        emulator.add(band)
        bands += (
            f'[[bands]]\naddress = "{addr}"\nprofile = "witmotion"\nid = "w{i}"\n'
            'placement = "shank"\nrate_hz = 200\n'
        )
    for i in range(n_h10):
        addr = f"C8:2E:0A:2B:{i // 256:02X}:{i % 256:02X}"
        clip = h10_clip(chest, 60.0 * i + 10.0, seconds + 60.0)
        h10 = VirtualH10(addr, f"Polar H10 2B{i:04X}", clip=clip)
        counted(h10, sent.setdefault(f"h{i}", []), payloads.setdefault(f"h{i}", []))
        emulator.add(h10)
        bands += f'[[bands]]\naddress = "{addr}"\nid = "h{i}"\nplacement = "chest"\n'
    broker = Broker(BASE).start()
    sink = Sink(broker.port, [f"{BASE}/+/event/#"])
    cfg = write_config(work / "run.toml", "run", broker.url, BASE, bands)
    if raw_capture:
        cfg.write_text(cfg.read_text() + "raw_capture = true\n")
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
        row["notifications_sent"] = len(sent.get(band, []))
        if band in clips:  # one sample a notification: the gaps in what the band sent
            played = np.diff(clips[band].time_s[: row["notifications_sent"]])
            row["band_gaps"] = int(np.sum(played > 3.0 / rate))
        capture = csv.with_suffix(".capture.jsonl")
        if capture.exists():
            received, data = arrivals(capture)
            row["notifications_received"] = len(received)
            # Nothing lost or reordered on the way: what arrived is the start of what was sent.
            row["received_in_order"] = data == payloads[band][: len(data)]
            row.update(lateness(np.asarray(sent.get(band, [])), received))
        rows[band] = row
    out["per_band"] = rows
    keys = ("offline_events", "missing", "timeline_jumps", "copies_by_id", "one_event_two_ids")
    keys += ("samples_recorded", "notifications_sent")
    out["totals"] = {k: sum(r[k] for r in rows.values()) for k in keys}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--witmotion", type=int, default=10)
    parser.add_argument("--h10", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--raw-capture",
        action="store_true",
        help="also keep each band's raw capture and count the notifications received",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-liveload-"))
    load0 = os.getloadavg()[0]
    result = asyncio.run(scenario(args.witmotion, args.h10, args.seconds, work, args.raw_capture))
    result["load_1min"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
    result["work"] = str(work)
    print(json.dumps({k: v for k, v in result.items() if k != "per_band"}, indent=2))
    save(f"liveload_{args.witmotion}wit_{args.h10}h10", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
