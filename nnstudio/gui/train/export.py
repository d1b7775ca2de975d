"""Export from the training panel: a plot as PNG, the per-epoch history as CSV (atomically)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from ...files import FileFormatError, atomic_write_text
from ...history import History
from ..plots.base import save_widget_png


def export_plot(widget: QWidget, path: str | Path) -> None:
    """Save ``widget`` as it looks now as PNG, atomically."""
    save_widget_png(widget, path)


def export_history(history: History, path: str | Path) -> None:
    """Save the run's per-epoch history as CSV, atomically."""
    atomic_write_text(path, history.to_csv())


def plot_dialog(parent: QWidget, exportable: dict[str, QWidget]) -> str | None:
    """Ask which plot to save and where, and save it; the path written, or None."""
    name, ok = QInputDialog.getItem(parent, "Export Plot", "Plot to save as PNG:", list(exportable), 0, False)
    if not ok:
        return None
    default = name.lower().replace(" ", "_") + ".png"
    path, _ = QFileDialog.getSaveFileName(parent, "Export Plot as PNG", default, "PNG images (*.png)")
    if not path:
        return None
    return path if _write(parent, lambda: export_plot(exportable[name], path), path) else None


def history_dialog(parent: QWidget, history: History) -> str | None:
    """Ask where to save the history, and save it; the path written, or None (also when there is
    no history yet: that is said)."""
    if not len(history):
        QMessageBox.information(parent, "Export History", "There is no history yet: train the network first.")
        return None
    path, _ = QFileDialog.getSaveFileName(parent, "Export History as CSV", "history.csv", "CSV files (*.csv)")
    if not path:
        return None
    return path if _write(parent, lambda: export_history(history, path), path) else None


def _write(parent: QWidget, write: Callable[[], None], path: str) -> bool:
    """Run ``write``; a failure is explained in a message box.  Whether it wrote."""
    try:
        write()
    except (FileFormatError, OSError) as exc:
        QMessageBox.warning(parent, "Export failed", f"Could not write {path}:\n{exc}")
        return False
    return True
