"""The window's actions and menus: File, Edit, Presets, Run, View and Help.

:class:`StudioMenus` makes the window's own actions (New, Open, Save, Undo, Redo, ...), puts the
training panel's declared actions in the File and Run menus, and keeps Undo/Redo and the
menus that replace the design in step with the window's state.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMainWindow, QMenu

from ...engine.live import live_differences
from ...presets import list_presets
from .docks import StudioDocks
from .files import ExperimentFiles

# objectName of a training action -> its window-wide shortcut (used when the panel sets none)
TRAINING_SHORTCUTS = {
    "trainAction": "F5",
    "pauseAction": "F6",
    "stepAction": "F10",
    "stopAction": "Shift+F5",
    "resetAction": "Ctrl+R",
}
TRAINING_EXPORTS = ("exportPlotAction", "exportHistoryAction", "exportModelAction")


def make_action(parent: QObject, text: str, name: str, slot: Callable, shortcut=None, tip: str = "") -> QAction:
    """An action; ``shortcut`` is a key, a standard key or a list of them."""
    action = QAction(text, parent)
    action.setObjectName(name)
    if shortcut is not None:
        keys = shortcut if isinstance(shortcut, list) else [shortcut]
        action.setShortcuts([QKeySequence(k) for k in keys])
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


def _live_only(step) -> bool:
    """Whether an undo step changes only what a running run takes (an editor ``EditCommand``)."""
    old, new = getattr(step, "old", None), getattr(step, "new", None)
    return old is not None and new is not None and live_differences(old, new) is not None


class StudioMenus(QObject):
    """The menu bar of ``window`` and the actions in it.

    Args:
        window: the main window; it provides ``close``, ``show_help``, ``reset_layout`` and ``show_about``.
        training_actions: the training panel's actions by objectName (see :data:`TRAINING_SHORTCUTS`
            and :data:`TRAINING_EXPORTS`).

    Signals:
        presetChosen(str): the name of the preset picked in the Presets menu.
    """

    presetChosen = Signal(str)

    def __init__(self, window: QMainWindow, stack: QUndoStack, files: ExperimentFiles, docks: StudioDocks,
                 training_actions: dict[str, QAction]):
        super().__init__(window)
        self._running = False
        self._make_actions(window, stack, files)
        bar = window.menuBar()
        self._build_file_menu(bar, files, [training_actions[name] for name in TRAINING_EXPORTS])
        edit_menu = bar.addMenu("&Edit")
        edit_menu.setObjectName("editMenu")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        layer_menu = edit_menu.addMenu("&Layers")
        layer_menu.addActions(list(docks.layer_editor.actions_by_name.values()))
        self.presets_menu = QMenu("&Presets", window)
        self.presets_menu.setObjectName("presetsMenu")
        self.presets_menu.aboutToShow.connect(self._fill_presets_menu)
        self._fill_presets_menu()
        bar.addMenu(self.presets_menu)
        self.run_menu = self._build_run_menu(window, training_actions)
        bar.addMenu(self.run_menu)
        view_menu = bar.addMenu("&View")
        view_menu.setObjectName("viewMenu")
        for dock in docks.docks():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(make_action(window, "Reset &Layout", "resetLayoutAction", window.reset_layout))
        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("helpMenu")
        help_menu.addAction(self.help_action)
        help_menu.addAction(make_action(window, "&About nnstudio", "aboutAction", window.show_about))

    def _make_actions(self, window: QMainWindow, stack: QUndoStack, files: ExperimentFiles) -> None:
        K = QKeySequence.StandardKey
        self.new_action = make_action(window, "&New", "newAction", files.new_file, K.New, "Start a new experiment")
        self.open_action = make_action(window, "&Open…", "openAction", lambda: files.open_file(), K.Open,
                                       "Open an experiment file")
        self.save_action = make_action(window, "&Save", "saveAction", files.save, K.Save, "Save the experiment")
        self.save_as_action = make_action(window, "Save &As…", "saveAsAction", files.save_as, K.SaveAs,
                                          "Save the experiment under a new name")
        self.quit_action = make_action(window, "&Quit", "quitAction", window.close, K.Quit, "Close the window")
        self.undo_action = make_action(window, "&Undo", "undoAction", stack.undo, K.Undo)
        self.redo_action = make_action(window, "&Redo", "redoAction", stack.redo)
        redo_keys: list[QKeySequence] = []  # the platform's, plus both common ones, each once
        for key in [*QKeySequence.keyBindings(K.Redo), QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]:
            if key not in redo_keys:
                redo_keys.append(key)
        self.redo_action.setShortcuts(redo_keys)
        self.help_action = make_action(window, "&Explain the focused control", "helpAction", window.show_help, "F1")
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def _build_file_menu(self, bar, files: ExperimentFiles, exports: list[QAction]) -> None:
        file_menu = bar.addMenu("&File")
        file_menu.setObjectName("fileMenu")
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = QMenu("Open &Recent", self.parent())
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(lambda: files.fill_recent_menu(self.recent_menu))
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addActions(exports)
        for action in exports:  # the panel's shortcuts (Ctrl+E: Export Model) work anywhere in the window
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.file_menu = file_menu
        files.fill_recent_menu(self.recent_menu)

    @staticmethod
    def _build_run_menu(window: QMainWindow, training_actions: dict[str, QAction]) -> QMenu:
        """The training panel's actions (``trainAction``...) as a Run menu with window-wide shortcuts."""
        menu = QMenu("&Run", window)
        menu.setObjectName("runMenu")
        for name, keys in TRAINING_SHORTCUTS.items():
            action = training_actions[name]
            if action.shortcut().isEmpty():
                action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            menu.addAction(action)
        return menu

    def _fill_presets_menu(self) -> None:
        menu = self.presets_menu
        menu.clear()
        try:
            presets = list_presets()
        except Exception as exc:  # a broken preset folder must not break the window
            menu.addAction(f"Presets unavailable: {exc}").setEnabled(False)
            return
        for preset in presets:
            action = menu.addAction(preset.name.replace("_", " "))
            action.setData(preset.name)
            if preset.description:
                action.setToolTip(preset.description)
                action.setStatusTip(preset.description)
            action.triggered.connect(lambda _checked=False, n=preset.name: self.presetChosen.emit(n))
        menu.setToolTipsVisible(True)
        menu.setEnabled(not self._running)

    def set_running(self, running: bool) -> None:
        """While a run uses the design, nothing may replace it."""
        self._running = running
        for action in (self.new_action, self.open_action):
            action.setEnabled(not running)
        self.presets_menu.setEnabled(not running)
        self.recent_menu.setEnabled(not running)

    def update_undo(self, stack: QUndoStack, running: bool) -> None:
        """Undo/Redo enabled and named after the edits they would undo or redo.  While a run
        trains only edits of what it takes (learning rate, L1, L2, dropout rates) can be undone."""
        index = stack.index()
        for action, can, text, verb, step in (
                (self.undo_action, stack.canUndo(), stack.undoText(), "Undo", stack.command(index - 1)),
                (self.redo_action, stack.canRedo(), stack.redoText(), "Redo", stack.command(index))):
            action.setEnabled(can and (not running or _live_only(step)))
            action.setText(f"&{verb} {text}" if can and text else f"&{verb}")
