"""``trainProgress``: epochs done out of the configured number, with an estimate of the time left."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QProgressBar, QWidget

from .texts import format_duration

PROGRESS_INTERVAL_S = 0.2  # the text and value are updated at most 5 times a second


class TrainProgress(QProgressBar):
    """The run's progress bar; the time left is estimated from the epochs since the last (re)start."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainProgress")
        self.setTextVisible(True)
        self.setMinimumWidth(220)
        self.setToolTip("Epochs done out of the configured number, with an estimate of the time "
                        "left (early stopping may end the run sooner).")
        self._eta_ref: tuple[float, int] | None = None  # (time, epoch) the estimate counts from
        self._shown_at = 0.0

    def restart_estimate(self) -> None:
        """The run (re)starts now: the estimate counts from the next epoch."""
        self._eta_ref = None

    def set_progress(self, done: int, total: int, text: str) -> None:
        """``done`` of ``total`` (0 and 0: busy), described by ``text``."""
        self.setRange(0, total)
        self.setValue(done)
        self.setFormat(text)

    def show_epoch(self, epoch: int, total: int, running: bool) -> None:
        """Epoch ``epoch`` of ``total`` is done (at most every :data:`PROGRESS_INTERVAL_S`)."""
        now = time.perf_counter()
        if now - self._shown_at < PROGRESS_INTERVAL_S:  # a progress bar repaints at once
            return
        self._shown_at = now
        self.setValue(min(epoch, total))
        if self._eta_ref is None or self._eta_ref[1] >= epoch:
            self._eta_ref = (now, epoch)
            eta = ""
        else:
            t0, e0 = self._eta_ref
            eta = f" · ETA {format_duration((now - t0) / (epoch - e0) * (total - epoch))}"
        if running:
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
