"""Workers behind the tuning tab: they talk to the study's storage, never the GUI thread.

* :class:`TuningRunWorker` creates or opens the study, starts the worker processes
  (:class:`~nnstudio.tuning.WorkerPool`), then polls the storage at a throttled rate and emits
  :class:`~nnstudio.tuning.StudySnapshot` copies; PED-ANOVA importances are rated beside it, in a
  thread of their own, so the poll never waits for them.
  Stop: the GUI sets a ``threading.Event``; :func:`~nnstudio.tuning.run_pool` asks the processes
  to abort their trials (which end as FAIL), waits for them, kills any that hang, and marks FAIL
  whatever a killed process left RUNNING.
* :class:`ConfirmWorker` confirms a study's top trials with more training seeds
  (:func:`~nnstudio.tuning.confirm_top`, in worker processes), emitting snapshots as runs finish;
  Stop aborts the running trainings.
* :class:`TaskWorker` runs one short storage or training job (list studies, open a study,
  evaluate a config on the test split) and emits its result.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from ...config import ExperimentConfig
from ...errors import user_message
from ...tuning import (SearchSpace, StopFlag, TuneSettings, WorkerPool, confirm_top, create_study, open_study,
                       param_importances, run_pool, take_snapshot)

from ...tuning.enqueue import enqueue_designs
from ...tuning.results import MIN_COMPLETE_FOR_IMPORTANCE, rate_importances

log = logging.getLogger("nnstudio.tuning")

POLL_S = 0.5               # storage reads at most twice a second
IMPORTANCE_EVERY_S = 2.0   # PED-ANOVA at most every two seconds, and only when a trial completed


@dataclass(frozen=True)
class RunRequest:
    """What Start asks for.  ``resume``: open the existing study (its own config, space and settings)."""

    storage_url: str | None
    study_name: str
    resume: bool
    config: ExperimentConfig | None
    space: SearchSpace | None
    settings: TuneSettings | None
    n_trials: int | None
    timeout: float | None
    workers: int
    designs: tuple = ()   # configs to run first ("Add current design" before the study existed)


@dataclass(frozen=True)
class RunStarted:
    name: str
    storage_url: str
    target: int | None
    done_before: int
    workers: int
    space: SearchSpace
    settings: TuneSettings


def _failure_text(exc: Exception, what: str, bug_prefix: str = "") -> str:
    """The message for a failed job: a user error's own line, or a bug's type and text (the
    traceback goes to the log)."""
    text = user_message(exc)
    if text is None:
        log.exception("%s failed", what)
        text = f"{bug_prefix}{type(exc).__name__}: {exc}"
    return text


class _StudyWorker(QObject):
    """Runs ``_run`` once in its thread; an error becomes one ``failed`` message, and
    ``finished`` always follows."""

    failed = Signal(str)
    message = Signal(str)
    finished = Signal()
    activity = "Tuning"  # the error message's first word

    def __init__(self, request, stop: StopFlag):
        super().__init__()
        self.request = request
        self.stop = stop

    @Slot()
    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # reported in the tab; the window goes on
            self.failed.emit(_failure_text(exc, self.activity.lower(), f"{self.activity} failed: "))
        finally:
            self.finished.emit()

    def _run(self) -> None:
        raise NotImplementedError


class TuningRunWorker(_StudyWorker):
    """Runs one tuning session (see the module docstring)."""

    started = Signal(object)     # RunStarted
    snapshot = Signal(object)    # StudySnapshot

    def _open(self):
        r = self.request
        if r.resume:
            return open_study(r.storage_url, r.study_name, worker_index=None)
        return create_study(r.storage_url, r.study_name, r.config, r.space, r.settings)

    def _run(self) -> None:
        r = self.request
        tuning = self._open()
        for note in enqueue_designs(tuning, list(r.designs), "editor design") if r.designs else ():
            self.message.emit(note)
        done_before = tuning.n_finished()
        tuning.set_target(None if r.n_trials is None else done_before + r.n_trials)
        self.started.emit(RunStarted(tuning.name, tuning.storage_url, tuning.target, done_before, r.workers,
                                     tuning.space, tuning.settings))
        if self.stop.is_set():
            return
        pool = WorkerPool(tuning.storage_url, tuning.name, r.workers, timeout=r.timeout)
        watcher = _Watcher(tuning, self.snapshot.emit)
        try:
            end = run_pool(pool, self.stop, study=tuning.study, on_poll=watcher.poll, poll_s=POLL_S)
        finally:
            tuning.record_pick()  # the pick and why, in the study, for optuna-dashboard too
            watcher.poll(final=True)
        if end.killed:
            self.message.emit("A worker process did not stop in time and was killed.")
        for line in end.errors:
            self.message.emit(line)
        if end.released:
            self.message.emit(f"Trials {', '.join(map(str, end.released))} were marked FAIL: their worker process "
                              "ended during the trial.")


class _Watcher:
    """Reads the study and emits a snapshot when something changed.

    Importances are rated in a thread of their own (:class:`_Rating`): the first rating imports
    ``optuna.importance`` and scikit-learn with it, seconds of work during which the pool's loop
    would otherwise neither show progress nor notice that the study has ended.  The last snapshot
    carries the count the importances were rated at; the tab's study watch rates them again when
    trials completed since.
    """

    def __init__(self, tuning, emit: Callable[[Any], None]):
        self.tuning = tuning
        self.emit = emit
        self._signature: tuple | None = None
        self._importances: dict[str, float] = {}
        self._complete_rated = 0
        self._rated_at = 0.0
        self._rating: _Rating | None = None

    def poll(self, final: bool = False) -> None:
        self._collect()
        snap = take_snapshot(self.tuning, self._importances)
        complete = snap.count("COMPLETE")
        now = time.monotonic()
        if (not final and self._rating is None and complete != self._complete_rated
                and complete >= MIN_COMPLETE_FOR_IMPORTANCE and now - self._rated_at >= IMPORTANCE_EVERY_S):
            self._rating = _Rating(self.tuning.study.get_trials(deepcopy=False), self.tuning.study.direction)
            self._rated_at = now
        signature = (tuple((r.number, r.state, len(r.intermediate), r.value) for r in snap.rows),
                     tuple(self._importances.items()), snap.target)
        if final or signature != self._signature:
            self._signature = signature
            self.emit(replace(snap, rated_complete=self._complete_rated))

    def _collect(self) -> None:
        """Take the running rating's importances once it is done."""
        if self._rating is not None and self._rating.done():
            if self._rating.result is not None:
                self._importances, self._complete_rated = self._rating.result, self._rating.complete
            self._rating = None


