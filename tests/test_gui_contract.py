"""The window checks its panels when it is built: a panel that lacks a signal, method or action the
window uses stops the window at start-up with a message naming it (nothing is silently left
unconnected)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

import nnstudio.gui
import nnstudio.gui.main_window as main_window
from nnstudio.gui.main_window import EDITOR_TAB, TRAINING_PANEL, MainWindow
from nnstudio.gui.train.panel import TrainingPanel
from nnstudio.gui.tune.tab import TuningTab
from nnstudio.gui.window.contract import PanelContractError


class PanelWithoutStateChanged(QWidget):
    """Everything the window uses from a training panel except the ``stateChanged`` signal."""

    runningChanged = Signal(bool)
    weightsChanged = Signal(object)
    trainingFinished = Signal(object)

    def __init__(self, config_provider, parent=None):
        super().__init__(parent)
        for name in TRAINING_PANEL.actions:
            action = QAction(name, self)
            action.setObjectName(name)
            setattr(self, name, action)

    def set_config_valid(self, valid: bool, reason: str = "") -> None: ...

    def reset(self) -> None: ...

    def shutdown(self) -> None: ...

    def is_running(self) -> bool:
        return False


class TabWithoutOpenInEditor(QWidget):
    def __init__(self, config_provider, parent=None):
        super().__init__(parent)

    def shutdown(self) -> None: ...


def _build_fails(qtbot) -> str:
    QSettings().clear()
    with pytest.raises(PanelContractError) as raised:
        MainWindow()
    qtbot.waitUntil(lambda: not nnstudio.gui.running_threads())  # the editor's data probe
    return str(raised.value)


def test_a_training_panel_without_a_declared_signal_stops_the_window_at_start_up(qtbot, monkeypatch):
    monkeypatch.setattr(main_window, "TrainingPanel", PanelWithoutStateChanged)
    message = _build_fails(qtbot)
    assert "training panel" in message and "signal stateChanged" in message
    assert "runningChanged" not in message and "action" not in message  # only what is missing is named


def test_a_tab_without_open_in_editor_stops_the_window_at_start_up(qtbot, monkeypatch):
    monkeypatch.setattr(main_window, "TuningTab", TabWithoutOpenInEditor)
    message = _build_fails(qtbot)
    assert "TabWithoutOpenInEditor" in message and "signal openInEditor" in message


def test_contracts_name_missing_methods_and_actions():
    class Bare:
        trainAction = QAction()

    gaps = TRAINING_PANEL.missing(Bare())
    assert "method reset()" in gaps and "action stopAction" in gaps and "action trainAction" not in gaps
    assert "signal openInEditor" in EDITOR_TAB.missing(Bare())


def test_the_real_panels_keep_their_contracts(qtbot):
    panel = TrainingPanel(lambda: None)
    tab = TuningTab(lambda: None)
    qtbot.addWidget(panel)
    qtbot.addWidget(tab)
    assert TRAINING_PANEL.missing(panel) == [] and EDITOR_TAB.missing(tab) == []
    tab.shutdown()
