"""Steps at the trunk (chest, waist) and the wrist: peaks of the vertical acceleration.

Steps are peaks of the levelled, band-passed vertical acceleration. While no bout runs, peaks
are held; a bout starts when the walk's evidence over the held peaks (their rhythm, size,
the trunk's vertical excursion, fore-aft motion and lean: ``walk_features``, weighed by
fitted logistic models, ``benchmarks/walk_evidence.py``) accepts them, and they are counted
then. Direction is the rotation sense of the sagittal-plane acceleration loop
(``analysis.gait.sagittal_rotation``) on the walking axis (``Heading``), trusted where the
loop is clear and the trunk does not turn fast (a gyroscope only flags turns). A gap in the
samples shorter than a step is bridged (``StepDetector._bridge``); a flight (a jump) vetoes
the steps around it. The wrist counts steps on two full pulses, direction ``unknown``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import signal

from analysis.events import Direction, Event
from analysis.frame import principal_axis
from analysis.gait import gait_regularity, sagittal_rotation
from analysis.steps.base import Bout, StepDetector, T, median
from analysis.steps.params import StepParams
from analysis.stream import StreamingSOS
from analysis.types import FloatArray, Placement, Samples, StreamInfo
from analysis.units import STANDARD_GRAVITY_M_S2

__all__ = [
    "EVIDENCE_TERMS",
    "TrunkStepDetector",
    "WalkFeatures",
    "evidence_terms",
    "level_forward_up",
]

#: Below this net/gross ratio the sagittal loop's own sense is not trusted: the step keeps the
#: bout's direction, or says unknown. On the real walks with known forward (IPOL, neck pouch;
#: played either way) a step's own loop is right 96.5 % of the time at 0.1-0.3 and 99.4 % at
#: 0.3-0.5 (a bout's first steps, whose loop reaches back before the walk: 73-80 % and
#: 93-96 %), 99.8-100 % above.
_WEAK_ROTATION = 0.3

#: A weak peak inside a bout (turning, the last step that brings the feet together) counts
#: only if it comes within this range of the bout's recent step time after the last step.
#: Thin: of the weak in-bout peaks of the real, simulated and stress walks that are labelled
#: steps, the range refuses 3 of 431 (0.52-1.77 step times on the real walks); of those that
#: are not, 12 of 44 (0.52-2.15), among them the tails of real walks into standing.
_WEAK_STEP_FRACTION = 0.6
_WEAK_STEP_LATEST = 1.6

#: Low-pass corner of the lean estimate used to tell sitting down and squats from a walk's
#: start: fast enough to see a lean within the first step, slow enough to average a step.
_LEAN_CUTOFF_HZ = 1.0
#: Samples before the lean window that settle the filter (five time constants at 1 Hz).
_LEAN_WARMUP_S = 1.0

#: Longest flight a jump's landing may end (a 0.6 s flight is a 44 cm jump).
_LONGEST_FLIGHT_S = 0.6

#: Largest held peak (step band) whose bout may start as soon as the next pulse rises: a
#: harder pulse may be a jump's countermovement (0.73 g at the real sacrum), whose next pulse
#: is the push-off, so the bout waits for that pulse's own look-ahead (flight checked).
#: Walking pulses reach 0.6 g (95th percentile over the real walks, back pockets and bags
#: included; 0.2-0.5 g at the real chest and lower back).
_EARLY_START_MAX_G = 0.6

#: A slow walker's step may come up to this many of its recent step times after the last,
#: when that is longer than ``max_step_s``: at 50 steps/min (1.2 s a step, the slowest of the
#: simulated stress set) a step's peak may land 1.3-1.4 s after the last one.
_SLOW_STEP_FACTOR = 1.25

#: Most peaks held while a bout has not started (the evidence is judged over the newest).
_MAX_HELD = 6

# History columns after the time (``T``).
#: Forward acceleration, levelled, in the direction band (``direction_high_hz``).
_FORE = 1
#: Vertical acceleration, levelled, in the direction band.
_UP = 2
#: Leftward acceleration, levelled, in the direction band (the band's heading on the body).
_LEFT = 3
#: Vertical acceleration, levelled, in the step band: the candidate signal, and regularity.
_UP_STEP = 4
#: |a| of the raw acceleration: flight phases (a jump nearby vetoes a step).
_MAG = 5
#: Raw acceleration: the input of the derived columns, and the trunk's lean.
_ACC = slice(6, 9)
_WIDTH = 9
#: With a gyroscope: the turning rate about gravity (dps), from the raw rate after it.
_TURN = 9
_GYRO = slice(10, 13)
_WIDTH_GYRO = 13


def level_forward_up(
    acc_g: FloatArray,
    gravity: FloatArray,
    out: FloatArray | None = None,
    left: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Forward and vertical components of ``acc_g`` after levelling each row by ``gravity``.

    The first and last rows of ``analysis.frame.rotation_to_vertical`` (shortest arc onto
    +z, heading of the forward axis kept), written out for the rows the detector needs.
    ``out`` (shape ``(2, n)``), if given, receives forward and vertical as its rows;
    ``left`` (shape ``(n,)``), if given, receives the left component (the middle row).
    """
    norm = np.sqrt(np.einsum("ij,ij->i", gravity, gravity))
    g = gravity / np.where(norm > 0, norm, 1.0)[:, None]
    gx, gy, gz = g[:, 0], g[:, 1], g[:, 2]
    ax, az = acc_g[:, 0], acc_g[:, 2]
    if out is None:
        out = np.empty((2, acc_g.shape[0]))
    # Row 0 is (1 - k gx², -k gx gy, -gx) with k = 1 / (1 + gz); row 2 is g itself.
    # (``maximum`` is ``clip`` from below without its Python-level wrapper.)
    horizontal = gx * ax + gy * acc_g[:, 1]
    np.add(horizontal, gz * az, out=out[1])
    common = horizontal / (1.0 + np.maximum(gz, -0.999999)) + az
    np.subtract(ax, gx * common, out=out[0])
    if left is not None:
        # Row 1 is (-k gx gy, 1 - k gy², -gy).
        np.subtract(acc_g[:, 1], gy * common, out=left)
    return out[0], out[1]


