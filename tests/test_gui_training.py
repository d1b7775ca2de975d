"""The training panel driven through its buttons: a real worker thread trains small networks
and the tests check what the user sees (curves, histograms, progress, messages, results)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog

from nnstudio.config import ConfigError, DataConfig, ExperimentConfig, LayerConfig, ScheduleConfig
from nnstudio.data import load_split
from nnstudio.engine import STOP_USER
from nnstudio.gui import running_threads
from nnstudio.gui.plots.boundary import frame_titles
from nnstudio.gui.train.panel import RunState, TrainingPanel
from nnstudio.gui.train.worker import EMIT_INTERVAL_S
from plot_probes import axis_labels, overlapping

LEFT = Qt.MouseButton.LeftButton
RUN_TIMEOUT_MS = 60_000  # generous: the CI machine is shared and the first load imports scikit-learn


def iris(**changes) -> ExperimentConfig:
    base = dict(data=DataConfig("iris"), layers=(LayerConfig(8, "relu"), LayerConfig(8, "relu")),
                learning_rate=0.01, batch_size=32, epochs=12, early_stopping=False, log_every=5)
    return ExperimentConfig(**(base | changes))


def moons(**changes) -> ExperimentConfig:
    base = dict(data=DataConfig("moons", {"n_samples": 200}), layers=(LayerConfig(8, "tanh"),),
                learning_rate=0.02, batch_size=32, epochs=15, early_stopping=False)
    return ExperimentConfig(**(base | changes))


ENDLESS = iris(epochs=100_000)  # runs until stopped


@pytest.fixture
def make_panel(qtbot):
    panels = []

    def make(config) -> TrainingPanel:
        provider = config if callable(config) else (lambda: config)
        panel = TrainingPanel(provider)
        qtbot.addWidget(panel)
        panel.resize(1100, 700)
        panel.show()
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.shutdown()


def click_and_finish(qtbot, panel: TrainingPanel, button=None):
    """Click (Train by default) and wait until the run has ended and its thread is gone."""
    with qtbot.waitSignal(panel.runningChanged, check_params_cb=lambda running: not running,
                          timeout=RUN_TIMEOUT_MS):
        with qtbot.waitSignal(panel.trainingFinished, timeout=RUN_TIMEOUT_MS) as finished:
            qtbot.mouseClick(button or panel.trainButton, LEFT)
    return finished.args[0]


def wait_state(qtbot, panel: TrainingPanel, state: RunState):
    return qtbot.waitSignal(panel.stateChanged, check_params_cb=lambda s: s == state.value,
                            timeout=RUN_TIMEOUT_MS)


def curve(plot, key):
    x, y = plot.series[key].getData()
    return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))


def enabled(panel):
    return {name: getattr(panel, name).isEnabled()
            for name in ("trainButton", "pauseButton", "stepButton", "stopButton", "resetButton")}


# -- a whole run --------------------------------------------------------------------------------------

def test_training_fills_every_curve_and_reports_test_metrics(qtbot, make_panel):
    panel = make_panel(iris())
    assert enabled(panel) == dict(trainButton=True, pauseButton=False, stepButton=True, stopButton=False,
                                  resetButton=True)
    weights = []
    panel.weightsChanged.connect(weights.append)
    summary = click_and_finish(qtbot, panel)

    assert summary.epochs_run == 12 and summary.stop_reason == "completed"
    epochs = np.arange(1, 13)
    for key in ("train", "val", "train_smooth", "val_smooth"):
        x, y = curve(panel.lossPlot, key)
        np.testing.assert_array_equal(x, epochs)
        assert np.isfinite(y).all()
    np.testing.assert_allclose(curve(panel.lossPlot, "val")[1], panel.history.column("val_loss"))
    for key in ("train", "val"):
        x, y = curve(panel.accuracyPlot, key)
        np.testing.assert_array_equal(x, epochs)
        assert ((0 <= y) & (y <= 100)).all()
    np.testing.assert_allclose(curve(panel.learningRatePlot, "lr")[1], 0.01, rtol=1e-6)
    assert list(panel.gradNormPlot.series) == ["layer1", "layer2", "output"]
    assert all(len(curve(panel.gradNormPlot, k)[0]) == 12 for k in panel.gradNormPlot.series)

    assert panel.trainProgress.value() == 12 and "12 / 12" in panel.trainProgress.text()
    assert "Trained all 12 epochs" in panel.statusLabel.text()
    assert "Test accuracy" in panel.testMetricsLabel.text()
    assert enabled(panel) == dict(trainButton=True, pauseButton=False, stepButton=True, stopButton=False,
                                  resetButton=True)
    # the network diagram gets weight copies W (fan_in, fan_out), the last ones after the run
    assert [w.shape for w in weights[-1]] == [(4, 8), (8, 8), (8, 3)]
    assert running_threads() == []


def test_controls_follow_the_run_state(qtbot, make_panel):
    panel = make_panel(ENDLESS)
    with wait_state(qtbot, panel, RunState.RUNNING):
        qtbot.mouseClick(panel.trainButton, LEFT)
    assert enabled(panel) == dict(trainButton=False, pauseButton=True, stepButton=False, stopButton=True,
                                  resetButton=False)
    assert panel.pauseButton.text() == "Pause"
    with wait_state(qtbot, panel, RunState.PAUSED):
        qtbot.mouseClick(panel.pauseButton, LEFT)
    assert enabled(panel) == dict(trainButton=False, pauseButton=True, stepButton=True, stopButton=True,
                                  resetButton=False)
    assert panel.pauseButton.text() == "Resume" and "Paused at epoch" in panel.trainProgress.text()
    click_and_finish(qtbot, panel, panel.stopButton)


def test_actions_have_names_and_the_documented_shortcuts(make_panel):
    panel = make_panel(iris())
    for name in ("trainAction", "pauseAction", "stepAction", "stopAction", "resetAction", "exportPlotAction",
                 "exportHistoryAction"):
        assert panel.findChild(QAction, name) is getattr(panel, name)
    shortcuts = {name: getattr(panel, name).shortcut().toString()
                 for name in ("trainAction", "pauseAction", "stepAction", "stopAction")}
    assert shortcuts == {"trainAction": "F5", "pauseAction": "F6", "stepAction": "F10",
                         "stopAction": QKeySequence("Shift+F5").toString()}


def test_smoothed_loss_is_the_debiased_moving_average_of_the_pair(qtbot, make_panel):
    from nnstudio.smoothing import smooth_pair

    panel = make_panel(iris(epochs=20))
    click_and_finish(qtbot, panel)
    raw, raw_val = panel.history.column("train_loss"), panel.history.column("val_loss")
    np.testing.assert_allclose(curve(panel.lossPlot, "train_smooth")[1], smooth_pair(raw, raw_val, 0.9)[0],
                               rtol=1e-9)
    panel.lossView.smoothingSlider.setValue(0)
    np.testing.assert_allclose(curve(panel.lossPlot, "train_smooth")[1], raw)


# -- histograms and the scrubber ---------------------------------------------------------------------------

def test_histograms_start_at_epoch_zero_and_share_one_scale(qtbot, make_panel):
    from nnstudio.data import load_split
    from nnstudio.engine import Histogram, Trainer
    from nnstudio.gui.plots.histogram import density

    cfg = iris(epochs=15, learning_rate=0.05)
    panel = make_panel(cfg)
    panel.insideTabs.setCurrentIndex(0)
    click_and_finish(qtbot, panel)
    slider = panel.epochSlider
    assert slider.isEnabled() and slider.maximum() == 15 and slider.value() == 15
    view = panel.histogramView

    def on_screen():
        x, y = view.curve.getData()
        return np.asarray(x).copy(), np.asarray(y).copy()

    last = on_screen()
    slider.setValue(0)
    first = on_screen()
    assert "Epoch 0" in view.epochLabel.text() and "epoch 0" in view.plot.getPlotItem().titleLabel.text
    assert not (np.array_equal(first[0], last[0]) and np.array_equal(first[1], last[1]))
    # epoch 0 is the initializer's own draw: the same seed builds the same weights
    initial = Trainer(cfg, load_split(cfg.data), histograms=False).network.layers[0].W
    np.testing.assert_allclose(first[1], density(Histogram.of(initial)))
    for x, y in (first, last):  # densities: every curve has area 1, whatever its bins
        assert float(np.sum(y * np.diff(x))) == pytest.approx(1.0)
    slider.setValue(slider.maximum())
    edges, outline = view.outline_on_screen()  # the dashed epoch-0 outline under the latest epoch
    np.testing.assert_allclose(outline, first[1])
    view.layerCombo.setCurrentText("output")
    view.kindCombo.setCurrentText("Biases")
    x, y = on_screen()
    assert float(np.sum(y * np.diff(x))) == pytest.approx(1.0)


def test_the_epoch_zero_outline_is_a_closed_histogram(qtbot, make_panel):
    """Drawn under a later epoch, the dashed epoch-0 outline rises from 0 at its first edge, runs
    along each bin's top, falls to 0 at its last edge and returns along the baseline."""
    panel = make_panel(iris(epochs=6, learning_rate=0.05))
    panel.insideTabs.setCurrentIndex(0)
    click_and_finish(qtbot, panel)
    view = panel.histogramView
    qtbot.waitUntil(lambda: len(view.first_curve.getData()[0] if view.first_curve.getData()[0] is not None
                                else ()) > 0)
    x, y = (np.asarray(a) for a in view.first_curve.getData())
    edges, heights = view.outline_on_screen()
    assert len(edges) == len(heights) + 1 >= 3 and heights.max() > 0
    assert (x[0], y[0]) == (edges[0], 0.0) and (x[1], y[1]) == (edges[0], heights[0])  # the left side
    assert (x[-3], y[-3]) == (edges[-1], heights[-1]) and (x[-2], y[-2]) == (edges[-1], 0.0)  # the right side
    assert (x[-1], y[-1]) == (edges[0], 0.0)  # back along the baseline: closed
    path = view.first_curve.curve.getPath()
    start, end = path.elementAt(0), path.elementAt(path.elementCount() - 1)
    assert (start.x, start.y) == (end.x, end.y) == (edges[0], 0.0)
    assert path.boundingRect().top() == 0.0 and path.boundingRect().bottom() == pytest.approx(heights.max())


