"""The editor's one entry point for changes: undoable edits that keep the model fit for its data.

Panels call :meth:`ConfigEditor.edit` with a new config; the editor fits the loss and output
activation to the data set when an edit changes it (at once when the data set is known, or as
soon as it has loaded, folded into the same undo step), tracks the data set's task and sizes,
and reports whether the config can be trained.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ...config import ConfigError, DataConfig, ExperimentConfig
from .data_probe import DataProbe
from .document import ConfigDocument
from ...design.edits import DataInfo, config_problem, fit_to_task


class ConfigEditor(QObject):
    """Signals:
        configChanged(ExperimentConfig): after every edit, undo, redo or reset.
        dataInfoChanged(DataInfo): the current data set's task/sizes became known (or failed).
        validityChanged(bool, str): whether the config can be trained, and why not.
        note(str): a short message about an automatic change, for the status bar.
        entryRefused(str, str): a control refused a typed value (field path, why; an empty
            reason when the field's next entry was taken).
    """

    configChanged = Signal(object)
    dataInfoChanged = Signal(object)
    validityChanged = Signal(bool, str)
    note = Signal(str)
    entryRefused = Signal(str, str)

    def __init__(self, config: ExperimentConfig | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.document = ConfigDocument(config, self)
        self.probe = DataProbe(self)
        self._pending_fit: DataConfig | None = None
        self._problem: ConfigError | None = None
        self._info = self.probe.request(self.config.data)
        self.document.changed.connect(self._on_changed)
        self.probe.infoReady.connect(self._on_info)
        self._revalidate()

    # -- reading -----------------------------------------------------------------------------
    @property
    def config(self) -> ExperimentConfig:
        return self.document.config

    @property
    def undo_stack(self):
        return self.document.undo_stack

    @property
    def info(self) -> DataInfo:
        """What is known of the current data set (``pending`` while it loads)."""
        return self._info

    @property
    def problem(self) -> ConfigError | None:
        return self._problem

    def validated(self) -> ExperimentConfig:
        """The config, or :class:`ConfigError` when it cannot be trained on its data set."""
        if self._problem is not None:
            raise self._problem
        return self.config

    # -- changing ----------------------------------------------------------------------------
    def edit(self, new: ExperimentConfig, text: str, merge_key: str | None = None) -> bool:
        """Apply ``new`` as one undoable step; a changed data set also refits the loss."""
        old = self.config
        note = ""
        if new.data != old.data:
            info = self.probe.cached(new.data)
            self._pending_fit = new.data if info is None else None
            if info is not None:
                new, note = fit_to_task(new, info)
        changed = self.document.apply(new, text, merge_key)
        if note and changed:
            self.note.emit(note)
        return changed

    def load(self, config: ExperimentConfig, text: str) -> bool:
        """Put a whole config into the editor as one undoable step, exactly as given."""
        self._pending_fit = None
        return self.document.apply(config, text)

    def reset(self, config: ExperimentConfig) -> None:
        """Replace the config and forget the history (New, Open)."""
        self._pending_fit = None
        self.document.reset(config)

    def shutdown(self) -> None:
        self.probe.shutdown()

    # -- reacting ----------------------------------------------------------------------------
    def _on_changed(self, new: ExperimentConfig, old: ExperimentConfig) -> None:
        if new.data != old.data:
            self._set_info(self.probe.request(new.data))
        self._revalidate()
        self.configChanged.emit(new)

    def _on_info(self, data: DataConfig, info: DataInfo) -> None:
        if data != self.config.data:
            return  # an older request; the current data set has its own
        self._set_info(info)
        if self._pending_fit == data:
            self._pending_fit = None
            fitted, note = fit_to_task(self.config, info)
            if fitted != self.config:
                self.document.amend_last(fitted, "Fit the loss to the data set")
                self.note.emit(note)
        self._revalidate()

    def _set_info(self, info: DataInfo) -> None:
        if info != self._info:
            self._info = info
            self.dataInfoChanged.emit(info)

    def _revalidate(self) -> None:
        problem = config_problem(self.config, self._info)
        if problem is not None and self._info.pending and problem.field == "data":
            problem = None  # loading is not a fault; the trainer checks the task once the data is there
        changed = (problem is None) != (self._problem is None) or (
            problem is not None and self._problem is not None and str(problem) != str(self._problem))
        self._problem = problem
        if changed:
            self.validityChanged.emit(problem is None, "" if problem is None else str(problem))
