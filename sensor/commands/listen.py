"""``retrosense listen``: subscribe to what retrosense publishes and print it, one per line."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from sensor.arguments import add_broker_arguments, broker_settings
from sensor.errors import BrokerError

HELP = "subscribe to the retrosense topics and print each message readably, one per line"

#: Anyone on the broker can publish under our topics: a payload over this is summarised,
#: not printed, and control characters (a terminal's escape sequences) are shown escaped.
MAX_SHOWN_BYTES = 64 * 1024


def _safe(text: str) -> str:
    """``text`` with control characters written as escapes (``\\x1b``, ``\\n``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _parse(payload: bytes) -> tuple[str, Any]:
    """The payload as text and, if it is JSON (within our limits), as data (else ``None``)."""
    if len(payload) > MAX_SHOWN_BYTES:
        return f"<{len(payload)} bytes, not shown>", None
    from sensor.mqtt.control import Invalid, loads_bounded

    text = payload.decode("utf-8", errors="replace")
    try:
        return text, loads_bounded(payload)
    except Invalid:
        return text, None


def add_arguments(p: argparse.ArgumentParser) -> None:
    # Its help said it would start an embedded broker; it connects to localhost:1883.
    add_broker_arguments(p, embedded=False)
    p.add_argument(
        "--discovery", action="store_true", help="also show Home Assistant discovery configs"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line instead")
    p.add_argument("--count", type=int, metavar="N", help="exit after N messages")
    p.add_argument("--timeout-s", type=float, metavar="S", help="exit after S seconds")


def format_message(topic: str, payload: bytes, retained: bool, received: datetime) -> str:
    """``HH:MM:SS.mmm topic  payload`` with JSON compacted and ``[retained]`` marked."""
    text, body = _parse(payload)
    if body is not None:
        with contextlib.suppress(ValueError, RecursionError):
            text = json.dumps(body, separators=(", ", ": "), ensure_ascii=False)
    stamp = received.astimezone().strftime("%H:%M:%S.%f")[:-3]
    mark = " [retained]" if retained else ""
    return f"{stamp} {_safe(topic)}{mark}  {_safe(text)}"


def json_line(topic: str, payload: bytes, retained: bool, received: datetime) -> str:
    text, body = _parse(payload)
    if body is None:
        body = text
    return json.dumps(
        {
            "received": received.isoformat(timespec="milliseconds"),
            "topic": topic,
            "retained": retained,
            "payload": body,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    import paho.mqtt.client as mqtt

    from sensor.config import load_config
    from sensor.mqtt.client import make_client

    out = out or sys.stdout
    settings, _named = broker_settings(args, load_config(args.config))
    settings.check_files()
    url = settings.broker
    topics = [f"{settings.base_topic}/#"]
    if args.discovery:
        topics.append(f"{settings.discovery_prefix}/#")
    seen = 0
    done = threading.Event()
    failure: list[str] = []
    lock = threading.Lock()

    def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            failure.append(f"the broker refused the connection: {reason}")
            done.set()
            return
        for t in topics:
            client.subscribe(t, qos=1)

    def on_message(client: Any, userdata: Any, msg: Any) -> None:
        nonlocal seen
        now = datetime.now(UTC)
        line = (json_line if args.json else format_message)(
            msg.topic, msg.payload, bool(msg.retain), now
        )
        with lock:
            if done.is_set():
                return
            out.write(line + "\n")
            out.flush()
            seen += 1
            if args.count is not None and seen >= args.count:
                done.set()

    client = make_client(
        settings,
        f"retrosense-listen-{int(time.time() * 1000) % 10**9}",
        # Subscribing needs nothing of MQTT 5, and every broker speaks 3.1.1.
        protocol=mqtt.MQTTv5 if settings.protocol == "5" else mqtt.MQTTv311,
    )
    client.on_connect = on_connect
    client.on_message = on_message
    try:
        client.connect(url.host, url.port, keepalive=round(settings.keepalive_s))
    except OSError as err:
        raise BrokerError(str(url), f"cannot connect: {err}") from err
    client.loop_start()
    try:
        done.wait(args.timeout_s)
    except KeyboardInterrupt:
        pass
    finally:
        client.disconnect()
        client.loop_stop()
    if failure:
        raise BrokerError(str(url), failure[0])
    return 0