# -- pause, step, stop ------------------------------------------------------------------------------------

def test_step_from_idle_runs_exactly_one_epoch_at_a_time(qtbot, make_panel):
    panel = make_panel(ENDLESS)
    with wait_state(qtbot, panel, RunState.PAUSED):
        qtbot.mouseClick(panel.stepButton, LEFT)
    assert len(panel.history) == 1 and panel.is_running()
    for expected in (2, 3):
        with wait_state(qtbot, panel, RunState.PAUSED):
            qtbot.mouseClick(panel.stepButton, LEFT)
        assert len(panel.history) == expected
    np.testing.assert_array_equal(curve(panel.lossPlot, "train")[0], [1, 2, 3])
    summary = click_and_finish(qtbot, panel, panel.stopButton)
    assert summary.stop_reason == STOP_USER and summary.epochs_run == 3


def painted_near(plot, key, radius=4) -> int:
    """How many pixels of series ``key``'s colour the plot paints within ``radius`` of its last point."""
    x, y = curve(plot, key)
    box = plot.getPlotItem().getViewBox()
    centre = plot.mapFromScene(box.mapViewToScene(QPointF(float(x[-1]), float(y[-1]))))
    image = plot.grab().toImage()
    want = plot.series[key].opts["pen"].color()
    return sum(
        abs(image.pixelColor(cx, cy).red() - want.red()) + abs(image.pixelColor(cx, cy).green() - want.green())
        + abs(image.pixelColor(cx, cy).blue() - want.blue()) < 60
        for cx in range(centre.x() - radius, centre.x() + radius + 1)
        for cy in range(centre.y() - radius, centre.y() + radius + 1))


