"""The simulated person's size: body height and leg length.

Notes
-----
Segment lengths scale with body height ``H`` (Winter, *Biomechanics and Motor Control of
Human Movement*, 4th ed., 2009, after Drillis and Contini 1966: thigh 0.245 H, shank
0.246 H, the trunk's segments likewise), so a body of another height is the reference body
scaled; the simulator's lengths are those of ``REFERENCE_HEIGHT_M``. Legs are not a fixed
share of height: relative leg length (leg length over stature) varies by a few per cent
between adults and populations (Bogin and Varela-Silva, Int. J. Environ. Res. Public Health
7 (2010) 1047-1075), which ``leg_ratio`` carries on top of the height.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The height the simulator's segment lengths were drawn for (thigh and shank 0.43 m).
REFERENCE_HEIGHT_M = 1.75


@dataclass(frozen=True)
class Body:
    """Body height and the legs' length relative to it (1 = the reference proportions)."""

    height_m: float = REFERENCE_HEIGHT_M
    leg_ratio: float = 1.0

    def __post_init__(self) -> None:
        if not 1.0 <= self.height_m <= 2.3:
            raise ValueError(f"height_m: expected 1.0-2.3 m, got {self.height_m:g}")
        if not 0.8 <= self.leg_ratio <= 1.2:
            raise ValueError(f"leg_ratio: expected 0.8-1.2, got {self.leg_ratio:g}")

    @property
    def scale(self) -> float:
        """Lengths of the trunk and arms relative to the reference body."""
        return self.height_m / REFERENCE_HEIGHT_M

    @property
    def leg_scale(self) -> float:
        """Lengths of the legs relative to the reference body (exactly 1.0 for it)."""
        return self.scale * self.leg_ratio


#: The reference body: every scenario's default.
REFERENCE_BODY = Body()
