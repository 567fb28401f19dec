"""Sample times from a band's clock or a counter: an outlier arrival never moves the timeline,
a real clock jump or a loss does, and samples dropped as overlaps are said with a count."""

from __future__ import annotations

import json
from collections.abc import Callable
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


def kept(clock: CounterClock, receive_s: np.ndarray, n: int = 10) -> tuple[np.ndarray, int]:
    """Times of ``n`` samples per notification received at ``receive_s``, with the driver's
    strictly-increasing check: the times kept and the number of samples dropped."""
    out, dropped, last = [], 0, -np.inf
    for r in receive_s:
        t = clock.times(n, float(r))
        out.append(t[t > last])
        dropped += int(np.count_nonzero(t <= last))
        last = max(last, float(t[-1]))
    return np.concatenate(out), dropped


def punctual(k: np.ndarray) -> np.ndarray:
    """Receive times of notifications ``k`` of ten samples at 100 Hz, each 20 ms after its
    last sample."""
    return k * 0.1 + 0.09 + 0.02


def test_a_counter_continues_through_one_late_notification_and_leaves_a_gap_for_a_loss() -> None:
    receive = punctual(np.arange(40.0))
    receive[20] += 5.0  # one notification 5 s late
    t, dropped = kept(CounterClock(100.0), receive)
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)
    # A loss: every notification from the 40th on arrives a second later than the count says.
    receive = np.concatenate([receive, punctual(np.arange(40.0, 80.0)) + 1.0])
    t, dropped = kept(CounterClock(100.0), receive)
    steps = np.diff(t)
    assert dropped == 0
    assert np.count_nonzero(steps > 0.5) == 1 and steps.max() == pytest.approx(1.01)
    assert t[-1] == pytest.approx(receive[-1])  # tied to the host again, as at the start


def held_back(receive: np.ndarray, from_s: float, stall_s: float) -> np.ndarray:
    """Nothing arrives for ``stall_s`` from ``from_s``; then what was held back arrives at
    once, in order (a busy host)."""
    return np.maximum(receive, np.where(receive > from_s, from_s + stall_s, 0.0))


def falling_behind(receive: np.ndarray, per_s: float = 0.3) -> np.ndarray:
    """From 5 s on the host falls behind by ``per_s`` each second (0.3: it takes each
    notification in 0.13 s instead of 0.1 s), in bursts of a few, until it is 3 s behind;
    then it catches up at 0.05 s a notification."""
    peak_s = 5.0 + 3.0 / per_s
    behind = np.clip(np.minimum((receive - 5.0) * per_s, 3.0 - (receive - peak_s)), 0.0, None)
    bursts = np.floor((receive + behind) / 0.25) * 0.25 + 0.25
    return np.maximum(receive, np.maximum.accumulate(bursts * (behind > 0)))


#: A busy host holding notifications back: stalls, and falling 3 s behind then catching up.
DELAYS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "stall-0.5s": lambda r: held_back(r, 3.0, 0.5),
    "stall-1.5s": lambda r: held_back(r, 3.0, 1.5),
    "stall-4s": lambda r: held_back(r, 3.0, 4.0),
    "falling-behind-0.5/s": lambda r: falling_behind(r, 0.5),
    "falling-behind-0.3/s": falling_behind,
}


@pytest.mark.parametrize("delay", DELAYS)
def test_a_counter_keeps_every_sample_of_notifications_a_busy_host_held_back(delay: str) -> None:
    k = np.arange(300.0)
    receive = DELAYS[delay](punctual(k))
    assert np.max(receive - punctual(k)) > 0.4
    t, dropped = kept(CounterClock(100.0), receive)
    assert dropped == 0
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)


# A band clock waits 1 s, not 2 s, before it ties again (see ``DeviceClock``): lateness
# growing by 0.3 s a second is too slow to tell from a clock that moved in that time.
@pytest.mark.parametrize("delay", [d for d in DELAYS if d != "falling-behind-0.3/s"])
def test_a_band_clock_keeps_its_timeline_through_notifications_a_busy_host_held_back(
    delay: str,
) -> None:
    k = np.arange(300.0)
    clock = DeviceClock()
    receive = DELAYS[delay](punctual(k))
    t = np.concatenate(
        [
            clock.to_session(1000.0 + i * 0.1 + np.arange(10) / 100.0, r)
            for i, r in zip(k, receive, strict=True)
        ]
    )
    assert clock.ties == 1
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)


def test_a_counter_leaves_the_lost_time_for_a_loss_with_a_delay_right_after_it() -> None:
    receive = punctual(np.arange(80.0))
    receive[40:] += 0.8  # 0.8 s of notifications lost before the 40th
    receive = held_back(receive, receive[40] + 0.01, 1.0)  # and the next held back 1 s
    t, dropped = kept(CounterClock(100.0), receive)
    steps = np.diff(t)
    assert dropped == 0
    assert np.count_nonzero(steps > 0.05) == 1 and steps.max() == pytest.approx(0.81)


@pytest.mark.parametrize("rate_error", [-0.01, 0.01])
def test_a_counter_stays_tied_to_the_host_for_a_band_off_its_nominal_rate(
    rate_error: float,
) -> None:
    # Ten minutes of a band 1 % slower or faster than its nominal 100 Hz.
    k = np.arange(6000.0)
    receive = punctual(k) / (1.0 + rate_error)
    clock = CounterClock(100.0)
    lead = [float(clock.times(10, float(r))[-1] - r) for r in receive]
    assert max(np.abs(lead)) < clock.tolerance_s + 0.05


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
