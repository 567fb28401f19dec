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
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis.frame import parse_body_axes
from analysis.program import CoachParams, Program
from analysis.registry import AnalysisParams
from analysis.summary import SummaryParams, Wearer
from analysis.types import Placement
from sensor.mqtt.settings import BrokerSettings
from sensor.paths import (
    ENV_CONFIG,
    default_config_path,
    default_sessions_folder,
    user_config_path,
)
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
class ServiceConfig:
    """How ``retrosense run`` behaves."""

    status_interval_s: float = field(metadata=bounded(0.1, 60.0))
    stop_timeout_s: float = field(metadata=bounded(0.5, 120.0))


@dataclass(frozen=True)
class WebConfig:
    """The live page ``retrosense run`` serves (the ``web`` extra).

    Parameters
    ----------
    listen
        ``host:port`` to serve it on (``127.0.0.1:8080``: this computer only); ``""``: off.
    """

    listen: str = ""


@dataclass(frozen=True)
class Config:
    """The effective configuration.

    ``broker``, ``detectors``, ``wearer`` and ``summary`` are the types their packages
    work with (``sensor.mqtt.settings.BrokerSettings``, ``analysis.registry.AnalysisParams``,
    ``analysis.summary.Wearer`` and ``SummaryParams``), filled straight from the file.
    ``summary`` comes from two tables, ``[energy]`` (the MET values) and ``[hr_zones]``
    (``lower_pct_of_max``), see ``SUMMARY_KEYS``. ``coach`` is ``analysis.program.CoachParams``
    (``[coach]``); ``program`` the interval program ``[program]`` names or holds, if any.
    """

    bands: tuple[BandConfig, ...]
    broker: BrokerSettings
    detectors: AnalysisParams
    recording: RecordingConfig
    wearer: Wearer
    summary: SummaryParams
    service: ServiceConfig
    web: WebConfig = field(default_factory=WebConfig)
    coach: CoachParams = field(default_factory=CoachParams)
    program: Program | None = None


#: Where ``SummaryParams`` fields are set in the file: ``(table, key) -> field``.
SUMMARY_KEYS: dict[tuple[str, str], str] = {
    ("hr_zones", "lower_pct_of_max"): "hr_zone_lower_pct",
    ("energy", "met_rest"): "met_rest",
    ("energy", "met_walk_forward"): "met_walk_forward",
    ("energy", "met_walk_backward"): "met_walk_backward",
    ("energy", "met_pedal"): "met_pedal",
    ("energy", "met_jumps"): "met_jumps",
}

#: Plausible values of keys whose types check only what their computation needs (a positive
#: body mass, say): outside these a typo is likelier than a person. ``(table, key) -> range``.
PLAUSIBLE: dict[tuple[str, str], tuple[float, float]] = {
    ("wearer", "body_mass_kg"): (20.0, 350.0),
    ("wearer", "age_years"): (5.0, 110.0),
    ("wearer", "hr_max_bpm"): (100.0, 240.0),
    ("energy", "met_rest"): (1.0, 3.0),
    ("energy", "met_walk_forward"): (1.0, 20.0),
    ("energy", "met_walk_backward"): (1.0, 20.0),
    ("energy", "met_pedal"): (1.0, 20.0),
    ("energy", "met_jumps"): (1.0, 20.0),
}
#: ``[wearer] sex``: the two equations Keytel et al. (2005) fitted.
SEXES = ("female", "male")


@dataclass(frozen=True)
class LoadedConfig:
    """A configuration and the files it came from (defaults first)."""

    config: Config
    files: tuple[str, ...]
    #: The user's file as read (empty without one), to tell what the user set.
    user_tables: Mapping[str, Any] = field(default_factory=dict)

    @property
    def user_file(self) -> str | None:
        return self.files[-1] if len(self.files) > 1 else None

    def user_sets(self, table: str, key: str) -> bool:
        """Whether the user's file sets ``[table] key`` (rather than the defaults)."""
        values = self.user_tables.get(table)
        return isinstance(values, dict) and key in values


def recording_folder(rec: RecordingConfig) -> Path:
    """The folder session files go to (``folder``, or the platform's user data directory)."""
    if rec.folder:
        return Path(rec.folder).expanduser()
    return default_sessions_folder()


def known_profiles() -> list[str]:
    """Names of the device profiles (built-in and the user's)."""
    from sensor.ble.profiles import profile_files

    return sorted(profile_files())


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
    tables = (
        {f.name for f in dataclasses.fields(_ConfigTables)}
        | {t for t, _ in SUMMARY_KEYS}
        | {"program"}
    )
    for key in data:
        if key not in tables:
            raise ConfigError(file, key, f"unknown table{did_you_mean(key, tables)}")
    summary = _summary_params(data, file)
    program = _program(data.pop("program", None), file)
    _check_plausible(data, file)
    rest = {k: v for k, v in data.items() if all(k != t for t, _ in SUMMARY_KEYS)}
    partial = load_dataclass(_ConfigTables, rest, file)
    cfg = Config(
        summary=summary,
        program=program,
        **{f: getattr(partial, f) for f in partial.__dataclass_fields__},
    )
    check_config(cfg, file)
    return cfg


@dataclass(frozen=True)
class _ConfigTables:
    """``Config`` as the file has it, less the tables that make up ``summary``."""

    bands: tuple[BandConfig, ...]
    recording: RecordingConfig
    wearer: Wearer
    service: ServiceConfig
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    detectors: AnalysisParams = field(default_factory=AnalysisParams)
    coach: CoachParams = field(default_factory=CoachParams)
    web: WebConfig = field(default_factory=WebConfig)


