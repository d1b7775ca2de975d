"""Plots without data show a range that means something, or say why they are empty."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from test_gui_window import child, dialogs, window  # noqa: F401 - fixtures


def view_range(plot) -> tuple[tuple[float, float], tuple[float, float]]:
    (x0, x1), (y0, y1) = plot.getPlotItem().getViewBox().viewRange()
    return (x0, x1), (y0, y1)


def covers(span: tuple[float, float], lo: float, hi: float, slack: float = 0.3) -> bool:
    """``span`` holds lo..hi with at most ``slack`` of its width to spare."""
    width = hi - lo
    return span[0] <= lo and span[1] >= hi and span[1] - span[0] <= width * (1 + slack)


def test_epoch_plots_before_a_run_show_epochs_0_to_10_and_their_own_range(qtbot, window):
    accuracy, loss, rate = (child(window, n) for n in ("accuracyPlot", "lossPlot", "learningRatePlot"))
    for plot in (accuracy, loss, rate):
        x, _ = view_range(plot)
        assert covers(x, 0.0, 10.0), (plot.objectName(), x)
    assert covers(view_range(accuracy)[1], 0.0, 100.0)  # percent, not 0.2 .. 0.8
    assert covers(view_range(loss)[1], 0.0, 1.0)  # a loss from 0


def test_the_verification_plot_says_there_is_no_verdict_yet(qtbot, window):
    plot = window.lab_tab.findChild(QWidget, "verifyPlot")
    x, y = view_range(plot)
    assert covers(x, -4.0, 0.0) and covers(y, 0.0, 1.0)  # rates 1e-4 .. 1, losses from 0
    assert plot.empty_note.isVisible() and plot.empty_note.toPlainText() == "No verification yet"


def test_the_sharpness_page_says_measuring_is_off_after_a_run_without_it(qtbot, window):
    page = window.training_panel.insideTabs.sharpnessPage
    assert not page.sharpnessCheck.isChecked()
    with qtbot.waitSignal(window.training_panel.runningChanged, check_params_cb=bool):
        qtbot.mouseClick(child(window, "trainButton"), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.training_panel.runningChanged, timeout=60_000,
                          check_params_cb=lambda running: not running):
        pass
    note = page.sharpnessPlot.empty_note
    assert note.isVisible() and note.toPlainText().startswith("Sharpness measuring is off")
    assert covers(view_range(page.sharpnessPlot)[0], 0.0, 10.0)
    qtbot.mouseClick(page.sharpnessCheck, Qt.MouseButton.LeftButton)  # on: the next run measures
    assert page.sharpnessCheck.isChecked() and note.toPlainText() == "No measurement yet"
