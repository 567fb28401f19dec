"""The service configuration: ``config/default.toml`` overlaid by the user's file.

Every default lives in ``config/default.toml`` (shipped as ``sensor.defaults``), documented key
by key. A user file (``--config FILE``, else ``config.toml`` in the platform's user config
directory, see ``user_config_path``) overrides any key; tables merge key by key, anything else
(a list such as ``[[bands]]``) replaces the default whole. Each ``[[bands]]`` entry is laid
over ``[band_defaults]``. The result is checked in one go by ``sensor.settings.load_dataclass``
(unknown keys with a "did you mean", types, ranges) and by the checks here (band identity,
``body_axes``, profiles, heart-rate zones), before any band is touched.

Examples
--------
>>> cfg = load_config(None, search_user_dir=False)
>>> cfg.config.recording.enabled
True
"""

from __future__ import annotations

import copy
import importlib.resources
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from analysis.frame import parse_body_axes
from analysis.registry import AnalysisParams
from analysis.types import Placement
from sensor.settings import (
    ConfigError,
    bounded,
    dataclass,
    did_you_mean,
    field,
    load_dataclass,
    read_toml,
    to_table,
)

APP_NAME = "retrosense"
#: The user file's name inside the platform's config directory.
USER_FILE_NAME = "config.toml"
#: Names ``--config`` may also be given by, for systemd units and containers.
ENV_CONFIG = "RETROSENSE_CONFIG"


def _broker_type() -> type[Any]:
    """The MQTT engineer's broker settings dataclass, or the placeholder until it lands."""
    import importlib

    try:
        module = importlib.import_module("sensor.mqtt.settings")
    except ImportError:
        return _BrokerPlaceholder
    broker: type[Any] = module.BrokerSettings
    return broker


@dataclass(frozen=True)
class _BrokerPlaceholder:
    """Stand-in for ``sensor.mqtt.settings.BrokerSettings`` (any keys pass through)."""

    url: str = "mqtt://localhost:1883"


@dataclass(frozen=True)
class BandConfig:
    """One band to connect (a ``[[bands]]`` entry laid over ``[band_defaults]``).

    Parameters
    ----------
    profile
        Device profile: a built-in name (``config/devices/*.toml``), a user profile's name
        (``<user config dir>/devices/*.toml``) or a path to a profile TOML file.
    name
        The advertised name, or its start (``Polar H10 0A1B2C3D``).
    address
        The Bluetooth address (``C8:2E:0A:1B:2C:3D``), or on macOS the CoreBluetooth UUID.
    id
        Stable id in MQTT topics and file names; by default derived from the address or name.
    placement
        Where the band sits (recording CSV v1 placements); ``None``: the profile's.
    body_axes
        The signed sensor axes that point forward, left and up on the body; ``None``: the
        profile's.
    rate_hz
        Sample rate asked of the band; ``None``: the profile's.
    range_g
        Accelerometer full-scale range asked of the band; ``None``: the profile's.
    """

    profile: str
    name: str | None = None
    address: str | None = None
    id: str | None = None
    placement: Placement | None = None
    body_axes: str | None = None
    rate_hz: float | None = field(default=None, metadata=bounded(1.0, 10_000.0))
    range_g: float | None = field(default=None, metadata=bounded(0.5, 64.0))

    @property
    def label(self) -> str:
        """How log lines and the status line name the band."""
        return self.id or self.name or self.address or "band"


@dataclass(frozen=True)
class RecordingConfig:
    """Where and what ``retrosense run`` records per session.

    Parameters
    ----------
    enabled
        Write a recording CSV per band and session.
    raw_capture
        Also write the raw BLE capture (JSON Lines) beside it.
    summary
        Write the session summary JSON beside the recording (and publish it).
    folder
        Folder of the session files; ``""`` means ``sessions`` in the platform's user data
        directory (see ``recording_folder``). ``~`` is expanded.
    """

    enabled: bool
    raw_capture: bool
    summary: bool
    folder: str


@dataclass(frozen=True)
class WearerConfig:
    """Who wears the bands, for energy estimates and heart-rate zones (all optional)."""

    body_mass_kg: float | None = field(default=None, metadata=bounded(20.0, 350.0))
    age_years: float | None = field(default=None, metadata=bounded(5.0, 110.0))
    sex: Literal["female", "male"] | None = None
    hr_max_bpm: float | None = field(default=None, metadata=bounded(100.0, 240.0))


@dataclass(frozen=True)
class HeartRateZonesConfig:
    """Heart-rate zones as lower bounds in per cent of the maximum heart rate."""

    lower_pct_of_max: tuple[float, ...]


@dataclass(frozen=True)
class EnergyConfig:
    """MET values per activity for the energy estimate without heart rate."""

    met_rest: float = field(metadata=bounded(1.0, 3.0))
    met_walk_forward: float = field(metadata=bounded(1.0, 20.0))
    met_walk_backward: float = field(metadata=bounded(1.0, 20.0))
    met_pedal: float = field(metadata=bounded(1.0, 20.0))
    met_jumps: float = field(metadata=bounded(1.0, 20.0))


