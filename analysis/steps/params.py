"""Parameters of the step detectors (TOML table ``[detectors.steps]``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.params import BRIDGED_GAP_S, bounded, check_ranges

__all__ = ["StepParams"]


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
        A full step pulse (band-passed vertical): at the trunk, a held peak from which a bout
        may start as soon as the next pulse rises to this level, and a peak that counts in a
        bout whatever its timing; at the wrist, the first peak of a bout. Straight walking
        gives 0.13-0.3 g at the lower back; a slow walker's 0.03-0.06 g pulses start a bout on
        their rhythm once held (``min_start_peak_g``).
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
        no neighbour within this time is not a step. At the trunk a slow walker's bout allows
        1.25 of its recent step time where that is longer, and held peaks pair within 1.25
        times this (``TrunkStepDetector._step_gap_s``).
    freefall_g
        On a leg: acceleration magnitude below which the body is in flight (a jump), held
        for at least a few samples: no step is taken within ``jump_guard_s`` before or
        ``lookahead_s`` after it.
    flight_g, min_flight_gs
        At the trunk: a spell below ``flight_g`` is a flight (a jump) when its missing
        support, the integral of ``flight_g - |a|`` over it, reaches ``min_flight_gs``: no
        step is taken within ``jump_guard_s`` before or ``lookahead_s`` after it
        (``TrunkStepDetector._flight_near`` gives the margins).
    min_start_peak_g
        Smallest peak held as a trunk bout's first step: the bout starts only once the
        walk's evidence over the held peaks accepts them (``TrunkStepDetector._judge``).
    jump_guard_s
        How long before a candidate a flight phase vetoes it (landing and rebound).
    contact_offset_s
        Time from foot contact to the trunk's vertical peak, including the band-pass filter's
        delay; measured on the real lower-back walks (heel strikes labelled).
    min_swing_dps
        Smallest sagittal angular-rate peak taken as a shank swing (walking swings reach
        250-450 dps; Aminian et al. 2002). The real RealWorld shin's swings peak at 202 dps
        and up (margin 40 %); the simulated walks at 50-60 steps/min swing at 86-124 dps (a
        lower floor let simulated pedalling through the asymmetry test): inside a walking
        bout a swing like the last one counts below it (``LegStepDetector._slow_swing_kept``).
    swing_asymmetry
        A swing rotates one way much faster than the stance the other way; pedalling turns the
        shank both ways alike. A swing slower than 250 dps must exceed the largest opposite
        turn within the stride around it by this factor (1.4 above 250 dps). Margins: the
        real shin's swings reach 1.51-1.72 (8 % over 1.4: thin); simulated pedalling 1.06 at
        most above 250 dps, up to 2.0 slower (no margin: pedalling at the shank with a
        gyroscope is kept out of slow swings by ``min_swing_dps``).
    min_swing_g
        Smallest dynamic acceleration hump taken as a leg swing without a gyroscope.
    min_contact_g
        Without a gyroscope, a swing counts only if the contact after it shakes the leg to at
        least this acceleration magnitude: heel strike sends a shock of about 1.5-5 g up the
        tibia (Lafortune 1991; 1.0-6.7 g on the real IPOL feet, median 3.4-6.7 g), pedalling
        none (1.1-1.3 g at the shank in the simulated rides). Thin on both sources: the real
        shin's contacts reach 1.18-1.36 g at their lowest (0th-5th percentile), and the
        stress set's rides on a loose strap reach 3.8 g. The shock is sought where the
        transient is (from half a step before the swing's peak, which the low-pass delays,
        to its look-ahead), not after the peak only: a slow swing peaks after the shock
        (stress set seed 1, a 76 steps/min shank: 3-5 g at every contact, all before the
        peak, 0 of 38 steps; the real shin's count -4.8 % -> -1.9 %).
    transient_hz
        Corner of the high-pass that keeps a contact's shock and drops the smooth movement
        of the leg: heel strike loads the leg within 10-30 ms, its shock holds most of its
        energy above 10 Hz (M. A. Lafortune, J. Biomech. 24:877-886, 1991; M. W. Whittle,
        Gait Posture 10:264-275, 1999), while a pedal stroke turns the leg at 1-2 Hz and its
        harmonics. A band sampling slower than five times this uses a fifth of its rate
        (``analysis.steps.leg._TRANSIENT_PER_RATE``): at 25 Hz little of the shock is left
        above 8 Hz.
    min_transient_g
        Without a gyroscope, a swing counts only if the contact after it carries a
        transient of at least this size (norm of the high-passed acceleration): 0.06-6.7 g at
        the labelled heel strikes of the real IPOL feet (median 2.2-5.9 g per foot, the lowest
        at shuffles after the trials), 0.36-1.1 g at the simulated shank's contacts, 0.06-0.19 g
        while pedalling in the simulated fixtures' rides, where acceleration magnitude alone
        (up to 1.6 g: the shank swings round the crank) does not tell. Thin on both sources:
        the real shin's (50 Hz) contacts carry 0.30-0.34 g at their lowest (0th-5th
        percentile), and the stress set's rides on a loose strap ring up to 1.2 g.
    foot_rest_dps
        Angular rate (low-passed at 4 Hz) below which a foot counts as resting on the ground:
        the real IPOL feet's rests reach 2 dps (median) but a brisk walker's foot-flat up to
        55 dps (margin 9 %), the simulated rests 0-3 dps; a swing turns the foot at 200-800 dps.
    leg_lowpass_hz
        Low-pass corner for leg signals: keeps the swing, smooths contact transients.
    gravity_cutoff_hz
        Corner of the gravity tracker that levels the trunk signals (removes undeclared tilt).
    regularity_window_s
        Length of the bout's trunk signal kept for the regularity figures (the last seconds of
        the bout); bounds memory.
    min_bout_steps
        Fewest steps for a ``walk_bout`` event.
    bridge_gap_s
        Longest gap in the samples (lost packets) that a detector bridges with a straight
        line instead of restarting its filters (``StepDetector._bridge``): shorter than a
        step, so that at most the step whose peak the gap took is lost.
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
    flight_g: float = field(default=0.6, metadata=bounded(0.0, 1.0))
    min_flight_gs: float = field(default=0.04, metadata=bounded(0.0, 1.0))
    min_start_peak_g: float = field(default=0.025, metadata=bounded(0.0, 5.0))
    jump_guard_s: float = field(default=1.0, metadata=bounded(0.0, 5.0))
    contact_offset_s: float = field(default=0.1, metadata=bounded(-0.5, 0.5))
    min_swing_dps: float = field(default=120.0, metadata=bounded(0.0, 2000.0))
    swing_asymmetry: float = field(default=1.8, metadata=bounded(1.0, 10.0))
    min_swing_g: float = field(default=0.3, metadata=bounded(0.0, 10.0))
    min_contact_g: float = field(default=1.3, metadata=bounded(0.0, 20.0))
    transient_hz: float = field(default=8.0, metadata=bounded(2.0, 50.0))
    min_transient_g: float = field(default=0.3, metadata=bounded(0.0, 10.0))
    foot_rest_dps: float = field(default=60.0, metadata=bounded(1.0, 500.0))
    leg_lowpass_hz: float = field(default=4.0, metadata=bounded(0.5, 20.0))
    gravity_cutoff_hz: float = field(default=0.3, metadata=bounded(0.01, 2.0))
    regularity_window_s: float = field(default=10.0, metadata=bounded(2.0, 60.0))
    min_bout_steps: int = field(default=3, metadata=bounded(1, 1000))
    max_turn_dps: float = field(default=30.0, metadata=bounded(1.0, 1000.0))
    bridge_gap_s: float = field(default=BRIDGED_GAP_S, metadata=bounded(0.0, 2.0))

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
