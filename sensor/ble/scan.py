"""``scan``: nearby bands with name, address, signal strength and the profile that would be used."""

from __future__ import annotations

from dataclasses import dataclass

from sensor.ble.profiles import DeviceProfile, all_profiles, match_profile


@dataclass(frozen=True)
class ScanResult:
    """One advertising device."""

    name: str | None
    address: str
    rssi_dbm: int | None
    service_uuids: tuple[str, ...]
    profile: str | None


async def scan(
    timeout_s: float = 5.0, profiles: list[DeviceProfile] | None = None, only_known: bool = False
) -> list[ScanResult]:
    """Scan for ``timeout_s`` and match each device to a profile (strongest signal first)."""
    from bleak import BleakScanner

    from sensor.ble.session import _bluetooth_missing, _is_bleak_error, bluetooth_missing_text
    from sensor.errors import DeviceError

    known = profiles if profiles is not None else all_profiles()
    try:
        found = await BleakScanner.discover(timeout=timeout_s, return_adv=True)
    except Exception as err:
        if _bluetooth_missing(err) or _is_bleak_error(err):
            raise DeviceError("scan", bluetooth_missing_text(err)) from err
        raise
    results = []
    for device, adv in found.values():
        name = adv.local_name or device.name
        profile = match_profile(name, adv.service_uuids, known)
        if only_known and profile is None:
            continue
        results.append(
            ScanResult(
                name=name,
                address=device.address,
                rssi_dbm=adv.rssi,
                service_uuids=tuple(adv.service_uuids),
                profile=profile.name if profile else None,
            )
        )
    return sorted(results, key=lambda r: -(r.rssi_dbm if r.rssi_dbm is not None else -999))
