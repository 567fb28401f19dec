"""What a session report shows, read from a file or a folder of a ``run`` session.

``load_band_sessions`` is the one door from files to the report: it runs each file through the
same session pipeline as ``analyze`` (the configured ``[detectors]``, ``[wearer]``,
``[energy]`` and ``[hr_zones]``) and keeps, beside the events and the summary, the body-frame
signal the report draws. Needs no web library: the HTML is ``sensor.web.report``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.events import Event
from analysis.landing import LandingParams
from analysis.registry import AnalysisParams
from analysis.summary import SessionSummary, SummaryParams, Wearer
from analysis.types import FloatArray, Placement
from sensor.errors import RecordingError
from sensor.progress import track_chunks
from sensor.sources import SourceOptions, open_source

#: File names ``run`` gives a band's session files: ``<UTC start>_<band id>.<kind>``.
SESSION_FILE = re.compile(
    r"^(?P<stamp>\d{8}T\d{6}Z)_(?P<band>.+?)(?P<kind>\.capture\.jsonl|\.csv)$"
)


@dataclass(frozen=True)
class SessionSettings:
    """What the configuration says about analysing a session (``run``'s own settings)."""

    detectors: AnalysisParams
    summary: SummaryParams
    wearer: Wearer
    landing: LandingParams

    @staticmethod
    def defaults() -> SessionSettings:
        return SessionSettings(AnalysisParams(), SummaryParams(), Wearer(), LandingParams())


@dataclass(frozen=True)
class BandSession:
    """One band's session: where it came from, its events, summary and signal."""

    path: Path
    name: str
    placement: Placement
    sample_rate_hz: float
    has_gyro: bool
    #: The band's ``time_s = 0`` as ISO 8601 text, where the file says.
    started: str | None
    events: list[Event]
    summary: SessionSummary
    #: Sample times (s) and body-frame acceleration (g, columns forward, left, up).
    time_s: FloatArray
    acc_g: FloatArray
    #: Heart-rate readings: times (s) and bpm.
    hr_t_s: FloatArray
    hr_bpm: FloatArray
    settings: SessionSettings


def session_settings(config_file: str | None) -> SessionSettings:
    """The configuration's analysis settings (``--config``, else the user's file, as ``run``)."""
    from sensor.config import load_config
    from sensor.service import summary_params, wearer

    cfg = load_config(config_file).config
    return SessionSettings(cfg.detectors, summary_params(cfg), wearer(cfg), LandingParams())


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
            found.setdefault(m["stamp"], {}).setdefault(m["band"], p)
            if m["kind"] == ".csv":
                found[m["stamp"]][m["band"]] = p
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
    """Every band session ``path`` holds, analysed (see ``session_files``)."""
    settings = settings or SessionSettings.defaults()
    return [load_band_session(p, settings, options) for p in session_files(Path(path))]


def load_band_session(
    path: Path, settings: SessionSettings, options: SourceOptions | None = None
) -> BandSession:
    """One file through the session pipeline: events, summary, signal and heart rate."""
    # The detectors pull in scipy.signal: imported here, not when the command line starts.
    from analysis.registry import build_pipeline
    from analysis.summary import summarize_session

    source = open_source(path, options)
    info = source.info
    pipeline = build_pipeline(info, settings.detectors)
    events: list[Event] = []
    times: list[FloatArray] = []
    accs: list[FloatArray] = []
    hr_t: list[FloatArray] = []
    hr_v: list[FloatArray] = []
    for chunk in track_chunks(source.body_chunks(), str(path)):
        if len(chunk) == 0:
            continue
        times.append(chunk.time_s)
        accs.append(chunk.acc_g.astype(np.float32))
        if chunk.hr_bpm is not None:
            ok = np.isfinite(chunk.hr_bpm)
            hr_t.append(chunk.time_s[ok])
            hr_v.append(chunk.hr_bpm[ok])
        events.extend(pipeline.update(chunk))
    events.extend(pipeline.flush())
    time_s = np.concatenate(times) if times else np.empty(0)
    acc = np.concatenate(accs).astype(np.float64) if accs else np.empty((0, 3))
    hr_times = np.concatenate(hr_t) if hr_t else np.empty(0)
    hr_bpm = np.concatenate(hr_v) if hr_v else np.empty(0)
    start = float(time_s[0]) if len(time_s) else 0.0
    end = float(time_s[-1]) if len(time_s) else 0.0
    summary = summarize_session(
        events,
        start_s=start,
        end_s=end,
        hr_t_s=hr_times if len(hr_times) else None,
        hr_bpm=hr_bpm if len(hr_bpm) else None,
        wearer=settings.wearer,
        params=settings.summary,
    )
    return BandSession(
        path=path,
        name=source.name,
        placement=info.placement,
        sample_rate_hz=info.sample_rate_hz,
        has_gyro=info.has_gyro,
        started=_started(source),
        events=events,
        summary=summary,
        time_s=time_s,
        acc_g=acc,
        hr_t_s=hr_times,
        hr_bpm=hr_bpm,
        settings=settings,
    )


def _started(source: object) -> str | None:
    """The file's own start time, where its header has one (recording CSV, raw capture)."""
    reader = getattr(source, "reader", None)
    header = getattr(reader, "header", None)
    started = getattr(header, "started", None)
    return started if isinstance(started, str) and started else None
