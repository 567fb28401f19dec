"""Steps with direction (forward/backward), walking bouts and gait regularity, streaming.

One detector, ``StepDetector``, with a method per placement:

- **chest, waist** (accelerometer; a gyroscope only flags turns): steps are peaks of the
  levelled, band-passed vertical acceleration; direction is the rotation sense of the
  sagittal-plane acceleration loop over the stride ending at the step
  (``analysis.gait.sagittal_rotation``), not trusted while the trunk turns fast.
- **shank/ankle, foot, with gyroscope**: each swing is a peak of the sagittal angular rate;
  its sign is the direction (forward swing turns the segment's lower end forward, a negative
  rate about the body's left axis), the contact is where the swing rotation ends.
- **shank/ankle, foot, accelerometer only**: each swing is a hump of dynamic acceleration
  with a contact shock (a transient that survives an 8 Hz high-pass; pedalling turns the leg
  smoothly and has none), the contact is the shock; direction, on the shank only, from the
  tibia's turn over the planted foot in mid-stance (the angle of gravity in the forward-up
  plane falls walking forward, rises walking backward; ``_stance_direction``), ``unknown``
  at a bout's first contact and on the foot, which lies flat through mid-stance.
- **wrist**: steps counted like the trunk's, direction ``unknown``.

A leg sensor sees one leg: the other leg's contact is emitted half a stride after each own
contact (``inferred=True``), when the stream reaches that time; the first from the swing time
(without a gyroscope, from the hump of a swing from standing); on the shank only if the
planted shank turned over its foot meanwhile (a closing step leaves the feet together).
One due inside a lost-packet gap shorter than a step is emitted when the gap ends. With a
gyroscope, a shank's bout outlives a gap that ends before the next own contact is due: the
swing after it is observed and judged on the signal after the gap.

Known limits (README): standing on the pedals bobs the trunk much like backward walking and
is told apart by a thin margin; walking mixed with bending is taken for squats; the trunk's
direction in curved walking without a gyroscope is unreliable; weak trunk peaks while
pivoting in a U-turn are taken for steps; without a gyroscope, a shank misses the other
leg's first contact when that leg steps first (backward starts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from analysis.events import Direction, Event, StepEvent, WalkBoutEvent
from analysis.gait import gait_regularity, sagittal_rotation
from analysis.params import bounded, check_ranges
from analysis.stream import GapSplitter, StreamingSOS, finite_rows, run_batch
from analysis.types import FloatArray, Placement, Samples, StreamInfo

__all__ = ["StepDetector", "StepParams", "detect_steps"]


@dataclass(frozen=True)
class StepParams:
    """Parameters of the step detector (TOML table ``[detectors.steps]``).

    Attributes
    ----------
    band_low_hz, band_high_hz
        Band of the trunk/wrist accelerations: around walking step rates of 1-2.5 Hz
        (backward walking is slower, forward brisk walking faster), removing gravity and the
        slow sway of squats below and impact transients above.
    min_peak_g
        Smallest band-passed vertical peak that starts a bout at the trunk. Straight walking
        gives 0.13-0.3 g at the lower back (measured on the real recordings in tests);
        standing still and seated pedalling stay well below.
    min_peak_in_bout_g
        Smallest peak that continues a bout: turning steps and the last step of a walk reach
        only 0.02-0.07 g at the lower back.
    direction_high_hz
        Upper corner of the band the direction feature sees: the step frequency and its
        second harmonic. Higher bands let in impact transients, which do not reverse with
        time (tested on the real walks).
    min_step_s
        A step peak is the largest within this time before it (the shortest step time: about
        0.3 s at 200 steps/min).
    lookahead_s
        Look-ahead before a step is confirmed, the detector's published latency (plus the
        contact offset). Long enough to see the flight after a jump's push-off.
    max_step_s
        Longest step time within a bout; a longer pause ends the bout. A lone trunk peak with
        no neighbour within this time is not a step.
    freefall_g
        Acceleration magnitude below which the body is in flight (a jump): no step is taken
        within ``jump_guard_s`` before or ``lookahead_s`` after it. Walking at the trunk never
        goes below about 0.6 g.
    jump_guard_s
        How long before a candidate a flight phase vetoes it (landing and rebound).
    contact_offset_s
        Time from foot contact to the trunk's vertical peak, including the band-pass filter's
        delay; measured on the real lower-back walks (heel strikes labelled).
    min_swing_dps
        Smallest sagittal angular-rate peak taken as a leg swing (walking swings reach
        250-450 dps at the shank and foot; Aminian et al. 2002).
    swing_asymmetry
        A swing rotates one way much faster than the stance the other way; pedalling turns the
        shank both ways alike. The swing peak must exceed the opposite peak within a stride by
        this factor.
    min_swing_g
        Smallest dynamic acceleration hump taken as a leg swing without a gyroscope.
    min_contact_g
        Without a gyroscope, a swing counts only if the contact after it shakes the leg to at
        least this acceleration magnitude: heel strike sends a shock of about 1.5-5 g up the
        tibia (Lafortune 1991; 1.0-6.7 g on the real IPOL feet, median 3.4-6.7 g), pedalling
        none (1.1-1.3 g at the shank in the simulated rides).
    transient_hz
        Corner of the high-pass that keeps a contact's shock and drops the smooth movement
        of the leg: heel strike loads the leg within 10-30 ms, its shock holds most of its
        energy above 10 Hz (M. A. Lafortune, J. Biomech. 24:877-886, 1991; M. W. Whittle,
        Gait Posture 10:264-275, 1999), while a pedal stroke turns the leg at 1-2 Hz and its
        harmonics.
    min_transient_g
        Without a gyroscope, a swing counts only if the contact after it carries a
        transient of at least this size (norm of the high-passed acceleration): 0.06-6.7 g at
        the labelled heel strikes of the real IPOL feet (median 2.2-5.9 g per foot, the lowest
        at shuffles after the trials), 0.36-1.1 g at the simulated shank's contacts, 0.06-0.19 g
        while pedalling in the simulated rides, where acceleration magnitude alone (up to
        1.6 g: the shank swings round the crank) does not tell.
    min_swing_deg
        Smallest angle a foot turns through in one swing (60-90° on the real IPOL feet).
    foot_rest_dps
        Angular rate (low-passed) below which a foot counts as resting on the ground.
    leg_lowpass_hz
        Low-pass corner for leg signals: keeps the swing, smooths contact transients.
    gravity_cutoff_hz
        Corner of the gravity tracker that levels the trunk signals (removes undeclared tilt).
    regularity_window_s
        Length of the bout's trunk signal kept for the regularity figures (the last seconds of
        the bout); bounds memory.
    min_bout_steps
        Fewest steps for a ``walk_bout`` event.
    max_lean_change_deg
        Largest change of the trunk's lean (acceleration low-passed at 1 Hz) while a trunk
        bout starts: starting to walk changes it by up to 13° on the real lower-back walks
        (played either way) and the simulated walks; squats and sitting down by 32-37° in the
        simulated look-alikes.
    max_turn_dps
        With a trunk gyroscope: fastest mean turning rate (about the vertical, over the stride
        ending at a step) at which the step's own loop sense is trusted; faster, it keeps the
        bout's direction or says unknown. 30 °/s is a curve of 2.3 m radius at 1.2 m/s;
        straight walking nets about 0 over a stride, a U-turn 90-120 °/s.
    """

    band_low_hz: float = field(default=0.5, metadata=bounded(0.05, 5.0))
    band_high_hz: float = field(default=3.0, metadata=bounded(0.5, 20.0))
    direction_high_hz: float = field(default=6.0, metadata=bounded(0.5, 40.0))
    min_peak_g: float = field(default=0.07, metadata=bounded(0.0, 5.0))
    min_peak_in_bout_g: float = field(default=0.025, metadata=bounded(0.0, 5.0))
    min_step_s: float = field(default=0.3, metadata=bounded(0.05, 2.0))
    lookahead_s: float = field(default=0.35, metadata=bounded(0.05, 2.0))
    max_step_s: float = field(default=1.3, metadata=bounded(0.3, 5.0))
    freefall_g: float = field(default=0.4, metadata=bounded(0.0, 1.0))
    jump_guard_s: float = field(default=1.0, metadata=bounded(0.0, 5.0))
    contact_offset_s: float = field(default=0.1, metadata=bounded(-0.5, 0.5))
    min_swing_dps: float = field(default=120.0, metadata=bounded(0.0, 2000.0))
    swing_asymmetry: float = field(default=1.8, metadata=bounded(1.0, 10.0))
    min_swing_g: float = field(default=0.3, metadata=bounded(0.0, 10.0))
    min_contact_g: float = field(default=1.3, metadata=bounded(0.0, 20.0))
    transient_hz: float = field(default=8.0, metadata=bounded(2.0, 50.0))
    min_transient_g: float = field(default=0.3, metadata=bounded(0.0, 10.0))
    min_swing_deg: float = field(default=35.0, metadata=bounded(0.0, 180.0))
    foot_rest_dps: float = field(default=60.0, metadata=bounded(1.0, 500.0))
    leg_lowpass_hz: float = field(default=4.0, metadata=bounded(0.5, 20.0))
    gravity_cutoff_hz: float = field(default=0.3, metadata=bounded(0.01, 2.0))
    regularity_window_s: float = field(default=10.0, metadata=bounded(2.0, 60.0))
    min_bout_steps: int = field(default=3, metadata=bounded(1, 1000))
    max_lean_change_deg: float = field(default=20.0, metadata=bounded(1.0, 90.0))
    max_turn_dps: float = field(default=30.0, metadata=bounded(1.0, 1000.0))

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.band_high_hz <= self.band_low_hz:
            raise ValueError(
                f"band_high_hz must exceed band_low_hz, got {self.band_high_hz} <= "
                f"{self.band_low_hz}"
            )
        if self.max_step_s <= self.min_step_s:
            raise ValueError(
                f"max_step_s must exceed min_step_s, got {self.max_step_s} <= {self.min_step_s}"
            )


#: Look-ahead for a foot with gyroscope: long enough to see it come to rest after contact.
_FOOT_LOOKAHEAD_S = 0.6

#: Low-pass corner of the shank's inclination (the angle of gravity in the forward-up plane)
#: in stance: keeps the slow turn over the planted foot, drops contact transients and most of
#: the swing. Directions held from 2 to 6 Hz on the simulated shanks; at 1.5 Hz the filter's
#: delay moves the mid-stance window into the swing.
_INCLINE_CUTOFF_HZ = 3.0
#: Smallest change of that inclination through mid-stance that tells a direction: the
#: simulated shanks turn 0.17-0.45 rad (10-26°) between a quarter and half a stride.
_MIN_INCLINE_CHANGE_RAD = 0.05

#: Shortest spell below ``freefall_g`` that a leg sensor takes for a flight (a jump): even a
#: 3 cm hop flies 0.16 s (0.17-0.54 s at the simulated shank), while a foot's swing dips
#: below 0.4 g for one or two samples (real IPOL feet: at most 0.02 s).
_MIN_FLIGHT_S = 0.05

#: A bout's first swing at least this fraction of the second counts as a full swing: the
#: other leg stepped first. Starting from standing, the first swing is a half step (feet side
#: by side to one ahead; Jian et al. 1993, "Trajectory of the body COG and COP during
#: initiation and termination of gait", Gait Posture 1:9-22).
_FULL_FIRST_SWING = 0.75

#: Half a stride in swing times: swing is about 40 % of the gait cycle at comfortable speed
#: (J. Perry and J. M. Burnfield, Gait Analysis, 2nd ed., 2010), 0.5 / 0.4 = 1.25.
_HALF_STRIDE_PER_SWING = 1.25

#: Least turn of a shank in the stance sense (gyroscope) over the half stride before a bout's
#: first swing for that swing to have come from behind (the other leg stepped first): from
#: standing the leg is still before it lifts (4-15° on the simulated shanks, anticipatory
#: sway), after the other leg's step it has turned over its foot (24-60°).
_MIN_STANCE_TURN_DEG = 20.0
#: Least fraction of the stride before's stance turn (see ``StepDetector._other_stepped``)
#: for the other leg's contact to be inferred: 0.59-1.1 while walking on, 0.25-0.32 after a
#: closing step on the simulated shanks.
_MIN_TURN_FRACTION = 0.45

#: A shank swing at walking speed, 250-450 °/s at mid-swing (Aminian et al. 2002), faster
#: than a pedalling shank turns (about 2 pi f A: 150-220 °/s for a 15-20° swing at 60-120
#: rpm; at most 155 °/s in the simulated rides), needs less asymmetry over its stride: the
#: swing that closes a walk follows a full push-off, with a smaller swing (1.66 times the
#: push-off lobe on the simulated shanks), while a pedalling shank's lobes reach 1.72 when the
#: stride window cuts one.
_FAST_SWING_DPS = 250.0
_FAST_SWING_ASYMMETRY = 1.4

#: Without a gyroscope, a leg is quiet before its swing while the dynamic acceleration
#: stays below this fraction of the swing's hump (standing before a bout's first swing).
_QUIET_FRACTION = 0.15

#: How long a foot must be still after contact to count as standing on the ground.
_FOOT_REST_S = 0.08

#: Below this net/gross ratio the sagittal loop's sense is too weak to overrule the bout's
#: direction so far. Straight walking gives 0.14-1.0 (5th percentile 0.14 on the real walks);
#: the U-turn steps and closing steps that went wrong under 30° of yaw gave 0.0-0.07.
_WEAK_ROTATION = 0.1

#: Smallest ratio of fore-aft to vertical acceleration (standard deviations) for a trunk bout
#: to start (see ``StepDetector._sways_fore_aft``).
_MIN_FORE_AFT = 0.5

#: A weak peak inside a bout (turning, the last step that brings the feet together) counts
#: only if it comes at least this fraction of the bout's recent step time after the last step.
_WEAK_STEP_FRACTION = 0.6

#: Low-pass corner of the lean estimate used to tell sitting down and squats from a walk's
#: start: fast enough to see a lean within the first step, slow enough to average a step.
_LEAN_CUTOFF_HZ = 1.0
#: Samples before the lean window that settle the filter (five time constants at 1 Hz).
_LEAN_WARMUP_S = 1.0

# Columns of the history array every mode keeps: time, then the mode's signals.
_T = 0
_WIDTH = 9
#: Raw acceleration (every placement): the input of the derived columns and the trunk's lean.
_ACC = slice(5, 8)
#: A leg with gyroscope: the raw sagittal angular rate, the input of column 1.
_RAW_SWING = 3
#: A trunk with gyroscope: the raw angular rate (three extra columns), input of column 8.
_GYRO = slice(_WIDTH, _WIDTH + 3)
#: Spare rows of the history buffer beyond what is kept: new rows are written there, and the
#: kept rows move back to the start only when it is full (once every 16 notifications of 8).
_SPARE_ROWS = 128


#: A shank's walking bout outlives a gap only if the gap ends before this fraction of the
#: usual stride (twice the recent step interval) after the last own contact: the next own
#: swing and contact are still to come and are observed; a gap that may have hidden an own
#: contact restarts the walk (a stride measured across it would span two).
_RESUME_STRIDE_FRACTION = 0.75

_max = np.maximum.reduce  # without ``ndarray.max``'s Python-level wrapper


def _median(values: list[float]) -> float:
    """Median of a short list (a handful of step times): cheaper than ``numpy.median``."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def level_forward_up(
    acc_g: FloatArray, gravity: FloatArray, out: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Forward and vertical components of ``acc_g`` after levelling each row by ``gravity``.

    The first and last rows of ``analysis.frame.rotation_to_vertical`` (shortest arc onto
    +z, heading of the forward axis kept), written out for the two rows the detector needs.
    ``out`` (shape ``(2, n)``), if given, receives forward and vertical as its rows.
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
    np.subtract(ax, gx * (horizontal / (1.0 + np.maximum(gz, -0.999999)) + az), out=out[0])
    return out[0], out[1]


