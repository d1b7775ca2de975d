"""Loss landscapes: the loss along a line and over a plane through parameter space.

    directions = random_directions(network, rng)              # filter-normalized (Li et al., 2018)
    directions = pca_directions(path, center)                 # principal directions of the training path
    plane = Plane(center, *directions)
    grid = surface(objective, plane, xs, ys)                  # grid[j, i] = L(center + xs[i] d1 + ys[j] d2)
    plane.project(path)                                       # (k, 2) coordinates of the path
    interpolate(objective, w_from, w_to, alphas)              # L((1 − α) w_from + α w_to)

Filter normalization: a random Gaussian direction is rescaled unit by unit so that each unit's
incoming weights (a column of its weight matrix, the "filter") in the direction has the norm of
the same unit's weights in the trained network.  Biases and batch-norm parameters get direction
0.  Scaling a ReLU layer by c and the next layer's weights by 1/c leaves the function unchanged,
and with filter-normalized directions it leaves the plot unchanged too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..engine import Network
from .objective import Objective

FILTER_EPS = 1e-10


def layout(network: Network) -> list[tuple[str, slice, tuple[int, ...]]]:
    """(name, position in the flat vector, shape) of every parameter array, in order."""
    out, offset = [], 0
    for name, p in zip(network.param_names, network.params):
        out.append((name, slice(offset, offset + p.size), p.shape))
        offset += p.size
    return out


def filter_normalize(direction: np.ndarray, weights: np.ndarray, network: Network) -> np.ndarray:
    """``direction`` (flat) with every weight column rescaled to the norm of the same column of
    ``weights`` (flat), and every bias / batch-norm entry set to 0.  Returns a new array."""
    d = np.array(direction, dtype=np.float64)
    for name, span, shape in layout(network):
        if not name.endswith(".W"):
            d[span] = 0.0
            continue
        dv = d[span].reshape(shape)
        wv = np.asarray(weights[span], dtype=np.float64).reshape(shape)
        dv *= np.linalg.norm(wv, axis=0) / (np.linalg.norm(dv, axis=0) + FILTER_EPS)
    return d


def random_directions(network: Network, rng: np.random.Generator, weights: np.ndarray | None = None,
                      normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian directions, filter-normalized against ``weights`` (default: the network's)."""
    weights = network.flat if weights is None else weights
    raw = [rng.standard_normal(network.n_params) for _ in range(2)]
    if not normalize:
        return raw[0], raw[1]
    return filter_normalize(raw[0], weights, network), filter_normalize(raw[1], weights, network)


def pca_directions(path: np.ndarray, center: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two principal directions (unit vectors) of the points ``path`` (k, n) around ``center``,
    and the fraction of the path's variance each explains."""
    M = np.asarray(path, dtype=np.float64) - np.asarray(center, dtype=np.float64)
    if len(M) < 2:
        raise ValueError("the principal directions need a training path of at least 2 points")
    _, s, vt = np.linalg.svd(M, full_matrices=False)
    var = s ** 2
    explained = var[:2] / var.sum() if var.sum() > 0 else np.zeros(2)
    second = vt[1] if len(vt) > 1 else np.zeros_like(vt[0])
    return vt[0], second, explained


@dataclass(frozen=True)
class Plane:
    """The plane ``center + x·d1 + y·d2`` in parameter space."""

    center: np.ndarray
    d1: np.ndarray
    d2: np.ndarray

    def point(self, x: float, y: float) -> np.ndarray:
        return self.center + x * self.d1 + y * self.d2

    def project(self, points: np.ndarray) -> np.ndarray:
        """Least-squares (x, y) of each row of ``points`` (k, n): exact for points in the plane,
        the orthogonal projection's coordinates otherwise.  Shape (k, 2)."""
        basis = np.stack([self.d1, self.d2], axis=1)
        coords, *_ = np.linalg.lstsq(basis, (np.asarray(points, np.float64) - self.center).T, rcond=None)
        return coords.T


def surface(objective: Objective, plane: Plane, xs: Sequence[float], ys: Sequence[float],
            stop: Callable[[], bool] | None = None,
            on_row: Callable[[int, np.ndarray], None] | None = None) -> np.ndarray:
    """grid[j, i] = objective at ``plane.point(xs[i], ys[j])``; points not reached (stopped) stay NaN.

    ``stop`` is polled before every point; ``on_row(j, grid)`` is called after each finished row.
    """
    grid = np.full((len(ys), len(xs)), np.nan)
    with np.errstate(all="ignore"):
        for j, y in enumerate(ys):
            for i, x in enumerate(xs):
                if stop is not None and stop():
                    return grid
                grid[j, i] = objective.loss(plane.point(x, y))
            if on_row is not None:
                on_row(j, grid)
    return grid


def interpolate(objective: Objective, w_from: np.ndarray, w_to: np.ndarray, alphas: Sequence[float]) -> np.ndarray:
    """L((1 − α)·w_from + α·w_to) for every α."""
    a, b = np.asarray(w_from, np.float64), np.asarray(w_to, np.float64)
    with np.errstate(all="ignore"):
        return np.array([objective.loss((1.0 - t) * a + t * b) for t in alphas])


def axis(span: float, points: int) -> np.ndarray:
    """``points`` evenly spaced values over [−span, span]."""
    if points < 2:
        raise ValueError(f"grid: {points!r} must be at least 2")
    return np.linspace(-span, span, points)


def path_span(coords: np.ndarray, margin: float = 1.25) -> float:
    """A half-width that shows every path point with a margin (1 when the path is empty or flat)."""
    if coords.size == 0:
        return 1.0
    reach = float(np.max(np.abs(coords)))
    return reach * margin if reach > 0 and math.isfinite(reach) else 1.0
