"""The factors a comparison can vary: a registry of name -> :class:`Factor`.

A factor knows how to read its values from text (``"he_normal, zeros"``, ``"1e-4..1e-1:4"``,
``"value:0.5"``), how to write one into a config, how to label the variant it makes, and which
values to offer by default.  The compare tab fills its factor combo box from :data:`FACTORS`, and
the command line's ``--vary`` accepts exactly these names.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..config import ExperimentConfig, LayerConfig
from ..engine import ARTICLE_INITS, CLIP_TYPES, INITIALIZERS, OPTIMIZERS, hidden_activation_names
from ..registry import Registry
from ..errors import UserError


class FactorValueError(UserError, ValueError):
    """A value cannot be used for a factor; the message names the factor, the value and what is valid."""


@dataclass(frozen=True)
class ClipSetting:
    """A clip type with its threshold, written ``type:threshold`` (``none`` has no threshold)."""

    clip_type: str
    threshold: float | None = None

    def __str__(self) -> str:
        return self.clip_type if self.threshold is None else f"{self.clip_type}:{self.threshold:g}"


@dataclass(frozen=True)
class Factor:
    """One thing a comparison can vary.

    ``parse(item)`` turns one comma-separated item of text into a list of values (a range may
    expand to several); ``apply(config, value)`` returns the changed config; ``label(value)``
    names the variant; ``defaults(base)`` lists the values offered for ``base``.
    """

    name: str
    title: str
    help: str
    parse: Callable[[str], list]
    apply: Callable[[ExperimentConfig, Any], ExperimentConfig]
    label: Callable[[Any], str]
    defaults: Callable[[ExperimentConfig], tuple]
    needs_hidden_layers: bool = False

    def parse_values(self, text: str | Sequence[str]) -> list:
        """Values from ``"a, b, c"`` (or a list of items), in order, duplicates dropped.

        Raises :class:`FactorValueError` for an unreadable item or an empty list.
        """
        items = re.split(r"[,\n;]", text) if isinstance(text, str) else [str(t) for t in text]
        values: list = []
        for item in (i.strip() for i in items):
            if item:
                values.extend(v for v in self.parse(item) if v not in values)
        if not values:
            example = self.format_values(self.defaults(ExperimentConfig())[:3])
            raise FactorValueError(f"{self.name}: no values given; for example {example}")
        return values

    def format_values(self, values: Sequence) -> str:
        """The text ``parse_values`` reads back as ``values``."""
        return ", ".join(format_value(v) for v in values)


FACTORS: Registry[Factor] = Registry("factor")


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# -- parsing helpers ---------------------------------------------------------------------

def _choice(kind: str, names: Callable[[], Sequence[str]]) -> Callable[[str], list]:
    def parse(item: str) -> list:
        valid = list(names())
        if item not in valid:
            raise FactorValueError(f"unknown {kind} {item!r}; choose from: {', '.join(valid)}")
        return [item]
    return parse


def _number(kind: str, text: str, *, integer: bool = False) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise FactorValueError(f"{kind}: {text!r} is not {'an integer' if integer else 'a number'}") from None
    if not math.isfinite(value):
        raise FactorValueError(f"{kind}: {text!r} is not a finite number")
    return value


def _parse_learning_rate(item: str) -> list[float]:
    """``0.01``, or a log range ``lo..hi`` (one value per decade) or ``lo..hi:n`` (n log-spaced values)."""
    match = re.fullmatch(r"\s*([^.:][^:]*?)\s*\.\.\s*([^:]+?)\s*(?::\s*(\S+))?\s*", item)
    if match is None:
        rate = _number("learning_rate", item)
        _check_positive("learning_rate", rate)
        return [rate]
    lo, hi = (_number("learning_rate", t) for t in match.group(1, 2))
    _check_positive("learning_rate", lo)
    _check_positive("learning_rate", hi)
    if hi <= lo:
        raise FactorValueError(f"learning_rate: the range {item!r} must go from low to high")
    decades = math.log10(hi / lo)
    count = _number("learning_rate", match.group(3), integer=True) if match.group(3) else round(decades) + 1
    if not 2 <= count <= 50:
        raise FactorValueError(f"learning_rate: a range needs between 2 and 50 values, not {count}")
    return [float(f"{v:.3g}") for v in np.logspace(math.log10(lo), math.log10(hi), int(count))]


def _check_positive(kind: str, value: float) -> None:
    if value <= 0:
        raise FactorValueError(f"{kind}: {value:g} must be greater than 0")


def _parse_dropout(item: str) -> list[float]:
    rate = _number("dropout_rate", item)
    if not 0.0 <= rate < 1.0:
        raise FactorValueError(f"dropout_rate: {rate:g} must be at least 0 and below 1")
    return [rate]


def _parse_clip(item: str) -> list[ClipSetting]:
    kind, _, threshold = (part.strip() for part in item.partition(":"))
    valid = CLIP_TYPES.names()
    if kind not in valid:
        raise FactorValueError(f"clip: unknown clip type {kind!r} in {item!r}; write TYPE:THRESHOLD "
                               f"with TYPE one of {', '.join(valid)} (e.g. norm:1)")
    if kind == "none":
        if threshold:
            raise FactorValueError(f"clip: 'none' takes no threshold (got {item!r})")
        return [ClipSetting("none")]
    if not threshold:
        raise FactorValueError(f"clip: {kind!r} needs a threshold, e.g. {kind}:1")
    value = _number("clip threshold", threshold)
    _check_positive("clip threshold", value)
    return [ClipSetting(kind, value)]


def _parse_batch_size(item: str) -> list[int]:
    if item.lower() in ("full", "0"):
        return [0]
    size = int(_number("batch_size", item, integer=True))
    if size < 1:
        raise FactorValueError(f"batch_size: {size} must be at least 1 (or 'full' for one batch of all rows)")
    return [size]


def _parse_depth(item: str) -> list[int]:
    match = re.fullmatch(r"(\d+)\s*(?:\.\.|-)\s*(\d+)", item)
    lo, hi = (int(match.group(1)), int(match.group(2))) if match else (None, None)
    if match is None:
        lo = hi = int(_number("depth", item, integer=True))
    if lo < 1 or hi > MAX_DEPTH or hi < lo:
        raise FactorValueError(f"depth: {item!r} must be a number of hidden layers from 1 to {MAX_DEPTH} "
                               "(or a range like 1..5)")
    return list(range(lo, hi + 1))


# -- applying values ---------------------------------------------------------------------

MAX_DEPTH = 20
DEFAULT_MAX_DEPTH = 5
FALLBACK_LAYER = LayerConfig(64, "relu")


def _all_layers(config: ExperimentConfig, **changes) -> ExperimentConfig:
    return config.replace(layers=[dataclasses.replace(layer, **changes) for layer in config.layers])


def _apply_clip(config: ExperimentConfig, clip: ClipSetting) -> ExperimentConfig:
    threshold = config.grad_clip if clip.threshold is None else clip.threshold
    return config.replace(clip_type=clip.clip_type, grad_clip=threshold)


def depth_layers(layers: Sequence[LayerConfig], depth: int) -> tuple[LayerConfig, ...]:
    """``depth`` hidden layers: the first ``depth`` of ``layers``, then copies of its last one.

    A base with equal layers thus sweeps a fixed width; a base with a per-layer list keeps its
    own sizes for as many layers as it has.  With no hidden layers the template is 64 relu units.
    """
    layers = tuple(layers) or (FALLBACK_LAYER,)
    return layers[:depth] + (layers[-1],) * max(0, depth - len(layers))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _register(name, title, help, parse, apply, label, defaults, needs_hidden_layers=False):
    FACTORS.register(name, Factor(name, title, help, parse, apply, label, defaults, needs_hidden_layers))


_register(
    "init_method", "Init method",
    "How the weights start. zeros never breaks symmetry; random (N(0, 1)) saturates sigmoid units; "
    "Glorot/He/LeCun scale the variance by the fan-in (and fan-out) so signals keep their size.",
    _choice("init method", INITIALIZERS.names),
    lambda c, v: c.replace(init_method=v), str,
    lambda base: ARTICLE_INITS + ("lecun_normal",))
_register(
    "activation", "Activation (all hidden layers)",
    "The activation of every hidden layer; the output activation stays as it is.",
    _choice("activation", hidden_activation_names),
    lambda c, v: _all_layers(c, activation=v), str,
    lambda base: tuple(hidden_activation_names()), needs_hidden_layers=True)
_register(
    "optimizer", "Optimizer",
    "The update rule; momentum, beta1/beta2 and the other settings stay those of the base config.",
    _choice("optimizer", OPTIMIZERS.names),
    lambda c, v: c.replace(optimizer=v), str,
    lambda base: tuple(OPTIMIZERS.names()))
_register(
    "learning_rate", "Learning rate",
    "Step size. List values (0.001, 0.01) or give a log range: 1e-4..1e-1 takes one value per decade, "
    "1e-4..1e-1:7 takes 7 log-spaced values.",
    _parse_learning_rate,
    lambda c, v: c.replace(learning_rate=v), lambda v: f"lr {v:g}",
    lambda base: (1e-4, 1e-3, 1e-2, 1e-1))
_register(
    "dropout_rate", "Dropout rate (all hidden layers)",
    "Probability p of dropping a hidden unit while training (inverted dropout: kept units are scaled by "
    "1/(1-p)); never applied to the output layer.",
    _parse_dropout,
    lambda c, v: _all_layers(c, dropout_rate=v), lambda v: f"dropout {v:g}",
    lambda base: (0.0, 0.1, 0.2, 0.3, 0.5), needs_hidden_layers=True)
_register(
    "clip", "Gradient clipping",
    "TYPE:THRESHOLD pairs. value clips each component into [-t, t]; norm rescales each tensor to norm <= t; "
    "global_norm rescales all gradients together to joint norm <= t; none turns clipping off.",
    _parse_clip,
    _apply_clip, lambda v: "no clipping" if v.clip_type == "none" else f"{v.clip_type} {v.threshold:g}",
    lambda base: (ClipSetting("none"), ClipSetting("value", 0.5), ClipSetting("norm", 1.0),
                  ClipSetting("global_norm", 1.0)))
_register(
    "batch_size", "Batch size",
    "Rows per gradient step; 'full' (or 0) uses the whole training split as one batch.",
    _parse_batch_size,
    lambda c, v: c.replace(batch_size=v), lambda v: "full batch" if v == 0 else f"batch {v}",
    lambda base: (16, 32, 64, 128, 0))
_register(
    "depth", "Depth (hidden layers)",
    "Number of hidden layers, e.g. 1..5. Layer k takes the base's k-th hidden layer; beyond the base's "
    "list, its last layer is repeated (so equal layers sweep a fixed width).",
    _parse_depth,
    lambda c, v: c.replace(layers=depth_layers(c.layers, v)), lambda v: _plural(v, "layer"),
    lambda base: tuple(range(1, max(DEFAULT_MAX_DEPTH, len(base.layers)) + 1)))
