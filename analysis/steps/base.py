"""What the trunk and the leg step detectors share: the history, candidates, bouts.

``StepDetector`` keeps the raw signals of the last seconds in a ``History``, derives its
filtered columns in batches when an examination needs them, queues the candidate signal's
local maxima and hands those whose look-ahead is complete to the subclass
(``_examine_peaks``). It counts the steps the subclass finds into walking bouts (``_count_step``)
and closes a bout, with its ``walk_bout`` event, when no step came for ``max_step_s`` (two
steps' worth on a leg, which sees one swing per stride).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from analysis.events import Direction, Event, StepEvent, WalkBoutEvent
from analysis.steps.params import StepParams
from analysis.stream import DetectorBase, History, StreamingSOS
from analysis.types import FloatArray, Samples, StreamInfo

#: History column every step detector keeps first: the sample's time.
T = 0

#: Spare rows of the history buffer beyond what is kept: new rows are written there, and the
#: kept rows move back to the start only when it is full (once every 16 notifications of 8).
_SPARE_ROWS = 128

_max = np.maximum.reduce  # without ``ndarray.max``'s Python-level wrapper


def median(values: list[float]) -> float:
    """Median of a short list (a handful of step times): cheaper than ``numpy.median``."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


@dataclass
class Bout:
    """The walking bout in progress."""

    start_t: float
    last_t: float
    last_peak_t: float
    steps: int = 0
    forward: int = 0
    backward: int = 0
    first_contact_t: float = math.nan
    #: Longest pause before the next step (``StepDetector._step_gap_s``), as of the last step.
    gap_s: float = math.inf