class _Rating:
    """One importance rating (:func:`~nnstudio.tuning.results.rate_importances`) in a daemon thread."""

    def __init__(self, trials, direction):
        self.complete = sum(t.state.name == "COMPLETE" for t in trials)  # may exceed rated: non-finite values
        self.result: dict[str, float] | None = None
        self._thread = threading.Thread(target=self._rate, args=(trials, direction), name="tuning-importance",
                                        daemon=True)
        self._thread.start()

    def _rate(self, trials, direction) -> None:
        try:
            self.result = rate_importances(trials, direction)
        except Exception:  # a rating that fails leaves the previous importances shown
            log.exception("rating parameter importances failed")

    def done(self) -> bool:
        return not self._thread.is_alive()


@dataclass(frozen=True)
class ConfirmRequest:
    """What "Confirm top K" asks for: the study, K trials, S extra seeds, worker processes."""

    storage_url: str | None
    study_name: str
    top_k: int
    seeds: int
    workers: int
    importances: dict | None = None  # shown unchanged in the snapshots while confirming


class ConfirmWorker(_StudyWorker):
    """Confirms the top trials of a study (see the module docstring)."""

    snapshot = Signal(object)    # StudySnapshot, as runs finish
    confirmed = Signal(object)   # ConfirmResult
    activity = "Confirmation"

    def _run(self) -> None:
        r = self.request
        tuning = open_study(r.storage_url, r.study_name, heartbeat=False)
        importances = dict(r.importances or {})
        shown = {"done": -1}

        def progress(done: int, total: int) -> None:
            if done != shown["done"]:
                shown["done"] = done
                self.snapshot.emit(take_snapshot(tuning, importances))

        result = confirm_top(tuning, r.top_k, r.seeds, workers=r.workers, stop=self.stop, on_progress=progress)
        self.snapshot.emit(take_snapshot(tuning, importances))
        for line in result.errors:
            self.message.emit(line)
        self.confirmed.emit(result)


class TaskWorker(QObject):
    """Runs ``fn()`` once and emits ``done(kind, result)`` or ``failed(kind, message)``."""

    done = Signal(str, object)
    failed = Signal(str, str)
    finished = Signal()

    def __init__(self, kind: str, fn: Callable[[], Any]):
        super().__init__()
        self.kind = kind
        self.fn = fn

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:
            self.failed.emit(self.kind, _failure_text(exc, "task"))
        else:
            self.done.emit(self.kind, result)
        finally:
            self.finished.emit()


@dataclass(frozen=True)
class StudyView:
    """An existing study as the tab shows it before resuming it."""

    snapshot: Any   # StudySnapshot
    space: SearchSpace
    settings: TuneSettings
    base: ExperimentConfig


def load_study_view(storage_url: str | None, name: str) -> StudyView:
    """Read an existing study once (no heartbeats: nothing is run)."""
    tuning = open_study(storage_url, name, heartbeat=False)
    return StudyView(take_snapshot(tuning, param_importances(tuning.study)), tuning.space, tuning.settings,
                     tuning.base)
