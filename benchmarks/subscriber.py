"""A subscriber in its own process that stamps every message on arrival.

``python -m benchmarks.subscriber PORT TOPIC OUT`` subscribes (QoS 1), prints ``ready`` once
the broker has granted the subscription, records ``time.monotonic()`` (the same system-wide
clock as the publishing process, CLOCK_MONOTONIC on Linux) for every message, and when a message
arrives on ``STOP_TOPIC`` writes them to OUT as JSON lines and exits.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

STOP_TOPIC = "retrosense-benchmarks/stop"


def main(port: int, topic: str, out: str) -> int:
    records: list[tuple[float, str, bytes]] = []
    done = threading.Event()

    def on_connect(
        client: mqtt.Client, userdata: object, flags: object, rc: object, props: object
    ) -> None:
        client.subscribe([(topic, 1), (STOP_TOPIC, 1)])

    def on_subscribe(
        client: mqtt.Client, userdata: object, mid: int, rcs: object, props: object
    ) -> None:
        print("ready", flush=True)

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        now = time.monotonic()
        if msg.topic == STOP_TOPIC:
            done.set()
            return
        records.append((now, msg.topic, bytes(msg.payload)))

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="retrosense-bench-sub")
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    done.wait(timeout=3600)
    client.loop_stop()
    client.disconnect()
    with open(out, "w", encoding="utf-8") as f:
        for now, t, payload in records:
            f.write(
                json.dumps({"at": now, "topic": t, "payload": payload.decode("utf-8", "replace")})
            )
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
