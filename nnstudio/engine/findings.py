"""What the training doctor reports: findings, and the one config edit each suggests.

A :class:`Finding` is immutable and plain (it crosses process boundaries and becomes JSON).
A :class:`Suggestion` is one concrete edit of an :class:`~nnstudio.config.ExperimentConfig`,
written as text the way it is shown (``init_method: he_normal``, ``learning_rate: ×0.1``,
``dropout_rate: 0.2``) and parsed back from that text, so the text is its only form.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

from ..config import ConfigError, ExperimentConfig

SEVERITIES = ("info", "warning", "error")

#: Every finding code, causes before symptoms: the order in which a run's "top finding" is chosen.
CODES = ("diverged", "identical_units", "vanishing_gradients", "exploding_gradients", "update_ratio_high",
         "oscillating_loss", "saturated_units", "dead_units", "update_ratio_low", "not_learning",
         "overfitting", "underfitting")

# Fields a suggestion may edit; the layer fields change every hidden layer.
CONFIG_FIELDS = ("init_method", "learning_rate", "optimizer", "early_stopping", "l2", "clip_type")
LAYER_FIELDS = ("activation", "dropout_rate", "units", "batch_norm")
SCALE_SIGN = "×"


class SuggestionError(ValueError):
    """A suggestion's text cannot be read; the message says why."""


@dataclass(frozen=True)
class Suggestion:
    """Set ``field`` to ``value``, or multiply it by ``factor`` (exactly one of the two is set)."""

    field: str
    value: Any = None
    factor: float | None = None

    @property
    def text(self) -> str:
        if self.factor is not None:
            return f"{self.field}: {SCALE_SIGN}{self.factor:g}"
        return f"{self.field}: {json.dumps(self.value) if not isinstance(self.value, str) else self.value}"

    def __str__(self) -> str:
        return self.text

    @classmethod
    def parse(cls, text: str) -> "Suggestion":
        """The suggestion written as ``field: value`` or ``field: ×factor``."""
        name, sep, raw = str(text).partition(":")
        name, raw = name.strip(), raw.strip()
        if not sep or not raw:
            raise SuggestionError(f"{text!r}: expected 'field: value' or 'field: {SCALE_SIGN}factor'")
        if name not in CONFIG_FIELDS + LAYER_FIELDS:
            raise SuggestionError(f"{text!r}: cannot edit {name!r}; editable: {', '.join(CONFIG_FIELDS + LAYER_FIELDS)}")
        if raw[0] in (SCALE_SIGN, "x", "*"):
            try:
                factor = float(raw[1:])
            except ValueError:
                raise SuggestionError(f"{text!r}: {raw[1:]!r} is not a number") from None
            if not (math.isfinite(factor) and factor > 0):
                raise SuggestionError(f"{text!r}: the factor must be a positive number")
            return cls(name, factor=factor)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw  # a bare name such as he_normal
        return cls(name, value=value)

    def apply(self, config: ExperimentConfig) -> ExperimentConfig:
        """``config`` with this edit made (checked; raises ``ConfigError`` for a bad result)."""
        def edit(old):
            if self.factor is None:
                return self.value
            new = old * self.factor
            return max(1, int(round(new))) if isinstance(old, int) and not isinstance(old, bool) else new

        if self.field in LAYER_FIELDS:
            if not config.layers:
                raise ConfigError(self.field, self.text, "a network with hidden layers")
            layers = [layer.__class__(**{**layer.__dict__, self.field: edit(getattr(layer, self.field))})
                      for layer in config.layers]
            return config.replace(layers=layers).validate()
        return config.replace(**{self.field: edit(getattr(config, self.field))}).validate()


@dataclass(frozen=True)
class Finding:
    """One diagnosis.  ``evidence`` holds the numbers behind it as (name, value) pairs;
    ``epoch`` is where it was first seen (the start of its current streak)."""

    code: str
    severity: str
    layer: str | None
    epoch: int
    evidence: tuple[tuple[str, float], ...]
    message: str
    suggestion: Suggestion | None = None

    def __post_init__(self):
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def rank(self) -> int:
        return SEVERITIES.index(self.severity)

    def evidence_dict(self) -> dict[str, float]:
        return dict(self.evidence)

    def evidence_text(self) -> str:
        """The evidence as data: ``name value`` pairs with the field names."""
        return ", ".join(f"{name} {_fmt(value)}" for name, value in self.evidence)

    def evidence_display(self) -> str:
        """The evidence as a reader wants it: labels in words, shares in percent (see :data:`EVIDENCE_LABELS`)."""
        return ", ".join(evidence_label(name, value) for name, value in self.evidence)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "layer": self.layer, "epoch": self.epoch,
                "evidence": {k: _json_number(v) for k, v in self.evidence}, "message": self.message,
                "suggestion": None if self.suggestion is None else self.suggestion.text}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Finding":
        suggestion = d.get("suggestion")
        return cls(d["code"], d["severity"], d.get("layer"), int(d["epoch"]),
                   tuple((k, float(v) if v is not None else math.nan) for k, v in d["evidence"].items()),
                   d["message"], Suggestion.parse(suggestion) if suggestion else None)


