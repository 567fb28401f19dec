"""The live page: every band on the broker, as it happens, in a browser.

Read-only: an MQTT client (``sensor.mqtt.client``) that only subscribes reads the topics the
service
already publishes (``docs/mqtt.md``: each band's status, device, battery, live state, events
and summary; never raw samples), so the page works beside a ``run``, a gateway and its
workers, or a ``replay``. An aiohttp server (the ``web`` extra) serves the page, plotly.js and
a WebSocket that sends each new page what is known so far and then every change. It binds to
loopback unless told otherwise, and it publishes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sensor.errors import BrokerError, ConfigError
from sensor.identity import is_valid_band_id
from sensor.mqtt.control import DropCounter, Invalid, loads_bounded
from sensor.web import DIRECTION_COLOURS, HEART_COLOUR, require

if TYPE_CHECKING:
    from sensor.mqtt.settings import BrokerSettings

log = logging.getLogger(__name__)

FEATURE = "the live page"
#: Leaves of a band's subtree the page reads (``<base>/<band>/<leaf>``); events come from
#: ``<base>/<band>/event/<type>``.
BAND_LEAVES = ("status", "device", "battery", "state", "summary", "cue")
#: Live-state history kept per band for the cadence chart (seconds of wall-clock time).
HISTORY_S = 600.0
#: Events kept per band for a page that opens later.
EVENTS_KEPT = 20
#: Anyone on the broker can publish under the base topic: a message over this size is
#: dropped (the largest retrosense sends, a long session's summary, is tens of kB), and at
#: most this many bands are shown (each keeps ten minutes of history).
MAX_MESSAGE_BYTES = 1024 * 1024
MAX_BANDS = 1000
#: A jump counts as what the wearer is doing for this long after its landing (stream time).
JUMPING_FOR_S = 4.0
DEFAULT_LISTEN = "127.0.0.1:8080"


def parse_listen(text: str, where: str = "--listen") -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` for IPv6) as the address to bind; port 0 picks a free one.

    Raises ``ConfigError`` naming ``where`` for anything else.
    """
    host, sep, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(where, text, "expected host:port, e.g. 127.0.0.1:8080")
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def current_activity(state: dict[str, Any], last_jump_t: float | None) -> tuple[str, str | None]:
    """What the wearer is doing now, from a band's live state: ``(activity, direction)``.

    Pedalling while the crank turns, else walking while steps come (the state's cadences fall
    to 0 when they stop), else jumping for ``JUMPING_FOR_S`` after a landing, else standing.
    """
    if (state.get("pedal_cadence_rpm") or 0) > 0:
        return "pedalling", state.get("pedal_direction") or "unknown"
    if (state.get("step_cadence_spm") or 0) > 0:
        return "walking", state.get("last_step_direction") or "unknown"
    t = state.get("t")
    since = t - last_jump_t if isinstance(t, (int, float)) and last_jump_t is not None else None
    if since is not None and 0.0 <= since <= JUMPING_FOR_S:
        return "jumping", state.get("last_jump_direction") or "unknown"
    return "standing", None


@dataclass
class LiveBand:
    """What the page knows of one band."""

    band: str
    status: str | None = None
    device: dict[str, Any] | None = None
    battery_pct: float | None = None
    state: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    activity: str = "standing"
    direction: str | None = None
    last_jump_t: float | None = None
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=EVENTS_KEPT))
    #: ``[received unix ms, steps/min, rpm, bpm, step direction, pedal direction]`` per live
    #: state (the chart colours each stretch by its direction).
    history: deque[list[Any]] = field(default_factory=deque)

    def view(self) -> dict[str, Any]:
        return {
            "band": self.band,
            "status": self.status,
            "device": self.device,
            "battery_pct": self.battery_pct,
            "state": self.state,
            "summary": self.summary,
            "activity": self.activity,
            "direction": self.direction,
            "events": list(self.events),
            "history": list(self.history),
        }


