"""What ``nnstudio tune`` prints: progress-bar text, confirmation, the summary and the best config."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

from ..cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
from ..progress import ProgressBar, format_seconds

EXIT_FAILED = EXIT_ERROR  # no trial completed, a worker failed, or the best config could not be written


def confirm_trials(tuning, top: int, seeds: int, workers: int) -> bool:
    """Confirm the top trials with more training seeds, printing progress and the outcome;
    True if it was stopped (Ctrl-C)."""
    from ..tuning import StopFlag, confirm_top, stop_on_signals
    from ..tuning.confirm import make_plan

    plan = make_plan(tuning, top, seeds, workers)
    if not plan.runs:
        return False
    metric = metric_label(tuning.settings)
    print(f"Confirming the top {len(plan.trials)} trials by {metric}: each trained with {seeds} more seed"
          f"{'s' if seeds > 1 else ''} ({len(plan.runs)} runs, {plan.workers} worker"
          f"{'s' if plan.workers > 1 else ''}); the best mean over all seeds is the best trial.")
    stop = StopFlag()
    bar = ProgressBar(len(plan.runs), "confirm")
    with stop_on_signals(stop):
        result = confirm_top(tuning, top, seeds, workers=workers, stop=stop,
                             on_progress=lambda done, total: bar.update(done) if done != bar.done else None)
    bar.close()
    for line in result.errors:
        print(f"nnstudio tune: {line}", file=sys.stderr)
    ranked = sorted(result.confirmed.values(), key=lambda c: _confirm_key(tuning, c))
    for c in ranked:
        values = ", ".join("diverged" if v is None else f"{v:.4f}" for v in c.values)
        mean = "-" if c.mean is None else f"{c.mean:.4f}"
        print(f"  trial #{c.number}: mean {mean} over seeds {', '.join(map(str, c.seeds))} ({values})")
    if result.confirmed:
        print(f"Confirmed {len(result.confirmed)} trials: {result.runs_done} runs in "
              f"{format_seconds(result.seconds)}.")
    else:
        print(f"Confirmation {'stopped' if result.stopped else 'incomplete'} after {result.runs_done} of "
              f"{len(plan.runs)} runs ({format_seconds(result.seconds)}); the best trial is the best single run. "
              "The runs are kept for the next confirmation.")
    return result.stopped


def _confirm_key(tuning, c):
    from ..tuning import rank_key

    direction = tuning.settings.direction
    return rank_key(direction, c.rank_value(direction), c.val_loss, c.number)


def finish(tuning, interrupted: bool, output: str, final_test: bool) -> int:
    """Print the summary, evaluate the best config on the test split once, write it as JSON."""
    from ..files import atomic_write_text
    from ..tuning import config_of_trial, evaluate_on_test
    from ..tuning.results import format_params

    counts = tuning.counts()
    print(f"{'Stopped' if interrupted else 'Finished'}: {counts['COMPLETE']} complete, {counts['PRUNED']} pruned, "
          f"{counts['FAIL']} failed trials in study {tuning.name!r}.")
    best = tuning.best_trial()
    if best is None:
        print("No trial completed, so there is no best config.")
        return EXIT_INTERRUPTED if interrupted else EXIT_FAILED
    print(f"Best trial: #{best.number}, {metric_label(tuning.settings)} {best.value:.4f}")
    _print_confirmed(tuning, best)
    print(f"Best parameters: {format_params(best.params)}")
    config = config_of_trial(best)
    if final_test and interrupted:
        print("Skipped the test evaluation because the run was stopped; "
              f"train {output} to see its test accuracy.")
    elif final_test:
        started = time.perf_counter()
        summary = evaluate_on_test(config)
        if math.isnan(summary.test_accuracy):
            print(f"Test loss of the best config: {summary.test_loss:.4f} (RMSE {summary.test_rmse:.4g}), "
                  f"evaluated once ({format_seconds(time.perf_counter() - started)})")
        else:
            print(f"Test accuracy of the best config: {summary.test_accuracy:.4f} (loss {summary.test_loss:.4f}), "
                  f"evaluated once ({format_seconds(time.perf_counter() - started)})")
    try:
        atomic_write_text(output, config.to_json() + "\n")
    except Exception as exc:  # the study is saved; only the copy failed
        print(f"nnstudio tune: could not write {output}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Best config written to {Path(output).resolve()}")
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def print_best(tuning) -> None:
    from ..tuning.results import format_params

    best = tuning.best_trial()
    if best is not None:
        print(f"Best so far: trial #{best.number}, {metric_label(tuning.settings)} {best.value:.4f}: "
              f"{format_params(best.params)}")
        _print_confirmed(tuning, best)


def _print_confirmed(tuning, best) -> None:
    c = tuning.confirmations().get(best.number)
    if c is not None and c.mean is not None:
        print(f"Confirmed best: trial #{best.number}, mean {metric_label(tuning.settings)} {c.mean:.4f} over "
              f"{len(c.seeds)} training seeds (its own seed {c.seeds[0]}, whose config is kept: {best.value:.4f})")


def bar_info(tuning) -> str:
    best = tuning.best_trial()
    counts = tuning.counts()
    text = f"pruned {counts['PRUNED']}"
    if counts["FAIL"]:
        text += f", failed {counts['FAIL']}"
    return (f"best {best.value:.4f} | " if best is not None else "") + text


def metric_label(settings) -> str:
    from ..tuning import METRICS

    return METRICS[settings.metric].label


def reason_text(reason: str) -> str:
    return {"target": "the study has all its trials", "max_trials": "it ran the trials asked for",
            "timeout": "the time limit was reached", "stopped": "it was stopped"}.get(reason, reason)
