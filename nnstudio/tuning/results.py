"""Reading a study's progress: plain rows for tables, best-so-far curves and importances.

These are plain values (no Optuna objects) so the tuning tab's worker thread can hand them to
the window and the command line can print them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import optuna
from optuna.trial import FrozenTrial, TrialState

from .confirm import Confirmation, confirmations, read_plan, runs_done
from .crossval import fold_values
from .objective import (CHANCE_ATTR, CONFIG_ATTR, DIVERGED_ATTR, FINDING_ATTR, INTERRUPTED_ATTR, MESSAGE_ATTR,
                        best_ranked, trial_val_loss)
from .ranking import Standing, entry, standings
from .worker import SURPLUS_ATTR

MIN_COMPLETE_FOR_IMPORTANCE = 4


@dataclass(frozen=True)
class TrialRow:
    """One trial as the table shows it.  ``duration`` in seconds (None while unknown)."""

    number: int
    state: str                      # COMPLETE, PRUNED, FAIL, RUNNING, WAITING
    label: str                      # state with the reason: "PRUNED (diverged)", "FAIL (stopped)"
    value: float | None
    duration: float | None
    params: dict[str, Any]
    intermediate: tuple[tuple[int, float], ...] = ()  # (epoch, value), sorted by epoch
    message: str = ""
    config_json: str | None = None  # the trial's full config (the "config" user attribute)
    flags: frozenset = field(default_factory=frozenset)
    val_loss: float | None = None   # validation loss of a complete trial: ranks trials of equal value
    confirmation: Confirmation | None = None  # more training seeds, when the trial was confirmed
    fold_values: tuple[float, ...] = ()  # per-fold values of a cross-validated trial
    finding: str = ""               # the training doctor's top warning or error (a finding code)
    at_chance: bool = False         # the trial scored no better than guessing

    @property
    def confirmed(self) -> bool:
        return self.confirmation is not None


def state_label(trial: FrozenTrial) -> str:
    """The state, with why a trial was pruned or failed."""
    attrs = trial.user_attrs
    reason = ("diverged" if attrs.get(DIVERGED_ATTR) else "stopped" if attrs.get(INTERRUPTED_ATTR)
              else "not needed" if attrs.get(SURPLUS_ATTR) else "")
    return f"{trial.state.name} ({reason})" if reason else trial.state.name


def trial_row(trial: FrozenTrial, confirmation: Confirmation | None = None) -> TrialRow:
    duration = None
    if trial.datetime_start is not None and trial.datetime_complete is not None:
        duration = (trial.datetime_complete - trial.datetime_start).total_seconds()
    value = trial.value if trial.state in (TrialState.COMPLETE, TrialState.PRUNED) else None
    attrs = trial.user_attrs
    flags = frozenset(k for k in (DIVERGED_ATTR, INTERRUPTED_ATTR, SURPLUS_ATTR) if attrs.get(k))
    return TrialRow(trial.number, trial.state.name, state_label(trial), value, duration, dict(trial.params),
                    tuple(sorted(trial.intermediate_values.items())), str(attrs.get(MESSAGE_ATTR, "")),
                    attrs.get(CONFIG_ATTR), flags,
                    trial_val_loss(trial) if trial.state == TrialState.COMPLETE else None,
                    confirmation if trial.state == TrialState.COMPLETE else None, fold_values(trial),
                    str(attrs.get(FINDING_ATTR, "")), bool(attrs.get(CHANCE_ATTR, False)))


def trial_rows(trials: Iterable[FrozenTrial], confirmed: dict[int, Confirmation] | None = None) -> list[TrialRow]:
    confirmed = confirmed or {}
    return sorted((trial_row(t, confirmed.get(t.number)) for t in trials), key=lambda r: r.number)


def row_standings(rows: Sequence[TrialRow], direction: str) -> dict[int, Standing]:
    """Mean ± sd and "tied with best" of the rows :func:`best_row` competes over, by trial number."""
    return standings((entry(r, r.number, r.value, r.val_loss, r.confirmation, r.fold_values, direction)
                      for r in rows if r.state == "COMPLETE" and r.value is not None and r.config_json), direction)


def best_row(rows: Sequence[TrialRow], direction: str) -> TrialRow | None:
    """The best COMPLETE row with a stored config, ranked as
    :func:`~nnstudio.tuning.objective.best_trial` ranks trials: the best confirmed mean when
    some rows are confirmed, else the best value (equal values: the lower validation loss, then
    the earlier trial)."""
    def confirmed(c):
        return None if c is None else (c.rank_value(direction), c.val_loss)

    return best_ranked(((r, r.number, r.value, r.val_loss, confirmed(r.confirmation)) for r in rows
                        if r.state == "COMPLETE" and r.value is not None and r.config_json), direction)


@dataclass(frozen=True)
class StudySnapshot:
    """A study's state at one moment, for display."""

    name: str
    direction: str
    metric: str
    rows: tuple[TrialRow, ...]
    target: int | None
    importances: dict[str, float] = field(default_factory=dict)
    confirm_done: int = 0    # confirmation runs recorded, of the study's last confirmation plan
    confirm_total: int = 0   # runs in that plan (0: never confirmed)
    rated_complete: int = -1  # complete trials ``importances`` were computed from (-1: as many as now)

    def count(self, *states: str) -> int:
        return sum(r.state in states for r in self.rows)

    @property
    def finished(self) -> int:
        return self.count("COMPLETE", "PRUNED")

    def best(self) -> TrialRow | None:
        return best_row(self.rows, self.direction)

    def standings(self) -> dict[int, Standing]:
        """Mean ± sd and "tied with best" per complete trial (computed on first use)."""
        cached = self.__dict__.get("_standings")
        if cached is None:
            cached = row_standings(self.rows, self.direction)
            object.__setattr__(self, "_standings", cached)
        return cached


