"""Sample times from a band's clock or a counter: an outlier arrival never moves the timeline,
a real clock jump or a loss does, and samples dropped as overlaps are said with a count."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sensor.ble.timing import CounterClock, DeviceClock
from sensor.cli import main
from tests.paths import DATA

CAPTURE = DATA / "ble" / "h10_walk_chest.jsonl"
PMD_DATA = '"fb005c82'


def notifications(clock: DeviceClock, receive_delay_s: dict[int, float]) -> np.ndarray:
    """Ten samples per notification at 100 Hz on the band's clock, delivered after 20 ms,
    some later by ``receive_delay_s[k]``."""
    out = []
    for k in range(60):
        device = 1000.0 + k * 0.1 + np.arange(10) / 100.0
        receive = k * 0.1 + 0.09 + 0.02 + receive_delay_s.get(k, 0.0)
        out.append(clock.to_session(device, receive))
    return np.concatenate(out)


@pytest.mark.parametrize("late_s", [5.0, 100.0])
def test_one_late_notification_does_not_move_the_band_clock(late_s: float) -> None:
    clock = DeviceClock()
    t = notifications(clock, {20: late_s})
    assert clock.ties == 1
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)


def test_a_burst_of_notifications_held_back_by_a_busy_host_does_not_move_it() -> None:
    clock = DeviceClock()
    # Notifications 20-29 all arrive together at the end of a 1-s stall.
    t = notifications(clock, {k: (30 - k) * 0.1 for k in range(20, 30)})
    assert clock.ties == 1
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)


def test_a_band_clock_that_jumps_is_tied_again() -> None:
    clock = DeviceClock()
    first = clock.to_session(np.array([500.0]), 0.1)
    # The band reset its clock (the H10 does when it powers down): lateness that lasts.
    later = [clock.to_session(np.array([0.1 * k]), 10.0 + 0.1 * k) for k in range(1, 30)]
    assert clock.ties == 2
    assert float(first[0]) == pytest.approx(0.1)
    assert float(later[-1][0]) == pytest.approx(10.0 + 2.9, abs=0.05)
    # A clock that jumps ahead puts samples after their own arrival: tied again at once.
    clock.to_session(np.array([9000.0]), 13.1)
    assert clock.ties == 3


def test_a_counter_continues_through_one_late_notification_and_restarts_after_a_loss() -> None:
    clock = CounterClock(100.0)
    times = [clock.times(10, 0.1 * k + 0.09) for k in range(20)]
    times.append(clock.times(10, 2.0 + 0.09 + 5.0))  # one notification 5 s late
    times += [clock.times(10, 0.1 * k + 0.09) for k in range(21, 40)]
    t = np.concatenate(times)
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)
    # A loss: every notification from now on arrives a second later than the count says.
    lost = [clock.times(10, 0.1 * k + 0.09 + 1.0) for k in range(40, 45)]
    steps = np.diff(np.concatenate([t, *lost]))
    assert np.count_nonzero(steps > 0.5) == 1 and steps.max() == pytest.approx(1.01)


@pytest.mark.parametrize("late_s", [5.0, 100.0])
def test_a_capture_with_one_late_notification_gives_every_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], late_s: float
) -> None:
    lines = CAPTURE.read_text().splitlines()
    data = [i for i, line in enumerate(lines) if PMD_DATA in line]
    k = data[len(data) // 3]
    obj = json.loads(lines[k])
    obj["t"] += late_s
    lines[k] = json.dumps(obj)
    late = tmp_path / "late.jsonl"
    late.write_text("\n".join(lines) + "\n")
    assert main(["analyze", str(CAPTURE)]) == 0
    expected = capsys.readouterr().out
    assert main(["analyze", str(late)]) == 0
    out = capsys.readouterr()
    # Every event of the 20-s walk (some thirty steps), as without the late frame.
    assert out.out == expected and expected.count('"type":"step"') >= 25
    assert "samples dropped" not in out.err


def test_samples_dropped_as_overlaps_are_said_with_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = CAPTURE.read_text().splitlines()
    data = [i for i, line in enumerate(lines) if PMD_DATA in line]
    # From a third of the way on, the band's timestamps restart 3 s back: its clock jumped
    # back and the host's did not, so the first notifications after the jump overlap.
    k0 = data[len(data) // 3]
    for i in data:
        if i >= k0:
            obj = json.loads(lines[i])
            raw = bytes.fromhex(obj["hex"])
            stamp = int.from_bytes(raw[1:9], "little") - 3_000_000_000
            obj["hex"] = (raw[:1] + stamp.to_bytes(8, "little") + raw[9:]).hex()
            lines[i] = json.dumps(obj)
    path = tmp_path / "jump.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert main(["analyze", str(path)]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "samples dropped" in line]
    assert len(err) == 1
    assert "samples dropped: their times fall before the last one kept" in err[0]
