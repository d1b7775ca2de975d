"""``nnstudio tune``: search hyperparameters with Optuna, on this machine or on many.

    nnstudio tune CONFIG.json --trials 100            # new study, one worker per core
    nnstudio tune --preset NAME --storage URL --study S
    nnstudio tune --join --storage URL --study S      # one more worker for a running study
    nnstudio tune --list | --delete S                 # the studies in a store

Trials are scored on the validation split; the best config is then trained once more and its
test accuracy reported (the only time the test split is used), and it is written as JSON.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from ..cli import EXIT_INTERRUPTED, EXIT_OK, command
from ..errors import UserError
from . import experiment_of
from ..progress import ProgressBar
from .tune_report import EXIT_FAILED, bar_info, confirm_trials, finish, metric_label, print_best, reason_text

STORAGE_ENV = "NNSTUDIO_STORAGE"  # --storage's default
# --confirm default: trials re-trained at the end (0: off).  Off: on digits (benchmarks/bench_tuning.py,
# sampler seeds 0-4) confirming the top 5 with 2 more seeds changed the picked config's test accuracy
# by +0.019, 0, -0.011, 0, +0.004 (mean +0.002) for 10-23 s, which is not a reliable gain.
CONFIRM_TOP = 0
CONFIRM_SEEDS = 2   # --confirm-seeds default: extra training seeds for each (tuning.confirm.EXTRA_SEEDS)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", metavar="CONFIG", help="experiment file (.json) to start from")
    p.add_argument("--preset", metavar="NAME", help="start from a built-in preset instead of a file")
    p.add_argument("--trials", type=int, metavar="N",
                   help="finished trials to add (default 100); with --join: trials this worker runs")
    p.add_argument("--timeout", type=float, metavar="S", help="stop starting trials after S seconds")
    p.add_argument("--workers", type=int, metavar="K",
                   help="worker processes on this machine (default: one per core; 1 with --join)")
    p.add_argument("--storage", metavar="URL", default=os.environ.get(STORAGE_ENV) or None,
                   help=f"SQLAlchemy database URL shared by all workers (default: ${STORAGE_ENV}, which keeps a "
                        "password off the command line, else the local study store)")
    p.add_argument("--study", metavar="NAME", help="study name: new, or existing to add trials (default: "
                                                   "CONFIG name and the time)")
    # named here rather than read from tuning.SAMPLERS, which would import Optuna for every command
    p.add_argument("--sampler", help="tpe (default), random, qmc, nsga2" + (", cmaes" if _has_cmaes() else ""))
    p.add_argument("--pruner", help="median (default), hyperband, none")
    p.add_argument("--space", metavar="FILE", help="search space (.json); default: the article's space")
    p.add_argument("--metric", choices=("accuracy", "loss"),
                   help="validation accuracy (maximized; default for classification) or loss (minimized)")
    p.add_argument("--epochs", type=int, metavar="E", help="epochs per trial (default 100); early stopping stays on")
    p.add_argument("--seed", type=int, metavar="S", help="sampler seed (default 0)")
    p.add_argument("--output", metavar="FILE", help="where to write the best config (default: STUDY-best.json)")
    p.add_argument("--no-test", action="store_true", help="skip the final training of the best config on the test split")
    p.add_argument("--confirm", type=int, metavar="K", default=None,
                   help="at the end, re-train the top K trials (e.g. 5) with more training seeds and call the "
                        f"best mean validation value best (default {CONFIRM_TOP}: off)")
    p.add_argument("--confirm-seeds", type=int, metavar="S", default=None,
                   help=f"extra training seeds per confirmed trial (default {CONFIRM_SEEDS})")
    p.add_argument("--join", action="store_true", help="add a worker to an existing study (needs --study)")
    p.add_argument("--list", action="store_true", help="list the studies in the store and exit")
    p.add_argument("--delete", metavar="NAME", help="delete a study and its trials, then exit")
    p.add_argument("--write-space", metavar="FILE", help="write the default search space as JSON (to edit) and exit")


def _has_cmaes() -> bool:
    import importlib.util
    return importlib.util.find_spec("cmaes") is not None


@command("tune", "search hyperparameters with Optuna (validation split; test accuracy of the best, once)",
         add_arguments)
def run(args: argparse.Namespace) -> int:
    _quiet_optuna(getattr(args, "verbose", False))
    _check_numbers(args)
    if args.write_space:
        return _write_space(args.write_space)
    if args.list:
        return _list(args)
    if args.delete:
        return _delete(args)
    if args.join:
        return _join(args)
    return _launch(args)


# -- input -------------------------------------------------------------------------------

def _check_numbers(args) -> None:
    for name, lo in (("trials", 1), ("workers", 1), ("epochs", 1), ("seed", 0), ("confirm", 0),
                     ("confirm_seeds", 1)):
        value = getattr(args, name)
        if value is not None and value < lo:
            raise UserError(f"--{name.replace('_', '-')} must be at least {lo}, not {value}")
    if args.timeout is not None and not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise UserError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")


def _quiet_optuna(verbose: bool) -> None:
    from ..tuning import quiet_optuna

    quiet_optuna(verbose)


def _load_config(args):
    return experiment_of(args, otherwise=", or --join --study NAME to add a worker")


def _load_space(path: str | None):
    from ..tuning import SearchSpace, SpaceError

    if path is None:
        return SearchSpace()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return SearchSpace.from_json(text)
    except SpaceError as exc:
        raise UserError(f"{path}: {exc}") from None


def _settings(args, task: str):
    from ..tuning import TuneSettings, default_metric

    changes = {k: v for k, v in (("sampler", args.sampler), ("pruner", args.pruner), ("epochs", args.epochs),
                                  ("seed", args.seed)) if v is not None}
    return TuneSettings(metric=args.metric or default_metric(task), **changes).validate()


# -- stop on Ctrl-C ----------------------------------------------------------------------

@contextmanager
def _stop_on_signals(stop, on_second=None) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop``; a second Ctrl-C calls ``on_second`` (:func:`~nnstudio.tuning.stop_on_signals`)."""
    from ..tuning import stop_on_signals

    with stop_on_signals(stop, on_second):
        yield


