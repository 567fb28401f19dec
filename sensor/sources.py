"""Sample sources: anything that yields body-frame chunks with a ``StreamInfo``.

A live BLE band and a file replay feed the same pipeline through this shape. ``open_source``
picks the reader from a file's first bytes: a recording CSV, a raw capture, or a file from
another app (Polar Sensor Logger, phyphox) where such a reader is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from analysis.types import Placement, Samples, StreamInfo
from sensor.errors import RecordingError
from sensor.identity import band_id_for, split_device
from sensor.recording import CHUNK_ROWS, MAGIC, RecordingReader
from sensor.safeio import MAX_LINE_CHARS, strip_bom


class Source(Protocol):
    """A finite or endless stream of body-frame sample chunks."""

    @property
    def info(self) -> StreamInfo: ...

    @property
    def name(self) -> str: ...

    @property
    def band_id(self) -> str:
        """The band's id (``sensor.identity``): the one the file stores, else the one its
        device's address or name gives."""
        ...

    def body_chunks(self) -> Iterator[Samples]: ...


@dataclass
class RecordingSource:
    """A recording CSV as a source."""

    reader: RecordingReader

    @property
    def info(self) -> StreamInfo:
        return self.reader.stream_info()

    @property
    def name(self) -> str:
        return self.reader.header.device or Path(self.reader.path).stem

    @property
    def band_id(self) -> str:
        h = self.reader.header
        name, address = split_device(h.device or "")
        return band_id_for(
            id=h.extra.get("band_id"), address=address, name=name or Path(h.path).stem
        )

    def body_chunks(self) -> Iterator[Samples]:
        return self.reader.body_chunks()


@dataclass(frozen=True)
class SourceOptions:
    """What the command line may say about a file that cannot say it itself."""

    placement: Placement | None = None
    body_axes: str | None = None
    sample_rate_hz: float | None = None
    chunk_rows: int = CHUNK_ROWS


#: Readers for other file kinds: ``(sniff(first_line) -> bool, open(path, options) -> Source)``.
#: sensor.capture and sensor.imports register theirs at import.
FILE_READERS: list[tuple[Callable[[str], bool], Callable[[Path, SourceOptions], Source]]] = []


def open_source(path: str | Path, options: SourceOptions | None = None) -> Source:
    """Open a recording CSV, a raw capture or a supported export as a ``Source``."""
    options = options or SourceOptions()
    path = Path(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            first = strip_bom(f.readline(MAX_LINE_CHARS))
    except OSError as err:
        raise RecordingError(path, None, f"cannot read: {err.strerror}") from err
    if first.startswith(f"# {MAGIC}:"):
        return RecordingSource(
            RecordingReader(path, options.chunk_rows, options.placement, options.body_axes)
        )
    _load_plugins()
    for sniff, opener in FILE_READERS:
        if sniff(first):
            return opener(path, options)
    raise RecordingError(
        path,
        1,
        f"expected a recording CSV ('# {MAGIC}: 1') or another supported file, "
        f"got {first.strip()[:40]!r}",
    )


def _load_plugins() -> None:
    """Import the modules that register extra file readers (kept out of start-up)."""
    import importlib

    for module in ("sensor.capture", "sensor.imports"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise


def recording_started(source: Source) -> datetime | None:
    """When the file's ``time_s = 0`` was (its ``started`` header), if it says."""
    header = getattr(getattr(source, "reader", None), "header", None)
    text = getattr(header, "started", None)
    if not text:
        return None
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None
