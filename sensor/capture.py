"""Raw BLE capture, version 1 (shared spec ``capture-jsonl.md``): writer, reader and source.

What came over the air, byte for byte: ``retrosense record --raw`` writes it from a live
band (every notification, read, write and link event, in arrival order), and ``analyze``,
``replay`` and ``convert`` read it back through the same device drivers a live band runs.
A payload its decoder cannot parse is counted, logged once per kind with its line, and
skipped; it never stops the replay.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.frame import parse_body_axes
from analysis.types import Placement, Samples, StreamInfo
from sensor.errors import ConfigError, DecodeError, RecordingError
from sensor.identity import band_id_for
from sensor.recording import RATE_PROBE_ROWS, parse_placement, settle_rate, to_body
from sensor.safeio import MAX_NESTING, TooLong, bounded_lines, bracket_depth, strip_bom
from sensor.settings import to_table
from sensor.sources import FILE_READERS, Source, SourceOptions

if TYPE_CHECKING:
    from sensor.ble.drivers import Driver
    from sensor.ble.items import BandItem
    from sensor.ble.profiles import DeviceProfile
    from sensor.ble.session import BandSession

log = logging.getLogger(__name__)

MAGIC = "retrosense_capture"
VERSION = 1
#: Header key of the profile a capture carries whole (one that is not built in).
PROFILE_TABLE = "profile_table"
#: What a profile name may be: a file stem in a profiles folder, never a path.
PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")
#: A pause between two notifications longer than this, and than ten times their mean pause
#: (not the median: notifications come in bursts, one connection event's a moment apart), is
#: a gap (the band stopped sending), left out of the rate the notifications show.
GAP_S = 2.0
#: A rate the notifications show within this fraction of a rate the profile offers is that
#: rate: the band runs at one of them, and jitter or lost packets move the measure a little.
OFFERED_RATE_TOLERANCE = 0.25


def _header_ranges() -> dict[str, tuple[float, float]]:
    """Header numbers and their ranges: those a device profile may state for them."""
    import dataclasses

    from sensor.ble.profiles import DeviceProfile

    ranges = {}
    for f in dataclasses.fields(DeviceProfile):
        if f.name in ("sample_rate_hz", "acc_range_g"):
            ranges[f.name] = (float(f.metadata["min"]), float(f.metadata["max"]))
    return ranges


def iso_utc(unix_s: float) -> str:
    """``2026-11-20T10:15:00.123Z``."""
    stamp = datetime.fromtimestamp(unix_s, tz=UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class CaptureWriter:
    """Write a capture line by line; a ``RawSink`` for ``BandSession``.

    Parameters
    ----------
    path
        The ``.jsonl`` file (overwritten).
    profile
        The device profile whose drivers read it back (or its name). A profile that is not
        a built-in one is written into the header whole (``profile_table``).
    name, address
        The band as it advertised.
    placement, body_axes
        As in the recording CSV.
    started_unix_s
        Wall-clock time of ``t = 0``.
    extra
        More header keys (``sample_rate_hz``, ``acc_range_g``, ``band_id``); readers ignore
        keys they do not know.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        profile: str | DeviceProfile,
        name: str | None,
        address: str | None,
        placement: Placement,
        body_axes: str,
        started_unix_s: float,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.path = str(path)
        self.lines_written = 0
        self._f = open(self.path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        header: dict[str, Any] = {
            MAGIC: VERSION,
            "profile": profile if isinstance(profile, str) else profile.name,
            "device": {"name": name or "", "address": address or ""},
            "placement": Placement(placement).value,
            "body_axes": body_axes,
            "started": iso_utc(started_unix_s),
            **(extra or {}),
        }
        if not isinstance(profile, str) and not _is_builtin(profile):
            # Whoever replays it may not have this profile's file, and must never be made
            # to open a path the capture names: the capture carries the profile itself.
            header[PROFILE_TABLE] = to_table(profile)
        self._write(header)

    def _write(self, obj: dict[str, Any]) -> None:
        self._f.write(json.dumps(obj, separators=(", ", ": ")) + "\n")
        self._f.flush()
        self.lines_written += 1

    def set_device(self, name: str | None, address: str | None) -> None:
        """Record the band's identity once known (a band found by name), as a line of its own."""
        self._write({"t": 0.0, "device": {"name": name or "", "address": address or ""}})

    def record(self, t: float, kind: str, char: str, data: bytes, event: str | None) -> None:
        """One notification (``kind="notify"``), read, write, or link event.

        ``t`` is written whole (JSON keeps a float's every digit): sample times are anchored
        on receive times, so a replay decodes the very times the live session did, and its
        events are the live session's to the last digit.
        """
        if kind == "event":
            self._write({"t": t, "event": event or ""})
            return
        line: dict[str, Any] = {"t": t, "char": char, "hex": data.hex()}
        if kind != "notify":
            line["kind"] = kind
        self._write(line)

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_capture(path: str | Path, band: BandSession) -> CaptureWriter:
    """A capture writer for a started live band, its header from the band (``band_id``
    included). Call it before the first ``await`` after ``band.start()`` and set it as
    ``band.raw_sink``, so the capture has the very first entry."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return CaptureWriter(
        path,
        profile=band.profile,
        name=band.name,
        address=band.address,
        placement=band.placement,
        body_axes=band.body_axes,
        started_unix_s=band.started_unix_s,
        extra={
            "sample_rate_hz": band.info.sample_rate_hz,
            "acc_range_g": band.info.acc_range_g,
            "band_id": band.band_id,
        },
    )


@dataclass(frozen=True)
class CaptureHeader:
    """The first line of a capture."""

    path: str
    profile: str
    name: str
    address: str
    placement: Placement
    body_axes: str
    started: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The profile itself, where the capture carries it (a profile that is not built in).
    profile_table: dict[str, Any] | None = None


@dataclass(frozen=True)
class CaptureLine:
    """One line after the header."""

    line: int
    t: float
    kind: str
    char: str = ""
    data: bytes = b""
    event: str = ""


def _header(path: str, text: str) -> CaptureHeader:
    if bracket_depth(text) > MAX_NESTING:
        raise RecordingError(path, 1, "expected a flat JSON object, got one nested too deeply")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        obj = None
    if not isinstance(obj, dict) or obj.get(MAGIC) is None:
        raise RecordingError(
            path, 1, f'expected a capture header {{"{MAGIC}": 1, ...}}, got {text.strip()[:40]!r}'
        )
    if obj[MAGIC] != VERSION:
        raise RecordingError(path, 1, f"expected capture version {VERSION}, got {obj[MAGIC]!r}")
    profile = obj.get("profile")
    if not isinstance(profile, str) or not PROFILE_NAME.fullmatch(profile):
        raise RecordingError(
            path,
            1,
            "profile: expected the name of a device profile (letters, digits, '.', '_', '-'; "
            f"never a path), got {profile!r}"[:200],
        )
    table = obj.get(PROFILE_TABLE)
    if table is not None and not isinstance(table, dict):
        raise RecordingError(path, 1, f"{PROFILE_TABLE}: expected the profile's table")
    for key, (lo, hi) in _header_ranges().items():
        value = obj.get(key)
        if value is None:
            continue
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not (math.isfinite(value) and lo <= value <= hi)
        ):
            raise RecordingError(
                path, 1, f"{key}: expected a number within {lo:g}..{hi:g}, got {value!r}"[:200]
            )
    try:
        placement = parse_placement(str(obj.get("placement", "")))
    except ValueError as err:
        raise RecordingError(path, 1, f"placement: {err}") from None
    axes = str(obj.get("body_axes", "+x,+y,+z"))
    try:
        parse_body_axes(axes)
    except ValueError as err:
        raise RecordingError(path, 1, f"body_axes: {err}") from None
    raw_device = obj.get("device")
    device: dict[str, Any] = raw_device if isinstance(raw_device, dict) else {}
    known = {MAGIC, "profile", "device", "placement", "body_axes", "started", PROFILE_TABLE}
    started = obj.get("started")
    return CaptureHeader(
        path=path,
        profile=profile,
        name=str(device.get("name", "")),
        address=str(device.get("address", "")),
        placement=placement,
        body_axes=axes,
        started=started if isinstance(started, str) else None,
        extra={k: v for k, v in obj.items() if k not in known},
        profile_table=table,
    )


class CaptureReader:
    """Read a capture: its header, then its lines in order.

    A last line cut off by a crash (no newline, not JSON) is dropped with a warning; any
    other line that is not a JSON object, lacks ``t`` or carries odd-length hex raises
    ``RecordingError`` with its line number.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        #: The cut-off last line, once a read has come to it.
        self.truncated_line: int | None = None
        try:
            with open(self.path, "rb") as f:
                first = strip_bom(next(bounded_lines(f), b"").decode("utf-8"))
        except OSError as err:
            raise RecordingError(self.path, None, f"cannot read: {err.strerror}") from err
        except UnicodeDecodeError as err:
            raise RecordingError(self.path, 1, "expected UTF-8 JSON Lines") from err
        except TooLong as err:
            raise RecordingError(self.path, 1, str(err)) from None
        if not first:
            raise RecordingError(self.path, None, "the file is empty; expected a capture header")
        self.header = _header(self.path, first)

    def lines(self) -> Iterator[CaptureLine]:
        lineno = 1
        try:
            with open(self.path, "rb") as f:
                lines = bounded_lines(f)
                next(lines, b"")
                for raw in lines:
                    lineno += 1
                    try:
                        text = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        raise RecordingError(
                            self.path, lineno, "expected UTF-8 JSON Lines"
                        ) from None
                    if not text.strip():
                        continue
                    parsed = self._parse(text, lineno)
                    if parsed is not None:
                        yield parsed
        except TooLong as err:
            raise RecordingError(self.path, lineno + 1, str(err)) from None

    def _parse(self, text: str, lineno: int) -> CaptureLine | None:
        # Measured before parsing: see sensor.safeio.bracket_depth.
        if bracket_depth(text) > MAX_NESTING:
            raise RecordingError(
                self.path, lineno, "expected a flat JSON object, got one nested too deeply"
            )
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            if not text.endswith("\n"):
                if self.truncated_line is None:  # once, however often the file is read
                    self.truncated_line = lineno
                    log.warning("%s:%d: last line is incomplete; dropped", self.path, lineno)
                return None
            raise RecordingError(self.path, lineno, "expected a JSON object") from None
        if not isinstance(obj, dict):
            raise RecordingError(self.path, lineno, "expected a JSON object")
        t = obj.get("t")
        if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t):
            raise RecordingError(self.path, lineno, f"expected 't' in seconds, got {t!r}")
        if "event" in obj:
            return CaptureLine(lineno, float(t), "event", event=str(obj["event"]))
        if "hex" not in obj:
            return CaptureLine(lineno, float(t), "other")  # a key this reader does not know
        hex_text, char = obj.get("hex"), obj.get("char")
        if not isinstance(hex_text, str) or len(hex_text) % 2:
            raise RecordingError(
                self.path, lineno, f"hex: expected an even number of hex digits, got {hex_text!r}"
            )
        try:
            data = bytes.fromhex(hex_text)
        except ValueError:
            raise RecordingError(
                self.path, lineno, f"hex: expected hex digits, got {hex_text[:20]!r}"
            ) from None
        if not isinstance(char, str):
            raise RecordingError(self.path, lineno, "expected 'char', a characteristic UUID")
        kind = str(obj.get("kind", "notify"))
        return CaptureLine(lineno, float(t), kind, char.lower(), data)


