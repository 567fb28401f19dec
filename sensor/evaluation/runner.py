"""Run the detectors over labelled recordings and score their events.

Each recording is read once, held in memory and run through the same session as
``retrosense analyze`` (``sensor.session.analyze_source``); its events are scored against its
labels (``sensor.labels``) by ``analysis.evaluate``. A real forward walk is also scored
played backward in time, with packet-loss gaps cut in and thinned to a band's lowest rate
(``analysis.perturb``): the session runs on the altered samples, the labels are altered to
match. Files run in parallel over a process pool; the results keep the order of the files.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from analysis.evaluate import (
    GAPS,
    LOW_RATE,
    PLAIN,
    REVERSED,
    RecordingScore,
    Truth,
    moving_spans,
    score_gap_losses,
    score_recording,
)
from analysis.events import Event, StepEvent
from analysis.perturb import (
    GapPlan,
    cut_gaps,
    low_rate,
    low_rate_factor,
    reverse_samples,
    reverse_truth,
    reversible,
)
from analysis.types import Samples, StreamInfo
from sensor.errors import RecordingError
from sensor.labels import Labels, read_truth, truth_path_for
from sensor.sources import Source


@dataclass(frozen=True)
class EvaluationOptions:
    """What to run besides each recording itself, and on how many processes.

    ``variants``: score real forward walks played backward in time, with gaps cut in
    (``gap_plan``) and at a band's lowest rate. ``jobs``: processes (1 runs in this process).
    """

    variants: bool = True
    gap_plan: GapPlan = field(default_factory=GapPlan)
    jobs: int = 1

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {self.jobs}")


def expand_recordings(items: Sequence[str | Path]) -> list[str]:
    """Directories stand for the recording CSVs in them and in their subfolders that have
    labels beside them, in path order."""
    out: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = [str(c) for c in sorted(p.rglob("*.csv")) if truth_path_for(c).exists()]
            if not found:
                raise RecordingError(
                    p, None, "expected labelled recordings (*.csv with .truth.json)"
                )
            out.extend(found)
        else:
            out.append(str(item))
    return out


def _labels_for(recording: str | Path, labels: str | Path | None) -> Labels:
    if not Path(recording).exists():
        raise RecordingError(recording, None, "no such file")
    path = Path(labels) if labels is not None else truth_path_for(recording)
    if not path.exists():
        raise RecordingError(
            path, None, f"no labels for {recording}; expected this file or --labels"
        )
    return read_truth(path)


def read_samples(recording: str | Path) -> tuple[Samples, Source]:
    """A whole recording in the body frame, and its source (for its stream description)."""
    from sensor.sources import open_source

    source = open_source(recording)
    return Samples.concat(list(source.body_chunks())), source


@dataclass(frozen=True)
class _Held:
    """A file's source with its samples held in memory: as read, played backward, with
    gaps cut in, or thinned (``rate_hz``: the rate they are at then)."""

    original: Source
    samples: Samples
    rate_hz: float | None = None

    @property
    def info(self) -> StreamInfo:
        if self.rate_hz is None:
            return self.original.info
        return replace(self.original.info, sample_rate_hz=self.rate_hz)

    @property
    def name(self) -> str:
        return self.original.name

    @property
    def band_id(self) -> str:
        return self.original.band_id

    def body_chunks(self) -> Iterator[Samples]:
        from sensor.recording import CHUNK_ROWS

        return iter(self.samples.chunks(CHUNK_ROWS))


def detect(
    source: Source, samples: Samples, rate_hz: float | None = None
) -> tuple[list[Event], float]:
    """The events ``analyze`` finds in ``source`` with its samples replaced by ``samples``
    (the same session, fed the chunks a recording is read in; the events do not depend on
    the chunking), and the duration it saw. ``rate_hz``: the samples' rate, where it is not
    the source's."""
    from sensor.session import analyze_source

    session = analyze_source(_Held(source, samples, rate_hz))
    return session.events, session.duration_s


def score_events(
    labels: Labels,
    truth: Truth,
    events: Sequence[Event],
    name: str,
    info: StreamInfo,
    duration_s: float,
    variant: str,
    moving: Sequence[tuple[float, float]] = (),
) -> RecordingScore:
    """Score ``events`` found in a recording (or a ``variant`` of it, at ``info``'s rate)
    against ``truth``, the recording's labels or their variant."""
    return score_recording(
        truth,
        events,
        name=name,
        placement=info.placement.value,
        sample_rate_hz=info.sample_rate_hz,
        has_gyro=info.has_gyro,
        duration_s=duration_s,
        origin=labels.origin,
        site=labels.site,
        variant=variant,
        moving=moving,
    )


def _step_times(events: Sequence[Event]) -> list[float]:
    return [e.t for e in events if isinstance(e, StepEvent)]


