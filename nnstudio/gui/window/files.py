"""The window's file: New / Open / Save / Save As, the recent files, and unsaved-changes questions.

:class:`ExperimentFiles` is a child of the window (its dialogs' parent) and edits the window's
:class:`~nnstudio.gui.editor.ConfigEditor`; it tells the window what happened through signals.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from ...config import ConfigError, ExperimentConfig
from ...files import EXPERIMENT_SUFFIX, FileFormatError, load_experiment, save_experiment
from ..editor import ConfigEditor

FILE_FILTER = f"nnstudio experiments (*{EXPERIMENT_SUFFIX});;All files (*)"
MAX_RECENT = 8
SETTINGS_RECENT = "recentFiles"
SETTINGS_LAST_DIR = "paths/lastExperimentDir"


def show_error(parent: QWidget, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Critical) -> None:
    if icon == QMessageBox.Icon.Warning:
        QMessageBox.warning(parent, title, text)
    else:
        QMessageBox.critical(parent, title, text)


class ExperimentFiles(QObject):
    """The experiment file the editor's config comes from and goes to.

    Signals:
        pathChanged(): the file name changed (the title shows it).
        replaced(): New or Open replaced the whole experiment (a finished run no longer applies).
        statusMessage(str): a short message for the status bar.
    """

    pathChanged = Signal()
    replaced = Signal()
    statusMessage = Signal(str)

    def __init__(self, editor: ConfigEditor, window: QWidget):
        super().__init__(window)
        self._editor = editor
        self._path: Path | None = None
        self._locked = False  # while training: the design may not be replaced

    def _window(self) -> QWidget:
        return self.parent()

    def path(self) -> Path | None:
        return self._path

    def display_name(self) -> str:
        return self._path.name if self._path else "Untitled"

    def set_locked(self, locked: bool) -> None:
        self._locked = locked

    # -- new, open, save ---------------------------------------------------------------------------
    def new_file(self) -> bool:
        if self._locked or not self.maybe_save():
            return False
        self._editor.reset(ExperimentConfig())
        self._set_path(None)
        self.replaced.emit()
        self.statusMessage.emit("New experiment.")
        return True

    def open_file(self, path: str | Path | None = None) -> bool:
        """Open an experiment file (asking for one when ``path`` is None); False if nothing was opened."""
        if self._locked or not self.maybe_save():
            return False
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self._window(), "Open experiment", self._last_dir(), FILE_FILTER)
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        try:
            config = load_experiment(path)
        except FileFormatError as exc:
            show_error(self._window(), "Cannot open experiment", str(exc))
            return False
        self._editor.reset(config)
        self._set_path(path)
        self._add_recent(path)
        self.replaced.emit()
        self.statusMessage.emit(f"Opened {path}.")
        return True

    def save(self) -> bool:
        if self._path is None:
            return self.save_as()
        return self._write(self._path)

    def save_as(self) -> bool:
        name = self._path.name if self._path else f"{self._editor.config.name or 'experiment'}{EXPERIMENT_SUFFIX}"
        suggested = str(Path(self._last_dir()) / name)
        chosen, _ = QFileDialog.getSaveFileName(self._window(), "Save experiment as", suggested, FILE_FILTER)
        if not chosen:
            return False
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(EXPERIMENT_SUFFIX)
        return self._write(path)

    def _write(self, path: Path) -> bool:
        config = self._editor.config
        try:
            config.validate()
            save_experiment(path, config)
        except ConfigError as exc:
            show_error(self._window(), "Cannot save experiment",
                       f"The experiment has an invalid value and was not saved: {exc}")
            return False
        except (FileFormatError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            show_error(self._window(), "Cannot save experiment", f"{path}: {reason}. Nothing was overwritten.")
            return False
        self._editor.document.mark_saved()
        self._set_path(path)
        self._add_recent(path)
        self.statusMessage.emit(f"Saved {path}.")
        return True

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels (or saving fails)."""
        if not self._editor.document.is_modified():
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.warning(
            self._window(), "Unsaved changes", f"Save the changes to {self.display_name()} before closing it?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    def _set_path(self, path: Path | None) -> None:
        self._path = path
        if path is not None:
            QSettings().setValue(SETTINGS_LAST_DIR, str(path.parent))
        self.pathChanged.emit()

    def _last_dir(self) -> str:
        return str(QSettings().value(SETTINGS_LAST_DIR, "") or (self._path.parent if self._path else Path.home()))

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

    def fill_recent_menu(self, menu: QMenu) -> None:
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
            show_error(self._window(), "File not found",
                       f"{path} no longer exists; it has been removed from the recent files.",
                       icon=QMessageBox.Icon.Warning)
            return False
        return self.open_file(path)
