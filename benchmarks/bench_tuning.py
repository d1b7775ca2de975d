"""Benchmark: tuning digits with the article's search space, nnstudio's way and the article's way.

nnstudio's way: 100 trials, TPE, median pruning, early stopping inside trials (at most 100
epochs each), one worker process per core, trials scored on the validation split; the best
config (the best validation value; equal values: the lower validation loss) is then trained
once more and scored on the test split.  ``--seeds 0 1 2 3 4`` runs one study per sampler seed
and checks the targets for each (mean and worst case over the seeds are printed too).

Then the study is confirmed (``--confirm K --confirm-seeds S``, as ``nnstudio tune --confirm``):
the top K trials are re-trained with S more training seeds each, in the same worker processes,
and the best mean validation value picks the best trial.  The confirmed pick's test accuracy is
printed next to the single-run pick's, with the confirmation's wall-clock time; smaller K and S
are read off the same runs (the first S' seeds of the top K' trials) for comparison.

The article's way: no pruning, no early stopping, 10,000 full-batch epochs per trial, one
trial after another.  Running 10 such trials takes a long time, so by default each of the
10 trial configs is timed for ``--measure-epochs`` epochs and the time is extrapolated linearly
to 10,000 (a full-batch epoch does the same work every time); ``--full-article`` runs them all.

    .venv/bin/python benchmarks/bench_tuning.py                  # about 5 minutes on 2 cores
    .venv/bin/python benchmarks/bench_tuning.py --trials 20 --article-trials 3   # a quick look
    .venv/bin/python benchmarks/bench_tuning.py --skip-article --seeds 0 1 2 3 4  # the targets, 5 studies

Each study also says what its worker processes cost beside the trials: the time from launch to
the first trial, from the last trial to the end of the pool, and the trials' share of workers x
wall clock.  The window's Tune tab runs the same pool (an 8-trial, 20-epoch study:
``--trials 8 --epochs 20 --skip-article --confirm 0 --top 0``).

Cross-validation (``--cv K``, as ``nnstudio tune --cv K``): every trial is scored by the mean
over K folds of the training + validation rows.  With ``--cv K --against-plain`` each sampler
seed runs the cross-validated study and then the same study on the validation split alone
(interleaved, so machine load affects both alike), and the untuned base preset is trained with
the same seeds as training seeds; the table compares wall time, the best trial's value (CV:
mean ± sd over folds) and the chosen config's test accuracy:

    .venv/bin/python benchmarks/bench_tuning.py --skip-article --cv 5 --against-plain --confirm 0 --top 0 \
        --seeds 0 1 2 3 4 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

# One BLAS thread here (the worker processes use one each too): with two busy cores, threaded
# BLAS on small matrices only adds contention and makes the timings erratic.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import optuna  # noqa: E402

from nnstudio.engine import Trainer  # noqa: E402
from nnstudio.progress import ProgressBar  # noqa: E402
from nnstudio.presets import load_preset  # noqa: E402
from nnstudio.tuning import (SearchSpace, TuneSettings, WorkerPool, cached_split, config_from_trial,  # noqa: E402
                             config_of_trial, create_study, default_workers, quiet_optuna, rank_key)
from nnstudio.tuning import StopFlag, confirm_top, run_pool  # noqa: E402
from nnstudio.tuning.crossval import fold_values  # noqa: E402
from nnstudio.tuning.objective import trial_val_loss  # noqa: E402

TIME_LIMIT_S = 300.0
MIN_VAL_ACCURACY = 0.98
MIN_TEST_ACCURACY = 0.97


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--epochs", type=int, default=100, help="epochs per trial (nnstudio's way)")
    p.add_argument("--base", default="digits", help="preset the trials start from (nnstudio's way)")
    p.add_argument("--batch-size", type=int, help="override the base preset's batch size")
    p.add_argument("--metric", default="accuracy", choices=("accuracy", "loss"), help="what trials optimize")
    p.add_argument("--split-seed", type=int, help="override the base preset's split seed (default: its own, 0)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], metavar="SEED",
                   help="sampler seeds: one study of --trials trials per seed (default: 0)")
    p.add_argument("--article-trials", type=int, default=10)
    p.add_argument("--article-epochs", type=int, default=10_000)
    p.add_argument("--measure-epochs", type=int, default=100, help="epochs timed per article trial")
    p.add_argument("--full-article", action="store_true", help="run the article's trials in full")
    p.add_argument("--skip-article", action="store_true")
    p.add_argument("--skip-tuning", action="store_true", help="time only the article's way")
    p.add_argument("--confirm", type=int, default=5, metavar="K", help="trials to confirm (0: no confirmation)")
    p.add_argument("--confirm-seeds", type=int, default=2, metavar="S", help="extra training seeds per trial")
    p.add_argument("--cv", type=int, default=0, metavar="K", help="cross-validate every trial over K folds")
    p.add_argument("--against-plain", action="store_true",
                   help="with --cv: also run each seed without cross-validation, and the untuned base preset")
    p.add_argument("--top", type=int, default=5, metavar="N", help="test accuracy of the top N trials (0: skip)")
    p.add_argument("--keep", metavar="DIR", help="keep each study's database in DIR")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    return p.parse_args(argv)


def train_and_score(config) -> tuple[float, float]:
    """Train ``config`` once (its seed: the network its trial trained) -> (validation, test accuracy)."""
    trainer = Trainer(config, cached_split(config.data), histograms=False)
    for _ in trainer.run():
        pass
    _, val_accuracy = trainer.evaluate(trainer.X_val, trainer.split.y_val)
    return val_accuracy, trainer.summary.test_accuracy


def run_nnstudio_way(args, store: Path, seed: int, cv: int = 0) -> dict:
    """Tune with pruning, early stopping and parallel worker processes; wall-clock from launch."""
    url = f"sqlite:///{store}"
    settings = TuneSettings(metric=args.metric, epochs=args.epochs, sampler="tpe", pruner="median", seed=seed, cv=cv)
    started = time.perf_counter()
    base = load_preset(args.base)
    if args.batch_size is not None:
        base = base.replace(batch_size=args.batch_size)
    if args.split_seed is not None:
        base = base.replace(data={"split_seed": args.split_seed})
    tuning = create_study(url, f"bench-digits-{seed}", base, SearchSpace(), settings)
    tuning.set_target(args.trials)
    pool = WorkerPool(tuning.storage_url, tuning.name, args.workers)
    bar = ProgressBar(args.trials, "  tune", stream=sys.stdout)
    launched = datetime.now()  # the trials' own timestamps are local times too
    errors = run_pool(pool, StopFlag(), study=tuning.study, on_poll=lambda: bar.update(tuning.n_finished())).errors
    ended = datetime.now()
    seconds = time.perf_counter() - started
    bar.close()
    for line in errors:
        print("  worker error:", line)
    counts = tuning.counts()
    best = tuning.best_trial()  # what nnstudio tune, the tuning tab and Load best call the best
    best_val_accuracy, best_test_accuracy = train_and_score(config_of_trial(best))
    complete = tuning.trials(states=(optuna.trial.TrialState.COMPLETE,))
    tied = [t for t in complete if t.value == best.value]
    first_tied = min(tied, key=lambda t: t.number)  # Optuna's study.best_trial: the first of equal values
    first_tied_test = (best_test_accuracy if first_tied.number == best.number
                       else train_and_score(config_of_trial(first_tied))[1])
    ranked = sorted(complete, key=lambda t: rank_key(settings.direction, t.value, trial_val_loss(t), t.number))
    top_test = [(t.number, t.value, trial_val_loss(t), train_and_score(config_of_trial(t))[1])
                for t in ranked[:args.top]]
    folds = fold_values(best)
    timed = [t for t in tuning.trials() if t.datetime_complete is not None]
    durations = [(t.datetime_complete - t.datetime_start).total_seconds() for t in timed]
    overhead = {"start_s": (min(t.datetime_start for t in timed) - launched).total_seconds(),
                "end_s": (ended - max(t.datetime_complete for t in timed)).total_seconds(),
                "busy": sum(durations) / args.workers / (ended - launched).total_seconds()}
    confirmed = run_confirmation(args, tuning, ranked, {n: t for n, _, _, t in top_test}) if args.confirm else {}
    return {**confirmed,
        "seed": seed, "seconds": seconds, "trials": len(tuning.trials()), "complete": counts["COMPLETE"],
        "pruned": counts["PRUNED"], "failed": counts["FAIL"], "workers": args.workers,
        "best_trial": best.number, "best_value": best.value, "best_val_loss": trial_val_loss(best),
        "best_val_accuracy": best_val_accuracy, "best_params": best.params,
        "best_test_accuracy": best_test_accuracy, "best_epochs": best.user_attrs.get("epochs"),
        "tied_at_best": len(tied), "first_tied_trial": first_tied.number, "first_tied_test_accuracy": first_tied_test,
        "top5_val_test": top_test, "mean_trial_seconds": sum(durations) / len(durations), "cv": cv,
        "overhead": overhead, "best_fold_values": list(folds), "best_sd": float(np.std(folds, ddof=1)) if len(folds) > 1 else None,
    }


def run_confirmation(args, tuning, ranked, test_of: dict) -> dict:
    """Confirm the top trials as ``nnstudio tune --confirm`` does; the pick's test accuracy, and
    the picks of smaller K and S read off the same runs."""
    direction = tuning.settings.direction
    result = confirm_top(tuning, args.confirm, args.confirm_seeds, workers=args.workers)
    pick = tuning.best_trial()  # now the best confirmed trial
    for t in ranked[:args.confirm]:
        if t.number not in test_of:
            test_of[t.number] = train_and_score(config_of_trial(t))[1]
    grid = {}
    for k in sorted({1, 3, args.confirm} - {0}):
        for s in range(1, args.confirm_seeds + 1):
            means = {n: sum(c.values[:s + 1]) / (s + 1) for n, c in result.confirmed.items()
                     if n in [t.number for t in ranked[:k]] and None not in c.values[:s + 1]}
            if k == 1 or not means:
                continue
            n = min(means, key=lambda n: rank_key(direction, means[n], result.confirmed[n].val_loss, n))
            grid[f"K={k},S={s}"] = {"trial": n, "test_accuracy": test_of[n]}
    return {"confirm_seconds": result.seconds, "confirm_runs": result.runs_done,
            "confirmed_trial": pick.number, "confirmed_value": pick.value,
            "confirmed_mean": result.confirmed[pick.number].mean, "confirmed_test_accuracy": test_of[pick.number],
            "confirmed": {n: c.to_dict() for n, c in result.confirmed.items()}, "confirm_grid": grid}


def print_run(ours: dict, metric: str) -> None:
    print(f"  {ours['seconds']:.0f} s wall clock ({ours['complete']} complete, {ours['pruned']} pruned, "
          f"{ours['failed']} failed; {ours['mean_trial_seconds']:.2f} s per trial on average)")
    o = ours["overhead"]
    print(f"  workers: first trial {o['start_s']:.2f} s after launch, pool ended {o['end_s']:.2f} s after the last "
          f"trial; trials busy {o['busy']:.0%} of workers x wall (load average {os.getloadavg()[0]:.2f})")
    loss = "" if ours["best_val_loss"] is None else f", validation loss {ours['best_val_loss']:.4f}"
    print(f"  best trial #{ours['best_trial']} ({metric} {ours['best_value']:.4f}{loss}): "
          f"validation accuracy {ours['best_val_accuracy']:.4f}, "
          f"test accuracy {ours['best_test_accuracy']:.4f} ({ours['best_epochs']} epochs)")
    print(f"  best params: {ours['best_params']}")
    print(f"  {ours['tied_at_best']} complete trial(s) share the best value; the first of them, "
          f"#{ours['first_tied_trial']}, has test accuracy {ours['first_tied_test_accuracy']:.4f}")
    if ours.get("best_fold_values"):
        print(f"  best trial's folds: {', '.join(f'{v:.4f}' for v in ours['best_fold_values'])} "
              f"(mean {ours['best_value']:.4f} ± {ours['best_sd']:.4f} sd)")
    print(f"  top 5 by validation {metric}, then validation loss (trial, value, val loss, test accuracy): "
          + ", ".join(f"#{n} {v:.4f}/{'-' if l is None else f'{l:.4f}'}/{t:.4f}"
                      for n, v, l, t in ours["top5_val_test"]))
    if "confirmed_trial" in ours:
        print(f"  confirmation: {ours['confirm_runs']} runs in {ours['confirm_seconds']:.1f} s; "
              + ", ".join(f"#{n} mean {c['mean']:.4f} ({'/'.join(f'{v:.4f}' for v in c['values'])})"
                          for n, c in ours["confirmed"].items() if c["mean"] is not None))
        print(f"  confirmed pick #{ours['confirmed_trial']} (mean {ours['confirmed_mean']:.4f}, own seed "
              f"{ours['confirmed_value']:.4f}): test accuracy {ours['confirmed_test_accuracy']:.4f} "
              f"(unconfirmed pick #{ours['best_trial']}: {ours['best_test_accuracy']:.4f})")
        print("  smaller confirmations on the same runs: " + ", ".join(
            f"{k} -> #{g['trial']} {g['test_accuracy']:.4f}" for k, g in ours["confirm_grid"].items()))


def run_seed(args, seed: int, cv: int) -> dict:
    """One study of sampler seed ``seed`` (kept in ``--keep DIR`` if given), printed."""
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        store = Path(args.keep) / f"seed{seed}-cv{cv}.db"
        store.unlink(missing_ok=True)
        ours = run_nnstudio_way(args, store, seed, cv)
    else:
        with tempfile.TemporaryDirectory(prefix="nnstudio-bench-") as tmp:
            ours = run_nnstudio_way(args, Path(tmp) / "studies.db", seed, cv)
    print_run(ours, args.metric)
    return ours


def run_untuned(args, seed: int) -> dict:
    """The base preset as it is, trained with training seed ``seed``."""
    config = load_preset(args.base).replace(seed=seed)
    started = time.perf_counter()
    val_accuracy, test_accuracy = train_and_score(config)
    print(f"  untuned {args.base!r} preset, training seed {seed}: validation accuracy {val_accuracy:.4f}, "
          f"test accuracy {test_accuracy:.4f} ({time.perf_counter() - started:.0f} s)")
    return {"seed": seed, "val_accuracy": val_accuracy, "test_accuracy": test_accuracy}


def print_cv_table(cv_runs: list[dict], plain: list[dict], untuned: list[dict]) -> None:
    """Per sampler seed: wall time, best value and the chosen config's test accuracy, with and without
    cross-validation, and the untuned preset's test accuracy; then mean and worst."""
    print("seed | cv: wall s, best mean ± sd, test acc | plain: wall s, best val, test acc | untuned test acc")
    for c, p, u in zip(cv_runs, plain, untuned):
        sd = "-" if c["best_sd"] is None else f"{c['best_sd']:.4f}"
        print(f"{c['seed']:>4} | {c['seconds']:6.0f} {c['best_value']:.4f} ± {sd} {c['best_test_accuracy']:.4f} | "
              f"{p['seconds']:6.0f} {p['best_value']:.4f} {p['best_test_accuracy']:.4f} | {u['test_accuracy']:.4f}")
    n = len(plain)
    for label, values in (("cv test accuracy", [r["best_test_accuracy"] for r in cv_runs[:n]]),
                          ("plain test accuracy", [r["best_test_accuracy"] for r in plain]),
                          ("untuned test accuracy", [r["test_accuracy"] for r in untuned]),
                          ("cv wall s", [r["seconds"] for r in cv_runs[:n]]),
                          ("plain wall s", [r["seconds"] for r in plain])):
        print(f"  {label}: mean {np.mean(values):.4f}, min {min(values):.4f}, max {max(values):.4f}")


