"""The studio window: files, recent files, unsaved changes, undo shortcuts, validity, tabs,
training lock-out, settings and clean shutdown — driven through its menus and widgets."""

from __future__ import annotations

import json
import signal

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMessageBox, QTabBar, QWidget

import nnstudio.gui
from nnstudio.config import ConfigError, DataConfig, ExperimentConfig, LayerConfig
from nnstudio.files import load_experiment, save_experiment
from nnstudio.gui.app import install_sigint_handler
from nnstudio.gui.main_window import MAX_RECENT, MainWindow

INFO_TIMEOUT_MS = 60_000
Button = QMessageBox.StandardButton

OBJECT_NAMES = [
    "layerEditor", "addLayerButton", "insertLayerButton", "duplicateLayerButton", "removeLayerButton",
    "moveLayerUpButton", "moveLayerDownButton", "networkDiagram", "datasetCombo", "importCsvButton",
    "valFractionSpin", "testFractionSpin", "splitSeedSpin", "standardizeCheck", "dataSizesLabel",
    "initMethodCombo", "outputActivationCombo", "lossCombo", "optimizerCombo", "learningRateSpin",
    "momentumSpin", "beta1Spin", "beta2Spin", "rhoSpin", "epsilonSpin", "weightDecaySpin", "scheduleCombo",
    "scheduleGammaSpin", "scheduleStepSpin", "schedulePatienceSpin", "scheduleMinLrSpin", "epochsSpin",
    "batchSizeSpin", "seedSpin", "dtypeCombo", "logEverySpin", "clipTypeCombo", "clipValueSpin", "l1Spin",
    "l2Spin", "earlyStoppingCheck", "patienceSpin", "minDeltaSpin", "experimentNameEdit", "configProblemLabel",
    "helpPane", "historyView", "mainTabs", "validityLabel", "dataDock", "networkDock", "hyperparamsDock",
    "helpDock", "historyDock",
]


def small_config(**changes) -> ExperimentConfig:
    base = dict(data=DataConfig("moons", {"n_samples": 160}), layers=(LayerConfig(6, "tanh"),),
                output_activation="softmax", loss_func="categorical_crossentropy", epochs=3, batch_size=32,
                early_stopping=False, log_every=1)
    return ExperimentConfig(**(base | changes))


class Dialogs:
    """Stand-ins for the modal dialogs: answers to give, and the texts that were shown."""

    def __init__(self, monkeypatch):
        self.save_path = ""
        self.open_path = ""
        self.answer = Button.Discard
        self.warnings: list[str] = []
        self.errors: list[str] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (self.save_path, "")))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (self.open_path, "")))
        monkeypatch.setattr(QMessageBox, "warning", staticmethod(self._warning))
        monkeypatch.setattr(QMessageBox, "critical", staticmethod(self._critical))

    def _warning(self, parent, title, text, *args, **kwargs):
        self.warnings.append(text)
        return self.answer

    def _critical(self, parent, title, text, *args, **kwargs):
        self.errors.append(text)
        return Button.Ok


@pytest.fixture
def dialogs(monkeypatch):
    return Dialogs(monkeypatch)


def shown_window(qtbot, size=(1280, 800)) -> MainWindow:
    """A fresh window (no saved settings) of ``size``, shown, its data loaded."""
    QSettings().clear()
    w = MainWindow(small_config())
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: not w.editor.info.pending, timeout=INFO_TIMEOUT_MS)
    return w


@pytest.fixture
def window(qtbot, dialogs):
    w = shown_window(qtbot)
    yield w
    dialogs.answer = Button.Discard  # never leave a modal question open at teardown
    w.close()
    assert not nnstudio.gui.running_threads()


def trigger(window: MainWindow, name: str) -> None:
    action = window.findChild(QAction, name)
    assert action is not None, name
    assert action.isEnabled(), f"{name} is disabled"
    action.trigger()


def child(window, name):
    widget = window.findChild(QWidget, name)
    assert widget is not None, name
    return widget


def test_window_is_importable_from_the_gui_package():
    assert nnstudio.gui.MainWindow is MainWindow


def test_every_automation_name_is_present(window):
    missing = [name for name in OBJECT_NAMES if window.findChild(QWidget, name) is None]
    assert not missing


