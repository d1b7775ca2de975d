"""The search space: which hyperparameters a study varies, and over which ranges or choices.

A :class:`SearchSpace` holds one :class:`Dimension` per entry of :data:`DIMENSIONS`, enabled or
not.  Its default is the article's space:

=================  ===========  =============================================================
dimension          default      config field
=================  ===========  =============================================================
n_layers           1 – 10       number of hidden layers
hidden_size        32 – 128     ``layers[i].units``, one parameter ``hidden_size_i`` per layer
dropout_rate       0 – 0.5      ``layers[*].dropout_rate`` (one rate for every layer)
learning_rate      1e-3 – 1e-1  ``learning_rate`` (log scale)
init_method        five inits   ``init_method`` (the article's five)
clip_type          value, norm  ``clip_type``
clip_value         1e-2 – 1e1   ``grad_clip`` (log scale, so it is never 0)
=================  ===========  =============================================================

Optional, off by default: ``optimizer``, ``batch_size``, ``activation``, ``l2`` (log) and
``batch_norm``.  Categorical choices are checked against the engine's registries.
A space is immutable: :meth:`SearchSpace.replace` returns an edited copy.  It round-trips
through JSON (:meth:`SearchSpace.to_json` / :meth:`SearchSpace.from_json`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace as dc_replace
from typing import Any, Callable, Iterator, Mapping, Sequence

from ..engine import ARTICLE_TUNED_INITS, CLIP_TYPES, INITIALIZERS, OPTIMIZERS, hidden_activation_names
from ..registry import Registry
from ..errors import UserError

SPACE_SCHEMA_VERSION = 1

INT, FLOAT, CATEGORICAL = "int", "float", "categorical"


class SpaceError(UserError, ValueError):
    """A search space is not usable; ``problems`` maps dimension names to what is wrong."""

    def __init__(self, problems: Mapping[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in self.problems.items()))


@dataclass(frozen=True)
class DimensionSpec:
    """What a dimension is: its kind, its default, its limits and where it goes in the config.

    ``minimum``/``maximum`` bound the range a user may enter (``*_open`` excludes the bound);
    ``valid_choices`` lists what a categorical may choose from.
    """

    name: str
    kind: str
    label: str
    help: str
    enabled: bool = False
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    minimum_open: bool = False
    maximum_open: bool = False
    valid_choices: Callable[[], Sequence] | None = None
    choice_type: type = str

    def default(self) -> "Dimension":
        return Dimension(self.name, self.enabled, self.low, self.high, self.log, self.choices)


DIMENSIONS: Registry[DimensionSpec] = Registry("search dimension")


def _register(spec: DimensionSpec) -> None:
    DIMENSIONS.register(spec.name, spec)


# The article's space.
_register(DimensionSpec(
    "n_layers", INT, "Hidden layers", "How many hidden layers the network has (its depth).",
    enabled=True, low=1, high=10, minimum=1, maximum=50))
_register(DimensionSpec(
    "hidden_size", INT, "Units per layer",
    "Units of each hidden layer, drawn separately for every layer as hidden_size_0, hidden_size_1, ...",
    enabled=True, low=32, high=128, minimum=1, maximum=4096))
_register(DimensionSpec(
    "dropout_rate", FLOAT, "Dropout rate",
    "Probability p of zeroing a hidden unit in training (inverted dropout: kept units are scaled by "
    "1/(1−p)); one rate for every hidden layer, as in the article.",
    enabled=True, low=0.0, high=0.5, minimum=0.0, maximum=1.0, maximum_open=True))
_register(DimensionSpec(
    "learning_rate", FLOAT, "Learning rate",
    "Step size of the optimizer. Searched on a log scale: 1e-3 to 1e-2 gets as many trials as 1e-2 to 1e-1.",
    enabled=True, low=1e-3, high=1e-1, log=True, minimum=0.0, minimum_open=True, maximum=10.0))
_register(DimensionSpec(
    "init_method", CATEGORICAL, "Initializer",
    "How the weights are drawn before training (biases start at zero).",
    enabled=True, choices=ARTICLE_TUNED_INITS, valid_choices=INITIALIZERS.names))
_register(DimensionSpec(
    "clip_type", CATEGORICAL, "Clip type",
    "value: clip each gradient component into [−t, t]; norm: rescale each tensor to L2 norm ≤ t; "
    "global_norm: rescale all gradients together to joint norm ≤ t.",
    enabled=True, choices=("value", "norm"), valid_choices=CLIP_TYPES.names))
_register(DimensionSpec(
    "clip_value", FLOAT, "Clip threshold",
    "The clipping threshold t (config grad_clip). Always > 0: a threshold of 0 would zero every gradient. "
    "Drawn only when the clip type is not 'none'.",
    enabled=True, low=1e-2, high=1e1, log=True, minimum=0.0, minimum_open=True))
# Optional dimensions, off by default.
_register(DimensionSpec(
    "optimizer", CATEGORICAL, "Optimizer", "The update rule (sgd, momentum, adam...).",
    choices=("sgd", "momentum", "adam"), valid_choices=OPTIMIZERS.names))
_register(DimensionSpec(
    "batch_size", CATEGORICAL, "Batch size", "Rows per mini-batch; 0 means one full batch per epoch.",
    choices=(32, 64, 128, 256), choice_type=int))
_register(DimensionSpec(
    "activation", CATEGORICAL, "Activation", "The activation of every hidden layer.",
    choices=("sigmoid", "tanh", "relu"), valid_choices=hidden_activation_names))
_register(DimensionSpec(
    "l2", FLOAT, "L2 penalty",
    "Weight of the penalty λ·Σw² added to the loss (weights only). Searched on a log scale.",
    low=1e-6, high=1e-2, log=True, minimum=0.0))
_register(DimensionSpec(
    "batch_norm", CATEGORICAL, "Batch norm", "Normalize each hidden layer's pre-activations over the batch.",
    choices=(False, True), choice_type=bool))


@dataclass(frozen=True)
class Dimension:
    """One dimension's settings: a range (``low``, ``high``, ``log``) or ``choices``."""

    name: str
    enabled: bool = True
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "choices", tuple(self.choices))

    @property
    def spec(self) -> DimensionSpec:
        return DIMENSIONS[self.name]

    def problem(self) -> str:
        """What is wrong with these settings ('' when they are valid)."""
        spec = self.spec
        if spec.kind == CATEGORICAL:
            return _choice_problem(spec, self.choices)
        return _range_problem(spec, self.low, self.high, self.log)

    def describe(self) -> str:
        """A short human-readable form: ``1e-3 – 0.1 (log)`` or ``value, norm``."""
        if self.spec.kind == CATEGORICAL:
            return ", ".join(_format_choice(c) for c in self.choices)
        return f"{format_number(self.low)} – {format_number(self.high)}" + (" (log)" if self.log else "")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"enabled": self.enabled}
        if self.spec.kind == CATEGORICAL:
            d["choices"] = list(self.choices)
        else:
            d.update(low=self.low, high=self.high, log=self.log)
        return d