def article_configs(n: int, epochs: int):
    """``n`` configs drawn from the article's space (seeded random draws), trained the article's
    way: its network (the ``article`` preset), full batch, no early stopping."""
    base = load_preset("article").replace(batch_size=0, epochs=epochs, early_stopping=False)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    configs = []
    for _ in range(n):
        trial = study.ask()
        configs.append(config_from_trial(base, SearchSpace(), trial))
        study.tell(trial, 0.0)
    return configs


def run_article_way(args) -> dict:
    configs = article_configs(args.article_trials, args.article_epochs)
    split = cached_split(configs[0].data)
    per_trial, measured = [], []
    for i, config in enumerate(configs):
        epochs = args.article_epochs if args.full_article else min(args.measure_epochs, args.article_epochs)
        trainer = Trainer(config.replace(epochs=epochs), split, histograms=False)
        started = time.perf_counter()
        for _ in trainer.run():
            pass
        seconds = time.perf_counter() - started
        ran = max(trainer.summary.epochs_run, 1)
        estimate = seconds / ran * args.article_epochs
        per_trial.append(estimate)
        measured.append(seconds)
        print(f"  trial {i}: {config.layer_sizes} {ran} epochs in {seconds:.1f} s -> "
              f"{estimate:.0f} s for {args.article_epochs} epochs"
              + (" (diverged early)" if trainer.summary.diverged else ""))
    return {"trials": len(configs), "epochs": args.article_epochs, "extrapolated": not args.full_article,
            "measured_seconds": sum(measured), "seconds": sum(per_trial), "per_trial_seconds": per_trial}


