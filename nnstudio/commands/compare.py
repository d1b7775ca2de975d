"""``nnstudio compare``: train variants of one experiment side by side, or run the depth study.

    nnstudio compare CONFIG.json --vary init_method                 # the article's six + lecun_normal
    nnstudio compare --preset digits --vary learning_rate --values 1e-4..1e-1 --seeds 5
    nnstudio compare CONFIG.json --vary depth --max-depth 6         # the depth study

Every variant trains on the same split with the same seeds, on one worker process per core.
Writes summary.csv, summary.json and curves.png (and for ``--vary depth`` depth.csv, depth.json
and depth.png) into ``--out``, each atomically.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from ..cli import EXIT_ERROR, EXIT_OK, command
from ..errors import UserError
from . import experiment_of
from ..compare import (DEFAULT_MAX_DEPTH, DEFAULT_SEEDS, FACTORS, MAX_DEPTH, Comparison, ComparisonResults,
                       ComparisonRun, FactorValueError, Target, check_fits_data, columns_for, depth_rows,
                       recommend_from_rows, write_depth, write_summary)
from ..files import check_can_write
from ..progress import ProgressBar, format_seconds


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", metavar="CONFIG", help="experiment file (.json) to start from")
    p.add_argument("--preset", metavar="NAME", help="start from a built-in preset instead of a file")
    p.add_argument("--vary", required=True, metavar="FACTOR",
                   help=f"what differs between variants: {', '.join(FACTORS.names())}")
    p.add_argument("--values", metavar="V1,V2,...",
                   help="the factor's values (default: its standard set, e.g. every article initializer); "
                        "learning rates accept log ranges like 1e-4..1e-1 or 1e-4..1e-1:7; clip values are "
                        "TYPE:THRESHOLD (none, value:0.5, norm:1, global_norm:1); batch sizes accept 'full'")
    p.add_argument("--add", action="append", default=[], metavar="FILE",
                   help="an experiment file to add as one more variant (repeatable); it trains on the same "
                        "data, seeds and epochs")
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, metavar="N",
                   help=f"runs per variant, seeds CONFIG.seed + 0..N-1 (default {DEFAULT_SEEDS})")
    p.add_argument("--epochs", type=int, metavar="N", help="epochs per run (default: the config's)")
    p.add_argument("--workers", type=int, metavar="K", help="worker processes (default: one per CPU core)")
    p.add_argument("--max-depth", type=int, metavar="N",
                   help=f"with --vary depth: sweep 1..N hidden layers (default {DEFAULT_MAX_DEPTH})")
    p.add_argument("--target", type=float, metavar="X",
                   help="'epochs to target': first epoch with validation accuracy >= X (default 0.95; for "
                        "regression, validation loss <= X, default 0.5)")
    p.add_argument("--tolerance", type=float, metavar="T",
                   help="depth study: recommend the smallest depth within T of the best (default 0.005 "
                        "accuracy, or 0.01 = 1%% of the best loss)")
    p.add_argument("--out", metavar="DIR", help="output folder, created if missing (default: compare-FACTOR)")


@command("compare", "train variants side by side (same split, same seeds) or run the depth study", add_arguments)
def run(args: argparse.Namespace) -> int:
    comparison = _comparison(args)
    try:
        check_fits_data(comparison)
    except FactorValueError as exc:
        raise UserError(str(exc)) from None
    out = Path(args.out or f"compare-{args.vary}")
    created = not out.exists()
    _prepare_out(out)
    try:
        results = _run(comparison, args)
    except BaseException:  # Ctrl-C or a failure: leave no empty folder behind
        if created:
            try:
                out.rmdir()
            except OSError:
                pass
        raise
    paths = write_summary(out, results)
    _print_table(results)
    if args.vary == "depth":
        paths += _depth_outputs(out, results, args.tolerance)
    paths += _plots(out, results, depth=args.vary == "depth")
    print(f"Wrote {', '.join(str(p) for p in paths)}")
    ran = [r for r in results.runs.values() if r.summary is not None]
    return EXIT_OK if ran else EXIT_ERROR


def _comparison(args: argparse.Namespace) -> Comparison:
    base = experiment_of(args)
    FACTORS[args.vary]  # an unknown factor fails here, listing the valid ones
    if args.max_depth is not None and args.vary != "depth":
        raise UserError("--max-depth applies only to --vary depth")
    if args.max_depth is not None and not 1 <= args.max_depth <= MAX_DEPTH:
        raise UserError(f"--max-depth must be between 1 and {MAX_DEPTH}")
    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be at least 1")
    if args.tolerance is not None and not (args.tolerance >= 0 and math.isfinite(args.tolerance)):
        raise UserError(f"--tolerance must be a number of 0 or more, not {args.tolerance:g}")
    if args.target is not None and not math.isfinite(args.target):
        raise UserError(f"--target must be a finite number, not {args.target:g}")
    values = args.values
    if values is None and args.vary == "depth" and args.max_depth is not None:
        values = f"1..{args.max_depth}"
    try:
        comparison = Comparison.build(base, args.vary, values, n_seeds=args.seeds, epochs=args.epochs)
        return comparison.with_files(args.add) if args.add else comparison
    except FactorValueError as exc:
        raise UserError(str(exc)) from None


def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    check_can_write(out / "summary.csv")  # before the runs, not after them


def _run(comparison: Comparison, args: argparse.Namespace) -> ComparisonResults:
    target = None
    if args.target is not None:
        regression = comparison.base.output_activation == "linear"
        target = Target("val_loss" if regression else "val_accuracy", args.target)
    results = ComparisonResults(comparison, target)
    runs = comparison.n_seeds * len(comparison.variants)
    run = ComparisonRun(comparison, workers=args.workers)
    print(f"Comparing {len(comparison.variants)} variants of {args.vary} x {comparison.n_seeds} seeds "
          f"({runs} runs) on {run.workers} worker{'s' if run.workers > 1 else ''}", file=sys.stderr)
    for note in comparison.notes:
        print(f"note: {note}", file=sys.stderr)
    bar = ProgressBar(comparison.total_epochs, label="compare")
    try:
        for event in run.events():
            results.add(event)
            done, _ = results.progress()
            ended = sum(r.ended for r in results.runs.values())
            bar.update(done, f"{ended}/{runs} runs")
    finally:
        bar.close(f"{sum(r.ended for r in results.runs.values())}/{runs} runs")
    for row in results.rows():
        for error in row.errors:
            print(f"error in {row.label}: {error}", file=sys.stderr)
    return results


def _print_table(results: ComparisonResults) -> None:
    columns = columns_for(results.classification)
    rows = [[c.title for c in columns]] + [[c.text(r) for c in columns] for r in results.rows()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) if i in (0, len(row) - 1) else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    times = [r.seconds for r in results.runs.values() if r.summary is not None]
    if times:
        print(f"Target: {results.target.describe()}; mean run time {format_seconds(sum(times) / len(times))}")


def _depth_outputs(out: Path, results: ComparisonResults, tolerance: float | None) -> list[Path]:
    classification = results.classification is not False
    rows = depth_rows(results)
    recommendation = recommend_from_rows(rows, classification, tolerance)
    if recommendation is None:
        print("No depth finished a run, so there is no recommendation.")
    else:
        print(f"Recommended depth: {recommendation.sentence}")
    return write_depth(out, rows, recommendation, classification)


def _plots(out: Path, results: ComparisonResults, depth: bool) -> list[Path]:
    """curves.png (and depth.png), as the window's Compare tab draws them.  Without Qt's drawing
    module the command still succeeds and says in one line which pictures it skipped."""
    from ..pictures import PicturesUnavailable, render_png

    pictures = [(out / "curves.png", [_curves_chart(results)], 960, 600)]
    if depth:
        pictures.append((out / "depth.png", _depth_charts(results), 900, 700))
    try:
        for path, charts, width, height in pictures:
            render_png(charts, path, width, height)
    except PicturesUnavailable as exc:
        print(f"nnstudio compare: skipped {' and '.join(p.name for p, *_ in pictures)}: {exc}", file=sys.stderr)
        return []
    return [path for path, *_ in pictures]


def _curves_chart(results: ComparisonResults):
    """Mean validation loss per variant over epochs, over a band from the seeds' lowest to highest."""
    from ..pictures import LineChart, Series

    series = []
    for v, label in enumerate(results.comparison.labels):
        band = results.band(v, "val_loss")
        mean = np.where(band.count > 0, band.mean, np.nan)
        spread = band.count > 1
        series.append(Series(label, band.epochs, mean, lo=np.where(spread, band.lo, np.nan),
                             hi=np.where(spread, band.hi, np.nan)))
    return LineChart("Validation loss: mean over seeds", "epoch", "validation loss", series,
                     log_y=_spans_decades(results))


