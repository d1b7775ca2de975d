"""The Tune tab's top bar: show/hide the settings, Start, Stop and the progress of the session."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QToolButton, QWidget

from ..widgets.build import named_button

TRIALS_FORMAT = "%v / %m trials"
SHOW_SETTINGS, HIDE_SETTINGS = "Show settings", "Hide settings"
CONFIRM_FORMAT = "%v / %m confirmation runs"


class RunBar(QWidget):
    """Start, Stop and the progress stay in view above everything else.

    The progress counts trials (:meth:`count_trials`) or, while the top trials are confirmed,
    training runs (:meth:`count_confirmation_runs`).
    """

    def __init__(self, trials: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.startTuningButton = named_button("Start tuning", "startTuningButton",
            "Start the trials (Ctrl+Return).", self)
        self.stopTuningButton = named_button("Stop", "stopTuningButton",
            "Abort the running trials (they end as FAIL) and stop the workers "
            "(Ctrl+.).", self)
        self.settingsButton = QToolButton(self)
        self.settingsButton.setObjectName("tuningSettingsButton")
        self.settingsButton.setCheckable(True)
        self.settingsButton.setChecked(True)
        self.settingsButton.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.settingsButton.setToolTip("Show or hide the search space, the run settings and the study (they are "
                                       "hidden when tuning starts, so the trials and plots get the room, and stay "
                                       "hidden until you show them again).")
        # as wide as its longer text: Start and Stop never move when it changes
        widths = []
        for text in (SHOW_SETTINGS, HIDE_SETTINGS):
            self.settingsButton.setText(text)
            widths.append(self.settingsButton.sizeHint().width())
        self.settingsButton.setMinimumWidth(max(widths))
        self.settingsButton.toggled.connect(self._point_arrow)
        self._point_arrow(True)
        self.tuningProgress = QProgressBar(self)
        self.tuningProgress.setObjectName("tuningProgress")
        self.tuningProgress.setFormat(TRIALS_FORMAT)
        self.tuningProgress.setRange(0, trials)
        self.tuningProgress.setValue(0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.settingsButton, self.startTuningButton, self.stopTuningButton):
            layout.addWidget(widget)
        layout.addWidget(self.tuningProgress, 1)

    def _point_arrow(self, settings_shown: bool) -> None:
        """The button says what a click does, its arrow where the settings go."""
        self.settingsButton.setText(HIDE_SETTINGS if settings_shown else SHOW_SETTINGS)
        self.settingsButton.setArrowType(Qt.ArrowType.LeftArrow if settings_shown else Qt.ArrowType.RightArrow)

    def count_trials(self, total: int) -> None:
        """Count finished trials out of ``total`` (0: busy, the total is unknown), from 0."""
        self.tuningProgress.setFormat(TRIALS_FORMAT)
        self.tuningProgress.setRange(0, total)
        self.tuningProgress.setValue(0)

    def count_confirmation_runs(self, done: int, total: int) -> None:
        """Count confirmation training runs (``total`` 0: busy until the plan is known)."""
        self.tuningProgress.setFormat(CONFIRM_FORMAT)
        self.tuningProgress.setRange(0, total)
        self.tuningProgress.setValue(done)

    def show_done(self, done: int) -> None:
        self.tuningProgress.setValue(min(done, self.tuningProgress.maximum()))
