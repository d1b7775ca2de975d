"""Running a comparison: every (variant, seed) run in parallel, streaming per-epoch records.

    run = ComparisonRun(comparison, workers=2)
    for event in run.events():       # RunEvent(variant, seed_index, record | summary | error ...)
        ...
    run.stop()                       # from any thread: every run ends within one mini-batch

Why processes, not threads: a training step on these small matrices (a 64x64 layer, batches of
64 rows) is mostly Python and small NumPy calls that hold the GIL; NumPy releases it only inside
big operations.  Two threads therefore mostly take turns, while two processes use both cores.
``benchmarks/bench_compare.py`` (7 initializers x 3 seeds x 100 epochs on digits, 2 cores shared
with other work) measured processes at 1.2-1.7x the sequential speed and threads at 1.1-1.3x
with BLAS limited to one thread, or 0.2-0.6x with BLAS left multi-threaded (two pools of BLAS
threads fight over two cores).  Workers are forked from a fresh
*forkserver* (or spawned where there is none), never forked from the caller: the caller may be
the Qt application with running threads, and Qt must never be loaded in a worker.  Each worker
limits BLAS to one thread so that two workers do not oversubscribe two cores.

A worker receives a :class:`Job` (config JSON + seed), trains it with
``Trainer(histograms=False)`` and pushes small :class:`RunEvent` objects through a queue: one per
epoch (histograms attached only at a bounded number of epochs), then a summary, or an error for
that run alone.  Stopping sets an event the trainer polls between mini-batches.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing as mp
import os
import queue as queue_module
import signal
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from ..compute import cpu_count, limit_blas_threads
from ..config import ConfigError, DataConfig, ExperimentConfig
from ..data import DataError, Split, load_split
from ..engine import EpochRecord, Histogram, LayerSnapshot, Trainer, TrainingSummary, validate_config
from ..engine.doctor import Doctor
from ..engine.findings import Finding
from ..registry import Registry
from .factors import FactorValueError
from .spec import Comparison, Job

MAX_SNAPSHOTS = 25      # histogram snapshots per run, spread evenly over its epochs
POLL_SECONDS = 0.05     # how often the parent looks at the queue when it is quiet
LOST_AFTER_SECONDS = 10.0  # a finished run whose last event never arrives is reported as lost


# -- events ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunEvent:
    """Something one run did.  Exactly one of the payload fields is set.

    ``initial`` holds the histograms before the first epoch (epoch 0); a ``record`` carries
    histograms in ``record.layers`` only at snapshot epochs.  ``summary``, ``error`` and
    ``cancelled`` end a run; a summary also carries the CPU seconds the run's thread used
    (compared with its wall time, it shows how much the run had to wait for a core).
    """

    variant: int
    seed_index: int
    record: EpochRecord | None = None
    initial: tuple[LayerSnapshot, ...] | None = None
    summary: TrainingSummary | None = None
    error: str | None = None
    cancelled: bool = False
    cpu_seconds: float = math.nan
    findings: tuple[Finding, ...] = ()  # with the summary: the training doctor's findings for the run

    @property
    def kind(self) -> str:
        for name in ("record", "initial", "summary", "error"):
            if getattr(self, name) is not None:
                return name
        return "cancelled"

    @property
    def terminal(self) -> bool:
        return self.summary is not None or self.error is not None or self.cancelled


def snapshot_step(epochs: int, max_snapshots: int = MAX_SNAPSHOTS) -> int:
    """Epoch spacing of histogram snapshots: at most ``max_snapshots`` per run (plus epochs 0 and 1)."""
    return max(1, math.ceil(epochs / max(1, max_snapshots)))


def is_snapshot_epoch(epoch: int, epochs: int, max_snapshots: int = MAX_SNAPSHOTS, last: bool = False) -> bool:
    """Whether ``epoch`` gets histograms: the first, every step-th, and the run's last (``epochs``,
    or the epoch early stopping ends it at: ``last``)."""
    return last or epoch == 1 or epoch == epochs or epoch % snapshot_step(epochs, max_snapshots) == 0


def layer_snapshots(trainer: Trainer) -> tuple[LayerSnapshot, ...]:
    """Histograms of every dense layer's weights, biases, last gradients and cached activations."""
    return tuple(LayerSnapshot(layer.name, Histogram.of(layer.W), Histogram.of(layer.b),
                               Histogram.of(layer.gW), Histogram.of(layer.a))
                 for layer in trainer.network.layers)


# -- one run (in a worker) ---------------------------------------------------------------

_SPLITS: dict[DataConfig, Split] = {}
_SPLITS_LOCK = threading.Lock()


