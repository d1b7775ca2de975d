"""What is drawn over the shared plots: the hover readout stays inside the view at every edge, the
legend takes a free corner off the curves and the marks' labels, Export PNG writes 2× images, and
the boundary's title shortens to fit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF
from PySide6.QtGui import QFontMetrics, QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog
from pytestqt.qtbot import QtBot

from nnstudio.gui.plots.base import export_png_dialog, save_widget_png
from nnstudio.gui.plots.boundary import BoundaryView, frame_titles
from nnstudio.gui.plots.titles import title_font
from nnstudio.gui.plots.epoch_plot import AccuracyPlot
from nnstudio.gui.plots.loss_plot import LossView
from nnstudio.gui.plots.overlay import readout_top_left, scene_points, text_scene_rect
from test_gui_plots import make_records
from nnstudio.history import History


def history_of(n: int) -> History:
    history = History()
    history.append(make_records(n, histograms=False))
    return history


@pytest.fixture
def loss_plot(qtbot: QtBot):
    view = LossView()
    qtbot.addWidget(view)
    view.resize(520, 320)
    view.show()
    qtbot.waitExposed(view)
    view.plot.run_ended = True
    view.plot.update_from(history_of(60))
    box = view.plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: box.viewRange()[0][1] < 63)
    yield view.plot  # the view stays referenced (alive) until the test ends


def hover(qtbot: QtBot, plot, scene_point: QPointF) -> None:
    """A real mouse move over the plot's viewport to ``scene_point``."""
    pos = plot.mapFromScene(scene_point)
    qtbot.mouseMove(plot.viewport(), QPoint(int(pos.x()), int(pos.y())))
    qtbot.waitUntil(lambda: plot.readout.item.isVisible() and bool(plot.readout_text))


@pytest.mark.parametrize("where", ["right edge", "bottom right", "left edge", "top left"])
def test_the_hover_readout_stays_inside_the_view_near_its_edges(qtbot, loss_plot, where):
    plot = loss_plot
    view = plot.getPlotItem().getViewBox().sceneBoundingRect()
    inset = 3
    x = view.right() - inset if "right" in where else view.left() + inset
    y = view.bottom() - inset if "bottom" in where else view.top() + inset if "top" in where else view.center().y()
    hover(qtbot, plot, QPointF(x, y))
    box = plot.readout.scene_rect()
    assert view.contains(box), (where, box.getRect(), view.getRect())
    if "right" in where:  # flipped: the box is left of the cursor, not under it
        assert box.right() < x
    else:
        assert box.left() > x
    if "bottom" in where:
        assert box.bottom() < y
    lines = plot.readout_text.splitlines()
    assert lines[0].startswith("epoch ") and len(lines) == 3  # epoch, train, validation: nothing elided
    assert not any(line.endswith("…") for line in lines)


def test_a_readout_larger_than_the_room_beside_the_cursor_is_moved_inside():
    view = QRectF(0, 0, 200, 120)
    for cursor in (QPointF(100, 60), QPointF(195, 115), QPointF(5, 5)):
        top_left = readout_top_left(cursor, (150, 80), view)
        assert view.contains(QRectF(top_left.x(), top_left.y(), 150, 80))


def legend_points_and_marks(plot):
    plot.grab()  # a paint: every text item has its on-screen transform
    box = plot.getPlotItem().getViewBox()
    rect = plot.legend.sceneBoundingRect()
    points = np.concatenate(scene_points(box, plot.series.values()))
    inside = ((points[:, 0] >= rect.left()) & (points[:, 0] <= rect.right())
              & (points[:, 1] >= rect.top()) & (points[:, 1] <= rect.bottom()))
    marks = [text_scene_rect(line.label) for line in (plot.best_line, plot.stop_line) if line.isVisible()]
    return int(inside.sum()), [m for m in marks if m.intersects(rect)], rect, box.sceneBoundingRect()


def test_the_loss_legend_sits_in_a_free_corner_off_the_curves_and_the_best_label(qtbot, loss_plot):
    plot = loss_plot
    qtbot.waitUntil(lambda: legend_points_and_marks(plot)[0] == 0)
    points, covered, legend, view = legend_points_and_marks(plot)
    assert not covered and view.contains(legend)
    assert plot.legend.corner.startswith("top")  # falling curves leave the top free


