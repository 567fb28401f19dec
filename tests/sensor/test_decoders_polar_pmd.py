"""Polar PMD decoding against the frames in the Polar BLE SDK's own tests.

Sources (polarofficial/polar-ble-sdk, commit 8fb5311c, under
sources/Android/android-communications/library/src/test/java/com/polar/androidcommunications/
api/ble/model/gatt/client/pmd/): model/AccDataTest.kt (raw type 1 frame, compressed type 0
and type 1 frames), PmdSettingTest.kt (settings runs), BlePmdClientControlPointResponseTest.kt
(control point responses).
"""

from __future__ import annotations

import numpy as np
import pytest

from sensor.decoders import polar_pmd as pmd
from sensor.errors import DecodeError

ACC_HEADER_TS_2E9 = bytes.fromhex("02 00 94 35 77 00 00 00 00".replace(" ", ""))

# AccDataTest "process acc raw data frame type 1": 36 samples of x, y, z int16 mG.
RAW_TYPE1_BODY = bytes.fromhex(
    "F7FFFFFFE703F8FFFEFFE503F9FFFFFFE503FAFFFFFFE603FAFFFEFFE603F9FFFFFFE503F8FFFFFFE603"
    "F8FFFEFFE603FAFFFFFFE503FAFFFFFFE703FAFFFFFFE503F8FFFFFFE603F7FFFFFFE603F8FFFEFFE603"
    "F9FFFEFFE703F9FF0000E603F9FFFFFFE603F7FFFEFFE503F9FFFFFFE503F9FFFFFFE503FAFF0000E603"
    "F9FFFEFFE603F8FFFFFFE603F8FFFFFFE503F9FFFFFFE603F9FFFFFFE503FAFFFFFFE603F9FFFFFFE503"
    "F9FFFFFFE503F8FFFEFFE603F9FFFFFFE603F9FFFFFFE603F9FF0000E503F9FFFEFFE603F8FFFEFFE603"
    "F7FFFEFFE603"
)

# AccDataTest "process acc compressed data type 0": reference sample + one 10-bit block of 56.
COMPRESSED_TYPE0_BODY = bytes.fromhex(
    "7107F06A9E8D0A38BE5CBEBA2F96B3EE4BE5ADFB42B9EBBE4CFEBA2F92BFEE4BE4B1FB12B9ECBD3C3EBB2F"
    "8FD3DE4BE3B5F7D2B8EDBD307E7B2F8BE3CE8BE2BAF7A2B8EEBC20BE7B2F88F3CECBE1BDEF52F8EFBC18FE"
    "3B2F8403BFCBE0C2EF32B8F0BB044EBC2E8113AF0BE0C6EFF2F7F1B9FC7DBC2E7D279F4BDFCAEBC2F7F2B8"
    "ECCD7C2E7B378F4BDECEE392F7F3B8E00DFD2D774B7FCBDDD2DF6237F5B7D44DBD2D745B6FCBDCD7D73237"
    "F6B5C88D7D2D716B4F4BDCDCD3F236F7B4BCDDFD2C6F7B3F4BDBE0CFD236F8B2B02DBE2C6C8F1FCBDAE3C7"
    "A276F9"
)


