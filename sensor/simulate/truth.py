"""Ground-truth labels of a simulated recording, in the shape of the ``.truth.json`` files.

The labels format (docs/formats.md, "Labels"; read and written by ``sensor.labels``):
``steps`` (or ``None`` when unlabelled), ``jumps``, ``revolutions``, ``reversals``,
``bouts``, plus ``source``, ``placement``, ``fs`` and ``duration_s``. An empty list means
"there are none".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sensor.labels import rounded
from sensor.simulate.motion import Motion

Label = dict[str, Any]

#: Keys that hold a time on the recording's axis (shifted and drift-mapped together).
TIME_KEYS = ("t", "takeoff_t", "landing_t", "start", "end")


def _map_label(label: Label, offset_s: float, scale: float) -> Label:
    out = dict(label)
    for key in TIME_KEYS:
        if key in out and out[key] is not None:
            out[key] = (float(out[key]) + offset_s) * scale
    return out


@dataclass
class Labels:
    """Labelled events of a stretch of simulated motion (times from its start)."""

    steps: list[Label] | None = field(default_factory=list)
    jumps: list[Label] = field(default_factory=list)
    revolutions: list[Label] = field(default_factory=list)
    reversals: list[Label] = field(default_factory=list)
    bouts: list[Label] = field(default_factory=list)

    def mapped(self, offset_s: float, scale: float = 1.0) -> Labels:
        """Times shifted by ``offset_s`` then multiplied by ``scale``."""

        def m(items: list[Label]) -> list[Label]:
            return [_map_label(x, offset_s, scale) for x in items]

        return Labels(
            steps=None if self.steps is None else m(self.steps),
            jumps=m(self.jumps),
            revolutions=m(self.revolutions),
            reversals=m(self.reversals),
            bouts=m(self.bouts),
        )

    def extend(self, other: Labels) -> None:
        """Append ``other``'s labels (already on this time axis); unlabelled steps stay so."""
        if self.steps is None or other.steps is None:
            self.steps = None
        else:
            self.steps.extend(other.steps)
        self.jumps.extend(other.jumps)
        self.revolutions.extend(other.revolutions)
        self.reversals.extend(other.reversals)
        self.bouts.extend(other.bouts)


@dataclass
class Segment:
    """A stretch of motion with its labels (times relative to the segment's start)."""

    motion: Motion
    labels: Labels

    @property
    def duration_s(self) -> float:
        return self.motion.duration_s


def join(segments: list[Segment]) -> Segment:
    """Segments end to end; labels are shifted onto the joined time axis."""
    labels = Labels()
    offset = 0.0
    for seg in segments:
        labels.extend(seg.labels.mapped(offset))
        offset += seg.duration_s
    return Segment(Motion.concat([s.motion for s in segments]), labels)


def truth_document(
    labels: Labels,
    *,
    source: str,
    placement: str,
    fs: float,
    duration_s: float,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON object of a ``.truth.json`` file."""
    doc: dict[str, Any] = {
        "steps": labels.steps,
        "jumps": labels.jumps,
        "revolutions": labels.revolutions,
        "reversals": labels.reversals,
        "bouts": labels.bouts,
        "source": source,
        "placement": placement,
        "fs": fs,
        "duration_s": duration_s,
    }
    if extra:
        doc["simulation"] = extra
    out: dict[str, Any] = rounded(doc)
    return out
