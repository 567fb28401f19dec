"""What a ``BandSession`` yields: typed batches, readings and link events, plus its counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from analysis.types import Samples
from sensor.decoders.info import DeviceInfo


class LinkStatus(StrEnum):
    """States of a band's link, in the order a session passes through them."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True)
class LinkEvent:
    """A change of a band's link.

    Attributes
    ----------
    band_id
        The band's stable id.
    time_s
        Host time of the change, seconds since the session started.
    status
        The new state.
    reason
        Why (``"link lost"``, ``"watchdog: no notification for 5 s"``, an error message).
    attempt
        For ``RECONNECTING``: the attempt number, 1 first.
    retry_in_s
        For ``RECONNECTING``: the back-off before that attempt.
    gap_from_s
        For ``CONNECTED`` after a loss: the time of the last sample before it; the next
        ``SampleBatch`` then starts after a gap (``gap_before``).
    """

    band_id: str
    time_s: float
    status: LinkStatus
    reason: str = ""
    attempt: int = 0
    retry_in_s: float = 0.0
    gap_from_s: float | None = None


@dataclass(frozen=True, eq=False)
class SampleBatch:
    """Sensor-frame samples of one notification.

    ``samples.time_s`` is on the band's own clock where it has one (Polar H10, Movesense,
    generic bands with ``time_ms``), mapped to seconds since the session started; else it
    is counted at the nominal rate from the host's receive time. Times strictly increase
    across batches; lost notifications leave a gap and are never filled in.
    """

    band_id: str
    samples: Samples
    gap_before: bool = False


@dataclass(frozen=True)
class HeartRateReading:
    """One heart-rate notification, at its host receive time (session seconds)."""

    band_id: str
    time_s: float
    bpm: int
    rr_s: tuple[float, ...] = ()
    contact: bool | None = None
    energy_kj: int | None = None


@dataclass(frozen=True)
class BatteryReading:
    band_id: str
    time_s: float
    percent: int


@dataclass(frozen=True)
class DeviceInfoReading:
    band_id: str
    time_s: float
    name: str
    address: str
    info: DeviceInfo


@dataclass(frozen=True)
class CadenceReading:
    """Cadence (and speed, stride) from a CSC (0x2A5B) or RSC (0x2A53) sensor."""

    band_id: str
    time_s: float
    source: str
    cadence_rpm: float | None = None
    speed_m_s: float | None = None
    stride_length_m: float | None = None


BandItem = (
    SampleBatch | HeartRateReading | BatteryReading | DeviceInfoReading | CadenceReading | LinkEvent
)


@dataclass
class SessionCounters:
    """What happened on a band's link; counters only grow.

    Attributes
    ----------
    notifications
        Notifications (and reads) per payload kind.
    malformed
        Notifications a decoder refused, per payload kind; each is skipped.
    connects
        Successful connections (the first one included).
    link_losses
        Links lost while streaming.
    watchdog_resets
        Reconnections forced because notifications stopped.
    stale_device_resets
        Times a stale BlueZ device object was removed before retrying.
    leftover_links_released
        Times BlueZ still held the band connected from an earlier process (one that died
        without disconnecting) and that link was dropped so the band advertises again.
    dropped
        Notifications dropped because the decoder fell behind (queue full).
    """

    notifications: Counter[str] = field(default_factory=Counter)
    malformed: Counter[str] = field(default_factory=Counter)
    connects: int = 0
    link_losses: int = 0
    watchdog_resets: int = 0
    stale_device_resets: int = 0
    leftover_links_released: int = 0
    dropped: int = 0
