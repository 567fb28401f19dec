"""Debian's headless Chromium for the tests, the README's pictures and the report benchmark:
where it is, the flags it needs on a closed network, and opening a page that records its
console's complaints. Playwright drives it; it never downloads a browser of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: Chromium's flags for a closed network: without them it stalls on its own background
#: requests (component updates, sync, QUIC probes) before a page loads.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Debian's Chromium (.ci/run installs the ``chromium`` package); Playwright drives it and
#: never downloads a browser of its own.
CHROMIUM = "/usr/bin/chromium"


def need_browser() -> None:
    """Skip (fail under CI, where .ci/run installs them) without Chromium or Playwright."""
    import pytest

    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[test]')"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must have it")
        pytest.skip(reason)


def open_page(context: Any, url: str) -> tuple[Any, list[str]]:
    """A new tab on ``url``, and the list its console errors, warnings and uncaught
    exceptions go to (an empty list is a page without complaints)."""
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.goto(url)
    return page, problems


def retrosense(*args: str, **popen: Any) -> subprocess.Popen[bytes]:
    """``python -m sensor ARGS`` as its own process."""
    return subprocess.Popen([sys.executable, "-m", "sensor", *args], **popen)


def start_dashboard(broker_url: str, *args: str, timeout_s: float = 60.0) -> tuple[Any, str]:
    """``retrosense dashboard`` on a free loopback port: the process and its page's address."""
    proc = retrosense(
        "dashboard",
        "--broker",
        broker_url,
        "--listen",
        "127.0.0.1:0",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    line = b""
    while b"http://" not in line:
        line = proc.stdout.readline()
        if (not line and proc.poll() is not None) or time.monotonic() > deadline:
            stop_process(proc)
            raise RuntimeError("retrosense dashboard did not start")
    return proc, line.decode().split()[1]


def stop_process(proc: Any) -> None:
    """Terminate a process started here, by its id, and close its pipes."""
    if proc.poll() is None:
        proc.terminate()
    proc.wait(10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def replay_args(broker_url: str, base: str, band: str, speed: str, summary: str) -> list[str]:
    """``retrosense replay`` of the demo's workout to ``broker_url`` under ``base``."""
    from sensor.demo import demo_recording

    return [
        "replay",
        str(demo_recording()),
        "--broker",
        broker_url,
        "--base-topic",
        base,
        "--band-id",
        band,
        "--speed",
        speed,
        "--summary",
        summary,
    ]
