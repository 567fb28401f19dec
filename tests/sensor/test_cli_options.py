"""Command-line values are checked by the parser: one line naming the option and what it
expects, exit code 2, before anything runs."""

from __future__ import annotations

import pytest

from sensor.cli import build_parser

BAD = [
    ("replay x.csv --client-id " + "c" * 300, "--client-id", "1..256 bytes"),
    ("replay x.csv --client-id ''", "--client-id", "1..256 bytes"),
    ("replay x.csv --client-id a\x1bb", "--client-id", "without control characters"),
    ("replay x.csv --speed 1e-300", "--speed", "within 0.01..10,000"),
    ("replay x.csv --speed inf", "--speed", "within 0.01..10,000"),
    ("replay x.csv --speed nan", "--speed", "within 0.01..10,000"),
    ("replay x.csv --drain-timeout-s -1", "--drain-timeout-s", "within 0..3,600 s"),
    ("replay x.csv --band-id a\nb", "--band-id", "without control characters"),
    ("replay x.csv --base-topic ''", "--base-topic", "non-empty topic levels"),
    ("replay x.csv --base-topic a/+/b", "--base-topic", "must not contain '+'"),
    ("listen --base-topic ''", "--base-topic", "non-empty topic levels"),
    ("listen --count -1", "--count", "an integer within 1..1,000,000,000"),
    ("listen --count 0", "--count", "an integer within 1..1,000,000,000"),
    ("listen --timeout-s nan", "--timeout-s", "within 0.001..10,000,000 s"),
    ("listen --timeout-s -5", "--timeout-s", "within 0.001..10,000,000 s"),
    ("simulate walk -o x.csv --seed -1", "--seed", "an integer within 0..4,294,967,295"),
    ("simulate walk -o x.csv --seed 1.5", "--seed", "an integer"),
    ("simulate walk -o x.csv --duration-s inf", "--duration-s", "within 1..3,600 s"),
    ("simulate walk -o x.csv --duration-s 1e9", "--duration-s", "within 1..3,600 s"),
    ("simulate walk -o x.csv --rate-hz 5000", "--rate-hz", "within 10..500 Hz"),
    ("simulate walk -o x.csv --tilt-deg nan", "--tilt-deg", "within 0..90 degrees"),
    ("simulate stress -o d --count 0", "--count", "an integer within 1..100,000"),
    ("simulate stress -o d --jobs -2", "--jobs", "an integer within 1..256"),
    ("scan --timeout-s 0", "--timeout-s", "within 0.1..600 s"),
    ("record --band x -o x.csv --duration-s inf", "--duration-s", "within 0.1..604,800 s"),
    ("record --band x -o x.csv --rate-hz 1e12", "--rate-hz", "within 1..10,000 Hz"),
    ("record --band x -o x.csv --range-g 0", "--range-g", "within 0.5..64 g"),
    ("record --band x -o x.csv --scan-timeout-s nan", "--scan-timeout-s", "0.1..600 s"),
    ("run --group a/b", "--group", "one topic level"),
    ("run --worker-id $sys", "--worker-id", "one topic level"),
    ("demo --band-id " + "b" * 49, "--band-id", "1..48 bytes"),
    ("demo --speed 0", "--speed", "within 0.01..10,000"),
]


def split(command: str) -> list[str]:
    """Split on spaces, keeping '' as an empty argument (no shell needed)."""
    return ["" if word == "''" else word for word in command.split(" ")]


@pytest.mark.parametrize(("command", "option", "expected"), BAD, ids=[b[0][:40] for b in BAD])
def test_bad_option_values_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], command: str, option: str, expected: str
) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(split(command))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"error: argument {option}: " in err and expected in err, err


@pytest.mark.parametrize(
    "command",
    [
        "replay x.csv --speed max --client-id retrosense-replay-test --base-topic home/retro",
        "listen --count 3 --timeout-s 0.5",
        "simulate walk -o x.csv --seed 4294967295 --duration-s 30 --rate-hz 200",
        "record --band x -o x.csv --duration-s 60 --rate-hz 200 --range-g 8",
        "run --group retrosense --worker-id pi-kitchen",
    ],
)
def test_good_values_pass(command: str) -> None:
    build_parser().parse_args(split(command))


def test_a_usage_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["analyze"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the following arguments are required: file" in err
