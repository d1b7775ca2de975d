"""What the training panel says about a run: durations, the end-of-run summary, test metrics."""

from __future__ import annotations

import math

from ...engine import STOP_COMPLETED, STOP_DIVERGED, STOP_EARLY, STOP_USER, TrainingSummary
from ...engine.diagnostics import identical_units_note

# stop reason -> (mark on the loss plot, progress-bar word, status severity)
STOP_STYLES = {
    STOP_COMPLETED: ("", "done", "success"),
    STOP_EARLY: ("early stop", "early stop", "success"),
    STOP_USER: ("stopped", "stopped", "info"),
    STOP_DIVERGED: ("diverged", "diverged", "warning"),
}


def format_duration(seconds: float) -> str:
    """``4.2 s`` under a minute, else ``m:ss`` or ``h:mm:ss``."""
    if seconds < 59.95:
        return f"{max(seconds, 0.0):.1f} s"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


CHANCE_MARGIN = 0.05  # test accuracy within this of 1 / classes is chance: nothing was learned


def kept_initial(summary: TrainingSummary) -> bool:
    """No epoch beat the untrained network, and its weights (epoch 0) are the ones kept."""
    return summary.restored_best and summary.best_epoch == 0


def at_chance(summary: TrainingSummary, n_classes: int) -> bool:
    """Test accuracy no better than guessing among ``n_classes`` (0: not classification)."""
    return (n_classes >= 2 and math.isfinite(summary.test_accuracy)
            and summary.test_accuracy <= 1.0 / n_classes + CHANCE_MARGIN)


def summary_text(summary: TrainingSummary, n_classes: int = 0) -> str:
    """How the run ended and which weights it kept, in one coherent account; ``n_classes`` (for
    classification) adds a warning when the test accuracy is at chance."""
    text, initial = summary.message, kept_initial(summary)
    if initial and summary.stop_reason not in (STOP_EARLY, STOP_DIVERGED):  # those messages say so already
        text += " No epoch beat the untrained network, so it kept the initial parameters."
    if summary.restored_best and summary.stop_reason == STOP_DIVERGED and not initial:
        text += f" Best weights kept (epoch {summary.best_epoch})."
    elif summary.restored_best and not initial and summary.best_epoch == summary.epochs_run:
        text += f" The last epoch ({summary.best_epoch}) was the best."
    elif summary.restored_best and not initial and summary.stop_reason != STOP_DIVERGED:
        text += f" Best weights restored (epoch {summary.best_epoch})."
    if at_chance(summary, n_classes):
        text += (f" Test accuracy {summary.test_accuracy:.1%} is chance level for {n_classes} classes: "
                 "the network has learned nothing.")
    warn = summary.stop_reason == STOP_DIVERGED or initial or at_chance(summary, n_classes)
    return "⚠ " + text if warn else text


def summary_severity(summary: TrainingSummary, n_classes: int, severity: str) -> str:
    """The end-of-run banner's severity: a warning (amber) when the run kept its untrained weights
    or its test accuracy is at chance, whatever the stop reason says."""
    if severity != "error" and (kept_initial(summary) or at_chance(summary, n_classes)):
        return "warning"
    return severity


def metrics_text(summary: TrainingSummary, test_size: int, classification: bool,
                 kept_val_accuracy: float = math.nan) -> str:
    """The test split's metrics: accuracy for classification, RMSE in target units for regression;
    beside them the validation accuracy of the epoch whose weights the run kept (the restored best
    epoch, or the last one), when it is known."""
    if not math.isfinite(summary.test_loss):
        if summary.stop_reason == STOP_USER and summary.epochs_run:
            return "No test metrics: a large network stopped by request skips the test pass."
        return "No test metrics: the network has no usable weights."
    rows = f" · {test_size} test rows" if test_size else ""
    if classification:
        kept = summary.best_epoch if summary.restored_best else summary.epochs_run
        val = (f" · validation accuracy {kept_val_accuracy:.1%} at epoch {kept}, the weights kept"
               if math.isfinite(kept_val_accuracy) else "")
        return f"Test accuracy {summary.test_accuracy:.1%} · test loss {summary.test_loss:.4g}{rows}{val}"
    return f"Test RMSE {summary.test_rmse:.4g} (target units) · test loss {summary.test_loss:.4g}{rows}"


def kept_val_accuracy(history, summary: TrainingSummary) -> float:
    """The validation accuracy of the epoch whose weights the run kept (NaN when not recorded)."""
    kept = summary.best_epoch if summary.restored_best else summary.epochs_run
    row = history.row_at_epoch(kept) if kept else None
    return float(history.column("val_accuracy")[row]) if row is not None else math.nan


def identical_units_text(config, record) -> str:
    """``⚠ Epoch N: …`` when a hidden layer's units are all alike (zeros init), else ''."""
    units = tuple(layer.units for layer in config.layers) if config else ()
    note = identical_units_note(units, record.distinct_units, config.init_method if config else "")
    return f"⚠ Epoch {record.epoch}: {note}" if note else ""
