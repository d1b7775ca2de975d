"""``nnstudio landscape``: train an experiment (or load a model) and map the loss around the solution.

    nnstudio landscape CONFIG.json [--grid N] [--out DIR] [--directions random|pca]
    nnstudio landscape --preset moons --model runs/moons/model.npz

Writes ``landscape.json`` — the grid (``"loss"``: rows of values, row j at y[j]; ``"val_loss"``),
the axes ``"x"`` and ``"y"``, ``"loss_at_trained"``, the path's coordinates and the 1-D lines
from the initial weights and between two seeds' solutions — and ``landscape.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
from pathlib import Path

import numpy as np

from ..cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, UserError, command
from ..compute import limit_blas_threads
from ..config import ExperimentConfig
from ..engine import validate_config
from ..data import load_split
from ..files import atomic_write_text, check_can_write, load_model
from ..presets import experiment_from, preset_names
from ..progress import ProgressBar
from ..signals import stop_on_signals
from ..lab.study import DEFAULT_GRID, DIRECTIONS, LandscapeResult, TrainedPath, landscape_study

MAX_GRID = 201


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", metavar="CONFIG.json", help="experiment file to train and map")
    p.add_argument("--preset", metavar="NAME", help=f"use a built-in preset instead ({', '.join(preset_names())})")
    p.add_argument("--grid", type=int, default=DEFAULT_GRID, metavar="N", help=f"N x N points (default {DEFAULT_GRID})")
    p.add_argument("--directions", choices=DIRECTIONS, default="random",
                   help="random: two filter-normalized random directions; pca: the training path's two principal "
                        "directions (default random)")
    p.add_argument("--span", type=float, metavar="S", help="half-width of the slice (default 1 for random "
                                                          "directions, the path's reach for pca)")
    p.add_argument("--epochs", type=int, metavar="N", help="override the config's epochs")
    p.add_argument("--model", metavar="FILE", help="map this trained model (model.npz) instead of training")
    p.add_argument("--out", metavar="DIR", help="output folder (default: landscape-NAME)")


def _check(args: argparse.Namespace) -> None:
    if not 2 <= args.grid <= MAX_GRID:
        raise UserError(f"--grid must be between 2 and {MAX_GRID}, not {args.grid}")
    if args.span is not None and not args.span > 0:
        raise UserError(f"--span must be a positive number, not {args.span:g}")
    if args.epochs is not None and args.epochs < 1:
        raise UserError(f"--epochs must be at least 1, not {args.epochs}")
    if args.model and args.directions == "pca":
        raise UserError("--directions pca needs the training path; it is not available with --model")


@command("landscape", "map the loss around a trained network: 1-D lines and a 2-D slice", add_arguments)
def run(args: argparse.Namespace) -> int:
    _check(args)
    config = experiment_from(args.config, args.preset)
    if args.epochs is not None:
        config = config.replace(epochs=args.epochs)
    split = load_split(config.data)
    trained = None
    if args.model:
        trained, config = _loaded(args.model, config, split)
    out = Path(args.out or f"landscape-{config.name}")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    check_can_write(out / "landscape.json")
    limit_blas_threads()
    bars: dict[str, ProgressBar] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, ProgressBar(total, label=stage))
        bar.update(done)
        if done == total:
            bar.close()

    stop = threading.Event()
    with stop_on_signals(stop):
        result = landscape_study(config, split, grid=args.grid, directions=args.directions, span=args.span,
                                 trained=trained, stop=stop.is_set, progress=progress)
    if stop.is_set():
        print("nnstudio landscape: interrupted; nothing written")
        return EXIT_INTERRUPTED
    atomic_write_text(out / "landscape.json", json.dumps(result.to_dict()) + "\n")
    written = [out / "landscape.json"]
    print(f"loss at the trained weights {result.loss_at_trained:.4g} (validation {result.val_loss_at_trained:.4g}); "
          f"grid {args.grid}x{args.grid} over ±{result.xs[-1]:.3g}")
    written += _picture(out / "landscape.png", result)
    print(f"wrote {', '.join(str(p) for p in written)}")
    return EXIT_OK if math.isfinite(result.loss_at_trained) else EXIT_ERROR


def _loaded(path: str, config: ExperimentConfig, split) -> tuple[TrainedPath, ExperimentConfig]:
    """The model in ``path`` (as a path of one point) and its config, on ``config``'s data."""
    model = load_model(path)
    net = model.network
    if net.n_inputs != split.n_features:
        raise UserError(f"--model {path}: the model takes {net.n_inputs} features, the data has {split.n_features}")
    model_config = validate_config(model.config.replace(data=config.data, epochs=config.epochs), split)
    return TrainedPath(net, net.flat.astype("float64")[None, :], "loaded"), model_config


def _picture(path: Path, result: LandscapeResult) -> list[Path]:
    """The slice as a heat map of log10 training loss with the path, and the 1-D lines (headless)."""
    from ..pictures import PicturesUnavailable, render_png

    try:
        render_png([_slice_chart(result), _lines_chart(result)], path, 900, 1200)
    except PicturesUnavailable as exc:
        print(f"nnstudio landscape: skipped {path.name}: {exc}", file=sys.stderr)
        return []
    return [path]


def _slice_chart(result: LandscapeResult):
    from ..pictures import HeatMap

    with np.errstate(all="ignore"):
        values = np.log10(result.loss)
    what = "filter-normalized random directions" if result.directions == "random" else "principal directions of the path"
    path = None if result.path is None else (result.path[:, 0], result.path[:, 1])
    return HeatMap(f"Training loss around the trained weights at (0, 0), along {what}", "direction 1",
                   "direction 2", values, result.xs, result.ys, path=path, value_label="log10 loss")


def _lines_chart(result: LandscapeResult):
    from ..pictures import LineChart, Series, series_color

    names = {"init_to_trained": "initial → trained", "between_seeds": "seed 1 → seed 2"}
    series = []
    for i, (key, line) in enumerate(result.lines.items()):
        color = series_color(i)
        series.append(Series(f"{names.get(key, key)} (training)", line.alphas, line.train, color=color))
        series.append(Series(f"{names.get(key, key)} (validation)", line.alphas, line.val, color=color, dashed=True))
    return LineChart("Loss along straight lines (α = 0: start, α = 1: end)", "α", "loss", series, log_y=True)