def print_targets(runs: list[dict], trials: int) -> None:
    """Per seed, and mean/min (max for time) over the seeds, against the issue's targets."""
    figures = (("wall clock (s)", "seconds", max, lambda v: v <= TIME_LIMIT_S, f"<= {TIME_LIMIT_S:.0f}"),
               ("best validation accuracy", "best_val_accuracy", min, lambda v: v >= MIN_VAL_ACCURACY,
                f">= {MIN_VAL_ACCURACY}"),
               ("best config's test accuracy", "best_test_accuracy", min, lambda v: v >= MIN_TEST_ACCURACY,
                f">= {MIN_TEST_ACCURACY}"))
    seeds = [r["seed"] for r in runs]
    print(f"Targets over sampler seeds {seeds} ({trials} trials each):")
    for label, key, worst, ok, target in figures:
        values = [r[key] for r in runs]
        fmt = "{:.0f}" if key == "seconds" else "{:.4f}"
        per_seed = ", ".join(fmt.format(v) for v in values)
        mean = fmt.format(sum(values) / len(values))
        passed = all(ok(v) for v in values) and all(r["trials"] >= trials for r in runs)
        print(f"  [{'PASS' if passed else 'FAIL'}] {label} {target}: {per_seed} "
              f"(mean {mean}, {worst.__name__} {fmt.format(worst(values))})")
    if all("confirmed_trial" in r for r in runs):
        for label, key in (("single-run pick's test accuracy", "best_test_accuracy"),
                           ("confirmed pick's test accuracy", "confirmed_test_accuracy")):
            values = [r[key] for r in runs]
            print(f"  {label}: {', '.join(f'{v:.4f}' for v in values)} "
                  f"(mean {sum(values) / len(values):.4f}, min {min(values):.4f})")
        for k in runs[0]["confirm_grid"]:
            values = [r["confirm_grid"][k]["test_accuracy"] for r in runs if k in r["confirm_grid"]]
            print(f"    {k}: {', '.join(f'{v:.4f}' for v in values)} "
                  f"(mean {sum(values) / len(values):.4f}, min {min(values):.4f})")
        times = [r["confirm_seconds"] for r in runs]
        print(f"  confirmation time (s): {', '.join(f'{v:.0f}' for v in times)} (max {max(times):.0f}); "
              "tuning + confirmation (s): " + ", ".join(f"{r['seconds'] + r['confirm_seconds']:.0f}" for r in runs))


