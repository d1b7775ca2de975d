"""The Train tab against the design, driven through the window's real widgets: settings changed
while a run trains, results marked stale after the design changes, and File → Export Model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QDoubleSpinBox, QFileDialog, QLineEdit, QMessageBox,
                               QWidget)

import nnstudio.gui
from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import load_split
from nnstudio.files import load_model
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.train.panel import RunState

LEFT = Qt.MouseButton.LeftButton
TIMEOUT_MS = 60_000


def config(**changes) -> ExperimentConfig:
    base = dict(data=DataConfig("moons", {"n_samples": 160}), layers=(LayerConfig(6, "tanh"),),
                output_activation="softmax", loss_func="categorical_crossentropy", epochs=4, batch_size=32,
                learning_rate=0.02, early_stopping=False, log_every=1)
    return ExperimentConfig(**(base | changes))


@pytest.fixture
def make_window(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    windows = []

    def make(cfg: ExperimentConfig) -> MainWindow:
        QSettings().clear()
        w = MainWindow(cfg)
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: not w.editor.info.pending, timeout=TIMEOUT_MS)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.training_panel.shutdown()
        w.editor.undo_stack.setClean()  # nothing to ask about when closing
        w.close()
    assert not nnstudio.gui.running_threads()


def child(window, name) -> QWidget:
    """The window's widget called ``name``; a hyperparameter field's from the hyperparameter panel (the
    Tune tab's settings reuse some names)."""
    widget = window.hyperparams.findChild(QWidget, name) or window.findChild(QWidget, name)
    assert widget is not None, name
    return widget


def type_into_spin(qtbot, window, name: str, text: str) -> None:
    """Select the spin box's text with the keyboard, type ``text`` and press Enter."""
    window.hyperparams_dock.show()
    window.hyperparams_dock.raise_()
    spin = child(window, name)
    window.hyperparams.scroll.ensureWidgetVisible(spin)
    qtbot.mouseClick(spin.findChild(QLineEdit), LEFT)
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def start(qtbot, window):
    panel = window.training_panel
    with qtbot.waitSignal(panel.runningChanged, check_params_cb=bool, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.trainButton, LEFT)
    qtbot.waitUntil(lambda: len(panel.history) >= 2, timeout=TIMEOUT_MS)
    return panel


def stop(qtbot, panel):
    with qtbot.waitSignal(panel.runningChanged, check_params_cb=lambda running: not running, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.stopButton, LEFT)


def finish(qtbot, window):
    panel = window.training_panel
    with qtbot.waitSignal(panel.runningChanged, check_params_cb=lambda running: not running, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.trainButton, LEFT)
    assert panel.state == RunState.FINISHED
    return panel


def test_learning_rate_typed_mid_run_reaches_the_run_and_is_marked(qtbot, make_window):
    window = make_window(config(epochs=100_000))
    panel = start(qtbot, window)
    # only what the run takes stays open
    assert child(window, "learningRateSpin").isEnabled() and child(window, "l1Spin").isEnabled()
    assert child(window, "l2Spin").isEnabled()
    assert not child(window, "epochsSpin").isEnabled() and not child(window, "optimizerCombo").isEnabled()
    assert not child(window, "addLayerButton").isEnabled() and not child(window, "datasetCombo").isEnabled()
    type_into_spin(qtbot, window, "learningRateSpin", "0.1")
    assert window.editor.config.learning_rate == 0.1
    assert "learning rate" in window.editor.undo_stack.undoText().lower()
    rates = lambda: panel.history.column("learning_rate")  # noqa: E731
    qtbot.waitUntil(lambda: bool(len(rates())) and rates()[-1] == pytest.approx(0.1), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(panel.liveEdits.markers.labels), timeout=TIMEOUT_MS)
    assert panel.liveEdits.markers.labels == ["lr 0.02→0.1"]
    at = panel.liveEdits.markers.positions[0]
    changed = int(np.ceil(at)) if at % 1 else int(at) + 1  # the epoch during which it took effect
    lr = rates()
    assert np.all(lr[:changed - 1] == pytest.approx(0.02)) and np.all(lr[changed - 1:] == pytest.approx(0.1))
    lines = [line for plot, line in panel.liveEdits.markers.lines if plot is panel.lossPlot]
    assert len(lines) == 1 and lines[0].value() == pytest.approx(at) and lines[0].label.toPlainText() == "lr 0.02→0.1"
    stop(qtbot, panel)
    assert panel.result.config.learning_rate == 0.1 and panel.result.model.config.learning_rate == 0.1
    assert not panel.staleNotice.isVisible()  # the design is the one the run ended with
    assert child(window, "epochsSpin").isEnabled() and child(window, "addLayerButton").isEnabled()


def test_dropout_typed_in_the_layer_table_while_paused_is_applied_on_resume(qtbot, make_window):
    window = make_window(config(epochs=100_000))
    panel = start(qtbot, window)
    with qtbot.waitSignal(panel.stateChanged, check_params_cb=lambda s: s == RunState.PAUSED.value,
                          timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.pauseButton, LEFT)
    assert window.statusBar().currentMessage().startswith("Paused")  # not the run start's "Training…"
    view = window.layer_editor.view
    model = view.model()
    assert view.isEnabled() and not window.layer_editor.actions_by_name["removeLayer"].isEnabled()
    units = model.index(1, 1)
    assert not model.flags(units) & Qt.ItemFlag.ItemIsEditable  # units stay locked
    cell = model.index(1, 3)
    rect = view.visualRect(cell)
    qtbot.mouseClick(view.viewport(), LEFT, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), LEFT, pos=rect.center())
    qtbot.waitUntil(lambda: bool(view.viewport().findChildren(QDoubleSpinBox)))
    assert view.state() == QAbstractItemView.State.EditingState
    spin = view.viewport().findChildren(QDoubleSpinBox)[0]
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "0.3")
    qtbot.keyClick(spin, Qt.Key.Key_Return)  # the view commits it from the event loop
    qtbot.waitUntil(lambda: view.state() != QAbstractItemView.State.EditingState)
    assert window.editor.config.layers[0].dropout_rate == pytest.approx(0.3)
    assert not window.layer_editor.actions_by_name["removeLayer"].isEnabled()
    paused_at = len(panel.history)
    qtbot.mouseClick(panel.pauseButton, LEFT)  # resume
    qtbot.waitUntil(lambda: bool(panel.liveEdits.markers.labels), timeout=TIMEOUT_MS)
    assert panel.liveEdits.markers.labels == ["dropout 1 0→0.3"]
    assert panel.liveEdits.markers.positions == [float(paused_at)]  # the first mini-batch after the pause
    stop(qtbot, panel)
    assert panel.result.config.layers[0].dropout_rate == pytest.approx(0.3)


