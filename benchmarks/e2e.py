"""Section 4, end-to-end delay: a notification entering the pipeline to its MQTT message arriving.

A local Mosquitto is started on a free loopback port; a subscriber in another process stamps
every message on arrival (``benchmarks.subscriber``). The driver plays ``bands`` simulated bands
in real time: each sends a chunk of ``chunk`` samples every ``chunk / rate`` seconds, with its
own phase, from its own stretch of the recording. For every chunk, at its scheduled arrival
time, the band's pipeline is updated and each event it returns is handed to the publisher. The
delay of an event is its arrival at the subscriber minus the scheduled arrival of the chunk
that completed it, so time the driver spends behind schedule counts too. Both processes read
CLOCK_MONOTONIC, one clock for the whole machine.

The detectors' algorithmic latency (``detected_at - t``: how long after the movement the
evidence is complete) is reported apart; what a user waits in total is roughly the sum.

The publisher is the project's own (``sensor.mqtt``) when it is installed, else a minimal paho
publisher that sends the event object at QoS 1 (which one ran is recorded in the results).
"""

from __future__ import annotations

import heapq
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

from benchmarks.common import PYTHON, ROOT, percentile, rnd
from benchmarks.subscriber import STOP_TOPIC

BAND_COUNTS = (1, 10, 100)
#: A run is abandoned when the driver falls this far behind real time (the bands' data would
#: pile up without bound); ``fell_behind`` says so and the delays are of what was delivered.
MAX_LAG_S = 10.0
#: Samples per notification: a Polar H10 at 100 Hz, as in the streaming section's headline.
CHUNK = 8


class EventSink(Protocol):
    """What the driver needs of a publisher."""

    name: str
    topic_filter: str

    def start(self) -> None: ...

    def band_online(self, band_id: str, info: Any) -> None: ...

    def publish_event(self, band_id: str, event: Any) -> None: ...

    def tick(self, band_id: str, t: float) -> None: ...

    def stop(self) -> None: ...


class PahoSink:
    """The fallback publisher: each event's JSON object at QoS 1 on ``<base>/<band>/event``."""

    name = "benchmarks.e2e.PahoSink (paho-mqtt, QoS 1)"
    topic_filter = "retrosense-bench/#"

    def __init__(self, port: int) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self._port = port
        self._pending: set[int] = set()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="retrosense-bench")
        self._client.on_publish = self._on_publish

    def _on_publish(self, client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        self._pending.discard(mid)

    def start(self) -> None:
        self._client.connect("127.0.0.1", self._port)
        self._client.loop_start()

    def band_online(self, band_id: str, info: Any) -> None:
        pass

    def publish_event(self, band_id: str, event: Any) -> None:
        payload = json.dumps({**event.to_dict(), "band": band_id}, separators=(",", ":"))
        info = self._client.publish(f"retrosense-bench/{band_id}/event", payload, qos=1)
        self._pending.add(info.mid)

    def tick(self, band_id: str, t: float) -> None:
        pass

    def stop(self) -> None:
        deadline = time.monotonic() + 30
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.01)
        self._client.disconnect()
        self._client.loop_stop()


def make_sink(port: int) -> EventSink:
    """The project's publisher if it exists, else the fallback."""
    try:
        from benchmarks.project_sink import ProjectSink
    except ImportError:
        return PahoSink(port)
    return ProjectSink(port)


def _find_band(topic: str, payload: Any, bands: set[str]) -> str | None:
    for part in topic.split("/"):
        if part in bands:
            return part
    if isinstance(payload, dict):
        for key in ("band", "band_id", "device", "id"):
            v = payload.get(key)
            if isinstance(v, str) and v in bands:
                return v
    return None


def _event_of(payload: Any) -> dict[str, Any] | None:
    """The event object inside a payload (top level, or under an ``event`` key)."""
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("event"), dict):
        payload = payload["event"]
    if "type" in payload and "t" in payload and "detected_at" in payload:
        event: dict[str, Any] = payload
        return event
    return None


