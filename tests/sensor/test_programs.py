"""Program files: the built-in ones load, bad ones are one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.program import IntervalActivity
from sensor.cli import main
from sensor.programs import builtin_programs_dir, load_program, program_files


def test_every_built_in_program_loads_and_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    names = sorted(p.stem for p in builtin_programs_dir().glob("*.toml"))
    assert {"retro-walk-intervals", "backward-jump-drill", "backward-cycling-intervals"} <= set(
        names
    )
    assert main(["program", "list"]) == 0
    out = capsys.readouterr().out
    for name in names:
        assert name in out
        assert load_program(name).plan()


def test_the_walking_intervals_are_five_rounds_of_walk_and_rest() -> None:
    program = load_program("retro-walk-intervals")
    plan = program.plan()
    assert len(plan) == 10
    assert [i.activity for _, _, i in plan[:2]] == [IntervalActivity.WALK, IntervalActivity.REST]
    assert plan[0][2].direction == "backward"
    assert plan[0][2].duration_s == 120


def test_show_lists_intervals_and_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["program", "show", "backward-jump-drill"]) == 0
    out = capsys.readouterr().out
    assert "3 rounds of 2 intervals" in out
    assert "16 jumps (soft landings)" in out


def test_a_user_program_by_path_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[intervals]]\nactivity = "walk"\ndirection = "backward"\nreps = 100\n', encoding="utf-8"
    )
    assert main(["program", "check", str(path)]) == 0
    assert f"ok: {path}: mine, 1 intervals" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[intervals]]\nactivity = "hop"\nreps = 3\n',
            "intervals[0].activity: expected one of 'walk', 'pedal', 'jump', 'rest', got 'hop'",
        ),
        (
            '[[intervals]]\nactivity = "rest"\nduration_s = -10\n',
            "intervals[0].duration_s: expected 1..86400 seconds, got -10.0",
        ),
        (
            '[[intervals]]\nactivity = "walk"\nreps = 3\ncadense_spm = [90, 120]\n',
            "intervals[0].cadense_spm: unknown key; did you mean 'cadence_spm'?",
        ),
        ('name = "x"\nrepeat = 3\n', "intervals: a program needs [[intervals]] tables"),
        (
            '[[intervals]]\nactivity = "walk"\nduration_s = 60\nreps = 10\n',
            "intervals[0].duration_s: give either duration_s or reps, not both or neither",
        ),
    ],
)
def test_a_bad_program_is_one_line_and_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "sensor", "program", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"retrosense: error: {path}: {expected}"]


def test_an_unknown_program_name_suggests_the_closest() -> None:
    assert "retro-walk-intervals" in program_files()
    out = subprocess.run(
        [sys.executable, "-m", "sensor", "program", "show", "retro-walk"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "did you mean 'retro-walk-intervals'?" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_the_configuration_follows_a_program_by_name_or_written_out(tmp_path: Path) -> None:
    from sensor.config import load_config

    named = tmp_path / "named.toml"
    named.write_text('[program]\nfollow = "backward-jump-drill"\n', encoding="utf-8")
    assert load_config(str(named)).config.program == load_program("backward-jump-drill")
    inline = tmp_path / "inline.toml"
    inline.write_text(
        '[program]\nname = "Mine"\nrepeat = 2\n[[program.intervals]]\nactivity = "walk"\n'
        'direction = "backward"\nreps = 50\n[coach]\noff = ["soft_streak"]\n',
        encoding="utf-8",
    )
    cfg = load_config(str(inline)).config
    assert cfg.program is not None and cfg.program.name == "Mine"
    assert len(cfg.program.plan()) == 2
    assert [str(k) for k in cfg.coach.off] == ["soft_streak"]
    assert load_config(None, search_user_dir=False).config.program is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[program]\nfollow = "retro-walk"\n',
            "program.follow: unknown program 'retro-walk'",
        ),
        (
            '[program]\nfollow = "backward-jump-drill"\nrepeat = 2\n',
            "program.repeat: give either 'follow' or a program's own keys, not both",
        ),
        (
            '[program]\nname = "x"\n[[program.intervals]]\nactivity = "jump"\nreps = 3\n'
            "cadence_rpm = [60, 90]\n",
            "program.intervals[0].cadence_rpm: a target for 'pedal' intervals, not 'jump'",
        ),
        ('[coach]\noff = ["stiff"]\n', "coach.off[0]: expected one of"),
        ("[coach]\nrepeat_gap_s = -1\n", "coach.repeat_gap_s: expected 0..3600 seconds"),
    ],
)
def test_a_bad_program_or_coach_table_in_the_configuration_is_one_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "sensor", "config", "check", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"retrosense: error: {path}: {expected}"), lines
