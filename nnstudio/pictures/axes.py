"""Axis ranges and tick positions for the pictures (no Qt): linear and log10 scales."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np


def _finite(values: Iterable[np.ndarray | None], log: bool) -> np.ndarray:
    parts = [v[np.isfinite(v)] for v in values if v is not None and v.size]
    data = np.concatenate(parts) if parts else np.zeros(0)
    return data[data > 0] if log else data


def data_range(values: Iterable[np.ndarray | None], log: bool, pad: float = 0.05) -> tuple[float, float]:
    """A range holding every finite value (positive ones on a log scale), padded a little."""
    data = _finite(values, log)
    if not data.size:
        return (0.1, 10.0) if log else (0.0, 1.0)
    lo, hi = float(data.min()), float(data.max())
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    span = hi - lo
    lo, hi = lo - pad * span, hi + pad * span
    return (10 ** lo, 10 ** hi) if log else (lo, hi)


class Scale:
    """Maps data values in [lo, hi] to pixels in [start, end] (``end`` < ``start`` for y axes)."""

    def __init__(self, lo: float, hi: float, log: bool, start: float, end: float):
        self.lo, self.hi, self.log, self.start, self.end = lo, hi, log, start, end
        self._a, self._b = self._f(lo), self._f(hi)

    def _f(self, v: float) -> float:
        return math.log10(v) if self.log else v

    def __call__(self, value: float) -> float:
        if self.log and not value > 0:
            return math.nan
        t = (self._f(value) - self._a) / (self._b - self._a)
        return self.start + t * (self.end - self.start)

    def many(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan) if self.log else values
        return self.start + (v - self._a) / (self._b - self._a) * (self.end - self.start)

    def ticks(self, fixed: Sequence[float] | None = None) -> list[tuple[float, str]]:
        """(value, label) pairs inside the range: ``fixed`` ones, decades (log) or 1-2-5 steps."""
        inside = lambda v: self.lo - 1e-12 * abs(self.lo) <= v <= self.hi + 1e-12 * abs(self.hi)  # noqa: E731
        if fixed is not None:
            return [(float(v), f"{v:g}") for v in fixed if inside(v)]
        if self.log:
            return [(v, f"{v:g}") for v in log_ticks(self.lo, self.hi) if inside(v)]
        step = nice_step((self.hi - self.lo) / 5)
        first = math.ceil(self.lo / step) * step
        values = [first + i * step for i in range(int((self.hi - first) / step + 1e-9) + 1)]
        digits = max(0, -int(math.floor(math.log10(step))))
        return [(v, f"{v:.{digits}f}" if digits < 5 else f"{v:.2g}") for v in values if inside(v)]


def nice_step(raw: float) -> float:
    """The 1, 2 or 5 times a power of ten nearest above ``raw``."""
    if not raw > 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw * 0.999:
            return m * power
    return 10 * power


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten in [lo, hi]; with fewer than two of them, 2x and 5x as well."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    decades = [10.0 ** k for k in range(a, b + 1)]
    if sum(lo <= d <= hi for d in decades) >= 2:
        step = max(1, (b - a) // 6)
        return [10.0 ** k for k in range(a, b + 1, step)]
    return sorted(m * d for d in decades for m in (1, 2, 5))
