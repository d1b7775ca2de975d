"""Trying a suggested fix: the baseline and the edited config, trained side by side, K seeds each.

    trial = FixTrial(config, [Suggestion.parse("init_method: he_normal")], seeds=3)
    for done, total in trial.run():          # progress in epochs; trial.stop() from any thread
        ...
    trial.verdicts                           # one Verdict per suggestion

The runs go through the comparison machinery (:class:`~nnstudio.compare.ComparisonRun`): worker
processes, the same split for every run, and seed ``config.seed + i`` for run ``i`` of every
variant, so run ``i`` of the baseline and run ``i`` of a fix share their initial draw of random
numbers, their shuffling and their dropout masks; only the edit differs.

The verdict compares, seed by seed, the best validation loss of the fix with the baseline's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from ..compare import Comparison, ComparisonResults, ComparisonRun, Variant
from ..config import ExperimentConfig
from ..engine.findings import Suggestion

DEFAULT_SEEDS = 3
CONFIDENCE = 0.95
HELPED, NO_DIFFERENCE, HURT = "helped", "no_difference", "hurt"


@dataclass(frozen=True)
class Verdict:
    """Whether ``suggestion`` helped: ``baseline``/``fixed`` are the best validation losses per
    seed (inf for a run that diverged before finishing an epoch); ``interval`` bounds the mean
    of the paired log ratios ln(fixed / baseline) (negative: the fix lowered the loss);
    ``ratio`` is exp(mean), the typical factor the fix multiplied the loss by."""

    suggestion: Suggestion
    verdict: str
    baseline: tuple[float, ...]
    fixed: tuple[float, ...]
    interval: tuple[float, float]
    ratio: float

    def to_dict(self, code: str | None = None) -> dict:
        d = {"code": code, "suggestion": self.suggestion.text, "verdict": self.verdict,
             "baseline": [_num(x) for x in self.baseline], "fixed": [_num(x) for x in self.fixed],
             "interval": [_num(x) for x in self.interval], "ratio": _num(self.ratio)}
        return d if code is not None else {k: v for k, v in d.items() if k != "code"}

    def describe(self) -> str:
        lo, hi = self.interval
        words = {HELPED: "helped", NO_DIFFERENCE: "made no clear difference", HURT: "hurt"}[self.verdict]
        return (f"{self.suggestion.text} {words}: best validation loss ×{self.ratio:.3g} "
                f"(95% interval ×{math.exp(lo):.3g} … ×{math.exp(hi):.3g}) over {len(self.fixed)} seeds")


def paired_verdict(baseline: Sequence[float], fixed: Sequence[float],
                   confidence: float = CONFIDENCE) -> tuple[str, tuple[float, float], float]:
    """(verdict, interval, ratio) from per-seed best validation losses, paired by seed.

    The interval is Student's t interval for the mean of d_i = ln(fixed_i / baseline_i):

    * paired, because run i of both arms shares its seed, so most run-to-run noise (the initial
      weights, the order of the batches) cancels in the difference;
    * on log ratios, because losses are positive and their spread grows with their size: a
      fix that takes a loss from 2.3 to 0.1 and one from 0.11 to 0.10 are both read as factors;
    * Student's t, because with K = 3 seeds the spread of the differences is itself uncertain
      (t with K − 1 degrees of freedom, 4.30 for K = 3, not the normal 1.96); no bootstrap,
      which with three values can only resample them.

    ``helped`` when the whole interval is below 0, ``hurt`` when it is above, else
    ``no_difference``.  A run that diverged before its first epoch has an infinite loss: a pair
    with one infinite side is decided for the finite side, and when any pair is such, the
    interval is the range of the d_i (every seed must agree for a verdict).
    """
    b = np.asarray(baseline, dtype=float)
    f = np.asarray(fixed, dtype=float)
    if b.shape != f.shape or b.size < 2:
        raise ValueError("need the same number (at least 2) of baseline and fixed runs")
    with np.errstate(all="ignore"):
        d = np.where(np.isinf(b) & np.isinf(f), 0.0, np.log(f) - np.log(b))
    if np.isnan(d).any():
        return NO_DIFFERENCE, (-math.inf, math.inf), math.nan
    if np.isinf(d).any():
        lo, hi = float(d.min()), float(d.max())
        mean = float(np.mean(np.clip(d, -50, 50)))
    else:
        from scipy.stats import t

        mean = float(d.mean())
        half = float(t.ppf(0.5 + confidence / 2, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size))
        lo, hi = mean - half, mean + half
    verdict = HELPED if hi < 0 else HURT if lo > 0 else NO_DIFFERENCE
    return verdict, (lo, hi), math.exp(mean)


class FixTrial:
    """Train ``config`` and one variant per suggestion over ``seeds`` seeds (see the module docstring)."""

    def __init__(self, config: ExperimentConfig, suggestions: Sequence[Suggestion], *, seeds: int = DEFAULT_SEEDS,
                 epochs: int | None = None, workers: int | None = None, backend: str = "process"):
        if not suggestions:
            raise ValueError("nothing to try: no suggestions")
        if seeds < 2:
            raise ValueError(f"seeds: {seeds} is too few; a verdict needs at least 2 seeds")
        base = config.replace(epochs=epochs) if epochs is not None else config
        unique = list(dict.fromkeys(suggestions))
        variants = [Variant("baseline", base)] + [Variant(s.text, s.apply(base), s) for s in unique]
        self.suggestions = tuple(unique)
        self.comparison = Comparison(base, "", tuple(variants), seeds)
        self.results = ComparisonResults(self.comparison)
        self._run = ComparisonRun(self.comparison, workers=workers, backend=backend)
        self._stopped = False
        self.verdicts: tuple[Verdict, ...] = ()

    @property
    def total_epochs(self) -> int:
        return self.comparison.total_epochs

    def stop(self) -> None:
        """End every run within one mini-batch (from any thread); :attr:`verdicts` stays empty."""
        self._stopped = True
        self._run.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def run(self) -> Iterator[tuple[int, int]]:
        """Yield (epochs done, epochs planned) as runs progress; set :attr:`verdicts` at the end."""
        for event in self._run.events(heartbeat=True):
            if event is not None:
                self.results.add(event)
                yield self.results.progress()
        if not self.stopped:
            self.verdicts = tuple(self._verdict(i + 1, s) for i, s in enumerate(self.suggestions))

    def errors(self) -> list[str]:
        return [e for row in self.results.rows() for e in row.errors]

    def _best_losses(self, variant: int) -> tuple[float, ...]:
        out = []
        for run in self.results.variant_runs(variant):
            summary = run.summary
            out.append(summary.best_val_loss if summary is not None else math.nan)
        return tuple(out)

    def _verdict(self, variant: int, suggestion: Suggestion) -> Verdict:
        baseline, fixed = self._best_losses(0), self._best_losses(variant)
        verdict, interval, ratio = paired_verdict(baseline, fixed)
        return Verdict(suggestion, verdict, baseline, fixed, interval, ratio)


def _num(x: float):
    return x if math.isfinite(x) else None
