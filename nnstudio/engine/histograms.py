"""Histograms of weights, gradients and activations, as the per-epoch records carry them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

HISTOGRAM_BINS = 30


@dataclass(frozen=True)
class Histogram:
    """Counts over ``len(counts)`` equal bins; ``edges`` has one more entry.  Both read-only."""

    counts: np.ndarray
    edges: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, bins: int = HISTOGRAM_BINS) -> "Histogram":
        """Histogram of the finite entries of ``values`` over [min, max] (±0.5 when they are all equal)."""
        v = np.asarray(values).reshape(-1)
        lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            v = v[np.isfinite(v)]
            lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
        if _flat_range(lo, hi, v.dtype if v.dtype.kind == "f" else np.float64):
            lo, hi = lo - 0.5, hi + 0.5
        # bin index = floor((v - lo) * bins / (hi - lo)), the maximum folded into the last bin;
        # np.bincount on these is several times faster than np.histogram at these sizes
        wide = v.dtype.kind == "f" and not hi - lo <= float(np.finfo(v.dtype).max)  # v - lo would overflow v's type
        if wide:  # bin the halves in float64, whose range is then wide enough
            half = 0.5
            scaled = np.multiply(v, half, dtype=np.float64)
            scaled -= lo * half
            scaled *= bins / (hi * half - lo * half)
        else:
            scaled = np.subtract(v, lo)
            scaled *= bins / (hi - lo)
        idx = scaled.astype(np.intp)
        np.minimum(idx, bins - 1, out=idx)
        counts = np.bincount(idx, minlength=bins)
        if wide:  # the edges of the halves, doubled: each stays finite
            edges = (lo * 0.5 + np.arange(bins + 1) * ((hi * 0.5 - lo * 0.5) / bins)) * 2.0
        else:
            edges = lo + np.arange(bins + 1) * ((hi - lo) / bins)
        edges[-1] = hi
        counts.setflags(write=False)
        edges.setflags(write=False)
        return cls(counts, edges)


def _flat_range(lo, hi, dtype) -> np.ndarray | bool:
    """Where [lo, hi] is too narrow to bin (equal values, or a width whose inverse overflows)."""
    return hi - lo < 1e3 * float(np.finfo(dtype).tiny)


class HistogramBatch:
    """Histograms of several arrays at once, as :meth:`Histogram.of` would give each of them.

    One concatenation, one bin-index pass and one ``np.bincount`` serve all arrays; the
    scratch arrays are kept between calls with the same sizes.  That makes a record's dozen
    histograms cost a few passes over the data instead of a dozen rounds of NumPy calls.
    """

    LANES = 4  # independent sets of counters: runs of equal values (relu zeros) stop serializing

    def __init__(self, bins: int = HISTOGRAM_BINS):
        self.bins = bins
        self._sizes: tuple[int, ...] = ()
        self._steps = np.arange(bins + 1)  # edge k = lo + k * width / bins

    def _prepare(self, sizes: tuple[int, ...], dtype: np.dtype) -> None:
        if sizes == self._sizes and self._values.dtype == dtype:
            return
        self._sizes = sizes
        self._counts = np.asarray(sizes)
        self._starts = np.cumsum(self._counts) - self._counts
        total = int(self._counts.sum())
        self._values = np.empty(total, dtype)
        self._index = np.empty(total, np.int32)
        # bin k of array i at position j counts into slot (j % LANES, i, k)
        slots = len(sizes) * self.bins
        array_offsets = np.repeat(np.arange(len(sizes), dtype=np.int32) * self.bins, sizes)
        self._offsets = array_offsets + (np.arange(total, dtype=np.int32) % self.LANES) * slots
        self._narrow = 1e3 * np.finfo(dtype).tiny  # as _flat_range has it

    def __call__(self, arrays) -> list[Histogram]:
        return self.flat([np.asarray(a).reshape(-1) for a in arrays])

    def flat(self, arrays: list[np.ndarray]) -> list[Histogram]:
        """As calling the batch, for arrays that are 1-D already."""
        sizes = tuple(map(len, arrays))
        if not arrays or min(sizes) == 0:
            return [Histogram.of(a, self.bins) for a in arrays]
        dtype = np.result_type(*arrays)
        self._prepare(sizes, dtype)
        values, bins = self._values, self.bins
        np.concatenate(arrays, out=values)
        lo = np.minimum.reduceat(values, self._starts).astype(np.float64)
        hi = np.maximum.reduceat(values, self._starts).astype(np.float64)
        width = hi - lo  # when a range is not finite or v - lo would overflow the values' type: one by one
        if not (width <= (np.finfo(dtype).max if dtype.kind == "f" else np.inf)).all():
            return [Histogram.of(a, bins) for a in arrays]
        flat = width < self._narrow  # _flat_range(lo, hi, dtype)
        if flat.any():
            np.subtract(lo, 0.5, out=lo, where=flat)
            np.add(hi, 0.5, out=hi, where=flat)
            width = hi - lo
        # bin index = floor((v - lo) * bins / (hi - lo)), all arrays in one pass
        values -= np.repeat(lo.astype(dtype), self._counts)
        values *= np.repeat((bins / width).astype(dtype), self._counts)
        index = self._index
        np.copyto(index, values, casting="unsafe")  # truncation: floor, as values >= 0
        np.minimum(index, bins - 1, out=index)  # the maximum belongs to the last bin
        index += self._offsets
        counts = np.bincount(index, minlength=self.LANES * len(sizes) * bins)
        counts = counts.reshape(self.LANES, len(sizes), bins).sum(axis=0)
        edges = lo[:, None] + self._steps * (width / bins)[:, None]
        edges[:, -1] = hi
        counts.setflags(write=False)
        edges.setflags(write=False)
        return [Histogram(c, e) for c, e in zip(counts, edges)]
