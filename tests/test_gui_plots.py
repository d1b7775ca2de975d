"""The training views without a training thread: history and histogram stores, smoothing,
the plots fed with synthetic records, the scrubber, the confusion table and the boundary colours."""

from __future__ import annotations

import dataclasses
import logging
import math
import threading

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from nnstudio.engine import EpochRecord, Histogram, LayerSnapshot
from nnstudio.gui.plots.boundary import LIGHTEN, BoundaryView, class_colors, probabilities_to_rgb
from nnstudio.gui.plots.confusion import ConfusionView
from nnstudio.gui.plots.epoch_plot import AccuracyPlot, LearningRatePlot
from nnstudio.gui.plots.epoch_plot import TITLE_MARGIN_PX
from nnstudio.gui.plots.grad_norm_plot import GradNormPlot
from nnstudio.gui.plots.overlay import text_scene_rect
from nnstudio.gui.plots.titles import shown_title, title_font
from nnstudio.gui.plots.histogram import HistogramView, density
from nnstudio.history import SCALAR_COLUMNS, History, HistogramStore
from nnstudio.smoothing import debiased_ema, smooth_pair
from nnstudio.gui.widgets.log_view import MAX_LINES, LogView
from nnstudio.gui.plots.loss_plot import LossPlot, LossView
from nnstudio.gui.train.worker import BoundaryGrid, RunControl, confusion_matrix
from plot_probes import axis_labels as drawn_axis_labels

LAYERS = ("layer1", "output")


def snapshot(name: str, rng: np.random.Generator, scale: float) -> LayerSnapshot:
    return LayerSnapshot(name, Histogram.of(rng.normal(0, scale, 200)), Histogram.of(rng.normal(0, scale, 8)),
                         Histogram.of(rng.normal(0, scale / 10, 200)), Histogram.of(rng.uniform(0, scale, 50)))


def make_records(n: int, start: int = 1, histograms: bool = True, seed: int = 0) -> list[EpochRecord]:
    """Synthetic records: decaying losses, rising accuracy, histograms that widen with the epoch."""
    rng = np.random.default_rng(seed)
    records = []
    for epoch in range(start, start + n):
        layers = tuple(snapshot(name, rng, 1.0 + 0.05 * epoch) for name in LAYERS) if histograms else ()
        records.append(EpochRecord(
            epoch=epoch, train_loss=1.0 / epoch + 0.01 * rng.random(), val_loss=1.2 / epoch + 0.02 * rng.random(),
            train_accuracy=1 - 0.5 / epoch, val_accuracy=1 - 0.6 / epoch, learning_rate=0.01 * 0.99 ** epoch,
            grad_norms=(2.0 / epoch, 1.0 / epoch), layers=layers, elapsed=0.01 * epoch, is_best=epoch % 3 == 0,
            best_epoch=epoch - epoch % 3, best_val_loss=1.2 / max(epoch - epoch % 3, 1)))
    return records


def reference_ema(values, factor):
    """TensorBoard's debiased smoothing, written as a plain weighted mean: point t is
    sum_i factor^(t-i) x_i / sum_i factor^(t-i)."""
    out = []
    for t in range(len(values)):
        weights = [factor ** (t - i) for i in range(t + 1)]
        out.append(sum(w * v for w, v in zip(weights, values)) / sum(weights))
    return np.array(out)


# -- Qt-free stores -----------------------------------------------------------------------------

def test_debiased_ema_is_the_normalized_weighted_mean():
    x = np.random.default_rng(1).normal(size=300)
    for factor in (0.5, 0.9, 0.99):
        np.testing.assert_allclose(debiased_ema(x, factor), reference_ema(x, factor), rtol=1e-9)
    np.testing.assert_array_equal(debiased_ema(x, 0.0), x)
    assert debiased_ema([], 0.9).shape == (0,)
    assert debiased_ema([5.0, 1.0], 0.9)[0] == 5.0  # the first point is the first value


