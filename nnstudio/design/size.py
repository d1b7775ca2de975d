"""How big a design is, and what deserves a warning before training it (no Qt).

The parameter count is the one the engine builds (weights, biases and batch-norm scales and
shifts); the memory figure covers every vector of that length a run keeps: the parameters,
their gradient, the weight-decay mask, the optimizer's state, the gradient scratch of the
per-layer norms and histograms, and the early-stopping copy of the best parameters.
Activations (rows × units per layer) come on top and depend on the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import MAX_UNITS, ExperimentConfig
from ..engine import OPTIMIZERS
from .edits import DataInfo, output_size

LARGE_PARAMS = 1_000_000      # above this an epoch takes seconds on a laptop core
HIGH_LEARNING_RATE = 1.0      # at and above this plain gradient steps usually diverge
TINY_LEARNING_RATE = 1e-6     # below this the weights barely move in a run of usual length
MAX_LEARNING_RATE = 100.0     # the top of the panel's log steps (typing may go further)
TRAINER_VECTORS = 5           # parameters, gradient, decay mask, norm scratch, last-batch gradient
BEST_COPY_VECTORS = 1         # early stopping's copy of the best parameters


def parameter_count(cfg: ExperimentConfig, n_inputs: int, n_outputs: int) -> int:
    """Trainable parameters of ``cfg`` between ``n_inputs`` features and ``n_outputs`` outputs."""
    sizes = [n_inputs] + [layer.units for layer in cfg.layers] + [n_outputs]
    total = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    return total + sum(2 * layer.units for layer in cfg.layers if layer.batch_norm)


def optimizer_vectors(name: str) -> int:
    """How many parameter-length vectors the optimizer ``name`` keeps (measured on a tiny one)."""
    if name not in OPTIMIZERS:
        return 3
    probe = OPTIMIZERS[name](7, np.float32)
    return sum(1 for value in vars(probe).values() if isinstance(value, np.ndarray) and value.size == 7)


@dataclass(frozen=True)
class DesignSize:
    parameters: int
    bytes: int

    def text(self) -> str:
        return f"{self.parameters:,} parameters · about {format_bytes(self.bytes)} to train"


def format_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def design_size(cfg: ExperimentConfig, info: DataInfo) -> DesignSize | None:
    """Size of ``cfg`` on its data set (None while the data set's shape is unknown)."""
    if not info.ok or any(not isinstance(layer.units, int) or not 1 <= layer.units <= MAX_UNITS
                          for layer in cfg.layers):
        return None  # no size for a design that cannot be built
    n = parameter_count(cfg, info.n_features, output_size(cfg, info))
    vectors = TRAINER_VECTORS + optimizer_vectors(cfg.optimizer) + BEST_COPY_VECTORS
    return DesignSize(n, n * np.dtype(cfg.dtype).itemsize * vectors)


def design_warnings(cfg: ExperimentConfig, info: DataInfo) -> list[str]:
    """Settings that are allowed but probably not what the user wants, each as one sentence."""
    notes = []
    size = design_size(cfg, info)
    if size is not None and size.parameters >= LARGE_PARAMS:
        notes.append(f"Large design: {size.text()}. Each epoch may take many seconds; "
                     "Stop still ends a run at once.")
    lr = cfg.learning_rate
    if isinstance(lr, (int, float)) and lr >= HIGH_LEARNING_RATE:
        notes.append(f"Learning rate {lr:g} is very high: the loss will likely jump around or diverge "
                     "(the article's \u201ctoo high\u201d case). Useful to see it happen.")
    elif isinstance(lr, (int, float)) and 0 < lr < TINY_LEARNING_RATE:
        notes.append(f"Learning rate {lr:g} is tiny: the weights will barely move, so the loss will hardly "
                     "change.")
    rows = info.sizes.get("train", 0) if info.ok else 0
    batch = cfg.batch_size
    if rows and isinstance(batch, int) and batch > rows:
        notes.append(f"Batch size {batch:,} is more than the {rows:,} training rows: every step uses the "
                     "full batch (as batch size 0 does).")
    return notes
