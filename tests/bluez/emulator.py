"""An emulated BlueZ (``org.bluez``) on a private D-Bus, for bleak's real BlueZ backend.

It exports what bleak 3.1 reads and calls (found by reading bleak's backend): an Adapter1
(``Powered``, ``Roles``, discovery, ``RemoveDevice``), Device1 objects in BlueZ's path layout
(``/org/bluez/hci0/dev_C8_2E_...``), and on connect the GATT database as GattService1 /
GattCharacteristic1 / GattDescriptor1 objects (``.../service000a/char000b/desc000c``: bleak
takes handles from these names). Notifications travel both ways BlueZ offers: ``StartNotify``
(``PropertiesChanged`` on ``Value``) and ``AcquireNotify`` (a SEQPACKET socket).

Virtual peripherals (``tests/bluez/devices.py``) plug in through ``Peripheral``: they declare
their services, answer reads and writes, and push notifications with ``notify``. The test
controls the radio: ``drop_link`` (link loss), ``vanish``/``reappear`` (out of range),
``make_stale`` (a device object whose connects fail until it is removed, bleak issue 676) and
``Peripheral.stalled`` (connected but silent, for the watchdog).

A client that leaves the bus (a process that died) is treated as BlueZ treats it: its
``StartNotify`` sessions end (the last one switches the characteristic's notifications off),
while the link it made stays up (``Connected`` true, no advertising) until someone calls
``Device1.Disconnect`` or the link drops (BlueZ issue 89).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from dataclasses import dataclass, field
from typing import Any

from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"
PROPERTIES = "org.freedesktop.DBus.Properties"
ADAPTER = "org.bluez.Adapter1"
DEVICE = "org.bluez.Device1"
SERVICE = "org.bluez.GattService1"
CHARACTERISTIC = "org.bluez.GattCharacteristic1"
DESCRIPTOR = "org.bluez.GattDescriptor1"
CCCD = "00002902-0000-1000-8000-00805f9b34fb"
MTU = 247


class BluezError(Exception):
    """Becomes a D-Bus error reply named like BlueZ's."""

    def __init__(self, name: str, text: str = "") -> None:
        super().__init__(text)
        self.name = name
        self.text = text


@dataclass
class Char:
    """A characteristic of a virtual peripheral."""

    uuid: str
    flags: list[str]
    value: bytes = b""


@dataclass
class Peripheral:
    """Base of the virtual bands: override ``read``, ``write``, ``connected``, ``disconnected``."""

    address: str
    name: str
    services: dict[str, list[Char]] = field(default_factory=dict)
    rssi: int = -55
    advertising: bool = True
    stale: bool = False
    stalled: bool = False
    emulator: BlueZEmulator | None = field(default=None, repr=False)
    is_connected: bool = False
    #: Every value written, in order: ``(char uuid, bytes)``.
    writes: list[tuple[str, bytes]] = field(default_factory=list)

    def char(self, uuid: str) -> Char:
        return next(c for cs in self.services.values() for c in cs if c.uuid == uuid)

    def read(self, uuid: str) -> bytes:
        return self.char(uuid).value

    def write(self, uuid: str, data: bytes) -> None:
        self.char(uuid).value = data

    def connected(self) -> None:
        """The central connected (GATT exported)."""

    def disconnected(self) -> None:
        """The link went down, whoever ended it."""

    def subscribed(self, uuid: str, on: bool) -> None:
        """The central enabled or disabled notifications on ``uuid``."""

    def notify(self, uuid: str, data: bytes) -> bool:
        """Send a notification/indication if the central listens; return whether it went out."""
        if self.emulator is None or not self.is_connected or self.stalled:
            return False
        return self.emulator.send_value(self.address, uuid, data)


