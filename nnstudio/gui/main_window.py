"""The studio window: design a network on the left, tune it on the right, train it in the middle.

Layout: docks for the data set, the layer stack with its diagram, the hyperparameters and the
help pane around a tab area whose first tab trains the design (more tabs are added with
:meth:`MainWindow.add_tab`).  The window owns the file (New / Open / Save / Save As / recent
files) and asks before discarding unsaved changes; window layout and recent files live in
``QSettings``.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu, QMessageBox, QScrollArea,
                               QSplitter, QTabBar, QTabWidget, QUndoView, QWidget)

from ..config import ConfigError, ExperimentConfig
from ..files import EXPERIMENT_SUFFIX, FileFormatError, load_experiment, save_experiment
from .editor import ConfigEditor, DataPanel, HelpPane, HyperparamPanel, LayerEditor, NetworkDiagram
from .editor.binding import reveal_field
from ..design.edits import output_size
from .editor.help_pane import help_key_of
from .editor.hyperparams import describe_problem
from .compare.tab import CompareTab
from .train.panel import TrainingPanel
from .tune.tab import TuningTab

APP_TITLE = "nnstudio"
FILE_FILTER = f"nnstudio experiments (*{EXPERIMENT_SUFFIX});;All files (*)"
MAX_RECENT = 8
SETTINGS_RECENT = "recentFiles"
SETTINGS_GEOMETRY = "window/geometry"
SETTINGS_STATE = "window/state"
SETTINGS_SPLITTER = "window/networkSplitter"
SETTINGS_LAST_DIR = "paths/lastExperimentDir"
STATE_VERSION = 1  # bump when the docks change, so an old saved layout is not applied
STATUS_TIMEOUT_MS = 6000
WIDE_LAYOUT_PX = 1600  # from this window width on, the panels start in two side columns

# objectName of a training action -> default shortcut (used when the panel sets none)
TRAINING_SHORTCUTS = {
    "trainAction": "F5",
    "pauseAction": "F6",
    "stepAction": "F10",
    "stopAction": "Shift+F5",
    "resetAction": "Ctrl+R",
}
TRAINING_EXPORTS = ("exportPlotAction", "exportHistoryAction")
TRAINING_IDLE = "idle"  # the training panel's state after Reset (and before any run)


class MainWindow(QMainWindow):
    """The studio window.

    Signals:
        configValid(bool, str): whether the edited config can be trained, and why not.
    """

    configValid = Signal(bool, str)

    def __init__(self, config: ExperimentConfig | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self._path: Path | None = None
        self._running = False
        self._tabs_with_shutdown: list[QWidget] = []
        self._closed = False
        self._layout_pending = False

        self.editor = ConfigEditor(config, self)
        self._build_central()
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        self._update_title()
        self._update_diagram()
        self._restore_settings()

    # -- building --------------------------------------------------------------------------------
    def _build_central(self) -> None:
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.training_panel = TrainingPanel(self.current_config, self)
        self.training_panel.setObjectName(self.training_panel.objectName() or "trainingPanel")
        self.add_tab(self.training_panel, "Train")
        self.compare_tab = CompareTab(self.current_config, self)
        self.compare_tab.openInEditor.connect(self._open_compared_variant)
        self.add_tab(self.compare_tab, "Compare")
        self.tuning_tab = TuningTab(self.current_config, self)
        self.tuning_tab.openInEditor.connect(self._open_tuned_config)
        self.add_tab(self.tuning_tab, "Tune")
        self.setCentralWidget(self.tabs)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.data_panel = DataPanel(self.editor)
        data_scroll = QScrollArea()
        data_scroll.setWidgetResizable(True)
        data_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        data_scroll.setWidget(self.data_panel)
        self.data_dock = self._dock("Data", "dataDock", data_scroll, left)

        self.layer_editor = LayerEditor(self.editor)
        self.diagram = NetworkDiagram()
        self.diagram.setProperty("helpKey", "diagram")
        self.network_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.network_splitter.setObjectName("networkSplitter")
        self.network_splitter.addWidget(self.layer_editor)
        self.network_splitter.addWidget(self.diagram)
        self.network_splitter.setStretchFactor(0, 3)
        self.network_splitter.setStretchFactor(1, 2)
        self.network_splitter.setChildrenCollapsible(False)
        self.network_dock = self._dock("Network", "networkDock", self.network_splitter, left)

        self.hyperparams = HyperparamPanel(self.editor)
        self.hyperparams_dock = self._dock("Hyperparameters", "hyperparamsDock", self.hyperparams, right)

        self.help_pane = HelpPane(self.editor)
        self.help_pane.follow_view(self.layer_editor.view)
        self.help_dock = self._dock("Help", "helpDock", self.help_pane, right)
        self.history_view = QUndoView(self.editor.undo_stack)
        self.history_view.setObjectName("historyView")
        self.history_view.setEmptyLabel("<opened>")
        self.history_dock = self._dock("History", "historyDock", self.history_view, right)
        # No tab groups yet: reset_layout (or restoreState) makes them.  A group made here and
        # undone there would leave its tab bar behind until Qt gets round to deleting it.
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)

    def _action(self, text: str, name: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.new_action = self._action("&New", "newAction", self.new_file, K.New, "Start a new experiment")
        self.open_action = self._action("&Open…", "openAction", lambda: self.open_file(), K.Open,
                                        "Open an experiment file")
        self.save_action = self._action("&Save", "saveAction", self.save, K.Save, "Save the experiment")
        self.save_as_action = self._action("Save &As…", "saveAsAction", self.save_as, K.SaveAs,
                                           "Save the experiment under a new name")
        self.quit_action = self._action("&Quit", "quitAction", self.close, K.Quit, "Close the window")
        stack = self.editor.undo_stack
        self.undo_action = self._action("&Undo", "undoAction", stack.undo, K.Undo)
        self.redo_action = self._action("&Redo", "redoAction", stack.redo)
        redo_keys: list[QKeySequence] = []  # the platform's, plus both common ones, each once
        for key in [*QKeySequence.keyBindings(K.Redo), QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]:
            if key not in redo_keys:
                redo_keys.append(key)
        self.redo_action.setShortcuts(redo_keys)
        self.help_action = self._action("&Explain the focused control", "helpAction", self._show_help, "F1")
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.setObjectName("fileMenu")
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        exports = [getattr(self.training_panel, name, None) for name in TRAINING_EXPORTS]
        exports = [a for a in exports if isinstance(a, QAction)]
        if exports:
            file_menu.addSeparator()
            file_menu.addActions(exports)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.file_menu = file_menu
        self._fill_recent_menu()

        edit_menu = bar.addMenu("&Edit")
        edit_menu.setObjectName("editMenu")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        layer_menu = edit_menu.addMenu("&Layers")
        layer_menu.addActions(list(self.layer_editor.actions_by_name.values()))

        self.presets_menu = self._build_presets_menu()
        if self.presets_menu is not None:
            bar.addMenu(self.presets_menu)

        self.run_menu = self._build_run_menu()
        if self.run_menu is not None:
            bar.addMenu(self.run_menu)

        view_menu = bar.addMenu("&View")
        view_menu.setObjectName("viewMenu")
        for dock in (self.data_dock, self.network_dock, self.hyperparams_dock, self.help_dock, self.history_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(self._action("Reset &Layout", "resetLayoutAction", self.reset_layout))

        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("helpMenu")
        help_menu.addAction(self.help_action)
        help_menu.addAction(self._action("&About nnstudio", "aboutAction", self._about))

    def _build_presets_menu(self) -> QMenu | None:
        """A Presets menu when :mod:`nnstudio.presets` is installed."""
        if importlib.util.find_spec("nnstudio.presets") is None:
            return None
        menu = QMenu("&Presets", self)
        menu.setObjectName("presetsMenu")
        menu.aboutToShow.connect(lambda: self._fill_presets_menu(menu))
        self._fill_presets_menu(menu)
        return menu

    def _fill_presets_menu(self, menu: QMenu) -> None:
        menu.clear()
        try:
            presets = importlib.import_module("nnstudio.presets")
            entries = list(presets.list_presets())
        except Exception as exc:  # a broken preset folder must not break the window
            menu.addAction(f"Presets unavailable: {exc}").setEnabled(False)
            return
        for entry in entries:
            name = entry if isinstance(entry, str) else getattr(entry, "name", str(entry))
            description = "" if isinstance(entry, str) else getattr(entry, "description", "")
            action = menu.addAction(name.replace("_", " "))
            action.setData(name)
            if description:
                action.setToolTip(description)
                action.setStatusTip(description)
            action.triggered.connect(lambda _checked=False, n=name: self.load_preset(n))
        menu.setToolTipsVisible(True)
        menu.setEnabled(not self._running)

    def load_preset(self, name: str) -> None:
        try:
            config = importlib.import_module("nnstudio.presets").load_preset(name)
        except Exception as exc:
            self._error("Cannot load preset", f"The preset {name!r} cannot be loaded: {exc}")
            return
        self.load_config(config, f"preset {name}")

    def _build_run_menu(self) -> QMenu | None:
        """The training panel's actions (``trainAction``...) as a Run menu with window-wide shortcuts."""
        panel = self.training_panel
        actions = [getattr(panel, name, None) or panel.findChild(QAction, name) for name in TRAINING_SHORTCUTS]
        pairs = [(name, a) for name, a in zip(TRAINING_SHORTCUTS, actions) if isinstance(a, QAction)]
        if not pairs:
            return None
        menu = QMenu("&Run", self)
        menu.setObjectName("runMenu")
        for name, action in pairs:
            if action.shortcut().isEmpty():
                action.setShortcut(QKeySequence(TRAINING_SHORTCUTS[name]))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            menu.addAction(action)
        return menu

    def _build_status_bar(self) -> None:
        self.validity_label = QLabel(self)
        self.validity_label.setObjectName("validityLabel")
        self.validity_label.setTextFormat(Qt.TextFormat.RichText)
        self.validity_label.linkActivated.connect(self.show_field)
        self.statusBar().addPermanentWidget(self.validity_label)
        self.statusBar().setObjectName("statusBar")
        self._show_validity(self.editor.problem is None, "")

    def _connect(self) -> None:
        ed = self.editor
        # Bound methods, not lambdas: Qt drops these connections when the window is destroyed,
        # so the undo stack's teardown never signals into a half-deleted window.
        ed.configChanged.connect(self._update_diagram)
        ed.dataInfoChanged.connect(self._update_diagram)
        ed.validityChanged.connect(self._on_validity)
        ed.note.connect(self._show_note)
        stack = ed.undo_stack
        stack.cleanChanged.connect(self._update_title)
        stack.indexChanged.connect(self._update_undo_actions)
        self._update_undo_actions()
        panel = self.training_panel
        panel.runningChanged.connect(self._on_running)
        panel.weightsChanged.connect(self.diagram.set_weights)
        panel.trainingFinished.connect(self._on_finished)
        if hasattr(panel, "stateChanged"):
            panel.stateChanged.connect(self._on_training_state)
        if hasattr(panel, "set_config_valid"):
            self.configValid.connect(panel.set_config_valid)
            panel.set_config_valid(*self._validity())

    def _show_note(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

    def _open_compared_variant(self, config: ExperimentConfig) -> None:
        self.load_config(config, "a compared variant")
        self.tabs.setCurrentWidget(self.training_panel)

    def _open_tuned_config(self, config: ExperimentConfig) -> None:
        self.load_config(config, f"tuning ({config.name})")
        self.tabs.setCurrentWidget(self.training_panel)

    # -- tabs and config -----------------------------------------------------------------------
    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab after the existing ones; its ``shutdown()`` (if any) runs when the window closes."""
        index = self.tabs.addTab(widget, title)
        if callable(getattr(widget, "shutdown", None)):
            self._tabs_with_shutdown.append(widget)
        return index

    def current_config(self) -> ExperimentConfig:
        """The edited config; raises :class:`ConfigError` when it cannot be trained on its data set."""
        return self.editor.validated()

    def is_config_valid(self) -> bool:
        return self.editor.problem is None

    def load_config(self, config: ExperimentConfig, source: str = "") -> None:
        """Put a whole config into the editor as one undoable edit ("Open in editor")."""
        text = f"Load {source}" if source else "Load config"
        if self.editor.load(config, text):
            self.statusBar().showMessage(f"Loaded {source or 'a config'} into the editor (Ctrl+Z to undo).",
                                         STATUS_TIMEOUT_MS)

    def file_path(self) -> Path | None:
        return self._path

    # -- files -----------------------------------------------------------------------------------
    def new_file(self) -> bool:
        if self._running or not self.maybe_save():
            return False
        self.editor.reset(ExperimentConfig())
        self._set_path(None)
        self._reset_training()
        self.statusBar().showMessage("New experiment.", STATUS_TIMEOUT_MS)
        return True

    def open_file(self, path: str | Path | None = None) -> bool:
        """Open an experiment file (asking for one when ``path`` is None); False if nothing was opened."""
        if self._running or not self.maybe_save():
            return False
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Open experiment", self._last_dir(), FILE_FILTER)
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        try:
            config = load_experiment(path)
        except FileFormatError as exc:
            self._error("Cannot open experiment", str(exc))
            return False
        self.editor.reset(config)
        self._set_path(path)
        self._add_recent(path)
        self._reset_training()
        self.statusBar().showMessage(f"Opened {path}.", STATUS_TIMEOUT_MS)
        return True

    def save(self) -> bool:
        if self._path is None:
            return self.save_as()
        return self._write(self._path)

    def save_as(self) -> bool:
        name = self._path.name if self._path else f"{self.editor.config.name or 'experiment'}{EXPERIMENT_SUFFIX}"
        suggested = str(Path(self._last_dir()) / name)
        chosen, _ = QFileDialog.getSaveFileName(self, "Save experiment as", suggested, FILE_FILTER)
        if not chosen:
            return False
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(EXPERIMENT_SUFFIX)
        return self._write(path)

    def _write(self, path: Path) -> bool:
        config = self.editor.config
        try:
            config.validate()
            save_experiment(path, config)
        except ConfigError as exc:
            self._error("Cannot save experiment", f"The experiment has an invalid value and was not saved: {exc}")
            return False
        except (FileFormatError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._error("Cannot save experiment", f"{path}: {reason}. Nothing was overwritten.")
            return False
        self.editor.document.mark_saved()
        self._set_path(path)
        self._add_recent(path)
        self.statusBar().showMessage(f"Saved {path}.", STATUS_TIMEOUT_MS)
        return True

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels (or saving fails)."""
        if not self.editor.document.is_modified():
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.warning(
            self, "Unsaved changes", f"Save the changes to {self._display_name()} before closing it?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    def _set_path(self, path: Path | None) -> None:
        self._path = path
        if path is not None:
            QSettings().setValue(SETTINGS_LAST_DIR, str(path.parent))
        self._update_title()

    def _last_dir(self) -> str:
        return str(QSettings().value(SETTINGS_LAST_DIR, "") or (self._path.parent if self._path else Path.home()))

    def _display_name(self) -> str:
        return self._path.name if self._path else "Untitled"

    def _update_title(self, *_signal_args) -> None:
        if not shiboken6.isValid(self.editor.undo_stack):
            return
        self.setWindowTitle(f"{self._display_name()}[*] — {APP_TITLE}")
        self.setWindowModified(self.editor.document.is_modified())
        self.setWindowFilePath(str(self._path) if self._path else "")

    # -- recent files ----------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = QSettings().value(SETTINGS_RECENT, [])
        if isinstance(value, str):  # QSettings returns a bare string for a one-item list
            value = [value]
        return [str(v) for v in (value or [])]

    def _store_recent(self, paths: list[str]) -> None:
        QSettings().setValue(SETTINGS_RECENT, paths[:MAX_RECENT])

    def _add_recent(self, path: Path) -> None:
        text = str(path.resolve())
        self._store_recent([text] + [p for p in self.recent_files() if p != text])

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        paths = self.recent_files()
        for i, path in enumerate(paths, 1):
            action = menu.addAction(f"&{i} {Path(path).name}")
            action.setData(path)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_recent(p))
        if paths:
            menu.addSeparator()
            menu.addAction("Clear List", lambda: self._store_recent([]))
        else:
            menu.addAction("No recent files").setEnabled(False)
        menu.setToolTipsVisible(True)

    def open_recent(self, path: str) -> bool:
        if not Path(path).exists():
            self._store_recent([p for p in self.recent_files() if p != path])
            self._error("File not found", f"{path} no longer exists; it has been removed from the recent files.",
                        icon=QMessageBox.Icon.Warning)
            return False
        return self.open_file(path)

    # -- training --------------------------------------------------------------------------------
    def _on_running(self, running: bool) -> None:
        self._running = running
        if running:
            self.diagram.set_weights(None)
        for panel in (self.data_panel, self.layer_editor, self.hyperparams):
            panel.set_editable(not running)
        self.history_view.setEnabled(not running)
        for action in (self.new_action, self.open_action):
            action.setEnabled(not running)
        if self.presets_menu is not None:
            self.presets_menu.setEnabled(not running)
        self.recent_menu.setEnabled(not running)
        self._update_undo_actions()
        self._show_validity(*self._validity())
        if running:
            self.statusBar().showMessage("Training… the design is locked until the run is stopped.",
                                         STATUS_TIMEOUT_MS)

    def _on_training_state(self, state: str) -> None:
        if state == TRAINING_IDLE:  # Reset: the run's weights are gone from the plots too
            self.diagram.set_weights(None)

    def _on_finished(self, summary) -> None:
        message = getattr(summary, "message", "") or "Training finished."
        self.statusBar().showMessage(message, 2 * STATUS_TIMEOUT_MS)

    def _reset_training(self) -> None:
        if not self._running and callable(getattr(self.training_panel, "reset", None)):
            self.training_panel.reset()
        self.diagram.set_weights(None)

    def _update_undo_actions(self, *_signal_args) -> None:
        stack = self.editor.undo_stack
        if not (shiboken6.isValid(stack) and shiboken6.isValid(self.undo_action)):
            return  # the window is being destroyed: the stack empties itself on the way out
        for action, can, text, verb in ((self.undo_action, stack.canUndo(), stack.undoText(), "Undo"),
                                        (self.redo_action, stack.canRedo(), stack.redoText(), "Redo")):
            action.setEnabled(can and not self._running)
            action.setText(f"&{verb} {text}" if can and text else f"&{verb}")

    # -- view --------------------------------------------------------------------------------------
    def _update_diagram(self, *_signal_args) -> None:
        cfg, info = self.editor.config, self.editor.info
        sizes = [info.n_features if info.ok else 0, *cfg.layer_sizes, output_size(cfg, info)]
        labels = ["input", *(layer.activation for layer in cfg.layers), cfg.output_activation]
        self.diagram.set_layers(sizes, labels)

    def _validity(self) -> tuple[bool, str]:
        """(trainable, why not) in the words the panels show."""
        problem = self.editor.problem
        return problem is None, "" if problem is None else describe_problem(problem)

    def _on_validity(self, _valid: bool, _message: str) -> None:
        valid, reason = self._validity()
        self._show_validity(valid, reason)
        self.configValid.emit(valid, reason)

    def _show_validity(self, valid: bool, message: str) -> None:
        label = self.validity_label
        problem = self.editor.problem
        if self._running:
            label.setText("Training")
            label.setStyleSheet("color: #0d47a1;")
            label.setToolTip("A run is in progress; the design is locked until it ends (Stop: Shift+F5).")
            return
        if valid or problem is None:
            label.setText("Ready to train")
            label.setStyleSheet("color: #1b5e20;")
            label.setToolTip("")
            return
        text = describe_problem(problem)
        short = label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, 520)
        label.setText(f'⚠ {html.escape(short)} <a href="{html.escape(problem.field)}">Show</a>')
        label.setStyleSheet("color: #b71c1c;")
        label.setToolTip(text)

    def show_field(self, path: str) -> None:
        """Bring the control that edits ``path`` into view and focus it."""
        if reveal_field(self, path) is None:
            reveal_field(self, "loss_func")  # the problem concerns the model as a whole

    def _show_help(self) -> None:
        self.help_dock.show()
        self.help_dock.raise_()
        key, _owner = help_key_of(self.focusWidget())
        if key:
            self.help_pane.show_key(key)

    def reset_layout(self) -> None:
        """Dock the panels where they start: two side columns on a wide window, one on a smaller one.

        Wide (≥ 1600 px): Data over Network on the left, Hyperparameters over Help on the right.
        Compact: Network over tabs of Data and Hyperparameters on the left, Help and History in
        tabs below the training area, so the plots keep their width.
        """
        docks = (self.data_dock, self.network_dock, self.hyperparams_dock, self.help_dock, self.history_dock)
        for dock in docks:
            dock.setFloating(False)
            dock.show()
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        wide = self.width() >= WIDE_LAYOUT_PX
        if wide:
            right = Qt.DockWidgetArea.RightDockWidgetArea
            self.setCorner(Qt.Corner.BottomRightCorner, right)
            for dock, area in zip(docks, (left, left, right, right, right)):
                self.addDockWidget(area, dock)
            self.splitDockWidget(self.data_dock, self.network_dock, Qt.Orientation.Vertical)
            self.splitDockWidget(self.hyperparams_dock, self.help_dock, Qt.Orientation.Vertical)
        else:
            bottom = Qt.DockWidgetArea.BottomDockWidgetArea
            self.setCorner(Qt.Corner.BottomRightCorner, bottom)
            for dock, area in zip(docks, (left, left, left, bottom, bottom)):
                self.addDockWidget(area, dock)
            self.splitDockWidget(self.network_dock, self.data_dock, Qt.Orientation.Vertical)
            self.tabifyDockWidget(self.data_dock, self.hyperparams_dock)
            self.data_dock.raise_()
        self.tabifyDockWidget(self.help_dock, self.history_dock)
        self.help_dock.raise_()
        self._default_sizes()
        self._drop_stale_tab_bars()

    def _drop_stale_tab_bars(self) -> None:
        """Delete now the dock tab bars that Qt has already scheduled for deletion.

        Re-docking gives each dock group a new tab bar.  The bars of the groups taken apart
        (and a spare one Qt makes when tabifying into an area holding a single dock) are
        deleted only when the event loop next runs; until then they stay visible where they
        were laid out, over the tab area or another dock.  Bars in use have no deletion pending.
        """
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            QCoreApplication.sendPostedEvents(bar, QEvent.Type.DeferredDelete)

    def _default_sizes(self) -> None:
        width, height = max(self.width(), 1000), max(self.height(), 600)
        if self.dockWidgetArea(self.hyperparams_dock) == Qt.DockWidgetArea.RightDockWidgetArea:
            self.resizeDocks([self.data_dock, self.hyperparams_dock], [int(width * 0.3), int(width * 0.22)],
                             Qt.Orientation.Horizontal)
            self.resizeDocks([self.data_dock, self.network_dock], [int(height * 0.4), int(height * 0.6)],
                             Qt.Orientation.Vertical)
            self.resizeDocks([self.hyperparams_dock, self.help_dock], [int(height * 0.7), int(height * 0.3)],
                             Qt.Orientation.Vertical)
        else:  # the training tab keeps the rest (it needs about 740 px)
            self.resizeDocks([self.network_dock], [min(max(500, width - 760), int(width * 0.42))],
                             Qt.Orientation.Horizontal)
            self.resizeDocks([self.network_dock, self.data_dock], [int(height * 0.4), int(height * 0.6)],
                             Qt.Orientation.Vertical)
            self.resizeDocks([self.help_dock], [int(height * 0.16)], Qt.Orientation.Vertical)

    def _about(self) -> None:
        QMessageBox.about(self, "About nnstudio",
                          "<b>nnstudio</b><p>Design, train, compare and tune fully-connected neural networks "
                          "with a from-scratch NumPy engine.</p>")

    def _error(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Critical) -> None:
        if icon == QMessageBox.Icon.Warning:
            QMessageBox.warning(self, title, text)
        else:
            QMessageBox.critical(self, title, text)

    # -- settings and closing ------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value(SETTINGS_GEOMETRY)
        restored = bool(geometry) and self.restoreGeometry(geometry)
        if not restored:
            self.resize(1280, 800)
        state = settings.value(SETTINGS_STATE)
        # Without a saved layout the docks are arranged once, at the first show, for the size
        # the window has then (arranging them here too would re-dock them at the first show).
        self._layout_pending = not (state and self.restoreState(state, STATE_VERSION))
        splitter = settings.value(SETTINGS_SPLITTER)
        if not (splitter and self.network_splitter.restoreState(splitter)):
            self.network_splitter.setSizes([330, 160])

    def _save_settings(self) -> None:
        settings = QSettings()
        settings.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        settings.setValue(SETTINGS_STATE, self.saveState(STATE_VERSION))
        settings.setValue(SETTINGS_SPLITTER, self.network_splitter.saveState())

    def shutdown(self) -> None:
        """Stop training and every tab's work and join their threads."""
        self.training_panel.shutdown()
        for tab in self._tabs_with_shutdown:
            if tab is not self.training_panel:
                tab.shutdown()
        self.editor.shutdown()

    def setVisible(self, visible: bool) -> None:  # noqa: N802
        first_show = visible and self._layout_pending
        if first_show:  # arrange the docks for the window's size before Qt lays them out and shows them
            self._layout_pending = False
            self.reset_layout()
            QTimer.singleShot(0, self._default_sizes)  # again once the window has settled
        super().setVisible(visible)
        if first_show:  # laying them out retires more tab bars
            self._drop_stale_tab_bars()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._closed:
            event.accept()
            return
        if not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        self._save_settings()
        self._closed = True
        self.editor.undo_stack.blockSignals(True)  # it empties itself when destroyed; nobody listens
        event.accept()
