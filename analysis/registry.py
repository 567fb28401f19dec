"""Which detectors run for a stream, and with which parameters.

Each detector module contributes a frozen ``Params`` field to ``AnalysisParams`` and a line to
``build_detectors``. A detector is only built where its placement carries the signal it needs;
where it does not, it is left out rather than made to guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.jumps import JumpDetector, JumpParams
from analysis.pedalling import PedallingDetector, PedallingParams
from analysis.steps import LegStepDetector, StepParams, TrunkStepDetector
from analysis.stream import Detector, Pipeline
from analysis.types import Placement, StreamInfo

#: Where steps can be seen: trunk and leg sensors, and the wrist (counted, direction unknown).
STEP_PLACEMENTS = (
    Placement.CHEST,
    Placement.WAIST,
    Placement.WRIST,
    Placement.SHANK,
    Placement.FOOT,
)


@dataclass(frozen=True)
class AnalysisParams:
    """Parameters of every detector, each a frozen ``Params`` of its own module."""

    jumps: JumpParams = field(default_factory=JumpParams)
    pedalling: PedallingParams = field(default_factory=PedallingParams)
    steps: StepParams = field(default_factory=StepParams)


def build_detectors(info: StreamInfo, params: AnalysisParams | None = None) -> list[Detector]:
    """The detectors suited to ``info.placement``, in a fixed order."""
    params = params or AnalysisParams()
    detectors: list[Detector] = []
    if info.placement.canonical in (Placement.CHEST, Placement.WAIST, Placement.SHANK):
        detectors.append(JumpDetector(params.jumps, info))
    # Pedalling needs the crank's circle: shank/ankle or foot (no crank signal on the trunk).
    if info.placement.canonical in (Placement.SHANK, Placement.FOOT):
        detectors.append(PedallingDetector(params.pedalling, info))
    if info.placement.canonical in STEP_PLACEMENTS:
        kind = LegStepDetector if info.placement.is_leg else TrunkStepDetector
        detectors.append(kind(params.steps, info))
    return detectors


def build_pipeline(info: StreamInfo, params: AnalysisParams | None = None) -> Pipeline:
    """A pipeline of every detector suited to the stream."""
    return Pipeline(info, build_detectors(info, params))
