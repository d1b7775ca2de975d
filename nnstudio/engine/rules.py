"""The doctor's rules: one function per finding code, reading the run so far.

A rule returns ``(severity, layer, evidence, message, suggestion)`` when its finding holds at
the latest epoch, else None.  Thresholds come from :data:`~.thresholds.THRESHOLDS`; health
measures are judged by their median over the last :data:`RECENT` epochs that measured them
(records of other epochs carry no health), so that one noisy epoch makes no finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..config import ExperimentConfig
from .callbacks import DIVERGENCE_EPOCHS, DIVERGENCE_FACTOR
from .diagnostics import RELU_FAMILY, SATURATING, EpochHealth
from .findings import Suggestion
from .thresholds import THRESHOLDS

T = {name: THRESHOLDS[name].value for name in THRESHOLDS}
RECENT = 3
# findings read from the health measures: their evidence names the epoch those were measured in
# findings whose condition began before they could be seen: the evidence field naming that epoch,
# which becomes the finding's epoch (overfitting began at the best epoch, seen 3 epochs later)
ONSET_FIELDS = {"overfitting": "best_epoch"}
HEALTH_CODES = frozenset({"identical_units", "saturated_units", "dead_units", "vanishing_gradients",
                          "exploding_gradients", "update_ratio_high", "update_ratio_low"})


@dataclass(frozen=True)
class Chance:
    """What predicting without looking at the input scores on the validation split: the
    majority class's accuracy (NaN for regression) and the loss of always predicting the
    training split's class shares (or its mean target)."""

    accuracy: float
    loss: float


@dataclass
class State:
    """What a rule sees: the config, chance levels and the records so far."""

    config: ExperimentConfig
    chance: Chance
    records: list
    diverged_epoch: int = 0
    initial_val_loss: float = math.nan

    @property
    def last(self):
        return self.records[-1]

    def recent_health(self) -> list[EpochHealth]:
        """The health of the last :data:`RECENT` measured epochs, oldest first."""
        found = []
        for r in reversed(self.records):
            if r.health is not None:
                found.append(r.health)
                if len(found) == RECENT:
                    break
        return found[::-1]

    @property
    def health_record(self):
        """The last record that carries health measures (None before the first)."""
        return next((r for r in reversed(self.records) if r.health is not None), None)

    @property
    def last_health(self) -> EpochHealth | None:
        record = self.health_record
        return None if record is None else record.health

    def median_layer(self, attr: str) -> list[float]:
        """Per layer, the median of ``attr`` over the recent epochs."""
        hs = self.recent_health()
        if not hs:
            return []
        values = np.array([[getattr(layer, attr) for layer in h.layers] for h in hs], dtype=float)
        with np.errstate(all="ignore"):
            return [float(np.nanmedian(col)) if np.isfinite(col).any() else math.nan for col in values.T]

    @property
    def saturating(self) -> bool:
        return any(layer.activation in SATURATING for layer in self.config.layers)


Rule = Callable[[State], "tuple[str, str | None, dict, str, Suggestion | None] | None"]
RULES: dict[str, Rule] = {}


def rule(code: str):
    def deco(fn: Rule) -> Rule:
        RULES[code] = fn
        return fn
    return deco


def _init_for(config: ExperimentConfig) -> str:
    acts = {layer.activation for layer in config.layers}
    return "he_normal" if acts and acts <= RELU_FAMILY else "glorot_uniform"


def _lr_down(s: State) -> Suggestion:
    return Suggestion("learning_rate", factor=0.1)


# -- loss dynamics ------------------------------------------------------------------------------

@rule("diverged")
def _diverged(s: State):
    first = s.records[0].train_loss if s.records else math.nan
    if s.diverged_epoch:
        return _stopped_diverging(s)
    if s.records and s.last.train_loss > T["diverged_factor"] * first and s.last.train_loss > s.chance.loss:
        return ("error", None, {"train_loss": s.last.train_loss, "first_train_loss": first},
                f"The training loss grew to {s.last.train_loss / first:.0f}× its first value: the learning rate "
                "is too high for this network (article 3.1, Learning Rate).", _lr_down(s))
    return None


