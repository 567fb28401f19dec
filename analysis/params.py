"""Ranges of parameters, written beside their fields and checked one way.

A frozen ``Params`` (and every settings dataclass of the shell) declares a field's inclusive
range as metadata, ``field(default=0.3, metadata=bounded(0.05, 2.0))``, and calls
``check_ranges(self)`` in ``__post_init__``; the configuration loader (``sensor.settings``)
reads the same metadata to name the offending key of a settings file.

Examples
--------
>>> from dataclasses import dataclass, field
>>> @dataclass(frozen=True)
... class Params:
...     cutoff_hz: float = field(default=3.0, metadata=bounded(0.1, 20.0))
...     def __post_init__(self) -> None:
...         check_ranges(self)
>>> Params(cutoff_hz=40.0)
Traceback (most recent call last):
...
ValueError: cutoff_hz: expected a value within 0.1..20.0, got 40.0
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["BRIDGED_GAP_S", "bounded", "check_ranges", "outside_range"]

#: The longest gap of lost packets every detector rides through without restarting: shorter
#: than a step (0.3 s), and longer than the bursts BLE bands drop. Each detector's own
#: parameter (``max_bridged_gap_s``, the steps' ``bridge_gap_s``) defaults to it.
BRIDGED_GAP_S = 0.3


def bounded(
    minimum: float | None = None, maximum: float | None = None, *, secret: bool = False
) -> dict[str, Any]:
    """Field metadata: an inclusive numeric range, and whether the value is a secret."""
    return {"min": minimum, "max": maximum, "secret": secret}


def outside_range(f: dataclasses.Field[Any], value: object) -> str | None:
    """``"expected a value within LO..HI"`` if ``value`` is a number outside the ``bounded``
    range of field ``f``; ``None`` if it is inside, has no range or is not a number."""
    lo, hi = f.metadata.get("min"), f.metadata.get("max")
    if (lo is None and hi is None) or isinstance(value, bool):
        return None
    if not isinstance(value, (int, float)):
        return None
    # ``not (lo <= value)`` rather than ``value < lo``: NaN is outside every range.
    if (lo is not None and not lo <= value) or (hi is not None and not value <= hi):
        rng = f"{lo if lo is not None else '-inf'}..{hi if hi is not None else 'inf'}"
        return f"expected a value within {rng}"
    return None


def check_ranges(obj: Any) -> None:
    """Raise ``ValueError`` naming the first field of dataclass ``obj`` outside its range.

    The message starts with the field's name and a colon (``"min_peak_g: expected a value
    within 0.0..5.0, got -1.0"``), which the configuration loader turns into the dotted key.
    """
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        problem = outside_range(f, value)
        if problem is not None:
            raise ValueError(f"{f.name}: {problem}, got {value!r}")
