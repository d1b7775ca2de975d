"""Activation functions, each with its derivative beside it.

Derivatives are written in terms of the activation's *output* ``a`` (as scikit-learn does),
so the backward pass needs no copy of the pre-activation.  Every function accepts an ``out``
array so the hot loop can work in place.

For softmax the derivative is a Jacobian; it is used through :func:`softmax_vjp`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from ..registry import Registry


@dataclass(frozen=True)
class Activation:
    """``forward(z, out) -> a`` and ``grad(a, grad_a) -> grad_z`` (grad_a may be modified in place)."""

    name: str
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]
    formula: str
    hidden: bool = True  # may be used in hidden layers


ACTIVATIONS: Registry[Activation] = Registry("activation")
LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0


def _sigmoid(z, out):
    # With e = exp(−|z|), which never overflows: σ(z) = 1 / (1 + e) for z ≥ 0 and e / (1 + e) for
    # z < 0.  Both are a few ulps from the exact value over the whole range (the tanh form
    # 0.5·(1 + tanh(z/2)) cancels for negative z: 35% off at z = −37 in float64, 0 below).
    negative = np.less(z, 0)  # before ``out``, which may be ``z``, is overwritten
    np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    numerator = np.where(negative, out, out.dtype.type(1))
    out += 1.0
    return np.divide(numerator, out, out=out)


def _sigmoid_grad(a, g):
    g *= a
    g *= 1.0 - a
    return g


def _tanh(z, out):
    return np.tanh(z, out=out)


def _tanh_grad(a, g):
    g *= 1.0 - a * a
    return g


@lru_cache(maxsize=16)
def _zeros(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    zeros = np.zeros(shape, dtype)
    zeros.setflags(write=False)
    return zeros


def _relu(z, out):
    # against an array of zeros np.maximum runs its vectorized loop, several times faster
    # than against the scalar 0
    return np.maximum(z, _zeros(z.shape, z.dtype.str), out=out)


def _relu_grad(a, g):
    g *= a > 0
    return g


relu_forward = _relu  # (the dropout mask of a relu layer carries relu's derivative: see .scratch)


def forward_for(activation: "Activation", shape: tuple[int, ...], dtype) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``activation.forward`` for arrays of ``shape`` only, with what it looks up per call bound
    once (relu: its array of zeros; softmax: its ones vector and row-max method).  The same
    arithmetic, for a pass's scratch arrays."""
    dtype = np.dtype(dtype).str
    if activation.forward is _relu:
        zeros = _zeros(tuple(shape), dtype)
        return lambda z, out: np.maximum(z, zeros, out=out)
    if activation.forward is softmax and len(shape) == 2:
        ones = _ones(shape[1], dtype)
        row_max = _row_max if shape[0] >= 256 and shape[1] <= 32 else lambda z: z.max(axis=1, keepdims=True)

        def bound_softmax(z, out):
            out = np.subtract(z, row_max(z), out=out)
            np.exp(out, out=out)
            out /= np.dot(out, ones)[:, None]
            return out
        return bound_softmax
    return activation.forward


def _leaky_relu(z, out):
    return np.maximum(z, LEAKY_SLOPE * z, out=out)  # for a slope below 1 this is the leaky relu


def _leaky_relu_grad(a, g):
    g[a <= 0] *= LEAKY_SLOPE
    return g


def _elu(z, out):
    neg = z < 0
    out[...] = z
    out[neg] = ELU_ALPHA * np.expm1(z[neg])
    return out


def _elu_grad(a, g):
    neg = a < 0
    g[neg] *= a[neg] + ELU_ALPHA  # d/dz alpha*(e^z - 1) = alpha*e^z = a + alpha
    return g


def _linear(z, out):
    if out is not z:
        out[...] = z
    return out


def _linear_grad(a, g):
    return g


@lru_cache(maxsize=16)
def _ones(k: int, dtype: str) -> np.ndarray:
    ones = np.ones(k, dtype)
    ones.setflags(write=False)
    return ones


def _row_max(z: np.ndarray) -> np.ndarray:
    """max over each row, shape (n, 1).

    NumPy reduces short rows one at a time; with many rows of a few classes, k − 1
    element-wise maxima over the columns are several times faster.
    """
    n, k = z.shape
    if n < 256 or k > 32:
        return z.max(axis=1, keepdims=True)
    m = z[:, 0].copy()
    for j in range(1, k):
        np.maximum(m, z[:, j], out=m)
    return m[:, None]


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Row-wise softmax; subtracts the row max so exp never overflows.  Shape (n, k)."""
    out = np.subtract(z, _row_max(z), out=out)
    np.exp(out, out=out)
    # row sums as a matrix-vector product: BLAS beats a reduction over short rows
    out /= np.dot(out, _ones(out.shape[1], out.dtype.str))[:, None]
    return out


def softmax_vjp(a: np.ndarray, g: np.ndarray) -> np.ndarray:
    """grad_z = a * (g - sum(g * a, axis=1)): the softmax Jacobian applied to g."""
    dot = np.einsum("ij,ij->i", g, a)[:, None]
    g -= dot
    g *= a
    return g


for _a in (
    Activation("sigmoid", _sigmoid, _sigmoid_grad, "σ(z) = 1 / (1 + e^(−z));  σ' = σ(1 − σ)"),
    Activation("tanh", _tanh, _tanh_grad, "tanh(z);  tanh' = 1 − tanh²"),
    Activation("relu", _relu, _relu_grad, "max(0, z);  derivative 1 for z > 0, else 0"),
    Activation("leaky_relu", _leaky_relu, _leaky_relu_grad,
               f"z for z > 0, {LEAKY_SLOPE}·z otherwise;  derivative 1 or {LEAKY_SLOPE}"),
    Activation("elu", _elu, _elu_grad,
               f"z for z > 0, α·(e^z − 1) otherwise, α = {ELU_ALPHA:g};  derivative 1 for z > 0, α·e^z otherwise"),
    Activation("linear", _linear, _linear_grad, "z;  derivative 1"),
    Activation("softmax", softmax, softmax_vjp, "e^(z_i) / Σ_j e^(z_j), row-wise (output layer only)", hidden=False),
):
    ACTIVATIONS.register(_a.name, _a)


def hidden_activation_names() -> list[str]:
    return [name for name, act in ACTIVATIONS.items() if act.hidden]