@dataclass(frozen=True)
class _Held:
    """A peak held while no bout runs: a step if the walk's evidence accepts it."""

    peak_t: float
    contact_t: float
    value_g: float
    #: When its look-ahead was complete.
    confirm_t: float


@dataclass(frozen=True)
class WalkFeatures:
    """What the trunk's signal says about held peaks being a walk's steps (``walk_features``).

    Attributes
    ----------
    pulses
        Step pulses seen: the held peaks, plus one when the next one's rise is seen.
    periodicity
        Normalised autocorrelation of the vertical acceleration (step band) at the step time
        (the best lag within ±25 % of it) over the held steps: each step's pulse repeats the
        last one's.
    amplitude_g
        Median of the held peaks (step band).
    displacement_cm
        How far the trunk rises and falls (the amplitude of a sinusoid with the same
        spread), from the vertical acceleration integrated twice above 0.5 Hz over the held
        steps. The trunk vaults over the stance leg by centimetres at every step whatever the
        pace; pedalling and fidgeting bob it by millimetres at step-like rates.
    interval_ratio
        Longest over shortest step time.
    fore_aft_ratio
        Standard deviation of the fore-aft acceleration over the vertical's (direction band):
        each step brakes and pushes the trunk along its path, bouncing on the spot (heel
        drops, stomps) moves it up and down only.
    lean_change_deg
        Largest change of the trunk's lean (acceleration low-passed at 1 Hz) over the
        window: sitting down and squats tilt the trunk by tens of degrees.
    """

    pulses: int
    periodicity: float
    amplitude_g: float
    displacement_cm: float
    interval_ratio: float
    fore_aft_ratio: float
    lean_change_deg: float


def _periodicity(y: FloatArray, lag: float) -> float:
    """Largest normalised autocorrelation of ``y`` at a lag within ±25 % of ``lag`` samples."""
    n = y.shape[0]
    lo = max(1, int(0.75 * lag))
    hi = min(n - 3, math.ceil(1.25 * lag))
    if hi < lo:
        return 0.0
    y = y - y.mean()
    # Dot products at every lag, and the energies of the overlapping parts from running sums.
    dots = np.correlate(y, y, mode="full")[n - 1 + lo : n + hi]
    squares = np.concatenate(([0.0], np.cumsum(y * y)))
    lags = np.arange(lo, hi + 1)
    head = squares[n - lags]  # y[:-L]
    tail = squares[n] - squares[lags]  # y[L:]
    norm = np.sqrt(head * tail)
    r = np.where(norm > 0, dots / np.where(norm > 0, norm, 1.0), 0.0)
    return float(r.max())


#: Lowest frequency kept when the vertical acceleration is integrated to a displacement:
#: the band's lower corner (slower drifts are posture, not steps).
_DISPLACEMENT_LOW_HZ = 0.5


def vertical_excursion_cm(vertical_g: FloatArray, sample_rate_hz: float) -> float:
    """Amplitude (cm) of a sinusoid with the spread of the displacement that ``vertical_g``
    gives integrated twice above ``_DISPLACEMENT_LOW_HZ`` (in the frequency domain, the
    window tapered by a Hann window whose loss of power is made up)."""
    n = vertical_g.shape[0]
    if n < 8:
        return 0.0
    taper = np.hanning(n)
    spectrum = np.fft.rfft((vertical_g - vertical_g.mean()) * taper)
    omega = 2.0 * math.pi * np.fft.rfftfreq(n, 1.0 / sample_rate_hz)
    keep = omega >= 2.0 * math.pi * _DISPLACEMENT_LOW_HZ
    gain = np.zeros_like(omega)
    gain[keep] = 1.0 / omega[keep] ** 2
    displacement = np.fft.irfft(spectrum * gain, n)
    power = float(np.mean(taper * taper))
    rms_m = STANDARD_GRAVITY_M_S2 * math.sqrt(float(np.mean(displacement**2)) / power)
    return 100.0 * math.sqrt(2.0) * rms_m


