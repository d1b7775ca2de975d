"""Loss functions with their gradients, and the fused output gradients.

Conventions (``p``: network output, ``y``: target, both shape (n, k)):

* ``mse``                      L = mean over samples and outputs of (p − y)²
* ``log_loss``                 L = −mean over samples and outputs of y·log p + (1 − y)·log(1 − p)
* ``categorical_crossentropy`` L = −mean over samples of Σ_classes y·log p

Logs clip ``p`` into [eps, 1 − eps] with ``eps = finfo(dtype).eps`` so log(0) never occurs.

The output layer needs dL/dz (z: pre-activation), not dL/dp.  For the matched pairs
sigmoid + log_loss and softmax + categorical_crossentropy the chain rule collapses to
``(p − y) / n`` (divided by k as well for log loss, which averages over outputs); these are
the entries of :data:`FUSED_OUTPUT_GRADIENTS`.  Every other pairing goes through the loss
gradient and then the activation's derivative, e.g. sigmoid + mse gives
``2 (p − y) p (1 − p) / (n k)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..registry import Registry


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable[[np.ndarray, np.ndarray], float]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]  # dL/dp, shape of p
    formula: str


LOSSES: Registry[Loss] = Registry("loss")


_EPS = {np.dtype(t): float(np.finfo(t).eps) for t in (np.float16, np.float32, np.float64, np.longdouble)}


def _eps(p):
    return _EPS.get(p.dtype, 1e-12)  # machine epsilon of a float dtype (a dict: np.finfo is slow per call)


# np.maximum/np.minimum rather than np.clip: same result, far less overhead per call


def _mse(p, y):
    d = p - y
    return float(np.einsum("ij,ij->", d, d) / d.size)


def _mse_grad(p, y):
    g = p - y
    g *= 2.0 / g.size
    return g


def _log_loss(p, y):
    eps = _eps(p)
    q = np.minimum(np.maximum(p, eps), 1 - eps)
    return float(-(y * np.log(q) + (1 - y) * np.log1p(-q)).sum() / p.size)


def _log_loss_grad(p, y):
    eps = _eps(p)
    q = np.minimum(np.maximum(p, eps), 1 - eps)
    return ((q - y) / (q * (1 - q))) / p.size


def _cce(p, y):
    log_p = np.log(np.maximum(p, _eps(p)))
    return float(-np.einsum("ij,ij->", y, log_p) / p.shape[0])


def _cce_grad(p, y):
    return -y / np.maximum(p, _eps(p)) / p.shape[0]


for _l in (
    Loss("mse", _mse, _mse_grad, "L = mean (p − y)²"),
    Loss("log_loss", _log_loss, _log_loss_grad, "L = −mean [y log p + (1 − y) log(1 − p)]  (binary cross-entropy)"),
    Loss("categorical_crossentropy", _cce, _cce_grad,
         "L = −(1/n) Σ_samples Σ_classes y log p  (sum over classes, mean over samples)"),
):
    LOSSES.register(_l.name, _l)


def _sigmoid_log_loss(p, y, out):
    np.subtract(p, y, out=out)
    out /= p.size
    return out


def _softmax_cce(p, y, out):
    np.subtract(p, y, out=out)
    out /= p.shape[0]
    return out


# (output activation, loss) -> fn(p, y, out) writing dL/dz into out.
FUSED_OUTPUT_GRADIENTS: dict[tuple[str, str], Callable] = {
    ("sigmoid", "log_loss"): _sigmoid_log_loss,
    ("softmax", "categorical_crossentropy"): _softmax_cce,
}
