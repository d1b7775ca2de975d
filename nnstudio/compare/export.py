"""Writing a comparison's results: summary.csv / summary.json, depth.csv / depth.json (atomically).

CSV cells hold plain numbers (mean, std, min, max per figure) so a spreadsheet can sort them;
JSON adds the comparison itself (factor, seeds, base config) and the mean validation curves.
Missing numbers are empty in CSV and ``null`` in JSON.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, Sequence

from ..files import atomic_write_text
from .depth import DepthRecommendation, DepthRow, metric_name
from .results import ComparisonResults, Stat

STAT_FIELDS = ("best_val_loss", "final_val_loss", "val_accuracy", "test_accuracy", "test_rmse",
               "epochs_to_target", "best_epoch", "seconds")


def _cell(x: float) -> str:
    return "" if not math.isfinite(x) else f"{x:.6g}"


def _stat_cells(stat: Stat) -> list[str]:
    return [_cell(stat.mean), _cell(stat.std), _cell(stat.min), _cell(stat.max)]


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def summary_csv(results: ComparisonResults) -> str:
    header = ["variant", "value", "runs_done", "runs_total"]
    for name in STAT_FIELDS:
        header += [f"{name}_mean", f"{name}_std", f"{name}_min", f"{name}_max"]
    header += ["reached_target", "stop_reason", "errors"]
    rows = []
    for row in results.rows():
        cells = [row.label, row.value, row.runs_done, row.runs_total]
        for name in STAT_FIELDS:
            cells += _stat_cells(getattr(row, name))
        cells += [row.reached, row.status, " | ".join(row.errors)]
        rows.append(cells)
    return _csv(header, rows)


def summary_json(results: ComparisonResults, complete: bool = True) -> str:
    """The comparison, its rows, runs and mean curves; ``complete`` false when it was stopped
    before every run ended (the rows then cover the runs that did)."""
    curves = {}
    for v, variant in enumerate(results.comparison.variants):
        band = results.band(v, "val_loss")
        curves[variant.label] = {"epochs": band.epochs.tolist(),
                                 "val_loss_mean": [_json(x) for x in band.mean],
                                 "val_loss_std": [_json(x) for x in band.std]}
    doc = {
        "complete": complete,
        "comparison": results.comparison.describe(),
        "target": {"metric": results.target.metric, "value": results.target.value},
        "rows": [row.to_dict() for row in results.rows()],
        "runs": [_run_dict(results, run) for run in results.runs.values()],
        "curves": curves,
    }
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def _run_dict(results: ComparisonResults, run) -> dict[str, Any]:
    """One run's outcome: enough to find it again (variant, seed) and see how it ended."""
    summary = run.summary
    return {
        "variant": results.comparison.variants[run.variant].label, "seed": run.seed, "status": run.status,
        "epochs": run.n_epochs, "best_epoch": None if run.best_index() is None else run.best_index() + 1,
        "best_val_loss": _json(run.at_best("val_loss")), "val_accuracy": _json(run.at_best("val_accuracy")),
        "test_accuracy": None if summary is None else _json(summary.test_accuracy),
        "test_rmse": None if summary is None else _json(summary.test_rmse),
        "seconds": _json(run.seconds), "error": run.error,
    }


def depth_csv(rows: Sequence[DepthRow], recommendation: DepthRecommendation | None) -> str:
    header = ["depth", "variant", "runs_done", "metric_mean", "metric_std", "metric_min", "metric_max",
              "gap_mean", "gap_std", "gap_min", "gap_max", "recommended"]
    out = [[r.depth, r.label, r.runs_done, *_stat_cells(r.metric), *_stat_cells(r.gap),
            int(recommendation is not None and r.depth == recommendation.depth)] for r in rows]
    return _csv(header, out)


def depth_json(rows: Sequence[DepthRow], recommendation: DepthRecommendation | None, classification: bool) -> str:
    doc = {"metric": metric_name(classification), "rows": [r.to_dict() for r in rows],
           "recommendation": None if recommendation is None else recommendation.to_dict()}
    return json.dumps(doc, indent=2, allow_nan=False, default=_json) + "\n"


def _json(x):
    return float(x) if math.isfinite(x) else None


def write_summary(out_dir: str | Path, results: ComparisonResults, complete: bool = True) -> list[Path]:
    """Write summary.csv and summary.json into ``out_dir`` (which must exist); return the paths."""
    out = Path(out_dir)
    paths = [out / "summary.csv", out / "summary.json"]
    atomic_write_text(paths[0], summary_csv(results))
    atomic_write_text(paths[1], summary_json(results, complete))
    return paths


def write_depth(out_dir: str | Path, rows: Sequence[DepthRow], recommendation: DepthRecommendation | None,
                classification: bool) -> list[Path]:
    out = Path(out_dir)
    paths = [out / "depth.csv", out / "depth.json"]
    atomic_write_text(paths[0], depth_csv(rows, recommendation))
    atomic_write_text(paths[1], depth_json(rows, recommendation, classification))
    return paths
