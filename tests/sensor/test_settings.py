from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from analysis.types import Placement
from sensor.errors import ConfigError
from sensor.settings import bounded, load_dataclass, to_table


@dataclass(frozen=True)
class Inner:
    cutoff_hz: float = field(default=5.0, metadata=bounded(0.1, 50.0))


@dataclass(frozen=True)
class Outer:
    name: str
    placement: Placement = Placement.CHEST
    mode: Literal["fast", "slow"] = "fast"
    count: int = 3
    password: str | None = field(default=None, metadata=bounded(secret=True))
    inner: Inner = field(default_factory=Inner)
    items: tuple[Inner, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("name must not be empty")


def test_loads_nested_values() -> None:
    o = load_dataclass(
        Outer,
        {
            "name": "a",
            "placement": "ankle",
            "inner": {"cutoff_hz": 2},
            "items": [{}, {"cutoff_hz": 1}],
        },
        "f.toml",
    )
    assert o.placement is Placement.ANKLE
    assert o.inner.cutoff_hz == 2.0
    assert [i.cutoff_hz for i in o.items] == [5.0, 1.0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "a", "inner": {"cutof_hz": 2}},
            "f.toml: inner.cutof_hz: unknown key; did you mean 'cutoff_hz'?",
        ),
        ({"name": "a", "count": "3"}, "f.toml: count: expected an integer, got '3'"),
        ({"name": "a", "count": 2.5}, "f.toml: count: expected an integer, got 2.5"),
        (
            {"name": "a", "inner": {"cutoff_hz": 99}},
            "f.toml: inner.cutoff_hz: expected a value within 0.1..50.0, got 99",
        ),
        ({"name": "a", "placement": "chets"}, "did you mean 'chest'?"),
        ({"name": "a", "mode": "slwo"}, "did you mean 'slow'?"),
        ({}, "f.toml: name: required key is missing"),
        ({"name": ""}, "name must not be empty"),
    ],
)
def test_refuses_with_file_key_and_expectation(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_dataclass(Outer, data, "f.toml")
    assert message in str(info.value)


def test_secrets_are_masked() -> None:
    o = load_dataclass(Outer, {"name": "a", "password": "hunter2"}, "f.toml")
    assert to_table(o)["password"] == "***"
    assert to_table(o, mask_secrets=False)["password"] == "hunter2"
