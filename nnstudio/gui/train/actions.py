"""The training panel's actions (Train, Pause, Step, Stop, Reset, the three exports) and the run
states that enable them.

Run states and what they allow:

=========  =====  ============  ====  ====  =====
state      Train  Pause/Resume  Step  Stop  Reset
=========  =====  ============  ====  ====  =====
idle       yes    no            yes   no    yes
starting   no     no            no    yes   no
running    no     yes           no    yes   no
paused     no     yes (Resume)  yes   yes   no
finished   yes    no            yes   no    yes
=========  =====  ============  ====  ====  =====

Step while idle or finished starts a new run that pauses after its first epoch.
"""

from __future__ import annotations

from enum import Enum
from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget


class RunState(str, Enum):
    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


ACTIVE_STATES = (RunState.STARTING, RunState.RUNNING, RunState.PAUSED)

# state -> enabled (train, pause, step, stop, reset); see the training panel's module docstring
ENABLED = {
    RunState.IDLE: (True, False, True, False, True),
    RunState.STARTING: (False, False, False, True, False),
    RunState.RUNNING: (False, True, False, True, False),
    RunState.PAUSED: (False, True, True, True, False),
    RunState.FINISHED: (True, False, True, False, True),
}


class RunActions(QObject):
    """The actions, made on ``panel`` (its shortcuts work wherever the panel is shown).

    ``slots`` maps each action's objectName to what it does; Pause is checkable and gets
    ``toggled(bool)``.
    """

    def __init__(self, panel: QWidget, slots: dict[str, Callable]):
        super().__init__(panel)
        sp = QStyle.StandardPixmap
        make = self._action
        self.train = make(panel, "trainAction", "Train", slots, "F5", "Train the network from its initial weights",
                          sp.SP_MediaPlay)
        self.pause = make(panel, "pauseAction", "Pause", slots, "F6", "Pause after the current epoch / resume",
                          sp.SP_MediaPause, checkable=True)
        self.step = make(panel, "stepAction", "Step", slots, "F10", "Run exactly one epoch, then pause",
                         sp.SP_MediaSkipForward)
        self.stop = make(panel, "stopAction", "Stop", slots, "Shift+F5",
                         "Stop training (within half a second); the best weights are kept", sp.SP_MediaStop)
        self.reset = make(panel, "resetAction", "Reset", slots, "Ctrl+R", "Clear the plots, results and log",
                          sp.SP_BrowserReload)
        self.export_plot = make(panel, "exportPlotAction", "Export Plot as PNG…", slots, None,
                                "Save one of the training plots as a PNG image")
        self.export_history = make(panel, "exportHistoryAction", "Export History as CSV…", slots, None,
                                   "Save the per-epoch history (losses, accuracies, learning rate, gradient "
                                   "norms) as CSV")
        self.export_model = make(panel, "exportModelAction", "Export Model…", slots, "Ctrl+E",
                                 "Save the trained model (the weights the run kept) as an nnstudio .npz file "
                                 "or as ONNX")

    @staticmethod
    def _action(panel: QWidget, name: str, text: str, slots: dict[str, Callable], shortcut: str | None = None,
                tip: str = "", icon: QStyle.StandardPixmap | None = None, checkable: bool = False) -> QAction:
        action = QAction(text, panel)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            tip = f"{tip} ({shortcut})" if tip else shortcut
        if icon is not None:
            action.setIcon(panel.style().standardIcon(icon))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slots[name])
        panel.addAction(action)
        return action

    def apply(self, state: RunState, config_blocked: bool) -> None:
        """Enable what ``state`` allows (no Train or Step while the design is invalid and idle)."""
        train, pause, step, stop, reset = ENABLED[state]
        if config_blocked and state not in ACTIVE_STATES:
            train = step = False
        for action, enabled in ((self.train, train), (self.pause, pause), (self.step, step), (self.stop, stop),
                                (self.reset, reset)):
            action.setEnabled(enabled)
        paused = state == RunState.PAUSED
        self.pause.blockSignals(True)
        self.pause.setChecked(paused)
        self.pause.blockSignals(False)
        self.pause.setText("Resume" if paused else "Pause")
        owner: QWidget = self.parent()
        self.pause.setIcon(owner.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause))

    def set_model(self, held: bool) -> None:
        """Export Model is enabled only while a trained model is held."""
        self.export_model.setEnabled(held)

    def stopping(self) -> None:
        """Stop was asked: nothing but waiting is left to do."""
        for action in (self.stop, self.pause, self.step):
            action.setEnabled(False)
