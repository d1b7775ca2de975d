"""Side-by-side comparisons of training choices, and the depth study (no Qt, no Optuna).

    comparison = Comparison.build(base_config, "init_method", n_seeds=3)   # one variant per value
    results = ComparisonResults(comparison)
    run = ComparisonRun(comparison, workers=2)                           # processes; run.stop() ends all
    for event in run.events():
        results.add(event)
    results.rows()                                                       # mean ± spread per variant

Every variant trains on the same split with the same seeds; see :mod:`.runner` for how the runs
are spread over the CPU cores and :mod:`.depth` for the depth recommendation.
"""

from .depth import (ACCURACY_TOLERANCE, LOSS_TOLERANCE, DepthRecommendation, DepthRow, depth_rows,
                    metric_name, recommend_depth, recommend_from_rows)
from .export import write_depth, write_summary
from .factors import (DEFAULT_MAX_DEPTH, FACTORS, MAX_DEPTH, ClipSetting, Factor, FactorValueError, depth_layers,
                      format_value)
from .columns import SUMMARY_COLUMNS, Column, columns_for
from .results import METRICS, Band, ComparisonResults, RunResult, Stat, SummaryRow, Target
from .runner import (BACKENDS, MAX_SNAPSHOTS, ComparisonRun, RunEvent, check_fits_data, default_workers,
                     process_context, run_job)
from .spec import DEFAULT_SEEDS, MAX_SEEDS, Comparison, Job, Variant

__all__ = [
    "ACCURACY_TOLERANCE", "LOSS_TOLERANCE", "DepthRecommendation", "DepthRow", "depth_rows", "metric_name",
    "recommend_depth", "recommend_from_rows", "write_depth", "write_summary", "DEFAULT_MAX_DEPTH", "FACTORS",
    "MAX_DEPTH", "ClipSetting", "Factor", "FactorValueError", "depth_layers", "format_value", "METRICS",
    "SUMMARY_COLUMNS", "Band", "Column", "ComparisonResults", "RunResult", "Stat", "SummaryRow", "Target",
    "columns_for", "BACKENDS", "MAX_SNAPSHOTS", "ComparisonRun", "RunEvent", "check_fits_data", "default_workers",
    "process_context", "run_job", "DEFAULT_SEEDS", "MAX_SEEDS", "Comparison", "Job", "Variant",
]
