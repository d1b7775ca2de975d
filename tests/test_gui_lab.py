"""The Lab tab, driven through its widgets with pytest-qt: finder, verification, Use / Search this
band through the window, the landscape map with a click on a point, and Stop."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QFontMetrics, QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig  # noqa: E402
from nnstudio.gui.lab.tab import LabTab  # noqa: E402
from nnstudio.gui.plots.titles import shown_title, title_font  # noqa: E402
from nnstudio.lab.study import objectives  # noqa: E402
from test_gui_window import Button, Dialogs, shown_window  # noqa: E402

RUN_TIMEOUT_MS = 120_000


def moons_config(**changes) -> ExperimentConfig:
    base = ExperimentConfig(name="moons", data=DataConfig("moons", {"n_samples": 200, "noise": 0.2}),
                            layers=(LayerConfig(8, "tanh"),), output_activation="sigmoid", loss_func="log_loss",
                            init_method="glorot_uniform", batch_size=32, epochs=5, seed=1)
    return base.replace(**changes)


@pytest.fixture
def dialogs(monkeypatch):
    return Dialogs(monkeypatch)


@pytest.fixture
def make_tab(qtbot):
    tabs = []

    def make(config: ExperimentConfig | None = None) -> LabTab:
        holder = {"config": config or moons_config()}
        tab = LabTab(lambda: holder["config"], backend="thread")
        qtbot.addWidget(tab)
        tab.resize(1280, 800)
        tab.show()
        tabs.append(tab)
        return tab

    yield make
    for tab in tabs:
        tab.shutdown()


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_finder_draws_each_seed_and_recommends_a_verified_band(qtbot, make_tab):
    tab = make_tab()
    page = tab.finder
    page.seedsSpin.setValue(2)
    page.verifyEpochsSpin.setValue(2)
    with qtbot.waitSignal(page.runFinished, timeout=RUN_TIMEOUT_MS):
        click(qtbot, page.findButton)
    assert len(page.finderPlot.curves) == 2
    for curve, plotted in zip(page.result.curves, page.finderPlot.curves):
        x, y = plotted.getData()
        np.testing.assert_allclose(10 ** x, curve.lrs)   # log mode: the item holds log10 of the rates
        np.testing.assert_allclose(y, curve.smoothed)
    assert set(page.finderPlot.candidate_lines) == {c.method for c in page.result.candidates}
    lrs, mean, _lo, _hi = page.result.band_of_curves()  # the candidates' dots lie on the drawn mean curve
    x, y = page.finderPlot.mean_curve.getData()
    np.testing.assert_allclose(10 ** x, lrs)
    np.testing.assert_allclose(y, mean)
    legend = {label.text for _sample, label in page.finderPlot.getPlotItem().legend.items}
    dots = [item for item in page.finderPlot.getPlotItem().listDataItems() if item.name() in legend
            and item.name().split()[0] in page.finderPlot.candidate_lines]
    assert len(dots) == len(page.result.candidates)
    for dot in dots:
        dx, dy = dot.getData()
        assert dy[0] == pytest.approx(float(np.interp(dx[0], x, y)), rel=1e-6)
    verdict = page.verdict
    lo, hi = verdict.band
    assert lo <= verdict.suggestion <= hi
    region = page.finderPlot.band.getRegion()
    np.testing.assert_allclose(region, (math.log10(lo), math.log10(hi)))
    assert page.useButton.isEnabled() and f"{verdict.suggestion:.3g}" in page.useButton.text()
    with qtbot.waitSignal(tab.useLearningRate) as used:
        click(qtbot, page.useButton)
    assert used.args == [pytest.approx(verdict.suggestion)]
    assert not page.stopButton.isEnabled() and page.findButton.isEnabled()


def test_stop_ends_the_verification_within_half_a_second(qtbot, make_tab):
    tab = make_tab(moons_config(data=DataConfig("moons", {"n_samples": 2000, "noise": 0.2}), batch_size=8))
    page = tab.finder
    page.seedsSpin.setValue(1)
    page.verifyEpochsSpin.setValue(100)
    with qtbot.waitSignal(page.progress.valueChanged, timeout=RUN_TIMEOUT_MS,
                          check_params_cb=lambda v: page.result is not None and v > 0):
        click(qtbot, page.findButton)
    start = time.perf_counter()
    with qtbot.waitSignal(page.runFinished, timeout=5000):
        click(qtbot, page.stopButton)
    assert time.perf_counter() - start < 0.5
    assert page.verdict is None and "Stopped" in page.status.text()


def map_landscape(qtbot, tab, *, grid: int, directions: str):
    """Map the loss landscape on ``tab``'s landscape page (6 epochs of training) and wait for it."""
    page = tab.landscape
    tab.pages.setCurrentWidget(page)
    page.gridSpin.setValue(grid)
    page.epochsSpin.setValue(6)
    page.directionsCombo.setCurrentText(directions)
    with qtbot.waitSignal(page.mapped, timeout=RUN_TIMEOUT_MS):
        click(qtbot, page.mapButton)
    return page


