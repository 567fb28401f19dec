"""The evaluation runner and report on real recordings: variants, parallel runs, layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analysis.evaluate import GAPS, LOW_RATE, PLAIN, REVERSED
from sensor.cli import main
from sensor.evaluation import (
    EvaluationOptions,
    evaluate_file,
    evaluate_files,
    expand_recordings,
    format_markdown,
    report_json,
)
from sensor.evaluation.runner import detect, read_samples
from sensor.session import analyze_file
from tests.paths import AS_RECORDINGS

pytestmark = pytest.mark.skipif(
    not AS_RECORDINGS.exists(), reason="shared real recordings are not present"
)

WALK = AS_RECORDINGS / "ipol_2-1_lowback.csv"
SHIN = AS_RECORDINGS / "realworld" / "rw_s1_walking_shin.csv"
REST = AS_RECORDINGS / "casale" / "casale_s15_chest.csv"


def test_detect_on_samples_gives_analyzes_events() -> None:
    for path in (WALK, REST):
        samples, source = read_samples(path)
        events, duration_s = analyze_file(str(path))
        held, held_s = detect(source, samples)
        assert [e.to_dict() for e in held] == [e.to_dict() for e in events]
        assert held_s == duration_s


def test_a_real_walk_is_scored_as_it_is_played_backward_gapped_and_resampled() -> None:
    plain, back, gapped, slow = evaluate_file(WALK)
    assert (plain.variant, back.variant, gapped.variant) == (PLAIN, REVERSED, GAPS)
    assert slow.variant == LOW_RATE and slow.group == "real resampled waist 25 Hz +gyro"
    assert slow.scores["step"].n_truth == plain.scores["step"].n_truth
    assert slow.scores["step"].f1 > 0.8
    assert plain.origin == "real" and back.group == "real time-reversed waist 100 Hz +gyro"
    steps = back.scores["step"]
    assert steps.n_truth == plain.scores["step"].n_truth > 20
    # Played backward the walk is still a walk of steps, found near the reversed contacts.
    assert steps.f1 > 0.8 and abs(steps.summary()["time_error_bias_s"] or 1.0) < 0.1
    g = gapped.scores["step"]
    assert g.gaps_cut >= 2 and 0 < g.after_gap_found <= g.n_truth
    assert evaluate_file(WALK, options=EvaluationOptions(variants=False)) == (plain,)


def test_a_reference_count_file_is_counted_and_its_direction_scored_in_its_bout() -> None:
    plain, *_ = evaluate_file(SHIN)
    step = plain.scores["step"].summary()
    assert not step["labelled"] and step["n_reference"] == 686
    assert step["count_files"] == 1 and step["direction_scored"]


def test_rest_segments_are_scored_where_the_chest_is_still() -> None:
    (rec,) = evaluate_file(REST)  # no step labels, no reference count: no variants
    rest = [s for s in rec.segments if s.rest]
    assert {s.activity for s in rest} == {
        "working at computer (sitting)",
        "standing",
        "talking while standing",
    }
    assert all(0 <= s.still_s <= s.labelled_s for s in rest)
    # The sitting is mostly still; one "standing" label is walking throughout (69 s at
    # 1461-1531 s, its acceleration varying as the labelled walk's does).
    assert rest[0].still_s > 0.8 * rest[0].labelled_s
    assert min(s.still_s / s.labelled_s for s in rest) < 0.1
    step = rec.scores["step"]
    assert step.rest_s == pytest.approx(sum(s.still_s for s in rest))
    assert step.rest_labelled_events == sum(s.count("step") for s in rest) >= step.rest_events


def test_parallel_runs_keep_the_order_and_the_figures(tmp_path: Path) -> None:
    files = [
        AS_RECORDINGS / "ipol_1-1_lowback.csv",
        AS_RECORDINGS / "mcginnis_sacrum_jump.csv",
        WALK,
    ]
    one = evaluate_files(files, options=EvaluationOptions(jobs=1))
    two = evaluate_files(files, options=EvaluationOptions(jobs=2))
    assert [(r.name, r.variant) for r in two] == [(r.name, r.variant) for r in one]
    assert report_json(two) == report_json(one)
    assert format_markdown(two) == format_markdown(one)


def test_directories_are_searched_with_their_subfolders(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for src, dst in ((WALK, tmp_path / "a.csv"), (SHIN, tmp_path / "sub" / "b.csv")):
        shutil.copy(src, dst)
        shutil.copy(src.with_suffix(".truth.json"), dst.with_suffix(".truth.json"))
    (tmp_path / "sub" / "unlabelled.csv").write_text(WALK.read_text())
    assert expand_recordings([tmp_path]) == [str(tmp_path / "a.csv"), str(tmp_path / "sub/b.csv")]


def test_markdown_leads_with_real_rows_and_renders_targets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = Path(__file__).resolve().parents[1] / "data" / "sim" / "walk_chest_25hz.csv"
    assert main(["evaluate", str(sim), str(WALK), "--format", "markdown", "-j", "1"]) == 0
    md = capsys.readouterr().out
    rows = [
        line for line in md.splitlines() if line.startswith("| real ") or line.startswith("| sim ")
    ]
    assert rows[0].startswith("| real waist 100 Hz +gyro | 1 |")
    first_sim = next(i for i, r in enumerate(rows) if r.startswith("| sim "))
    assert all(r.startswith("| real ") for r in rows[:first_sim])
    assert "F1 (≥ 0.97 real chest, waist;" in md
    assert "| real time-reversed waist 100 Hz +gyro | 1 |" in md
    assert "issue" not in md.lower()
    assert main(["evaluate", str(WALK), "--format", "json", "--no-variants"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["variant"] for r in report["recordings"]] == [""]
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(WALK), "--jobs", "x"])
    assert exit_info.value.code == 2
    assert "argument --jobs/-j: expected an integer within 0..256" in capsys.readouterr().err
