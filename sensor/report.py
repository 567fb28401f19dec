"""Human-readable summaries of events for the terminal."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import TextIO

from analysis.events import Event, JumpEvent, RevolutionEvent, StepEvent


def write_jsonl(events: Iterable[Event], out: TextIO) -> None:
    """Events as JSON Lines (the events spec), one compact object per line."""
    for event in events:
        out.write(json.dumps(event.to_dict(), separators=(",", ":")) + "\n")


def format_table(events: list[Event], duration_s: float) -> str:
    """Counts per type and direction, a table of jumps, and cadences."""
    lines = [f"duration: {duration_s:.1f} s, {len(events)} events"]
    counts = Counter((e.type, str(getattr(e, "direction", ""))) for e in events)
    if counts:
        lines.append("")
        lines.append(f"{'type':<16}{'direction':<12}{'count':>7}")
        for (kind, direction), n in sorted(counts.items()):
            lines.append(f"{kind:<16}{direction or '-':<12}{n:>7}")
    steps = [e for e in events if isinstance(e, StepEvent)]
    if len(steps) >= 2:
        span = steps[-1].t - steps[0].t
        if span > 0:
            lines.append("")
            lines.append(
                f"step cadence (over all steps): {60.0 * (len(steps) - 1) / span:.1f} steps/min"
            )
    revs = [e for e in events if isinstance(e, RevolutionEvent)]
    if revs:
        mean = sum(r.cadence_rpm for r in revs) / len(revs)
        lines.append(f"pedal cadence (mean per revolution): {mean:.1f} rpm")
    inferred = Counter(e.type for e in events if getattr(e, "inferred", None))
    if inferred:
        told = ", ".join(f"{kind} {n}" for kind, n in sorted(inferred.items()))
        lines.append(f"inferred across lost packets (counted above, not seen): {told}")
    jumps = [e for e in events if isinstance(e, JumpEvent)]
    if jumps:
        lines.append("")
        lines.append(
            f"{'#':>3} {'set.rep':>7} {'landing_t':>10} {'flight_s':>9} {'height_m':>9} "
            f"{'peak_g':>8} {'soft':>5} {'contact_s':>10} {'RSI':>5} direction"
        )
        for i, j in enumerate(jumps, 1):
            peak = f"{j.landing_peak_g:.2f}" + ("+" if j.landing_clipped else "")
            rep = f"{j.set_number}.{j.repetition}" if j.set_number and j.repetition else "-"
            soft = _num(j.landing_softness, 2)
            contact = _num(j.contact_time_s, 3)
            rsi = _num(j.reactive_strength_index, 2)
            lines.append(
                f"{i:>3} {rep:>7} {j.landing_t:>10.3f} {j.flight_time_s:>9.3f} "
                f"{j.height_m:>9.3f} {peak:>8} {soft:>5} {contact:>10} {rsi:>5} {j.direction}"
            )
        if any(j.landing_clipped for j in jumps):
            lines.append("    + landing peak reached the sensor's range: the true peak was higher")
        if any(j.contact_time_s is not None for j in jumps):
            lines.append(
                "    contact_s: ground contact before a linked jump; RSI = flight / contact"
            )
    return "\n".join(lines) + "\n"


def _num(value: float | None, decimals: int) -> str:
    """A figure to ``decimals`` places, or ``-`` where the event has none."""
    return "-" if value is None else f"{value:.{decimals}f}"