def _stopped_diverging(s: State):
    """Why the trainer ended the run: its last epoch's losses were not finite (no record of
    that epoch), or the validation loss stayed above its bound (that epoch's record is here)."""
    lr, epoch, initial = s.config.learning_rate, s.diverged_epoch, s.initial_val_loss
    last = s.records[-1] if s.records else None
    if last is not None and last.epoch == epoch and math.isfinite(last.val_loss) and math.isfinite(initial):
        return ("error", None, {"epoch": epoch, "val_loss": last.val_loss, "initial_val_loss": initial,
                                "learning_rate": lr},
                f"The validation loss stayed above {DIVERGENCE_FACTOR:g}× its initial value ({initial:.4g}) for "
                f"{DIVERGENCE_EPOCHS} epochs in a row and was {last.val_loss:.4g} in epoch {epoch}: the steps are "
                "so large that training moves away from every minimum (article 3.1, Learning Rate; 3.5, Gradient "
                "Clipping).", _lr_down(s))
    return ("error", None, {"epoch": epoch, "learning_rate": lr},
            f"In epoch {epoch} the loss or a weight became NaN or infinite: the steps are so large that the "
            "weights blew up (article 3.1, Learning Rate; 3.5, Gradient Clipping).", _lr_down(s))


def _at_chance(s: State, record) -> bool:
    c = s.chance
    if math.isfinite(c.accuracy):
        return record.val_accuracy <= c.accuracy + T["chance_margin"] * (1.0 - c.accuracy)
    return record.val_loss >= (1.0 - T["chance_margin"]) * c.loss


@rule("not_learning")
def _not_learning(s: State):
    if s.last.epoch < T["warmup_epochs"] or not _at_chance(s, s.last):
        return None
    c = s.chance
    ev = ({"val_accuracy": s.last.val_accuracy, "chance_accuracy": c.accuracy} if math.isfinite(c.accuracy)
          else {"val_loss": s.last.val_loss, "chance_loss": c.loss})
    suggestion = None
    if s.config.optimizer == "sgd":
        suggestion = Suggestion("optimizer", "adam")
    return ("error", None, ev,
            f"After {s.last.epoch} epochs the network still scores no better than guessing: nothing it "
            "learned reaches the output (article 1, Introduction: a deep network can lose to logistic "
            "regression).", suggestion)


@rule("oscillating_loss")
def _oscillating(s: State):
    w = int(T["oscillation_window"])
    if len(s.records) < w + 1:
        return None
    losses = np.array([r.val_loss for r in s.records[-(w + 1):]])
    d = np.diff(losses)
    changes = np.count_nonzero(np.sign(d[1:]) * np.sign(d[:-1]) < 0) / (len(d) - 1)
    amp = np.abs(d)
    relative = float(amp.mean() / max(np.abs(losses).mean(), 1e-12))
    half = len(amp) // 2
    growing = amp[half:].mean() >= amp[:half].mean()
    if changes < T["oscillation_sign_share"] or relative < T["oscillation_amplitude"] or not growing:
        return None
    return ("warning", None, {"sign_changes": round(changes, 3), "relative_swing": relative,
                              "learning_rate": s.config.learning_rate},
            "The validation loss swings up and down with a growing amplitude: each step overshoots the "
            "minimum, so the learning rate is too high (article 3.1, Learning Rate).", _lr_down(s))


# -- generalization ---------------------------------------------------------------------------------

@rule("overfitting")
def _overfitting(s: State):
    last = s.last
    best = next((r for r in s.records if r.epoch == last.best_epoch), None)
    if best is None or last.epoch - best.epoch < 3:
        return None
    rise = last.val_loss / best.val_loss - 1.0 if best.val_loss > 0 else 0.0
    gap_now, gap_best = last.val_loss - last.train_loss, best.val_loss - best.train_loss
    if rise < T["overfit_rise"] or last.train_loss >= best.train_loss or gap_now <= gap_best:
        return None
    cfg = s.config
    if cfg.l2 == 0 and cfg.l1 == 0:
        suggestion = Suggestion("l2", 1e-3)
    elif cfg.layers and all(layer.dropout_rate == 0 for layer in cfg.layers):
        suggestion = Suggestion("dropout_rate", 0.2)
    else:
        suggestion = None if cfg.early_stopping else Suggestion("early_stopping", True)
    severity = "info" if cfg.early_stopping else "warning"
    tail = ("; early stopping keeps the best epoch's weights" if cfg.early_stopping
            else ", and without early stopping the final weights are the overfitted ones")
    return (severity, None, {"best_epoch": best.epoch, "val_rise": rise, "gap": gap_now, "gap_at_best": gap_best},
            f"Since epoch {best.epoch} the validation loss has risen {rise:.0%} while the training loss keeps "
            f"falling: the network memorizes the training rows{tail} (article 4.2, Regularization Techniques; "
            "3.4, Dropout).", suggestion)


