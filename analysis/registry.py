"""Which detectors run for a stream, and with which parameters.

Each detector module contributes a frozen ``Params`` field to ``AnalysisParams`` and a line to
``build_detectors``. A detector is only built where its placement carries the signal it needs;
where it does not, it is left out rather than made to guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.jumps import JumpDetector, JumpParams
from analysis.pedalling import PedallingDetector, PedallingParams
from analysis.steps import StepDetector, StepParams
from analysis.stream import GAP_PERIODS, Detector, Pipeline
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


#: The highest frequency a detector's pass band may reach, as a fraction of the sample rate
#: (steps and pedalling clip their band-passes there, just short of Nyquist's 0.5).
USABLE_BAND_FRACTION = 0.45


def min_rates_hz(params: AnalysisParams | None = None) -> dict[str, float]:
    """The sample rate each detector needs more than, from its parameters.

    At or below it the detector is not built (``build_detectors``) and ``unserved`` names it.

    Notes
    -----
    - ``steps``: its step band (``band_high_hz``, 3 Hz) must fit below
      ``USABLE_BAND_FRACTION`` of the rate: 6.7 Hz.
    - ``pedalling``: likewise its crank band (``band_high_hz``, 3.5 Hz): 7.8 Hz.
    - ``jumps``: its look-ahead (``landing_window_s``) must outlast the merge gap plus the
      longest step between samples that is not a gap (``GAP_PERIODS`` periods): 8.8 Hz.
    """
    p = params or AnalysisParams()
    return {
        "jumps": GAP_PERIODS / (p.jumps.landing_window_s - p.jumps.merge_gap_s),
        "pedalling": p.pedalling.band_high_hz / USABLE_BAND_FRACTION,
        "steps": p.steps.band_high_hz / USABLE_BAND_FRACTION,
    }


def _suited(info: StreamInfo) -> list[str]:
    """The detectors whose signal ``info.placement`` carries, in a fixed order."""
    placement = info.placement.canonical
    suited = []
    if placement in (Placement.CHEST, Placement.WAIST, Placement.SHANK):
        suited.append("jumps")
    # Pedalling needs the crank's circle: shank/ankle or foot (no crank signal on the trunk).
    if placement in (Placement.SHANK, Placement.FOOT):
        suited.append("pedalling")
    if placement in STEP_PLACEMENTS:
        suited.append("steps")
    return suited


def unserved(info: StreamInfo, params: AnalysisParams | None = None) -> dict[str, float]:
    """Detectors suited to the placement that the stream's rate is too low for (at or below
    the rate in ``min_rates_hz``), with that rate; ``{}`` where every suited detector runs."""
    lowest = min_rates_hz(params)
    return {name: lowest[name] for name in _suited(info) if info.sample_rate_hz <= lowest[name]}


def build_detectors(info: StreamInfo, params: AnalysisParams | None = None) -> list[Detector]:
    """The detectors suited to ``info.placement`` and its rate, in a fixed order."""
    params = params or AnalysisParams()
    skip = unserved(info, params)
    detectors: list[Detector] = []
    for name in _suited(info):
        if name in skip:
            continue
        if name == "jumps":
            detectors.append(JumpDetector(params.jumps, info))
        elif name == "pedalling":
            detectors.append(PedallingDetector(params.pedalling, info))
        else:
            detectors.append(StepDetector(params.steps, info))
    return detectors


def build_pipeline(info: StreamInfo, params: AnalysisParams | None = None) -> Pipeline:
    """A pipeline of every detector suited to the stream."""
    return Pipeline(info, build_detectors(info, params))
