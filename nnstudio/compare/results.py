"""Collecting a comparison's events into per-run histories, mean ± spread curves and a summary.

:class:`ComparisonResults` is fed every :class:`RunEvent` (``results.add(event)``) and answers
from what has arrived so far, so the same object serves a live view and the final table.
Everything here is computed from the records alone: the same comparison run twice gives the
same numbers (timings aside).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..engine import STOP_COMPLETED, STOP_DIVERGED, STOP_EARLY, STOP_USER, LayerSnapshot, TrainingSummary
from ..engine.findings import common_top_code
from .runner import RunEvent
from .spec import Comparison

METRICS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
NOT_RUN, RUNNING, ERROR = "not run", "running", "error"


# -- targets -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A level of a validation metric a run "reaches": accuracy at least ``value``, or loss at most."""

    metric: str = "val_accuracy"
    value: float = 0.95

    @property
    def higher_is_better(self) -> bool:
        return self.metric.endswith("accuracy")

    def reached(self, value: float) -> bool:
        return value >= self.value if self.higher_is_better else value <= self.value

    def describe(self) -> str:
        name = "val accuracy" if self.higher_is_better else "val loss"
        return f"{name} {'≥' if self.higher_is_better else '≤'} {self.value:g}"

    @classmethod
    def default(cls, classification: bool) -> "Target":
        """0.95 validation accuracy; for regression a validation MSE of 0.5 on standardized targets
        (half the variance of the target left unexplained)."""
        return cls("val_accuracy", 0.95) if classification else cls("val_loss", 0.5)


# -- statistics --------------------------------------------------------------------------

@dataclass(frozen=True)
class Stat:
    """Mean, sample standard deviation (0 for one value), min and max of the finite values."""

    mean: float = math.nan
    std: float = math.nan
    min: float = math.nan
    max: float = math.nan
    n: int = 0

    @classmethod
    def of(cls, values: Iterable[float]) -> "Stat":
        v = np.array([x for x in values if x is not None and math.isfinite(x)], dtype=float)
        if not v.size:
            return cls()
        std = float(v.std(ddof=1)) if v.size > 1 else 0.0
        return cls(float(v.mean()), std, float(v.min()), float(v.max()), int(v.size))

    def text(self, fmt: str = ".4f") -> str:
        if self.n == 0:
            return "—"
        if self.n == 1:
            return format(self.mean, fmt)
        return f"{self.mean:{fmt}} ± {self.std:{fmt}}"

    def to_dict(self) -> dict[str, Any]:
        return {k: _json_number(getattr(self, k)) for k in ("mean", "std", "min", "max")} | {"n": self.n}


def _json_number(x: float) -> float | None:
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Band:
    """One metric of one variant over epochs, across seeds: ``mean``, ``std`` (sample), ``lo``/``hi``
    (min/max) and ``count`` (seeds that reached the epoch).  All arrays have shape (n_epochs,)."""

    epochs: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    count: np.ndarray


# -- one run -----------------------------------------------------------------------------

@dataclass
class RunResult:
    """The history of one (variant, seed) run as it arrives."""

    variant: int
    seed_index: int
    seed: int
    history: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})
    grad_norms: list[tuple[float, ...]] = field(default_factory=list)
    elapsed: float = 0.0
    snapshots: dict[int, tuple[LayerSnapshot, ...]] = field(default_factory=dict)
    distinct_units: list[tuple[int, ...]] = field(default_factory=list)  # per epoch, per hidden layer
    summary: TrainingSummary | None = None
    error: str | None = None
    cancelled: bool = False
    cpu_seconds: float = math.nan
    findings: tuple = ()  # the training doctor's findings, with the summary
    # kept up to date as records arrive, so a live view does not rescan whole histories
    _best: tuple[int | None, float] = (None, math.inf)
    _reached: dict[Target, tuple[int, float]] = field(default_factory=dict)

    def add(self, event: RunEvent) -> None:
        if event.record is not None:
            r = event.record
            for metric in METRICS:
                self.history[metric].append(float(getattr(r, metric)))
            if r.val_loss < self._best[1]:  # strict: the first epoch with the lowest loss, as the trainer
                self._best = (self.n_epochs - 1, r.val_loss)
            self.grad_norms.append(r.grad_norms)
            self.distinct_units.append(r.distinct_units)
            self.elapsed = r.elapsed
            if r.layers:
                self.snapshots[r.epoch] = r.layers
        elif event.initial is not None:
            self.snapshots[0] = event.initial
        elif event.summary is not None:
            self.summary, self.cpu_seconds, self.findings = event.summary, event.cpu_seconds, event.findings
        elif event.error is not None:
            self.error = event.error
        else:
            self.cancelled = True

    @property
    def n_epochs(self) -> int:
        return len(self.history["val_loss"])

    @property
    def ended(self) -> bool:
        return self.summary is not None or self.error is not None or self.cancelled

    @property
    def status(self) -> str:
        """The stop reason once ended, else "running" (with epochs) or "not run"."""
        if self.error is not None:
            return ERROR
        if self.summary is not None:
            return self.summary.stop_reason
        return RUNNING if self.n_epochs and not self.cancelled else NOT_RUN

    def best_index(self) -> int | None:
        """Index of the lowest validation loss (the trainer's best epoch), None before any epoch."""
        return self._best[0]

    def at_best(self, metric: str) -> float:
        i = self.best_index()
        return math.nan if i is None else self.history[metric][i]

    def final(self, metric: str) -> float:
        values = self.history[metric]
        return values[-1] if values else math.nan

    def epochs_to(self, target: Target) -> float:
        """The first epoch (1-based) at which ``target`` was reached, NaN if never."""
        checked, found = self._reached.get(target, (0, math.nan))
        values = self.history[target.metric]
        if math.isnan(found):
            for i in range(checked, len(values)):
                if math.isfinite(values[i]) and target.reached(values[i]):
                    found = float(i + 1)
                    break
            self._reached[target] = (len(values), found)
        return found

    @property
    def seconds(self) -> float:
        return self.summary.seconds if self.summary is not None else self.elapsed


