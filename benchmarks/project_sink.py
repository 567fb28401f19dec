"""The project's own MQTT publisher (``sensor.mqtt.Publisher``) as the e2e section's sink.

Importing this module fails with ``ImportError`` where ``sensor.mqtt`` does not exist; the e2e
section then falls back to a plain paho publisher. The publisher runs as the service runs it:
on-disk SQLite outbox (in a temporary folder), Home Assistant discovery on, live state
throttled to its default interval, ``tick`` once per chunk.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sensor.mqtt import BandInfo, BrokerSettings, Publisher


class ProjectSink:
    name = "sensor.mqtt.Publisher (SQLite outbox, QoS 1, discovery on)"

    def __init__(self, port: int) -> None:
        self._dir = tempfile.mkdtemp(prefix="retrosense-bench-outbox-")
        self.settings = BrokerSettings(
            url=f"mqtt://127.0.0.1:{port}",
            client_id="retrosense-bench",
            outbox_path=str(Path(self._dir) / "outbox.sqlite3"),
        )
        self.topic_filter = f"{self.settings.base_topic}/#"
        self._pub = Publisher(self.settings)
        self.counters: dict[str, Any] = {}

    def start(self) -> None:
        self._pub.start()
        deadline = time.monotonic() + 10
        while not self._pub.counters().get("connected") and time.monotonic() < deadline:
            time.sleep(0.01)

    def band_online(self, band_id: str, info: Any) -> None:
        self._pub.band_online(
            BandInfo(
                band_id,
                band_id,
                started=datetime.now(UTC),
                placement=str(info.placement),
            )
        )

    def publish_event(self, band_id: str, event: Any) -> None:
        self._pub.publish_event(band_id, event)

    def tick(self, band_id: str, t: float) -> None:
        self._pub.tick(band_id, t)

    def stop(self) -> None:
        self._pub.stop(60.0)
        self.counters = dict(self._pub.counters())
        shutil.rmtree(self._dir, ignore_errors=True)
