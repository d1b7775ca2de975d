"""The Compare tab at the sizes people use: nothing moves under the mouse, the table shows its
rows and columns, the first run keeps the window responsive, and old results say they are old."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from test_gui_compare import choose_factor, make_tab, run_to_end, shown_compare_tab, small_config  # noqa: E402,F401


def settle() -> None:
    """Deliver the layout requests posted so far (a message's new height is laid out in them)."""
    for _ in range(3):
        QApplication.sendPostedEvents(None, 0)
        QApplication.processEvents()


def places(tab, buttons) -> list:
    return [(b.mapTo(tab, QPoint(0, 0)), b.size()) for b in buttons]


def test_run_and_stop_stay_put_when_a_message_comes_and_grows(qtbot, make_tab, tmp_path):
    tab = make_tab()
    settle()
    buttons = [tab.runButton, tab.stopButton]
    before = places(tab, buttons)
    choose_factor(tab, "learning_rate")
    for i in range(tab.valuesList.count()):
        tab.valuesList.item(i).setCheckState(Qt.CheckState.Unchecked)
    qtbot.mouseClick(tab.runButton, Qt.MouseButton.LeftButton)  # nothing ticked: one line of error
    assert "Tick at least one value" in tab.status.text()
    settle()
    assert places(tab, buttons) == before
    paths = []
    for i in range(12):  # twelve unreadable files: a message of twelve lines, cut to the room kept for it
        paths.append(tmp_path / f"broken-{i}.json")
        paths[-1].write_text("{not json")
    tab.add_files([str(p) for p in paths])
    assert tab.status.is_cut()
    settle()
    assert places(tab, buttons) == before


def test_at_1280_by_800_the_table_shows_six_rows_and_every_column(qtbot):
    window, tab = shown_compare_tab(qtbot, small_config(epochs=2))
    try:
        choose_factor(tab, "init_method")
        assert tab.valuesList.count() >= 6
        tab.seedsSpin.setValue(1)
        run_to_end(qtbot, tab)
        assert (window.width(), window.height()) == (1280, 800)
        table = tab.table
        assert tab.proxy.rowCount() >= 6
        qtbot.waitUntil(lambda: table.rowHeight(0) > 0)
        rows_shown = table.viewport().height() / table.rowHeight(0)
        assert rows_shown >= 6, rows_shown
        assert table.hidden_titles == [] and not table.horizontalScrollBar().isVisible()
        header = table.horizontalHeader()
        assert sum(header.sectionSize(c) for c in range(header.count())) <= table.viewport().width()
        assert "No room" not in tab.targetLabel.text()
    finally:
        window.shutdown()


def test_results_are_marked_as_from_the_previous_design_until_it_comes_back(qtbot, make_tab):
    tab = make_tab()
    choose_factor(tab, "init_method")
    for i in range(tab.valuesList.count()):
        if i > 1:
            tab.valuesList.item(i).setCheckState(Qt.CheckState.Unchecked)
    tab.seedsSpin.setValue(1)
    run_to_end(qtbot, tab)
    stale = tab.summary.staleLabel
    tab.stale.check()
    assert stale.isHidden()
    designed = tab.holder["config"]
    tab.holder["config"] = designed.replace(learning_rate=0.5)  # the editor's design changes
    qtbot.waitUntil(lambda: stale.isVisible(), timeout=3000)
    assert "previous design" in stale.text() and stale.property("severity") == "warning"
    tab.holder["config"] = designed  # undo brings it back
    qtbot.waitUntil(lambda: stale.isHidden(), timeout=3000)
    tab.holder["config"] = designed.replace(epochs=7)
    qtbot.waitUntil(lambda: stale.isVisible(), timeout=3000)
    run_to_end(qtbot, tab)  # results of the design as it is now
    assert stale.isHidden()


def test_the_curves_legend_shows_all_seven_initializers_beside_the_curves(qtbot, monkeypatch):
    from PySide6.QtCore import QRect, QRectF

    from test_gui_layout import close, opened_on

    window = opened_on(qtbot, monkeypatch, QRect(0, 0, 1280, 800))  # the first size for a 1280 x 800 screen
    try:
        tab = window.compare_tab
        window.tabs.setCurrentWidget(tab)
        choose_factor(tab, "init_method")
        assert tab.valuesList.count() == 7
        tab.seedsSpin.setValue(1)
        run_to_end(qtbot, tab)
        plot = tab.plot
        legend = plot.legend
        plot.grab()  # painted: the legend laid out where it is seen
        whole = QRectF(plot.viewport().rect())
        view = plot.getPlotItem().getViewBox().sceneBoundingRect()
        box = legend.sceneBoundingRect()
        assert [label.text for _sample, label in legend.items] == list(tab.comparison.labels)
        for sample, label in legend.items:  # every entry whole, inside the plot, right of the curves
            for rect in (label.sceneBoundingRect(), sample.sceneBoundingRect()):
                assert box.contains(rect) and whole.contains(rect), (label.text, rect, box, whole)
                assert rect.left() > view.right(), (label.text, rect, view)  # never over a curve or band
        assert whole.contains(box) and box.left() >= view.right() - 1
        assert view.width() >= 0.5 * whole.width()  # the curves keep most of the plot
    finally:
        close(window)


def histograms_of_every_initializer(qtbot, window):
    """The window's Compare tab after a one-seed run of every default initializer, on its Histograms page."""
    tab = window.compare_tab
    window.tabs.setCurrentWidget(tab)
    choose_factor(tab, "init_method")
    tab.seedsSpin.setValue(1)
    run_to_end(qtbot, tab)
    tab.views.setCurrentIndex(1)  # Histograms
    return tab


@pytest.mark.parametrize("width, height", [(1280, 800), (1600, 1000)])
def test_every_variants_histogram_and_its_notes_fit_the_grid(qtbot, monkeypatch, width, height):
    from PySide6.QtCore import QRect, QRectF

    from test_gui_layout import close, opened_on

    window = opened_on(qtbot, monkeypatch, QRect(0, 0, width, height))
    try:
        tab = histograms_of_every_initializer(qtbot, window)
        tab.kindCombo.setCurrentText("Activations")
        grid = tab.histograms
        qtbot.waitUntil(lambda: len(grid.plots) == 7 and grid.plots[-1].sceneBoundingRect().width() > 0)

        def laid_out() -> bool:  # every title row as tall as its lines
            grid.grab()
            return all(p.titleLabel.geometry().height() >= p.titleLabel.item.boundingRect().height() - 0.5
                       for p in grid.plots)
        qtbot.waitUntil(laid_out)
        whole = QRectF(grid.viewport().rect())
        rects = [plot.sceneBoundingRect() for plot in grid.plots]
        for label, plot, rect in zip(tab.comparison.labels, grid.plots, rects):
            assert whole.contains(rect), (label, rect, whole)  # no variant cut off or pushed out
            title = plot.titleLabel.item.mapRectToScene(plot.titleLabel.item.boundingRect())
            assert rect.adjusted(-1, -1, 1, 1).contains(title), (label, title, rect)  # its notes whole
        assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
        zeros = grid.plots[tab.comparison.labels.index("zeros")].titleLabel.text
        assert "⚠ 1 of 6 distinct" in zeros  # the count, also in a plot a quarter of the grid wide
    finally:
        close(window)


def fully_shown_rows(table) -> int:
    """How many of the table's rows lie whole inside its viewport."""
    area = table.viewport().rect()
    return sum(area.contains(table.visualRect(table.model().index(r, 0)).adjusted(0, 0, 0, -1))
               for r in range(table.model().rowCount()))


@pytest.mark.parametrize("width, height", [(1280, 800), (1366, 768), (1600, 1000)])
def test_the_first_window_shows_six_whole_rows_of_every_initializer_and_all_columns(qtbot, monkeypatch, width,
                                                                                     height):
    from PySide6.QtCore import QRect

    from test_gui_layout import close, opened_on

    window = opened_on(qtbot, monkeypatch, QRect(0, 0, width, height))  # the first size, the docks a new user gets
    try:
        assert window.width() <= width and window.height() <= height - 70
        tab = window.compare_tab
        window.tabs.setCurrentWidget(tab)
        choose_factor(tab, "init_method")
        assert tab.valuesList.count() == 7
        tab.seedsSpin.setValue(2)  # cells of "mean" over "± std": the tallest rows
        run_to_end(qtbot, tab)
        table = tab.table
        assert tab.proxy.rowCount() == 7 and table.rowHeight(0) >= 2 * table.fontMetrics().lineSpacing()
        assert fully_shown_rows(table) >= 6, (table.viewport().height(), table.rowHeight(0))
        assert table.hidden_titles == [] and not table.horizontalScrollBar().isVisible()
        header = table.horizontalHeader()
        assert sum(header.sectionSize(c) for c in range(header.count())) <= table.viewport().width()
        assert tab.views.height() >= tab.views.minimumSizeHint().height()  # the plots above keep their room
        assert window.help_dock.isVisible() and not window.help_dock.visibleRegion().isEmpty()  # help still shown
    finally:
        close(window)


@pytest.mark.parametrize("width, height", [(1280, 800), (1600, 1000)])
def test_histograms_of_seven_variants_keep_a_readable_height_and_scroll_into_view(qtbot, monkeypatch, width,
                                                                                   height):
    from PySide6.QtCore import QPoint, QPointF, QRect
    from PySide6.QtGui import QWheelEvent

    from test_gui_layout import close, opened_on

    window = opened_on(qtbot, monkeypatch, QRect(0, 0, width, height))
    try:
        tab = histograms_of_every_initializer(qtbot, window)
        grid, scroll = tab.histograms, tab.views.histogramScroll
        qtbot.waitUntil(lambda: len(grid.plots) == 7 and grid.plots[-1].sceneBoundingRect().height() > 0)
        grid.grab()
        for label, plot in zip(tab.comparison.labels, grid.plots):  # the bars' own area, under the notes
            assert plot.getViewBox().sceneBoundingRect().height() >= 60, label
        last = grid.plots[-1].sceneBoundingRect().toAlignedRect()
        seen = lambda: scroll.viewport().rect().contains(  # noqa: E731
            grid.viewport().mapTo(scroll.viewport(), last.topLeft()))
        for _ in range(10):  # the wheel over a histogram scrolls the page until the last row shows
            if seen() and scroll.viewport().rect().contains(
                    grid.viewport().mapTo(scroll.viewport(), last.bottomRight())):
                break
            centre = QPointF(grid.viewport().rect().center())
            wheel = QWheelEvent(centre, QPointF(grid.viewport().mapToGlobal(centre.toPoint())), QPoint(0, 0),
                                QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                Qt.ScrollPhase.NoScrollPhase, False)
            QApplication.sendEvent(grid.viewport(), wheel)
        bottom_right = grid.viewport().mapTo(scroll.viewport(), last.bottomRight())
        assert seen() and scroll.viewport().rect().contains(bottom_right), (last, scroll.verticalScrollBar().value())
    finally:
        close(window)


@pytest.mark.parametrize("width, height", [(1280, 800), (1600, 1000)])
def test_histogram_value_labels_never_run_into_each_other(qtbot, monkeypatch, width, height):
    from PySide6.QtCore import QRect

    from nnstudio.config import LayerConfig
    from plot_probes import crowded, drawn_labels
    from test_gui_layout import close, opened_on
    from test_gui_window import small_config as window_config

    wide = window_config(layers=(LayerConfig(64, "relu"), LayerConfig(64, "relu")))  # weights within ±0.5
    window = opened_on(qtbot, monkeypatch, QRect(0, 0, width, height), wide)
    try:
        tab = histograms_of_every_initializer(qtbot, window)
        grid = tab.histograms
        qtbot.waitUntil(lambda: len(grid.plots) == 7 and grid.plots[-1].sceneBoundingRect().width() > 0)
        for kind in ("Weights", "Activations"):
            tab.kindCombo.setCurrentText(kind)
            for layer in range(tab.layerCombo.count()):
                tab.layerCombo.setCurrentIndex(layer)
                grid.grab()  # laid out and painted at the grid's size
                for label, plot in zip(tab.comparison.labels, grid.plots):
                    ticks = drawn_labels(plot.getAxis("bottom"))
                    where = (kind, tab.layerCombo.currentText(), label, ticks)
                    # weights (short labels: -0.4, 0, 0.4) keep a scale; an activation spread over
                    # 1e-5 has labels like 0.500004, of which one fits
                    assert len(ticks) >= (2 if kind == "Weights" else 1), where
                    assert not crowded(ticks), where
    finally:
        close(window)


def test_a_narrower_histogram_page_puts_fewer_plots_in_a_row_instead_of_cutting_them_off(qtbot, monkeypatch):
    from PySide6.QtCore import QRect, QRectF
    from PySide6.QtWidgets import QSplitter

    from nnstudio.gui.compare.histograms import HISTOGRAM_MIN_PX
    from test_gui_layout import close, opened_on

    window = opened_on(qtbot, monkeypatch, QRect(0, 0, 1280, 800))
    try:
        tab = histograms_of_every_initializer(qtbot, window)
        grid, scroll = tab.histograms, tab.views.histogramScroll
        qtbot.waitUntil(lambda: grid.arranged == 4)

        def whole_rows() -> bool:  # every plot inside the page's width, and as tall as a row should be
            grid.grab()
            width = scroll.viewport().width()
            rects = [plot.sceneBoundingRect() for plot in grid.plots]
            return (grid.width() <= width and all(QRectF(0, 0, width, grid.height()).contains(r) for r in rects)
                    and all(plot.getViewBox().sceneBoundingRect().height() >= 60 for plot in grid.plots))
        qtbot.waitUntil(whole_rows)
        splitter = tab.findChild(QSplitter, "compareTopSplitter")
        splitter.setSizes([splitter.width(), 0])  # the divider dragged right: the controls as wide as they go
        qtbot.waitUntil(lambda: grid.arranged < 4)
        qtbot.waitUntil(whole_rows)
        widths = [plot.sceneBoundingRect().width() for plot in grid.plots]
        assert min(widths) >= HISTOGRAM_MIN_PX, widths  # room for a note like "stopped early at 143"
        assert grid.height() > scroll.viewport().height()  # the third row is scrolled to, not squeezed
        splitter.setSizes([0, splitter.width()])  # and back: four in a row again
        qtbot.waitUntil(lambda: grid.arranged == 4)
        qtbot.waitUntil(whole_rows)
    finally:
        close(window)
