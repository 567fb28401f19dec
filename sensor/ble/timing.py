"""Sample times: a band's own clock tied to the host's, or a sample counter at the nominal rate.

Pure helpers (no clocks of their own): the session passes each notification's host receive
time, in seconds since the session started.
"""

from __future__ import annotations

import numpy as np

from analysis.types import FloatArray


class DeviceClock:
    """Maps a band's clock (seconds, any epoch) to session seconds.

    The first notification ties the two clocks: ``offset = receive - device``. The offset is
    kept across reconnects, so a link loss shows as a gap of exactly the lost time on the
    band's clock. Where the band's clock and the host's drift apart by more than
    ``tolerance_s`` (a band that reset its clock, as the H10 does when it powers down), the
    clocks are tied again.

    Parameters
    ----------
    tolerance_s
        Largest accepted difference between a notification's receive time and its last
        sample's mapped time; BLE delivers within tens of milliseconds, connection events
        can hold notifications back for a few hundred.
    """

    def __init__(self, tolerance_s: float = 2.0) -> None:
        self.tolerance_s = tolerance_s
        self.offset_s: float | None = None
        self.ties = 0

    def to_session(self, device_s: FloatArray, receive_s: float) -> FloatArray:
        """Session times of samples whose last one arrived at ``receive_s``."""
        last = float(device_s[-1])
        if self.offset_s is None or abs(last + self.offset_s - receive_s) > self.tolerance_s:
            self.offset_s = receive_s - last
            self.ties += 1
        return device_s + self.offset_s


class CounterClock:
    """Times for a band without a sample clock: counted at the nominal rate.

    Samples follow each other at ``1 / rate_hz``. Where the host receives a notification
    more than ``tolerance_s`` later than the count predicts, notifications were lost: the
    count restarts from the receive time, leaving a gap. Where the count runs ahead of the
    host by more than ``tolerance_s`` (the band is faster than nominal), it is pulled back
    and overlapping samples are dropped by the caller's strictly-increasing check.
    """

    def __init__(self, rate_hz: float, tolerance_s: float = 0.3) -> None:
        self.period_s = 1.0 / rate_hz
        self.tolerance_s = tolerance_s
        self._next_s: float | None = None

    def reset(self) -> None:
        """Forget the count (after a reconnect)."""
        self._next_s = None

    def times(self, n: int, receive_s: float) -> FloatArray:
        """Times of ``n`` samples whose last one arrived at ``receive_s``."""
        steps = np.arange(n, dtype=np.float64) * self.period_s
        anchored = receive_s - steps[-1] if n else receive_s
        start = self._next_s
        if start is None or abs(start + (steps[-1] if n else 0.0) - receive_s) > self.tolerance_s:
            start = anchored
        t = start + steps
        self._next_s = start + n * self.period_s
        return t
