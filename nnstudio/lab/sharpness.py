"""Sharpness — the largest Hessian eigenvalue of the training objective — and the edge of stability.

Gradient descent with step ``lr`` on a quadratic diverges along any direction whose curvature
exceeds ``2 / lr``; with heavy-ball momentum μ the limit is ``2 (1 + μ) / lr`` and with Nesterov
momentum ``2 (1 + μ) / (lr (1 + 2μ))``.  Full-batch training of neural networks typically drives
the sharpness up to that limit and keeps it hovering there while the loss still falls
(Cohen et al., 2021, "Gradient Descent on Neural Networks Typically Occurs at the Edge of Stability").

    lam = largest_eigenvalue(objective, w)                  # power iteration on Hessian-vector products
    monitor = SharpnessMonitor(trainer, every=5)
    for record in monitor.run(stop):                         # the trainer's records, unchanged
        monitor.points                                       # [SharpnessPoint(epoch, sharpness, threshold)]

Cost: each power iteration takes two gradient evaluations on the probe rows (central
differences), so a measurement costs ``2 · iterations`` full-batch gradient passes, ~20-40 passes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from ..config import ExperimentConfig
from ..engine import EpochRecord, Trainer
from .objective import Objective

POWER_ITERATIONS = 20
POWER_TOLERANCE = 1e-3   # stop when the eigenvalue estimate changes by less than this, relatively
PROBE_ROWS = 2048        # training rows the sharpness is measured on (all of them when fewer)
ADAPTIVE_OPTIMIZERS = ("adam", "adamw", "rmsprop")


@dataclass(frozen=True)
class Eigen:
    """λ (the Rayleigh quotient vᵀHv of the final unit vector v), the iterations run, and the
    gradient evaluations they cost."""

    value: float
    vector: np.ndarray
    iterations: int
    evaluations: int


def power_iteration(hvp: Callable[[np.ndarray], np.ndarray], size: int, rng: np.random.Generator,
                    iterations: int = POWER_ITERATIONS, tolerance: float = POWER_TOLERANCE,
                    start: np.ndarray | None = None,
                    stop: Callable[[], bool] | None = None) -> tuple[float, np.ndarray, int]:
    """The eigenvalue of largest magnitude of the symmetric operator ``hvp`` and its unit vector.

    Returns (λ, v, iterations run).  ``start`` (e.g. the previous measurement's vector) speeds up
    repeated measurements of a slowly changing Hessian.  ``stop`` is polled before every product;
    when it returns True the result is NaN.
    """
    v = rng.standard_normal(size) if start is None else np.array(start, dtype=np.float64)
    v /= np.linalg.norm(v)
    value = math.nan
    for i in range(1, iterations + 1):
        if stop is not None and stop():
            return math.nan, v, i - 1
        hv = hvp(v)
        new = float(v @ hv)
        norm = float(np.linalg.norm(hv))
        if norm == 0.0 or not math.isfinite(norm):
            return new, v, i
        v = hv / norm
        if math.isfinite(value) and abs(new - value) <= tolerance * max(abs(new), 1e-12):
            return new, v, i
        value = new
    return value, v, iterations


def largest_eigenvalue(objective: Objective, w: np.ndarray, *, rng: np.random.Generator | None = None,
                       iterations: int = POWER_ITERATIONS, tolerance: float = POWER_TOLERANCE,
                       start: np.ndarray | None = None, stop: Callable[[], bool] | None = None) -> Eigen:
    """λmax of the Hessian of ``objective`` at ``w`` by power iteration on finite-difference products.

    Power iteration finds the eigenvalue of largest magnitude.  When that is negative, a second
    run on H − λ·I (whose eigenvalues are all ≥ 0 there, the largest being λmax − λ) finds λmax.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    before = objective.evaluations
    w = np.asarray(w, dtype=np.float64)
    hvp = lambda v: objective.hvp(w, v)  # noqa: E731
    value, vector, done = power_iteration(hvp, w.size, rng, iterations, tolerance, start, stop)
    if value < 0:
        shift = value
        shifted, vector, more = power_iteration(lambda v: hvp(v) - shift * v, w.size, rng, iterations, tolerance,
                                                stop=stop)
        value, done = shifted + shift, done + more
    return Eigen(value, vector, done, objective.evaluations - before)


def stability_threshold(optimizer: str, learning_rate: float, momentum: float = 0.0) -> float:
    """The sharpness above which the optimizer's step is unstable on a quadratic; NaN for adaptive
    optimizers, whose limit applies to the preconditioned Hessian, not to this one."""
    if optimizer in ADAPTIVE_OPTIMIZERS:
        return math.nan
    if optimizer == "momentum":
        return 2.0 * (1.0 + momentum) / learning_rate
    if optimizer == "nesterov":
        return 2.0 * (1.0 + momentum) / (learning_rate * (1.0 + 2.0 * momentum))
    return 2.0 / learning_rate


def threshold_label(optimizer: str) -> str:
    if optimizer == "momentum":
        return "2(1+μ)/lr"
    if optimizer == "nesterov":
        return "2(1+μ)/(lr(1+2μ))"
    return "2/lr"


@dataclass(frozen=True)
class SharpnessPoint:
    """The sharpness after ``epoch`` and the optimizer's stability limit at that epoch's rate."""

    epoch: int
    sharpness: float
    threshold: float
    learning_rate: float
    seconds: float  # time the measurement took


def probe_rows(n: int, rows: int = PROBE_ROWS) -> np.ndarray:
    """Indices of evenly spaced training rows to measure on (every row when there are few)."""
    return np.arange(n) if n <= rows else np.linspace(0, n - 1, rows).round().astype(np.intp)


class SharpnessMonitor:
    """Measure the sharpness of ``trainer``'s objective every ``every`` epochs while it trains.

    Wraps :meth:`Trainer.run`: the records pass through unchanged, and after each measured epoch
    :attr:`points` gains a :class:`SharpnessPoint` (``last`` is the newest).  The measurement runs
    between epochs on a float64 copy of the network, so training itself is untouched.
    """

    def __init__(self, trainer: Trainer, every: int = 5, iterations: int = POWER_ITERATIONS,
                 rows: int = PROBE_ROWS, seed: int = 0):
        if every < 1:
            raise ValueError(f"every: {every!r} must be at least 1")
        self.trainer = trainer
        self.every = int(every)
        self.iterations = int(iterations)
        self._rows = probe_rows(len(trainer.X_train), rows)
        self._rng = np.random.default_rng(seed)
        self._vector: np.ndarray | None = None
        self.points: list[SharpnessPoint] = []

    @property
    def last(self) -> SharpnessPoint | None:
        return self.points[-1] if self.points else None

    def measure(self, epoch: int, learning_rate: float, stop: Callable[[], bool] | None = None) -> SharpnessPoint | None:
        """Measure now (the trainer's current parameters) and append the point; None when ``stop``
        ended the measurement (each power iteration polls it)."""
        start = time.perf_counter()
        cfg: ExperimentConfig = self.trainer.config
        net = self.trainer.network
        objective = Objective.from_network(cfg, net, self.trainer.X_train[self._rows],
                                           self.trainer.Y_train[self._rows], mask_seed=cfg.seed)
        eigen = largest_eigenvalue(objective, objective.network.flat.copy(), rng=self._rng,
                                   iterations=self.iterations, start=self._vector, stop=stop)
        if stop is not None and stop():
            return None
        self._vector = eigen.vector
        point = SharpnessPoint(epoch, eigen.value, stability_threshold(cfg.optimizer, learning_rate, cfg.momentum),
                               learning_rate, time.perf_counter() - start)
        self.points.append(point)
        return point

    def run(self, stop: Callable[[], bool] | None = None) -> Iterator[EpochRecord]:
        for record in self.trainer.run(stop=stop):
            if record.epoch % self.every == 0 or record.epoch == 1:
                self.measure(record.epoch, record.learning_rate, stop)
            yield record
