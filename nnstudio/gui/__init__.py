"""The Qt user interface (PySide6 + pyqtgraph).

Importing this package loads no Qt: the names below are resolved on first use, so Qt-free code
(and ``nnstudio --help``) can name the GUI without paying for PySide6.
"""

_LAZY = {
    "MainWindow": ("main_window", "MainWindow"),
    "running_threads": ("qt.threads", "running_threads"),
    "start_worker": ("qt.threads", "start_worker"),
    "stop_and_wait": ("qt.threads", "stop_and_wait"),
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    from importlib import import_module

    return getattr(import_module(f".{module_name}", __name__), attr)
