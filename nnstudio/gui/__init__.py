"""The Qt user interface (PySide6 + pyqtgraph)."""

from .threads import running_threads, start_worker, stop_and_wait

__all__ = ["running_threads", "start_worker", "stop_and_wait"]


def __getattr__(name):
    # MainWindow is imported lazily so that `import nnstudio.gui` stays cheap.
    if name == "MainWindow":
        from .main_window import MainWindow

        return MainWindow
    raise AttributeError(name)
