"""``SpillList``: a list that keeps its oldest items in a temporary file once it grows long.

A live session keeps every event and heart-rate reading for the summary it writes when it
ends: ten bands walking for a day would hold hundreds of megabytes of them. Past ``keep``
items in memory the older ones are pickled, a batch at a time, to an unnamed temporary file
(gone with the process, whatever way it ends) in the folder given, and read back, in order,
only when the list is walked. The file is opened with the list, so a session holds one open
file from its start, not one more after a while. Without a folder, or when the file cannot
be opened or written (a full disk), the items stay in memory: nothing is lost, and that is
said once in the log.

>>> items = SpillList(None)
>>> items.extend([1, 2]); items.append(3)
>>> list(items), len(items)
([1, 2, 3], 3)
"""

from __future__ import annotations

import logging
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Generic, TypeVar

__all__ = ["SPILL_BATCH", "SpillList"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Items held in memory before a batch goes to the file: 100-250 kB of events or readings.
SPILL_BATCH = 1024


class SpillList(Generic[T]):
    """Append-only items, the older ones in a temporary file in ``folder`` (``None``: all in
    memory)."""

    def __init__(self, folder: Path | None, keep: int | None = None) -> None:
        self._folder = folder
        self._keep = SPILL_BATCH if keep is None else keep
        self._memory: list[T] = []
        self._file: IO[bytes] | None = None
        self._batches = 0
        self._end = 0
        self._spilled = 0
        if folder is not None:
            try:
                self._open()
            except OSError as err:
                self._refuse(err)

    def __len__(self) -> int:
        return self._spilled + len(self._memory)

    def append(self, item: T) -> None:
        self._memory.append(item)
        if self._folder is not None and len(self._memory) >= self._keep:
            self._spill()

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.append(item)

    def __iter__(self) -> Iterator[T]:
        if self._file is not None:
            self._file.seek(0)
            for _ in range(self._batches):
                yield from pickle.load(self._file)
            self._file.seek(0, 2)
        yield from list(self._memory)

    def _open(self) -> IO[bytes]:
        if self._file is None:
            assert self._folder is not None
            self._folder.mkdir(parents=True, exist_ok=True)
            # Open for the list's life; closed by ``close`` or with the list.
            self._file = tempfile.TemporaryFile(  # noqa: SIM115
                dir=self._folder, prefix="retrosense-"
            )
        return self._file

    def _refuse(self, err: OSError) -> None:
        log.warning(
            "cannot keep a long session's events in %s (%s); they stay in memory",
            self._folder,
            err,
        )
        self._folder = None

    def _spill(self) -> None:
        try:
            file = self._open()
            pickle.dump(self._memory, file, protocol=pickle.HIGHEST_PROTOCOL)
            file.flush()
        except OSError as err:
            self._refuse(err)
            if self._file is not None:
                # The batch may be half written: the file ends after the last whole one.
                self._file.truncate(self._end)
                self._file.seek(0, 2)
            return
        self._batches += 1
        self._end = file.tell()
        self._spilled += len(self._memory)
        self._memory = []

    def __del__(self) -> None:
        if self._file is not None:
            self._file.close()

    def close(self) -> None:
        """Drop the file and everything in it (the list is empty after)."""
        if self._file is not None:
            self._file.close()
        self._file = None
        self._memory = []
        self._batches = self._end = self._spilled = 0
