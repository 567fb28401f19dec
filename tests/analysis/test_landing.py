"""The landing judgement: its thresholds on the detector's softness, and what it will not judge."""

from __future__ import annotations

import pytest

from analysis.events import Direction, JumpEvent
from analysis.jumps import JumpParams
from analysis.landing import Landing, LandingParams, judge_landing
from analysis.types import Placement


def jump(softness: float | None, *, flight_s: float = 0.4, clipped: bool = False) -> JumpEvent:
    ref = JumpParams().softness_ref_s
    peak = 1.0 + flight_s / (2.0 * ref * softness / (1.0 - softness)) if softness else 4.0
    return JumpEvent(
        t=1.0 + flight_s,
        detected_at=1.6 + flight_s,
        takeoff_t=1.0,
        landing_t=1.0 + flight_s,
        flight_time_s=flight_s,
        height_m=9.80665 * flight_s**2 / 8.0,
        landing_peak_g=peak,
        direction=Direction.BACKWARD,
        landing_clipped=clipped,
        landing_softness=softness,
    )


@pytest.mark.parametrize(
    ("softness", "word"),
    [
        (0.9, "soft"),
        (0.5, "soft"),
        (0.499, "firm"),
        (0.3, "firm"),
        (0.25, "firm"),
        (0.249, "stiff"),
        (0.05, "stiff"),
    ],
)
def test_thresholds_on_a_trunk_band(softness: float, word: str) -> None:
    for placement in (Placement.CHEST, Placement.WAIST):
        assert judge_landing(jump(softness), placement, 100.0).landing == Landing(word)


def test_peak_limits_restate_the_thresholds_in_g() -> None:
    params = LandingParams()
    ref = JumpParams().softness_ref_s
    soft_g, stiff_g = params.peak_limits_g(0.40, ref)
    # 0.40 s of flight: soft up to 3.0 g (tau 0.1 s), stiff above 7.0 g (tau 0.033 s).
    assert soft_g == pytest.approx(3.0)
    assert stiff_g == pytest.approx(7.0)
    # A landing at exactly those peaks reads as the threshold says.
    assert judge_landing(jump(0.5), Placement.CHEST, 100.0).landing is Landing.SOFT
    assert jump(0.5).landing_peak_g == pytest.approx(soft_g)
    assert jump(0.25).landing_peak_g == pytest.approx(stiff_g)


@pytest.mark.parametrize("placement", [Placement.SHANK, Placement.FOOT, Placement.WRIST])
def test_limb_bands_are_not_judged(placement: Placement) -> None:
    judged = judge_landing(jump(0.9), placement, 100.0)
    assert judged.landing is Landing.UNKNOWN and str(placement) in judged.reason


def test_a_low_rate_is_not_judged() -> None:
    judged = judge_landing(jump(0.9), Placement.CHEST, 50.0)
    assert judged.landing is Landing.UNKNOWN and "50 Hz" in judged.reason


def test_a_clipped_peak_can_only_be_called_stiff() -> None:
    assert judge_landing(jump(0.1, clipped=True), Placement.CHEST, 100.0).landing is Landing.STIFF
    for softness in (0.3, 0.8):
        judged = judge_landing(jump(softness, clipped=True), Placement.CHEST, 100.0)
        assert judged.landing is Landing.UNKNOWN


def test_no_softness_is_unknown() -> None:
    assert judge_landing(jump(None), Placement.CHEST, 100.0).landing is Landing.UNKNOWN


def test_params_are_checked() -> None:
    with pytest.raises(ValueError, match="stiff_below_softness"):
        LandingParams(soft_min_softness=0.2, stiff_below_softness=0.3)
