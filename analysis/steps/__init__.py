"""Steps with direction (forward/backward), walking bouts and gait regularity, streaming.

Two detectors over one shared part (``StepDetector``, ``analysis.steps.base``: the history, the
candidates, the walking bouts), one per kind of placement; the registry builds the one that
serves the stream's placement (``detect_steps`` takes a leg placement's for a leg, else the
trunk's):

- ``TrunkStepDetector`` (``analysis.steps.trunk``), **chest, waist** (accelerometer; a
  gyroscope only flags turns): steps are peaks of the levelled, band-passed vertical
  acceleration; direction is the rotation sense of the sagittal-plane acceleration loop over
  the stride ending at the step (``analysis.gait.sagittal_rotation``), not trusted while the
  trunk turns fast. **wrist**: steps counted the same way, direction ``unknown``.
- ``LegStepDetector`` (``analysis.steps.leg``), **shank/ankle, foot**: with a gyroscope each
  swing is a peak of the sagittal angular rate, its sign the direction; accelerometer only,
  each swing is a hump of dynamic acceleration with a contact shock, direction on the shank
  only from the tibia's turn over the planted foot in mid-stance. A leg sensor sees one leg:
  the other leg's contact is inferred half a stride after each own contact
  (``inferred=True``).

Both read the same ``StepParams`` (``[detectors.steps]``) and emit the same events
(``StepEvent``, ``WalkBoutEvent``).

Known limits (README): standing on the pedals bobs the trunk much like backward walking and
is told apart by a thin margin; walking mixed with bending is taken for squats; the trunk's
direction in curved walking without a gyroscope is unreliable; weak trunk peaks while
pivoting in a U-turn are taken for steps; without a gyroscope, a shank misses the other
leg's first contact when that leg steps first (backward starts).
"""

from analysis.events import Event
from analysis.steps.base import StepDetector
from analysis.steps.leg import LegStepDetector
from analysis.steps.params import StepParams
from analysis.steps.trunk import TrunkStepDetector, level_forward_up
from analysis.stream import run_batch
from analysis.types import Samples, StreamInfo

__all__ = [
    "LegStepDetector",
    "StepDetector",
    "StepParams",
    "TrunkStepDetector",
    "detect_steps",
    "level_forward_up",
]


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
    kind = LegStepDetector if info.placement.is_leg else TrunkStepDetector
    return run_batch(kind(params or StepParams(), info), samples)
