"""How often records carry histograms: what the views show, at the cadence they show it."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class HistogramCadence:
    """The epochs whose records carry histograms, for a view that shows them at this cadence.

    The first and the last epoch (all epochs run, or early stopping) always get them.  Others
    do when they are every ``ceil(epochs / max_snapshots)``-th or the first to end
    ``min_interval`` seconds or more after the last one that got them (so the live view is never
    staler than that), unless ``free_snapshots`` records already carry histograms and these
    have taken more than ``max_share`` of the training time.  Other records carry ``layers == ()``.

    Histograms cost a fixed ~0.1-0.4 ms however small the network: a third of a full-batch
    epoch on the 2-D presets.  A view with a bounded number of scrubber stops that redraws a
    few times a second needs no more than this.
    """

    max_snapshots: int = 100
    min_interval: float = 0.25
    max_share: float = 1.0
    free_snapshots: int = 0

    def due(self, epoch: int, epochs: int, last: bool, seconds_since: float, made: int = 0, spent: float = 0.0,
            elapsed: float = math.inf) -> bool:
        """Whether ``epoch`` of ``epochs`` gets histograms, after ``made`` snapshots that took
        ``spent`` seconds in ``elapsed`` seconds of training."""
        if epoch == 1 or last:
            return True
        if made >= self.free_snapshots and spent > self.max_share * elapsed:
            return False
        return epoch % self.stride(epochs) == 0 or seconds_since >= self.min_interval

    def stride(self, epochs: int) -> int:
        """Epochs between two evenly spaced snapshots in a run of ``epochs`` epochs."""
        return -(-epochs // max(1, self.max_snapshots))


EVERY_EPOCH = HistogramCadence(max_snapshots=2 ** 62, min_interval=0.0)