def test_fits_1280_by_800_with_the_training_tab_first(window):
    assert (window.width(), window.height()) == (1280, 800)  # no panel forces the window wider
    assert window.tabs.tabText(0) == "Train" and window.tabs.widget(0) is window.training_panel
    for dock in (window.data_dock, window.network_dock, window.hyperparams_dock, window.help_dock):
        assert not dock.isFloating() and window.dockWidgetArea(dock) != Qt.DockWidgetArea.NoDockWidgetArea


def test_save_then_open_round_trip_through_the_menu(qtbot, window, dialogs, tmp_path):
    child(window, "learningRateSpin").stepUp()
    qtbot.mouseClick(child(window, "addLayerButton"), Qt.MouseButton.LeftButton)
    edited = window.editor.config
    assert window.isWindowModified() and "Untitled[*]" in window.windowTitle()

    dialogs.save_path = str(tmp_path / "study")  # no suffix: .json is added
    trigger(window, "saveAction")
    path = tmp_path / "study.json"
    assert path.exists() and load_experiment(path) == edited
    assert not window.isWindowModified() and window.windowTitle().startswith("study.json[*]")
    assert not dialogs.errors

    trigger(window, "newAction")  # unmodified: no question
    assert not dialogs.warnings
    assert window.editor.config == ExperimentConfig() and window.file_path() is None

    dialogs.open_path = str(path)
    trigger(window, "openAction")
    assert window.editor.config == edited and window.file_path() == path
    assert window.editor.undo_stack.count() == 0 and not window.isWindowModified()
    assert window.recent_files()[0] == str(path.resolve())

    child(window, "epochsSpin").setValue(11)  # Save now writes to the open file without asking
    dialogs.save_path = ""
    trigger(window, "saveAction")
    assert load_experiment(path).epochs == 11


def test_a_corrupt_file_shows_its_error_and_keeps_the_config(window, dialogs, tmp_path):
    before = window.editor.config
    child(window, "seedSpin").setValue(5)
    edited = window.editor.config
    bad = tmp_path / "broken.json"
    bad.write_text('{"schema_version": 2, "layers": [')
    dialogs.open_path = str(bad)
    dialogs.answer = Button.Discard
    trigger(window, "openAction")
    assert len(dialogs.errors) == 1
    assert "broken.json" in dialogs.errors[0] and "not valid JSON" in dialogs.errors[0]
    assert window.editor.config == edited != before
    assert window.file_path() is None
    assert str(bad.resolve()) not in window.recent_files()


def test_a_file_with_a_bad_value_names_the_field(window, dialogs, tmp_path):
    bad = tmp_path / "bad_value.json"
    raw = small_config().to_dict()
    raw["learning_rate"] = -1
    bad.write_text(json.dumps(raw))
    dialogs.open_path = str(bad)
    trigger(window, "openAction")
    assert "learning_rate" in dialogs.errors[0]
    assert window.editor.config == small_config()


def test_a_failed_save_reports_it_and_stays_modified(window, dialogs, tmp_path):
    child(window, "seedSpin").setValue(3)
    dialogs.save_path = str(tmp_path / "missing-folder" / "x.json")
    trigger(window, "saveAsAction")
    assert dialogs.errors and "does not exist" in dialogs.errors[0] and "Nothing was overwritten" in dialogs.errors[0]
    assert window.isWindowModified() and window.file_path() is None
    assert not (tmp_path / "missing-folder").exists()


def test_save_never_writes_a_config_that_cannot_be_opened_again(window, dialogs, tmp_path):
    child(window, "valFractionSpin").setValue(0.5)
    child(window, "testFractionSpin").setValue(0.45)  # leaves too little training data
    dialogs.save_path = str(tmp_path / "bad.json")
    trigger(window, "saveAsAction")
    assert dialogs.errors and "val_fraction" in dialogs.errors[0]
    assert not (tmp_path / "bad.json").exists()