def test_results_are_marked_stale_when_the_design_changes_and_cleared_by_undo(qtbot, make_window):
    window = make_window(config())
    panel = finish(qtbot, window)
    summary = panel.statusLabel.text()
    notice = panel.staleNotice
    assert not notice.isVisible()
    window.hyperparams_dock.raise_()
    spin = child(window, "epochsSpin")
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert window.editor.config.epochs == 5
    assert notice.isVisible() and "previous design" in notice.text() and "Train again" in notice.text()
    assert panel.statusLabel.text() == summary  # the run's own result stays as it was
    qtbot.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.config.epochs == 4 and not notice.isVisible()
    type_into_spin(qtbot, window, "l2Spin", "0.01")
    assert notice.isVisible()
    qtbot.mouseClick(panel.trainButton, LEFT)
    assert not notice.isVisible()  # a new run: nothing stale
    qtbot.waitUntil(lambda: panel.state == RunState.FINISHED, timeout=TIMEOUT_MS)
    assert not notice.isVisible()
    qtbot.mouseClick(panel.resetButton, LEFT)
    qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert not notice.isVisible()  # after Reset there are no results to mark


def export_action(window) -> QAction:
    action = window.findChild(QAction, "exportModelAction")
    assert action is not None and action in window.file_menu.actions()
    return action


def test_export_model_writes_npz_and_onnx_that_predict_like_the_run(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window(config())
    action = export_action(window)
    assert not action.isEnabled() and action.shortcut().toString() == "Ctrl+E"
    panel = finish(qtbot, window)
    assert action.isEnabled()
    model = panel.result.model
    X = load_split(config().data).dataset.X
    chosen = {"path": str(tmp_path / "moons"), "filter": "nnstudio model (*.npz)"}
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (chosen["path"], chosen["filter"])))
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    saved = load_model(tmp_path / "moons.npz")  # the chosen format's suffix was added
    np.testing.assert_array_equal(saved.predict(X), model.predict(X))
    np.testing.assert_allclose(saved.predict_proba(X), model.predict_proba(X), rtol=1e-6)
    assert window.statusBar().currentMessage() == f"Saved {tmp_path / 'moons.npz'}."

    onnx = pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator
    chosen.update(path=str(tmp_path / "moons"), filter="ONNX model (*.onnx)")
    action.trigger()
    proto = onnx.load(str(tmp_path / "moons.onnx"))
    onnx.checker.check_model(proto)
    outputs = dict(zip([o.name for o in proto.graph.output],
                       ReferenceEvaluator(proto).run(None, {"features": X.astype(np.float32)})))
    np.testing.assert_allclose(outputs["probabilities"], model.predict_proba(X), rtol=1e-4, atol=1e-6)


