"""The Train tab's views agree while records arrive faster than the plots are redrawn: the progress
bar shows the epoch the curves show, and the live boundary keeps its pace."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.gui.train.panel import TrainingPanel

LEFT = Qt.MouseButton.LeftButton
RUN_TIMEOUT_MS = 60_000


@pytest.fixture
def panel(qtbot):
    config = ExperimentConfig(data=DataConfig("iris"), layers=(LayerConfig(8, "relu"),), learning_rate=0.01,
                              batch_size=32, epochs=100_000, early_stopping=False)
    made = TrainingPanel(lambda: config)
    qtbot.addWidget(made)
    made.resize(1100, 700)
    made.show()
    yield made
    made.shutdown()


def plotted_epoch(panel: TrainingPanel) -> int:
    """The last epoch the loss plot draws (0: none yet)."""
    x, _y = panel.lossPlot.series["train"].getData()
    return 0 if x is None or not len(x) else int(x[-1])


def test_the_progress_bar_shows_the_epoch_the_plots_show_when_they_lag(qtbot, panel):
    """The worker sends records ~20 times a second; the plots here are redrawn at most twice a
    second (as on a loaded machine).  After every update the bar and its text name the epoch the
    loss plot ends at, never the newer one only received."""
    panel._refresh.duty = 0.001  # redraws as far apart as the scheduler allows
    seen = []

    def check(update) -> None:  # connected after the panel's own slot: runs once it has taken the update
        received, plotted = int(update.records[-1].epoch), plotted_epoch(panel)
        seen.append((received, plotted, panel.trainProgress.value(), panel.trainProgress.text()))

    panel._run.progress.connect(check)
    qtbot.mouseClick(panel.trainButton, LEFT)
    qtbot.waitUntil(lambda: sum(r > p > 0 for r, p, _v, _t in seen) >= 10, timeout=RUN_TIMEOUT_MS)
    panel._run.progress.disconnect(check)
    lagging = [(r, p, v, t) for r, p, v, t in seen if r > p > 0]
    assert all(v == p and t.startswith(f"Epoch {p} /") for _r, p, v, t in lagging), lagging[:5]
    assert all(v == p for _r, p, v, _t in seen)  # before the first redraw too: 0 and 0
    with qtbot.waitSignal(panel.runningChanged, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.stopButton, LEFT)
    assert panel.trainProgress.value() == plotted_epoch(panel) == len(panel.history)
    assert np.array_equal(panel.lossPlot.series["train"].getData()[0], panel.history.epochs)


def test_the_live_boundary_draws_every_frame_it_receives(qtbot):
    """Frames come from the worker several times a second; the Boundary page draws each one as it
    arrives (none is replaced by a newer one before it was shown), with the epoch in its title."""
    config = ExperimentConfig(data=DataConfig("moons", {"n_samples": 400}), layers=(LayerConfig(16, "tanh"),),
                              learning_rate=0.02, batch_size=16, epochs=100_000, early_stopping=False)
    panel = TrainingPanel(lambda: config)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    panel.insideTabs.setCurrentWidget(panel.boundaryStack)
    view, received = panel.boundaryView, []
    try:
        panel._run.progress.connect(lambda update: update.boundary is not None and received.append(
            (update.boundary.epoch, view.frames_drawn)))
        qtbot.mouseClick(panel.trainButton, LEFT)
        qtbot.waitUntil(lambda: len(received) >= 20, timeout=RUN_TIMEOUT_MS)
        drawn_then = [drawn for _epoch, drawn in received]
        # when the i-th frame has arrived, every earlier one has been drawn (the epoch-0 frame counts
        # as one), and the i-th too unless the previous one was drawn a moment before
        assert all(i + 1 <= drawn <= i + 2 for i, drawn in enumerate(drawn_then)), drawn_then
        n = len(received)
        qtbot.waitUntil(lambda: view.frames_drawn >= n + 1, timeout=RUN_TIMEOUT_MS)
    finally:
        panel.shutdown()


def test_a_new_run_with_the_same_layers_keeps_its_gradient_curves(qtbot):
    """Train twice with the same layers: the gradient-norm curves (and legend) are reused, with the
    new run's data; a design with other layers gets its own curves."""
    designs = [(LayerConfig(8, "relu"),), (LayerConfig(8, "relu"),), (LayerConfig(8, "relu"), LayerConfig(4, "tanh"))]
    configs = iter(ExperimentConfig(data=DataConfig("iris"), layers=layers, epochs=3, early_stopping=False)
                   for layers in designs)
    panel = TrainingPanel(lambda: next(configs))
    qtbot.addWidget(panel)
    panel.show()
    seen = []
    try:
        for _ in designs:
            with qtbot.waitSignal(panel.runningChanged, check_params_cb=lambda running: not running,
                                  timeout=RUN_TIMEOUT_MS):
                qtbot.mouseClick(panel.trainButton, LEFT)
            seen.append(dict(panel.gradNormPlot.series))
            assert all(len(curve.getData()[0]) == 3 for curve in seen[-1].values())
    finally:
        panel.shutdown()
    assert list(seen[0]) == ["layer1", "output"] and list(seen[2]) == ["layer1", "layer2", "output"]
    assert all(seen[1][k] is seen[0][k] for k in seen[0])
    assert seen[2]["layer1"] is not seen[1]["layer1"]
    legend = panel.gradNormPlot.getPlotItem().legend
    assert [label.text for _sample, label in legend.items] == ["layer1", "layer2", "output"]