def test_after_one_step_every_curve_plot_shows_its_point(qtbot, make_panel):
    panel = make_panel(ENDLESS)
    with wait_state(qtbot, panel, RunState.PAUSED):
        qtbot.mouseClick(panel.stepButton, LEFT)
    plots = {panel.lossPlot: "val", panel.accuracyPlot: "val", panel.learningRatePlot: "lr",
             panel.gradNormPlot: next(iter(panel.gradNormPlot.series))}
    for plot, key in plots.items():
        assert len(curve(plot, key)[0]) == 1
        qtbot.waitUntil(lambda plot=plot, key=key: painted_near(plot, key) >= 9)
    with wait_state(qtbot, panel, RunState.PAUSED):
        qtbot.mouseClick(panel.stepButton, LEFT)
    assert panel.lossPlot.series["val"].opts["symbol"] is None  # two points: a line, no dots


def test_pause_step_resume_during_a_run(qtbot, make_panel):
    panel = make_panel(ENDLESS)
    qtbot.mouseClick(panel.trainButton, LEFT)
    qtbot.waitUntil(lambda: len(panel.history) >= 3, timeout=RUN_TIMEOUT_MS)
    with wait_state(qtbot, panel, RunState.PAUSED):
        qtbot.mouseClick(panel.pauseButton, LEFT)
    paused_at = len(panel.history)
    np.testing.assert_array_equal(panel.history.epochs, np.arange(1, paused_at + 1))
    with wait_state(qtbot, panel, RunState.PAUSED):
        qtbot.mouseClick(panel.stepButton, LEFT)
    assert len(panel.history) == paused_at + 1
    with wait_state(qtbot, panel, RunState.RUNNING):
        qtbot.mouseClick(panel.pauseButton, LEFT)  # now labelled Resume
    qtbot.waitUntil(lambda: len(panel.history) > paused_at + 5, timeout=RUN_TIMEOUT_MS)
    summary = click_and_finish(qtbot, panel, panel.stopButton)
    assert summary.epochs_run >= paused_at + 5
    np.testing.assert_array_equal(curve(panel.lossPlot, "val")[0], np.arange(1, len(panel.history) + 1))


