"""The readers' and decoders' contract, for any input: a result, or the project's own error
naming the file (and line) or the payload kind; never another exception, never a warning
(pytest makes warnings errors), and memory bounded whatever the input says.

Inputs are drawn from each format's own vocabulary (valid lines, near-misses, hostile values)
mixed with arbitrary text and bytes, so that hypothesis reaches deep into each reader rather
than stopping at the first line. ``derandomize``: the same examples on every run.
"""

from __future__ import annotations

import json
import tempfile
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.types import Placement
from sensor.ble.drivers import make_driver
from sensor.ble.profiles import DeviceProfile, all_profiles, load_profile_file
from sensor.capture import CaptureSource
from sensor.config import load_config
from sensor.decoders import csc, heart_rate, info, movesense, rsc, witmotion
from sensor.decoders import polar_pmd as pmd
from sensor.decoders.generic import GenericLayout, decode_generic
from sensor.errors import ConfigError, DecodeError, RecordingError, RetrosenseError
from sensor.session import pipeline_for
from sensor.sources import Source, SourceOptions, open_source

#: Whatever an input holds, a reader of a few kilobytes stays within this.
MEMORY_BOUND_BYTES = 64 << 20
EXAMPLES = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@contextmanager
def bounded_memory() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
        assert peak < MEMORY_BOUND_BYTES, f"{peak} bytes for an input of a few kilobytes"
    finally:
        tracemalloc.stop()


def holds_contract(path: Path, read: Callable[[], object], error: type[RetrosenseError]) -> None:
    """``read()`` returns, or raises ``error`` on one line naming ``path``."""
    with bounded_memory():
        try:
            read()
        except error as err:
            text = str(err)
            assert "\n" not in text and str(path) in text, text


@contextmanager
def written(data: bytes, suffix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="prop-") as d:
        path = Path(d) / f"input{suffix}"
        path.write_bytes(data)
        yield path


SHANK = SourceOptions(placement=Placement.SHANK)
WRIST = SourceOptions(placement=Placement.WRIST)


def replayed(source: Source) -> object:
    """Everything a source yields, through the detectors that would run on it."""
    pipeline = pipeline_for(source.info, "input")
    return [e for c in source.body_chunks() for e in pipeline.update(c)] + pipeline.flush()


# ------------------------------------------------------------------- vocabulary

NUMBERS = st.sampled_from(
    ["0", "1", "-1", "0.01", "1e300", "-1e300", "1e-300", "nan", "inf", "-inf", "1_0", "",
     " 2 ", "abc", "0x10", "\u0661", "999", "1001", "-20000", "1e9", "3.5", "+4"]
)  # fmt: skip
SEPARATORS = st.sampled_from([",", ";", "\t", ",,", " "])
ANY_TEXT = st.text(max_size=40)


def csv_row(cols: int) -> st.SearchStrategy[str]:
    return st.builds(
        lambda sep, cells: sep.join(cells), SEPARATORS, st.lists(NUMBERS, min_size=1, max_size=cols)
    )


RECORDING_META = st.sampled_from(
    [
        "# placement: chest",
        "# placement: shank",
        "# placement: elbow",
        "# sample_rate_hz: 100",
        "# sample_rate_hz: 1e12",
        "# sample_rate_hz: 1e-9",
        "# sample_rate_hz: nan",
        "# sample_rate_hz: 5",
        "# body_axes: +z,+x,+y",
        "# body_axes: +z,+z,+y",
        "# device: a\x1bb",
        "#",
        "# no colon",
    ]
)
RECORDING_COLUMNS = st.sampled_from(
    [
        "time_s,acc_x_g,acc_y_g,acc_z_g",
        "time_s,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps,hr_bpm",
        "time_s,hr_bpm,acc_z_g,acc_y_g,acc_x_g,note",
        "time_s,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps",
        "acc_x_g,time_s",
        "time_s,acc_x_g,acc_x_g,acc_y_g,acc_z_g",
    ]
)


