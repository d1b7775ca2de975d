"""``trainProgress``: epochs done out of the configured number, with an estimate of the time left."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QProgressBar, QWidget

from .texts import format_duration


class TrainProgress(QProgressBar):
    """The run's progress bar; the time left is estimated from the epochs since the last (re)start.

    While a run trains, the bar shows the epoch the curve plots show (:meth:`show_epoch` is called
    when they are redrawn), never one they have not drawn yet.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainProgress")
        self.setTextVisible(True)
        self.setMinimumWidth(220)
        self.setToolTip("Epochs done out of the configured number, as far as the plots show them, with an "
                        "estimate of the time left (early stopping may end the run sooner).")
        self._eta_ref: tuple[float, int] | None = None  # (time, epoch) the estimate counts from
        self.total = 0         # the run's configured epochs
        self.running = False   # the text follows the epochs only while the run trains (not paused)

    def restart_estimate(self) -> None:
        """The run (re)starts now: the estimate counts from the next epoch."""
        self._eta_ref = None

    def set_progress(self, done: int, total: int, text: str) -> None:
        """``done`` of ``total`` (0 and 0: busy), described by ``text``."""
        self.setRange(0, total)
        self.setValue(done)
        self.setFormat(text)

    def start_run(self, total: int) -> None:
        """A run of ``total`` epochs has its data and network: epoch 0 of ``total``."""
        self.total = total
        self.set_progress(0, total, f"Epoch 0 / {total}")
        self.restart_estimate()

    def show_epoch(self, epoch: int) -> None:
        """The plots now show epoch ``epoch`` of the run."""
        total = self.total
        now = time.perf_counter()
        self.setValue(min(epoch, total))
        if self._eta_ref is None or self._eta_ref[1] >= epoch:
            self._eta_ref = (now, epoch)
            eta = ""
        else:
            t0, e0 = self._eta_ref
            eta = f" · ETA {format_duration((now - t0) / (epoch - e0) * (total - epoch))}"
        if self.running:
            self.setFormat(f"Epoch {epoch} / {total}{eta}")

    def loading(self) -> None:
        self.setRange(0, 0)  # busy until the data is loaded
        self.setFormat("Loading data…")

    def paused(self, epoch: int, total: int) -> None:
        self.setValue(min(epoch, total))
        self.setFormat(f"Paused at epoch {epoch} / {total}")

    def failed(self, last_epoch: int | None) -> None:
        """The run failed after ``last_epoch`` (None: before its first epoch)."""
        if last_epoch is not None:  # failed mid-run: keep what was drawn
            self.setFormat(f"Failed after epoch {last_epoch}")
        else:
            self.set_progress(0, 1, "Not started")