def test_history_grows_past_its_initial_capacity_and_keeps_every_value():
    history = History(LAYERS)
    records = make_records(300, histograms=False)
    for chunk in range(0, 300, 7):  # uneven batches, as the throttled worker sends them
        history.append(records[chunk:chunk + 7])
    assert len(history) == 300
    np.testing.assert_array_equal(history.epochs, np.arange(1, 301))
    np.testing.assert_allclose(history.column("val_loss"), [r.val_loss for r in records])
    np.testing.assert_allclose(history.grad_norms, [r.grad_norms for r in records])
    assert history.row_at_epoch(17) == 16 and history.row_at_epoch(301) is None


def test_history_csv_round_trips_through_numpy():
    history = History(LAYERS)
    records = make_records(20, histograms=False)
    history.append(records)
    text = history.to_csv()
    header = text.splitlines()[0].split(",")
    assert header == list(SCALAR_COLUMNS) + ["grad_norm_layer1", "grad_norm_output"]
    table = np.loadtxt(text.splitlines()[1:], delimiter=",")
    assert table.shape == (20, len(header))
    np.testing.assert_allclose(table[:, header.index("train_loss")], [r.train_loss for r in records], rtol=1e-8)
    np.testing.assert_array_equal(table[:, header.index("is_best")], [r.is_best for r in records])


def test_history_csv_leaves_regression_accuracy_empty():
    history = History(())
    r = make_records(1, histograms=False)[0]
    history.append([EpochRecord(**{**r.__dict__, "train_accuracy": math.nan, "val_accuracy": math.nan,
                                   "grad_norms": ()})])
    row = history.to_csv().splitlines()[1].split(",")
    assert row[SCALAR_COLUMNS.index("val_accuracy")] == ""


def test_histogram_store_stays_bounded_and_evenly_spaced_on_a_10000_epoch_run():
    store = HistogramStore(capacity=500)
    layers = make_records(1)[0].layers  # the content does not matter here, only the bookkeeping
    for epoch in range(1, 10_001):
        store.add(epoch, layers)
        assert len(store) <= 501
    epochs = store.epochs()
    assert epochs[0] == 1 and epochs[-1] == 10_000  # the first and the latest stay reachable
    kept = np.diff(epochs[:-1])
    assert len(set(kept.tolist())) == 1 and kept[0] == store.stride  # one stride between kept epochs
    assert 250 <= len(store) <= 501
    assert store.index_of_epoch(5000) == int(np.argmin(np.abs(np.array(epochs) - 5000)))


def test_histogram_store_keeps_everything_while_it_fits():
    store = HistogramStore(capacity=50)
    records = make_records(40)
    for r in records:
        store.add(r.epoch, r.layers)
    assert store.epochs() == list(range(1, 41))
    assert store[10].layers is records[10].layers


# -- run control (plain threading) --------------------------------------------------------------------

def test_run_control_step_pauses_after_the_requested_epochs():
    control = RunControl(steps=2)
    assert not control.pause_requested
    control.epoch_done()
    assert not control.pause_requested
    control.epoch_done()
    assert control.pause_requested
    control.step()
    assert not control.pause_requested
    control.epoch_done()
    assert control.pause_requested
    control.resume()
    control.epoch_done()
    assert not control.pause_requested


def test_stop_wakes_a_paused_worker():
    control = RunControl()
    control.pause()
    woke = threading.Event()

    def worker():
        control.wait_while_paused()
        woke.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert not woke.wait(0.1)  # still paused
    control.request_stop()
    thread.join(timeout=2)
    assert woke.is_set() and not thread.is_alive()


def test_confusion_matrix_matches_scikit_learn():
    from sklearn.metrics import confusion_matrix as sk_confusion

    rng = np.random.default_rng(3)
    y, p = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    np.testing.assert_array_equal(confusion_matrix(y, p, 4), sk_confusion(y, p, labels=range(4)))


# -- plots fed with synthetic records ----------------------------------------------------------------

@pytest.fixture
def fed_history():
    history = History(LAYERS)
    history.append(make_records(60, histograms=False))
    return history


