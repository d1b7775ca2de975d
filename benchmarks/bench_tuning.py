"""Benchmark: tuning digits with the article's search space, nnstudio's way and the article's way.

nnstudio's way: 100 trials, TPE, median pruning, early stopping inside trials (at most 100
epochs each), one worker process per core, trials scored on the validation split; the best
config is then trained once more and scored on the test split.

The article's way: no pruning, no early stopping, 10,000 full-batch epochs per trial, one
trial after another.  Running 10 such trials takes a long time, so by default each of the
10 trial configs is timed for ``--measure-epochs`` epochs and the time is extrapolated linearly
to 10,000 (a full-batch epoch does the same work every time); ``--full-article`` runs them all.

    .venv/bin/python benchmarks/bench_tuning.py                  # about 5 minutes on 2 cores
    .venv/bin/python benchmarks/bench_tuning.py --trials 20 --article-trials 3   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# One BLAS thread here (the worker processes use one each too): with two busy cores, threaded
# BLAS on small matrices only adds contention and makes the timings erratic.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import optuna  # noqa: E402

from nnstudio.engine import Trainer  # noqa: E402
from nnstudio.progress import ProgressBar  # noqa: E402
from nnstudio.presets import load_preset  # noqa: E402
from nnstudio.tuning import (SearchSpace, TuneSettings, WorkerPool, cached_split, config_from_trial,  # noqa: E402
                             config_of_trial, create_study, default_workers, evaluate_on_test, quiet_optuna)

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
    p.add_argument("--article-trials", type=int, default=10)
    p.add_argument("--article-epochs", type=int, default=10_000)
    p.add_argument("--measure-epochs", type=int, default=100, help="epochs timed per article trial")
    p.add_argument("--full-article", action="store_true", help="run the article's trials in full")
    p.add_argument("--skip-article", action="store_true")
    p.add_argument("--skip-tuning", action="store_true", help="time only the article's way")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    return p.parse_args(argv)


def run_nnstudio_way(args, store: Path) -> dict:
    """Tune with pruning, early stopping and parallel worker processes; wall-clock from launch."""
    url = f"sqlite:///{store}"
    settings = TuneSettings(metric=args.metric, epochs=args.epochs, sampler="tpe", pruner="median", seed=0)
    started = time.perf_counter()
    base = load_preset(args.base)
    if args.batch_size is not None:
        base = base.replace(batch_size=args.batch_size)
    if args.split_seed is not None:
        base = base.replace(data={"split_seed": args.split_seed})
    tuning = create_study(url, "bench-digits", base, SearchSpace(), settings)
    tuning.set_target(args.trials)
    pool = WorkerPool(tuning.storage_url, tuning.name, args.workers)
    pool.start()
    bar = ProgressBar(args.trials, "  tune", stream=sys.stdout)
    try:
        while not pool.wait(1.0):
            bar.update(tuning.n_finished())
    finally:
        pool.kill()
        errors = pool.errors()
        pool.close()
    seconds = time.perf_counter() - started
    bar.close()
    for line in errors:
        print("  worker error:", line)
    counts = tuning.counts()
    best = tuning.best_trial()
    best_config = config_of_trial(best)
    summary = evaluate_on_test(best_config)
    trainer = Trainer(best_config, cached_split(best_config.data), histograms=False)
    for _ in trainer.run():
        pass
    _, best_val_accuracy = trainer.evaluate(trainer.X_val, trainer.split.y_val)
    sign = -1 if settings.direction == "maximize" else 1
    top = sorted(tuning.trials(states=(optuna.trial.TrialState.COMPLETE,)), key=lambda t: sign * t.value)[:5]
    top_test = [(t.number, t.value, evaluate_on_test(config_of_trial(t)).test_accuracy) for t in top]
    durations = [(t.datetime_complete - t.datetime_start).total_seconds() for t in tuning.trials()
                 if t.datetime_complete is not None]
    return {
        "seconds": seconds, "trials": len(tuning.trials()), "complete": counts["COMPLETE"],
        "pruned": counts["PRUNED"], "failed": counts["FAIL"], "workers": args.workers,
        "best_trial": best.number, "best_value": best.value, "best_val_accuracy": best_val_accuracy,
        "best_params": best.params,
        "best_test_accuracy": summary.test_accuracy, "best_epochs": best.user_attrs.get("epochs"),
        "top5_val_test": top_test, "mean_trial_seconds": sum(durations) / len(durations),
    }


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


def main(argv=None) -> int:
    args = parse_args(argv)
    quiet_optuna()
    batch = f", batch size {args.batch_size}" if args.batch_size is not None else ""
    split = f", split seed {args.split_seed}" if args.split_seed is not None else ""
    result, ours = {}, None
    if not args.skip_tuning:
        print(f"nnstudio's way: {args.trials} trials on digits{split}, article's space, base preset {args.base!r}"
              f"{batch}, {args.workers} workers, TPE + median pruning, early stopping, <= {args.epochs} "
              f"epochs/trial, validation {args.metric}")
        with tempfile.TemporaryDirectory(prefix="nnstudio-bench-") as tmp:
            ours = run_nnstudio_way(args, Path(tmp) / "studies.db")
        print(f"  {ours['seconds']:.0f} s wall clock ({ours['complete']} complete, {ours['pruned']} pruned, "
              f"{ours['failed']} failed; {ours['mean_trial_seconds']:.2f} s per trial on average)")
        print(f"  best trial #{ours['best_trial']} ({args.metric} {ours['best_value']:.4f}): "
              f"validation accuracy {ours['best_val_accuracy']:.4f}, "
              f"test accuracy {ours['best_test_accuracy']:.4f} ({ours['best_epochs']} epochs)")
        print(f"  best params: {ours['best_params']}")
        print(f"  top 5 by validation {args.metric} (trial, value, test accuracy): "
              + ", ".join(f"#{n} {v:.4f}/{t:.4f}" for n, v, t in ours["top5_val_test"]))
        result["nnstudio"] = ours
    if not args.skip_article:
        how = "run in full" if args.full_article else f"timed for {args.measure_epochs} epochs, extrapolated"
        print(f"The article's way: {args.article_trials} trials, {args.article_epochs} full-batch epochs each, "
              f"no pruning, no early stopping, one after another ({how})")
        article = run_article_way(args)
        result["article"] = article
        print(f"  {article['seconds']:.0f} s ({article['seconds'] / 60:.1f} min) for {article['trials']} trials"
              f"{' (extrapolated)' if article['extrapolated'] else ''}; "
              f"per 100 trials: {article['seconds'] * 100 / article['trials'] / 3600:.1f} h")
    checks = [] if ours is None else [
        (f"{args.trials} trials in <= {TIME_LIMIT_S:.0f} s", ours["seconds"] <= TIME_LIMIT_S and ours["trials"] >= args.trials),
        (f"best validation accuracy >= {MIN_VAL_ACCURACY}", ours["best_val_accuracy"] >= MIN_VAL_ACCURACY),
        (f"best config's test accuracy >= {MIN_TEST_ACCURACY}", ours["best_test_accuracy"] >= MIN_TEST_ACCURACY),
    ]
    for text, ok in checks:
        print(f"  [{'PASS' if ok else 'FAIL'}] {text}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
