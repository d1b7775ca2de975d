"""The training panel's top row: Train, Pause, Step, Stop, Reset and the progress bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from .actions import RunActions
from .progress import TrainProgress


class TrainingBar(QWidget):
    """One tool button per run action, then the progress bar taking the rest of the row."""

    def __init__(self, actions: RunActions, parent: QWidget | None = None):
        super().__init__(parent)
        self.trainButton = self._tool_button(actions.train, "trainButton")
        self.pauseButton = self._tool_button(actions.pause, "pauseButton")
        self.stepButton = self._tool_button(actions.step, "stepButton")
        self.stopButton = self._tool_button(actions.stop, "stopButton")
        self.resetButton = self._tool_button(actions.reset, "resetButton")
        self.trainProgress = TrainProgress(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for button in (self.trainButton, self.pauseButton, self.stepButton, self.stopButton, self.resetButton):
            layout.addWidget(button)
        layout.addSpacing(8)
        layout.addWidget(self.trainProgress, 1)

    def _tool_button(self, action: QAction, name: str) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setObjectName(name)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button
