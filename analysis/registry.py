"""Which detectors run for a stream, and with which parameters.

Each detector module contributes a frozen ``Params`` field to ``AnalysisParams`` (its TOML
table ``[detectors.NAME]``) and a row to ``DETECTORS``: the detector, where it runs, and which
``Params`` it takes. A detector is only built where its placement carries the signal it needs;
where it does not, it is left out rather than made to guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from analysis.activity import ActivityParams, ActivityStage
from analysis.jumps import JumpDetector, JumpParams
from analysis.pedalling import PedallingDetector, PedallingParams
from analysis.steps import StepParams, TrunkStepDetector, leg_step_detector
from analysis.stream import Detector, Pipeline
from analysis.types import Placement, StreamInfo

__all__ = ["DETECTORS", "AnalysisParams", "DetectorEntry", "build_detectors", "build_pipeline"]

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
    """One detector of the registry: how it is built, from which parameters, and where."""

    build: Callable[[P, StreamInfo], Detector]
    params: Callable[[AnalysisParams], P]
    placements: frozenset[Placement]
    #: Placements served only when the stream carries a gyroscope.
    with_gyro: frozenset[Placement] = frozenset()

    def serves(self, info: StreamInfo) -> bool:
        """Whether this detector runs for ``info``'s placement (and gyroscope)."""
        placement = info.placement.canonical
        return placement in self.placements or (info.has_gyro and placement in self.with_gyro)


_TRUNK = frozenset({Placement.CHEST, Placement.WAIST})
_LEG = frozenset({Placement.SHANK, Placement.FOOT})

#: Every detector, in the order they are built; placements are canonical (ankle is shank).
DETECTORS: tuple[DetectorEntry[Any], ...] = (
    DetectorEntry(JumpDetector, lambda p: p.jumps, _TRUNK | {Placement.SHANK}),
    # Pedalling needs the crank's circle: shank/ankle or foot (no crank signal on the trunk);
    # a thigh's pitch repeats every turn, which a gyroscope times (revolutions, no direction).
    DetectorEntry(
        PedallingDetector,
        lambda p: p.pedalling,
        _LEG,
        with_gyro=frozenset({Placement.THIGH}),
    ),
    # Steps: the trunk's peaks (on the wrist counted, direction unknown), a leg's swings.
    DetectorEntry(TrunkStepDetector, lambda p: p.steps, _TRUNK | {Placement.WRIST}),
    DetectorEntry(leg_step_detector, lambda p: p.steps, _LEG | {Placement.THIGH}),
)


def build_detectors(info: StreamInfo, params: AnalysisParams | None = None) -> list[Detector]:
    """The detectors suited to ``info.placement``, in a fixed order."""
    params = params or AnalysisParams()
    return [entry.build(entry.params(params), info) for entry in DETECTORS if entry.serves(info)]


def build_pipeline(info: StreamInfo, params: AnalysisParams | None = None) -> Pipeline:
    """A pipeline of every detector suited to the stream, and the activity stage after them
    (every placement: it tells what it can and ``unknown`` elsewhere)."""
    params = params or AnalysisParams()
    return Pipeline(info, build_detectors(info, params), ActivityStage(params.activity, info))