def run_bands(
    samples: Any,
    info: Any,
    bands: int,
    duration_s: float,
    port: int,
    first_start_s: float,
    seed: int,
    sink: EventSink,
) -> dict[str, Any]:
    """One real-time run with ``bands`` bands; delays and latencies."""
    from analysis.registry import build_pipeline

    rate = info.sample_rate_hz
    n = len(samples)
    per_band = min(n, int(duration_s * rate))
    first = min(max(0, int(first_start_s * rate)), n - per_band)
    spare = max(0, n - per_band - first)
    ids = [f"bench-{b:03d}" for b in range(bands)]
    chunks = []
    for b in range(bands):
        start = first + ((spare * b) // (bands - 1) if bands > 1 else 0)
        chunks.append(samples.slice(start, start + per_band).chunks(CHUNK))
    pipelines = [build_pipeline(info) for _ in range(bands)]

    out = Path(tempfile.mkdtemp(prefix="retrosense-bench-e2e-")) / "received.jsonl"
    sub = subprocess.Popen(
        [PYTHON, "-m", "benchmarks.subscriber", str(port), sink.topic_filter, str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sub.stdout is not None
        if sub.stdout.readline().strip() != "ready":
            raise RuntimeError("the subscriber did not start")
        sink.start()
        for band_id in ids:
            sink.band_online(band_id, info)
        time.sleep(0.5)  # retained and discovery messages out of the way

        rng = random.Random(seed)
        period = CHUNK / rate
        t0 = time.monotonic() + 0.2
        heap = [(t0 + rng.uniform(0, period), b, 0) for b in range(bands)]
        heapq.heapify(heap)
        published: dict[tuple[str, str, float], tuple[float, float]] = {}
        algorithmic: dict[str, list[float]] = {}
        lags: list[float] = []
        update_s: list[float] = []
        fell_behind = False
        publish_s: list[float] = []
        cpu0 = time.process_time()
        while heap:
            due, b, i = heapq.heappop(heap)
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            started = time.monotonic()
            lags.append(started - due)
            if started - due > MAX_LAG_S:
                fell_behind = True
                break
            chunk = chunks[b][i]
            events = pipelines[b].update(chunk)
            detected = time.monotonic()
            update_s.append(detected - started)
            for e in events:
                sink.publish_event(ids[b], e)
                published[(ids[b], e.type, round(e.t, 6))] = (due, started)
                algorithmic.setdefault(e.type, []).append(e.detected_at - e.t)
            if len(chunk):
                sink.tick(ids[b], float(chunk.time_s[-1]))
            publish_s.append(time.monotonic() - detected)
            if i + 1 < len(chunks[b]):
                heapq.heappush(heap, (due + period, b, i + 1))
        wall = time.monotonic() - t0
        cpu = time.process_time() - cpu0
        sink.stop()
        time.sleep(0.5)
        _send_stop(port)
        sub.wait(timeout=60)
    finally:
        if sub.poll() is None:
            sub.terminate()
            sub.wait()
        if sub.stdout is not None:
            sub.stdout.close()

    bandset = set(ids)
    delays: list[float] = []
    seen: set[tuple[str, str, float]] = set()
    messages = 0
    for line in out.read_text().splitlines():
        rec = json.loads(line)
        messages += 1
        try:
            payload = json.loads(rec["payload"])
        except ValueError:
            continue
        ev = _event_of(payload)
        band = _find_band(rec["topic"], payload, bandset)
        if ev is None or band is None:
            continue
        key = (band, str(ev["type"]), round(float(ev["t"]), 6))
        if key in published and key not in seen:
            seen.add(key)
            delays.append(1000.0 * (rec["at"] - published[key][0]))
    out.unlink()
    out.parent.rmdir()
    all_alg = [x for v in algorithmic.values() for x in v]
    return {
        "bands": bands,
        "seconds": round(wall, 2),
        "notifications": sum(len(c) for c in chunks),
        "events_published": len(published),
        "events_received": len(seen),
        "messages_received": messages,
        "delay_ms": {
            "p50": rnd(percentile(delays, 50), 2),
            "p95": rnd(percentile(delays, 95), 2),
            "p99": rnd(percentile(delays, 99), 2),
            "max": rnd(max(delays), 2) if delays else None,
        },
        "driver_lag_ms": {
            "p50": rnd(1000 * (percentile(lags, 50) or 0.0), 3),
            "p99": rnd(1000 * (percentile(lags, 99) or 0.0), 3),
        },
        "driver_cpu_fraction": rnd(cpu / wall, 3) if wall > 0 else None,
        "fell_behind": fell_behind,
        # Time inside the driver per notification: the pipeline's update, then handing its
        # events (and the per-chunk state tick) to the publisher.
        "update_ms": _stats_ms(update_s),
        "publish_call_ms": _stats_ms(publish_s),
        "publisher_counters": getattr(sink, "counters", None),
        "algorithmic_latency_s": {
            "p50": rnd(percentile(all_alg, 50), 3),
            "p99": rnd(percentile(all_alg, 99), 3),
            "by_type_p50": {k: rnd(percentile(v, 50), 3) for k, v in algorithmic.items()},
        },
    }


def _stats_ms(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": rnd(1000 * (percentile(values, 50) or 0.0), 3),
        "p99": rnd(1000 * (percentile(values, 99) or 0.0), 3),
        "max": rnd(1000 * max(values), 3) if values else None,
    }


def _send_stop(port: int) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="retrosense-bench-stop")
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(STOP_TOPIC, b"stop", qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def measure(
    samples: Any, info: Any, band_counts: tuple[int, ...], duration_s: float, first_start_s: float
) -> dict[str, Any]:
    """Runs with each band count against one fresh Mosquitto."""
    from benchmarks.broker import Mosquitto

    result: dict[str, Any] = {"chunk": CHUNK, "seconds_per_run": duration_s, "runs": {}}
    with Mosquitto() as broker:
        for k, bands in enumerate(band_counts):
            sink = make_sink(broker.port)
            result["publisher"] = sink.name
            result["runs"][str(bands)] = run_bands(
                samples, info, bands, duration_s, broker.port, first_start_s, k, sink
            )
        # The same run through a bare paho client: what the broker and the transport cost
        # without the project's outbox, state and discovery.
        bands = max(band_counts)
        plain = PahoSink(broker.port)
        result["transport_floor"] = {"publisher": plain.name} | run_bands(
            samples, info, bands, duration_s, broker.port, first_start_s, 99, plain
        )
    return result


if __name__ == "__main__":
    from benchmarks.data import load_body

    s, i = load_body(Path(sys.argv[1]))
    print(json.dumps(measure(s, i, (1, 2), float(sys.argv[2]), 0.0), indent=1))
