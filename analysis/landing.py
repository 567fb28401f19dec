"""A plain-words judgement of each jump's landing: soft, firm or stiff.

Pure: a ``JumpEvent`` and where the band sat in, a ``LandingJudgement`` out. The session report
shows it per jump; a coach's cue can use the same rule.

The judgement rests on the jump detector's ``landing_softness`` (``analysis.jumps``):
``τ / (τ + softness_ref_s)`` with ``τ = T / (2·(peak − 1))``, the time the landing peak would
need to stop the landing speed ``g·T/2`` (``T`` the flight time, ``peak`` the
``landing_peak_g``). ``τ`` is the softness of the landing with the jump's height taken out:
a higher jump lands faster and peaks higher for the same technique, so a bare peak in g would
call every high jump stiff.

Thresholds (``LandingParams``)
------------------------------
- **soft**: softness ≥ 0.5, i.e. ``τ ≥ softness_ref_s`` (0.1 s): the peak spread over at least
  the detector's reference stopping time. After a 0.40 s flight (20 cm) that is a peak of at
  most 3.0 g on the trunk.
- **stiff**: softness < 0.25, i.e. ``τ < softness_ref_s / 3`` (0.033 s): a peak above 7.0 g
  after the same flight.
- **firm**: in between.

Why these: at the centre of mass the accelerometer's specific force is the ground reaction
force in body weights, so a trunk band's peak is the peak vertical ground reaction force
(vGRF) that landing studies measure on force plates. Those studies agree on the direction and
size of the effect the judgement names: landing with bent knees (soft) lowers the peak vGRF of
the same drop against landing with straight knees (stiff) — by 35 % from stiff to soft and
17 % from self-selected to soft in 40 cm drop jumps (1.81, 1.50, 1.34 body weights;
Guy-Cherry et al. 2018), by 19 % with flexed legs (Seymore et al. 2019), with more energy
absorbed at the hip and knee in soft landings (DeVita and Skelly 1992; Zhang et al. 2000).
The peak grows with the landing speed, linearly in the square root of the drop height over 26
studies (Niu et al. 2014), which is what the stopping-time form ``peak = 1 + v/(g·τ)`` says.
The boundaries sit a factor of three apart in ``τ`` so that one landing's noise does not flip
the word, and the project's one force-plate landing, a self-selected countermovement jump
(shared data ``cmj-chest-phone-forceplate``: 6.8 body weights after a 0.48 s flight, τ =
0.041 s, softness 0.29), reads "firm", between the two instructed styles as the studies place a
self-selected landing.

What cannot be judged is ``unknown``, with the reason: a band on the leg or wrist, whose peak
is the limb's own shock (10–16 g on the shank for landings a chest band reads as 3–8 g), not
the body's; a sample rate below ``min_sample_rate_hz``, which misses the impact's peak (at
25 Hz the simulated chest landings read twice as soft as at 100–200 Hz); a peak clipped by the
sensor's range, whose softness is only an upper bound (a clipped landing can still be called
stiff).

References
----------
DeVita P., Skelly W.A. (1992) Effect of landing stiffness on joint kinetics and energetics in
the lower extremity. Med Sci Sports Exerc 24(1):108-115.
Zhang S.-N., Bates B.T., Dufek J.S. (2000) Contributions of lower extremity joints to energy
dissipation during landings. Med Sci Sports Exerc 32(4):812-819.
Niu W., Feng T., Jiang C., Zhang M. (2014) Peak vertical ground reaction force during two-leg
landing: a systematic review and mathematical modeling. BioMed Res Int 2014:126860.
Guy-Cherry D., Alanazi A., Miller L., Staloch D., Ortiz-Rodriguez A. (2018) Landing styles
influences reactive strength index without increasing risk for injury. Sports Med Int Open
2(2):E35-E40.
Seymore K.D., Fain A.C., Lobb N.J., Brown T.N. (2019) Sex and limb impact biomechanics
associated with risk of injury during drop landing with body borne load. PLoS ONE
14(2):e0211129.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from analysis.events import JumpEvent
from analysis.params import bounded, check_ranges
from analysis.types import Placement

if TYPE_CHECKING:  # the jump detector loads SciPy; its defaults are read only when judging
    from analysis.jumps import JumpParams


class Landing(StrEnum):
    SOFT = "soft"
    FIRM = "firm"
    STIFF = "stiff"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LandingParams:
    """Where soft ends and stiff begins, on the detector's softness scale (0–1).

    Parameters
    ----------
    soft_min_softness
        Softness at or above this is soft (0.5: ``τ`` at least ``softness_ref_s``).
    stiff_below_softness
        Softness below this is stiff (0.25: ``τ`` under a third of ``softness_ref_s``).
    min_sample_rate_hz
        Below this rate the impact's peak falls between samples and is not judged (the jump
        detector measures landing detail from 90 Hz on, too).
    """

    soft_min_softness: float = field(default=0.5, metadata=bounded(0.01, 0.99))
    stiff_below_softness: float = field(default=0.25, metadata=bounded(0.01, 0.99))
    min_sample_rate_hz: float = field(default=90.0, metadata=bounded(1.0, 10_000.0))

    def __post_init__(self) -> None:
        check_ranges(self)
        if not self.stiff_below_softness < self.soft_min_softness:
            raise ValueError(
                "stiff_below_softness: expected less than soft_min_softness "
                f"({self.soft_min_softness}), got {self.stiff_below_softness}"
            )

    def stop_time_s(self, softness: float, softness_ref_s: float) -> float:
        """The stopping time ``τ`` a softness stands for (``softness_ref_s`` of the detector)."""
        return softness_ref_s * softness / (1.0 - softness)

    def peak_limits_g(self, flight_time_s: float, softness_ref_s: float) -> tuple[float, float]:
        """For a jump of this flight time: the highest soft peak and the lowest stiff one, in g.

        ``peak = 1 + T / (2·τ)`` at each boundary's ``τ``.
        """
        soft_tau = self.stop_time_s(self.soft_min_softness, softness_ref_s)
        stiff_tau = self.stop_time_s(self.stiff_below_softness, softness_ref_s)
        return (
            1.0 + flight_time_s / (2.0 * soft_tau),
            1.0 + flight_time_s / (2.0 * stiff_tau),
        )


@dataclass(frozen=True)
class LandingJudgement:
    """One landing's word and why."""

    landing: Landing
    #: A short reason in plain words (what the softness means, or why it cannot be told).
    reason: str


