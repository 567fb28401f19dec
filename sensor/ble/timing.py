"""Sample times: a band's own clock tied to the host's, or a sample counter at the nominal rate.

Pure helpers (no clocks of their own): the session passes each notification's host receive
time, in seconds since the session started.
"""

from __future__ import annotations

import numpy as np

from analysis.types import FloatArray

#: How long lateness must last before it is taken for a loss or a moved clock, rather than
#: notifications a busy host held back: long enough that a host falling behind by 0.15 s a
#: second or more shows a lateness that grows by more than ``FLAT_S`` in it.
CONFIRM_S = 2.0
#: How flat lateness must stay over ``CONFIRM_S`` to be taken for lasting: a step (a loss, a
#: clock that moved) stays within the jitter of delivery; a delay grows or is caught up.
FLAT_S = 0.3


class LateRun:
    """Notifications in a row that arrived late: lasting, or a delay to ride out?

    A sample is never received before it was measured, so a notification's lateness (how
    long after its last sample's mapped time it arrives) is the delivery delay plus any
    step the timeline owes: samples lost, or a band clock that moved. The two look alike at
    first and differ in what follows. A delay comes and goes: on a real BLE link the link
    layer retransmits, so notifications arrive late far more often than they are lost, and
    a busy host holds them back for a stall or falls behind for a while, then catches up with
    a burst faster than nominal; lateness grows, or moves up and down, and comes back down.
    A step stays: notifications arrive at the nominal pace again, all late by about as much.
    So lateness is taken for lasting only when it has stayed within ``flat_s`` of its least
    for ``confirm_s`` of host time (and ``confirm_notifications`` notifications); a run
    whose lateness spreads wider is watched afresh from its latest notification.
    """

    def __init__(
        self, flat_s: float = FLAT_S, confirm_s: float = CONFIRM_S, confirm_notifications: int = 1
    ) -> None:
        self.flat_s = flat_s
        self.confirm_s = confirm_s
        self.confirm_notifications = confirm_notifications
        self._since_s: float | None = None
        self._count = 0
        self._least_s = self._most_s = 0.0

    def clear(self) -> None:
        """A notification on time: the run is over."""
        self._since_s = None

    def lasting(self, receive_s: float, lateness_s: float) -> float | None:
        """Add a late notification; once the run has lasted, flat, its least lateness (and
        the run is over), else ``None``."""
        if self._since_s is not None:
            self._least_s = min(self._least_s, lateness_s)
            self._most_s = max(self._most_s, lateness_s)
            self._count += 1
        if self._since_s is None or self._most_s - self._least_s > self.flat_s:
            self._since_s, self._count = receive_s, 1
            self._least_s = self._most_s = lateness_s
        if (
            self._count >= self.confirm_notifications
            and receive_s - self._since_s >= self.confirm_s
        ):
            self._since_s = None
            return self._least_s
        return None


class DeviceClock:
    """Maps a band's clock (seconds, any epoch) to session seconds.

    The first notification ties the two clocks: ``offset = receive - device``. The offset is
    kept across reconnects, so a link loss shows as a gap of exactly the lost time on the
    band's clock. A sample is never received before it was measured, so a notification can
    only arrive late: one that maps its last sample more than ``tolerance_s`` after its own
    receive time means the band's clock jumped, and the clocks are tied again at once. One
    that arrives more than ``tolerance_s`` late is a delayed notification (a busy host, a
    connection event that held it back) unless the lateness lasts (``LateRun``: flat for
    ``confirm_s`` over ``confirm_notifications``; a band that reset its clock, as the H10
    does when it powers down, or clocks that drifted apart): then the clocks are tied again,
    to the least late of them. Lateness that grows while the host falls behind (by 0.3 s a
    second or more) and is then caught up does not move the timeline: tying again on it
    would put the burst that follows before the new offset, and tie back, dropping its
    samples as overlaps.

    Parameters
    ----------
    tolerance_s
        Largest accepted difference between a notification's receive time and its last
        sample's mapped time; BLE delivers within tens of milliseconds, connection events
        can hold notifications back for a few hundred.
    confirm_notifications, confirm_s
        How long lateness must last before it moves the timeline. Shorter than a counter's
        wait: until the clocks are tied again after a clock reset (the band's times jump
        back), its samples fall before the last one kept and are dropped; the tolerance
        already rides out delays of up to 2 s.
    """

    def __init__(
        self,
        tolerance_s: float = 2.0,
        confirm_notifications: int = 3,
        confirm_s: float = 1.0,
    ) -> None:
        self.tolerance_s = tolerance_s
        self.offset_s: float | None = None
        self.ties = 0
        #: Notifications that arrived late and were mapped on the band's clock all the same.
        self.late = 0
        self._late_run = LateRun(confirm_s=confirm_s, confirm_notifications=confirm_notifications)

    def to_session(self, device_s: FloatArray, receive_s: float) -> FloatArray:
        """Session times of samples whose last one arrived at ``receive_s``."""
        last = float(device_s[-1])
        candidate = receive_s - last
        if self.offset_s is None or candidate < self.offset_s - self.tolerance_s:
            self._tie(candidate)
        elif candidate > self.offset_s + self.tolerance_s:
            self.late += 1
            lasting = self._late_run.lasting(receive_s, candidate - self.offset_s)
            if lasting is not None:
                self._tie(self.offset_s + lasting)
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
    at the first notification (and after ``reset``). Late notifications (``LateRun``) are
    held back ones unless their lateness lasts: the count goes on through a delay, so every
    sample keeps its place (restarting it from a late notification would open a hole there,
    and the catch-up burst would then run the count ahead of the host and have its samples
    dropped as overlaps). Lateness that lasts is a loss: the count moves on by the least of
    it, leaving a gap of about the lost time. The gap comes ``confirm_s`` after the loss (the
    samples between carry times early by the lost time); a loss shorter than ``tolerance_s``
    leaves the count behind by it, no gap.

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
        Lateness (and lead) the count accepts without question.
    confirm_s
        How long lateness must last, flat, before it is taken for a loss.
    """

    def __init__(
        self, rate_hz: float, tolerance_s: float = FLAT_S, confirm_s: float = CONFIRM_S
    ) -> None:
        self.period_s = 1.0 / rate_hz
        self.tolerance_s = tolerance_s
        self._next_s: float | None = None
        self._late_run = LateRun(confirm_s=confirm_s)

    def reset(self) -> None:
        """Forget the count (after a reconnect)."""
        self._next_s = None
        self._late_run.clear()

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
                self._late_run.clear()
            elif lateness > self.tolerance_s:
                lasting = self._late_run.lasting(receive_s, lateness)
                if lasting is not None:
                    start += lasting  # a loss: leave a gap of the lost time
            else:
                self._late_run.clear()
        t = start + steps
        self._next_s = start + n * self.period_s
        return t
