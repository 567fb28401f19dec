"""Gait measures computed over a bounded window of a walking bout.

Pure functions on arrays; the step detector (``analysis.steps``) calls them when a bout ends,
with the last few seconds of the bout's trunk signal it keeps in a bounded buffer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.types import FloatArray

#: Lag search window around the expected step or stride period, as a fraction of it. Step
#: times of healthy adults vary by a few per cent within a bout; 30 % also covers the slow,
#: less regular steps of backward walking.
_LAG_TOLERANCE = 0.3


@dataclass(frozen=True)
class Regularity:
    """Step and stride regularity and their ratio (``None`` where not measurable)."""

    step: float | None
    stride: float | None
    symmetry: float | None


def unbiased_autocorrelation(x: FloatArray, max_lag: int) -> FloatArray:
    """Unbiased autocorrelation of ``x`` (mean removed), normalised to 1 at lag 0.

    Parameters
    ----------
    x
        Shape ``(n,)``.
    max_lag
        Largest lag returned, in samples (``< n``).

    Returns
    -------
    numpy.ndarray
        Shape ``(max_lag + 1,)``; element ``k`` is ``sum(x[i] x[i+k]) / (n - k)`` divided by the
        same at lag 0. Zero everywhere for a constant signal.

    Notes
    -----
    Dividing by ``n - k`` rather than ``n`` is the "unbiased" estimate Moe-Nilssen and
    Helbostad (2004) use, so a perfectly periodic signal scores 1 at its period.
    """
    n = x.shape[0]
    max_lag = min(max_lag, n - 1)
    y = x - x.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(y, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[: max_lag + 1]
    acf = acf / (n - np.arange(max_lag + 1))
    if acf[0] <= 0:
        return np.zeros(max_lag + 1)
    out: FloatArray = acf / acf[0]
    return out


def gait_regularity(vertical_g: FloatArray, sample_rate_hz: float, step_s: float) -> Regularity:
    """Step and stride regularity of a trunk vertical acceleration (Moe-Nilssen & Helbostad).

    Parameters
    ----------
    vertical_g
        Shape ``(n,)``: vertical acceleration of the trunk during the bout.
    sample_rate_hz
        Its sample rate.
    step_s
        The bout's typical step time (median step interval), where the search for the peaks
        is centred.

    Returns
    -------
    Regularity
        ``step`` is the first dominant peak of the unbiased autocorrelation (lag near one step,
        Ad1), ``stride`` the second (lag near one stride, Ad2), ``symmetry`` is Ad1 / Ad2 (1 for
        a gait whose left and right steps look alike). All ``None`` if the window holds less than
        two strides.

    References
    ----------
    R. Moe-Nilssen and J. L. Helbostad, "Estimation of gait cycle characteristics by trunk
    accelerometry", J. Biomech. 37(1):121-126, 2004.
    """
    step_lag = step_s * sample_rate_hz
    n = vertical_g.shape[0]
    if not np.isfinite(step_lag) or step_lag < 2 or n < 4 * step_lag:
        return Regularity(None, None, None)
    hi2 = int(np.ceil(2 * step_lag * (1 + _LAG_TOLERANCE)))
    acf = unbiased_autocorrelation(vertical_g, min(hi2, n - 1))
    lo1 = max(1, int(step_lag * (1 - _LAG_TOLERANCE)))
    hi1 = int(np.ceil(step_lag * (1 + _LAG_TOLERANCE)))
    lo2 = max(hi1 + 1, int(2 * step_lag * (1 - _LAG_TOLERANCE)))
    if hi1 >= acf.shape[0] or lo2 >= acf.shape[0]:
        return Regularity(None, None, None)
    ad1 = float(acf[lo1 : hi1 + 1].max())
    ad2 = float(acf[lo2 : hi2 + 1].max())
    symmetry = ad1 / ad2 if ad2 > 0 else None
    return Regularity(ad1, ad2, symmetry)


def sagittal_rotation(forward_g: FloatArray, vertical_g: FloatArray) -> float:
    """Net rotation sense of the sagittal-plane acceleration loop, in [-1, 1].

    Parameters
    ----------
    forward_g, vertical_g
        Shape ``(n,)``: horizontal-forward and vertical acceleration over one stride (dynamic
        part: band-passed, gravity removed).

    Returns
    -------
    float
        Signed area swept by the vector ``(forward, vertical)`` around its mean, divided by the
        unsigned area: +1 when it turns only counter-clockwise in the (forward, up) plane, -1
        only clockwise, 0 for no preferred sense (or a window too short to tell).

    Notes
    -----
    Walking forward, the trunk decelerates after each heel strike while it is pushed up and
    accelerates forward while it falls ahead of the stance foot (inverted pendulum; Zijlstra
    and Hof 2003): forward acceleration lags vertical acceleration by about a quarter step, so
    the loop turns counter-clockwise. Accelerations are even under time reversal, so walking
    backward (close to forward walking played backward: Thorstensson 1986, Grasso et al. 1998)
    traverses the same loop the other way. Mediolateral acceleration leaking into the forward
    axis (a band turned about the vertical) only holds odd harmonics of the stride frequency
    while vertical acceleration holds even ones; over a whole stride their cross terms vanish.

    References
    ----------
    W. Zijlstra and A. L. Hof, "Assessment of spatio-temporal gait parameters from trunk
    accelerations during human walking", Gait Posture 18(2):1-10, 2003.
    A. Thorstensson, "How is the normal locomotor program modified to produce backward
    walking?", Exp. Brain Res. 61:664-668, 1986.
    R. Grasso, M. Bianchi and F. Lacquaniti, "Motor patterns for human gait: backward versus
    forward locomotion", J. Neurophysiol. 80:1868-1885, 1998.
    """
    if forward_g.shape[0] < 3:
        return 0.0
    x = forward_g - forward_g.mean()
    z = vertical_g - vertical_g.mean()
    cross = x[:-1] * np.diff(z) - z[:-1] * np.diff(x)
    gross = float(np.abs(cross).sum())
    if gross <= 0.0:
        return 0.0
    return float(cross.sum()) / gross
