"""Warming the training path in the background once the window shows, so that the first Train
starts as quickly as later ones.

The first run of a process pays for things later runs find ready: the data set read from disk,
first calls into NumPy's and BLAS's kernels, the engine's code paths for the design's layers
(batch norm, dropout, the optimizer, histograms, diagnostics).  :class:`Prewarm` pays for them in
a background thread while the user is still looking at the window: it loads the design's data
set and trains a small copy of the design (at most :data:`WARM_UNITS` units a layer) for
:data:`WARM_STEPS` mini-batches.  It never touches Qt and stops at its next mini-batch when
Train is pressed or the window closes.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

from ...config import ExperimentConfig
from ...data import load_split
from ...engine import Trainer
from .worker import HISTOGRAM_CADENCE

log = logging.getLogger("nnstudio.training")

WARM_UNITS = 16   # units per hidden layer of the warming copy
WARM_STEPS = 2    # mini-batches it trains
JOIN_TIMEOUT_S = 0.5


class Prewarm:
    """One background warm-up of the training path (see the module doc)."""

    def __init__(self):
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.finished = threading.Event()
        self.warmed = False  # it trained its mini-batches to the end

    def start(self, config: ExperimentConfig) -> None:
        """Warm up for ``config`` (once; later calls do nothing)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, args=(config,), name="training-prewarm", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop at the next mini-batch (Train was pressed, or the window closes)."""
        self._stop.set()

    def shutdown(self) -> None:
        self.cancel()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)

    def _run(self, config: ExperimentConfig) -> None:
        try:
            self._warm(config)
        except Exception as exc:  # an unusable design or data set: the real run will say why
            log.debug("Warming the training path stopped: %s", exc)
        finally:
            self.finished.set()

    def _warm(self, config: ExperimentConfig) -> None:
        stop = self._stop.is_set
        split = load_split(config.data)
        if stop():
            return
        small = config.replace(epochs=1, layers=[dataclasses.replace(layer, units=min(layer.units, WARM_UNITS))
                                                 for layer in config.layers])
        trainer = Trainer(small, split, histograms=HISTOGRAM_CADENCE)
        if trainer.initial_record(stop) is None:
            return
        steps = iter(range(WARM_STEPS))
        for _record in trainer.run(stop=lambda: stop() or next(steps, None) is None):
            pass
        self.warmed = not stop()
