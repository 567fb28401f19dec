"""The outbox with the broker away for an hour: its size, what it drops, how it drains.

``python -m benchmarks.outbox_away [--bands 10] [--hours 1] [--steps-per-s 1.7]``

Time-compressed: an hour of stream time per band is published as fast as the publisher takes
it (each band a step event every 1/steps-per-s seconds of stream time, and the live state the
publisher sends once per second of stream time, as ``run`` does), to a broker address where
nothing listens. Then a Mosquitto starts there and the outbox drains. Figures: messages and
bytes on disk, drops per class (the bound is ``outbox_max_messages``, 100,000 by default:
oldest raw first, then oldest state, events last), time to drain, events delivered.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from analysis.events import Direction, StepEvent
from benchmarks.broker import Mosquitto
from benchmarks.live import save
from sensor.mqtt.payloads import BandInfo
from sensor.mqtt.publisher import Publisher
from sensor.mqtt.settings import BrokerSettings


def run(bands: int, hours: float, steps_per_s: float, max_messages: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    outbox = work / "outbox.sqlite3"
    with Mosquitto() as broker:
        port = broker.port
    # The broker is gone again: its port is free, nothing listens there for now.
    settings = BrokerSettings(
        url=f"mqtt://127.0.0.1:{port}",
        base_topic="away",
        client_id="bench-away",
        outbox_path=str(outbox),
        outbox_max_messages=max_messages,
        discovery=False,
    )
    pub = Publisher(settings)
    pub.start()
    started = datetime.now(UTC)
    for b in range(bands):
        pub.band_online(BandInfo(f"b{b}", f"B{b}", started))
    t0 = time.monotonic()
    period = 1.0 / steps_per_s
    n_steps = int(hours * 3600 * steps_per_s)
    for k in range(n_steps):
        t = k * period
        for b in range(bands):
            pub.publish_event(
                f"b{b}",
                StepEvent(t=t, detected_at=t + 0.3, direction=Direction.BACKWARD, cadence_spm=100),
            )
    pub.wait_stored(600)
    fill_s = time.monotonic() - t0
    c = pub.counters()
    size_mb = sum(p.stat().st_size for p in work.glob("outbox.sqlite3*")) / 1e6
    out: dict[str, Any] = {
        "bands": bands,
        "hours": hours,
        "events_published": n_steps * bands,
        "state_published": c["enqueued_state"],
        "outbox_max_messages": max_messages,
        "waiting": c["pending"],
        "outbox_mb": round(size_mb, 1),
        "dropped": {k: c[k] for k in ("dropped_raw", "dropped_state", "dropped_event")},
        "fill_s": round(fill_s, 1),
    }
    # The broker comes back on the same port.
    with Mosquitto() as back:
        del back
    conf = work / "m.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n")
    import subprocess

    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    received: list[str] = []
    sink = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-away-sink")
    sink.on_message = lambda c, u, m: received.append(json.loads(m.payload)["event_id"])
    time.sleep(0.5)
    sink.connect("127.0.0.1", port)
    sink.subscribe("away/+/event/#", qos=1)
    sink.loop_start()
    t1 = time.monotonic()
    drained = pub.wait_drained(1800)
    out["drain_s"] = round(time.monotonic() - t1, 1)
    pub.stop(10)
    time.sleep(2)
    sink.loop_stop()
    proc.terminate()
    proc.wait(10)
    out["drained"] = drained
    out["events_received_unique"] = len(set(received))
    out["events_lost"] = n_steps * bands - len(set(received))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bands", type=int, default=10)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--steps-per-s", type=float, default=1.7)
    parser.add_argument("--max-messages", type=int, default=100_000)
    args = parser.parse_args()
    load0 = os.getloadavg()[0]
    result = run(args.bands, args.hours, args.steps_per_s, args.max_messages)
    result["load_1min"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
    print(json.dumps(result, indent=2))
    save(f"outbox_away_{args.bands}bands", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
