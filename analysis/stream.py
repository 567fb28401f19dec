"""The streaming detector shape, its helpers, and the pipeline that runs detectors together.

A detector is constructed from a frozen ``Params`` and a ``StreamInfo``, keeps its state
explicitly, and offers ``update(chunk) -> list[Event]`` and ``flush() -> list[Event]``. The
batch run is the stream fed in one go (``run_batch``), so batch and streaming agree by
construction. Events must not depend on how the samples are chunked.

The plumbing every detector shares lives here, once: ``DetectorBase`` (clean rows, runs between
gaps, blocks), ``GapSplitter``, ``History`` (the last rows a detector looks back over),
``StreamingSOS`` (filters whose state carries across chunks), and the ``Pipeline``.
"""

from __future__ import annotations

import functools
import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import ClassVar, Protocol, runtime_checkable

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


def finite_rows(chunk: Samples) -> Samples:
    """Drop rows with a non-finite time or acceleration (and gyroscope, if present).

    Dropped rows become gaps in time, as lost packets do; no value is invented. The chunk
    remembers whether it is finite (``Samples.all_finite``), so the pipeline's detectors, which
    all see the chunk the pipeline checked, do not check it again.
    """
    if chunk.all_finite:
        return chunk
    ok = np.isfinite(chunk.time_s) & np.all(np.isfinite(chunk.acc_g), axis=1)
    if chunk.gyro_dps is not None:
        ok &= np.all(np.isfinite(chunk.gyro_dps), axis=1)
    return chunk.select(ok)