class LiveBands:
    """Every band seen under a base topic, fed one MQTT message at a time.

    ``feed`` returns the change to send to the pages (``None`` for a topic the page does not
    show); ``snapshot`` is what a page that opens now is sent first.
    """

    def __init__(self, base_topic: str) -> None:
        self.base = base_topic.rstrip("/")
        self.bands: dict[str, LiveBand] = {}
        self.service: dict[str, str] = {}
        self.dropped = DropCounter("live page")

    def subscriptions(self) -> list[str]:
        """The topic filters to subscribe to: the band leaves and events, and availability."""
        out = [f"{self.base}/+/{leaf}" for leaf in BAND_LEAVES]
        out += [f"{self.base}/+/event/+", f"{self.base}/status", f"{self.base}/status/+"]
        return out

    def snapshot(self) -> dict[str, Any]:
        return {
            "kind": "snapshot",
            "service": dict(self.service),
            "bands": {b: v.view() for b, v in sorted(self.bands.items())},
        }

    def feed(
        self, topic: str, payload: bytes, now_ms: float | None = None
    ) -> dict[str, Any] | None:
        if not topic.startswith(self.base + "/"):
            return None
        parts = topic[len(self.base) + 1 :].split("/")
        now_ms = time.time() * 1000.0 if now_ms is None else now_ms
        if len(payload) > MAX_MESSAGE_BYTES:
            self.dropped.drop(topic, Invalid("too large", f"{len(payload)} bytes"))
            return None
        if parts[0] != "status" and not (
            is_valid_band_id(parts[0]) and (parts[0] in self.bands or len(self.bands) < MAX_BANDS)
        ):
            self.dropped.drop(topic, Invalid("not a band", parts[0][:60]))
            return None
        text = payload.decode("utf-8", errors="replace")
        if parts[0] == "status":
            name = parts[1] if len(parts) > 1 else "service"
            self.service[name] = text
            return {"kind": "service", "name": name, "status": text}
        if len(parts) == 3 and parts[1] == "event":
            body = _json(text)
            if not isinstance(body, dict):
                return None
            band = self._band(parts[0])
            band.events.appendleft(body)
            if body.get("type") == "jump" and isinstance(body.get("t"), (int, float)):
                band.last_jump_t = float(body["t"])
            return {"kind": "event", "band": band.band, "event": body}
        if len(parts) != 2 or parts[1] not in BAND_LEAVES:
            return None
        leaf = parts[1]
        band = self._band(parts[0])
        if leaf == "status":
            band.status = text
            if text == "offline":
                band.activity, band.direction = "offline", None
            return {"kind": "status", "band": band.band, "status": text}
        body = _json(text)
        if not isinstance(body, dict):
            return None
        if leaf == "cue":
            band.events.appendleft(body)
            return {"kind": "cue", "band": band.band, "cue": body}
        if leaf == "device":
            band.device = body
        elif leaf == "battery":
            pct = body.get("battery_pct")
            band.battery_pct = float(pct) if isinstance(pct, (int, float)) else None
        elif leaf == "summary":
            band.summary = body
        else:
            band.state = body
            if band.status != "offline":
                band.activity, band.direction = current_activity(body, band.last_jump_t)
            point: list[Any] = [
                now_ms,
                _number(body.get("step_cadence_spm")),
                _number(body.get("pedal_cadence_rpm")),
                _number(body.get("hr_bpm")),
                body.get("last_step_direction") or "unknown",
                body.get("pedal_direction") or "unknown",
            ]
            band.history.append(point)
            while band.history and band.history[0][0] < now_ms - HISTORY_S * 1000.0:
                band.history.popleft()
            battery = body.get("battery_pct")
            if isinstance(battery, (int, float)):
                band.battery_pct = float(battery)
            return {
                "kind": "state",
                "band": band.band,
                "state": body,
                "point": point,
                "activity": band.activity,
                "direction": band.direction,
            }
        return {"kind": leaf, "band": band.band, leaf: body}

    def _band(self, band_id: str) -> LiveBand:
        if band_id not in self.bands:
            self.bands[band_id] = LiveBand(band_id)
        return self.bands[band_id]


def _json(text: str) -> Any:
    """JSON as retrosense writes it: no NaN or Infinity (the pages' JSON has none), not
    nested beyond the parser's depth; else ``None``."""
    try:
        return loads_bounded(text.encode("utf-8"))
    except Invalid:
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def page_html(title: str = "retrosense live") -> str:
    """The live page (its script connects back to the server's WebSocket)."""
    import importlib.resources

    assets = importlib.resources.files("sensor.web").joinpath("assets")
    colours = json.dumps({"direction": DIRECTION_COLOURS, "heart": HEART_COLOUR})
    return (
        assets.joinpath("dashboard.html")
        .read_text("utf-8")
        .replace("{{title}}", title)
        .replace("{{css}}", assets.joinpath("dashboard.css").read_text("utf-8"))
        .replace("{{colours}}", colours.replace("</", "<\\/"))
        .replace("{{script}}", assets.joinpath("dashboard.js").read_text("utf-8"))
    )


