"""Samplers and pruners, by name: the choices of ``nnstudio tune`` and of the tuning tab.

Samplers (``SAMPLERS[name](seed) -> BaseSampler``):

* ``tpe``     Tree-structured Parzen Estimator (default).  Seeded, so a sequential run is
              reproducible; with several workers each gets its own seed and the "constant
              liar" keeps them from all sampling next to the same running trial.
* ``random``  independent uniform draws (log-uniform on log ranges).
* ``qmc``     a Sobol low-discrepancy sequence: covers the space more evenly than random draws.
* ``nsga2``   a genetic algorithm (NSGA-II): new trials breed from the best so far.
* ``cmaes``   CMA evolution strategy, listed only when the ``cmaes`` package is installed.

Pruners (``PRUNERS[name](epochs, folds) -> BasePruner``), checked at each reported step: the
epochs of a trial, and with cross-validation (``folds`` > 1) the epochs of its first fold, then
one step per fold (``epochs + 1`` ... ``epochs + folds``, the running mean over the folds so far):

* ``median``     stop a trial whose value is worse than the median of earlier trials at the
                 same epoch (after 5 trials and a short warm-up).
* ``hyperband``  successive halving at several budgets: keeps the best 1/3 at each rung.
* ``none``       every trial trains to the end (or to early stopping).
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from typing import Callable

import optuna

from ..registry import Registry
from .objective import report_interval


@dataclass(frozen=True)
class SamplerSpec:
    name: str
    help: str
    make: Callable[[int | None], optuna.samplers.BaseSampler]


@dataclass(frozen=True)
class PrunerSpec:
    name: str
    help: str
    make: Callable[[int, int], optuna.pruners.BasePruner]


SAMPLERS: Registry[SamplerSpec] = Registry("sampler")
PRUNERS: Registry[PrunerSpec] = Registry("pruner")

MEDIAN_STARTUP_TRIALS = 5


def _register_sampler(name: str, help: str, make) -> None:
    SAMPLERS.register(name, SamplerSpec(name, help, make))


def _register_pruner(name: str, help: str, make) -> None:
    PRUNERS.register(name, PrunerSpec(name, help, make))


_register_sampler(
    "tpe", "Tree-structured Parzen Estimator: models good and bad trials and samples where good ones are likely.",
    lambda seed: optuna.samplers.TPESampler(seed=seed, constant_liar=True))
_register_sampler(
    "random", "Independent random draws: a strong baseline that needs no model.",
    lambda seed: optuna.samplers.RandomSampler(seed=seed))
def _qmc(seed: int | None) -> optuna.samplers.BaseSampler:
    with warnings.catch_warnings():  # Optuna marks it experimental; users need not be told each run
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False,
                                          warn_asynchronous_seeding=False)


_register_sampler("qmc", "Quasi-Monte Carlo (Sobol): spreads trials evenly over the space.", _qmc)
_register_sampler(
    "nsga2", "Genetic algorithm (NSGA-II): crossover and mutation of the best trials so far; "
             "categorical dimensions are bred directly.",
    lambda seed: optuna.samplers.NSGAIISampler(seed=seed))
if importlib.util.find_spec("cmaes") is not None:  # optional dependency
    _register_sampler(
        "cmaes", "CMA evolution strategy on the numeric dimensions (categoricals are drawn at random).",
        lambda seed: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False))


def _median(epochs: int, folds: int = 0) -> optuna.pruners.BasePruner:
    every = report_interval(epochs)
    return optuna.pruners.MedianPruner(n_startup_trials=MEDIAN_STARTUP_TRIALS, n_warmup_steps=2 * every,
                                       interval_steps=1)


def _hyperband(epochs: int, folds: int = 0) -> optuna.pruners.BasePruner:
    every = report_interval(epochs)
    steps = epochs + (folds if folds > 1 else 0)
    return optuna.pruners.HyperbandPruner(min_resource=every, max_resource=max(steps, every + 1),
                                          reduction_factor=3)


_register_pruner("median", "Stop a trial that is worse than the median of earlier trials at the same epoch.",
                 _median)
_register_pruner("hyperband", "Successive halving at several budgets: only the best third go on at each rung.",
                 _hyperband)
_register_pruner("none", "No pruning: every trial trains until its last epoch or early stopping.",
                 lambda epochs, folds=0: optuna.pruners.NopPruner())


def make_sampler(name: str, seed: int | None) -> optuna.samplers.BaseSampler:
    return SAMPLERS[name].make(seed)


def make_pruner(name: str, epochs: int, folds: int = 0) -> optuna.pruners.BasePruner:
    """Pruner ``name`` for trials of ``epochs`` epochs, cross-validated over ``folds`` folds (0: not)."""
    return PRUNERS[name].make(epochs, folds)