@dataclass(frozen=True)
class Cleared:
    """A finding that held earlier in the run and holds no longer: ``finding`` as last seen,
    seen from ``first_epoch`` to ``last_epoch`` (it may have come and gone in between)."""

    finding: Finding
    first_epoch: int
    last_epoch: int

    @property
    def epochs(self) -> str:
        """``epoch 7`` or ``epochs 7–12``."""
        if self.first_epoch == self.last_epoch:
            return f"epoch {self.first_epoch}"
        return f"epochs {self.first_epoch}\u2013{self.last_epoch}"


#: How each evidence field reads: the label with ``{}`` where the value goes, and how the value is
#: written: "int" a count or an epoch, "pct" a share in percent, "num" a loss or a ratio, "g" a setting.
EVIDENCE_LABELS: dict[str, tuple[str, str]] = {
    "epoch": ("diverged in epoch {}", "int"),
    "learning_rate": ("learning rate {}", "g"),
    "val_loss": ("validation loss {}", "num"),
    "initial_val_loss": ("initial validation loss {}", "num"),
    "train_loss": ("training loss {}", "num"),
    "first_train_loss": ("first epoch's training loss {}", "num"),
    "val_accuracy": ("validation accuracy {}", "pct"),
    "chance_accuracy": ("accuracy by always guessing the commonest class {}", "pct"),
    "chance_loss": ("loss of a guess that ignores the input {}", "num"),
    "sign_changes": ("validation loss changed direction in {} of epochs", "pct"),
    "relative_swing": ("mean swing {} of the loss", "pct"),
    "best_epoch": ("best epoch {}", "int"),
    "val_rise": ("validation loss rose {} from its best", "pct"),
    "gap": ("train/validation gap now {}", "num"),
    "gap_at_best": ("train/validation gap at best {}", "num"),
    "recent_change": ("training loss changed {} over the recent epochs", "pct"),
    "distinct_units": ("distinct units {}", "int"),
    "units": ("units in the layer {}", "int"),
    "layers_affected": ("layers affected {}", "int"),
    "saturated_share": ("saturated outputs {}", "pct"),
    "dead_share": ("dead units {}", "pct"),
    "first_to_last_gradient": ("first/output layer gradient ratio {}", "num"),
    "hidden_layers": ("hidden layers {}", "int"),
    "update_ratio": ("update/weight ratio {}", "pct"),
    "measured_at_epoch": ("measured at epoch {}", "int"),
}


def evidence_label(name: str, value: float) -> str:
    """One evidence field in words: ``saturated_share 1`` reads "saturated outputs 100%"."""
    label, kind = EVIDENCE_LABELS.get(name, (name.replace("_", " ") + " {}", "num"))
    if not math.isfinite(value):
        shown = "not measured" if math.isnan(value) else _fmt(value)
    elif kind == "pct":
        shown = f"{value * 100:.0f}%" if abs(value) >= 0.1 else f"{value * 100:.2g}%"
    elif kind == "int":
        shown = f"{value:.0f}"
    elif kind == "g":
        shown = f"{value:g}"
    else:
        shown = _fmt(value)
    return label.format(shown)


def top_finding(findings) -> Finding | None:
    """The finding to show first: warnings and errors before infos, then causes before symptoms."""
    findings = list(findings)
    if not findings:
        return None
    return min(findings, key=lambda f: (f.severity == "info", CODES.index(f.code), -f.rank))


def common_top_code(runs) -> str:
    """Over several runs' findings, the most common top finding of warning or error severity
    (ties: the earlier code in :data:`CODES`); "" when no run has one."""
    tops = [top_finding(f for f in findings if f.severity != "info") for findings in runs]
    codes = [t.code for t in tops if t is not None]
    if not codes:
        return ""
    return min(set(codes), key=lambda c: (-codes.count(c), CODES.index(c)))


def worst_severity(findings) -> str | None:
    ranks = [f.rank for f in findings]
    return SEVERITIES[max(ranks)] if ranks else None


def _fmt(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def _json_number(value: float):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
