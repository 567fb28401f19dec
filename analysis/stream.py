"""The streaming detector shape, its helpers, and the pipeline that runs detectors together.

A detector is constructed from a frozen ``Params`` and a ``StreamInfo``, keeps its state
explicitly, and offers ``update(chunk) -> list[Event]`` and ``flush() -> list[Event]``. The
batch run is the stream fed in one go (``run_batch``), so batch and streaming agree by
construction. Events must not depend on how the samples are chunked.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from scipy import signal

from analysis.events import Event, sort_events

try:  # SciPy's compiled second-order-sections kernel (see StreamingSOS, Notes)
    from scipy.signal._sosfilt import _sosfilt as _sosfilt_kernel
except ImportError:  # pragma: no cover
    _sosfilt_kernel = None
from analysis.types import FloatArray, Samples, StreamInfo

#: A step in ``time_s`` larger than this many nominal periods is a gap (dropped packets).
#: 1.5 periods: larger than BLE timestamp jitter and a few per cent of clock drift, smaller
#: than the smallest real loss (one sample).
GAP_PERIODS = 1.5


@runtime_checkable
class Detector(Protocol):
    """What the pipeline needs of a detector."""

    @property
    def latency_s(self) -> float:
        """Published algorithmic latency: the fixed look-ahead before a candidate is confirmed."""
        ...

    def update(self, chunk: Samples) -> list[Event]:
        """Consume the next samples; return the events they confirmed."""
        ...

    def flush(self) -> list[Event]:
        """The stream has ended: return events still pending, if they can be decided."""
        ...


#: The chunk ``Pipeline.update`` has just found finite, while its detectors run, and the
#: largest step between its times once a detector's ``GapSplitter`` has measured it: the
#: other detectors' ``finite_rows`` and splitters reuse both instead of measuring again.
#: One tuple, replaced whole, so a chunk is only ever paired with its own figures; another
#: thread's pipeline overwriting it only sends a detector down the full check.
_checked: tuple[Samples, float | None] | None = None

# The ufuncs' reductions themselves: ``ndarray.sum`` and ``.max`` add a Python-level wrapper
# that costs as much as the reduction of a notification's few samples.
_sum = np.add.reduce
_max = np.maximum.reduce


def finite_rows(chunk: Samples) -> Samples:
    """Drop rows with a non-finite time or acceleration (and gyroscope, if present).

    Dropped rows become gaps in time, as lost packets do; no value is invented.
    """
    checked = _checked
    if checked is not None and checked[0] is chunk:
        return chunk
    # Fast path, one reduction per array: a sum is finite exactly when every term is (short
    # of overflow near 1e308, which only sends a chunk down the careful path below).
    total = float(_sum(chunk.time_s)) + float(_sum(chunk.acc_g, axis=None))
    if chunk.gyro_dps is not None:
        total += float(_sum(chunk.gyro_dps, axis=None))
    if math.isfinite(total):
        return chunk
    ok = np.isfinite(chunk.time_s) & np.all(np.isfinite(chunk.acc_g), axis=1)
    if chunk.gyro_dps is not None:
        ok &= np.all(np.isfinite(chunk.gyro_dps), axis=1)
    return chunk.select(ok)


class GapSplitter:
    """Split a stream into runs of contiguous samples, remembering the last time across chunks.

    ``split(chunk)`` returns ``(segment, starts_after_gap)`` pairs. The first sample of the
    stream counts as starting after a gap, so a detector can treat "start" and "gap" alike.
    """

    def __init__(self, sample_rate_hz: float, gap_periods: float = GAP_PERIODS) -> None:
        self.max_step_s = gap_periods / sample_rate_hz
        self._last_t: float | None = None

    def split(self, chunk: Samples) -> list[tuple[Samples, bool]]:
        t = chunk.time_s
        n = t.shape[0]
        if n == 0:
            return []
        starts_after_gap = self._last_t is None or float(t[0]) - self._last_t > self.max_step_s
        self._last_t = float(t[-1])
        if n == 1:
            return [(chunk, starts_after_gap)]
        global _checked
        checked = _checked
        if checked is not None and checked[0] is chunk and checked[1] is not None:
            largest = checked[1]
        else:
            largest = float(_max(t[1:] - t[:-1]))
            if checked is not None and checked[0] is chunk:
                _checked = (chunk, largest)
        if largest <= self.max_step_s:
            return [(chunk, starts_after_gap)]
        inner = t[1:] - t[:-1]
        breaks = (np.flatnonzero(inner > self.max_step_s) + 1).tolist()
        bounds = [0, *breaks, n]
        return [
            (chunk.slice(a, b), starts_after_gap if a == 0 else True)
            for a, b in itertools.pairwise(bounds)
        ]


@functools.lru_cache(maxsize=256)
def _steady_state(sos_bytes: bytes, sections: int) -> FloatArray:
    """``sosfilt_zi`` of a filter, computed once: detectors build filters per candidate."""
    zi: FloatArray = signal.sosfilt_zi(np.frombuffer(sos_bytes).reshape(sections, 6))
    zi.setflags(write=False)
    return zi


class StreamingSOS:
    """A second-order-sections IIR filter whose state carries across chunks.

    The state starts at steady state for the first sample (``sosfilt_zi`` scaled by it), so
    the output is the same for any chunking. ``reset`` restarts it (after a gap).

    Notes
    -----
    A live band hands over 7-20 samples at a time, so the cost per call matters more than the
    cost per sample: ``scipy.signal.sosfilt`` spends 60-190 µs per call checking and
    reshaping its arguments (SciPy 1.17), the compiled kernel behind it about 10 µs. The
    kernel is used where this SciPy has it, the public function otherwise; both compute the
    same recursion in the same order.
    """

    def __init__(self, sos: FloatArray, *, steady: bool = True) -> None:
        self._sos = np.ascontiguousarray(sos, dtype=np.float64)
        # steady=False starts from rest instead (an integrator, whose offset does not matter).
        self._zi_unit: FloatArray = (
            _steady_state(self._sos.tobytes(), self._sos.shape[0])
            if steady
            else np.zeros((self._sos.shape[0], 2))
        )  # (sections, 2)
        self._zi: FloatArray | None = None  # (channels, sections, 2)

    def reset(self) -> None:
        self._zi = None

    def process_rows(self, x: FloatArray) -> None:
        """Filter ``x`` (shape ``(channels, n)``, C-contiguous float64) along time, in place.

        The same recursion as ``process`` without the copies and transposes around it, for
        callers that lay their signals out channel by channel anyway.
        """
        if x.shape[1] == 0:
            return
        if self._zi is None:
            self._zi = np.ascontiguousarray(self._zi_unit[None, :, :] * x[:, 0][:, None, None])
        if _sosfilt_kernel is not None:
            _sosfilt_kernel(self._sos, x, self._zi)
        else:  # pragma: no cover - SciPy without the private kernel
            x[:] = self.process(x.T).T

    def process(self, x: FloatArray) -> FloatArray:
        """Filter ``x`` (shape ``(n,)``, or ``(n, channels)``) along time."""
        if x.shape[0] == 0:
            return np.array(x, dtype=np.float64, copy=True)
        x2 = x[:, None] if x.ndim == 1 else x
        if self._zi is None:
            self._zi = np.ascontiguousarray(self._zi_unit[None, :, :] * x2[0][:, None, None])
        if _sosfilt_kernel is not None:
            # Always a copy: the kernel filters in place.
            y = np.array(x2.T, dtype=np.float64, order="C", copy=True)
            _sosfilt_kernel(self._sos, y, self._zi)
            out: FloatArray = y.T
        else:  # pragma: no cover - SciPy without the private kernel
            out, zi = signal.sosfilt(self._sos, x2, axis=0, zi=self._zi.transpose(1, 2, 0))
            self._zi = np.ascontiguousarray(zi.transpose(2, 0, 1))
        return out[:, 0] if x.ndim == 1 else out


class RingBuffer:
    """A fixed-capacity history of rows (time plus values), oldest first.

    Detectors keep the last few seconds here to look back over when a candidate is confirmed;
    memory stays bounded however long the stream runs.
    """

    def __init__(self, capacity: int, width: int) -> None:
        self.capacity = capacity
        self._buf = np.zeros((capacity, width))
        self._start = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self._start = 0
        self._size = 0

    def extend(self, rows: FloatArray) -> None:
        if rows.shape[0] > self.capacity:
            rows = rows[-self.capacity :]
        n = rows.shape[0]
        if n == 0:
            return
        end = (self._start + self._size) % self.capacity
        first = min(n, self.capacity - end)
        if first == n:
            self._buf[end : end + n] = rows
        else:
            self._buf[end : end + first] = rows[:first]
            self._buf[: n - first] = rows[first:]
        overflow = max(0, self._size + n - self.capacity)
        self._start = (self._start + overflow) % self.capacity
        self._size = min(self.capacity, self._size + n)

    def view(self) -> FloatArray:
        """The held rows, oldest first (a copy)."""
        idx = (self._start + np.arange(self._size)) % self.capacity
        out: FloatArray = self._buf[idx]
        return out


class Pipeline:
    """Feed one sample stream to several detectors and merge their events in emission order.

    Rows with non-finite values are dropped (they become gaps) before any detector sees them.
    """

    def __init__(self, info: StreamInfo, detectors: Sequence[Detector]) -> None:
        self.info = info
        self.detectors = list(detectors)
        self.samples_seen = 0
        self.samples_dropped = 0

    @property
    def latency_s(self) -> float:
        return max((d.latency_s for d in self.detectors), default=0.0)

    def update(self, chunk: Samples) -> list[Event]:
        global _checked
        clean = finite_rows(chunk)
        n = len(chunk)
        kept = len(clean)
        self.samples_seen += n
        self.samples_dropped += n - kept
        if kept == 0:
            return []
        events: list[Event] = []
        _checked = (clean, None)
        try:
            for detector in self.detectors:
                events.extend(detector.update(clean))
        finally:
            _checked = None
        return sort_events(events) if len(events) > 1 else events

    def flush(self) -> list[Event]:
        events: list[Event] = []
        for detector in self.detectors:
            events.extend(detector.flush())
        return sort_events(events)


def run_stream(detector: Detector | Pipeline, chunks: Iterable[Samples]) -> list[Event]:
    """Feed ``chunks`` in order, then flush; all events in emission order."""
    events: list[Event] = []
    for chunk in chunks:
        events.extend(detector.update(chunk))
    events.extend(detector.flush())
    return sort_events(events)


def run_batch(detector: Detector | Pipeline, samples: Samples) -> list[Event]:
    """The batch function: the stream fed in one go."""
    return run_stream(detector, [samples])