def _depth_charts(results: ComparisonResults):
    """The best validation metric (mean ± std) and the train/validation gap against depth."""
    from ..pictures import LineChart, Mark, Series, series_color

    classification = results.classification is not False
    name = "validation accuracy" if classification else "validation loss"
    rows = depth_rows(results)
    recommendation = recommend_from_rows(rows, classification)
    depths = [float(r.depth) for r in rows]
    metric = Series(name, depths, [r.metric.mean for r in rows], color=series_color(1), points=True,
                    error=[r.metric.std if r.metric.n > 1 else 0.0 for r in rows])
    gap = Series("gap", depths, [r.gap.mean for r in rows], color=series_color(3), points=True)
    marks = () if recommendation is None else (
        Mark(recommendation.depth, recommendation.value, f"recommended: {recommendation.depth}"),)
    x_range = (min(depths, default=1) - 0.5, max(depths, default=1) + 0.5)
    return [LineChart(f"Best {name} by depth", "hidden layers", name, [metric], marks=marks, x_ticks=depths,
                      x_range=x_range, legend=False),
            LineChart("Train/validation gap by depth", "hidden layers", "gap", [gap], x_ticks=depths,
                      x_range=x_range, legend=False, zero_line=True)]


def _spans_decades(results: ComparisonResults) -> bool:
    """Whether the variants' final losses differ by more than 10x (then a log axis reads better)."""
    finals = [r.final_val_loss.mean for r in results.rows() if r.final_val_loss.n]
    finals = [f for f in finals if f > 0]
    return len(finals) > 1 and max(finals) / min(finals) > 10
