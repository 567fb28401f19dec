"""A landing in plain words: soft, firm or stiff.

The coaching cues, the session report and the summary all judge landings here, so one pair of
thresholds serves them all.

Notes
-----
The judgement reads the jump detector's ``landing_softness`` (``τ / (τ + 0.1 s)`` with
``τ = T / (2·(peak − 1))``: the time the landing's peak deceleration would need to stop the
landing speed ``g·T/2``; see ``analysis.jumps``). It does not depend on the jump's height: a
higher jump lands faster, and a soft landing spreads that over a longer stop.

- **soft**: ``τ ≥ 100 ms`` (softness ≥ 0.5): the stop is spread over at least 100 ms; a jump
  of 0.3 s flight (landing at 1.5 m/s) then peaks at about 2.5 g.
- **stiff**: ``τ < 33 ms`` (softness < 0.25): the same jump peaks above 5.5 g.
- **firm**: between the two.

Landings with more knee flexion dissipate the landing's energy over a longer time and with a
lower peak force than stiff-legged ones (Devita and Skelly 1992; Zhang, Bates and Dufek 2000);
the two bounds are the project's choice on that scale, not a published cut-off. The real
sacrum jump of the labelled set (McGinnis et al. 2016 data, a countermovement jump landed as
recorded) scores 0.20: stiff.

A clipped landing (``landing_clipped``: the peak reached the band's range) makes the softness
an upper bound: a clipped landing judged firm may have been stiff, never softer.

References
----------
Devita P, Skelly WA (1992). Effect of landing stiffness on joint kinetics and energetics in
the lower extremity. Med Sci Sports Exerc 24(1):108–115.
Zhang SN, Bates BT, Dufek JS (2000). Contributions of lower extremity joints to energy
dissipation during landings. Med Sci Sports Exerc 32(4):812–819.
"""

from __future__ import annotations

from enum import StrEnum

from analysis.events import JumpEvent

#: ``landing_softness`` at and above which a landing is soft (a stop of 100 ms or more).
SOFT_MIN_SOFTNESS = 0.5
#: ``landing_softness`` below which a landing is stiff (a stop shorter than 33 ms).
STIFF_BELOW_SOFTNESS = 0.25


class Landing(StrEnum):
    """A landing judged in plain words, softest first."""

    SOFT = "soft"
    FIRM = "firm"
    STIFF = "stiff"


def judge_landing(jump: JumpEvent) -> Landing | None:
    """Soft, firm or stiff; ``None`` where the detector measured no softness."""
    softness = jump.landing_softness
    if softness is None:
        return None
    if softness >= SOFT_MIN_SOFTNESS:
        return Landing.SOFT
    if softness < STIFF_BELOW_SOFTNESS:
        return Landing.STIFF
    return Landing.FIRM
