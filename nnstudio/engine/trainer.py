"""The trainer: a generator of immutable per-epoch records.

    trainer = Trainer(config, split)
    for record in trainer.run(stop=event.is_set):
        ...                      # EpochRecord, one per finished epoch
    trainer.summary              # TrainingSummary: best epoch, stop reason, test metrics

The trainer knows nothing of the window, the command line or the tuner; they all consume
the same records.  ``stop`` is called between mini-batches.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from ..config import ExperimentConfig
from ..data.datasets import CLASSIFICATION
from ..data.split import Split
from .callbacks import EarlyStopping
from .clipping import clip_gradients
from .network import Network, decode_classes, encode_targets
from .optimizers import make_optimizer
from .schedules import SCHEDULES
from .validation import output_units, validate_config

HISTOGRAM_BINS = 30

STOP_COMPLETED = "completed"
STOP_EARLY = "early_stopping"
STOP_USER = "stopped"
STOP_DIVERGED = "diverged"


@dataclass(frozen=True)
class Histogram:
    """Counts over ``len(counts)`` equal bins; ``edges`` has one more entry.  Both read-only."""

    counts: np.ndarray
    edges: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, bins: int = HISTOGRAM_BINS) -> "Histogram":
        v = values.reshape(-1)
        lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            v = v[np.isfinite(v)]
            lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        # bincount on scaled indices: a few times faster than np.histogram for these sizes
        idx = ((v - lo) * (bins / (hi - lo))).astype(np.int64)
        np.clip(idx, 0, bins - 1, out=idx)
        counts = np.bincount(idx, minlength=bins)
        edges = np.linspace(lo, hi, bins + 1)
        counts.setflags(write=False)
        edges.setflags(write=False)
        return cls(counts, edges)


@dataclass(frozen=True)
class LayerSnapshot:
    """Histograms of one dense layer at the end of an epoch.

    ``gradients`` are the weight gradients of the epoch's last mini-batch (before clipping);
    ``activations`` are the layer's outputs on the validation split.
    """

    name: str
    weights: Histogram
    biases: Histogram
    gradients: Histogram
    activations: Histogram


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did.  Accuracies are NaN for regression.

    ``grad_norms[i]`` is the mean over the epoch's mini-batches of the L2 norm of layer i's
    gradient (all its parameters together, before clipping); the last entry is the output layer.
    """

    epoch: int                 # 1-based
    train_loss: float          # data loss on the whole training split, evaluation mode
    val_loss: float
    train_accuracy: float
    val_accuracy: float
    learning_rate: float
    grad_norms: tuple[float, ...]
    layers: tuple[LayerSnapshot, ...]
    elapsed: float             # seconds since training began
    is_best: bool
    best_epoch: int
    best_val_loss: float


@dataclass(frozen=True)
class TrainingSummary:
    """How a run ended.  ``test_*`` are computed once, on the held-out test split, with the
    parameters the run ended with (the best ones when they were restored)."""

    epochs_run: int
    best_epoch: int
    best_val_loss: float
    stop_reason: str
    message: str
    restored_best: bool
    test_loss: float
    test_accuracy: float
    test_rmse: float
    seconds: float
    diverged: bool = False


