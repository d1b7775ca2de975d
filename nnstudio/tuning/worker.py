"""One tuning worker: runs trials of a study until its target, a timeout or a stop request.

Any number of workers, in any number of processes and on any number of machines, may run the
same study: they share it through its storage, exactly as Optuna's own distributed mode does.
Each trial runs inside ``study.optimize(n_trials=1)`` so Optuna records its heartbeat and fails
stale trials of crashed workers before asking for a new one.

The study's target (finished trials) is shared: before each trial a worker counts finished and
running trials and only starts one if the target is not yet covered; when the remaining trials
are all running elsewhere it waits, so that if one of them fails (a crashed worker) it can run
a replacement.  On a single machine the count and the creation of the trial happen under a file
lock, so parallel workers never overshoot; across machines a trial created in the same instant
as the last one needed is ended at once as FAIL with the user attribute ``surplus``.

Stopping is cooperative: the trainer checks the stop flag between mini-batches, the objective
raises :class:`~nnstudio.tuning.objective.TrialInterrupted`, and Optuna ends the trial as
FAIL.  A trial is never left RUNNING by a worker that stops.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import optuna
from optuna.trial import FrozenTrial, TrialState

from ..config import ConfigError
from ..data import DataError
from .objective import MESSAGE_ATTR, WORKER_ATTR, Objective, TrialInterrupted
from .storage import _parse, _sqlite_path
from .study import TuningStudy

log = logging.getLogger(__name__)

SURPLUS_ATTR = "surplus"
# A worker whose remaining trials all run elsewhere reads the study this often, so it exits at most
# this long after the study's last trial ends (the launcher waits for that exit).  Finished trials
# come from Optuna's cache, so a read fetches the running trials only.
WAIT_POLL_S = 0.1

# Trial outcomes that do not stop the worker: the trial ends as FAIL and the next one starts.
TRIAL_ERRORS = (TrialInterrupted, ConfigError, DataError)


class SurplusTrial(Exception):
    """The study's target was already covered when this trial was created."""


class StopFlag:
    """A stop request: a ``threading.Event``, optionally also set when the parent process dies.

    ``is_set()`` is cheap enough to call between mini-batches: the parent check runs at most
    every ``check_every`` seconds.
    """

    def __init__(self, parent_pid: int | None = None, check_every: float = 0.5):
        self.event = threading.Event()
        self.parent_pid = parent_pid
        self.check_every = check_every
        self._next_check = 0.0

    def set(self) -> None:
        self.event.set()

    def is_set(self) -> bool:
        if self.event.is_set():
            return True
        if self.parent_pid is not None:
            now = time.monotonic()
            if now >= self._next_check:
                self._next_check = now + self.check_every
                if os.getppid() != self.parent_pid:  # re-parented: the launcher is gone
                    log.warning("the launching process ended; stopping this worker")
                    self.event.set()
        return self.event.is_set()

    def wait(self, timeout: float) -> bool:
        self.event.wait(timeout)
        return self.is_set()


@dataclass(frozen=True)
class WorkerResult:
    """What one worker did and why it ended."""

    trials: int           # trials this worker ran to an end (any state)
    complete: int
    pruned: int
    failed: int
    reason: str           # "target", "max_trials", "timeout", "stopped"


class _CreationLock:
    """An exclusive lock between processes on this machine (POSIX ``flock``), held from the
    budget check until the new trial exists.  A no-op without a path or without ``fcntl``."""

    def __init__(self, path: Path | None):
        try:
            import fcntl
        except ImportError:  # Windows: parallel workers may rarely create a surplus trial
            fcntl = None
        self._fcntl = fcntl
        self.path = path if fcntl is not None else None
        self._file = None

    def acquire(self) -> None:
        if self.path is not None and self._file is None:
            self._file = open(self.path, "a+b")
            self._fcntl.flock(self._file.fileno(), self._fcntl.LOCK_EX)

    def release(self) -> None:
        if self._file is not None:
            try:
                self._fcntl.flock(self._file.fileno(), self._fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None


def budget_lock_path(storage_url: str) -> Path | None:
    """The lock file guarding trial creation for an SQLite store (None for server databases)."""
    parsed = _parse(storage_url)
    if parsed.get_backend_name() != "sqlite":
        return None
    path = _sqlite_path(parsed)
    return None if path is None else path.with_name(path.name + ".lock")


def budget_state(tuning: TuningStudy, target: int | None = None) -> str:
    """``run`` (start a trial), ``wait`` (the rest are running elsewhere) or ``done``."""
    target = tuning.target if target is None else target
    if target is None:
        return "run"
    trials = tuning.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED,
                                                             TrialState.RUNNING))
    finished = sum(t.state != TrialState.RUNNING for t in trials)
    if finished >= target:
        return "done"
    return "wait" if len(trials) >= target else "run"