class StepDetector(DetectorBase):
    """Streaming step detector with direction, walking bouts and regularity.

    The shared part of ``TrunkStepDetector`` (chest, waist, wrist) and ``LegStepDetector``
    (shank/ankle, foot); the registry builds the one that serves the stream's placement.

    Parameters
    ----------
    params
        Frozen parameters.
    info
        The stream.

    Notes
    -----
    State: the gap splitter, the causal filters' ``zi``, a history of the last
    ``regularity_window_s`` plus a few seconds of signals (bounded), the number of history
    samples not yet examined, the queued candidates, the bout in progress and the subclass's
    own (a held first candidate of a trunk bout, a scheduled inferred contact on a leg).
    Events depend only on sample values and times, never on how the stream is chunked.
    """

    #: Steps between two candidates: the trunk sees every step, a leg one swing per stride.
    steps_per_peak: ClassVar[float] = 1.0

    #: Whether a gap of at most ``StepParams.bridge_gap_s`` is bridged (see ``_bridge``)
    #: rather than restarting the filters; a subclass opts in.
    bridges_gaps: ClassVar[bool] = False

    def __init__(
        self,
        params: StepParams,
        info: StreamInfo,
        *,
        lookahead_s: float,
        width: int,
        filters: tuple[StreamingSOS, ...],
        signal_column: int,
        threshold: float,
    ) -> None:
        super().__init__(info)
        self.params = params
        fs = info.sample_rate_hz
        self._fs = fs
        self._back = max(1, round(params.min_step_s * fs * self.steps_per_peak))
        self._lookahead_s = lookahead_s
        self._ahead = max(1, round(lookahead_s * fs))
        self._guard = max(0, round(params.jump_guard_s * fs))
        keep_s = params.regularity_window_s + params.max_step_s + params.lookahead_s + 2.0
        self._keep = max(round(keep_s * fs), self._back + self._ahead + self._guard + 2)
        # Filters restarted at a gap; the candidate signal's column, and its threshold.
        self._filters = filters
        self._signal_column = signal_column
        self._threshold = threshold
        self._history = History(self._keep, width, spare=_SPARE_ROWS)
        self._done = 0  # the first sample whose derived columns are not computed yet
        self._seg_first = 0  # the current segment's first sample
        self._cands: list[int] = []  # local maxima not yet examined (see ``_derive``)
        self._unexamined = 0
        self._bout: Bout | None = None
        self._recent: list[float] = []  # recent step intervals in the bout (peak times)
        self._last_inferred_t: float | None = None  # the last step not seen but inferred
        self._last_t: float | None = None
        # The last sample (time, acceleration, angular rate), and whether the next segment
        # follows a gap short enough to bridge (``_bridge``).
        self._last_sample: tuple[float, FloatArray, FloatArray | None] | None = None
        self._bridging = False

    @property
    def latency_s(self) -> float:
        """Look-ahead before a step is confirmed."""
        return self._lookahead_s

    # ------------------------------------------------------------------ stream interface

    def _process(self, seg: Samples, events: list[Event]) -> None:
        if self._bridging:
            self._bridging = False
            seg = self._bridge(seg)
        n = seg.time_s.shape[0]
        hist = self._append(seg)
        size = hist.shape[0]
        stop = size - self._ahead
        if stop > size - n - self._unexamined:
            self._examine(hist, stop, events)
        if self._due():
            self._settle(hist[:, T], size - n, size, events)
        self._unexamined = min(size, self._ahead)
        history = self._history
        history.keep_last(self._keep)
        # Rows leave the history only after their derived columns were computed (the
        # look-ahead is shorter than the history), so every filter sees every sample.
        assert self._done >= history.first
        self._last_t = float(seg.time_s[-1])
        if self.bridges_gaps:
            gyro = seg.gyro_dps
            self._last_sample = (
                float(seg.time_s[-1]),
                seg.acc_g[-1],
                None if gyro is None else gyro[-1],
            )

    def _examine(self, hist: FloatArray, stop: int, events: list[Event]) -> None:
        """Examine the candidates before history row ``stop``, whose look-ahead is complete.

        Those before the rows of this call were examined by earlier calls.
        """
        lo = self._history.first
        # The local maxima before ``stop`` are known once the derived columns reach row
        # ``stop`` (the right neighbour).
        if self._done - lo <= stop:
            self._derive()
        cands = self._cands
        if cands and cands[0] < lo + stop:
            self._derive()  # their look-ahead reaches the newest row
            due = 1
            while due < len(cands) and cands[due] < lo + stop:
                due += 1
            peaks = [c - lo for c in cands[:due]]
            del cands[:due]
            self._examine_peaks(hist, peaks, events)

    def flush(self) -> list[Event]:
        events: list[Event] = []
        if self._last_t is not None:
            self._close_bout(events, self._last_t)
        return events

    def _restart(self, now_t: float, events: list[Event]) -> None:
        """Start of stream or a gap: close what was open, forget filter state.

        A gap of at most ``bridge_gap_s`` is bridged instead, where the subclass opts in
        (``bridges_gaps``): nothing restarts. Otherwise whether the bout outlives the gap is
        the subclass's (``_keeps_bout``); the filters and the history start afresh after it
        either way.
        """
        last = self._last_sample
        if self.bridges_gaps and last is not None and now_t - last[0] <= self.params.bridge_gap_s:
            self._bridging = True
            return
        self._last_sample = None
        keep = self._keeps_bout(now_t, events)
        if self._last_t is not None and not keep:
            self._close_bout(events, now_t)
        for f in self._filters:
            f.reset()
        # Rows not derived yet belong to the segment that ended: never needed again.
        self._history.clear()
        self._done = self._seg_first = self._history.end
        self._cands = []
        self._unexamined = 0
        self._forget(keep)
        if not keep:
            self._recent = []

    def _bridge(self, seg: Samples) -> Samples:
        """``seg`` after a short gap, preceded by samples on a straight line across the gap.

        BLE bands drop packets all the time, often several in a second (real lower-back
        recordings lose 1-6 samples every 20-100 ms for seconds on end). Restarting the
        filters at each such gap leaves them ringing and the history empty, and the steps of
        the next seconds are lost. A gap shorter than a step instead gets samples at the
        nominal rate on the straight line from the last sample before it to the first after
        it, seen only by the filters and the candidate search: the step whose peak the gap
        took may come out with its peak shaved or moved, the steps after it are whole. The
        line depends only on the two samples either side, so events stay independent of
        chunking.
        """
        last = self._last_sample
        assert last is not None
        t0, acc0, gyro0 = last
        t1 = float(seg.time_s[0])
        missing = round((t1 - t0) * self._fs) - 1
        if missing < 1:
            return seg
        w = np.arange(1, missing + 1)[:, None] / (missing + 1)
        gyro = None
        if seg.gyro_dps is not None and gyro0 is not None:
            gyro = gyro0 + w * (seg.gyro_dps[0] - gyro0)
        fill = Samples(
            time_s=t0 + w[:, 0] * (t1 - t0),
            acc_g=acc0 + w * (seg.acc_g[0] - acc0),
            gyro_dps=gyro,
        )
        return Samples.concat([fill, seg])

    def _append(self, seg: Samples) -> FloatArray:
        """Write the segment's raw values into the history; the history's rows (a view).

        A live band sends a few samples at a time: appending in place, instead of building a
        new history array on every call, and deriving the filtered columns later in batches
        (``_derive``) keeps the cost per call low.
        """
        rows = self._history.append(seg.time_s.shape[0])
        rows[:, T] = seg.time_s
        self._write_raw(rows, seg)
        return self._history.view()

    def _derive(self) -> None:
        """Compute the derived columns of every row up to the newest, and find candidates.

        The filters carry their state from row to row, and the other columns are computed
        row by row, so the values do not depend on how the rows are batched: they are the
        ones a per-chunk computation would give, computed only when an examination needs
        them (every look-ahead's worth of samples, or at a candidate). The local maxima of
        the candidate signal above its threshold are queued for examination; the newest
        row, whose right neighbour is not known yet, is judged in the next batch, and a
        segment's first row never is a candidate.
        """
        history = self._history
        a = self._done
        b = history.end
        if b <= a:
            return
        self._done = b
        self._derive_rows(history.rows(a, b))
        lo = max(a - 1, self._seg_first + 1)
        if b - 1 > lo:
            s = self._candidate_signal(history.rows(lo - 1, b)[:, self._signal_column])
            mid = s[1:-1]
            threshold = self._threshold
            if _max(mid) >= threshold:  # (at rest, nothing reaches it: one reduction)
                peaks = ((mid >= threshold) & (mid > s[:-2]) & (mid >= s[2:])).nonzero()[0]
                if peaks.size:
                    self._cands.extend((peaks + lo).tolist())

    # ------------------------------------------------------------------ the subclass's part

    @abstractmethod
    def _write_raw(self, rows: FloatArray, seg: Samples) -> None:
        """Write the raw columns of new history rows (time is written)."""

    @abstractmethod
    def _derive_rows(self, rows: FloatArray) -> None:
        """Compute the derived columns of ``rows`` from their raw ones, in time order."""

    def _candidate_signal(self, column: FloatArray) -> FloatArray:
        """The signal whose local maxima are candidates, from its history column."""
        return column

    @abstractmethod
    def _examine_peaks(self, hist: FloatArray, peaks: list[int], events: list[Event]) -> None:
        """Examine candidates (history rows) whose look-ahead is complete."""

    @abstractmethod
    def _keeps_bout(self, now_t: float, events: list[Event]) -> bool:
        """At a gap ending at ``now_t``: whether the bout in progress walks on through it."""

    @abstractmethod
    def _forget(self, keep: bool) -> None:
        """At a gap: forget the subclass's signal state (``keep``: the bout walks on)."""

    def _due(self) -> bool:
        """Whether anything may fall due at the newest samples (see ``_settle``)."""
        return self._bout is not None

    def _settle_more(self, t: FloatArray, start: int, stop: int, events: list[Event]) -> None:
        """Fire the subclass's own events due at the samples ``t[start:stop]``."""

    def _bout_ended(self) -> None:
        """The bout in progress has ended: forget what belonged to it."""

    def _step_gap_s(self) -> float:
        """Longest time between two candidates of the bout in progress (``max_step_s``, per
        candidate); a longer pause ends the bout."""
        return self.params.max_step_s * self.steps_per_peak

    def _new_contact(self, contact_t: float) -> bool:
        """Whether a step at ``contact_t`` is not one counted already (detectors that infer
        contacts they do not see say so; the others never count one twice)."""
        return True

    def _regularity(
        self, bout: Bout, duration_s: float
    ) -> tuple[float | None, float | None, float | None]:
        """Step and stride regularity and symmetry of a bout, where the placement tells."""
        return None, None, None

    # ------------------------------------------------------------------ steps and bouts

    def _count_step(
        self,
        contact_t: float,
        peak_t: float,
        interval: float | None,
        direction: Direction,
        now_t: float,
        confidence: float | None,
        inferred: bool | None,
        events: list[Event],
    ) -> None:
        if not self._new_contact(contact_t):
            return
        bout = self._bout
        gap = self._step_gap_s()
        if bout is not None and peak_t - bout.last_peak_t > gap:
            self._close_bout(events, now_t)
            bout = None
        if bout is None:
            self._recent = []
            bout = self._bout = Bout(start_t=contact_t, last_t=contact_t, last_peak_t=peak_t)
        elif interval is None:
            interval = peak_t - bout.last_peak_t
        if interval is not None and interval > 0:
            self._recent = [*self._recent[-3:], interval]
        cadence = 60.0 / median(self._recent) if self._recent else None
        bout.steps += 1
        bout.forward += direction is Direction.FORWARD
        bout.backward += direction is Direction.BACKWARD
        bout.start_t = min(bout.start_t, contact_t)
        bout.last_t = max(bout.last_t, contact_t)
        bout.last_peak_t = max(bout.last_peak_t, peak_t)
        if inferred:
            self._last_inferred_t = contact_t
        bout.gap_s = self._step_gap_s()
        events.append(
            StepEvent(
                t=contact_t,
                detected_at=now_t,
                direction=direction,
                cadence_spm=cadence,
                inferred=inferred,
                confidence=confidence,
            )
        )

    def _deadline(self) -> float:
        assert self._bout is not None
        return self._bout.last_peak_t + self._bout.gap_s + self._lookahead_s

    def _settle_until(self, t: FloatArray, now_t: float, events: list[Event]) -> None:
        """Fire what falls due (bout ends, the subclass's own) at samples up to ``now_t``."""
        stop = int(np.searchsorted(t, now_t, side="right"))
        self._settle(t, 0, stop, events)

    def _settle(self, t: FloatArray, start: int, stop: int, events: list[Event]) -> None:
        """Fire what falls due at the samples ``t[start:stop]`` (in time order)."""
        if stop <= start:
            return
        self._settle_more(t, start, stop, events)
        # Times increase: whether anything falls due is seen at the last sample.
        last_t = float(t[stop - 1])
        if self._bout is not None and self._deadline() < last_t:
            deadline = self._deadline()
            k = int(np.searchsorted(t[:stop], deadline, side="right"))
            if k < stop:
                self._close_bout(events, float(t[max(k, start)]))

    def _close_bout(self, events: list[Event], now_t: float) -> None:
        bout = self._bout
        if bout is None:
            return
        self._bout = None
        self._bout_ended()
        if bout.steps < self.params.min_bout_steps:
            return
        duration = bout.last_t - bout.start_t
        cadence = 60.0 * (bout.steps - 1) / duration if duration > 0 else 0.0
        if bout.forward > bout.backward:
            direction = Direction.FORWARD
        elif bout.backward > bout.forward:
            direction = Direction.BACKWARD
        else:
            direction = Direction.UNKNOWN
        step_reg, stride_reg, symmetry = self._regularity(bout, duration)
        events.append(
            WalkBoutEvent(
                t=bout.last_t,
                detected_at=max(now_t, bout.last_t),
                start_t=bout.start_t,
                end_t=bout.last_t,
                direction=direction,
                steps=bout.steps,
                steps_forward=bout.forward,
                steps_backward=bout.backward,
                cadence_spm=cadence,
                step_regularity=step_reg,
                stride_regularity=stride_reg,
                symmetry=symmetry,
            )
        )
