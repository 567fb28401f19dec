"""Shared fixtures: a real Mosquitto broker on a free loopback port.

``mosquitto`` is one broker for the whole test session (never stopped by a test);
``mosquitto_factory`` starts private brokers a test may kill, restart or configure for TLS.
Both skip with a clear reason when ``mosquitto`` is not installed, except under CI (the
``CI`` environment variable set), where they fail: .ci/run installs it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, need_browser

#: How long a broker may take to accept connections (it takes ~10 ms here).
BROKER_START_TIMEOUT_S = 10.0


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's choice of an ephemeral port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing(reason: str) -> NoReturn:
    """Skip a test whose real part is not installed here; under CI (which installs every
    part, .ci/run) fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must have it")
    pytest.skip(reason)


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (apt-get install mosquitto mosquitto-clients)")
    return path


@dataclass
class Mosquitto:
    """One ``mosquitto -c <temp config>`` process on ``127.0.0.1:port``.

    ``tls`` is ``(cafile, certfile, keyfile)`` for an mqtts listener instead of plain MQTT.
    Persistence lives in a temporary folder, so a restarted broker keeps its retained
    messages and sessions, as a real deployment's would.
    """

    workdir: Path
    port: int = field(default_factory=free_port)
    tls: tuple[str, str, str] | None = None
    #: More lines for the configuration (``password_file ...``, say).
    extra: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        persist = self.workdir / "persist"
        persist.mkdir(exist_ok=True)
        lines = [
            # Started as root, mosquitto would drop to the 'mosquitto' user before reading the
            # TLS files and writing persistence in our private temp folders: stay who we are.
            f"user {pwd.getpwuid(os.geteuid()).pw_name}",
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {persist}/",
            "autosave_interval 1",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ]
        if self.tls:
            ca, cert, key = self.tls
            lines += [f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"]
        lines += self.extra
        if any(line.startswith("password_file") for line in self.extra):
            lines.remove("allow_anonymous true")
        conf = self.workdir / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def start(self) -> Mosquitto:
        conf = self._write_config()
        self.proc = subprocess.Popen(
            [need_tool("mosquitto"), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + BROKER_START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}: {err}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("mosquitto did not accept connections") from None
                time.sleep(0.005)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop by PID (SIGTERM: saves persistence; SIGKILL: a crash)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[Mosquitto]:
    """One plain-MQTT Mosquitto for the session; tests must not stop it."""
    need_tool("mosquitto")
    with tempfile.TemporaryDirectory(prefix="mosq-session-") as d:
        broker = Mosquitto(Path(d)).start()
        try:
            yield broker
        finally:
            broker.stop()


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[type[Mosquitto]]:
    """Make private brokers: ``mosquitto_factory(port=..., tls=...)`` (not yet started)."""
    need_tool("mosquitto")
    made: list[Mosquitto] = []
    count = 0

    class Factory(Mosquitto):
        def __init__(self, **kw: object) -> None:
            nonlocal count
            count += 1
            workdir = tmp_path / f"broker{count}"
            workdir.mkdir()
            super().__init__(workdir, **kw)  # type: ignore[arg-type]
            made.append(self)

    yield Factory
    for broker in made:
        broker.stop()


@pytest.fixture(autouse=True)
def no_user_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands read the user's configuration file (``$RETROSENSE_CONFIG``, else config.toml
    in the user config directory); the tests, and the commands they start, see none unless
    they write one."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
    monkeypatch.delenv("RETROSENSE_CONFIG", raising=False)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[object]:
    """Playwright's driver for the test session (the browser itself is per test)."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def chromium(playwright_driver: object, tmp_path: Path) -> Iterator[object]:
    """A headless Chromium with a new, empty profile; ``chromium.new_page()`` opens a tab."""
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    context = playwright_driver.chromium.launch_persistent_context(  # type: ignore[attr-defined]
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=list(CHROMIUM_ARGS),
        viewport={"width": 1100, "height": 900},
    )
    try:
        yield context
    finally:
        context.close()
