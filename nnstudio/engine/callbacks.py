"""Early stopping on the validation loss, holding *copies* of the best state; the divergence
watch that ends a run whose validation loss stays far above its initial value."""

from __future__ import annotations

import math

import numpy as np


class EarlyStopping:
    """Stop after ``patience`` epochs without the validation loss improving by more than ``min_delta``.

    ``update`` stores an independent copy of the network state (all parameters and batch-norm
    buffers) whenever the loss improves; ``restore`` writes that copy back.  The best state is
    tracked even with ``enabled=False`` so that a diverging run can fall back to it.
    """

    def __init__(self, patience: int = 20, min_delta: float = 0.0, enabled: bool = True):
        self.patience, self.min_delta, self.enabled = patience, min_delta, enabled
        self.best_loss = math.inf
        self.best_epoch = 0
        self.best_state: tuple[np.ndarray, np.ndarray] | None = None
        self.waited = 0

    def update(self, epoch: int, val_loss: float, state_fn) -> bool:
        """Record this epoch; return True if it is a new best.  ``state_fn()`` returns a copy."""
        if val_loss < self.best_loss - self.min_delta or self.best_state is None:
            if math.isfinite(val_loss):
                self.best_loss, self.best_epoch = val_loss, epoch
                self.best_state = state_fn()
                self.waited = 0
                return True
        self.waited += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.enabled and self.waited >= self.patience

    def restore(self, network) -> bool:
        if self.best_state is None:
            return False
        network.load_state(self.best_state)
        return True


class HeldState:
    """``network``'s state (as :meth:`Network.state` gives it) copied into a pair of arrays held
    for the purpose: each call returns the same pair, overwritten.  Early stopping's copy of the
    best state, without allocating two arrays in every improving epoch."""

    def __init__(self, network):
        self.network = network
        self.held = network.state()

    def __call__(self) -> tuple[np.ndarray, np.ndarray]:
        params, buffers = self.held
        params[...] = self.network.flat
        if buffers.size:
            buffers[...] = self.network.buffers_flat
        return self.held


DIVERGENCE_FACTOR = 2.0  # validation loss above this multiple of its initial value...
DIVERGENCE_EPOCHS = 5    # ...this many epochs in a row: diverged


class DivergenceWatch:
    """A run has diverged when its validation loss stays above :data:`DIVERGENCE_FACTOR` times
    ``initial`` for :data:`DIVERGENCE_EPOCHS` epochs in a row, even where every number is finite."""

    def __init__(self):
        self.initial = math.nan  # the untrained network's validation loss, set when the run starts
        self.above = 0  # epochs in a row above the bound

    def update(self, val_loss: float) -> str:
        """Why the run has diverged after this epoch ('' when it has not)."""
        initial = self.initial
        if math.isfinite(initial) and val_loss > DIVERGENCE_FACTOR * initial:
            self.above += 1
        else:
            self.above = 0
        if self.above < DIVERGENCE_EPOCHS:
            return ""
        return (f"the validation loss stayed above twice its initial value ({initial:.4g}) for "
                f"{DIVERGENCE_EPOCHS} epochs in a row (now {val_loss:.4g})")
