"""Which detectors run for a stream, and with which parameters.

Each detector module contributes a frozen ``Params`` field to ``AnalysisParams`` (its TOML
table ``[detectors.NAME]``) and a row to ``DETECTORS``: the detector, where it runs, which
``Params`` it takes, and the sample rate it needs more than. A detector is only built where its
placement carries the signal it needs and the stream's rate can hold it; where not, it is left
out rather than made to guess (``unserved`` names those the rate leaves out).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from analysis.activity import ActivityParams, ActivityStage
from analysis.jumps import JumpDetector, JumpParams
from analysis.pedalling import PedallingDetector, PedallingParams
from analysis.steps import StepParams, TrunkStepDetector, leg_step_detector
from analysis.stream import GAP_PERIODS, Detector, Pipeline
from analysis.types import Placement, StreamInfo

__all__ = [
    "DETECTORS",
    "AnalysisParams",
    "DetectorEntry",
    "build_detectors",
    "build_pipeline",
    "unserved",
]

P = TypeVar("P")


@dataclass(frozen=True)
class AnalysisParams:
    """Parameters of every detector, each a frozen ``Params`` of its own module."""

    jumps: JumpParams = field(default_factory=JumpParams)
    pedalling: PedallingParams = field(default_factory=PedallingParams)
    steps: StepParams = field(default_factory=StepParams)
    activity: ActivityParams = field(default_factory=ActivityParams)


@dataclass(frozen=True)
class DetectorEntry(Generic[P]):
    """One detector of the registry: how it is built, from which parameters, and where.

    ``name`` says what it detects (in the line that says it is left out); ``min_rate_hz``
    gives, from its parameters, the sample rate it needs more than.
    """

    name: str
    build: Callable[[P, StreamInfo], Detector]
    params: Callable[[AnalysisParams], P]
    placements: frozenset[Placement]
    min_rate_hz: Callable[[P], float]
    #: Placements served only when the stream carries a gyroscope.
    with_gyro: frozenset[Placement] = frozenset()

    def serves(self, info: StreamInfo) -> bool:
        """Whether this detector runs for ``info``'s placement (and gyroscope)."""
        placement = info.placement.canonical
        return placement in self.placements or (info.has_gyro and placement in self.with_gyro)


#: The highest frequency a detector's pass band may reach, as a fraction of the sample rate
#: (the step and pedalling detectors clip their band-passes there, short of Nyquist's 0.5).
USABLE_BAND_FRACTION = 0.45


def _band_fits(params: StepParams | PedallingParams) -> float:
    """The rate whose usable band holds the detector's own pass band (``band_high_hz``):
    6.7 Hz for steps (3 Hz), 7.8 Hz for pedalling (3.5 Hz)."""
    return params.band_high_hz / USABLE_BAND_FRACTION


def _look_ahead_outlasts_merge(params: JumpParams) -> float:
    """The rate at which the jump detector's look-ahead (``landing_window_s``) outlasts its
    merge gap plus the longest step between samples that is not a gap: 8.8 Hz."""
    return GAP_PERIODS / (params.landing_window_s - params.merge_gap_s)


_TRUNK = frozenset({Placement.CHEST, Placement.WAIST})
_LEG = frozenset({Placement.SHANK, Placement.FOOT})

#: Every detector, in the order they are built; placements are canonical (ankle is shank).
DETECTORS: tuple[DetectorEntry[Any], ...] = (
    DetectorEntry(
        "jumps",
        JumpDetector,
        lambda p: p.jumps,
        _TRUNK | {Placement.SHANK},
        _look_ahead_outlasts_merge,
    ),
    # Pedalling needs the crank's circle: shank/ankle or foot (no crank signal on the trunk);
    # a thigh's pitch repeats every turn, which a gyroscope times (revolutions, no direction).
    DetectorEntry(
        "pedalling",
        PedallingDetector,
        lambda p: p.pedalling,
        _LEG,
        _band_fits,
        with_gyro=frozenset({Placement.THIGH}),
    ),
    # Steps: the trunk's peaks (on the wrist counted, direction unknown), a leg's swings.
    DetectorEntry(
        "steps", TrunkStepDetector, lambda p: p.steps, _TRUNK | {Placement.WRIST}, _band_fits
    ),
    DetectorEntry(
        "steps", leg_step_detector, lambda p: p.steps, _LEG | {Placement.THIGH}, _band_fits
    ),
)


def _suited(info: StreamInfo) -> list[DetectorEntry[Any]]:
    return [entry for entry in DETECTORS if entry.serves(info)]


def unserved(info: StreamInfo, params: AnalysisParams | None = None) -> dict[str, float]:
    """Detectors suited to the placement that the stream's rate is too low for, each with
    the rate it needs more than; ``{}`` where every suited detector runs."""
    params = params or AnalysisParams()
    out: dict[str, float] = {}
    for entry in _suited(info):
        lowest = float(entry.min_rate_hz(entry.params(params)))
        if info.sample_rate_hz <= lowest:
            out[entry.name] = lowest
    return out


def build_detectors(info: StreamInfo, params: AnalysisParams | None = None) -> list[Detector]:
    """The detectors suited to ``info.placement`` and its rate, in a fixed order."""
    params = params or AnalysisParams()
    return [
        entry.build(entry.params(params), info)
        for entry in _suited(info)
        if info.sample_rate_hz > entry.min_rate_hz(entry.params(params))
    ]


def build_pipeline(info: StreamInfo, params: AnalysisParams | None = None) -> Pipeline:
    """A pipeline of every detector suited to the stream, and the activity stage after them
    (every placement: it tells what it can and ``unknown`` elsewhere)."""
    params = params or AnalysisParams()
    return Pipeline(info, build_detectors(info, params), ActivityStage(params.activity, info))
