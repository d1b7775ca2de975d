"""HistogramBatch gives, array by array, exactly what Histogram.of gives: constant arrays,
single values, lone maxima and non-finite entries included."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.engine.histograms import Histogram, HistogramBatch


def _cases(rng, dtype):
    normal = rng.normal(size=(40, 7))
    normal[2, 3] = normal.max() + 10.0  # a lone maximum: the last bin
    return [a.astype(dtype) for a in (
        normal, np.zeros(7), np.full((3, 2), -2.5), np.array([4.0]), np.maximum(rng.normal(size=(30, 5)), 0),
        rng.uniform(size=3), np.array([1.0, 1.0 + 1e-300 if dtype == np.float64 else 1.0]))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_equals_one_by_one_exactly(dtype):
    rng = np.random.default_rng(5)
    batch = HistogramBatch()
    for _ in range(2):  # the second call reuses the scratch arrays of the first
        arrays = _cases(rng, dtype)
        for a, hist in zip(arrays, batch(arrays)):
            alone = Histogram.of(a)
            np.testing.assert_array_equal(hist.counts, alone.counts)
            np.testing.assert_array_equal(hist.edges, alone.edges)
            assert hist.counts.sum() == a.size


def test_constant_arrays_span_half_a_unit_each_side():
    (const, other) = HistogramBatch()([np.full(4, 3.0), np.arange(5.0)])
    assert const.edges[0] == 2.5 and const.edges[-1] == 3.5 and const.counts.sum() == 4
    assert other.edges[0] == 0.0 and other.edges[-1] == 4.0


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_entries_are_left_out_as_one_by_one(bad):
    a = np.linspace(-1.0, 1.0, 50)
    a[7] = bad
    together = HistogramBatch()([a, np.arange(4.0)])
    for x, hist in zip([a, np.arange(4.0)], together):
        alone = Histogram.of(x)
        np.testing.assert_array_equal(hist.counts, alone.counts)
        np.testing.assert_array_equal(hist.edges, alone.edges)
    assert together[0].counts.sum() == 49


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_range_wider_than_the_largest_float_is_binned(dtype):
    top = float(np.finfo(dtype).max) * 0.75  # hi - lo = 1.5 x the largest float of the type
    values = np.array([-top, -top / 2, 0.0, top / 3, top], dtype=dtype)
    with np.errstate(over="ignore"):  # the batch finds the range's width overflows, as the trainer runs it
        batched = HistogramBatch(4)([values, np.arange(3.0, dtype=dtype)])[0]
    for histogram in (Histogram.of(values, 4), batched):
        assert np.isfinite(histogram.edges).all()
        assert histogram.edges[0] == values[0] and histogram.edges[-1] == values[-1]
        assert np.all(np.diff(histogram.edges) > 0)
        np.testing.assert_array_equal(histogram.counts, [1, 1, 2, 1])  # bins half of top wide
