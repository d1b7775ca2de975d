"""The learning-rate finder: range tests over several seeds, their suggestions, and a verdict.

    result = find_rates(config, split, seeds=3)       # range tests from the config's design
    result.curves, result.marks, result.candidates
    verified = verify(config, result.candidates)      # each candidate trained briefly (verify.py)

Seed k (k = 0 .. seeds − 1) starts from the weights ``config.seed + k`` draws and shuffles its
batches with that seed, so the spread between curves shows how much a single test can be trusted.
A candidate is the geometric mean over seeds of one suggestion method; its ``spread`` is the
ratio of the largest to the smallest seed's suggestion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..config import ExperimentConfig
from ..data import Split
from ..engine import Network, encode_targets, make_optimizer, output_units, validate_config
from ..data.datasets import CLASSIFICATION
from .lr_find import BETA, END_LR, START_LR, STEPS, SUGGESTIONS, Mark, RangeCurve, range_test, suggest

DEFAULT_SEEDS = 3
MAX_SEEDS = 20


@dataclass(frozen=True)
class Candidate:
    """One suggestion method's rate: the geometric mean over seeds, and the seeds' own rates."""

    method: str
    lr: float
    per_seed: tuple[float, ...]

    @property
    def spread(self) -> float:
        """max / min of the seeds' suggestions (1 when they agree)."""
        return max(self.per_seed) / min(self.per_seed) if self.per_seed else math.nan

    def to_dict(self) -> dict:
        return {"method": self.method, "lr": self.lr, "per_seed": list(self.per_seed), "spread": self.spread}


@dataclass(frozen=True)
class FinderResult:
    curves: tuple[RangeCurve, ...]
    marks: tuple[dict[str, Mark], ...]        # per curve
    candidates: tuple[Candidate, ...] = field(default=())

    def band_of_curves(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(rates, mean, min, max) of the smoothed losses over the seeds, step by step, over the
        steps every curve reached."""
        n = min((len(c.lrs) for c in self.curves), default=0)
        if n == 0:
            return (np.empty(0),) * 4
        stack = np.array([c.smoothed[:n] for c in self.curves])
        return self.curves[0].lrs[:n], stack.mean(axis=0), stack.min(axis=0), stack.max(axis=0)


def training_arrays(config: ExperimentConfig, split: Split, part: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The rows of one part of the split ("train", "val" or "test") and their encoded targets, in
    the config's dtype."""
    n_out = output_units(config, split)
    X = np.ascontiguousarray(getattr(split, f"X_{part}"), dtype=config.dtype)
    Y = encode_targets(getattr(split, f"y_{part}"), n_out, split.task == CLASSIFICATION, config.dtype)
    return X, Y


def network_for(config: ExperimentConfig, split: Split, seed: int) -> Network:
    """The network ``seed`` initializes, as the trainer would build it."""
    init_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[0])
    return Network.from_config(config, split.n_features, output_units(config, split), rng=init_rng)


def one_test(config: ExperimentConfig, split: Split, seed: int, *, steps: int = STEPS, start: float = START_LR,
             end: float = END_LR, beta: float = BETA, network: Network | None = None,
             stop: Callable[[], bool] | None = None) -> RangeCurve:
    """The range test for ``seed`` from ``network`` (default: the weights ``seed`` initializes)."""
    net = network if network is not None else network_for(config, split, seed)
    X, Y = training_arrays(config, split)
    opt = make_optimizer(config.optimizer, net.n_params, net.dtype, momentum=config.momentum, beta1=config.beta1,
                         beta2=config.beta2, epsilon=config.epsilon, rho=config.rho,
                         weight_decay=config.weight_decay, decay_mask=net.weight_mask)
    batch = len(X) if config.full_batch else config.batch_size
    clip = None if config.clip_type == "none" else (config.clip_type, config.grad_clip)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[1])
    curve = range_test(net, X, Y, optimizer=opt, batch_size=batch, rng=rng, steps=steps, start=start, end=end,
                       beta=beta, clip=clip, stop=stop)
    return RangeCurve(curve.lrs, curve.losses, curve.smoothed, curve.steps, curve.diverged, seed)


def candidates_from(marks: tuple[dict[str, Mark], ...]) -> tuple[Candidate, ...]:
    """One candidate per method that at least one seed suggested: the geometric mean over seeds."""
    out = []
    for method in SUGGESTIONS:
        rates = tuple(m[method].lr for m in marks if method in m)
        if rates:
            out.append(Candidate(method, float(np.exp(np.mean(np.log(rates)))), rates))
    return tuple(out)


def find_rates(config: ExperimentConfig, split: Split, seeds: int = DEFAULT_SEEDS, *, steps: int = STEPS,
               start: float = START_LR, end: float = END_LR, stop: Callable[[], bool] | None = None,
               on_curve: Callable[[RangeCurve], None] | None = None) -> FinderResult:
    """Range tests for seeds ``config.seed + k``, their marks and the candidates.

    ``on_curve`` receives each curve as it finishes; ``stop`` ends the work between steps (the
    curves finished so far are kept).
    """
    validate_config(config, split)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise ValueError(f"seeds: {seeds!r} must be a whole number from 1 to {MAX_SEEDS}")
    curves = []
    for k in range(seeds):
        if stop is not None and stop():
            break
        curve = one_test(config, split, config.seed + k, steps=steps, start=start, end=end, stop=stop)
        curves.append(curve)
        if on_curve is not None:
            on_curve(curve)
    marks = tuple(suggest(c) for c in curves)
    return FinderResult(tuple(curves), marks, candidates_from(marks))