class Dashboard:
    """The live page's server and its MQTT reader, in the running asyncio loop.

    Parameters
    ----------
    settings
        The broker and base topic to read.
    host, port
        Where to listen (port 0: a free one; ``url`` says which after ``start``).
    broker_first
        Refuse to start when the broker does not answer (``retrosense dashboard``); else
        connect in the background and retry, as ``run`` does with a broker that is away.
    """

    def __init__(
        self, settings: BrokerSettings, host: str, port: int, *, broker_first: bool = True
    ) -> None:
        self.broker_first = broker_first
        self.settings = settings
        self.host = host
        self.port = port
        self.bands = LiveBands(settings.base_topic)
        self._sockets: set[Any] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: Any = None
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._plotly: bytes | None = None
        self.url = ""

    async def start(self) -> str:
        """Connect to the broker, start serving; the page's address."""
        web = require("aiohttp.web", FEATURE)
        require("plotly", FEATURE)
        import paho.mqtt.client as mqtt

        from sensor.mqtt.client import make_client

        self._loop = asyncio.get_running_loop()
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get("/plotly.min.js", self._plotly_js)
        app.router.add_get("/bands.json", self._snapshot)
        app.router.add_get("/ws", self._websocket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as err:
            await self._runner.cleanup()
            raise ConfigError(
                "--listen", f"{self.host}:{self.port}", f"cannot listen: {err}"
            ) from err
        port = self._runner.addresses[0][1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{port}/"
        if not is_loopback(self.host):
            log.warning(
                "the live page is open to the network at %s: read-only, but without a password",
                self.url,
            )
        client = make_client(
            self.settings,
            f"retrosense-dashboard-{int(time.time() * 1000) % 10**9}",
            # It only subscribes: nothing of MQTT 5 is needed, and every broker speaks 3.1.1.
            # No last will: the page must not change what the service's topics say.
            protocol=mqtt.MQTTv5 if self.settings.protocol == "5" else mqtt.MQTTv311,
        )
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        url = self.settings.broker
        keepalive = round(self.settings.keepalive_s)
        if self.broker_first:
            try:
                client.connect(url.host, url.port, keepalive=keepalive)
            except OSError as err:
                await self._runner.cleanup()
                raise BrokerError(str(url), f"cannot connect: {err}") from err
        else:
            client.connect_async(url.host, url.port, keepalive=keepalive)
        client.loop_start()
        self._client = client
        return self.url

    async def stop(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ----- MQTT (paho's thread) ------------------------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.error("%s refused the live page's connection: %s", self.settings.broker, reason)
            return
        for topic in self.bands.subscriptions():
            client.subscribe(topic, qos=1)

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._take, msg.topic, bytes(msg.payload))

    # ----- the loop ------------------------------------------------------------------------

    def _take(self, topic: str, payload: bytes) -> None:
        change = self.bands.feed(topic, payload)
        if change is None or not self._sockets:
            return
        text = json.dumps(change, separators=(",", ":"), allow_nan=False)
        for ws in list(self._sockets):
            task = asyncio.ensure_future(self._send(ws, text))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, ws: Any, text: str) -> None:
        try:
            await ws.send_str(text)
        except (ConnectionError, RuntimeError):
            self._sockets.discard(ws)

    async def _page(self, request: Any) -> Any:
        web = require("aiohttp.web", FEATURE)
        return web.Response(text=page_html(), content_type="text/html")

    async def _plotly_js(self, request: Any) -> Any:
        web = require("aiohttp.web", FEATURE)
        if self._plotly is None:
            from sensor.web.report import plotly_js

            self._plotly = plotly_js().encode("utf-8")
        return web.Response(
            body=self._plotly,
            content_type="application/javascript",
            headers={"Cache-Control": "max-age=86400"},
        )

    async def _snapshot(self, request: Any) -> Any:
        web = require("aiohttp.web", FEATURE)
        return web.json_response(self.bands.snapshot())

    async def _websocket(self, request: Any) -> Any:
        web = require("aiohttp.web", FEATURE)
        ws = web.WebSocketResponse(heartbeat=30.0)
        await ws.prepare(request)
        await ws.send_str(json.dumps(self.bands.snapshot(), separators=(",", ":")))
        self._sockets.add(ws)
        try:
            async for _ in ws:  # read-only: whatever a page sends is ignored
                pass
        finally:
            self._sockets.discard(ws)
        return ws


@contextlib.asynccontextmanager
async def live_page(settings: BrokerSettings, listen: str) -> AsyncIterator[str | None]:
    """The live page served while the block runs (``retrosense run`` with ``[web] listen``);
    yields its address, or ``None`` when ``listen`` is ``""`` (off)."""
    if not listen:
        yield None
        return
    dashboard = Dashboard(settings, *parse_listen(listen, "web.listen"), broker_first=False)
    url = await dashboard.start()
    log.warning("live page: %s", url)
    try:
        yield url
    finally:
        await dashboard.stop()


class DashboardThread:
    """The live page in a thread and event loop of its own, for a caller that blocks (the
    demo replays its workout on the main thread)."""

    def __init__(self, settings: BrokerSettings, listen: str) -> None:
        self.settings = settings
        self.host, self.port = parse_listen(listen)
        self.url = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="live page", daemon=True)

    def start(self, timeout_s: float = 30.0) -> str:
        """Serve; the page's address. Raises what starting raised (a port in use, say)."""
        self._thread.start()
        self._ready.wait(timeout_s)
        if self._error is not None:
            raise self._error
        return self.url

    def stop(self, timeout_s: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        dashboard = Dashboard(self.settings, self.host, self.port, broker_first=False)
        try:
            self.url = await dashboard.start()
        except BaseException as err:  # handed to the starting thread
            self._error = err
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await dashboard.stop()


async def serve_dashboard(settings: BrokerSettings, listen: str, ready: Any = None) -> None:
    """Serve the live page until cancelled; ``ready(url)`` is called once it listens."""
    host, port = parse_listen(listen)
    dashboard = Dashboard(settings, host, port)
    url = await dashboard.start()
    if ready is not None:
        ready(url)
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await dashboard.stop()
