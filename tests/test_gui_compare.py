"""The Compare tab, driven through its widgets with pytest-qt."""

from __future__ import annotations

import math
from pathlib import Path
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QFontMetrics  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from nnstudio.compare import process_context  # noqa: E402
from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig  # noqa: E402
from nnstudio.engine import ARTICLE_INITS  # noqa: E402
from nnstudio.files import save_experiment  # noqa: E402
from nnstudio.gui.compare.tab import CompareTab  # noqa: E402
from nnstudio.gui.compare.table import SORT_ROLE  # noqa: E402
from plot_probes import axis_labels, overlapping  # noqa: E402

RUN_TIMEOUT_MS = 90_000
INITS = [*ARTICLE_INITS, "lecun_normal"]


def small_config(**changes) -> ExperimentConfig:
    base = ExperimentConfig(name="small", data=DataConfig("gaussians", {"n_samples": 150}),
                            layers=(LayerConfig(8, "sigmoid"), LayerConfig(8, "sigmoid")), epochs=3, batch_size=32,
                            learning_rate=0.05, seed=3)
    return base.replace(**changes)


@pytest.fixture
def make_tab(qtbot):
    tabs = []

    def make(config: ExperimentConfig | None = None) -> CompareTab:
        holder = {"config": config or small_config()}
        tab = CompareTab(lambda: holder["config"], workers=2)
        tab.holder = holder
        qtbot.addWidget(tab)
        tab.resize(1200, 800)
        tab.show()
        tabs.append(tab)
        return tab

    yield make
    for tab in tabs:
        tab.shutdown()


def choose_factor(tab: CompareTab, name: str) -> None:
    tab.factorCombo.setCurrentIndex(tab.factorCombo.findData(name))


