"""The learning-rate range test (Smith, 2015) and the suggestions read from its curve.

    curve = range_test(network, X, Y, make_optimizer=..., batch_size=32, rng=rng)
    curve.lrs, curve.losses, curve.smoothed     # one entry per mini-batch step taken
    suggest(curve)                              # {"minimum": ..., "steep": ..., "valley": ...}

From the network's current parameters the rate rises exponentially, ``lr_i = start · (end /
start)^(i / steps)`` for step i = 0, 1, ..., one mini-batch per step.  Each batch's loss (measured
before its step) enters a debiased exponential average, ``s_i = β s_{i−1} + (1 − β) x_i`` shown as
``s_i / (1 − β^(i+1))``; the test ends once that exceeds 4× its minimum (or is not finite).  The
parameters and batch-norm statistics are restored exactly afterwards.

The suggestions follow fastai's ``lr_find`` on the curve trimmed as it trims it — the first
``steps // 10`` points and the last 5 dropped, and everything from the first NaN on:

* ``minimum``: a tenth of the rate at the lowest smoothed loss;
* ``steep``:   the rate where the loss falls fastest per unit of log rate;
* ``valley``:  in the longest decreasing run of the curve, the point 1/3 + 1/6 of the way along it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..engine import CLIP_TYPES, Network
from ..engine.optimizers import Optimizer

START_LR = 1e-7
END_LR = 10.0
STEPS = 100
BETA = 0.98
DIVERGE_FACTOR = 4.0
TRIM_END = 5
SUGGESTIONS = ("minimum", "steep", "valley")


@dataclass(frozen=True)
class RangeCurve:
    """One range test: the rate of every step taken, the batch loss before it and the smoothed loss."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    steps: int              # the planned number of steps (the schedule's length)
    diverged: bool          # ended early because the smoothed loss exploded
    seed: int = 0

    def to_dict(self) -> dict:
        return {"seed": self.seed, "lr": _floats(self.lrs), "loss": _floats(self.losses),
                "smoothed": _floats(self.smoothed), "diverged": self.diverged}


def _floats(values) -> list:
    return [float(v) if math.isfinite(v) else None for v in values]


def schedule(steps: int = STEPS, start: float = START_LR, end: float = END_LR) -> np.ndarray:
    """The rate of each step: start · (end / start)^(i / steps), i = 0 .. steps − 1."""
    return start * (end / start) ** (np.arange(steps) / steps)


def debiased_average(values, beta: float = BETA) -> np.ndarray:
    """s_i / (1 − β^(i+1)) with s_{-1} = 0 and s_i = β s_{i−1} + (1 − β) x_i."""
    out = np.empty(len(values))
    s = 0.0
    for i, x in enumerate(values):
        s = beta * s + (1.0 - beta) * x
        out[i] = s / (1.0 - beta ** (i + 1))
    return out


def range_test(network: Network, X: np.ndarray, Y: np.ndarray, *, optimizer: Optimizer, batch_size: int,
               rng: np.random.Generator, steps: int = STEPS, start: float = START_LR, end: float = END_LR,
               beta: float = BETA, clip: tuple[str, float] | None = None,
               stop: Callable[[], bool] | None = None) -> RangeCurve:
    """Run the range test on ``network`` with mini-batches of ``batch_size`` rows of (X, Y).

    ``optimizer`` is a fresh optimizer for the network's parameters; ``rng`` shuffles the rows
    (reshuffled at each pass) and draws dropout masks; ``clip`` is (clip type, threshold).
    ``stop`` is polled before every step.  The network's state is restored before returning.
    """
    saved = network.state()
    lrs = schedule(steps, start, end)
    batch = max(1, min(batch_size, len(X)))
    taken, losses, smoothed = [], [], []
    best, s, diverged = math.inf, 0.0, False
    order, pos = rng.permutation(len(X)), 0
    try:
        with np.errstate(all="ignore"):
            for i, lr in enumerate(lrs):
                if stop is not None and stop():
                    break
                if pos + batch > len(X):
                    order, pos = rng.permutation(len(X)), 0
                rows = order[pos:pos + batch]
                pos += batch
                loss = _step(network, X[rows], Y[rows], optimizer, float(lr), rng, clip)
                s = beta * s + (1.0 - beta) * loss
                value = s / (1.0 - beta ** (i + 1))
                taken.append(lr), losses.append(loss), smoothed.append(value)
                best = min(best, value)
                if not math.isfinite(value) or value > DIVERGE_FACTOR * best:
                    diverged = True
                    break
    finally:
        network.load_state(saved)
    return RangeCurve(np.array(taken), np.array(losses), np.array(smoothed), steps, diverged)


