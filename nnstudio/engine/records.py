"""What a training run reports: per-layer histograms, one immutable record per epoch, and how
the run ended (no Qt)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .histograms import Histogram

if TYPE_CHECKING:
    from .diagnostics import EpochHealth
    from .live import Change


@dataclass(frozen=True)
class LayerSnapshot:
    """Histograms of one dense layer at the end of an epoch.

    ``gradients`` are the weight gradients of the epoch's last mini-batch (before clipping);
    ``activations`` are the layer's outputs on the validation split: on every row of it up to
    :data:`ACTIVATION_ROWS` rows, else on evenly spaced rows (every ``ceil(n / ACTIVATION_ROWS)``-th),
    so that a record stays cheap however large the split.
    """

    name: str
    weights: Histogram
    biases: Histogram
    gradients: Histogram
    activations: Histogram


@dataclass(frozen=True, init=False)
class EpochRecord:
    """What one epoch did.  Accuracies are NaN for regression.

    ``train_loss`` and ``train_accuracy`` cover every training row once.  With running training
    metrics they come from the epoch's own training passes (dropout and batch statistics on,
    each row scored with the parameters of its mini-batch, as scikit-learn's ``loss_curve_`` and
    Keras report them); with ``"evaluation"`` from one pass over the training split after the
    epoch, in evaluation mode like the validation metrics.  ``"auto"`` (the default) runs the
    evaluation pass only for networks with dropout or batch norm (:func:`~.live.running_train_metrics`).

    ``grad_norms[i]`` is the mean over the epoch's mini-batches of the L2 norm of layer i's
    gradient (all its parameters together, before clipping); the last entry is the output layer.
    """

    epoch: int                 # 1-based
    train_loss: float          # data loss on the training split, measured as config.train_metrics says
    val_loss: float
    train_accuracy: float
    val_accuracy: float
    learning_rate: float
    grad_norms: tuple[float, ...]
    layers: tuple[LayerSnapshot, ...]
    elapsed: float             # seconds since training began
    is_best: bool
    best_epoch: int
    best_val_loss: float
    grad_norm: float = math.nan          # mean over the epoch's steps of the whole gradient's L2 norm, before clipping
    clipped_norm: float = math.nan       # the same after clipping (equal to grad_norm without clipping)
    clipped_fraction: float = 0.0        # share of the epoch's steps whose gradient clipping changed
    distinct_units: tuple[int, ...] = ()  # per hidden layer: how many different units
    health: EpochHealth | None = None     # per-layer health measures (nnstudio.engine.diagnostics)
    changes: tuple[Change, ...] = ()      # settings changed during this epoch, in order (nnstudio.engine.live)

    # Written out rather than generated: a frozen dataclass's own __init__ sets each field through
    # object.__setattr__ (2.6 µs for these 18 fields); one update of the instance dict takes 0.9 µs,
    # a tenth of a record's cost on a 2-D preset.  The fields, their order and defaults are the
    # ones above (tests/test_records.py compares the signature with them).
    def __init__(self, epoch, train_loss, val_loss, train_accuracy, val_accuracy, learning_rate, grad_norms, layers,
                 elapsed, is_best, best_epoch, best_val_loss, grad_norm=math.nan, clipped_norm=math.nan,
                 clipped_fraction=0.0, distinct_units=(), health=None, changes=()):
        self.__dict__.update(
            epoch=epoch, train_loss=train_loss, val_loss=val_loss, train_accuracy=train_accuracy,
            val_accuracy=val_accuracy, learning_rate=learning_rate, grad_norms=grad_norms, layers=layers,
            elapsed=elapsed, is_best=is_best, best_epoch=best_epoch, best_val_loss=best_val_loss, grad_norm=grad_norm,
            clipped_norm=clipped_norm, clipped_fraction=clipped_fraction, distinct_units=distinct_units,
            health=health, changes=changes)


@dataclass(frozen=True)
class TrainingSummary:
    """How a run ended.  ``test_*`` are computed once, on the held-out test split, with the
    parameters the run ended with (the best ones when they were restored).  ``best_epoch`` 0
    means that no epoch beat the initial parameters."""

    epochs_run: int
    best_epoch: int
    best_val_loss: float
    stop_reason: str
    message: str
    restored_best: bool
    test_loss: float
    test_accuracy: float
    test_rmse: float
    seconds: float
    diverged: bool = False