def run_to_end(qtbot, tab: CompareTab) -> None:
    with qtbot.waitSignal(tab.runFinished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(tab.runButton, Qt.MouseButton.LeftButton)


def visible_curves(tab: CompareTab):
    return [c for c in tab.plot.getPlotItem().listDataItems() if c.name()]


def table_texts(tab: CompareTab) -> list[list[str]]:
    proxy = tab.proxy
    return [[proxy.index(r, c).data() for c in range(proxy.columnCount())] for r in range(proxy.rowCount())]


@pytest.fixture
def finished_init_tab(qtbot, make_tab):
    tab = make_tab()
    choose_factor(tab, "init_method")
    tab.seedsSpin.setValue(2)
    run_to_end(qtbot, tab)
    return tab


def test_factor_combo_offers_every_factor_with_prefilled_defaults(make_tab):
    tab = make_tab()
    names = [tab.factorCombo.itemData(i) for i in range(tab.factorCombo.count())]
    assert {"init_method", "activation", "optimizer", "learning_rate", "dropout_rate", "clip", "batch_size",
            "depth"} <= set(names)
    choose_factor(tab, "init_method")
    assert [tab.valuesList.item(i).text() for i in range(tab.valuesList.count())] == INITS
    choose_factor(tab, "clip")
    assert [tab.valuesList.item(i).text() for i in range(tab.valuesList.count())] == [
        "none", "value:0.5", "norm:1", "global_norm:1"]


def test_init_method_comparison_draws_one_curve_and_one_row_per_variant(finished_init_tab):
    tab = finished_init_tab
    curves = visible_curves(tab)
    assert [c.name() for c in curves] == INITS
    for curve in curves:
        x, y = curve.getData()
        assert list(x) == [1, 2, 3]
        assert np.isfinite(y).all()
    # log scale: the seed bands follow the curves into log10 units
    bands_linear = [fill.boundingRect() for fill in tab.plot._fills]
    tab.logCheck.setChecked(True)
    for fill, edges, linear in zip(tab.plot._fills, tab.plot._edges, bands_linear):
        lo_y = edges[0].getData()[1]
        hi_y = edges[1].getData()[1]
        rect = fill.boundingRect()
        assert rect.top() == pytest.approx(min(lo_y.min(), hi_y.min()), abs=1e-6)
        assert rect.bottom() == pytest.approx(max(lo_y.max(), hi_y.max()), abs=1e-6)
        assert rect.bottom() < 1.5  # log10 of a loss, not a loss drawn at 10**loss
    tab.logCheck.setChecked(False)
    rows = table_texts(tab)
    assert [row[0] for row in rows] == INITS
    for row in rows:
        for text in row[1:3]:  # best and final validation loss: "mean" over "± std"
            assert math.isfinite(float(text.split("\n± ")[0]))
        assert row[-2] == "all epochs"  # the stop reason in words, before the doctor's top finding
    assert tab.runButton.isEnabled() and not tab.stopButton.isEnabled()
    assert tab.progress.value() == tab.progress.maximum()
    assert "Finished 14 runs" in tab.status.text()
    assert multiprocessing.active_children() == []


def test_each_variant_shows_its_top_finding(finished_init_tab):
    rows = {row[0]: row[-1] for row in table_texts(finished_init_tab)}
    assert rows["zeros"] == "identical units"
    assert rows["glorot_uniform"] != "identical units" and rows["he_normal"] != "identical units"
    header = finished_init_tab.proxy.headerData(finished_init_tab.proxy.columnCount() - 1, Qt.Orientation.Horizontal)
    assert header == "Top finding"


def test_histograms_show_every_variant_and_zeros_stays_identical(finished_init_tab, qtbot):
    tab = finished_init_tab
    tab.views.setCurrentIndex(1)
    tab.kindCombo.setCurrentText("Weights")
    tab.layerCombo.setCurrentIndex(1)  # layer2: with zeros its weights never become different
    tab.epochSlider.setValue(tab.epochSlider.maximum())
    assert len(tab.histograms.curves) == len(INITS)
    for curve in tab.histograms.curves:
        x, y = curve.getData()
        assert len(y) and y.sum() > 0
    zeros = tab.histograms.curves[INITS.index("zeros")].getData()[1]
    assert np.count_nonzero(zeros) == 1
    assert "all equal" in tab.histograms.plots[INITS.index("zeros")].titleLabel.text
    random = tab.histograms.curves[INITS.index("random")].getData()[1]
    assert np.count_nonzero(random) > 5
    # after any number of epochs the zeros variant's hidden units are still all alike, and it says so
    tab.layerCombo.setCurrentIndex(0)
    titles = [plot.titleLabel.text for plot in tab.histograms.plots]
    assert "⚠ 1 of 8 distinct" in titles[INITS.index("zeros")] and "epoch 3" in titles[INITS.index("zeros")]
    assert all("distinct" not in t for i, t in enumerate(titles) if INITS[i] != "zeros")


def note_lines(plot) -> list[str]:
    """The lines a histogram's note shows under its variant's name."""
    return plot.titleLabel.text.split("'>", 1)[1].removesuffix("</span>").replace("&nbsp;", "").split("<br>")


def test_every_histogram_shows_the_sliders_epoch_or_says_its_run_stopped_before_it(qtbot, make_tab):
    # a learning rate too small to ever improve the loss by min_delta: that run stops early, after
    # patience epochs, at epoch 4; histograms are kept every 3rd epoch of 60, and at each run's last
    tab = make_tab(small_config(epochs=60, early_stopping=True, patience=4, min_delta=0.01))
    choose_factor(tab, "learning_rate")
    for i in range(tab.valuesList.count()):
        tab.valuesList.item(i).setCheckState(Qt.CheckState.Unchecked)
    qtbot.keyClicks(tab.addValueEdit, "1e-7, 0.5")
    qtbot.keyClick(tab.addValueEdit, Qt.Key.Key_Return)
    tab.seedsSpin.setValue(1)
    run_to_end(qtbot, tab)
    labels = list(tab.comparison.labels)
    runs = [tab.results.runs[(v, 0)] for v in range(len(labels))]
    slow = runs[[v.config.learning_rate for v in tab.comparison.variants].index(1e-7)]
    assert slow.status == "early_stopping" and slow.n_epochs == 4
    last = max(run.n_epochs for run in runs)
    assert last > slow.n_epochs
    tab.views.setCurrentIndex(1)
    tab.kindCombo.setCurrentText("Weights")
    slider = tab.epochSlider
    assert slider.value() == slider.maximum() and tab.views.selected_epoch() == last
    seen = set()
    for position in range(slider.maximum() + 1):  # every epoch the slider offers
        slider.setValue(position)
        epoch = tab.views.selected_epoch()
        seen.add(epoch)
        assert tab.epochLabel.text() == f"Epoch {epoch}"
        for label, run, plot, curve in zip(labels, runs, tab.histograms.plots, tab.histograms.curves):
            first = note_lines(plot)[0]
            if run.n_epochs >= epoch:  # the run reached the slider's epoch: its histogram is of that epoch
                assert first.split(" · ")[0] == f"epoch {epoch}", (label, epoch, first)
                shown = epoch
            else:  # it ended sooner: the plot says so, and shows its last epoch
                assert first == f"stopped early at {run.n_epochs}", (label, epoch, first)
                shown = run.n_epochs
            weights = run.snapshots[shown][0].weights
            assert list(curve.getData()[1]) == list(np.asarray(weights.counts, float)), (label, epoch)
    assert sorted(seen) == sorted({0, 1, last} | set(range(3, last + 1, 3)))  # the epochs with histograms


def test_a_wide_table_shows_every_column_without_scrolling(finished_init_tab, qtbot):
    tab = finished_init_tab
    table, header = tab.table, tab.table.horizontalHeader()
    assert table.viewport().width() > 700
    assert not any(header.isSectionHidden(c) for c in range(header.count()))
    assert not table.horizontalScrollBar().isVisible()
    assert sum(header.sectionSize(c) for c in range(header.count())) <= table.viewport().width()
    assert table.hidden_titles == [] and "No room" not in tab.targetLabel.text()
    assert header.sectionSize(0) >= table.sizeHintForColumn(0)  # the variant column takes the spare width


def test_mixed_stop_reasons_take_a_line_each_so_the_other_columns_keep_their_room(finished_init_tab, qtbot):
    import dataclasses

    tab = finished_init_tab
    rows = tab.results.rows()
    mixed = dataclasses.replace(rows[1], status="completed 1/2, early_stopping 1/2")  # the seeds ended apart
    tab.model.set_rows([rows[0], mixed, *rows[2:]], tab.results.classification)
    column = [c.key for c in tab.model.columns].index("status")
    row = [r for r in range(tab.proxy.rowCount()) if tab.proxy.index(r, 0).data() == mixed.label][0]
    assert tab.proxy.index(row, column).data() == "all epochs 1/2\nearly stop 1/2"
    one_line = tab.table.fontMetrics().horizontalAdvance("all epochs 1/2, early stop 1/2")
    header = tab.table.horizontalHeader()
    qtbot.waitUntil(lambda: 0 < header.sectionSize(column) < one_line)
    assert tab.table.hidden_titles == []


def test_a_narrow_table_names_the_columns_it_leaves_out_and_where_their_figures_are(finished_init_tab, qtbot):
    tab = finished_init_tab
    table, note = tab.table, tab.targetLabel
    assert table.hidden_titles == [] and "No room" not in note.text()

    def narrower_until(hidden: int) -> None:  # the table narrower, until that many columns are left out
        width = tab.summary.width()
        while len(table.hidden_titles) < hidden:
            width -= 10
            assert width > 200, table.hidden_titles
            tab.summary.setMaximumWidth(width)
            QApplication.processEvents()
    narrower_until(1)
    assert table.hidden_titles == ["Time (s)"]
    assert "No room for the column Time (s): hover a variant's name to see it" in note.text()
    assert "Time (s): " in tab.proxy.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)  # its figure is there
    narrower_until(3)
    assert f"No room for {len(table.hidden_titles)} columns: hover a variant's name to see them" in note.text()
    assert all(title in note.toolTip() for title in table.hidden_titles)
    assert not table.horizontalScrollBar().isVisible()


