"""The records' per-layer histograms: what they are made of and when a record carries them.

A :class:`Snapshots` keeps the last mini-batch's gradient (before clipping) that the trainer hands
it, and makes each dense layer's histograms of weights, biases, that gradient and the activations
the last evaluation pass left in the layer (validation rows, every ``activation_step``-th).  A
:class:`~.cadence.HistogramCadence` decides which epochs' records carry them; ``None`` means none.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .cadence import HistogramCadence
from .histograms import HistogramBatch
from .records import LayerSnapshot


class Snapshots:
    """Histograms of ``network``'s layers at ``cadence``, and the time spent on them."""

    def __init__(self, network, cadence: HistogramCadence | None):
        self.network = network
        self.cadence = cadence
        self.last_grad = np.zeros_like(network.flat_grad)  # the trainer copies the last batch's gradient here
        self.activation_step = 1  # stride over the rows of the layers' cached activations
        # per layer, 1-D views of its weights, biases and weight gradient (fixed views: only the
        # activations change from one snapshot to the next)
        self._fixed = [(layer.W.reshape(-1), layer.b.reshape(-1), self.last_grad[layer.span][:layer.W.size])
                       for layer in network.layers]
        self._histograms = HistogramBatch()
        self._last = -math.inf  # perf_counter() when the last histograms were made
        self.seconds = 0.0      # CPU time spent making them
        self._count = 0         # records that carry them
        self._epochs = self._stride = 0  # the run length the cadence's stride was computed for, and that stride

    def due(self, epoch: int, epochs: int, last: bool, start_time: float) -> tuple[LayerSnapshot, ...]:
        """The histograms when the cadence wants them in epoch ``epoch``'s record, else ()."""
        cadence = self.cadence
        if cadence is None:
            return ()
        now = time.perf_counter()
        if epochs != self._epochs:
            self._epochs, self._stride = epochs, cadence.stride(epochs)
        # most epochs are neither the first, the last, evenly spaced nor stale: the cadence's
        # answer is no whatever the budget, known here without the full rule
        if epoch % self._stride and now - self._last < cadence.min_interval and epoch != 1 and not last:
            return ()
        if not cadence.due(epoch, epochs, last, now - self._last, self._count, self.seconds, now - start_time):
            return ()
        self._last = now
        spent = time.thread_time()  # this thread's CPU time: a snapshot preempted by other work costs no more
        layers = self.make()
        self.seconds += time.thread_time() - spent
        self._count += 1
        return layers

    def make(self) -> tuple[LayerSnapshot, ...]:
        """Histograms per dense layer; activations are those of the last evaluation (validation)."""
        layers = self.network.layers
        step = self.activation_step
        arrays = []
        for fixed, layer in zip(self._fixed, layers):
            arrays += (*fixed, layer.a[::step].reshape(-1))
        hists = self._histograms.flat(arrays)
        return tuple(LayerSnapshot(layer.name, *hists[i:i + 4]) for i, layer in zip(range(0, len(hists), 4), layers))
