"""Weight initializers: presets of one variance-scaling rule, plus ``zeros`` and ``random``.

``variance_scaling(scale, mode, distribution)`` draws weights with variance ``scale / fan``
where ``fan`` is fan_in, fan_out or their mean:

* normal:  N(0, scale / fan)
* uniform: U(−limit, limit) with limit = sqrt(3 · scale / fan)   (a uniform's variance is limit²/3)

=================  =====  ========  ============  ==================================
name               scale  mode      distribution  result
=================  =====  ========  ============  ==================================
glorot_uniform     1      fan_avg   uniform       limit = sqrt(6 / (fan_in + fan_out))
glorot_normal      1      fan_avg   normal        std = sqrt(2 / (fan_in + fan_out))
he_uniform         2      fan_in    uniform       limit = sqrt(6 / fan_in)
he_normal          2      fan_in    normal        std = sqrt(2 / fan_in)
lecun_uniform      1      fan_in    uniform       limit = sqrt(3 / fan_in)
lecun_normal       1      fan_in    normal        std = sqrt(1 / fan_in)
=================  =====  ========  ============  ==================================

``random`` is the article's standard normal N(0, 1), kept so its saturation can be seen;
``zeros`` makes every unit of a layer identical (symmetry is never broken).
Biases always start at zero.  Every draw takes an explicit ``np.random.Generator``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..registry import Registry

InitFn = Callable[[int, int, np.random.Generator, np.dtype], np.ndarray]


@dataclass(frozen=True)
class Initializer:
    name: str
    draw: InitFn  # (fan_in, fan_out, rng, dtype) -> array of shape (fan_in, fan_out)
    formula: str


INITIALIZERS: Registry[Initializer] = Registry("init method")

_FANS = {
    "fan_in": lambda fi, fo: fi,
    "fan_out": lambda fi, fo: fo,
    "fan_avg": lambda fi, fo: (fi + fo) / 2.0,
}


def variance_scaling(scale: float, mode: str, distribution: str) -> InitFn:
    """Return ``draw(fan_in, fan_out, rng, dtype)`` giving weights of variance ``scale / fan``."""
    if mode not in _FANS:
        raise ValueError(f"mode must be one of {', '.join(_FANS)}, not {mode!r}")
    if distribution not in ("normal", "uniform"):
        raise ValueError(f"distribution must be 'normal' or 'uniform', not {distribution!r}")

    def draw(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
        variance = scale / _FANS[mode](fan_in, fan_out)
        if distribution == "normal":
            w = rng.normal(0.0, math.sqrt(variance), (fan_in, fan_out))
        else:
            limit = math.sqrt(3.0 * variance)
            w = rng.uniform(-limit, limit, (fan_in, fan_out))
        return w.astype(dtype, copy=False)

    return draw


def _zeros(fan_in, fan_out, rng, dtype=np.float64):
    return np.zeros((fan_in, fan_out), dtype=dtype)


def _standard_normal(fan_in, fan_out, rng, dtype=np.float64):
    return rng.standard_normal((fan_in, fan_out)).astype(dtype, copy=False)


for _name, _draw, _formula in (
    ("zeros", _zeros, "W = 0: every unit of a layer stays identical"),
    ("random", _standard_normal, "W ~ N(0, 1): saturates sigmoid units once fan_in is large"),
    ("glorot_uniform", variance_scaling(1.0, "fan_avg", "uniform"), "W ~ U(±sqrt(6 / (fan_in + fan_out)))"),
    ("glorot_normal", variance_scaling(1.0, "fan_avg", "normal"), "W ~ N(0, 2 / (fan_in + fan_out))"),
    ("he_uniform", variance_scaling(2.0, "fan_in", "uniform"), "W ~ U(±sqrt(6 / fan_in))"),
    ("he_normal", variance_scaling(2.0, "fan_in", "normal"), "W ~ N(0, 2 / fan_in)"),
    ("lecun_uniform", variance_scaling(1.0, "fan_in", "uniform"), "W ~ U(±sqrt(3 / fan_in))"),
    ("lecun_normal", variance_scaling(1.0, "fan_in", "normal"), "W ~ N(0, 1 / fan_in)"),
):
    INITIALIZERS.register(_name, Initializer(_name, _draw, _formula))

#: The article's five tuned choices (its Optuna space), and its six compared ones.
ARTICLE_TUNED_INITS = ("random", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal")
ARTICLE_INITS = ("zeros",) + ARTICLE_TUNED_INITS
