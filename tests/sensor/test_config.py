from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from analysis.types import Placement
from sensor.cli import main
from sensor.config import (
    ENV_CONFIG,
    config_table,
    default_config_path,
    dump_toml,
    load_config,
    merge_tables,
    recording_folder,
)
from sensor.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "user.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_alone_are_valid_and_have_no_band() -> None:
    loaded = load_config(None, search_user_dir=False)
    assert loaded.config.bands == ()
    assert loaded.files == (str(default_config_path()),)
    assert loaded.config.recording.enabled is True


def test_every_default_key_is_documented_by_a_comment() -> None:
    """Each key of default.toml has a comment line somewhere above it in its table."""
    lines = default_config_path().read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            above = lines[max(0, i - 1)]
            assert above.startswith("#") or lines[i - 2].startswith("#"), line


def test_band_is_laid_over_band_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[band_defaults]
rate_hz = 200
[[bands]]
name = "Polar H10 0A1B2C3D"
id = "chest"
[[bands]]
address = "C8:2E:0A:1B:2C:3D"
placement = "ankle"
body_axes = "+z,+x,+y"
range_g = 4
""",
    )
    loaded = load_config(path)
    a, b = loaded.config.bands
    assert (a.profile, a.name, a.id, a.placement, a.rate_hz, a.range_g) == (
        "polar-h10",
        "Polar H10 0A1B2C3D",
        "chest",
        None,  # the profile's
        200.0,
        None,
    )
    assert (b.address, b.placement, b.body_axes, b.rate_hz, b.range_g) == (
        "C8:2E:0A:1B:2C:3D",
        Placement.ANKLE,
        "+z,+x,+y",
        200.0,
        4.0,
    )
    assert loaded.user_file == str(path)


def test_user_table_merges_key_by_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[recording]\nraw_capture = true\n[wearer]\nbody_mass_kg = 72\n")
    cfg = load_config(path).config
    assert cfg.recording.raw_capture is True
    assert cfg.recording.enabled is True  # from the defaults
    assert cfg.wearer.body_mass_kg == 72.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[bands]]\nname = "H10"\nplacment = "chest"\n',
            "user.toml: bands[0].placment: unknown key; did you mean 'placement'?",
        ),
        (
            "[recordng]\nenabled = false\n",
            "user.toml: recordng: unknown table; did you mean 'recording'?",
        ),
        (
            '[recording]\nenabled = "yes"\n',
            "user.toml: recording.enabled: expected true or false, got 'yes'",
        ),
        (
            '[[bands]]\nname = "H10"\nplacement = "chets"\n',
            "user.toml: bands[0].placement: expected one of",
        ),
        ('[[bands]]\nname = "H10"\nplacement = "chets"\n', "did you mean 'chest'?"),
        (
            '[[bands]]\nname = "H10"\nrate_hz = 0\n',
            "user.toml: bands[0].rate_hz: expected a value within 1.0..10000.0, got 0",
        ),
        (
            '[[bands]]\nplacement = "chest"\n',
            "user.toml: bands[0]: expected 'name' or 'address' to say which band to connect",
        ),
        (
            '[[bands]]\nname = "H10"\nbody_axes = "+x,+x,+z"\n',
            "user.toml: bands[0].body_axes: axis x appears twice in '+x,+x,+z'",
        ),
        (
            '[[bands]]\nname = "H10"\n[[bands]]\nname = "h10"\n',
            "user.toml: bands[1]: the same band as bands[0] ('h10')",
        ),
        (
            '[[bands]]\nname = "H10"\nrate_hz = 120\n',
            "bands[0].rate_hz: polar-h10 offers sample rates 25, 50, 100, 200 Hz, not 120",
        ),
        (
            '[[bands]]\nname = "H10"\nrange_g = 16\n',
            "user.toml: bands[0].range_g: polar-h10 offers ranges",
        ),
        (
            '[[bands]]\nname = "H10"\nprofile = "polar_h10"\n',
            "user.toml: bands[0].profile: expected one of",
        ),
        ('[[bands]]\nname = "H10"\nprofile = "polar_h10"\n', "did you mean 'polar-h10'?"),
        (
            '[[bands]]\nname = "H10"\nid = "My Chest/1"\n',
            "user.toml: bands[0].id: expected lower-case letters, digits, '_' or '-' (one MQTT "
            "topic level), got 'My Chest/1'; 'my_chest_1' would do",
        ),
        (
            "[band_defaults]\nrate = 100\n",
            "user.toml: band_defaults.rate: unknown key; did you mean 'rate_hz'?",
        ),
        (
            "[wearer]\nbody_mass_kg = 2000\n",
            "user.toml: wearer.body_mass_kg: expected a value within 20.0..350.0",
        ),
        ('[wearer]\nsex = "f"\n', "user.toml: wearer.sex: expected one of 'female', 'male'"),
        (
            "[hr_zones]\nlower_pct_of_max = [60, 50]\n",
            "hr_zones.lower_pct_of_max: expected increasing per cent values within 0..100",
        ),
        ("[energy]\nmet_walk_backwards = 6\n", "did you mean 'met_walk_backward'?"),
        ("[detectors.stpes]\n", "user.toml: detectors.stpes: unknown key"),
        ("bands = 3\n", "user.toml: bands: expected [[bands]] tables, one per band"),
        ("[recording\n", "user.toml: not valid TOML: Expected ']' at the end of a table"),
    ],
)
def test_config_errors_name_file_key_and_expectation(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: no such file: expected a TOML file"):
        load_config(tmp_path / "nope.toml")


def test_environment_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[recording]\nenabled = false\n")
    cfg = load_config(None, environ={ENV_CONFIG: str(path)}).config
    assert cfg.recording.enabled is False


def test_show_round_trips_through_toml(tmp_path: Path) -> None:
    path = write(tmp_path, '[[bands]]\nname = "H10"\nid = "a"\n[wearer]\nage_years = 40\n')
    cfg = load_config(path).config
    text = dump_toml(config_table(cfg))
    again = tomllib.loads(text)
    assert again["bands"][0]["name"] == "H10"
    assert again["wearer"] == {"age_years": 40.0}
    # What `show` prints is itself a valid user file that gives the same configuration.
    path2 = tmp_path / "again.toml"
    path2.write_text(text, encoding="utf-8")
    assert load_config(path2).config == cfg


def test_merge_replaces_lists_and_merges_tables() -> None:
    out = merge_tables({"a": {"x": 1, "y": 2}, "l": [1, 2]}, {"a": {"y": 3}, "l": [9]})
    assert out == {"a": {"x": 1, "y": 3}, "l": [9]}


def test_recording_folder_expands_home(tmp_path: Path) -> None:
    path = write(tmp_path, '[recording]\nfolder = "~/retro"\n')
    folder = recording_folder(load_config(path).config.recording)
    assert folder == Path.home() / "retro"
    assert recording_folder(load_config(None, search_user_dir=False).config.recording).is_absolute()


def test_config_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '[[bands]]\nname = "Polar H10 0A1B2C3D"\nplacement = "shank"\n')
    assert main(["config", "check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"ok: {path}" in out
    assert "Polar H10 0A1B2C3D (polar-h10, shank, 100 Hz)" in out


def test_config_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "[recording]\nenabeld = true\n")
    out = subprocess.run(
        [sys.executable, "-m", "sensor", "config", "check", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"retrosense: error: {path}: recording.enabeld: unknown key; did you mean 'enabled'?"
    ]


def test_config_show_prints_effective_toml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[[bands]]\nname = "H10"\n[recording]\nfolder = "/data/x"\n')
    assert main(["config", "show", "--config", str(path)]) == 0
    text = capsys.readouterr().out
    data = tomllib.loads(text)
    assert data["recording"]["folder"] == "/data/x"
    assert data["bands"][0]["profile"] == "polar-h10"


def test_show_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '[broker]\nusername = "me"\npassword = "hunter2"\n')
    assert main(["config", "show", "--config", str(path)]) == 0
    text = capsys.readouterr().out
    assert "hunter2" not in text
    assert tomllib.loads(text)["broker"]["password"] == "***"
    assert main(["config", "show", "--show-secrets", "--config", str(path)]) == 0
    assert tomllib.loads(capsys.readouterr().out)["broker"]["password"] == "hunter2"


def test_broker_errors_name_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[broker]\nurl = "http://x"\n')
    with pytest.raises(ConfigError, match=r"user.toml: broker\.url: expected an mqtt://"):
        load_config(path)
    path = write(tmp_path, "[broker]\nkeepalive = 30\n")
    with pytest.raises(
        ConfigError, match=r"broker\.keepalive: unknown key; did you mean 'keepalive_s'"
    ):
        load_config(path)


def test_default_broker_table_is_the_broker_settings_defaults() -> None:
    """default.toml documents every [broker] key with the value the MQTT code defaults to."""
    from sensor.mqtt.settings import BrokerSettings
    from sensor.settings import to_table

    with open(default_config_path(), "rb") as f:
        table = tomllib.load(f)["broker"]
    assert table == to_table(BrokerSettings(), mask_secrets=False)


def test_detector_parameters_reach_analysis_params(tmp_path: Path) -> None:
    path = write(tmp_path, "[detectors.jumps]\nmin_flight_s = 0.2\n")
    params = load_config(path).config.detectors
    assert params.jumps.min_flight_s == 0.2
    defaults = load_config(None, search_user_dir=False).config.detectors
    assert params.steps == defaults.steps  # the other detectors keep their tuned values


def test_detector_params_errors_name_the_table(tmp_path: Path) -> None:
    path = write(tmp_path, "[detectors.jumps]\nmin_flight_s = 2.0\nmax_flight_s = 1.0\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: detectors.jumps: ")
    path = write(tmp_path, "[detectors.steps]\nmin_peak = 0.1\n")
    with pytest.raises(ConfigError, match=r"detectors\.steps\.min_peak: unknown key; did you mean"):
        load_config(path)


def test_config_check_refuses_missing_tls_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "ca.pem"
    path = write(tmp_path, f'[broker]\nurl = "mqtts://broker:8883"\nca_file = "{missing}"\n')
    assert main(["config", "check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"ca_file {str(missing)!r} is not a readable file" in err


def test_show_writes_valid_toml_for_any_string(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A password with a control character and quotes (from the environment, as it should be).
    secret = 'p\x01a"s\\s\u00e9'
    monkeypatch.setenv("RETROSENSE_MQTT_PASSWORD", secret)
    path = write(tmp_path, f"[broker]\npassword = {json.dumps(secret)}\n")
    assert main(["config", "show", "--show-secrets", "--config", str(path)]) == 0
    shown = tomllib.loads(capsys.readouterr().out)
    assert shown["broker"]["password"] == secret


def test_config_path_says_whether_the_file_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["config", "path"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path / "retrosense" / "config.toml")
    assert "does not exist yet" in err and "retrosense config init" in err
    assert main(["config", "init", "--scan-s", "0"]) == 0
    capsys.readouterr()
    assert main(["config", "path"]) == 0
    assert "(exists)" in capsys.readouterr().err


def test_config_init_writes_a_valid_commented_file_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "config.toml"
    assert main(["config", "init", "--config", str(target), "--scan-s", "0"]) == 0
    assert "wrote" in capsys.readouterr().out
    text = target.read_text()
    assert text.count("\n#") > 20  # commented
    loaded = load_config(target)
    assert loaded.config.bands == () and loaded.user_file == str(target)
    target.write_text("[wearer]\nage_years = 40\n")
    assert main(["config", "init", "--config", str(target), "--scan-s", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists; --force replaces it" in err
    assert "age_years" in target.read_text()
    assert main(["config", "init", "--config", str(target), "--scan-s", "0", "--force"]) == 0
    assert "age_years = 40" not in target.read_text()


@pytest.mark.parametrize("value", ["-1", "abc", "1000"])
def test_config_init_refuses_bad_scan_time(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["config", "init", "--scan-s", value])
    assert exit_.value.code == 2
    assert "--scan-s" in capsys.readouterr().err
