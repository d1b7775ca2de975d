"""Confirmation: re-train the top trials with more training seeds, and rank them by the mean.

A trial's value is one training run, scored on a validation split of a few hundred samples, so
near the top many configs are within a few samples of each other and the single best value is
partly luck of the seed.  Confirmation re-trains the top ``K`` trials (by
:func:`~nnstudio.tuning.objective.rank_key`) with ``S`` extra training seeds each (the config's
seed + 1 ... + S; the split is unchanged), and ranks them by the mean validation metric over
all their seeds, the trial's own run included.  Equal means: the lower mean validation loss,
then the earlier trial.  Only the validation split is used.

Once a study holds confirmed trials, "best" (:meth:`TuningStudy.best_trial`, the results
table, Load best, the command line) is the best *confirmed* trial; Load best still loads the
trial's own config and seed, so training it reproduces the trial's value.

Optuna does not change a finished trial, so the results are study user attributes keyed by
trial number:

* ``confirm:plan``         which trials, which extra seeds, how many worker processes;
* ``confirm:<n>:<seed>``   one extra training of trial ``n``: ``{"value", "val_loss"}``;
* ``confirmed:<n>``        trial ``n`` once all its seeds are in: ``{"seeds", "values",
  "val_losses", "mean", "val_loss"}`` (``val_loss``: the mean validation loss).

The extra trainings run in worker processes (``python -m nnstudio.tuning confirm``, started by
:func:`~nnstudio.tuning.runner.confirm_top`, one BLAS thread each), worker ``i`` of ``W`` taking
runs ``i, i + W, ...``; with one worker they run in the calling process.  A stop request aborts the running trainings; finished runs are kept
and reused by the next confirmation with the same seeds; trials count as confirmed only once
every run of the plan is in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
from optuna.trial import FrozenTrial, TrialState

from ..engine import STOP_USER, Trainer
from .objective import METRICS, best_trial, cached_split, config_of_trial, rank_key, trial_val_loss

TOP_K = 5          # trials confirmed by default
EXTRA_SEEDS = 2    # extra training seeds for each by default
PLAN_ATTR = "confirm:plan"
RUN_PREFIX = "confirm:"
RESULT_PREFIX = "confirmed:"


@dataclass(frozen=True)
class Confirmation:
    """A confirmed trial: its value for every seed (its own first) and their means."""

    number: int
    seeds: tuple[int, ...]
    values: tuple[float | None, ...]       # None: that run diverged
    val_losses: tuple[float | None, ...]
    mean: float | None                     # None when some run diverged (ranks last)
    val_loss: float | None                 # mean validation loss (ranks equal means)

    def to_dict(self) -> dict[str, Any]:
        return {"seeds": list(self.seeds), "values": list(self.values), "val_losses": list(self.val_losses),
                "mean": self.mean, "val_loss": self.val_loss}

    @classmethod
    def from_dict(cls, number: int, raw: Mapping[str, Any]) -> "Confirmation":
        return cls(number, tuple(int(s) for s in raw["seeds"]), tuple(_num(v) for v in raw["values"]),
                   tuple(_num(v) for v in raw["val_losses"]), _num(raw.get("mean")), _num(raw.get("val_loss")))

    def rank_value(self, direction: str) -> float:
        """The mean, or the worst possible value when a run diverged."""
        if self.mean is not None:
            return self.mean
        return -math.inf if direction == "maximize" else math.inf


@dataclass(frozen=True)
class Plan:
    """Which trials are confirmed with which extra seeds, in how many worker processes."""

    trials: tuple[int, ...]
    seeds: tuple[int, ...]
    workers: int = 1

    @property
    def runs(self) -> list[tuple[int, int]]:
        """Every (trial number, seed) run, in the order workers share them out."""
        return [(n, s) for s in self.seeds for n in self.trials]

    def runs_of_worker(self, index: int) -> list[tuple[int, int]]:
        return self.runs[index::max(self.workers, 1)]

    def to_dict(self) -> dict[str, Any]:
        return {"trials": list(self.trials), "seeds": list(self.seeds), "workers": self.workers}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "Plan":
        return cls(tuple(int(n) for n in raw["trials"]), tuple(int(s) for s in raw["seeds"]),
                   int(raw.get("workers", 1)))


@dataclass(frozen=True)
class ConfirmResult:
    """What a confirmation did."""

    plan: Plan
    confirmed: dict[int, Confirmation]   # of the plan's trials, the ones with every seed in
    runs_done: int
    seconds: float
    stopped: bool
    errors: tuple[str, ...] = ()


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def run_key(number: int, seed: int) -> str:
    return f"{RUN_PREFIX}{number}:{seed}"


# -- reading -----------------------------------------------------------------------------

def confirmations(study_attrs: Mapping[str, Any]) -> dict[int, Confirmation]:
    """The confirmed trials recorded in a study's user attributes, by trial number."""
    out = {}
    for key, raw in study_attrs.items():
        if key.startswith(RESULT_PREFIX) and isinstance(raw, Mapping):
            try:
                number = int(key[len(RESULT_PREFIX):])
                out[number] = Confirmation.from_dict(number, raw)
            except (ValueError, KeyError, TypeError):
                continue  # written by another version: ignored
    return out


def confirmed_ranking(confirmed: Mapping[int, Confirmation], direction: str) -> dict[int, tuple[float, float | None]]:
    """``{number: (value to rank by, validation loss)}``, as :func:`best_trial` takes it."""
    return {n: (c.rank_value(direction), c.val_loss) for n, c in confirmed.items()}


def read_plan(study_attrs: Mapping[str, Any]) -> Plan | None:
    raw = study_attrs.get(PLAN_ATTR)
    try:
        return Plan.from_dict(raw) if isinstance(raw, Mapping) else None
    except (ValueError, KeyError, TypeError):
        return None


