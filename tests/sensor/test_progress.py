from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np

from analysis.types import Placement, Samples
from sensor.progress import MIN_BYTES, ProgressBar, track_chunks
from sensor.recording import RecordingReader, RecordingWriter


class Terminal(io.StringIO):
    """A text stream that says it is a terminal (what a tty's isatty() answers)."""

    def isatty(self) -> bool:
        return True


def long_recording(path: Path, rows: int = 80_000) -> Path:
    rng = np.random.default_rng(7)
    t = np.arange(rows) / 100.0
    acc = rng.normal(0.0, 0.05, (rows, 3)) + np.array([0.0, 0.0, 1.0])
    with RecordingWriter(path, placement=Placement.CHEST, sample_rate_hz=100) as w:
        w.write(Samples(time_s=t, acc_g=acc))
    assert path.stat().st_size >= MIN_BYTES
    return path


def test_bar_is_drawn_on_a_terminal_and_cleared(tmp_path: Path) -> None:
    path = long_recording(tmp_path / "long.csv")
    term = Terminal()
    reader = RecordingReader(path, chunk_rows=4096)
    chunks = list(track_chunks(reader.chunks(), path, stream=term))
    assert sum(len(c) for c in chunks) == 80_000
    out = term.getvalue()
    assert "long.csv [" in out and "%" in out
    assert out.endswith("\r\x1b[K")  # the line is cleared at the end


def test_silent_for_pipes_and_small_files(tmp_path: Path) -> None:
    path = long_recording(tmp_path / "long.csv")
    pipe = io.StringIO()
    n = sum(len(c) for c in track_chunks(RecordingReader(path).chunks(), path, stream=pipe))
    assert n == 80_000 and pipe.getvalue() == ""
    small = long_recording(tmp_path / "small.csv", rows=80_000)
    small.write_text(small.read_text()[:5000].rsplit("\n", 1)[0] + "\n")
    term = Terminal()
    list(track_chunks(RecordingReader(small).chunks(), small, stream=term))
    assert term.getvalue() == ""


def test_bar_never_claims_done_before_the_end() -> None:
    term = Terminal()
    bar = ProgressBar(100, "x", stream=term, enabled=True)
    bar.update(500)  # an estimate that overshoots
    assert "99%" in term.getvalue()
    bar.close()


def test_analyze_shows_a_bar_on_a_terminal_only(tmp_path: Path) -> None:
    path = long_recording(tmp_path / "long.csv")
    cmd = [sys.executable, "-m", "sensor", "analyze", str(path)]
    piped = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and piped.stderr == ""
    # stderr on a pseudo-terminal, stdout on a pipe.
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
    proc.wait(timeout=120)
    assert proc.stdout is not None
    proc.stdout.close()
    os.close(master)
    assert proc.returncode == 0
    assert b"long.csv [" in seen