def test_stop_ends_the_run_promptly_and_marks_it(qtbot, make_panel):
    # digits with a wide net: an epoch takes long enough that stopping mid-epoch matters
    config = ExperimentConfig(data=DataConfig("digits"), layers=(LayerConfig(128, "relu"),), epochs=10_000,
                              batch_size=16, early_stopping=False)
    panel = make_panel(config)
    qtbot.mouseClick(panel.trainButton, LEFT)
    qtbot.waitUntil(lambda: len(panel.history) >= 2, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(panel.runningChanged, check_params_cb=lambda running: not running, timeout=5000):
        with qtbot.waitSignal(panel.trainingFinished, timeout=5000) as finished:
            started = time.perf_counter()
            qtbot.mouseClick(panel.stopButton, LEFT)
    elapsed = time.perf_counter() - started
    summary = finished.args[0]
    assert summary.stop_reason == STOP_USER and summary.epochs_run < 10_000
    assert elapsed < 2.0  # the contract is 0.5 s; the margin absorbs a loaded test machine
    assert "Stopped by request" in panel.statusLabel.text()
    assert panel.lossPlot.stop_line.isVisible()
    assert panel.lossPlot.stop_line.label.textItem.toPlainText() == "stopped"


def test_shutdown_mid_run_leaves_no_thread(qtbot, make_panel):
    panel = make_panel(ENDLESS)
    states = []
    panel.runningChanged.connect(states.append)
    qtbot.mouseClick(panel.trainButton, LEFT)
    qtbot.waitUntil(lambda: len(panel.history) >= 1, timeout=RUN_TIMEOUT_MS)
    panel.shutdown()
    assert running_threads() == []
    assert not panel.is_running() and states == [True, False]
    assert panel.trainButton.isEnabled()


def test_shutdown_while_paused_leaves_no_thread(qtbot, make_panel):
    panel = make_panel(ENDLESS)
    with wait_state(qtbot, panel, RunState.PAUSED):
        qtbot.mouseClick(panel.stepButton, LEFT)
    panel.shutdown()
    assert running_threads() == [] and not panel.is_running()


def test_reset_clears_plots_results_and_log(qtbot, make_panel):
    panel = make_panel(moons())
    click_and_finish(qtbot, panel)
    panel.logView.flush()
    assert panel.logView.toPlainText() and panel.boundaryView.image.image is not None
    qtbot.mouseClick(panel.resetButton, LEFT)
    for plot in panel.curvePlots:
        for key in plot.series:
            assert len(curve(plot, key)[0]) == 0
    assert panel.gradNormPlot.series == {}
    assert not panel.epochSlider.isEnabled() and panel.histogramView.density_on_screen().size == 0
    assert panel.confusionView.rowCount() == 0
    assert panel.boundaryView.image.image is None and len(panel.boundaryView.points.data) == 0
    assert panel.logView.toPlainText() == "" and panel.trainProgress.value() == 0
    assert panel.state == RunState.IDLE and "Ready" in panel.statusLabel.text()
    assert len(panel.history) == 0


# -- messages -------------------------------------------------------------------------------------------

def test_invalid_config_shows_the_message_and_does_not_start(qtbot, make_panel):
    def provider():
        raise ConfigError("learning_rate", -1.0, "a number > 0")

    panel = make_panel(provider)
    with qtbot.assertNotEmitted(panel.runningChanged):
        qtbot.mouseClick(panel.trainButton, LEFT)
        qtbot.mouseClick(panel.stepButton, LEFT)
    assert "learning_rate: -1.0 is not valid" in panel.statusLabel.text()
    assert panel.statusLabel.property("severity") == "error"
    assert panel.state == RunState.IDLE and running_threads() == []


def test_editor_verdict_disables_train(make_panel):
    panel = make_panel(iris())
    panel.set_config_valid(False, "log_loss needs a 2-class data set")
    assert not panel.trainButton.isEnabled() and not panel.stepButton.isEnabled()
    assert "log_loss needs a 2-class data set" in panel.statusLabel.text()
    panel.set_config_valid(True, "")
    assert panel.trainButton.isEnabled() and "Ready" in panel.statusLabel.text()


def test_unusable_data_is_reported_and_the_panel_stays_usable(qtbot, make_panel):
    panel = make_panel(iris(data=DataConfig("iris", {"n_samples": 50})))
    with qtbot.waitSignal(panel.runningChanged, check_params_cb=lambda running: not running,
                          timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.trainButton, LEFT)
    assert "has no option 'n_samples'" in panel.statusLabel.text()
    assert panel.statusLabel.property("severity") == "error"
    assert panel.state == RunState.IDLE and panel.trainButton.isEnabled()


def test_divergence_warns_and_keeps_the_best_weights(qtbot, make_panel):
    config = ExperimentConfig(data=DataConfig("diabetes"), layers=(LayerConfig(8, "relu"),), optimizer="sgd",
                              learning_rate=0.5, loss_func="mse", output_activation="linear", batch_size=0,
                              epochs=100, early_stopping=False)
    panel = make_panel(config)
    summary = click_and_finish(qtbot, panel)
    assert summary.diverged and summary.epochs_run < 100
    text = panel.statusLabel.text()
    assert "diverged" in text and f"Best weights kept (epoch {summary.best_epoch})" in text
    assert panel.statusLabel.property("severity") == "warning"
    assert panel.lossPlot.stop_line.isVisible()
    # regression: no accuracy curves, the test RMSE instead
    assert panel.accuracyStack.currentWidget() is panel.rmseLabel
    assert "Test RMSE" in panel.rmseLabel.text()


def test_log_pane_gets_a_line_every_log_every_epochs(qtbot, make_panel):
    panel = make_panel(iris(epochs=12, log_every=5))
    click_and_finish(qtbot, panel)
    panel.logView.flush()
    text = panel.logView.toPlainText()
    for epoch in (1, 5, 10):
        assert f"Epoch {epoch}: loss = " in text
    assert "Epoch 7:" not in text and "Trained all 12 epochs." in text and "Test: loss" in text
    assert panel.logView.isReadOnly() and panel.logView.maximumBlockCount() > 0


# -- results ---------------------------------------------------------------------------------------------

def test_confusion_matrix_covers_the_test_split(qtbot, make_panel):
    config = iris(epochs=30)
    panel = make_panel(config)
    click_and_finish(qtbot, panel)
    split = load_split(config.data)
    table = panel.confusionView
    assert table.rowCount() == table.columnCount() == 3
    assert table.total() == len(split.y_test)
    assert table.verticalHeaderItem(0).text() == "setosa"
    assert "predicted" in panel.confusionCaption.text()
    diagonal = sum(int(table.item(i, i).text()) for i in range(3))
    assert f"{diagonal / len(split.y_test):.1%}" in panel.testMetricsLabel.text()


def test_decision_boundary_is_drawn_live_for_2d_data(qtbot, make_panel):
    config = moons(epochs=100_000)
    panel = make_panel(config)
    qtbot.mouseClick(panel.trainButton, LEFT)
    qtbot.waitUntil(lambda: panel.boundaryView.grid is not None, timeout=RUN_TIMEOUT_MS)
    assert panel.is_running()  # drawn while training, not only at the end
    assert panel.insideTabs.currentIndex() == 1
    image = panel.boundaryView.image.image
    assert image.shape == (120, 120, 3) and image.std() > 0
    split = load_split(config.data)
    assert len(panel.boundaryView.points.data) == len(split.y_train)
    first_epoch = panel.boundaryView.grid.epoch
    qtbot.waitUntil(lambda: panel.boundaryView.grid.epoch > first_epoch, timeout=RUN_TIMEOUT_MS)
    summary = click_and_finish(qtbot, panel, panel.stopButton)
    # a stopped run restores its best weights: the final boundary is theirs, and says so
    assert summary.restored_best and panel.boundaryView.grid.epoch == summary.best_epoch
    assert f"epoch {summary.best_epoch} (best, restored" in panel.boundaryView.getPlotItem().titleLabel.text


def test_no_boundary_for_data_that_is_not_2d(qtbot, make_panel):
    panel = make_panel(iris(epochs=3))
    click_and_finish(qtbot, panel)
    assert panel.boundaryStack.currentWidget() is panel.boundaryPlaceholder
    assert panel.boundaryView.grid is None


# -- throughput of updates --------------------------------------------------------------------------------------

def test_updates_are_throttled_but_every_epoch_reaches_the_plot(qtbot, make_panel):
    epochs = 600
    panel = make_panel(iris(epochs=epochs, batch_size=0))
    started = time.perf_counter()
    click_and_finish(qtbot, panel)
    seconds = time.perf_counter() - started
    np.testing.assert_array_equal(curve(panel.lossPlot, "train")[0], np.arange(1, epochs + 1))
    assert panel.updates_received < epochs  # batched ...
    assert panel.updates_received <= seconds / EMIT_INTERVAL_S + 2  # ... at most ~30 a second


# -- export ----------------------------------------------------------------------------------------------------

def test_export_history_csv_and_plot_png(qtbot, make_panel, tmp_path, monkeypatch):
    panel = make_panel(iris(epochs=8))
    click_and_finish(qtbot, panel)
    csv_path, png_path = tmp_path / "history.csv", tmp_path / "loss.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(csv_path), "CSV files (*.csv)"))
    panel.exportHistoryAction.trigger()
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("epoch,train_loss,val_loss") and len(lines) == 9
    table = np.loadtxt(lines[1:], delimiter=",")
    np.testing.assert_allclose(table[:, 2], panel.history.column("val_loss"), rtol=1e-8)

    asked = []

    def choose(parent, title, label, items, current, editable):  # the plot, then the size: the default
        asked.append(list(items))
        return ("Loss" if "Loss" in items else items[current]), True
    monkeypatch.setattr(QInputDialog, "getItem", choose)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "loss"), "PNG images (*.png)"))
    panel.exportPlotAction.trigger()
    sizes = asked[1]  # the shared Export PNG dialog's choice: 2× first, 1× and 3× offered
    assert sizes[0].startswith("2×") and any(s.startswith("1×") for s in sizes) and any(s.startswith("3×") for s in sizes)
    image = QImage(str(png_path))  # ".png" added to a name without an extension
    assert not image.isNull()
    assert (image.width(), image.height()) == (2 * panel.lossPlot.width(), 2 * panel.lossPlot.height())
    assert "Saved" in panel.statusLabel.text()


