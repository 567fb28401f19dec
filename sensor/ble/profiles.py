"""Device profiles: one TOML file per kind of band, loaded into a frozen ``DeviceProfile``.

Built-in profiles live in ``config/devices/`` (installed as ``sensor.defaults/devices``); a
user's own go in ``<user config dir>/devices/``. A profile names its driver (the protocol
code in ``sensor.ble.drivers``), how to recognise the band in a scan, and its defaults: a
new band that speaks a known protocol, or a custom ESP32 band that notifies fixed records
(``driver = "generic"`` with a ``[generic]`` table), needs a TOML file, not code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from analysis.frame import parse_body_axes
from analysis.types import Placement
from sensor.decoders import normalize_uuid
from sensor.decoders.generic import GenericLayout
from sensor.errors import ConfigError
from sensor.paths import builtin_devices_dir, user_devices_dir
from sensor.settings import bounded, did_you_mean, load_dataclass, read_toml

DriverName = Literal["heart-rate", "polar-pmd", "witmotion", "movesense", "generic", "csc", "rsc"]


@dataclass(frozen=True)
class GenericSettings:
    """A ``[generic]`` table: one notify characteristic carrying fixed-size records.

    Parameters
    ----------
    char_uuid
        The characteristic to subscribe to (128-bit, or a 16-bit SIG number as ``"2a37"``).
    struct_format
        ``struct`` format of one record, byte order first (``"<hhh"``).
    fields
        One name per record item: ``acc_x``, ``acc_y``, ``acc_z`` (required), ``gyro_x``,
        ``gyro_y``, ``gyro_z`` (all or none), ``time_ms`` (the band's clock), ``skip``.
    scales
        One factor per item, to g, deg/s or ms.
    """

    char_uuid: str
    struct_format: str
    fields: list[str]
    scales: list[float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "char_uuid", normalize_uuid(self.char_uuid))
        self.layout()  # raises ValueError with what is wrong

    def layout(self) -> GenericLayout:
        return GenericLayout(self.struct_format, tuple(self.fields), tuple(self.scales))


@dataclass(frozen=True)
class DeviceProfile:
    """A kind of band.

    Parameters
    ----------
    name
        The profile's name (the file's stem), used in ``--profile`` and captures.
    driver
        The protocol: ``heart-rate``, ``polar-pmd``, ``witmotion``, ``movesense``,
        ``generic``, ``csc`` or ``rsc``.
    description
        One line for ``retrosense scan`` and the README.
    name_prefixes
        Advertised names that identify the band in a scan (``"Polar H10"``).
    service_uuids
        Advertised services that identify it where the name does not.
    placement, body_axes
        Defaults for where the band sits and which sensor axes point forward, left, up.
    sample_rate_hz
        Default rate asked of the band (or its fixed rate).
    sample_rates_hz
        Rates the band offers; empty where any rate is accepted.
    acc_range_g
        Default accelerometer range asked of the band, or its fixed range.
    acc_ranges_g
        Ranges the band offers; empty where the range is fixed.
    has_gyro
        Whether samples carry angular rate.
    heart_rate
        Whether to subscribe to the Heart Rate Measurement as well.
    watchdog_s
        Reconnect when no notification arrived for this long while streaming.
    movesense_imu6
        Movesense: subscribe ``/Meas/IMU6`` (acc + gyro) rather than ``/Meas/Acc``.
    generic
        The ``[generic]`` table (``driver = "generic"`` only).
    """

    name: str
    driver: DriverName
    description: str = ""
    name_prefixes: list[str] = field(default_factory=list)
    service_uuids: list[str] = field(default_factory=list)
    placement: Placement = Placement.CHEST
    body_axes: str = "+x,+y,+z"
    sample_rate_hz: float = field(default=100.0, metadata=bounded(1.0, 10_000.0))
    sample_rates_hz: list[float] = field(default_factory=list)
    acc_range_g: float | None = field(default=None, metadata=bounded(0.5, 64.0))
    acc_ranges_g: list[float] = field(default_factory=list)
    has_gyro: bool = False
    heart_rate: bool = False
    watchdog_s: float = field(default=5.0, metadata=bounded(0.5, 600.0))
    movesense_imu6: bool = True
    generic: GenericSettings | None = None

    def __post_init__(self) -> None:
        try:
            parse_body_axes(self.body_axes)
        except ValueError as err:
            raise ValueError(f"body_axes: {err}") from None
        object.__setattr__(self, "service_uuids", [normalize_uuid(u) for u in self.service_uuids])
        if self.driver != "generic" and self.generic is not None:
            raise ValueError(
                f"a [generic] table is only read with driver 'generic', not {self.driver!r}"
            )
        self.check_rate(self.sample_rate_hz)
        if self.acc_range_g is not None:
            self.check_range(self.acc_range_g)

    @property
    def has_samples(self) -> bool:
        """Whether the band streams accelerometer samples (not a heart-rate-only strap)."""
        return self.driver not in ("heart-rate", "csc", "rsc")

    @property
    def gyro(self) -> bool:
        if self.driver == "generic" and self.generic is not None:
            return self.generic.layout().has_gyro
        if self.driver == "movesense":
            return self.movesense_imu6
        return self.has_gyro

    def check_rate(self, rate_hz: float) -> None:
        """Raise ``ValueError`` naming the offered rates if ``rate_hz`` is not one of them."""
        if self.sample_rates_hz and rate_hz not in self.sample_rates_hz:
            offered = ", ".join(f"{r:g}" for r in self.sample_rates_hz)
            raise ValueError(f"{self.name} offers sample rates {offered} Hz, not {rate_hz:g}")

    def check_range(self, range_g: float) -> None:
        """Raise ``ValueError`` naming the offered ranges if ``range_g`` is not one of them."""
        if self.acc_ranges_g and range_g not in self.acc_ranges_g:
            offered = ", ".join(f"{r:g}" for r in self.acc_ranges_g)
            raise ValueError(f"{self.name} offers ranges ±{offered} g, not ±{range_g:g}")

    def matches(self, name: str | None, service_uuids: Iterable[str]) -> int:
        """How well an advertisement fits: 2 by name, 1 by service, 0 not at all."""
        if name and any(name.startswith(p) for p in self.name_prefixes):
            return 2
        advertised = {normalize_uuid(u) for u in service_uuids}
        if advertised & set(self.service_uuids):
            return 1
        return 0


def load_profile_file(path: str | Path) -> DeviceProfile:
    """Load one device TOML.

    Raises
    ------
    ConfigError
        Naming the file and key for an unknown key (with the closest valid one), a wrong
        type, an out-of-range value or an inconsistent profile.
    """
    path = Path(path)
    data = read_toml(path)
    data.setdefault("name", path.stem)
    # The [generic] table is loaded on its own, so that its errors name its own keys.
    table = data.pop("generic", None)
    generic = None
    if table is not None:
        if not isinstance(table, dict):
            raise ConfigError(path, "generic", f"expected a table, got {table!r}")
        generic = load_dataclass(GenericSettings, table, path, "generic")
    profile = load_dataclass(DeviceProfile, data, path)
    if profile.driver == "generic" and generic is None:
        raise ConfigError(path, "generic", "driver 'generic' needs a [generic] table")
    if generic is None:
        return profile
    try:
        return dataclasses.replace(profile, generic=generic)
    except ValueError as err:
        raise ConfigError(path, "generic", str(err)) from None


def profile_files() -> dict[str, Path]:
    """Every known profile by name; a user's profile replaces a built-in of the same name."""
    found: dict[str, Path] = {}
    for folder in (builtin_devices_dir(), user_devices_dir()):
        if folder.is_dir():
            for p in sorted(folder.glob("*.toml")):
                found[p.stem] = p
    return found


def load_profile(name_or_path: str) -> DeviceProfile:
    """A profile by name (built-in or the user's) or from a TOML file path.

    Raises
    ------
    ConfigError
        For an unknown name (with the closest known one) or a bad file.
    """
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        return load_profile_file(name_or_path)
    files = profile_files()
    if name_or_path not in files:
        known = ", ".join(sorted(files))
        raise ConfigError(
            "--profile",
            name_or_path,
            f"unknown device profile (known: {known}){did_you_mean(name_or_path, files)}",
        )
    return load_profile_file(files[name_or_path])


def all_profiles() -> list[DeviceProfile]:
    """Every known profile, loaded."""
    return [load_profile_file(p) for p in profile_files().values()]


def match_profile(
    name: str | None, service_uuids: Iterable[str], profiles: Iterable[DeviceProfile]
) -> DeviceProfile | None:
    """The profile that fits an advertisement best: by name first, then by service."""
    uuids = list(service_uuids)
    best: tuple[int, DeviceProfile] | None = None
    for profile in profiles:
        score = profile.matches(name, uuids)
        if score and (best is None or score > best[0]):
            best = (score, profile)
    return best[1] if best else None