def test_table_sorts_numerically_and_opens_the_selected_variant(finished_init_tab, qtbot):
    tab = finished_init_tab
    assert not tab.openButton.isEnabled()
    best_loss_column = 1
    header = tab.table.horizontalHeader()
    centre = QPoint(header.sectionViewportPosition(best_loss_column) + header.sectionSize(best_loss_column) // 2,
                    header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    if header.sortIndicatorOrder() != Qt.SortOrder.AscendingOrder:
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert header.sortIndicatorSection() == best_loss_column
    values = [tab.proxy.index(r, best_loss_column).data(SORT_ROLE) for r in range(tab.proxy.rowCount())]
    assert values == sorted(values) and len(set(values)) > 1
    tab.table.selectRow(0)
    assert tab.openButton.isEnabled()
    best_label = tab.proxy.index(0, 0).data()
    with qtbot.waitSignal(tab.openInEditor, timeout=2000) as signal:
        qtbot.mouseClick(tab.openButton, Qt.MouseButton.LeftButton)
    config = signal.args[0]
    assert isinstance(config, ExperimentConfig)
    assert config.init_method == best_label
    assert config == tab.holder["config"].replace(init_method=best_label)


def test_stop_ends_every_run_promptly(qtbot, make_tab):
    tab = make_tab(small_config(epochs=100_000, early_stopping=False))
    choose_factor(tab, "init_method")
    qtbot.mouseClick(tab.runButton, Qt.MouseButton.LeftButton)
    assert tab.is_running() and tab.stopButton.isEnabled()
    qtbot.waitUntil(lambda: tab.results.progress()[0] >= 4, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(tab.runFinished, timeout=10_000):
        qtbot.mouseClick(tab.stopButton, Qt.MouseButton.LeftButton)
    assert not tab.is_running() and tab.runButton.isEnabled()
    statuses = {run.status for run in tab.results.runs.values()}
    assert statuses <= {"stopped", "not run"} and "stopped" in statuses
    assert "Stopped" in tab.status.text()
    assert multiprocessing.active_children() == []
    tab.views.setCurrentIndex(1)  # the histograms of the first seeds: those never started say so
    never = [v for v in range(len(INITS)) if tab.results.runs[(v, 0)].status == "not run"]
    assert never
    for v, plot in enumerate(tab.histograms.plots):
        assert (note_lines(plot)[0] == "not run") == (v in never), (INITS[v], note_lines(plot))
        assert (plot.getAxis("bottom").textPen().color().alpha() == 0) == (v in never)  # no scale of nothing
    grid = tab.histograms

    def bars_line_up() -> bool:  # the empty plots' axes keep their height: a row's bars share a baseline
        grid.grab()
        rows = {}
        for plot in grid.plots:
            box = plot.getViewBox().sceneBoundingRect()
            rows.setdefault(round(plot.sceneBoundingRect().top()), set()).add(round(box.bottom()))
        return len(rows) == 2 and all(len(bottoms) == 1 for bottoms in rows.values())
    qtbot.waitUntil(bars_line_up)


def test_bad_values_are_reported_and_nothing_runs(qtbot, make_tab):
    tab = make_tab()
    choose_factor(tab, "learning_rate")
    before = tab.valuesList.count()
    qtbot.keyClicks(tab.addValueEdit, "fast")
    qtbot.keyClick(tab.addValueEdit, Qt.Key.Key_Return)
    assert tab.valuesList.count() == before
    assert tab.status.isVisible() and "not a number" in tab.status.text()
    tab.addValueEdit.clear()
    qtbot.keyClicks(tab.addValueEdit, "1e-3..1e-1:3")
    qtbot.keyClick(tab.addValueEdit, Qt.Key.Key_Return)
    assert {"0.001", "0.01", "0.1"} <= {tab.valuesList.item(i).text() for i in range(tab.valuesList.count())}
    tab.valuesList.item(0).setText("-1")
    qtbot.mouseClick(tab.runButton, Qt.MouseButton.LeftButton)
    assert not tab.is_running()
    assert "greater than 0" in tab.status.text()


def test_a_variant_from_a_file_joins_the_comparison(qtbot, make_tab, tmp_path):
    save_experiment(tmp_path / "wide.json", small_config(name="wide", layers=(LayerConfig(16, "tanh"),)))
    (tmp_path / "broken.json").write_text("{ not json")
    tab = make_tab()
    choose_factor(tab, "init_method")
    for i in range(tab.valuesList.count()):
        keep = tab.valuesList.item(i).text() == "he_normal"
        tab.valuesList.item(i).setCheckState(Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked)
    tab.add_files([tmp_path / "wide.json", tmp_path / "broken.json"])
    assert "broken.json" in tab.status.text()
    tab.seedsSpin.setValue(1)
    run_to_end(qtbot, tab)
    assert [row[0] for row in table_texts(tab)] == ["he_normal", "wide"]
    assert tab.comparison.variants[1].config.layers == (LayerConfig(16, "tanh"),)


def run_depth_study(qtbot, tab):
    """A depth study of 1 to 3 hidden layers, one seed each, run to its end on ``tab``."""
    choose_factor(tab, "depth")
    for i in range(tab.valuesList.count()):
        if int(tab.valuesList.item(i).text()) > 3:
            tab.valuesList.item(i).setCheckState(Qt.CheckState.Unchecked)
    tab.seedsSpin.setValue(1)
    run_to_end(qtbot, tab)
    return tab


def test_depth_study_marks_a_recommended_depth(qtbot, make_tab):
    tab = run_depth_study(qtbot, make_tab())
    assert tab.views.isTabEnabled(2)
    x, y = tab.depthPlot.metric_curve.getData()
    assert list(x) == [1, 2, 3] and np.isfinite(y).all()
    star_x, _ = tab.depthPlot.recommended.getData()
    assert len(star_x) == 1 and star_x[0] in (1, 2, 3)
    assert f"{int(star_x[0])} hidden layer" in tab.depthSentence.text()


def test_a_depth_studys_histograms_show_the_chosen_layer_of_every_depth_by_name(qtbot, make_tab):
    tab = run_depth_study(qtbot, make_tab())
    tab.views.setCurrentIndex(1)
    tab.kindCombo.setCurrentText("Weights")
    assert [tab.layerCombo.itemText(i) for i in range(tab.layerCombo.count())] == [
        "layer1", "layer2", "layer3", "output"]  # the deepest network's layers
    epoch = tab.views.selected_epoch()
    for name in ("output", "layer3"):
        tab.layerCombo.setCurrentText(name)
        for v, (plot, curve) in enumerate(zip(tab.histograms.plots, tab.histograms.curves)):
            _shown, layers = tab.results.snapshot(v, epoch)
            mine = {snap.name: snap for snap in layers}
            values_shown = plot.getAxis("bottom").textPen().color().alpha() > 0
            if name in mine:  # this variant's own layer of that name, however deep its network
                assert list(curve.getData()[1]) == list(np.asarray(mine[name].weights.counts, float)), (v, name)
                assert values_shown
            else:  # a shallower network: it says so, with no bars and no scale of nothing
                counts = curve.getData()[1]
                assert note_lines(plot)[0] == f"has no {name}", (v, name)
                assert (counts is None or len(counts) == 0) and not values_shown
    assert [note_lines(p)[0] for p in tab.histograms.plots][:2] == ["has no layer3", "has no layer3"]



def test_worker_processes_never_load_qt(qtbot):
    """The tab's process (this one) has Qt loaded; the workers it starts must not."""
    import sys

    assert "PySide6" in sys.modules
    probe = "sorted(m for m in __import__('sys').modules if m.split('.')[0] in ('PySide6', 'pyqtgraph'))"
    with ProcessPoolExecutor(1, mp_context=process_context()) as pool:
        assert pool.submit(eval, probe).result(timeout=60) == []


def test_the_window_hosts_the_tab_and_open_in_editor_loads_the_variant(qtbot):
    from nnstudio.gui.main_window import MainWindow

    window = MainWindow(small_config())
    qtbot.addWidget(window)
    tab = window.findChild(QWidget, "compareTab")
    try:
        assert window.tabs.indexOf(tab) >= 0 and tab.objectName() == "compareTab"
        choose_factor(tab, "learning_rate")
        for i in range(tab.valuesList.count()):
            keep = tab.valuesList.item(i).text() in ("0.001", "0.1")
            tab.valuesList.item(i).setCheckState(Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked)
        tab.seedsSpin.setValue(1)
        run_to_end(qtbot, tab)
        tab.select_variant(1)
        qtbot.mouseClick(tab.openButton, Qt.MouseButton.LeftButton)
        assert window.current_config().learning_rate == 0.1
        assert window.current_config() == tab.comparison.variants[1].config
    finally:
        window.editor.document.mark_saved()  # closing must not ask about saving the loaded variant
        window.shutdown()


def test_save_results_writes_the_command_lines_files(finished_init_tab, tmp_path):
    tab = finished_init_tab
    assert tab.saveButton.isEnabled()
    paths = tab.save_results(tmp_path)
    assert sorted(p.name for p in paths) == ["curves.png", "summary.csv", "summary.json"]
    assert (tmp_path / "summary.csv").read_text().count("\n") == 1 + len(INITS)
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert tab.save_results(tmp_path / "missing" / "folder") == []
    assert "Could not save" in tab.status.text()


def test_an_invalid_design_is_reported_instead_of_run(qtbot, make_tab):
    from nnstudio.config import ConfigError

    tab = make_tab()

    def broken():
        raise ConfigError("learning_rate", -1, "a number > 0")

    tab._provider = broken
    qtbot.mouseClick(tab.runButton, Qt.MouseButton.LeftButton)
    assert not tab.is_running() and tab.runButton.isEnabled()
    assert "learning_rate" in tab.status.text() and tab.status.property("severity") == "error"


# -- what the tab shows in a 1280 x 800 window ---------------------------------------------------

def shown_compare_tab(qtbot, config, size=(1280, 800)):
    """A fresh main window of ``size`` (no saved layout) showing its Compare tab: (window, tab)."""
    from PySide6.QtCore import QSettings

    from nnstudio.gui.main_window import MainWindow

    QSettings().clear()
    window = MainWindow(config)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    tab = window.findChild(QWidget, "compareTab")
    window.tabs.setCurrentWidget(tab)
    return window, tab


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_in_the_window_title_hint_table_and_log_axis_fit(qtbot, size):
    window, tab = shown_compare_tab(qtbot, small_config(data=DataConfig("moons", {"n_samples": 160}), epochs=12), size)
    plot = tab.plot
    box = plot.getPlotItem().getViewBox()
    try:
        qtbot.waitUntil(lambda: box.width() > 100)
        # before a run: the hint is wrapped inside the plot, and the shortcut is in the tooltips
        hint = plot.hint
        assert hint.isVisible()
        assert hint.textItem.boundingRect().width() <= box.width()
        assert "Ctrl+Return" in hint.textItem.toPlainText() and "Ctrl+Return" in tab.runButton.toolTip()
        # the title is shown whole, inside the plot; the band's meaning is in the tooltip
        assert plot.shown_title() == plot.title == "Validation loss: mean over seeds"
        assert QFontMetrics(plot.title_font()).horizontalAdvance(plot.shown_title()) <= box.width()
        assert "range over the seeds" in plot.toolTip() and "Ctrl+Return" in plot.toolTip()

        choose_factor(tab, "init_method")
        for i in range(tab.valuesList.count()):
            keep = tab.valuesList.item(i).text() in ("glorot_uniform", "he_normal")
            tab.valuesList.item(i).setCheckState(Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked)
        tab.seedsSpin.setValue(2)
        tab.logCheck.setChecked(True)
        run_to_end(qtbot, tab)

        # the table: no sideways scrolling, variant names whole, headers explained in tooltips
        table, header = tab.table, tab.table.horizontalHeader()
        qtbot.waitUntil(lambda: sum(header.sectionSize(c) for c in range(header.count())
                                    if not header.isSectionHidden(c)) <= table.viewport().width())
        assert not table.horizontalScrollBar().isVisible()
        assert header.sectionSize(0) >= table.sizeHintForColumn(0)  # "glorot_uniform" not elided
        shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
        titles = [tab.model.columns[c].title for c in shown]
        assert {"Variant", "Best val loss", "Val accuracy"} <= set(titles), titles
        for c in shown:
            assert tab.model.columns[c].title in tab.proxy.headerData(c, Qt.Orientation.Horizontal,
                                                                      Qt.ItemDataRole.ToolTipRole)
        variant_tip = tab.proxy.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
        for column in tab.model.columns[1:]:  # every figure, also of the columns left out
            assert f"{column.title}: " in variant_tip
        if len(shown) < header.count():
            assert "No room for" in tab.targetLabel.text()
            assert all(t in tab.targetLabel.toolTip() for t in table.hidden_titles)

        # the log axis: labelled, and no two labels overlap
        qtbot.waitUntil(lambda: len(axis_labels(plot)) >= 2)
        labels = axis_labels(plot)
        assert not overlapping(labels), labels
        assert plot.shown_title() == plot.title
    finally:
        window.shutdown()


def test_a_narrow_compare_plot_elides_its_title(qtbot):
    from nnstudio.gui.compare.plots import CurvesPlot

    plot = CurvesPlot()
    qtbot.addWidget(plot)
    plot.set_metric("val_accuracy")
    plot.resize(320, 240)
    plot.show()
    qtbot.waitExposed(plot)
    box = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: plot.shown_title() != plot.title)
    assert plot.shown_title().endswith("…") and plot.title.startswith(plot.shown_title()[:-1])
    assert QFontMetrics(plot.title_font()).horizontalAdvance(plot.shown_title()) <= box.width()
    plot.resize(900, 400)
    qtbot.waitUntil(lambda: plot.shown_title() == plot.title)


def test_the_curves_before_a_run_show_epochs_0_to_10_and_then_the_curves_own_range(qtbot):
    from nnstudio.compare import Band
    from nnstudio.gui.compare.plots import CurvesPlot

    plot = CurvesPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 400)
    plot.show()
    qtbot.waitExposed(plot)
    (x0, x1), (y0, y1) = plot.getPlotItem().getViewBox().viewRange()
    assert (x0, x1) == (0, 10) and (y0, y1) == (0, 1)  # whole epochs, not 0.2, 0.4...
    plot.grab()
    box = plot.getPlotItem().getViewBox().sceneBoundingRect()
    hint = plot.hint.mapRectToScene(plot.hint.boundingRect())
    assert box.contains(hint) and abs(hint.center().x() - box.center().x()) < 2, (hint, box)  # whole, centred
    plot.set_variants(["a"])
    epochs = np.arange(1, 31)
    loss = 2.0 / epochs
    plot.update_bands([Band(epochs, loss, 0 * loss, loss, loss, np.ones(30))])
    qtbot.waitUntil(lambda: plot.getPlotItem().getViewBox().viewRange()[0][1] >= 30)
    assert plot.getPlotItem().getViewBox().viewRange()[1][1] >= 2.0  # the whole curve in view
    plot.set_variants([])
    assert plot.getPlotItem().getViewBox().viewRange()[0] == [0, 10]