def test_export_to_a_missing_folder_explains_and_writes_nothing(qtbot, make_panel, tmp_path, monkeypatch):
    panel = make_panel(iris(epochs=2))
    click_and_finish(qtbot, panel)
    warnings = []
    monkeypatch.setattr("nnstudio.gui.train.export.QMessageBox.warning",
                        lambda parent, title, text: warnings.append(text))
    target = tmp_path / "no-such-folder" / "h.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    panel.exportHistoryAction.trigger()
    assert warnings and "does not exist" in warnings[0] and not target.exists()


def label_values(labels) -> list[float]:
    return sorted(float(text) for text, _rect in labels)


@pytest.mark.parametrize("schedule", [ScheduleConfig(), ScheduleConfig("step", gamma=0.5, step_size=4)])
def test_learning_rate_axis_has_room_and_labelled_ticks(qtbot, make_panel, schedule):
    panel = make_panel(moons(learning_rate=0.1, optimizer="sgd", epochs=12, schedule=schedule))
    click_and_finish(qtbot, panel)
    plot = panel.learningRatePlot
    rates = curve(plot, "lr")[1]
    top = float(rates.max())
    assert (len(set(np.round(rates, 9))) == 1) == (schedule.name == "constant")
    box = plot.getPlotItem().getViewBox()

    def range_fits() -> bool:
        low, high = box.viewRange()[1]
        # from 0, and the rate is a line inside the plot, not on its top edge
        return -0.2 * top <= low <= 0 and 1.15 * top <= high <= 2 * top
    qtbot.waitUntil(range_fits)
    values = label_values(axis_labels(plot))
    assert len(values) >= 3 and values[0] == 0 and values[-1] > top, values
    assert not overlapping(axis_labels(plot))

    plot.getPlotItem().ctrl.logYCheck.setChecked(True)  # from the plot's context menu
    qtbot.waitUntil(lambda: box.viewRange()[1][0] < np.log10(rates.min()) and box.viewRange()[1][1] > np.log10(top))
    labels = axis_labels(plot)
    values = label_values(labels)
    assert len(values) >= 2 and values[0] < top and not overlapping(labels), labels
    plot.getPlotItem().ctrl.logYCheck.setChecked(False)
    qtbot.waitUntil(range_fits)
    assert label_values(axis_labels(plot))[0] == 0


def test_a_finished_run_fills_the_width_of_its_plots(qtbot, make_panel):
    panel = make_panel(iris(epochs=30))
    click_and_finish(qtbot, panel)
    for plot in (panel.lossPlot, panel.accuracyPlot):
        box = plot.getPlotItem().getViewBox()
        # the last epoch sits near the right edge, not a third of the way in: the range fitted to
        # epoch 31, plus the padding pyqtgraph adds to a view (at most 10%, more the narrower it is)
        qtbot.waitUntil(lambda: 30 <= box.viewRange()[0][1] <= 31 * 1.1)


