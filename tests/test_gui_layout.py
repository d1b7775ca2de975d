"""The window's first size and layout on screens of several sizes, and its panels across
maximizing and shrinking: computed for fake screens, then checked on real windows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

import nnstudio.gui
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.window import geometry
from nnstudio.gui.window.geometry import (COMPACT, SIDE_FRAME_PX, TASKBAR_PX, TITLE_BAR_PX, WIDE,
                                          default_window_rect, layout_for_width)
from test_gui_window import INFO_TIMEOUT_MS, small_config

LEFT, RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea


def frame_of(rect: QRect) -> QRect:
    """The window's outer rectangle: its own area with the title bar above and the side frame."""
    return rect.adjusted(-SIDE_FRAME_PX // 2, -TITLE_BAR_PX, SIDE_FRAME_PX // 2, 0)


@pytest.mark.parametrize("width, height", [(1280, 800), (1366, 768), (1440, 900), (1600, 1000), (1920, 1080),
                                           (3840, 2160)])
def test_the_first_window_fits_the_screen_with_its_title_bar_and_a_taskbar(width, height):
    screen = QRect(0, 0, width, height)
    rect = default_window_rect(screen, screen)
    frame = frame_of(rect)
    assert screen.contains(frame)
    assert frame.bottom() < screen.bottom() - TASKBAR_PX + 1  # a taskbar the screen does not report fits below
    assert layout_for_width(rect.width()) == (WIDE if width >= 1600 else COMPACT)
    if width <= 1920:
        assert rect.width() >= width - SIDE_FRAME_PX  # no width wasted on a small screen


def test_a_screen_that_reports_its_panel_gets_no_second_taskbar_allowance():
    whole, available = QRect(0, 0, 1280, 800), QRect(0, 0, 1280, 752)  # a 48 px panel at the bottom
    rect = default_window_rect(available, whole)
    assert available.contains(frame_of(rect))
    assert rect.height() == 752 - TITLE_BAR_PX


def opened_on(qtbot, monkeypatch, screen: QRect, config=None) -> MainWindow:
    """A window opened with no saved settings on a screen of ``screen``'s size (with ``config``,
    else a small design)."""
    QSettings().clear()
    monkeypatch.setattr(geometry, "screen_areas", lambda _window: (screen, screen))
    w = MainWindow(config or small_config())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: not w.editor.info.pending, timeout=INFO_TIMEOUT_MS)
    return w


def close(w: MainWindow) -> None:
    w.editor.document.mark_saved()
    assert w.close()
    assert not nnstudio.gui.running_threads()


def test_a_1280_by_800_screen_opens_a_compact_window_that_no_panel_forces_larger(qtbot, monkeypatch):
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, 1280, 800))
    try:
        assert w.width() + SIDE_FRAME_PX <= 1280 and w.height() + TITLE_BAR_PX + TASKBAR_PX <= 800
        assert w.minimumSizeHint().width() <= w.width() and w.minimumSizeHint().height() <= w.height()
        assert w.dockWidgetArea(w.hyperparams_dock) == LEFT  # compact: Data and Hyperparameters in tabs
        qtbot.waitUntil(lambda: w.tabs.width() >= 700)  # the training plots keep their room
    finally:
        close(w)


def test_a_1600_wide_screen_opens_the_wide_layout_by_itself(qtbot, monkeypatch):
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, 1600, 1000))
    try:
        assert (w.width(), w.height()) == (1600 - SIDE_FRAME_PX, 1000 - TITLE_BAR_PX - TASKBAR_PX)
        assert w.dockWidgetArea(w.hyperparams_dock) == RIGHT and w.dockWidgetArea(w.help_dock) == RIGHT
        assert w.dockWidgetArea(w.data_dock) == LEFT and w.dockWidgetArea(w.network_dock) == LEFT
        assert w.hyperparams_dock.isVisible() and w.data_dock.isVisible()  # side by side, not tabbed
        qtbot.waitUntil(lambda: w.tabs.width() >= 700)
    finally:
        close(w)


def test_the_wide_layout_puts_the_diagram_under_the_layer_table_with_all_its_labels(qtbot, monkeypatch):
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, 1600, 1000))
    try:
        qtbot.waitUntil(lambda: w.network_splitter.orientation() == Qt.Orientation.Vertical)
        qtbot.waitUntil(lambda: w.diagram.width() >= 300 and w.diagram.height() >= 200)
        sizes, activations = w.diagram.label_rows()
        assert activations == ["input", "tanh", "softmax"]  # in full: the diagram has the dock's width
        need, dock = w.data_panel.sizeHint().height(), w.data_dock.height()
        column = dock + w.network_dock.height()
        assert w.data_panel.visibleRegion().boundingRect().height() >= need - 2 or dock >= 0.38 * column
        assert dock <= need + 80  # no tall blank under the data set: the network gets that room
    finally:
        close(w)