@dataclass
class _Bout:
    start_t: float
    last_t: float
    last_peak_t: float
    steps: int = 0
    forward: int = 0
    backward: int = 0
    first_contact_t: float = math.nan


class StepDetector:
    """Streaming step detector with direction, walking bouts and regularity.

    Parameters
    ----------
    params
        Frozen parameters.
    info
        The stream: its placement picks the method (see the module docstring).

    Notes
    -----
    State: the gap splitter, the causal filters' ``zi``, a history of the last
    ``regularity_window_s`` plus a few seconds of filtered signals (bounded), the number of
    history samples not yet examined, a held first candidate of a trunk bout, the bout in
    progress and a scheduled inferred contact (leg placements). Events depend only on sample
    values and times, never on how the stream is chunked.
    """

    def __init__(self, params: StepParams, info: StreamInfo) -> None:
        self.params = params
        self.info = info
        fs = info.sample_rate_hz
        self._fs = fs
        placement = info.placement.canonical
        self._leg = placement in (Placement.SHANK, Placement.FOOT, Placement.THIGH)
        self._gyro = self._leg and info.has_gyro
        self._trunk_gyro = not self._leg and info.has_gyro
        self._wrist = placement is Placement.WRIST
        self._foot = placement is Placement.FOOT
        self._gaps = GapSplitter(fs)
        nyq = 0.45 * fs
        self._gravity = StreamingSOS(
            signal.butter(2, params.gravity_cutoff_hz, fs=fs, output="sos")
        )
        self._lean_sos = signal.butter(2, min(_LEAN_CUTOFF_HZ, nyq), fs=fs, output="sos")
        self._band = StreamingSOS(
            signal.butter(
                2,
                [params.band_low_hz, min(params.band_high_hz, nyq)],
                btype="band",
                fs=fs,
                output="sos",
            ),
        )
        self._wide = StreamingSOS(
            signal.butter(
                2,
                [params.band_low_hz, min(params.direction_high_hz, nyq)],
                btype="band",
                fs=fs,
                output="sos",
            ),
        )
        self._leg_lp = StreamingSOS(
            signal.butter(2, min(params.leg_lowpass_hz, nyq), fs=fs, output="sos")
        )
        self._transient = StreamingSOS(
            signal.butter(2, min(params.transient_hz, nyq), btype="high", fs=fs, output="sos")
        )
        self._shank = placement is Placement.SHANK
        self._incline = StreamingSOS(
            signal.butter(2, min(_INCLINE_CUTOFF_HZ, nyq), fs=fs, output="sos")
        )
        # A leg sensor sees one swing per stride, two steps.
        self._back = max(1, round(params.min_step_s * fs * (2.0 if self._leg else 1.0)))
        lookahead_s = params.lookahead_s
        if self._foot and self._gyro:
            # A foot's rest after contact comes up to 0.6 s after the swing peak.
            lookahead_s = max(lookahead_s, _FOOT_LOOKAHEAD_S)
        self._lookahead_s = lookahead_s
        self._ahead = max(1, round(lookahead_s * fs))
        self._guard = max(0, round(params.jump_guard_s * fs))
        # A leg's own swing can cancel gravity for an instant: with a gyroscope (which tells
        # pedalling by its rotation) a flight must last; without one, any dip vetoes: a
        # pedalling leg dips below it too (0.26 g at the simulated shank), and that veto is
        # part of what keeps pedalling out.
        self._flight = max(1, round(_MIN_FLIGHT_S * fs)) if self._gyro else 1
        keep_s = params.regularity_window_s + params.max_step_s + params.lookahead_s + 2.0
        self._keep = max(round(keep_s * fs), self._back + self._ahead + self._guard + 2)
        # History columns: t, forward and vertical (wide band, for direction), vertical (step
        # band), |a| raw, raw acceleration (3, for the lean at bout starts);
        # legs: t, swing signal (dps or g), |a| raw, then without gyroscope the contact
        # transient and the inclination; trunk also: turning rate (with gyroscope).
        # The history lives in a preallocated buffer (see ``_append``); positions in the
        # stream are absolute sample indices, the buffer's first row is ``_base``.
        self._width = _WIDTH + (3 if self._trunk_gyro else 0)
        self._buf: FloatArray = np.zeros((self._keep + _SPARE_ROWS, self._width))
        self._base = 0
        self._n = 0  # the next sample
        self._lo = 0  # the history's first sample
        self._done = 0  # the first sample whose derived columns are not computed yet
        self._seg_first = 0  # the current segment's first sample
        self._cands: list[int] = []  # local maxima not yet examined (see ``_derive``)
        self._hist: FloatArray = self._buf[:0]
        self._unexamined = 0
        # A held first peak of a trunk bout: (peak_t, contact_t, confirmed at t).
        self._pending: tuple[float, float, float] | None = None
        # For the held peak: its pulse's rise time, whether it rose from below the threshold,
        # and the last sample searched for the next rise (see ``_try_start``).
        self._rise: tuple[tuple[float, float, float], float, bool, int] | None = None
        self._bout: _Bout | None = None
        self._recent: list[float] = []  # recent step intervals in the bout (peak times)
        self._last_own_contact: float | None = None
        self._last_inferred_t: float | None = None
        self._first_swing_deg: float | None = None
        self._last_swing: float | None = None  # angle of the last own swing (gyroscope)
        # The other leg's inferred contact: (due at t, direction, the own contact it follows
        # and that swing's sign, for the stance-turn check; None where not checked).
        self._scheduled: tuple[float, Direction, tuple[float, float] | None] | None = None
        self._last_turn_deg: float | None = None  # own stance turn over the last half stride
        self._first_stance_deg: float | None = None
        self._last_t: float | None = None
        # A walking bout on a shank with gyroscope kept across a short gap: the history
        # holds only what came after it.
        self._resumed = False

    @property
    def latency_s(self) -> float:
        """Look-ahead before a step is confirmed plus the contact offset (trunk)."""
        extra = 0.0 if self._leg else max(0.0, self.params.contact_offset_s)
        return self._lookahead_s + extra

    # ------------------------------------------------------------------ stream interface

    def update(self, chunk: Samples) -> list[Event]:
        chunk = finite_rows(chunk)
        events: list[Event] = []
        for seg, after_gap in self._gaps.split(chunk):
            if after_gap:
                self._restart(events, float(seg.time_s[0]))
            n = seg.time_s.shape[0]
            hist = self._hist = self._append(seg)
            size = hist.shape[0]
            stop = size - self._ahead
            if stop > size - n - self._unexamined:
                self._examine(hist, stop, events)
            if self._scheduled is not None or self._bout is not None:
                self._settle(hist[:, _T], size - n, size, events)
            self._unexamined = min(size, self._ahead)
            self._lo = max(self._lo, self._n - self._keep)
            # Rows leave the history only after their derived columns were computed (the
            # look-ahead is shorter than the history), so every filter sees every sample.
            assert self._done >= self._lo
            self._hist = self._buf[self._lo - self._base : self._n - self._base]
            self._last_t = float(seg.time_s[-1])
        return events

    def _examine(self, hist: FloatArray, stop: int, events: list[Event]) -> None:
        """Examine the candidates before history row ``stop``, whose look-ahead is complete.

        Those before the rows of this call were examined by earlier calls.
        """
        lo = self._lo
        # The local maxima before ``stop`` are known once the derived columns reach row
        # ``stop`` (the right neighbour).
        if self._done - lo <= stop:
            self._derive()
        cands = self._cands
        if cands and cands[0] < lo + stop:
            self._derive()  # their look-ahead reaches the newest row
            due = 1
            while due < len(cands) and cands[due] < lo + stop:
                due += 1
            peaks = [c - lo for c in cands[:due]]
            del cands[:due]
            if self._leg:
                self._examine_leg(hist, peaks, events)
            else:
                self._examine_trunk(hist, peaks, events)
        if not self._leg and self._pending is not None and self._bout is None:
            self._try_start(hist, len(hist) - 1, events)

    def flush(self) -> list[Event]:
        events: list[Event] = []
        if self._last_t is not None:
            self._close_bout(events, self._last_t)
        self._scheduled = None
        self._pending = None
        return events

    # ------------------------------------------------------------------ signals

    def _restart(self, events: list[Event], now_t: float) -> None:
        """Start of stream or a gap: close what was open, forget filter state.

        A trunk bout outlives a gap shorter than a step (lost packets while walking on): the
        walk goes on, the steps lost in the gap stay lost, and the filters and history start
        afresh after it.
        """
        keep = (
            not self._leg
            and self._bout is not None
            and self._last_t is not None
            and now_t - self._bout.last_peak_t <= self.params.max_step_s
        )
        if self._leg and self._scheduled is not None and self._last_t is not None:
            self._scheduled_in_gap(events, now_t)
        # A shank with gyroscope walking on through a gap shorter than a step keeps its bout
        # and its last own contact: the next swing, observed after the gap, closes a stride
        # across it (the other leg's contact in between is inferred as usual).
        resume = (
            self._gyro
            and self._shank
            and self._bout is not None
            and self._last_t is not None
            and self._last_own_contact is not None
            and now_t - self._last_t <= self.params.max_step_s
            and bool(self._recent)
            and now_t - self._last_own_contact
            <= _RESUME_STRIDE_FRACTION * 2.0 * _median(self._recent)
        )
        keep = keep or resume
        if self._last_t is not None and not keep:
            self._close_bout(events, now_t)
        self._gravity.reset()
        self._band.reset()
        self._wide.reset()
        self._leg_lp.reset()
        self._transient.reset()
        self._incline.reset()
        # Rows not derived yet belong to the segment that ended: never needed again.
        self._lo = self._done = self._seg_first = self._n
        self._cands = []
        self._hist = self._buf[:0]
        self._unexamined = 0
        self._pending = None
        self._scheduled = None
        self._first_swing_deg = None
        self._first_stance_deg = None
        self._last_swing = None
        self._resumed = resume
        if not resume:
            self._last_own_contact = None
            self._last_inferred_t = None
            self._last_turn_deg = None
        if not keep:
            self._recent = []

    def _scheduled_in_gap(self, events: list[Event], now_t: float) -> None:
        """The other leg's contact, scheduled before a gap shorter than a step, due in it.

        Lost packets hide the signal, not the walk: the other leg's contact was inferred
        from this leg's stride before the gap (it is never seen by this sensor), and the
        planted shank's turn towards it is checked on the signal up to the gap (a part of
        the usual window: a smaller turn, so the check only gets stricter; nothing is
        interpolated). It is emitted when the first sample after the gap arrives. A contact
        due after the gap, or behind a longer gap, is dropped with the rest of the state.
        """
        assert self._scheduled is not None and self._last_t is not None
        due_t, direction, check = self._scheduled
        self._scheduled = None
        if not self._last_t < due_t <= now_t or now_t - self._last_t > self.params.max_step_s:
            return
        if self._other_stepped(due_t, check):
            self._count_step(due_t, due_t, None, direction, now_t, None, True, events)

    def _append(self, seg: Samples) -> FloatArray:
        """Write the segment's raw values into the history buffer; the history (a view).

        A live band sends a few samples at a time: appending in place, instead of building a
        new history array on every call, and deriving the filtered columns later in batches
        (``_derive``) keeps the cost per call low. The kept rows move back to the buffer's
        start when the spare rows run out; a chunk longer than the spare rows (a file read
        in blocks) gets a buffer of its size.
        """
        n = seg.time_s.shape[0]
        r = self._n - self._base
        if r + n > self._buf.shape[0]:
            held = self._n - self._lo
            first = self._lo - self._base
            buf = self._buf
            if held + n > buf.shape[0]:
                buf = np.zeros((self._keep + n + _SPARE_ROWS, self._width))
            buf[:held] = self._buf[first : first + held]
            self._buf = buf
            self._base = self._lo
            r = held
        buf = self._buf
        rows = buf[r : r + n]
        rows[:, _T] = seg.time_s
        rows[:, _ACC] = seg.acc_g
        if self._gyro:
            assert seg.gyro_dps is not None
            rows[:, _RAW_SWING] = seg.gyro_dps[:, 1]
        elif self._trunk_gyro:
            rows[:, _GYRO] = 0.0 if seg.gyro_dps is None else seg.gyro_dps
        self._n += n
        return buf[self._lo - self._base : self._n - self._base]

    def _derive(self) -> None:
        """Compute the derived columns of every row up to the newest, and find candidates.

        The filters carry their state from row to row, and the other columns are computed
        row by row, so the values do not depend on how the rows are batched: they are the
        ones a per-chunk computation would give, computed only when an examination needs
        them (every look-ahead's worth of samples, or at a candidate). The local maxima of
        the candidate signal (trunk: band-passed vertical acceleration; leg: the swing
        signal's magnitude) above its threshold are queued for examination; the newest row,
        whose right neighbour is not known yet, is judged in the next batch, and a segment's
        first row never is a candidate.
        """
        a = self._done - self._base
        b = self._n - self._base
        if b <= a:
            return
        self._done = self._n
        rows = self._buf[a:b]
        acc = np.ascontiguousarray(rows[:, _ACC])
        mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
        if self._leg:
            if self._gyro:
                rows[:, 1] = self._leg_lp.process(rows[:, _RAW_SWING : _RAW_SWING + 1])[:, 0]
            else:
                rows[:, 1] = self._leg_lp.process(np.abs(mag - 1.0)[:, None])[:, 0]
                # The angle of gravity in the forward-up plane, for the direction in stance.
                slow = self._incline.process(acc[:, 0::2])
                rows[:, 4] = np.arctan2(slow[:, 0], slow[:, 1])
                high = self._transient.process(acc)
                rows[:, 3] = np.sqrt(np.einsum("ij,ij->i", high, high))
            rows[:, 2] = mag
            signal_col, threshold = (
                1,
                (self.params.min_swing_dps if self._gyro else self.params.min_swing_g),
            )
        else:
            gravity = self._gravity.process(acc)
            # Rows: forward and vertical (then filtered in the wide band), vertical (then in
            # the step band); columns 1-3 of the history.
            levelled = np.empty((3, b - a))
            level_forward_up(acc, gravity, out=levelled)
            levelled[2] = levelled[1]
            self._wide.process_rows(levelled[:2])
            self._band.process_rows(levelled[2:])
            rows[:, 1:4] = levelled.T
            rows[:, 4] = mag
            if self._trunk_gyro:
                # Turning rate about the vertical (gravity's direction).
                norm = np.sqrt(np.einsum("ij,ij->i", gravity, gravity))
                rows[:, 8] = np.einsum(
                    "ij,ij->i", np.ascontiguousarray(rows[:, _GYRO]), gravity
                ) / np.where(norm > 0, norm, 1.0)
            # (Without a gyroscope column 8 stays as the buffer was made: zero.)
            signal_col = 3
            threshold = min(self.params.min_peak_g, self.params.min_peak_in_bout_g)
        lo = max(a - 1, self._seg_first - self._base + 1)
        if b - 1 > lo:
            s = self._buf[lo - 1 : b, signal_col]
            if self._leg:
                s = np.abs(s)
            mid = s[1:-1]
            if _max(mid) >= threshold:  # (at rest, nothing reaches it: one reduction)
                peaks = ((mid >= threshold) & (mid > s[:-2]) & (mid >= s[2:])).nonzero()[0]
                if peaks.size:
                    self._cands.extend((peaks + (lo + self._base)).tolist())

    # ------------------------------------------------------------------ trunk and wrist

    def _examine_trunk(self, hist: FloatArray, peaks: list[int], events: list[Event]) -> None:
        """Examine the local maxima above the threshold whose look-ahead is complete now.

        ``peaks`` (history rows) come from ``_derive``; the window tests run only on these.
        """
        p = self.params
        v = hist[:, 3]
        t = hist[:, _T]
        for i in peaks:
            if v[i] <= v[max(0, i - self._back) : i].max(initial=-np.inf):
                continue
            if v[i] < v[i + 1 : i + self._ahead + 1].max():
                continue
            if hist[max(0, i - self._guard) : i + self._ahead + 1, 4].min() < p.freefall_g:
                continue  # a flight phase nearby: a jump's push-off or landing, not a step
            confirm = i + self._ahead
            self._try_start(hist, confirm, events)
            self._trunk_candidate(hist, i, float(t[i]), float(v[i]), float(t[confirm]), events)

    def _try_start(self, hist: FloatArray, upto: int, events: list[Event]) -> None:
        """Start a bout with the held first peak once the next step's rise is seen.

        The first peak of a bout is only a step if another follows within ``max_step_s``:
        rather than wait for that peak's own look-ahead, the held step is emitted at the first
        sample (not before the first peak's confirmation) where the vertical acceleration,
        having fallen below ``min_peak_in_bout_g`` after the first peak, rises to it again at
        least ``min_step_s`` after the first pulse rose, provided the trunk kept its lean.
        ``upto`` is the last sample index examined now.
        """
        pending = self._pending
        if pending is None or self._bout is not None:
            return
        self._derive()  # the rise of the next step is sought up to the newest row
        p = self.params
        peak_t, contact_t, confirm_t = pending
        t = hist[:, _T]
        v = hist[:, 3]
        i1 = int(np.searchsorted(t, peak_t))
        reach = round((p.max_step_s + 2.0 * self._lookahead_s) * self._fs)
        upto = min(upto, i1 + reach)
        # A weak second step starts the bout only once it is a step itself
        # (``_trunk_candidate``); here the second pulse is a full one.
        second_g = p.min_peak_g
        # The first pulse's rise, and the rises after its peak that come a step later (no
        # step is shorter than ``min_step_s``: a wobble within the first step is not one).
        # Both are remembered for the held peak (``_rise``): the first rise lies in the past,
        # and each call searches only the samples after those searched before.
        first = i1 + 1
        if self._rise is not None and self._rise[0] is pending:
            _, rise0_t, rose, searched = self._rise
            first = max(first, searched - self._lo + 1)
        else:
            back = max(0, i1 - reach)
            rises = np.flatnonzero(v[back:i1] < second_g)
            rose = bool(rises.size)
            rise0_t = float(t[back + int(rises[-1]) + 1]) if rose else peak_t
        high = v[first - 1 : upto + 1] >= second_g
        ups = first + np.flatnonzero(high[1:] & ~high[:-1])
        ups = ups[t[ups] - rise0_t >= p.min_step_s]
        if ups.size == 0:
            self._rise = (pending, rise0_t, rose, self._lo + max(upto, first - 1))
            # Kept until a weak second peak up to ``max_step_s`` later has been examined.
            if t[upto] - peak_t > p.max_step_s + self._lookahead_s:
                self._pending = None
            return
        r = int(ups[0])
        self._rise = (pending, rise0_t, rose, self._lo + r - 1)
        if t[r] - peak_t > p.max_step_s:
            self._pending = None
            return
        k = max(r, int(np.searchsorted(t, confirm_t)))
        if k > upto:
            return
        now_t = float(t[k])
        self._pending = None
        # The wrist turns with every arm swing: its lean says nothing about the trunk.
        if not self._wrist and not self._posture_steady(hist, peak_t - p.max_step_s, now_t):
            return
        if not self._wrist and not self._sways_fore_aft(hist, peak_t - p.max_step_s, now_t):
            return
        # Step time from rise to rise (the first pulse's rise to the second's): the stride
        # window for the first step's direction then spans a whole stride, where leakage from
        # the side-to-side sway cancels.
        step_s = float(t[r]) - rise0_t if rose else now_t - peak_t
        self._settle_until(t, now_t, events)
        self._emit_trunk_step(
            hist, peak_t, contact_t, now_t, events, next_peak_t=now_t, interval_s=step_s
        )

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
        self._settle_until(hist[:, _T], now_t, events)
        seg_start = float(hist[0, _T])
        contact_t = max(peak_t - p.contact_offset_s, seg_start)
        bout = self._bout
        if bout is not None and peak_t - bout.last_peak_t <= p.max_step_s:
            interval = peak_t - bout.last_peak_t
            if value >= p.min_peak_g or (
                self._recent and interval >= _WEAK_STEP_FRACTION * _median(self._recent)
            ):
                self._emit_trunk_step(hist, peak_t, contact_t, now_t, events)
            return
        pending = self._pending
        if (
            bout is None
            and pending is not None
            and not self._wrist
            and value >= p.min_peak_in_bout_g
            and p.min_step_s <= peak_t - pending[0] <= p.max_step_s
        ):
            # The second step may be as weak as any step within a bout (the shuffles and the
            # short steps that end a real walk reach 0.03-0.06 g at the lower back); once it is
            # a step itself (a peak confirmed like any other), it starts the bout with the held
            # first. The wrist, with no lean or fore-aft check and swinging with squats, waits
            # for a full second pulse (``_try_start``).
            first_t, first_contact_t, _ = pending
            self._pending = None
            since_t = first_t - p.max_step_s
            if self._posture_steady(hist, since_t, now_t) and self._sways_fore_aft(
                hist, since_t, now_t
            ):
                self._emit_trunk_step(
                    hist,
                    first_t,
                    first_contact_t,
                    now_t,
                    events,
                    next_peak_t=peak_t,
                    interval_s=peak_t - first_t,
                )
                self._emit_trunk_step(hist, peak_t, contact_t, now_t, events)
                return
        if value < p.min_peak_g:
            return
        self._pending = (peak_t, contact_t, now_t)

    def _posture_steady(self, hist: FloatArray, since_t: float, now_t: float) -> bool:
        """Whether the trunk kept its lean from ``since_t`` until ``now_t``.

        Walking, forward or backward, holds the trunk's lean within about ten degrees;
        sitting down, standing up and squats tilt it by tens of degrees while giving step-like
        vertical peaks.
        """
        t = hist[:, _T]
        a = int(np.searchsorted(t, since_t - _LEAN_WARMUP_S))
        b = int(np.searchsorted(t, now_t, "right"))
        skip = int(np.searchsorted(t[a:b], since_t))
        if b - a - skip < 2:
            return True
        # Low-passed here, over the window only (from steady state at its first sample), so
        # the filter runs at bout starts rather than on every chunk.
        lean = StreamingSOS(self._lean_sos).process(hist[a:b, 5:8])[skip:]
        norm = np.sqrt(np.einsum("ij,ij->i", lean, lean))
        g = lean / np.where(norm > 0, norm, 1.0)[:, None]
        cos = g @ g[-1]
        return bool(cos.min() >= math.cos(math.radians(self.params.max_lean_change_deg)))

    def _sways_fore_aft(self, hist: FloatArray, since_t: float, now_t: float) -> bool:
        """Whether the trunk's fore-aft acceleration is a walk's, not a bob's.

        Each walking step brakes and then pushes the trunk along its path (Zijlstra and Hof
        2003): over the stride where a bout starts, fore-aft acceleration has 0.56-1.39 times
        the vertical's standard deviation on the real IPOL lower-back walks (played either way)
        and 0.57-0.98 on the simulated chest and waist walks, forward and backward. Standing on
        the pedals bobs the trunk up and down with little fore-aft motion: 0.25-0.46 on the
        simulated sprints. The margin is thin (0.46 against 0.56).
        """
        t = hist[:, _T]
        a = int(np.searchsorted(t, since_t))
        b = int(np.searchsorted(t, now_t, "right"))
        if b - a < 3:
            return True
        vertical = float(np.std(hist[a:b, 2]))
        return vertical <= 0.0 or float(np.std(hist[a:b, 1])) >= _MIN_FORE_AFT * vertical

    def _emit_trunk_step(
        self,
        hist: FloatArray,
        peak_t: float,
        contact_t: float,
        now_t: float,
        events: list[Event],
        next_peak_t: float | None = None,
        interval_s: float | None = None,
    ) -> None:
        bout = self._bout
        if bout is not None:
            interval = peak_t - bout.last_peak_t
        else:
            assert next_peak_t is not None
            interval = next_peak_t - peak_t if interval_s is None else interval_s
        # The stride ending at this step; the first step of a bout borrows the stride ending
        # at the second (before the first, the walker was standing or starting).
        end_t = peak_t if next_peak_t is None else next_peak_t
        t = hist[:, _T]
        a = int(np.searchsorted(t, end_t - 2.0 * interval))
        b = int(np.searchsorted(t, end_t)) + 1
        if self._wrist:
            direction, confidence = Direction.UNKNOWN, None
        else:
            rotation = sagittal_rotation(hist[a:b, 1], hist[a:b, 2])
            direction = Direction.FORWARD if rotation >= 0.0 else Direction.BACKWARD
            confidence = abs(rotation)
            # A trunk gyroscope shows turns: walking a curve or turning on the spot, the
            # centripetal acceleration and the yaw of the trunk under the band mix into the
            # fore-aft axis and the loop's sense says little (IPOL U-turns; the mobgap
            # lower-back daily-living trial, where turning steps came out backward).
            turning = (
                self._trunk_gyro
                and b > a
                and abs(float(hist[a:b, 8].mean())) > self.params.max_turn_dps
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

    # ------------------------------------------------------------------ legs

    def _examine_leg(self, hist: FloatArray, peaks: list[int], events: list[Event]) -> None:
        """Examine the swing signal's local maxima (``_derive``) whose look-ahead is complete."""
        p = self.params
        u = hist[:, 1]
        t = hist[:, _T]
        stride = max(1, round(p.max_step_s * self._fs))
        for i in peaks:
            # A peak of its own lobe: a larger peak of the other sign nearby (a foot's push-off
            # next to its swing) does not hide it.
            sign = 1.0 if u[i] > 0 else -1.0
            peak = abs(u[i])
            if peak <= (sign * u[max(0, i - self._back) : i]).max(initial=-np.inf):
                continue
            if peak < (sign * u[i + 1 : i + self._ahead + 1]).max():
                continue
            confirm = i + self._ahead
            falling = hist[max(0, i - self._guard) : confirm + 1, 2] < p.freefall_g
            if falling.any() and (
                np.convolve(falling, np.ones(self._flight), "valid").max() >= self._flight
            ):
                continue  # a flight phase nearby: a jump, not a step
            if self._gyro:
                # The swing rotation ends at contact: the first zero crossing after the peak.
                after = sign * u[i + 1 : confirm + 1]
                ends = np.flatnonzero(after <= 0.0)
                contact_i = i + 1 + int(ends[0]) if ends.size else confirm
                if self._foot:
                    if not self._foot_swing(hist, i, contact_i, confirm, sign):
                        continue
                else:
                    if i < stride // 2 and not self._resumed:
                        # Too soon after the start or a gap to see the stride around the
                        # peak: whether it turned both ways alike cannot be told yet. Inside
                        # a walking bout kept across a short gap, what came after the gap is
                        # judged (the bout already told walking from pedalling).
                        continue
                    window = sign * u[max(0, i - stride // 2) : confirm + 1]
                    against = max(-window.min(), 0.0)
                    asymmetry = (
                        _FAST_SWING_ASYMMETRY if peak >= _FAST_SWING_DPS else p.swing_asymmetry
                    )
                    if window.max() < asymmetry * against:
                        continue  # both ways alike: pedalling, not a swing
                direction = Direction.FORWARD if sign < 0 else Direction.BACKWARD
                back_i = max(0, i - stride)
                prior = np.flatnonzero(sign * u[back_i:i] <= 0.0)
                lobe_start = back_i + int(prior[-1]) + 1 if prior.size else back_i
                swing_deg: float | None = float((sign * u[lobe_start:contact_i]).sum()) / self._fs
                if lobe_start == 0 and self._resumed:
                    swing_deg = None  # the lobe began in the gap: its angle is not seen whole
                swing_time_s = float(t[contact_i] - t[lobe_start])
                swing_s: float | None = swing_time_s
                # The own shank's turn in the stance sense over about half a stride before
                # this swing: the other leg's swing carried the body over this foot.
                before_n = round(_HALF_STRIDE_PER_SWING * swing_time_s * self._fs)
                stance_deg: float | None = (
                    float((-sign * u[max(0, lobe_start - before_n) : lobe_start]).sum()) / self._fs
                )
                swing_sign = sign
                hump_s = None
            else:
                swing_deg = swing_s = stance_deg = None
                swing_sign = 0.0
                hump_s = None
                direction = Direction.UNKNOWN
                if hist[i : confirm + 1, 2].max() < p.min_contact_g:
                    continue  # no ground contact shock: pedalling or a leg swung in the air
                # The shock comes before the hump it raises peaks (the low-pass delays it).
                shock_i = max(0, i - self._back // 2)
                shock = hist[shock_i : confirm + 1, 3]
                if shock.max() < p.min_transient_g:
                    continue  # a smooth push, no contact transient: pedalling
                # The contact is the shock itself.
                contact_i = shock_i + int(np.argmax(shock))
                # The swing's duration, where the leg was quiet before it (a bout's first
                # swing, from standing): from the last quiet sample to the contact.
                back_i = max(0, i - stride)
                quiet = np.flatnonzero(u[back_i:i] < _QUIET_FRACTION * u[i])
                if quiet.size:
                    hump_s = float(t[contact_i] - t[back_i + int(quiet[-1]) + 1])
                if self._shank:
                    direction = self._stance_direction(hist, float(t[contact_i]))
            self._leg_contact(
                hist,
                float(t[contact_i]),
                direction,
                float(t[confirm]),
                swing_deg,
                swing_s,
                events,
                stance_deg,
                swing_sign,
                hump_s,
            )

    def _stance_direction(self, hist: FloatArray, contact_t: float) -> Direction:
        """Walking direction from the shank's rotation over the planted foot (no gyroscope).

        Through mid-stance the foot is flat and the tibia turns over the ankle: forward, the
        knee travels ahead of the ankle (the ankle rocker; Perry and Burnfield 2010), and
        backward walking, forward walking in reverse time (Thorstensson 1986), turns it back.
        The leg moves slowly then, so the accelerometer reads gravity, whose angle in the
        forward-up plane falls as the knee moves ahead. Measured between a quarter and half a
        stride after the previous own contact; a turn of the band on the leg (tilt) offsets
        that angle (pitch) or scales its change (roll, yaw) but does not flip the change.
        Unknown for a bout's first contact (no stance seen yet) and where the change is too
        small to tell.
        """
        previous = self._last_own_contact
        if previous is None:
            return Direction.UNKNOWN
        stride = contact_t - previous
        if not 2.0 * self.params.min_step_s <= stride <= 2.0 * self.params.max_step_s:
            return Direction.UNKNOWN  # not a stride of this leg (see ``_leg_contact``)
        t = hist[:, _T]
        a = int(np.searchsorted(t, previous + 0.25 * stride))
        b = int(np.searchsorted(t, previous + 0.5 * stride))
        if a <= 0 or b >= len(t) or b <= a:
            return Direction.UNKNOWN
        change = float(hist[b, 4] - hist[a, 4])
        if abs(change) < _MIN_INCLINE_CHANGE_RAD:
            return Direction.UNKNOWN
        return Direction.FORWARD if change < 0.0 else Direction.BACKWARD

    def _foot_swing(
        self, hist: FloatArray, i: int, contact_i: int, confirm: int, sign: float
    ) -> bool:
        """Whether the rotation lobe around ``i`` is a foot's swing.

        A foot turns fast three times per stride: heel rise and push-off, the swing, and the
        slap to foot-flat after contact; push-off can out-peak the swing. The swing is the lobe
        that turns the foot through a large angle (the foot pitches 60-90° between toe-off and
        contact; measured on the IPOL feet) and is followed, after contact, by the foot at
        rest on the ground (stance; Skog et al. 2010 detect it the same way for foot-mounted
        navigation). Push-off is followed by the swing, not by rest; the slap turns through
        little angle. Pedalling never rests the foot.
        """
        p = self.params
        u = hist[:, 1]
        t = hist[:, _T]
        lo = i
        while lo > 0 and sign * u[lo - 1] > 0.0:
            lo -= 1
        dt = 1.0 / self._fs
        angle = float(np.sum(sign * u[lo:contact_i])) * dt
        if angle < p.min_swing_deg:
            return False
        rest = np.abs(u[contact_i : confirm + 1]) < p.foot_rest_dps
        need = max(1, round(_FOOT_REST_S * self._fs))
        if rest.size < need:
            return False
        run = np.convolve(rest.astype(np.float64), np.ones(need), mode="valid")
        return bool((run >= need).any()) and float(t[confirm] - t[contact_i]) >= 0.0

    def _leg_contact(
        self,
        hist: FloatArray,
        contact_t: float,
        direction: Direction,
        now_t: float,
        swing_deg: float | None,
        swing_s: float | None,
        events: list[Event],
        stance_deg: float | None = None,
        swing_sign: float = 0.0,
        hump_s: float | None = None,
    ) -> None:
        p = self.params
        t = hist[:, _T]
        self._settle_until(t, now_t, events)
        previous = self._last_own_contact
        last_swing = self._last_swing
        self._last_swing = swing_deg
        stride = None
        if (
            previous is not None
            and 2.0 * p.min_step_s <= contact_t - previous <= 2.0 * p.max_step_s
        ):
            # Shorter than two of the shortest steps, the two were not both this leg's (at a
            # bout's start the other leg's first contact can shake it as much): no stride.
            stride = contact_t - previous
        scheduled = self._scheduled
        inferred_since = self._last_inferred_t is not None and (
            previous is not None and self._last_inferred_t > previous
        )
        first = self._first_swing_deg
        first_stance = self._first_stance_deg
        if previous is not None and stride is not None and first is not None:
            self._first_swing_deg = None
            self._first_stance_deg = None
            before = previous - 0.5 * stride
            if (
                swing_deg is not None
                and first >= _FULL_FIRST_SWING * swing_deg
                and (first_stance is None or first_stance >= _MIN_STANCE_TURN_DEG)
                and before >= float(t[0])
            ):
                # The bout's first swing was a full one: it started from behind, so the other
                # leg had stepped first. Gait started from standing opens with a half step.
                self._count_step(before, before, None, direction, now_t, None, True, events)
        if previous is not None and stride is not None and scheduled is None and not inferred_since:
            # The first stride of a bout: the other leg's contact fell half-way, in the past.
            mid = previous + 0.5 * stride
            self._count_step(mid, mid, 0.5 * stride, direction, now_t, None, True, events)
        elif scheduled is not None and scheduled[0] < contact_t:
            # Not yet reached (cadence rose): the other leg's contact still fell in between.
            self._scheduled = None
            self._count_step(
                scheduled[0], scheduled[0], None, scheduled[1], now_t, None, True, events
            )
        self._scheduled = None
        if stride is None:
            self._first_swing_deg = swing_deg
            self._first_stance_deg = stance_deg if self._shank else None
        interval = None if stride is None else 0.5 * stride
        self._count_step(contact_t, contact_t, interval, direction, now_t, None, False, events)
        self._last_own_contact = contact_t
        half_s = None
        if stride is not None:
            half_s = 0.5 * stride
        elif swing_s is not None:
            # No stride yet: swing takes about 40 % of a stride (Perry and Burnfield 2010),
            # so the other leg's contact comes about 1.25 swing times after this one.
            half_s = _HALF_STRIDE_PER_SWING * swing_s
        elif previous is not None and contact_t - previous < 2.0 * p.min_step_s:
            # The earlier contact was the other leg's, one step ago: its next comes about a
            # step after this one.
            half_s = max(contact_t - previous, p.min_step_s)
        elif hump_s is not None and p.min_step_s <= _HALF_STRIDE_PER_SWING * hump_s <= p.max_step_s:
            # Without a gyroscope, a swing from standing shows where it began: the other
            # leg's contact comes about 1.25 swing times after this one, as above.
            half_s = _HALF_STRIDE_PER_SWING * hump_s
        if (
            self._shank
            and stride is not None
            and last_swing is not None
            and swing_deg is not None
            and swing_deg < _FULL_FIRST_SWING * last_swing
        ):
            # A half swing after full ones brings the feet together: the walk ends, and the
            # other leg, already beside this one, takes no further step (gait termination
            # mirrors initiation; Jian et al. 1993). Should the walk go on, the next own
            # contact still emits the other leg's in between. Shank only: a foot's swing angle
            # also holds the push-off and varies more from step to step.
            half_s = None
        if half_s is not None:
            due_t = contact_t + half_s
            check = (contact_t, swing_sign) if self._shank else None
            if due_t <= now_t:
                # Already past (a long look-ahead): the other leg's contact is due now.
                if self._other_stepped(due_t, check):
                    self._count_step(due_t, due_t, None, direction, now_t, None, True, events)
            else:
                self._scheduled = (due_t, direction, check)

    # ------------------------------------------------------------------ steps and bouts

    def _count_step(
        self,
        contact_t: float,
        peak_t: float,
        interval: float | None,
        direction: Direction,
        now_t: float,
        confidence: float | None,
        inferred: bool | None,
        events: list[Event],
    ) -> None:
        p = self.params
        bout = self._bout
        gap = p.max_step_s * (2.0 if self._leg else 1.0)
        if bout is not None and peak_t - bout.last_peak_t > gap:
            self._close_bout(events, now_t)
            bout = None
        if bout is None:
            self._recent = []
            bout = self._bout = _Bout(start_t=contact_t, last_t=contact_t, last_peak_t=peak_t)
        elif interval is None:
            interval = peak_t - bout.last_peak_t
        if interval is not None and interval > 0:
            self._recent = [*self._recent[-3:], interval]
        cadence = 60.0 / _median(self._recent) if self._recent else None
        bout.steps += 1
        bout.forward += direction is Direction.FORWARD
        bout.backward += direction is Direction.BACKWARD
        bout.start_t = min(bout.start_t, contact_t)
        bout.last_t = max(bout.last_t, contact_t)
        bout.last_peak_t = max(bout.last_peak_t, peak_t)
        if inferred:
            self._last_inferred_t = contact_t
        events.append(
            StepEvent(
                t=contact_t,
                detected_at=now_t,
                direction=direction,
                cadence_spm=cadence,
                inferred=inferred,
                confidence=confidence,
            )
        )

    def _other_stepped(self, due_t: float, check: tuple[float, float] | None) -> bool:
        """Whether the other leg's step carried the body over this (planted) shank.

        When the other leg swings through and lands, the planted shank turns over its foot in
        the stance sense (the ankle rocker; Perry and Burnfield 2010), 37-49° over half a
        stride on the simulated shanks. A walk that ends with this leg's closing step has the
        feet side by side: the shank stands near vertical and turns little (10-13°; gait
        termination, Jian et al. 1993), and the other leg takes no further step. The turn from
        the own contact to ``due_t`` is compared with the stride before's. Without a
        gyroscope the turn is the change of the shank's inclination (as in
        ``_stance_direction``) over the second half of that time, clear of the contact's
        transient: 13-23° walking on, 0.3-8° after a closing step on the simulated shank.
        """
        if check is None:
            return True
        self._derive()
        contact_t, sign = check
        t = self._hist[:, _T]
        b = int(np.searchsorted(t, due_t))
        if self._gyro:
            a = int(np.searchsorted(t, contact_t))
            turn = float((-sign * self._hist[a:b, 1]).sum()) / self._fs
        else:
            a = int(np.searchsorted(t, 0.5 * (contact_t + due_t)))
            b = min(b, len(t) - 1)
            turn = abs(float(self._hist[b, 4] - self._hist[a, 4])) if b > a else 0.0
            turn = math.degrees(turn)
        last = self._last_turn_deg
        self._last_turn_deg = turn
        return last is None or turn >= _MIN_TURN_FRACTION * last

    def _deadline(self) -> float:
        p = self.params
        gap = p.max_step_s * (2.0 if self._leg else 1.0)
        assert self._bout is not None
        return self._bout.last_peak_t + gap + self._lookahead_s

    def _settle_until(self, t: FloatArray, now_t: float, events: list[Event]) -> None:
        """Fire scheduled contacts and bout ends due at samples up to ``now_t``."""
        stop = int(np.searchsorted(t, now_t, side="right"))
        self._settle(t, 0, stop, events)

    def _settle(self, t: FloatArray, start: int, stop: int, events: list[Event]) -> None:
        """Fire what falls due at the samples ``t[start:stop]`` (in time order)."""
        if stop <= start:
            return
        # Times increase: whether anything falls due is seen at the last sample.
        last_t = float(t[stop - 1])
        if self._scheduled is not None and self._scheduled[0] <= last_t:
            due_t, direction, check = self._scheduled
            k = int(np.searchsorted(t[:stop], due_t))
            if k < stop:
                self._scheduled = None
                now_t = float(t[max(k, start)])
                if self._other_stepped(due_t, check):
                    self._count_step(due_t, due_t, None, direction, now_t, None, True, events)
        if self._bout is not None and self._deadline() < last_t:
            deadline = self._deadline()
            k = int(np.searchsorted(t[:stop], deadline, side="right"))
            if k < stop:
                self._close_bout(events, float(t[max(k, start)]))

    def _close_bout(self, events: list[Event], now_t: float) -> None:
        bout = self._bout
        if bout is None:
            return
        self._bout = None
        self._resumed = False
        self._last_turn_deg = None
        if bout.steps < self.params.min_bout_steps:
            return
        duration = bout.last_t - bout.start_t
        cadence = 60.0 * (bout.steps - 1) / duration if duration > 0 else 0.0
        if bout.forward > bout.backward:
            direction = Direction.FORWARD
        elif bout.backward > bout.forward:
            direction = Direction.BACKWARD
        else:
            direction = Direction.UNKNOWN
        step_reg = stride_reg = symmetry = None
        if not self._leg and not self._wrist and bout.steps >= 4 and len(self._hist):
            self._derive()
            t = self._hist[:, _T]
            lo = max(bout.start_t, bout.last_peak_t - self.params.regularity_window_s)
            a = int(np.searchsorted(t, lo))
            b = int(np.searchsorted(t, bout.last_peak_t, side="right"))
            step_s = duration / (bout.steps - 1) if bout.steps > 1 else math.nan
            reg = gait_regularity(self._hist[a:b, 3], self._fs, step_s)
            step_reg, stride_reg, symmetry = reg.step, reg.stride, reg.symmetry
        events.append(
            WalkBoutEvent(
                t=bout.last_t,
                detected_at=max(now_t, bout.last_t),
                start_t=bout.start_t,
                end_t=bout.last_t,
                direction=direction,
                steps=bout.steps,
                steps_forward=bout.forward,
                steps_backward=bout.backward,
                cadence_spm=cadence,
                step_regularity=step_reg,
                stride_regularity=stride_reg,
                symmetry=symmetry,
            )
        )


def detect_steps(
    samples: Samples, info: StreamInfo, params: StepParams | None = None
) -> list[Event]:
    """Steps and walking bouts of a whole recording (the stream fed in one go).

    Parameters
    ----------
    samples
        Body-frame samples (x forward, y left, z up).
    info
        The stream's rate, placement and channels.
    params
        Detector parameters; the defaults were tuned on the real recordings and the
        project's simulated set.

    Returns
    -------
    list of Event
        ``StepEvent`` and ``WalkBoutEvent`` in emission order.
    """
    return run_batch(StepDetector(params or StepParams(), info), samples)
