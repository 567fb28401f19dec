"""Pure analysis for retrosense: numpy/scipy in, typed events out.

Nothing in this package touches files, sockets, clocks or configuration files; ``sensor``
is the shell around it. The names below are its public Python API, for a notebook as much as
for the shell::

    from analysis import Placement, Samples, StreamInfo, build_pipeline, run_batch

    info = StreamInfo(sample_rate_hz=100.0, placement=Placement.CHEST)
    events = run_batch(build_pipeline(info), samples)  # samples: body-frame Samples

They are imported on first use, so that importing a light module (``analysis.types``, as the
command line does) does not load SciPy.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what a type checker sees; at run time ``__getattr__`` imports on demand
    from analysis.activity import ActivityParams as ActivityParams
    from analysis.activity import ActivityStage as ActivityStage
    from analysis.evaluate import RecordingScore as RecordingScore
    from analysis.evaluate import Tolerances as Tolerances
    from analysis.evaluate import Truth as Truth
    from analysis.evaluate import score_recording as score_recording
    from analysis.events import Activity as Activity
    from analysis.events import ActivityEvent as ActivityEvent
    from analysis.events import Direction as Direction
    from analysis.events import Event as Event
    from analysis.events import JumpEvent as JumpEvent
    from analysis.events import PedalBoutEvent as PedalBoutEvent
    from analysis.events import PedalReversalEvent as PedalReversalEvent
    from analysis.events import RevolutionEvent as RevolutionEvent
    from analysis.events import StepEvent as StepEvent
    from analysis.events import WalkBoutEvent as WalkBoutEvent
    from analysis.events import sort_events as sort_events
    from analysis.frame import parse_body_axes as parse_body_axes
    from analysis.frame import to_body_frame as to_body_frame
    from analysis.gait import gait_regularity as gait_regularity
    from analysis.gait import sagittal_rotation as sagittal_rotation
    from analysis.jumps import JumpDetector as JumpDetector
    from analysis.jumps import JumpParams as JumpParams
    from analysis.jumps import detect_jumps as detect_jumps
    from analysis.landing import Landing as Landing
    from analysis.landing import LandingJudgement as LandingJudgement
    from analysis.landing import LandingParams as LandingParams
    from analysis.landing import judge_landing as judge_landing
    from analysis.params import bounded as bounded
    from analysis.params import check_ranges as check_ranges
    from analysis.pedalling import PedallingDetector as PedallingDetector
    from analysis.pedalling import PedallingParams as PedallingParams
    from analysis.pedalling import detect_pedalling as detect_pedalling
    from analysis.program import CoachParams as CoachParams
    from analysis.program import Cue as Cue
    from analysis.program import CueKind as CueKind
    from analysis.program import Interval as Interval
    from analysis.program import IntervalActivity as IntervalActivity
    from analysis.program import IntervalResult as IntervalResult
    from analysis.program import Program as Program
    from analysis.program import ProgramFollower as ProgramFollower
    from analysis.registry import DETECTORS as DETECTORS
    from analysis.registry import AnalysisParams as AnalysisParams
    from analysis.registry import DetectorEntry as DetectorEntry
    from analysis.registry import build_detectors as build_detectors
    from analysis.registry import build_pipeline as build_pipeline
    from analysis.steps import FootStepDetector as FootStepDetector
    from analysis.steps import LegStepDetector as LegStepDetector
    from analysis.steps import OneLegDetector as OneLegDetector
    from analysis.steps import StepDetector as StepDetector
    from analysis.steps import StepParams as StepParams
    from analysis.steps import ThighStepDetector as ThighStepDetector
    from analysis.steps import TrunkStepDetector as TrunkStepDetector
    from analysis.steps import detect_steps as detect_steps
    from analysis.steps import leg_step_detector as leg_step_detector
    from analysis.stream import Detector as Detector
    from analysis.stream import DetectorBase as DetectorBase
    from analysis.stream import GapSplitter as GapSplitter
    from analysis.stream import History as History
    from analysis.stream import Pipeline as Pipeline
    from analysis.stream import StreamingSOS as StreamingSOS
    from analysis.stream import finite_rows as finite_rows
    from analysis.stream import run_batch as run_batch
    from analysis.stream import run_stream as run_stream
    from analysis.summary import ActivityIntervals as ActivityIntervals
    from analysis.summary import SessionSummary as SessionSummary
    from analysis.summary import SummaryParams as SummaryParams
    from analysis.summary import Wearer as Wearer
    from analysis.summary import activity_intervals as activity_intervals
    from analysis.summary import hr_zone_bounds_bpm as hr_zone_bounds_bpm
    from analysis.summary import step_cadence_series as step_cadence_series
    from analysis.summary import summarize_session as summarize_session
    from analysis.types import Placement as Placement
    from analysis.types import Samples as Samples
    from analysis.types import StreamInfo as StreamInfo
    from analysis.units import STANDARD_GRAVITY_M_S2 as STANDARD_GRAVITY_M_S2

#: Each public name and the module it lives in (a test keeps this, ``__all__`` and the
#: type checker's imports above the same).
_HOMES: dict[str, tuple[str, ...]] = {
    "analysis.types": ("Placement", "Samples", "StreamInfo"),
    "analysis.units": ("STANDARD_GRAVITY_M_S2",),
    "analysis.params": ("bounded", "check_ranges"),
    "analysis.events": (
        "Activity",
        "ActivityEvent",
        "Direction",
        "Event",
        "JumpEvent",
        "PedalBoutEvent",
        "PedalReversalEvent",
        "RevolutionEvent",
        "StepEvent",
        "WalkBoutEvent",
        "sort_events",
    ),
    "analysis.frame": ("parse_body_axes", "to_body_frame"),
    "analysis.gait": ("gait_regularity", "sagittal_rotation"),
    "analysis.stream": (
        "Detector",
        "DetectorBase",
        "GapSplitter",
        "History",
        "Pipeline",
        "StreamingSOS",
        "finite_rows",
        "run_batch",
        "run_stream",
    ),
    "analysis.steps": (
        "FootStepDetector",
        "LegStepDetector",
        "OneLegDetector",
        "StepDetector",
        "StepParams",
        "ThighStepDetector",
        "TrunkStepDetector",
        "detect_steps",
        "leg_step_detector",
    ),
    "analysis.activity": ("ActivityParams", "ActivityStage"),
    "analysis.jumps": ("JumpDetector", "JumpParams", "detect_jumps"),
    "analysis.landing": ("Landing", "LandingJudgement", "LandingParams", "judge_landing"),
    "analysis.pedalling": ("PedallingDetector", "PedallingParams", "detect_pedalling"),
    "analysis.registry": (
        "DETECTORS",
        "AnalysisParams",
        "DetectorEntry",
        "build_detectors",
        "build_pipeline",
    ),
    "analysis.program": (
        "CoachParams",
        "Cue",
        "CueKind",
        "Interval",
        "IntervalActivity",
        "IntervalResult",
        "Program",
        "ProgramFollower",
    ),
    "analysis.summary": (
        "ActivityIntervals",
        "SessionSummary",
        "SummaryParams",
        "Wearer",
        "activity_intervals",
        "hr_zone_bounds_bpm",
        "step_cadence_series",
        "summarize_session",
    ),
    "analysis.evaluate": ("RecordingScore", "Tolerances", "Truth", "score_recording"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once, then an ordinary module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


logging.getLogger(__name__).addHandler(logging.NullHandler())