def test_the_accuracy_legend_moves_off_curves_that_fill_its_corner(qtbot):
    plot = AccuracyPlot()
    qtbot.addWidget(plot)
    plot.resize(420, 300)
    plot.show()
    qtbot.waitExposed(plot)
    assert plot.legend.corner == "bottom-right"  # rising accuracy usually leaves the bottom right free
    history = history_of(60)
    plot.run_ended = True
    plot.update_from(history)
    x = history.epochs
    plot.set_series("train", x, np.linspace(100.0, 5.0, len(x)))  # falls into the bottom right corner
    plot.set_series("val", x, np.full(len(x), 50.0))
    plot.fit_range()
    qtbot.waitUntil(lambda: plot.legend.corner != "bottom-right")
    qtbot.waitUntil(lambda: legend_points_and_marks(plot)[0] == 0)
    _points, covered, legend, view = legend_points_and_marks(plot)
    assert not covered and view.contains(legend)


def png_size(path) -> tuple[int, int]:
    image = QImage(str(path))
    assert not image.isNull()
    return image.width(), image.height()


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_widget_png_is_drawn_at_the_chosen_scale(qtbot, loss_plot, tmp_path, scale):
    path = tmp_path / f"loss{scale}.png"
    save_widget_png(loss_plot, path, scale)
    assert png_size(path) == (scale * loss_plot.width(), scale * loss_plot.height())


def test_export_png_from_the_plots_context_menu_is_2x_by_default(qtbot, loss_plot, tmp_path, monkeypatch):
    offered = []

    def pick_default(parent, title, label, items, current, editable):
        offered.extend(items)
        return items[current], True
    monkeypatch.setattr(QInputDialog, "getItem", pick_default)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "loss"), "PNG images (*.png)"))
    action = loss_plot.scene().contextMenu[0]
    assert action.text() == "Export PNG…"
    action.trigger()
    assert png_size(tmp_path / "loss.png") == (2 * loss_plot.width(), 2 * loss_plot.height())  # ".png" added
    w, h = loss_plot.width(), loss_plot.height()
    assert offered[0].startswith(f"2× — {2 * w} × {2 * h} px") and any(o.startswith("3×") for o in offered)


def test_export_png_writes_the_size_chosen(qtbot, loss_plot, tmp_path, monkeypatch):
    monkeypatch.setattr(QInputDialog, "getItem", lambda parent, title, label, items, current, editable:
                        (next(i for i in items if i.startswith("3×")), True))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "big.png"), ""))
    assert export_png_dialog(loss_plot, loss_plot, "loss") == str(tmp_path / "big.png")
    assert png_size(tmp_path / "big.png") == (3 * loss_plot.width(), 3 * loss_plot.height())


