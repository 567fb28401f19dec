"""Labels files (``<stem>.truth.json`` beside a recording): read them, write them.

The format is in docs/formats.md ("Labels"). The simulator writes it; the shared real
recordings (../shared/data/real/as-recordings) come with it; ``retrosense evaluate`` reads
it into ``analysis.evaluate.Truth`` plus what the report needs (origin, body site).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.evaluate import (
    Truth,
    TruthBout,
    TruthJump,
    TruthReversal,
    TruthRevolution,
    TruthSegment,
    TruthStep,
)
from analysis.units import STANDARD_GRAVITY_M_S2
from sensor.errors import RecordingError
from sensor.safeio import MAX_NESTING, TooLong, bracket_depth, read_bounded, write_text_atomic

#: Largest labels file read (a two-hour session's labels are a few hundred kilobytes).
MAX_LABELS_BYTES = 16 << 20
#: The ``source`` of simulated recordings starts with this; anything else is real.
SIMULATED_SOURCE = "simulated"

#: ``position`` words of the labels and the body site each stands for
#: (``analysis.evaluate.SITES``); a position not listed is taken as its placement.
POSITION_SITES = {
    "neckpouch": "chest",
    "chest": "chest",
    "armband": "upper arm",
    "hand": "wrist",
    "frontpocket": "thigh",
    "backpocket": "back pocket",
    "bag": "bag",
    "shin": "shank",
}


@dataclass(frozen=True)
class SourceFacts:
    """What the README of a set of converted recordings says about its labels, for labels
    files written before ``step_label_lag_s`` and ``forward_known`` existed."""

    #: ``source`` starts with this.
    prefix: str
    step_label_lag_s: float | None = None
    #: Files whose forward is known: those at these ``position`` words (empty: every one)
    #: whose ``source`` contains ``source_has``; ``None``: the facts say nothing on it.
    forward_known_at: tuple[str, ...] | None = None
    source_has: str = ""

    def forward_known(self, source: str, position: str | None) -> bool:
        if self.forward_known_at is None or self.source_has not in source:
            return False
        return not self.forward_known_at or position in self.forward_known_at


#: Facts of the shared real recordings (../shared/data/real/README.md, 2026-12-07).
SOURCE_FACTS = (
    # The ground-truth device marks a contact 0.08-0.17 s after the heel strike on every
    # file (detected steps land that much earlier whatever the position): the middle of it.
    # Forward is known for a phone held pointing ahead, and for the neck pouch of the
    # validation walkers (the sternum's slope fixes it).
    SourceFacts("Oxford-step-counter/", step_label_lag_s=0.125, forward_known_at=("hand",)),
    SourceFacts("Oxford-step-counter/", forward_known_at=("neckpouch",), source_has=" validation/"),
    # Axes as the imuf R package maps this data; gravity and the swing agree.
    SourceFacts("RealWorld HAR", forward_known_at=()),
)

#: Words of a segment's ``activity`` that mark rest when the labels do not say ``rest``,
#: and words that rule it out (``standing up, walking`` is not rest).
_REST_WORDS = ("sitting", "standing", "lying")
_ACTIVE_WORDS = ("walk", "stair", "run", "jump", "cycl", "standing up")


def truth_path_for(recording: str | Path) -> Path:
    """``walk.csv`` -> ``walk.truth.json`` beside it."""
    p = Path(recording)
    return p.with_name(p.stem + ".truth.json")


@dataclass(frozen=True)
class Labels:
    """A labels file: the truth and what a report says about the recording."""

    truth: Truth
    source: str = ""
    #: ``"sim"`` or ``"real"``.
    origin: str = "sim"
    #: ``position`` as the labels give it (``neckpouch``, ``armband``), or ``None``.
    position: str | None = None
    #: The body site (``analysis.evaluate.SITES``), empty when it is the placement.
    site: str = ""


class _Fields:
    """Typed access to one labels object, with errors that name the file and the field."""

    def __init__(self, path: str, where: str, obj: object) -> None:
        if not isinstance(obj, dict):
            raise RecordingError(path, None, f"{where}: expected an object, got {obj!r:.40}")
        self.path, self.where, self.obj = path, where, obj

    def _fail(self, key: str, what: str) -> RecordingError:
        return RecordingError(
            self.path, None, f"{self.where}{key}: expected {what}, got {self.obj.get(key)!r:.40}"
        )

    def num(self, key: str, default: float | None = None) -> float:
        value = self.obj.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise self._fail(key, "a number")
        return float(value)

    def opt_num(self, key: str) -> float | None:
        return None if self.obj.get(key) is None else self.num(key)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.obj.get(key, default)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self.obj.get(key) is None else self.text(key)

    def opt_flag(self, key: str) -> bool | None:
        value = self.obj.get(key)
        if value is not None and not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def items(self, key: str) -> list[_Fields] | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self._fail(key, "a list or null")
        return [_Fields(self.path, f"{key}[{i}].", x) for i, x in enumerate(value)]


def _jump(f: _Fields) -> TruthJump:
    takeoff, landing = f.num("takeoff_t"), f.num("landing_t")
    flight = f.num("flight_time_s", landing - takeoff)
    return TruthJump(
        takeoff_t=takeoff,
        landing_t=landing,
        flight_time_s=flight,
        height_m=f.num("height_m", STANDARD_GRAVITY_M_S2 * flight**2 / 8.0),
        direction=f.text("direction", "vertical"),
        distance_m=f.opt_num("distance_m"),
        peak_g=f.opt_num("peak_g"),
        contact_s=f.opt_num("contact_s"),
        set_number=None if (n := f.opt_num("set")) is None else int(n),
        repetition=None if (r := f.opt_num("repetition")) is None else int(r),
    )


def _segment(f: _Fields) -> TruthSegment:
    activity = f.text("activity", "")
    rest = f.opt_flag("rest")
    if rest is None:
        words = activity.lower()
        rest = any(w in words for w in _REST_WORDS) and not any(w in words for w in _ACTIVE_WORDS)
    return TruthSegment(activity, f.num("start"), f.num("end"), rest)


def _reference_steps(doc: _Fields) -> int | None:
    """``reference_steps``, or a ``reference_steps_<how>`` key (a count made some other way,
    ``reference_steps_from_gyro_swings``)."""
    keys = sorted(k for k in doc.obj if isinstance(k, str) and k.startswith("reference_steps"))
    for key in keys:
        value = doc.opt_num(key)
        if value is not None:
            if value < 0 or value != int(value):
                raise doc._fail(key, "a count of steps")
            return int(value)
    return None


def _facts(source: str, position: str | None) -> tuple[float | None, bool | None]:
    """The label lag and whether forward is known, from ``SOURCE_FACTS``."""
    lag: float | None = None
    known: bool | None = None
    for facts in (f for f in SOURCE_FACTS if source.startswith(f.prefix)):
        if facts.step_label_lag_s is not None:
            lag = facts.step_label_lag_s
        if facts.forward_known_at is not None:
            known = known or facts.forward_known(source, position)
    return lag, known


def parse_truth(path: str, doc: object) -> Labels:
    """Labels from a parsed ``.truth.json`` document (docs/formats.md, "Labels")."""
    if not isinstance(doc, dict):
        raise RecordingError(path, None, "expected a JSON object with steps, jumps, ...")
    f = _Fields(path, "", doc)
    steps = f.items("steps")
    jumps = f.items("jumps")
    revs = f.items("revolutions")
    reversals = f.items("reversals")
    source = f.text("source", "")
    position = f.opt_text("position")
    lag, known = _facts(source, position)
    given_lag = f.opt_num("step_label_lag_s")
    given_known = f.opt_flag("forward_known")
    variants = doc.get("axes_variants")
    if known is None:
        # Several plausible axes in the labels: which way is forward was a guess.
        known = not (isinstance(variants, list) and len(variants) > 1)
    truth = Truth(
        steps=None
        if steps is None
        else tuple(
            TruthStep(s.num("t"), s.text("direction", "forward"), s.opt_text("side")) for s in steps
        ),
        jumps=None if jumps is None else tuple(_jump(j) for j in jumps),
        revolutions=None
        if revs is None
        else tuple(
            TruthRevolution(r.num("t"), r.text("direction"), r.num("cadence_rpm")) for r in revs
        ),
        reversals=None
        if reversals is None
        else tuple(TruthReversal(r.num("t"), r.text("from"), r.text("to")) for r in reversals),
        bouts=tuple(
            TruthBout(b.text("kind"), b.num("start"), b.num("end"), b.opt_text("direction"))
            for b in f.items("bouts") or []
        ),
        segments=tuple(_segment(s) for s in f.items("segments") or []),
        step_label_lag_s=given_lag if given_lag is not None else (lag or 0.0),
        direction_known=given_known if given_known is not None else known,
        reference_steps=_reference_steps(f),
    )
    site = POSITION_SITES.get(position or "", "")
    return Labels(
        truth=truth,
        source=source,
        origin="sim" if source.startswith(SIMULATED_SOURCE) else "real",
        position=position,
        site=site,
    )


def read_truth(path: str | Path) -> Labels:
    """The labels of a ``.truth.json`` file."""
    try:
        text = read_bounded(path, MAX_LABELS_BYTES).decode("utf-8")
        if bracket_depth(text) > MAX_NESTING:
            raise RecordingError(path, None, "expected JSON labels, got nesting too deep")
        doc = json.loads(text)
    except OSError as err:
        raise RecordingError(path, None, f"cannot read the labels: {err.strerror}") from err
    except TooLong as err:
        raise RecordingError(
            path, None, f"cannot read the labels: {err}; expected at most {MAX_LABELS_BYTES:,}"
        ) from None
    except UnicodeDecodeError:
        raise RecordingError(path, None, "expected JSON labels in UTF-8") from None
    except json.JSONDecodeError as err:
        raise RecordingError(path, err.lineno, f"expected JSON labels: {err.msg}") from err
    return parse_truth(str(path), doc)


# --- writing -------------------------------------------------------------------------------


def rounded(value: Any) -> Any:
    """Floats to 4 decimals (0.1 ms), through lists and objects."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def document_from_truth(truth: Truth, **meta: Any) -> dict[str, Any]:
    """The JSON object of a labels file holding ``truth``, with ``meta`` keys after it
    (``source``, ``placement``, ``fs``, ``duration_s``, ``position``, ...)."""

    def opt(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if v is not None}

    doc: dict[str, Any] = {
        "steps": None
        if truth.steps is None
        else [opt({"t": s.t, "direction": s.direction, "side": s.side}) for s in truth.steps],
        "jumps": None
        if truth.jumps is None
        else [
            opt(
                {
                    "takeoff_t": j.takeoff_t,
                    "landing_t": j.landing_t,
                    "flight_time_s": j.flight_time_s,
                    "height_m": j.height_m,
                    "direction": j.direction,
                    "distance_m": j.distance_m,
                    "peak_g": j.peak_g,
                    "contact_s": j.contact_s,
                    "set": j.set_number,
                    "repetition": j.repetition,
                }
            )
            for j in truth.jumps
        ],
        "revolutions": None
        if truth.revolutions is None
        else [
            {"t": r.t, "direction": r.direction, "cadence_rpm": r.cadence_rpm}
            for r in truth.revolutions
        ],
        "reversals": None
        if truth.reversals is None
        else [{"t": r.t, "from": r.from_direction, "to": r.to_direction} for r in truth.reversals],
        "bouts": [
            opt({"kind": b.kind, "start": b.start, "end": b.end, "direction": b.direction})
            for b in truth.bouts
        ],
    }
    if truth.segments:
        doc["segments"] = [
            {"activity": s.activity, "start": s.start, "end": s.end, "rest": s.rest}
            for s in truth.segments
        ]
    if truth.step_label_lag_s:
        doc["step_label_lag_s"] = truth.step_label_lag_s
    if not truth.direction_known:
        doc["forward_known"] = False
    if truth.reference_steps is not None:
        doc["reference_steps"] = truth.reference_steps
    doc.update(meta)
    out: dict[str, Any] = rounded(doc)
    return out


def write_truth(path: str | Path, document: dict[str, Any]) -> None:
    """Write a labels document (indented, one key per line, for readable diffs), through a
    temporary file renamed at the end."""
    write_text_atomic(path, json.dumps(document, indent=1) + "\n")
