"""Configuration values, not only types: every number finite and in its range, strings that
become topics, ids and file names without control characters, one band per id, and no
password in what the program prints or logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sensor.cli import main, setup_logging
from sensor.config import load_config
from sensor.errors import BrokerError, ConfigError

PASSWORD = "s3cr3t-Pa55"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "user.toml"
    path.write_text(text, encoding="utf-8")
    return path


def check_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str, expected: str
) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert info.value.key == key and expected in info.value.expected, str(info.value)
    assert main(["config", "check", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{path}: {key}: " in err and "Traceback" not in err
    return err


BAND = '[[bands]]\nprofile = "polar-h10"\nname = "Polar H10"\n'


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("broker", "keepalive_s"),
        ("broker", "state_interval_s"),
        ("service", "stop_timeout_s"),
        ("service", "status_interval_s"),
        ("energy", "met_walk_forward"),
        ("energy", "met_rest"),
        ("wearer", "body_mass_kg"),
        ("wearer", "hr_max_bpm"),
    ],
)
def test_every_number_is_finite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, key: str, bad: str
) -> None:
    err = check_fails(tmp_path, capsys, f"[{table}]\n{key} = {bad}\n", f"{table}.{key}", "")
    assert bad in err


def test_band_and_detector_numbers_are_finite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_fails(tmp_path, capsys, BAND + "rate_hz = nan\n", "bands[0].rate_hz", "expected a finite")
    check_fails(
        tmp_path,
        capsys,
        "[hr_zones]\nlower_pct_of_max = [50.0, 60.0, nan]\n",
        "hr_zones.lower_pct_of_max",
        "",
    )


def test_state_interval_must_be_positive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_fails(
        tmp_path,
        capsys,
        "[broker]\nstate_interval_s = 0\n",
        "broker.state_interval_s",
        "within 0.1..3600",
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[broker]\nbase_topic = "home\\nretrosense"\n', "broker.base_topic"),
        ('[broker]\ndiscovery_prefix = "ha\\u001b[2J"\n', "broker.discovery_prefix"),
        ('[broker]\nclient_id = "me\\r\\nyou"\n', "broker.client_id"),
        ('[broker]\noutbox_path = "/tmp/out\\u0000box"\n', "broker.outbox_path"),
        ('[recording]\nfolder = "/tmp/a\\nb"\n', "recording.folder"),
        ('[[bands]]\nprofile = "polar-h10"\nname = "Polar\\nH10"\n', "bands[0].name"),
        ('[[bands]]\nprofile = "polar-h10"\naddress = "C8:2E\\t"\n', "bands[0].address"),
    ],
)
def test_strings_refuse_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str
) -> None:
    check_fails(tmp_path, capsys, text, key, "expected text without control characters")


def test_a_password_may_hold_anything(tmp_path: Path) -> None:
    path = write(tmp_path, '[broker]\nusername = "me"\npassword = "p\\tw"\n')
    assert load_config(path, environ={}).config.broker.password == "p\tw"


@pytest.mark.parametrize(
    ("first", "second", "band_id"),
    [
        ('name = "Chest Band/1"', 'name = "chest band 1"', "chest_band_1"),
        ('address = "C8:2E:0A:1B:2C:3D"', 'id = "c82e0a1b2c3d"\nname = "other"', "c82e0a1b2c3d"),
        ('id = "chest"\nname = "A"', 'id = "chest"\nname = "B"', "chest"),
    ],
)
def test_two_bands_under_one_id_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first: str, second: str, band_id: str
) -> None:
    text = (
        f'[[bands]]\nprofile = "polar-h10"\n{first}\n[[bands]]\nprofile = "witmotion"\n{second}\n'
    )
    err = check_fails(tmp_path, capsys, text, "bands[1]", "")
    assert f"{band_id!r}" in err and "bands[0]" in err


def test_profile_offers_are_range_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "mine.toml"
    profile.write_text('driver = "witmotion"\nsample_rates_hz = [100, 1e12]\n')
    text = f'[[bands]]\nprofile = "{profile}"\nname = "WT"\n'
    err = check_fails(tmp_path, capsys, text, "bands[0].profile", "sample_rates_hz")
    assert "within 1..10000" in err


# ------------------------------------------------------------------- credentials


def test_config_show_masks_the_password_in_the_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, f'[broker]\nurl = "mqtt://alice:{PASSWORD}@broker.lan:1883"\n')
    assert main(["config", "show", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert 'url = "mqtt://alice:***@broker.lan:1883"' in out and PASSWORD not in out
    assert main(["config", "show", "--config", str(path), "--show-secrets"]) == 0
    assert PASSWORD in capsys.readouterr().out


def test_tls_file_errors_do_not_print_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        f'[broker]\nurl = "mqtts://alice:{PASSWORD}@broker.lan"\n'
        f'ca_file = "{tmp_path / "missing-ca.pem"}"\n',
    )
    assert main(["config", "check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "ca_file" in err and "mqtts://alice:***@broker.lan" in err and PASSWORD not in err
    with pytest.raises(BrokerError) as info:
        load_config(path, environ={}).config.broker.check_files()
    assert PASSWORD not in str(info.value) and PASSWORD not in info.value.url


def test_log_lines_never_carry_a_password(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(0, False)
    try:
        logging.getLogger("sensor.test").warning(
            "connecting to %s", f"mqtts://bob:{PASSWORD}@h:8883"
        )
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert "mqtts://bob:***@h:8883" in err and PASSWORD not in err