def runs_done(study_attrs: Mapping[str, Any], plan: Plan) -> int:
    return sum(run_key(n, s) in study_attrs for n, s in plan.runs)


# -- planning ----------------------------------------------------------------------------

def top_trials(trials, direction: str, k: int) -> list[FrozenTrial]:
    """The ``k`` best COMPLETE trials with a stored config, by the single-run rule (:func:`rank_key`)."""
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None
                and math.isfinite(t.value) and "config" in t.user_attrs]
    complete.sort(key=lambda t: rank_key(direction, t.value, trial_val_loss(t), t.number))
    return complete[:k]


def make_plan(tuning, top_k: int, n_seeds: int, workers: int = 1) -> Plan:
    """The plan for the current top ``top_k`` trials of ``tuning`` (a TuningStudy), seeds + 1 .. + S."""
    if top_k < 1 or n_seeds < 1:
        raise ValueError("confirmation needs at least one trial and one extra seed")
    top = top_trials(tuning.trials(states=(TrialState.COMPLETE,)), tuning.settings.direction, top_k)
    base_seed = tuning.base.seed
    seeds = tuple(base_seed + i for i in range(1, n_seeds + 1))
    runs = len(top) * len(seeds)
    return Plan(tuple(t.number for t in top), seeds, max(1, min(workers, runs)))


# -- running -----------------------------------------------------------------------------

def train_seed(config, seed: int, metric: str, stop: Callable[[], bool] | None = None) -> dict[str, Any] | None:
    """Train ``config`` with training seed ``seed``; ``{"value", "val_loss"}`` on the validation
    split (None values when the run diverged), or None when stopped."""
    trainer = Trainer(config.replace(seed=seed), cached_split(config.data), histograms=False)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in trainer.run(stop=stop):
            pass
        if trainer.summary.stop_reason == STOP_USER:
            return None
        loss, accuracy = trainer.evaluate(trainer.X_val, trainer.split.y_val, trainer.Y_val)
    value = METRICS[metric].from_evaluation(loss, accuracy)
    if trainer.summary.diverged:
        value = loss = math.nan
    return {"value": _num(value), "val_loss": _num(loss)}


def run_confirm_jobs(tuning, worker_index: int = 0, stop: Callable[[], bool] | None = None,
                     on_run: Callable[[], None] | None = None) -> int:
    """Run worker ``worker_index``'s share of the study's plan (skipping runs already recorded);
    the number of runs this call trained.  Used by confirmation worker processes and in-process."""
    stop = stop or (lambda: False)
    study = tuning.study
    attrs = study.user_attrs
    plan = read_plan(attrs)
    if plan is None:
        return 0
    trials = {t.number: t for t in tuning.trials(states=(TrialState.COMPLETE,))}
    done = 0
    for number, seed in plan.runs_of_worker(worker_index):
        if stop():
            break
        if run_key(number, seed) in attrs or number not in trials:
            continue
        record = train_seed(config_of_trial(trials[number]), seed, tuning.settings.metric, stop)
        if record is None:
            break
        study.set_user_attr(run_key(number, seed), record)
        done += 1
        if on_run is not None:
            on_run()
    return done


def summarize(tuning, plan: Plan) -> dict[int, Confirmation]:
    """Once every run of ``plan`` is in, write ``confirmed:<n>`` for each of its trials and return
    them; before that ({} returned) nothing is written, so a stopped confirmation changes no ranking."""
    study = tuning.study
    attrs = study.user_attrs
    trials = {t.number: t for t in tuning.trials(states=(TrialState.COMPLETE,))}
    if any(not isinstance(attrs.get(run_key(n, s)), Mapping) for n, s in plan.runs):
        return {}
    out = {}
    for number in plan.trials:
        trial = trials.get(number)
        runs = [attrs[run_key(number, s)] for s in plan.seeds]
        if trial is None:
            continue
        values = (_num(trial.value),) + tuple(_num(r.get("value")) for r in runs)
        losses = (trial_val_loss(trial),) + tuple(_num(r.get("val_loss")) for r in runs)
        mean = None if any(v is None for v in values) else float(np.mean(values))
        mean_loss = None if any(v is None for v in losses) else float(np.mean(losses))
        seeds = (config_of_trial(trial).seed,) + plan.seeds
        confirmation = Confirmation(number, seeds, values, losses, mean, mean_loss)
        study.set_user_attr(f"{RESULT_PREFIX}{number}", confirmation.to_dict())
        out[number] = confirmation
    return out


def clear_confirmations(tuning) -> None:
    """Forget earlier ``confirmed:<n>`` results (a new plan replaces them; single runs are kept)."""
    storage, study_id = tuning.study._storage, tuning.study._study_id
    for key in list(tuning.study.user_attrs):
        if key.startswith(RESULT_PREFIX):
            # Optuna has no API to delete a study attribute; an empty value is ignored when read.
            storage.set_study_user_attr(study_id, key, None)


def best_confirmed(tuning) -> FrozenTrial | None:
    """The best trial of ``tuning`` by its confirmed mean (None when nothing is confirmed)."""
    confirmed = confirmations(tuning.study.user_attrs)
    if not confirmed:
        return None
    return best_trial(tuning.trials(states=(TrialState.COMPLETE,)), tuning.settings.direction,
                      confirmed_ranking(confirmed, tuning.settings.direction))


__all__ = ["Confirmation", "ConfirmResult", "Plan", "PLAN_ATTR", "best_confirmed",
           "confirmations", "confirmed_ranking", "make_plan", "read_plan", "run_confirm_jobs", "summarize",
           "top_trials", "train_seed"]