class GapSplitter:
    """Split a stream into runs of contiguous samples, remembering the last time across chunks.

    ``split(chunk)`` returns ``(segment, starts_after_gap)`` pairs. The first sample of the
    stream counts as starting after a gap, so a detector can treat "start" and "gap" alike.
    A step between samples larger than ``gap_periods`` nominal periods is a gap.
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
        if n == 1 or chunk.largest_step_s <= self.max_step_s:
            return [(chunk, starts_after_gap)]
        inner = t[1:] - t[:-1]
        breaks = (np.flatnonzero(inner > self.max_step_s) + 1).tolist()
        bounds = [0, *breaks, n]
        return [
            (chunk.slice(a, b), starts_after_gap if a == 0 else True)
            for a, b in itertools.pairwise(bounds)
        ]


class DetectorBase(ABC):
    """What every streaming detector shares: clean rows, runs between gaps, blocks.

    ``update`` drops non-finite rows (``finite_rows``), splits the chunk at gaps
    (``GapSplitter``), calls ``_restart`` at the first sample of the stream and after every gap,
    and hands each run of contiguous samples to ``_process`` in blocks of at most
    ``block_rows`` (``None``: whole), which bounds the working arrays however large a chunk
    arrives. A subclass sets ``params`` and implements ``latency_s``, ``_restart``,
    ``_process`` and ``flush``.
    """

    #: Largest block ``_process`` is given at a time (``None``: a whole run).
    block_rows: ClassVar[int | None] = None

    def __init__(self, info: StreamInfo, gap_periods: float = GAP_PERIODS) -> None:
        self.info = info
        self._gaps = GapSplitter(info.sample_rate_hz, gap_periods)

    @property
    @abstractmethod
    def latency_s(self) -> float:
        """Published algorithmic latency: the fixed look-ahead before a candidate is confirmed."""

    def update(self, chunk: Samples) -> list[Event]:
        """Consume the next samples; return the events they confirmed."""
        events: list[Event] = []
        block = self.block_rows
        for seg, after_gap in self._gaps.split(finite_rows(chunk)):
            if after_gap:
                self._restart(float(seg.time_s[0]), events)
            n = seg.time_s.shape[0]
            if block is None or n <= block:
                self._process(seg, events)
                continue
            for a in range(0, n, block):
                self._process(seg.slice(a, a + block), events)
        return events

    @abstractmethod
    def flush(self) -> list[Event]:
        """The stream has ended: return events still pending, if they can be decided."""

    @abstractmethod
    def _restart(self, t_s: float, events: list[Event]) -> None:
        """The stream starts, or goes on after a gap, at ``t_s``: forget signal state."""

    @abstractmethod
    def _process(self, block: Samples, events: list[Event]) -> None:
        """Consume contiguous samples (no gap inside, none before unless ``_restart`` said)."""


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


class History:
    """The last rows of a detector's signals (time in column 0, then its own), oldest first.

    Rows are addressed by their index in the stream (0 for the first row ever appended), so a
    detector's positions stay valid while old rows leave. ``append(n)`` hands out the next
    ``n`` rows to fill; ``forget_before`` and ``keep_last`` let old rows go; ``view`` reads
    the held rows without copying. The rows live in one preallocated buffer with ``spare``
    rows beyond those kept: new rows are written there, and the held rows move back to the
    buffer's start only when it is full (one copy per ``spare`` rows appended); a block
    larger than the spare rows gets a buffer of its size. Memory stays bounded however long
    the stream runs, as long as the detector lets rows go.

    A view stays valid until the next ``append``.
    """

    def __init__(self, keep: int, width: int, spare: int = 128) -> None:
        self.keep = keep
        self.width = width
        self._spare = spare
        self._buf: FloatArray = np.zeros((keep + spare, width))
        self._base = 0  # stream index of the buffer's first row
        self.first = 0  # stream index of the oldest held row
        self.end = 0  # stream index of the next row

    def __len__(self) -> int:
        return self.end - self.first

    def clear(self) -> None:
        """Let every held row go (after a gap); stream indices go on counting."""
        self.first = self.end

    def forget_before(self, index: int) -> None:
        """Let the rows before stream index ``index`` go."""
        if index > self.first:
            self.first = min(index, self.end)

    def keep_last(self, n: int) -> None:
        """Hold at most the newest ``n`` rows."""
        self.forget_before(self.end - n)

    def append(self, n: int) -> FloatArray:
        """The next ``n`` rows, to be filled by the caller (a view into the buffer).

        Rows past the held ones may still hold old values: the caller writes every column
        it reads.
        """
        r = self.end - self._base
        if r + n > self._buf.shape[0]:
            held = self.end - self.first
            first = self.first - self._base
            buf = self._buf
            if held + n > buf.shape[0]:
                buf = np.zeros((max(self.keep, held) + n + self._spare, self.width))
            buf[:held] = self._buf[first : first + held]
            self._buf = buf
            self._base = self.first
            r = held
        self.end += n
        out: FloatArray = self._buf[r : r + n]
        return out

    def extend(self, rows: FloatArray) -> None:
        """Append ``rows`` (shape ``(n, width)``)."""
        self.append(rows.shape[0])[:] = rows

    def view(self) -> FloatArray:
        """The held rows, oldest first (a view)."""
        out: FloatArray = self._buf[self.first - self._base : self.end - self._base]
        return out

    def rows(self, start: int, stop: int) -> FloatArray:
        """Rows by stream index ``start:stop`` (a view); ``start`` may reach back before the
        held rows as far as the buffer still holds them."""
        assert start >= self._base, "rows no longer in the buffer"
        out: FloatArray = self._buf[start - self._base : stop - self._base]
        return out

    def between(self, t0: float, t1: float) -> FloatArray:
        """Held rows with ``t0 <= time < t1`` (a view)."""
        rows = self.view()
        i, j = np.searchsorted(rows[:, 0], [t0, t1], side="left")
        out: FloatArray = rows[int(i) : int(j)]
        return out


@runtime_checkable
class Stage(Protocol):
    """What the pipeline needs of a stage after the detectors (``analysis.activity``): it
    sees the samples the detectors saw and their events in emission order, and returns the
    events it keeps plus its own, in emission order."""

    def update(self, chunk: Samples, events: list[Event]) -> list[Event]: ...

    def flush(self, events: list[Event]) -> list[Event]: ...


class Pipeline:
    """Feed one sample stream to several detectors and merge their events in emission order.

    Rows with non-finite values are dropped (they become gaps) before any detector sees them.
    A ``stage`` after the detectors (the activity stage) gets the same rows and the merged
    events, and may take events out and add its own; it adds no latency to the events.
    """

    def __init__(
        self, info: StreamInfo, detectors: Sequence[Detector], stage: Stage | None = None
    ) -> None:
        self.info = info
        self.detectors = list(detectors)
        self.stage = stage
        self.samples_seen = 0
        self.samples_dropped = 0

    @property
    def latency_s(self) -> float:
        return max((d.latency_s for d in self.detectors), default=0.0)

    def update(self, chunk: Samples) -> list[Event]:
        clean = finite_rows(chunk)
        n = len(chunk)
        kept = len(clean)
        self.samples_seen += n
        self.samples_dropped += n - kept
        if kept == 0:
            return []
        events: list[Event] = []
        for detector in self.detectors:
            events.extend(detector.update(clean))
        if len(events) > 1:
            events = sort_events(events)
        if self.stage is not None:
            events = self.stage.update(clean, events)
            if len(events) > 1:
                events = sort_events(events)
        return events

    def flush(self) -> list[Event]:
        events: list[Event] = []
        for detector in self.detectors:
            events.extend(detector.flush())
        events = sort_events(events)
        if self.stage is not None:
            events = sort_events(self.stage.flush(events))
        return events


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