def evaluate_file(
    recording: str | Path,
    labels: str | Path | None = None,
    options: EvaluationOptions = EvaluationOptions(),
) -> tuple[RecordingScore, ...]:
    """Score one recording against its labels, and its variants (``EvaluationOptions``)."""
    lab = _labels_for(recording, labels)
    truth = lab.truth
    name = Path(recording).name
    samples, source = read_samples(recording)
    events, duration_s = detect(source, samples)
    info = source.info
    moving = moving_spans(samples.time_s, samples.acc_g) if truth.segments else []
    plain = score_events(lab, truth, events, name, info, duration_s, PLAIN, moving)
    if not (options.variants and lab.origin == "real" and reversible(truth)):
        return (plain,)
    t_first, t_last = float(samples.time_s[0]), float(samples.time_s[-1])
    back = score_events(
        lab,
        reverse_truth(truth, t_first, t_last),
        detect(source, reverse_samples(samples))[0],
        name,
        info,
        duration_s,
        REVERSED,
    )
    out = [plain, back]
    walks = [(b.start, b.end) for b in truth.walk_bouts]
    plan = replace(options.gap_plan, seed=options.gap_plan.seed * 2**32 + zlib.crc32(name.encode()))
    cut, gaps = cut_gaps(samples, walks, plan)
    if gaps:
        gapped_events, _ = detect(source, cut)
        gapped = score_events(lab, truth, gapped_events, name, info, duration_s, GAPS)
        intact = _step_times(events)
        reference = [s.t - truth.step_label_lag_s for s in truth.steps] if truth.steps else intact
        found, lost = score_gap_losses(
            reference, intact, _step_times(gapped_events), [(g.before_s, g.after_s) for g in gaps]
        )
        step = replace(
            gapped.scores["step"], gaps_cut=len(gaps), after_gap_found=found, after_gap_lost=lost
        )
        out.append(replace(gapped, scores={**gapped.scores, "step": step}))
    factor = low_rate_factor(info.sample_rate_hz)
    if factor is not None:
        rate_hz = info.sample_rate_hz / factor
        thinned, _ = detect(source, low_rate(samples, info.sample_rate_hz, factor), rate_hz)
        slow = replace(info, sample_rate_hz=rate_hz)
        out.append(score_events(lab, truth, thinned, name, slow, duration_s, LOW_RATE))
    return tuple(out)


def evaluate_recording(recording: str | Path, labels: str | Path | None = None) -> RecordingScore:
    """Score one recording against its labels (no variants)."""
    return evaluate_file(recording, labels, EvaluationOptions(variants=False))[0]


@dataclass(frozen=True)
class _Failure:
    """A user's bad file met in a worker process, carried back to be raised there (a
    ``RecordingError`` does not survive pickling: its constructor takes three arguments)."""

    path: str
    line: int | None
    expected: str


def _job(
    recording: str, labels: str | None, options: EvaluationOptions
) -> tuple[RecordingScore, ...] | _Failure:
    try:
        return evaluate_file(recording, labels, options)
    except RecordingError as err:
        return _Failure(err.path, err.line, err.expected)


def _quiet_worker() -> None:
    # Several processes drawing progress bars on one terminal would garble each other.
    os.environ["RETROSENSE_PROGRESS"] = "0"


def evaluate_files(
    recordings: Sequence[str | Path],
    labels: Sequence[str | Path] | None = None,
    options: EvaluationOptions = EvaluationOptions(),
) -> list[RecordingScore]:
    """``evaluate_file`` for each file (labels by position, or beside each file), in the
    order of the files, each followed by its variants."""
    if labels and len(labels) != len(recordings):
        raise RecordingError(
            str(labels[0]),
            None,
            f"--labels: expected one labels file per recording ({len(recordings)}), "
            f"got {len(labels)}",
        )
    jobs = [(str(r), str(labels[i]) if labels else None) for i, r in enumerate(recordings)]
    for recording, label in jobs:
        _labels_for(recording, label)  # a missing or bad labels file fails before any work
    if options.jobs == 1 or len(jobs) < 2:
        results = [_job(r, lab, options) for r, lab in jobs]
    else:
        # Largest files first, so that no long file starts last.
        order = sorted(range(len(jobs)), key=lambda i: -Path(jobs[i][0]).stat().st_size)
        # Forked where this process runs no other thread (cheap: the detectors are loaded);
        # a fork would copy other threads' held locks, so then from a fork server.
        method = "fork" if threading.active_count() == 1 else "forkserver"
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(
            max_workers=min(options.jobs, len(jobs)),
            mp_context=context,
            initializer=_quiet_worker,
        ) as pool:
            futures: dict[int, Future[tuple[RecordingScore, ...] | _Failure]] = {
                i: pool.submit(_job, *jobs[i], options) for i in order
            }
            results = [futures[i].result() for i in range(len(jobs))]
    out: list[RecordingScore] = []
    for result in results:
        if isinstance(result, _Failure):
            raise RecordingError(result.path, result.line, result.expected)
        out.extend(result)
    return out
