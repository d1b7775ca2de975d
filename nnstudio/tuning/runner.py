"""Running worker processes to an end: the one loop behind ``nnstudio tune``, the Tune tab and
confirmation.

:func:`run_pool` starts a :class:`~nnstudio.tuning.pool.WorkerPool`, polls until every child has
exited or a stop is requested (it looks every :data:`CHECK_S` seconds, so the run ends as soon as
the last child does, however seldom ``on_poll`` reads the study), then stops the children
(SIGINT: each aborts its trial, which ends as FAIL), gives them :data:`KILL_GRACE_S` seconds,
kills whatever is left, and marks FAIL the trials a killed child left RUNNING.  :func:`confirm_top` runs a confirmation through it.
:func:`stop_on_signals` turns Ctrl-C and SIGTERM into a stop request in a command-line process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import optuna

from .. import signals

from .confirm import PLAN_ATTR, ConfirmResult, clear_confirmations, make_plan, run_confirm_jobs, runs_done, summarize
from .pool import WorkerPool
from .worker import StopFlag

POLL_S = 0.5          # how often the launcher reads the study (``on_poll``)
CHECK_S = 0.05        # how often it looks whether a child has exited or a stop was requested
KILL_GRACE_S = 15.0   # after a stop request, children still running this long are killed


@dataclass(frozen=True)
class PoolEnd:
    """How a pool ended."""

    released: tuple[int, ...]   # trials marked FAIL because their child ended during them
    errors: tuple[str, ...]     # one line per child that exited with an error
    killed: bool                # some child did not stop within the grace and was killed


def run_pool(pool: WorkerPool, stop: StopFlag, *, study: optuna.Study | None = None,
             on_poll: Callable[[], None] | None = None, on_stopping: Callable[[], None] | None = None,
             poll_s: float = POLL_S, grace: float = KILL_GRACE_S) -> PoolEnd:
    """Start ``pool`` and run it until its children exit or ``stop`` is set (see the module docstring).

    ``study``: release the trials of children that ended during a trial, while running and at
    the end.  ``on_poll()`` runs every ``poll_s`` seconds, also while the children stop;
    ``on_stopping()`` once, when a stop request ends the run.
    """
    poll = on_poll or (lambda: None)
    pool.start()
    next_poll = time.monotonic() + poll_s
    try:
        while pool.alive() and not stop.wait(min(CHECK_S, poll_s)):
            if time.monotonic() < next_poll:
                continue
            next_poll = time.monotonic() + poll_s
            if study is not None:
                pool.release_trials(study)
            poll()
    finally:
        if stop.is_set() and on_stopping is not None:
            on_stopping()
        pool.stop()
        deadline = time.monotonic() + grace
        while pool.alive() and time.monotonic() < deadline:
            pool.wait(poll_s)
            poll()
        killed = pool.alive() > 0
        if killed:
            pool.kill()
        released = pool.release_trials(study) if study is not None else []
        errors = pool.errors()
        pool.close()
    return PoolEnd(tuple(released), tuple(errors), killed)


def confirm_top(tuning, top_k: int, n_seeds: int, *, workers: int = 1, stop: StopFlag | None = None,
                on_progress: Callable[[int, int], None] | None = None, poll_s: float = POLL_S) -> ConfirmResult:
    """Confirm the top ``top_k`` trials of ``tuning`` with ``n_seeds`` extra seeds each
    (:mod:`~nnstudio.tuning.confirm`).

    ``workers`` > 1 runs the trainings in that many worker processes; 1 runs them here.
    ``stop`` is a :class:`~nnstudio.tuning.worker.StopFlag`.  ``on_progress(done, total)`` is
    called as runs finish.  Best is then the best confirmed trial.
    """
    started = time.perf_counter()
    stop = stop if stop is not None else StopFlag()
    plan = make_plan(tuning, top_k, n_seeds, workers)
    study = tuning.study
    clear_confirmations(tuning)
    study.set_user_attr(PLAN_ATTR, plan.to_dict())
    total = len(plan.runs)

    def progress() -> None:
        if on_progress is not None:
            on_progress(runs_done(study.user_attrs, plan), total)

    progress()
    errors: tuple[str, ...] = ()
    if plan.workers > 1:
        pool = WorkerPool(tuning.storage_url, tuning.name, plan.workers, confirm=True)
        errors = run_pool(pool, stop, on_poll=progress, poll_s=poll_s).errors
    # Runs left undone by a worker process that failed are trained here; with one worker, all.
    for index in range(plan.workers):
        if stop.is_set():
            break
        run_confirm_jobs(tuning, index, stop.is_set, on_run=progress)
    confirmed = summarize(tuning, plan)
    progress()
    return ConfirmResult(plan, confirmed, runs_done(study.user_attrs, plan), time.perf_counter() - started,
                         stop.is_set(), errors)


def stop_on_signals(stop: StopFlag, on_second: Callable[[], None] | None = None):
    """SIGINT/SIGTERM set ``stop`` (the running trial is aborted and ends as FAIL); a second one
    calls ``on_second`` (e.g. kill the workers at once), by default nothing more: the workers are
    already stopping.  Outside the main thread: does nothing.  (:func:`nnstudio.signals.stop_on_signals`
    with that default.)"""
    return signals.stop_on_signals(stop, on_second or _keep_stopping)


def _keep_stopping() -> None:
    """A second signal while the workers stop: they are given their grace time all the same."""