def test_loss_plot_draws_raw_and_smoothed_curves(qtbot, fed_history):
    view = LossView()
    qtbot.addWidget(view)
    plot = view.plot
    plot.update_from(fed_history)
    raw, raw_val = fed_history.column("train_loss"), fed_history.column("val_loss")
    x, y = plot.series["train"].getData()
    np.testing.assert_array_equal(x, np.arange(1, 61))
    np.testing.assert_allclose(y, raw)
    _, smooth = plot.series["train_smooth"].getData()
    _, smooth_val = plot.series["val_smooth"].getData()
    np.testing.assert_allclose((smooth, smooth_val), smooth_pair(raw, raw_val, 0.9), rtol=1e-12)
    # the debiased average itself wherever the pair needed no correction
    same = np.sign(reference_ema(raw, 0.9) - reference_ema(raw_val, 0.9)) == np.sign(smooth - smooth_val)
    assert same.mean() > 0.8
    np.testing.assert_allclose(smooth[same], reference_ema(raw, 0.9)[same], rtol=1e-9)
    assert view.smoothingSlider.value() == 90 and view.smoothingLabel.text() == "Smoothing 0.90"
    assert plot.series["train"].opts["pen"].color().alpha() >= 150  # raw curves clearly visible

    view.smoothingSlider.setValue(0)
    np.testing.assert_allclose(plot.series["val_smooth"].getData()[1], raw_val)
    view.smoothingSlider.setValue(50)
    np.testing.assert_allclose(plot.series["val_smooth"].getData()[1], smooth_pair(raw, raw_val, 0.5)[1],
                               rtol=1e-12)


def test_loss_plot_smooths_as_the_data_grows(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    history = History(LAYERS)
    records = make_records(90, histograms=False)
    for chunk in range(0, 90, 13):
        history.append(records[chunk:chunk + 13])
        view.plot.update_from(history)
    np.testing.assert_allclose(view.plot.series["train_smooth"].getData()[1],
                               smooth_pair([r.train_loss for r in records], [r.val_loss for r in records], 0.9)[0],
                               rtol=1e-10)


def test_log_scale_toggle_plots_log10_of_the_loss(qtbot, fed_history):
    view = LossView()
    qtbot.addWidget(view)
    view.plot.update_from(fed_history)
    qtbot.mouseClick(view.logScaleCheck, Qt.MouseButton.LeftButton)
    assert view.logScaleCheck.isChecked()
    np.testing.assert_allclose(view.plot.series["val"].getData()[1], np.log10(fed_history.column("val_loss")))
    qtbot.mouseClick(view.logScaleCheck, Qt.MouseButton.LeftButton)
    np.testing.assert_allclose(view.plot.series["val"].getData()[1], fed_history.column("val_loss"))


@pytest.mark.parametrize("size", [(360, 200), (520, 300), (700, 600)])
@pytest.mark.parametrize("scale", [1.0, 1e-3])
def test_log_scale_loss_axis_labels_never_overlap(qtbot, size, scale):
    view = LossView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    history = History(LAYERS)
    records = make_records(60, histograms=False)
    if scale != 1.0:  # a loss spanning many decades
        records = [dataclasses.replace(r, train_loss=r.train_loss ** 4 * scale, val_loss=r.val_loss ** 4 * scale)
                   for r in records]
    history.append(records)
    view.plot.update_from(history)
    qtbot.mouseClick(view.logScaleCheck, Qt.MouseButton.LeftButton)
    box = view.plot.getPlotItem().getViewBox()
    low = float(np.log10(history.column("val_loss").min()))
    qtbot.waitUntil(lambda: box.viewRange()[1][0] <= low + 0.01)
    labels = drawn_axis_labels(view.plot)
    overlaps = [(a, b) for i, (a, ra) in enumerate(labels) for b, rb in labels[i + 1:] if ra.intersects(rb)]
    assert len(labels) >= 2 and not overlaps, labels
    values = [float(text) for text, _ in labels]
    assert values == sorted(values, key=lambda v: -v) or values == sorted(values)


def test_readable_log_ticks_thin_out_with_less_room():
    from nnstudio.gui.plots.log_axis import readable_log_ticks

    def labels(lo, hi, pixels):
        return [text for v, text in readable_log_ticks(math.log10(lo), math.log10(hi), pixels, 14)[0]
                if math.log10(lo) <= v <= math.log10(hi)]
    assert labels(0.25, 1.2, 600) == ["0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"]
    assert labels(0.25, 1.2, 120) == ["0.3", "0.5", "1"]
    assert labels(1e-12, 10, 80) == ["1e-12", "1e-09", "1e-06", "0.001", "1"]  # every 3rd decade
    assert labels(0.31, 0.39, 200)[:3] == ["0.31", "0.32", "0.33"]  # within a mantissa: evenly spaced values


@pytest.fixture
def shown_loss_view(qtbot) -> LossView:
    """A loss view 700 x 400, shown and laid out."""
    view = LossView()
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    qtbot.waitUntil(lambda: view.plot.width() > 600)
    return view


def test_loss_plot_marks_the_best_epoch_and_reads_out_values(qtbot, fed_history, shown_loss_view):
    view = shown_loss_view
    plot = view.plot
    plot.update_from(fed_history)
    assert plot.best_line.isVisible() and plot.best_line.value() == 60  # epoch 60 is a multiple of 3
    plot.set_stop_epoch(60, "early stop")
    assert plot.stop_line.isVisible() and plot.stop_line.label.textItem.toPlainText() == "early stop"
    text = plot.show_readout(12.4)
    row = fed_history.row_at_epoch(12)
    assert text.startswith("epoch 12\n")
    assert f"(raw {fed_history.column('val_loss')[row]:.4g})" in text
    assert plot.readout.item.isVisible() and plot.readout.item.textItem.toPlainText() == text
    assert plot.getPlotItem().titleLabel.text == "Loss"  # the title stays; the readout is beside the cursor
    plot.hide_readout()
    assert not plot.readout.item.isVisible()
    plot.clear_data()
    assert plot.series["train"].getData()[0] is None or len(plot.series["train"].getData()[0]) == 0
    assert not plot.best_line.isVisible() and not plot.stop_line.isVisible()


def test_best_mark_label_stays_inside_the_plot_at_the_end_of_a_run(qtbot, fed_history, shown_loss_view):
    plot = shown_loss_view.plot
    plot.run_ended = True  # the x range ends just after epoch 60, where the best mark is
    plot.update_from(fed_history)
    box = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: box.viewRange()[0][1] < 63)
    label = plot.best_line.label
    qtbot.waitUntil(lambda: box.sceneBoundingRect().contains(label.sceneBoundingRect()))
    assert label.sceneBoundingRect().right() <= plot.best_line.sceneBoundingRect().center().x() + 1  # left of it
    plot.set_best_epoch(10)  # early in the run: right of the line
    qtbot.waitUntil(lambda: label.sceneBoundingRect().left() >= plot.best_line.sceneBoundingRect().center().x() - 1)
    assert box.sceneBoundingRect().contains(label.sceneBoundingRect())