def test_recent_files_are_capped_newest_first_and_forget_missing_files(window, dialogs, tmp_path):
    paths = []
    for i in range(MAX_RECENT + 2):
        child(window, "seedSpin").setValue(i + 1)
        dialogs.save_path = str(tmp_path / f"run{i}.json")
        trigger(window, "saveAsAction")
        paths.append(str((tmp_path / f"run{i}.json").resolve()))
    recent = window.recent_files()
    assert recent == list(reversed(paths))[:MAX_RECENT]
    window.recent_menu.aboutToShow.emit()
    entries = [a for a in window.recent_menu.actions() if a.data()]
    assert [a.data() for a in entries] == recent
    assert entries[0].text().endswith(f"run{MAX_RECENT + 1}.json")

    gone = recent[2]
    (tmp_path / gone.rsplit("/", 1)[1]).unlink()
    before = window.editor.config
    next(a for a in entries if a.data() == gone).trigger()
    assert dialogs.warnings and "no longer exists" in dialogs.warnings[-1]
    assert gone not in window.recent_files() and len(window.recent_files()) == MAX_RECENT - 1
    assert window.editor.config == before

    target = recent[3]
    next(a for a in window.recent_menu.actions() if a.data() == target).trigger()
    assert window.file_path() is not None and str(window.file_path().resolve()) == target
    assert window.recent_files()[0] == target


def test_unsaved_changes_prompt_on_new(window, dialogs):
    child(window, "epochsSpin").setValue(9)
    edited = window.editor.config
    dialogs.answer = Button.Cancel
    trigger(window, "newAction")
    assert len(dialogs.warnings) == 1 and "Untitled" in dialogs.warnings[0]
    assert window.editor.config == edited and window.isWindowModified()
    dialogs.answer = Button.Discard
    trigger(window, "newAction")
    assert window.editor.config == ExperimentConfig() and not window.isWindowModified()


def test_unsaved_changes_prompt_can_save_first(window, dialogs, tmp_path):
    child(window, "epochsSpin").setValue(9)
    edited = window.editor.config
    dialogs.answer = Button.Save
    dialogs.save_path = str(tmp_path / "kept.json")
    other = tmp_path / "other.json"
    save_experiment(other, small_config(epochs=42))
    dialogs.open_path = str(other)
    trigger(window, "openAction")
    assert load_experiment(tmp_path / "kept.json") == edited  # saved before opening the other file
    assert window.editor.config.epochs == 42 and window.file_path() == other


def test_closing_with_unsaved_changes_can_be_cancelled(qtbot, window, dialogs):
    child(window, "epochsSpin").setValue(9)
    dialogs.answer = Button.Cancel
    assert not window.close()
    assert window.isVisible() and dialogs.warnings
    dialogs.answer = Button.Discard
    assert window.close()
    assert not window.isVisible()
    settings = QSettings()
    assert settings.value("window/geometry") is not None and settings.value("window/state") is not None