def judge_landing(
    jump: JumpEvent,
    placement: Placement,
    sample_rate_hz: float,
    params: LandingParams | None = None,
    jump_params: JumpParams | None = None,
) -> LandingJudgement:
    """Soft, firm, stiff or unknown for one jump (see the module's notes for the thresholds).

    Examples
    --------
    >>> from analysis.events import Direction, JumpEvent
    >>> j = JumpEvent(t=1.4, detected_at=1.6, takeoff_t=1.0, landing_t=1.4,
    ...               flight_time_s=0.4, height_m=0.196, landing_peak_g=3.0,
    ...               direction=Direction.BACKWARD, landing_softness=0.5)
    >>> judge_landing(j, Placement.CHEST, 100.0).landing
    <Landing.SOFT: 'soft'>
    """
    params = params or LandingParams()
    if jump_params is None:
        from analysis.jumps import JumpParams

        jump_params = JumpParams()
    ref_s = jump_params.softness_ref_s
    if not placement.is_trunk:
        return LandingJudgement(
            Landing.UNKNOWN,
            f"a band on the {placement} feels the limb's own shock, not the body's landing",
        )
    if sample_rate_hz < params.min_sample_rate_hz:
        return LandingJudgement(
            Landing.UNKNOWN,
            f"{sample_rate_hz:g} Hz misses the impact's peak "
            f"(judged from {params.min_sample_rate_hz:g} Hz)",
        )
    softness = jump.landing_softness
    if softness is None:
        return LandingJudgement(Landing.UNKNOWN, "the detector gave no softness")
    tau_ms = 1000.0 * params.stop_time_s(min(softness, 0.999), ref_s)
    if softness < params.stiff_below_softness:
        clipped = " (the true peak was higher still)" if jump.landing_clipped else ""
        return LandingJudgement(
            Landing.STIFF, f"stopped as if in {tau_ms:.0f} ms: a hard impact{clipped}"
        )
    if jump.landing_clipped:
        return LandingJudgement(
            Landing.UNKNOWN, "the peak reached the sensor's range: how hard is not known"
        )
    if softness >= params.soft_min_softness:
        return LandingJudgement(
            Landing.SOFT, f"stopped as if in {tau_ms:.0f} ms: the impact spread out"
        )
    return LandingJudgement(Landing.FIRM, f"stopped as if in {tau_ms:.0f} ms")