# -- subcommands -------------------------------------------------------------------------

def _write_space(path: str) -> int:
    from ..files import atomic_write_text
    from ..tuning import SearchSpace

    atomic_write_text(path, SearchSpace().to_json() + "\n")
    print(f"Wrote the default search space to {path}")
    return EXIT_OK


def _list(args) -> int:
    from ..tuning import display_url, list_studies, open_storage

    storage = open_storage(args.storage)
    studies = list_studies(storage)
    where = display_url(storage.url)
    if not studies:
        print(f"No studies in {where}")
        return EXIT_OK
    print(f"Studies in {where}:")
    width = max(len(s.name) for s in studies)
    for s in studies:
        best = "-" if s.best_value is None else f"{s.best_value:.4f}"
        started = s.started.strftime("%Y-%m-%d %H:%M") if s.started else "-"
        print(f"  {s.name:<{width}}  {s.n_trials:>5} trials  best {best:>8} ({s.direction})  started {started}")
    return EXIT_OK


def _delete(args) -> int:
    from ..tuning import delete_study, display_url, open_storage

    storage = open_storage(args.storage)
    delete_study(storage, args.delete)
    print(f"Deleted study {args.delete!r} from {display_url(storage.url)}")
    return EXIT_OK


def _join(args) -> int:
    from ..tuning import StopFlag, open_study

    if args.config or args.preset:
        raise UserError("--join reads the config from the study; do not give CONFIG or --preset")
    if not args.study:
        raise UserError("--join needs --study NAME (and --storage URL for a shared database)")
    tuning = open_study(args.storage, args.study)
    workers = args.workers or 1
    # A joining worker confirms only when asked (--confirm K): several may join one study.
    confirm = (args.confirm, args.confirm_seeds or CONFIRM_SEEDS) if args.confirm else None
    if workers > 1:
        return _run_pool(tuning, workers, args.timeout, max_trials_each=args.trials, final_test=False, output=None,
                         confirm=confirm)
    stop = StopFlag()
    with _stop_on_signals(stop):
        print(_describe_join(tuning, args.trials), file=sys.stderr)
        result = _run_here(tuning, stop, args.trials, args.timeout)
    stopped = result.reason == "stopped"
    print(f"This worker ran {result.trials} trials ({result.complete} complete, {result.pruned} pruned, "
          f"{result.failed} failed); {reason_text(result.reason)}.")
    if confirm and not stopped:
        stopped = confirm_trials(tuning, *confirm, workers=1)
    print_best(tuning)
    return EXIT_INTERRUPTED if stopped else EXIT_OK


def _confirm_settings(args) -> tuple[int, int] | None:
    """(K, S) for a launch: --confirm K (default CONFIRM_TOP; 0: off), --confirm-seeds S."""
    top = CONFIRM_TOP if args.confirm is None else args.confirm
    return (top, args.confirm_seeds or CONFIRM_SEEDS) if top else None


def _describe_join(tuning, max_trials) -> str:
    from ..tuning import display_url

    goal = (f"{max_trials} trials" if max_trials else
            f"until it has {tuning.target} finished trials" if tuning.target else "until stopped")
    return f"Joining study {tuning.name!r} in {display_url(tuning.storage_url)}: {goal}"