class _WaitingSocket:
    """The emulator's bus socket, for dbus-fast's writer: a full send buffer means "wait".

    dbus-fast (like python-dbus-next, where it is reported upstream) ends the connection
    when ``send`` on its non-blocking socket raises ``BlockingIOError``: the emulator, sending
    thousands of notifications a second while dbus-daemon is starved of CPU, then vanishes
    from the bus. Sending nothing instead makes the writer wait until the socket is writable
    and go on, as a real BlueZ's would.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def send(self, data: Any) -> int:
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class BlueZEmulator:
    """The ``org.bluez`` service on a private bus, driven in the test's event loop.

    Parameters
    ----------
    bus_address
        The private bus (``DBUS_SYSTEM_BUS_ADDRESS`` of the test session).
    adv_interval_s
        How often advertising devices refresh their RSSI while discovery runs.
    """

    def __init__(self, bus_address: str, adv_interval_s: float = 0.05) -> None:
        self.bus_address = bus_address
        self.adapter_path = "/org/bluez/hci0"
        self.adv_interval_s = adv_interval_s
        self.objects: dict[str, dict[str, dict[str, Variant]]] = {}
        self.peripherals: dict[str, Peripheral] = {}
        self.calls: list[str] = []
        self.bus: MessageBus | None = None
        self._discovering = 0
        self._adv_task: asyncio.Task[None] | None = None
        self._notifying: set[str] = set()
        #: Who holds a ``StartNotify`` session on each characteristic path (unique bus names).
        self._notify_clients: dict[str, set[str]] = {}
        self._acquired: dict[str, socket.socket] = {}

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> BlueZEmulator:
        self.bus = await MessageBus(bus_address=self.bus_address, negotiate_unix_fd=True).connect()
        writer = getattr(self.bus, "_writer", None)
        if writer is not None and hasattr(writer, "sock"):
            writer.sock = _WaitingSocket(writer.sock)
        self.bus.add_message_handler(self._handle)
        # bluetoothd watches its notify clients' bus names to end their sessions when they go.
        await self.bus.call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="AddMatch",
                signature="s",
                body=["type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'"],
            )
        )
        self._add(
            self.adapter_path,
            {
                ADAPTER: {
                    "Address": Variant("s", "00:1A:7D:DA:71:13"),
                    "AddressType": Variant("s", "public"),
                    "Name": Variant("s", "emulated"),
                    "Alias": Variant("s", "emulated"),
                    "Class": Variant("u", 0),
                    "Powered": Variant("b", True),
                    "Discoverable": Variant("b", False),
                    "Pairable": Variant("b", True),
                    "Discovering": Variant("b", False),
                    "UUIDs": Variant("as", []),
                    "Roles": Variant("as", ["central", "peripheral"]),
                }
            },
        )
        await self.bus.request_name("org.bluez")
        return self

    async def stop(self) -> None:
        for p in self.peripherals.values():
            if p.is_connected:
                self._teardown(p)
        if self._adv_task:
            self._adv_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._adv_task
        if self.bus:
            self.bus.disconnect()
            with contextlib.suppress(Exception):
                await self.bus.wait_for_disconnect()

    def add(self, peripheral: Peripheral) -> Peripheral:
        peripheral.emulator = self
        self.peripherals[peripheral.address] = peripheral
        return peripheral

    # ------------------------------------------------------------- radio controls
    def drop_link(self, address: str) -> None:
        """Link loss: the peripheral disconnects (supervision timeout)."""
        p = self.peripherals[address]
        if p.is_connected:
            self._teardown(p)

    def vanish(self, address: str) -> None:
        """Out of range: link lost, advertising stops, BlueZ drops the device object."""
        p = self.peripherals[address]
        p.advertising = False
        if p.is_connected:
            self._teardown(p)
        self._remove(self.dev_path(address))

    def reappear(self, address: str) -> None:
        self.peripherals[address].advertising = True

    def make_stale(self, address: str) -> None:
        """Connects fail (``le-connection-abort-by-local``) until the object is removed."""
        self.peripherals[address].stale = True

    # ------------------------------------------------------------------- helpers
    def dev_path(self, address: str) -> str:
        return f"{self.adapter_path}/dev_{address.upper().replace(':', '_')}"

    def _signal(self, path: str, iface: str, member: str, sig: str, body: list[Any]) -> None:
        assert self.bus is not None
        self.bus.send(Message.new_signal(path, iface, member, sig, body))

    def _add(self, path: str, ifaces: dict[str, dict[str, Variant]]) -> None:
        self.objects.setdefault(path, {}).update(ifaces)
        if self.bus:
            self._signal("/", OBJECT_MANAGER, "InterfacesAdded", "oa{sa{sv}}", [path, ifaces])

    def _remove(self, path: str) -> None:
        ifaces = self.objects.pop(path, None)
        if ifaces:
            self._signal("/", OBJECT_MANAGER, "InterfacesRemoved", "oas", [path, list(ifaces)])

    def _set(self, path: str, iface: str, **props: Variant) -> None:
        if path not in self.objects:
            return
        self.objects[path][iface].update(props)
        self._signal(path, PROPERTIES, "PropertiesChanged", "sa{sv}as", [iface, props, []])

    def _advertise(self, p: Peripheral) -> None:
        path = self.dev_path(p.address)
        if path in self.objects:
            self._set(path, DEVICE, RSSI=Variant("n", p.rssi))
            return
        self._add(
            path,
            {
                DEVICE: {
                    "Address": Variant("s", p.address),
                    "AddressType": Variant("s", "random"),
                    "Name": Variant("s", p.name),
                    "Alias": Variant("s", p.name),
                    "Adapter": Variant("o", self.adapter_path),
                    "Paired": Variant("b", False),
                    "Bonded": Variant("b", False),
                    "Trusted": Variant("b", False),
                    "Blocked": Variant("b", False),
                    "Connected": Variant("b", False),
                    "ServicesResolved": Variant("b", False),
                    "LegacyPairing": Variant("b", False),
                    "RSSI": Variant("n", p.rssi),
                    "UUIDs": Variant("as", list(p.services)),
                    "ManufacturerData": Variant("a{qv}", {}),
                }
            },
        )

    async def _adv_loop(self) -> None:
        while True:
            for p in list(self.peripherals.values()):
                if p.advertising and not p.is_connected:
                    self._advertise(p)
            await asyncio.sleep(self.adv_interval_s)

    def _export_gatt(self, p: Peripheral) -> None:
        dev = self.dev_path(p.address)
        handle = 0x000A
        for service_uuid, chars in p.services.items():
            spath = f"{dev}/service{handle:04x}"
            self._add(
                spath,
                {
                    SERVICE: {
                        "UUID": Variant("s", service_uuid),
                        "Primary": Variant("b", True),
                        "Device": Variant("o", dev),
                        "Includes": Variant("ao", []),
                    }
                },
            )
            handle += 1
            for c in chars:
                cpath = f"{spath}/char{handle:04x}"
                props = {
                    "UUID": Variant("s", c.uuid),
                    "Service": Variant("o", spath),
                    "Value": Variant("ay", b""),
                    "Flags": Variant("as", c.flags),
                    "MTU": Variant("q", MTU),
                }
                notifiable = "notify" in c.flags or "indicate" in c.flags
                if notifiable:
                    props["Notifying"] = Variant("b", False)
                    props["NotifyAcquired"] = Variant("b", False)
                self._add(cpath, {CHARACTERISTIC: props})
                handle += 1
                if notifiable:
                    self._add(
                        f"{cpath}/desc{handle:04x}",
                        {
                            DESCRIPTOR: {
                                "UUID": Variant("s", CCCD),
                                "Characteristic": Variant("o", cpath),
                                "Value": Variant("ay", b""),
                                "Flags": Variant("as", []),
                            }
                        },
                    )
                    handle += 1

    def _char_paths(self, address: str) -> dict[str, str]:
        dev = self.dev_path(address) + "/"
        return {
            ifaces[CHARACTERISTIC]["UUID"].value: path
            for path, ifaces in self.objects.items()
            if path.startswith(dev) and CHARACTERISTIC in ifaces
        }

    def _owner(self, path: str) -> Peripheral:
        for p in self.peripherals.values():
            if path == self.dev_path(p.address) or path.startswith(self.dev_path(p.address) + "/"):
                return p
        raise BluezError("org.freedesktop.DBus.Error.UnknownObject", path)

    def _teardown(self, p: Peripheral) -> None:
        dev = self.dev_path(p.address)
        for path in [c for c in self._notifying if c.startswith(dev + "/")]:
            self._notifying.discard(path)
            self._notify_clients.pop(path, None)
        for path in [c for c in self._acquired if c.startswith(dev + "/")]:
            self._acquired.pop(path).close()
        was = p.is_connected
        p.is_connected = False
        self._set(dev, DEVICE, ServicesResolved=Variant("b", False))
        self._set(dev, DEVICE, Connected=Variant("b", False))
        for path in sorted((q for q in self.objects if q.startswith(dev + "/")), reverse=True):
            self._remove(path)  # an unbonded device's GATT database goes with the link
        if was:
            p.disconnected()

    def send_value(self, address: str, uuid: str, data: bytes) -> bool:
        path = self._char_paths(address).get(uuid)
        if path is None:
            return False
        if path in self._acquired:
            try:
                self._acquired[path].send(data)
                return True
            except OSError:  # the central closed its end: notifications are off
                self._acquired.pop(path).close()
                return False
        if path in self._notifying:
            self._set(path, CHARACTERISTIC, Value=Variant("ay", data))
            return True
        return False

    # ------------------------------------------------------------- D-Bus methods
    def _client_gone(self, name: str) -> None:
        for path, clients in list(self._notify_clients.items()):
            if name in clients:
                clients.discard(name)
                if not clients:
                    self._notify_off(path)

    def _notify_off(self, path: str) -> None:
        self._notify_clients.pop(path, None)
        if path not in self._notifying:
            return
        self._notifying.discard(path)
        self._set(path, CHARACTERISTIC, Notifying=Variant("b", False))
        self._owner(path).subscribed(self.objects[path][CHARACTERISTIC]["UUID"].value, False)

    def _handle(self, msg: Message) -> Message | None:
        if (
            msg.message_type is MessageType.SIGNAL
            and msg.member == "NameOwnerChanged"
            and msg.body[0].startswith(":")
            and not msg.body[2]
        ):
            self._client_gone(msg.body[0])
            return None
        if msg.message_type is not MessageType.METHOD_CALL:
            return None
        self.calls.append(f"{msg.interface}.{msg.member} {msg.path}")
        try:
            reply = self._dispatch(msg)
        except BluezError as err:
            return Message.new_error(msg, err.name, err.text)
        if reply is None:
            return Message.new_error(
                msg, "org.freedesktop.DBus.Error.UnknownMethod", f"{msg.member} not emulated"
            )
        sig, body, *fds = reply
        return Message.new_method_return(msg, sig, body, unix_fds=fds[0] if fds else [])

    def _dispatch(self, msg: Message) -> tuple[Any, ...] | None:
        iface, member, path = msg.interface, msg.member, msg.path
        if iface == OBJECT_MANAGER and member == "GetManagedObjects":
            return "a{oa{sa{sv}}}", [self.objects]
        if path not in self.objects:
            raise BluezError("org.freedesktop.DBus.Error.UnknownObject", f"no object {path}")
        if iface == PROPERTIES:
            if member == "GetAll":
                return "a{sv}", [self.objects[path].get(msg.body[0], {})]
            if member == "Get":
                return "v", [self.objects[path][msg.body[0]][msg.body[1]]]
            if member == "Set":
                self._set(path, msg.body[0], **{msg.body[1]: msg.body[2]})
                return "", []
        if iface == ADAPTER:
            return self._adapter(member, msg)
        if iface == DEVICE:
            return self._device(member, self._owner(path), path)
        if iface == CHARACTERISTIC:
            return self._characteristic(member, msg, path)
        return None

    def _adapter(self, member: str, msg: Message) -> tuple[Any, ...] | None:
        if member == "SetDiscoveryFilter":
            return "", []
        if member == "StartDiscovery":
            self._discovering += 1
            if self._discovering == 1:
                self._set(self.adapter_path, ADAPTER, Discovering=Variant("b", True))
                self._adv_task = asyncio.get_running_loop().create_task(self._adv_loop())
            return "", []
        if member == "StopDiscovery":
            if not self._discovering:
                raise BluezError("org.bluez.Error.Failed", "No discovery started")
            self._discovering -= 1
            if not self._discovering and self._adv_task:
                self._adv_task.cancel()
                self._set(self.adapter_path, ADAPTER, Discovering=Variant("b", False))
            return "", []
        if member == "RemoveDevice":
            dev = msg.body[0]
            p = self._owner(dev)
            if p.is_connected:
                self._teardown(p)
            p.stale = False
            self._remove(dev)
            return "", []
        return None

    def _device(self, member: str, p: Peripheral, path: str) -> tuple[Any, ...] | None:
        if member == "Connect":
            if not p.advertising:
                raise BluezError("org.bluez.Error.Failed", "Page Timeout")
            if p.stale:
                raise BluezError("org.bluez.Error.Failed", "le-connection-abort-by-local")
            if not p.is_connected:
                p.is_connected = True
                self._set(path, DEVICE, Connected=Variant("b", True))
                self._export_gatt(p)
                self._set(path, DEVICE, ServicesResolved=Variant("b", True))
                p.connected()
            return "", []
        if member == "Disconnect":
            if p.is_connected:
                self._teardown(p)
            return "", []
        return None

    def _characteristic(self, member: str, msg: Message, path: str) -> tuple[Any, ...] | None:
        p = self._owner(path)
        uuid = self.objects[path][CHARACTERISTIC]["UUID"].value
        flags = self.objects[path][CHARACTERISTIC]["Flags"].value
        if member == "ReadValue":
            if "read" not in flags:
                raise BluezError("org.bluez.Error.NotPermitted", "Read not permitted")
            return "ay", [p.read(uuid)]
        if member == "WriteValue":
            data = bytes(msg.body[0])
            p.writes.append((uuid, data))
            p.write(uuid, data)
            return "", []
        notifiable = "notify" in flags or "indicate" in flags
        if member in ("StartNotify", "AcquireNotify") and not notifiable:
            raise BluezError("org.bluez.Error.NotSupported", "Operation is not supported")
        if member == "StartNotify":
            self._notify_clients.setdefault(path, set()).add(str(msg.sender))
            if path not in self._notifying:
                self._notifying.add(path)
                self._set(path, CHARACTERISTIC, Notifying=Variant("b", True))
                p.subscribed(uuid, True)
            return "", []
        if member == "StopNotify":
            clients = self._notify_clients.get(path, set())
            clients.discard(str(msg.sender))
            if not clients:
                self._notify_off(path)
            return "", []
        if member == "AcquireNotify":
            if path in self._acquired:
                raise BluezError("org.bluez.Error.InProgress", "Notify already acquired")
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            ours.setblocking(False)
            self._acquired[path] = ours
            self._set(path, CHARACTERISTIC, NotifyAcquired=Variant("b", True))
            p.subscribed(uuid, True)
            fd = theirs.detach()
            # dbus-fast sends the descriptor after this returns; close our copy then.
            asyncio.get_running_loop().call_later(1.0, os.close, fd)
            return "hq", [0, MTU], [fd]
        return None
