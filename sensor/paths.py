"""Where retrosense's files are: the shipped defaults, and the user's config, profiles and data.

One place for the configuration (``sensor.config``) and the device profiles
(``sensor.ble.profiles``), which both look in the user's config directory.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

APP_NAME = "retrosense"
#: The user file's name inside the platform's config directory.
USER_FILE_NAME = "config.toml"
#: Names ``--config`` may also be given by, for systemd units and containers.
ENV_CONFIG = "RETROSENSE_CONFIG"


def default_config_path() -> Path:
    """The shipped ``default.toml``."""
    return Path(str(importlib.resources.files("sensor.defaults").joinpath("default.toml")))


def builtin_devices_dir() -> Path:
    """The folder of the built-in device profiles."""
    return Path(str(importlib.resources.files("sensor.defaults").joinpath("devices")))


def user_config_dir() -> Path:
    """The platform's user config directory for retrosense.

    ``~/.config/retrosense`` on Linux (``$XDG_CONFIG_HOME`` respected),
    ``~/Library/Application Support/retrosense`` on macOS, ``%LOCALAPPDATA%\\retrosense`` on
    Windows.
    """
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def builtin_programs_dir() -> Path:
    """The folder of the built-in interval programs."""
    return Path(str(importlib.resources.files("sensor.defaults").joinpath("programs")))


def user_programs_dir() -> Path:
    """``<user config dir>/programs``, where a user's own interval programs go."""
    return user_config_dir() / "programs"


def user_config_path() -> Path:
    """``config.toml`` in the user config directory."""
    return user_config_dir() / USER_FILE_NAME


def user_devices_dir() -> Path:
    """``<user config dir>/devices``, where a user's own profiles go."""
    return user_config_dir() / "devices"


def default_sessions_folder() -> Path:
    """``sessions`` in the platform's user data directory (``~/.local/share/retrosense``)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "sessions"


def user_state_dir() -> Path:
    """The platform's user state directory for retrosense (the MQTT outbox files)."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME))
