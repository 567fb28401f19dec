"""``BandSession``: one band, connected with bleak, kept connected, decoded in a consumer task.

The life of a session: find the band (by address, or by advertised name), connect, read its
battery and Device Information, let the profile's driver configure and start its streams,
then wait — for a stop request, a lost link, or a watchdog that fires when notifications stop.
A lost link is retried with exponential back-off, after rescanning (a band that vanished is
retried, not crashed on); where BlueZ keeps a stale device object that refuses every connect
(bleak issue 676), the object is removed before the next attempt; where BlueZ still holds a
band connected for a process that died without disconnecting, that link is dropped so the
band advertises and is found again (``release_leftover_link``). Stop commands the driver
owes (the Polar H10's ACC stop) are written on every way out: ``stop()``, errors and task
cancellation (Ctrl-C) alike.

The notification callback only enqueues ``(receive_time, bytes(data))``; a consumer task
records raw captures, decodes, counts malformed payloads (logged once per kind) and yields
typed items.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from analysis.types import Placement, StreamInfo
from sensor.ble.drivers import Driver, make_driver
from sensor.ble.items import (
    BandItem,
    BatteryReading,
    DeviceInfoReading,
    LinkEvent,
    LinkStatus,
    SampleBatch,
    SessionCounters,
)
from sensor.ble.profiles import DeviceProfile, load_profile
from sensor.decoders.info import (
    BATTERY_LEVEL,
    DEVICE_INFO_FIELDS,
    DeviceInfo,
    decode_info_string,
)
from sensor.errors import DecodeError, DeviceError, DeviceNotFound, RetrosenseError
from sensor.identity import band_id_for, is_address

if TYPE_CHECKING:
    from bleak import BleakClient
    from bleak.backends.device import BLEDevice
    from dbus_fast.aio import MessageBus

log = logging.getLogger(__name__)

#: Addresses (upper case) this process's sessions hold a link to: BlueZ's ``Connected``
#: alone does not tell them from links a dead process left.
_LINKED_HERE: set[str] = set()


@dataclass(frozen=True)
class BandSpec:
    """Which band to stream and how.

    Parameters
    ----------
    device
        The band's address (``C8:2E:0A:1B:2C:3D``; a CoreBluetooth UUID on macOS) or the
        start of its advertised name (``Polar H10``).
    profile
        A profile name (``polar-h10``) or a device TOML path.
    placement, body_axes
        Where the band sits and its axes; ``None`` takes the profile's defaults.
    rate_hz, range_g
        Sample rate and accelerometer range to ask; ``None`` takes the profile's.
    id
        Stable id for topics and file names; by default ``sensor.identity.band_id_for``
        of the address or name.
    """

    device: str
    profile: str
    placement: Placement | None = None
    body_axes: str | None = None
    rate_hz: float | None = None
    range_g: float | None = None
    id: str | None = None


@dataclass(frozen=True)
class SessionOptions:
    """Timeouts and retry policy (defaults suit real bands; tests shorten them)."""

    scan_timeout_s: float = 10.0
    connect_timeout_s: float = 20.0
    command_timeout_s: float = 5.0
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    #: ``None``: the profile's ``watchdog_s``.
    watchdog_s: float | None = None
    #: Give up after this many failed attempts in a row; ``None`` retries for ever.
    max_attempts: int | None = None
    #: Failed connects in a row to a band that a scan does see before its BlueZ object is
    #: removed as stale.
    stale_after_failures: int = 2
    #: Notifications buffered for the decoder before new ones are dropped (and counted).
    queue_size: int = 10_000


class RawSink(Protocol):
    """Where every notification, read, write and link event goes, byte for byte."""

    def record(self, t: float, kind: str, char: str, data: bytes, event: str | None) -> None: ...


RawKind = Literal["notify", "read", "write", "event", "item"]


class _Raw(NamedTuple):
    t: float
    kind: RawKind
    char: str
    data: bytes
    item: BandItem | None = None


_END: Any = object()


@dataclass
class _Connection:
    """What one connection attempt leaves behind."""

    streamed: bool = False
    reason: str = ""


class BleakLink:
    """The ``Link`` drivers use, over a connected ``BleakClient``."""

    def __init__(self, client: BleakClient, session: BandSession) -> None:
        self.client = client
        self.session = session
        self.responses: dict[str, asyncio.Queue[bytes]] = {}

    def _char(self, char: str) -> Any:
        return self.client.services.get_characteristic(char)

    def has_char(self, char: str) -> bool:
        return self._char(char) is not None

    async def read(self, char: str) -> bytes:
        data = bytes(await self.client.read_gatt_char(char))
        self.session._enqueue(_Raw(self.session.now(), "read", char, data))
        return data

    async def write(self, char: str, data: bytes) -> None:
        c = self._char(char)
        if c is None:
            raise DeviceError(self.session.label, f"expected characteristic {char}; it is missing")
        response = "write" in c.properties
        self.session._enqueue(_Raw(self.session.now(), "write", char, bytes(data)))
        await self.client.write_gatt_char(c, data, response=response)

    async def subscribe(self, char: str, *, responses: bool = False) -> None:
        queue: asyncio.Queue[bytes] | None = None
        if responses:
            queue = self.responses.setdefault(char, asyncio.Queue())
        session = self.session

        def on_notify(_sender: Any, data: bytearray) -> None:
            # Only enqueue: decoding, recording and publishing run in the consumer task.
            payload = bytes(data)
            t = session.now()
            session._last_rx_s = t
            session._enqueue(_Raw(t, "notify", char, payload))
            if queue is not None:
                queue.put_nowait(payload)

        await self.client.start_notify(char, on_notify)

    async def response(self, char: str, timeout_s: float) -> bytes:
        return await asyncio.wait_for(self.responses[char].get(), timeout_s)


class BandSession:
    """Stream one band: connect, keep connected, decode; iterate to get typed items.

    Parameters
    ----------
    spec
        Which band and how.
    profile
        The loaded profile (default: ``load_profile(spec.profile)``).
    options
        Timeouts and retry policy.
    raw_sink
        Receives every notification, read, write and link event (a ``CaptureWriter``).

    Examples
    --------
    >>> async def main():  # doctest: +SKIP
    ...     async with BandSession(BandSpec("Polar H10", "polar-h10")) as band:
    ...         async for item in band:
    ...             print(item)
    """

    def __init__(
        self,
        spec: BandSpec,
        profile: DeviceProfile | None = None,
        options: SessionOptions | None = None,
        raw_sink: RawSink | None = None,
    ) -> None:
        self.spec = spec
        self.profile = profile or load_profile(spec.profile)
        self.options = options or SessionOptions()
        self.raw_sink = raw_sink
        self.address: str | None = spec.device if is_address(spec.device) else None
        self.name: str | None = None if self.address else spec.device
        # Fixed for the session (``sensor.identity``): a band found by its name keeps the
        # id it started with when its address shows, so topics and file names never move.
        self.band_id = band_id_for(id=spec.id, address=self.address, name=self.name)
        self.placement = spec.placement or self.profile.placement
        self.body_axes = spec.body_axes or self.profile.body_axes
        self.driver: Driver = make_driver(self.profile, self.band_id, spec.rate_hz, spec.range_g)
        self.counters = SessionCounters()
        self.device_info: DeviceInfo | None = None
        self.battery_percent: int | None = None
        self.error: RetrosenseError | None = None
        #: Wall-clock (Unix) time of session second 0: ``wall = started_unix_s + time_s``.
        self.started_unix_s = time.time()
        self._t0 = time.monotonic()
        self._last_rx_s = 0.0
        self._last_sample_s: float | None = None
        self._raw: asyncio.Queue[_Raw] = asyncio.Queue()
        self._out: asyncio.Queue[Any] = asyncio.Queue()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._warned: set[str] = set()
        self._client: BleakClient | None = None
        self._has_connected = False
        self._stopped_event_sent = False

    # ------------------------------------------------------------------ public side
    @property
    def label(self) -> str:
        return self.spec.id or self.address or self.spec.device

    @property
    def info(self) -> StreamInfo:
        """What the pipeline may know before the first sample."""
        return StreamInfo(
            sample_rate_hz=max(1.0, self.driver.rate_hz),
            placement=self.placement,
            has_gyro=self.profile.gyro,
            acc_range_g=self.driver.range_g,
        )

    def now(self) -> float:
        """Host time in seconds since the session started (monotonic)."""
        return time.monotonic() - self._t0

    async def start(self) -> None:
        """Start connecting in the background; items arrive through iteration."""
        if self._tasks:
            return
        self._t0 = time.monotonic()
        self.started_unix_s = time.time()
        self._last_rx_s = 0.0
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._run(), name=f"band {self.label}"),
            loop.create_task(self._consume(), name=f"band {self.label} decoder"),
        ]

    async def stop(self) -> None:
        """Stop streaming: write the stop commands the band is owed, disconnect, end iteration."""
        self._stopping.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> BandSession:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def __aiter__(self) -> AsyncIterator[BandItem]:
        return self.items()

    async def items(self) -> AsyncIterator[BandItem]:
        """Every item in order; ends after ``stop()``, raising a fatal error if one ended it."""
        while True:
            item = await self._out.get()
            if item is _END:
                self._out.put_nowait(_END)  # a second iterator ends too
                if self.error is not None:
                    raise self.error
                return
            yield item

    # ---------------------------------------------------------------- enqueue side
    def _enqueue(self, raw: _Raw) -> None:
        if self._raw.qsize() >= self.options.queue_size and raw.kind == "notify":
            self.counters.dropped += 1
            return
        self._raw.put_nowait(raw)

    def _event(self, status: LinkStatus, reason: str = "", **kw: Any) -> None:
        self._stopped_event_sent = status is LinkStatus.STOPPED
        event = LinkEvent(self.band_id, self.now(), status, reason, **kw)
        log.info("%s: %s%s", self.label, status.value, f" ({reason})" if reason else "")
        self._enqueue(_Raw(event.time_s, "event", "", b"", event))

    # ---------------------------------------------------------------- consumer task
    async def _consume(self) -> None:
        while True:
            raw = await self._raw.get()
            if raw is _END:
                break
            try:
                self._handle(raw)
            except Exception:  # a bug must not silently end the stream: log it loudly
                log.exception("%s: failed to handle a %s of %s", self.label, raw.kind, raw.char)
                continue
        self._out.put_nowait(_END)

    def _handle(self, raw: _Raw) -> None:
        if self.raw_sink is not None:
            event = raw.item.status.value if isinstance(raw.item, LinkEvent) else None
            if raw.kind != "item":
                self.raw_sink.record(raw.t, raw.kind, raw.char, raw.data, event)
        if raw.kind in ("event", "item"):
            item = raw.item
            if isinstance(item, LinkEvent) and item.status is LinkStatus.CONNECTED:
                if self._last_sample_s is not None:
                    item = dataclasses.replace(item, gap_from_s=self._last_sample_s)
                self.driver.on_reconnect()
            self._out.put_nowait(item)
            return
        if raw.kind == "write":
            self.driver.observe_write(raw.char, raw.data)
            return
        kind = self.driver.kind(raw.char)
        self.counters.notifications[kind] += 1
        try:
            items = self.driver.decode(raw.char, raw.t, raw.data)
        except DecodeError as err:
            self.counters.malformed[err.kind] += 1
            if err.kind not in self._warned:
                self._warned.add(err.kind)
                log.warning("%s: skipping malformed %s (logged once per kind)", self.label, err)
            return
        for item in items:
            if isinstance(item, BatteryReading):
                self.battery_percent = item.percent
            if isinstance(item, SampleBatch):
                self._last_sample_s = float(item.samples.time_s[-1])
            self._out.put_nowait(item)

    # --------------------------------------------------------------------- run task
    async def _run(self) -> None:
        failures = 0
        connect_failures = 0
        try:
            while not self._stopping.is_set():
                self._event(LinkStatus.CONNECTING)
                conn = _Connection()
                try:
                    await self._connect_and_stream(conn)
                except DeviceError as err:
                    if isinstance(err, DeviceNotFound):
                        conn.reason = str(err.expected)
                    else:
                        self.error = err
                        return
                except (TimeoutError, OSError, EOFError, DecodeError) as err:
                    if _bluetooth_missing(err) and not self._has_connected:
                        self.error = DeviceError(self.label, bluetooth_missing_text(err))
                        return
                    conn.reason = f"{type(err).__name__}: {err or 'timed out'}"
                    connect_failures += 1
                except Exception as err:
                    if not _is_bleak_error(err):
                        log.exception("%s: unexpected error; the session ends", self.label)
                        self.error = DeviceError(self.label, f"unexpected error: {err!r}")
                        return
                    if _bluetooth_missing(err) and not self._has_connected:
                        # Nothing to retry for yet: say so at once rather than loop.
                        self.error = DeviceError(self.label, bluetooth_missing_text(err))
                        return
                    conn.reason = f"{type(err).__name__}: {err}"
                    if type(err).__name__ == "BleakDeviceNotFoundError":
                        connect_failures = 0
                    else:
                        connect_failures += 1
                if self._stopping.is_set():
                    break
                if conn.streamed:
                    failures = 0
                    connect_failures = 0
                else:
                    failures += 1
                if (
                    connect_failures >= self.options.stale_after_failures
                    and self.address is not None
                ):
                    connect_failures = 0
                    if await forget_device(self.address):
                        self.counters.stale_device_resets += 1
                        log.warning("%s: removed a stale BlueZ device object", self.label)
                if self.options.max_attempts is not None and failures >= self.options.max_attempts:
                    self.error = DeviceError(
                        self.label, f"gave up after {failures} failed attempts: {conn.reason}"
                    )
                    break
                delay = min(
                    self.options.backoff_max_s,
                    self.options.backoff_initial_s * 2 ** max(0, failures - 1),
                )
                self._event(
                    LinkStatus.RECONNECTING,
                    conn.reason,
                    attempt=failures + 1 if failures else 1,
                    retry_in_s=delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
        finally:
            if not self._stopped_event_sent:
                reason = str(self.error) if self.error else "stopped"
                self._event(LinkStatus.STOPPED, reason)
            self._raw.put_nowait(_END)

    async def _scan(self, timeout: float) -> BLEDevice | None:
        from bleak import BleakScanner

        if self.address is not None:
            return await BleakScanner.find_device_by_address(self.address, timeout=timeout)
        prefix = self.spec.device
        return await BleakScanner.find_device_by_filter(
            lambda d, adv: bool((adv.local_name or d.name or "").startswith(prefix)),
            timeout=timeout,
        )

    async def _find(self) -> BLEDevice:
        timeout = self.options.scan_timeout_s
        device = await self._scan(timeout)
        if device is None and await release_leftover_link(
            self.address, None if self.address is not None else self.spec.device
        ):
            # One path on: with the old link gone the band advertises, and this scan finds it.
            self.counters.leftover_links_released += 1
            log.info(
                "%s: found still connected from an earlier process; disconnected that link",
                self.label,
            )
            device = await self._scan(timeout)
        if device is None:
            raise DeviceNotFound(self.label, timeout)
        return device

    async def _connect_and_stream(self, conn: _Connection) -> None:
        from bleak import BleakClient

        device = await self._find()
        if self.address is None:
            self.address = device.address
        self.name = device.name or self.name
        lost = asyncio.Event()

        def on_disconnect(_client: BleakClient) -> None:
            lost.set()

        client = BleakClient(
            device, disconnected_callback=on_disconnect, timeout=self.options.connect_timeout_s
        )
        await client.connect()
        self._client = client
        link = BleakLink(client, self)
        _LINKED_HERE.add(device.address.upper())
        try:
            self.counters.connects += 1
            self._event(LinkStatus.CONNECTED)
            self._has_connected = True
            await self._read_info(link)
            self._last_rx_s = self.now()
            await asyncio.wait_for(self.driver.start(link), self.options.command_timeout_s * 4)
            conn.streamed = True
            conn.reason = await self._watch(lost)
        finally:
            await self._shutdown(client, link)
            _LINKED_HERE.discard(device.address.upper())
            self._client = None
        if conn.reason != "stopped":
            self._event(LinkStatus.DISCONNECTED, conn.reason)

    async def _watch(self, lost: asyncio.Event) -> str:
        watchdog_s = self.options.watchdog_s or self.profile.watchdog_s
        tick = min(0.1, watchdog_s / 4)
        while True:
            if self._stopping.is_set():
                return "stopped"
            if lost.is_set():
                self.counters.link_losses += 1
                return "link lost"
            idle = self.now() - self._last_rx_s
            if idle > watchdog_s:
                self.counters.watchdog_resets += 1
                return f"watchdog: no notification for {idle:.1f} s"
            await asyncio.sleep(tick)

    async def _shutdown(self, client: BleakClient, link: BleakLink) -> None:
        """Owed stop commands, then disconnect; runs on every way out, cancellation included."""
        try:
            if client.is_connected:
                await asyncio.wait_for(self.driver.stop(link), self.options.command_timeout_s)
        except Exception as err:  # the link may be half gone; disconnecting still matters
            log.warning("%s: could not send the stop command: %s", self.label, err)
        finally:
            try:
                await asyncio.wait_for(client.disconnect(), self.options.command_timeout_s)
            except Exception as err:
                log.debug("%s: disconnect: %s", self.label, err)

    async def _read_info(self, link: BleakLink) -> None:
        if link.has_char(BATTERY_LEVEL):
            try:
                data = await link.read(BATTERY_LEVEL)
                self.battery_percent = data[0] if len(data) == 1 else None
                if "notify" in link._char(BATTERY_LEVEL).properties:
                    await link.subscribe(BATTERY_LEVEL)  # changes over a long session
            except Exception as err:
                if not _is_bleak_error(err):
                    raise
                log.debug("%s: battery read failed: %s", self.label, err)
        if self.device_info is None:
            fields: dict[str, str] = {}
            for char, name in DEVICE_INFO_FIELDS.items():
                if link.has_char(char):
                    try:
                        fields[name] = decode_info_string(
                            bytes(await link.client.read_gatt_char(char))
                        )
                    except Exception as err:
                        if not _is_bleak_error(err):
                            raise
            self.device_info = DeviceInfo(**fields)
        item = DeviceInfoReading(
            self.band_id, self.now(), self.name or "", self.address or "", self.device_info
        )
        self._enqueue(_Raw(item.time_s, "item", "", b"", item))


def _bluetooth_missing(err: BaseException) -> bool:
    """No adapter, Bluetooth off, or no system D-Bus to reach BlueZ through."""
    from bleak.exc import BleakBluetoothNotAvailableError

    if isinstance(err, BleakBluetoothNotAvailableError):
        return True
    # bluetoothd not running: the bus answers that nobody owns org.bluez.
    return isinstance(err, (FileNotFoundError, ConnectionRefusedError)) or (
        "org.freedesktop.DBus.Error.ServiceUnknown" in str(err)
    )


def bluetooth_missing_text(err: BaseException) -> str:
    """One line for a user whose machine cannot reach Bluetooth."""
    return (
        f"Bluetooth is not available ({err}); is the adapter present and powered, "
        "and is bluetoothd running?"
    )


def _is_bleak_error(err: BaseException) -> bool:
    """bleak's errors (and dbus-fast's, which its BlueZ backend lets through)."""
    from bleak.exc import BleakError

    if isinstance(err, BleakError):
        return True
    return type(err).__module__.startswith("dbus_fast")


@contextlib.asynccontextmanager
async def _bluez_devices() -> AsyncIterator[tuple[MessageBus, dict[str, dict[str, Any]]] | None]:
    """The system bus and BlueZ's device objects: ``Device1`` properties by object path.

    ``None`` off Linux or without a system bus.
    """
    if sys.platform != "linux":
        yield None
        return
    from dbus_fast import BusType, Message, MessageType
    from dbus_fast.aio import MessageBus

    try:
        bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    except Exception as err:
        log.debug("no system bus to look up bands in BlueZ: %s", err)
        yield None
        return
    try:
        reply = await bus.call(
            Message(
                destination="org.bluez",
                path="/",
                interface="org.freedesktop.DBus.ObjectManager",
                member="GetManagedObjects",
            )
        )
        devices = {}
        if reply is not None and reply.message_type is MessageType.METHOD_RETURN:
            for path, ifaces in reply.body[0].items():
                dev = ifaces.get("org.bluez.Device1")
                if dev and "Address" in dev:
                    devices[path] = {k: v.value for k, v in dev.items()}
        yield bus, devices
    finally:
        bus.disconnect()


@contextlib.asynccontextmanager
async def _bluez_device(
    address: str,
) -> AsyncIterator[tuple[MessageBus, str, dict[str, Any]] | None]:
    """The system bus, BlueZ's object path and ``Device1`` properties for ``address``.

    ``None`` off Linux, without a system bus, or when BlueZ holds no object for ``address``.
    """
    async with _bluez_devices() as found:
        if found is None:
            yield None
            return
        bus, devices = found
        for path, dev in devices.items():
            if str(dev["Address"]).upper() == address.upper():
                yield bus, path, dev
                return
        yield None


def _held_elsewhere(dev: dict[str, Any], name_prefix: str) -> bool:
    """Whether BlueZ holds ``dev`` connected, its name starts with ``name_prefix``, and no
    session of this process has it (two bands configured by the same name prefix must not
    drop each other's links)."""
    name = str(dev.get("Name") or dev.get("Alias") or "")
    return (
        bool(dev.get("Connected"))
        and name.startswith(name_prefix)
        and str(dev["Address"]).upper() not in _LINKED_HERE
    )


async def connected_devices() -> list[dict[str, Any]]:
    """``Device1`` properties of every device BlueZ holds connected (none off Linux).

    A connected band does not advertise, so a scan alone never lists the bands this host
    is linked to: those of running sessions, or links left by a process that died.
    """
    try:
        async with _bluez_devices() as found:
            if found is None:
                return []
            return [dev for dev in found[1].values() if dev.get("Connected")]
    except Exception as err:  # a listing that failed lists nothing more, not a failed scan
        log.debug("could not list BlueZ's connected devices: %s", err)
        return []


async def _bluez_call(bus: MessageBus, path: str, interface: str, member: str, *body: str) -> bool:
    """Call a BlueZ method; whether it succeeded (a failure is logged at debug level)."""
    from dbus_fast import Message, MessageType

    reply = await bus.call(
        Message(
            destination="org.bluez",
            path=path,
            interface=interface,
            member=member,
            signature="o" * len(body),
            body=list(body),
        )
    )
    ok = reply is not None and reply.message_type is MessageType.METHOD_RETURN
    if not ok:
        log.debug("%s.%s %s: %s", interface, member, path, reply and reply.body)
    return ok


async def forget_device(address: str) -> bool:
    """Remove BlueZ's device object for ``address`` (a stale one refuses every connect).

    Returns whether an object was removed. Linux only; elsewhere it does nothing.

    Notes
    -----
    bleak issue 676: after some link losses BlueZ keeps a device object whose connects fail
    until it is removed (``Adapter1.RemoveDevice``) and the band is discovered again.
    """
    async with _bluez_device(address) as found:
        if found is None:
            return False
        bus, path, dev = found
        return await _bluez_call(bus, dev["Adapter"], "org.bluez.Adapter1", "RemoveDevice", path)


async def release_leftover_link(address: str | None, name_prefix: str | None = None) -> bool:
    """Disconnect ``address`` if BlueZ holds it as connected (without an address: the first
    band whose name starts with ``name_prefix`` that BlueZ holds connected and no session of
    this process has); whether it did.

    Linux only; elsewhere it does nothing (there the system ends the links of a process
    that dies).

    Notes
    -----
    bluetoothd, not the client, owns an LE link: when the process that connected a band
    dies (SIGKILL, a crash, a container restarted while the host's bluetoothd runs on),
    BlueZ keeps the link (BlueZ issue 89, bleak issue 367) with ``Device1.Connected`` true,
    and a connected band does not advertise, so a scan never sees it again.

    The link is dropped rather than taken over (bleak can reuse a link BlueZ holds):
    ending it resets the band, which a take-over cannot — bands end their measurements
    when the link goes (the Polar H10 does; the dead process may have left a stream
    running, a rate or range set), and per-link state such as notification subscriptions
    goes with it; the band then comes back through the one tested path (scan, connect,
    configure) instead of a second way in that skips the scan; and it needs only
    ``Device1.Disconnect``, not bleak's ``BleakAdapter.get_connected_devices`` (bleak 3.1
    and later). The cost is one disconnection and the band's next advertisement. BlueZ
    answers ``Device1.Disconnect`` once the link is down.
    """
    if address is not None:
        async with _bluez_device(address) as one:
            if one is None or not one[2].get("Connected"):
                return False
            return await _bluez_call(one[0], one[1], "org.bluez.Device1", "Disconnect")
    async with _bluez_devices() as found:
        if found is None or name_prefix is None:
            return False
        bus, devices = found
        for path, dev in devices.items():
            if _held_elsewhere(dev, name_prefix):
                return await _bluez_call(bus, path, "org.bluez.Device1", "Disconnect")
        return False


async def run_sessions(sessions: list[BandSession], handle: Callable[[BandItem], None]) -> None:
    """Run several bands in one process until cancelled or all end; ``handle`` sees every item.

    Every session is stopped on the way out (its stop commands written), cancellation
    included.
    """

    async def pump(session: BandSession) -> None:
        async for item in session:
            handle(item)

    for s in sessions:
        await s.start()
    try:
        await asyncio.gather(*(pump(s) for s in sessions))
    finally:
        await asyncio.gather(*(s.stop() for s in sessions), return_exceptions=True)


__all__ = [
    "BandSession",
    "BandSpec",
    "BleakLink",
    "RawSink",
    "SessionOptions",
    "connected_devices",
    "forget_device",
    "release_leftover_link",
    "run_sessions",
]
