"""The Lab tab: a page for the learning-rate finder and one for the loss landscape.

The tab only draws; workers in ``QThread`` objects (and, for the verification, worker
processes) compute.  Signals are passed on to the window: ``useLearningRate(float)`` and
``searchBand(float, float)``.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from ...config import ExperimentConfig
from .finder_page import FinderPage
from .landscape_page import LandscapePage


class LabTab(QWidget):
    """The ``labTab`` widget.  Signals: ``useLearningRate(float)``, ``searchBand(float, float)``."""

    useLearningRate = Signal(float)
    searchBand = Signal(float, float)

    def __init__(self, config_provider: Callable[[], ExperimentConfig], parent: QWidget | None = None, *,
                 workers: int | None = None, backend: str = "process"):
        super().__init__(parent)
        self.setObjectName("labTab")
        self.pages = QTabWidget(self)
        self.pages.setObjectName("labPages")
        self.finder = FinderPage(config_provider, self, workers=workers, backend=backend)
        self.landscape = LandscapePage(config_provider, self)
        self.pages.addTab(self.finder, "Learning-rate finder")
        self.pages.addTab(self.landscape, "Loss landscape")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.pages)
        self.finder.useRate.connect(self.useLearningRate)
        self.finder.searchBand.connect(self.searchBand)

    def is_running(self) -> bool:
        return self.finder.is_running() or self.landscape.is_running()

    def shutdown(self) -> None:
        self.finder.shutdown()
        self.landscape.shutdown()
