"""Pytest fixtures: a private dbus-daemon per test session, an emulated BlueZ per test.

Import the fixtures into a test module (``from tests.bluez.fixtures import bluez_fixture,
system_bus_fixture``); tests then ask for ``bluez``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.bluez.emulator import BlueZEmulator

BUS_CONF = Path(__file__).with_name("bus.conf")


def start_system_bus() -> tuple[subprocess.Popen[bytes], str]:
    """A private ``dbus-daemon`` (tests/bluez/bus.conf): the process and its address.

    Also tells bleak (which asks ``bluetoothctl --version`` once per process) that BlueZ is
    5.55 or later. Raises ``FileNotFoundError`` when ``dbus-daemon`` is not installed.
    """
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        raise FileNotFoundError("dbus-daemon is not installed (apt-get install dbus-daemon)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [daemon, f"--config-file={BUS_CONF}", "--nofork", f"--print-address={write_fd}"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        address = f.readline().strip()
    from bleak.backends.bluezdbus.version import BlueZFeatures

    BlueZFeatures.checked_bluez_version = True
    BlueZFeatures.supported_version = True
    return proc, address


@pytest.fixture(scope="session", name="system_bus")
def system_bus_fixture() -> Iterator[str]:
    """Start ``dbus-daemon`` on a private address and point bleak's system bus at it."""
    try:
        proc, address = start_system_bus()
    except FileNotFoundError as err:
        if os.environ.get("CI"):
            pytest.fail(f"{err}; .ci/run installs it")
        pytest.skip(str(err))
    old = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address
    try:
        yield address
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if old is None:
            os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = old


@pytest_asyncio.fixture(name="bluez")
async def bluez_fixture(system_bus: str) -> AsyncIterator[BlueZEmulator]:
    """An emulated ``org.bluez`` with no devices yet (add them with ``bluez.add``)."""
    emulator = await BlueZEmulator(system_bus).start()
    try:
        yield emulator
    finally:
        await emulator.stop()
