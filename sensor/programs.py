"""Interval programs as TOML files: the built-in ones and the user's, by name or by path.

Built-in programs live in ``config/programs/`` (installed as ``sensor.defaults/programs``); a
user's own go in ``<user config dir>/programs/`` and replace a built-in of the same name. A file
is read through the same settings loader as the configuration, so an unknown key, a wrong type
or an impossible interval is one line naming the file and the key.
"""

from __future__ import annotations

from pathlib import Path

from analysis.program import Program
from sensor.paths import builtin_programs_dir, user_programs_dir
from sensor.settings import ConfigError, did_you_mean, load_dataclass, read_toml


def program_files() -> dict[str, Path]:
    """Every known program by name; a user's program replaces a built-in of the same name."""
    found: dict[str, Path] = {}
    for folder in (builtin_programs_dir(), user_programs_dir()):
        if folder.is_dir():
            for p in sorted(folder.glob("*.toml")):
                found[p.stem] = p
    return found


def program_from_table(data: dict[str, object], file: str | Path, prefix: str = "") -> Program:
    """A program from a TOML table (a file's, or the configuration's ``[program]``)."""
    if "intervals" not in data:
        key = f"{prefix}.intervals" if prefix else "intervals"
        raise ConfigError(file, key, "a program needs [[intervals]] tables")
    return load_dataclass(Program, dict(data), file, prefix)


def load_program_file(path: str | Path) -> Program:
    """Load one program TOML (its name defaults to the file's stem)."""
    path = Path(path)
    data = read_toml(path)
    data.setdefault("name", path.stem)
    return program_from_table(data, path)


def load_program(name_or_path: str, where: tuple[str, str] = ("--program", "")) -> Program:
    """A program by name (built-in or the user's) or from a TOML file path.

    ``where`` names the file and key an unknown name is reported against (the command
    line's ``--program`` by default; ``(config file, "program.follow")`` for the config).

    Raises
    ------
    ConfigError
        For an unknown name (with the closest known one) or a bad file.
    """
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        return load_program_file(name_or_path)
    files = program_files()
    if name_or_path not in files:
        known = ", ".join(sorted(files))
        file, key = where
        raise ConfigError(
            file,
            key or name_or_path,
            f"unknown program {name_or_path!r} (known: {known}){did_you_mean(name_or_path, files)}",
        )
    return load_program_file(files[name_or_path])


def describe_program(program: Program) -> list[str]:
    """Lines for ``retrosense program show``: the program, then each interval."""
    lines = [program.name]
    if program.description:
        lines.append(program.description)
    rounds = f"{program.repeat} rounds of" if program.repeat > 1 else "one round of"
    lines.append(f"{rounds} {len(program.intervals)} intervals:")
    for i, interval in enumerate(program.intervals, start=1):
        targets = []
        if interval.cadence_spm:
            targets.append(f"cadence {interval.cadence_spm[0]:g}–{interval.cadence_spm[1]:g} spm")
        if interval.cadence_rpm:
            targets.append(f"cadence {interval.cadence_rpm[0]:g}–{interval.cadence_rpm[1]:g} rpm")
        if interval.landing:
            targets.append(
                "soft landings" if interval.landing == "soft" else "landings firm or softer"
            )
        if interval.min_height_m:
            targets.append(f"jumps of {100 * interval.min_height_m:g} cm or more")
        if interval.hr_zone:
            lo, hi = interval.hr_zone
            targets.append(f"heart rate in zone {lo}" if lo == hi else f"zones {lo}–{hi}")
        extra = f" ({'; '.join(targets)})" if targets else ""
        lines.append(f"  {i}. {interval.title}, {interval.length}{extra}")
    return lines