@dataclass(frozen=True)
class ServiceConfig:
    """How ``retrosense run`` behaves."""

    status_interval_s: float = field(metadata=bounded(0.1, 60.0))
    stop_timeout_s: float = field(metadata=bounded(0.5, 120.0))


@dataclass(frozen=True)
class Config:
    """The effective configuration."""

    bands: tuple[BandConfig, ...]
    broker: Any
    detectors: AnalysisParams
    recording: RecordingConfig
    wearer: WearerConfig
    hr_zones: HeartRateZonesConfig
    energy: EnergyConfig
    service: ServiceConfig


@dataclass(frozen=True)
class LoadedConfig:
    """A configuration and the files it came from (defaults first)."""

    config: Config
    files: tuple[str, ...]

    @property
    def user_file(self) -> str | None:
        return self.files[-1] if len(self.files) > 1 else None


def default_config_path() -> Path:
    """The shipped ``default.toml``."""
    return Path(str(importlib.resources.files("sensor.defaults").joinpath("default.toml")))


def user_config_path() -> Path:
    """``config.toml`` in the platform's user config directory.

    ``~/.config/retrosense/config.toml`` on Linux (``$XDG_CONFIG_HOME`` respected),
    ``~/Library/Application Support/retrosense/config.toml`` on macOS,
    ``%LOCALAPPDATA%\\retrosense\\config.toml`` on Windows.
    """
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / USER_FILE_NAME


def recording_folder(rec: RecordingConfig) -> Path:
    """The folder session files go to (``folder``, or the platform's user data directory)."""
    if rec.folder:
        return Path(rec.folder).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "sessions"


def known_profiles() -> list[str] | None:
    """Names of the device profiles, or ``None`` where profiles are not installed yet."""
    names: set[str] = set()
    try:
        devices = importlib.resources.files("sensor.defaults").joinpath("devices")
        names.update(
            p.name.removesuffix(".toml") for p in devices.iterdir() if p.name.endswith(".toml")
        )
    except (FileNotFoundError, NotADirectoryError):
        pass
    user_devices = user_config_path().parent / "devices"
    if user_devices.is_dir():
        names.update(p.stem for p in user_devices.glob("*.toml"))
    return sorted(names) or None


