"""Decision-boundary grids of a training run: the network's outputs on a regular grid over the
2-D input plane, sized so that a live frame stays cheap (computed in the worker thread)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...engine import Trainer

BOUNDARY_GRID = 120            # grid points per axis, for networks small enough...
BOUNDARY_WORK = 100_000_000    # ...that a grid costs at most this many multiply-adds; larger ones get a coarser grid
BOUNDARY_MIN_GRID = 32
BOUNDARY_FRAME_BUDGET_S = 0.04  # a frame taking longer gets a coarser grid next time (busy machine)


@dataclass(frozen=True)
class BoundaryGrid:
    """Network outputs on a regular grid over the 2-D input plane (original units).

    ``probabilities`` has shape (ny, nx, k): class probabilities (k = n_classes, or 1 for a
    single sigmoid unit giving p(class 1)); row 0 is ``y_range[0]``.
    """

    probabilities: np.ndarray
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    epoch: int
    note: str = ""  # what the weights are when they are not the epoch's own ("best, restored")




def live_grid_size(trainer: Trainer) -> int:
    """Grid points per axis of a live boundary: fine for small networks, coarser for large ones, so
    that a frame stays cheap enough for 5 a second."""
    n = int((BOUNDARY_WORK / max(trainer.network.n_params, 1)) ** 0.5)
    return max(BOUNDARY_MIN_GRID, min(BOUNDARY_GRID, n))


def next_grid_size(n: int, cost: float) -> int:
    """The grid for the next frame after one of ``n`` points per axis took ``cost`` seconds: coarser
    when it took longer than the frame budget, finer again (up to the full grid) when it was quick."""
    if cost > BOUNDARY_FRAME_BUDGET_S:
        n = int(n * (BOUNDARY_FRAME_BUDGET_S / cost) ** 0.5)
    elif cost < BOUNDARY_FRAME_BUDGET_S / 2:
        n = int(n * 1.25) + 1
    return max(BOUNDARY_MIN_GRID, min(BOUNDARY_GRID, n))


def boundary_grid(trainer: Trainer, info, epoch: int, note: str = "",
                  n: int = BOUNDARY_GRID) -> BoundaryGrid:
    """Evaluate the network on an n x n grid spanning the training points (plus a margin);
    ``info`` is the run's :class:`~.worker.RunInfo` (its ``train_points``)."""
    pts = info.train_points
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.08 * np.maximum(hi - lo, 1e-9)
    lo, hi = lo - pad, hi + pad
    xs = np.linspace(lo[0], hi[0], n)
    ys = np.linspace(lo[1], hi[1], n)
    gx, gy = np.meshgrid(xs, ys)  # row i is ys[i]
    plane = np.column_stack([gx.ravel(), gy.ravel()])
    scaler = trainer.split.scaler
    net = trainer.network
    out = net.predict_output(((plane - scaler.mean) / scaler.scale).astype(net.dtype))
    probs = out.reshape(n, n, -1).astype(np.float32)
    return BoundaryGrid(probs, (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])), int(epoch), note)