def walk_features(
    t: FloatArray,
    vertical_step_g: FloatArray,
    fore_g: FloatArray,
    vertical_g: FloatArray,
    acc_g: FloatArray,
    peaks_t: list[float],
    peaks_g: list[float],
    now_t: float,
    rise_t: float | None,
    rise_step_s: float | None,
    sample_rate_hz: float,
    lean_sos: FloatArray,
) -> WalkFeatures:
    """The walk's evidence over held peaks (``peaks_t``, their values ``peaks_g``).

    Parameters
    ----------
    t, vertical_step_g, fore_g, vertical_g, acc_g
        The history: times, the levelled vertical acceleration in the step band, the
        fore-aft and vertical ones in the direction band, the raw acceleration.
    now_t
        The decision's time: signal after it is not used.
    rise_t, rise_step_s
        The next pulse's rise and the step time to it, where seen.
    """
    intervals = [float(x) for x in np.diff(peaks_t)]
    if rise_step_s is not None and rise_step_s > 0:
        intervals.append(rise_step_s)
    step_s = float(np.median(intervals)) if intervals else 1.0
    a = int(np.searchsorted(t, peaks_t[0] - 0.5 * step_s))
    b = int(np.searchsorted(t, now_t, "right"))
    periodicity = _periodicity(vertical_step_g[a:b], step_s * sample_rate_hz)
    amplitude = float(np.median(peaks_g))
    displacement = vertical_excursion_cm(vertical_g[a:b], sample_rate_hz)
    ratio = max(intervals) / min(intervals) if intervals and min(intervals) > 0 else 1.0
    vertical = float(np.std(vertical_g[a:b]))
    fore_aft = float(np.std(fore_g[a:b])) / vertical if vertical > 0 else 1.0
    # The lean, low-passed over the window only (from steady state at a second before it).
    w = int(np.searchsorted(t, t[a] - _LEAN_WARMUP_S))
    lean = StreamingSOS(lean_sos).process(acc_g[w:b])[a - w :]
    norm = np.sqrt(np.einsum("ij,ij->i", lean, lean))
    g = lean / np.where(norm > 0, norm, 1.0)[:, None]
    cos = float((g @ g[-1]).min()) if g.shape[0] else 1.0
    return WalkFeatures(
        pulses=len(peaks_t) + (rise_t is not None),
        periodicity=periodicity,
        amplitude_g=amplitude,
        displacement_cm=displacement,
        interval_ratio=ratio,
        fore_aft_ratio=fore_aft,
        lean_change_deg=math.degrees(math.acos(min(1.0, max(-1.0, cos)))),
    )


#: The terms of the walk's evidence (``evidence_terms``), in the order the models weigh them.
EVIDENCE_TERMS = (
    "periodicity",
    "log_amplitude",
    "low_displacement",
    "log_interval_ratio",
    "low_fore_aft",
    "lean_beyond",
    "pulses",
)


def evidence_terms(f: WalkFeatures) -> tuple[float, ...]:
    """The terms the evidence models weigh (``EVIDENCE_TERMS``).

    Displacement, fore-aft motion and lean only count against a walk where they are out of a
    walk's range (below a centimetre, below a quarter of the vertical, beyond 10°): within it
    they say nothing either way. Pulses beyond 0.3 g say no more for a walk than 0.3 g (a
    squat, sitting down hard and a jump's countermovement reach 0.4-0.7 g).
    """
    return (
        f.periodicity,
        math.log(min(max(f.amplitude_g, 1e-6), 0.3) / 0.07),
        min(0.0, math.log(max(f.displacement_cm, 1e-6))),
        math.log(f.interval_ratio),
        min(0.0, math.log(max(f.fore_aft_ratio, 1e-6) / 0.25)),
        max(0.0, f.lean_change_deg - 10.0),
        min(f.pulses, 6) - 3,
    )


@dataclass(frozen=True)
class _Logistic:
    """A logistic model of ``WalkFeatures``: the logit is positive for a walk. Its weights
    are named after, and in the order of, ``EVIDENCE_TERMS``."""

    intercept: float
    periodicity: float
    log_amplitude: float
    low_displacement: float
    log_interval_ratio: float
    low_fore_aft: float
    lean_beyond: float
    pulses: float

    def logit(self, f: WalkFeatures) -> float:
        weights: tuple[float, ...] = tuple(getattr(self, name) for name in EVIDENCE_TERMS)
        return self.intercept + sum(w * x for w, x in zip(weights, evidence_terms(f), strict=True))


#: The walk's evidence over two pulses (a held peak and the next one's rise, or two held
#: peaks), and over three or more: logistic models fitted by ``benchmarks/walk_evidence.py``
#: (its output pasted here; margins in ``TrunkStepDetector._walk_evidence``).
_EVIDENCE_2 = _Logistic(
    intercept=-2.321,
    periodicity=2.755,
    log_amplitude=3.063,
    low_displacement=5.497,
    log_interval_ratio=0.0,
    low_fore_aft=5.567,
    lean_beyond=-0.172,
    pulses=0.0,
)
_EVIDENCE_3 = _Logistic(
    intercept=-5.556,
    periodicity=8.558,
    log_amplitude=5.402,
    low_displacement=10.291,
    log_interval_ratio=-4.179,
    low_fore_aft=5.29,
    lean_beyond=-0.153,
    pulses=0.791,
)
#: The rhythm alone over three or more pulses (periodicity, excursion, step times): a slow,
#: gentle walker's pulses are as small as fidgeting at a desk but repeat exactly.
_RHYTHM_3 = _Logistic(
    intercept=-6.266,
    periodicity=10.57,
    log_amplitude=0.0,
    low_displacement=11.257,
    log_interval_ratio=-2.606,
    low_fore_aft=5.808,
    lean_beyond=0.0,
    pulses=1.247,
)
#: Logits a bout start needs over two pulses and over three or more (either model): the
#: first step of a bout waits for the third only where two leave doubt.
_START_LOGIT_2 = 1.5
_START_LOGIT_3 = 1.0
_RHYTHM_LOGIT_3 = 3.0