def main(argv=None) -> int:
    args = parse_args(argv)
    quiet_optuna()
    batch = f", batch size {args.batch_size}" if args.batch_size is not None else ""
    split = f", split seed {args.split_seed}" if args.split_seed is not None else ""
    result, runs, plain, untuned = {}, [], [], []
    if not args.skip_tuning:
        print(f"nnstudio's way: {args.trials} trials on digits{split}, article's space, base preset {args.base!r}"
              f"{batch}, {args.workers} workers, TPE + median pruning, early stopping, <= {args.epochs} "
              f"epochs/trial, validation {args.metric}")
        if args.cv:
            print(f"Cross-validated: every trial scored by the mean over {args.cv} folds"
                  + ("; each seed also without --cv, and the untuned base preset" if args.against_plain else ""))
        for seed in args.seeds:
            print(f" sampler seed {seed}:")
            ours = run_seed(args, seed, args.cv)
            runs.append(ours)
            if args.cv and args.against_plain:
                print(f" sampler seed {seed} without --cv:")
                plain.append(run_seed(args, seed, 0))
                untuned.append(run_untuned(args, seed))
            result.update(nnstudio=runs, plain=plain, untuned=untuned)
            if args.json:  # after every seed, so an interrupted run keeps what finished
                Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    if not args.skip_article:
        how = "run in full" if args.full_article else f"timed for {args.measure_epochs} epochs, extrapolated"
        print(f"The article's way: {args.article_trials} trials, {args.article_epochs} full-batch epochs each, "
              f"no pruning, no early stopping, one after another ({how})")
        article = run_article_way(args)
        result["article"] = article
        print(f"  {article['seconds']:.0f} s ({article['seconds'] / 60:.1f} min) for {article['trials']} trials"
              f"{' (extrapolated)' if article['extrapolated'] else ''}; "
              f"per 100 trials: {article['seconds'] * 100 / article['trials'] / 3600:.1f} h")
    if runs:
        print_targets(runs, args.trials)
    if plain:
        print_cv_table(runs, plain, untuned)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
