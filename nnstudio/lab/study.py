"""A whole landscape study: train (or take a model), then the 1-D lines and the 2-D slice.

    result = landscape_study(config, split, grid=21, directions="random")
    result.to_dict()          # what ``nnstudio landscape`` writes as JSON

Losses are data losses (no L1/L2 term) in evaluation mode, on the whole training split and on the
validation split; batch-norm layers use the trained running statistics everywhere on the plane.
The 1-D lines run over α ∈ [−0.25, 1.25]: α = 0 is the start, α = 1 the end.  (With batch
norm, the line between two seeds' solutions uses the first solution's running statistics.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..config import ExperimentConfig
from ..data import Split
from ..engine import Network, Trainer
from .finder import network_for, training_arrays
from .landscape import Plane, axis, interpolate, path_span, pca_directions, random_directions, surface
from .objective import Objective, float64_copy

DIRECTIONS = ("random", "pca")
DEFAULT_GRID = 21
ALPHAS = np.linspace(-0.25, 1.25, 31)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class TrainedPath:
    """A trained network and its parameters at the start and after every epoch, shape (epochs + 1, n)."""

    network: Network
    path: np.ndarray
    message: str = ""


def train_with_path(config: ExperimentConfig, split: Split, stop: Callable[[], bool] | None = None,
                    progress: Progress | None = None, stage: str = "training") -> TrainedPath:
    """Train ``config``; keep the parameters after every epoch (float64 copies)."""
    trainer = Trainer(config, split, histograms=False)
    points = [trainer.network.flat.astype(np.float64)]
    for record in trainer.run(stop=stop):
        points.append(trainer.network.flat.astype(np.float64))
        if progress is not None:
            progress(stage, record.epoch, config.epochs)
    return TrainedPath(trainer.network, np.array(points), trainer.summary.message)


@dataclass(frozen=True)
class Line:
    """Train and validation loss at every α of one straight line."""

    alphas: np.ndarray
    train: np.ndarray
    val: np.ndarray

    def to_dict(self) -> dict:
        return {"alpha": _floats(self.alphas), "loss": _floats(self.train), "val_loss": _floats(self.val)}


@dataclass(frozen=True)
class LandscapeResult:
    xs: np.ndarray
    ys: np.ndarray
    loss: np.ndarray                # (len(ys), len(xs)): row j is y = ys[j]
    val_loss: np.ndarray
    loss_at_trained: float
    val_loss_at_trained: float
    directions: str
    plane: Plane
    path: np.ndarray | None         # (k, 2) coordinates of the training path, or None
    explained: tuple[float, ...] = ()
    lines: dict[str, Line] = field(default_factory=dict)
    seeds: tuple[int, ...] = ()
    network: Network | None = field(default=None, compare=False, repr=False)  # the trained network

    def to_dict(self) -> dict:
        return {
            "loss": [_floats(row) for row in self.loss], "val_loss": [_floats(row) for row in self.val_loss],
            "x": _floats(self.xs), "y": _floats(self.ys),
            "loss_at_trained": _float(self.loss_at_trained), "val_loss_at_trained": _float(self.val_loss_at_trained),
            "directions": self.directions, "explained_variance": [float(e) for e in self.explained],
            "path": None if self.path is None else [_floats(p) for p in self.path],
            "lines": {name: line.to_dict() for name, line in self.lines.items()}, "seeds": list(self.seeds)}


def _float(v) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def _floats(values) -> list:
    return [_float(v) for v in values]


def objectives(config: ExperimentConfig, split: Split, network: Network) -> tuple[Objective, Objective]:
    """(training-split, validation-split) evaluation-mode data-loss objectives around ``network``."""
    return tuple(Objective(float64_copy(config, network, penalty=False), *training_arrays(config, split, part),
                           training=False) for part in ("train", "val"))


def line(train: Objective, val: Objective, w_from: np.ndarray, w_to: np.ndarray, alphas=ALPHAS) -> Line:
    return Line(np.asarray(alphas), interpolate(train, w_from, w_to, alphas), interpolate(val, w_from, w_to, alphas))


def plane_for(kind: str, network: Network, center: np.ndarray, path: np.ndarray | None,
              rng: np.random.Generator) -> tuple[Plane, tuple[float, ...]]:
    """The plane of ``kind`` ("random": filter-normalized; "pca": the path's principal directions)."""
    if kind == "pca":
        if path is None or len(path) < 3:
            raise ValueError("directions 'pca' need a training path; train the model here instead of loading it")
        d1, d2, explained = pca_directions(path, center)
        return Plane(center, d1, d2), tuple(float(e) for e in explained)
    if kind != "random":
        raise ValueError(f"directions: {kind!r} is not one of {', '.join(DIRECTIONS)}")
    d1, d2 = random_directions(network, rng, weights=center)
    return Plane(center, d1, d2), ()


def landscape_study(config: ExperimentConfig, split: Split, *, grid: int = DEFAULT_GRID, directions: str = "random",
                    span: float | None = None, trained: TrainedPath | None = None, seed_pair: bool = True,
                    stop: Callable[[], bool] | None = None, progress: Progress | None = None) -> LandscapeResult:
    """Train ``config`` (unless ``trained`` is given), then compute the lines and the 2-D slice.

    ``trained`` without a path (``path`` of one row) is a loaded model: the "pca" directions and
    the path are then unavailable.  ``seed_pair`` also trains seed + 1 for the line between two
    solutions.  ``span`` is the half-width of the slice (default 1 for random directions, the
    path's reach plus a margin for "pca").
    """
    trained = trained or train_with_path(config, split, stop, progress)
    center = trained.network.flat.astype(np.float64)
    train_obj, val_obj = objectives(config, split, trained.network)
    path = trained.path if len(trained.path) > 1 else None
    plane, explained = plane_for(directions, trained.network, center, path,
                                 np.random.default_rng(config.seed))
    coords = plane.project(path) if path is not None else None
    if span is None:
        span = path_span(coords) if directions == "pca" and coords is not None else 1.0
    xs = ys = axis(span, grid)
    lines = _lines(config, split, trained, center, train_obj, val_obj, seed_pair, stop, progress)
    report = (lambda j, g: progress("landscape", j + 1, grid)) if progress else None
    loss = surface(train_obj, plane, xs, ys, stop, report)
    val_loss = surface(val_obj, plane, xs, ys, stop)
    seeds = (config.seed, config.seed + 1) if "between_seeds" in lines else (config.seed,)
    return LandscapeResult(xs, ys, loss, val_loss, train_obj.loss(center), val_obj.loss(center), directions, plane,
                           coords, explained, lines, seeds, trained.network)


def _lines(config, split, trained: TrainedPath, center, train_obj, val_obj, seed_pair, stop, progress) -> dict:
    init = trained.path[0] if len(trained.path) > 1 else network_for(config, split, config.seed).flat
    lines = {"init_to_trained": line(train_obj, val_obj, np.asarray(init, np.float64), center)}
    if seed_pair and not (stop is not None and stop()):
        other = train_with_path(config.replace(seed=config.seed + 1), split, stop, progress, "training seed 2")
        lines["between_seeds"] = line(train_obj, val_obj, center, other.network.flat.astype(np.float64))
    return lines
