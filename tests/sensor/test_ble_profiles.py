"""Device profiles from TOML (config/devices/ and user files) and the drivers they pick,
without Bluetooth: decoding is pure, so drivers are fed payloads directly."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from analysis.types import Placement
from sensor.ble.drivers import make_driver
from sensor.ble.items import CadenceReading, SampleBatch
from sensor.ble.profiles import all_profiles, load_profile, load_profile_file, match_profile
from sensor.decoders.csc import CSC_MEASUREMENT
from sensor.errors import ConfigError, DeviceError

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "devices" / "esp32-example.toml"


def test_builtin_profiles_load() -> None:
    names = {p.name for p in all_profiles()}
    assert {
        "polar-h10",
        "witmotion",
        "movesense",
        "heart-rate",
        "csc",
        "rsc",
        "esp32-example",
    } <= names
    h10 = load_profile("polar-h10")
    assert h10.driver == "polar-pmd" and h10.acc_range_g == 8 and h10.heart_rate
    assert h10.placement is Placement.CHEST


def test_scan_matching_prefers_names_over_services() -> None:
    profiles = all_profiles()
    hr = "0000180d-0000-1000-8000-00805f9b34fb"
    h10 = match_profile("Polar H10 0A1B2C3D", [hr], profiles)
    assert h10 is not None and h10.name == "polar-h10"
    strap = match_profile("HRM-Pro:123", [hr], profiles)
    assert strap is not None and strap.name == "heart-rate"
    assert match_profile("Kettle", [], profiles) is None


def test_unknown_key_names_file_key_and_closest(tmp_path: Path) -> None:
    path = tmp_path / "band.toml"
    path.write_text(EXAMPLE.read_text().replace("sample_rate_hz", "sample_rate"))
    with pytest.raises(ConfigError, match="did you mean 'sample_rate_hz'") as info:
        load_profile_file(path)
    assert info.value.file == str(path) and info.value.key == "sample_rate"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('struct_format = "<Ihhhhhh"', 'struct_format = "<Ihhh"', "has 4 items"),
        ('"gyro_z"]', '"gyro_q"]', "unknown name 'gyro_q'"),
        ('driver = "generic"', 'driver = "genric"', "did you mean 'generic'"),
        ('body_axes = "+x,+y,+z"', 'body_axes = "+x,+x,+z"', "appears twice"),
    ],
)
def test_bad_profiles(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "band.toml"
    text = EXAMPLE.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(ConfigError, match=message):
        load_profile_file(path)


def test_unknown_profile_name() -> None:
    with pytest.raises(ConfigError, match="did you mean 'witmotion'"):
        load_profile("witmotoin")


def test_rate_outside_the_band_offer() -> None:
    with pytest.raises(DeviceError, match="offers sample rates 25, 50, 100, 200 Hz, not 150"):
        make_driver(load_profile("polar-h10"), "b", rate_hz=150)


def test_generic_driver_from_toml_only() -> None:
    profile = load_profile_file(EXAMPLE)
    driver = make_driver(profile, "esp")
    assert profile.generic is not None
    record = struct.pack("<Ihhhhhh", 1000, 0, 0, 8192, 655, 0, 0)
    nxt = struct.pack("<Ihhhhhh", 1010, 8192, 0, 0, 0, 0, 0)
    (batch,) = driver.decode(profile.generic.char_uuid, 5.0, record + nxt)
    assert isinstance(batch, SampleBatch)
    s = batch.samples
    assert s.acc_g.tolist() == [[0, 0, 1.0], [1.0, 0, 0]]
    assert s.gyro_dps is not None and s.gyro_dps[0, 0] == pytest.approx(10.0, abs=1e-3)
    # The band's millisecond clock, tied to the receive time of the last record.
    np.testing.assert_allclose(s.time_s, [4.99, 5.0])


def test_csc_driver_cadence_across_rollover() -> None:
    driver = make_driver(load_profile("csc"), "cad")
    first = bytes([0x02]) + (65535).to_bytes(2, "little") + (64512).to_bytes(2, "little")
    second = bytes([0x02]) + (1).to_bytes(2, "little") + (0).to_bytes(2, "little")
    assert driver.decode(CSC_MEASUREMENT, 1.0, first) == []
    (reading,) = driver.decode(CSC_MEASUREMENT, 2.0, second)
    assert isinstance(reading, CadenceReading)
    assert reading.cadence_rpm == pytest.approx(2 / 1.0 * 60)
