"""``scan``: nearby bands with name, address, signal strength and the profile that would be used,
and the bands this host holds connected (they do not advertise, so no scan sees them)."""

from __future__ import annotations

from dataclasses import dataclass

from sensor.ble.profiles import DeviceProfile, all_profiles, match_profile


@dataclass(frozen=True)
class ScanResult:
    """One advertising device, or one this host holds connected (``connected``, no RSSI)."""

    name: str | None
    address: str
    rssi_dbm: int | None
    service_uuids: tuple[str, ...]
    profile: str | None
    connected: bool = False


async def scan(
    timeout_s: float = 5.0, profiles: list[DeviceProfile] | None = None, only_known: bool = False
) -> list[ScanResult]:
    """Scan for ``timeout_s`` and match each device to a profile (strongest signal first)."""
    from bleak import BleakScanner

    from sensor.ble.session import (
        _bluetooth_missing,
        _is_bleak_error,
        bluetooth_missing_text,
        connected_devices,
    )
    from sensor.errors import DeviceError

    known = profiles if profiles is not None else all_profiles()
    try:
        found = await BleakScanner.discover(timeout=timeout_s, return_adv=True)
    except Exception as err:
        if _bluetooth_missing(err) or _is_bleak_error(err):
            raise DeviceError("scan", bluetooth_missing_text(err)) from err
        raise

    def result(
        name: str | None, address: str, uuids: tuple[str, ...], rssi: int | None, connected: bool
    ) -> ScanResult | None:
        profile = match_profile(name, uuids, known)
        if only_known and profile is None:
            return None
        return ScanResult(
            name=name,
            address=address,
            rssi_dbm=rssi,
            service_uuids=uuids,
            profile=profile.name if profile else None,
            connected=connected,
        )

    results = []
    for device, adv in found.values():
        r = result(
            adv.local_name or device.name, device.address, tuple(adv.service_uuids), adv.rssi, False
        )
        if r is not None:
            results.append(r)
    seen = {r.address.upper() for r in results}
    # Bands this host holds connected do not advertise: listed with no signal.
    for dev in await connected_devices():
        address = str(dev["Address"])
        if address.upper() in seen:
            continue
        uuids = tuple(str(u) for u in dev.get("UUIDs") or ())
        r = result(dev.get("Name") or dev.get("Alias"), address, uuids, None, True)
        if r is not None:
            results.append(r)
    return sorted(results, key=lambda r: -(r.rssi_dbm if r.rssi_dbm is not None else -999))
