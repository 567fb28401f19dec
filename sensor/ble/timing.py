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

    Samples follow each other at ``1 / rate_hz``; the count is tied to the host's receive time
    at the first notification (and after ``reset``). A notification's *lateness* is how long
    after the count's time of its last sample it arrives. A sample is never received before
    it was measured, so lateness is the delivery delay plus the time of any samples lost
    since the count was tied. The two look alike at first and differ in what follows:

    - A delay comes and goes. On a real BLE link the link layer retransmits, so notifications
      arrive late far more often than they are lost; a busy host (many bands, a shared CPU)
      holds them back for a stall, or falls behind for a while, and catches up with a burst
      faster than nominal. Lateness grows, or moves up and down, and comes back down. The
      count goes on through it, so every sample keeps its place: restarting it from a late
      notification would open a hole there, and the catch-up burst would then run the count
      ahead of the host and have its samples dropped as overlaps.
    - A loss is a step that stays: after the silence, notifications arrive at the nominal pace
      again, all late by about the lost time. So the count moves on only when notifications
      have been late by more than ``tolerance_s`` for ``confirm_s`` of host time and their
      lateness stayed flat all that while (within ``tolerance_s`` of the least late of them);
      it moves on by that least lateness, leaving a gap of about the lost time. The gap
      comes ``confirm_s`` after the loss (the samples between carry times early by the lost
      time); a loss shorter than ``tolerance_s`` leaves the count behind by it, no gap.

    A band slightly slower than nominal makes lateness grow slowly and steadily (flat over
    ``confirm_s``), so the count is moved on by about ``tolerance_s`` from time to time. A band
    faster than nominal runs the count ahead of the host: ahead by more than ``tolerance_s``,
    it restarts from the receive time, and the overlapping samples are dropped by the caller's
    strictly-increasing check.

    Parameters
    ----------
    rate_hz
        The nominal sample rate.
    tolerance_s
        Lateness (and lead) the count accepts without question; also how flat lateness must
        stay to be taken for a loss.
    confirm_s
        How long lateness must last, flat, before it is taken for a loss.
    """

    def __init__(self, rate_hz: float, tolerance_s: float = 0.3, confirm_s: float = 2.0) -> None:
        self.period_s = 1.0 / rate_hz
        self.tolerance_s = tolerance_s
        self.confirm_s = confirm_s
        self._next_s: float | None = None
        # The current run of late notifications: when it started, its least and most lateness.
        self._late_since_s: float | None = None
        self._late_min_s = 0.0
        self._late_max_s = 0.0

    def reset(self) -> None:
        """Forget the count (after a reconnect)."""
        self._next_s = None
        self._late_since_s = None

    def times(self, n: int, receive_s: float) -> FloatArray:
        """Times of ``n`` samples whose last one arrived at ``receive_s``."""
        steps = np.arange(n, dtype=np.float64) * self.period_s
        last_step = float(steps[-1]) if n else 0.0
        start = self._next_s
        if start is None:
            start = receive_s - last_step
        else:
            lateness = receive_s - (start + last_step)
            if lateness < -self.tolerance_s:  # ahead of the host: a band faster than nominal
                start = receive_s - last_step
                self._late_since_s = None
            elif lateness > self.tolerance_s:
                if self._late_since_s is None:
                    self._late_since_s = receive_s
                    self._late_min_s = self._late_max_s = lateness
                else:
                    self._late_min_s = min(self._late_min_s, lateness)
                    self._late_max_s = max(self._late_max_s, lateness)
                if self._late_max_s - self._late_min_s > self.tolerance_s:
                    # Not a step: a delay that grows or is being caught up. Watch afresh
                    # from here, in case the lateness now settles (a loss within a delay).
                    self._late_since_s = receive_s
                    self._late_min_s = self._late_max_s = lateness
                elif receive_s - self._late_since_s >= self.confirm_s:
                    start += self._late_min_s  # a loss: leave a gap of the lost time
                    self._late_since_s = None
            else:
                self._late_since_s = None
        t = start + steps
        self._next_s = start + n * self.period_s
        return t
