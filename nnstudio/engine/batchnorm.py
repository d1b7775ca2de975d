"""Batch normalization of one dense layer's pre-activations, forward and backward, in place.

Conventions (see :mod:`.network`): in training z is normalized with the batch mean μ and biased
variance σ² (divided by n), ``x̂ = (z − μ) / √(σ² + BN_EPS)``, output ``y = gamma · x̂ + beta``;
evaluation uses the running statistics.  Every function works on the layer's scratch arrays
(:class:`~.scratch.Scratch`) with as few NumPy calls as the formula allows, since at small batches
each call costs more than its arithmetic:

* the centred pre-activation ``xc = z − μ`` is kept instead of x̂, and gamma and 1/√(σ² + eps)
  are merged into one column scale ``s`` (a vector), so ``y = xc · s + beta`` is two passes;
* column sums and means are products with a vector of ones (or of 1/n): one BLAS call beats a
  reduction along axis 0;
* in training the dense layer's bias b is not added at all: the batch mean cancels it, so its
  gradient is exactly 0 and only the running mean sees it (as μ + b);
* the batch statistics are *staged* in the workspace and folded into the running statistics of
  every layer at once by :func:`commit_statistics`, when the caller applies the step.
"""

from __future__ import annotations

import numpy as np

BN_EPS = 1e-5
BN_MOMENTUM = 0.9  # running = momentum * running + (1 - momentum) * batch


def forward_training(layer, scratch, inv_n: np.ndarray, staged_mean: np.ndarray, staged_var: np.ndarray) -> None:
    """``scratch.z`` (x W, without the bias) becomes gamma · x̂ + beta with the batch's statistics.

    ``inv_n`` is a vector of 1/n; the batch's mean (plus the bias, which the running mean
    tracks) and variance are written into ``staged_mean`` and ``staged_var``.
    """
    z, xc = scratch.z, scratch.xc
    mean = np.matmul(inv_n, z, out=scratch.mean)
    np.add(mean, layer.b, out=staged_mean)
    np.subtract(z, mean, out=xc)
    np.matmul(inv_n, np.multiply(xc, xc, out=scratch.tmp), out=staged_var)
    _scale(layer, scratch, staged_var)
    scratch.batch_stats = True


def forward_evaluation(layer, scratch) -> None:
    """``scratch.z`` (x W + b) becomes gamma · x̂ + beta with the running statistics."""
    np.subtract(scratch.z, layer.running_mean, out=scratch.xc)
    _scale(layer, scratch, layer.running_var)
    scratch.batch_stats = False


def _scale(layer, scratch, var: np.ndarray) -> None:
    """inv_std = 1/√(var + eps), s = gamma · inv_std, and z ← xc · s + beta."""
    inv_std = np.add(var, BN_EPS, out=scratch.inv_std)
    np.sqrt(inv_std, out=inv_std)
    np.divide(1.0, inv_std, out=inv_std)
    s = np.multiply(layer.gamma, inv_std, out=scratch.scale)
    np.multiply(scratch.xc, s, out=scratch.z)
    scratch.z += layer.beta


def backward(layer, scratch, dy: np.ndarray, ones: np.ndarray) -> None:
    """dy (the gradient at the batch-norm output) becomes, in place, the gradient at z; fills
    the gradients of gamma and beta.

    With batch statistics, as the mean and variance depend on every row,
    ``dz = s · (dy − Σdy / n − x̂ · Σ(dy·x̂) / n)`` with ``s = gamma · inv_std``; in terms of the
    kept ``xc = x̂ / inv_std`` the last term is ``xc · (s · inv_std · ggamma / n)``, where
    ``ggamma = Σ dy·x̂`` and ``gbeta = Σ dy``.  With running statistics (evaluation mode) the
    layer is affine in z and ``dz = s · dy``.
    """
    s, inv_std, tmp = scratch.scale, scratch.inv_std, scratch.tmp
    gbeta = np.matmul(ones, dy, out=layer.gbeta)
    ggamma = np.matmul(ones, np.multiply(dy, scratch.xc, out=tmp), out=layer.ggamma)
    ggamma *= inv_std
    dy *= s
    if not scratch.batch_stats:
        return
    n = dy.shape[0]
    c = np.multiply(s, gbeta, out=scratch.shift)
    c *= 1.0 / n
    dy -= c
    k = np.multiply(s, inv_std, out=scratch.slope)
    k *= ggamma
    k *= 1.0 / n
    dy -= np.multiply(scratch.xc, k, out=tmp)


def commit_statistics(running: np.ndarray, staged: np.ndarray, scratch: np.ndarray) -> None:
    """running ← momentum · running + (1 − momentum) · staged, for every layer at once
    (``running`` is the network's buffer vector, ``staged`` the batch statistics in its layout)."""
    running *= BN_MOMENTUM
    running += np.multiply(staged, 1 - BN_MOMENTUM, out=scratch)


def fold(x: np.ndarray, layer, out: np.ndarray) -> np.ndarray:
    """Evaluation-mode dense + batch norm as one affine map, written into ``out``.

    gamma·(x W + b − μ)/√(σ² + eps) + beta  =  x (W·k) + (b − μ)·k + beta  with  k = gamma/√(σ² + eps),
    using the running statistics μ, σ²: one product with a column-scaled copy of W instead of
    a product and four passes over the pre-activations.
    """
    k = layer.gamma / np.sqrt(layer.running_var + BN_EPS)
    np.matmul(x, layer.W * k, out=out)
    out += (layer.b - layer.running_mean) * k + layer.beta
    return out
