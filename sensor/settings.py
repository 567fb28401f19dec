"""Fill frozen dataclasses from TOML tables, refusing what does not fit.

One mechanism for every settings file (the main config, device profiles): unknown keys are
refused with the closest valid key ("did you mean"), wrong types and out-of-range values with
what was expected. Ranges live beside the fields as metadata (``bounded(0.0, 10.0)``, from
``analysis.params``, which the detectors' ``Params`` use too), and a dataclass's own
``__post_init__`` ``ValueError`` becomes a ``ConfigError`` too.

Examples
--------
>>> @dataclass(frozen=True)
... class Broker:
...     url: str = "mqtt://localhost:1883"
...     keepalive_s: float = field(default=60.0, metadata=bounded(5, 3600))
>>> load_dataclass(Broker, {"keepalive_s": 30}, "me.toml", "broker")
Broker(url='mqtt://localhost:1883', keepalive_s=30.0)
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from analysis.params import bounded, outside_range
from sensor.errors import ConfigError
from sensor.safeio import (
    MAX_NESTING,
    MAX_TOML_BYTES,
    TooLong,
    bracket_depth,
    control_characters,
    mask_credentials,
    nesting_depth,
    read_bounded,
    strip_bom,
)

T = TypeVar("T")

#: dataclass and field are re-exported so a settings module needs one import.
__all__ = [
    "ConfigError",
    "bounded",
    "dataclass",
    "field",
    "load_dataclass",
    "read_toml",
    "to_table",
]


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file of at most ``MAX_TOML_BYTES``; errors name the file (and the line).

    Raises
    ------
    ConfigError
        For a file that cannot be read, is not a regular file or is too large, is not UTF-8,
        is not valid TOML or nests tables more than ``MAX_NESTING`` deep.
    """
    try:
        data = read_bounded(path, MAX_TOML_BYTES)
    except OSError as err:
        raise ConfigError(path, "cannot read", str(err.strerror)) from err
    except TooLong as err:
        raise ConfigError(
            path, "cannot read", f"{err}; expected a TOML file of at most {MAX_TOML_BYTES:,} bytes"
        ) from None
    return parse_toml(data, path)


def parse_toml(data: bytes, source: str | Path) -> dict[str, Any]:
    """Parse TOML text (UTF-8, a byte-order mark allowed); errors name ``source``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ConfigError(
            source,
            "not valid TOML",
            f"expected UTF-8 text, got byte 0x{data[err.start]:02x} on line {line}",
        ) from None
    too_deep = f"expected tables and arrays nested at most {MAX_NESTING} deep"
    text = strip_bom(text)
    # tomllib parses nested inline tables and arrays by recursion: measured first.
    if bracket_depth(text, toml=True) > MAX_NESTING:
        raise ConfigError(source, "not valid TOML", too_deep)
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # "FILE: not valid TOML: ... (at line 1, column 8)"; there is no key to name.
        raise ConfigError(source, "not valid TOML", str(err)) from err
    if nesting_depth(table) > MAX_NESTING:
        raise ConfigError(source, "not valid TOML", too_deep)
    return table


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "a table"
    if tp is type(None):
        return "nothing"
    return {float: "a number", int: "an integer", bool: "true or false", str: "a string"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _convert(value: Any, tp: Any, file: str, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, file, key)
            except ConfigError as err:
                errors.append(err)
        if len(errors) == 1:  # an optional value: what its one type said
            raise errors[0]
        raise ConfigError(file, key, f"expected {_type_name(tp)}, got {value!r}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise ConfigError(
            file,
            key,
            f"expected {_type_name(tp)}, got {value!r}{did_you_mean(str(value), map(str, args))}",
        )
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(file, key, f"expected a list, got {value!r}")
        item = args[0] if args else Any
        items = [_convert(v, item, file, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(file, key, f"expected a table, got {value!r}")
        vt = args[1] if len(args) == 2 else Any
        return {k: _convert(v, vt, file, f"{key}.{k}") for k, v in value.items()}
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ConfigError(file, key, f"expected a table, got {value!r}")
        return load_dataclass(tp, value, file, key)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            names = [str(m.value) for m in tp]
            raise ConfigError(
                file,
                key,
                f"expected {_type_name(tp)}, got {value!r}{did_you_mean(str(value), names)}",
            ) from None
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ConfigError(file, key, f"expected a finite number, got {value!r}")
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    else:
        raise TypeError(f"settings field {key} has unsupported type {tp!r}")
    raise ConfigError(file, key, f"expected {_type_name(tp)}, got {value!r}")


def load_dataclass(cls: type[T], data: dict[str, Any], file: str | Path, prefix: str = "") -> T:
    """Build ``cls`` (a dataclass) from a TOML table, checking keys, types and ranges.

    Parameters
    ----------
    cls
        A dataclass; nested dataclasses, lists of them, enums, Literals, optional values,
        numbers, strings and booleans are supported.
    data
        The TOML table.
    file
        Named in errors.
    prefix
        The table's dotted key, named in errors (``detectors.jumps``).

    Raises
    ------
    ConfigError
        For an unknown key (with the closest valid one), a wrong type, a value out of its
        ``bounded`` range, or a ``ValueError`` from the dataclass's own checks.
    """
    file = str(file)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            raise ConfigError(file, dotted, f"unknown key{did_you_mean(key, fields)}")
        converted = _convert(value, hints[key], file, dotted)
        if not fields[key].metadata.get("secret"):
            _refuse_control_characters(converted, file, dotted)
        problem = outside_range(fields[key], converted)
        if problem is not None:
            raise ConfigError(file, dotted, f"{problem}, got {value!r}")
        kwargs[key] = converted
    try:
        return cls(**kwargs)
    except ValueError as err:
        # A check that names one field ("url: expected ...") names it as the key,
        # "broker.url", like the type and range checks above.
        field, sep, rest = str(err).partition(": ")
        if sep and field in fields:
            raise ConfigError(file, f"{prefix}.{field}" if prefix else field, rest) from err
        raise ConfigError(file, prefix or "-", str(err)) from err
    except TypeError as err:
        missing = [n for n, f in fields.items() if n not in kwargs and _required(f)]
        if missing:
            key = f"{prefix}.{missing[0]}" if prefix else missing[0]
            raise ConfigError(file, key, "required key is missing") from err
        raise


def _refuse_control_characters(value: Any, file: str, key: str) -> None:
    """Strings become topics, ids, file names and log lines: no newline, escape or NUL."""
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for i, text in enumerate(texts):
        if isinstance(text, str) and control_characters(text):
            where = key if isinstance(value, str) else f"{key}[{i}]"
            raise ConfigError(
                file, where, f"expected text without control characters, got {text!r}"
            )


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def to_table(obj: Any, *, mask_secrets: bool = True) -> Any:
    """A dataclass back as plain TOML-like data, secrets masked (for ``config show``)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if value is None:
                continue
            if mask_secrets and f.metadata.get("secret") and value:
                out[f.name] = "***"
            elif mask_secrets and isinstance(value, str):
                out[f.name] = mask_credentials(value)
            else:
                out[f.name] = to_table(value, mask_secrets=mask_secrets)
        return out
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (list, tuple)):
        return [to_table(v, mask_secrets=mask_secrets) for v in obj]
    if isinstance(obj, dict):
        return {k: to_table(v, mask_secrets=mask_secrets) for k, v in obj.items()}
    return obj
