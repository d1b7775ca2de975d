"""The studio window: design a network on the left, tune it on the right, train it in the middle.

Layout: docks for the data set, the layer stack with its diagram, the hyperparameters and the
help pane around a tab area whose first tab trains the design (more tabs are added with
:meth:`MainWindow.add_tab`).  The window owns the file (New / Open / Save / Save As / recent
files) and asks before discarding unsaved changes; window layout and recent files live in
``QSettings``.

The parts live in :mod:`nnstudio.gui.window`: the file (:class:`~.window.files.ExperimentFiles`),
the docks (:class:`~.window.docks.StudioDocks`), the menus (:class:`~.window.menus.StudioMenus`)
and the validity label.  The window checks its panels against :data:`TRAINING_PANEL` and
:data:`EDITOR_TAB` when it is built.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget, QWidget

from ..config import ExperimentConfig
from ..design.edits import output_size
from ..presets import load_preset
from .compare.tab import CompareTab
from .editor import ConfigEditor
from .editor.binding import reveal_field
from .editor.help_pane import help_key_of
from .editor.hyperparams import describe_problem
from .lab.tab import LabTab
from .train.panel import TrainingPanel
from .tune.tab import TuningTab
from .window.contract import PanelContract
from .window.docks import StudioDocks
from .window.files import MAX_RECENT, ExperimentFiles, show_error
from .window.geometry import place_on_screen
from .window.menus import TRAINING_EXPORTS, TRAINING_SHORTCUTS, StudioMenus
from .window.validity import ValidityLabel

__all__ = ["MAX_RECENT", "MainWindow"]

APP_TITLE = "nnstudio"
SETTINGS_GEOMETRY = "window/geometry"
SETTINGS_STATE = "window/state"
SETTINGS_SPLITTER = "window/networkSplitter"
STATE_VERSION = 1  # bump when the docks change, so an old saved layout is not applied
STATUS_TIMEOUT_MS = 6000
TRAINING_IDLE = "idle"  # the training panel's state after Reset (and before any run)
TRAINING_PAUSED = "paused"  # its state while a run is paused

TRAINING_PANEL = PanelContract(
    "training panel", signals=("runningChanged", "weightsChanged", "trainingFinished", "stateChanged",
                               "applyFixRequested"),
    methods=("set_config_valid", "reset", "shutdown", "is_running", "design_changed"),
    actions=(*TRAINING_SHORTCUTS, *TRAINING_EXPORTS))
EDITOR_TAB = PanelContract("tab", signals=("openInEditor",), methods=("shutdown",))


class MainWindow(QMainWindow):
    """The studio window.

    Signals:
        configValid(bool, str): whether the edited config can be trained, and why not.
    """

    configValid = Signal(bool, str)

    def __init__(self, config: ExperimentConfig | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self._running = False
        self._tabs_with_shutdown: list[QWidget] = []
        self._closed = False
        self._layout_pending = False

        self.editor = ConfigEditor(config, self)
        self.files = ExperimentFiles(self.editor, self)
        self._build_central()
        self.docks = StudioDocks(self.editor, self)
        d = self.docks
        self.data_panel, self.layer_editor, self.diagram = d.data_panel, d.layer_editor, d.diagram
        self.hyperparams, self.help_pane, self.history_view = d.hyperparams, d.help_pane, d.history_view
        self.network_splitter = d.network_splitter
        self.data_dock, self.network_dock, self.hyperparams_dock, self.help_dock, self.history_dock = d.docks()
        panel = self.training_panel
        self.menus = StudioMenus(self, self.editor.undo_stack, self.files, d,
                                 {name: getattr(panel, name) for name in TRAINING_PANEL.actions})
        m = self.menus
        self.new_action, self.open_action, self.save_action = m.new_action, m.open_action, m.save_action
        self.save_as_action, self.quit_action, self.help_action = m.save_as_action, m.quit_action, m.help_action
        self.undo_action, self.redo_action = m.undo_action, m.redo_action
        self.file_menu, self.recent_menu, self.presets_menu, self.run_menu = (m.file_menu, m.recent_menu,
                                                                              m.presets_menu, m.run_menu)
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
        TRAINING_PANEL.check(self.training_panel)
        self.add_tab(self.training_panel, "Train")
        self.compare_tab = CompareTab(self.current_config, self)
        self.tuning_tab = TuningTab(self.current_config, self)
        for tab, title, opened in ((self.compare_tab, "Compare", self._open_compared_variant),
                                   (self.tuning_tab, "Tune", self._open_tuned_config)):
            EDITOR_TAB.check(tab)
            tab.openInEditor.connect(opened)
            self.add_tab(tab, title)
        self.lab_tab = LabTab(self.current_config, self)
        self.lab_tab.useLearningRate.connect(self.use_learning_rate)
        self.lab_tab.searchBand.connect(self.search_learning_rate_band)
        self.add_tab(self.lab_tab, "Lab")
        self.setCentralWidget(self.tabs)

    def _build_status_bar(self) -> None:
        self.validity_label = ValidityLabel(self)
        self.validity_label.linkActivated.connect(self.show_field)
        self.statusBar().addPermanentWidget(self.validity_label)
        self.statusBar().setObjectName("statusBar")
        self._show_validity(self.editor.problem is None)

    def _connect(self) -> None:
        ed = self.editor
        # Bound methods, not lambdas: Qt drops these connections when the window is destroyed,
        # so the undo stack's teardown never signals into a half-deleted window.
        ed.configChanged.connect(self._update_diagram)
        ed.configChanged.connect(self.training_panel.design_changed)  # live changes, stale results
        ed.dataInfoChanged.connect(self._update_diagram)
        ed.validityChanged.connect(self._on_validity)
        ed.note.connect(self._show_note)
        stack = ed.undo_stack
        stack.cleanChanged.connect(self._update_title)
        stack.indexChanged.connect(self._update_undo_actions)
        self._update_undo_actions()
        self.files.pathChanged.connect(self._update_title)
        self.files.replaced.connect(self._reset_training)
        self.files.statusMessage.connect(self._show_note)
        self.menus.presetChosen.connect(self.load_preset)
        panel = self.training_panel
        panel.runningChanged.connect(self._on_running)
        panel.weightsChanged.connect(self.diagram.set_weights)
        panel.trainingFinished.connect(self._on_finished)
        panel.stateChanged.connect(self._on_training_state)
        panel.applyFixRequested.connect(self.apply_fix)
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

    def use_learning_rate(self, rate: float) -> None:
        """Set the design's learning rate (one undoable edit), from the Lab tab's finder; a running
        run takes it at its next mini-batch, as it does when the rate is typed."""
        if self.editor.edit(self.editor.config.replace(learning_rate=float(rate)), f"Set learning rate {rate:.3g}"):
            self._show_note(f"Learning rate set to {rate:.3g} (Ctrl+Z to undo).")

    def search_learning_rate_band(self, low: float, high: float) -> None:
        """Make the Tune tab search the learning rate over [low, high] on a log scale, and show it."""
        if self.tuning_tab.set_learning_rate_range(low, high):
            self.tabs.setCurrentWidget(self.tuning_tab)
            self._show_note(f"Tune searches the learning rate from {low:.3g} to {high:.3g} (log scale).")
        else:
            self._show_note("Tuning is running: the search space can change when it has stopped.")

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

    def apply_fix(self, suggestion) -> None:
        """Make the training doctor's suggested edit in the editor, as one undoable step."""
        try:
            config = suggestion.apply(self.editor.config)
        except ValueError as exc:
            self.statusBar().showMessage(f"Cannot apply {suggestion.text}: {exc}", STATUS_TIMEOUT_MS)
            return
        if self.editor.load(config, f"Apply the doctor's fix ({suggestion.text})"):
            self.statusBar().showMessage(f"Applied {suggestion.text} (Ctrl+Z to undo).", STATUS_TIMEOUT_MS)

    def load_preset(self, name: str) -> None:
        try:
            config = load_preset(name)
        except Exception as exc:
            show_error(self, "Cannot load preset", f"The preset {name!r} cannot be loaded: {exc}")
            return
        self.load_config(config, f"preset {name}")

    # -- files (see ExperimentFiles) ---------------------------------------------------------------
    def file_path(self) -> Path | None:
        return self.files.path()

    def recent_files(self) -> list[str]:
        return self.files.recent_files()

    def open_file(self, path: str | Path | None = None) -> bool:
        """Open an experiment file (asking for one when ``path`` is None); False if nothing was opened."""
        return self.files.open_file(path)

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels (or saving fails)."""
        return self.files.maybe_save()

    def _update_title(self, *_signal_args) -> None:
        if not shiboken6.isValid(self.editor.undo_stack):
            return
        path = self.files.path()
        self.setWindowTitle(f"{self.files.display_name()}[*] — {APP_TITLE}")
        self.setWindowModified(self.editor.document.is_modified())
        self.setWindowFilePath(str(path) if path else "")

    # -- training --------------------------------------------------------------------------------
    def _on_running(self, running: bool) -> None:
        self._running = running
        if running:
            self.diagram.set_weights(None)
        self.docks.set_editable(not running)
        self.files.set_locked(running)
        self.menus.set_running(running)
        self._update_undo_actions()
        self._show_validity(self._validity()[0])
        if running:
            self.statusBar().showMessage("Training… the design is locked until the run ends, except the learning "
                                         "rate, L1, L2 and dropout, which the run takes as you change them.",
                                         STATUS_TIMEOUT_MS)

    def _on_training_state(self, state: str) -> None:
        if state == TRAINING_IDLE:  # Reset: the run's weights are gone from the plots too
            self.diagram.set_weights(None)
        elif state == TRAINING_PAUSED:  # the run-start message would still say "Training…"
            self.statusBar().showMessage("Paused: Resume (F6) continues, Step (F10) trains one epoch. The design "
                                         "stays locked except the learning rate, L1, L2 and dropout.",
                                         STATUS_TIMEOUT_MS)

    def _on_finished(self, summary) -> None:
        self.statusBar().showMessage(summary.message or "Training finished.", 2 * STATUS_TIMEOUT_MS)

    def _reset_training(self) -> None:
        if not self._running:
            self.training_panel.reset()
        self.diagram.set_weights(None)

    def _update_undo_actions(self, *_signal_args) -> None:
        stack = self.editor.undo_stack
        if not (shiboken6.isValid(stack) and shiboken6.isValid(self.undo_action)):
            return  # the window is being destroyed: the stack empties itself on the way out
        self.menus.update_undo(stack, self._running)

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
        self._show_validity(valid)
        self.configValid.emit(valid, reason)

    def _show_validity(self, valid: bool) -> None:
        self.validity_label.show_state(self._running, valid, self.editor.problem)

    def show_field(self, path: str) -> None:
        """Bring the control that edits ``path`` into view and focus it."""
        if reveal_field(self, path) is None:
            reveal_field(self, "loss_func")  # the problem concerns the model as a whole

    def show_help(self) -> None:
        """Explain the focused control in the help pane."""
        self.help_dock.show()
        self.help_dock.raise_()
        key, _owner = help_key_of(self.focusWidget())
        if key:
            self.help_pane.show_key(key)

    def reset_layout(self) -> None:
        """Dock the panels where they start (see :meth:`StudioDocks.reset_layout`)."""
        self.docks.reset_layout()

    def show_about(self) -> None:
        QMessageBox.about(self, "About nnstudio",
                          "<b>nnstudio</b><p>Design, train, compare and tune fully-connected neural networks "
                          "with a from-scratch NumPy engine.</p>")

    # -- settings and closing ------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value(SETTINGS_GEOMETRY)
        restored = bool(geometry) and self.restoreGeometry(geometry)
        if not restored:
            place_on_screen(self)
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
            self.docks.reset_layout()
            QTimer.singleShot(0, self.docks.default_sizes)  # again once the window has settled
        super().setVisible(visible)
        if first_show:  # laying them out retires more tab bars
            self.docks.drop_stale_tab_bars()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._closed:
            event.accept()
            return
        if not self.tuning_tab.confirm_quit() or not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        self._save_settings()
        self._closed = True
        self.editor.undo_stack.blockSignals(True)  # it empties itself when destroyed; nobody listens
        event.accept()
