"""Score the detectors on labelled fixtures, for accuracy tests in any test module.

Examples
--------
>>> from tests.accuracy import evaluate_fixtures  # doctest: +SKIP
>>> report = evaluate_fixtures("walk_*")  # doctest: +SKIP
>>> assert report.score("step").f1 >= 0.98, report.markdown()  # doctest: +SKIP

Patterns are globbed in ``tests/data/sim`` (``"walk_*"``, ``"*_shank_*"``); paths are used as
given (the real recordings: ``tests.paths.real_recordings()``). Each file runs through the
real pipeline (``retrosense evaluate``'s code), so these are end-to-end figures.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.evaluate import PLAIN, Miss, RecordingScore, TypeScore, check_targets, pool
from analysis.types import Samples, StreamInfo
from sensor.evaluation import EvaluationOptions, evaluate_file, format_markdown
from sensor.recording import RecordingReader, to_body
from tests.paths import DATA

SIM = DATA / "sim"


@dataclass(frozen=True)
class AccuracyReport:
    """Scores of a set of recordings."""

    recordings: tuple[RecordingScore, ...]

    def score(self, type_: str, group: str | None = None) -> TypeScore:
        """Pooled score of one type over all recordings (or one group, ``"sim chest 100 Hz"``)."""
        recs = [r for r in self.recordings if group is None or r.group == group]
        if not recs:
            raise KeyError(f"no recordings in group {group!r}")
        return pool(recs, key="all")["all"][type_]

    def by_name(self, name: str) -> RecordingScore:
        """The recording itself (not a variant of it) of that name or stem."""
        for rec in self.recordings:
            if rec.variant == PLAIN and (rec.name == name or Path(rec.name).stem == name):
                return rec
        raise KeyError(name)

    def misses(self) -> list[Miss]:
        """Every target missed, per group."""
        return check_targets(self.recordings)

    def markdown(self) -> str:
        """The README table; handy as an assertion message."""
        return format_markdown(self.recordings)


def read_body(path: Path) -> tuple[Samples, StreamInfo]:
    """A whole recording in the body frame (its ``body_axes`` applied) and its stream info."""
    reader = RecordingReader(path)
    return to_body(reader.read_all(), reader.header.axes_matrix), reader.stream_info()


def turned(samples: Samples, yaw_deg: float) -> Samples:
    """The samples of a band worn turned by ``yaw_deg`` about its body frame's vertical (the
    trunk's up, a shank's long axis), towards the left."""
    y = math.radians(yaw_deg)
    m = np.array([[math.cos(y), -math.sin(y), 0.0], [math.sin(y), math.cos(y), 0.0], [0, 0, 1]])
    gyro = None if samples.gyro_dps is None else samples.gyro_dps @ m.T
    return Samples(samples.time_s, samples.acc_g @ m.T, gyro)


def fixture_paths(patterns: str | Iterable[str | Path]) -> list[Path]:
    """Recording CSVs: glob patterns under tests/data/sim, or paths as given."""
    items = [patterns] if isinstance(patterns, (str, Path)) else list(patterns)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.exists():
            out.append(p)
            continue
        pattern = str(item) if str(item).endswith(".csv") else f"{item}.csv"
        found = sorted(SIM.glob(pattern))
        if not found:
            raise FileNotFoundError(f"no fixture matches {item!r} in {SIM}")
        out.extend(found)
    return out


@functools.lru_cache(maxsize=512)
def _evaluate_cached(path: str, mtime_ns: int, variants: bool) -> tuple[RecordingScore, ...]:
    return evaluate_file(path, options=EvaluationOptions(variants=variants))


def evaluate_fixtures(
    patterns: str | Sequence[str | Path], variants: bool = False
) -> AccuracyReport:
    """Run the detectors over the matching recordings and score them against their labels.

    With ``variants``, real forward walks are also scored played backward in time, with
    packet-loss gaps cut in and resampled to 25 Hz (``sensor.evaluation``). Results are
    cached per file (and its modification time) for the test session, so several test
    modules can ask for the same fixtures without running them twice.
    """
    paths = fixture_paths(patterns)
    return AccuracyReport(
        tuple(
            rec for p in paths for rec in _evaluate_cached(str(p), p.stat().st_mtime_ns, variants)
        )
    )
