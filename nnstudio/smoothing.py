"""Curve smoothing the plots share (no Qt): TensorBoard's debiased exponential moving average,
and a pair version that never turns a clear order of two curves around.

Debiased EMA: ``m[0] = 0``, ``m[t] = β·m[t-1] + (1-β)·x[t]`` for t = 1..n, shown as
``m[t] / (1 - βᵗ)``.  Each shown value is a weighted mean of the raw values so far, with weights
``β^(t-i)`` normalized to sum to one; the first point is the first raw value, and an early
outlier does not linger as it does when the average starts at the first value.

Order of two curves (train and validation loss): a weighted mean over past epochs can still
put train above validation a few epochs after the raw train loss dropped below it.  The pair
version defines *clearly ordered* at epoch t as: over the last :data:`CLEAR_EPOCHS` epochs (or
all of them, if fewer) the raw difference ``a - b`` kept one sign and was never smaller than
``tolerance`` (2 %) times the larger of the two values: one epoch's crossing may be noise, three
in a row with a visible gap are not.  Where the raw curves are clearly ordered and
the smoothed ones are not ordered the same way, both curves take, from there to the end of that
ordered stretch, the debiased average restarted where the raw order began.  Both use the same weights over epochs where
every raw pair has the same order, so their order is the raw one: a guarantee, not a tendency.
"""

from __future__ import annotations

from itertools import accumulate
from typing import Sequence

import numpy as np

CLEAR_TOLERANCE = 0.02  # relative gap below which two values count as "about equal"
CLEAR_EPOCHS = 3        # epochs in a row an order must hold to count as clear


def debiased_ema(values: Sequence[float], beta: float) -> np.ndarray:
    """``m[t] / (1 - βᵗ)`` with ``m[0] = 0``; ``beta`` 0 returns the values."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0 or beta <= 0.0:
        return x.copy()
    keep, take = float(beta), 1.0 - float(beta)
    m = np.fromiter(accumulate(x.tolist(), lambda s, v: keep * s + take * v, initial=0.0),
                    dtype=np.float64, count=x.size + 1)[1:]
    bias = 1.0 - np.power(keep, np.arange(1, x.size + 1))
    return m / bias


def clear_order(a: np.ndarray, b: np.ndarray, tolerance: float = CLEAR_TOLERANCE,
                epochs: int = CLEAR_EPOCHS) -> np.ndarray:
    """Per epoch: +1 where ``a`` is clearly above ``b``, -1 clearly below, 0 otherwise (see module)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    diff = a - b
    scale = np.maximum(np.abs(a), np.abs(b))
    sign = np.where(np.abs(diff) > tolerance * scale, np.sign(diff), 0.0)
    sign[~np.isfinite(diff)] = 0.0
    out = np.zeros(len(sign))
    run = 0
    for t, s in enumerate(sign):
        run = run + 1 if s != 0 and t > 0 and s == sign[t - 1] else (1 if s != 0 else 0)
        if run >= min(epochs, t + 1):
            out[t] = s
    return out


def smooth_pair(a: Sequence[float], b: Sequence[float], beta: float,
                tolerance: float = CLEAR_TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """Debiased averages of two curves of equal length, with their clear raw order kept."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    sa, sb = debiased_ema(a, beta), debiased_ema(b, beta)
    if beta <= 0.0 or len(a) == 0:
        return sa, sb
    order = clear_order(a, b, tolerance)
    wrong = np.flatnonzero((order != 0) & (np.sign(sa - sb) != order))
    if len(wrong) == 0:
        return sa, sb
    raw_sign = np.sign(a - b)
    t = 0
    while t < len(wrong):
        first = wrong[t]
        start = first
        while start > 0 and raw_sign[start - 1] == order[first] and np.isfinite(a[start - 1] - b[start - 1]):
            start -= 1
        end = first
        while end + 1 < len(a) and order[end + 1] == order[first]:
            end += 1
        # from the first wrong epoch to the end of the stretch (not only where it is wrong, which
        # would make the curve jump back and forth), the average restarted where the order began
        ra, rb = debiased_ema(a[start:end + 1], beta), debiased_ema(b[start:end + 1], beta)
        sa[first:end + 1], sb[first:end + 1] = ra[first - start:], rb[first - start:]
        while t < len(wrong) and wrong[t] <= end:
            t += 1
    return sa, sb
