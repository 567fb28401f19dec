"""Deployment: the licence, ``--version``, the systemd unit, and the container image.

The container is built from the repository's Dockerfile with buildah (no Docker engine runs on
these machines; buildah builds the same file without a daemon) and run the way compose.yaml
runs it: the host's network, the host's system D-Bus socket (here the emulated BlueZ's private
bus) at /run/dbus/system_bus_socket, /config and /data as mounted folders. The base image is
Debian bookworm made by debootstrap from Debian's packages (no container registry is reachable
here), passed as the Dockerfile's ``BASE``; users build on the default python image.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sensor.cli import main
from tests.bluez.clips import walking_clip
from tests.bluez.devices import VirtualH10
from tests.bluez.emulator import BlueZEmulator
from tests.bluez.fixtures import system_bus_fixture  # noqa: F401
from tests.conftest import Mosquitto, missing
from tests.paths import ROOT
from tests.sensor.mqtt_sink import Sink

H10 = "C8:2E:0A:1B:2C:3D"


def test_the_licence_is_the_one_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and "WITHOUT WARRANTY OF ANY KIND" in text
    assert importlib.metadata.metadata("retrosense")["License-Expression"] == "MIT"


def test_every_package_is_in_the_wheel() -> None:
    # An editable install finds any folder; a wheel (the container, pip install) only the
    # packages pyproject lists: a new subpackage left out breaks every installed copy.
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("analysis", "sensor")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found - listed == set()


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    version = importlib.metadata.version("retrosense")
    assert capsys.readouterr().out == f"retrosense {version}\n"


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        missing("systemd-analyze is not installed (apt-get install systemd)")
    unit = (ROOT / "deploy" / "retrosense.service").read_text()
    # verify also checks that the program exists: point it at this install's, same arguments.
    installed = "/opt/retrosense/bin/retrosense"
    assert f"ExecStart={installed} run --config /etc/retrosense/config.toml" in unit
    here = shutil.which("retrosense") or str(Path(sys.executable).with_name("retrosense"))
    (tmp_path / "retrosense.service").write_text(unit.replace(installed, here))
    out = subprocess.run(
        [tool, "verify", str(tmp_path / "retrosense.service")],
        capture_output=True,
        text=True,
        check=False,
    )
    # Unknown keys and bad values are only warnings (exit 0): any output is a finding.
    assert (out.returncode, out.stdout + out.stderr) == (0, "")
    assert "KillSignal=SIGTERM" in unit and "TimeoutStopSec=30" in unit


# --- the container ---------------------------------------------------------------------------

BASE_IMAGE = "localhost/retrosense-test-base:bookworm"
IMAGE = "localhost/retrosense:test"
#: The machine's CA bundle: where TLS to the package registries is intercepted, pip in the
#: build needs it too (mounted for the build only; the image does not keep it).
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILDAH = ["--storage-driver", "vfs"]


def buildah() -> str:
    tool = shutil.which("buildah")
    if tool is None or shutil.which("debootstrap") is None:
        missing("buildah and debootstrap are not installed (apt-get install buildah debootstrap)")
    return tool


async def run(*cmd: str, timeout_s: float = 900.0, check: bool = True) -> str:
    """Run a command without blocking the event loop (the emulated BlueZ serves on it)."""
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
    text = out.decode(errors="replace")
    assert proc.returncode == 0 or not check, f"{' '.join(cmd)}:\n{text[-4000:]}"
    return text


async def base_image(tool: str, work: Path) -> str:
    """Debian bookworm with python3 and venv, from Debian's packages, built once."""
    images = await run(tool, *BUILDAH, "images", "--format", "{{.Name}}:{{.Tag}}")
    if BASE_IMAGE in images.split():
        return BASE_IMAGE
    rootfs = work / "rootfs"
    await run(
        "debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
        "bookworm", str(rootfs), "http://deb.debian.org/debian",
    )  # fmt: skip
    context = work / "base"
    context.mkdir()
    await run("tar", "-C", str(rootfs), "-cf", str(context / "rootfs.tar"), ".")
    (context / "Containerfile").write_text('FROM scratch\nADD rootfs.tar /\nCMD ["/bin/bash"]\n')
    await run(tool, *BUILDAH, "bud", "--isolation", "chroot", "-t", BASE_IMAGE, str(context))
    shutil.rmtree(rootfs, ignore_errors=True)
    return BASE_IMAGE


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_container_builds_and_runs_as_compose_runs_it(
    system_bus: str, mosquitto_factory: type[Mosquitto], tmp_path: Path
) -> None:
    tool = buildah()
    mosquitto = mosquitto_factory().start()

    async def scenario() -> None:
        bluez = await BlueZEmulator(system_bus).start()
        try:
            await container_scenario(tool, bluez, mosquitto, tmp_path)
        finally:
            await bluez.stop()

    # An event loop of its own, in a thread of its own: whatever loop earlier tests left on
    # this thread (a browser driver's, say) cannot get in the way.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()


