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
    band's clock. A sample is never received before it was measured, so a notification can
    only arrive late: one that maps its last sample more than ``tolerance_s`` after its own
    receive time means the band's clock jumped, and the clocks are tied again at once. One
    that arrives more than ``tolerance_s`` late is a delayed notification (a busy host, a
    connection event that held it back) unless the lateness persists: only when
    ``confirm_notifications`` notifications in a row over at least ``confirm_s`` of host time
    are all late (a band that reset its clock, as the H10 does when it powers down, or clocks
    that drifted apart) are the clocks tied again, to the least late of them.

    Parameters
    ----------
    tolerance_s
        Largest accepted difference between a notification's receive time and its last
        sample's mapped time; BLE delivers within tens of milliseconds, connection events
        can hold notifications back for a few hundred.
    confirm_notifications, confirm_s
        How long lateness must last before it moves the timeline.
    """

    def __init__(
        self, tolerance_s: float = 2.0, confirm_notifications: int = 3, confirm_s: float = 1.0
    ) -> None:
        self.tolerance_s = tolerance_s
        self.confirm_notifications = confirm_notifications
        self.confirm_s = confirm_s
        self.offset_s: float | None = None
        self.ties = 0
        #: Notifications that arrived late and were mapped on the band's clock all the same.
        self.late = 0
        self._late_run: list[tuple[float, float]] = []  # (receive_s, candidate offset)

    def to_session(self, device_s: FloatArray, receive_s: float) -> FloatArray:
        """Session times of samples whose last one arrived at ``receive_s``."""
        last = float(device_s[-1])
        candidate = receive_s - last
        if self.offset_s is None or candidate < self.offset_s - self.tolerance_s:
            self._tie(candidate)
        elif candidate > self.offset_s + self.tolerance_s:
            self.late += 1
            self._late_run.append((receive_s, candidate))
            run = self._late_run
            if len(run) >= self.confirm_notifications and run[-1][0] - run[0][0] >= self.confirm_s:
                self._tie(min(c for _, c in run))
        else:
            self._late_run.clear()
        assert self.offset_s is not None
        return device_s + self.offset_s

    def _tie(self, offset_s: float) -> None:
        self.offset_s = offset_s
        self.ties += 1
        self._late_run.clear()


class CounterClock:
    """Times for a band without a sample clock: counted at the nominal rate.

    Samples follow each other at ``1 / rate_hz``. Where notifications arrive more than
    ``tolerance_s`` later than the count predicts twice in a row, notifications were lost:
    the count restarts from the receive time, leaving a gap. One late notification alone is
    a delayed one, not a loss, and continues the count (restarting on it would put its
    samples late and make the next, punctual notification's samples overlap them). Where the
    count runs ahead of the host by more than ``tolerance_s`` (the band is faster than
    nominal), it is pulled back and overlapping samples are dropped by the caller's
    strictly-increasing check.
    """

    def __init__(self, rate_hz: float, tolerance_s: float = 0.3) -> None:
        self.period_s = 1.0 / rate_hz
        self.tolerance_s = tolerance_s
        self._next_s: float | None = None
        self._late = False

    def reset(self) -> None:
        """Forget the count (after a reconnect)."""
        self._next_s = None
        self._late = False

    def times(self, n: int, receive_s: float) -> FloatArray:
        """Times of ``n`` samples whose last one arrived at ``receive_s``."""
        steps = np.arange(n, dtype=np.float64) * self.period_s
        anchored = receive_s - steps[-1] if n else receive_s
        start = self._next_s
        if start is None:
            start = anchored
        else:
            error = start + (steps[-1] if n else 0.0) - receive_s
            late = error < -self.tolerance_s
            if error > self.tolerance_s or (late and self._late):
                start = anchored
                late = False
            self._late = late
        t = start + steps
        self._next_s = start + n * self.period_s
        return t