def test_a_long_message_never_makes_the_window_taller(qtbot, tmp_path):
    from nnstudio.gui.widgets.status_label import STATUS_MAX_LINES

    window, tab = shown_compare_tab(qtbot, small_config())
    try:
        paths = []
        for i in range(30):  # thirty unreadable files: one problem line each
            path = tmp_path / f"broken-experiment-number-{i:02d}.json"
            path.write_text("{not json")
            paths.append(str(path))
        tab.add_files(paths)
        qtbot.waitUntil(lambda: tab.status.isVisible())
        assert (window.width(), window.height()) == (1280, 800)
        status = tab.status
        assert status.text().endswith("…") and status.is_cut()
        lines = status.fontMetrics().lineSpacing()
        assert status.height() <= STATUS_MAX_LINES * lines + 12
        assert all(Path(p).name in status.toolTip() for p in paths)  # the whole message, on hover
        assert status.toolTip() == status.full_text()
        # what is shown is a start of the message, whole lines wrapped inside the label
        assert status.full_text().startswith(status.text()[:-1].rstrip())
        # a short message is shown whole, without a tooltip
        tab._show_status("Finished 4 runs in 2s.", "success")
        assert status.text() == "Finished 4 runs in 2s." and status.toolTip() == ""
        assert (window.width(), window.height()) == (1280, 800)
    finally:
        window.shutdown()