def cached_split(data: DataConfig) -> Split:
    """The split for ``data``, loaded once per process (every run of a comparison shares it)."""
    with _SPLITS_LOCK:
        if data not in _SPLITS:
            _SPLITS[data] = load_split(data)
        return _SPLITS[data]


def run_job(job: Job, emit: Callable[[RunEvent], None], stop: Callable[[], bool],
            max_snapshots: int = MAX_SNAPSHOTS) -> None:
    """Train one run and ``emit`` its events; any exception becomes an error event for this run."""
    key = (job.variant, job.seed_index)
    if stop():
        emit(RunEvent(*key, cancelled=True))
        return
    try:
        with np.errstate(all="ignore"):  # a diverging run is reported by its stop reason, not by warnings
            _train(job, emit, stop, max_snapshots)
    except Exception as exc:  # one failing run must not end the comparison
        emit(RunEvent(*key, error=describe_error(exc)))


def _train(job: Job, emit: Callable[[RunEvent], None], stop: Callable[[], bool], max_snapshots: int) -> None:
    key = (job.variant, job.seed_index)
    cpu_start = time.thread_time()
    config = ExperimentConfig.from_json(job.config_json)
    trainer = Trainer(config, cached_split(config.data), histograms=False)
    doctor = Doctor(config, trainer.split)
    trainer.evaluate(trainer.X_val, trainer.split.y_val, trainer.Y_val)  # caches epoch-0 activations
    emit(RunEvent(*key, initial=layer_snapshots(trainer)))
    for record in trainer.run(stop=stop):
        doctor.observe(record)
        if is_snapshot_epoch(record.epoch, config.epochs, max_snapshots, last=trainer.early_stopping.should_stop):
            record = dataclasses.replace(record, layers=layer_snapshots(trainer))
        emit(RunEvent(*key, record=record))
    emit(RunEvent(*key, summary=trainer.summary, cpu_seconds=time.thread_time() - cpu_start,
                  findings=doctor.finish(trainer.summary)))