def test_raw_type1_frame() -> None:
    frame = pmd.decode_pmd_frame(ACC_HEADER_TS_2E9 + b"\x01" + RAW_TYPE1_BODY)
    assert frame.measurement == pmd.MeasurementType.ACC
    assert frame.timestamp_ns == 2_000_000_000
    assert not frame.compressed and frame.frame_type == 1
    assert frame.values.shape == (len(RAW_TYPE1_BODY) // 6, 3) == (36, 3)
    # The test's expected first two samples: (-9, -1, 999) and (-8, -2, 997) mG.
    assert frame.values[:2].tolist() == [[-9, -1, 999], [-8, -2, 997]]
    assert pmd.acc_mg(frame).tolist()[0] == [-9.0, -1.0, 999.0]


def test_compressed_type0_frame() -> None:
    frame = pmd.decode_pmd_frame(ACC_HEADER_TS_2E9 + b"\x80" + COMPRESSED_TYPE0_BODY)
    assert frame.compressed and frame.frame_type == 0
    # 1 reference sample + 56 delta samples.
    assert frame.values.shape == (57, 3)
    assert frame.values[0].tolist() == [1905, 27376, -29282]
    assert frame.values[1].tolist() == [1905 + 190, 27376 - 105, -29282 - 85]
    # Type 0 counts times the factor are in g (AccData.kt): the SDK checks |mG| <= 8000 at 8 g.
    factor = 2.44e-4
    mg = pmd.acc_mg(frame, factor)
    assert mg[0] == pytest.approx(np.array([1905, 27376, -29282]) * factor * 1000)
    assert np.all(np.abs(mg) <= 8000)


def test_compressed_type1_frame() -> None:
    # AccDataTest "process acc compressed data type 1": timestamp 0x65 = 101 ns.
    data = bytes.fromhex("02 6500000000000000 81 F1FF 1400 F003 06 01 7B0F08".replace(" ", ""))
    frame = pmd.decode_pmd_frame(data)
    assert frame.timestamp_ns == 101
    assert frame.values.tolist() == [[-15, 20, 1008], [-20, 17, 1008]]


def test_sample_times_follow_previous_frame() -> None:
    # PmdTimeStampUtils: with a previous frame the interval is shared among the samples.
    t = pmd.sample_times_ns(2_000_000_000, 4, 100.0, previous_timestamp_ns=1_960_000_000)
    assert t.tolist() == [1_970_000_000, 1_980_000_000, 1_990_000_000, 2_000_000_000]
    # Without one, the nominal period is used back from the frame's (last-sample) timestamp.
    t = pmd.sample_times_ns(2_000_000_000, 3, 200.0)
    assert t.tolist() == [1_990_000_000, 1_995_000_000, 2_000_000_000]


def test_lost_frame_leaves_a_gap() -> None:
    # The previous frame ended 1 s earlier but only 4 samples arrived: frames were lost.
    t = pmd.sample_times_ns(2_000_000_000, 4, 100.0, previous_timestamp_ns=1_000_000_000)
    assert np.diff(t).tolist() == [10_000_000.0] * 3
    assert t[0] - 1_000_000_000 > 0.5e9


def test_settings_runs() -> None:
    # PmdSettingTest.testPmdSettingsWithRange: 52 Hz, 16 bit, ranges 245/500/1000/2000, 3 ch.
    data = bytes.fromhex("00013400010110000204F500F401E803D00704 0103".replace(" ", ""))
    s = pmd.decode_settings(data)
    assert s[pmd.SettingType.SAMPLE_RATE] == (52,)
    assert s[pmd.SettingType.RESOLUTION] == (16,)
    assert s[pmd.SettingType.RANGE] == (245, 500, 1000, 2000)
    assert s[pmd.SettingType.CHANNELS] == (3,)
    with pytest.raises(DecodeError, match="cut off"):
        pmd.decode_settings(data[:-1])


def test_control_point_responses() -> None:
    # BlePmdClientControlPointResponseTest: F0 01 02 00 00 FF FF FF (success, params FF FF FF)
    r = pmd.decode_control_point_response(bytes.fromhex("F00102000" + "0FFFFFF"))
    assert (r.op, r.measurement, r.ok, r.more, r.parameters) == (1, 2, True, False, b"\xff" * 3)
    # ... and F0 01 06 07 00: ERROR_INVALID_RESOLUTION for the magnetometer, no parameters.
    r = pmd.decode_control_point_response(bytes.fromhex("F001060700"))
    assert not r.ok and r.status_name == "ERROR_INVALID_RESOLUTION" and r.parameters == b""


def test_start_command_carries_every_setting() -> None:
    # polar-ble-sdk issue 124: the H10 refuses a start without the resolution.
    cmd = pmd.encode_start(
        pmd.MeasurementType.ACC,
        {
            pmd.SettingType.RANGE: 8,
            pmd.SettingType.SAMPLE_RATE: 200,
            pmd.SettingType.RESOLUTION: 16,
        },
    )
    assert cmd.hex() == "0202" + "0001c800" + "01011000" + "02010800"
    assert pmd.encode_stop(pmd.MeasurementType.ACC) == b"\x03\x02"


def test_features_mask() -> None:
    # H10: ECG (bit 0) and ACC (bit 2).
    assert pmd.decode_features(bytes([0x0F, 0x05])) == {
        pmd.MeasurementType.ECG,
        pmd.MeasurementType.ACC,
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x02\x00", "10-byte header"),
        (ACC_HEADER_TS_2E9 + b"\x01" + RAW_TYPE1_BODY[:-1], "whole 6-byte samples"),
        (ACC_HEADER_TS_2E9 + b"\x07" + RAW_TYPE1_BODY, "raw frame type 7"),
        (ACC_HEADER_TS_2E9 + b"\x80" + COMPRESSED_TYPE0_BODY[:-3], "cut off"),
        (ACC_HEADER_TS_2E9 + b"\x80" + COMPRESSED_TYPE0_BODY[:3], "reference sample"),
    ],
)
def test_malformed_frames(payload: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        pmd.decode_pmd_frame(payload)
