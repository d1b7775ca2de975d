"""A network's layers and the scratch arrays of its passes, one set per batch size.

:class:`Layer` is one dense block: views of its parameters and gradients inside the network's
flat vectors, and the caches its backward pass reads.  A :class:`Workspace` holds every layer's
:class:`Scratch` arrays for one batch size, allocated once and reused by every pass of that size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .activations import Activation, forward_for, relu_forward
from .kernels import keep_threshold, product_for


@dataclass
class Layer:
    """One dense block and the caches its backward pass needs."""

    name: str
    W: np.ndarray
    b: np.ndarray
    gW: np.ndarray
    gb: np.ndarray
    activation: Activation
    dropout_rate: float = 0.0
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None
    ggamma: np.ndarray | None = None
    gbeta: np.ndarray | None = None
    running_mean: np.ndarray | None = None
    running_var: np.ndarray | None = None
    span: slice = field(default_factory=lambda: slice(0))  # this layer's parameters inside the flat vector
    buffer_offset: int = 0  # where its running mean starts in the buffer vector (its variance follows)
    # caches from the last forward pass (views into the workspace of that batch size)
    x: np.ndarray | None = None       # input, (n, fan_in)
    a: np.ndarray | None = None       # activation before dropout, (n, units)
    scratch: "Scratch | None" = None  # the scratch arrays of the last pass

    @property
    def batch_norm(self) -> bool:
        return self.gamma is not None

    @property
    def mask(self) -> np.ndarray | None:
        """The last pass's dropout mask, a new array: 1 / (1 − p) for kept units, 0 for dropped
        ones (None when the pass dropped nothing)."""
        s = self.scratch
        if s is None or s.used_mask is None:
            return None
        return s.keep.astype(s.mask.dtype) * s.mask.dtype.type(s.scale_kept)

    @property
    def units(self) -> int:
        return self.W.shape[1]

    def staged_views(self, staged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """This layer's (mean, variance) inside a vector laid out as the buffers."""
        lo, u = self.buffer_offset, self.W.shape[1]
        return staged[lo:lo + u], staged[lo + u:lo + 2 * u]


class Scratch:
    """The arrays one layer needs for a batch of ``n`` rows, allocated once per batch size,
    and the caches the backward pass reads.

    ``z`` holds the pre-activation and then, in place, the activation; ``delta`` holds the
    gradient flowing back into the layer; ``dropped``/``mask``/``keep`` serve dropout.  Batch
    normalization (:mod:`.batchnorm`) keeps the centred pre-activation ``xc``, a spare ``tmp``
    of the same shape, and per-unit vectors: the batch ``mean``, ``inv_std`` = 1/√(var + eps),
    the column ``scale`` gamma · inv_std and two for its backward pass (``shift``, ``slope``).
    ``x`` is the layer's input in the last pass and ``used_mask`` the factor its backward pass
    applies for dropout (None when it dropped nothing): the dropout mask, and for a relu layer
    the mask times relu's derivative (``active``: kept units with a positive output), so that
    the backward pass needs no separate relu derivative (``mask_has_grad``).
    """

    __slots__ = ("z", "delta", "dropped", "mask", "keep", "keep_words", "raw_words", "threshold", "scale_kept", "xc",
                 "tmp", "mean", "inv_std", "scale", "shift", "slope", "x", "used_mask", "batch_stats", "drops",
                 "normalizes", "forward", "grad", "active", "mask_has_grad")

    def __init__(self, n: int, layer: Layer, dtype: np.dtype):
        shape = (n, layer.units)
        self.z = np.empty(shape, dtype)
        self.delta = np.empty(shape, dtype)
        dropout = layer.dropout_rate > 0.0
        self.dropped = np.empty(shape, dtype) if dropout else None
        self.mask = np.empty(shape, dtype) if dropout else None
        self.keep = np.empty(shape, bool) if dropout else None
        # a word below it keeps the unit (a NumPy scalar: against a Python int the comparison costs 40% more)
        self.threshold = np.uint32(keep_threshold(1.0 - layer.dropout_rate))
        # the mask's 32-bit words come from (size + 1) // 2 raw 64-bit outputs; an odd size drops the last word
        self.raw_words = (n * layer.units + 1) >> 1
        self.keep_words = self.keep.reshape(-1) if dropout else None  # ``keep`` as a vector, one word per unit
        self.scale_kept = 1.0 / (1.0 - layer.dropout_rate) if dropout else 1.0  # inverted dropout's factor
        bn = layer.batch_norm
        # fixed per layer and batch size, read by every pass (cheaper than the layer's properties)
        self.drops, self.normalizes = dropout, bn
        self.forward, self.grad = forward_for(layer.activation, shape, dtype), layer.activation.grad
        # relu's derivative is 1 exactly where its output is positive: folded into the dropout mask
        self.mask_has_grad = dropout and layer.activation.forward is relu_forward
        self.active = np.empty(shape, bool) if self.mask_has_grad else None
        self.xc = np.empty(shape, dtype) if bn else None
        self.tmp = np.empty(shape, dtype) if bn else None
        self.mean, self.inv_std, self.scale, self.shift, self.slope = (
            (np.empty(layer.units, dtype) for _ in range(5)) if bn else (None,) * 5)
        self.x = None
        self.used_mask = None
        self.batch_stats = False  # whether the last pass normalized with batch statistics (training)


class Workspace:
    """Scratch for every layer at one batch size, and the batch-norm statistics its last
    training pass staged (``staged``, laid out as the network's buffer vector)."""

    __slots__ = ("layers", "pairs", "product", "ones", "inv_n", "staged", "spare")

    def __init__(self, n: int, layers: Sequence[Layer], dtype: np.dtype, n_buffers: int):
        self.layers = [Scratch(n, layer, dtype) for layer in layers]
        self.pairs = tuple(zip(layers, self.layers))  # (layer, its scratch), input layer first
        self.product = product_for(n)
        self.ones = np.ones(n, dtype)  # bias gradient = ones @ delta (BLAS beats a column sum)
        self.inv_n = np.full(n, 1.0 / n, dtype)  # column means = inv_n @ z
        self.staged = np.zeros(n_buffers, dtype)
        self.spare = np.zeros(n_buffers, dtype)
