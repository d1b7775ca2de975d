"""A worker process started by a launcher on this machine (:class:`~nnstudio.tuning.pool.WorkerPool`).

    python -m nnstudio.tuning trials  --study NAME --index I [--parent-pid P] [--timeout S] [--trials N]
    python -m nnstudio.tuning confirm --study NAME --index I [--parent-pid P]

``trials`` runs trials of the study until its target (or ``--trials N`` of its own, or the
timeout); ``confirm`` runs worker ``I``'s share of the study's confirmation plan.  The storage
URL comes from the environment variable ``NNSTUDIO_WORKER_STORAGE``, never the command line.
SIGINT or SIGTERM, or the end of the parent process, aborts the running training; the exit
status is then 130.  A user error is one line on stderr and exit status 2.  The process ends
without Python's teardown (:func:`exit_now`), so the launcher sees it end as soon as its work is done.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Sequence

from ..errors import UserError, user_message

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nnstudio.tuning",
                                     description="A tuning worker process on this machine (started by a launcher).")
    parser.add_argument("role", choices=("trials", "confirm"))
    parser.add_argument("--study", required=True, help="the study's name")
    parser.add_argument("--index", type=int, default=0, help="this worker's index among its launcher's workers")
    parser.add_argument("--parent-pid", type=int, help="stop when this process (the launcher) ends")
    parser.add_argument("--timeout", type=float, help="stop starting trials after S seconds")
    parser.add_argument("--trials", type=int, help="trials this worker runs (default: up to the study's target)")
    return parser


def _run(args: argparse.Namespace, storage_url: str) -> int:
    from .confirm import run_confirm_jobs
    from .runner import stop_on_signals
    from .study import open_study, quiet_optuna
    from .worker import StopFlag, run_worker

    quiet_optuna(False)
    stop = StopFlag(parent_pid=args.parent_pid)
    if args.role == "confirm":
        tuning = open_study(storage_url, args.study, heartbeat=False)
        with stop_on_signals(stop):
            run_confirm_jobs(tuning, args.index, stop.is_set)
        return EXIT_INTERRUPTED if stop.is_set() else EXIT_OK
    tuning = open_study(storage_url, args.study, worker_index=args.index)
    with stop_on_signals(stop):
        result = run_worker(tuning, stop, max_trials=args.trials, timeout=args.timeout,
                            use_target=args.trials is None)
    return EXIT_INTERRUPTED if result.reason == "stopped" else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    from .pool import STORAGE_ENV

    args = _parser().parse_args(argv)
    storage_url = os.environ.pop(STORAGE_ENV, None)  # not passed on to anything this process starts
    if not storage_url:
        print(f"nnstudio worker: error: {STORAGE_ENV} holds no storage URL", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        return _run(args, storage_url)
    except UserError as exc:
        print(f"nnstudio worker: error: {user_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def exit_now(code: int) -> None:
    """End this worker process with ``code`` at once.  Its work is in the study's storage by now
    (every write is committed), so Python's own teardown, which takes 0.3-0.6 s with NumPy, Optuna
    and SQLAlchemy loaded, would only hold up the launcher, which waits for its workers to exit."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