def test_landscape_map_and_a_clicked_point(qtbot, make_tab):
    page = map_landscape(qtbot, make_tab(), grid=7, directions="pca")
    result = page.result
    assert result.loss.shape == (7, 7)
    np.testing.assert_allclose(page.landscapeView.image.image, np.log10(result.loss))
    x, y = page.landscapeView.path.getData()
    assert len(x) == 7 and (x[-1], y[-1]) == pytest.approx(tuple(result.path[-1]))
    # a click on the map loads the weights at that point of the plane
    view = page.landscapeView
    target = (result.xs[1], result.ys[5])
    with qtbot.waitSignal(page.pointShown, timeout=RUN_TIMEOUT_MS) as shown:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.data_to_widget(*target))
    report = shown.args[0]
    pixel = (result.xs[-1] - result.xs[0]) / view.getPlotItem().getViewBox().width()
    assert report.x == pytest.approx(target[0], abs=2 * pixel) and report.y == pytest.approx(target[1], abs=2 * pixel)
    train, _ = objectives(page._config, page._split, result.network)
    assert report.train_loss == pytest.approx(train.loss(result.plane.point(report.x, report.y)), rel=1e-6)
    assert report.boundary is not None and page.pointStack.currentWidget() is page.boundaryView
    assert f"{report.train_loss:.4g}" in page.pointMetrics.text()


def test_a_random_directions_map_has_square_cells_and_says_where_the_path_went(qtbot, make_tab):
    tab = make_tab()
    page = map_landscape(qtbot, tab, grid=5, directions="random")
    result = page.result
    box = page.landscapeView.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: box.width() > 0)
    px, py = box.viewPixelSize()
    assert px == pytest.approx(py, rel=0.02)  # one unit is as long on both axes: square cells
    span = float(np.ptp(result.path, axis=0).max())
    short = span < 0.05 * float(result.xs[-1] - result.xs[0])
    assert short, span  # random directions hardly see a path this short
    assert "PCA directions follow it" in page.status.text()
    map_landscape(qtbot, tab, grid=5, directions="pca")  # PCA axes differ in spread: the map fills the view
    assert not box.state["aspectLocked"]
    assert "PCA directions follow it" not in page.status.text()


def test_use_and_search_this_band_through_the_window(qtbot, dialogs):
    window = shown_window(qtbot)
    try:
        page = window.lab_tab.finder
        window.tabs.setCurrentWidget(window.lab_tab)
        page.seedsSpin.setValue(1)
        page.verifyEpochsSpin.setValue(1)
        with qtbot.waitSignal(page.runFinished, timeout=RUN_TIMEOUT_MS):
            click(qtbot, page.findButton)
        verdict = page.verdict
        stack = window.editor.undo_stack
        before, old_rate = stack.count(), window.editor.config.learning_rate
        click(qtbot, page.useButton)
        assert window.editor.config.learning_rate == pytest.approx(verdict.suggestion)
        assert stack.count() == before + 1          # one undoable edit
        stack.undo()
        assert window.editor.config.learning_rate == old_rate
        click(qtbot, page.searchButton)
        space = window.tuning_tab.space_editor.space()["learning_rate"]
        assert (space.enabled, space.log) == (True, True)
        assert (space.low, space.high) == pytest.approx(verdict.band)
        assert window.tabs.currentWidget() is window.tuning_tab
    finally:
        dialogs.answer = Button.Discard
        window.close()


