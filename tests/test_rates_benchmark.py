"""The sample-rate benchmark works end to end on the simulated fixtures.

The full run over the shared real recordings is ``python -m benchmarks.rates``, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.rates import main
from tests.paths import ROOT

SIM = ROOT / "tests" / "data" / "sim"


def test_scores_the_fixtures_as_recorded_and_at_a_lower_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rows.json"
    assert main([str(SIM), "--rates", "50", "--jobs", "1", "--json", str(out)]) == 0
    rows = {(r["placement"], r["rate"]): r for r in json.loads(out.read_text(encoding="utf-8"))}
    chest = rows[("chest", "50 Hz")]
    # The 100 Hz and 200 Hz chest walks played at 50 Hz lose nothing (measured: F1 1.000).
    assert chest["files"] == 3 and chest["labelled"] > 100 and chest["f1"] >= 0.98
    assert rows[("chest", "as recorded")]["files"] == 4
    # Nothing is played faster than it was recorded: the 25 Hz chest walk stays as it is.
    assert all(r["rate"] in {"as recorded", "50 Hz"} for r in rows.values())
    table = capsys.readouterr().out
    assert "| chest | 50 Hz | 3 |" in table


def test_says_what_it_expected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path), "--rates", "fast"])
    assert exit_.value.code == 2
    assert "--rates: expected numbers in Hz" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path / "absent")])
    assert "not a directory" in capsys.readouterr().err
