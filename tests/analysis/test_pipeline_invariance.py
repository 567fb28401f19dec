"""The whole pipeline of a placement — every registered detector — is chunking-invariant.

Detector modules prove the contract one by one; this proves it for the merged stream that
``analyze`` prints and the live service publishes, on real recordings and simulated fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.registry import build_pipeline
from analysis.stream import run_stream
from analysis.types import Samples, StreamInfo
from tests.accuracy import read_body
from tests.analysis.detector_contract import as_dicts, split_at
from tests.paths import DATA, real_recordings

#: At most this many seconds of each file: enough for several events of every kind.
WINDOW_S = 40.0


def recordings() -> list[Path]:
    sims = sorted((DATA / "sim").glob("*.csv"))
    # One simulated file per activity and placement is plenty; keep the run short.
    seen: set[str] = set()
    picked = []
    for p in sims:
        key = "_".join(p.stem.split("_")[:2])
        if key not in seen:
            seen.add(key)
            picked.append(p)
    return real_recordings() + picked


def load(path: Path) -> tuple[StreamInfo, Samples]:
    s, info = read_body(path)
    if path.name.startswith("mcginnis"):
        # The one jump is at 82 s: keep the window around it.
        keep = (s.time_s > 60.0) & (s.time_s < 60.0 + WINDOW_S)
    else:
        keep = s.time_s < s.time_s[0] + WINDOW_S
    return info, s.select(keep)


@pytest.mark.parametrize("path", recordings(), ids=lambda p: p.stem)
def test_any_chunking_gives_the_events_of_one_pass(path: Path) -> None:
    info, samples = load(path)

    def events(chunks: list[Samples]) -> list[dict[str, object]]:
        return as_dicts(run_stream(build_pipeline(info), chunks))

    reference = events([samples])
    assert events(samples.chunks(1)) == reference
    assert events(samples.chunks(10)) == reference

    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(st.integers(1, len(samples) - 1), max_size=30))
    def random_splits(cuts: list[int]) -> None:
        assert events(split_at(samples, cuts)) == reference

    random_splits()
