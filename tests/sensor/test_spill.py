"""A long live session keeps its older events and readings in a file, not in memory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO, Any

import pytest

from sensor import spill
from sensor.session import SessionSettings, analyze_source
from sensor.sources import open_source
from sensor.spill import SpillList
from tests.paths import DATA

CAPTURE = DATA / "ble" / "h10_walk_chest.jsonl"


def test_items_beyond_the_batch_go_to_the_file_and_come_back_in_order(tmp_path: Path) -> None:
    items: SpillList[tuple[int, str]] = SpillList(tmp_path, keep=3)
    assert items._file is not None  # open from the start: no file handle appears later
    items.extend((i, str(i)) for i in range(10))
    assert len(items._memory) == 1  # nine of them in three batches on disk
    assert list(items) == [(i, str(i)) for i in range(10)]
    # Walking it again, and appending after a walk, give the same order.
    items.append((10, "10"))
    assert list(items) == [(i, str(i)) for i in range(11)]
    assert len(items) == 11
    items.close()
    assert list(items) == [] and not items


class FullDisk:
    """A file that takes ``room`` more bytes, then fails as a full disk does."""

    def __init__(self, inner: IO[bytes], room: int) -> None:
        self.inner = inner
        self.room = room

    def write(self, data: Any) -> int:
        data = bytes(data)
        if len(data) > self.room:
            self.inner.write(data[: self.room])
            self.room = 0
            raise OSError(28, "No space left on device")
        self.room -= len(data)
        return self.inner.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_full_disk_keeps_the_items_in_memory_and_loses_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    items: SpillList[int] = SpillList(tmp_path, keep=4)
    items.extend(range(4))  # one batch written
    assert items._file is not None
    items._file = FullDisk(items._file, room=5)  # type: ignore[assignment]
    with caplog.at_level(logging.WARNING, logger="sensor.spill"):
        items.extend(range(4, 30))
    assert list(items) == list(range(30))
    warned = [r for r in caplog.records if "stay in memory" in r.message]
    assert len(warned) == 1 and str(tmp_path) in warned[0].message


def test_no_folder_to_write_keeps_everything_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    items: SpillList[int] = SpillList(blocked / "spill", keep=2)
    items.extend(range(7))
    assert list(items) == list(range(7))


def test_a_session_that_spills_gives_the_same_events_and_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = analyze_source(open_source(CAPTURE))
    monkeypatch.setattr(spill, "SPILL_BATCH", 5)
    spilled = analyze_source(open_source(CAPTURE), SessionSettings(spill_dir=tmp_path))
    assert spilled._kept._spilled > len(spilled._kept._memory)  # most of them from the file
    assert len(kept.events) > 10 and spilled.events == kept.events
    assert spilled.hr_bpm == kept.hr_bpm and len(kept.hr_bpm) > 10
    assert spilled.summary == kept.summary
