"""Small numeric kernels of the training step, each the cheapest NumPy form of its formula."""

from __future__ import annotations

import math

import numpy as np

def product_for(rows: int):
    """The matrix product for a pass over ``rows`` rows: ``np.dot`` for a single row, whose
    outer products and vector-matrix products ``np.matmul`` sends down a slow generic path."""
    return np.dot if rows == 1 else np.matmul


def keep_threshold(keep: float) -> int:
    """The 32-bit word below which a unit is kept with probability ``keep`` (to within 2⁻³²)."""
    return min(int(keep * 4294967296.0 + 0.5), 4294967295)


def random_words(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform random 32-bit words of ``shape``: the generator's raw 64-bit output split in two."""
    size = math.prod(shape)
    words = rng.bit_generator.random_raw((size + 1) >> 1).view(np.uint32)
    return (words if size & 1 == 0 else words[:size]).reshape(shape)


def dropout(scratch, rng: np.random.Generator) -> np.ndarray:
    """Inverted dropout of ``scratch.z`` into ``scratch.dropped``: keep with probability 1 − p,
    scale kept units by 1 / (1 − p).

    A unit is kept when a raw 32-bit word from ``rng`` is below ``round((1 − p)·2³²)``:
    probability 1 − p to within 2⁻³², at half the cost of float uniforms.
    """
    mask, n = scratch.mask, scratch.keep_words.size
    words = rng.bit_generator.random_raw(scratch.raw_words).view(np.uint32)  # as random_words(rng, mask.shape)
    np.less(words if len(words) == n else words[:n], scratch.threshold, out=scratch.keep_words)
    np.copyto(mask, scratch.keep)  # then scaled: faster than multiplying booleans by a float
    mask *= scratch.scale_kept
    scratch.used_mask = mask
    return np.multiply(scratch.z, mask, out=scratch.dropped)
