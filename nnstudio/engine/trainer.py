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
from .cadence import EVERY_EPOCH, HistogramCadence
from .callbacks import EarlyStopping
from .clipping import CLIP_TYPES
from .histograms import HISTOGRAM_BINS, Histogram, HistogramBatch  # noqa: F401 (HISTOGRAM_BINS: its old home)
from .network import Network, decode_classes, encode_targets
from .optimizers import make_optimizer
from .schedules import SCHEDULES
from .validation import output_units, validate_config

ACTIVATION_ROWS = 128  # validation rows sampled for the activation histograms

STOP_COMPLETED = "completed"
STOP_EARLY = "early_stopping"
STOP_USER = "stopped"
STOP_DIVERGED = "diverged"
STOP_CLOSED = "closed"  # the consumer closed the generator (e.g. a pruned trial)


@dataclass(frozen=True)
class LayerSnapshot:
    """Histograms of one dense layer at the end of an epoch.

    ``gradients`` are the weight gradients of the epoch's last mini-batch (before clipping);
    ``activations`` are the layer's outputs on the validation split: on every row of it up to
    :data:`ACTIVATION_ROWS` rows, else on evenly spaced rows (every ``ceil(n / ACTIVATION_ROWS)``-th),
    so that a record stays cheap however large the split.
    """

    name: str
    weights: Histogram
    biases: Histogram
    gradients: Histogram
    activations: Histogram


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did.  Accuracies are NaN for regression.

    ``train_loss`` and ``train_accuracy`` cover every training row once.  With running training
    metrics they come from the epoch's own training passes (dropout and batch statistics on,
    each row scored with the parameters of its mini-batch, as scikit-learn's ``loss_curve_`` and
    Keras report them); with ``"evaluation"`` from one pass over the training split after the
    epoch, in evaluation mode like the validation metrics.  ``"auto"`` (the default) runs the
    evaluation pass only for networks with dropout or batch norm (:func:`running_train_metrics`).

    ``grad_norms[i]`` is the mean over the epoch's mini-batches of the L2 norm of layer i's
    gradient (all its parameters together, before clipping); the last entry is the output layer.
    """

    epoch: int                 # 1-based
    train_loss: float          # data loss on the training split, measured as config.train_metrics says
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


def running_train_metrics(config: ExperimentConfig) -> bool:
    """Whether ``config`` scores training metrics from its training passes ("running").

    ``"auto"`` does so only where a training pass computes the function evaluation computes:
    with dropout or batch norm the training pass is a different function (random masks, batch
    statistics), and its loss would hide the gap between training and validation.
    """
    if config.train_metrics == "auto":
        return not any(layer.dropout_rate > 0.0 or layer.batch_norm for layer in config.layers)
    return config.train_metrics == "running"


class Trainer:
    """Train ``config`` on ``split``.

    Args:
        histograms: per-layer histograms in every record (True), in the records a
            :class:`HistogramCadence` picks, or in none (False; the tuner and the command line).
    """

    def __init__(self, config: ExperimentConfig, split: Split, *, histograms: bool | HistogramCadence = True):
        validate_config(config, split)
        self.config = config
        self.split = split
        self.histograms = histograms is not False
        self.cadence = EVERY_EPOCH if histograms is True else histograms or None
        self._last_snapshot = -math.inf  # perf_counter() when the last histograms were made
        self._histogram_seconds = 0.0     # time spent making them
        self._histogram_count = 0         # records that carry them
        self.classification = split.task == CLASSIFICATION
        seeds = np.random.SeedSequence(config.seed).spawn(3)
        self._init_rng, self._shuffle_rng = np.random.default_rng(seeds[0]), np.random.default_rng(seeds[1])
        # dropout masks take millions of raw words per epoch: SFC64 makes them a quarter faster than PCG64
        self._dropout_rng = np.random.Generator(np.random.SFC64(seeds[2]))
        n_out = output_units(config, split)
        self.network = Network.from_config(config, split.n_features, n_out, rng=self._init_rng)
        net = self.network
        dt = net.dtype
        # Training and validation rows in one array, so that one forward pass evaluates both;
        # X_train and X_val are contiguous views of it.
        n_train = len(split.X_train)
        self._X_eval = np.concatenate([np.asarray(split.X_train, dtype=dt), np.asarray(split.X_val, dtype=dt)])
        self.X_train, self.X_val = self._X_eval[:n_train], self._X_eval[n_train:]
        self.Y_train = encode_targets(split.y_train, n_out, self.classification, dt)
        self.Y_val = encode_targets(split.y_val, n_out, self.classification, dt)
        self.optimizer = make_optimizer(
            config.optimizer, net.n_params, dt, momentum=config.momentum, beta1=config.beta1,
            beta2=config.beta2, epsilon=config.epsilon, rho=config.rho, weight_decay=config.weight_decay,
            decay_mask=net.weight_mask)
        self.schedule = SCHEDULES[config.schedule.name](config.learning_rate, config.schedule, config.epochs)
        self.early_stopping = EarlyStopping(config.patience, config.min_delta, config.early_stopping)
        self.initial_state = net.state()  # kept if training diverges before any epoch finishes
        self.summary: TrainingSummary | None = None
        self.epoch = 0
        # Per-epoch scratch: the shuffled training set (so that mini-batches are contiguous
        # slices, not gathered copies), squares and sums for the per-layer gradient norms, and
        # the last batch's gradient before clipping (for the histograms).
        shuffle = not config.full_batch and config.batch_size < len(self.X_train)
        self._X_shuffled = np.empty_like(self.X_train) if shuffle else None
        self._Y_shuffled = np.empty_like(self.Y_train) if shuffle else None
        # Running training metrics: each training pass's outputs are kept (one copy per
        # mini-batch) and scored once at the end of the epoch, in the order they were seen.
        self._running = running_train_metrics(config)
        self._outputs = np.empty((n_train, n_out), dt) if self._running else None
        self._running_metrics = (math.nan, math.nan)
        self._layer_grads = [net.flat_grad[layer.span] for layer in net.layers]
        self._norms = np.empty(len(net.layers), dtype=dt)
        self._last_grad = np.zeros_like(net.flat_grad)
        self._histograms = HistogramBatch()
        self._last_grad_W = [self._last_grad[layer.span][:layer.W.size].reshape(layer.W.shape)
                             for layer in net.layers]

    @property
    def largest_product(self) -> int:
        """Multiply-adds of the largest matrix product in a training step: rows × fan-in × fan-out
        (what :func:`nnstudio.compute.blas_threads_for` sizes the BLAS threads by)."""
        n = len(self.X_train)
        rows = n if self.config.full_batch else min(self.config.batch_size, n)
        return rows * max(layer.W.size for layer in self.network.layers)

    # -- metrics -------------------------------------------------------------------------
    def evaluate(self, X: np.ndarray, y: np.ndarray, Y: np.ndarray | None = None) -> tuple[float, float]:
        """(data loss, accuracy) in evaluation mode; accuracy is NaN for regression."""
        net = self.network
        if Y is None:
            Y = encode_targets(y, net.n_outputs, self.classification, net.dtype)
        out = (net._forward(np.asarray(X, dtype=net.dtype), False, None, fold=True) if len(X)
               else np.empty((0, net.n_outputs)))
        return self._score(out, Y, np.asarray(y))

    # -- the loop ------------------------------------------------------------------------
    def run(self, stop: Callable[[], bool] | None = None) -> Iterator[EpochRecord]:
        """Yield one :class:`EpochRecord` per epoch; set :attr:`summary` when done.

        ``stop`` is called before every mini-batch; when it returns True the run ends with
        ``stop_reason == "stopped"``.  Closing the generator early ends it with ``"closed"``.
        """
        stop = stop or (lambda: False)
        cfg = self.config
        start_time = time.perf_counter()
        reason, message = STOP_COMPLETED, f"Trained all {cfg.epochs} epochs."
        try:
            for epoch in range(cfg.epochs):
                lr = self.schedule.rate(epoch)
                # overflow in a diverging run is detected and reported below, not warned about;
                # the error state is set per step so that it never leaks into the caller's code
                with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                    grad_norms = self._train_epoch(lr, stop)
                    if grad_norms is None:
                        reason, message = STOP_USER, f"Stopped by request during epoch {epoch + 1}."
                        return
                    self.epoch = epoch + 1
                    record, bad = self._end_epoch(lr, grad_norms, start_time)
                if bad:
                    reason = STOP_DIVERGED
                    message = (f"Training diverged at epoch {self.epoch}: {bad}. "
                               "Lower the learning rate or enable gradient clipping.")
                    return
                try:
                    yield record
                except GeneratorExit:
                    reason, message = STOP_CLOSED, f"Ended by the caller after epoch {self.epoch}."
                    raise
                if self.early_stopping.should_stop:
                    reason = STOP_EARLY
                    message = (f"Early stopping at epoch {self.epoch}: no improvement in validation loss "
                               f"for {cfg.patience} epochs; best epoch {self.early_stopping.best_epoch}.")
                    return
        finally:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                self._finish(reason, message, start_time)

    def _train_epoch(self, lr: float, stop: Callable[[], bool]) -> np.ndarray | None:
        """One pass over the training split; the mean gradient norm per layer, or None if stopped."""
        cfg, net = self.config, self.network
        n = len(self.X_train)
        batch = n if cfg.full_batch else min(cfg.batch_size, n)
        X, Y = self.X_train, self.Y_train
        labels = self.split.y_train
        if self._X_shuffled is not None:
            order = self._shuffle_rng.permutation(n)
            X = np.take(X, order, axis=0, out=self._X_shuffled)
            Y = np.take(Y, order, axis=0, out=self._Y_shuffled)
            if self._running and self.classification:
                labels = np.take(labels, order)
        outputs = self._outputs
        clip = None if cfg.clip_type == "none" else CLIP_TYPES[cfg.clip_type]
        flat, grad, grads, step = net.flat, net.flat_grad, net.grads, self.optimizer.step
        layer_grads, norms = self._layer_grads, self._norms
        norm_sums = np.zeros(len(layer_grads))
        last_lo = (n - 1) // batch * batch
        for lo in range(0, n, batch):
            if stop():
                return None
            out = net._forward(X[lo:lo + batch], True, self._dropout_rng)
            if outputs is not None:
                outputs[lo:lo + batch] = out
            net.backward(Y[lo:lo + batch])
            # per-layer L2 norms of the gradient before clipping: one BLAS dot product per layer
            for i, g in enumerate(layer_grads):
                norms[i] = g @ g
            norm_sums += np.sqrt(norms)
            if lo == last_lo and self.histograms:
                self._last_grad[...] = grad
            if clip is not None:
                clip(grad, grads, cfg.grad_clip)
            step(flat, grad, lr, True)  # consume: the next step recomputes the gradient
        if outputs is not None:
            self._running_metrics = self._score(outputs, Y, labels)
        return norm_sums / (last_lo // batch + 1)

    def _score(self, out: np.ndarray, Y: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        """(data loss, accuracy) of outputs ``out`` against encoded targets ``Y`` and class labels."""
        loss = self.network.loss.value(out, Y)
        acc = math.nan
        if self.classification and len(labels):
            acc = float(np.count_nonzero(decode_classes(out) == labels)) / len(labels)
        return loss, acc

    def _evaluate_splits(self) -> tuple[float, float, float, float]:
        """(train loss, train accuracy, val loss, val accuracy): one evaluation pass over the
        validation split, and over the training split too unless its metrics are running ones.

        Afterwards the layers' cached activations (``layer.a``) are those of the validation rows.
        """
        net, s, n = self.network, self.split, len(self.X_train)
        if self._running:
            out = net._forward(self.X_val, False, None, fold=True)
            return (*self._running_metrics, *self._score(out, self.Y_val, s.y_val))
        out = net._forward(self._X_eval, False, None, fold=True)
        for layer in net.layers:
            layer.a = layer.a[n:]
        return (*self._score(out[:n], self.Y_train, s.y_train), *self._score(out[n:], self.Y_val, s.y_val))

    def _end_epoch(self, lr, grad_norms, start_time) -> tuple[EpochRecord | None, str]:
        net = self.network
        if not np.isfinite(net.flat).all():
            return None, "a parameter became NaN or infinite"
        train_loss, train_acc, val_loss, val_acc = self._evaluate_splits()
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            return None, f"the loss became {train_loss if not math.isfinite(train_loss) else val_loss}"
        es = self.early_stopping
        is_best = es.update(self.epoch, val_loss, net.state)
        self.schedule.observe(val_loss)
        layers = self._snapshots_due(start_time)
        record = EpochRecord(self.epoch, train_loss, val_loss, train_acc, val_acc, lr,
                             tuple(grad_norms.tolist()), layers, time.perf_counter() - start_time,
                             is_best, es.best_epoch, es.best_loss)
        return record, ""

    def _snapshots_due(self, start_time: float) -> tuple[LayerSnapshot, ...]:
        """The layers' histograms when the cadence wants them in this epoch's record, else ()."""
        if self.cadence is None:
            return ()
        now = time.perf_counter()
        last = self.epoch == self.config.epochs or self.early_stopping.should_stop
        if not self.cadence.due(self.epoch, self.config.epochs, last, now - self._last_snapshot,
                                self._histogram_count, self._histogram_seconds, now - start_time):
            return ()
        self._last_snapshot = now
        layers = self._snapshots()
        self._histogram_seconds += time.perf_counter() - now
        self._histogram_count += 1
        return layers

    def _snapshots(self) -> tuple[LayerSnapshot, ...]:
        """Histograms per dense layer; activations are those of the last evaluation (validation)."""
        layers = self.network.layers
        step = -(-len(self.X_val) // ACTIVATION_ROWS)  # ceil
        arrays = [a for layer, grad_W in zip(layers, self._last_grad_W)
                  for a in (layer.W, layer.b, grad_W, layer.a[::step])]
        hists = self._histograms(arrays)
        return tuple(LayerSnapshot(layer.name, *hists[4 * i:4 * i + 4]) for i, layer in enumerate(layers))

    def _finish(self, reason: str, message: str, start_time: float) -> None:
        cfg, es = self.config, self.early_stopping
        restore = reason in (STOP_DIVERGED, STOP_USER, STOP_CLOSED) or cfg.early_stopping
        restored = es.restore(self.network) if restore else False
        if reason == STOP_DIVERGED and not restored:
            self.network.load_state(self.initial_state)
            message += " No epoch finished before that, so the initial parameters were kept."
        test_loss, test_acc, test_rmse = self.test_metrics()
        self.summary = TrainingSummary(self.epoch, es.best_epoch, es.best_loss, reason, message, restored,
                                       test_loss, test_acc, test_rmse, time.perf_counter() - start_time,
                                       diverged=reason == STOP_DIVERGED)

    def test_metrics(self) -> tuple[float, float, float]:
        """(loss, accuracy, rmse) on the test split; RMSE in the target's original units."""
        s = self.split
        if len(s.y_test) == 0:
            return math.nan, math.nan, math.nan
        net = self.network
        with np.errstate(all="ignore"):
            out = net.predict_output(s.X_test)
            loss, acc = self._score(out, encode_targets(s.y_test, net.n_outputs, self.classification, net.dtype),
                                    s.y_test)
            rmse = math.nan
            if not self.classification:
                rmse = float(np.sqrt(np.mean((out[:, 0] - s.y_test) ** 2)) * s.target_scale)
        return loss, acc, rmse
