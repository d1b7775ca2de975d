"""Targets as the network sees them, and class indices from its outputs."""

from __future__ import annotations

import numpy as np


def decode_classes(output: np.ndarray) -> np.ndarray:
    """Class indices from network outputs of shape (n, k)."""
    if output.shape[1] == 1:
        return (output[:, 0] > 0.5).astype(np.int64)
    return output.argmax(axis=1)


def encode_targets(y: np.ndarray, n_outputs: int, classification: bool, dtype="float32") -> np.ndarray:
    """Targets as the network sees them, shape (n, n_outputs).

    Classification: one-hot rows, or a single 0/1 column for one sigmoid unit.
    Regression: the values as one column.
    """
    y = np.asarray(y)
    if not classification or n_outputs == 1:
        return y.reshape(-1, 1).astype(dtype)
    Y = np.zeros((len(y), n_outputs), dtype=dtype)
    Y[np.arange(len(y)), y.astype(np.int64)] = 1
    return Y
