"""The I/O shell of retrosense: BLE, device decoders, recordings, MQTT and the command line."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())


def package_version() -> str:
    """The installed package's version (``0`` when run from a checkout never installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("retrosense")
    except PackageNotFoundError:  # pragma: no cover - a bare checkout
        return "0"