def test_best_mark_label_stays_inside_a_narrow_plot_while_the_run_grows(qtbot, fed_history):
    plot = LossPlot()  # as narrow as the Train tab's loss plot at 1600x1000 with every panel open
    qtbot.addWidget(plot)
    plot.resize(plot.minimumWidth(), 380)
    plot.show()
    plot.update_from(fed_history)  # live: the x range has headroom past the last epoch
    box = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: box.viewRange()[0][1] > 61)
    label = plot.best_line.label
    for epoch in (74, 10, 55):  # 74 is left of the headroom's right quarter, yet its label needs more room
        plot.set_best_epoch(epoch)
        qtbot.waitUntil(lambda: box.sceneBoundingRect().contains(label.sceneBoundingRect()))
        line_x = plot.best_line.sceneBoundingRect().center().x()
        rect = label.sceneBoundingRect()
        assert rect.right() <= line_x + 1 or rect.left() >= line_x - 1  # beside the line, not across it
    plot.run_ended = True  # the run is over: the x range ends just after its last epoch, 60
    plot.update_from(fed_history)
    qtbot.waitUntil(lambda: box.viewRange()[0][1] < 70)
    finding = pg.InfiniteLine(58, angle=90, label="steps too large", labelOpts={"position": 0.5,
                                                                               "anchors": [(0, 0.5), (0, 0.5)]})
    plot.add_mark(finding)  # a finding's mark near the right edge: its label turns to the left of its line
    qtbot.waitUntil(lambda: box.sceneBoundingRect().contains(finding.label.sceneBoundingRect()))
    assert finding.label.sceneBoundingRect().right() <= finding.sceneBoundingRect().center().x() + 1