# -- the summary table -------------------------------------------------------------------

@dataclass(frozen=True)
class SummaryRow:
    """One variant's figures over its seeds.  Validation accuracy is taken at each run's best
    epoch (lowest validation loss), which is the state the run ends with when early stopping
    restores it; test figures come from the trainer's single end-of-run evaluation."""

    variant: int
    label: str
    value: str
    runs_done: int
    runs_total: int
    best_val_loss: Stat
    final_val_loss: Stat
    val_accuracy: Stat
    test_accuracy: Stat
    test_rmse: Stat
    epochs_to_target: Stat
    reached: int
    best_epoch: Stat
    seconds: Stat
    status: str
    diverged: int
    errors: tuple[str, ...]
    top_finding: str = ""  # the training doctor's top finding, the most common over the seeds

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"variant": self.label, "value": self.value, "runs_done": self.runs_done,
                               "runs_total": self.runs_total}
        for name in ("best_val_loss", "final_val_loss", "val_accuracy", "test_accuracy", "test_rmse",
                     "epochs_to_target", "best_epoch", "seconds"):
            out[name] = getattr(self, name).to_dict()
        out |= {"reached_target": self.reached, "stop_reason": self.status, "diverged": self.diverged,
                "errors": list(self.errors), "top_finding": self.top_finding or None}
        return out


def status_text(statuses: list[str]) -> str:
    """``completed`` when all runs agree, else ``early_stopping 2/3, diverged 1/3`` (most common first)."""
    counts = Counter(statuses)
    if len(counts) == 1:
        return statuses[0]
    n = len(statuses)
    return ", ".join(f"{reason} {count}/{n}" for reason, count in counts.most_common())


STOP_WORDS = {STOP_COMPLETED: "all epochs", STOP_EARLY: "early stop", STOP_USER: "stopped by you",
              STOP_DIVERGED: "diverged"}


def status_words(status: str) -> str:
    """A :func:`status_text` in plain words, for the table: "completed 2/3, early_stopping 1/3"
    reads "all epochs 2/3, early stop 1/3" (the CSV keeps the codes)."""
    parts = []
    for part in status.split(", "):
        reason, _, share = part.rpartition(" ")
        if not (reason and "/" in share):
            reason, share = part, ""
        parts.append(" ".join(p for p in (STOP_WORDS.get(reason, reason), share) if p))
    return ", ".join(parts)