@pytest.mark.parametrize("width, expected", [
    (900, "Decision boundary · epoch 12 (best, restored; run ended at epoch 40)"),
    (300, "epoch 12 (best, restored)"),
])
def test_the_boundary_title_shortens_to_what_fits_instead_of_running_off_the_plot(qtbot, width, expected):
    view = BoundaryView()
    qtbot.addWidget(view)
    view.resize(width, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_titles(frame_titles(12, "best, restored; run ended at epoch 40"))
    assert view.title_text == expected
    font = title_font(view)
    axis = view.getPlotItem().getAxis("left")
    assert QFontMetrics(font).horizontalAdvance(view.title_text) <= view.width() - axis.width()
    view.resize(900, 300)  # widening brings the whole title back
    qtbot.waitUntil(lambda: view.title_text.startswith("Decision boundary · epoch 12 (best, restored; run"))


def test_a_best_label_under_the_legend_moves_along_its_line(qtbot):
    plot = AccuracyPlot()
    qtbot.addWidget(plot)
    plot.resize(240, 170)  # low: the legend in its corner reaches the best mark's label
    plot.show()
    qtbot.waitExposed(plot)
    history = history_of(40)
    plot.run_ended = True
    plot.update_from(history)
    plot.set_best_epoch(38)
    plot.fit_range()
    qtbot.waitUntil(lambda: legend_points_and_marks(plot)[0] == 0 and not legend_points_and_marks(plot)[1])
    _points, _covered, legend, view = legend_points_and_marks(plot)
    assert view.contains(legend) and view.contains(text_scene_rect(plot.best_line.label))


@pytest.mark.parametrize("epoch", [2, 30, 50])
def test_a_findings_label_on_the_loss_plot_never_lies_under_the_legend(qtbot, loss_plot, epoch):
    from nnstudio.engine.findings import Finding
    from nnstudio.gui.train.diagnosis import FindingMarkers

    plot = loss_plot
    markers = FindingMarkers(plot)
    markers.set([Finding("saturated_units", "warning", "layer1", epoch, (), "units saturated"),
                 Finding("overfitting", "warning", None, epoch, (), "validation rises")])
    line = markers.lines[epoch]

    def clear() -> bool:
        plot.grab()  # painted: the labels have their on-screen size
        legend = plot.legend.sceneBoundingRect()
        return not text_scene_rect(line.label).intersects(legend)
    qtbot.waitUntil(clear)
    view = plot.getPlotItem().getViewBox().sceneBoundingRect()
    assert view.contains(plot.legend.sceneBoundingRect())
    label = text_scene_rect(line.label)
    assert view.intersects(label) and view.top() <= label.center().y() <= view.bottom()
    markers.set([])  # gone from the plot and from what the legend avoids
    assert line.scene() is None and line not in plot._other_marks


@pytest.mark.parametrize("size", [(250, 230), (300, 230), (420, 260)])
@pytest.mark.parametrize("found_at", [1, 9])
def test_a_findings_label_keeps_off_the_legend_and_the_best_label(qtbot, size, found_at):
    from nnstudio.engine.findings import Finding
    from nnstudio.gui.train.diagnosis import FindingMarkers

    view = LossView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    plot = view.plot
    plot.run_ended = True
    plot.update_from(history_of(15))
    plot.set_best_epoch(11)
    markers = FindingMarkers(plot)
    markers.set([Finding("identical_units", "warning", "layer1", found_at, (), "identical units")])
    line = markers.lines[found_at]

    def apart() -> bool:
        plot.grab()
        rects = [plot.legend.sceneBoundingRect(), text_scene_rect(plot.best_line.label), text_scene_rect(line.label)]
        return not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    qtbot.waitUntil(apart)
    box = plot.getPlotItem().getViewBox().sceneBoundingRect()
    for label in (plot.best_line.label, line.label):
        rect = text_scene_rect(label)
        assert box.top() <= rect.center().y() <= box.bottom()
    assert line.label.fill.color().alpha() >= 180  # readable where it lies over a curve


@pytest.mark.parametrize("width, title", [(200, "Gradient norms"), (420, "Gradient norm per layer")])
def test_the_gradient_norm_title_is_whole_at_any_width(qtbot, width, title):
    from nnstudio.gui.plots.grad_norm_plot import GradNormPlot

    plot = GradNormPlot()
    qtbot.addWidget(plot)
    plot.resize(width, 200)
    plot.show()
    qtbot.waitExposed(plot)
    item = plot.getPlotItem()
    qtbot.waitUntil(lambda: item.titleLabel.text == title)
    shown = item.titleLabel.item.mapRectToScene(item.titleLabel.item.boundingRect())
    assert QRectF(plot.viewport().rect()).contains(shown)


def test_the_previous_run_box_is_the_key_to_the_dashed_curves_and_the_legends_stay_two_rows(qtbot):
    from PySide6.QtCore import Qt

    from nnstudio.gui.qt.style import TRAIN_COLOR, VAL_COLOR
    from nnstudio.gui.train.views import CurvesGrid

    grid = CurvesGrid()
    qtbot.addWidget(grid)
    grid.resize(640, 420)
    grid.show()
    qtbot.waitExposed(grid)
    from nnstudio.config import ExperimentConfig

    grid.keep_previous(history_of(20), ExperimentConfig(), ExperimentConfig(learning_rate=0.01))
    grid.ghosts.draw()
    for plot in (grid.lossPlot, grid.accuracyPlot):  # the legend keeps its two rows off the curves
        assert [label.text for _sample, label in plot.legend.items] == ["train", "validation"]
        assert plot.series["ghost_val"].opts["pen"].style() == Qt.PenStyle.DashLine
    check = grid.ghostCheck
    image = check.icon().pixmap(check.iconSize()).toImage()
    assert not check.icon().isNull() and check.iconSize().width() >= 16
    for colour in (TRAIN_COLOR, VAL_COLOR):  # a dashed line in each colour: drawn, with gaps
        def inked(y: int) -> list[bool]:
            return [image.pixelColor(x, y).alpha() > 100 and image.pixelColor(x, y).name() == colour
                    for x in range(image.width())]
        row = max((inked(y) for y in range(image.height())), key=sum)
        assert sum(row) >= 6, colour
        assert sum(a != b for a, b in zip(row, row[1:])) >= 3  # on, off, on: dashes
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton)  # the box still hides them
    assert not grid.lossPlot.series["ghost_val"].isVisible()


