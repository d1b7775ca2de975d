"""The Lab tab's workers: the finder, the landscape and a point of the landscape, off the UI thread.

Each worker is a ``QObject`` started with :func:`~nnstudio.gui.qt.threads.start_worker`; its
``stop()`` may be called from the UI thread at any time and sets a ``threading.Event`` that the
computation polls between mini-batches, power iterations or grid points (well under 0.5 s
apart).  Payloads are immutable results of :mod:`nnstudio.lab`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ...config import ExperimentConfig
from ...data import CLASSIFICATION, DATASETS, load_split
from ...engine import decode_classes
from ...errors import user_message
from ...lab import Plane, VerificationRun, find_rates, landscape_study, suggest
from ...lab.finder import training_arrays
from ...lab.objective import float64_copy
from ..train.worker import BoundaryGrid

log = logging.getLogger("nnstudio.lab")
PROGRESS_INTERVAL_S = 0.05
BOUNDARY_GRID = 100


def _message(exc: BaseException) -> str:
    text = user_message(exc, reading_input=True)
    if text is None:
        log.error("The lab's computation failed", exc_info=exc)
        return f"Internal error ({type(exc).__name__}: {exc}); the log has the details."
    return text


class FinderWorker(QObject):
    """Signals: ``curve(RangeCurve, dict marks)`` per seed, ``tested(FinderResult)``,
    ``verifying(int done, int total)``, ``verdict(Verdict)``, ``failed(str)``, ``finished()``."""

    curve = Signal(object, object)
    tested = Signal(object)
    verifying = Signal(int, int)
    verdict = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, config: ExperimentConfig, seeds: int = 3, verify_epochs: int = 5, *,
                 workers: int | None = None, backend: str = "process"):
        super().__init__()
        self.config, self.seeds, self.verify_epochs = config, seeds, verify_epochs
        self.workers, self.backend = workers, backend
        self._stop = threading.Event()
        self._verification: VerificationRun | None = None
        self._lock = threading.Lock()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._verification is not None:
                self._verification.stop()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @Slot()
    def run(self) -> None:
        try:
            split = load_split(self.config.data)
            result = find_rates(self.config, split, self.seeds, stop=self._stop.is_set,
                                on_curve=lambda c: self.curve.emit(c, suggest(c)))
            self.tested.emit(result)
            if self.verify_epochs > 0 and result.candidates and not self._stop.is_set():
                self._verify(result)
        except Exception as exc:  # shown in the tab; the window survives any failure here
            self.failed.emit(_message(exc))
        finally:
            self.finished.emit()

    def _verify(self, result) -> None:
        run = VerificationRun(self.config, result.candidates, epochs=self.verify_epochs, workers=self.workers,
                              backend=self.backend)
        with self._lock:
            self._verification = run
            if self._stop.is_set():
                run.stop()
        total, done, last = run.total_epochs, [0], [0.0]

        def on_event(event) -> None:
            if event.record is not None:
                done[0] += 1
                now = time.monotonic()
                if now - last[0] >= PROGRESS_INTERVAL_S or done[0] == total:
                    last[0] = now
                    self.verifying.emit(done[0], total)

        verdict = run.run(on_event)
        if not self._stop.is_set():
            self.verdict.emit(verdict)


class LandscapeWorker(QObject):
    """Signals: ``progressed(str stage, int done, int total)``, ``done(LandscapeResult, object split)``,
    ``failed(str)``, ``finished()``."""

    progressed = Signal(str, int, int)
    done = Signal(object, object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, config: ExperimentConfig, grid: int = 21, directions: str = "random"):
        super().__init__()
        self.config, self.grid, self.directions = config, grid, directions
        self._stop = threading.Event()
        self._last = 0.0

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _progress(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S or done == total:
            self._last = now
            self.progressed.emit(stage, done, total)

    @Slot()
    def run(self) -> None:
        try:
            split = load_split(self.config.data)
            result = landscape_study(self.config, split, grid=self.grid, directions=self.directions,
                                     stop=self._stop.is_set, progress=self._progress)
            if not self._stop.is_set():
                self.done.emit(result, split)
        except Exception as exc:
            self.failed.emit(_message(exc))
        finally:
            self.finished.emit()


@dataclass(frozen=True)
class PointReport:
    """The network at one point (x, y) of a landscape: its losses and accuracies, and for 2-D data
    its decision boundary (else None)."""

    x: float
    y: float
    train_loss: float
    val_loss: float
    train_accuracy: float
    val_accuracy: float
    boundary: BoundaryGrid | None


class PointWorker(QObject):
    """Evaluates the network at one point of a landscape's plane.  Signals: ``done(PointReport)``,
    ``failed(str)``, ``finished()``."""

    done = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, config: ExperimentConfig, split, network, plane: Plane, x: float, y: float):
        super().__init__()
        self.config, self.split, self.plane, self.x, self.y = config, split, plane, x, y
        self.network = float64_copy(config, network, penalty=False)  # copied in the UI thread: cheap

    def stop(self) -> None:  # one short evaluation: nothing to interrupt
        pass

    @Slot()
    def run(self) -> None:
        try:
            with np.errstate(all="ignore"):
                self.done.emit(self._report())
        except Exception as exc:
            self.failed.emit(_message(exc))
        finally:
            self.finished.emit()

    def _report(self) -> PointReport:
        net, cfg, split = self.network, self.config, self.split
        net.flat[...] = self.plane.point(self.x, self.y)
        scores = []
        for part in ("train", "val"):
            X, Y = training_arrays(cfg, split, part)
            out = net.predict_output(X)
            acc = math.nan
            if split.task == CLASSIFICATION:
                acc = float(np.mean(decode_classes(out) == getattr(split, f"y_{part}")))
            scores += [float(net.loss.value(out, Y.astype(out.dtype))), acc]
        boundary = self._boundary() if _two_d(cfg, split) else None
        return PointReport(self.x, self.y, scores[0], scores[2], scores[1], scores[3], boundary)

    def _boundary(self) -> BoundaryGrid:
        split = self.split
        points = split.X_train * split.scaler.scale + split.scaler.mean
        lo, hi = points.min(axis=0), points.max(axis=0)
        pad = 0.08 * np.maximum(hi - lo, 1e-9)
        lo, hi = lo - pad, hi + pad
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], BOUNDARY_GRID), np.linspace(lo[1], hi[1], BOUNDARY_GRID))
        plane = (np.column_stack([gx.ravel(), gy.ravel()]) - split.scaler.mean) / split.scaler.scale
        probs = self.network.predict_output(plane).reshape(BOUNDARY_GRID, BOUNDARY_GRID, -1).astype(np.float32)
        return BoundaryGrid(probs, (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])), 0)


def _two_d(config: ExperimentConfig, split) -> bool:
    return config.data.name in DATASETS and DATASETS[config.data.name].two_d and split.n_features == 2