def _claims_ahead(study: optuna.Study, number: int) -> int:
    """Finished or running trials created before trial ``number``."""
    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    return sum(t.number < number for t in study.get_trials(deepcopy=False, states=states))


def _fail_stale(study: optuna.Study) -> None:
    with contextlib.suppress(Exception):  # heartbeats off, or a transient storage error
        optuna.storages.fail_stale_trials(study)


class _BudgetedObjective:
    """The objective, run only while the study's target is not yet covered.

    Optuna calls it once the new trial exists, so it first releases the creation lock (other
    workers now count the trial); a trial beyond the target read by the last budget check
    (:attr:`target`) is marked ``surplus`` and ends at once."""

    def __init__(self, tuning: TuningStudy, stop: StopFlag, lock: _CreationLock):
        self.objective = Objective(tuning.base, tuning.space, tuning.settings.metric, stop=stop.is_set,
                                   folds=tuning.settings.cv)
        self.study = tuning.study
        self.lock = lock
        self.target: int | None = None

    def __call__(self, trial: optuna.Trial) -> float:
        self.lock.release()  # the trial exists now: other workers count it
        if self.target is not None and _claims_ahead(self.study, trial.number) >= self.target:
            trial.set_user_attr(SURPLUS_ATTR, True)
            trial.set_user_attr(MESSAGE_ATTR, "Not needed: the study had reached its number of trials.")
            raise SurplusTrial(f"trial {trial.number} is beyond the study's {self.target} trials")
        return self.objective(trial)


def _limit_reached(ran: int, max_trials: int | None, started: float, timeout: float | None) -> str | None:
    """"max_trials" or "timeout" when this worker's own limit is reached, else None."""
    if max_trials is not None and ran >= max_trials:
        return "max_trials"
    if timeout is not None and time.monotonic() - started >= timeout:
        return "timeout"
    return None


def _result(ended: list[FrozenTrial], reason: str) -> WorkerResult:
    counts = {s: sum(t.state == s for t in ended) for s in (TrialState.COMPLETE, TrialState.PRUNED)}
    return WorkerResult(len(ended), counts[TrialState.COMPLETE], counts[TrialState.PRUNED],
                        len(ended) - sum(counts.values()), reason)


def run_worker(tuning: TuningStudy, stop: StopFlag | None = None, *, max_trials: int | None = None,
               timeout: float | None = None, use_target: bool = True,
               on_trial: Callable[[FrozenTrial], None] | None = None) -> WorkerResult:
    """Run trials of ``tuning`` in this process until one of:

    * the study has ``target`` finished trials (when ``use_target``),
    * this worker has run ``max_trials`` trials,
    * ``timeout`` seconds have passed (checked between trials),
    * ``stop`` is set (the running trial is aborted and ends as FAIL).

    ``on_trial`` receives each trial this worker ends.
    """
    stop = stop or StopFlag()
    study = tuning.study
    lock = _CreationLock(budget_lock_path(tuning.storage_url))
    budgeted = _BudgetedObjective(tuning, stop, lock)
    ended: list[FrozenTrial] = []

    def record(_study: optuna.Study, trial: FrozenTrial) -> None:
        ended.append(trial)
        if on_trial is not None:
            on_trial(trial)

    start = time.monotonic()
    reason = "stopped"
    while not stop.is_set():
        limit = _limit_reached(len(ended), max_trials, start, timeout)
        if limit is not None:
            reason = limit
            break
        lock.acquire()
        try:
            budgeted.target = tuning.target if use_target else None
            state = budget_state(tuning, budgeted.target) if use_target else "run"
            if state == "done":
                reason = "target"
                break
            if state == "wait":
                lock.release()
                _fail_stale(study)
                stop.wait(WAIT_POLL_S)
                continue
            study.optimize(budgeted, n_trials=1, catch=TRIAL_ERRORS + (SurplusTrial,), callbacks=[record],
                           gc_after_trial=False)
        finally:
            lock.release()
    return _result(ended, reason)


def fail_trials_of_workers(study: optuna.Study, workers: Iterable[str], message: str) -> list[int]:
    """Mark FAIL the RUNNING trials whose ``worker`` attribute is in ``workers`` (``host:pid``).

    Used by a launcher once its worker processes have exited, so that a worker killed hard
    (no chance to clean up) leaves nothing RUNNING even before its heartbeat goes stale.
    Returns the trial numbers failed.
    """
    workers = set(workers)
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if trial.user_attrs.get(WORKER_ATTR) in workers:
            # The trial's storage id is needed to annotate it; Optuna keeps it on FrozenTrial.
            with contextlib.suppress(Exception):
                study._storage.set_trial_user_attr(trial._trial_id, MESSAGE_ATTR, message)
            with contextlib.suppress(RuntimeError, ValueError):
                study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
                failed.append(trial.number)
    return failed


def host_pid(pid: int) -> str:
    """The ``worker`` attribute a process ``pid`` on this host writes."""
    return f"{socket.gethostname()}:{pid}"
