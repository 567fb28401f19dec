"""The pedalling detector's filters at every rate a stream may run at: no warning, and the
band-pass group delay (which places a turn's still moment) the same in seconds at any rate."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.pedalling import PedallingDetector, PedallingParams
from analysis.types import Placement, StreamInfo


@pytest.mark.parametrize("rate_hz", [200.0, 416.0, 833.0, 1666.0, 10_000.0])
def test_band_pass_delay_is_the_same_in_seconds_at_any_rate(rate_hz: float) -> None:
    reference = PedallingDetector(PedallingParams(), StreamInfo(100.0, Placement.SHANK))
    detector = PedallingDetector(PedallingParams(), StreamInfo(rate_hz, Placement.SHANK))
    # Cadences up to 120 rpm; 1 %: filters designed in the sampled domain differ slightly.
    cadences = detector._delay_hz <= 2.0
    np.testing.assert_array_equal(detector._delay_hz[cadences], reference._delay_hz[cadences])
    np.testing.assert_allclose(detector._delay_s[cadences], reference._delay_s[cadences], rtol=0.01)
