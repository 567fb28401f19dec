"""Recording CSV v1: round trip, chunked reading, and every bad input the spec lists."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from analysis.types import Placement, Samples
from sensor.errors import RecordingError
from sensor.recording import RecordingReader, RecordingWriter, to_body
from tests.paths import real_recordings

GOOD = """\
# retrosense-recording: 1
# device: Polar H10 0A1B2C3D
# placement: chest
# sample_rate_hz: 100
# body_axes: +z,+x,+y
time_s,acc_x_g,acc_y_g,acc_z_g
0.00000,0.118,0.987,-0.119
0.01000,0.113,0.993,-0.115
0.02000,0.110,0.990,-0.110
"""


def write(tmp_path: Path, text: str, name: str = "rec.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_the_spec_example(tmp_path: Path) -> None:
    reader = RecordingReader(write(tmp_path, GOOD))
    assert reader.header.placement is Placement.CHEST
    assert reader.header.sample_rate_hz == 100.0
    assert reader.header.device == "Polar H10 0A1B2C3D"
    s = reader.read_all()
    np.testing.assert_allclose(s.time_s, [0.0, 0.01, 0.02])
    np.testing.assert_allclose(s.acc_g[0], [0.118, 0.987, -0.119])
    body = to_body(s, reader.header.axes_matrix)
    np.testing.assert_allclose(body.acc_g[0], [-0.119, 0.118, 0.987])  # up is sensor +y


def test_columns_in_any_order_unknown_columns_and_empty_hr(tmp_path: Path) -> None:
    text = (
        "# retrosense-recording: 1\n# placement: shank\n# sample_rate_hz: 50\n# colour: red\n"
        "time_s,hr_bpm,gyro_z_dps,acc_z_g,note,acc_y_g,acc_x_g,gyro_x_dps,gyro_y_dps\n"
        "0.0,72,3.0,1.0,a,0.2,0.1,1.0,2.0\n"
        "0.02,,6.0,1.1,b,0.3,0.4,4.0,5.0\n"
    )
    reader = RecordingReader(write(tmp_path, text))
    assert reader.header.extra == {"colour": "red"}
    s = reader.read_all()
    np.testing.assert_allclose(s.acc_g, [[0.1, 0.2, 1.0], [0.4, 0.3, 1.1]])
    assert s.gyro_dps is not None and s.hr_bpm is not None
    np.testing.assert_allclose(s.gyro_dps, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert s.hr_bpm[0] == 72 and np.isnan(s.hr_bpm[1])


def test_round_trip_through_the_writer_in_small_chunks(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 1000
    t = np.arange(n) / 200.0
    hr = np.full(n, np.nan)
    hr[::200] = 61.0
    samples = Samples(
        time_s=t, acc_g=rng.normal(size=(n, 3)), gyro_dps=rng.normal(size=(n, 3)) * 100, hr_bpm=hr
    )
    path = tmp_path / "out.csv"
    with RecordingWriter(
        path,
        placement=Placement.ANKLE,
        sample_rate_hz=200,
        has_gyro=True,
        has_hr=True,
        body_axes="-y,+x,+z",
        device="test",
    ) as w:
        for c in samples.chunks(77):
            w.write(c)
    reader = RecordingReader(path, chunk_rows=128)
    chunks = list(reader.chunks())
    assert [len(c) for c in chunks] == [128] * 7 + [104]
    back = Samples.concat(chunks)
    np.testing.assert_allclose(back.time_s, t, atol=1e-6)
    np.testing.assert_allclose(back.acc_g, samples.acc_g, atol=1e-5)
    assert back.gyro_dps is not None and back.hr_bpm is not None
    np.testing.assert_allclose(back.gyro_dps, samples.gyro_dps, atol=1e-4)
    np.testing.assert_array_equal(np.isnan(back.hr_bpm), np.isnan(hr))
    assert reader.header.body_axes == "-y,+x,+z"
    assert reader.header.placement is Placement.ANKLE


def test_truncated_last_line_is_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, GOOD + "0.03000,0.11")
    with caplog.at_level(logging.WARNING):
        s = RecordingReader(path).read_all()
    assert len(s) == 3
    assert reader_line_warning(caplog.text) == f"{path}:10"


def reader_line_warning(text: str) -> str:
    line = next(ln for ln in text.splitlines() if "incomplete" in ln)
    return line.split(": last line")[0].split()[-1]


def test_placement_override(tmp_path: Path) -> None:
    reader = RecordingReader(write(tmp_path, GOOD), placement=Placement.WAIST)
    assert reader.header.placement is Placement.WAIST


BAD = [
    (GOOD.replace("# retrosense-recording: 1\n", "# x: 1\n"), 1, "first line"),
    (GOOD.replace("# placement: chest\n", ""), None, "missing required metadata line '# placement"),
    (GOOD.replace("# sample_rate_hz: 100\n", ""), None, "sample_rate_hz"),
    (GOOD.replace("placement: chest", "placement: elbow"), 3, "expected a placement"),
    (GOOD.replace("sample_rate_hz: 100", "sample_rate_hz: fast"), 4, "sample_rate_hz"),
    (GOOD.replace("+z,+x,+y", "+z,+z,+y"), 5, "body_axes"),
    (GOOD.replace("+z,+x,+y", "up,left,fwd"), 5, "body_axes"),
    (GOOD.replace("retrosense-recording: 1", "retrosense-recording: 2"), 1, "version 1"),
    (GOOD.replace(",acc_z_g\n", ",acc_q_g\n"), 6, "missing required column 'acc_z_g'"),
    (GOOD.replace("time_s,acc_x_g", "acc_x_g,time_s"), 6, "start with 'time_s'"),
    (GOOD.replace("0.01000,0.113", "0.01000,abc"), 8, "acc_x_g: expected a number, got 'abc'"),
    (GOOD.replace("0.02000,", "0.00500,"), 9, "time_s must increase"),
    (GOOD.replace("0.01000,0.113,0.993,-0.115", "0.01000,0.113,0.993"), 8, "expected 4"),
    (
        GOOD.replace("time_s,acc_x_g,acc_y_g,acc_z_g", "time_s,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps"),
        6,
        "all three gyro",
    ),
    (GOOD.replace("0.01000,0.113", "0.01000,nan"), 8, "acc_x_g: expected a finite number"),
    ("", None, "empty"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_bad_input_names_file_line_and_expectation(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RecordingError) as info:
        list(RecordingReader(path).chunks())
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert message in str(err)
    assert "\n" not in str(err)


def test_errors_past_the_first_chunk_have_exact_line_numbers(tmp_path: Path) -> None:
    rows = [f"{i / 100:.2f},0,0,1" for i in range(500)]
    rows[321] = "3.21,0,x,1"
    text = "# retrosense-recording: 1\n# placement: chest\n# sample_rate_hz: 100\n"
    text += "time_s,acc_x_g,acc_y_g,acc_z_g\n" + "\n".join(rows) + "\n"
    with pytest.raises(RecordingError) as info:
        list(RecordingReader(write(tmp_path, text), chunk_rows=100).chunks())
    assert info.value.line == 4 + 322
    assert "acc_y_g" in str(info.value)


@pytest.mark.parametrize("path", real_recordings(), ids=lambda p: p.name)
def test_reads_every_real_recording(path: Path) -> None:
    reader = RecordingReader(path)
    s = reader.read_all()
    assert len(s) > 1000
    assert np.all(np.diff(s.time_s) > 0)
    # Each recording starts standing still: specific force is gravity, about 1 g.
    assert 0.9 < float(np.linalg.norm(np.mean(s.acc_g[:100], axis=0))) < 1.1


def test_reading_memory_is_bounded_by_the_chunk_not_the_file(tmp_path: Path) -> None:
    import tracemalloc

    n = 150_000
    path = tmp_path / "long.csv"
    with RecordingWriter(path, placement=Placement.CHEST, sample_rate_hz=200) as w:
        t = np.arange(n) / 200.0
        acc = np.tile([0.01, -0.02, 1.0], (n, 1))
        w.write(Samples(time_s=t, acc_g=acc))
    file_bytes = path.stat().st_size
    tracemalloc.start()
    rows = 0
    for chunk in RecordingReader(path, chunk_rows=4096).chunks():
        rows += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == n
    assert file_bytes > 5_000_000
    # Held whole, the text alone would be the file size, and Python lists several times it.
    assert peak < file_bytes / 2, f"peak {peak} bytes for a {file_bytes}-byte file"
