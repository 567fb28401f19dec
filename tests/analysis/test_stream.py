"""The pipeline and the streaming helpers, proved with a small reference detector."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from analysis.events import Event
from analysis.stream import (
    DetectorBase,
    GapSplitter,
    History,
    Pipeline,
    StreamingSOS,
    run_batch,
    run_stream,
)
from analysis.types import Placement, Samples, StreamInfo
from tests.analysis import detector_contract as contract


@dataclass(frozen=True, kw_only=True)
class BumpEvent(Event):
    type: ClassVar[str] = "bump"
    peak_g: float


@dataclass(frozen=True)
class BumpParams:
    threshold_g: float = 1.5
    lookahead_s: float = 0.1

    def __post_init__(self) -> None:
        if self.threshold_g <= 0 or self.lookahead_s <= 0:
            raise ValueError("threshold_g and lookahead_s must be positive")


class BumpDetector(DetectorBase):
    """Reference detector: a local maximum of filtered |a| above a threshold, confirmed after a
    fixed look-ahead with no higher sample. Keeps its state explicitly; resets at gaps."""

    block_rows = 50  # exercised by the contract's large chunks

    def __init__(self, params: BumpParams, info: StreamInfo) -> None:
        super().__init__(info)
        self.params = params
        self._lp = StreamingSOS(signal.butter(2, 10.0, fs=info.sample_rate_hz, output="sos"))
        self._candidate: tuple[float, float] | None = None  # (t, value)

    @property
    def latency_s(self) -> float:
        return self.params.lookahead_s

    def _restart(self, t_s: float, events: list[Event]) -> None:
        self._lp.reset()
        self._candidate = None

    def _process(self, block: Samples, events: list[Event]) -> None:
        mag = self._lp.process(np.linalg.norm(block.acc_g, axis=1))
        for t, v in zip(block.time_s.tolist(), mag.tolist(), strict=True):
            c = self._candidate
            if c is not None and t - c[0] >= self.params.lookahead_s:
                events.append(BumpEvent(t=c[0], detected_at=t, peak_g=c[1]))
                self._candidate = c = None
            if v > self.params.threshold_g and (c is None or v > c[1]):
                self._candidate = (t, v)

    def flush(self) -> list[Event]:
        self._candidate = None
        return []


INFO = StreamInfo(sample_rate_hz=100.0, placement=Placement.CHEST)


def bumps_recording(seed: int = 7) -> Samples:
    rng = np.random.default_rng(seed)
    t = np.arange(3000) / 100.0
    acc = np.tile([0.0, 0.0, 1.0], (t.size, 1)) + rng.normal(0, 0.02, (t.size, 3))
    for centre in (2.0, 7.3, 11.1, 19.6, 25.0):
        acc[:, 2] += 1.5 * np.exp(-(((t - centre) / 0.03) ** 2))
    return Samples(time_s=t, acc_g=acc)


def make() -> BumpDetector:
    return BumpDetector(BumpParams(), INFO)


def test_reference_detector_finds_the_bumps() -> None:
    events = run_batch(make(), bumps_recording())
    assert [round(e.t, 1) for e in events] == [2.0, 7.3, 11.1, 19.6, 25.0]
    for e in events:
        assert e.detected_at == pytest.approx(e.t + 0.1, abs=0.011)


def test_reference_detector_keeps_the_contract() -> None:
    contract.check_all(make, bumps_recording())


def test_gap_splitter_marks_gaps_across_chunks() -> None:
    t = np.array([0.0, 0.01, 0.02, 0.2, 0.21, 0.22])
    s = Samples(time_s=t, acc_g=np.zeros((6, 3)))
    splitter = GapSplitter(100.0)
    parts = (
        splitter.split(s.slice(0, 2))
        + splitter.split(s.slice(2, 4))
        + splitter.split(s.slice(4, 6))
    )
    starts = [(float(seg.time_s[0]), after) for seg, after in parts]
    assert starts == [(0.0, True), (0.02, False), (0.2, True), (0.21, False)]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 999), max_size=20))
def test_streaming_sos_equals_one_pass(cuts: list[int]) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1000, 3))
    sos = signal.butter(4, 5.0, fs=100.0, output="sos")
    whole = StreamingSOS(sos).process(x)
    f = StreamingSOS(sos)
    bounds = [0, *sorted(set(cuts)), 1000]
    parts = [f.process(x[a:b]) for a, b in itertools.pairwise(bounds)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_history_keeps_the_newest_rows_in_order_by_stream_index() -> None:
    hist = History(5, 1, spare=2)
    for block in (np.arange(3), np.arange(3, 4), np.arange(4, 11)):
        hist.extend(block[:, None].astype(float))
        hist.keep_last(5)
    assert hist.view()[:, 0].tolist() == [6.0, 7.0, 8.0, 9.0, 10.0]
    assert (hist.first, hist.end, len(hist)) == (6, 11, 5)
    hist.extend(np.array([[11.0]]))
    hist.keep_last(5)
    assert hist.view()[:, 0].tolist() == [7.0, 8.0, 9.0, 10.0, 11.0]
    assert hist.rows(8, 10)[:, 0].tolist() == [8.0, 9.0]
    assert hist.between(8.5, 11.0)[:, 0].tolist() == [9.0, 10.0]
    hist.forget_before(10)
    assert hist.view()[:, 0].tolist() == [10.0, 11.0]
    hist.clear()
    assert len(hist) == 0 and hist.first == hist.end == 12


def test_history_keeps_rows_until_they_are_let_go() -> None:
    # A block larger than the spare rows gets a buffer of its size; nothing held is lost.
    hist = History(3, 2, spare=1)
    for start in range(0, 40, 8):
        rows = hist.append(8)
        rows[:, 0] = np.arange(start, start + 8)
        rows[:, 1] = -rows[:, 0]
    assert hist.view()[:, 0].tolist() == list(range(40))
    assert hist.view()[:, 1].tolist() == [-float(i) for i in range(40)]


def test_a_chunk_is_measured_once() -> None:
    t = np.array([0.0, 0.01, 0.05])
    s = Samples(time_s=t, acc_g=np.zeros((3, 3)))
    assert s.all_finite and s.largest_step_s == pytest.approx(0.04)
    assert Samples(time_s=np.array([0.0, np.nan]), acc_g=np.zeros((2, 3))).all_finite is False
    assert Samples.empty().largest_step_s == 0.0


def test_pipeline_merges_detectors_in_emission_order_and_drops_nan_rows() -> None:
    rec = bumps_recording()
    acc = rec.acc_g.copy()
    acc[100:110] = np.nan
    holed = Samples(time_s=rec.time_s, acc_g=acc)
    early = BumpDetector(BumpParams(lookahead_s=0.05), INFO)
    late = BumpDetector(BumpParams(lookahead_s=0.5), INFO)
    pipe = Pipeline(INFO, [late, early])
    events = run_stream(pipe, holed.chunks(64))
    assert len(events) == 10
    keys = [e.sort_key for e in events]
    assert keys == sorted(keys)
    assert pipe.samples_dropped == 10
    assert pipe.latency_s == 0.5


def test_params_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        BumpParams(threshold_g=-1.0)


@pytest.mark.parametrize("shape", [(500,), (500, 3)])
def test_streaming_sos_is_scipys_sosfilt(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape) + 1.0
    sos = signal.butter(4, [0.5, 3.0], btype="band", fs=100.0, output="sos")
    zi = signal.sosfilt_zi(sos)
    zi = zi * x[0] if x.ndim == 1 else zi[:, :, None] * x[0][None, None, :]
    expected, _ = signal.sosfilt(sos, x, axis=0, zi=zi)
    got = StreamingSOS(sos).process(x)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert not np.shares_memory(got, x)
