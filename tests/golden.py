"""Write the events of every recording as analyze JSONL, to compare two versions of the code.

``python -m tests.golden OUT_DIR`` runs ``retrosense analyze``'s code on every recording CSV in
tests/data and ../shared/data/real/as-recordings (subfolders included) and writes one
``<relative path>.jsonl`` per recording under OUT_DIR. A change meant to keep events the same
is checked with ``diff -r before/ after/``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.paths import AS_RECORDINGS, DATA

SOURCES = (DATA, AS_RECORDINGS)


def recordings() -> list[tuple[Path, Path]]:
    """Every recording CSV as (path, path relative to the folder it was found under)."""
    found: list[tuple[Path, Path]] = []
    for top in SOURCES:
        if top.is_dir():
            found.extend((p, top.name / p.relative_to(top)) for p in sorted(top.rglob("*.csv")))
    return found


def main(argv: list[str]) -> int:
    from sensor.errors import RetrosenseError
    from sensor.session import analyze_file

    out = Path(argv[0])
    for path, rel in recordings():
        target = (out / rel).with_suffix(".jsonl")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            events, _ = analyze_file(str(path))
        except RetrosenseError as err:  # a file that needs options (an export), or bad input
            target.write_text(f"error: {type(err).__name__}\n")
            continue
        target.write_text(
            "".join(json.dumps(e.to_dict(), separators=(",", ":")) + "\n" for e in events)
        )
    print(f"{len(recordings())} recordings -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