def test_the_compact_layout_keeps_the_diagram_beside_the_layer_table(qtbot, monkeypatch):
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, 1280, 800))
    try:
        assert w.network_splitter.orientation() == Qt.Orientation.Horizontal
        sizes, activations = w.diagram.label_rows()
        assert len(sizes) == 3 and len(activations) in (0, 3)
    finally:
        close(w)


def panel_sizes(w: MainWindow):
    docks = {d.objectName(): d.size().toTuple() for d in w.docks.docks()
             if d.isVisible() and w.rect().intersects(d.geometry())}  # not behind another dock's tab
    return docks, w.network_splitter.sizes(), w.tabs.size().toTuple()


RESTORED_PX = 12  # Qt counts a tabbed dock's tab bar in its own way: a few pixels either way


def close_to(now, before) -> bool:
    (docks, split, tabs), (docks0, split0, tabs0) = now, before
    pairs = [(split, split0), (tabs, tabs0), *((docks.get(k, (0, 0)), v) for k, v in docks0.items())]
    return set(docks) == set(docks0) and all(abs(a - b) <= RESTORED_PX for x, y in pairs for a, b in zip(x, y))


def test_maximizing_and_restoring_gives_every_panel_its_size_back(qtbot, monkeypatch):
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, 1280, 800))
    try:
        qtbot.wait(50)  # let the first-show sizing (a zero timer) run
        before = panel_sizes(w)
        w.showMaximized()  # offscreen, the "screen" is smaller than the window: the panels are squeezed
        qtbot.waitUntil(lambda: panel_sizes(w) != before)
        w.showNormal()
        qtbot.waitUntil(lambda: close_to(panel_sizes(w), before), timeout=2000)
    finally:
        close(w)


def test_a_narrower_network_panel_takes_the_width_from_the_diagram_first(qtbot, monkeypatch):
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, 1280, 800))
    try:
        qtbot.wait(50)
        total = sum(w.network_splitter.sizes())
        w.network_splitter.setSizes([250, total - 250])  # the user gave the diagram room
        table, diagram = w.network_splitter.sizes()
        assert diagram - w.diagram.minimumWidth() >= 60
        w.resizeDocks([w.network_dock], [w.network_dock.width() - 60], Qt.Orientation.Horizontal)
        qtbot.waitUntil(lambda: w.network_splitter.sizes()[1] <= diagram - 50)
        assert w.network_splitter.sizes()[0] == table  # the layer table keeps its columns
    finally:
        close(w)


@pytest.fixture(autouse=True)
def _no_modal_questions(monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)


def test_at_1280_by_800_every_page_beside_the_training_plots_fits_under_a_result(qtbot, monkeypatch):
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, 1280, 800))
    try:
        panel = w.training_panel
        banner = panel.statusLabel
        banner.show_message("Trained all 40 epochs. Best weights restored (epoch 39).\nTest accuracy 94.8% · test "
                            "loss 0.1463 · 269 test rows · validation accuracy 98.1% at epoch 39, the weights kept",
                            "success")  # the article preset's result, as it reads after a run
        qtbot.waitUntil(lambda: banner.height() >= banner.heightForWidth(banner.width()))
        tabs = panel.insideTabs
        tabs.clippingView.start("none", 1.0)  # its caption as a run without clipping words it
        too_tall = []
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            page = tabs.currentWidget()
            qtbot.waitUntil(page.isVisible)
            # the tab widget's page area, less a line: a result that wraps once more must not cut a page
            room = page.parentWidget().height() - banner.fontMetrics().lineSpacing()
            if page.minimumSizeHint().height() > room:
                too_tall.append((tabs.tabText(i), page.minimumSizeHint().height(), room))
        assert too_tall == []
        tabs.setCurrentWidget(tabs.clippingView)
        lower = tabs.clippingView.fractionPlot
        qtbot.waitUntil(lambda: lower.isVisible() and lower.height() > 0)
        label = lower.getPlotItem().getAxis("bottom").label  # "epoch", under the lower plot
        text_margin = label.document().documentMargin()  # the text item's box is this much taller than its glyphs
        assert label.isVisible() and label.sceneBoundingRect().bottom() - text_margin <= lower.viewport().height()
        assert tabs.clippingView.geometry().bottom() <= tabs.clippingView.parentWidget().height()
    finally:
        close(w)


@pytest.mark.parametrize("width, height", [(1280, 800), (1600, 1000)])
def test_every_inside_tab_of_the_train_tab_shows_its_whole_name(qtbot, monkeypatch, width, height):
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, width, height))
    try:
        tabs = w.training_panel.insideTabs
        qtbot.waitUntil(lambda: tabs.tabBar().tabRect(5).width() > 0)
        widths = (w.network_dock.width(), tabs.width(), tabs.tabBar().width())
        tabs.setTabText(5, "Diagnosis (7)")  # the doctor's count makes the longest name ...
        QApplication.sendPostedEvents(None, 0)
        QApplication.processEvents()
        assert (w.network_dock.width(), tabs.width(), tabs.tabBar().width()) == widths  # ... in room kept for it
        bar = tabs.tabBar()
        shown = bar.rect().intersected(bar.visibleRegion().boundingRect())
        metrics = bar.fontMetrics()
        for i in range(bar.count()):
            rect = bar.tabRect(i)
            assert shown.contains(rect), (bar.tabText(i), rect, shown)
            assert rect.width() >= metrics.horizontalAdvance(bar.tabText(i)) + 8, (bar.tabText(i), rect.width())
            assert not bar.tabText(i).endswith("…")
        # the names' room is not taken from the editing panels: the diagram keeps its activation labels
        _sizes, activations = w.diagram.label_rows()
        assert len(activations) == 3
    finally:
        close(w)