def test_both_pages_lay_out_controls_then_status_then_views(qtbot, make_tab):
    tab = make_tab()
    for page, first, views in ((tab.finder, tab.finder.seedsSpin, tab.finder.finderPlot),
                               (tab.landscape, tab.landscape.gridSpin, tab.landscape.landscapeView)):
        tab.pages.setCurrentWidget(page)
        qtbot.waitExposed(page)
        status = page.status
        assert status.wordWrap() and status.objectName() in status.styleSheet()
        controls_bottom = max(w.geometry().bottom() for w in (first, page.stopButton))
        assert controls_bottom < status.geometry().top()
        assert status.geometry().bottom() < views.mapTo(page, views.rect().topLeft()).y()
        assert first.x() < page.stopButton.x()  # the controls in a row, left to right
        area = page.layout().itemAt(2).widget()  # the views take the height the controls and banner leave
        assert area.isAncestorOf(views)
        assert area.geometry().top() > status.geometry().bottom()
        assert area.geometry().bottom() >= page.height() - page.layout().contentsMargins().bottom() - 1


def drag_with_button_held(widget, pos: QPoint) -> None:
    """A mouse move to ``pos`` with the left button held (``QTest.mouseMove`` moves with no button)."""
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos), QPointF(widget.mapToGlobal(pos)),
                        Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def test_a_square_map_gets_the_width_its_height_asks_for_until_the_user_drags_the_divider(qtbot, make_tab):
    tab = make_tab()
    page = map_landscape(qtbot, tab, grid=5, directions="random")
    view = page.landscapeView
    box = view.getPlotItem().getViewBox()
    # the map fills a square box instead of floating in a tall one; the right column keeps its room
    qtbot.waitUntil(lambda: abs(box.width() - box.height()) <= 0.03 * box.height())
    assert page.linesPlot.width() >= 300

    def map_share() -> float:  # of the box, what the map covers (the range follows at the next paint)
        covered = view.image.mapRectToScene(view.image.boundingRect()).intersected(box.sceneBoundingRect())
        return covered.width() * covered.height() / (box.width() * box.height())

    qtbot.waitUntil(lambda: map_share() >= 0.8)  # all but the view's padding (in a tall box: about half)
    # a user's drag of the divider is kept when the window changes size
    handle = page._views.handle(1)
    fitted = page._views.sizes()[0]
    start = handle.rect().center()
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=start)
    drag_with_button_held(handle, start + QPoint(-120, 0))
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=start + QPoint(-120, 0))
    dragged = page._views.sizes()[0]
    assert dragged == pytest.approx(fitted - 120, abs=4)
    tab.resize(1400, 820)
    qtbot.waitUntil(lambda: sum(page._views.sizes()) > 0 and tab.width() == 1400)
    qtbot.wait(50)  # the deferred fit, had it not been switched off, runs on the next turn of the event loop
    assert abs(box.width() - box.height()) > 0.1 * box.height()


@pytest.mark.parametrize("width", [700, 1280])
def test_lab_plot_titles_are_whole_and_fit_at_any_width(qtbot, make_tab, width):
    tab = make_tab()
    tab.resize(width, 760)
    finder, lines = tab.finder.finderPlot, tab.landscape.linesPlot
    for page, plot in ((tab.finder, finder), (tab.landscape, lines)):
        tab.pages.setCurrentWidget(page)
        qtbot.waitUntil(lambda: plot.isVisible() and plot.width() > 0)
        item = plot.getPlotItem()
        room = plot.width() - item.getAxis("left").width() - 2 * plot.title_margin

        def fits() -> bool:
            shown = shown_title(item)
            return shown in plot._titles and QFontMetrics(title_font(plot)).horizontalAdvance(shown) <= room

        qtbot.waitUntil(fits)
        longest = plot._titles[0]
        if QFontMetrics(title_font(plot)).horizontalAdvance(longest) <= room:
            assert shown_title(item) == longest  # the full title whenever it fits
