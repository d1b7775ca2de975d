"""How much of the machine a computation may use: the CPUs it may run on and its BLAS threads.

Parallel work (compare's runs, tuning workers, confirmation runs) starts one worker per CPU
this process may use, and each worker limits BLAS to one thread, so that K workers use K cores
instead of K pools of BLAS threads fighting over them.

* :func:`cpu_count`            the CPUs of this process's affinity mask (``taskset``, Slurm,
  ``docker --cpuset-cpus``), not every CPU of the machine
* :func:`limit_blas_threads`   limit BLAS in this process (threadpoolctl), for a worker that
  has already imported NumPy
* :func:`child_env`            the environment of a child process that limits BLAS before it
  imports NumPy
* :func:`blas_threads_for`     the thread policy of one training: one BLAS thread unless its
  matrix products are large enough to gain from more *and* the machine has idle cores
* :func:`blas_threads`         that many threads for the length of a ``with`` block (the BLAS
  libraries are found once per process: :func:`blas_controller`, :func:`find_blas_in_background`)
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator, Mapping

# Read by OpenBLAS, MKL, BLIS, Accelerate and numexpr when they load.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                   "NUMEXPR_NUM_THREADS")

_LIMITS: list = []  # threadpoolctl limiters kept alive for the life of the process


def cpu_count() -> int:
    """The CPUs this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity masks on this platform
        return max(1, os.cpu_count() or 1)


def limit_blas_threads(threads: int = 1) -> bool:
    """Limit the BLAS libraries loaded in this process to ``threads`` threads, for good.

    False when threadpoolctl is not installed (then BLAS keeps its own default).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    _LIMITS.append(threadpool_limits(limits=threads, user_api="blas"))
    return True


def child_env(base: Mapping[str, str] | None = None, threads: int = 1) -> dict[str, str]:
    """A copy of ``base`` (default: this process's environment) whose BLAS uses ``threads`` threads."""
    env = dict(os.environ if base is None else base)
    env.update({name: str(threads) for name in THREAD_ENV_VARS})
    return env


# Multiply-adds in a training step's largest matrix product (rows x fan-in x fan-out) from which
# a second BLAS thread shortens the step.  Below it the product is over before the threads have
# woken (the digits preset's largest is 32 x 128 x 128 = 0.5M); measured crossover: see
# benchmarks/bench_threads.py.
PARALLEL_BLAS_MACS = 8_000_000


def idle_cpus() -> int:
    """The CPUs of :func:`cpu_count` not busy with other work (by the 1-minute load average), at least 1.

    Spare BLAS threads on a busy machine do not run in parallel: they wait for a core, and a
    product waits for its slowest thread, so a step can take ten times longer than on one.
    """
    cpus = cpu_count()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform
        return cpus
    return max(1, min(cpus, int(cpus - load + 0.5)))


def blas_threads_for(product_macs: float, cores: int | None = None) -> int:
    """BLAS threads for a training whose largest product in a step does ``product_macs`` multiply-adds.

    One thread below :data:`PARALLEL_BLAS_MACS`; above it one per core of ``cores`` (default:
    :func:`idle_cpus`).  Parallel workers pass their share of the cores (usually 1).
    """
    if product_macs < PARALLEL_BLAS_MACS:
        return 1
    return max(1, idle_cpus() if cores is None else int(cores))


_FOUND = threading.Lock()
_BLAS: list = []  # [threadpoolctl controller of the BLAS libraries, or None], once found


def blas_controller():
    """threadpoolctl's controller of the BLAS libraries loaded in this process (None without
    threadpoolctl), found once: finding them walks every shared library the process has loaded
    (50-90 ms in the window's process, which has loaded Qt's).  NumPy's BLAS is loaded with NumPy."""
    with _FOUND:
        if not _BLAS:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:
                _BLAS.append(None)
            else:
                _BLAS.append(ThreadpoolController().select(user_api="blas"))
        return _BLAS[0]


def find_blas_in_background() -> None:
    """Find the BLAS libraries (:func:`blas_controller`) in a background thread, so that the first
    :func:`blas_threads` finds them ready (a window calls this while it waits for the user)."""
    threading.Thread(target=blas_controller, name="find-blas", daemon=True).start()


@contextmanager
def blas_threads(threads: int) -> Iterator[None]:
    """BLAS limited to ``threads`` threads inside the block (process-wide), restored afterwards."""
    controller = blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=threads):
        yield
