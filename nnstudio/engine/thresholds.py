"""Every threshold the training doctor uses, in one table, each with where it comes from.

``THRESHOLDS[name].value``; the table is printed in the README.  "Measured here" means a
figure measured with this engine (the figures are in the notes beside the entry).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..registry import Registry


@dataclass(frozen=True)
class Threshold:
    name: str
    value: float
    meaning: str
    source: str


THRESHOLDS: Registry[Threshold] = Registry("threshold")

for _t in (
    Threshold("saturation_margin", 0.01,
              "an output within this share of the output range from a bound is saturated",
              "the doctor's definition (outputs within 1% of their bounds); Glorot & Bengio (2010) "
              "on sigmoid layers saturating near 0"),
    Threshold("saturated_warning", 0.25,
              "a sigmoid/tanh layer with at least this share of saturated outputs is flagged",
              "measured here: N(0, 1) weights on digits saturate 60-80% of a sigmoid layer's "
              "outputs (50% on the article network), Glorot weights under 10%"),
    Threshold("saturated_error", 0.9,
              "a sigmoid/tanh layer this saturated hardly learns at all",
              "measured here: a learning rate 100× too high saturates 98% of the article network's outputs"),
    Threshold("dead_warning", 0.5,
              "a ReLU-family layer with at least this share of units never active is flagged",
              "keras-contrib DeadReluDetector (a unit never active on the probe set is dead); "
              "measured here: healthy presets keep under 25% dead"),
    Threshold("dead_info", 0.25,
              "share of dead units worth mentioning",
              "measured here: healthy presets keep under 25% dead"),
    Threshold("identical_rtol", 1e-3,
              "units whose weights and bias differ by at most this share of the layer's RMS column norm "
              "are the same unit", "the doctor's tolerance for 'columns of W equal'"),
    Threshold("identical_share", 0.5,
              "a hidden layer with at most this share of distinct units is flagged",
              "zeros initialization leaves exactly 1 distinct unit per layer (the article's 3.3)"),
    Threshold("identical_error_share", 0.1,
              "a hidden layer with at most this share of distinct units is an error",
              "measured here: zeros initialization keeps 1-3 distinct units of 64 (rounding splits a few)"),
    Threshold("update_ratio_high", 10 ** -1.5,
              "‖ΔW‖/‖W‖ per step above this: the learning rate is too high",
              "CS231n notes (neural-networks-3): healthy near 1e-3; measured here: lr 1 on digits "
              "with SGD diverges"),
    Threshold("update_ratio_low", 10 ** -4.5,
              "‖ΔW‖/‖W‖ per step below this while the loss is still high: the learning rate is too low",
              "CS231n notes: healthy near 1e-3; measured here (digits, SGD): lr 1e-3 gives 1e-4 "
              "and 0.43 accuracy after 300 steps, lr 0.1 gives 1e-3 and 0.985"),
    Threshold("vanishing_ratio", 1e-2,
              "first/last layer gradient norm below this: gradients vanish on the way back",
              "Glorot & Bengio (2010); Schoenholz et al. (2017): at the critical variance the ratio "
              "stays near 1 (measured here: 20-layer tanh with Glorot, 1.4)"),
    Threshold("exploding_ratio", 1e2,
              "first/last layer gradient norm above this: gradients explode on the way back",
              "measured here: 20-layer tanh with N(0, 1) weights, 1e5 against the output layer in the "
              "first epoch (1.8 million against the last hidden layer)"),
    Threshold("warmup_epochs", 5,
              "epochs before 'not learning' can be judged (the loss dynamics need a few epochs)",
              "the doctor's choice; also at least 10% of the planned epochs"),
    Threshold("chance_margin", 0.05,
              "validation accuracy within this share of (1 − chance) above chance counts as chance level",
              "chance = the majority class's share of the validation rows"),
    Threshold("oscillation_window", 8,
              "recent epochs whose training-loss differences are examined for oscillation",
              "the doctor's choice"),
    Threshold("oscillation_sign_share", 0.7,
              "share of sign changes among successive loss differences that counts as oscillating",
              "a monotone or noisy-but-falling loss changes sign in well under half of them"),
    Threshold("oscillation_amplitude", 0.1,
              "mean size of the loss differences, relative to the loss, above which a swing matters",
              "the doctor's choice; healthy runs' validation loss moves about 1% per epoch late in training"),
    Threshold("diverged_factor", 10.0,
              "a training loss this many times its first value counts as diverged",
              "the doctor's choice; a non-finite loss or parameter always does"),
    Threshold("overfit_rise", 0.1,
              "validation loss this share above its best, with training loss still falling",
              "the article's 4.2 (training loss falls while validation loss rises)"),
    Threshold("underfit_share", 0.3,
              "training loss above this share of the chance-level loss, and flat, is underfitting",
              "measured here: logistic regression on moons levels off at 0.42 of chance, healthy presets "
              "end below 0.25"),
    Threshold("flat_change", 0.05,
              "relative change of the training loss over the recent window below this counts as flat",
              "the doctor's choice (under about 0.6% per epoch over the window)"),
):
    THRESHOLDS.register(_t.name, _t)
