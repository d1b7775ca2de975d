"""What the window needs from its panels, checked when it is built.

The window connects to its panels' signals and calls their methods by name; a
:class:`PanelContract` lists those names, so a renamed or missing one stops the window at start-up
with a message naming it, instead of leaving a feature silently unconnected.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction


class PanelContractError(TypeError):
    """A panel lacks a signal, method or action the window uses."""


@dataclass(frozen=True)
class PanelContract:
    """The signals, methods and actions (attributes holding a ``QAction``) a panel must have."""

    role: str
    signals: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()

    def missing(self, panel: object) -> list[str]:
        cls = type(panel)
        gaps = [f"signal {name}" for name in self.signals if not isinstance(getattr(cls, name, None), Signal)]
        gaps += [f"method {name}()" for name in self.methods if not callable(getattr(panel, name, None))]
        gaps += [f"action {name}" for name in self.actions if not isinstance(getattr(panel, name, None), QAction)]
        return gaps

    def check(self, panel: object) -> None:
        """Raise :class:`PanelContractError` naming everything ``panel`` lacks."""
        gaps = self.missing(panel)
        if gaps:
            raise PanelContractError(f"The {self.role} ({type(panel).__name__}) lacks {', '.join(gaps)}, "
                                     "which the window uses.")
