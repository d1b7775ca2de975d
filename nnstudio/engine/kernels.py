"""Small numeric kernels of the training step, each the cheapest NumPy form of its formula."""

from __future__ import annotations

import math

import numpy as np

BN_EPS = 1e-5


def product_for(rows: int):
    """The matrix product for a pass over ``rows`` rows: ``np.dot`` for a single row, whose
    outer products and vector-matrix products ``np.matmul`` sends down a slow generic path."""
    return np.dot if rows == 1 else np.matmul


def fold_batch_norm(x: np.ndarray, layer, out: np.ndarray) -> np.ndarray:
    """Evaluation-mode dense + batch norm as one affine map, written into ``out``.

    gamma·(x W + b − μ)/√(σ² + eps) + beta  =  x (W·k) + (b − μ)·k + beta  with  k = gamma/√(σ² + eps),
    using the running statistics μ, σ²: one product with a column-scaled copy of W instead of
    a product and four passes over the pre-activations.
    """
    k = layer.gamma / np.sqrt(layer.running_var + BN_EPS)
    np.matmul(x, layer.W * k, out=out)
    out += (layer.b - layer.running_mean) * k + layer.beta
    return out


def keep_threshold(keep: float) -> int:
    """The 32-bit word below which a unit is kept with probability ``keep`` (to within 2⁻³²)."""
    return min(int(keep * 4294967296.0 + 0.5), 4294967295)


def random_words(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform random 32-bit words of ``shape``: the generator's raw 64-bit output split in two."""
    size = math.prod(shape)
    words = rng.bit_generator.random_raw((size + 1) >> 1).view(np.uint32)
    return (words if size & 1 == 0 else words[:size]).reshape(shape)