def _step(network: Network, X, Y, optimizer: Optimizer, lr: float, rng, clip) -> float:
    """One training step at rate ``lr``; the batch's data loss before the step."""
    out = network._forward(X, True, rng)
    loss = network.loss.value(out, Y)
    network.backward(Y)
    if clip is not None:
        CLIP_TYPES[clip[0]](network.flat_grad, network.grads, clip[1])
    optimizer.step(network.flat, network.flat_grad, lr)
    return float(loss)


# -- suggestions -------------------------------------------------------------------------

def trimmed(curve: RangeCurve) -> tuple[np.ndarray, np.ndarray]:
    """(rates, smoothed losses) as fastai trims them before suggesting."""
    lrs = curve.lrs[curve.steps // 10:len(curve.lrs) - TRIM_END]
    losses = curve.smoothed[curve.steps // 10:len(curve.smoothed) - TRIM_END]
    bad = np.flatnonzero(np.isnan(losses))
    if bad.size:
        lrs, losses = lrs[:bad[0]], losses[:bad[0]]
    return lrs, losses


def suggest_minimum(lrs: np.ndarray, losses: np.ndarray) -> tuple[float, int]:
    """(a tenth of the rate at the lowest loss, the index of that point)."""
    i = int(np.argmin(losses))
    return float(lrs[i]) / 10.0, i


def suggest_steep(lrs: np.ndarray, losses: np.ndarray) -> tuple[float, int]:
    """(the rate where the loss's slope against log rate is most negative, its index)."""
    slopes = np.diff(losses) / np.diff(np.log(lrs))
    i = int(np.argmin(slopes))
    return float(lrs[i]), i


def suggest_valley(lrs: np.ndarray, losses: np.ndarray) -> tuple[float, int]:
    """(the rate 1/3 + 1/6 of the way along the longest decreasing subsequence, its index).

    ``run[i]`` is the length of the longest strictly decreasing subsequence ending at i; the
    valley spans from its end back over that many points, as fastai counts it.  (When that
    span starts before the curve, fastai's index can come out as −1 and wrap to the last point;
    here it is held at the first.)
    """
    n = len(losses)
    run = [1] * n
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
            if run[end] < run[i]:
                end = i
                start = end - run[end]
    third = (end - start) / 3
    i = max(0, start + int(third) + int(third / 2))
    return float(lrs[i]), i


SUGGESTERS: dict[str, Callable[[np.ndarray, np.ndarray], tuple[float, int]]] = {
    "minimum": suggest_minimum, "steep": suggest_steep, "valley": suggest_valley}


@dataclass(frozen=True)
class Mark:
    """A suggestion on a curve: the suggested rate, and the curve point it was read from."""

    method: str
    lr: float
    point_lr: float
    point_loss: float


def suggest(curve: RangeCurve) -> dict[str, Mark]:
    """Every suggestion that the trimmed curve supports (none when fewer than 3 points remain)."""
    lrs, losses = trimmed(curve)
    if len(lrs) < 3:
        return {}
    marks = {}
    for name, fn in SUGGESTERS.items():
        lr, i = fn(lrs, losses)
        marks[name] = Mark(name, lr, float(lrs[i]), float(losses[i]))
    return marks
