"""Verifying the finder's candidates: train each briefly on a few seeds and recommend a band.

    run = VerificationRun(config, candidates, epochs=5, seeds=2)   # worker processes (compare's runner)
    verdict = run.run(on_event=...)                                # run.stop() from any thread
    verdict.band, verdict.suggestion, verdict.rates

Each distinct candidate rate trains ``epochs`` epochs on ``seeds`` seeds (``config.seed + i``),
without early stopping, through :class:`nnstudio.compare.ComparisonRun`.  A rate's score is its
mean validation loss after the last epoch (infinite when any seed diverged or failed).

The rule: the best-scoring rate is the suggestion; every rate scoring within
:data:`TOLERANCE` (10%) of it is good, and the band spans the good rates.  When only one rate is
good, the band reaches halfway (in log scale) towards the nearest tested rate on each side, and
never more than a factor :data:`LONE_WIDTH` from it: the rates between a good and a worse
candidate were not tested, so the band does not claim them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..compare import Comparison, ComparisonResults, ComparisonRun, RunEvent
from ..config import ExperimentConfig
from .finder import Candidate

VERIFY_EPOCHS = 5
VERIFY_SEEDS = 2
TOLERANCE = 0.10
LONE_WIDTH = 2.0
SAME_RATE = 1.01  # candidates closer than this ratio are trained once


@dataclass(frozen=True)
class VerifiedRate:
    """One trained rate: the methods that suggested it, the final validation loss per seed, the score."""

    lr: float
    methods: tuple[str, ...]
    val_losses: tuple[float, ...]
    diverged: bool

    @property
    def score(self) -> float:
        if self.diverged or not self.val_losses or not all(math.isfinite(v) for v in self.val_losses):
            return math.inf
        return float(np.mean(self.val_losses))

    def to_dict(self) -> dict:
        score = self.score
        return {"lr": self.lr, "methods": list(self.methods),
                "val_losses": [v if math.isfinite(v) else None for v in self.val_losses],
                "val_loss": score if math.isfinite(score) else None, "diverged": self.diverged}


@dataclass(frozen=True)
class Verdict:
    rates: tuple[VerifiedRate, ...]     # sorted by rate
    suggestion: float                   # NaN when no rate trained
    band: tuple[float, float]
    epochs: int
    seeds: int

    @property
    def centre(self) -> float:
        """The band's geometric centre."""
        return math.sqrt(self.band[0] * self.band[1])


def distinct_rates(candidates: Sequence[Candidate]) -> list[tuple[float, tuple[str, ...]]]:
    """(rate, methods) with candidates closer than :data:`SAME_RATE` merged, sorted by rate."""
    merged: list[tuple[float, tuple[str, ...]]] = []
    for c in sorted(candidates, key=lambda c: c.lr):
        if merged and c.lr / merged[-1][0] < SAME_RATE:
            merged[-1] = (merged[-1][0], merged[-1][1] + (c.method,))
        else:
            merged.append((c.lr, (c.method,)))
    return merged


def recommend(rates: Sequence[VerifiedRate], tolerance: float = TOLERANCE) -> tuple[float, tuple[float, float]]:
    """(suggestion, band) from trained rates sorted by rate, by the rule in the module docstring."""
    scores = [r.score for r in rates]
    if not rates or not any(math.isfinite(s) for s in scores):
        return math.nan, (math.nan, math.nan)
    best = int(np.argmin(scores))
    good = [i for i, s in enumerate(scores) if s <= scores[best] * (1.0 + tolerance)]
    lo, hi = rates[good[0]].lr, rates[good[-1]].lr
    if len(good) == 1:
        lr = rates[best].lr
        below = math.sqrt(lr * rates[best - 1].lr) if best > 0 else 0.0
        above = math.sqrt(lr * rates[best + 1].lr) if best + 1 < len(rates) else math.inf
        lo, hi = max(below, lr / LONE_WIDTH), min(above, lr * LONE_WIDTH)
    return rates[best].lr, (lo, hi)


class VerificationRun:
    """Train every distinct candidate rate briefly; :meth:`run` returns the :class:`Verdict`."""

    def __init__(self, config: ExperimentConfig, candidates: Sequence[Candidate], *, epochs: int = VERIFY_EPOCHS,
                 seeds: int = VERIFY_SEEDS, workers: int | None = None, backend: str = "process"):
        self.rates = distinct_rates(candidates)
        base = config.replace(early_stopping=False, schedule={"name": "constant"})
        self.comparison = Comparison.build(base, "learning_rate", [r for r, _ in self.rates],
                                           n_seeds=seeds, epochs=epochs) if self.rates else None
        self.epochs, self.seeds = epochs, seeds
        self._run = ComparisonRun(self.comparison, workers=workers, backend=backend) if self.rates else None

    @property
    def total_epochs(self) -> int:
        return self.comparison.total_epochs if self.comparison else 0

    def stop(self) -> None:
        if self._run is not None:
            self._run.stop()

    def run(self, on_event: Callable[[RunEvent], None] | None = None) -> Verdict:
        if self._run is None:
            return Verdict((), math.nan, (math.nan, math.nan), self.epochs, self.seeds)
        results = ComparisonResults(self.comparison)
        for event in self._run.events():
            results.add(event)
            if on_event is not None:
                on_event(event)
        verified = tuple(self._verified(results, v) for v in range(len(self.rates)))
        suggestion, band = recommend(verified)
        return Verdict(verified, suggestion, band, self.epochs, self.seeds)

    def _verified(self, results: ComparisonResults, variant: int) -> VerifiedRate:
        lr, methods = self.rates[variant]
        losses, diverged = [], False
        for run in results.variant_runs(variant):
            history = run.history["val_loss"]
            ended = run.summary is not None and not run.summary.diverged
            diverged |= run.summary is not None and run.summary.diverged
            complete = ended and len(history) == self.epochs
            losses.append(history[-1] if complete else math.inf)
        return VerifiedRate(lr, methods, tuple(losses), diverged)