def _run_here(tuning, stop, max_trials, timeout):
    """One worker in this process, with a progress bar over the study's target or our own trials."""
    from ..tuning import run_worker

    use_target = max_trials is None
    total = max_trials or tuning.target or 0
    bar = ProgressBar(total, "tune") if total else None
    base_done = tuning.n_finished() if use_target else 0
    mine = {"n": 0}

    def on_trial(trial) -> None:
        mine["n"] += 1
        if bar is not None:
            done = tuning.n_finished() - base_done if use_target else mine["n"]
            bar.update(min(done, total) if use_target else done, bar_info(tuning))

    if bar is not None:
        bar.update(0, "starting")
    result = run_worker(tuning, stop, max_trials=max_trials, timeout=timeout, use_target=use_target,
                        on_trial=on_trial)
    if bar is not None:
        bar.close(bar_info(tuning))
    return result


def _launch(args) -> int:
    from ..files import check_can_write
    from ..tuning import cached_split, create_study, default_workers, display_url

    config = _load_config(args)
    space = _load_space(args.space)
    split = cached_split(config.data)
    settings = _settings(args, split.task)
    name = args.study or f"{_slug(config.name)}-{datetime.now():%Y%m%d-%H%M%S}"
    output = args.output or f"{_slug(name)}-best.json"
    check_can_write(output)  # before the trials, not after them
    tuning = create_study(args.storage, name, config, space, settings)
    done_before = tuning.n_finished()
    n_trials = args.trials if args.trials is not None else (None if args.timeout else 100)
    tuning.set_target(None if n_trials is None else done_before + n_trials)
    workers = args.workers or default_workers()
    resumed = f", resuming after {done_before} finished trials" if done_before else ""
    goal = "maximizing" if settings.direction == "maximize" else "minimizing"
    print(f"Study {name!r} in {display_url(tuning.storage_url)}{resumed}: {n_trials or 'unlimited'} trials, "
          f"{workers} worker{'s' if workers > 1 else ''}, {settings.sampler} sampler, {settings.pruner} pruner, "
          f"{goal} {metric_label(settings)}.")
    if workers == 1:
        from ..tuning import StopFlag

        stop = StopFlag()
        with _stop_on_signals(stop):
            result = _run_here(tuning, stop, None, args.timeout)
        interrupted = result.reason == "stopped"
        confirm = _confirm_settings(args)
        if confirm and not interrupted:
            interrupted = confirm_trials(tuning, *confirm, workers=1)
        return finish(tuning, interrupted, output, final_test=not args.no_test)
    return _run_pool(tuning, workers, args.timeout, max_trials_each=None, final_test=not args.no_test, output=output,
                     confirm=_confirm_settings(args))


def _run_pool(tuning, workers: int, timeout, *, max_trials_each, final_test: bool, output,
              confirm: tuple[int, int] | None = None) -> int:
    from ..tuning import StopFlag, WorkerPool, run_pool

    pool = WorkerPool(tuning.storage_url, tuning.name, workers, timeout=timeout, max_trials_each=max_trials_each)
    stop = StopFlag()
    total = tuning.target - tuning.n_finished() if tuning.target else (max_trials_each or 0) * workers
    base_done = tuning.n_finished()
    bar = ProgressBar(total, "tune") if total else None
    shown = {"progress": None}

    def poll() -> None:
        progress = (min(max(tuning.n_finished() - base_done, 0), total), bar_info(tuning))
        if bar is not None and progress != shown["progress"]:
            shown["progress"] = progress
            bar.update(*progress)

    def stopping() -> None:
        print("\nStopping: the workers abort their trials (press Ctrl-C again to kill them) ...", file=sys.stderr)

    with _stop_on_signals(stop, on_second=pool.kill):
        end = run_pool(pool, stop, study=tuning.study, on_poll=poll, on_stopping=stopping)
    if bar is not None:
        bar.close(bar_info(tuning))
    errors = end.errors
    for line in errors:
        print(f"nnstudio tune: {line}", file=sys.stderr)
    if end.released:
        print(f"Marked trials {', '.join(map(str, end.released))} FAIL: their worker ended during the trial.",
              file=sys.stderr)
    stopped = stop.is_set()
    if confirm and not stopped:
        stopped = confirm_trials(tuning, *confirm, workers=workers)
    if output is None:
        print_best(tuning)
        return EXIT_INTERRUPTED if stopped else (EXIT_FAILED if errors else EXIT_OK)
    status = finish(tuning, stopped, output, final_test)
    return status if status != EXIT_OK or not errors else EXIT_FAILED


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in text.strip())
    return keep.strip("-") or "study"