def merge_tables(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``: tables merge key by key, other values replace."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _expand_bands(data: dict[str, Any], file: str) -> dict[str, Any]:
    """Lay each ``[[bands]]`` entry over ``[band_defaults]``; drop ``band_defaults``."""
    data = dict(data)
    defaults = data.pop("band_defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(file, "band_defaults", f"expected a table, got {defaults!r}")
    bands = data.get("bands", [])
    if not isinstance(bands, list) or not all(isinstance(b, dict) for b in bands):
        raise ConfigError(file, "bands", "expected [[bands]] tables, one per band")
    band_keys = {f for f in BandConfig.__dataclass_fields__}
    for key in defaults:
        if key not in band_keys:
            raise ConfigError(
                file, f"band_defaults.{key}", f"unknown key{did_you_mean(key, band_keys)}"
            )
    data["bands"] = [merge_tables(defaults, b) for b in bands]
    for i, band in enumerate(data["bands"]):
        placement = band.get("placement")
        if isinstance(placement, str) and placement not in {p.value for p in Placement}:
            # Checked here because the settings loader drops the hint for optional values.
            names = [p.value for p in Placement]
            raise ConfigError(
                file,
                f"bands[{i}].placement",
                f"expected one of {', '.join(names)}, got {placement!r}"
                f"{did_you_mean(placement, names)}",
            )
    return data


def config_from_tables(data: dict[str, Any], file: str) -> Config:
    """Check a merged configuration table and build the ``Config``; errors name ``file``."""
    data = _expand_bands(data, file)
    # The broker table is typed by the MQTT package, which is imported only here.
    fields = dict(Config.__dataclass_fields__)
    known = set(fields)
    for key in data:
        if key not in known:
            raise ConfigError(file, key, f"unknown table{did_you_mean(key, known)}")
    broker_raw = data.pop("broker", {})
    if not isinstance(broker_raw, dict):
        raise ConfigError(file, "broker", f"expected a table, got {broker_raw!r}")
    broker = load_dataclass(_broker_type(), broker_raw, file, "broker")
    partial = load_dataclass(_ConfigTables, data, file)
    cfg = Config(
        bands=partial.bands,
        broker=broker,
        detectors=partial.detectors,
        recording=partial.recording,
        wearer=partial.wearer,
        hr_zones=partial.hr_zones,
        energy=partial.energy,
        service=partial.service,
    )
    check_config(cfg, file)
    return cfg


@dataclass(frozen=True)
class _ConfigTables:
    """``Config`` without the broker (which is loaded by its own package's type)."""

    bands: tuple[BandConfig, ...]
    recording: RecordingConfig
    wearer: WearerConfig
    hr_zones: HeartRateZonesConfig
    energy: EnergyConfig
    service: ServiceConfig
    detectors: AnalysisParams = field(default_factory=AnalysisParams)


def check_config(cfg: Config, file: str) -> None:
    """What one field cannot check alone: band identity, axes, profiles, zone order."""
    profiles = known_profiles()
    seen: dict[str, int] = {}
    for i, band in enumerate(cfg.bands):
        key = f"bands[{i}]"
        if not band.name and not band.address:
            raise ConfigError(
                file, key, "expected 'name' or 'address' to say which band to connect"
            )
        if band.body_axes is not None:
            try:
                parse_body_axes(band.body_axes)
            except ValueError as err:
                raise ConfigError(file, f"{key}.body_axes", str(err)) from None
        _check_band_profile(band, file, key, profiles)
        if band.id is not None:
            _check_band_id(band.id, file, f"{key}.id")
        ident = band.id or band.address or band.name or ""
        if ident.lower() in seen:
            raise ConfigError(
                file,
                key,
                f"the same band as bands[{seen[ident.lower()]}] ({ident!r}); "
                "give each band its own id, name or address",
            )
        seen[ident.lower()] = i
    zones = cfg.hr_zones.lower_pct_of_max
    if not zones:
        raise ConfigError(file, "hr_zones.lower_pct_of_max", "expected at least one zone bound")
    if any(not (0.0 < z < 100.0) for z in zones) or list(zones) != sorted(set(zones)):
        raise ConfigError(
            file,
            "hr_zones.lower_pct_of_max",
            f"expected increasing per cent values within 0..100, got {list(zones)}",
        )


def _check_band_id(band_id: str, file: str, key: str) -> None:
    """An id must be usable as it is: one MQTT topic level and a Home Assistant node id."""
    from sensor.mqtt.topics import sanitize_band_id

    safe = sanitize_band_id(band_id)
    if safe != band_id:
        raise ConfigError(
            file,
            key,
            f"expected lower-case letters, digits, '_' or '-' (one MQTT topic level), "
            f"got {band_id!r}; {safe!r} would do",
        )


def _check_band_profile(band: BandConfig, file: str, key: str, profiles: list[str] | None) -> None:
    """The band's profile exists and offers the rate and range asked of it."""
    is_path = band.profile.endswith(".toml") or "/" in band.profile
    if not is_path and profiles is not None and band.profile not in profiles:
        raise ConfigError(
            file,
            f"{key}.profile",
            f"expected one of {', '.join(profiles)}, got {band.profile!r}"
            f"{did_you_mean(band.profile, profiles)}",
        )
    try:
        from sensor.ble.profiles import load_profile
    except ImportError:  # BLE support not installed: nothing more to check here
        return
    try:
        profile = load_profile(band.profile)
    except ConfigError as err:
        raise ConfigError(file, f"{key}.profile", str(err)) from None
    for name, value, check in (
        ("rate_hz", band.rate_hz, profile.check_rate),
        ("range_g", band.range_g, profile.check_range),
    ):
        if value is not None:
            try:
                check(value)
            except ValueError as err:
                raise ConfigError(file, f"{key}.{name}", str(err)) from None


def load_config(
    path: str | Path | None = None,
    *,
    search_user_dir: bool = True,
    environ: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Load the defaults and the user's file, check everything, return the effective config.

    Parameters
    ----------
    path
        The user file (``--config``). ``None``: ``$RETROSENSE_CONFIG`` if set, else
        ``user_config_path()`` if it exists, else the defaults alone.
    search_user_dir
        Whether to look for the user file when ``path`` is ``None``.
    environ
        The environment (``os.environ`` by default).

    Raises
    ------
    ConfigError
        Naming the file, the dotted key, what was expected and (for unknown keys) the
        closest valid key.
    """
    env = os.environ if environ is None else environ
    default_file = default_config_path()
    defaults = read_toml(default_file)
    if path is None and search_user_dir:
        if env.get(ENV_CONFIG):
            path = env[ENV_CONFIG]
        elif user_config_path().is_file():
            path = user_config_path()
    if path is None:
        return LoadedConfig(config_from_tables(defaults, str(default_file)), (str(default_file),))
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, "no such file", "expected a TOML file")
    user = read_toml(path)
    # The defaults alone must hold (a test checks it), so what fails below is the user's.
    cfg = config_from_tables(merge_tables(defaults, user), str(path))
    return LoadedConfig(cfg, (str(default_file), str(path)))


def config_table(cfg: Config, *, mask_secrets: bool = True) -> dict[str, Any]:
    """The effective configuration as TOML-like data (``config show``), secrets masked."""
    table: dict[str, Any] = to_table(cfg, mask_secrets=mask_secrets)
    return table


def dump_toml(table: Mapping[str, Any]) -> str:
    """TOML text of plain data (tomli-w: every string escaped as TOML requires, control
    characters included)."""
    import tomli_w

    return tomli_w.dumps(dict(table))