@st.composite
def recordings(draw: st.DrawFn) -> bytes:
    lines = [draw(st.sampled_from(["# retrosense-recording: 1", "\ufeff# retrosense-recording: 1",
                                   "# retrosense-recording: 2", "time_s"]))]  # fmt: skip
    lines.append(draw(st.sampled_from(["# placement: chest", "# placement: shank"])))
    lines.append(f"# sample_rate_hz: {draw(st.sampled_from(['100', '50', '5', '2', '1e12']))}")
    lines += draw(st.lists(RECORDING_META, max_size=4))
    lines.append(draw(RECORDING_COLUMNS | ANY_TEXT))
    n = draw(st.integers(0, 30))
    rate = draw(st.sampled_from([100.0, 5.0, 1.0, 0.01, 1e4]))
    for i in range(n):
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(csv_row(9) | ANY_TEXT))
        else:
            lines.append(f"{i / rate:.6f},0.01,-0.02,1.0,1,2,3,70")
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    tail = draw(st.binary(max_size=20)) if draw(st.booleans()) else b""
    return text.encode("utf-8", "surrogatepass") + tail


@given(recordings())
@EXAMPLES
def test_recording_csv(data: bytes) -> None:
    with written(data, ".csv") as path:
        holds_contract(
            path, lambda: replayed(open_source(path, SourceOptions(chunk_rows=7))), RecordingError
        )


CAPTURE_HEADER_START = st.fixed_dictionaries(
    {
        "retrosense_capture": st.sampled_from([1, 1, 1, 1, 2, "1", None]),
        "profile": st.sampled_from(["polar-h10", "witmotion", "movesense", "esp32-example"]),
        "placement": st.sampled_from(["chest", "shank", "foot"]),
    }
)
CAPTURE_HEADER_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "profile": st.sampled_from(
            [
                "polar-h10",
                "witmotion",
                "movesense",
                "heart-rate",
                "esp32-example",
                "csc",
                "rsc",
                "/etc/passwd",
                "../x.toml",
                "",
                3,
                "polar-h11",
            ]
        ),
        "placement": st.sampled_from(["chest", "shank", "elbow", 1]),
        "body_axes": st.sampled_from(["+z,+x,+y", "x", None]),
        "sample_rate_hz": st.sampled_from([100, 52, 1e12, 1e-9, 0, -5, "fast", True]),
        "acc_range_g": st.sampled_from([8, 0, 1e9, None]),
        "device": st.sampled_from([{"name": "a\nb", "address": 1}, "x", None]),
        "started": st.sampled_from(["2026-01-01T00:00:00Z", 5, None]),
        "profile_table": st.sampled_from([{"driver": "witmotion"}, {"driver": 3}, [], "x"]),
    },
)
CAPTURE_HEADERS = st.builds(lambda a, b: {**a, **b}, CAPTURE_HEADER_START, CAPTURE_HEADER_CHANGES)
CHARS = [
    pmd.PMD_DATA,
    pmd.PMD_CONTROL_POINT,
    heart_rate.HEART_RATE_MEASUREMENT,
    info.BATTERY_LEVEL,
    witmotion.WITMOTION_NOTIFY,
    witmotion.WITMOTION_WRITE,
    movesense.GSP_NOTIFY,
    csc.CSC_MEASUREMENT,
    rsc.RSC_MEASUREMENT,
    "6e400003-b5a3-f393-e0a9-e50e24dcca9e",
    "0000ffff-0000-1000-8000-00805f9b34fb",
]
PAYLOADS = st.binary(max_size=80) | st.sampled_from(
    [
        bytes.fromhex("02" + "00" * 8 + "01") + bytes(6 * 12),  # raw ACC frame
        bytes.fromhex("02" + "00" * 8 + "81") + bytes(6) + bytes([32, 255]) + bytes(96),
        bytes.fromhex("f00202000000"),
        bytes.fromhex("0202000164000101100002010800"),
        bytes.fromhex("0200000000"),
        bytes([0x55, 0x61]) + bytes(18),
        bytes([2, 99]) + bytes(4) + b"\xff\xff\x7f\x7f" * 6,
        # ACC starts asking rate 0 / 65535 Hz and range 0 g (a capture's commands are replayed)
        bytes.fromhex("0202000100000101100002010000"),
        bytes.fromhex("02020001ffff0101100002010800"),
        bytes([0xFF, 0xAA, 0x03, 0x00, 0x00]),
        # a compressed frame with an infinite factor (its start response) and wide deltas
        bytes.fromhex("f002020000000501000000807f"),
        bytes.fromhex("02" + "00" * 8 + "80") + bytes(6) + bytes([32, 3]) + b"\xff" * 36,
    ]
)