#: Weight each new stride gives the heading estimate (the older ones fade: a band worn for a
#: walk stays put, a band put back on learns its new heading within a dozen strides).
_HEADING_LEARNING = 0.1
#: Largest heading correction (degrees): beyond it the declared forward axis is too close to
#: the side to know which way along the walking axis is forward.
_MAX_HEADING_DEG = 60.0
#: Beyond it, the declared forward axis still gives the loop's sense (a phone in a back pocket
#: or a bag reads the walking axis 63-69° off, from the side-to-side power its off-centre seat
#: picks up, while its own forward axis reads the direction: played backward, every call
#: flips) unless that axis carries under this fraction of the step-rate power of the axis
#: across it: then it points to the side and the direction is ``unknown``. Measured on real
#: walks turned about the vertical (the IPOL lower backs and the Oxford neck pouches): the
#: ratio reads 0.05-0.17 turned 90°, 0.29-0.39 turned 70°, 0.56-0.73 for the back pockets
#: and bags as worn, 6-21 as worn on the lower back and chest. Called wrong on 1,260 of those
#: steps turned 70° and 90°: 36 and 348 of 1,181 and 1,185 calls before, 13 of 543 and 6 of
#: 33 now; at 0-40° nothing changes, at 55° 33 more unknown of 1,260; the bags' calls
#: 679 -> 542.
_SIDEWAYS_POWER = 0.25
#: Least ratio of the walking axis's step-rate power to the axis across it for the heading
#: to be taken from it (otherwise the declared forward axis is kept).
_MIN_HEADING_CONTRAST = 2.0


class Heading:
    """Where the band's declared forward axis points, relative to the walking direction.

    Gravity levels a band but says nothing of its turn about the vertical: a band turned on
    the body by an angle mixes the trunk's side-to-side sway into its fore-aft axis, and a
    weak fore-aft loop can then read the wrong way (the sway's odd harmonics cancel from the
    loop only over exact whole strides). Fore-aft acceleration repeats with every step (the
    even harmonics of the stride) while the side-to-side sway repeats with every stride (the
    odd ones): the horizontal axis carrying the most power at the step frequency and its
    second harmonic is the walking axis (principal axis of their 2x2 power matrix, averaged
    over the strides seen). The fore-aft signal is turned onto that axis, on the declared
    forward's side, before the loop's sense is taken.

    Notes
    -----
    The same separation of even and odd stride harmonics is what makes the loop's sense
    immune to sway over a whole stride (``analysis.gait.sagittal_rotation``); here it turns
    the band's forward onto the walking axis. Heading alignment of body-worn accelerometers
    by the principal axis of horizontal acceleration is standard (e.g. phones in pockets);
    separating the harmonics keeps the sway out of it.
    """

    def __init__(self) -> None:
        self._power = np.zeros((2, 2))

    def learn(self, fore: FloatArray, left: FloatArray, strides: int) -> None:
        """Add the step-rate power of one window spanning ``strides`` whole strides."""
        n = fore.shape[0]
        if n < 8:
            return
        harmonics = np.array([2 * strides, 4 * strides])
        harmonics = harmonics[2 * harmonics < n]
        if harmonics.size == 0:
            return
        # The DFT bins of the step frequency and its second harmonic.
        x = np.fft.rfft(fore)[harmonics]
        y = np.fft.rfft(left)[harmonics]
        cross = float((x * y.conj()).real.sum())
        power = np.array(
            [
                [float((x * x.conj()).real.sum()), cross],
                [cross, float((y * y.conj()).real.sum())],
            ]
        )
        total = float(np.trace(power))
        if total > 0:
            self._power = (1.0 - _HEADING_LEARNING) * self._power + _HEADING_LEARNING * (
                power / total
            )

    def turn(self) -> tuple[float, float] | None:
        """Cosine and sine of the angle from the declared forward axis to the walking axis
        (towards the left); ``(1, 0)`` while the walking axis is not clear or lies more than
        ``_MAX_HEADING_DEG`` from the declared forward axis, ``None`` where that axis points
        to the side (``_SIDEWAYS_POWER``)."""
        p = self._power
        axis, major_power, minor_power = principal_axis(p[0, 0], p[1, 1], p[0, 1])
        angle, major, minor = float(axis), float(major_power), float(minor_power)
        if major <= 0 or major < _MIN_HEADING_CONTRAST * max(minor, 0.0):
            return 1.0, 0.0
        if abs(math.degrees(angle)) > _MAX_HEADING_DEG:
            if p[0, 0] < _SIDEWAYS_POWER * p[1, 1]:
                return None
            return 1.0, 0.0
        return math.cos(angle), math.sin(angle)


