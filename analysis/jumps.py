"""Streaming jump detector: takeoff, landing, flight time, height, impact and direction.

A body-fixed accelerometer reads specific force: about 1 g standing, well above 1 g while the
legs push the body off the ground, close to 0 g in flight, and a sharp peak when the feet land.
The detector looks for that structure rather than for one threshold crossing:

1. **Flight candidate.** A run of samples whose magnitude ``|a|`` stays below
   ``flight_max_g``. The magnitude needs no orientation, so tilt and trunk rotation do not
   matter here. A body-fixed sensor does not read 0 g in flight: trunk rotation adds
   centripetal and tangential terms (0.1–0.4 g on the real sacrum recording of McGinnis et al.),
   so the run threshold sits above that, and runs split by a brief excursion (a strap bouncing)
   are joined.
2. **Edges.** The flight's own level is the median ``|a|`` of the run. Takeoff is located
   where the propulsion drop, walked forward from the last pushing sample, first reaches that
   level plus ``edge_margin_g``; landing where the impact's rise, walked back from the first
   sample after the run, last left it. Walking back from the impact means a flight that
   drifts up to 0.4 g is never mistaken for the landing (a fixed 0.3 g threshold lands 80 ms
   early on the sacrum recording). Landing is then refined to where the rise left the
   flight's local level (the impact's onset), interpolated between the two samples that
   straddle it; an impact whose first sample is already far up is put no earlier than the
   middle of the interval before it. Takeoff is put ``takeoff_drop_fraction`` of the way up
   the propulsion drop from the flight's local level towards body weight: after takeoff a
   trunk sensor reads a lever-arm rotation term that settles over tens of milliseconds, so
   the end of the drop comes late. On a chest band at 90 Hz and above, where that term
   dominates ``|a|``, takeoff is where the specific force along standing gravity falls to
   zero (``JumpDetector._vertical_takeoff``).
3. **Physics check.** Leaving the ground with vertical speed ``v = g·T/2`` needs an upward
   impulse of ``T/2`` g·s above body weight before takeoff, and landing needs the same after
   (Bosco et al. 1983; momentum balance). The net ``∫ (|a| − 1 g) dt`` over the ground phase
   before takeoff must reach ``min_impulse_ratio`` of it, and ``∫ max(|a| − 1 g, 0) dt`` in
   the look-ahead after landing ``min_landing_impulse_ratio``; the landing must pass body
   weight within tens of milliseconds and peak above ``min_landing_peak_g``. Stomps, heel
   drops and squats have no flight; sitting down hard falls without pushing off first;
   running strides fly shorter than ``min_flight_s``; a shank swinging on the pedals climbs
   back slowly.
4. **Confirmation** after ``landing_window_s`` of samples past the landing: the published
   latency. An event once emitted is never withdrawn.

Direction comes from the horizontal impulse at push-off and at landing along the body's
forward axis (see ``JumpDetector`` Notes), levelled by gravity at a quasi-static moment before
the jump: with a gyroscope the orientation is tracked from there; without one a direction is
told only where the two impulses oppose each other beyond what a lean could leak into them,
or (``backward`` only) where their antisymmetric part does (``unknown`` elsewhere).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from analysis.events import Direction, Event, JumpEvent
from analysis.frame import rotation_to_vertical
from analysis.params import BRIDGED_GAP_S, bounded, check_ranges
from analysis.stream import DetectorBase, History, run_batch
from analysis.types import FloatArray, Placement, Samples, StreamInfo
from analysis.units import STANDARD_GRAVITY_M_S2

# History columns.
_T, _AX, _AY, _AZ, _MAG, _WX, _WY, _WZ = range(8)
_COLUMNS = 8

#: Below this rate the takeoff drop (about 50 ms) and the impact rise (10-20 ms) span one or
#: two samples, too few for a tangent: the edges keep the level-crossing rules alone.
_TANGENT_MIN_RATE_HZ = 90.0

#: On the leg, a rise of |a| smaller than this on the way down into the flight (the leg
#: wobbling as the foot leaves) does not end the propulsion drop.
_LEG_WOBBLE_G = 0.3

#: On the leg the impact's peak is looked for this long after the flight's last sample
#: (the tibial shock peaks within about 10-20 ms of contact; Lafortune et al. 1996).
_LEG_IMPACT_PEAK_S = 0.03

#: Standing, for the upper trunk's takeoff reference: mean specific force within this of 1 g
#: and a spread (root of the summed per-axis variances) below ``_STANDING_SPREAD_G``.
_STANDING_TOLERANCE_G = 0.1
_STANDING_SPREAD_G = 0.1

#: Without a gyroscope, a landing window holding more upward impulse above body weight
#: than this share of the fall's ``T/2`` g·s is already launching the next jump (a rebound:
#: the window then carries that jump's push too). Measured along the standing gravity, the
#: stop itself holds at most all of it; the 20 % over it is for a trunk band's lever-arm term
#: (fresh simulated landings without a rebound: 0.07-1.06; the real sacrum jump 0.90, where
#: ``|a|`` would read 1.21).
_STOP_RATIO_MAX = 1.2

#: Rows processed per internal block: bounds how far the history must reach back.
_BLOCK_ROWS = 256


@dataclass(frozen=True)
class JumpParams:
    """Parameters of the jump detector (TOML table ``[detectors.jumps]``).

    Parameters
    ----------
    flight_max_g
        ``|a|`` below this may be flight. Free fall reads 0 g; trunk rotation adds up to about
        0.4 g on the real sacrum recording; standing reads 1 g and walking trunks stay above
        about 0.6 g.
    edge_margin_g
        Takeoff and landing are first located where ``|a|`` crosses the flight's median
        level plus this.
    edge_level_s, edge_noise_g
        Each edge is then refined to where ``|a|`` comes within ``edge_noise_g`` (a few times
        the sensor noise) of the flight's level over the ``edge_level_s`` next to it.
    takeoff_drop_fraction
        Takeoff is put this fraction of the way up the propulsion drop, from the flight level
        towards body weight (0: where the drop meets the flight level, the ground force's
        zero for a sensor at the centre of mass). A trunk sensor reads a lever-arm rotation
        term that changes when the ground's torque vanishes and settles over tens of
        milliseconds, so the end of the drop comes late: on the labelled real sacrum jump 0
        gives 9 ms, 0.35 gives 5 ms, 0.5 gives 3 ms of flight-time error. 0.35 keeps the
        flights of running strides (about 0.1 s) measured below ``min_flight_s``. At 90 Hz
        and above, takeoff moves later to where the drop's steepest fall, extended forward,
        meets the flight's level, and the landing to where the impact's steepest rise,
        extended back, leaves it (a slow drift up before the impact is the trunk's
        rotation, not contact). On the leg (at any rate) takeoff and landing are both put
        half-way through their transitions, between the flight's level and the push's
        plateau or the impact's peak: both edges are abrupt there and the sensor's filter
        delays them alike; the momentum checks keep this rule's takeoff, later by the
        filter's spread, as the push's end.
    abrupt_rise_g
        When the first sample after the flight is more than this above the flight level, the
        impact began somewhere in the sample interval before it: landing is put at no earlier
        than the interval's midpoint.
    min_flight_s, max_flight_s
        Flight times outside this range are not jumps. 0.14 s keeps hops of 0.15 s and stays
        above the flight of running strides (about 0.1 s, measured up to 0.13 s with the
        takeoff rule below); 1.0 s is a 1.2 m jump.
    leg_min_flight_s
        ``min_flight_s`` for a band on the leg: the leg moves against the body in the air
        (the ankle's push at takeoff, the leg reaching for the ground before landing), so
        its quiet stretch is shorter than the flight, while a running stride's swing keeps a
        leg far from free fall.
    merge_gap_s, bridge_max_g
        Two low runs separated by at most ``merge_gap_s`` whose samples in between stay below
        ``bridge_max_g`` are one flight (a strap or belt bouncing in the air).
    landing_window_s
        Samples looked at after landing (impact peak, impulse, direction); the published
        latency.
    push_window_s
        Samples looked at before takeoff for the propulsion impulse.
    min_impulse_ratio, min_landing_impulse_ratio
        Fractions of the momentum balance ``T/2`` g·s the propulsion impulse and the landing
        impulse within the look-ahead must reach.
    flight_depth_window_s, max_flight_depth_g
        A flight looks like one, duration and depth together: the stillest
        ``flight_depth_window_s`` between takeoff and landing (the whole flight if shorter)
        must average below ``max_flight_depth_g``, and how far below sets the jump's
        ``confidence`` (``1 - depth / max_flight_depth_g``). A dip of one or two samples
        below ``flight_max_g`` averages far above it over 60 ms. Margin, measured (the
        ``|a|`` rules alone accepting them): the real shin walk's 106 would-be flights
        (RealWorld, 50 Hz, with and without gyroscope) average 0.441 g and more (0.44-0.91),
        1.23x the level; the 611 simulated jumps of the fixtures and of the stress set
        (``retrosense simulate stress --count 200 --seed 1``: chest, waist, shank at 25-200 Hz,
        loose straps) at most 0.299 g (a loose strap ringing at 9 Hz through the flight),
        the level 1.20x above it; the real sacrum jump 0.108 g. Simulated pedalling without
        a gyroscope dips to 0.24-0.35 g at the top of the stroke: this rule does not tell
        those (their ``confidence`` stays below 0.35) -- the activity stage does
        (``analysis/activity.py``: no jump inside a pedalling or walking bout unless its
        flight is unmistakable).
    min_landing_peak_g
        The landing must peak at least this high (an impact of 10-20 ms can fall between
        samples at 25 Hz, so the sampled peak may be far below the true one).
    landing_rise_g, landing_rise_s
        ... and pass ``landing_rise_g`` within ``landing_rise_s`` of the landing (at least 1.5
        sample periods): feet meeting the ground load the body at once.
    direction_window_s
        Length of the push-off and landing windows whose forward impulses give the direction
        (without a gyroscope; with one, of the landing window only).
    gyro_push_window_s, gyro_reference_lead_s, quiet_window_s
        With a gyroscope, the push-off window. How far before takeoff to look for a
        quasi-static moment, whose mean specific force is gravity (and from which a
        gyroscope tracks the orientation), and that moment's length.
    min_travel_m
        A jump whose estimated horizontal travel is shorter than this is ``vertical``.
    lean_tolerance_deg
        Without a gyroscope, the push-off and landing impulses must have opposite signs and
        each exceed what a lean this far off the standing posture leaks into its window
        (``sin θ`` · 1 g · ``direction_window_s``), or the direction is ``unknown``: the
        trunk flexes by tens of degrees in the countermovement and in the landing's
        absorption, and nothing in the accelerometer alone tells that lean from a push.
    set_pause_s
        A takeoff more than this long after the previous landing starts a new set.
    max_contact_s
        Two jumps are linked (contact time and reactive strength index reported) when the
        ground contact between them is at most this long.
    softness_ref_s
        Effective stopping time scoring 0.5 on the softness scale (see ``JumpEvent`` fields).
    max_bridged_gap_s
        A gap in the samples (lost packets) up to this long, shorter than a step, does not
        restart the detector: runs, edges and impulses go on across it with the samples
        either side held (a gap inside a flight leaves the flight's low run whole); a longer
        gap forgets everything before it.
    max_tilt_deg
        Where gravity before the jump is further than this from the declared up axis, the
        band is not worn as declared (its forward axis means nothing): direction ``unknown``.
        Trunk lean at push-off, low-passed, stays well inside it.
    takeoff_tail_s
        On the upper trunk (a chest band at 90 Hz and above), how much later than the
        tangent at its steepest fall the vertical ground force reaches zero at takeoff (see
        ``JumpDetector._vertical_takeoff``). The force's last phase is rounded as the ankle
        plantar-flexes and the toes leave: on the real force plate of the MLR_ISB2021
        countermovement jump (shared/data/real/cmj-chest-phone-forceplate, 128 Hz) the
        tangent meets zero 10.5 ms before the plate's force does (a 50 ms raised-cosine fall
        to zero, as the simulator draws the end of propulsion, gives 9 ms).
    leg_sensor_height_m
        With a gyroscope on the leg: how far above the ankle the band sits along the shank.
        The shank pivots about the ankle while the foot is on the ground (straightening in
        the push, flexing in the landing's absorption), so the band moves against the body
        by ``ω × r``; that relative velocity at each window's ends is taken out of its
        impulse, which then measures the ankle's, i.e. the body's, change of speed. The
        shank is about 0.25 of body height, 0.43 m for 1.75 m (Winter, Biomechanics and
        Motor Control of Human Movement, 4th ed. 2009, table 4.1); a band worn mid-shank
        sits about 0.25 m up.
    chest_sensor_height_m
        With a gyroscope on the chest: how far above the body's centre of mass the strap
        sits. The trunk flexes by tens of degrees in the landing's absorption and is still
        extending at push-off, so the strap moves against the centre of mass by ``ω × r``
        (0.3-0.5 m/s at the landing window's end, as much as a jump's speed): taken out of
        both windows' impulses like the shank's pivot. On fresh simulated chest runs with a
        gyroscope, direction 82-84 % -> 100 % (98.9 % at 0.15 m, 93-94 % at 0.4 m). A
        chest strap sits at about 0.72 of body height (Drillis, Contini and Bluestein's
        segment proportions, in Winter 2009, fig. 4.1), the standing centre of mass at about
        0.55 of it: 0.17 H, 0.3 m for 1.75 m.
    """

    flight_max_g: float = field(default=0.6, metadata=bounded(0.05, 0.95))
    edge_margin_g: float = field(default=0.15, metadata=bounded(0.0, 0.9))
    edge_level_s: float = field(default=0.05, metadata=bounded(0.0, 0.2))
    edge_noise_g: float = field(default=0.03, metadata=bounded(0.0, 0.5))
    abrupt_rise_g: float = field(default=0.5, metadata=bounded(0.05, 10.0))
    takeoff_drop_fraction: float = field(default=0.35, metadata=bounded(0.0, 0.9))
    min_flight_s: float = field(default=0.14, metadata=bounded(0.02, 2.0))
    leg_min_flight_s: float = field(default=0.09, metadata=bounded(0.02, 2.0))
    max_flight_s: float = field(default=1.0, metadata=bounded(0.05, 3.0))
    merge_gap_s: float = field(default=0.03, metadata=bounded(0.0, 0.05))
    bridge_max_g: float = field(default=1.0, metadata=bounded(0.1, 3.0))
    landing_window_s: float = field(default=0.2, metadata=bounded(0.15, 0.3))
    push_window_s: float = field(default=0.5, metadata=bounded(0.1, 2.0))
    min_impulse_ratio: float = field(default=0.5, metadata=bounded(0.0, 2.0))
    min_landing_impulse_ratio: float = field(default=0.25, metadata=bounded(0.0, 2.0))
    flight_depth_window_s: float = field(default=0.06, metadata=bounded(0.0, 0.2))
    max_flight_depth_g: float = field(default=0.36, metadata=bounded(0.05, 0.95))
    min_landing_peak_g: float = field(default=1.3, metadata=bounded(1.0, 20.0))
    landing_rise_g: float = field(default=1.2, metadata=bounded(0.5, 20.0))
    landing_rise_s: float = field(default=0.08, metadata=bounded(0.005, 0.3))
    direction_window_s: float = field(default=0.2, metadata=bounded(0.05, 0.3))
    gyro_push_window_s: float = field(default=0.35, metadata=bounded(0.05, 1.0))
    gyro_reference_lead_s: float = field(default=1.5, metadata=bounded(0.3, 2.0))
    quiet_window_s: float = field(default=0.2, metadata=bounded(0.02, 1.0))
    min_travel_m: float = field(default=0.075, metadata=bounded(0.0, 2.0))
    lean_tolerance_deg: float = field(default=10.0, metadata=bounded(0.0, 45.0))
    set_pause_s: float = field(default=3.0, metadata=bounded(0.1, 600.0))
    max_contact_s: float = field(default=1.0, metadata=bounded(0.05, 10.0))
    softness_ref_s: float = field(default=0.1, metadata=bounded(0.001, 10.0))
    max_bridged_gap_s: float = field(default=BRIDGED_GAP_S, metadata=bounded(0.0, 1.0))
    max_tilt_deg: float = field(default=55.0, metadata=bounded(0.0, 90.0))
    takeoff_tail_s: float = field(default=0.0105, metadata=bounded(0.0, 0.03))
    leg_sensor_height_m: float = field(default=0.25, metadata=bounded(0.0, 0.6))
    chest_sensor_height_m: float = field(default=0.3, metadata=bounded(0.0, 0.6))

    def __post_init__(self) -> None:
        check_ranges(self)
        if self.min_flight_s >= self.max_flight_s:
            raise ValueError(
                f"min_flight_s must be below max_flight_s, got {self.min_flight_s} "
                f">= {self.max_flight_s}"
            )
        if self.direction_window_s > self.landing_window_s:
            raise ValueError(
                "direction_window_s must not exceed landing_window_s (the look-ahead), got "
                f"{self.direction_window_s} > {self.landing_window_s}"
            )


class _Candidate(NamedTuple):
    """A finished low run: global sample indices and its refined edges."""

    run_start: int  # first low sample
    run_end: int  # first sample after the run
    start_t: float  # time of run_start
    end_t: float  # time of run_end
    takeoff_t: float
    landing_t: float
    flight_level_g: float
    ground_t: float  # end of the low run before this one: the ground phase began there
    # On the leg: the last flight sample; the landing is refined once the sample after
    # ``run_end`` has arrived (-1: final).
    pending_from: int = -1
    # Where the impact's rise first left the flight's level: the physics checks count from
    # here (on the trunk the landing itself).
    onset_t: float = math.nan
    # Where the push ends for the impulse check (on the trunk the takeoff itself; on the leg
    # the level rule's, later than the mid-transition takeoff reported).
    push_end_t: float = math.nan


class JumpDetector(DetectorBase):
    """Streaming jump detector; see the module docstring for the method.

    Parameters
    ----------
    params
        Frozen parameters; never changed by a run.
    info
        The stream: sample rate, placement, gyroscope, accelerometer range.

    Notes
    -----
    **Direction.** With ``a_f`` the forward component of specific force in the levelled frame,
    ``I_push = ∫ a_f dt`` over a window before takeoff and ``I_land`` over
    ``direction_window_s`` after landing. Jumping backward pushes the body backward
    (``I_push < 0``) and the landing stops it (``I_land > 0``); a forward jump is the mirror,
    and ``v = g·(I_push − I_land)/2`` estimates the horizontal speed, ``v·T`` the travel
    (below ``min_travel_m``: ``vertical``). A rebound's push-off also stops the previous
    jump, whose speed is added back. Without a gyroscope both windows are
    ``direction_window_s`` long and levelled by gravity at the quasi-static moment before
    the jump (below). A trunk lean ``θ`` off that posture leaks ``−g·sin θ`` into the
    forward axis, and a trunk flexes by tens of degrees in the countermovement and again
    in the landing's absorption: over 0.2 s at 2 g a 5° error in the lean is as large as
    the whole push of a 0.5 m jump, and nothing in an accelerometer alone tells a lean from
    a push. A lean leaks the same sign into both windows, a travel opposite signs, so a
    direction (``backward`` only: a strap ringing after the landing can oppose a vertical
    jump's push) is told only where ``I_push`` and ``I_land`` have opposite signs and each
    exceeds what a lean of ``lean_tolerance_deg`` leaks into its window, or where their
    antisymmetric part ``(I_push − I_land)/2`` is below minus that leak:
    it cancels a lean shared by both windows, and what it keeps of the lean's asymmetry
    leans towards forward (``_direction_without_gyro``); elsewhere it is
    ``unknown`` (``vertical`` only where neither window alone implies ``min_travel_m``).
    In a rebound the previous jump's speed is no better than its own lean leak, so the
    push is taken from the contact's second half instead of adding that speed back.
    With a gyroscope the samples from a quasi-static moment before the jump on are
    rotated into the orientation there (gyro integration over about a second, so its bias
    does not matter) and levelled by that moment's gravity; the push window is then
    ``gyro_push_window_s``. A band's own motion about the point whose speed the impulses
    measure, ``ω × r`` at each window's ends, is taken out: about the ankle on the leg
    (``leg_sensor_height_m``), about the centre of mass on the chest
    (``chest_sensor_height_m``). The quasi-static moment is the stillest
    ``quiet_window_s`` (least change of the specific force, least rotation) in the
    ``gyro_reference_lead_s`` before takeoff; its mean specific force is gravity there.

    **Loading rate** is the average rate of rise of ``|a|`` from the landing onset to the
    landing peak, ``(peak − flight level) / (t_peak − landing_t)`` in g/s: the accelerometer
    analogue of the average vertical loading rate of force-plate studies (Milner et al. 2006).

    **Softness** scores ``τ / (τ + softness_ref_s)`` with ``τ = T / (2·(peak − 1))`` seconds,
    the time the landing peak would need to stop the landing speed ``g·T/2``: a soft landing
    (bent knees, the force spread out) has a long ``τ`` and scores near 1, a stiff landing
    near 0. When the peak is clipped the score is an upper bound.

    **Reactive strength index** is flight time over the ground contact time that preceded
    the jump (Flanagan and Comyns 2008), reported for linked jumps only.

    References
    ----------
    Bosco C, Luhtanen P, Komi PV (1983). A simple method for measurement of mechanical power
    in jumping. Eur J Appl Physiol 50:273–282.
    Flanagan EP, Comyns TM (2008). The use of contact time and the reactive strength index to
    optimize fast stretch-shortening cycle training. Strength Cond J 30(5):32–38.
    McGinnis RS et al. (2016). Accelerometer and gyroscope based measurements of
    countermovement jump performance (ryan-mcginnis/vertical-jump example data).
    Milner CE, Ferber R, Pollard CD, Hamill J, Davis IS (2006). Biomechanical factors
    associated with tibial stress fracture in female runners. Med Sci Sports Exerc 38:323–328.
    """

    block_rows = _BLOCK_ROWS

    def __init__(self, params: JumpParams, info: StreamInfo) -> None:
        # A gap up to ``max_bridged_gap_s`` (lost packets) does not restart the detector:
        # the history runs on, samples held across it. A merge must still precede the
        # confirmation of the run it extends, whatever the chunking: see ``_due``.
        super().__init__(info, max(1.5, params.max_bridged_gap_s * info.sample_rate_hz))
        self.params = params
        p = params
        fs = info.sample_rate_hz
        # The history reaches back over the push window, the longest flight and the look-ahead,
        # plus one internal block; 1.5× for timestamps denser than nominal.
        lead_s = max(p.push_window_s, p.gyro_push_window_s, p.gyro_reference_lead_s)
        reach_s = lead_s + p.max_flight_s + p.landing_window_s + p.merge_gap_s + 0.2
        capacity = math.ceil(1.5 * reach_s * fs) + _BLOCK_ROWS + 8
        self._capacity = capacity
        self._hist = History(capacity, _COLUMNS, spare=_BLOCK_ROWS)
        self._seg_start = 0  # global index of the first sample of the current segment
        self._seg_id = 0
        self._last_low = False
        self._in_run = False
        self._run_start = 0
        self._run_start_t = 0.0
        self._run_ground_t = -math.inf
        self._last_run_end_t = -math.inf
        self._run_valid = False
        self._pending: list[_Candidate] = []
        self._prev_landing_t: float | None = None
        self._prev_landing_seg = -1
        self._prev_speed_m_s = 0.0
        self._prev_flight_s = 0.0
        self._quiet_gravity = np.array([0.0, 0.0, 1.0])
        # With a gyroscope: gravity in the band's frame at the last jump's landing (global
        # sample index, unit vector), carried into a rebound that follows it.
        self._carried: tuple[int, FloatArray] | None = None
        # The standing gravity of the last upper-trunk takeoff that had one (this segment):
        # a rebound's takeoff reference (see ``_vertical_takeoff``), and when it last served.
        self._standing_ref: FloatArray | None = None
        self._standing_ref_t = -math.inf
        self._repetition = 0
        self._set_number = 0

    @property
    def latency_s(self) -> float:
        """Look-ahead after landing before a jump is confirmed, plus one sample period."""
        return self.params.landing_window_s + 1.0 / self.info.sample_rate_hz

    # -- streaming -----------------------------------------------------------------------

    def flush(self) -> list[Event]:
        # A candidate whose landing window is incomplete cannot be checked: dropped.
        self._pending = []
        return []

    def _restart(self, t_s: float, events: list[Event]) -> None:
        self._hist.clear()
        self._pending = []
        self._seg_start = self._hist.end
        self._seg_id += 1
        self._last_low = False
        self._in_run = False
        self._run_valid = False
        self._last_run_end_t = -math.inf
        self._standing_ref = None
        self._carried = None

    def _process(self, block: Samples, events: list[Event]) -> None:
        n = len(block)
        t = block.time_s
        acc = block.acc_g
        mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
        hist = self._hist
        base = hist.end
        rows = hist.append(n)
        rows[:, _T] = t
        rows[:, _AX : _AZ + 1] = acc
        rows[:, _MAG] = mag
        if block.gyro_dps is not None:
            rows[:, _WX : _WZ + 1] = block.gyro_dps
        else:
            rows[:, _WX : _WZ + 1] = np.nan
        hist.keep_last(self._capacity)

        p = self.params
        low = (mag < p.flight_max_g).view(np.int8)
        steps = np.empty(n, dtype=np.int8)
        steps[0] = low[0] - (1 if self._last_low else 0)
        np.subtract(low[1:], low[:-1], out=steps[1:])
        self._last_low = bool(low[-1])
        t_last = float(t[-1])
        if not self._pending and not steps.any():
            return
        transitions = np.flatnonzero(steps).tolist()
        if not transitions and self._pending and self._due(self._pending[0]) > t_last:
            return
        data: FloatArray | None = None
        for i in transitions:
            g = base + i
            if data is None:
                data = self._hist.view()
            if steps[i] > 0:
                self._run_begins(g, float(t[i]), data)
            else:
                self._run_ends(g, float(t[i]), data)
        if self._pending:
            if data is None:
                data = self._hist.view()
            events.extend(self._confirm(data, t_last))
        return

    def _local(self, g: int) -> int:
        """History row of global sample index ``g``."""
        return g - self._hist.first

    def _run_begins(self, g: int, t_g: float, data: FloatArray) -> None:
        p = self.params
        if self._pending:
            last = self._pending[-1]
            a, b = self._local(last.run_end), self._local(g)
            if (
                t_g - last.end_t <= p.merge_gap_s + 1e-9
                and a >= 0
                and float(data[a:b, _MAG].max()) < p.bridge_max_g
            ):
                self._pending.pop()
                self._in_run = True
                self._run_start = last.run_start
                self._run_start_t = last.start_t
                self._run_ground_t = last.ground_t
                self._run_valid = True
                return
        self._in_run = True
        self._run_start = g
        self._run_start_t = t_g
        self._run_ground_t = self._last_run_end_t
        self._run_valid = g > self._seg_start

    def _run_ends(self, g: int, t_g: float, data: FloatArray) -> None:
        p = self.params
        if self._in_run and t_g - self._run_start_t >= 0.5 * p.min_flight_s:
            # Airborne long enough to matter (a dip of a sample or two is not a flight).
            self._last_run_end_t = t_g
        if not (self._in_run and self._run_valid):
            self._in_run = False
            return
        self._in_run = False
        if t_g - self._run_start_t > p.max_flight_s + 0.1:
            return
        s, e = self._local(self._run_start), self._local(g)
        if s < 1:
            return
        mag = data[:, _MAG]
        t = data[:, _T]
        run = mag[s:e]
        level = _median(run)
        edge = min(level + p.edge_margin_g, p.flight_max_g)
        below = np.flatnonzero(run < edge)
        k0 = s + int(below[0])  # first sample below the edge level: takeoff lies before it
        k1 = s + int(below[-1])  # last sample below it: landing lies after it
        # Refine each edge to where it meets the flight's level next to it: the end of the
        # propulsion drop, the onset of the impact. The flight drifts (trunk rotation), so
        # its level is taken locally, over ``edge_level_s`` inside the run.
        m = max(1, round(p.edge_level_s * self.info.sample_rate_hz))
        takeoff_level = _median(mag[k0 : min(k0 + m, e)]) + p.edge_noise_g
        landing_level = _median(mag[max(k1 + 1 - m, s) : k1 + 1]) + p.edge_noise_g
        j0 = _first_below(mag, k0, min(k0 + m, e), min(takeoff_level, edge))
        j1 = _last_below(mag, max(k1 + 1 - m, s), k1 + 1, min(landing_level, edge))
        takeoff_t = _crossing(t[j0 - 1], t[j0], mag[j0 - 1], mag[j0], min(takeoff_level, edge))
        if p.takeoff_drop_fraction > 0.0:
            # Takeoff part of the way down the propulsion drop, from the flight level towards
            # body weight: after takeoff a trunk sensor reads the rotation (lever-arm) term,
            # which changes when the ground's torque vanishes and settles over tens of
            # milliseconds, so the end of the drop comes late.
            floor = takeoff_level - p.edge_noise_g
            mid = floor + p.takeoff_drop_fraction * (1.0 - floor)
            lo = max(k0 - round(0.15 * self.info.sample_rate_hz), 0)
            above = np.flatnonzero(mag[lo:k0] >= mid)
            if above.size:
                i = lo + int(above[-1])
                takeoff_t = _crossing(t[i], t[i + 1], mag[i], mag[i + 1], mid)
        resolved = self.info.sample_rate_hz >= _TANGENT_MIN_RATE_HZ
        push_end_t = takeoff_t
        if self.info.placement.is_leg:
            # On the leg the push ends abruptly at toe-off, and so does the rise of the
            # impact: the sensor's low-pass filter spreads and delays both alike, so both
            # are measured half-way through (see ``_refine_leg_landing``); what follows the
            # drop is the leg moving in the air (the ankle's plantar flexion), which keeps
            # |a| up for tens of milliseconds. The drop is the falling stretch that leads
            # into the run (not an impact before).
            # A wobble of the leg on the way down (a rise of less than the leg's noise in
            # flight, ``leg_wobble_g``) does not end it.
            stop = max(s - round(0.1 * self.info.sample_rate_hz), 1)
            lo = s - 1
            top = float(mag[lo])
            while lo > stop and mag[lo - 1] >= top - _LEG_WOBBLE_G:
                lo -= 1
                top = max(top, float(mag[lo]))
            floor = takeoff_level - p.edge_noise_g
            half = 0.5 * (float(mag[lo:s].max()) + floor)
            above = np.flatnonzero(mag[lo:j0] >= half)
            if above.size and floor < half:
                i = lo + int(above[-1])
                takeoff_t = _crossing(t[i], t[i + 1], mag[i], mag[i + 1], half)
            else:
                takeoff_t = _steepest_fall(t, mag, lo, j0, takeoff_t)
        elif resolved:
            upper = None
            if self.info.placement.canonical is Placement.CHEST:
                rebound = t[s] - self._run_ground_t <= p.max_contact_s
                upper = self._vertical_takeoff(data, s, max(j0, s + 2), e, rebound)
            if upper is None:
                takeoff_t = max(takeoff_t, _drop_end(t, mag, s, j0, takeoff_level))
            else:
                takeoff_t = upper
        elif self.info.placement.canonical is Placement.CHEST:
            # Below 90 Hz a rebound's |a| drop is as late as at 100 Hz (30-58 ms on fresh
            # simulated drills at 50 Hz): its takeoff too is taken on the vertical.
            rebound = t[s] - self._run_ground_t <= p.max_contact_s
            upper = self._vertical_takeoff(data, s, max(j0, s + 2), e, rebound, True)
            if upper is not None:
                takeoff_t = upper
        landing_level = min(landing_level, edge)
        landing_t = _crossing(t[j1], t[j1 + 1], mag[j1], mag[j1 + 1], landing_level)
        if mag[j1 + 1] - landing_level > p.abrupt_rise_g:
            # The first impact sample is already far up the impact: the onset lies somewhere
            # between it and the last flight sample, and without a model of the rise the
            # midpoint is the unbiased guess (linear interpolation would land early).
            landing_t = max(landing_t, 0.5 * float(t[j1] + t[j1 + 1]))
        if resolved:
            landing_t = max(landing_t, _impact_onset(t, mag, j1, e, landing_level))
        refine_from = -1
        if self.info.placement.is_leg:
            # Measured like the takeoff, at the middle of the rise (once the samples after
            # the run have arrived, see ``_refine_leg_landing``).
            refine_from = self._run_start + (j1 - s)
        self._pending.append(
            _Candidate(
                self._run_start,
                g,
                self._run_start_t,
                t_g,
                takeoff_t,
                landing_t,
                level,
                self._run_ground_t,
                refine_from,
                landing_t,
                push_end_t if self.info.placement.is_leg else takeoff_t,
            )
        )

    def _confirm(self, data: FloatArray, t_last: float) -> list[Event]:
        events: list[Event] = []
        keep: list[_Candidate] = []
        t = data[:, _T]
        for c in self._pending:
            if c.pending_from >= 0:
                c = self._refine_leg_landing(c, data)
            due = self._due(c)
            if due > t_last or c.pending_from >= 0:
                keep.append(c)
                continue
            k = int(np.searchsorted(t, due - 1e-12, side="left"))
            event = self._evaluate(c, data, float(t[k]))
            if event is not None:
                events.append(event)
        self._pending = keep
        return events

    def _due(self, c: _Candidate) -> float:
        """When a candidate is confirmed: after its look-ahead, and after the time in which
        a next low run could still merge with it (a gap may fall at the landing), so that a
        merge always comes first, whatever the chunking."""
        p = self.params
        return max(c.landing_t + p.landing_window_s, c.end_t + p.merge_gap_s + 1e-6)

    def _refine_leg_landing(self, c: _Candidate, data: FloatArray) -> _Candidate:
        """The landing on the leg at the middle of the impact's steepest rise.

        A shank's contact edges are both abrupt: the tibial shock rises within a few
        milliseconds (Lafortune et al. 1996), and the leg's push ends at toe-off. The
        sensor's own low-pass filter spreads and delays each edge alike over its rise time,
        so taking the same point, the middle of the steepest change, at both edges cancels
        that delay in the flight time; a tangent onset at the landing but a middle at the
        takeoff cut the flight short by half a rise time (13.8 ms on the simulated shank).
        The rise may straddle the sample after the run: the refinement waits for it.
        """
        fs = self.info.sample_rate_hz
        reach = max(1, round(_LEG_IMPACT_PEAK_S * fs))
        e = self._local(c.run_end)
        if c.run_end + reach >= self._hist.end or e < 1:
            return c
        s = max(self._local(c.run_start), 0)
        j1 = max(self._local(c.pending_from), s)
        t = data[:, _T]
        mag = data[:, _MAG]
        m = max(1, round(self.params.edge_level_s * fs))
        floor = _median(mag[max(j1 + 1 - m, s) : j1 + 1])
        half = 0.5 * (float(mag[e : e + reach + 1].max()) + floor)
        above = np.flatnonzero(mag[j1 + 1 : e + reach + 1] >= half)
        if above.size and half > floor:
            i = j1 + 1 + int(above[0])
            landing_t = _crossing(t[i - 1], t[i], mag[i - 1], mag[i], half)
        else:
            landing_t = _steepest_rise(t, mag, j1, e + 1, c.landing_t)
        return c._replace(landing_t=landing_t, pending_from=-1)

    # -- one candidate -------------------------------------------------------------------

    def _evaluate(self, c: _Candidate, data: FloatArray, detected_at: float) -> JumpEvent | None:
        p = self.params
        flight = c.landing_t - c.takeoff_t
        min_flight = p.leg_min_flight_s if self.info.placement.is_leg else p.min_flight_s
        if not (min_flight <= flight <= p.max_flight_s):
            return None
        t = data[:, _T]
        mag = data[:, _MAG]
        depth_g = self._flight_depth(t, mag, c)
        if depth_g >= p.max_flight_depth_g:
            return None
        need = p.min_impulse_ratio * flight / 2.0
        # Landing window [landing_t, landing_t + W]; push window [takeoff_t - P, takeoff_t].
        l0 = int(np.searchsorted(t, c.landing_t, side="left"))
        l1 = int(np.searchsorted(t, c.landing_t + p.landing_window_s, side="right"))
        # The push window covers the ground phase only: not the flight of a previous jump.
        push_start = max(c.push_end_t - p.push_window_s, c.ground_t)
        p0 = int(np.searchsorted(t, push_start, side="left"))
        p1 = int(np.searchsorted(t, c.push_end_t, side="right"))
        if l1 - l0 < 2 or p1 - p0 < 2:
            return None
        land = mag[l0:l1]
        peak_i = int(np.argmax(land))
        peak_g = float(land[peak_i])
        if peak_g < p.min_landing_peak_g:
            return None
        # Feet meeting the ground load the body at once: |a| passes body weight within tens
        # of milliseconds even on a soft landing, where a sensor swinging on a limb (a shank
        # on the pedals) climbs back slowly.
        rise = max(p.landing_rise_s, 1.5 / self.info.sample_rate_hz)
        r0 = int(np.searchsorted(t, c.onset_t, side="left"))
        r1 = int(np.searchsorted(t, c.onset_t + rise, side="right"))
        if float(mag[r0:r1].max(initial=0.0)) < p.landing_rise_g:
            return None
        # The legs take longer than the look-ahead to stop the body, and an impact spike
        # undersampled at 25 Hz carries little area: the landing need only show a share.
        if _excess_impulse(t[l0:l1], land) < p.min_landing_impulse_ratio * flight / 2.0:
            return None
        # Before takeoff the net impulse counts: a body that only drops (sitting down hard)
        # has no net upward push, whatever brief bumps precede the drop.
        if _excess_impulse(t[p0:p1], mag[p0:p1], signed=True) < need:
            return None

        t_peak = float(t[l0 + peak_i])
        half_period = 0.5 / self.info.sample_rate_hz
        loading_rate = (peak_g - c.flight_level_g) / max(t_peak - c.landing_t, half_period)
        tau = flight / (2.0 * max(peak_g - 1.0, 1e-3))
        softness = tau / (tau + p.softness_ref_s)
        clipped = self._clipped(data[l0:l1, _AX : _AZ + 1])

        contact: float | None = None
        rsi: float | None = None
        if (
            self._prev_landing_t is not None
            and self._prev_landing_seg == self._seg_id
            and 0.0 < c.takeoff_t - self._prev_landing_t <= p.max_contact_s
        ):
            contact = c.takeoff_t - self._prev_landing_t
            rsi = flight / contact
        # A rebound's push-off also stops the previous jump's horizontal speed.
        prior = self._prev_speed_m_s if contact is not None else 0.0
        direction, self._prev_speed_m_s = self._direction(
            c, data, flight, prior, linked=contact is not None
        )
        if self._prev_landing_t is None or c.takeoff_t - self._prev_landing_t > p.set_pause_s:
            self._set_number += 1
            self._repetition = 0
        self._repetition += 1
        self._prev_landing_t = c.landing_t
        self._prev_flight_s = flight
        self._prev_landing_seg = self._seg_id

        return JumpEvent(
            t=c.landing_t,
            detected_at=detected_at,
            takeoff_t=c.takeoff_t,
            landing_t=c.landing_t,
            flight_time_s=flight,
            height_m=STANDARD_GRAVITY_M_S2 * flight * flight / 8.0,
            landing_peak_g=peak_g,
            direction=direction,
            landing_clipped=clipped,
            landing_loading_rate_g_per_s=loading_rate,
            landing_softness=softness,
            contact_time_s=contact,
            reactive_strength_index=rsi,
            repetition=self._repetition,
            set_number=self._set_number,
            confidence=round(1.0 - depth_g / p.max_flight_depth_g, 3),
        )

    def _flight_depth(self, t: FloatArray, mag: FloatArray, c: _Candidate) -> float:
        """Mean ``|a|`` over the stillest ``flight_depth_window_s`` of the flight (g).

        The window counts samples at the nominal rate (at least one); a flight holding no
        more samples than that is averaged whole.
        """
        i0 = int(np.searchsorted(t, c.takeoff_t, side="left"))
        i1 = int(np.searchsorted(t, c.landing_t, side="right"))
        inside = mag[i0:i1]
        if inside.shape[0] == 0:
            return math.inf
        k = max(1, round(self.params.flight_depth_window_s * self.info.sample_rate_hz))
        if inside.shape[0] <= k:
            return float(inside.mean())
        cum = np.concatenate(([0.0], np.cumsum(inside)))
        return float(((cum[k:] - cum[:-k]) / k).min())

    def _clipped(self, acc: FloatArray) -> bool:
        """Whether any axis reached the sensor's range during the landing."""
        absacc = np.abs(acc)
        rng = self.info.acc_range_g
        if rng is not None:
            # Within half a per cent of full scale: 16-bit sensors stop one count short.
            return bool((absacc >= 0.995 * rng).any())
        # Range unknown: a flat top, the same extreme value on consecutive samples.
        top = absacc.max(axis=0)
        for axis in range(3):
            if top[axis] < 2.0:
                continue
            at_top = absacc[:, axis] >= top[axis] - 1e-9
            if bool((at_top[1:] & at_top[:-1]).any()):
                return True
        return False

    def _vertical_takeoff(
        self,
        data: FloatArray,
        s: int,
        hi: int,
        e: int,
        rebound: bool = False,
        rebound_only: bool = False,
    ) -> float | None:
        """Takeoff for a band on the upper trunk: where the vertical ground force ends.

        A chest strap sits about 0.3 m above the centre of mass. As the trunk's extension
        stops around takeoff, its angular deceleration times that lever arm reads up to
        about 0.5 g along the trunk's forward axis, so ``|a|`` slides down for tens of
        milliseconds after the feet have left and shows no edge at takeoff (on fresh
        simulated chest sets the ``|a|`` rules scattered takeoff by ±12-14 ms). At takeoff
        the body is extended and the trunk is back near its standing posture (Linthorne
        2001), so that lever-arm term lies nearly horizontal: the specific force's
        component along standing gravity follows the ground force alone. Its steepest fall
        in the drop into the flight (from 0.1 s before the low run to ``hi``), extended to
        zero (free fall), is put ``takeoff_tail_s`` later: the ground force's last phase
        is rounded (the ankle plantar-flexes as the toes leave), so the tangent through its
        steepest fall reaches zero early by that much. The sensor's low-pass filter delays
        both this tangent and the landing's (``_impact_onset``); the slow fall by its whole
        group delay, the abrupt impact's tangent by less, so flights read a few
        milliseconds short at 100 Hz (+0.1 ± 3.9 ms on fresh simulated chests at 100 Hz,
        +3.5 ± 2.2 ms at 200 Hz).
        A rebound (a takeoff within ``max_contact_s`` of the previous flight's end) has no
        standing posture before it: it takes the standing gravity of the last takeoff in
        this segment that had one, the set's start, as the body is extended near that
        posture again at each takeoff. With the ``|a|`` rules instead, the 19 rebound
        takeoffs of the simulated chest drill (jumpdrill_chest_100hz) read -11..+50 ms off
        (mean absolute 35 ms; with this reference 3.0 ms, +0.6..+7.4 ms). Below 90 Hz the
        rule serves rebounds only (``rebound_only``: a jump from standing keeps the ``|a|``
        rules there): on fresh simulated chest drills at 50 Hz (seeds 315 and 3350, 73
        jumps) flight MAE 26.9 -> 8.1 ms, contact 30.2 -> 7.7 ms; at 25 Hz (seed 3325)
        contact 44 -> 42 ms, still over its 40 ms (one sample) target.
        ``None`` (the ``|a|`` rules then) where no standing posture precedes the jump (see
        ``_standing_gravity``) nor, for a rebound, an earlier one, where that posture is
        further than ``max_tilt_deg`` from the declared up axis (the wearer was not standing
        upright then, or the band is not worn as declared), or where the vertical force is
        not pushing up when its fall begins.
        """
        t = data[:, _T]
        gravity = self._standing_gravity(data, float(t[s]))
        if gravity is not None:
            self._standing_ref = gravity
            self._standing_ref_t = float(t[s])
            if rebound_only:
                return None
        elif rebound and float(t[s]) - self._standing_ref_t <= self.params.set_pause_s:
            # Only within the set it came from: each rebound keeps it alive, a pause ends it.
            gravity = self._standing_ref
            self._standing_ref_t = float(t[s])
        if gravity is None or gravity[2] < math.cos(math.radians(self.params.max_tilt_deg)):
            return None
        lo = max(s - round(0.1 * self.info.sample_rate_hz), 0)
        hi = min(hi, e - 1)
        if hi - lo < 2:
            return None
        vert = data[lo : hi + 1, _AX : _AZ + 1] @ gravity
        dt = np.diff(t[lo : hi + 1])
        slope = np.diff(vert) / np.where(dt > 0, dt, np.inf)
        i = int(np.argmin(slope))
        if slope[i] >= 0 or vert[i] <= 0.0:
            return None
        zero = float(t[lo + i]) + float(vert[i]) / float(-slope[i])
        return min(max(zero, float(t[lo + i])), float(t[hi])) + self.params.takeoff_tail_s

    def _standing_gravity(self, data: FloatArray, before_t: float) -> FloatArray | None:
        """Unit gravity in the band's frame while standing still before ``before_t``.

        The stillest ``quiet_window_s`` between ``gyro_reference_lead_s`` and 0.3 s before
        ``before_t`` whose mean specific force is 1 g within ``_STANDING_TOLERANCE_G`` and
        whose samples spread by less than ``_STANDING_SPREAD_G`` (a posture, not a
        bounce); ``None`` without one.
        """
        t = data[:, _T]
        i0 = int(np.searchsorted(t, before_t - self.params.gyro_reference_lead_s, side="left"))
        i1 = int(np.searchsorted(t, before_t - 0.3, side="right"))
        n = max(2, round(self.params.quiet_window_s * self.info.sample_rate_hz))
        if i1 - i0 < n:
            return None
        acc = data[i0:i1, _AX : _AZ + 1]
        zero = np.zeros((1, 3))
        c1 = np.concatenate((zero, np.cumsum(acc, axis=0)))
        c2 = np.concatenate((zero, np.cumsum(acc * acc, axis=0)))
        mean = (c1[n:] - c1[:-n]) / n
        var = ((c2[n:] - c2[:-n]) / n - mean * mean).sum(axis=1)
        norm = np.sqrt(np.einsum("ij,ij->i", mean, mean))
        var = np.where(np.abs(norm - 1.0) <= _STANDING_TOLERANCE_G, var, np.inf)
        k = int(np.argmin(var))
        if not var[k] < _STANDING_SPREAD_G**2:
            return None
        out: FloatArray = mean[k] / norm[k]
        return out

    def _quiet_index(self, data: FloatArray, start_t: float, takeoff_t: float) -> int:
        """Centre of the stillest window before the countermovement; sets its gravity.

        The window of ``quiet_window_s`` with the least change of specific force and the least
        rotation between ``start_t`` and 0.3 s before takeoff; its mean specific force is
        gravity there (a quasi-static posture), and the gyroscope tracks the orientation
        from its centre. ``-1`` where the segment holds less than one window before that
        (the stream began or resumed after a gap just before the jump).
        """
        t = data[:, _T]
        i0 = int(np.searchsorted(t, start_t, side="left"))
        i1 = int(np.searchsorted(t, takeoff_t - 0.3, side="right"))
        n = max(2, round(self.params.quiet_window_s * self.info.sample_rate_hz))
        if i1 - i0 < n:
            i0 = max(0, i1 - n)
        mag = data[i0:i1, _MAG]
        if mag.shape[0] < n:
            return -1
        # Stillness: little change of the specific force vector (g; a slow lean changes its
        # direction, not |a|) and little rotation (per 100 °/s).
        acc = data[i0:i1, _AX : _AZ + 1]
        gyro = data[i0:i1, _WX : _WZ + 1]
        rate = np.linalg.norm(np.nan_to_num(gyro), axis=1) / 100.0
        zero = np.zeros((1, 3))
        c1 = np.concatenate((zero, np.cumsum(acc, axis=0)))
        c2 = np.concatenate((zero, np.cumsum(acc * acc, axis=0)))
        cw = np.concatenate(([0.0], np.cumsum(rate)))
        var = ((c2[n:] - c2[:-n]) / n - ((c1[n:] - c1[:-n]) / n) ** 2).sum(axis=1)
        score = np.sqrt(np.maximum(var, 0.0)) / 0.05 + (cw[n:] - cw[:-n]) / n
        k = int(np.argmin(score))
        self._quiet_gravity = data[i0 + k : i0 + k + n, _AX : _AZ + 1].mean(axis=0)
        return i0 + k + n // 2

    def _direction(
        self,
        c: _Candidate,
        data: FloatArray,
        flight: float,
        prior_m_s: float,
        linked: bool = False,
    ) -> tuple[Direction, float]:
        """Direction and estimated horizontal speed (m/s, + forward) of one jump."""
        p = self.params
        t = data[:, _T]
        w_land = p.direction_window_s
        gyro_ok = self.info.has_gyro and bool(np.isfinite(data[:, _WX]).all())
        # Gravity from the stillest moment before the countermovement (quasi-static).
        q = self._quiet_index(data, c.takeoff_t - p.gyro_reference_lead_s, c.takeoff_t)
        if q < 0:
            return Direction.UNKNOWN, 0.0
        if not gyro_ok and self.info.placement.is_leg:
            # A band on the leg pivots about the ankle while the foot is down (see
            # ``leg_sensor_height_m``): its speed against the body at the windows' ends,
            # 0.3-0.5 m/s, is as large as a jump's travel and only a gyroscope measures it.
            return Direction.UNKNOWN, 0.0
        carried = None
        if gyro_ok:
            # The gyroscope carries the orientation from there through the whole jump, so
            # the push window can cover the propulsion's horizontal thrust whatever the
            # trunk does meanwhile.
            w_push = p.gyro_push_window_s
            r0 = q
            if linked and self._carried is not None and self._local(self._carried[0]) >= 0:
                # A rebound: no quiet posture precedes it (the stillest moment before it
                # may lie in the previous flight). The orientation is carried on from the
                # previous jump's landing, where its own reference left it.
                carried = self._carried[1]
                r0 = self._local(self._carried[0])
        else:
            # Equal windows: a lean shared by both leaks alike into both.
            w_push = w_land
            r0 = int(np.searchsorted(t, c.takeoff_t - w_push, side="left"))
        r1 = int(np.searchsorted(t, c.landing_t + w_land, side="right"))
        if r1 - r0 < 4:
            return Direction.UNKNOWN, 0.0
        acc = data[r0:r1, _AX : _AZ + 1]
        rel_m_s: FloatArray | None = None
        if gyro_ok:
            gyro = data[r0:r1, _WX : _WZ + 1]
            rot = _orientations(gyro, t[r0:r1])
            acc = np.einsum("nij,nj->ni", rot, acc)
            lever_m = 0.0
            if self.info.placement.is_leg:
                lever_m = p.leg_sensor_height_m
            elif self.info.placement.canonical is Placement.CHEST:
                lever_m = p.chest_sensor_height_m
            if lever_m > 0.0:
                # The band's velocity against the ankle (the centre of mass for a chest
                # band), ω × (0, 0, h) in its own frame.
                w = np.radians(gyro) * lever_m
                rel = np.stack((w[:, 1], -w[:, 0], np.zeros_like(w[:, 0])), axis=1)
                rel_m_s = np.einsum("nij,nj->ni", rot, rel)
        gravity = (self._quiet_gravity if carried is None else carried)[None, :]
        if gyro_ok:
            # Gravity in the band's frame at this landing, for a rebound that follows.
            # The sample before the landing: a rebound's windows start at or after it.
            l_at = int(np.searchsorted(t[r0:r1], c.landing_t, side="left")) - 1
            l_at = min(max(l_at, 0), r1 - r0 - 1)
            g_land = rot[l_at].T @ (gravity[0] / float(np.linalg.norm(gravity[0])))
            self._carried = (self._hist.first + r0 + l_at, g_land)
        norm = float(np.linalg.norm(gravity))
        if norm <= 0 or gravity[0, 2] < norm * math.cos(math.radians(p.max_tilt_deg)):
            return Direction.UNKNOWN, 0.0
        levelled = rotation_to_vertical(gravity)[0] @ acc.T
        forward = levelled[0]
        tt = t[r0:r1]
        # The push is on the ground: after a rebound the window starts at the contact. It
        # ends where the ground's force does (on the leg after the mid-transition takeoff).
        push_end = c.push_end_t
        push_start = max(push_end - w_push, c.ground_t)
        land_end = c.landing_t + w_land
        if gyro_ok:
            # A rebound's contact first stops the previous jump, then launches the next: the
            # horizontal ground force turns from braking to propulsion where the centre of
            # mass is lowest, i.e. where the vertical impulse above body weight since
            # touchdown has taken back the landing's g·T/2 (the spring-mass model of bouncing
            # gaits: Cavagna et al. 1976; Blickhan 1989). The gyroscope keeps the vertical
            # through the contact, so that split is measured: a rebound's push window starts
            # there (the previous jump's braking is not in it, nor need its speed be added
            # back), and a landing that launches the next jump (more than
            # ``_STOP_RATIO_MAX`` of its T/2 within the window) ends its window there (the
            # next push is not in it).
            up = levelled[2] / norm - 1.0
            if linked:
                prev_landing_t = self._prev_landing_t if self._prev_landing_t else c.ground_t
                split = _stop_time(tt, up, prev_landing_t, 0.5 * self._prev_flight_s)
                if split is None or split >= push_end:
                    return Direction.UNKNOWN, 0.0
                push_start = split
            stop_all = _window_integral(tt, up, c.landing_t, c.landing_t + w_land)
            if stop_all > _STOP_RATIO_MAX * 0.5 * flight:
                split = _stop_time(tt, up, c.landing_t, 0.5 * flight)
                if split is None:
                    return Direction.UNKNOWN, 0.0
                land_end = split
        if gyro_ok and linked:
            prior_m_s = 0.0
        elif push_start > c.ground_t:
            # The window does not reach back to the contact's start, where the previous
            # jump was stopped: that stop is not in it.
            prior_m_s = 0.0
        elif not gyro_ok:
            # A short contact stops one jump and launches the next. Without a gyroscope the
            # previous jump's speed is only as good as its lean leak, so instead of adding
            # it back, the push is taken from the contact's second half, after the stop:
            # the impact comes first, the push at the end.
            push_start = 0.5 * (c.ground_t + push_end)
            prior_m_s = 0.0
        i_push = _window_integral(tt, forward, push_start, push_end)
        i_land = _window_integral(tt, forward, c.landing_t, land_end)
        if rel_m_s is not None:
            # What the shank's pivoting about the ankle adds to each window (see
            # ``leg_sensor_height_m``): the band's relative speed at its end minus its start.
            rel_f = (rotation_to_vertical(gravity)[0] @ rel_m_s.T)[0]
            edges = np.interp([push_start, push_end, c.landing_t, land_end], tt, rel_f)
            i_push -= float(edges[1] - edges[0]) / STANDARD_GRAVITY_M_S2
            i_land -= float(edges[3] - edges[2]) / STANDARD_GRAVITY_M_S2
        # I_push = (v - prior)/g and I_land = -v/g: v = (g·(I_push - I_land) + prior)/2. The
        # difference also cancels what is left of a reference tilt error, which leaks alike
        # into both windows.
        speed_m_s = (STANDARD_GRAVITY_M_S2 * (i_push - i_land) + prior_m_s) / 2.0
        travel_m = speed_m_s * flight
        if not gyro_ok:
            # Upward impulse above body weight in the landing window (along the standing
            # gravity: the momentum balance's direction), per the fall's T/2.
            up = levelled[2] / norm - 1.0
            stop = _window_integral(tt, up, c.landing_t, c.landing_t + w_land)
            return self._direction_without_gyro(
                i_push + prior_m_s / STANDARD_GRAVITY_M_S2,
                i_land,
                flight,
                stop / (0.5 * flight),
                linked,
            )
        if abs(travel_m) < p.min_travel_m:
            return Direction.VERTICAL, speed_m_s
        return (Direction.FORWARD if travel_m > 0 else Direction.BACKWARD), speed_m_s

    def _direction_without_gyro(
        self,
        i_push: float,
        i_land: float,
        flight: float,
        stop_ratio: float = 0.0,
        linked: bool = False,
    ) -> tuple[Direction, float]:
        """Direction from the two phases' forward impulses (g·s, levelled by standing).

        ``stop_ratio`` is the landing window's upward impulse above body weight per the
        fall's ``T/2`` g·s (below). A travelling jump pushes one way and is stopped the
        other: the two impulses have
        opposite signs, and each carries a share of the speed. A trunk lean leaks
        ``-g·sin θ`` into the forward axis of both windows with the same sign (a forward
        lean in the countermovement and again in the landing's absorption), so where the
        two agree in sign, or one is a sliver of the other, the lean and not the travel
        speaks: ``unknown``; so too where either is within what a lean of
        ``lean_tolerance_deg`` leaks into its window. A jump is ``vertical`` only when
        neither window alone implies ``min_travel_m`` even after adding back what such a
        lean could have taken off it: a lean that cancels a push is no evidence of none (on
        a simulated chest a 0.43 m backward jump read -13 and +9 mg·s, 4 cm of travel by
        either window alone).

        Where the two do not oppose, the antisymmetric part ``(I_push − I_land)/2`` still
        cancels a lean shared by both windows; what is left is the lean's asymmetry between
        them and the band's own motion about the centre of mass. In a countermovement jump
        the trunk extends back towards upright as the push's force falls to zero and flexes
        under the landing's impact (3-8 g), which reads as a forward travel; a forward jump
        also leans into its push-off, which reads as a backward one and eats its travel.
        On fresh simulated sets (seeds 201-209, jumps + jumpseries, chest 100/200 Hz and
        waist 100 Hz, band tilted 10-30°) vertical jumps read +6..+36 mg·s (waist -2..+20),
        forward jumps +5..+40 mg·s, backward jumps -11..-76 mg·s; with the gyroscope's
        orientation the lean's asymmetric part alone was -36..+19 mg·s, most negative on
        forward jumps. So forward cannot be told from vertical, but a reading below minus a
        whole lean's leak (``lean_tolerance_deg``) is a backward jump: that is called, at
        90 Hz and above (below, a sample's uncertainty in the edges moves the impact into
        the windows), and only after a landing that is not already launching the next jump:
        ``stop_ratio`` at most ``_STOP_RATIO_MAX`` (a landing stops the fall with at most
        all of ``T/2``; in a rebound the window also holds the next jump's push, and a
        vertical jump rebounding forward reads backward: 11 such wrong calls on the test
        generator's drills without this check). Calls on those fresh sets 5 -> 104 of 396
        jumps, all right (backward 104 of 165); with the band tilted 30° (seeds 211-216,
        276 jumps) 1 -> 80, all right. Forward stays ``unknown``.
        """
        p = self.params
        speed_m_s = STANDARD_GRAVITY_M_S2 * (i_push - i_land) / 2.0
        leak = math.sin(math.radians(p.lean_tolerance_deg)) * p.direction_window_s
        largest_m = STANDARD_GRAVITY_M_S2 * (max(abs(i_push), abs(i_land)) + leak) * flight
        if largest_m < p.min_travel_m:
            return Direction.VERTICAL, speed_m_s
        if linked or stop_ratio > _STOP_RATIO_MAX:
            # A rebound: the push comes out of a contact that also stopped the previous
            # jump, or the landing window already holds the next jump's push. Either
            # window then carries another jump's horizontal impulse and the trunk's flexion
            # there, which no accelerometer alone separates from this jump's.
            return Direction.UNKNOWN, speed_m_s
        opposed = (i_push > 0.0) != (i_land > 0.0)
        if not opposed or min(abs(i_push), abs(i_land)) < leak:
            # The antisymmetric part (I_push - I_land)/2 cancels a lean shared by both
            # windows; what is left of the leak leans towards forward for every jump (the
            # landing flexes the trunk under the impact, 3-8 g), so only a backward call is
            # made from it, and only beyond a whole lean's leak.
            if (
                self.info.sample_rate_hz >= _TANGENT_MIN_RATE_HZ
                and stop_ratio <= _STOP_RATIO_MAX
                and (i_push - i_land) / 2.0 < -leak
                and abs(speed_m_s * flight) >= p.min_travel_m
            ):
                return Direction.BACKWARD, speed_m_s
            return Direction.UNKNOWN, 0.0
        if abs(speed_m_s * flight) < p.min_travel_m:
            # Opposed beyond a lean's leak, yet a short travel: the two disagree.
            return Direction.UNKNOWN, speed_m_s
        if speed_m_s > 0:
            # Forward stays unknown here too: a loose strap ringing after the landing opposes
            # the push of a vertical jump (stress set seed 1: all 3 forward calls, vertical
            # jumps on straps ringing at 8-12 Hz, 0.13-0.21 m; the 19 backward calls right).
            return Direction.UNKNOWN, speed_m_s
        return Direction.BACKWARD, speed_m_s


def _crossing(t0: float, t1: float, v0: float, v1: float, level: float) -> float:
    """Time at which the line through ``(t0, v0)`` and ``(t1, v1)`` reaches ``level``."""
    if v1 == v0:
        return float(t0)
    frac = min(max((level - v0) / (v1 - v0), 0.0), 1.0)
    return float(t0 + frac * (t1 - t0))


def _impact_onset(t: FloatArray, mag: FloatArray, j1: int, e: int, level: float) -> float:
    """Where the impact's steepest rise, extended back, meets the flight's level.

    Feet meeting the ground load the body within milliseconds, far faster than the trunk's
    rotation changes what a body-fixed sensor reads in the air; a slow drift up before the
    impact is no contact. The tangent at the steepest sample interval from the last flight
    sample ``j1`` to the first sample after the run ``e`` (and the one after it), extended
    back to ``level``, is the onset (the tangent method of force-plate onset detection);
    it is kept within ``[t[j1], t]`` of the segment's end.
    """
    stop = e  # the samples after it may not have arrived: chunk-invariant
    if stop <= j1:
        return float(t[j1])
    dt = np.diff(t[j1 : stop + 1])
    slope = np.diff(mag[j1 : stop + 1]) / np.where(dt > 0, dt, np.inf)
    i = int(np.argmax(slope))
    if slope[i] <= 0:
        return float(t[j1])
    end = j1 + i + 1
    onset = float(t[end]) - float(mag[end] - level) / float(slope[i])
    return min(max(onset, float(t[j1])), float(t[end]))


def _steepest_fall(t: FloatArray, mag: FloatArray, lo: int, hi: int, default: float) -> float:
    """Middle of the sample interval in ``[lo, hi]`` where ``|a|`` falls fastest."""
    if hi <= lo:
        return default
    dt = np.diff(t[lo : hi + 1])
    slope = np.diff(mag[lo : hi + 1]) / np.where(dt > 0, dt, np.inf)
    i = int(np.argmin(slope))
    if slope[i] >= 0:
        return default
    return 0.5 * float(t[lo + i] + t[lo + i + 1])


def _steepest_rise(t: FloatArray, mag: FloatArray, lo: int, hi: int, default: float) -> float:
    """Middle of the sample interval in ``[lo, hi]`` where ``|a|`` rises fastest."""
    if hi <= lo:
        return default
    dt = np.diff(t[lo : hi + 1])
    slope = np.diff(mag[lo : hi + 1]) / np.where(dt > 0, dt, np.inf)
    i = int(np.argmax(slope))
    if slope[i] <= 0:
        return default
    return 0.5 * float(t[lo + i] + t[lo + i + 1])


def _drop_end(t: FloatArray, mag: FloatArray, s: int, j0: int, level: float) -> float:
    """Where the propulsion drop's steepest fall, extended forward, meets the flight's level.

    The mirror of ``_impact_onset``: the ground force falls to zero fast at takeoff, so the
    tangent at the steepest sample interval of the drop into the run (the 50 ms before it
    and its first interval inside) marks the takeoff where it meets the level; it is kept
    within ``[t, t[j0]]`` of the segment's start. Deeper inside the run a trunk sensor
    reads its rotation's lever-arm term settling after takeoff (0.5 -> 0.15 g over
    40 ms where the trunk's extension stops), a slide as steep as the push's last
    milliseconds: a tangent there would put the takeoff tens of milliseconds late.
    """
    lo = max(s - 1 - round(0.05 / max(float(t[s] - t[s - 1]), 1e-6)), 0)
    hi = min(j0, s + 1)
    if hi <= lo:
        return float(t[j0])
    dt = np.diff(t[lo : hi + 1])
    slope = np.diff(mag[lo : hi + 1]) / np.where(dt > 0, dt, np.inf)
    i = int(np.argmin(slope))
    if slope[i] >= 0:
        return float(t[lo])
    start = lo + i
    end = float(t[start]) + float(mag[start] - level) / float(-slope[i])
    return min(max(end, float(t[start])), float(t[j0]))


def _median(x: FloatArray) -> float:
    """``np.median`` of a short 1-D array of finite values, by partition (a tenth the cost).

    Equal to ``np.median`` bit for bit: the middle value, or half the sum of the two.
    """
    n = x.shape[0]
    k = n // 2
    if n % 2:
        return float(np.partition(x, k)[k])
    part = np.partition(x, (k - 1, k))
    return 0.5 * (float(part[k - 1]) + float(part[k]))


def _first_below(x: FloatArray, start: int, stop: int, level: float) -> int:
    """First index in ``[start, stop)`` with ``x < level``; ``start`` if there is none."""
    hits = np.flatnonzero(x[start:stop] < level)
    return start + int(hits[0]) if hits.size else start


def _last_below(x: FloatArray, start: int, stop: int, level: float) -> int:
    """Last index in ``[start, stop)`` with ``x < level``; ``stop - 1`` if there is none."""
    hits = np.flatnonzero(x[start:stop] < level)
    return start + int(hits[-1]) if hits.size else stop - 1


def _excess_impulse(t: FloatArray, mag: FloatArray, signed: bool = False) -> float:
    """``∫ max(|a| − 1 g, 0) dt`` (or ``∫ (|a| − 1 g) dt``) in g·s, samples held."""
    excess = mag[:-1] - 1.0 if signed else np.maximum(mag[:-1] - 1.0, 0.0)
    return float(np.dot(excess, np.diff(t)))


def _stop_time(t: FloatArray, up: FloatArray, start: float, need: float) -> float | None:
    """When ``∫ up dt`` from ``start`` (samples held) first reaches ``need``; ``None`` if never."""
    i0 = int(np.searchsorted(t, start, side="right"))
    if i0 < 1 or i0 >= t.shape[0]:
        return None
    # The held sample before ``start`` covers up to the first sample after it.
    first = float(up[i0 - 1]) * float(t[i0] - start)
    cum = first + np.concatenate(([0.0], np.cumsum(up[i0:-1] * np.diff(t[i0:]))))
    hit = np.flatnonzero(cum >= need)
    if not hit.size:
        return None
    k = int(hit[0])
    if k == 0:
        return float(start)
    # Interpolate within the held sample's interval.
    prev = float(cum[k - 1])
    rate = float(up[i0 + k - 1])
    return float(t[i0 + k - 1]) + (need - prev) / rate if rate > 0 else float(t[i0 + k])


def _window_integral(t: FloatArray, x: FloatArray, start: float, stop: float) -> float:
    """``∫ x dt`` over ``[start, stop]``, samples held until the next, clipped to the window."""
    edges = np.clip(np.append(t, t[-1] + (t[-1] - t[-2])), start, stop)
    return float(np.dot(x, np.diff(edges)))


def _orientations(gyro_dps: FloatArray, t: FloatArray) -> FloatArray:
    """Rotation matrices taking each sample's sensor frame into the first sample's.

    The orientation is integrated from the gyroscope, one rotation vector per sample interval
    (Rodrigues' formula), which over the second or so of a jump keeps bias drift below a
    degree for any MEMS gyroscope.
    """
    n = gyro_dps.shape[0]
    dt = np.diff(t)
    rates = 0.5 * (gyro_dps[:-1] + gyro_dps[1:]) * (math.pi / 180.0)
    rotvec = rates * dt[:, None]
    angle = np.linalg.norm(rotvec, axis=1)
    axis = rotvec / np.where(angle > 0, angle, 1.0)[:, None]
    k = np.zeros((n - 1, 3, 3))
    k[:, 0, 1], k[:, 0, 2] = -axis[:, 2], axis[:, 1]
    k[:, 1, 0], k[:, 1, 2] = axis[:, 2], -axis[:, 0]
    k[:, 2, 0], k[:, 2, 1] = -axis[:, 1], axis[:, 0]
    s = np.sin(angle)[:, None, None]
    cth = (1.0 - np.cos(angle))[:, None, None]
    steps = np.eye(3)[None] + s * k + cth * (k @ k)
    out = np.empty((n, 3, 3))
    out[0] = np.eye(3)
    for i in range(n - 1):
        out[i + 1] = out[i] @ steps[i]
    return out


def detect_jumps(
    samples: Samples, info: StreamInfo, params: JumpParams | None = None
) -> list[Event]:
    """Jumps in ``samples`` (body frame): the streaming detector fed in one go."""
    return run_batch(JumpDetector(params or JumpParams(), info), samples)