def test_undo_and_redo_shortcuts(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    start = window.editor.config
    qtbot.mouseClick(child(window, "addLayerButton"), Qt.MouseButton.LeftButton)
    added = window.editor.config
    assert window.undo_action.isEnabled() and "Add hidden layer" in window.undo_action.text()
    window.layer_editor.view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.config == start
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.editor.config == added
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.config == added
    assert not window.redo_action.isEnabled()


def test_undo_keys_in_a_focused_spin_box_undo_the_edit(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.hyperparams_dock.raise_()
    spin = child(window, "epochsSpin")
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert window.editor.config.epochs == 4
    qtbot.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.config.epochs == 3 and spin.value() == 3
    qtbot.keyClick(spin, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.config.epochs == 4 and spin.value() == 4


def test_load_config_is_one_undoable_step(window):
    start = window.editor.config
    best = small_config(learning_rate=0.02, layers=(LayerConfig(12, "relu"), LayerConfig(5, "elu")))
    window.load_config(best, "best trial")
    assert window.editor.config == best
    assert child(window, "learningRateSpin").value() == pytest.approx(0.02)
    assert window.layer_editor.view.model().rowCount() == 4
    assert window.editor.undo_stack.count() == 1 and "best trial" in window.editor.undo_stack.undoText()
    assert "best trial" in window.statusBar().currentMessage()
    window.editor.undo_stack.undo()
    assert window.editor.config == start


def test_an_invalid_config_is_reported_and_refused_for_training(qtbot, window):
    bad = small_config(data=DataConfig("gaussians", {"n_classes": 10, "n_samples": 300}),
                       output_activation="sigmoid", loss_func="log_loss")
    with qtbot.waitSignal(window.configValid, timeout=INFO_TIMEOUT_MS,
                          check_params_cb=lambda ok, message: not ok):
        window.load_config(bad, "a bad config")
    assert not window.is_config_valid()
    assert not child(window, "trainButton").isEnabled()
    with pytest.raises(ConfigError) as err:
        window.current_config()
    assert err.value.field == "loss_func"
    label = child(window, "validityLabel")
    assert "Loss needs a change" in label.text() and "log_loss" in label.toolTip() and label.isVisible()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.data_dock.raise_()
    label.linkActivated.emit(err.value.field)  # a click on the label's "Show" link
    loss = child(window, "lossCombo")
    qtbot.waitUntil(loss.hasFocus)
    assert loss.isVisible()
    with qtbot.waitSignal(window.configValid, check_params_cb=lambda ok, message: ok):
        loss.setCurrentIndex(loss.findData("categorical_crossentropy"))
    assert window.current_config() == window.editor.config
    assert label.text() == "Ready to train"
    assert child(window, "trainButton").isEnabled()


def test_a_window_opened_on_an_invalid_config_cannot_train(qtbot, dialogs):
    w = MainWindow(small_config(output_activation="sigmoid"))  # cross-entropy needs softmax
    qtbot.addWidget(w)
    assert not w.is_config_valid()
    assert not w.findChild(QWidget, "trainButton").isEnabled()
    qtbot.waitUntil(lambda: not w.editor.info.pending, timeout=INFO_TIMEOUT_MS)
    w.close()


class _Worker(QWidget):
    """A tab with background work to stop when the window closes."""

    def __init__(self):
        super().__init__()
        self.shutdowns = 0

    def shutdown(self) -> None:
        self.shutdowns += 1


def test_the_window_hosts_train_compare_tune_and_lab_tabs(window):
    tabs = window.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Train", "Compare", "Tune", "Lab"]
    assert tabs.widget(1).objectName() == "compareTab" and tabs.widget(2).objectName() == "tuningTab"
    assert tabs.widget(3).objectName() == "labTab"


def test_added_tabs_follow_the_others_and_are_shut_down_on_close(window):
    tab = _Worker()
    before = window.tabs.count()
    index = window.add_tab(tab, "Extra")
    assert index == before and window.tabs.tabText(index) == "Extra"
    window.editor.document.mark_saved()
    assert window.close()
    assert tab.shutdowns == 1


def test_training_locks_the_design_and_shows_weights_in_the_diagram(qtbot, window):
    train = child(window, "trainButton")
    assert window.run_menu is not None
    assert window.training_panel.trainAction.shortcut().toString() == "F5"
    with qtbot.waitSignal(window.training_panel.runningChanged, check_params_cb=bool):
        qtbot.mouseClick(train, Qt.MouseButton.LeftButton)
    # locked but for what the run takes while it trains (learning rate, L1, L2, dropout rates)
    assert not child(window, "addLayerButton").isEnabled() and not child(window, "epochsSpin").isEnabled()
    assert child(window, "learningRateSpin").isEnabled()
    assert not window.new_action.isEnabled() and not window.open_action.isEnabled()
    assert child(window, "validityLabel").text() == "Training"  # not "Ready to train" mid-run
    with qtbot.waitSignal(window.training_panel.runningChanged, timeout=60_000,
                          check_params_cb=lambda running: not running):
        pass
    assert child(window, "layerEditor").isEnabled() and child(window, "learningRateSpin").isEnabled()
    assert window.new_action.isEnabled()
    assert child(window, "validityLabel").text() == "Ready to train"
    qtbot.waitUntil(window.diagram.has_weights)
    trigger(window, "resetAction")
    qtbot.waitUntil(lambda: not window.diagram.has_weights())


def test_closing_mid_run_ends_the_training_thread(qtbot, window):
    window.load_config(small_config(epochs=100_000, data=DataConfig("moons", {"n_samples": 2000})), "long")
    window.editor.document.mark_saved()
    with qtbot.waitSignal(window.training_panel.runningChanged, check_params_cb=bool):
        trigger(window, "trainAction")
    assert window.close()
    assert not window.training_panel.is_running()
    assert not nnstudio.gui.running_threads()


def test_ctrl_c_in_the_terminal_closes_the_window(qtbot, window):
    previous = signal.getsignal(signal.SIGINT)
    tick = install_sigint_handler(QApplication.instance(), window)
    try:
        assert tick.isActive()
        window.editor.document.mark_saved()
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # what the interpreter does on Ctrl-C
        qtbot.waitUntil(lambda: not window.isVisible())
    finally:
        tick.stop()
        signal.signal(signal.SIGINT, previous)


def test_help_action_shows_the_focused_controls_explanation(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.data_dock.raise_()  # hides the hyperparameters in the compact layout
    spin = child(window, "epsilonSpin")
    window.show_field("epsilon")
    qtbot.waitUntil(spin.hasFocus)
    assert spin.isVisible()  # its dock came to the front
    window.help_pane.setHtml("")
    trigger(window, "helpAction")
    assert window.help_dock.isVisible()
    assert "√v̂ + ε" in window.help_pane.toPlainText()


def test_presets_menu_loads_a_preset_as_one_undoable_step(window):
    presets = pytest.importorskip("nnstudio.presets")
    menu = window.presets_menu
    assert menu is not None
    menu.aboutToShow.emit()
    entries = {a.data(): a for a in menu.actions() if a.data()}
    names = [p.name for p in presets.list_presets()]
    assert list(entries) == names
    name = names[-1]
    start = window.editor.config
    entries[name].trigger()
    assert window.editor.config == presets.load_preset(name)
    assert window.editor.undo_stack.count() == 1
    window.editor.undo_stack.undo()
    assert window.editor.config == start


def test_run_app_opens_the_file_it_is_given_and_returns_the_exit_status(qtbot, monkeypatch, tmp_path, dialogs):
    import pyqtgraph as pg

    from nnstudio.gui.app import run_app

    path = tmp_path / "given.json"
    save_experiment(path, small_config(epochs=7))
    app = QApplication.instance()
    names = (app.organizationName(), app.applicationName())
    pg_options = {k: pg.getConfigOption(k) for k in ("antialias", "background", "foreground")}
    seen = {}

    def fake_exec(self=None):
        win = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        qtbot.waitUntil(lambda: win.file_path() == path, timeout=INFO_TIMEOUT_MS)
        seen["epochs"], seen["title"] = win.editor.config.epochs, win.windowTitle()
        assert win.close()
        return 3

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    previous = signal.getsignal(signal.SIGINT)
    try:
        assert run_app([str(path)]) == 3
    finally:
        app.setOrganizationName(names[0])
        app.setApplicationName(names[1])
        pg.setConfigOptions(**pg_options)
    assert seen == {"epochs": 7, "title": "given.json[*] — nnstudio"}
    assert signal.getsignal(signal.SIGINT) is previous  # the Ctrl-C handler is removed again
    assert not nnstudio.gui.running_threads()


@pytest.mark.parametrize("width, hyperparams_area", [(1280, Qt.DockWidgetArea.LeftDockWidgetArea),
                                                     (1920, Qt.DockWidgetArea.RightDockWidgetArea)])
def test_first_start_arranges_the_docks_for_the_window_size(qtbot, dialogs, width, hyperparams_area):
    QSettings().clear()
    w = MainWindow(small_config())
    qtbot.addWidget(w)
    w.resize(width, 900)
    w.show()
    qtbot.waitExposed(w)
    assert w.dockWidgetArea(w.hyperparams_dock) == hyperparams_area
    assert w.dockWidgetArea(w.network_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    qtbot.waitUntil(lambda: w.tabs.width() >= 700)  # the training tab keeps room for its plots
    qtbot.waitUntil(lambda: not w.editor.info.pending, timeout=INFO_TIMEOUT_MS)
    w.close()


DOCK_BAR_GAP_PX = 8  # a dock tab bar sits right above (North) the dock it shows


def misplaced_dock_tab_bars(w: MainWindow) -> list[str]:
    """Every dock tab bar drawn inside the window that is not right above its current dock, or
    that covers the tab area or a dock; and every dock group without exactly one such bar."""
    area = w.rect()
    docks = [d for d in w.findChildren(QDockWidget) if d.isVisible() and d.geometry().intersects(area)]
    by_title = {d.windowTitle(): d for d in docks}
    bars = [b for b in w.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if b.isVisible() and b.geometry().intersects(area)]
    problems = []
    for bar in bars:
        g = bar.geometry()
        titles = [bar.tabText(i) for i in range(bar.count())]
        shown = by_title.get(bar.tabText(bar.currentIndex()))
        covered = [d.objectName() for d in docks if d.geometry().intersects(g)]
        if w.centralWidget().geometry().intersects(g):
            covered.append("tab area")
        if (shown is None or covered or not 0 <= shown.geometry().top() - g.bottom() <= DOCK_BAR_GAP_PX
                or g.left() < shown.geometry().left() or g.right() > shown.geometry().right()):
            problems.append(f"{titles} at {g.getRect()} over {covered}")
    for dock in docks:
        group = {dock.windowTitle(), *(d.windowTitle() for d in w.tabifiedDockWidgets(dock))}
        if len(group) > 1:
            owners = [b for b in bars if {b.tabText(i) for i in range(b.count())} == group]
            if len(owners) != 1:
                problems.append(f"{sorted(group)} has {len(owners)} tab bars")
    return problems


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_dock_tab_bars_sit_only_above_their_docks(qtbot, dialogs, size):
    QSettings().clear()
    w = MainWindow(small_config())
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()  # what the first frame (or a grab taken right away) shows: no event processed yet
    for index in range(w.tabs.count()):
        w.tabs.setCurrentIndex(index)
        assert misplaced_dock_tab_bars(w) == [], (size, w.tabs.tabText(index))
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: not w.editor.info.pending, timeout=INFO_TIMEOUT_MS)
    for index in range(w.tabs.count()):
        w.tabs.setCurrentIndex(index)
        assert misplaced_dock_tab_bars(w) == [], (size, w.tabs.tabText(index))
    trigger(w, "resetLayoutAction")  # re-docks every panel again
    assert misplaced_dock_tab_bars(w) == []
    w.close()


def test_the_training_status_shows_every_line_of_a_long_result_at_1280_by_800(qtbot, window):
    diverging = ExperimentConfig(data=DataConfig("diabetes"), layers=(LayerConfig(8, "relu"),), optimizer="sgd",
                                 learning_rate=0.5, loss_func="mse", output_activation="linear", batch_size=0,
                                 epochs=100, early_stopping=False)
    window.load_config(diverging)
    qtbot.waitUntil(lambda: not window.editor.info.pending, timeout=INFO_TIMEOUT_MS)
    banner = window.training_panel.statusLabel
    seen = []  # the banner as drawn when the run's end is announced (a grab taken then)
    window.training_panel.trainingFinished.connect(
        lambda _summary: seen.append((banner.height(), banner.heightForWidth(banner.width()))))
    with qtbot.waitSignal(window.training_panel.runningChanged, check_params_cb=lambda running: not running,
                          timeout=INFO_TIMEOUT_MS):
        trigger(window, "trainAction")
    assert "diverged" in banner.text()
    margins = banner.contentsMargins()
    text_width = banner.contentsRect().width() - 2 * banner.margin() - 12  # the style sheet's 6 px padding
    lines = banner.fontMetrics().boundingRect(QRect(0, 0, text_width, 10_000), Qt.TextFlag.TextWordWrap,
                                              banner.text()).height() // banner.fontMetrics().lineSpacing()
    assert lines >= 3  # the summary wraps at this width: what the banner has to fit
    needed = lines * banner.fontMetrics().lineSpacing() + margins.top() + margins.bottom()
    assert banner.heightForWidth(banner.width()) >= needed
    assert seen and seen[0][0] >= seen[0][1], seen  # all the lines already in the first frame
    assert banner.height() >= banner.heightForWidth(banner.width())


def test_a_saved_layout_is_restored(qtbot, window):
    right = Qt.DockWidgetArea.RightDockWidgetArea
    window.addDockWidget(right, window.hyperparams_dock)  # the user moved it; the default is the left
    window.editor.document.mark_saved()
    assert window.close()
    again = MainWindow(small_config())
    qtbot.addWidget(again)
    again.resize(1280, 800)
    again.show()
    qtbot.waitExposed(again)
    assert again.dockWidgetArea(again.hyperparams_dock) == right
    assert again.dockWidgetArea(again.data_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    qtbot.waitUntil(lambda: not again.editor.info.pending, timeout=INFO_TIMEOUT_MS)
    again.close()


def test_a_window_laid_out_wide_can_still_shrink_to_a_laptop_screen(qtbot, dialogs):
    """Two side columns (a window opened at 1600 px or more) must not pin a large minimum width."""
    w = shown_window(qtbot, (1600, 1000))
    try:
        assert w.dockWidgetArea(w.hyperparams_dock) == Qt.DockWidgetArea.RightDockWidgetArea  # wide layout
        assert w.minimumSizeHint().width() <= 1300
        assert w.network_dock.minimumSizeHint().width() <= 380
        w.resize(1280, 800)
        qtbot.waitUntil(lambda: w.width() <= 1300)
    finally:
        dialogs.answer = Button.Discard
        w.close()
