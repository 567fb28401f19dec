"""Steps with direction (forward/backward), walking bouts and gait regularity, streaming.

Detectors over one shared part (``StepDetector``, ``analysis.steps.base``: the history, the
candidates, the walking bouts), one per kind of placement; the registry builds the one that
serves the stream's placement (``detect_steps`` takes a leg placement's for a leg, else the
trunk's):

- ``TrunkStepDetector`` (``analysis.steps.trunk``), **chest, waist** (accelerometer; a
  gyroscope only flags turns): steps are peaks of the levelled, band-passed vertical
  acceleration, a bout starting where the walk's evidence over the held peaks accepts them;
  direction is the rotation sense of the sagittal-plane acceleration loop on the walking
  axis (``analysis.gait.sagittal_rotation``), not trusted while weak or while the trunk turns
  fast. **wrist**: steps counted the same way, direction ``unknown``.
- ``FootStepDetector`` (``analysis.steps.foot``), **foot**: stride by stride, from one rest
  of the foot on the ground to the next; with a gyroscope the stride is integrated (zero
  velocity at both rests) and its travel along the foot's axis gives the direction; without
  one a stride needs a contact's shock and the direction is ``unknown``.
- ``LegStepDetector`` (``analysis.steps.leg``), **shank/ankle**: with a gyroscope each swing is
  a peak of the sagittal angular rate, its sign the direction; accelerometer only, each swing
  is a hump of dynamic acceleration with a contact shock, direction ``unknown``.
- ``ThighStepDetector`` (``analysis.steps.thigh``), **thigh** (a front pocket, a thigh strap):
  peaks of the acceleration's magnitude at the step rate, both legs' (the thigh moves with
  the pelvis); with a gyroscope the thigh's swing gives the direction.

A foot or shank band sees one leg: the other leg's contact is inferred half a stride after
each own contact (``inferred=True``; ``OneLegDetector``). ``leg_step_detector`` builds the
one that serves a leg placement.

All read the same ``StepParams`` (``[detectors.steps]``) and emit the same events
(``StepEvent``, ``WalkBoutEvent``).

Known limits (docs/detectors.md): the trunk does not see the steps that do not move it (a
U-turn's pivots, shuffles after a walk, often a walk's closing step); the trunk's direction
in curved walking without a gyroscope is unreliable; the legs' are in their subsection.
"""

from analysis.events import Event
from analysis.steps.base import StepDetector
from analysis.steps.foot import FootStepDetector
from analysis.steps.leg import LegStepDetector, OneLegDetector
from analysis.steps.params import StepParams
from analysis.steps.thigh import ThighStepDetector
from analysis.steps.trunk import TrunkStepDetector, level_forward_up
from analysis.stream import run_batch
from analysis.types import Placement, Samples, StreamInfo

__all__ = [
    "FootStepDetector",
    "LegStepDetector",
    "OneLegDetector",
    "StepDetector",
    "StepParams",
    "ThighStepDetector",
    "TrunkStepDetector",
    "detect_steps",
    "leg_step_detector",
    "level_forward_up",
]


def leg_step_detector(params: StepParams, info: StreamInfo) -> StepDetector:
    """The step detector of a leg placement: a foot with a gyroscope stride by stride
    (``FootStepDetector``), a shank, or a foot without gyroscope, swing by swing
    (``LegStepDetector``)."""
    if info.placement.canonical is Placement.THIGH:
        return ThighStepDetector(params, info)
    if info.placement.canonical is Placement.FOOT:
        return FootStepDetector(params, info)
    return LegStepDetector(params, info)


def detect_steps(
    samples: Samples, info: StreamInfo, params: StepParams | None = None
) -> list[Event]:
    """Steps and walking bouts of a whole recording (the stream fed in one go).

    Parameters
    ----------
    samples
        Body-frame samples (x forward, y left, z up).
    info
        The stream's rate, placement and channels.
    params
        Detector parameters; the defaults were tuned on the real recordings and the
        project's simulated set.

    Returns
    -------
    list of Event
        ``StepEvent`` and ``WalkBoutEvent`` in emission order.
    """
    params = params or StepParams()
    if info.placement.is_leg:
        return run_batch(leg_step_detector(params, info), samples)
    return run_batch(TrunkStepDetector(params, info), samples)
