"""The training worker: a ``QObject`` that runs the engine's trainer in its own ``QThread``.

The GUI thread never trains.  It starts the worker with :func:`nnstudio.gui.start_worker`
and steers it through a :class:`RunControl` (plain ``threading.Event`` objects, safe to set
from any thread).  The worker reports through queued signals carrying immutable payloads:

* ``prepared(run_id, RunInfo)``  once the data is loaded and the network built
* ``progress(run_id, Update)``   at most ``1 / EMIT_INTERVAL_S`` times a second, with *every*
  record since the previous update (nothing is dropped), plus weight copies and, for 2-D data
  sets, a decision-boundary grid when due
* ``paused(run_id, epoch)``      after the epoch at which a pause or a step took effect
* ``resumed(run_id)``
* ``done(run_id, RunResult)``    summary, confusion matrix, final weights and boundary
* ``failed(run_id, message)``    a message for the user (bad data file, invalid config...)
* ``ended(run_id)``              the run is over (after ``done`` or ``failed``)
* ``finished()``                 always last; quits the thread

Every signal but ``finished`` carries the run's id so that the view can ignore a run it has
already abandoned (after Reset or Stop-and-close) whose queued signals arrive late.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ...compute import blas_threads, blas_threads_for
from ...config import ExperimentConfig
from ...data import CLASSIFICATION, DATASETS, Split, load_split
from ...engine import STOP_USER, EpochRecord, HistogramCadence, Trainer, TrainingSummary
from ...engine.doctor import Doctor
from ...engine.findings import Finding
from ...engine.live import short_name
from ...errors import user_message
from ...lab import SharpnessMonitor, SharpnessPoint
from ...model import TrainedModel
from .boundary import (BOUNDARY_GRID, BOUNDARY_MIN_GRID, BoundaryGrid, boundary_grid,  # noqa: F401 (re-exported)
                       live_grid_size, next_grid_size)
from .control import PAUSE_POLL_S, RunControl  # noqa: F401 (re-exported)

log = logging.getLogger("nnstudio.training")

EMIT_INTERVAL_S = 1 / 20       # at most 20 progress updates a second (each wakes the GUI thread)
WEIGHTS_INTERVAL_S = 0.5       # weight copies for the network diagram: ~2 a second
BOUNDARY_MIN_INTERVAL_S = 0.1  # decision-boundary grids: 6-8 a second (a grid waits for the next emit)...
BOUNDARY_MAX_SHARE = 0.5       # ...as long as they take at most half of the time (the user is watching them)
# Histograms in at most ~50 evenly spaced records per run (the epoch scrubber's stops), the
# first and the last, and one at least every 0.25 s (the histogram view redraws a few times a
# second); beyond the first 20 snapshots, within 2% of the training time
HISTOGRAM_CADENCE = HistogramCadence(max_snapshots=50, min_interval=0.25, max_share=0.02, free_snapshots=20)


class SetupError(Exception):
    """The data cannot be loaded or the network cannot be built; the message says why."""


@dataclass(frozen=True)
class RunInfo:
    """What the view needs to lay itself out for a run, sent once before the first epoch."""

    config: ExperimentConfig
    task: str
    class_labels: tuple
    layer_names: tuple[str, ...]
    sizes: dict
    network: str
    two_d: bool
    train_points: np.ndarray | None = None  # (n, 2) in original units, 2-D sets only
    train_classes: np.ndarray | None = None
    initial: EpochRecord | None = None  # epoch 0: the network as initialized, before any step
    initial_boundary: "BoundaryGrid | None" = None

    @property
    def classification(self) -> bool:
        return self.task == CLASSIFICATION


@dataclass(frozen=True)
class Update:
    """Everything since the previous update: ``records`` in epoch order (never empty), and the
    sharpness measurements taken since (when the run measures it)."""

    records: tuple[EpochRecord, ...]
    weights: list[np.ndarray] | None = None
    boundary: BoundaryGrid | None = None
    sharpness: tuple[SharpnessPoint, ...] = ()
    findings: tuple[Finding, ...] = ()  # the training doctor's findings after the last record


@dataclass(frozen=True)
class RunResult:
    """How the run ended.  ``confusion[i, j]`` counts test rows of class i predicted as j."""

    summary: TrainingSummary
    weights: list[np.ndarray]
    confusion: np.ndarray | None = None
    boundary: BoundaryGrid | None = None
    test_size: int = 0
    findings: tuple[Finding, ...] = ()  # the training doctor's findings at the end of the run
    model: TrainedModel | None = None   # a copy of the kept network, ready to predict and to export
    config: ExperimentConfig | None = None  # the config the run ended with (live changes applied)


@dataclass
class _Pending:
    records: list = field(default_factory=list)
    last_emit: float = -math.inf
    last_weights: float = -math.inf
    next_boundary: float = -math.inf
    grid: int = 0  # points per axis of the next live boundary frame (0: not chosen yet)
    sharpness_sent: int = 0


class TrainingWorker(QObject):
    """Loads the data, builds a :class:`~nnstudio.engine.Trainer` and runs it (see module doc)."""

    prepared = Signal(int, object)
    progress = Signal(int, object)
    paused = Signal(int, int)
    resumed = Signal(int)
    done = Signal(int, object)
    failed = Signal(int, str)
    ended = Signal(int)
    finished = Signal()

    def __init__(self, config: ExperimentConfig, control: RunControl, run_id: int = 0, *,
                 emit_interval: float = EMIT_INTERVAL_S, sharpness_every: int = 0):
        super().__init__()
        self.config = config
        self.control = control
        self.run_id = run_id
        self.emit_interval = emit_interval
        self.sharpness_every = sharpness_every  # measure the sharpness every N epochs (0: never)
        self._monitor: SharpnessMonitor | None = None

    @Slot()
    def run(self) -> None:
        self._epoch = 0
        try:
            with np.errstate(all="ignore"):  # divergence is detected and reported by the trainer
                self._train()
        except SetupError as exc:
            log.error("Cannot train: %s", exc)
            self.failed.emit(self.run_id, f"Cannot train: {exc}")
        except Exception as exc:  # a bug: report it rather than end the thread silently
            log.exception("Training failed after epoch %d", self._epoch)
            self.failed.emit(self.run_id, f"Training failed after epoch {self._epoch} with an internal error "
                                          f"({type(exc).__name__}: {exc}); the log has the details.")
        finally:
            self.ended.emit(self.run_id)
            self.finished.emit()

    # -- the run -----------------------------------------------------------------------
    def _train(self) -> None:
        cfg, control = self.config, self.control
        log.info("Loading data set %r...", cfg.data.name)
        try:
            split = load_split(cfg.data)
            if control.stop.is_set():
                return
            trainer = Trainer(cfg, split, histograms=HISTOGRAM_CADENCE)
            trainer.live = control.live
        except Exception as exc:
            # While loading the data and building the network, a ValueError or OSError also means
            # "the user's data or config cannot be used".  Later errors are bugs and are logged.
            message = user_message(exc, reading_input=True)
            if message is None:
                raise
            raise SetupError(message) from exc
        # every pass of the run under the thread policy, the epoch-0 record's too: on a busy machine
        # a pass on BLAS's default threads waits for a free core for each of them
        with blas_threads(blas_threads_for(trainer.largest_product)):
            self._run_trainer(trainer, split)

    def _run_trainer(self, trainer: Trainer, split: Split) -> None:
        cfg, control = self.config, self.control
        info = self._run_info(trainer, split)
        if control.stop.is_set():
            return
        initial = trainer.initial_record(control.stop.is_set)
        if initial is None:
            return
        info = dataclasses.replace(info, initial=initial, initial_boundary=(
            boundary_grid(trainer, info, 0) if info.two_d else None))
        self.prepared.emit(self.run_id, info)
        sizes = info.sizes
        log.info("Training %s on %s (%d train / %d validation / %d test rows) for up to %d epochs.",
                 info.network, cfg.data.name, sizes["train"], sizes["val"], sizes["test"], cfg.epochs)
        self._run_epochs(trainer, info)
        self._finish(trainer, info)

    def _run_epochs(self, trainer: Trainer, info: RunInfo) -> None:
        control = self.control
        # the first weight copies wait WEIGHTS_INTERVAL_S: the first update then carries only
        # records, and the first epoch reaches the plots before the diagram repaints its edges
        pending = _Pending(last_weights=time.perf_counter())
        records = trainer.run(stop=control.stop.is_set)
        if self.sharpness_every > 0:
            self._monitor = SharpnessMonitor(trainer, self.sharpness_every)
            records = self._monitor.run(stop=control.stop.is_set)
        self._doctor = Doctor(trainer.config, trainer.split)
        for record in records:
            self._doctor.observe(record)
            pending.records.append(record)
            self._epoch = record.epoch
            self._log_epoch(record)
            control.epoch_done()
            now = time.perf_counter()
            if control.pause_requested:
                self._flush(trainer, info, pending, now, force=True)
                self.paused.emit(self.run_id, record.epoch)
                control.wait_while_paused()
                if not control.stop.is_set():
                    self.resumed.emit(self.run_id)
            elif now - pending.last_emit >= self.emit_interval and control.view_ready.is_set():
                self._flush(trainer, info, pending, now)
        self._flush(trainer, info, pending, time.perf_counter(), force=True)

    def _run_info(self, trainer: Trainer, split: Split) -> RunInfo:
        cfg = self.config
        two_d = cfg.data.name in DATASETS and DATASETS[cfg.data.name].two_d and split.n_features == 2
        points = classes = None
        if two_d:
            points = split.X_train * split.scaler.scale + split.scaler.mean
            classes = np.asarray(split.y_train, dtype=np.int64)
        net = trainer.network
        names = tuple(layer.name for layer in net.layers)
        shape = "–".join(str(n) for n in [net.n_inputs] + [layer.W.shape[1] for layer in net.layers])
        return RunInfo(cfg, split.task, tuple(split.class_labels), names, split.sizes(),
                       f"a {shape} network ({net.n_params:,} parameters)", two_d, points, classes)

    def _log_epoch(self, r: EpochRecord) -> None:
        for change in r.changes:
            log.info("Changed %s from %.4g to %.4g at epoch %.2f.", short_name(change.name), change.old, change.new,
                     change.at)
        every = self.config.log_every
        if r.epoch % every and r.epoch != 1:
            return
        acc = "" if math.isnan(r.val_accuracy) else f", val_accuracy = {r.val_accuracy:.4f}"
        log.info("Epoch %d: loss = %.6g, val_loss = %.6g%s, lr = %.3g",
                 r.epoch, r.train_loss, r.val_loss, acc, r.learning_rate)

    def _flush(self, trainer, info, pending: _Pending, now: float, force: bool = False) -> None:
        if not pending.records:
            return
        weights = boundary = None
        if force or now - pending.last_weights >= WEIGHTS_INTERVAL_S:
            weights = _weights(trainer)
            pending.last_weights = now
        if info.two_d and (force or now >= pending.next_boundary):
            t0 = time.perf_counter()
            pending.grid = pending.grid or live_grid_size(trainer)
            boundary = boundary_grid(trainer, info, pending.records[-1].epoch, n=pending.grid)
            cost = time.perf_counter() - t0
            pending.grid = next_grid_size(pending.grid, cost)
            pending.next_boundary = now + max(BOUNDARY_MIN_INTERVAL_S, cost / BOUNDARY_MAX_SHARE)
        sharpness = ()
        if self._monitor is not None:
            sharpness = tuple(self._monitor.points[pending.sharpness_sent:])
            pending.sharpness_sent += len(sharpness)
        self.control.view_ready.clear()
        self.progress.emit(self.run_id, Update(tuple(pending.records), weights, boundary, sharpness,
                                               self._doctor.findings))
        pending.records = []
        pending.last_emit = now

    def _finish(self, trainer: Trainer, info: RunInfo) -> None:
        summary = trainer.summary
        split = trainer.split
        confusion = None
        if info.classification and len(split.y_test) and math.isfinite(summary.test_loss):
            confusion = confusion_matrix(split.y_test, trainer.network.predict_classes(
                split.X_test.astype(trainer.network.dtype)), len(info.class_labels))
        boundary = None
        # a large network stopped by request ends at once: its live boundary stays on screen
        quick_end = summary.stop_reason == STOP_USER and trainer.evaluates_in_chunks
        if info.two_d and not quick_end and np.isfinite(trainer.network.flat).all():
            boundary = boundary_grid(trainer, info, *final_weights_epoch(summary))
        level = logging.WARNING if summary.diverged else logging.INFO
        log.log(level, summary.message)
        if info.classification and math.isfinite(summary.test_accuracy):
            log.info("Test: loss = %.6g, accuracy = %.4f", summary.test_loss, summary.test_accuracy)
        elif math.isfinite(summary.test_rmse):
            log.info("Test: loss = %.6g, RMSE = %.6g", summary.test_loss, summary.test_rmse)
        findings = self._doctor.finish(summary)
        model = None
        if np.isfinite(trainer.network.flat).all():
            model = TrainedModel.from_network(trainer.config, trainer.network, split, {
                "trained": datetime.now().isoformat(timespec="seconds"), "name": trainer.config.name,
                "best_epoch": summary.best_epoch, "epochs_run": summary.epochs_run})
        self.done.emit(self.run_id, RunResult(summary, _weights(trainer), confusion, boundary, len(split.y_test),
                                              findings, model, trainer.config))


def _weights(trainer: Trainer) -> list[np.ndarray]:
    """Copies of every dense layer's W, shape (fan_in, fan_out), input side first."""
    return [layer.W.copy() for layer in trainer.network.layers]


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of shape (k, k): row = true class, column = predicted class."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def final_weights_epoch(summary: TrainingSummary) -> tuple[int, str]:
    """The epoch whose weights a finished run holds, and how to say so: the best epoch when its
    weights were restored (epoch 0: no epoch beat the initial weights), else the last epoch."""
    if summary.restored_best and summary.best_epoch is not None:
        kept = "initial weights, kept" if summary.best_epoch == 0 else "best, restored"
        return summary.best_epoch, f"{kept}; run ended at epoch {summary.epochs_run}"
    return summary.epochs_run, ""
