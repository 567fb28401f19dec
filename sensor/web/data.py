"""What a session report shows, from a file, a folder of a ``run`` session, or a live session.

A report is fed by the one session pipeline (``sensor.session.Session``): ``SignalKeeper`` is
a session sink that keeps the body-frame signal and heart rate the report draws, and
``band_session`` takes the finished session's events and summary beside them. So a report
shows exactly the events and summary ``analyze`` gives for the same file and configuration,
and the demo writes its report from the session it publishes. Needs no web library: the HTML
is ``sensor.web.report``'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.events import Event
from analysis.landing import LandingParams
from analysis.types import FloatArray, Placement, Samples
from sensor.errors import RecordingError
from sensor.session import SessionSettings, SessionSink

if TYPE_CHECKING:
    from sensor.session import Session
    from sensor.sources import Source, SourceOptions

#: File names ``run`` gives a band's session files: ``<UTC start>_<band id>.<kind>``.
SESSION_FILE = re.compile(
    r"^(?P<stamp>\d{8}T\d{6}Z)_(?P<band>.+?)(?P<kind>\.capture\.jsonl|\.csv)$"
)


@dataclass(frozen=True)
class BandSession:
    """One band's finished session: where it came from, its events, summary and signal."""

    #: The file it was read from (the recording, for a live session that kept one).
    path: Path | None
    band_id: str
    name: str
    placement: Placement
    sample_rate_hz: float
    has_gyro: bool
    #: The band's ``time_s = 0`` as ISO 8601 text, where known.
    started: str | None
    events: list[Event]
    #: The session's summary (``Session.summary``: ``SessionSummary.to_dict`` and more).
    summary: dict[str, Any]
    #: Sample times (s) and body-frame acceleration (g, columns forward, left, up).
    time_s: FloatArray
    acc_g: FloatArray
    #: Heart-rate readings: times (s) and bpm.
    hr_t_s: FloatArray
    hr_bpm: FloatArray
    settings: SessionSettings
    landing: LandingParams = field(default_factory=LandingParams)


class SignalKeeper(SessionSink):
    """A session sink that keeps what the report draws: the body-frame signal, heart rate.

    Acceleration is kept as float32 (0.1 µg at 8 g, far below any band's resolution): two
    hours at 100 Hz take about 14 MB.
    """

    def __init__(self) -> None:
        self._t: list[FloatArray] = []
        self._acc: list[Any] = []
        self._hr_t: list[float] = []
        self._hr: list[float] = []

    def samples(self, session: Session, body: Samples, sensor: Samples | None) -> None:
        self._t.append(np.array(body.time_s, dtype=np.float64))
        self._acc.append(body.acc_g.astype(np.float32))

    def heart_rate(self, session: Session, t: float, bpm: float, rr_s: Sequence[float]) -> None:
        self._hr_t.append(t)
        self._hr.append(bpm)

    def signal(self) -> tuple[FloatArray, FloatArray]:
        """All sample times and body-frame acceleration so far."""
        if not self._t:
            return np.empty(0), np.empty((0, 3))
        return np.concatenate(self._t), np.concatenate(self._acc).astype(np.float64)

    def heart(self) -> tuple[FloatArray, FloatArray]:
        t = np.asarray(self._hr_t, dtype=np.float64)
        bpm = np.asarray(self._hr, dtype=np.float64)
        ok = np.isfinite(bpm) & (bpm > 0)
        return t[ok], bpm[ok]


def band_session(
    session: Session,
    keeper: SignalKeeper,
    *,
    path: Path | None = None,
    started: str | None = None,
) -> BandSession:
    """A finished session and what its ``SignalKeeper`` kept, as the report takes them.

    ``started``: when the band's ``time_s = 0`` was, where known (a file's header, a live
    band's connection); a file without one has no day.
    """
    if session.summary is None or session.info is None:
        raise RecordingError(
            path or session.band_id, None, "expected a session with samples and a summary"
        )
    time_s, acc = keeper.signal()
    hr_t, hr_bpm = keeper.heart()
    return BandSession(
        path=path,
        band_id=session.band_id,
        name=session.band.name or session.band_id,
        placement=session.info.placement,
        sample_rate_hz=session.info.sample_rate_hz,
        has_gyro=session.info.has_gyro,
        started=started,
        events=list(session.events),
        summary=session.summary,
        time_s=time_s,
        acc_g=acc,
        hr_t_s=hr_t,
        hr_bpm=hr_bpm,
        settings=session.settings,
    )


def session_files(path: Path) -> list[Path]:
    """The files a report covers: ``path`` itself, or the newest session in a folder.

    A folder of ``run`` sessions holds ``<UTC start>_<band id>.csv`` per band (and a
    ``.capture.jsonl`` where raw capture was on): the report covers every band of the newest
    start, each from its recording CSV, else from its raw capture.
    """
    if not path.is_dir():
        return [path]
    found: dict[str, dict[str, Path]] = {}
    for p in sorted(path.iterdir()):
        m = SESSION_FILE.match(p.name)
        if m:
            bands = found.setdefault(m["stamp"], {})
            if m["kind"] == ".csv" or m["band"] not in bands:
                bands[m["band"]] = p
    if not found:
        raise RecordingError(
            path,
            None,
            "expected a folder of `retrosense run` sessions (<UTC start>_<band id>.csv), "
            "found none",
        )
    newest = found[max(found)]
    return [newest[band] for band in sorted(newest)]


def load_band_sessions(
    path: str | Path,
    settings: SessionSettings | None = None,
    options: SourceOptions | None = None,
) -> list[BandSession]:
    """Every band session ``path`` holds, each run through the session pipeline."""
    from sensor.sources import open_source

    out = []
    for file in session_files(Path(path)):
        source = open_source(file, options)
        out.append(analyze_for_report(source, settings, path=file))
    return out


def analyze_for_report(
    source: Source, settings: SessionSettings | None = None, *, path: Path | None = None
) -> BandSession:
    """``analyze``'s session over ``source``, with a ``SignalKeeper`` beside it."""
    from sensor.session import analyze_source

    keeper = SignalKeeper()
    session = analyze_source(source, settings, sinks=[keeper], progress=path)
    return band_session(session, keeper, path=path, started=_started(source))


def _started(source: object) -> str | None:
    """The file's own start time, where its header has one (recording CSV, raw capture)."""
    reader = getattr(source, "reader", None)
    header = getattr(reader, "header", None)
    started = getattr(header, "started", None)
    return started if isinstance(started, str) and started else None
