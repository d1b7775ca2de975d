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
"""

from __future__ import annotations

import os
from typing import Mapping

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
