"""How often records carry histograms: what the views show, at the cadence they show it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HistogramCadence:
    """The epochs whose records carry histograms, for a view that shows them at this cadence.

    An epoch gets them when it is the first, the last (all epochs run, or early stopping),
    every ``ceil(epochs / max_snapshots)``-th, or the first to end ``min_interval`` seconds or
    more after the last one that got them (so the live view is never staler than that).  Other
    records carry ``layers == ()``.  Histograms cost a fixed ~0.1-0.2 ms however small the
    network, a third of a full-batch epoch on the 2-D presets: views that show a bounded
    number of snapshots and refresh a few times a second need no more.
    """

    max_snapshots: int = 100
    min_interval: float = 0.25

    def due(self, epoch: int, epochs: int, last: bool, seconds_since: float) -> bool:
        stride = -(-epochs // max(1, self.max_snapshots))
        return epoch == 1 or last or epoch % stride == 0 or seconds_since >= self.min_interval


EVERY_EPOCH = HistogramCadence(max_snapshots=2 ** 62, min_interval=0.0)