class CaptureSource:
    """A capture replayed through its profile's driver, as a ``Source``.

    Parameters
    ----------
    path
        The capture.
    options
        ``placement``/``body_axes`` override the header's; ``sample_rate_hz`` the rate.

    Attributes
    ----------
    counters
        Payloads per kind that were decoded.
    malformed
        Payloads per kind a decoder refused (skipped).
    heart_rate
        ``(time_s, bpm)`` of every heart-rate notification.
    """

    def __init__(self, path: str | Path, options: SourceOptions | None = None) -> None:
        from sensor.ble.profiles import load_profile, profile_from_table

        options = options or SourceOptions()
        self.reader = CaptureReader(path)
        self.options = options
        h = self.reader.header
        try:
            if h.profile_table is not None:
                self.profile = profile_from_table(
                    dict(h.profile_table), f"{self.reader.path}:1: {PROFILE_TABLE}", h.profile
                )
            else:
                self.profile = load_profile(h.profile, allow_path=False)
        except ConfigError as err:
            raise RecordingError(
                self.reader.path, 1, f"profile {h.profile!r}: {err.key}: {err.expected}"
            ) from None
        self.placement = options.placement or h.placement
        self.body_axes = options.body_axes or h.body_axes
        try:
            self.axes_matrix = parse_body_axes(self.body_axes)
        except ValueError as err:
            raise RecordingError(self.reader.path, None, f"body_axes: {err}") from None
        self._declared_rate = options.sample_rate_hz or _number(h.extra.get("sample_rate_hz"))
        self._range_g = _number(h.extra.get("acc_range_g"))
        #: The rate the notifications show, where it overrules the declared one.
        self._measured_rate: float | None = None
        self.driver = self._new_driver()
        self.counters: Counter[str] = Counter()
        self.malformed: Counter[str] = Counter()
        self.heart_rate: list[tuple[float, int]] = []
        # The detectors are built from ``info`` before the first chunk: the rate is settled
        # now, from a trial pass over the capture's first stretch.
        declared = self._declared_rate or self.driver.rate_hz
        settled = settle_rate(self.reader.path, declared, self._probe_rate())
        if settled != declared:
            self._measured_rate = settled
            # For a band with a sample clock (Polar PMD, Movesense) the rate spaces only the
            # samples of a frame its timestamps do not place; for one counted at the rate
            # (WitMotion, a generic band without a time field: CounterClock) it is every
            # sample's spacing, so the driver must run at the measured rate, not only the
            # detectors, or the timeline stays as wrong as the header.
            self.driver.set_rate(settled)

    def _new_driver(self) -> Driver:
        from sensor.ble.drivers import make_driver

        driver = make_driver(self.profile, self.band_id, None, None)
        if self._declared_rate is not None:
            driver.set_rate(self._declared_rate)  # a start command in the capture may change it
        if self._range_g is not None:
            driver.range_g = self._range_g
        return driver

    def _probe_rate(self) -> float | None:
        """The rate the notifications show: samples decoded per second of receive time over
        the capture's first ``RATE_PROBE_ROWS`` samples, leaving out link losses and gaps
        (``None`` with too few notifications, or a profile without samples)."""
        from sensor.ble.items import SampleBatch

        if not self.profile.has_samples:
            return None
        driver = self._new_driver()
        driver.quiet = True
        steps_s: list[float] = []
        counts: list[int] = []
        last_t: float | None = None
        overlaps = total = 0
        try:
            for line, items in self._replay(driver, report=False):
                if line.kind == "event":
                    last_t = None  # a link loss is no pause of the band's
                    continue
                # Samples a wrong rate's counted times made overlap were decoded all the same.
                n = sum(len(i.samples) for i in items or () if isinstance(i, SampleBatch))
                n, overlaps = n + driver.overlaps - overlaps, driver.overlaps
                if n == 0:
                    continue
                if last_t is not None:
                    steps_s.append(line.t - last_t)
                    counts.append(n)
                    total += n
                last_t = line.t
                if total >= RATE_PROBE_ROWS:
                    break
        except RecordingError:
            pass  # a bad line is for ``chunks`` to report, with its line number
        return _delivered_rate_hz(steps_s, counts, self.profile.sample_rates_hz)

    @property
    def name(self) -> str:
        h = self.reader.header
        return h.name or h.address or Path(self.reader.path).stem

    @property
    def band_id(self) -> str:
        h = self.reader.header
        band_id = h.extra.get("band_id")
        return band_id_for(
            id=band_id if isinstance(band_id, str) else None,
            address=h.address,
            name=h.name or Path(h.path).stem,
        )

    @property
    def info(self) -> StreamInfo:
        rate = self._measured_rate or self._declared_rate or self.driver.rate_hz
        return StreamInfo(
            sample_rate_hz=max(1.0, rate),
            placement=self.placement,
            has_gyro=self.profile.gyro,
            acc_range_g=self.driver.range_g,
        )

    def _replay(
        self, driver: Driver, *, report: bool
    ) -> Iterator[tuple[CaptureLine, list[BandItem] | None]]:
        """Each link event (no items) and notification or read (its items; ``None`` for a
        payload the decoder refused) through ``driver``, the capture's writes replayed to it.
        With ``report``, refused payloads are counted in ``malformed`` and logged."""
        warned: set[str] = set()
        for line in self.reader.lines():
            if line.kind == "event":
                if line.event == "connected":
                    driver.on_reconnect()
                yield line, []
                continue
            if line.kind == "write":
                driver.observe_write(line.char, line.data)
                if self._measured_rate is not None and driver.rate_hz != self._measured_rate:
                    # The capture's start command asks the rate its notifications belie.
                    driver.set_rate(self._measured_rate)
                continue
            if line.kind not in ("notify", "read"):
                continue
            try:
                items = driver.decode(line.char, line.t, line.data)
            except DecodeError as err:
                if report:
                    self.malformed[err.kind] += 1
                    if err.kind not in warned:
                        warned.add(err.kind)
                        log.warning(
                            "%s:%d: skipping %s (logged once per kind)",
                            self.reader.path,
                            line.line,
                            err,
                        )
                yield line, None
                continue
            yield line, items

    def chunks(self) -> Iterator[Samples]:
        """Sensor-frame chunks, one per decoded notification, heart rate in ``hr_bpm``."""
        from sensor.ble.items import HeartRateReading, SampleBatch

        pending_hr = math.nan
        with_hr = self.profile.heart_rate
        notifications = items_out = samples_out = 0
        for line, items in self._replay(self.driver, report=True):
            if line.kind == "event":
                continue
            notifications += 1
            if items is None:
                continue
            self.counters[self.driver.kind(line.char)] += 1
            items_out += len(items)
            for item in items:
                if isinstance(item, HeartRateReading):
                    self.heart_rate.append((item.time_s, item.bpm))
                    pending_hr = float(item.bpm)
                elif isinstance(item, SampleBatch):
                    s = item.samples
                    hr = None
                    if with_hr:
                        hr = np.full(len(s), np.nan)
                        hr[0], pending_hr = pending_hr, math.nan
                    samples_out += len(s)
                    yield Samples(s.time_s, s.acc_g, s.gyro_dps, hr)
        if notifications and (items_out == 0 or (self.profile.has_samples and not samples_out)):
            log.warning(
                "%s: none of its %d notifications decoded into %s with profile %s; "
                "was it recorded from another kind of band?",
                self.reader.path,
                notifications,
                "samples" if self.profile.has_samples else "readings",
                self.profile.name,
            )

    def body_chunks(self) -> Iterator[Samples]:
        for chunk in self.chunks():
            yield to_body(chunk, self.axes_matrix)


