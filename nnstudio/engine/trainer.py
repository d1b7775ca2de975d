"""The trainer: a generator of immutable per-epoch records.

    trainer = Trainer(config, split)
    for record in trainer.run(stop=event.is_set):
        ...                      # EpochRecord, one per finished epoch
    trainer.summary              # TrainingSummary: best epoch, stop reason, test metrics

The trainer knows nothing of the window, the command line or the tuner; they all consume the
same records.  ``stop`` is called between mini-batches and between the layers of a mini-batch's
passes (a step it interrupts is abandoned whole, before it changes anything).

The initial parameters compete with every epoch for "best" (epoch 0): a run in which no epoch
beats the untrained network ends with the untrained network.  A run whose validation loss stays
above :data:`DIVERGENCE_FACTOR` times its initial value for :data:`DIVERGENCE_EPOCHS` epochs in a
row has diverged, even where bounded steps and a clipped loss keep every number finite.

With batch norm, a final mini-batch of a single row is merged into the one before it: one row
normalizes to exactly beta and its zero variance would drag the running variance towards 0.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterator

import numpy as np

from ..config import ExperimentConfig
from ..data.datasets import CLASSIFICATION
from ..data.split import Split
from .cadence import EVERY_EPOCH, HistogramCadence
from .callbacks import DIVERGENCE_EPOCHS, DIVERGENCE_FACTOR, DivergenceWatch, EarlyStopping, HeldState  # noqa: F401
from .clipping import CLIP_TYPES
from .evaluation import ACTIVATION_ROWS, Evaluator, EvaluationStopped  # noqa: F401 (ACTIVATION_ROWS: its old home)
from .diagnostics import DistinctCounter, EpochHealth, HealthMonitor  # noqa: F401 (EpochHealth: re-exported)
from .live import LiveSettings, running_train_metrics  # noqa: F401 (its old home)
from .histograms import HISTOGRAM_BINS, Histogram  # noqa: F401 (their old home)
from .kernels import all_finite
from .records import EpochRecord, LayerSnapshot, TrainingSummary  # noqa: F401 - re-exported
from .network import Network, StepAbandoned, encode_targets
from .optimizers import make_optimizer
from .schedules import SCHEDULES
from .snapshots import Snapshots
from .validation import output_units, validate_config

STOP_COMPLETED = "completed"
STOP_EARLY = "early_stopping"
STOP_USER = "stopped"
STOP_DIVERGED = "diverged"
STOP_CLOSED = "closed"  # the consumer closed the generator (e.g. a pruned trial)


def _never() -> bool:
    """The ``stop`` of a run nobody can stop (its passes skip the checks between layers)."""
    return False


class Trainer:
    """Train ``config`` on ``split``.

    Args:
        histograms: per-layer histograms in every record (True), in the records a
            :class:`HistogramCadence` picks, or in none (False; the tuner and the command line).
        diagnostics: measure :class:`EpochHealth` in the epochs :meth:`HealthMonitor.due` picks (others: None).
    """

    def __init__(self, config: ExperimentConfig, split: Split, *, histograms: bool | HistogramCadence = True,
                 diagnostics: bool = True):
        validate_config(config, split)
        self.config = config
        self.split = split
        self.histograms = histograms is not False
        self.classification = split.task == CLASSIFICATION
        seeds = np.random.SeedSequence(config.seed).spawn(3)
        self._init_rng, self._shuffle_rng = np.random.default_rng(seeds[0]), np.random.default_rng(seeds[1])
        # dropout masks take millions of raw words per epoch: SFC64 makes them a quarter faster than PCG64
        self._dropout_rng = np.random.Generator(np.random.SFC64(seeds[2]))
        n_out = output_units(config, split)
        self.network = Network.from_config(config, split.n_features, n_out, rng=self._init_rng)
        net = self.network
        dt = net.dtype
        # training and validation rows in one array (one forward pass evaluates both); X_train, X_val: views of it
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
        self.initial_state, self._best_state = net.state(), HeldState(net)  # the latter: the best epoch's, in place
        self.initial_val_loss = math.nan  # measured when the run starts
        self._divergence = DivergenceWatch()
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
        # A large network evaluates in chunks of rows, so that Stop is seen within one chunk
        self._stop: Callable[[], bool] = _never
        self._clip_stats = (math.nan, math.nan, 0.0)
        self.snapshots = Snapshots(net, EVERY_EPOCH if histograms is True else histograms or None)
        self._eval = Evaluator(net, self.X_val, len(self._X_eval), self.snapshots, self.classification)
        self.distinct = DistinctCounter(net)  # the records' distinct units per hidden layer
        self.monitor = HealthMonitor(net, len(self.X_val), self.distinct) if diagnostics else None
        self._health_due, self._t0 = False, time.perf_counter()  # whether this epoch's health is measured; run()'s start
        self.live: LiveSettings | None = None  # settings changed while training, applied between mini-batches

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
        return self._eval.score(out, Y, np.asarray(y))

    @property
    def evaluates_in_chunks(self) -> bool:
        """A network large enough that evaluation runs in chunks of rows, checking ``stop``."""
        return self._eval.chunked

    def initial_record(self, stop: Callable[[], bool] | None = None) -> EpochRecord | None:
        """Epoch 0: the network as the initializer made it, before any step (None if ``stop``
        became true meanwhile).

        Losses and accuracies come from one evaluation pass over both splits; ``grad_norms`` and
        the gradient histograms from the gradient of the first mini-batch's loss in evaluation
        mode (no dropout mask is drawn, so the run that follows is the same as without this
        record); weight, bias and activation histograms are always built, whatever
        ``histograms`` says.  Call it before :meth:`run`.
        """
        net, cfg = self.network, self.config
        n = len(self.X_train)
        batch = n if cfg.full_batch else min(cfg.batch_size, n)
        self._stop = stop or _never
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            net._forward(self.X_train[:batch], False, None)
            net.backward(self.Y_train[:batch])
            norms = self._layer_norms()
            self.snapshots.last_grad[...] = net.flat_grad
            try:
                out = self._eval.outputs(self._X_eval, self._stop)
            except EvaluationStopped:
                return None
            train_loss, train_acc = self._eval.score(out[:n], self.Y_train, self.split.y_train)
            val_loss, val_acc = self._eval.score(out[n:], self.Y_val, self.split.y_val)
            layers = self.snapshots.make()
            whole = math.sqrt(float(norms @ norms))
        return EpochRecord(0, train_loss, val_loss, train_acc, val_acc, self.schedule.rate(0),
                           tuple(float(x) for x in norms), layers, 0.0, False, 0, math.inf,
                           whole, whole, 0.0, self._distinct_units())

    def _layer_norms(self) -> np.ndarray:
        """The per-layer L2 norms of the current gradient, into ``self._norms`` (one dot product each)."""
        norms = self._norms
        for i, g in enumerate(self._layer_grads):
            norms[i] = g @ g
        return np.sqrt(norms, out=norms)

    # -- the loop ------------------------------------------------------------------------
    def run(self, stop: Callable[[], bool] | None = None) -> Iterator[EpochRecord]:
        """Yield one :class:`EpochRecord` per epoch; set :attr:`summary` when done.

        ``stop`` is called before every mini-batch; when it returns True the run ends with
        ``stop_reason == "stopped"``.  Closing the generator early ends it with ``"closed"``.
        """
        stop = stop or _never
        self._stop = stop
        cfg = self.config
        start_time = self._t0 = time.perf_counter()
        reason, message = STOP_COMPLETED, f"Trained all {cfg.epochs} epochs."
        self._initial_candidate()
        try:
            for epoch in range(cfg.epochs):
                lr = self.schedule.rate(epoch)
                # overflow in a diverging run is detected and reported below, not warned about;
                # the error state is set per step so that it never leaks into the caller's code
                with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                    grad_norms = self._train_epoch(lr, stop)
                    lr = self.schedule.rate(epoch)  # a live change may have rescaled it
                    if grad_norms is None:
                        reason, message = STOP_USER, f"Stopped by request during epoch {epoch + 1}."
                        return
                    self.epoch = epoch + 1
                    try:
                        record, bad = self._end_epoch(lr, grad_norms, start_time)
                    except EvaluationStopped:
                        self.epoch = epoch
                        reason = STOP_USER
                        message = f"Stopped by request while evaluating epoch {epoch + 1}."
                        return
                if bad:
                    reason = STOP_DIVERGED
                    message = (f"Training diverged at epoch {self.epoch}: {bad}. "
                               "Lower the learning rate or enable gradient clipping.")
                    if record is not None:
                        yield record
                    return
                try:
                    yield record
                except GeneratorExit:
                    reason, message = STOP_CLOSED, f"Ended by the caller after epoch {self.epoch}."
                    raise
                if self.early_stopping.should_stop:
                    reason = STOP_EARLY
                    best = self.early_stopping.best_epoch
                    message = (f"Early stopping at epoch {self.epoch}: no improvement in validation loss "
                               f"for {cfg.patience} epochs; " + (f"best epoch {best}." if best else
                               "no epoch beat the untrained network, so it kept the initial parameters."))
                    return
        finally:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                self._finish(reason, message, start_time)

    def _initial_candidate(self) -> None:
        """Score the initial parameters on the validation split: early stopping's epoch 0."""
        net = self.network
        with np.errstate(all="ignore"):
            out = net._forward(self.X_val, False, None, fold=True)
            self.initial_val_loss, _ = self._eval.score(out, self.Y_val, self.split.y_val)
        self._divergence.initial = self.initial_val_loss
        self.early_stopping.update(0, self.initial_val_loss, self._best_state)

    def _batches(self, n: int, batch: int) -> list[tuple[int, int]]:
        """(start, stop) of each mini-batch; with batch norm a 1-row tail joins the batch before it."""
        bounds = [(lo, min(lo + batch, n)) for lo in range(0, n, batch)]
        if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1 and any(
                layer.batch_norm for layer in self.config.layers):
            bounds[-2:] = [(bounds[-2][0], n)]
        return bounds

    def _train_epoch(self, lr: float, stop: Callable[[], bool]) -> np.ndarray | None:
        """One pass over the training split; the mean gradient norm per layer, or None if stopped."""
        cfg, net = self.config, self.network
        n = len(self.X_train)
        batch = n if cfg.full_batch else min(cfg.batch_size, n)
        X, Y = self.X_train, self.Y_train
        labels = self.split.y_train
        if self._X_shuffled is not None:
            order = self._shuffle_rng.permutation(n)
            # mode="clip": a permutation is in range, and the default mode gathers into a temporary first
            X = np.take(X, order, axis=0, out=self._X_shuffled, mode="clip")
            Y = np.take(Y, order, axis=0, out=self._Y_shuffled, mode="clip")
            if self._running and self.classification:
                labels = np.take(labels, order)
        outputs = self._metrics_buffer(mid_epoch=False)
        clip = None if cfg.clip_type == "none" else CLIP_TYPES[cfg.clip_type]
        flat, grad, grads, step = net.flat, net.flat_grad, net.grads, self.optimizer.step
        layer_grads, norms = self._layer_grads, self._norms
        norm_sums = np.zeros(len(layer_grads))
        before_sum = after_sum = 0.0
        clipped = 0
        batches = self._batches(n, batch)
        last_lo = batches[-1][0]
        monitor = self.monitor
        self._health_due = monitor is not None and monitor.due(self.epoch + 1, cfg.epochs, time.perf_counter() - self._t0)
        watched = monitor.steps(len(batches)) if self._health_due else ()
        between_layers = None if stop is _never else stop
        for index, (lo, hi) in enumerate(batches):
            if stop():
                return None
            if self.live is not None and self.live.pending:
                lr = self.live.apply(self, lr, self.epoch + index / len(batches))
                outputs = self._metrics_buffer(mid_epoch=True)
            try:  # a step abandoned between two layers changes nothing: no parameter, no statistic
                out = net._forward(X[lo:hi], True, self._dropout_rng, stop=between_layers, stage=True)
                if outputs is not None:
                    outputs[lo:hi] = out
                net.backward(Y[lo:hi], between_layers)
            except StepAbandoned:
                net.discard_statistics()
                return None
            # per-layer L2 norms of the gradient before clipping: one BLAS dot product per layer
            self._layer_norms()
            norm_sums += norms
            if lo == last_lo and self.histograms:
                self.snapshots.last_grad[...] = grad
            before = math.sqrt(float(norms @ norms))
            after = before
            if clip is not None:
                square = clip(grad, grads, cfg.grad_clip)  # the squared norm after clipping, when it measured it
                after = math.sqrt(float(grad @ grad if square is None else square))
                clipped += after < before * (1 - 1e-6)
            before_sum += before
            after_sum += after
            if index in watched:
                monitor.before_step(flat)
                step(flat, grad, lr, True)
                monitor.after_step(flat)
            else:
                step(flat, grad, lr, True)  # consume: the next step recomputes the gradient
            net.commit_statistics()
        if outputs is not None:
            self._running_metrics = self._eval.score(outputs, Y, labels)
        steps = len(batches)
        self._clip_stats = (before_sum / steps, after_sum / steps, clipped / steps)
        return norm_sums / steps

    def _metrics_buffer(self, mid_epoch: bool) -> np.ndarray | None:
        """Where the epoch's training outputs are kept for running metrics (None: an evaluation pass
        scores them).  A live dropout change switches "auto" to evaluation at once, back only at an epoch's start."""
        running = running_train_metrics(self.config)
        if not (running and mid_epoch and not self._running):
            self._running = running
            if running and self._outputs is None:
                self._outputs = np.empty_like(self.Y_train)
        return self._outputs if self._running else None

    def _evaluate_splits(self) -> tuple[float, float, float, float]:
        """(train loss, train accuracy, val loss, val accuracy): one evaluation pass over the
        validation split, and over the training split too unless its metrics are running ones.

        Afterwards the layers' cached activations (``layer.a``) are those of the validation rows.
        """
        s, n = self.split, len(self.X_train)
        if self._running:
            out = self._eval.outputs(self.X_val, self._stop)
            return (*self._running_metrics, *self._eval.score(out, self.Y_val, s.y_val))
        out = self._eval.outputs(self._X_eval, self._stop)
        return (*self._eval.score(out[:n], self.Y_train, s.y_train), *self._eval.score(out[n:], self.Y_val, s.y_val))

    def _end_epoch(self, lr, grad_norms, start_time) -> tuple[EpochRecord | None, str]:
        if not all_finite(self.network.flat):
            return None, "a parameter became NaN or infinite"
        train_loss, train_acc, val_loss, val_acc = self._evaluate_splits()
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            return None, f"the loss became {train_loss if not math.isfinite(train_loss) else val_loss}"
        es = self.early_stopping
        is_best = es.update(self.epoch, val_loss, self._best_state)
        self.schedule.observe(val_loss)
        last = self.epoch == self.config.epochs or es.should_stop
        stopping = self._stop()  # asked during this epoch: its record comes without histograms and health
        layers = () if stopping else self.snapshots.due(self.epoch, self.config.epochs, last, start_time)
        measure = self.monitor is not None and not stopping and (self._health_due or last)
        health = self.monitor.end_epoch(grad_norms, self.epoch) if measure else None
        record = EpochRecord(self.epoch, train_loss, val_loss, train_acc, val_acc, lr,
                             tuple(grad_norms.tolist()), layers, time.perf_counter() - start_time,
                             is_best, es.best_epoch, es.best_loss, *self._clip_stats, self._distinct_units(health),
                             health, self.live.take_applied() if self.live is not None else ())
        return record, self._divergence.update(val_loss)

    def _distinct_units(self, health: EpochHealth | None = None) -> tuple[int, ...]:
        """Distinct units per hidden layer: the health monitor's count when it has one (a monitor also rechecks)."""
        return (tuple(h.distinct_units for h in health.hidden()) if health is not None
                else self.distinct.counts(self.epoch, recheck=self.monitor is None))

    def _finish(self, reason: str, message: str, start_time: float) -> None:
        cfg, es = self.config, self.early_stopping
        restore = reason in (STOP_DIVERGED, STOP_USER, STOP_CLOSED) or cfg.early_stopping
        restored = es.restore(self.network) if restore else False
        if reason == STOP_DIVERGED and es.best_epoch == 0:
            message += " No epoch beat the initial parameters, so they were kept."
        if reason == STOP_USER and self._eval.chunked and len(self.split.y_test):
            # a pass over the test rows would keep a large network busy long after Stop
            test_loss = test_acc = test_rmse = math.nan
            message += " Test metrics were not computed (a large network stopped by request)."
        else:
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
            loss, acc = self._eval.score(out, encode_targets(s.y_test, net.n_outputs, self.classification, net.dtype),
                                    s.y_test)
            rmse = math.nan
            if not self.classification:
                rmse = float(np.sqrt(np.mean((out[:, 0] - s.y_test) ** 2)) * s.target_scale)
        return loss, acc, rmse
