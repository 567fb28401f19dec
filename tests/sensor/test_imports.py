"""Polar Sensor Logger ACC and phyphox accelerometer exports as sources.

The files in tests/data/ble/ are made by tests/data/ble/make_files.py from its deterministic
``reference_walk``, in the layouts the apps write (see sensor/imports.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis.types import Placement, Samples
from sensor.cli import main
from sensor.errors import RecordingError
from sensor.imports import ImportedSource
from sensor.sources import SourceOptions, open_source
from tests.data.ble.make_files import reference_walk
from tests.paths import DATA

POLAR = DATA / "ble" / "polar_sensor_logger_ACC.txt"
PHYPHOX = DATA / "ble" / "phyphox_acceleration.csv"


def test_polar_sensor_logger_export() -> None:
    source = open_source(POLAR)
    assert isinstance(source, ImportedSource)
    s = Samples.concat(list(source.chunks()))
    ref = reference_walk(5.0, 100.0)
    assert len(s) == len(ref.time_s) == 495  # 5 s at 100 Hz less one dropped packet
    np.testing.assert_allclose(s.acc_g, np.round(ref.acc_g * 1000) / 1000, atol=1e-9)
    np.testing.assert_allclose(s.time_s, ref.time_s, atol=1e-9)
    # The file cannot say where the strap sat: a chest H10 unless told otherwise.
    assert source.info.placement is Placement.CHEST and source.info.sample_rate_hz == 100
    told = open_source(POLAR, SourceOptions(placement=Placement.WAIST, body_axes="-y,-x,-z"))
    assert told.info.placement is Placement.WAIST
    body = next(iter(told.body_chunks()))
    np.testing.assert_allclose(body.acc_g[:, 0], -s.acc_g[: len(body), 1])


def test_phyphox_export_needs_placement() -> None:
    with pytest.raises(RecordingError, match="pass --placement"):
        open_source(PHYPHOX)
    source = open_source(PHYPHOX, SourceOptions(placement=Placement.WRIST))
    s = Samples.concat(list(source.chunks()))
    ref = reference_walk(5.0, 50.0)
    assert len(s) == len(ref.time_s) == 247 and source.info.sample_rate_hz == 50
    np.testing.assert_allclose(s.acc_g, ref.acc_g, atol=1e-8)


def test_phyphox_semicolon_and_decimal_comma(tmp_path: Path) -> None:
    path = tmp_path / "Raw Data.csv"
    text = PHYPHOX.read_text().splitlines()
    head = text[0].replace('","', '";"')
    rows = [r.replace(",", ";").replace(".", ",") for r in text[1:]]
    path.write_text("\n".join([head, *rows]) + "\n")
    s = Samples.concat(list(open_source(path, SourceOptions(placement=Placement.WRIST)).chunks()))
    ref = Samples.concat(
        list(open_source(PHYPHOX, SourceOptions(placement=Placement.WRIST)).chunks())
    )
    np.testing.assert_allclose(s.acc_g, ref.acc_g)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Phone timestamp;sensor timestamp [ns];X [mg];Y [mg]\n", 1, "missing column 'Z"),
        (
            "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]\nx;100;1;2;3\nx;90;1;2;q\n",
            3,
            "expected 5 ';'-separated fields",
        ),
        (
            "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]\nx;100;1;2;3\nx;90;1;2;3\n",
            3,
            "time must increase",
        ),
    ],
)
def test_polar_bad_input(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "x_ACC.txt"
    path.write_text(text)
    with pytest.raises(RecordingError, match=message) as info:
        open_source(path)
    assert info.value.line == line


def test_phyphox_linear_acceleration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lin.csv"
    path.write_text('"Time (s)","Linear Acceleration x (m/s^2)","Linear Acceleration y (m/s^2)"\n')
    with pytest.raises(RecordingError, match="gravity removed"):
        open_source(path, SourceOptions(placement=Placement.WRIST))


def test_analyze_reads_exports_with_placement_and_axes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(PHYPHOX)]) == 2
    assert "pass --placement" in capsys.readouterr().err
    code = main(["analyze", str(PHYPHOX), "--placement", "wrist", "--body-axes", "+y,+x,-z"])
    assert code == 0
    for line in capsys.readouterr().out.splitlines():
        assert "type" in json.loads(line)
