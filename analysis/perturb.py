"""Altered copies of a labelled recording that the evaluation scores beside the recording.

- **Time reversal** (``reverse_samples``, ``reverse_truth``): a real forward walk played
  backward in time is the nearest thing to a real backward walk that can be had (backward
  walking is close to forward walking in reverse time: Thorstensson 1986; Grasso et al.
  1998), so a direction detector must read it backward.
- **Packet-loss gaps** (``cut_gaps``): BLE drops packets; runs of samples are cut out of a
  walk, as a band's lost packets would leave them, to measure what a gap costs.
- **A low rate** (``low_rate``): bands stream their accelerometers as slowly as 25-26 Hz (the
  Polar H10 offers 25 Hz, the Verity Sense 26 Hz in its SDK mode: polar-ble-sdk,
  documentation/products and SdkModeExplained.md); a recording made faster is filtered and
  thinned to ``LOW_RATE_HZ`` as such a band's own anti-alias filter and sampling leave it;
  ``resample`` plays it at any other rate (``benchmarks/rates.py``).

Pure: samples and truth in, samples and truth out; seeded where random.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from analysis.evaluate import (
    Truth,
    TruthBout,
    TruthSegment,
    TruthStep,
)
from analysis.stream import GAP_PERIODS
from analysis.types import FloatArray, Samples

#: The rate a real recording is thinned to (``low_rate``): the lowest that bands offer for
#: their accelerometers (the Polar H10's 25 Hz, the Verity Sense's 26 Hz).
LOW_RATE_HZ = 25.0

#: The thinned recording's anti-alias low-pass, as a fraction of the new rate: 0.4 keeps the
#: walking band (0.5-5 Hz at the trunk, the shank's swing) and drops what would fold back.
#: A fourth-order Butterworth, run forward only as a band's filter runs.
ANTI_ALIAS_FRACTION = 0.4

#: Double support (both feet on the ground) as a share of a step: about 10 % of the gait
#: cycle at each foot contact, so 20 % of a step (Perry and Burnfield, Gait Analysis, 2nd ed.
#: 2010, ch. 1). Measured on the three IPOL lower-back trials that label toe-offs: 0.18, 0.23
#: and 0.29 of a step (0.10-0.16 s).
DOUBLE_SUPPORT_SHARE = 0.2

#: Step intervals longer than this are pauses (a turn, a stop), not steps.
_MAX_STEP_INTERVAL_S = 2.0

_OPPOSITE = {"forward": "backward", "backward": "forward"}


def reverse_samples(samples: Samples) -> Samples:
    """The samples played backward in time on the same time axis.

    A sample at ``t`` moves to ``t_first + t_last - t``, so gaps keep their lengths.
    Accelerations keep their sign (the second derivative of a path run backward is the
    same), angular rates change theirs (orientation runs backward).
    """
    if len(samples) == 0:
        return samples
    t = samples.time_s
    return Samples(
        time_s=(float(t[0]) + float(t[-1])) - t[::-1],
        acc_g=samples.acc_g[::-1].copy(),
        gyro_dps=None if samples.gyro_dps is None else -samples.gyro_dps[::-1],
        hr_bpm=None if samples.hr_bpm is None else samples.hr_bpm[::-1].copy(),
    )


def low_rate_factor(sample_rate_hz: float) -> int | None:
    """Every how many samples one is kept to reach about ``LOW_RATE_HZ`` (within 10 %:
    100 and 104 Hz keep one in four, 50 and 52 Hz one in two), or ``None`` for a recording
    that is not at least twice that fast."""
    factor = round(sample_rate_hz / LOW_RATE_HZ)
    if factor < 2 or abs(sample_rate_hz / factor - LOW_RATE_HZ) > 0.1 * LOW_RATE_HZ:
        return None
    return factor


def low_rate(samples: Samples, sample_rate_hz: float, factor: int) -> Samples:
    """``samples`` (at ``sample_rate_hz``) low-passed at ``ANTI_ALIAS_FRACTION`` of the new
    rate and thinned to every ``factor``-th sample; the times are kept (gaps too)."""
    rate_hz = sample_rate_hz / factor
    keep = slice(0, None, factor)
    return Samples(
        time_s=samples.time_s[keep].copy(),
        acc_g=_anti_aliased(samples.acc_g, sample_rate_hz, rate_hz)[keep],
        gyro_dps=(
            None
            if samples.gyro_dps is None
            else _anti_aliased(samples.gyro_dps, sample_rate_hz, rate_hz)[keep]
        ),
        hr_bpm=None if samples.hr_bpm is None else samples.hr_bpm[keep].copy(),
    )


def _anti_aliased(x: FloatArray, sample_rate_hz: float, rate_hz: float) -> FloatArray:
    """``x`` (rows at ``sample_rate_hz``) through a band's anti-alias filter for ``rate_hz``:
    fourth-order Butterworth at ``ANTI_ALIAS_FRACTION`` of it, run forward."""
    # Imported here: the command line lists its commands without loading SciPy.
    from scipy import signal

    sos = signal.butter(4, ANTI_ALIAS_FRACTION * rate_hz, fs=sample_rate_hz, output="sos")
    out: FloatArray = signal.sosfilt(sos, x, axis=0)
    return out


#: How ``resample`` makes the samples at the new rate (see there).
RESAMPLE_METHODS = ("band", "polyphase")


def resample(
    samples: Samples, sample_rate_hz: float, rate_hz: float, method: str = "band"
) -> Samples:
    """``samples`` (at ``sample_rate_hz``) at ``rate_hz`` instead, gaps kept.

    Each run of samples between gaps (``GAP_PERIODS`` sample periods or longer) is resampled
    on its own, onto times a period apart from its first sample. ``method``:

    - ``"band"``: the anti-alias low-pass of ``low_rate`` (fourth-order Butterworth at
      ``ANTI_ALIAS_FRACTION`` of the new rate, run forward as a band's filter runs), then
      linear interpolation, which softens what is left near the new Nyquist rate a little
      more (a band whose filter rolls off early);
    - ``"polyphase"``: ``scipy.signal.resample_poly`` (a linear-phase FIR around the
      cut-off: a sharp anti-alias filter, but one that rings before a shock as well as
      after it); the ratio is approximated by a fraction with a denominator up to 100.

    Where the rates differ by a whole factor, prefer ``low_rate``, which keeps the very
    samples a band at that rate would have taken.
    """
    # Imported here: the command line lists its commands without loading SciPy.
    from fractions import Fraction

    from scipy import signal

    if method not in RESAMPLE_METHODS:
        raise ValueError(f"method: expected one of {', '.join(RESAMPLE_METHODS)}, got {method!r}")
    t = samples.time_s
    if t.size < 2:
        return samples
    columns = [samples.acc_g] + ([] if samples.gyro_dps is None else [samples.gyro_dps])
    data = np.concatenate(columns, axis=1)
    if method == "band" and rate_hz < sample_rate_hz:
        data = _anti_aliased(data, sample_rate_hz, rate_hz)
    ratio = Fraction(rate_hz / sample_rate_hz).limit_denominator(100)  # for "polyphase"
    breaks = np.flatnonzero(np.diff(t) >= GAP_PERIODS / sample_rate_hz) + 1
    times: list[FloatArray] = []
    rows: list[FloatArray] = []
    for a, b in zip(np.r_[0, breaks], np.r_[breaks, t.size], strict=True):
        run_t, run = t[a:b], data[a:b]
        if method == "band":
            new_t = run_t[0] + np.arange(0.0, run_t[-1] - run_t[0] + 1e-9, 1.0 / rate_hz)
            new = np.column_stack([np.interp(new_t, run_t, col) for col in run.T])
        else:
            new = signal.resample_poly(
                run, ratio.numerator, ratio.denominator, axis=0, padtype="line"
            )
            new_t = run_t[0] + np.arange(new.shape[0]) / rate_hz
        times.append(new_t)
        rows.append(new)
    out = np.concatenate(rows)
    return Samples(
        time_s=np.concatenate(times),
        acc_g=np.ascontiguousarray(out[:, :3]),
        gyro_dps=None if samples.gyro_dps is None else np.ascontiguousarray(out[:, 3:6]),
    )


def _flip(direction: str | None) -> str | None:
    return None if direction is None else _OPPOSITE.get(direction, direction)


def median_step_interval_s(steps: tuple[TruthStep, ...]) -> float:
    """The median interval between labelled steps (pauses left out); NaN with fewer than
    two steps."""
    t = np.sort(np.array([s.t for s in steps], dtype=np.float64))
    dt = np.diff(t)
    dt = dt[(dt > 0) & (dt < _MAX_STEP_INTERVAL_S)]
    return float(np.median(dt)) if dt.size else math.nan


def reverse_truth(
    truth: Truth,
    t_first: float,
    t_last: float,
    double_support_share: float = DOUBLE_SUPPORT_SHARE,
) -> Truth:
    """The labels of the recording played backward (``reverse_samples``).

    Each time ``t`` becomes ``t_first + t_last - t`` and forward and backward swap.

    A heel strike played backward is not a foot contact: it is the moment the heel leaves
    the ground at the end of that foot's stance. The reversed walk's contact is the other
    foot's toe-off played backward, which comes one double support earlier (the double
    support that followed the heel strike). So a reversed step label lags the reversed
    walk's contact by a double support, ``double_support_share`` of the file's median step
    interval, less the original labels' own lag (a label ``lag`` after the heel strike is
    ``lag`` before it once reversed):
    ``step_label_lag_s = double_support - truth.step_label_lag_s``. Matching keeps its
    tolerance around that contact.

    Jumps swap takeoff and landing. Revolutions and reversals are not carried over
    (``None``: not scored); a pedalling ride played backward is not a recording any
    pedalling label describes.
    """
    total = t_first + t_last

    def at(t: float) -> float:
        return total - t

    steps = None
    lag = truth.step_label_lag_s
    if truth.steps is not None:
        steps = tuple(
            TruthStep(at(s.t), _flip(s.direction) or s.direction, s.side)
            for s in reversed(truth.steps)
        )
        interval = median_step_interval_s(truth.steps)
        if math.isfinite(interval):
            lag = double_support_share * interval - truth.step_label_lag_s
    jumps = None
    if truth.jumps is not None:
        jumps = tuple(
            replace(
                j,
                takeoff_t=at(j.landing_t),
                landing_t=at(j.takeoff_t),
                direction=_flip(j.direction) or j.direction,
                distance_m=None if j.distance_m is None else -j.distance_m,
                contact_s=None,
            )
            for j in reversed(truth.jumps)
        )
    return Truth(
        steps=steps,
        jumps=jumps,
        revolutions=None,
        reversals=None,
        bouts=tuple(
            TruthBout(b.kind, at(b.end), at(b.start), _flip(b.direction))
            for b in reversed(truth.bouts)
            if b.kind != "pedal"
        ),
        segments=tuple(
            TruthSegment(s.activity, at(s.end), at(s.start), s.rest)
            for s in reversed(truth.segments)
        ),
        step_label_lag_s=lag,
        direction_known=truth.direction_known,
        reference_steps=truth.reference_steps,
    )


def reversible(truth: Truth) -> bool:
    """Whether a recording is a walk worth playing backward: steps labelled (or a reference
    count), forward walk bouts, and no jump or pedalling labelled."""
    has_steps = bool(truth.steps) or bool(truth.reference_steps)
    forward = any(b.direction == "forward" for b in truth.walk_bouts)
    return has_steps and forward and not truth.jumps and not truth.revolutions


# --- packet-loss gaps ----------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """Samples cut out: the last sample kept before and the first kept after, and how many
    were lost."""

    before_s: float
    after_s: float
    samples_lost: int

    @property
    def span_s(self) -> float:
        """Time between the samples either side of the gap."""
        return self.after_s - self.before_s


@dataclass(frozen=True)
class GapPlan:
    """Where and how long the gaps cut into a walk are.

    One gap every ``spacing_s`` (placed at random within each ``spacing_s`` slot, away from
    its edges so that a gap's after-span of a few seconds stays its own), lasting between
    ``shortest_s`` and ``longest_s``, log-uniform (lost packets are mostly short), at least
    one sample. Gaps are cut inside labelled walk bouts only.
    """

    spacing_s: float = 5.0
    shortest_s: float = 0.01
    longest_s: float = 0.3
    seed: int = 0

    def __post_init__(self) -> None:
        if not (0 < self.shortest_s <= self.longest_s < self.spacing_s):
            raise ValueError(
                "expected 0 < shortest_s <= longest_s < spacing_s, got "
                f"{self.shortest_s}, {self.longest_s}, {self.spacing_s}"
            )


def cut_gaps(
    samples: Samples, spans: list[tuple[float, float]], plan: GapPlan = GapPlan()
) -> tuple[Samples, tuple[Gap, ...]]:
    """``samples`` with runs of samples cut out inside ``spans`` (walk bouts), and the gaps.

    The same samples, spans and plan always give the same cuts.
    """
    t = samples.time_s
    if t.size < 3:
        return samples, ()
    rng = np.random.default_rng(plan.seed)
    period = float(np.median(np.diff(t)))
    keep = np.ones(t.size, dtype=bool)
    gaps: list[Gap] = []
    for start, end in sorted(spans):
        slot = start
        while slot + plan.spacing_s <= end:
            at = slot + plan.spacing_s * rng.uniform(0.2, 0.6)
            length_s = math.exp(rng.uniform(math.log(plan.shortest_s), math.log(plan.longest_s)))
            slot += plan.spacing_s
            first = int(np.searchsorted(t, at))
            lost = max(1, round(length_s / period))
            last = first + lost
            if first < 1 or last >= t.size or not keep[first - 1 : last + 1].all():
                continue
            keep[first:last] = False
            gaps.append(Gap(float(t[first - 1]), float(t[last]), lost))
    return samples.select(keep), tuple(gaps)