def test_export_model_failure_is_one_clear_line(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window(config(epochs=2))
    finish(qtbot, window)
    warnings = []
    monkeypatch.setattr("nnstudio.gui.train.export.QMessageBox.warning",
                        lambda parent, title, text: warnings.append(text))
    target = tmp_path / "missing" / "model.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    export_action(window).trigger()
    assert len(warnings) == 1 and "\n" not in warnings[0] and str(target) in warnings[0]
    assert not target.exists()
    qtbot.mouseClick(window.training_panel.resetButton, LEFT)
    assert not export_action(window).isEnabled()  # Reset: no model is held


def test_history_export_without_an_extension_gets_csv(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window(config(epochs=3))
    panel = finish(qtbot, window)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(tmp_path / "run"), "")))
    window.findChild(QAction, "exportHistoryAction").trigger()
    assert not (tmp_path / "run").exists()
    lines = (tmp_path / "run.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,") and len(lines) == 1 + len(panel.history)


def test_tooltips_show_no_markup_and_the_elu_formula_defines_alpha(make_window):
    from nnstudio.design.help_texts import HELP, choice_tip
    from nnstudio.engine import ACTIVATIONS, SCHEDULES

    window = make_window(config())
    rooms = (window.training_panel, window.hyperparams, window.layer_editor, window.data_panel)
    tips = [w.toolTip() for room in rooms for w in [room, *room.findChildren(QWidget)]]
    tips += [entry.tip for entry in HELP.values()] + [entry.body for entry in HELP.values()]
    tips += [choice_tip(path, name) for path, registry in (("schedule.name", SCHEDULES),
                                                            ("layer.activation", ACTIVATIONS))
             for name in registry.names()]
    assert tips and not [tip for tip in tips if "`" in tip]
    elu = ACTIVATIONS["elu"].formula
    assert "α = 1" in elu and "a +" not in elu
    assert "Patience epochs" in window.findChild(QWidget, "earlyStoppingCheck").toolTip()


def test_a_runs_first_data_are_drawn_at_once_later_ones_at_the_duty_pace(qtbot):
    from nnstudio.gui.qt.refresh import MIN_INTERVAL_S, RefreshScheduler

    drawn = []
    scheduler = RefreshScheduler()
    scheduler.add(lambda: drawn.append(len(drawn)))
    scheduler.mark_dirty()
    assert scheduler._timer.interval() == 0
    qtbot.waitUntil(lambda: drawn == [0])
    scheduler.mark_dirty()
    assert scheduler._timer.interval() == round(MIN_INTERVAL_S * 1000)
    qtbot.waitUntil(lambda: drawn == [0, 1])
    scheduler.cancel()  # a new run: its first data go at once again
    scheduler.mark_dirty()
    assert scheduler._timer.interval() == 0


def test_the_lab_finders_rate_reaches_a_running_run(qtbot, make_window):
    window = make_window(config(epochs=100_000))
    panel = start(qtbot, window)
    window.lab_tab.useLearningRate.emit(0.05)  # what the finder's Use button sends
    assert window.editor.config.learning_rate == 0.05
    qtbot.waitUntil(lambda: bool(panel.liveEdits.markers.labels), timeout=TIMEOUT_MS)
    assert panel.liveEdits.markers.labels == ["lr 0.02→0.05"]
    stop(qtbot, panel)
    assert panel.result.config.learning_rate == 0.05


def test_undo_during_a_run_reverts_a_live_change_and_nothing_else(qtbot, make_window):
    window = make_window(config(epochs=100_000))
    window.hyperparams_dock.raise_()
    epochs = child(window, "epochsSpin")
    epochs.setFocus()
    qtbot.keyClick(epochs, Qt.Key.Key_Up)  # an edit before the run: locked while it trains
    panel = start(qtbot, window)
    assert not window.undo_action.isEnabled()
    type_into_spin(qtbot, window, "learningRateSpin", "0.1")
    assert window.undo_action.isEnabled() and "learning rate" in window.undo_action.text().lower()
    qtbot.waitUntil(lambda: len(panel.liveEdits.markers.labels) == 1, timeout=TIMEOUT_MS)  # the run took it
    qtbot.keyClick(child(window, "learningRateSpin"), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.config.learning_rate == 0.02
    assert not window.undo_action.isEnabled() and window.redo_action.isEnabled()  # next: the epochs edit
    qtbot.waitUntil(lambda: len(panel.liveEdits.markers.labels) == 2, timeout=TIMEOUT_MS)
    assert panel.liveEdits.markers.labels == ["lr 0.02→0.1", "lr 0.1→0.02"]
    stop(qtbot, panel)
    assert panel.result.config.learning_rate == 0.02 and window.undo_action.isEnabled()
