"""Export from the training panel: a plot as PNG (through the plots' own Export PNG dialog, 2× by
default), the per-epoch history as CSV, the trained model as ``.npz`` or ONNX (each atomically)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from ...files import FileFormatError, atomic_write_text, save_model
from ...history import History
from ...model import TrainedModel
from ..plots.base import DEFAULT_PNG_SCALE, export_png_dialog, save_widget_png


def export_plot(widget: QWidget, path: str | Path) -> None:
    """Save ``widget`` as it looks now as PNG at the plots' default scale (2×), atomically."""
    save_widget_png(widget, path, DEFAULT_PNG_SCALE)


def export_history(history: History, path: str | Path) -> None:
    """Save the run's per-epoch history as CSV, atomically."""
    atomic_write_text(path, history.to_csv())


def plot_dialog(parent: QWidget, exportable: dict[str, QWidget]) -> str | None:
    """Ask which plot to save, then its size and file as every plot's Export PNG does
    (:func:`~nnstudio.gui.plots.base.export_png_dialog`); the path written, or None."""
    name, ok = QInputDialog.getItem(parent, "Export Plot", "Plot to save as PNG:", list(exportable), 0, False)
    if not ok:
        return None
    return export_png_dialog(parent, exportable[name], name.lower().replace(" ", "_"))


def history_dialog(parent: QWidget, history: History) -> str | None:
    """Ask where to save the history, and save it; the path written, or None (also when there is
    no history yet: that is said)."""
    if not len(history):
        QMessageBox.information(parent, "Export History", "There is no history yet: train the network first.")
        return None
    path, _ = QFileDialog.getSaveFileName(parent, "Export History as CSV", "history.csv", "CSV files (*.csv)")
    if not path:
        return None
    if not Path(path).suffix:
        path += ".csv"
    return path if _write(parent, lambda: export_history(history, path), path) else None


def _write(parent: QWidget, write: Callable[[], None], path: str) -> bool:
    """Run ``write``; a failure is explained in a message box.  Whether it wrote."""
    try:
        write()
    except (FileFormatError, OSError, ValueError) as exc:
        QMessageBox.warning(parent, "Export failed", f"Could not write {path}: {exc}")
        return False
    return True


STATUS_MS = 6000
MODEL_FILTERS = {"nnstudio model (*.npz)": ".npz", "ONNX model (*.onnx)": ".onnx"}


def export_model(model: TrainedModel, path: str | Path) -> Path:
    """Write ``model`` as ``.npz`` (nnstudio's model file) or ``.onnx``, by the path's suffix, atomically."""
    path = Path(path)
    if path.suffix.lower() == ".onnx":
        from ...onnx_export import export_onnx  # imports onnx: only when asked for
        export_onnx(model, path)
    else:
        save_model(path, model)
    return path


def model_path(path: str, chosen_filter: str) -> str:
    """``path`` with the chosen format's suffix when it has neither known one."""
    if Path(path).suffix.lower() in MODEL_FILTERS.values():
        return path
    return path + MODEL_FILTERS.get(chosen_filter, ".npz")


def model_dialog(parent: QWidget, model: TrainedModel | None, name: str) -> str | None:
    """Ask where to save the trained model and in which format, and save it; the path written, or None."""
    if model is None:
        QMessageBox.information(parent, "Export Model", "There is no trained model yet: train the network first.")
        return None
    path, chosen = QFileDialog.getSaveFileName(parent, "Export Model", f"{name or 'model'}.npz",
                                               ";;".join(MODEL_FILTERS))
    if not path:
        return None
    path = model_path(path, chosen)
    return path if _write(parent, lambda: export_model(model, path), path) else None


class TrainingExports:
    """What the training panel saves: a plot, the history, the trained model (a mixin of the panel,
    which provides ``splitter``, ``history``, ``result`` and ``_show_status``)."""

    @property
    def exportable(self) -> dict[str, QWidget]:
        """What "Export Plot as PNG" offers: label -> widget.  Built on demand: a dict stored on the
        panel holding the panel would be a reference cycle (freed by the garbage collector in an
        arbitrary order instead of by Qt, children after parents)."""
        return self.splitter.exportable(self)

    def export_plot(self, name: str, path: str | Path) -> None:
        """Save the plot called ``name`` (a key of :attr:`exportable`) as PNG, atomically."""
        export_plot(self.exportable[name], path)

    def export_history(self, path: str | Path) -> None:
        """Save the run's per-epoch history as CSV, atomically."""
        export_history(self.history, path)

    def trained_model(self) -> TrainedModel | None:
        """The finished run's model (the kept weights), or None."""
        return self.result.model if self.result is not None else None

    def export_model(self, path: str | Path) -> Path:
        """Save the trained model as ``.npz`` or ``.onnx`` (by suffix), atomically."""
        model = self.trained_model()
        if model is None:
            raise ValueError("there is no trained model yet: train the network first")
        return export_model(model, path)

    def _export_plot_dialog(self) -> None:
        self._saved(plot_dialog(self, self.exportable))

    def _export_history_dialog(self) -> None:
        self._saved(history_dialog(self, self.history))

    def _export_model_dialog(self) -> None:
        model = self.trained_model()
        self._saved(model_dialog(self, model, model.config.name if model else ""))

    def _saved(self, path: str | None) -> None:
        if path:
            self._show_status(f"Saved {path}.", "success")
            status_bar = getattr(self.window(), "statusBar", None)
            if callable(status_bar):
                status_bar().showMessage(f"Saved {path}.", STATUS_MS)
