"""The Tune tab's honest ranking and views, driven through real clicks: cross-validation,
per-parameter columns, sorting, filtering, tie marks, Add current design, CSV export, slice,
contour, parallel coordinates, Pareto and the failure note."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from optuna.trial import TrialState  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog  # noqa: E402

from nnstudio.config import LayerConfig  # noqa: E402
from nnstudio.gui.tune.table import BEST_MARK, MEAN, NUMBER, TIED, TIED_MARK, VALUE  # noqa: E402
from nnstudio.tuning import CONFIG_ATTR, TuneSettings, config_from_trial, create_study, open_study  # noqa: E402
from nnstudio.tuning.crossval import FOLD_VALUES_ATTR  # noqa: E402
from nnstudio.tuning.objective import MESSAGE_ATTR, VAL_LOSS_ATTR  # noqa: E402
from test_gui_tuning import RUN_TIMEOUT_MS, make_tab, open_existing, start_and_wait  # noqa: E402,F401
from tuning_fixtures import iris_config, small_space  # noqa: E402


def click_header(qtbot, table, column: int) -> None:
    header = table.horizontalHeader()
    table.scrollToItem(table.item(0, column))
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def shown_column(table, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount()) if not table.isRowHidden(r)]


def add_trials(tuning, specs) -> list[int]:
    """COMPLETE trials (``(folds, None)``), PRUNED (``(None, value)``) or FAIL (``(None, message)``)."""
    numbers = []
    for folds, other in specs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            trial = tuning.study.ask()
        config = config_from_trial(tuning.base, tuning.space, trial)
        trial.set_user_attr(CONFIG_ATTR, config.to_json(indent=None))
        if folds is not None:
            trial.set_user_attr(FOLD_VALUES_ATTR, folds)
            trial.set_user_attr(VAL_LOSS_ATTR, 0.1)
            tuning.study.tell(trial, float(np.mean(folds)))
        elif isinstance(other, str):
            trial.set_user_attr(MESSAGE_ATTR, other)
            tuning.study.tell(trial, state=TrialState.FAIL)
        else:
            trial.report(other, 1)
            tuning.study.tell(trial, state=TrialState.PRUNED)
        numbers.append(trial.number)
    return numbers


@pytest.fixture
def cv_study():
    def make(name: str, extra=()):
        tuning = create_study(None, name, iris_config(), small_space(), TuneSettings(epochs=8, cv=3))
        numbers = add_trials(tuning, [([0.80, 0.81, 0.79], None), ([0.96, 0.94, 0.95], None), (None, 0.99),
                                      ([0.95, 0.95, 0.94], None), *extra])
        return tuning, numbers
    return make


def test_cross_validate_control_runs_folds_and_shows_mean_and_ties(qtbot, make_tab):
    tab = make_tab(iris_config())
    tab.nTrialsSpin.setValue(3)
    tab.epochsSpin.setValue(6)
    tab.prunerCombo.setCurrentIndex(tab.prunerCombo.findData("none"))
    assert tab.cvSpin.text() == "off"
    tab.cvSpin.lineEdit().selectAll()
    qtbot.keyClicks(tab.cvSpin.lineEdit(), "3")
    assert tab.cvSpin.value() == 3
    tab.studyCombo.setEditText("gui-cv")
    start_and_wait(qtbot, tab)
    tuning = open_study(None, "gui-cv", heartbeat=False)
    assert tuning.settings.cv == 3
    table = tab.trialsTable
    assert not table.isColumnHidden(MEAN)
    standings = tuning.standings()
    for n, s in standings.items():
        assert table.item(table.row_of(n), MEAN).text() == f"{s.mean:.4f} ± {s.sd:.4f}"
        assert len(tuning.study.trials[n].user_attrs[FOLD_VALUES_ATTR]) == 3
    assert table.item(table.row_of(tuning.best_trial().number), TIED).text() == BEST_MARK
    assert not tab.confirmTopButton.isEnabled()  # more seeds on one split do not apply to a CV study


def test_parameter_columns_sort_best_first_and_mark_ties(qtbot, make_tab, cv_study):
    tuning, numbers = cv_study("gui-cols")
    tab = make_tab(iris_config())
    open_existing(qtbot, tab, "gui-cols", 4)
    table = tab.trialsTable
    params = {p for t in tuning.trials() for p in t.params}
    assert set(table.param_columns) == params and "hidden_size_0" in table.param_columns
    click_header(qtbot, table, VALUE)
    order = [int(x) for x in shown_column(table, NUMBER)]
    assert order == [numbers[1], numbers[3], numbers[0], numbers[2]]  # best first, the pruned trial last
    assert shown_column(table, TIED)[:3] == [BEST_MARK, TIED_MARK, ""]
    column = table.column_of("hidden_size_1")
    if column >= 0:
        click_header(qtbot, table, column)
        cells = shown_column(table, column)
        filled = [c for c in cells if c]
        assert cells[:len(filled)] == filled  # trials without a second layer come last
        assert [int(c) for c in filled] == sorted(int(c) for c in filled)


def test_filter_hides_trials_that_do_not_pass(qtbot, make_tab, cv_study):
    tuning, numbers = cv_study("gui-filter")
    tab = make_tab(iris_config())
    open_existing(qtbot, tab, "gui-filter", 4)
    combo = tab.results.filterColumnCombo
    combo.setCurrentIndex(combo.findText("Value"))
    qtbot.keyClicks(tab.results.filterEdit, ">0.9")
    shown = set(tab.trialsTable.shown_numbers())
    assert shown == {numbers[1], numbers[2], numbers[3]}
    tab.results.filterEdit.clear()
    combo.setCurrentIndex(combo.findText("State"))
    qtbot.keyClicks(tab.results.filterEdit, "pruned")
    assert tab.trialsTable.shown_numbers() == [numbers[2]]


def test_export_csv_writes_the_table(qtbot, make_tab, cv_study, tmp_path, monkeypatch):
    tuning, numbers = cv_study("gui-csv")
    tab = make_tab(iris_config())
    open_existing(qtbot, tab, "gui-csv", 4)
    target = tmp_path / "trials.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "CSV files (*.csv)"))
    qtbot.mouseClick(tab.exportCsvButton, Qt.MouseButton.LeftButton)
    records = list(csv.DictReader(target.open()))
    assert [int(r["number"]) for r in records] == numbers
    assert {r["tied_with_best"] for r in records} == {"best", "yes", ""}
    assert "hidden_size_0" in records[0] and f"Wrote 4 trials to {target}" in tab.tuningStatus.text()


def test_add_current_design_runs_it_first(qtbot, make_tab):
    design = iris_config(layers=(LayerConfig(5, "tanh"), LayerConfig(11, "tanh")), learning_rate=0.05,
                         init_method="he_uniform", clip_type="value", grad_clip=0.2)
    tab = make_tab(design)
    tab.nTrialsSpin.setValue(2)
    tab.epochsSpin.setValue(4)
    tab.studyCombo.setEditText("gui-design")
    qtbot.mouseClick(tab.addDesignButton, Qt.MouseButton.LeftButton)
    assert "runs first when the study starts" in tab.tuningStatus.text()
    start_and_wait(qtbot, tab)
    first = open_study(None, "gui-design", heartbeat=False).trials()[0]
    assert first.params["hidden_size_0"] == 5 and first.params["hidden_size_1"] == 11
    assert first.params["learning_rate"] == 0.05 and first.params["clip_value"] == 0.2
    qtbot.mouseClick(tab.addDesignButton, Qt.MouseButton.LeftButton)  # the same design again
    qtbot.waitUntil(lambda: "already in the study as trial 0" in tab.tuningStatus.text(), timeout=10_000)
    # another design into the existing study: enqueued at once, waiting for the next worker
    tab.config_provider = lambda: design.replace(learning_rate=0.02)
    qtbot.mouseClick(tab.addDesignButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "it is the next trial" in tab.tuningStatus.text(), timeout=10_000)
    waiting = open_study(None, "gui-design", heartbeat=False).trials(states=(TrialState.WAITING,))
    assert len(waiting) == 1 and waiting[0].system_attrs["fixed_params"]["learning_rate"] == 0.02


def test_slice_contour_parallel_and_pareto_views(qtbot, make_tab, cv_study):
    tuning, numbers = cv_study("gui-views", extra=[([0.90, 0.91, 0.92], None)])
    tab = make_tab(iris_config())
    tab.resize(1400, 900)
    tab.show()
    open_existing(qtbot, tab, "gui-views", 5)
    results = tab.results
    bar = results.plotTabs.tabBar()
    for title, view in (("Slice", results.sliceView), ("Contour", results.contourView),
                        ("Parallel", results.parallelView), ("Pareto", results.paretoView)):
        index = next(i for i in range(bar.count()) if results.plotTabs.tabText(i) == title)
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
        assert results.plotTabs.currentWidget() is view
    complete = [t for t in tuning.trials() if t.state == TrialState.COMPLETE]
    pruned = [t for t in tuning.trials() if t.state == TrialState.PRUNED]
    slice_view = results.sliceView
    combo = slice_view.paramCombo  # parameters by the search-space editor's names, not the code names
    shown = [combo.itemText(i) for i in range(combo.count())]
    assert "Learning rate" in shown and "Hidden layers" in shown and "Units per layer · layer 1" in shown
    assert not any("_" in text for text in shown)
    combo.setCurrentIndex(combo.findText("Learning rate"))
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    x, y = slice_view.complete.getData()
    assert len(x) == len(complete) and len(slice_view.pruned.getData()[0]) == len(pruned)
    np.testing.assert_allclose(sorted(x), sorted(np.log10([t.params["learning_rate"] for t in complete])))
    ticks = slice_view.plot.getPlotItem().getAxis("bottom")._tickLevels
    assert ticks is not None and all(label.startswith(("0.", "1")) for _, label in ticks[0])
    assert slice_view.plot.getPlotItem().getAxis("bottom").labelText == "Learning rate (log)"
    parallel = results.parallelView
    parallel.show_snapshot(tab.snapshot(), results.space)
    assert len(parallel.lines) == len(complete) + len(pruned)
    contour = results.contourView
    contour.show_snapshot(tab.snapshot(), results.space)
    assert np.isfinite(contour.grid).sum() >= 1
    axes = [contour.plot.getPlotItem().getAxis(side).labelText for side in ("bottom", "left")]
    assert all(a.startswith(c.currentText()) for a, c in zip(axes, (contour.xCombo, contour.yCombo)))
    assert not any("_" in a for a in axes)
    pareto = results.paretoView
    pareto.show_snapshot(tab.snapshot(), results.space)
    assert pareto.front_numbers and set(pareto.front_numbers) <= {t.number for t in complete}
    # on the log time axis the dots sit at log10 of each trial's time, and the front's vertices on its dots
    rows = {r.number: r for r in tab.snapshot().rows}
    dots_x, dots_y = pareto.points.getData()
    front_x, front_y = pareto.front.getData()
    timed = [rows[t.number] for t in complete if rows[t.number].duration is not None]
    np.testing.assert_allclose(sorted(dots_x), sorted(np.log10([r.duration for r in timed])))
    dots = set(zip(np.round(dots_x, 9), np.round(dots_y, 9)))
    assert set(zip(np.round(front_x, 9), np.round(front_y, 9))) <= dots
    from plot_probes import axis_labels, overlapping
    pareto.plot.getPlotItem().getViewBox().setXRange(np.log10(0.205), np.log10(0.295), padding=0)  # no power of 10
    pareto.plot.grab()
    labels = axis_labels(pareto.plot, "bottom")
    assert len(labels) >= 3 and not overlapping(labels), [t for t, _ in labels]  # times between two mantissas labelled


def test_most_trials_failing_alike_is_said(qtbot, make_tab):
    tuning = create_study(None, "gui-fail", iris_config(), small_space(), TuneSettings(epochs=8))
    add_trials(tuning, [(None, "layers[0]: 0 units is not valid; expected at least 1")] * 4
               + [([0.9], None)])
    tab = make_tab(iris_config())
    open_existing(qtbot, tab, "gui-fail", 5)
    label = tab.results.failureLabel
    assert not label.isHidden()
    assert label.text().startswith("4 of 5 trials ended the same way: layers[0]: 0 units is not valid")


def article_space_tab(qtbot, make_tab, name: str, values: list[float]):
    """A tab 1000 × 700 showing study ``name`` over the article's space (many parameters), one
    complete trial per value; the tab and the study."""
    from nnstudio.tuning import SearchSpace
    from tuning_fixtures import add_scored_trials

    tuning = create_study(None, name, iris_config(), SearchSpace(), TuneSettings(epochs=2, pruner="none"))
    add_scored_trials(tuning, [(value, 0.5) for value in values])
    tab = make_tab(iris_config())
    tab.resize(1000, 700)
    tab.show()
    qtbot.waitExposed(tab)
    open_existing(qtbot, tab, name, len(values))
    return tab, tuning


def test_the_table_gets_the_room_and_says_where_the_other_columns_are(qtbot, make_tab):
    """With the settings hidden the table shows ten rows; each column fits its header and cells, the
    headers explain their columns, and a link under the table counts the columns past its right
    edge and scrolls to them."""
    from nnstudio.gui.tune.table import COLUMNS, TABLE_ROWS
    from nnstudio.tuning.views import param_title
    from tuning_fixtures import add_scored_trials

    tab, tuning = article_space_tab(qtbot, make_tab, "gui-wide", [0.5 + 0.02 * i for i in range(14)])  # many columns
    qtbot.mouseClick(tab.settingsButton, Qt.MouseButton.LeftButton)
    assert tab.settingsPanel.isHidden() and tab.settingsButton.text() == "Show settings"
    table = tab.trialsTable
    qtbot.waitUntil(lambda: table.viewport().height() >= TABLE_ROWS * table.rowHeight(0))
    header, metrics = table.horizontalHeader(), table.horizontalHeader().fontMetrics()
    for col in range(table.columnCount()):
        if table.isColumnHidden(col):
            continue
        label = table.horizontalHeaderItem(col).text()
        assert table.columnWidth(col) >= metrics.horizontalAdvance(label), label  # the header whole
        assert label in table.horizontalHeaderItem(col).toolTip()
        if col >= len(COLUMNS):
            assert param_title(label) in table.horizontalHeaderItem(col).toolTip()
    hint, bar = tab.results.columnsHint, table.horizontalScrollBar()
    past = table.columns_past_right_edge()
    assert past and bar.isVisible() and bar.value() == 0
    assert f"{len(past)} more columns" in hint.text() and hint.isVisible()
    first_hidden = past[0]
    qtbot.mouseClick(hint, Qt.MouseButton.LeftButton, pos=QPoint(hint.width() - 20, hint.height() // 2))
    qtbot.waitUntil(lambda: bar.value() > 0)
    assert first_hidden not in table.columns_past_right_edge()  # now in view
    assert len(table.columns_past_right_edge()) < len(past)
    # scrolled sideways, the trial numbers stay in view at the left edge, row for row
    frozen = table.frozen
    qtbot.waitUntil(frozen.isVisible)
    assert frozen.geometry().left() <= table.frameWidth() and frozen.width() >= table.columnWidth(NUMBER)
    for row in range(table.rowCount()):
        y = table.rowViewportPosition(row) + table.rowHeight(row) // 2
        index = frozen.indexAt(QPoint(frozen.columnViewportPosition(NUMBER) + 4, y))
        assert index.row() == row and index.data() == table.item(row, NUMBER).text()
    row = 3
    y = frozen.rowViewportPosition(row) + frozen.rowHeight(row) // 2
    qtbot.mouseClick(frozen.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(frozen.columnViewportPosition(NUMBER) + 4, y))
    assert table.selected_number() == int(table.item(row, NUMBER).text())
    hint_left = tab.results.columnsHint
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: "first columns" in hint_left.text())
    qtbot.mouseClick(hint_left, Qt.MouseButton.LeftButton, pos=QPoint(hint_left.width() - 20, hint_left.height() // 2))
    qtbot.waitUntil(lambda: bar.value() == 0)
    assert not frozen.isVisible()  # the column itself is in view again
    # a column the user drags keeps its width when more trials come in
    column = len(COLUMNS)
    header.resizeSection(column, 200)
    add_scored_trials(tuning, [(0.4, 0.6)])
    qtbot.mouseClick(tab.refreshStudiesButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: table.rowCount() == 15, timeout=10_000)
    assert table.columnWidth(column) == 200


def test_integer_axes_are_whole_and_the_parallel_axes_names_never_overlap(qtbot, make_tab):
    """The slice of an integer parameter is ticked 5, 6, 7 (a fractional one keeps its fractions);
    the parallel coordinates name their axes in words that fit between their neighbours, all of
    them whole in the plot's tooltip."""
    from plot_probes import axis_labels, overlapping

    from nnstudio.tuning.views import param_title

    tab, _ = article_space_tab(qtbot, make_tab, "gui-axes", [0.5 + 0.05 * i for i in range(8)])  # many parameters
    qtbot.mouseClick(tab.settingsButton, Qt.MouseButton.LeftButton)  # hidden: the width the views have
    results = tab.results
    bar = results.plotTabs.tabBar()

    def open_view(title: str):
        index = next(i for i in range(bar.count()) if results.plotTabs.tabText(i) == title)
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
        view = results.plotTabs.currentWidget()
        qtbot.waitUntil(lambda: view.plot.getPlotItem().getViewBox().width() > 100)
        return view

    slice_view = open_view("Slice")
    combo = slice_view.paramCombo
    for title, whole in (("Hidden layers", True), ("Dropout rate", False)):
        combo.setCurrentIndex(combo.findText(title))
        slice_view.plot.grab()
        labels = [text for text, _rect in axis_labels(slice_view.plot, "bottom")]
        assert len(labels) >= 2 and all(text.isdigit() for text in labels) == whole, (title, labels)

    parallel = open_view("Parallel")
    parallel.plot.grab()
    drawn = axis_labels(parallel.plot, "bottom")
    assert len(drawn) == len(parallel.params) + 1, [t for t, _ in drawn]
    for row in (drawn[0::2], drawn[1::2]):  # every other name is one line lower: each line apart
        assert not overlapping(row), [t for t, _ in row]
    assert not any(text.endswith("…") for text, _rect in drawn[1:-1]), [t for t, _ in drawn]  # short words, whole
    box = parallel.plot.getPlotItem().getViewBox().sceneBoundingRect()
    assert all(box.left() - 1 <= rect.left() and rect.right() <= box.right() + 1 for _t, rect in drawn)
    assert all(param_title(p) in parallel.plot.toolTip() for p in parallel.params)


def test_the_filter_offers_state_and_value_before_the_first_trial(qtbot, make_tab):
    tab = make_tab(iris_config())
    combo = tab.results.filterColumnCombo
    assert [combo.itemText(i) for i in range(combo.count())] == ["State", "Value"]
    assert combo.currentText() == "Value"
