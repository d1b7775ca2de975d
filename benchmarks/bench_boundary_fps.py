"""Frames per second of the Train tab's live decision boundary during a 10-second spiral run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_boundary_fps.py [--seconds 10]

Starts the spiral preset in a shown training panel with the Boundary page open, lets it train for
``seconds`` of wall time, and counts the boundary frames put on screen while following the run
(``BoundaryView.frames_drawn``) and the frames received from the worker.  The load average is
printed, since the frames a second depend on the machine's other work.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    from nnstudio.gui.train.panel import TrainingPanel
    from nnstudio.presets import load_preset

    config = load_preset("spiral").replace(epochs=1_000_000, early_stopping=False)
    panel = TrainingPanel(lambda: config)
    panel.resize(1280, 760)
    panel.show()
    panel.insideTabs.setCurrentIndex(1)
    print(f"load average before: {os.getloadavg()}")
    panel.train()
    while panel.boundaryView.grid is None:  # the epoch-0 frame: the run has started
        app.processEvents()
        time.sleep(0.005)
    view = panel.boundaryView
    drawn0, frames0, t0 = view.frames_drawn, len(view.frames), time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        app.processEvents()
        time.sleep(0.005)
    seconds = time.perf_counter() - t0
    drawn, received = view.frames_drawn - drawn0, len(view.frames) - frames0
    epochs = int(panel.history.epochs[-1]) if len(panel.history) else 0
    print(f"{seconds:.1f} s: {drawn} frames drawn ({drawn / seconds:.1f} per second), {received} received, "
          f"{epochs} epochs trained")
    panel.stop()
    while panel.is_running():
        app.processEvents()
        time.sleep(0.01)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