@pytest.mark.parametrize("width", [0, 280])
def test_a_mark_label_too_long_for_either_side_of_its_line_stays_in_the_view(qtbot, fed_history, width):
    """A finding's label longer than the room on either side of its line (the line mid-way) lies
    across the line inside the view rather than running past an edge; in the narrowest plot,
    where it is wider than the view, it is broken into lines."""
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(max(width, plot.minimumWidth()), 380)
    plot.show()
    plot.run_ended = True
    plot.update_from(fed_history)
    box = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: box.viewRange()[0][1] < 70)
    finding = pg.InfiniteLine(30, angle=90, label="oscillating loss (cleared)",
                              labelOpts={"position": 0.5, "anchors": [(0, 0.5), (0, 0.5)]})
    one_line = text_scene_rect(finding.label)
    plot.add_mark(finding)

    def placed() -> tuple:
        plot.grab()  # a paint brings the axes, the view's range and the label's place up to date
        view = box.sceneBoundingRect()
        (x0, x1), _ = box.viewRange()
        return view, view.left() + (30 - x0) / (x1 - x0) * view.width(), text_scene_rect(finding.label)

    qtbot.waitUntil(lambda: placed()[0].contains(placed()[2]), timeout=3000)
    view, line_x, shown = placed()
    assert one_line.width() > max(view.right() - line_x, line_x - view.left())  # fits on neither side
    assert shown.left() < line_x < shown.right()  # across its line
    assert (shown.height() > one_line.height()) == (one_line.width() > view.width())  # lines only when needed


def test_accuracy_learning_rate_and_gradient_norm_plots(qtbot, fed_history):
    acc, lr, grads = AccuracyPlot(), LearningRatePlot(), GradNormPlot()
    for w in (acc, lr, grads):
        qtbot.addWidget(w)
    grads.set_layers(LAYERS)
    for w in (acc, lr, grads):
        w.update_from(fed_history)
    np.testing.assert_allclose(acc.series["val"].getData()[1], 100 * fed_history.column("val_accuracy"))
    np.testing.assert_allclose(lr.series["lr"].getData()[1], fed_history.column("learning_rate"))
    assert list(grads.series) == list(LAYERS)
    np.testing.assert_allclose(grads.series["output"].getData()[1], fed_history.grad_norms[:, 1])
    assert [label.text for _, label in grads.legend.items] == list(LAYERS)
    assert "%" in acc.show_readout(30)


def test_histogram_view_scrubs_and_follows_the_latest_epoch(qtbot):
    view = HistogramView(capacity=500)
    qtbot.addWidget(view)
    view.show()
    view.set_layers(LAYERS)
    records = make_records(30)
    view.add_records(records[:20])
    assert view.epochSlider.maximum() == 19 and view.epochSlider.value() == 19
    assert view.selected_epoch() == 20 and view.epochLabel.text() == "Epoch 20 of 20"
    latest = view.density_on_screen()
    np.testing.assert_allclose(latest, density(records[19].layers[0].weights))

    view.epochSlider.setValue(0)  # the user scrubs back
    assert view.selected_epoch() == 1 and not view.follow_latest
    np.testing.assert_allclose(view.density_on_screen(), density(records[0].layers[0].weights))
    assert view.epochLabel.text() == "Epoch 1 of 20"  # the epoch shown, and the newest kept
    view.add_records(records[20:25])
    assert view.selected_epoch() == 1  # not yanked away while the user looks at epoch 1
    assert view.epochLabel.text() == "Epoch 1 of 25"

    view.kindCombo.setCurrentText("Activations")
    np.testing.assert_allclose(view.density_on_screen(), density(records[0].layers[0].activations))
    view.layerCombo.setCurrentText("output")
    np.testing.assert_allclose(view.density_on_screen(), density(records[0].layers[1].activations))

    view.epochSlider.setValue(view.epochSlider.maximum())  # back at the end: follow again
    view.add_records(records[25:])
    assert view.follow_latest and view.selected_epoch() == 30


