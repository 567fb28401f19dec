"""Where test material lives. The shared real recordings are read in place, never copied."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared"
REAL = SHARED / "data" / "real"
AS_RECORDINGS = REAL / "as-recordings"


def real_recordings() -> list[Path]:
    """The labelled real recordings converted to recording CSV (empty if shared/ is absent)."""
    return sorted(AS_RECORDINGS.glob("*.csv"))


def all_real_recordings() -> list[Path]:
    """Every labelled real recording, subfolders included (empty if shared/ is absent)."""
    return sorted(p for p in AS_RECORDINGS.rglob("*.csv") if p.with_suffix(".truth.json").exists())
