"""The training objective as a function of one flat parameter vector, in float64.

    objective = Objective.from_network(config, network, X, Y)
    objective.loss(w)              # data loss (+ L1/L2 penalty) at parameters w
    objective.gradient(w)          # its gradient, a new array shaped like w
    objective.hvp(w, v)            # Hessian-vector product by central differences of gradients

The objective owns a float64 copy of the network, so finite differences are not drowned by
float32 rounding and evaluating it never disturbs the network being trained.  Batch-norm running
statistics are part of the copy and stay fixed: every call restores them, so a training-mode pass
(which updates them) leaves no trace.  A network with dropout is evaluated with the same dropout
masks at every call (a fresh generator with the same seed), which makes the function deterministic.
"""

from __future__ import annotations

import numpy as np

from ..config import ExperimentConfig
from ..engine import Network

HVP_EPSILON = 1e-4  # step of the central difference along a unit direction


class Objective:
    """``L(w)`` on fixed rows ``X`` (n, n_inputs) with encoded targets ``Y`` (n, n_outputs).

    Args:
        training: evaluate as a training step does (batch statistics, dropout masks) or as
            evaluation does (running statistics, no dropout).
        mask_seed: seed of the dropout masks (the same masks at every call).
    """

    def __init__(self, network: Network, X: np.ndarray, Y: np.ndarray, *, training: bool = True,
                 mask_seed: int = 0):
        self.network = network
        self.X = np.ascontiguousarray(X, dtype=network.dtype)
        self.Y = np.ascontiguousarray(Y, dtype=network.dtype)
        self.training = training
        self.mask_seed = mask_seed
        self._buffers = network.buffers_flat.copy()
        self.evaluations = 0  # gradient evaluations so far (the cost unit of the Hessian work)

    @classmethod
    def from_network(cls, config: ExperimentConfig, network: Network, X: np.ndarray, Y: np.ndarray, *,
                     penalty: bool = True, **kwargs) -> "Objective":
        """An objective on a float64 copy of ``network`` (same layout and parameters); without
        ``penalty`` it is the data loss alone (the copy has no L1/L2 term)."""
        return cls(float64_copy(config, network, penalty), X, Y, **kwargs)

    @property
    def size(self) -> int:
        return self.network.n_params

    def _load(self, w: np.ndarray) -> None:
        self.network.flat[...] = w
        self.network.buffers_flat[...] = self._buffers

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(self.mask_seed)

    def loss(self, w: np.ndarray) -> float:
        """The objective at ``w``: data loss plus the network's L1/L2 penalty."""
        net = self.network
        self._load(w)
        out = net._forward(self.X, self.training, self._rng())
        value = net.loss.value(out, self.Y) + net.penalty()
        net.buffers_flat[...] = self._buffers
        return float(value)

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """∇L(w), a new array of shape (n_params,)."""
        net = self.network
        self._load(w)
        net._forward(self.X, self.training, self._rng())
        net.backward(self.Y)
        net.buffers_flat[...] = self._buffers
        self.evaluations += 1
        return net.flat_grad.copy()

    def hvp(self, w: np.ndarray, v: np.ndarray, epsilon: float = HVP_EPSILON) -> np.ndarray:
        """H(w)·v ≈ (∇L(w + εu) − ∇L(w − εu)) / (2ε) · ‖v‖ with u = v / ‖v‖ (error O(ε²))."""
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            return np.zeros_like(w)
        u = v / norm
        plus = self.gradient(w + epsilon * u)
        minus = self.gradient(w - epsilon * u)
        return (plus - minus) * (norm / (2.0 * epsilon))


def float64_copy(config: ExperimentConfig, network: Network, penalty: bool = True) -> Network:
    """A float64 network with ``network``'s layout, parameters and batch-norm statistics (and
    its L1/L2 penalty, unless ``penalty`` is False)."""
    copy = Network(network.n_inputs, network.hidden_config, network.n_outputs,
                   output_activation=config.output_activation, loss_func=config.loss_func,
                   init_method=config.init_method, dtype="float64",
                   l1=config.l1 if penalty else 0.0, l2=config.l2 if penalty else 0.0)
    copy.flat[...] = network.flat
    copy.buffers_flat[...] = network.buffers_flat
    return copy
