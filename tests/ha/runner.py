"""A real Home Assistant Core, started against a test broker, for the integration test.

Home Assistant runs from its own virtual environment (``.venv-ha``, from
tests/ha/requirements.txt; or the interpreter named by ``$RETROSENSE_HA_PYTHON``) in a fresh
configuration folder: the MQTT integration is a config entry pointing at the test broker, and
``mqtt_statestream`` publishes every entity's state and attributes back to the broker, so the
test reads what Home Assistant made of our messages over MQTT. The entity and device registries
are read from ``.storage`` after a clean stop (Home Assistant writes them on the way out).

Facts used (Home Assistant Core 2024.3): ``core.config_entries`` storage version 1 with the
MQTT entry's ``data`` holding ``broker``, ``port`` and ``discovery``
(homeassistant/components/mqtt/config_flow.py); Home Assistant publishes ``online`` on
``homeassistant/status`` once MQTT is up (its default birth message); ``mqtt_statestream``
publishes ``<base_topic>/<domain>/<object id>/state`` and, with ``publish_attributes``, one
topic per attribute holding its JSON.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import missing
from tests.paths import ROOT

#: Where tests/ha/requirements.txt installs Home Assistant.
DEFAULT_VENV = ROOT / ".venv-ha"
ENV_PYTHON = "RETROSENSE_HA_PYTHON"
STATESTREAM = "hastate"
#: Start-up takes about 10 s here on a quiet machine; a busy one is far slower.
START_TIMEOUT_S = 240.0


def home_assistant_python() -> Path:
    """The interpreter Home Assistant is installed in, or skip (fail under CI) saying how."""
    named = os.environ.get(ENV_PYTHON)
    python = Path(named) if named else DEFAULT_VENV / "bin" / "python"
    check = (
        subprocess.run(
            [str(python), "-c", "import homeassistant.const as c; print(c.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        if python.exists()
        else None
    )
    if check is None or check.returncode != 0:
        missing(
            f"Home Assistant Core is not installed in {python} (python3 -m venv .venv-ha && "
            ".venv-ha/bin/pip install -r tests/ha/requirements.txt, or set {ENV_PYTHON})"
        )
    return python


@dataclass
class HomeAssistant:
    python: Path
    config: Path
    broker_port: int
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.config / "ha.out"

    def write_config(self) -> None:
        storage = self.config / ".storage"
        storage.mkdir(parents=True, exist_ok=True)
        (self.config / "configuration.yaml").write_text(
            textwrap.dedent(
                f"""\
                homeassistant:
                  name: retrosense test
                  latitude: 0
                  longitude: 0
                  elevation: 0
                  unit_system: metric
                  time_zone: UTC
                mqtt_statestream:
                  base_topic: {STATESTREAM}
                  publish_attributes: true
                logger:
                  default: warning
                """
            )
        )
        entry = {
            "entry_id": "retrosensetestmqtt",
            "version": 1,
            "minor_version": 1,
            "domain": "mqtt",
            "title": "MQTT",
            "data": {"broker": "127.0.0.1", "port": self.broker_port, "discovery": True},
            "options": {},
            "pref_disable_new_entities": False,
            "pref_disable_polling": False,
            "source": "user",
            "unique_id": None,
            "disabled_by": None,
        }
        (storage / "core.config_entries").write_text(
            json.dumps(
                {
                    "version": 1,
                    "minor_version": 1,
                    "key": "core.config_entries",
                    "data": {"entries": [entry]},
                }
            )
        )

    def start(self) -> None:
        self.write_config()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(self.python), "-m", "homeassistant", "-c", str(self.config), "--skip-pip"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        """SIGTERM: Home Assistant stops cleanly and writes its registries."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def storage(self, key: str) -> Any:
        return json.loads((self.config / ".storage" / key).read_text())["data"]

    def log_lines(self, level: str) -> list[str]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [line for line in text.splitlines() if f" {level} (" in line]