def test_a_regression_run_shows_no_confusion_matrix(qtbot, make_panel):
    config = ExperimentConfig(data=DataConfig("diabetes"), layers=(LayerConfig(8, "relu"),), loss_func="mse",
                              output_activation="linear", epochs=3, early_stopping=False)
    configs = [config]
    panel = make_panel(lambda: configs[-1])
    click_and_finish(qtbot, panel)
    panel.insideTabs.setCurrentIndex(2)  # Results
    qtbot.waitUntil(panel.testMetricsLabel.isVisible)
    assert "Test RMSE" in panel.testMetricsLabel.text()
    assert not panel.confusionCaption.isVisible() and not panel.confusionView.isVisible()
    label = panel.testMetricsLabel  # its text at the top of the page, not floating in the middle
    text_top = label.contentsRect().top() + label.margin()
    assert label.alignment() & Qt.AlignmentFlag.AlignTop and text_top < label.fontMetrics().height()
    configs.append(iris(epochs=3))  # a classification run brings the matrix back
    click_and_finish(qtbot, panel)
    panel.insideTabs.setCurrentIndex(2)
    qtbot.waitUntil(panel.confusionView.isVisible)
    assert panel.confusionCaption.isVisible() and panel.confusionView.rowCount() == 3


def test_every_run_button_tooltip_names_its_shortcut(make_panel):
    panel = make_panel(iris())
    for button, key in ((panel.trainButton, "F5"), (panel.pauseButton, "F6"), (panel.stepButton, "F10"),
                        (panel.stopButton, "Shift+F5"), (panel.resetButton, "Ctrl+R")):
        assert button.toolTip().endswith(f"({key})"), button.objectName()


def test_the_result_says_whether_restoring_went_back_to_an_earlier_epoch(qtbot, make_panel):
    from nnstudio.engine import TrainingSummary

    panel = make_panel(iris())

    def summary(best: int, run: int) -> TrainingSummary:
        return TrainingSummary(run, best, 0.1, "completed", f"Trained all {run} epochs.", True,
                               0.1, 0.9, math.nan, 1.0)

    assert panel._summary_text(summary(15, 15)).endswith("The last epoch (15) was the best.")
    assert panel._summary_text(summary(9, 15)).endswith("Best weights restored (epoch 9).")


# -- lessons made visible ---------------------------------------------------------------------------------

def test_zeros_init_says_the_units_are_identical_after_any_number_of_epochs(qtbot, make_panel):
    cfg = iris(init_method="zeros", epochs=25, layers=(LayerConfig(8, "sigmoid"), LayerConfig(6, "sigmoid")))
    panel = make_panel(cfg)
    notice = panel.identicalUnitsNotice
    click_and_finish(qtbot, panel)
    assert notice.isVisible()
    text = notice.text()
    assert text.startswith("⚠ Epoch 25:") and "hidden layer 1: 1 distinct of 8" in text
    assert "hidden layer 2: 1 distinct of 6" in text and "Zeros initialization" in text
    glorot = make_panel(iris(epochs=3))
    click_and_finish(qtbot, glorot)
    assert not glorot.identicalUnitsNotice.isVisible()


def test_clipping_page_plots_norms_before_and_after_and_the_share_clipped(qtbot, make_panel):
    cfg = iris(clip_type="global_norm", grad_clip=0.05, epochs=10)
    panel = make_panel(cfg)
    click_and_finish(qtbot, panel)
    view = panel.insideTabs.clippingView
    panel.insideTabs.setCurrentWidget(view)
    qtbot.waitUntil(view.isVisible)
    x, before = view.normPlot.series["before"].getData()
    _, after = view.normPlot.series["after"].getData()
    _, share = view.fractionPlot.series["fraction"].getData()
    np.testing.assert_array_equal(x, np.arange(1, 11))
    assert (after <= 0.05 * (1 + 1e-5)).all() and (before > after).all()
    assert ((share > 0) & (share <= 100)).all()
    assert view.normPlot.threshold_line.isVisible() and view.normPlot.threshold_line.value() == 0.05
    assert "global norm" in view.caption.text() and "t = 0.05" in view.caption.text()


def test_the_final_boundary_is_titled_with_the_epoch_whose_weights_it_holds(qtbot, make_panel):
    panel = make_panel(moons(epochs=30, early_stopping=True, patience=1000, learning_rate=0.3))
    summary = click_and_finish(qtbot, panel)
    assert summary.restored_best and summary.best_epoch < 30
    # Results: the kept (best) epoch's validation accuracy beside the test figures
    best_val = panel.history.column("val_accuracy")[summary.best_epoch - 1]
    assert (f"validation accuracy {best_val:.1%} at epoch {summary.best_epoch}, the weights kept"
            in panel.testMetricsLabel.text())
    title = panel.boundaryView.getPlotItem().titleLabel.text
    # the longest form that fits the plot's width; each names the best epoch as the one shown
    assert title in frame_titles(summary.best_epoch, "best, restored; run ended at epoch 30")
    assert f"epoch {summary.best_epoch} (best, restored" in title
    assert panel.boundaryView.grid.epoch == summary.best_epoch


