"""A file published over MQTT as if it were live: what ``replay`` and ``demo`` share.

The file goes through a ``sensor.session.Session`` (the configured detectors, ``[wearer]``
and ``[energy]``) paced by ``sensor.session.play``, into a ``Publisher`` with its own
availability topic (``<base>/status/<name>``), so a replay never flips a running service's.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sensor.arguments import Clock
from sensor.mqtt.payloads import BandInfo
from sensor.session import MqttSink, Session, SessionSettings, SessionSink, play
from sensor.sources import recording_started

if TYPE_CHECKING:
    from pathlib import Path

    from sensor.mqtt.publisher import DeliveryReport
    from sensor.mqtt.settings import BrokerSettings
    from sensor.sources import Source

log = logging.getLogger(__name__)

#: Samples go through the pipeline (and out as raw messages) in pieces of this many seconds,
#: about what one BLE notification of a band carries (a Polar H10 sends its 100 Hz ACC in
#: frames of a few dozen samples), so state and events come out as they would live.
NOTIFICATION_S = 0.1


def clocked_band(
    band: BandInfo, source: Source, clock: Clock, speed: float, path: Path
) -> BandInfo:
    """``band`` with the start time and pace that ``clock`` gives its messages' ``time``.

    Raises
    ------
    RecordingError
        For ``recording`` on a file that does not say when it started.
    """
    if clock == "wall":
        return replace(band, started=datetime.now(UTC), pace=speed)
    started = recording_started(source)
    if started is None:
        from sensor.errors import RecordingError

        raise RecordingError(
            path, None, "--clock recording needs the file's start time (a 'started' header)"
        )
    return replace(band, started=started, pace=1.0)


@dataclass
class Replayed:
    """How a replay went."""

    session: Session
    #: ``Publisher.counters()`` after the publisher stopped.
    counters: dict[str, Any]
    #: Whether the broker took every message before the drain timeout.
    drained: bool
    #: What became of every message (the exit code: ``report.tell``).
    report: DeliveryReport

    @property
    def reached(self) -> bool:
        """Whether the broker was ever reached (else nothing was published)."""
        return int(self.counters["connects"]) > 0


def replay_source(
    source: Source,
    band: BandInfo,
    broker: BrokerSettings,
    *,
    settings: SessionSettings | None = None,
    speed: float = 1.0,
    service_name: str = "replay",
    sinks: Sequence[SessionSink] = (),
    outbox_kept: bool = True,
    drain_timeout_s: float = 10.0,
    progress: str | Path | None = None,
    withdraw_discovery: bool = False,
) -> Replayed:
    """Publish ``source`` as band ``band``, paced to ``speed`` times real time.

    Parameters
    ----------
    source
        The file.
    band
        The band it is published as (``sensor.session.file_band``).
    broker
        Where to (the URL resolved: ``sensor.mqtt.broker.resolve_broker``).
    settings
        Detectors, wearer and summary parameters (``SessionSettings.from_config``).
    speed
        1 = real time, N = N times faster, ``math.inf`` = as fast as possible.
    service_name
        The publisher's availability goes to ``<base>/status/<service_name>``.
    sinks
        More sinks after the MQTT one (a summary file, the demo's printout).
    outbox_kept
        ``False`` for a temporary outbox (the demo's), thrown away after the stop.
    drain_timeout_s
        How long to wait at the end for the broker to take every message.
    progress
        The file, for a progress bar on a terminal.
    withdraw_discovery
        Remove the band's Home Assistant entities at the end (empty retained discovery
        configurations), once the broker has taken the rest: a replay is no device to keep.
    """
    from sensor.mqtt.publisher import Publisher

    publisher = Publisher(broker, service_name=service_name, outbox_kept=outbox_kept)
    session = Session(band, source.info, settings=settings, sinks=[MqttSink(publisher), *sinks])
    try:
        publisher.start()
        session.announce()
        play(
            source,
            session,
            speed=speed if speed > 0 else math.inf,
            chunk_s=NOTIFICATION_S,
            progress=progress,
        )
    finally:
        if withdraw_discovery and broker.discovery:
            publisher.wait_drained(drain_timeout_s)
            publisher.withdraw_discovery(band.band_id)
        drained = publisher.stop(drain_timeout_s)
    return Replayed(session, publisher.counters(), drained, publisher.report())