def check_fits_data(comparison: Comparison) -> Split:
    """Load the shared split and check every variant can train on it; return the split.

    Raises ``DataError`` when the data cannot be loaded and :class:`FactorValueError` naming the
    first variant whose model does not fit the task (e.g. log loss on a 10-class set).
    """
    split = cached_split(comparison.base.data)
    for variant in comparison.variants:
        try:
            validate_config(variant.config, split)
        except ConfigError as exc:
            raise FactorValueError(f"variant {variant.label!r} cannot train on {comparison.base.data.name}: {exc}") from None
    return split


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, (ConfigError, DataError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


# -- backends ----------------------------------------------------------------------------

@dataclass
class Pool:
    """Running workers: ``submit(job)`` schedules a run whose events arrive on ``queue``."""

    executor: Executor
    queue: Any
    submit: Callable[[Job], Future]
    close: Callable[[], None]


@dataclass(frozen=True)
class Backend:
    """Where runs execute.  ``channels()`` makes the (event queue, stop flag) pair before any work
    starts, so a stop can be requested at any time; ``start(workers, queue, stop, max_snapshots)``
    makes the pool."""

    channels: Callable[[], tuple[Any, Any]]
    start: Callable[[int, Any, Any, int], Pool]


BACKENDS: Registry[Backend] = Registry("backend")


def process_context() -> mp.context.BaseContext:
    """forkserver where available (workers fork from a clean interpreter that has already
    imported NumPy and the engine), else spawn.  Never fork: the caller may run Qt threads."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["nnstudio.compare.runner"])  # takes effect when the server starts
        return ctx
    return mp.get_context("spawn")


_CHILD: dict[str, Any] = {}


def _child_init(events_queue, stop_flag, owner: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops the runs
    limit_blas_threads(1)
    _CHILD.update(queue=events_queue, stop=stop_flag)
    threading.Thread(target=_exit_with_owner, args=(owner,), name="owner-watch", daemon=True).start()


def _exit_with_owner(owner: int, interval: float = 0.25) -> None:
    """End this worker once the process that started the comparison is gone (killed with
    SIGKILL, say): nobody is left to read its results, and an orphan would keep a core busy
    until its run ends.  (The worker's own parent is the fork server, which outlives it.)"""
    while True:
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass
        time.sleep(interval)


def _child_run(job: Job, max_snapshots: int) -> None:
    run_job(job, _CHILD["queue"].put, _CHILD["stop"].is_set, max_snapshots)


def _process_channels():
    ctx = process_context()
    return ctx.Queue(), ctx.Event()


def _start_processes(workers: int, events_queue, stop_flag, max_snapshots: int) -> Pool:
    executor = ProcessPoolExecutor(workers, mp_context=process_context(), initializer=_child_init,
                                   initargs=(events_queue, stop_flag, os.getpid()))

    def close() -> None:
        events_queue.close()
        events_queue.join_thread()

    return Pool(executor, events_queue, lambda job: executor.submit(_child_run, job, max_snapshots), close)


def _start_threads(workers: int, events_queue, stop_flag, max_snapshots: int) -> Pool:
    executor = ThreadPoolExecutor(workers, thread_name_prefix="compare")
    return Pool(executor, events_queue,
                lambda job: executor.submit(run_job, job, events_queue.put, stop_flag.is_set, max_snapshots),
                lambda: None)


BACKENDS.register("process", Backend(_process_channels, _start_processes))
BACKENDS.register("thread", Backend(lambda: (queue_module.SimpleQueue(), threading.Event()), _start_threads))


def default_workers() -> int:
    """The CPUs this process may use."""
    return cpu_count()


# -- the parent's loop -------------------------------------------------------------------

class ComparisonRun:
    """Run every job of ``comparison`` on ``workers`` workers of ``backend`` ("process" or "thread").

    :meth:`events` yields events in arrival order (runs interleave; each run's own events stay
    in order) and returns once every run has ended; :meth:`stop` may be called from any thread.
    The pool is shut down, and its processes joined, before :meth:`events` returns.
    """

    def __init__(self, comparison: Comparison, *, workers: int | None = None, backend: str = "process",
                 max_snapshots: int = MAX_SNAPSHOTS):
        self._backend = BACKENDS[backend]  # an unknown name fails here, listing the valid ones
        self.comparison = comparison
        self.backend = backend
        self.workers = max(1, min(workers or default_workers(), comparison.n_seeds * len(comparison.variants)))
        self.max_snapshots = max_snapshots
        self._queue, self._stop = self._backend.channels()
        self._started = False

    def stop(self) -> None:
        """Ask every run to end; runs not started yet are cancelled."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def events(self, heartbeat: bool = False) -> Iterator[RunEvent | None]:
        """Events as they arrive; with ``heartbeat``, also ``None`` whenever the queue has been
        quiet for a poll interval (so a consumer that batches events can flush them)."""
        if self._started:
            raise RuntimeError("a ComparisonRun runs once; make a new one to run again")
        self._started = True
        pool = self._backend.start(self.workers, self._queue, self._stop, self.max_snapshots)
        futures: dict[Future, tuple[int, int]] = {}
        try:
            for job in self.comparison.jobs():
                futures[pool.submit(job)] = (job.variant, job.seed_index)
            yield from self._collect(pool, futures, heartbeat)
        finally:
            self._stop.set()  # when the consumer leaves early, the runs must end too
            pool.executor.shutdown(wait=True, cancel_futures=True)
            pool.close()

    def _collect(self, pool: Pool, futures: dict[Future, tuple[int, int]], heartbeat: bool) -> Iterator[RunEvent | None]:
        open_runs = set(futures.values())
        cancelled_all = False
        last_arrival = time.monotonic()
        while open_runs:
            if self._stop.is_set() and not cancelled_all:
                cancelled_all = True
                for future in futures:
                    future.cancel()  # only runs that have not started can be cancelled
            event = _get(pool.queue, POLL_SECONDS)
            if event is not None:
                last_arrival = time.monotonic()
                key = (event.variant, event.seed_index)
                if key in open_runs:
                    if event.terminal:
                        open_runs.discard(key)
                    yield event
                continue
            quiet = time.monotonic() - last_arrival
            for event in _silent_ends(futures, open_runs, quiet):
                open_runs.discard((event.variant, event.seed_index))
                yield event
            if heartbeat:
                yield None


def _get(events_queue, timeout: float) -> RunEvent | None:
    try:
        return events_queue.get(timeout=timeout)
    except queue_module.Empty:
        return None


def _silent_ends(futures: dict[Future, tuple[int, int]], open_runs: set, quiet: float) -> list[RunEvent]:
    """Ending events for open runs that will never send one: cancelled before they started,
    killed with their worker, or (after a long silence) lost."""
    out = []
    for future, key in futures.items():
        if key not in open_runs or not future.done():
            continue
        if future.cancelled():
            out.append(RunEvent(*key, cancelled=True))
        elif future.exception() is not None:
            out.append(RunEvent(*key, error=f"the worker running it failed: {describe_error(future.exception())}"))
        elif quiet > LOST_AFTER_SECONDS:
            out.append(RunEvent(*key, error="the run finished but its last results never arrived"))
    return out