@st.composite
def capture_lines(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 6))
    t = draw(st.sampled_from([0.0, 0.1, 1.0, 5.0, 100.0, -1.0, 1e308]))
    if kind == 0:
        return draw(ANY_TEXT | st.sampled_from(["[" * 5000 + "]" * 5000, '{"t": [[[[1]]]]}']))
    if kind == 1:
        return json.dumps({"t": t, "event": draw(st.sampled_from(["connected", "x", 3]))})
    line: dict[str, Any] = {"t": draw(st.sampled_from([t, "1", None, True]))}
    line["char"] = draw(st.sampled_from([*CHARS, 5]))
    line["hex"] = draw(PAYLOADS).hex() + draw(st.sampled_from(["", "", "", "0", "zz"]))
    if kind == 2:
        line["kind"] = draw(st.sampled_from(["write", "read", "notify", "other"]))
    return json.dumps(line)


@st.composite
def captures(draw: st.DrawFn) -> bytes:
    lines = [json.dumps(draw(CAPTURE_HEADERS))]
    lines += draw(st.lists(capture_lines(), max_size=25))
    return ("\n".join(lines) + draw(st.sampled_from(["\n", ""]))).encode("utf-8", "surrogatepass")


@given(captures())
@EXAMPLES
def test_capture_jsonl(data: bytes) -> None:
    with written(data, ".jsonl") as path:
        holds_contract(path, lambda: replayed(CaptureSource(path, SHANK)), RecordingError)


POLAR_HEADER = "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]"
PHYPHOX_HEADER = (
    '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"'
)


@st.composite
def exports(draw: st.DrawFn) -> bytes:
    polar = draw(st.booleans())
    lines = [
        ("\ufeff" if draw(st.booleans()) else "") + (POLAR_HEADER if polar else PHYPHOX_HEADER)
    ]
    for i in range(draw(st.integers(0, 25))):
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(csv_row(6) | ANY_TEXT))
        elif polar:
            lines.append(f"x;{848484900000000000 + i * 10_000_000};14;997;124")
        else:
            lines.append(f"{i * 0.02:.3f},0.13,9.77,1.2")
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@given(exports())
@EXAMPLES
def test_polar_and_phyphox_exports(data: bytes) -> None:
    with written(data, ".txt") as path:
        holds_contract(path, lambda: replayed(open_source(path, WRIST)), RecordingError)


TOML_LINES = st.sampled_from(
    [
        "[broker]",
        'url = "mqtt://alice:pw@localhost:1883"',
        "keepalive_s = nan",
        "keepalive_s = 1e308",
        "state_interval_s = 0",
        'base_topic = "a\\nb"',
        'client_id = "x"',
        "[service]",
        "stop_timeout_s = inf",
        "status_interval_s = -1",
        "[wearer]",
        "body_mass_kg = nan",
        "[energy]",
        "met_walk_forward = 1e400",
        "[[bands]]",
        'profile = "polar-h10"',
        'profile = "/dev/zero"',
        'name = "Chest Band/1"',
        'name = "chest band 1"',
        'address = "C8:2E:0A:1B:2C:3D"',
        'id = "c82e0a1b2c3d"',
        "rate_hz = 1e12",
        'placement = "elbow"',
        "[detectors.steps]",
        "band_high_hz = 1e300",
        "[hr_zones]",
        "lower_pct_of_max = [50, 60, nan]",
        "x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "[a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee.ff.gg]",
    ]
)


@st.composite
def toml_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(TOML_LINES | ANY_TEXT.map(lambda t: t.replace("\n", " ")), max_size=12))
    tail = draw(st.binary(max_size=8)) if draw(st.integers(0, 4)) == 0 else b""
    return "\n".join(lines).encode("utf-8", "surrogatepass") + tail


@given(toml_files())
@EXAMPLES
def test_configuration_files(data: bytes) -> None:
    with written(data, ".toml") as path:
        holds_contract(path, lambda: load_config(path, environ={}), ConfigError)