def test_depth_study_titles_fit_at_1280_by_800(qtbot):
    window, tab = shown_compare_tab(qtbot, small_config(data=DataConfig("moons", {"n_samples": 160}), epochs=3))
    try:
        choose_factor(tab, "depth")
        for i in range(tab.valuesList.count()):
            if int(tab.valuesList.item(i).text()) > 2:
                tab.valuesList.item(i).setCheckState(Qt.CheckState.Unchecked)
        tab.seedsSpin.setValue(1)
        run_to_end(qtbot, tab)
        tab.views.setCurrentIndex(2)
        plot = tab.depthPlot
        qtbot.waitUntil(lambda: plot.metric_plot.getViewBox().width() > 100)
        metrics = QFontMetrics(plot.title_font())
        for item, title in plot.titles.items():
            assert plot.shown_title(item) == title  # whole, not elided
            assert metrics.horizontalAdvance(title) <= item.getViewBox().width()
        assert "mean ± std over the seeds" in plot.toolTip() and "gap" in plot.toolTip()
        assert (window.width(), window.height()) == (1280, 800)
        # the shared depth axis is named once, under the lower plot, and each plot keeps a readable height
        bottoms = [p.getAxis("bottom") for p in (plot.metric_plot, plot.gap_plot)]
        assert [axis.label.isVisible() and axis.labelText for axis in bottoms] == [False, "hidden layers"]
        assert min(p.getViewBox().height() for p in (plot.metric_plot, plot.gap_plot)) >= 55  # 50 with two labels
    finally:
        window.shutdown()