async def container_scenario(
    tool: str, bluez: BlueZEmulator, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    base = await base_image(tool, tmp_path)
    mounts = ["--volume", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"] if CA_BUNDLE.exists() else []
    try:
        # No --layers: with the vfs driver every cached step is a whole copy of the image
        # (~480 MB), kept after the run under a name no later build reuses once the source
        # changes; a machine that runs the suite on each commit fills its disk that way.
        await run(
            tool, *BUILDAH, "bud", "--isolation", "chroot", "--build-arg",
            f"BASE={base}", *mounts, "-t", IMAGE, str(ROOT),
        )  # fmt: skip
        await image_scenario(tool, bluez, mosquitto, tmp_path)
    finally:
        # The image goes with the test; the base image stays (built once per machine).
        await run(tool, *BUILDAH, "rmi", "--force", IMAGE, check=False)


async def image_scenario(
    tool: str, bluez: BlueZEmulator, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    image = await run(tool, *BUILDAH, "inspect", "--format",
                      "{{.OCIv1.Config.Entrypoint}} {{.OCIv1.Config.Cmd}} "
                      "{{.OCIv1.Config.StopSignal}}", IMAGE)  # fmt: skip
    assert image.split() == ["[retrosense]", "[run]", "SIGTERM"]

    bluez.add(VirtualH10(H10, "Polar H10 0A1B2C3D", clip=walking_clip()))
    bus = os.environ["DBUS_SYSTEM_BUS_ADDRESS"].removeprefix("unix:path=").split(",")[0]
    config, data = tmp_path / "config", tmp_path / "data"
    config.mkdir()
    data.mkdir()
    container = (await run(tool, *BUILDAH, "from", IMAGE)).split()[-1]

    async def retrosense(*args: str) -> str:
        return await run(
            tool, *BUILDAH, "run", "--isolation", "chroot", "--network", "host",
            "--volume", f"{bus}:/run/dbus/system_bus_socket",
            "--volume", f"{config}:/config", "--volume", f"{data}:/data",
            container, "--", "retrosense", *args, timeout_s=300,
        )  # fmt: skip

    try:
        # The bands a scan finds over the host's BlueZ, into /config/config.toml.
        out = await retrosense("config", "init", "--scan-s", "1")
        assert "1 band from a scan" in out
        written = tomllib.loads((config / "config.toml").read_text())
        assert written["bands"] == [{"address": H10, "profile": "polar-h10"}]
        # A recording of the band into the data volume.
        await retrosense("record", "--band", H10, "-o", "/data/walk.csv", "--duration-s", "2")
        assert len((data / "walk.csv").read_text().splitlines()) > 100
        # The broker on the host's network.
        sink = Sink(mosquitto.url, ["retrosense/demo/summary"], client_id="container-sink")
        try:
            await retrosense("demo", "--broker", mosquitto.url, "--speed", "max")
            got = sink.wait_for(lambda m: len(m) >= 1)
            assert got[-1].json["type"] == "session_summary"
        finally:
            sink.close()
    finally:
        await run(tool, *BUILDAH, "rm", container)