def test_histogram_view_says_what_will_appear_before_a_run_and_after_it_is_cleared(qtbot):
    view = HistogramView()
    qtbot.addWidget(view)
    view.resize(300, 400)
    view.show()
    qtbot.waitExposed(view)
    box = view.plot.getPlotItem().getViewBox()

    def empty_view_shown() -> None:
        note = view.empty_note
        assert note.isVisible() and "epoch 0" in note.toPlainText() and "Train" in note.toPlainText()
        assert note.textItem.boundingRect().width() <= box.width()  # wrapped inside the view
        assert view.epochLabel.text() == "No epochs yet"
        (x0, x1), (y0, y1) = box.viewRange()
        assert x0 <= -1.0 and x1 >= 1.0 and x1 - x0 < 2.5 and y0 <= 0.0 < 1.0 <= y1  # values around 0, not 0.2..0.8

    view.plot.grab()  # a paint brings the auto range up to date
    empty_view_shown()
    view.set_layers(LAYERS)
    view.add_records(make_records(3))
    assert not view.empty_note.isVisible() and view.epochLabel.text() == "Epoch 3 of 3"
    view.clear()
    view.plot.grab()
    empty_view_shown()


@pytest.mark.parametrize("scale", [1e-3, 1e5])
def test_gradient_norm_title_is_the_short_one_when_the_axis_labels_widen(qtbot, scale):
    """The long title fits over an empty plot; data whose tick labels widen the left axis leave it
    too little room, and the short title takes its place, the plot no wider than its widget."""
    plot = GradNormPlot()
    qtbot.addWidget(plot)
    plot.set_layers(LAYERS)
    item = plot.getPlotItem()
    axis = item.getAxis("left")
    long_title, short_title = plot.titles
    metrics = QFontMetrics(title_font(plot))
    plot.resize(400, 260)
    plot.show()
    qtbot.waitExposed(plot)
    plot.grab()
    # just wide enough for the long title beside the empty plot's axis
    plot.resize(round(axis.width() + 2 * TITLE_MARGIN_PX + metrics.horizontalAdvance(long_title)) + 4, 260)
    qtbot.waitUntil(lambda: shown_title(item) == long_title and item.geometry().width() == plot.width())
    history = History(LAYERS)
    history.append([dataclasses.replace(r, grad_norms=tuple(scale * (1 + 0.1 * g) for g in r.grad_norms))
                    for r in make_records(20, histograms=False)])
    plot.update_from(history)
    qtbot.waitUntil(lambda: axis.width() > 50, timeout=3000)  # tick labels like 0.0011 or 1.1e+05
    qtbot.waitUntil(lambda: shown_title(item) == short_title, timeout=3000)
    room = plot.width() - axis.width() - 2 * TITLE_MARGIN_PX
    assert metrics.horizontalAdvance(long_title) > room >= metrics.horizontalAdvance(short_title)
    qtbot.waitUntil(lambda: item.geometry().width() <= plot.width() + 0.5, timeout=3000)


def test_a_narrow_gradient_norm_plot_is_laid_out_within_its_widget(qtbot):
    plot = GradNormPlot()
    qtbot.addWidget(plot)
    plot.resize(plot.minimumWidth(), 260)  # the short title; the long one was made wider than this
    plot.show()
    qtbot.waitExposed(plot)
    item = plot.getPlotItem()
    assert shown_title(item) == plot.titles[1]
    assert item.geometry().width() <= plot.width() + 0.5 and item.geometry().right() <= plot.width() + 0.5


def test_histogram_view_maps_the_slider_to_kept_epochs_on_long_runs(qtbot):
    view = HistogramView(capacity=20)
    qtbot.addWidget(view)
    view.set_layers(LAYERS)
    view.add_records(make_records(100))
    epochs = view.store.epochs()
    assert view.epochSlider.maximum() == len(epochs) - 1 < 100
    view.epochSlider.setValue(5)
    assert view.selected_epoch() == epochs[5] and f"Epoch {epochs[5]}" in view.epochLabel.text()


