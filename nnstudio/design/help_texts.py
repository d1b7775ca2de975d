"""What every control means: a short tooltip (formula and effect) and a longer help page.

Formulas of registry entries are read from the registries (``formula`` attributes, the clip
help), so a new activation, initializer, optimizer or schedule explains itself here too.
Keys are config field paths (``"learning_rate"``, ``"schedule.gamma"``) or control names.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..config import TRAIN_METRICS
from ..data import DATASETS
from ..engine import ACTIVATIONS, CLIP_HELP, INITIALIZERS, LOSSES, OPTIMIZERS, SCHEDULES


@dataclass(frozen=True)
class Help:
    title: str
    tip: str   # one or two lines: the formula and its effect
    body: str  # HTML paragraphs for the help pane


LIVE_NOTE = ("It can be changed while a run trains or is paused: the run takes the new value at its next "
             "mini-batch, and the Train tab marks the change on the loss and learning-rate plots.")


def _p(*paragraphs: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _table(rows: list[tuple[str, str]], current: str = "") -> str:
    cells = []
    for name, formula in rows:
        style = ' style="background:#e8f0fe"' if name == current else ""
        cells.append(f"<tr{style}><td><b>{html.escape(name)}</b></td><td>{html.escape(formula)}</td></tr>")
    return '<table cellspacing="0" cellpadding="3">' + "".join(cells) + "</table>"


def _formulas(registry) -> list[tuple[str, str]]:
    return [(name, getattr(item, "formula", "") or "") for name, item in registry.items()]


HELP: dict[str, Help] = {
    "dataset": Help(
        "Data set",
        "The data the network learns from. Built-in sets load instantly; Import CSV… reads your own table.",
        _p("The 2-D sets (moons, circles, xor, gaussians, spiral) can be drawn, so the Train tab shows the "
           "decision boundary as the network learns it. The others are classic small tables: digits is the "
           "article's data set (8×8 images, 10 classes).",
           "Features are standardized with the <i>training</i> split's mean and standard deviation only, "
           "so no information from validation or test data leaks into training.")),
    "import_csv": Help(
        "Import CSV",
        "Use a CSV file: one row per sample, one column is the target (a class label or a number).",
        _p("The target column decides the task: class labels make a classification task, numbers a "
           "regression task (mse loss, linear output). The panel shows which one was found.",
           "The file is read in the background; its sizes appear when it has loaded, and any problem "
           "with it is shown here instead of stopping the window.")),
    "data.val_fraction": Help(
        "Validation fraction",
        "Share of rows held out to watch over-fitting and for early stopping (never trained on).",
        _p("Validation loss drives early stopping, the plateau schedule and the choice of the best epoch. "
           "Validation plus test must stay below 0.9 so that training keeps at least 10% of the rows.",
           "Classification splits are stratified: each class keeps its share in every split.")),
    "data.test_fraction": Help(
        "Test fraction",
        "Share of rows held out and used once, after training, to report an unbiased score.",
        _p("Tuning on the test set makes its score optimistic; nnstudio tunes and stops on the validation "
           "split and reports the test metrics once, for the final parameters.")),
    "data.split_seed": Help(
        "Split seed", "Which rows go to train / validation / test (and the noise of generated sets).",
        _p("The same seed always gives the same split, so runs are comparable.")),
    "data.standardize": Help(
        "Standardize", "z = (x − mean) / std per feature, with the training split's statistics.",
        _p("Standardized inputs keep pre-activations in the range where activations have useful slopes; "
           "the initializers' variance formulas assume inputs of unit variance.")),
    "layers": Help(
        "Hidden layers",
        "Dense(units) → [batch norm] → activation → [inverted dropout], top to bottom. "
        "Del removes, Ctrl+D duplicates, Alt+↑/↓ moves, Insert adds.",
        _p("The input size follows the data set's features and the output size its classes (or 1 for "
           "regression); both are shown locked at the ends of the list.",
           "Grow depth one layer at a time and watch the validation loss and the train/validation gap: "
           "more layers help until the gap widens (over-fitting) or training stalls (vanishing gradients).",
           "Drag rows to reorder them.")),
    "layer.units": Help(
        "Units", "Neurons in this layer: z = x·W + b with W of shape (fan_in, units).",
        _p("Wider layers can fit more complex functions and over-fit more easily. The layer has "
           "fan_in × units weights plus units biases (plus 2 × units for batch norm).")),
    "layer.activation": Help(
        "Activation", "The non-linearity applied after this layer.",
        _p("Without a non-linearity, stacked layers collapse into one linear map.") + _table(
            [(n, a.formula) for n, a in ACTIVATIONS.items() if a.hidden])
        + _p("Sigmoid and tanh saturate for large |z| (their slopes vanish), which is why large initial "
             "weights stall training; relu keeps a slope of 1 for positive inputs (He initialization suits it).")),
    "layer.dropout_rate": Help(
        "Dropout rate p",
        "Inverted dropout: in training keep each unit with probability 1 − p and scale kept values by 1/(1 − p).",
        _p("The scaling keeps each unit's expected value unchanged, so at evaluation time nothing is "
           "dropped and nothing is rescaled. Dropout is never applied to the output layer.",
           "p = 0 disables it; 0.1–0.5 is common. Rates near 1 leave almost no signal.", LIVE_NOTE)),
    "layer.batch_norm": Help(
        "Batch normalization",
        "x̂ = (z − μ_batch) / √(σ²_batch + ε);  y = γ·x̂ + β, before the activation.",
        _p("Each unit's pre-activation is normalized over the mini-batch, then scaled and shifted by the "
           "learned γ and β. Evaluation uses running averages of μ and σ² (momentum 0.9).",
           "It lets deeper networks train with larger learning rates; with tiny batches its statistics "
           "are noisy.")),
    "output_activation": Help(
        "Output activation", "How the last layer's z becomes the prediction p.",
        _p("softmax gives class probabilities that sum to 1 (pair it with categorical cross-entropy); "
           "sigmoid gives independent probabilities in (0, 1) (pair it with log loss, or mse); "
           "linear leaves values unbounded (regression, with mse).") + _table(_formulas(ACTIVATIONS))),
    "loss_func": Help(
        "Loss", "The quantity training minimizes; p: prediction, y: target.",
        _table(_formulas(LOSSES))
        + _p("With sigmoid + log loss or softmax + categorical cross-entropy the output gradient is "
             "simply dL/dz = (p − y)/n. With sigmoid + mse it carries the sigmoid's slope p(1 − p), "
             "which vanishes for confident wrong answers.",
             "log loss is binary cross-entropy: it needs a 2-class data set. Logs are clipped with the "
             "float type's epsilon so log(0) never occurs.")),
    "init_method": Help(
        "Initial weights", "How W is drawn before training; biases start at 0.",
        _table(_formulas(INITIALIZERS))
        + _p("Glorot (Xavier) keeps the variance of activations and gradients near 1 for tanh/sigmoid: "
             "Var(W) = 2 / (fan_in + fan_out), i.e. a uniform limit √(6 / (fan_in + fan_out)).",
             "He doubles the fan-in variance for relu, which zeroes half its inputs: Var(W) = 2 / fan_in, "
             "a uniform limit √(6 / fan_in).",
             "zeros never breaks the symmetry between units; random N(0, 1) saturates sigmoid units once "
             "fan_in is large. Both are kept to show why the others exist.")),
    "optimizer": Help(
        "Optimizer", "How each gradient g becomes a parameter update.",
        _table(_formulas(OPTIMIZERS))
        + _p("Adam keeps running means of g (β1) and g² (β2), corrects their start-up bias "
             "(m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ)) and divides, so every parameter gets a step of "
             "roughly lr whatever its gradient's scale. AdamW adds weight decay outside the adaptive "
             "step, which regularizes as intended.")),
    "learning_rate": Help(
        "Learning rate", "Step size lr in θ ← θ − lr·update. Arrows step through 1, 2, 5 × 10ⁿ.",
        _p("The main knob. Too small: slow progress; too large: the loss oscillates or diverges (NaN). "
           "Try values a factor of 2–3 apart on a log scale. SGD usually wants 0.01–0.5, Adam 1e-4–1e-2.",
           "A schedule changes the rate over the epochs; the Train tab plots the rate used.", LIVE_NOTE,
           "A change while training rescales the schedule: the run continues with the rate the schedule "
           "would give at that epoch had it started from the new rate.")),
    "momentum": Help(
        "Momentum μ", "v ← μ·v − lr·g;  θ ← θ + v. Averages recent steps over about 1/(1 − μ) updates.",
        _p("Momentum keeps moving along directions where gradients agree and damps oscillation across "
           "ravines. Nesterov evaluates the step at the look-ahead point.")),
    "beta1": Help(
        "β1", "m ← β1·m + (1 − β1)·g: decay of Adam's running mean of gradients.",
        _p("0.9 averages about the last 10 steps.")),
    "beta2": Help(
        "β2", "v ← β2·v + (1 − β2)·g²: decay of Adam's running mean of squared gradients.",
        _p("0.999 averages about the last 1000 steps; the update divides by √v̂.")),
    "epsilon": Help(
        "ε", "Added to the denominator √v̂ + ε so that it is never zero.",
        _p("Larger ε makes Adam and RMSprop behave more like SGD with momentum for small gradients.")),
    "rho": Help(
        "ρ", "s ← ρ·s + (1 − ρ)·g²: decay of RMSprop's running mean of squared gradients.",
        _p("The update is lr·g / (√s + ε): each parameter's step is scaled by its recent gradient size.")),
    "weight_decay": Help(
        "Weight decay λ", "AdamW: θ ← θ − lr·λ·θ on weights (not biases), outside the adaptive step.",
        _p("Decoupled weight decay shrinks weights toward zero at a rate that does not depend on the "
           "gradient's scale, unlike an L2 penalty fed through Adam.")),
    "schedule.name": Help(
        "Learning-rate schedule", "How the learning rate changes with the epoch (0-based).",
        _table(_formulas(SCHEDULES))
        + _p("Large steps early find a good region; smaller ones later settle into it.")),
    "schedule.gamma": Help(
        "γ", "The factor the rate is multiplied by (per step, per epoch or per plateau), 0 < γ ≤ 1.",
        _p("Step: lr·γ^⌊epoch/step_size⌋; exponential: lr·γ^epoch; plateau: ×γ after a plateau.")),
    "schedule.step_size": Help(
        "Step size", "Epochs between two decays of the step schedule.", _p("lr·γ^⌊epoch / step_size⌋")),
    "schedule.patience": Help(
        "Plateau patience", "Epochs without a better validation loss before the rate is multiplied by γ.",
        _p("Only the plateau schedule uses it.")),
    "schedule.min_lr": Help(
        "Minimum rate", "The schedule never goes below this rate (the floor of cosine's curve).",
        _p("cosine: min_lr + (lr − min_lr)·(1 + cos(π·epoch/epochs))/2.")),
    "batch_size": Help(
        "Batch size", "Samples per gradient step; 0 means full batch (one step per epoch).",
        _p("Small batches give noisy but many updates per epoch; the noise can help generalization. "
           "Full batch gives exact gradients and few updates. Batch norm needs batches of a few samples "
           "at least.")),
    "epochs": Help(
        "Epochs", "Passes over the training split (an upper bound when early stopping is on).",
        _p("Every epoch records train and validation loss and accuracy, the learning rate, per-layer "
           "gradient norms and weight histograms.")),
    "clip_type": Help(
        "Gradient clipping", "Bound the gradient before the optimizer step (threshold t).",
        _table(list(CLIP_HELP.items()))
        + _p("'norm' rescales each tensor on its own (the article's clip by norm); 'global_norm' rescales "
             "all of them together, which keeps the update's direction (what most frameworks call clipping "
             "by norm). 'value' is cheapest but bends the direction.")),
    "grad_clip": Help(
        "Clip threshold t", "value: clip each component into [−t, t]; norm / global norm: rescale to ‖g‖ ≤ t.",
        _p("Must be strictly positive: t = 0 would zero every gradient and stop learning. The Train tab "
           "plots gradient norms per layer, which shows a sensible t.")),
    "l1": Help(
        "L1 penalty", "Adds l1·Σ|W| to the loss (weights only): gradient + l1·sign(W).",
        _p("Pushes small weights to exactly zero (sparse weights). 0 turns it off.", LIVE_NOTE)),
    "l2": Help(
        "L2 penalty", "Adds l2·Σ W² to the loss (weights only): gradient + 2·l2·W.",
        _p("Shrinks all weights toward zero in proportion to their size (weight decay for SGD). "
           "0 turns it off.", LIVE_NOTE)),
    "early_stopping": Help(
        "Early stopping",
        "Stop when validation loss has not improved by more than min Δ for Patience epochs in a row; "
        "restore the best.",
        _p("The best weights, biases and batch-norm statistics are copied whenever validation loss improves "
           "and written back at the end, so the model kept is the best epoch's, not the last one's.")),
    "patience": Help(
        "Patience", "Epochs without improvement before training stops.",
        _p("Too small stops on noise; too large wastes epochs after the best one.")),
    "min_delta": Help(
        "Min Δ", "An improvement counts only if val_loss < best − min Δ.",
        _p("A small positive value ignores tiny improvements in a flat tail.")),
    "seed": Help(
        "Seed", "Seeds the initial weights, the batch shuffling and the dropout masks.",
        _p("Same seed, same config, same data: the same run, bit for bit.")),
    "dtype": Help(
        "Float type", "float32 is about twice as fast; float64 is exact enough for gradient checks.",
        _p("The loss clipping epsilon follows the float type.")),
    "train_metrics": Help(
        "Train metrics", "How the training loss and accuracy of each epoch are measured.",
        _table(list(TRAIN_METRICS.items()))
        + _p("Validation metrics always come from an evaluation pass. With <b>running</b> metrics, dropout "
             "makes the training loss look worse than the validation loss and hides overfitting, and the "
             "training curve lags half an epoch behind; <b>evaluation</b> compares both splits on equal "
             "terms. <b>auto</b> takes the free running figures only for networks without dropout or batch "
             "norm, whose training pass is the evaluation function itself.")),
    "log_every": Help(
        "Log every", "Write a line to the log every N epochs (the article logs every 50).",
        _p("Logging every epoch of a long run floods the log; the plots always get every epoch.")),
    "name": Help(
        "Experiment name", "A label for this experiment in comparisons, exports and studies.", ""),
    "diagram": Help(
        "Network diagram",
        "Each column is a layer; at most 12 units are drawn per layer. After training, blue edges are "
        "positive weights and red negative ones, thicker and more opaque for larger |w|.",
        _p("Edges are drawn between the drawn units only, so a wide layer shows a sample of its weights. "
           "Weight scales are relative to the largest |w| of each layer.")),
}


def dataset_help(name: str) -> Help:
    spec = DATASETS[name]
    rows = [(p.name, f"{p.help} (default {p.default})") for p in spec.params]
    body = _p(html.escape(spec.describe())) + (_table(rows) if rows else "")
    return Help(f"Data set: {name}", spec.describe(), body + HELP["dataset"].body)


def param_help(dataset: str, option: str) -> Help:
    for p in DATASETS[dataset].params:
        if p.name == option:
            limits = "" if p.minimum is None else f" Range {p.minimum:g} to {p.maximum:g}." if p.maximum is not None \
                else f" At least {p.minimum:g}."
            return Help(option.replace("_", " ").capitalize(), p.help + limits, _p(html.escape(p.help + limits)))
    return Help(option, "", "")


def choice_tip(key: str, name: str) -> str:
    """Tooltip for one entry of a registry combo box: its formula or help line."""
    sources = {
        "init_method": INITIALIZERS, "loss_func": LOSSES, "optimizer": OPTIMIZERS,
        "schedule.name": SCHEDULES, "output_activation": ACTIVATIONS, "layer.activation": ACTIVATIONS,
    }
    if key == "clip_type":
        return CLIP_HELP.get(name, "")
    if key == "train_metrics":
        return f"{name}: {TRAIN_METRICS.get(name, '')}"
    registry = sources.get(key)
    if registry is None or name not in registry:
        return ""
    return f"{name}: {getattr(registry[name], 'formula', '')}"


def help_for(key: str) -> Help | None:
    return HELP.get(key)


def help_html(entry: Help, current: str = "") -> str:
    """The help pane's page for ``entry``."""
    tip = html.escape(entry.tip)
    extra = f"<p><i>Current: {html.escape(current)}</i></p>" if current else ""
    return f"<h3>{html.escape(entry.title)}</h3><p><b>{tip}</b></p>{extra}{entry.body}"