PROFILE_LINES = st.sampled_from(
    [
        'driver = "generic"',
        'driver = "polar-pmd"',
        'driver = "witmotion"',
        "sample_rate_hz = 1e12",
        "sample_rate_hz = nan",
        "acc_range_g = 0",
        "watchdog_s = inf",
        "sample_rates_hz = [25, 50, nan]",
        'body_axes = "+x,+x,+y"',
        "[generic]",
        'char_uuid = "2a37"',
        'struct_format = "<hhh"',
        'struct_format = "<999999999h"',
        'struct_format = "<3s"',
        'struct_format = "<ddd"',
        'struct_format = "hhh"',
        'fields = ["acc_x", "acc_y", "acc_z"]',
        'fields = ["acc_x", "acc_x", "acc_z"]',
        "scales = [1.0, 1.0, 1.0]",
        "scales = [1e308, inf, nan]",
    ]
)


GENERIC_LINES = st.sampled_from(
    [
        'struct_format = "<hhh"',
        'struct_format = "<999999999h"',
        'struct_format = "<3s"',
        'struct_format = "<ddd"',
        'struct_format = "<3e"',
        'struct_format = "hhh"',
        'fields = ["acc_x", "acc_y", "acc_z"]',
        'fields = ["acc_x", "acc_x", "acc_z"]',
        "scales = [1.0, 1.0, 1.0]",
        "scales = [1e308, inf, nan]",
    ]
)


@st.composite
def profiles(draw: st.DrawFn) -> list[str]:
    lines = draw(st.lists(PROFILE_LINES | ANY_TEXT.map(lambda t: t.replace("\n", " ")), max_size=8))
    if draw(st.booleans()):
        lines += ['driver = "generic"', "[generic]", 'char_uuid = "2a37"']
        lines += draw(st.lists(GENERIC_LINES, max_size=4, unique=True))
    return lines


@given(profiles())
@EXAMPLES
def test_device_profiles(lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    with written(data, ".toml") as path:
        holds_contract(path, lambda: load_profile_file(path), ConfigError)


# ------------------------------------------------------------------------- decoders

PURE_DECODERS: list[tuple[str, Callable[[bytes], object]]] = [
    ("heart_rate", heart_rate.decode_heart_rate),
    ("battery", info.decode_battery_level),
    ("info", info.decode_info_string),
    ("pmd_features", pmd.decode_features),
    ("pmd_response", pmd.decode_control_point_response),
    ("pmd_settings", pmd.decode_settings),
    ("pmd_frame", lambda b: pmd.acc_mg(pmd.decode_pmd_frame(b), 1.0)),
    ("witmotion", witmotion.decode_witmotion),
    ("movesense", lambda b: movesense.decode_movesense(b, True)),
    ("movesense_acc", lambda b: movesense.decode_movesense(b, False)),
    ("csc", csc.decode_csc),
    ("rsc", rsc.decode_rsc),
    (
        "generic",
        lambda b: decode_generic(
            b, GenericLayout("<dhh", ("acc_x", "acc_y", "acc_z"), (1e308,) * 3)
        ),
    ),
]


@pytest.mark.parametrize(("name", "decode"), PURE_DECODERS, ids=[n for n, _ in PURE_DECODERS])
@given(data=st.binary(max_size=120))
@settings(max_examples=150, deadline=None, derandomize=True)
def test_every_decoder_with_random_bytes(
    name: str, decode: Callable[[bytes], object], data: bytes
) -> None:
    try:
        decode(data)
    except DecodeError as err:
        assert "\n" not in str(err) and err.kind


def _profiles() -> list[DeviceProfile]:
    return all_profiles()


@pytest.mark.parametrize("profile", _profiles(), ids=lambda p: p.name)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["notify", "write", "reconnect"]), st.sampled_from(CHARS), PAYLOADS
        ),
        max_size=30,
    ),
    receive=st.lists(st.sampled_from([0.0, 0.05, 0.1, 5.0, 100.0, -3.0]), min_size=1),
)
@settings(max_examples=60, deadline=None, derandomize=True)
def test_every_driver_with_random_payloads_and_commands(
    profile: DeviceProfile, steps: list[tuple[str, str, bytes]], receive: list[float]
) -> None:
    driver = make_driver(profile, "band")
    t = 0.0
    for i, (kind, char, data) in enumerate(steps):
        t += receive[i % len(receive)]
        if kind == "reconnect":
            driver.on_reconnect()
        elif kind == "write":
            driver.observe_write(char, data)
        else:
            try:
                driver.decode(char, t, data)
            except DecodeError as err:
                assert "\n" not in str(err)
