"""Physical constants shared by the analysis and the shell around it, each defined once."""

from __future__ import annotations

__all__ = ["STANDARD_GRAVITY_M_S2"]

#: Standard acceleration of gravity, 9.80665 m/s² exactly (3rd CGPM, 1901): converts between
#: g and m/s² (decoders, imports, the simulator) and g·s impulses to m/s (jumps).
STANDARD_GRAVITY_M_S2 = 9.80665
