"""The contract every streaming detector keeps (STYLE.md, "Tests").

Detector test modules call these with a factory and a recording:
empty input, NaN and gaps, ``Params`` unchanged by a run, and chunk-size invariance (hypothesis
picks the split points; the events, ``detected_at`` included, must equal the batch run's).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.stream import Detector, run_batch, run_stream
from analysis.types import Samples

Factory = Callable[[], Detector]


def as_dicts(events: list[Any]) -> list[dict[str, Any]]:
    return [e.to_dict() for e in events]


def split_at(samples: Samples, cuts: list[int]) -> list[Samples]:
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(samples))), len(samples)]
    return [samples.slice(a, b) for a, b in itertools.pairwise(bounds)]


def check_empty_input(factory: Factory) -> None:
    detector = factory()
    assert detector.update(Samples.empty()) == []
    assert detector.flush() == []


def check_nan_and_gaps(factory: Factory, samples: Samples) -> list[Any]:
    """Feed NaN rows and a 2-second gap; the detector must go on and keep event times valid."""
    n = len(samples)
    acc = samples.acc_g.copy()
    acc[n // 3 : n // 3 + 5] = np.nan
    t = samples.time_s.copy()
    t[n // 2 :] += 2.0
    holed = Samples(
        time_s=t,
        acc_g=acc,
        gyro_dps=None if samples.gyro_dps is None else samples.gyro_dps.copy(),
        hr_bpm=samples.hr_bpm,
    )
    events = run_batch(factory(), holed)
    for e in events:
        assert np.isfinite(e.t) and np.isfinite(e.detected_at)
        assert e.detected_at >= e.t - 1e-9, "an event cannot be detected before it happens"
        assert t[0] <= e.t <= t[-1] + 1e-9
    return events


def check_params_unchanged(factory: Factory, samples: Samples) -> None:
    detector = factory()
    params = getattr(detector, "params", None)
    assert params is not None, "a detector exposes its frozen Params as .params"
    before = copy.deepcopy(params)
    run_batch(detector, samples)
    assert detector.params == before  # type: ignore[attr-defined]


def check_chunking_invariance(factory: Factory, samples: Samples, max_examples: int = 25) -> None:
    """Events equal the batch run's for one-sample chunks, BLE-sized chunks and random splits."""
    reference = as_dicts(run_batch(factory(), samples))
    assert as_dicts(run_stream(factory(), samples.chunks(1))) == reference
    for size in (7, 36, 73):
        assert as_dicts(run_stream(factory(), samples.chunks(size))) == reference

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(st.integers(min_value=1, max_value=max(1, len(samples) - 1)), max_size=40))
    def random_splits(cuts: list[int]) -> None:
        assert as_dicts(run_stream(factory(), split_at(samples, cuts))) == reference

    random_splits()


def check_all(factory: Factory, samples: Samples, max_examples: int = 25) -> None:
    check_empty_input(factory)
    check_nan_and_gaps(factory, samples)
    check_params_unchanged(factory, samples)
    check_chunking_invariance(factory, samples, max_examples)