def format_number(x, missing: str = "?") -> str:
    """A bound as typed: whole numbers without a point, others in ``g`` format; None as ``missing``."""
    if x is None:
        return missing
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    return f"{x:g}"


def _format_choice(c) -> str:
    if isinstance(c, bool):
        return "on" if c else "off"
    if c == 0 and isinstance(c, int):
        return "full batch"
    return str(c)


def _is_number(x, integer: bool) -> bool:
    if isinstance(x, bool):
        return False
    if integer:
        return isinstance(x, int)
    return isinstance(x, (int, float)) and math.isfinite(x)


def _range_problem(spec: DimensionSpec, low, high, log: bool) -> str:
    integer = spec.kind == INT
    kind = "an integer" if integer else "a finite number"
    for which, value in (("low", low), ("high", high)):
        if not _is_number(value, integer):
            return f"{which} must be {kind}, not {value!r}"
    if not isinstance(log, bool):
        return f"log must be true or false, not {log!r}"
    if not low < high:
        return f"low ({format_number(low)}) must be below high ({format_number(high)})"
    if spec.minimum is not None and (low <= spec.minimum if spec.minimum_open else low < spec.minimum):
        return f"low must be {'>' if spec.minimum_open else '>='} {format_number(spec.minimum)}"
    if spec.maximum is not None and (high >= spec.maximum if spec.maximum_open else high > spec.maximum):
        return f"high must be {'<' if spec.maximum_open else '<='} {format_number(spec.maximum)}"
    if log and low <= 0:
        return "a log range needs low > 0"
    return ""


def _choice_problem(spec: DimensionSpec, choices: tuple) -> str:
    if not choices:
        return "choose at least one value"
    if len(set(map(repr, choices))) != len(choices):
        return "a value is listed twice"
    for c in choices:
        if spec.choice_type is int and not (_is_number(c, True) and c >= 0):
            return f"{c!r} is not a batch size (a whole number, 0 for full batch)"
        if spec.choice_type is bool and not isinstance(c, bool):
            return f"{c!r} is not true or false"
        if spec.choice_type is str and not isinstance(c, str):
            return f"{c!r} is not a name"
    if spec.valid_choices is not None:
        valid = list(spec.valid_choices())
        unknown = [c for c in choices if c not in valid]
        if unknown:
            return f"unknown {', '.join(map(str, unknown))}; choose from {', '.join(map(str, valid))}"
    return ""