class Trainer:
    """Train ``config`` on ``split``.

    Args:
        histograms: build per-layer histograms in each record (the tuner turns them off).
    """

    def __init__(self, config: ExperimentConfig, split: Split, *, histograms: bool = True):
        validate_config(config, split)
        self.config = config
        self.split = split
        self.histograms = histograms
        self.classification = split.task == CLASSIFICATION
        seeds = np.random.SeedSequence(config.seed).spawn(3)
        self._init_rng, self._shuffle_rng, self._dropout_rng = (np.random.default_rng(s) for s in seeds)
        n_out = output_units(config, split)
        self.network = Network.from_config(config, split.n_features, n_out, rng=self._init_rng)
        dt = self.network.dtype
        self.X_train = np.ascontiguousarray(split.X_train, dtype=dt)
        self.X_val = np.ascontiguousarray(split.X_val, dtype=dt)
        self.Y_train = encode_targets(split.y_train, n_out, self.classification, dt)
        self.Y_val = encode_targets(split.y_val, n_out, self.classification, dt)
        self.optimizer = make_optimizer(
            config.optimizer, self.network.n_params, dt, momentum=config.momentum, beta1=config.beta1,
            beta2=config.beta2, epsilon=config.epsilon, rho=config.rho, weight_decay=config.weight_decay,
            decay_mask=self.network.weight_mask)
        self.schedule = SCHEDULES[config.schedule.name](config.learning_rate, config.schedule, config.epochs)
        self.early_stopping = EarlyStopping(config.patience, config.min_delta, config.early_stopping)
        self.summary: TrainingSummary | None = None
        self.epoch = 0

    # -- metrics -------------------------------------------------------------------------
    def evaluate(self, X: np.ndarray, y: np.ndarray, Y: np.ndarray | None = None) -> tuple[float, float]:
        """(data loss, accuracy) in evaluation mode; accuracy is NaN for regression."""
        net = self.network
        if Y is None:
            Y = encode_targets(y, net.n_outputs, self.classification, net.dtype)
        out = net.predict_output(np.asarray(X, dtype=net.dtype))
        loss = net.loss.value(out, Y)
        acc = float(np.mean(decode_classes(out) == y)) if self.classification else math.nan
        return loss, acc

    # -- the loop ------------------------------------------------------------------------
    def run(self, stop: Callable[[], bool] | None = None) -> Iterator[EpochRecord]:
        """Yield one :class:`EpochRecord` per epoch; set :attr:`summary` when done."""
        stop = stop or (lambda: False)
        cfg, net = self.config, self.network
        n = len(self.X_train)
        batch = n if cfg.full_batch else min(cfg.batch_size, n)
        spans = [layer.span for layer in net.layers]
        start_time = time.perf_counter()
        reason, message = STOP_COMPLETED, f"Trained all {cfg.epochs} epochs."
        try:
            for epoch in range(cfg.epochs):
                lr = self.schedule.rate(epoch)
                sq_norms = np.zeros(len(spans))
                n_batches = 0
                order = self._shuffle_rng.permutation(n) if batch < n else None
                for lo in range(0, n, batch):
                    if stop():
                        reason, message = STOP_USER, f"Stopped by request during epoch {epoch + 1}."
                        return
                    if order is None:
                        Xb, Yb = self.X_train, self.Y_train
                    else:
                        idx = order[lo:lo + batch]
                        Xb, Yb = self.X_train[idx], self.Y_train[idx]
                    net.forward(Xb, training=True, rng=self._dropout_rng)
                    net.backward(Yb)
                    g = net.flat_grad
                    for i, s in enumerate(spans):
                        part = g[s]
                        sq_norms[i] += math.sqrt(float(part @ part))
                    n_batches += 1
                    clip_gradients(cfg.clip_type, g, net.grads, cfg.grad_clip)
                    self.optimizer.step(net.flat, g, lr)
                self.epoch = epoch + 1
                record, bad = self._end_epoch(lr, sq_norms / max(n_batches, 1), start_time)
                if bad:
                    reason = STOP_DIVERGED
                    message = (f"Training diverged at epoch {self.epoch}: {bad}. "
                               "Lower the learning rate or enable gradient clipping.")
                    return
                yield record
                if self.early_stopping.should_stop:
                    reason = STOP_EARLY
                    message = (f"Early stopping at epoch {self.epoch}: no improvement in validation loss "
                               f"for {cfg.patience} epochs; best epoch {self.early_stopping.best_epoch}.")
                    return
        finally:
            self._finish(reason, message, start_time)

    def _end_epoch(self, lr, grad_norms, start_time) -> tuple[EpochRecord | None, str]:
        net = self.network
        if not np.isfinite(net.flat).all():
            return None, "a parameter became NaN or infinite"
        train_loss, train_acc = self.evaluate(self.X_train, self.split.y_train, self.Y_train)
        val_loss, val_acc = self.evaluate(self.X_val, self.split.y_val, self.Y_val)  # leaves val activations cached
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            return None, f"the loss became {train_loss if not math.isfinite(train_loss) else val_loss}"
        es = self.early_stopping
        is_best = es.update(self.epoch, val_loss, net.state)
        self.schedule.observe(val_loss)
        layers = self._snapshots() if self.histograms else ()
        record = EpochRecord(self.epoch, train_loss, val_loss, train_acc, val_acc, lr,
                             tuple(float(x) for x in grad_norms), layers, time.perf_counter() - start_time,
                             is_best, es.best_epoch, es.best_loss)
        return record, ""

    def _snapshots(self) -> tuple[LayerSnapshot, ...]:
        """Histograms per dense layer; activations are those of the last evaluation (validation)."""
        return tuple(
            LayerSnapshot(layer.name, Histogram.of(layer.W), Histogram.of(layer.b), Histogram.of(layer.gW),
                          Histogram.of(layer.a))
            for layer in self.network.layers)

    def _finish(self, reason: str, message: str, start_time: float) -> None:
        cfg, es = self.config, self.early_stopping
        restore = reason in (STOP_DIVERGED, STOP_USER) or cfg.early_stopping
        restored = es.restore(self.network) if restore else False
        if reason == STOP_DIVERGED and not restored:
            message += " No epoch finished before that, so there are no good parameters to keep."
        test_loss, test_acc, test_rmse = self.test_metrics()
        self.summary = TrainingSummary(self.epoch, es.best_epoch, es.best_loss, reason, message, restored,
                                       test_loss, test_acc, test_rmse, time.perf_counter() - start_time,
                                       diverged=reason == STOP_DIVERGED)

    def test_metrics(self) -> tuple[float, float, float]:
        """(loss, accuracy, rmse) on the test split; RMSE in the target's original units."""
        s = self.split
        if len(s.y_test) == 0:
            return math.nan, math.nan, math.nan
        with np.errstate(all="ignore"):
            loss, acc = self.evaluate(s.X_test, s.y_test)
            rmse = math.nan
            if not self.classification:
                pred = self.network.predict_output(s.X_test.astype(self.network.dtype))[:, 0]
                rmse = float(np.sqrt(np.mean((pred - s.y_test) ** 2)) * s.target_scale)
        return loss, acc, rmse
