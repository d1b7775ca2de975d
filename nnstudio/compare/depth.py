"""The depth study (the article's section 4): how many hidden layers does the data need?

Sweep the number of hidden layers with everything else fixed (``Comparison.build(base, "depth")``),
then for each depth take the validation metric and the train/validation gap at each run's best
epoch, averaged over seeds.  The recommendation is the *smallest* depth whose validation metric is
within a tolerance of the best one: extra layers that do not pay for themselves on validation data
only add parameters, time and room to overfit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from .results import ComparisonResults, Stat

ACCURACY_TOLERANCE = 0.005   # absolute: half a percentage point of validation accuracy
LOSS_TOLERANCE = 0.01        # relative: 1% of the best validation loss


@dataclass(frozen=True)
class DepthRow:
    """One depth's figures over its seeds, at each run's best epoch.

    ``metric`` is validation accuracy (classification) or validation loss (regression); ``gap`` is
    train minus validation accuracy, or validation minus train loss, so a positive gap means the
    net fits its training data better than data it has not seen.
    """

    depth: int
    label: str
    metric: Stat
    gap: Stat
    runs_done: int

    def to_dict(self) -> dict[str, Any]:
        return {"depth": self.depth, "label": self.label, "metric": self.metric.to_dict(),
                "gap": self.gap.to_dict(), "runs_done": self.runs_done}


@dataclass(frozen=True)
class DepthRecommendation:
    depth: int
    value: float
    gap: float
    best_depth: int
    best_value: float
    tolerance: float
    higher_is_better: bool
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("depth", "value", "gap", "best_depth", "best_value",
                                             "tolerance", "higher_is_better", "sentence")}


def metric_name(classification: bool) -> str:
    return "validation accuracy" if classification else "validation loss"


def depth_rows(results: ComparisonResults) -> list[DepthRow]:
    """One row per variant of a depth comparison, in depth order."""
    comparison = results.comparison
    classification = results.classification is not False
    rows = []
    for v, variant in enumerate(comparison.variants):
        runs = [r for r in results.variant_runs(v) if r.n_epochs]
        if classification:
            metric = Stat.of(r.at_best("val_accuracy") for r in runs)
            gap = Stat.of(r.at_best("train_accuracy") - r.at_best("val_accuracy") for r in runs)
        else:
            metric = Stat.of(r.at_best("val_loss") for r in runs)
            gap = Stat.of(r.at_best("val_loss") - r.at_best("train_loss") for r in runs)
        done = sum(r.ended and not r.cancelled for r in results.variant_runs(v))
        rows.append(DepthRow(len(variant.config.layers), variant.label, metric, gap, done))
    return sorted(rows, key=lambda row: row.depth)


def recommend_depth(depths: Sequence[int], values: Sequence[float], gaps: Sequence[float], *,
                    higher_is_better: bool, tolerance: float | None = None) -> DepthRecommendation | None:
    """The smallest depth whose metric is within ``tolerance`` of the best, with a sentence saying why.

    For accuracy (``higher_is_better``) the tolerance is absolute (default 0.005); for loss it is
    relative to the best loss (default 0.01, i.e. 1%).  Depths with a NaN metric are skipped;
    None when no depth has a finite metric.
    """
    points = sorted((d, v, g) for d, v, g in zip(depths, values, gaps) if math.isfinite(v))
    if not points:
        return None
    tol = tolerance if tolerance is not None else (ACCURACY_TOLERANCE if higher_is_better else LOSS_TOLERANCE)
    if higher_is_better:
        best = max(points, key=lambda p: (p[1], -p[0]))
        good = [p for p in points if p[1] >= best[1] - tol]
    else:
        best = min(points, key=lambda p: (p[1], p[0]))
        good = [p for p in points if p[1] <= best[1] + tol * abs(best[1])]
    chosen = min(good, key=lambda p: p[0])
    deepest = max(p[0] for p in points)
    sentence = _explain(chosen, best, deepest, higher_is_better)
    return DepthRecommendation(chosen[0], chosen[1], chosen[2], best[0], best[1], tol, higher_is_better, sentence)


def recommend_from_rows(rows: Sequence[DepthRow], classification: bool,
                        tolerance: float | None = None) -> DepthRecommendation | None:
    return recommend_depth([r.depth for r in rows], [r.metric.mean for r in rows], [r.gap.mean for r in rows],
                           higher_is_better=classification, tolerance=tolerance)


def _layers(n: int) -> str:
    return f"{n} hidden layer" if n == 1 else f"{n} hidden layers"


def _explain(chosen, best, deepest: int, higher_is_better: bool) -> str:
    depth, value, gap = chosen
    best_depth, best_value, _ = best
    what = metric_name(higher_is_better)
    gap_text = f"a train/validation gap of {gap:.3f}" if math.isfinite(gap) else "no train/validation gap measured"
    if depth == best_depth:
        head = f"{_layers(depth)}: the best {what} ({value:.3f}), with {gap_text}"
        if depth == deepest:
            return head + "; it is the deepest net tried, so a longer sweep may find a better depth."
        return head + f"; deeper nets add parameters without improving {what}."
    if higher_is_better:
        distance = f"within {100 * (best_value - value):.1f} points"
    else:
        distance = f"within {100 * (value - best_value) / best_value:.1f}%" if best_value > 0 else "within tolerance"
    short = f"{best_depth} layer" if best_depth == 1 else f"{best_depth} layers"
    return (f"{_layers(depth)}: {distance} of the best ({short}, {best_value:.3f}) with {gap_text}; "
            f"deeper nets add parameters without improving {what}.")
