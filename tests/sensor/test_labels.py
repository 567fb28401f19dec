"""Labels files: the documented format read and written, and the facts of the shared real
recordings applied where their labels predate a key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analysis.evaluate import (
    Truth,
    TruthBout,
    TruthJump,
    TruthReversal,
    TruthRevolution,
    TruthSegment,
    TruthStep,
)
from sensor.errors import RecordingError
from sensor.labels import document_from_truth, parse_truth, read_truth, write_truth

FULL = Truth(
    steps=(TruthStep(1.25, "forward", "left"), TruthStep(1.8, "backward")),
    jumps=(TruthJump(3.0, 3.4, 0.4, 0.1962, "vertical", 0.0, 7.5, 0.25, 1, 2),),
    revolutions=(TruthRevolution(6.0, "forward", 60.0),),
    reversals=(TruthReversal(8.0, "forward", "backward"),),
    bouts=(TruthBout("walk", 1.0, 2.0, "forward"), TruthBout("pedal", 5.0, 9.0)),
    segments=(TruthSegment("standing", 0.0, 1.0, rest=True),),
    step_label_lag_s=0.125,
    direction_known=False,
    reference_steps=None,
)


def test_labels_written_read_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "walk.truth.json"
    write_truth(path, document_from_truth(FULL, source="simulated walk", placement="chest"))
    labels = read_truth(path)
    assert labels.truth == FULL
    assert labels.origin == "sim" and labels.source == "simulated walk"
    unlabelled = Truth(steps=None, jumps=None, revolutions=None, reversals=None, reference_steps=9)
    assert parse_truth("x", document_from_truth(unlabelled)).truth == unlabelled


def doc(**extra: Any) -> dict[str, Any]:
    return {"steps": [{"t": 1.0}], "jumps": [], "bouts": [], **extra}


def test_oxford_labels_lag_and_know_forward_only_where_the_readme_says() -> None:
    oxford = "Oxford-step-counter/DataSet@922cc0d851 validation/user1_{}_15064.csv (truth: ...)"
    hand = parse_truth("x", doc(source=oxford.format("hand"), position="hand")).truth
    assert hand.step_label_lag_s == 0.125 and hand.direction_known
    pouch = doc(source=oxford.format("neckpouch"), position="neckpouch")
    pouch["axes_variants"] = ["+z,+x,+y", "-z,-x,+y"]
    assert parse_truth("x", pouch).truth.direction_known
    jamie = dict(pouch, source="Oxford-step-counter/DataSet@922cc0d851 optimisation/data/Pixel")
    assert not parse_truth("x", jamie).truth.direction_known
    arm = parse_truth("x", doc(source=oxford.format("armband"), position="armband"))
    assert not arm.truth.direction_known and arm.site == "upper arm" and arm.origin == "real"
    # A file's own keys win over the facts.
    own = parse_truth("x", doc(source=oxford.format("hand"), step_label_lag_s=0.0))
    assert own.truth.step_label_lag_s == 0.0
    told = parse_truth("x", dict(pouch, forward_known=False)).truth
    assert not told.direction_known


def test_several_axes_mean_forward_was_a_guess_except_where_known() -> None:
    guessed = doc(source="somebody's phone", axes_variants=["+x,+y,+z", "-x,-y,+z"])
    assert not parse_truth("x", guessed).truth.direction_known
    assert parse_truth("x", doc(source="IPOL", axes_variants=["+x,+y,+z"])).truth.direction_known
    realworld = dict(guessed, source="RealWorld HAR (Univ. Mannheim) ...")
    assert parse_truth("x", realworld).truth.direction_known


def test_reference_counts_and_rest_segments() -> None:
    labels = parse_truth(
        "x",
        {
            "steps": None,
            "reference_steps_from_gyro_swings": 686,
            "segments": [
                {"label": 1, "start": 0.0, "end": 9.0, "activity": "working at computer (sitting)"},
                {"start": 9.0, "end": 12.0, "activity": "standing up, walking, stairs (mixed)"},
                {"start": 12.0, "end": 20.0, "activity": "talking while standing"},
                {"start": 20.0, "end": 30.0, "activity": "walking"},
                {"start": 30.0, "end": 40.0, "activity": "yoga", "rest": True},
            ],
        },
    )
    assert labels.truth.reference_steps == 686 and labels.truth.steps is None
    assert [s.rest for s in labels.truth.segments] == [True, False, True, False, True]
    assert labels.truth.step_reference == 686


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"steps": [{"t": "soon"}]}, "steps[0].t: expected a number"),
        ({"steps": {"t": 1}}, "steps: expected a list or null"),
        ({"steps": [], "forward_known": "yes"}, "forward_known: expected true or false"),
        ({"steps": None, "reference_steps": 12.5}, "reference_steps: expected a count of steps"),
        ({"segments": [{"start": 0.0}]}, "segments[0].end: expected a number"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_bad_labels_name_the_field(document: object, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.truth.json"
    path.write_text(json.dumps(document))
    with pytest.raises(RecordingError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_truth(path)
