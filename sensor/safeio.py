"""Bounded reading, all-or-nothing writing and visible text, shared by every reader and writer.

Every file the project reads may come from someone else: a recording shared for a bug report,
a capture downloaded with a device profile. Readers therefore take a file a line at a time,
with a bound on each line, and refuse a file larger than its kind can be; nothing a file says
makes them read more. Outputs are written to a temporary file beside the target and renamed
over it at the end, so a run that fails leaves the old file (or none), never half a file.

Limits
------
The limits are generous for real files and small against memory:

========================  ===========  ==============================================
``MAX_LINE_CHARS``        65,536       a line of a recording, capture or export
``MAX_COLUMNS``           256          columns of a recording CSV
``MAX_METADATA_LINES``    1,000        ``# key: value`` lines of a recording CSV
``MAX_TOML_BYTES``        1 MiB        a configuration file or device profile
``MAX_NESTING``           32           tables within tables (TOML), objects within
                                       objects (a capture line)
========================  ===========  ==============================================
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, AnyStr

#: Longest line a line-based reader accepts. A recording row of eight columns is under 100
#: characters and a capture line of a 512-byte notification (the ATT maximum) about 1,100.
MAX_LINE_CHARS = 65_536
#: Most columns a recording CSV may have (eight are defined; unknown ones are ignored).
MAX_COLUMNS = 256
#: Most metadata lines before a recording's column line.
MAX_METADATA_LINES = 1_000
#: Largest configuration file or device profile.
MAX_TOML_BYTES = 1 << 20
#: Deepest nesting of tables (TOML) or objects and arrays (a capture line's JSON).
MAX_NESTING = 32


class TooLong(ValueError):
    """A line or file beyond its bound; the caller names the file and line."""


def read_bounded(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises
    ------
    OSError
        If the file cannot be opened.
    TooLong
        If it is not a regular file (a device such as ``/dev/zero``, a FIFO) or is larger.
    """
    with open(path, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise TooLong("not a regular file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise TooLong(f"larger than {limit:,} bytes")
    return data


def bounded_lines(f: IO[AnyStr], limit: int = MAX_LINE_CHARS) -> Iterator[AnyStr]:
    """The lines of ``f`` (each with its newline, the last perhaps without), none longer
    than ``limit`` characters (bytes, for a binary file).

    A longer line raises ``TooLong`` after reading ``limit + 1`` of its characters, never
    the whole line.
    """
    while True:
        line = f.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and line[-1:] not in ("\n", b"\n"):
            raise TooLong(f"a line longer than {limit:,} characters")
        yield line


def nesting_depth(value: Any, limit: int = MAX_NESTING) -> int:
    """How deeply dicts and lists nest in ``value`` (counted without recursion, up to
    ``limit + 1``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


#: JSON strings (whose brackets do not nest), and TOML's strings and comments as well.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_TOML_SKIPPED = re.compile(
    rb'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*',
    re.S,
)


def bracket_depth(text: str | bytes, *, toml: bool = False) -> int:
    """How deeply ``[`` and ``{`` nest in JSON (or, with ``toml``, TOML) text, strings and
    comments aside, measured without parsing.

    Parsers of nested JSON and TOML recurse, and a ``RecursionError`` caught from them can
    leave CPython 3.11's recursion accounting off (a later ``ast.parse`` or ``compile`` in
    the process then fails): text nested too deeply is refused before it is parsed.
    """
    import numpy as np  # here, not at import: the command line imports this module

    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    bare = np.frombuffer((_TOML_SKIPPED if toml else _JSON_STRING).sub(b"", data), np.uint8)
    opening = np.frombuffer(b"[{", np.uint8)
    closing = np.frombuffer(b"]}", np.uint8)
    step = np.isin(bare, opening).astype(np.int32) - np.isin(bare, closing).astype(np.int32)
    return int(np.cumsum(step).max()) if step.size else 0


def strip_bom(text: str) -> str:
    """``text`` without a leading UTF-8 byte-order mark (Excel and many Windows tools add one)."""
    return text[1:] if text.startswith("\ufeff") else text


def visible(text: str) -> str:
    """``text`` with control characters, escape sequences and other unprintable characters
    made visible (``\\n``, ``\\x1b``, ``\\u202e``), so one value stays one line and never
    drives the terminal. Printable text, non-ASCII letters included, is unchanged.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (also through symbolic and hard links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return Path(a).resolve() == Path(b).resolve()


class AtomicFile:
    """A text file written under a temporary name beside ``path`` and renamed over it by
    ``commit``; ``discard`` (or leaving a ``with`` block by an exception) removes it.

    Where ``path`` is a symbolic link, the file it points to is replaced.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        target = self.path.resolve() if self.path.is_symlink() else self.path
        self._target = target
        fd, temp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent or Path(".")
        )
        self.temp = Path(temp)
        self.file: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def commit(self) -> None:
        """Close the file and put it in place of ``path``."""
        if self.file.closed and not self.temp.exists():
            return
        self.file.close()
        with contextlib.suppress(OSError):
            # The mode a plain open() would have given (mkstemp makes it private).
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.temp, 0o666 & ~umask)
        os.replace(self.temp, self._target)

    def discard(self) -> None:
        """Close and remove the temporary file; ``path`` is left as it was."""
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed at the end."""
    with AtomicFile(path) as out:
        out.file.write(text)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed at the end."""
    with AtomicFile(path) as out:
        text_file = out.file
        assert isinstance(text_file, io.TextIOWrapper)
        text_file.buffer.write(data)


def silence_stdout() -> None:
    """Point standard output at the null device, after a reader closed the pipe (``| head``):
    the interpreter's own flush at exit would otherwise fail and print a traceback."""
    import sys

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


#: ``scheme://user:password@`` in any text: the password part.
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*:)[^\s/@]*@")


def mask_credentials(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``
    (``mqtt://alice:s3cr3t@host`` becomes ``mqtt://alice:***@host``)."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def control_characters(text: str) -> list[str]:
    """The control characters in ``text`` (newlines, escapes, NUL, ...), each as it is."""
    return [ch for ch in text if unicodedata.category(ch) == "Cc"]