def take_snapshot(tuning, importances: dict[str, float] | None = None) -> StudySnapshot:
    """Read ``tuning`` (a :class:`~nnstudio.tuning.study.TuningStudy`) once."""
    attrs = tuning.study.user_attrs
    rows = tuple(trial_rows(tuning.study.get_trials(deepcopy=False), confirmations(attrs)))
    plan = read_plan(attrs)
    return StudySnapshot(tuning.name, tuning.settings.direction, tuning.settings.metric, rows, tuning.target,
                         dict(importances or {}), runs_done(attrs, plan) if plan else 0,
                         len(plan.runs) if plan else 0)


def best_so_far(rows: Sequence[TrialRow], direction: str) -> tuple[list[int], list[float], list[float]]:
    """(trial numbers, values, running best) over COMPLETE trials in trial order."""
    better = max if direction == "maximize" else min
    numbers, values, best = [], [], []
    for row in rows:
        if row.state != "COMPLETE" or row.value is None or not math.isfinite(row.value):
            continue
        numbers.append(row.number)
        values.append(row.value)
        best.append(row.value if not best else better(best[-1], row.value))
    return numbers, values, best


def param_importances(study: optuna.Study) -> dict[str, float]:
    """PED-ANOVA importances (normalized to sum 1), most important first; {} with too few trials.

    Every parameter of the complete trials is rated, including conditional ones: a trial without
    ``hidden_size_2`` (a network of two layers) counts it as a value of its own, "absent", placed
    just outside the parameter's range.  So the importance of ``hidden_size_2`` says how much
    having a third layer, and its width, go with good values.
    """
    return rate_importances(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), study.direction)


def rate_importances(trials: Sequence[FrozenTrial], direction) -> dict[str, float]:
    """:func:`param_importances` of the COMPLETE ``trials`` of a study of ``direction``, read beforehand
    (so the rating needs no storage: it can run in a thread of its own)."""
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)]
    if len(complete) < MIN_COMPLETE_FOR_IMPORTANCE:
        return {}
    filled = _with_absent_values(complete, direction)
    if filled is None:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importances = optuna.importance.get_param_importances(
                filled, evaluator=optuna.importance.PedAnovaImportanceEvaluator(), normalize=True)
    except (ValueError, RuntimeError, ZeroDivisionError, FloatingPointError):
        return {}
    return {k: float(v) for k, v in importances.items() if math.isfinite(v)}


def absent_value(dist):
    """(a distribution that also holds "absent", the value standing for it)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(dist, IntDistribution):
        low = dist.low - dist.step
        return IntDistribution(low, dist.high, log=dist.log and low > 0, step=dist.step), low
    if isinstance(dist, FloatDistribution):
        if dist.log:
            return FloatDistribution(dist.low / 10, dist.high, log=True), dist.low / 10
        low = dist.low - 0.1 * (dist.high - dist.low)
        return FloatDistribution(low, dist.high), low
    return CategoricalDistribution(tuple(dist.choices) + (None,)), None


def _with_absent_values(trials: Sequence[FrozenTrial], direction) -> optuna.Study | None:
    """An in-memory study of ``trials`` in which every trial has every parameter."""
    distributions: dict[str, Any] = {}
    for t in trials:
        for name, dist in t.distributions.items():
            distributions.setdefault(name, dist)
    if not distributions:
        return None
    absent = {}
    for name, dist in distributions.items():
        if any(name not in t.params for t in trials):
            distributions[name], absent[name] = absent_value(dist)
    study = optuna.create_study(direction=direction)
    for t in trials:
        params = {name: t.params.get(name, absent.get(name)) for name in distributions}
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dict(distributions), value=t.value))
    return study


def format_params(params: dict[str, Any]) -> str:
    """``n_layers=3, learning_rate=0.0123, ...`` with short floats."""
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items())


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