@rule("underfitting")
def _underfitting(s: State):
    w = int(T["oscillation_window"])
    if len(s.records) < w or s.last.epoch < T["warmup_epochs"] or _at_chance(s, s.last):
        return None
    window = s.records[-w:]
    train = np.array([r.train_loss for r in window])
    level, change = float(train[-1]), float(abs(train[0] - train[-1]) / max(train[0], 1e-12))
    if level < T["underfit_share"] * s.chance.loss or change > T["flat_change"]:
        return None
    return ("warning", None, {"train_loss": level, "chance_loss": s.chance.loss, "recent_change": change},
            "Training and validation loss are both high and no longer falling: the network is too small or "
            "learns too slowly to fit the data (article 4.1, Layer Depth and Model Performance).",
            Suggestion("units", factor=2.0) if s.config.layers else None)




# -- per-layer health ---------------------------------------------------------------------------

def _hidden_names(s: State) -> list[str]:
    return [h.name for h in s.last_health.hidden()] if s.last_health is not None else []


@rule("identical_units")
def _identical(s: State):
    if s.last_health is None:
        return None
    bad = [h for h in s.last_health.hidden() if h.units > 1 and h.distinct_units <= T["identical_share"] * h.units]
    if not bad:
        return None
    h = bad[0]
    severity = "error" if h.distinct_units <= T["identical_error_share"] * h.units else "warning"
    init = _init_for(s.config)
    return (severity, h.name, {"distinct_units": h.distinct_units, "units": h.units, "layers_affected": len(bad)},
            f"Only {h.distinct_units} of the {h.units} units of {h.name} differ: units that start with equal "
            "weights get equal gradients and stay copies of each other (article 3.3, Zeros Initialization).",
            None if s.config.init_method == init else Suggestion("init_method", init))


def _worst_layer(s: State, attr: str, threshold: float):
    """(name, value, affected) of the hidden layer with the largest recent median ``attr`` ≥ threshold."""
    values = s.median_layer(attr)[:-1]
    names = _hidden_names(s)
    hits = [(v, n) for v, n in zip(values, names) if math.isfinite(v) and v >= threshold]
    if not hits:
        return None
    value, name = max(hits)
    return name, value, len(hits)


def _steps_too_large(s: State) -> bool:
    return any(r > T["update_ratio_high"] for r in s.median_layer("update_ratio") if math.isfinite(r))


@rule("saturated_units")
def _saturated(s: State):
    worst = _worst_layer(s, "saturated_fraction", T["saturated_warning"])
    if worst is None:
        return None
    name, share, affected = worst
    cfg = s.config
    if cfg.init_method == "random":
        suggestion, cause = Suggestion("init_method", "glorot_uniform"), (
            "N(0, 1) weights make the weighted sums so large that the units start at their bounds")
    elif _steps_too_large(s):
        suggestion, cause = _lr_down(s), "the learning rate's steps push the weighted sums far from 0"
    else:
        suggestion, cause = Suggestion("batch_norm", True), "the weighted sums have grown far from 0"
    # saturation from the start, or while the loss is still high, stalls learning; a network
    # that fits sharp boundaries late in training saturates some units without harm
    first = next((r.health for r in s.records if r.health is not None), None)
    from_start = first is not None and any(
        h.saturated_fraction >= T["saturated_warning"] for h in first.hidden() if math.isfinite(h.saturated_fraction))
    harmful = from_start or s.last.train_loss >= T["underfit_share"] * s.chance.loss
    severity = ("error" if share >= T["saturated_error"] else "warning") if harmful else "info"
    return (severity, name, {"saturated_share": share, "layers_affected": affected},
            f"{share:.0%} of the outputs of {name} sit at the sigmoid/tanh bounds, where the slope is almost "
            f"0 and learning stalls: {cause} (article 3.3, Glorot Initialization).", suggestion)


