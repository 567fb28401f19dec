"""The pedalling benchmark works end to end: a fresh sweep ride, gaps cut in, the fixtures.

The full runs (hundreds of rides, minutes) are ``python -m benchmarks.pedalling``, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.pedalling import main, summary_rows, sweep_segment


def test_sweep_ride_covers_30_to_130_rpm_with_reversals_and_pauses() -> None:
    segment, rider = sweep_segment(np.random.default_rng([5, 7]), "shank")
    revolutions = segment.labels.revolutions
    cadences = [float(str(r["cadence_rpm"])) for r in revolutions]
    assert 1.50 <= rider["height_m"] <= 1.95 and 0.165 <= rider["crank_m"] <= 0.175
    assert len(revolutions) > 40 and max(cadences) <= 140.0
    assert {r["direction"] for r in revolutions} == {"forward", "backward"}
    assert segment.labels.reversals


def test_scores_a_fresh_ride_with_gaps_and_the_fixtures(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    code = main(
        [
            str(tmp_path / "rides"),
            "--seeds",
            "1",
            "--first-seed",
            "5",
            "--kind",
            "sweep",
            "--cell",
            "shank:no",
            "--rate-hz",
            "50",
            "--gaps",
            "5",
            "--jobs",
            "1",
            "--json",
            str(out),
            "--by-file",
        ]
    )
    assert code == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    sets = {r["set"] for r in rows}
    assert {"sweep", "sweep gaps", "fixtures", "fixtures gaps"} <= sets
    gapped = [r for r in rows if r["set"] == "sweep gaps"]
    assert gapped[0]["gaps_cut"] > 5 and gapped[0]["gap_found"] > 0
    # No turn called the wrong way and no false or wrong reversal, gaps or not.
    assert all(not r["wrong_turns"] and not r["reversals_phantom"] for r in rows)
    assert all(not r["reversals_wrong"] for r in rows)
    table = summary_rows(rows)
    assert table[0].startswith("| set | cell |") and len(table) > 4
    assert all(isinstance(r["steps_detected"], int) for r in rows)
    assert table[0].count("|") == table[2].count("|")