@pytest.mark.parametrize("width, height", [(1280, 800), (1600, 1000)])
def test_the_boundary_replay_slider_spans_the_plot(qtbot, monkeypatch, width, height):
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, width, height))
    try:
        tabs = w.training_panel.insideTabs
        tabs.setCurrentIndex(1)  # Boundary
        tabs.boundaryStack.setCurrentWidget(tabs.boundaryPage)  # as for a 2-D data set's run
        replay, view = tabs.boundaryReplay, tabs.boundaryView
        qtbot.waitUntil(lambda: replay.slider.width() > 0 and view.width() > 0)
        assert replay.slider.width() >= 0.8 * view.width(), (replay.slider.width(), view.width())
        replay.label.setText("Epoch 100000 (latest)")
        assert replay.label.width() >= replay.label.fontMetrics().horizontalAdvance(replay.label.text())
        for part in (replay.playButton, replay.speedCombo, replay.label):
            assert replay.rect().contains(part.geometry())
    finally:
        close(w)


@pytest.mark.parametrize("width, height", [(1280, 800), (1366, 768), (1440, 900)])
def test_the_compact_column_holds_help_under_the_editing_panels_and_the_tabs_keep_the_height(qtbot, monkeypatch,
                                                                                               width, height):
    from nnstudio.config import ExperimentConfig

    w = opened_on(qtbot, monkeypatch, QRect(0, 0, width, height), ExperimentConfig())  # what a new user sees
    try:
        docks = (w.network_dock, w.data_dock, w.help_dock)
        assert [w.dockWidgetArea(d) for d in docks] == [LEFT] * 3
        assert w.network_dock.geometry().bottom() < w.data_dock.geometry().top()
        assert w.data_dock.geometry().bottom() < w.help_dock.geometry().top()
        assert w.tabs.height() >= w.height() - w.menuBar().height() - w.statusBar().height() - 4  # nothing under it
        data_scroll = w.data_dock.widget()
        qtbot.waitUntil(lambda: not data_scroll.verticalScrollBar().isVisible())  # the whole data panel shows
        # (a generated data set's options make the panel taller: then it scrolls at the smallest sizes)
        qtbot.waitUntil(lambda: not w.help_pane.verticalScrollBar().isVisible())  # and the help's opening text
        assert w.network_dock.height() >= w.network_dock.minimumSizeHint().height()  # never crushed
        sizes, _activations = w.diagram.label_rows()
        assert len(sizes) == len(w.editor.config.layers) + 2  # the diagram still labels every layer
    finally:
        close(w)


def legend_clearance(plot) -> float:
    """The distance in pixels from ``plot``'s legend to the nearest point of any curve shown."""
    import numpy as np

    from nnstudio.gui.plots.overlay import scene_points

    box = plot.getPlotItem().getViewBox()
    legend = plot.legend.sceneBoundingRect()
    points = [p for p in scene_points(box, plot.series.values()) if len(p)]
    if not points:
        return float("inf")
    xy = np.concatenate(points)
    dx = np.maximum(np.maximum(legend.left() - xy[:, 0], xy[:, 0] - legend.right()), 0)
    dy = np.maximum(np.maximum(legend.top() - xy[:, 1], xy[:, 1] - legend.bottom()), 0)
    return float(np.hypot(dx, dy).min())


def test_with_the_previous_runs_curves_the_loss_legend_keeps_clear_of_every_curve(qtbot, monkeypatch):
    from nnstudio.presets import load_preset
    from test_gui_training import click_and_finish

    first = load_preset("article").replace(init_method="random", epochs=8)
    w = opened_on(qtbot, monkeypatch, QRect(0, 0, 1280, 800), first)
    try:
        panel = w.training_panel
        click_and_finish(qtbot, panel)
        w.editor.load(first.replace(init_method="glorot_uniform", learning_rate=0.05), "second")
        qtbot.waitUntil(lambda: not w.editor.info.pending, timeout=INFO_TIMEOUT_MS)
        click_and_finish(qtbot, panel)
        assert panel.lossPlot.series["ghost_val"].isVisible()
        for plot in (panel.lossPlot, panel.accuracyPlot):
            plot.grab()  # painted: the legend where it is seen
            qtbot.waitUntil(lambda: legend_clearance(plot) >= 4)
    finally:
        close(w)
