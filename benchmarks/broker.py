"""A throw-away Mosquitto on a free loopback port, for the end-to-end delay section."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class MosquittoUnavailable(RuntimeError):
    """Mosquitto is not installed or did not start."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Mosquitto:
    """``mosquitto -c`` with a temporary config: loopback only, anonymous, no persistence.

    Use as a context manager; the broker is stopped (by its own PID) on exit.
    """

    def __init__(self) -> None:
        exe = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        if exe is None:
            raise MosquittoUnavailable("mosquitto is not installed (apt-get install mosquitto)")
        self._exe = exe
        self._dir = tempfile.TemporaryDirectory(prefix="retrosense-bench-mosq-")
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Mosquitto:
        for _ in range(5):
            self.port = free_port()
            conf = Path(self._dir.name) / "mosquitto.conf"
            conf.write_text(
                f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                # The 100-band run queues many QoS 1 messages per client; the default of 1000
                # queued messages is more than enough, but never silently drop for a benchmark.
                "max_queued_messages 0\n"
                "log_dest stderr\nlog_type error\n"
            )
            self._proc = subprocess.Popen([self._exe, "-c", str(conf)], stderr=subprocess.PIPE)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                    return self
                except OSError:
                    time.sleep(0.01)
            self._stop()
        raise MosquittoUnavailable("mosquitto did not start on a free loopback port")

    def _stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc is not None and self._proc.stderr is not None:
            self._proc.stderr.close()
        self._proc = None

    def __exit__(self, *exc: object) -> None:
        self._stop()
        self._dir.cleanup()
