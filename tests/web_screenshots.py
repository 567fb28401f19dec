"""README's pictures of the session report and the live page: ``python -m tests.web_screenshots
docs/``.

Both come from the demo's bundled workout, drawn by the real code in Debian's headless
Chromium: the report of ``retrosense report``, and the live page of ``retrosense dashboard``
while ``retrosense replay`` publishes the workout to a Mosquitto started here on a free
loopback port. Writes ``report.png`` and ``live-page.png``; run again when the pages change.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sensor.cli import main
from sensor.demo import demo_recording
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    replay_args,
    retrosense,
    start_dashboard,
    stop_process,
)
from tests.conftest import Mosquitto

WIDTH_PX = 1000
#: When the live page is shot, in seconds after the replay (at 3x) starts.
SHOOT_AFTER_S = 22.0


def shoot(out_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        work = Path(tmp)
        html = work / "report.html"
        assert main(["report", str(demo_recording()), "-o", str(html)]) == 0
        (work / "profile").mkdir()
        ctx = p.chromium.launch_persistent_context(
            str(work / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": WIDTH_PX, "height": 1300},
        )
        page = ctx.new_page()
        page.goto(html.as_uri())
        page.wait_for_selector("body[data-ready=true]")
        page.screenshot(path=str(out_dir / "report.png"))

        (work / "broker").mkdir()
        broker = Mosquitto(work / "broker").start()
        dash, url = start_dashboard(broker.url)
        try:
            live = ctx.new_page()
            live.set_viewport_size({"width": 420, "height": 900})
            live.goto(url)
            live.wait_for_selector("#link.online")
            replay = retrosense(
                *replay_args(broker.url, "retrosense", "demo", "3", "-"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # At 3x, 22 s in (start-up included) is the workout's backward pedalling.
            time.sleep(SHOOT_AFTER_S)
            live.screenshot(path=str(out_dir / "live-page.png"))
            replay.wait(120)
        finally:
            stop_process(dash)
            broker.stop()
            ctx.close()


if __name__ == "__main__":
    shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