def test_a_failure_to_start_workers_is_one_line_that_says_what_to_do(qtbot, make_tab, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    from nnstudio.compare import ComparisonRun
    from nnstudio.gui.compare.worker import failure_message

    bootstrap = RuntimeError("\n        An attempt has been made to start a new process before the\n        current "
                             "process has finished its bootstrapping phase.\n\n        This probably means ...")

    def fail(self, heartbeat=False):
        raise bootstrap
        yield  # a generator, like the real one

    monkeypatch.setattr(ComparisonRun, "events", fail)
    tab = make_tab()
    choose_factor(tab, "init_method")
    run_to_end(qtbot, tab)
    text = tab.status.full_text()
    assert "\n" not in text and "__main__" in text and "could not start" in text
    assert tab.status.property("severity") == "error" and tab.runButton.isEnabled()

    assert "\n" not in failure_message(BrokenProcessPool("A process in the process pool was terminated abruptly"))
    assert "fewer parallel workers" in failure_message(OSError(12, "Cannot allocate memory"))
    assert failure_message(KeyError("x\ny")).count("\n") == 0


def test_focus_moves_between_run_and_stop_and_never_into_the_target_box(qtbot, make_tab):
    tab = make_tab()
    choose_factor(tab, "learning_rate")
    tab.runButton.setFocus()
    qtbot.waitUntil(tab.runButton.hasFocus)
    run_to_end(qtbot, tab)
    focused = QApplication.focusWidget()
    assert focused is tab.runButton, focused
    assert not tab.targetSpin.hasFocus()
