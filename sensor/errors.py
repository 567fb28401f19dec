"""The project's exceptions. The command line turns each into one line and exit code 2."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Exit codes of the commands, in one place (README, "Running the service")."""

    OK = 0
    #: Messages the broker had not taken by the stop timeout wait in the outbox file for the
    #: next start with the same client id.
    UNDELIVERED = 1
    #: A ``RetrosenseError``: the user's input or environment, reported in one line.
    USAGE = 2
    #: The broker refused messages (an ACL, say) or they were over a size limit: counted and
    #: named on stderr; they are not retried.
    REFUSED = 3
    #: The outbox could not write to disk and queued in memory; what was not delivered by
    #: the end is lost.
    OUTBOX_IN_MEMORY = 4


class RetrosenseError(Exception):
    """Base of every error that is the user's input or environment, not a bug."""


class RecordingError(RetrosenseError):
    """A recording, capture or import file that does not follow its format.

    Parameters
    ----------
    path
        The file.
    line
        1-based line number, or ``None`` where the problem is not on one line.
    expected
        What the format requires there, and what arrived.
    """

    def __init__(self, path: str | Path, line: int | None, expected: str) -> None:
        self.path = str(path)
        self.line = line
        self.expected = expected
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {expected}")


class ConfigError(RetrosenseError):
    """A configuration value that is unknown, of the wrong type or out of range."""

    def __init__(self, file: str | Path, key: str, expected: str) -> None:
        self.file = str(file)
        self.key = key
        self.expected = expected
        super().__init__(f"{self.file}: {key}: {expected}")


class DeviceError(RetrosenseError):
    """A band could not be found, connected or configured."""

    def __init__(self, device: str, expected: str) -> None:
        self.device = device
        self.expected = expected
        super().__init__(f"{device}: {expected}")


class DeviceNotFound(DeviceError):
    def __init__(self, device: str, timeout_s: float | None = None) -> None:
        extra = f" within {timeout_s:g} s" if timeout_s is not None else ""
        super().__init__(device, f"no such band seen in a scan{extra}; is it on and in range?")


class DecodeError(RetrosenseError):
    """A BLE payload its decoder cannot parse (wrong length, unknown frame type, ...).

    Parameters
    ----------
    kind
        The payload kind (``"heart_rate"``, ``"pmd_acc"``, ``"witmotion"``, ...), the key the
        malformed-notification counters use.
    expected
        What the decoder needed, and what arrived.
    """

    def __init__(self, kind: str, expected: str) -> None:
        self.kind = kind
        self.expected = expected
        super().__init__(f"{kind}: {expected}")


class BrokerError(RetrosenseError):
    """The MQTT broker URL or TLS settings are unusable."""

    def __init__(self, url: str, expected: str) -> None:
        self.url = url
        self.expected = expected
        super().__init__(f"{url}: {expected}")


class MissingExtra(RetrosenseError):
    """A feature needs an optional part of the install (a ``pip install 'retrosense[x]'``).

    Parameters
    ----------
    feature
        What the user asked for (``the session report``).
    extra
        The extra that brings it (``web``).
    module
        The module that could not be imported.
    """

    def __init__(self, feature: str, extra: str, module: str) -> None:
        self.feature = feature
        self.extra = extra
        self.module = module
        super().__init__(
            f"{feature} needs the '{extra}' extra ({module} is not installed): "
            f"pip install 'retrosense[{extra}]'"
        )