def test_the_previous_runs_curves_stay_faintly_until_hidden(qtbot, make_panel):
    runs = iter([iris(epochs=6, learning_rate=0.01), iris(epochs=4, learning_rate=0.05)])
    config = {"now": next(runs)}
    panel = make_panel(lambda: config["now"])
    click_and_finish(qtbot, panel)
    first_val = panel.history.column("val_loss").copy()
    first_acc = panel.history.column("val_accuracy").copy()
    assert len(curve(panel.lossPlot, "ghost_val")[0]) == 0  # no previous run yet
    config["now"] = next(runs)
    click_and_finish(qtbot, panel)
    x, y = curve(panel.lossPlot, "ghost_val")
    np.testing.assert_array_equal(x, np.arange(1, 7))
    np.testing.assert_allclose(y, first_val)
    np.testing.assert_allclose(curve(panel.accuracyPlot, "ghost_val")[1], 100 * first_acc)
    assert panel.lossPlot.series["ghost_val"].opts["pen"].style() == Qt.PenStyle.DashLine
    assert all(panel.lossPlot.series[key].opts["symbol"] is None for key in ("ghost_train", "ghost_val"))  # lines
    assert len(curve(panel.lossPlot, "val")[0]) == 4  # the current run is the solid one
    check = panel.curves.ghostCheck
    qtbot.mouseClick(check, LEFT)
    assert not check.isChecked() and not panel.lossPlot.series["ghost_val"].isVisible()
    qtbot.mouseClick(check, LEFT)
    assert panel.lossPlot.series["ghost_val"].isVisible()
    qtbot.mouseClick(panel.resetButton, LEFT)
    assert len(curve(panel.lossPlot, "ghost_val")[0]) == 0
    assert not check.isEnabled() and check.text() == "Previous run" and "once there is one" in check.toolTip()


def test_a_run_that_kept_its_initial_weights_says_epoch_zero_and_marks_it(qtbot, make_panel):
    """lr 50 diverges at once: no epoch beats the untrained network, whose weights (epoch 0) are kept."""
    panel = make_panel(moons(learning_rate=50.0, epochs=30, early_stopping=True, patience=5))
    panel.insideTabs.setCurrentIndex(1)
    summary = click_and_finish(qtbot, panel)
    assert summary.restored_best and summary.best_epoch == 0 and summary.epochs_run >= 5
    assert panel.boundaryView.grid.epoch == 0
    assert "epoch 0 (initial weights, kept" in panel.boundaryView.title_text
    assert panel.insideTabs.boundaryReplay.label.text() == "Epoch 0 (initial weights, kept)"
    for plot in (panel.lossPlot, panel.accuracyPlot):
        assert plot.best_line.isVisible() and plot.best_line.value() == 0
        assert plot.best_line.label.toPlainText() == "best 0 (initial)"


def test_a_run_that_learned_nothing_gets_an_amber_box_with_one_account(qtbot, make_panel):
    """Zeros init on moons: no epoch beats the untrained network and the test accuracy is 50%,
    chance for two classes; the box warns, and never also says the best weights were restored."""
    panel = make_panel(moons(init_method="zeros", epochs=40, early_stopping=True, patience=5))
    summary = click_and_finish(qtbot, panel)
    assert summary.best_epoch == 0 and summary.test_accuracy == pytest.approx(0.5, abs=0.05)
    text = panel.statusLabel.text()
    assert panel.statusLabel.property("severity") == "warning"
    assert text.startswith("⚠ ") and "kept the initial parameters" in text and "restored" not in text
    assert "is chance level for 2 classes" in text
    from nnstudio.engine import TrainingSummary
    from nnstudio.gui.train.texts import summary_severity, summary_text

    # at chance although an epoch beat the initial weights: still amber
    learned_little = TrainingSummary(30, 12, 1.0, "completed", "Trained all 30 epochs.", True, 1.0, 0.36,
                                     math.nan, 1.0)
    assert summary_severity(learned_little, 3, "success") == "warning"
    assert summary_text(learned_little, 3).startswith("⚠ Trained all 30 epochs. Best weights restored (epoch 12).")
    assert summary_severity(learned_little, 2, "success") == "warning"
    good = TrainingSummary(30, 12, 1.0, "completed", "Trained all 30 epochs.", True, 1.0, 0.9, math.nan, 1.0)
    assert summary_severity(good, 2, "success") == "success" and not summary_text(good, 2).startswith("⚠")


def test_the_replay_label_says_what_the_newest_frame_holds(qtbot, make_panel):
    runs = iter([moons(epochs=100_000), moons(epochs=30, early_stopping=True, patience=1000, learning_rate=0.3),
                 moons(epochs=12)])
    config = {"now": next(runs)}
    panel = make_panel(lambda: config["now"])
    panel.insideTabs.setCurrentIndex(1)
    replay = panel.insideTabs.boundaryReplay
    qtbot.mouseClick(panel.trainButton, LEFT)  # mid-run: the right end is the newest frame received
    qtbot.waitUntil(lambda: len(panel.boundaryView.frames) >= 3, timeout=RUN_TIMEOUT_MS)
    assert replay.label.text().endswith(" (newest frame)")
    with qtbot.waitSignal(panel.runningChanged, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.stopButton, LEFT)
    config["now"] = next(runs)
    summary = click_and_finish(qtbot, panel)
    assert summary.restored_best and 0 < summary.best_epoch < 30
    assert replay.slider.value() == replay.slider.maximum()
    assert replay.label.text() == f"Epoch {summary.best_epoch} (best, restored)"
    replay.slider.setValue(replay.slider.maximum() - 1)  # the live frame before it: the epoch alone
    assert replay.label.text() == f"Epoch {panel.boundaryView.frames[-2].epoch}"
    config["now"] = next(runs)
    click_and_finish(qtbot, panel)
    assert replay.label.text() == "Epoch 12 (final weights)"


def x_range(plot) -> tuple[float, float]:
    return tuple(plot.getPlotItem().getViewBox().viewRange()[0])


