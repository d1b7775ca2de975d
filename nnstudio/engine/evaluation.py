"""Evaluation-mode passes of the trainer: outputs in chunks of rows for large networks, and scores.

A network large enough that one pass over the evaluation rows would keep Stop waiting evaluates
them in chunks of :attr:`Evaluator.chunk_rows` rows, asking ``stop`` between chunks.  After a pass
the layers' cached activations (``layer.a``) are those of validation rows, which the histograms
and the health monitor read.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .targets import decode_classes

ACTIVATION_ROWS = 128  # validation rows sampled for the activation histograms
EVAL_CHUNK_WORK = 250_000_000  # parameters x rows per evaluation chunk (about a tenth of a second);
#                                larger networks evaluate in chunks of rows and check ``stop`` between them
EVAL_CHUNK_MIN_ROWS = 16       # fewer rows per pass would spend the time re-reading the weights


class EvaluationStopped(Exception):
    """``stop`` became true inside an evaluation pass."""


class Evaluator:
    """Evaluation passes of ``network`` over rows whose last ones are ``X_val``.

    ``snapshots`` (a :class:`~.snapshots.Snapshots`) learns the stride over the cached
    validation activations that samples about :data:`ACTIVATION_ROWS` of them.
    """

    def __init__(self, network, X_val: np.ndarray, rows: int, snapshots, classification: bool):
        self.network, self.X_val, self.snapshots, self.classification = network, X_val, snapshots, classification
        self.chunk_rows = max(EVAL_CHUNK_MIN_ROWS, EVAL_CHUNK_WORK // max(network.n_params, 1))
        self.chunked = self.chunk_rows < rows  # a large network: evaluates in chunks, asking stop

    def outputs(self, X: np.ndarray, stop: Callable[[], bool]) -> np.ndarray:
        """Evaluation-mode outputs of ``X`` (validation rows last).

        Afterwards ``layer.a`` holds the activations of the validation rows the histograms use:
        all of them (to be sampled) after one pass, the sample itself after a chunked pass.
        Raises :class:`EvaluationStopped` when ``stop`` becomes true between chunks.
        """
        net, n_val, rows = self.network, len(self.X_val), self.chunk_rows
        if not self.chunked:
            out = net._forward(X, False, None, fold=True)
            for layer in net.layers:
                layer.a = layer.a[len(X) - n_val:]
            self.snapshots.activation_step = -(-n_val // ACTIVATION_ROWS)  # ceil
            return out
        out = np.empty((len(X), net.n_outputs), dtype=net.dtype)
        for lo in range(0, len(X), rows):
            if stop():
                raise EvaluationStopped
            out[lo:lo + rows] = net._forward(X[lo:lo + rows], False, None, fold=True)
        net._forward(self.X_val[::-(-n_val // ACTIVATION_ROWS)], False, None, fold=True)
        self.snapshots.activation_step = 1
        return out

    def score(self, out: np.ndarray, Y: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        """(data loss, accuracy) of outputs ``out`` against encoded targets ``Y`` and class labels."""
        loss = self.network.loss.value(out, Y)
        acc = math.nan
        if self.classification and len(labels):
            acc = float(np.count_nonzero(decode_classes(out) == labels)) / len(labels)
        return loss, acc