def _delivered_rate_hz(
    steps_s: list[float], counts: list[int], offered_hz: list[float]
) -> float | None:
    """Samples per second over the pauses between notifications (``counts[i]`` samples came
    ``steps_s[i]`` after the previous notification), gaps left out; snapped to the nearest
    offered rate within ``OFFERED_RATE_TOLERANCE``. ``None`` with fewer than two pauses."""
    if len(steps_s) < 2:
        return None
    steps = np.asarray(steps_s, dtype=np.float64)
    keep = steps <= max(GAP_S, 10 * float(np.mean(steps)))
    span = float(steps[keep].sum())
    if span <= 0:
        return None
    rate = float(np.asarray(counts)[keep].sum()) / span
    if offered_hz:
        nearest = min(offered_hz, key=lambda r: abs(math.log(r / rate)))
        if abs(nearest / rate - 1) <= OFFERED_RATE_TOLERANCE:
            return float(nearest)
    return rate


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def _is_builtin(profile: DeviceProfile) -> bool:
    """Whether ``profile`` is the built-in profile of its name, as shipped."""
    from sensor.ble.profiles import load_profile_file
    from sensor.paths import builtin_devices_dir

    path = builtin_devices_dir() / f"{profile.name}.toml"
    try:
        return path.is_file() and load_profile_file(path) == profile
    except ConfigError:
        return False


def _sniff(first_line: str) -> bool:
    return strip_bom(first_line).lstrip().startswith("{") and f'"{MAGIC}"' in first_line


def _open(path: Path, options: SourceOptions) -> Source:
    return CaptureSource(path, options)


FILE_READERS.append((_sniff, _open))