def test_previous_curves_are_drawn_only_for_the_same_data_and_never_set_the_axes(qtbot, make_panel):
    runs = iter([moons(epochs=40), moons(epochs=8, learning_rate=0.001), iris(epochs=5)])
    config = {"now": next(runs)}
    panel = make_panel(lambda: config["now"])
    check = panel.curves.ghostCheck
    click_and_finish(qtbot, panel)
    assert not check.isEnabled()  # nothing earlier to compare with
    config["now"] = next(runs)
    click_and_finish(qtbot, panel)
    assert len(curve(panel.lossPlot, "ghost_val")[0]) == 40  # same data set: drawn...
    for plot in (panel.lossPlot, panel.accuracyPlot):  # ...but the axes fit the 8-epoch run
        qtbot.waitUntil(lambda plot=plot: 8 < x_range(plot)[1] <= 12)
        x, y = curve(plot, "ghost_val")  # the previous run's values over these epochs stay in view
        shown = y[x <= x_range(plot)[1]]
        y_range = lambda plot=plot: plot.getPlotItem().getViewBox().viewRange()[1]  # noqa: E731
        qtbot.waitUntil(lambda: y_range()[0] <= shown.min() and shown.max() <= y_range()[1])
    assert check.isEnabled() and check.text() == "Previous run (40 epochs)"
    assert "learning rate 0.02 → 0.001" in check.toolTip() and "epochs 40 → 8" in check.toolTip()
    config["now"] = next(runs)  # another data set: the moons curves mean nothing beside iris's
    click_and_finish(qtbot, panel)
    assert len(curve(panel.lossPlot, "ghost_val")[0]) == 0
    assert len(curve(panel.accuracyPlot, "ghost_train")[0]) == 0
    assert not check.isEnabled() and "not comparable" in check.toolTip() and "“moons”" in check.toolTip()
    qtbot.waitUntil(lambda: x_range(panel.lossPlot)[1] <= 12)


def test_the_boundary_starts_at_epoch_zero_and_replays_the_run(qtbot, make_panel):
    panel = make_panel(moons(epochs=40))
    panel.insideTabs.setCurrentIndex(1)
    click_and_finish(qtbot, panel)
    view, replay = panel.boundaryView, panel.insideTabs.boundaryReplay
    frames = view.frames
    assert len(frames) >= 2 and frames[0].epoch == 0 and frames[-1].epoch == 40
    assert [f.epoch for f in frames] == sorted(f.epoch for f in frames)
    replay.slider.setValue(0)
    assert "epoch 0" in view.getPlotItem().titleLabel.text and replay.label.text() == "Epoch 0"
    assert not view.follow_latest
    np.testing.assert_array_equal(view.image.image, frames[0].rgb)
    replay.speedCombo.setCurrentIndex(3)
    qtbot.mouseClick(replay.playButton, LEFT)
    assert replay.playButton.isChecked()
    qtbot.waitUntil(lambda: not replay.playButton.isChecked(), timeout=20_000)  # played to the end
    assert view.follow_latest and replay.slider.value() == replay.slider.maximum()
    np.testing.assert_array_equal(view.image.image, frames[-1].rgb)


# -- the opt-in sharpness monitor ------------------------------------------------------------------------

def test_sharpness_is_off_by_default_and_plotted_against_the_limit_when_on(qtbot, make_panel):
    config = moons(optimizer="momentum", momentum=0.5, learning_rate=0.1, batch_size=0, epochs=6)
    panel = make_panel(config)
    page = panel.insideTabs.sharpnessPage
    assert not page.sharpnessCheck.isChecked() and page.sharpness_every() == 0
    assert "Cost" in page.sharpnessCheck.toolTip()
    click_and_finish(qtbot, panel)
    assert panel.insideTabs.sharpnessPlot.points == []
    panel.insideTabs.setCurrentWidget(page)
    qtbot.mouseClick(page.sharpnessCheck, LEFT)
    page.sharpnessEverySpin.setValue(2)
    click_and_finish(qtbot, panel)
    plot = panel.insideTabs.sharpnessPlot
    epochs, values = plot.sharpness.getData()
    assert list(epochs) == [1, 2, 4, 6] and all(v > 0 for v in values)
    _, limits = plot.limit.getData()
    np.testing.assert_allclose(limits, 2 * 1.5 / 0.1)   # 2(1 + μ)/lr
    assert plot.getPlotItem().legend.items[-1][1].text == "2(1+μ)/lr"


def test_stop_during_sharpness_measurements_is_prompt(qtbot, make_panel):
    config = ExperimentConfig(data=DataConfig("digits"), layers=(LayerConfig(128, "relu"),), epochs=10_000,
                              batch_size=0, optimizer="sgd", learning_rate=0.5, early_stopping=False)
    panel = make_panel(config)
    page = panel.insideTabs.sharpnessPage
    panel.insideTabs.setCurrentWidget(page)
    qtbot.mouseClick(page.sharpnessCheck, LEFT)
    page.sharpnessEverySpin.setValue(1)   # a measurement after every (full-batch, short) epoch
    qtbot.mouseClick(panel.trainButton, LEFT)
    qtbot.waitUntil(lambda: len(panel.insideTabs.sharpnessPlot.points) >= 1, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(panel.runningChanged, check_params_cb=lambda running: not running, timeout=5000):
        started = time.perf_counter()
        qtbot.mouseClick(panel.stopButton, LEFT)
    assert time.perf_counter() - started < 2.0  # the contract is 0.5 s; the margin absorbs a loaded machine