def test_a_legend_keeps_off_a_long_segment_between_two_far_points(qtbot):
    import pyqtgraph as pg

    from nnstudio.gui.plots.overlay import corner_rect, free_corner

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    box = widget.getPlotItem().getViewBox()
    box.setRange(xRange=(0, 40), yRange=(0, 100), padding=0)
    # two points outside the top-right corner, the segment between them through it
    curve = widget.plot([20.0, 40.0], [100.0, 60.0])
    qtbot.waitUntil(lambda: abs(box.viewRange()[0][1] - 40) < 1e-6)
    view = box.sceneBoundingRect()
    size = (0.35 * view.width(), 0.3 * view.height())
    points = scene_points(box, [curve])
    corner = free_corner(view, size, points, [], "top-right")
    assert corner != "top-right"
    rect = corner_rect(view, size, corner)
    sampled = np.concatenate(points)
    assert not ((sampled[:, 0] >= rect.left()) & (sampled[:, 0] <= rect.right())
                & (sampled[:, 1] >= rect.top()) & (sampled[:, 1] <= rect.bottom())).any()


def test_sampling_along_a_diverging_curve_stays_bounded():
    from nnstudio.gui.plots.overlay import MAX_SAMPLES, along_lines

    points = np.array([[0.0, 0.0], [10.0, 5.0], [20.0, 1e30]])  # a loss that blew up
    sampled = along_lines(points)
    assert len(sampled) <= MAX_SAMPLES and np.isfinite(sampled).all()
    assert np.allclose(sampled[0], points[0]) and np.allclose(sampled[-1], points[-1])
    short = along_lines(np.array([[0.0, 0.0], [30.0, 0.0]]))
    assert len(short) == 11 and np.allclose(np.diff(short[:, 0]), 3.0)  # every 3 px


def test_of_two_corners_without_points_the_legend_takes_the_one_no_curve_grazes():
    from PySide6.QtCore import QRectF

    from nnstudio.gui.plots.overlay import LEGEND_CLEAR_PX, corner_rect, free_corner

    view = QRectF(0, 0, 400, 300)
    size = (100.0, 50.0)
    right, left = corner_rect(view, size, "top-right"), corner_rect(view, size, "top-left")
    xs = np.linspace(0, 400, 401)
    below_right = np.c_[xs, np.full_like(xs, right.bottom() + LEGEND_CLEAR_PX / 2)]  # passes just under the
    below_right = below_right[below_right[:, 0] > 150]                               # right legend's edge
    bottom = np.c_[xs, np.full_like(xs, 290.0)]  # both bottom corners covered
    points = [below_right, bottom]
    assert free_corner(view, size, points, [], "top-right") == "top-left"
    assert left.bottom() + LEGEND_CLEAR_PX < 290.0
    grazed = [np.c_[xs, np.full_like(xs, left.bottom() + 2)], bottom]  # both top corners grazed alike
    assert free_corner(view, size, grazed, [], "top-right") == "top-right"  # then the legend stays put


def test_a_deep_networks_gradient_legend_goes_to_columns_of_short_names(qtbot):
    from nnstudio.gui.plots.grad_norm_plot import GradNormPlot

    plot = GradNormPlot()
    qtbot.addWidget(plot)
    plot.resize(200, 230)  # a Train-tab plot at 1600x1000
    plot.show()
    qtbot.waitExposed(plot)
    names = [f"layer{i}" for i in range(1, 9)] + ["output"]
    plot.set_layers(names)
    assert [label.text for _sample, label in plot.legend.items] == ["1", "2", "3", "4", "5", "6", "7", "8", "out"]
    box = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: plot.legend.sceneBoundingRect().height() > 0)
    legend = plot.legend.sceneBoundingRect()
    assert legend.height() <= 0.5 * box.sceneBoundingRect().height()  # 3 rows, not 9
    assert legend.width() <= box.sceneBoundingRect().width()
    plot.set_layers(["layer1", "output"])  # a shallow network keeps whole names in one column
    assert [label.text for _sample, label in plot.legend.items] == ["layer1", "output"]