@dataclass(frozen=True)
class SearchSpace:
    """All dimensions of :data:`DIMENSIONS`, in registry order, each enabled or not."""

    dimensions: tuple[Dimension, ...] = field(default_factory=tuple)  # missing ones take their defaults

    def __post_init__(self):
        given = {d.name: d for d in self.dimensions}
        for name in given:
            DIMENSIONS[name]  # an unknown name raises, listing the valid ones
        ordered = tuple(given.get(name, DIMENSIONS[name].default()) for name in DIMENSIONS)
        object.__setattr__(self, "dimensions", ordered)

    @classmethod
    def default(cls) -> "SearchSpace":
        """The article's space (optional dimensions off)."""
        return cls()

    def __getitem__(self, name: str) -> Dimension:
        for d in self.dimensions:
            if d.name == name:
                return d
        DIMENSIONS[name]  # raises UnknownNameError listing the valid names
        raise AssertionError(name)

    def __iter__(self) -> Iterator[Dimension]:
        return iter(self.dimensions)

    def enabled(self) -> list[Dimension]:
        return [d for d in self.dimensions if d.enabled]

    def is_enabled(self, name: str) -> bool:
        return self[name].enabled

    def replace(self, name: str, **changes) -> "SearchSpace":
        """A copy with dimension ``name`` changed (``enabled``, ``low``, ``high``, ``log``, ``choices``)."""
        new = dc_replace(self[name], **changes)
        return SearchSpace(tuple(new if d.name == name else d for d in self.dimensions))

    # -- checks ----------------------------------------------------------------
    def problems(self) -> dict[str, str]:
        """Dimension name -> what is wrong, for enabled dimensions only."""
        return {d.name: msg for d in self.enabled() if (msg := d.problem())}

    def validate(self) -> "SearchSpace":
        """Return self, or raise :class:`SpaceError` listing every problem."""
        problems = self.problems()
        if problems:
            raise SpaceError(problems)
        return self

    # -- serialization ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SPACE_SCHEMA_VERSION,
                "dimensions": {d.name: d.to_dict() for d in self.dimensions}}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "SearchSpace":
        """Build and validate a space; dimensions not mentioned keep their defaults.

        Raises :class:`SpaceError` for unknown dimensions or keys and invalid settings.
        """
        if not isinstance(raw, Mapping) or not isinstance(raw.get("dimensions"), Mapping):
            raise SpaceError({"space": "expected a JSON object with a 'dimensions' object"})
        version = raw.get("schema_version", SPACE_SCHEMA_VERSION)
        if version != SPACE_SCHEMA_VERSION:
            raise SpaceError({"schema_version": f"{version!r} is not supported (expected {SPACE_SCHEMA_VERSION})"})
        dims, problems = [], {}
        for name, settings in raw["dimensions"].items():
            if name not in DIMENSIONS:
                problems[name] = f"unknown dimension; choose from {', '.join(DIMENSIONS.names())}"
                continue
            try:
                dims.append(_dimension_from_dict(DIMENSIONS[name], settings))
            except ValueError as exc:
                problems[name] = str(exc)
        if problems:
            raise SpaceError(problems)
        return cls(tuple(dims)).validate()

    @classmethod
    def from_json(cls, text: str) -> "SearchSpace":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpaceError({"space": f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"}) from None
        return cls.from_dict(raw)


def _dimension_from_dict(spec: DimensionSpec, settings: Any) -> Dimension:
    if not isinstance(settings, Mapping):
        raise ValueError("expected a JSON object")
    keys = {"enabled", "choices"} if spec.kind == CATEGORICAL else {"enabled", "low", "high", "log"}
    unknown = set(settings) - keys
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r}; expected {', '.join(sorted(keys))}")
    default = spec.default()
    enabled = settings.get("enabled", default.enabled)
    if not isinstance(enabled, bool):
        raise ValueError(f"enabled must be true or false, not {enabled!r}")
    if spec.kind == CATEGORICAL:
        choices = settings.get("choices", list(default.choices))
        if not isinstance(choices, list):
            raise ValueError(f"choices must be a list, not {choices!r}")
        return Dimension(spec.name, enabled, choices=tuple(choices))
    low, high = settings.get("low", default.low), settings.get("high", default.high)
    if spec.kind == FLOAT:  # JSON writes 0.0 as 0; a float range holds floats
        low = float(low) if _is_number(low, False) else low
        high = float(high) if _is_number(high, False) else high
    return Dimension(spec.name, enabled, low, high, settings.get("log", default.log))