def _band_pass(low_hz: float, high_hz: float, fs: float) -> StreamingSOS:
    return StreamingSOS(signal.butter(2, [low_hz, high_hz], btype="band", fs=fs, output="sos"))


class TrunkStepDetector(StepDetector):
    """Steps, direction, walking bouts and regularity from a chest, waist or wrist band.

    Parameters
    ----------
    params
        Frozen parameters.
    info
        The stream: chest, waist or wrist (the wrist leaves direction ``unknown``); a
        gyroscope, where present, only flags turns.

    Notes
    -----
    Besides ``StepDetector``'s state: the peaks held while no bout runs, the newest one's
    pulse rise and how far the next rise was sought (``_try_start``), and the band's heading
    on the body (``Heading``, kept for the stream: the band stays where it is worn).
    """

    steps_per_peak: ClassVar[float] = 1.0
    bridges_gaps: ClassVar[bool] = True

    def __init__(self, params: StepParams, info: StreamInfo) -> None:
        fs = info.sample_rate_hz
        nyq = 0.45 * fs
        self._gravity = StreamingSOS(
            signal.butter(2, params.gravity_cutoff_hz, fs=fs, output="sos")
        )
        self._lean_sos = signal.butter(2, min(_LEAN_CUTOFF_HZ, nyq), fs=fs, output="sos")
        self._band = _band_pass(params.band_low_hz, min(params.band_high_hz, nyq), fs)
        self._wide = _band_pass(params.band_low_hz, min(params.direction_high_hz, nyq), fs)
        self._wrist = info.placement.canonical is Placement.WRIST
        self._gyro = info.has_gyro
        super().__init__(
            params,
            info,
            lookahead_s=params.lookahead_s,
            width=_WIDTH_GYRO if self._gyro else _WIDTH,
            filters=(self._gravity, self._band, self._wide),
            signal_column=_UP_STEP,
            threshold=min(params.min_peak_g, params.min_peak_in_bout_g),
        )
        # The band's heading on the body, learnt from the steps (``Heading``).
        self._heading = Heading()
        # Longest flight looked back for beyond the guard (``_flight_near``).
        self._flight_rows = round(_LONGEST_FLIGHT_S * fs)
        # Peaks held while no bout runs (``_judge``), oldest first.
        self._held: list[_Held] = []
        # For the newest held peak: its pulse's rise time, whether it rose from below the
        # threshold, and the last sample searched for the next rise (``None``: search no
        # more; see ``_try_start``).
        self._rise: tuple[_Held, float, bool, int | None] | None = None

    @property
    def latency_s(self) -> float:
        """Look-ahead before a step is confirmed plus the contact offset."""
        return self._lookahead_s + max(0.0, self.params.contact_offset_s)

    def flush(self) -> list[Event]:
        events = super().flush()
        self._held = []
        self._rise = None
        return events

    def _step_gap_s(self) -> float:
        """``max_step_s``, or longer for a slow walker (``_SLOW_STEP_FACTOR``)."""
        p = self.params
        if not self._recent:
            return p.max_step_s
        return max(p.max_step_s, _SLOW_STEP_FACTOR * median(self._recent))

    def _held_gap_s(self) -> float:
        """Longest time from the newest held peak to the next one of the same run: at the
        trunk as slow as the slowest walker's steps may come (the evidence judges the run);
        at the wrist, which starts on two full pulses alone, ``max_step_s``."""
        if self._wrist:
            return self.params.max_step_s
        return _SLOW_STEP_FACTOR * self.params.max_step_s

    def _keeps_bout(self, now_t: float, events: list[Event]) -> bool:
        """A trunk bout outlives a gap shorter than a step (lost packets while walking on):
        the walk goes on, the steps lost in the gap stay lost."""
        return (
            self._bout is not None
            and self._last_t is not None
            and now_t - self._bout.last_peak_t <= self.params.max_step_s
        )

    def _forget(self, keep: bool) -> None:
        self._held = []
        self._rise = None

    def _write_raw(self, rows: FloatArray, seg: Samples) -> None:
        rows[:, _ACC] = seg.acc_g
        if self._gyro:
            rows[:, _GYRO] = 0.0 if seg.gyro_dps is None else seg.gyro_dps

    def _derive_rows(self, rows: FloatArray) -> None:
        acc = np.ascontiguousarray(rows[:, _ACC])
        mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
        gravity = self._gravity.process(acc)
        # Rows: forward, vertical and left (then filtered in the direction band), vertical
        # (then in the step band): the columns _FORE, _UP, _LEFT and _UP_STEP.
        levelled = np.empty((4, rows.shape[0]))
        level_forward_up(acc, gravity, out=levelled[:2], left=levelled[2])
        levelled[3] = levelled[1]
        self._wide.process_rows(levelled[:3])
        self._band.process_rows(levelled[3:])
        rows[:, _FORE : _UP_STEP + 1] = levelled.T
        rows[:, _MAG] = mag
        if self._gyro:
            # Turning rate about the vertical (gravity's direction).
            norm = np.sqrt(np.einsum("ij,ij->i", gravity, gravity))
            rows[:, _TURN] = np.einsum(
                "ij,ij->i", np.ascontiguousarray(rows[:, _GYRO]), gravity
            ) / np.where(norm > 0, norm, 1.0)

    def _examine(self, hist: FloatArray, stop: int, events: list[Event]) -> None:
        super()._examine(hist, stop, events)
        if self._held and self._bout is None:
            self._try_start(hist, len(hist) - 1, events)

    def _regularity(
        self, bout: Bout, duration_s: float
    ) -> tuple[float | None, float | None, float | None]:
        history = self._history
        if self._wrist or bout.steps < 4 or not len(history):
            return None, None, None
        self._derive()
        hist = history.view()
        t = hist[:, T]
        lo = max(bout.start_t, bout.last_peak_t - self.params.regularity_window_s)
        a = int(np.searchsorted(t, lo))
        b = int(np.searchsorted(t, bout.last_peak_t, side="right"))
        step_s = duration_s / (bout.steps - 1) if bout.steps > 1 else math.nan
        reg = gait_regularity(hist[a:b, _UP_STEP], self._fs, step_s)
        return reg.step, reg.stride, reg.symmetry

    def _examine_peaks(self, hist: FloatArray, peaks: list[int], events: list[Event]) -> None:
        """Examine the local maxima above the threshold whose look-ahead is complete now.

        ``peaks`` (history rows) come from ``_derive``; the window tests run only on these.
        """
        v = hist[:, _UP_STEP]
        t = hist[:, T]
        for i in peaks:
            if v[i] <= v[max(0, i - self._back) : i].max(initial=-np.inf):
                continue
            if v[i] < v[i + 1 : i + self._ahead + 1].max():
                continue
            if self._flight_near(hist, i):
                # A jump's push-off or landing, not a step; what was held before it was the
                # jump's preparation.
                self._held = []
                self._rise = None
                continue
            confirm = i + self._ahead
            self._try_start(hist, confirm, events)
            self._trunk_candidate(hist, i, float(t[i]), float(v[i]), float(t[confirm]), events)

    def _flight_near(self, hist: FloatArray, i: int) -> bool:
        """Whether the body flew (a jump) from ``jump_guard_s`` before row ``i`` to its
        look-ahead: a spell below ``flight_g`` whose missing support, the integral of
        ``flight_g - |a|`` over it, reaches ``min_flight_gs``.

        A flight is told by how long and how deep the support goes, not by one sample below
        a level: in free fall the trunk sensor still reads 0.1-0.4 g (it rotates), for the
        whole flight (0.2-0.6 s). Measured below 0.6 g: a jump's flight gives 0.045 g·s or
        more on 99 % of the 412 simulated jumps (0.15 g·s median; the real sacrum jump far
        more: 0.34 s below 0.5 g), while walking dips give at most 0.018 g·s at the real
        chest, 0.013 on the upper arm and the wrist, 0.008 in a back pocket, 0.003 at the
        real lower back (brisk walkers' 0.31-0.42 g dips last one or two samples), 0.033 for a
        swinging bag, 0.009 on the simulated walks; 0.04 g·s sits 21 % above the bag and 11 %
        below the simulated jumps' 1st percentile (those are 25 Hz files whose anti-alias
        filter smears the flight; at 100 Hz and above every simulated flight exceeds 0.08).
        """
        p = self.params
        # A flight that ended within the guard counts whole, however early it began.
        lo = max(0, i - self._guard - self._flight_rows)
        mag = hist[lo : i + self._ahead + 1, _MAG]
        below = mag < p.flight_g
        if not below.any():
            return False
        deficit = np.where(below, p.flight_g - mag, 0.0) / self._fs
        # Sums over each spell below the level: the running sum at a spell's end minus the
        # one before its start.
        total = np.concatenate(([0.0], np.cumsum(deficit)))
        edges = np.diff(np.concatenate(([False], below, [False])).astype(np.int8))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        recent = ends > i - self._guard - lo
        return bool(recent.any() and (total[ends] - total[starts])[recent].max() >= p.min_flight_gs)

    def _try_start(self, hist: FloatArray, upto: int, events: list[Event]) -> None:
        """Judge the held peaks once the rise of the next step's pulse is seen.

        Rather than wait for that next peak's own look-ahead, the held steps may start a bout
        at the first sample (not before the last held peak's confirmation) where the vertical
        acceleration, having fallen below ``min_peak_g`` after the last held peak, rises to it
        again at least ``min_step_s`` after that pulse rose, within ``max_step_s`` of the
        peak: the rise is the next step's, and the walk's evidence (``_walk_evidence``) is
        judged with it. ``upto`` is the last sample index examined now.
        """
        held = self._held
        if not held or self._bout is not None or held[-1].value_g > _EARLY_START_MAX_G:
            return
        p = self.params
        last = held[-1]
        if len(held) == 1 and last.value_g < p.min_peak_g:
            return  # a weak lone pulse waits for the next step's own peak (``_judge``)
        if self._rise is not None and self._rise[0] is last and self._rise[3] is None:
            return  # judged at its rise already, or no rise within reach
        self._derive()  # the rise of the next step is sought up to the newest row
        t = hist[:, T]
        v = hist[:, _UP_STEP]
        i1 = int(np.searchsorted(t, last.peak_t))
        gap = self._held_gap_s()
        reach = round((gap + 2.0 * self._lookahead_s) * self._fs)
        upto = min(upto, i1 + reach)
        second_g = p.min_peak_g
        # The last pulse's rise, and the rises after its peak that come a step later (no step
        # is shorter than ``min_step_s``: a wobble within the step is not one). Both are
        # remembered for the held peak (``_rise``): the pulse's rise lies in the past, and each
        # call searches only the samples after those searched before.
        first = i1 + 1
        if self._rise is not None and self._rise[0] is last:
            _, rise0_t, rose, searched = self._rise
            assert searched is not None
            first = max(first, searched - self._history.first + 1)
        else:
            back = max(0, i1 - reach)
            rises = np.flatnonzero(v[back:i1] < second_g)
            rose = bool(rises.size)
            rise0_t = float(t[back + int(rises[-1]) + 1]) if rose else last.peak_t
        if upto < first:
            self._rise = (last, rise0_t, rose, self._history.first + first - 1)
            return
        high = v[first - 1 : upto + 1] >= second_g
        ups = first + np.flatnonzero(high[1:] & ~high[:-1])
        ups = ups[t[ups] - rise0_t >= p.min_step_s]
        if ups.size == 0:
            done = t[upto] - last.peak_t > gap + self._lookahead_s
            self._rise = (last, rise0_t, rose, None if done else self._history.first + upto)
            return
        r = int(ups[0])
        if t[r] - last.peak_t > gap:
            self._rise = (last, rise0_t, rose, None)
            return
        k = max(r, int(np.searchsorted(t, last.confirm_t)))
        if k > upto:
            self._rise = (last, rise0_t, rose, self._history.first + r - 1)
            return
        self._rise = (last, rise0_t, rose, None)
        now_t = float(t[k])
        # Step time from rise to rise (the last pulse's rise to the next one's): the stride
        # window for the step's direction then spans a whole stride, where leakage from the
        # side-to-side sway cancels.
        step_s = float(t[r]) - rise0_t if rose else now_t - last.peak_t
        self._settle_until(t, now_t, events)
        self._judge(hist, now_t, float(t[r]), step_s, events)

    def _trunk_candidate(
        self,
        hist: FloatArray,
        i: int,
        peak_t: float,
        value: float,
        now_t: float,
        events: list[Event],
    ) -> None:
        p = self.params
        self._settle_until(hist[:, T], now_t, events)
        seg_start = float(hist[0, T])
        contact_t = max(peak_t - p.contact_offset_s, seg_start)
        bout = self._bout
        if bout is not None and peak_t - bout.last_peak_t <= self._step_gap_s():
            interval = peak_t - bout.last_peak_t
            recent = median(self._recent) if self._recent else None
            if value >= p.min_peak_g or (
                recent is not None
                and _WEAK_STEP_FRACTION * recent <= interval <= _WEAK_STEP_LATEST * recent
            ):
                self._emit_trunk_step(hist, peak_t, contact_t, now_t, events)
            return
        held = self._held
        if held and peak_t - held[-1].peak_t > self._held_gap_s():
            held.clear()
        if not held and value < (p.min_peak_g if self._wrist else p.min_start_peak_g):
            return
        held.append(_Held(peak_t, contact_t, value, now_t))
        if len(held) > _MAX_HELD:
            del held[0]
        if len(held) >= 2:
            self._judge(hist, now_t, None, None, events)

    def _judge(
        self,
        hist: FloatArray,
        now_t: float,
        rise_t: float | None,
        rise_step_s: float | None,
        events: list[Event],
    ) -> None:
        """Start a bout with the held peaks (the newest ones) if they are a walk's steps.

        ``rise_t``: the next step's pulse has risen then, ``rise_step_s`` after the last held
        one did (``_try_start``); otherwise the newest held peak has just been confirmed.
        The longest run of held peaks that the evidence accepts starts the bout; the earlier
        ones are let go.
        """
        held = self._held
        for first in range(len(held)):
            run = held[first:]
            if rise_t is None and len(run) < 2:
                break
            if len(run) == 1 and run[0].value_g < self.params.min_peak_g:
                continue  # a weak pulse and a rise: wait for the next step's own peak
            if self._wrist:
                # The wrist swings with every step and with squats alike and tells nothing
                # by lean or fore-aft motion: a full pulse and the next one's rise start it.
                ok = rise_t is not None and run[0].value_g >= self.params.min_peak_g
            else:
                ok = self._walk_evidence(hist, run, now_t, rise_t, rise_step_s) >= 0.0
            if not ok:
                continue
            held.clear()
            self._rise = None
            # The walk's direction over the whole strides the held steps span (over a whole
            # stride, leakage from the side-to-side sway cancels); with two pulses only, the
            # stride ending at the second (before the first, the walker stood or started).
            if len(run) >= 3:
                strides = (len(run) - 1) // 2
                window = (run[-1 - 2 * strides].peak_t, run[-1].peak_t)
                first_step_s = run[1].peak_t - run[0].peak_t
            else:
                following = run[1].peak_t if len(run) == 2 else rise_t
                assert following is not None
                first_step_s = (
                    following - run[0].peak_t
                    if len(run) == 2 or rise_step_s is None
                    else rise_step_s
                )
                window = (following - 2.0 * first_step_s, following)
            for h in run:
                self._emit_trunk_step(
                    hist,
                    h.peak_t,
                    h.contact_t,
                    now_t,
                    events,
                    interval_s=first_step_s,
                    window=window,
                )
            return

    def _walk_evidence(
        self,
        hist: FloatArray,
        run: list[_Held],
        now_t: float,
        rise_t: float | None,
        rise_step_s: float | None,
    ) -> float:
        """Evidence that the held peaks ``run`` are a walk's steps: a logit, positive for
        walking (``walk_features``, ``_EVIDENCE_2``, ``_EVIDENCE_3``, ``_RHYTHM_3``).

        Margins, measured by ``benchmarks/walk_evidence.py`` on every run of held peaks of the
        real trunk recordings, the simulated fixtures and the stress set (seed 0): over two
        pulses, no run at real rest (191, highest logit 0.8 against 1.5) nor on the
        step-free simulated files (125, highest 1.3) starts a bout, while 74 % of real walks'
        first runs and 81 % of simulated ones do (the rest wait for a third pulse); over
        three or more, no run at real rest (348, highest 0.1 against 1.0; rhythm 1.5
        against 3.0) nor step-free simulated (161, highest 0.2; rhythm 0.6), while 96.8 % of
        real walks' first runs and 98.7 % of simulated ones do. The real runs at rest are
        Casale's chest sitting, standing and talking where the trunk is still.
        """
        features = self._walk_features(hist, run, now_t, rise_t, rise_step_s)
        if features.pulses < 3:
            return _EVIDENCE_2.logit(features) - _START_LOGIT_2
        return max(
            _EVIDENCE_3.logit(features) - _START_LOGIT_3,
            _RHYTHM_3.logit(features) - _RHYTHM_LOGIT_3,
        )

    def _walk_features(
        self,
        hist: FloatArray,
        run: list[_Held],
        now_t: float,
        rise_t: float | None,
        rise_step_s: float | None,
    ) -> WalkFeatures:
        return walk_features(
            hist[:, T],
            hist[:, _UP_STEP],
            hist[:, _FORE],
            hist[:, _UP],
            hist[:, _ACC],
            [h.peak_t for h in run],
            [h.value_g for h in run],
            now_t,
            rise_t,
            rise_step_s,
            self._fs,
            self._lean_sos,
        )

    def _emit_trunk_step(
        self,
        hist: FloatArray,
        peak_t: float,
        contact_t: float,
        now_t: float,
        events: list[Event],
        interval_s: float | None = None,
        window: tuple[float, float] | None = None,
    ) -> None:
        """Count the step whose vertical peak came at ``peak_t``.

        Direction is the sagittal loop's sense over ``window`` if given (the held steps a
        bout starts with share the loop over the whole strides they span), else over the
        stride ending at the step. ``interval_s``: the step time, where no bout gives it.
        """
        bout = self._bout
        if bout is not None:
            interval = peak_t - bout.last_peak_t
        else:
            assert interval_s is not None
            interval = interval_s
        strides = 1
        if window is None:
            window = (peak_t - 2.0 * interval, peak_t)
        else:
            strides = max(1, round((window[1] - window[0]) / (2.0 * interval)))
        t = hist[:, T]
        a = int(np.searchsorted(t, window[0]))
        b = int(np.searchsorted(t, window[1])) + 1
        heading = None
        if not self._wrist:
            fore = hist[a:b, _FORE]
            left = hist[a:b, _LEFT]
            self._heading.learn(fore, left, strides)
            heading = self._heading.turn()
        if heading is None:
            # The wrist, or a band turned on the body so far that its forward axis lies
            # nearer the side than the walking axis: which way is forward is not known.
            direction, confidence = Direction.UNKNOWN, None
        else:
            cos, sin = heading
            rotation = sagittal_rotation(cos * fore + sin * left, hist[a:b, _UP])
            direction = Direction.FORWARD if rotation >= 0.0 else Direction.BACKWARD
            confidence = abs(rotation)
            # A trunk gyroscope shows turns: walking a curve or turning on the spot, the
            # centripetal acceleration and the yaw of the trunk under the band mix into the
            # fore-aft axis and the loop's sense says little (IPOL U-turns; the mobgap
            # lower-back daily-living trial, where turning steps came out backward).
            turning = (
                self._gyro
                and b > a
                and abs(float(hist[a:b, _TURN].mean())) > self.params.max_turn_dps
            )
            if confidence < _WEAK_ROTATION or turning:
                # A loop with hardly any sense (turning on the spot, the step that closes a
                # walk, shuffling) keeps the bout's direction so far: a walker does not switch
                # between forward and backward within a bout without stopping. Without a
                # clear direction so far, the step's is unknown.
                if bout is not None and bout.steps >= 3 and bout.forward > 2 * bout.backward:
                    direction = Direction.FORWARD
                elif bout is not None and bout.steps >= 3 and bout.backward > 2 * bout.forward:
                    direction = Direction.BACKWARD
                else:
                    direction = Direction.UNKNOWN
        self._count_step(contact_t, peak_t, interval, direction, now_t, confidence, None, events)