class ComparisonResults:
    """Everything that has arrived for ``comparison``, keyed by (variant, seed index)."""

    def __init__(self, comparison: Comparison, target: Target | None = None):
        self.comparison = comparison
        self._target = target
        self.runs: dict[tuple[int, int], RunResult] = {
            (v, s): RunResult(v, s, seed)
            for v in range(len(comparison.variants)) for s, seed in enumerate(comparison.seeds)}
        self.classification: bool | None = None  # known from the first record

    def add(self, event: RunEvent) -> None:
        if event.record is not None and self.classification is None:
            self.classification = math.isfinite(event.record.val_accuracy)
        self.runs[(event.variant, event.seed_index)].add(event)

    def add_all(self, events: Iterable[RunEvent]) -> None:
        for event in events:
            self.add(event)

    @property
    def target(self) -> Target:
        return self._target or Target.default(self.classification is not False)

    @target.setter
    def target(self, target: Target | None) -> None:
        self._target = target

    # -- progress ----------------------------------------------------------------------------
    def variant_runs(self, variant: int) -> list[RunResult]:
        return [self.runs[(variant, s)] for s in range(self.comparison.n_seeds)]

    @property
    def finished(self) -> bool:
        return all(run.ended for run in self.runs.values())

    def progress(self) -> tuple[int, int]:
        """(epochs done, epochs planned).  A run that finished on its own (early stopping,
        divergence, an error) counts all its planned epochs: none are left to do.  A run that
        was stopped or never started counts only the epochs it trained."""
        total = done = 0
        for (v, _), run in self.runs.items():
            planned = self.comparison.variants[v].config.epochs
            total += planned
            done += planned if run.status not in (STOP_USER, RUNNING, NOT_RUN) else min(run.n_epochs, planned)
        return done, total

    def counts(self) -> Counter:
        """How many runs are in each state: a stop reason, "error", "running" or "not run"."""
        return Counter(run.status for run in self.runs.values())

    # -- curves --------------------------------------------------------------------------------
    def band(self, variant: int, metric: str = "val_loss") -> Band:
        """Mean ± spread of ``metric`` over the variant's seeds; epoch e averages the seeds that
        reached it (early-stopped runs drop out)."""
        histories = [run.history[metric] for run in self.variant_runs(variant)]
        length = max((len(h) for h in histories), default=0)
        grid = np.full((len(histories), length), np.nan)
        for i, h in enumerate(histories):
            grid[i, :len(h)] = h
        grid[~np.isfinite(grid)] = np.nan
        count = np.sum(~np.isnan(grid), axis=0)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # epochs no seed reached are all-NaN
            mean = np.nanmean(grid, axis=0) if length else np.empty(0)
            std = np.where(count > 1, np.nanstd(grid, axis=0, ddof=1), 0.0) if length else np.empty(0)
            lo = np.nanmin(grid, axis=0) if length else np.empty(0)
            hi = np.nanmax(grid, axis=0) if length else np.empty(0)
        return Band(np.arange(1, length + 1), mean, std, lo, hi, count)

    def snapshot_epochs(self, variant: int, seed_index: int = 0) -> list[int]:
        return sorted(self.runs[(variant, seed_index)].snapshots)

    def snapshot(self, variant: int, epoch: int, seed_index: int = 0) -> tuple[int, tuple[LayerSnapshot, ...]] | None:
        """The latest histograms at or before ``epoch`` as (their epoch, layers), or None."""
        snaps = self.runs[(variant, seed_index)].snapshots
        earlier = [e for e in snaps if e <= epoch]
        if not earlier:
            return None
        e = max(earlier)
        return e, snaps[e]

    def distinct_units(self, variant: int, epoch: int, seed_index: int = 0) -> tuple[int, ...]:
        """Distinct units per hidden layer after ``epoch`` (1-based; () when not known)."""
        counts = self.runs[(variant, seed_index)].distinct_units
        return counts[epoch - 1] if 1 <= epoch <= len(counts) else ()

    # -- the table -----------------------------------------------------------------------------
    def row(self, variant: int) -> SummaryRow:
        v = self.comparison.variants[variant]
        runs = self.variant_runs(variant)
        trained = [r for r in runs if r.n_epochs]
        summaries = [r.summary for r in runs if r.summary is not None]
        target = self.target
        return SummaryRow(
            variant=variant, label=v.label,
            value="" if v.value is None else str(v.value),
            runs_done=sum(r.ended and not r.cancelled for r in runs), runs_total=len(runs),
            best_val_loss=Stat.of(r.at_best("val_loss") for r in trained),
            final_val_loss=Stat.of(r.final("val_loss") for r in trained),
            val_accuracy=Stat.of(r.at_best("val_accuracy") for r in trained),
            test_accuracy=Stat.of(s.test_accuracy for s in summaries),
            test_rmse=Stat.of(s.test_rmse for s in summaries),
            epochs_to_target=Stat.of(r.epochs_to(target) for r in trained),
            reached=sum(math.isfinite(r.epochs_to(target)) for r in trained),
            best_epoch=Stat.of(float(r.best_index() + 1) for r in trained if r.best_index() is not None),
            seconds=Stat.of(r.seconds for r in trained),
            status=status_text([r.status for r in runs]),
            diverged=sum(s.stop_reason == STOP_DIVERGED for s in summaries),
            errors=tuple(dict.fromkeys(r.error for r in runs if r.error)),
            top_finding=common_top_code(r.findings for r in runs if r.summary is not None))

    def rows(self) -> list[SummaryRow]:
        return [self.row(v) for v in range(len(self.comparison.variants))]