def _program(raw: Any, file: str) -> Program | None:
    """``[program]``: ``follow = "NAME|FILE"``, or a program written out in the table."""
    from sensor.programs import load_program, program_from_table

    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(file, "program", f"expected a table, got {raw!r}")
    if "follow" not in raw:
        return program_from_table(raw, file, "program")
    follow = raw["follow"]
    if len(raw) > 1:
        other = next(k for k in raw if k != "follow")
        raise ConfigError(
            file, f"program.{other}", "give either 'follow' or a program's own keys, not both"
        )
    if not isinstance(follow, str):
        raise ConfigError(
            file, "program.follow", f"expected a program's name or file, got {follow!r}"
        )
    if not follow:
        return None
    return load_program(follow, where=(file, "program.follow"))


def _summary_params(data: dict[str, Any], file: str) -> SummaryParams:
    """``SummaryParams`` from ``[energy]`` and ``[hr_zones]``; errors name the file's keys."""
    values: dict[str, Any] = {}
    where: dict[str, str] = {}
    for table in dict.fromkeys(t for t, _ in SUMMARY_KEYS):
        raw = data.get(table, {})
        if not isinstance(raw, dict):
            raise ConfigError(file, table, f"expected a table, got {raw!r}")
        keys = [k for t, k in SUMMARY_KEYS if t == table]
        for key, value in raw.items():
            if key not in keys:
                raise ConfigError(file, f"{table}.{key}", f"unknown key{did_you_mean(key, keys)}")
            name = SUMMARY_KEYS[(table, key)]
            values[name] = value
            where[name] = f"{table}.{key}"
    zones = values.get("hr_zone_lower_pct")
    if isinstance(zones, list) and all(isinstance(z, (int, float)) for z in zones):
        if not zones:
            raise ConfigError(file, where["hr_zone_lower_pct"], "expected at least one zone bound")
        if any(not (0.0 < z < 100.0) for z in zones) or list(zones) != sorted(set(zones)):
            raise ConfigError(
                file,
                where["hr_zone_lower_pct"],
                f"expected increasing per cent values within 0..100, got {list(zones)}",
            )
    try:
        return load_dataclass(SummaryParams, values, file)
    except ConfigError as err:
        raise ConfigError(file, where.get(err.key, err.key), err.expected) from None


def _check_plausible(data: dict[str, Any], file: str) -> None:
    """``PLAUSIBLE`` ranges and ``[wearer] sex``, before the types see the values."""
    for (table, key), (lo, hi) in PLAUSIBLE.items():
        raw = data.get(table)
        value = raw.get(key) if isinstance(raw, dict) else None
        if (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and not lo <= value <= hi
        ):
            raise ConfigError(
                file, f"{table}.{key}", f"expected a value within {lo}..{hi}, got {value!r}"
            )
    wearer = data.get("wearer")
    sex = wearer.get("sex") if isinstance(wearer, dict) else None
    if sex is not None and sex not in SEXES:
        raise ConfigError(
            file,
            "wearer.sex",
            f"expected one of {', '.join(map(repr, SEXES))}, got {sex!r}"
            f"{did_you_mean(str(sex), SEXES)}",
        )


def check_config(cfg: Config, file: str) -> None:
    """What one field cannot check alone: band identity, axes, profiles, the page's address."""
    if cfg.web.listen:
        from sensor.web.dashboard import parse_listen

        try:
            parse_listen(cfg.web.listen)
        except ConfigError as err:
            raise ConfigError(file, "web.listen", err.expected) from None
    profiles = known_profiles() if cfg.bands else []
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


def _check_band_id(band_id: str, file: str, key: str) -> None:
    """An id must be usable as it is: one MQTT topic level and a Home Assistant node id."""
    from sensor.identity import sanitize_band_id

    safe = sanitize_band_id(band_id)
    if safe != band_id:
        raise ConfigError(
            file,
            key,
            f"expected lower-case letters, digits, '_' or '-' (one MQTT topic level), "
            f"got {band_id!r}; {safe!r} would do",
        )


def _check_band_profile(band: BandConfig, file: str, key: str, profiles: list[str]) -> None:
    """The band's profile exists and offers the rate and range asked of it."""
    is_path = band.profile.endswith(".toml") or "/" in band.profile
    if not is_path and band.profile not in profiles:
        raise ConfigError(
            file,
            f"{key}.profile",
            f"expected one of {', '.join(profiles)}, got {band.profile!r}"
            f"{did_you_mean(band.profile, profiles)}",
        )
    from sensor.ble.profiles import load_profile

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
    return LoadedConfig(cfg, (str(default_file), str(path)), user)


def config_table(cfg: Config, *, mask_secrets: bool = True) -> dict[str, Any]:
    """The effective configuration as TOML-like data (``config show``), secrets masked."""
    table: dict[str, Any] = {}
    for name, value in to_table(cfg, mask_secrets=mask_secrets).items():
        if name != "summary":
            table[name] = value
            continue
        for (section, key), attr in SUMMARY_KEYS.items():
            table.setdefault(section, {})[key] = value[attr]
    return table


def dump_toml(table: Mapping[str, Any]) -> str:
    """TOML text of plain data (tomli-w: every string escaped as TOML requires, control
    characters included)."""
    import tomli_w

    return tomli_w.dumps(dict(table))