@rule("dead_units")
def _dead(s: State):
    worst = _worst_layer(s, "dead_fraction", T["dead_info"])
    if worst is None:
        return None
    name, share, affected = worst
    severity = "error" if share >= 1.0 else "warning" if share >= T["dead_warning"] else "info"
    suggestion = _lr_down(s) if _steps_too_large(s) else Suggestion("activation", "leaky_relu")
    return (severity, name, {"dead_share": share, "layers_affected": affected},
            f"{share:.0%} of the units of {name} output 0 for every probe row, so they pass no gradient and "
            "never recover (article 3.3, He Initialization).", suggestion)


def _grad_ratio(s: State) -> float:
    ratios = [h.grad_ratio for h in s.recent_health() if math.isfinite(h.grad_ratio)]
    return float(np.median(ratios)) if ratios and s.config.layers else math.nan


@rule("vanishing_gradients")
def _vanishing(s: State):
    ratio = _grad_ratio(s)
    if not (ratio < T["vanishing_ratio"]):
        return None
    cfg = s.config
    suggestion = Suggestion("activation", "relu") if s.saturating else Suggestion("batch_norm", True)
    return ("warning" if ratio > T["vanishing_ratio"] ** 2 else "error", _hidden_names(s)[0],
            {"first_to_last_gradient": ratio, "hidden_layers": len(cfg.layers)},
            f"The first layer's gradient is {_times(ratio)} smaller than the output layer's: each "
            f"{'sigmoid/tanh ' if s.saturating else ''}layer shrinks it on the way back, so the early layers "
            "barely learn (article 2.1, Adding More Layers; 3.3, Initialization Methods).", suggestion)


@rule("exploding_gradients")
def _exploding(s: State):
    ratio = _grad_ratio(s)
    if not (ratio > T["exploding_ratio"]):
        return None
    cfg = s.config
    suggestion = (Suggestion("init_method", _init_for(cfg)) if cfg.init_method == "random"
                  else Suggestion("clip_type", "norm") if cfg.clip_type == "none" else _lr_down(s))
    return ("warning", _hidden_names(s)[0], {"first_to_last_gradient": ratio},
            f"The first layer's gradient is {ratio:.3g}× the output layer's: it grows on the way back and "
            "makes the early layers' steps erratic (article 3.5, Gradient Clipping).", suggestion)


def _times(ratio: float) -> str:
    return f"{1 / ratio:.3g}×" if ratio > 0 else "infinitely"


def _update_ratios(s: State) -> list[tuple[float, str]]:
    names = [h.name for h in s.last_health.layers] if s.last_health is not None else []
    return [(r, n) for r, n in zip(s.median_layer("update_ratio"), names) if math.isfinite(r)]


@rule("update_ratio_high")
def _update_high(s: State):
    ratios = _update_ratios(s)
    if s.last.epoch < T["warmup_epochs"] or not ratios or max(ratios)[0] <= T["update_ratio_high"]:
        return None
    ratio, name = max(ratios)
    return ("warning", name, {"update_ratio": ratio, "learning_rate": s.config.learning_rate},
            f"Each step changes the weights of {name} by {ratio:.1%} of their size (healthy is near 0.1%): the "
            "learning rate is too high (article 3.1, Learning Rate).", _lr_down(s))


@rule("update_ratio_low")
def _update_low(s: State):
    ratios = _update_ratios(s)
    if s.last.epoch < T["warmup_epochs"] or not ratios or max(ratios)[0] >= T["update_ratio_low"]:
        return None
    if s.last.train_loss < T["underfit_share"] * s.chance.loss:
        return None  # small steps near a good minimum are what convergence looks like
    ratio, name = max(ratios)
    return ("warning", name, {"update_ratio": ratio, "learning_rate": s.config.learning_rate},
            f"Each step changes the weights by at most {ratio:.1e} of their size (healthy is near 1e-3) while "
            "the loss is still high: the learning rate is too low (article 3.1, Learning Rate).",
            Suggestion("learning_rate", factor=10.0))
