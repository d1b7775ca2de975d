"""``Study`` box of the Tune tab: where the study lives (local store or database URL) and its name.

The box knows the names of the studies in the store, so it can tell a new study from an existing
one.  It reads the store through the task runner it is given (a thread: a database may be slow).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QSizePolicy,
                               QToolButton, QWidget)

from ...tuning import default_storage_url, display_url, list_studies, open_storage
from .worker import load_study_view

LOCAL_STORE, URL_STORE = "local", "url"
TASK_LIST, TASK_VIEW = "list", "view"

# run_task(kind, fn, on_done(result), on_failed(message)): fn runs in a thread, the callbacks here
TaskRunner = Callable[[str, Callable[[], object], Callable[[object], None], Callable[[str], None]], None]


class StudyBox(QGroupBox):
    """Storage, URL and study name.

    Signals:
        storageChanged(): local store / database URL switched.
        urlEdited(): the URL text changed.
        studyChanged(str, bool): the study name typed or picked, and whether that study exists.
        viewLoaded(object): the :class:`~nnstudio.gui.tune.worker.StudyView` asked for with :meth:`load_view`.
    """

    storageChanged = Signal()
    urlEdited = Signal()
    studyChanged = Signal(str, bool)
    viewLoaded = Signal(object)

    def __init__(self, run_task: TaskRunner, parent: QWidget | None = None):
        super().__init__("Study", parent)
        self._run_task = run_task
        self._study_names: list[str] = []
        self._make_store_widgets()
        self._make_name_widgets()
        study_row = QHBoxLayout()
        study_row.addWidget(self.studyCombo, 1)
        study_row.addWidget(self.newStudyButton)
        study_row.addWidget(self.refreshStudiesButton)
        form = QFormLayout(self)
        form.addRow("Storage", self.storageCombo)
        form.addRow("URL", self.storageUrlEdit)
        form.addRow("Name", study_row)
        form.addRow(self.studyInfoLabel)
        self.storageCombo.currentIndexChanged.connect(self._on_storage_changed)
        self.storageUrlEdit.editingFinished.connect(self.refresh)
        self.storageUrlEdit.textChanged.connect(lambda _t: self.urlEdited.emit())
        self.refreshStudiesButton.clicked.connect(self.refresh)
        self.newStudyButton.clicked.connect(self.new_study)
        self.studyCombo.currentTextChanged.connect(self._on_study_text)

    def _make_store_widgets(self) -> None:
        self.storageCombo = QComboBox(self)
        self.storageCombo.setObjectName("storageCombo")
        self.storageCombo.addItem("Local study store", LOCAL_STORE)
        self.storageCombo.addItem("Database URL", URL_STORE)
        self.storageCombo.setToolTip(f"Local: {display_url(default_storage_url())} (open it with optuna-dashboard "
                                     "sqlite:///...).\nDatabase URL: any SQLAlchemy URL, e.g. PostgreSQL, so "
                                     "workers on other machines can join.")
        self.storageUrlEdit = QLineEdit(self)
        self.storageUrlEdit.setObjectName("storageUrlEdit")
        self.storageUrlEdit.setPlaceholderText("postgresql+psycopg2://user:password@host:5432/database")
        self.storageUrlEdit.setToolTip("A SQLAlchemy database URL shared by every worker of the study.")

    def _make_name_widgets(self) -> None:
        self.studyCombo = QComboBox(self)
        self.studyCombo.setObjectName("studyCombo")
        self.studyCombo.setEditable(True)
        self.studyCombo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.studyCombo.lineEdit().setPlaceholderText("new study (named automatically)")
        self.studyCombo.setToolTip("Type a new name, or pick an existing study to see it and add trials to it.")
        self.studyCombo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.refreshStudiesButton = QToolButton(self)
        self.refreshStudiesButton.setObjectName("refreshStudiesButton")
        self.refreshStudiesButton.setText("↻")
        self.refreshStudiesButton.setToolTip("Reload the list of studies in the store.")
        self.newStudyButton = QToolButton(self)
        self.newStudyButton.setObjectName("newStudyButton")
        self.newStudyButton.setText("New")
        self.newStudyButton.setToolTip("Start a new study (clears the name; one is chosen when you press Start).")
        self.studyInfoLabel = QLabel(self)
        self.studyInfoLabel.setObjectName("studyInfoLabel")
        self.studyInfoLabel.setWordWrap(True)

    # -- reading ----------------------------------------------------------------------------------
    def storage_url(self) -> str | None:
        """None for the local store, else the URL typed."""
        if self.storageCombo.currentData() == LOCAL_STORE:
            return None
        return self.storageUrlEdit.text().strip()

    def url_ok(self) -> bool:
        """The local store, or a URL has been typed."""
        return self.storageCombo.currentData() == LOCAL_STORE or bool(self.storageUrlEdit.text().strip())

    def study_name(self) -> str:
        return self.studyCombo.currentText().strip()

    def resuming(self) -> bool:
        """Whether the name is an existing study's (Start adds trials to it)."""
        return self.study_name() in self._study_names

    # -- changing ---------------------------------------------------------------------------------
    def set_study_name(self, name: str) -> None:
        self.studyCombo.setEditText(name)

    def new_study(self) -> None:
        """Clear the study name: Start creates a new study from the editor's config."""
        self.studyCombo.setEditText("")
        self.studyCombo.setFocus()

    def set_study_names(self, names: list[str]) -> None:
        """The studies in the store; the typed name stays."""
        self._study_names = list(names)
        text = self.studyCombo.currentText()
        self.studyCombo.blockSignals(True)
        self.studyCombo.clear()
        self.studyCombo.addItems(self._study_names)
        self.studyCombo.setEditText(text)
        self.studyCombo.blockSignals(False)
        self._on_study_text(text)

    def show_info(self, text: str) -> None:
        self.studyInfoLabel.setText(text)

    # -- reading the store --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the names of the studies in the store (in a thread)."""
        url = self.storage_url()
        if url == "":
            self.set_study_names([])
            return
        self._run_task(TASK_LIST, lambda: [s.name for s in list_studies(open_storage(url))],
                       self.set_study_names, self._list_failed)

    def _list_failed(self, message: str) -> None:
        self.set_study_names([])
        self.show_info(f"Cannot read the store: {message}")

    def load_view(self, name: str) -> None:
        """Read the study ``name`` (its space, settings and trials); ``viewLoaded`` brings it."""
        url = self.storage_url()
        self._run_task(TASK_VIEW, lambda: load_study_view(url, name), self.viewLoaded.emit, self.show_info)

    def set_running(self, running: bool) -> None:
        for w in (self.storageCombo, self.studyCombo, self.refreshStudiesButton, self.newStudyButton):
            w.setEnabled(not running)
        self.storageUrlEdit.setEnabled(not running and self.storageCombo.currentData() == URL_STORE)

    def _on_storage_changed(self) -> None:
        self.storageChanged.emit()
        self.refresh()
        if self.storageCombo.currentData() == URL_STORE:
            self.storageUrlEdit.setFocus()

    def _on_study_text(self, text: str) -> None:
        name = text.strip()
        existing = name in self._study_names
        if existing:
            self.studyInfoLabel.setText(f"Existing study: Start adds trials to {name!r}, with its own config, "
                                        "search space and settings (shown on the left).")
        else:
            self.studyInfoLabel.setText("A new study, created when you press Start." if name else
                                        "A new study, named after the config and the time.")
        self.studyChanged.emit(name, existing)
