"""Files from someone else: bounded reading, values checked, no path opened on a file's word.

Each case here once got through the readers (a traceback, gigabytes of memory, a file of the
reader's opened, or a silent nonsense result); each now ends in one line naming the file (and
line) and exit code 2, or in a warning and a sensible result.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from analysis.types import Placement, Samples
from sensor.ble.profiles import load_profile
from sensor.capture import CaptureReader, CaptureSource, CaptureWriter
from sensor.cli import main
from sensor.errors import ConfigError, RecordingError
from sensor.recording import RecordingReader, RecordingWriter
from sensor.settings import read_toml
from sensor.sources import SourceOptions, open_source
from tests.paths import DATA

CAPTURE = DATA / "ble" / "h10_walk_chest.jsonl"
POLAR = DATA / "ble" / "polar_sensor_logger_ACC.txt"
PHYPHOX = DATA / "ble" / "phyphox_acceleration.csv"
#: sensor.safeio's bounds, as documented in docs/formats.md.
MAX_LINE_CHARS = 65_536
MAX_TOML_BYTES = 1 << 20
HEAD = "# retrosense-recording: 1\n# placement: chest\n# sample_rate_hz: 100\n"
COLUMNS = "time_s,acc_x_g,acc_y_g,acc_z_g\n"


def rows(n: int, rate_hz: float = 100.0) -> list[str]:
    return [f"{i / rate_hz:.4f},0.01,0.02,1.0" for i in range(n)]


def recording(tmp_path: Path, body: list[str], head: str = HEAD, name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_text(head + COLUMNS + "\n".join(body) + "\n", encoding="utf-8")
    return path


def capture_lines() -> list[str]:
    return CAPTURE.read_text().splitlines()


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The one error line on stderr (warnings before it are fine)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if not line.startswith("retrosense: WARNING")]
    assert len(errors) == 1 and errors[0].startswith("retrosense: error: "), errors
    return errors[0]


# ------------------------------------------------------------------ recording CSV


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("\ufeff" + HEAD + COLUMNS + "\n".join(rows(50)) + "\n", encoding="utf-8")
    source = open_source(path)
    assert source.info.sample_rate_hz == 100
    assert sum(len(c) for c in source.body_chunks()) == 50


def test_a_number_python_reads_but_numpy_refuses_is_reported_at_its_own_line(
    tmp_path: Path,
) -> None:
    body = rows(40)
    body[15] = "0.1500,1_0,0.02,1.0"  # line 4 + 16 = 20
    with pytest.raises(RecordingError, match="acc_x_g: expected a number, got '1_0'") as info:
        list(RecordingReader(recording(tmp_path, body)).chunks())
    assert info.value.line == 20


def test_a_line_numpy_alone_refuses_is_found_by_halving(tmp_path: Path) -> None:
    body = rows(40)
    body[30] = "0.3000,0.01,0.02,\u0661"  # an Arabic-Indic one: Python's float takes it
    with pytest.raises(RecordingError) as info:
        list(RecordingReader(recording(tmp_path, body)).chunks())
    assert info.value.line == 4 + 31


def test_a_gigantic_line_fails_fast_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEAD + COLUMNS + "\n".join(rows(10)) + "\n0.1,")
        chunk = "1" * (1 << 20)
        for _ in range(32):  # a 32 MB line without a newline
            f.write(chunk)
        f.write("\n")
    tracemalloc.start()
    with pytest.raises(RecordingError, match="longer than") as info:
        list(RecordingReader(path, chunk_rows=1024).chunks())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.value.line == 4 + 11
    assert peak < 8 << 20, f"{peak} bytes held for a 32 MB line"


def test_a_gigantic_header_line_fails_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "head.csv"
    path.write_text(HEAD + "# note: " + "x" * (MAX_LINE_CHARS + 10) + "\n" + COLUMNS)
    with pytest.raises(RecordingError, match="longer than") as info:
        RecordingReader(path)
    assert info.value.line == 4


def test_a_million_columns_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    extra = ",".join(f"c{i}" for i in range(300))
    path.write_text(HEAD + COLUMNS.strip() + "," + extra + "\n")
    with pytest.raises(RecordingError, match="expected at most 256 columns, got 304") as info:
        RecordingReader(path)
    assert info.value.line == 4
    path.write_text(HEAD + "time_s" + ",a" * 1_000_000 + "\n")
    with pytest.raises(RecordingError, match="longer than"):
        RecordingReader(path)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("0.05,1e300,0.02,1.0", "acc_x_g: expected a value within ±1000 g"),
        ("0.05,0.01,-1001,1.0", "acc_y_g: expected a value within ±1000 g"),
    ],
)
def test_values_beyond_any_sensor_are_refused_with_their_line(
    tmp_path: Path, row: str, message: str
) -> None:
    body = rows(10)
    body[5] = row
    with pytest.raises(RecordingError, match=message) as info:
        list(RecordingReader(recording(tmp_path, body)).chunks())
    assert info.value.line == 4 + 6


def test_gyro_beyond_any_sensor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    cols = "time_s,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps\n"
    body = [f"{i / 100:.2f},0,0,1,0,0,0" for i in range(5)] + ["0.05,0,0,1,0,20000,0"]
    path.write_text(HEAD + cols + "\n".join(body) + "\n")
    with pytest.raises(RecordingError, match=r"gyro_y_dps: expected a value within ±10000 °/s"):
        list(RecordingReader(path).chunks())


def test_1e300_g_through_analyze_is_one_line_and_no_numpy_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = [f"{i / 100:.2f},1e300,1e300,1e300" for i in range(500)]
    assert main(["analyze", str(recording(tmp_path, body))]) == 2
    assert "expected a value within ±1000 g" in one_line_error(capsys)


def test_a_declared_rate_the_timestamps_contradict_is_reported_and_the_measured_one_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    head = HEAD.replace("sample_rate_hz: 100", "sample_rate_hz: 10000")
    path = recording(tmp_path, rows(60, rate_hz=1.0), head)
    with caplog.at_level(logging.WARNING):
        reader = RecordingReader(path)
    assert reader.header.sample_rate_hz == 1.0
    assert "declares 10000 Hz but its timestamps show 1 Hz; using 1 Hz" in caplog.text
    # Within a factor of two, the declared rate stands (jitter, drift, a few lost rows).
    caplog.clear()
    head = HEAD.replace("sample_rate_hz: 100", "sample_rate_hz: 60")
    assert RecordingReader(recording(tmp_path, rows(60), head)).header.sample_rate_hz == 60
    assert "declares" not in caplog.text


def test_timestamps_showing_a_rate_no_stream_runs_at_are_refused(tmp_path: Path) -> None:
    path = recording(tmp_path, rows(10, rate_hz=0.01))
    with pytest.raises(RecordingError, match=r"timestamps show 0.01 Hz .* within 1..10000"):
        RecordingReader(path)


@pytest.mark.parametrize(
    "placement", ["chest", "waist", "wrist", "thigh", "shank", "ankle", "foot"]
)
@pytest.mark.parametrize("rate_hz", [1, 2, 3, 5, 7, 8])
def test_low_rates_leave_out_the_detectors_they_cannot_serve_and_run_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], placement: str, rate_hz: int
) -> None:
    rng = np.random.default_rng(rate_hz)
    n = 60 * rate_hz
    acc = rng.normal(0, 0.3, (n, 3)) + np.array([0.0, 0.0, 1.0])
    body = [f"{i / rate_hz:.4f},{x:.4f},{y:.4f},{z:.4f}" for i, (x, y, z) in enumerate(acc)]
    head = HEAD.replace("chest", placement).replace("100", str(rate_hz))
    path = recording(tmp_path, body, head)
    assert main(["analyze", str(path)]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "not detected" in line]
    assert all("needs more than" in n and f"runs at {rate_hz} Hz" in n for n in notes)
    suited = {
        "chest": ["jumps", "steps"],
        "waist": ["jumps", "steps"],
        "wrist": ["steps"],
        "thigh": ["steps"],
        "shank": ["jumps", "pedalling", "steps"],
        "ankle": ["jumps", "pedalling", "steps"],
        "foot": ["pedalling", "steps"],
    }[placement]
    lowest = {"steps": 6.7, "pedalling": 7.8, "jumps": 8.8}
    left_out = [d for d in suited if rate_hz < lowest[d]]
    assert [n.split(": ")[-2].split()[0] for n in notes] == left_out


def test_the_recording_writer_keeps_a_name_with_control_characters_on_one_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "band.csv"
    with RecordingWriter(
        path,
        placement=Placement.CHEST,
        sample_rate_hz=100,
        device="Evil\nband\x1b[2J",
        extra={"band_id": "x\r\ny", "a:b\n": "c"},
    ) as w:
        w.write(Samples(np.arange(3) / 100, np.tile([0.0, 0.0, 1.0], (3, 1))))
    reader = RecordingReader(path)
    assert reader.header.device == "Evil\\nband\\x1b[2J"
    assert reader.header.extra == {"band_id": "x\\r\\ny", "a_b\\n": "c"}
    assert len(reader.read_all()) == 3


def test_an_atomic_writer_leaves_the_old_file_when_it_fails(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("the good one\n")
    with (
        pytest.raises(RuntimeError),
        RecordingWriter(path, placement=Placement.CHEST, sample_rate_hz=100, atomic=True) as w,
    ):
        w.write(Samples(np.arange(3) / 100, np.tile([0.0, 0.0, 1.0], (3, 1))))
        raise RuntimeError("the run fails half way")
    assert path.read_text() == "the good one\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left


# --------------------------------------------------------------------- convert


@pytest.mark.parametrize("link", ["same", "symlink", "hardlink"])
def test_convert_refuses_to_write_over_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str
) -> None:
    cap = tmp_path / "cap.jsonl"
    cap.write_bytes(CAPTURE.read_bytes())
    out = cap
    if link == "symlink":
        out = tmp_path / "link.csv"
        out.symlink_to(cap)
    elif link == "hardlink":
        out = tmp_path / "hard.csv"
        os.link(cap, out)
    assert main(["convert", str(cap), str(out)]) == 2
    assert "it is the input" in one_line_error(capsys)
    assert cap.read_bytes() == CAPTURE.read_bytes()


def test_a_convert_that_fails_half_way_leaves_the_old_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cap = tmp_path / "cap.jsonl"
    lines = capture_lines()
    cap.write_text("\n".join([*lines[:40], "not json", *lines[40:]]) + "\n")
    out = tmp_path / "good.csv"
    out.write_text("an earlier good conversion\n")
    assert main(["convert", str(cap), str(out)]) == 2
    assert f"{cap}:41: expected a JSON object" in one_line_error(capsys)
    assert out.read_text() == "an earlier good conversion\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cap.jsonl", "good.csv"]


# ---------------------------------------------------------------------- captures


def capture_with_header(tmp_path: Path, **changes: object) -> Path:
    lines = capture_lines()
    header = json.loads(lines[0])
    header.update(changes)
    path = tmp_path / "cap.jsonl"
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    return path


@pytest.mark.parametrize("named", ["/etc/passwd", "../mine.toml", "profiles/polar-h10"])
def test_a_capture_never_makes_the_reader_open_a_path(tmp_path: Path, named: str) -> None:
    # A valid profile at the path named: the old reader loaded it.
    mine = tmp_path / "mine.toml"
    mine.write_text('driver = "polar-pmd"\nsample_rates_hz = [25, 50, 100, 200]\n')
    path = capture_with_header(tmp_path, profile=named.replace("..", str(tmp_path)))
    with pytest.raises(RecordingError, match="never a path") as info:
        CaptureSource(path)
    assert info.value.line == 1


def test_a_capture_carries_a_profile_that_is_not_built_in(tmp_path: Path) -> None:
    mine = tmp_path / "my-band.toml"
    builtin = (DATA.parent.parent / "config" / "devices" / "witmotion.toml").read_text()
    mine.write_text(builtin.replace("Polar", "Mine"))
    profile = load_profile(str(mine))
    cap = tmp_path / "mine.jsonl"
    with CaptureWriter(
        cap,
        profile=profile,
        name="mine",
        address="",
        placement=Placement.CHEST,
        body_axes="+x,+y,+z",
        started_unix_s=0.0,
    ):
        pass
    mine.unlink()  # whoever replays it has no such file
    source = CaptureSource(cap)
    assert source.profile == profile
    # A built-in profile is named, not carried.
    with CaptureWriter(
        cap,
        profile=load_profile("polar-h10"),
        name="h10",
        address="",
        placement=Placement.CHEST,
        body_axes="+x,+y,+z",
        started_unix_s=0.0,
    ):
        pass
    assert "profile_table" not in json.loads(cap.read_text().splitlines()[0])


@pytest.mark.parametrize(
    ("key", "value"),
    [("sample_rate_hz", 1e12), ("sample_rate_hz", 1e-9), ("acc_range_g", 0), ("acc_range_g", 1e9)],
)
def test_capture_header_numbers_are_range_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: float
) -> None:
    path = capture_with_header(tmp_path, **{key: value})
    assert main(["analyze", str(path)]) == 2
    line = one_line_error(capsys)
    assert f"{path}:1: {key}: expected a number within" in line


def test_a_deeply_nested_capture_line_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.jsonl"
    lines = capture_lines()
    path.write_text("\n".join([*lines[:5], "[" * 30_000 + "]" * 30_000, *lines[5:]]) + "\n")
    assert main(["analyze", str(path)]) == 2
    assert f"{path}:6: expected a flat JSON object" in one_line_error(capsys)


def test_a_gigantic_capture_line_fails_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    lines = capture_lines()
    path.write_text("\n".join([*lines[:3], '{"t": 1, "x": "' + "a" * (4 * MAX_LINE_CHARS)]))
    tracemalloc.start()
    with pytest.raises(RecordingError, match="longer than") as info:
        list(CaptureReader(path).lines())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.value.line == 4
    assert peak < 2 * MAX_LINE_CHARS + (1 << 20)


def test_a_capture_that_decodes_to_nothing_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = capture_with_header(tmp_path, profile="witmotion", sample_rate_hz=100)
    assert main(["analyze", str(path)]) == 0
    err = capsys.readouterr().err
    assert re.search(r"none of its \d+ notifications decoded into samples with profile witm", err)
    assert main(["analyze", str(CAPTURE)]) == 0
    assert "none of its" not in capsys.readouterr().err


def test_a_capture_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_text("\ufeff" + CAPTURE.read_text(), encoding="utf-8")
    assert sum(len(c) for c in open_source(path).body_chunks()) > 1700


def test_a_capture_line_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bin.jsonl"
    lines = [line.encode() for line in capture_lines()]
    path.write_bytes(b"\n".join([*lines[:7], b'{"t": 1, "x": "\xff"}', *lines[7:]]) + b"\n")
    with pytest.raises(RecordingError, match="expected UTF-8") as info:
        list(CaptureReader(path).lines())
    assert info.value.line == 8


# ------------------------------------------------------------------------ exports


def test_export_lines_are_bounded_and_values_checked(tmp_path: Path) -> None:
    text = POLAR.read_text().splitlines()
    path = tmp_path / "x_ACC.txt"
    path.write_text("\n".join([*text[:5], "x;" + "1" * (2 * MAX_LINE_CHARS), *text[5:]]) + "\n")
    with pytest.raises(RecordingError, match="longer than") as info:
        open_source(path)
    assert info.value.line == 6
    bad = text[4].split(";")
    bad[2] = "1e300"
    path.write_text("\n".join([*text[:4], ";".join(bad), *text[5:]]) + "\n")
    with pytest.raises(RecordingError, match="within ±1000 g") as info:
        open_source(path)
    assert info.value.line == 5
    bad[2] = "nan"
    path.write_text("\n".join([*text[:4], ";".join(bad), *text[5:]]) + "\n")
    with pytest.raises(RecordingError, match="expected 5 ';'-separated fields with numbers"):
        open_source(path)


def test_a_phyphox_export_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text("\ufeff" + PHYPHOX.read_text(), encoding="utf-8")
    source = open_source(path, SourceOptions(placement=Placement.WRIST))
    assert source.info.sample_rate_hz == 50


# ----------------------------------------------------------------- TOML files


@pytest.mark.parametrize("target", ["/dev/zero", "big"])
def test_a_profile_that_is_a_device_or_huge_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    if target == "big":
        big = tmp_path / "big.toml"
        big.write_text("# " + "x" * MAX_TOML_BYTES + "\n")
        target = str(big)
    config = tmp_path / "c.toml"
    config.write_text(f'[[bands]]\nprofile = "{target}"\nname = "Polar H10"\n')
    tracemalloc.start()
    assert main(["config", "check", "--config", str(config)]) == 2
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    line = one_line_error(capsys)
    assert "bands[0].profile" in line and "cannot read" in line
    assert peak < 16 * MAX_TOML_BYTES


def test_deep_toml_non_utf8_toml_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="nested at most 32 deep"):
        read_toml(path)
    path.write_text("[" + ".".join(["a"] * 2000) + "]\nx = 1\n")
    with pytest.raises(ConfigError, match="nested at most 32 deep"):
        read_toml(path)
    path.write_bytes(b'[broker]\nurl = "mqtt://h\xe9:1883"\n')
    with pytest.raises(ConfigError, match="expected UTF-8 text, got byte 0xe9 on line 2"):
        read_toml(path)
    path.write_bytes("\ufeff[broker]\nkeepalive_s = 30\n".encode())
    assert read_toml(path) == {"broker": {"keepalive_s": 30}}


def test_config_commands_say_non_utf8_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"# caf\xe9\n")
    assert main(["config", "check", "--config", str(path)]) == 2
    assert "expected UTF-8 text" in one_line_error(capsys)
