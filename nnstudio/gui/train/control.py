"""Stop / pause / step requests and live setting changes for a training run, set from the GUI
thread and read by the worker (no Qt: plain ``threading`` objects)."""

from __future__ import annotations

import threading

from ...engine.live import LiveSettings

PAUSE_POLL_S = 0.05            # how often a paused worker checks for Stop


class RunControl:
    """Stop / pause / step requests, set from the GUI thread and read by the worker.

    ``stop`` is checked between mini-batches (the trainer's ``stop`` callable).  Pausing takes
    effect between epochs: the worker waits on ``_resume`` while it is clear.

    ``live`` takes the learning rate, L1, L2 and dropout rates changed during the run; the
    trainer applies them at its next mini-batch (:mod:`nnstudio.engine.live`).

    Flow control: the worker sends a progress update only when the view has consumed the
    previous one (:meth:`update_consumed`), so a slow view never builds a backlog of queued
    updates; records keep accumulating in the worker meanwhile and arrive in the next update.
    """

    def __init__(self, steps: int | None = None):
        """``steps``: pause after this many epochs (Step pressed while idle), or run on (None)."""
        self.stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._lock = threading.Lock()
        self._steps_left = steps
        self.view_ready = threading.Event()
        self.view_ready.set()
        self.live = LiveSettings()

    def request_stop(self) -> None:
        self.stop.set()
        self._resume.set()  # wake a paused worker so it sees the stop

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        with self._lock:
            self._steps_left = None
        self._resume.set()

    def step(self, epochs: int = 1) -> None:
        """Run ``epochs`` more epochs, then pause."""
        with self._lock:
            self._steps_left = epochs
        self._resume.set()

    def epoch_done(self) -> None:
        """Called by the worker after each epoch: count down a pending step."""
        with self._lock:
            if self._steps_left is not None:
                self._steps_left -= 1
                if self._steps_left <= 0:
                    self._steps_left = None
                    self._resume.clear()

    def update_consumed(self) -> None:
        """Called by the view when it has drawn an update: the worker may send the next one."""
        self.view_ready.set()

    @property
    def pause_requested(self) -> bool:
        return not self._resume.is_set()

    def wait_while_paused(self) -> None:
        """Block until resumed or stopped."""
        while not self._resume.wait(PAUSE_POLL_S):
            if self.stop.is_set():
                return
