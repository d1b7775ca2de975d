"""``nnstudio lr-find``: the learning-rate range test over several seeds, verified by brief training.

    nnstudio lr-find CONFIG.json [--seeds K] [--json FILE] [--png FILE]
    nnstudio lr-find --preset digits --verify-epochs 5

Prints each seed's suggestions (minimum/10, steep, valley), the verification runs and the
recommended band.  ``--json`` writes {"suggestion", "band", "curves", "candidates", "verified"}.
Exit status 1 when no candidate trained without diverging (no band to recommend).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from ..cli import EXIT_ERROR, EXIT_OK, UserError, command
from ..compute import limit_blas_threads
from ..data import load_split
from ..files import atomic_write_text, check_can_write
from ..presets import experiment_from, preset_names
from ..progress import ProgressBar
from ..lab.finder import DEFAULT_SEEDS, MAX_SEEDS, FinderResult, find_rates
from ..lab.lr_find import END_LR, START_LR, STEPS
from ..lab.verify import VERIFY_EPOCHS, VERIFY_SEEDS, Verdict, VerificationRun


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = ("The range test raises the rate exponentially over --steps mini-batches from the config's design "
                "and stops when the smoothed loss passes 4x its minimum; the weights are restored afterwards.")
    p.add_argument("config", nargs="?", metavar="CONFIG.json", help="experiment file to test")
    p.add_argument("--preset", metavar="NAME", help=f"test a built-in preset instead ({', '.join(preset_names())})")
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, metavar="K",
                   help=f"range tests, seeds CONFIG.seed + 0..K-1 (default {DEFAULT_SEEDS})")
    p.add_argument("--steps", type=int, default=STEPS, metavar="N", help=f"mini-batches per test (default {STEPS})")
    p.add_argument("--start", type=float, default=START_LR, metavar="LR", help=f"first rate (default {START_LR:g})")
    p.add_argument("--end", type=float, default=END_LR, metavar="LR", help=f"last rate (default {END_LR:g})")
    p.add_argument("--verify-epochs", type=int, default=VERIFY_EPOCHS, metavar="N",
                   help=f"epochs each candidate trains to verify it, 0 to skip (default {VERIFY_EPOCHS}, "
                        f"{VERIFY_SEEDS} seeds)")
    p.add_argument("--workers", type=int, metavar="K", help="worker processes for the verification "
                                                            "(default: one per CPU core)")
    p.add_argument("--json", metavar="FILE", help="write curves, candidates, verification and band as JSON")
    p.add_argument("--png", metavar="FILE", help="draw the curves with their marks and the band")


def _check(args: argparse.Namespace) -> None:
    if not 1 <= args.seeds <= MAX_SEEDS:
        raise UserError(f"--seeds must be between 1 and {MAX_SEEDS}, not {args.seeds}")
    if not 10 <= args.steps <= 10_000:
        raise UserError(f"--steps must be between 10 and 10000, not {args.steps}")
    if not (0 < args.start < args.end and math.isfinite(args.end)):
        raise UserError(f"--start and --end must satisfy 0 < start < end, not {args.start:g} and {args.end:g}")
    if args.verify_epochs < 0:
        raise UserError(f"--verify-epochs must be 0 or more, not {args.verify_epochs}")
    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be at least 1")
    for path in (args.json, args.png):
        if path:
            check_can_write(path)


@command("lr-find", "find a learning rate: range tests over seeds, verified by brief training", add_arguments)
def run(args: argparse.Namespace) -> int:
    _check(args)
    config = experiment_from(args.config, args.preset)
    split = load_split(config.data)
    limit_blas_threads()
    bar = ProgressBar(args.seeds, label="range tests")
    done = []
    result = find_rates(config, split, args.seeds, steps=args.steps, start=args.start, end=args.end,
                        on_curve=lambda c: (done.append(c), bar.update(len(done))))
    bar.close(f"{len(done)} curves")
    _print_candidates(result)
    verdict = _verify(config, result, args)
    _print_verdict(verdict)
    document = to_document(result, verdict)
    if args.json:
        atomic_write_text(args.json, json.dumps(document, indent=2) + "\n")
        print(f"wrote {args.json}")
    if args.png and _picture(args.png, result, verdict):
        print(f"wrote {args.png}")
    return EXIT_OK if document["suggestion"] is not None else EXIT_ERROR


def _verify(config, result: FinderResult, args) -> Verdict | None:
    if args.verify_epochs == 0 or not result.candidates:
        return None
    run = VerificationRun(config, result.candidates, epochs=args.verify_epochs, workers=args.workers)
    bar = ProgressBar(run.total_epochs, label="verifying")
    count = [0]

    def on_event(event):
        if event.record is not None:
            count[0] += 1
            bar.update(count[0])

    try:
        return run.run(on_event)
    finally:
        bar.close(f"{len(run.rates)} rates x {run.seeds} seeds")


def to_document(result: FinderResult, verdict: Verdict | None) -> dict:
    """The JSON document: the suggestion and band (verified when there is a verdict, else the
    spread of the candidates with the valley rate as the suggestion), curves, candidates, verification."""
    if verdict is not None:
        suggestion, band = verdict.suggestion, verdict.band
    elif result.candidates:
        rates = [c.lr for c in result.candidates]
        valley = [c.lr for c in result.candidates if c.method == "valley"]
        suggestion, band = (valley or rates)[0], (min(rates), max(rates))
    else:
        suggestion, band = math.nan, (math.nan, math.nan)
    curves = []
    for curve, marks in zip(result.curves, result.marks):
        entry = curve.to_dict()
        entry["marks"] = {m.method: {"lr": m.lr, "point_lr": m.point_lr, "point_loss": m.point_loss}
                          for m in marks.values()}
        curves.append(entry)
    finite = lambda v: v if math.isfinite(v) else None  # noqa: E731
    return {"suggestion": finite(suggestion), "band": [finite(band[0]), finite(band[1])], "curves": curves,
            "candidates": [c.to_dict() for c in result.candidates],
            "verified": [] if verdict is None else [r.to_dict() for r in verdict.rates]}


def _print_candidates(result: FinderResult) -> None:
    seeds = ", ".join(str(c.seed) for c in result.curves)
    print(f"Range tests (seeds {seeds}):")
    for c in result.candidates:
        per_seed = " ".join(f"{lr:.3g}" for lr in c.per_seed)
        print(f"  {c.method:<8} {c.lr:9.3g}   per seed {per_seed}   spread x{c.spread:.2f}")
    if not result.candidates:
        print("  no suggestion: every curve ended too early (the loss exploded at once; lower --start)")


def _print_verdict(verdict: Verdict | None) -> None:
    if verdict is None:
        return
    print(f"Verification ({verdict.epochs} epochs x {verdict.seeds} seeds, final validation loss):")
    for r in verdict.rates:
        losses = " ".join("diverged" if not math.isfinite(v) else f"{v:.4f}" for v in r.val_losses)
        score = "diverged" if not math.isfinite(r.score) else f"{r.score:.4f}"
        print(f"  {r.lr:9.3g}  {'/'.join(r.methods):<15} {score:>9}   ({losses})")
    if math.isfinite(verdict.suggestion):
        print(f"Recommended band: {verdict.band[0]:.3g} .. {verdict.band[1]:.3g}; suggestion {verdict.suggestion:.3g}")
    else:
        print("No candidate trained without diverging: no band to recommend.", file=sys.stderr)


def _picture(path: str, result: FinderResult, verdict: Verdict | None) -> bool:
    """The curves with the candidates marked, and the verification with the band (headless)."""
    from ..pictures import PicturesUnavailable, render_png

    charts = [_curves_chart(result)] + ([_verdict_chart(verdict)] if verdict and verdict.rates else [])
    try:
        render_png(charts, path, 960, 420 * len(charts))
    except PicturesUnavailable as exc:
        print(f"nnstudio lr-find: skipped {path}: {exc}", file=sys.stderr)
        return False
    return True


def _curves_chart(result: FinderResult):
    """Each seed's curve; each candidate as a dashed line with a dot on the seeds' mean curve
    (named in the legend, so that labels of close rates cannot overlap)."""
    from ..pictures import LineChart, Mark, Series, series_color

    series = [Series(f"seed {c.seed}", c.lrs, c.smoothed) for c in result.curves]
    lrs, mean, _, _ = result.band_of_curves()
    marks = []
    for i, c in enumerate(result.candidates):
        color = series_color(len(result.curves) + i)
        height = float(np.interp(np.log(c.lr), np.log(lrs), mean)) if len(lrs) else math.nan
        series.append(Series(f"{c.method} {c.lr:.2g}", [c.lr], [height], color=color, points=True))
        marks.append(Mark(x=c.lr, color=color))
    return LineChart("Range test: smoothed training loss per seed, and the candidates", "learning rate",
                     "smoothed loss", series, log_x=True, marks=marks)


def _verdict_chart(verdict: Verdict):
    from ..pictures import LineChart, Mark, Series

    rates = [r for r in verdict.rates if math.isfinite(r.score)]
    x = [r.lr for r in rates]
    y = [r.score for r in rates]
    err = [(max(r.val_losses) - min(r.val_losses)) / 2 for r in rates]
    marks = []
    if math.isfinite(verdict.suggestion):
        lo, hi = verdict.band
        marks = [Mark(x=lo, label=f"band {lo:.2g} – {hi:.2g}"), Mark(x=hi),
                 Mark(x=verdict.suggestion, y=min(y), label=f"suggestion {verdict.suggestion:.2g}")]
    diverged = [f"{r.lr:.2g}" for r in verdict.rates if not math.isfinite(r.score)]
    title = f"Verification: validation loss after {verdict.epochs} epochs (mean, range over {verdict.seeds} seeds)"
    if diverged:
        title += f"; diverged: {', '.join(diverged)}"
    every = [r.lr for r in verdict.rates] + [b for b in verdict.band if math.isfinite(b)]
    return LineChart(title, "learning rate", "validation loss", [Series("candidates", x, y, error=err, points=True)],
                     log_x=True, marks=marks, legend=False, x_range=(min(every) / 1.6, max(every) * 1.6))
