"""The NumPy engine: networks, losses, initializers, optimizers, clipping and the trainer (no Qt)."""

from .activations import ACTIVATIONS, Activation, hidden_activation_names
from .cadence import EVERY_EPOCH, HistogramCadence
from .callbacks import EarlyStopping
from .clipping import CLIP_HELP, CLIP_TYPES, clip_gradients
from .initializers import ARTICLE_INITS, ARTICLE_TUNED_INITS, INITIALIZERS, variance_scaling
from .losses import FUSED_OUTPUT_GRADIENTS, LOSSES
from .network import Network, decode_classes, encode_targets
from .optimizers import OPTIMIZERS, make_optimizer
from .schedules import SCHEDULES
from .histograms import Histogram, HistogramBatch
from .trainer import (STOP_CLOSED, STOP_COMPLETED, STOP_DIVERGED, STOP_EARLY, STOP_USER, EpochRecord,
                      LayerSnapshot, Trainer, TrainingSummary)
from .validation import output_units, pairing_problem, task_problem, validate_config

__all__ = [
    "EVERY_EPOCH", "HistogramCadence", "ACTIVATIONS", "Activation", "hidden_activation_names", "EarlyStopping", "CLIP_HELP", "CLIP_TYPES",
    "clip_gradients", "ARTICLE_INITS", "ARTICLE_TUNED_INITS", "INITIALIZERS", "variance_scaling",
    "FUSED_OUTPUT_GRADIENTS", "LOSSES", "Network", "decode_classes", "encode_targets", "OPTIMIZERS",
    "make_optimizer", "SCHEDULES", "STOP_CLOSED", "STOP_COMPLETED", "STOP_DIVERGED", "STOP_EARLY", "STOP_USER",
    "EpochRecord", "Histogram", "HistogramBatch", "LayerSnapshot", "Trainer", "TrainingSummary", "output_units",
    "pairing_problem", "task_problem", "validate_config",
]