def test_confusion_view_shows_counts_with_labels(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    matrix = np.array([[5, 1, 0], [0, 7, 2], [1, 0, 4]])
    view.set_matrix(matrix, ("setosa", "versicolor", "virginica"))
    assert view.rowCount() == view.columnCount() == 3
    assert view.total() == matrix.sum()
    assert view.verticalHeaderItem(1).text() == "versicolor" and "True" in view.verticalHeaderItem(1).toolTip()
    assert view.horizontalHeaderItem(2).text() == "virginica"
    assert "Predicted" in view.horizontalHeaderItem(2).toolTip()
    assert view.item(1, 1).text() == "7"
    # the diagonal of a good row is darker than an empty cell
    assert view.item(1, 1).background().color().lightness() < view.item(0, 2).background().color().lightness()


def test_ten_classes_fit_a_narrow_panel_without_scrolling(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    matrix = np.diag(np.full(10, 27))
    matrix[3, 5] = 1
    view.set_matrix(matrix, range(10))
    view.resize(270, 300)
    view.show()
    qtbot.waitExposed(view)
    assert not view.horizontalScrollBar().isVisible()
    columns = sum(view.columnWidth(j) for j in range(10))
    assert columns <= view.viewport().width()
    # every count is readable in its cell
    assert min(view.columnWidth(j) for j in range(10)) >= view.fontMetrics().horizontalAdvance("27")


def test_boundary_colours_follow_the_probabilities():
    colors = class_colors(3)
    sure = np.zeros((1, 2, 3), dtype=np.float32)
    sure[0, 0, 2] = 1.0
    sure[0, 1] = 1 / 3
    rgb = probabilities_to_rgb(sure, 3)
    expected_sure = (1 - LIGHTEN) * colors[2] + LIGHTEN * 255
    np.testing.assert_allclose(rgb[0, 0], expected_sure, atol=1)
    np.testing.assert_allclose(rgb[0, 1], (1 - LIGHTEN) * colors.mean(axis=0) + LIGHTEN * 255, atol=1)
    one_unit = probabilities_to_rgb(np.full((2, 2, 1), 0.0, dtype=np.float32), 2)  # p(class 1) = 0
    np.testing.assert_allclose(one_unit[0, 0], (1 - LIGHTEN) * class_colors(2)[0] + LIGHTEN * 255, atol=1)


def test_boundary_view_places_the_heatmap_under_the_points(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    points = np.array([[0.0, 0.0], [1.0, 2.0], [-1.0, 1.0]])
    view.set_points(points, np.array([0, 1, 1]), 2)
    assert len(view.points.data) == 3
    probs = np.random.default_rng(0).random((120, 120, 1)).astype(np.float32)
    view.set_grid(BoundaryGrid(probs, (-1.5, 1.5), (-0.5, 2.5), epoch=7))
    assert view.image.image.shape == (120, 120, 3)
    rect = view.image.mapRectToParent(view.image.boundingRect())
    assert (rect.left(), rect.top(), rect.width(), rect.height()) == pytest.approx((-1.5, -0.5, 3.0, 3.0))
    assert "epoch 7" in view.getPlotItem().titleLabel.text
    view.clear_data()
    assert view.image.image is None and len(view.points.data) == 0


def test_log_view_shows_records_logged_from_another_thread(qtbot):
    view = LogView("nnstudio.training.test")
    qtbot.addWidget(view)
    log = logging.getLogger("nnstudio.training.test")

    def work():
        for i in range(3):
            log.info("epoch %d done", i)
        log.warning("diverged")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: "diverged" in view.toPlainText())
    lines = view.toPlainText().splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == ["epoch 0 done", "epoch 1 done", "epoch 2 done",
                                                            "WARNING: diverged"]
    assert view.isReadOnly() and view.maximumBlockCount() == MAX_LINES
    view.detach()
    log.info("not shown")
    view.flush()
    assert "not shown" not in view.toPlainText()


# -- redraw pacing ------------------------------------------------------------------------------------

def test_nice_ceil_and_sticky_bounds():
    from nnstudio.gui.qt.refresh import FINE_STEPS, StickyBounds, nice_ceil

    assert [nice_ceil(x) for x in (0.7, 1.0, 13, 21, 480)] == [1.0, 1.0, 20.0, 50.0, 500.0]
    assert nice_ceil(16, FINE_STEPS) == 20.0 and nice_ceil(14, FINE_STEPS) == 15.0
    bounds = StickyBounds()
    first = bounds.fit(0.05, 0.38)
    assert first[0] <= 0.05 and first[1] >= 0.38
    assert bounds.fit(0.04, 0.38) == first  # a curve creeping down inside the bounds: no change
    grown = bounds.fit(0.04, 0.9)  # data leaving the bounds: refit
    assert grown != first and grown[1] >= 0.9
    assert bounds.fit(0.40, 0.41) != grown  # data using a sliver of the span: shrink
    assert StickyBounds(from_zero=True).fit(0.5, 0.7)[0] == 0.0


def test_refresh_scheduler_draws_first_the_views_not_drawn_yet_and_skips_hidden_ones(qtbot):
    from nnstudio.gui.qt.refresh import RefreshScheduler

    drawn = []
    scheduler = RefreshScheduler()
    visible = {"loss": True, "hidden": False, "lr": True}
    for name, weight in (("loss", 3), ("hidden", 5), ("lr", 0.5)):
        scheduler.add(lambda name=name: drawn.append(name), weight, lambda name=name: visible[name])
    scheduler.mark_dirty()
    qtbot.waitUntil(lambda: len(drawn) == 2)
    assert drawn == ["loss", "lr"]  # both new: by weight; the hidden view waits
    assert scheduler.pending()  # ... still dirty, for when it is shown
    scheduler.flush()  # a flush draws everything dirty, hidden or not
    assert drawn == ["loss", "lr", "hidden"] and not scheduler.pending()
    drawn.clear()
    scheduler.mark_dirty()
    scheduler.cancel()
    assert not scheduler.pending()
    scheduler.flush()
    assert drawn == []


def _last_line_in_view(view: LogView) -> bool:
    block = view.document().lastBlock()
    rect = view.blockBoundingGeometry(block).translated(view.contentOffset())
    return 0 <= rect.top() and rect.bottom() <= view.viewport().height() + 1


def test_log_view_keeps_the_newest_line_in_view_across_resizes_until_the_user_scrolls_up(qtbot):
    view = LogView("nnstudio.training.test.follow")
    qtbot.addWidget(view)
    view.resize(420, 160)
    view.show()
    qtbot.waitExposed(view)
    log = logging.getLogger("nnstudio.training.test.follow")

    def log_lines(first: int, n: int) -> None:
        for i in range(first, first + n):
            log.info("Epoch %d: loss = 0.123456, val_loss = 0.234567, val_accuracy = 0.9, lr = 0.001", i)
        view.flush()

    log_lines(1, 30)
    assert _last_line_in_view(view)
    # The panel's layout changes between appends (a longer status banner, a splitter moved):
    # narrower lines wrap onto more rows and a shorter pane shows fewer of them.
    view.resize(260, 120)
    qtbot.waitUntil(lambda: view.viewport().width() < 260)
    log_lines(31, 5)
    assert _last_line_in_view(view) and "Epoch 35" in view.document().lastBlock().text()
    view.resize(420, 200)
    qtbot.waitUntil(lambda: view.viewport().height() > 150)
    log_lines(36, 1)
    assert _last_line_in_view(view)

    bar = view.verticalScrollBar()  # the user scrolls up to read: new lines do not pull the view away
    bar.triggerAction(bar.SliderAction.SliderToMinimum)
    log_lines(37, 3)
    assert bar.value() == 0 and not _last_line_in_view(view)
    bar.triggerAction(bar.SliderAction.SliderToMaximum)  # back at the end: it follows again
    log_lines(40, 3)
    assert _last_line_in_view(view) and "Epoch 42" in view.document().lastBlock().text()
    view.detach()


def test_smoothed_loss_curves_keep_the_article_presets_train_validation_order(qtbot):
    """Real history of the article preset: train loss below validation from epoch 3; the thick
    curves say so too (the first epoch's high loss must not hold the train curve up)."""
    from nnstudio.data import load_split
    from nnstudio.engine.trainer import Trainer
    from nnstudio.presets import load_preset

    cfg = load_preset("article").replace(epochs=30)
    records = list(Trainer(cfg, load_split(cfg.data), histograms=False).run())
    history = History(LAYERS)
    history.append(records)
    view = LossView()
    qtbot.addWidget(view)
    view.plot.update_from(history)
    assert view.smoothingSlider.value() == 90
    _, train = view.plot.series["train"].getData()
    _, val = view.plot.series["val"].getData()
    _, smooth_train = view.plot.series["train_smooth"].getData()
    _, smooth_val = view.plot.series["val_smooth"].getData()
    assert (train[2:] < val[2:]).all()
    assert (smooth_train[4:] < smooth_val[4:]).all()
    assert smooth_train[9] < 2.0 * train[9]
