"""A fully-connected network: Dense -> [BatchNorm] -> activation -> [inverted dropout] per hidden layer.

All parameters live in one flat array (``Network.flat``) and all gradients in another
(``Network.flat_grad``); each weight matrix and bias vector is a *view* into them.  Optimizers,
clipping and early-stopping copies therefore work on a single vector.

Parameter order (``get_params`` / ``set_params`` / ``param_names``), for hidden layers 1..L and
then the output layer::

    layer1.W (n_in, u1), layer1.b (u1,), [layer1.gamma (u1,), layer1.beta (u1,) if batch norm],
    ...,
    output.W (u_L, n_out), output.b (n_out,)

Batch-norm running statistics are *buffers*, not parameters (``get_buffers``).

Batch-norm conventions: in training, z is normalized with the batch's mean and *biased*
variance (divided by n), ``x̂ = (z − mean) / sqrt(var + BN_EPS)`` with ``BN_EPS = 1e-5``, and the
running statistics follow ``running = BN_MOMENTUM · running + (1 − BN_MOMENTUM) · batch`` with
``BN_MOMENTUM = 0.9``: Keras's ``momentum=0.9``, PyTorch's ``momentum=0.1`` (PyTorch names the
weight of the new batch).  The running variance is the biased batch variance, as in Keras
(PyTorch keeps the unbiased one, n / (n − 1) larger).  Evaluation uses the running statistics,
and :meth:`Network.backward` differentiates whichever statistics the forward pass used.  The
arithmetic lives in :mod:`.batchnorm`.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..config import ExperimentConfig, LayerConfig
from .activations import ACTIVATIONS
from .initializers import INITIALIZERS
from . import batchnorm
from .batchnorm import BN_EPS, BN_MOMENTUM  # noqa: F401 (re-exported: their old home)
from .kernels import dropout, through_activation
from .losses import FUSED_OUTPUT_GRADIENTS, LOSSES
from .targets import decode_classes, encode_targets  # noqa: F401 (re-exported: their old home)
from .scratch import Layer as _Layer, Workspace as _Workspace

MAX_WORKSPACES = 4  # batch sizes whose scratch arrays are kept (batch, last batch, evaluation, ...)


class StepAbandoned(Exception):
    """A pass given a ``stop`` callable saw it return True between two layers."""


class Network:
    """A multilayer perceptron with an explicit, documented parameter layout.

    Args:
        n_inputs: features per sample.
        hidden: the hidden layers (units, activation, dropout_rate, batch_norm).
        n_outputs: output units.
        output_activation, loss_func, init_method: registry names.
        rng: the generator used for initial weights.
        initialize: False leaves the weights zero, for a caller that loads a state next.
        dtype: float32 or float64.
        l1, l2: penalties on weights (not biases): ``l1 Σ|W| + l2 Σ W²``.

    Scratch arrays for the forward and backward passes are allocated once per batch size and
    reused, so a training step allocates almost nothing.
    """

    def __init__(self, n_inputs: int, hidden: Sequence[LayerConfig], n_outputs: int, *,
                 output_activation: str = "softmax", loss_func: str = "categorical_crossentropy",
                 init_method: str = "he_normal", rng: np.random.Generator | None = None,
                 dtype="float32", l1: float = 0.0, l2: float = 0.0, initialize: bool = True):
        rng = rng if rng is not None else np.random.default_rng(0)
        self.dtype = np.dtype(dtype)
        self.n_inputs, self.n_outputs = int(n_inputs), int(n_outputs)
        self.hidden_config = tuple(hidden)
        self.output_activation = ACTIVATIONS[output_activation]
        self.loss = LOSSES[loss_func]
        self.init_method = INITIALIZERS[init_method]
        self.l1, self.l2 = float(l1), float(l2)
        for layer in self.hidden_config:
            if not ACTIVATIONS[layer.activation].hidden:
                raise ValueError(f"activation {layer.activation!r} can only be used on the output layer")
        self._fused = FUSED_OUTPUT_GRADIENTS.get((output_activation, loss_func))
        self._workspaces: dict[int, _Workspace] = {}
        self._last: _Workspace | None = None  # workspace of the last forward pass
        self._staged: _Workspace | None = None  # workspace whose batch statistics await commit_statistics
        self._allocate()
        if initialize:  # False: the caller loads a state at once (drawing 7M weights takes half a second)
            self.initialize(rng)

    @classmethod
    def from_config(cls, config: ExperimentConfig, n_inputs: int, n_outputs: int,
                    rng: np.random.Generator | None = None) -> "Network":
        if rng is None:
            rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(1)[0])
        return cls(n_inputs, config.layers, n_outputs, output_activation=config.output_activation,
                   loss_func=config.loss_func, init_method=config.init_method, rng=rng,
                   dtype=config.dtype, l1=config.l1, l2=config.l2)

    # -- layout --------------------------------------------------------------------
    def _allocate(self) -> None:
        sizes = [self.n_inputs] + [l.units for l in self.hidden_config] + [self.n_outputs]
        shapes, names = [], []
        for i, cfg in enumerate(self.hidden_config + (None,)):
            prefix = "output" if cfg is None else f"layer{i + 1}"
            fan_in, fan_out = sizes[i], sizes[i + 1]
            shapes += [(fan_in, fan_out), (fan_out,)]
            names += [f"{prefix}.W", f"{prefix}.b"]
            if cfg is not None and cfg.batch_norm:
                shapes += [(fan_out,), (fan_out,)]
                names += [f"{prefix}.gamma", f"{prefix}.beta"]
        counts = [int(np.prod(s)) for s in shapes]
        self.flat = np.zeros(sum(counts), dtype=self.dtype)
        self.flat_grad = np.zeros_like(self.flat)
        self.weight_mask = np.zeros_like(self.flat)
        self.param_names = tuple(names)
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        offset = 0
        for shape, count, name in zip(shapes, counts, names):
            self.params.append(self.flat[offset:offset + count].reshape(shape))
            self.grads.append(self.flat_grad[offset:offset + count].reshape(shape))
            if name.endswith(".W"):
                self.weight_mask[offset:offset + count] = 1
            offset += count
        n_bn = sum(l.units for l in self.hidden_config if l.batch_norm)
        self.buffers_flat = np.zeros(2 * n_bn, dtype=self.dtype)
        self._build_layers(sizes)

    def _build_layers(self, sizes) -> None:
        p, g = iter(self.params), iter(self.grads)
        self.layers: list[_Layer] = []
        offset, buf = 0, 0
        for i, cfg in enumerate(self.hidden_config + (None,)):
            act = self.output_activation if cfg is None else ACTIVATIONS[cfg.activation]
            layer = _Layer("output" if cfg is None else f"layer{i + 1}", next(p), next(p), next(g), next(g), act)
            size = layer.W.size + layer.b.size
            if cfg is not None:
                layer.dropout_rate = float(cfg.dropout_rate)
                if cfg.batch_norm:
                    layer.gamma, layer.beta, layer.ggamma, layer.gbeta = next(p), next(p), next(g), next(g)
                    u = cfg.units
                    layer.running_mean = self.buffers_flat[buf:buf + u]
                    layer.running_var = self.buffers_flat[buf + u:buf + 2 * u]
                    layer.buffer_offset = buf
                    buf += 2 * u
                    size += 2 * u
            layer.span = slice(offset, offset + size)
            offset += size
            self.layers.append(layer)

    def _workspace(self, n: int) -> _Workspace:
        """Scratch arrays for a batch of ``n`` rows (kept for a few sizes)."""
        ws = self._workspaces.pop(n, None)
        if ws is None:
            if len(self._workspaces) >= MAX_WORKSPACES:
                self._workspaces.pop(next(iter(self._workspaces)))  # the least recently used size
            ws = _Workspace(n, self.layers, self.dtype, self.buffers_flat.size)
        self._workspaces[n] = ws  # (re)inserted last: the dict's order is the order of use
        return ws

    def set_dropout(self, index: int, rate: float) -> None:
        """Hidden layer ``index``'s dropout rate from the next pass on (its scratch arrays are remade)."""
        self.layers[index].dropout_rate = float(rate)
        self._workspaces.clear()

    def initialize(self, rng: np.random.Generator) -> None:
        """Draw weights with the init method; biases and beta 0, gamma 1, running var 1."""
        for layer in self.layers:
            layer.W[...] = self.init_method.draw(layer.W.shape[0], layer.W.shape[1], rng, self.dtype)
            layer.b[...] = 0
            if layer.batch_norm:
                layer.gamma[...] = 1
                layer.beta[...] = 0
                layer.running_mean[...] = 0
                layer.running_var[...] = 1

    # -- parameters ----------------------------------------------------------------
    @property
    def n_params(self) -> int:
        return int(self.flat.size)

    def get_params(self) -> list[np.ndarray]:
        """Copies of the parameters, in the documented order."""
        return [p.copy() for p in self.params]

    def set_params(self, values: Sequence[np.ndarray]) -> None:
        """Overwrite the parameters (same order and shapes as :meth:`get_params`)."""
        if len(values) != len(self.params):
            raise ValueError(f"expected {len(self.params)} arrays ({', '.join(self.param_names)}), got {len(values)}")
        for name, dst, src in zip(self.param_names, self.params, values):
            src = np.asarray(src)
            if src.shape != dst.shape:
                raise ValueError(f"{name}: expected shape {dst.shape}, got {src.shape}")
            dst[...] = src

    def get_buffers(self) -> list[np.ndarray]:
        """Copies of the batch-norm running statistics: [mean1, var1, mean2, var2, ...]."""
        out = []
        for layer in self.layers:
            if layer.batch_norm:
                out += [layer.running_mean.copy(), layer.running_var.copy()]
        return out

    def set_buffers(self, values: Sequence[np.ndarray]) -> None:
        targets = [arr for layer in self.layers if layer.batch_norm
                   for arr in (layer.running_mean, layer.running_var)]
        if len(values) != len(targets):
            raise ValueError(f"expected {len(targets)} batch-norm buffers, got {len(values)}")
        for dst, src in zip(targets, values):
            dst[...] = src

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """An independent copy of everything that defines predictions (parameters and buffers)."""
        return self.flat.copy(), self.buffers_flat.copy()

    def load_state(self, state: tuple[np.ndarray, np.ndarray]) -> None:
        self._staged = None  # statistics staged before the load belong to other weights
        self.flat[...] = state[0]
        self.buffers_flat[...] = state[1]

    # -- forward ---------------------------------------------------------------------
    def forward(self, X: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """Output activations, shape (n, n_outputs), as a new array.

        In training mode batch norm uses batch statistics (and updates its running ones), and
        hidden layers with ``dropout_rate`` p keep each unit with probability 1 − p and scale
        kept units by 1 / (1 − p) (inverted dropout), drawing the mask from ``rng``.
        Evaluation mode uses running statistics and no dropout, so no rescaling is needed.
        The caches for :meth:`backward` are those of the last call.
        """
        return self._forward(np.asarray(X, dtype=self.dtype), training, rng).copy()

    def _forward(self, X: np.ndarray, training: bool, rng: np.random.Generator | None,
                 fold: bool = False, stop: Callable[[], bool] | None = None, stage: bool = False) -> np.ndarray:
        """:meth:`forward` writing into the workspace for ``len(X)`` rows; returns a view of it.

        ``X`` must already have the network's dtype.  The result is overwritten by the next
        pass with the same number of rows.  ``fold`` (evaluation mode only) folds batch norm
        into each layer's weights and bias, which saves four passes over the pre-activations
        but leaves no caches for :meth:`backward`: for evaluations, not gradients.
        ``stop`` is asked after every layer; when it returns True the pass raises
        :class:`StepAbandoned`.  ``stage`` (training) leaves the running batch-norm statistics
        alone until :meth:`commit_statistics`; otherwise the pass updates them at its end.
        """
        ws = self._workspace(len(X))
        self._last = ws
        a = X
        product = ws.product
        folded = fold and not training
        for layer, scratch in ws.pairs:
            scratch.x = a
            if not scratch.normalizes:
                z = product(a, layer.W, out=scratch.z)
                z += layer.b
            elif folded:
                z = batchnorm.fold(a, layer, scratch.z)
                scratch.batch_stats = False
            elif training:  # the batch mean cancels the bias: it is not added
                z = product(a, layer.W, out=scratch.z)
                batchnorm.forward_training(layer, scratch, ws.inv_n, *layer.staged_views(ws.staged))
            else:
                z = product(a, layer.W, out=scratch.z)
                z += layer.b
                batchnorm.forward_evaluation(layer, scratch)
            a = scratch.forward(z, z)
            if training and scratch.drops:  # hidden layers only: the output layer's rate is 0
                if rng is None:
                    raise ValueError("training with dropout needs an rng for the masks")
                a = dropout(scratch, rng)
            else:
                scratch.used_mask = None
            # the last pass, for readers of the layers (histograms, exports)
            layer.x, layer.a, layer.scratch = scratch.x, scratch.z, scratch
            if stop is not None and stop():
                raise StepAbandoned
        if training and self.buffers_flat.size:
            self._staged = ws
            if not stage:
                self.commit_statistics()
        return a

    def commit_statistics(self) -> None:
        """Fold the batch statistics of the last training pass into the running ones (once)."""
        ws = self._staged
        if ws is not None:
            batchnorm.commit_statistics(self.buffers_flat, ws.staged, ws.spare)
            self._staged = None

    def discard_statistics(self) -> None:
        """Drop the batch statistics a training pass staged (its step was abandoned)."""
        self._staged = None

    # -- loss and backward --------------------------------------------------------------
    def penalty(self) -> float:
        """The L1/L2 term added to the training objective: l1 Σ|W| + l2 Σ W²."""
        total = 0.0
        for layer in self.layers:
            w = layer.W.reshape(-1)
            if self.l1:
                total += self.l1 * float(np.abs(w).sum())
            if self.l2:
                total += self.l2 * float(w @ w)
        return total

    def backward(self, Y: np.ndarray, stop: Callable[[], bool] | None = None) -> None:
        """Fill ``grads`` with d(loss + penalty)/d(params) for the last training forward pass.

        ``Y`` is the encoded target, shape (n, n_outputs).  ``stop`` is asked after every
        layer; when it returns True the pass raises :class:`StepAbandoned` (the gradients are
        then incomplete).
        """
        ws = self._last
        scratch = ws.layers
        p = scratch[-1].z
        dz = scratch[-1].delta
        if self._fused is not None:
            self._fused(p, Y, dz)
        else:
            dz[...] = self.loss.grad(p, Y)
            self.layers[-1].activation.grad(p, dz)
        product, ones, pairs = ws.product, ws.ones, ws.pairs
        for i in range(len(pairs) - 1, -1, -1):
            layer, s = pairs[i]
            product(s.x.T, dz, out=layer.gW)
            if s.batch_stats:
                layer.gb.fill(0.0)  # the batch mean cancels the bias exactly
            else:
                np.dot(ones, dz, out=layer.gb)  # the same sums as np.matmul, with less overhead per call
            if stop is not None and stop():
                raise StepAbandoned
            if i == 0:
                break
            below, s = pairs[i - 1]
            da = product(dz, layer.W.T, out=s.delta)
            dz = through_activation(s, da)
            if s.normalizes:
                batchnorm.backward(below, s, dz, ones)
        if self.l1 or self.l2:
            self._add_penalty_grad()

    def _add_penalty_grad(self) -> None:
        for layer in self.layers:
            if self.l1:
                layer.gW += self.l1 * np.sign(layer.W)
            if self.l2:
                layer.gW += (2.0 * self.l2) * layer.W

    def loss_and_gradients(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator | None = None,
                           training: bool = True) -> tuple[float, list[np.ndarray]]:
        """The training objective (data loss + penalty) on a batch and copies of its gradients.

        ``training=False`` differentiates the evaluation-mode function (running batch-norm
        statistics, no dropout).  ``rng`` draws the dropout masks; pass a fresh generator with the same seed to get the
        same masks again (as a numerical gradient check does).
        """
        p = self._forward(np.asarray(X, dtype=self.dtype), training, rng)
        loss = self.loss.value(p, np.asarray(Y, dtype=self.dtype)) + self.penalty()
        self.backward(np.asarray(Y, dtype=self.dtype))
        return loss, [g.copy() for g in self.grads]

    def gradient(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """The training step's gradient for a batch, without copies: a training forward pass
        and :meth:`backward`, returning :attr:`flat_grad` itself (overwritten by the next call).

        For scripts that run their own loop::

            grad = net.gradient(Xb, Yb, rng)
            optimizer.step(net.flat, grad, lr)

        ``X`` and ``Y`` should already have the network's dtype (others are converted);
        no loss is computed (``net.loss.value(net.forward(X), Y)`` gives it when wanted).
        """
        self._forward(np.asarray(X, dtype=self.dtype), True, rng)
        self.backward(np.asarray(Y, dtype=self.dtype))
        return self.flat_grad

    # -- prediction ----------------------------------------------------------------------
    def predict_output(self, X: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Evaluation-mode outputs (probabilities for classifiers), shape (n, n_outputs)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"expected input of shape (n, {self.n_inputs}), got {X.shape}")
        X = X.astype(self.dtype, copy=False)
        if len(X) <= batch_size:
            return self._forward(X, False, None, fold=True).copy()
        out = np.empty((len(X), self.n_outputs), dtype=self.dtype)
        for i in range(0, len(X), batch_size):
            out[i:i + batch_size] = self._forward(X[i:i + batch_size], False, None, fold=True)
        return out

    def predict_classes(self, X: np.ndarray) -> np.ndarray:
        """Class indices, shape (n,): argmax, or p > 0.5 for a single sigmoid unit."""
        return decode_classes(self.predict_output(X))

    def describe(self) -> str:
        sizes = [self.n_inputs] + [l.units for l in self.hidden_config] + [self.n_outputs]
        return f"Network({' -> '.join(map(str, sizes))}, {self.n_params} parameters)"

    __repr__ = describe
