"""The tuning tab, driven through its widgets: run a few quick trials, stop, resume, load the best."""

from __future__ import annotations

import itertools

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from nnstudio.cli import main  # noqa: E402
from nnstudio.config import ExperimentConfig  # noqa: E402
from nnstudio.engine import Trainer  # noqa: E402
from nnstudio.gui.tune.tab import TuningTab  # noqa: E402
from nnstudio.tuning import (SearchSpace, TuneSettings, cached_split, config_of_trial, create_study,  # noqa: E402
                             evaluate_on_test, open_study, run_worker)
from nnstudio.gui.tune.table import CONFIRMED, VAL_LOSS  # noqa: E402
from tuning_fixtures import add_scored_trials, iris_config, small_space  # noqa: E402

RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def make_tab(qtbot, data_dir):
    tabs = []

    def make(config: ExperimentConfig) -> TuningTab:
        tab = TuningTab(lambda: config)
        qtbot.addWidget(tab)
        tab.space_editor.set_space(small_space())
        tab.workersSpin.setValue(1)
        tabs.append(tab)
        return tab

    yield make
    for tab in tabs:
        tab.shutdown()
        assert not tab.is_running()


def table_column(tab: TuningTab, col: int) -> list[str]:
    return [tab.trialsTable.item(r, col).text() for r in range(tab.trialsTable.rowCount())]


def start_and_wait(qtbot, tab: TuningTab) -> None:
    assert tab.startTuningButton.isEnabled()
    qtbot.mouseClick(tab.startTuningButton, Qt.MouseButton.LeftButton)
    assert tab.is_running() and tab.stopTuningButton.isEnabled()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=RUN_TIMEOUT_MS)


def test_run_fills_table_and_plots_and_loads_the_best(qtbot, make_tab):
    tab = make_tab(iris_config())
    tab.nTrialsSpin.setValue(4)
    tab.epochsSpin.setValue(10)
    tab.studyCombo.setEditText("gui-run")
    start_and_wait(qtbot, tab)

    tuning = open_study(None, "gui-run", heartbeat=False)
    trials = tuning.trials()
    assert len(trials) == 4 and {t.state.name for t in trials} <= {"COMPLETE", "PRUNED"}
    assert table_column(tab, 0) == ["0", "1", "2", "3"]
    assert table_column(tab, 1) == [t.state.name for t in trials]
    assert tab.tuningProgress.value() == tab.tuningProgress.maximum() == 4
    assert tab.tuningStatus.text().startswith("Finished")

    complete = [t for t in trials if t.state.name == "COMPLETE"]
    x, y = tab.historyPlot.values.getData()
    assert list(x) == [t.number for t in complete] and list(y) == pytest.approx([t.value for t in complete])
    _, best_line = tab.historyPlot.best.getData()
    assert list(best_line) == pytest.approx(list(itertools.accumulate(y, max)))
    assert set(tab.intermediatePlot.curves) == {t.number for t in trials}

    best = tuning.best_trial()
    with qtbot.waitSignal(tab.openInEditor, timeout=1000) as blocker:
        qtbot.mouseClick(tab.loadBestButton, Qt.MouseButton.LeftButton)
    loaded = blocker.args[0]
    assert loaded == config_of_trial(best)
    trainer = Trainer(loaded, cached_split(loaded.data), histograms=False)
    for _ in trainer.run():
        pass
    _, accuracy = trainer.evaluate(trainer.X_val, trainer.split.y_val)
    assert accuracy == best.value  # same seed, same network, same validation accuracy

    # a selected trial loads the same way, and "Evaluate on test" reports its test metrics once
    tab.trialsTable.select_number(trials[-1].number)
    with qtbot.waitSignal(tab.openInEditor, timeout=1000) as blocker:
        qtbot.mouseClick(tab.loadTrialButton, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == config_of_trial(trials[-1])
    qtbot.mouseClick(tab.evaluateTestButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.testResultLabel.text().startswith("Test accuracy"), timeout=30_000)
    expected = evaluate_on_test(config_of_trial(trials[-1]))
    assert f"accuracy {expected.test_accuracy:.4f}" in tab.testResultLabel.text()
    assert f"trial #{trials[-1].number}" in tab.testResultLabel.text()


def test_stop_ends_promptly_and_leaves_no_running_trial(qtbot, make_tab):
    tab = make_tab(iris_config(patience=100000))
    tab.epochsSpin.setValue(100000)  # a trial that would take minutes
    tab.studyCombo.setEditText("gui-stop")
    qtbot.mouseClick(tab.startTuningButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "RUNNING" in table_column(tab, 1), timeout=RUN_TIMEOUT_MS)
    assert not tab.space_editor.isEnabled() and not tab.startTuningButton.isEnabled()
    assert tab.settingsPanel.isHidden()  # the results get the room while tuning runs
    qtbot.mouseClick(tab.stopTuningButton, Qt.MouseButton.LeftButton)
    assert not tab.stopTuningButton.isEnabled()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=30_000)
    states = [t.state.name for t in open_study(None, "gui-stop", heartbeat=False).trials()]
    assert states and "RUNNING" not in states
    assert table_column(tab, 1)[-1] == "FAIL (stopped)"
    assert tab.tuningStatus.text().startswith("Stopped")
    # the results keep the room after the run; the button says how to get the settings back
    assert tab.startTuningButton.isEnabled() and tab.settingsPanel.isHidden()
    assert tab.settingsButton.text() == "Show settings"
    qtbot.mouseClick(tab.settingsButton, Qt.MouseButton.LeftButton)
    assert not tab.settingsPanel.isHidden() and tab.settingsButton.text() == "Hide settings"


def test_existing_study_is_shown_and_resumed(qtbot, make_tab):
    settings = TuneSettings(epochs=8, sampler="random", pruner="none")
    tuning = create_study(None, "gui-resume", iris_config(), small_space(), settings)
    tuning.set_target(2)
    run_worker(tuning)
    tab = make_tab(iris_config(learning_rate=0.5))  # the editor's config is not the study's
    qtbot.waitUntil(lambda: tab.studyCombo.findText("gui-resume") >= 0, timeout=10_000)
    tab.studyCombo.setCurrentIndex(tab.studyCombo.findText("gui-resume"))
    qtbot.waitUntil(lambda: tab.trialsTable.rowCount() == 2, timeout=10_000)
    assert tab.samplerCombo.currentData() == "random" and tab.epochsSpin.value() == 8
    assert not tab.space_editor.isEnabled()
    assert "Existing study" in tab.studyInfoLabel.text()
    tab.nTrialsSpin.setValue(1)
    start_and_wait(qtbot, tab)
    again = open_study(None, "gui-resume", heartbeat=False)
    assert len(again.trials()) == 3 and tab.trialsTable.rowCount() == 3
    assert config_of_trial(again.trials()[-1]).epochs == settings.epochs  # the study's base, not the editor's


def test_load_best_picks_the_trial_the_command_line_calls_best(qtbot, make_tab, capsys):
    """Equal validation accuracies: the table, Load best and ``nnstudio tune`` all take the lower loss."""
    tuning = create_study(None, "gui-ties", iris_config(), small_space(), TuneSettings(epochs=8))
    numbers = add_scored_trials(tuning, [(1.0, 0.30), (0.95, 0.01), (1.0, 0.12), (1.0, 0.20)])
    tuning.set_target(len(numbers))
    assert main(["tune", "--join", "--study", "gui-ties"]) == 0
    assert f"Best so far: trial #{numbers[2]}," in capsys.readouterr().out

    tab = make_tab(iris_config())
    qtbot.waitUntil(lambda: tab.studyCombo.findText("gui-ties") >= 0, timeout=10_000)
    tab.studyCombo.setCurrentIndex(tab.studyCombo.findText("gui-ties"))
    qtbot.waitUntil(lambda: tab.trialsTable.rowCount() == 4, timeout=10_000)
    assert table_column(tab, VAL_LOSS) == ["0.3000", "0.0100", "0.1200", "0.2000"]
    assert tab.trialsTable.best_number == numbers[2]
    assert tab.snapshot().best().number == numbers[2]
    with qtbot.waitSignal(tab.openInEditor, timeout=1000) as blocker:
        qtbot.mouseClick(tab.loadBestButton, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == config_of_trial(tuning.best_trial())
    assert blocker.args[0] == config_of_trial(tuning.trials()[numbers[2]])
    assert blocker.args[0] != config_of_trial(tuning.trials()[numbers[0]])  # Optuna's first of the equal values


def test_space_editor_validates_inline_and_blocks_start(qtbot, make_tab):
    tab = make_tab(iris_config())
    editor = tab.space_editor
    low = editor.findChild(type(editor.rows["learning_rate"].low), "dim_learning_rate_low")
    problem = editor.rows["learning_rate"].problem
    low.clear()
    qtbot.keyClicks(low, "0.5")
    assert "below high" in problem.text() and not problem.isHidden()
    assert not tab.startTuningButton.isEnabled()
    low.clear()
    qtbot.keyClicks(low, "1e-4")
    assert problem.isHidden() and tab.startTuningButton.isEnabled()
    assert editor.space()["learning_rate"].low == 1e-4

    clip_value_low = editor.rows["clip_value"].low
    clip_value_low.clear()
    qtbot.keyClicks(clip_value_low, "0")
    assert "> 0" in editor.rows["clip_value"].problem.text()
    editor.rows["clip_value"].enabled.setChecked(False)   # a fixed dimension is not checked
    assert tab.startTuningButton.isEnabled()

    for action in editor.rows["clip_type"].menu.actions():
        action.setChecked(False)
    assert "at least one" in editor.rows["clip_type"].problem.text()
    assert not tab.startTuningButton.isEnabled()
    qtbot.mouseClick(tab.resetSpaceButton, Qt.MouseButton.LeftButton)
    assert editor.space() == SearchSpace() and tab.startTuningButton.isEnabled()


def test_bad_storage_url_is_reported_without_starting(qtbot, make_tab):
    tab = make_tab(iris_config())
    tab.storageCombo.setCurrentIndex(tab.storageCombo.findData("url"))
    assert not tab.startTuningButton.isEnabled()  # no URL yet
    qtbot.keyClicks(tab.storageUrlEdit, "not-a-url")
    start_and_wait(qtbot, tab)
    assert "is not a database URL" in tab.tuningStatus.text()
    assert tab.trialsTable.rowCount() == 0


def open_existing(qtbot, tab: TuningTab, name: str, rows: int) -> None:
    qtbot.waitUntil(lambda: tab.studyCombo.findText(name) >= 0, timeout=10_000)
    tab.studyCombo.setCurrentIndex(tab.studyCombo.findText(name))
    qtbot.waitUntil(lambda: tab.trialsTable.rowCount() == rows, timeout=10_000)


def test_confirm_top_retrains_the_best_trials_and_best_follows_the_mean(qtbot, make_tab):
    tuning = create_study(None, "gui-confirm", iris_config(), small_space(), TuneSettings(epochs=8))
    add_scored_trials(tuning, [(1.0, 0.05), (0.99, 0.1), (0.98, 0.1), (0.97, 0.1), (0.96, 0.1), (0.5, 0.9)])
    tab = make_tab(iris_config())
    open_existing(qtbot, tab, "gui-confirm", 6)
    assert tab.trialsTable.isColumnHidden(CONFIRMED)  # no room taken before anything is confirmed
    button = tab.confirmTopButton
    assert button.isEnabled() and "training seeds" in button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert tab.is_running() and not button.isEnabled() and not tab.startTuningButton.isEnabled()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=RUN_TIMEOUT_MS)

    tuning = open_study(None, "gui-confirm", heartbeat=False)
    confirmed = tuning.confirmations()
    assert len(confirmed) == 5 and all(len(c.values) == 3 for c in confirmed.values())
    assert tab.snapshot().confirm_done == tab.snapshot().confirm_total == 10
    assert not tab.trialsTable.isColumnHidden(CONFIRMED)
    shown = table_column(tab, CONFIRMED)
    assert shown[5] == "" and shown[:5] == [f"{confirmed[n].mean:.4f}" for n in range(5)]
    best = tuning.best_trial()
    assert best.number in confirmed and tab.trialsTable.best_number == best.number
    status = tab.tuningStatus.text()
    assert status.startswith("Confirmed 5 trials") and f"trial #{best.number}" in status
    with qtbot.waitSignal(tab.openInEditor, timeout=1000) as blocker:
        qtbot.mouseClick(tab.loadBestButton, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == config_of_trial(best)  # its own config and seed
    assert button.isEnabled() and tab.startTuningButton.isEnabled()


def test_stop_aborts_the_confirmation(qtbot, make_tab):
    settings = TuneSettings(epochs=100000)  # confirmation runs that would take minutes
    tuning = create_study(None, "gui-confirm-stop", iris_config(patience=100000), small_space(), settings)
    first, _ = add_scored_trials(tuning, [(1.0, 0.05), (0.9, 0.1)])
    tab = make_tab(iris_config())
    tab.workersSpin.setValue(2)  # in worker processes
    open_existing(qtbot, tab, "gui-confirm-stop", 2)
    qtbot.mouseClick(tab.confirmTopButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.tuningStatus.text().startswith("Confirming: 0 of 4"), timeout=30_000)
    qtbot.mouseClick(tab.stopTuningButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=30_000)
    assert "Confirmation stopped after 0 of 4 runs" in tab.tuningStatus.text()
    tuning = open_study(None, "gui-confirm-stop", heartbeat=False)
    assert tuning.confirmations() == {} and tuning.best_trial().number == first
    assert tab.trialsTable.best_number == first and tab.confirmTopButton.isEnabled()


# -- what the tab shows in a 1280 x 800 window ---------------------------------------------------

FULL_NAMES = {"historyPlot": "Optimization history", "intermediatePlot": "Intermediate values",
              "importancePlot": "Parameter importance"}


def plots_fit(tab: TuningTab) -> None:
    """Every plot's title, axis labels and legend are whole and inside the plot."""
    from PySide6.QtGui import QFontMetrics

    deck = tab.findChild(QWidget, "tuningPlots")
    for plot in (tab.historyPlot, tab.intermediatePlot, tab.importancePlot):
        item = plot.getPlotItem()
        box = item.getViewBox()
        if deck.side_by_side:
            assert plot.shown_title() == plot.title, plot.title
            assert QFontMetrics(plot.title_font()).horizontalAdvance(plot.shown_title()) <= box.width()
        else:  # one tab per plot: the tab names it, in full
            assert plot.shown_title() == ""
            assert deck.tabs.tabText(deck.tabs.indexOf(plot)) == plot.title
        assert FULL_NAMES[plot.objectName()] in plot.toolTip()  # the full meaning is in the tooltip
        left, bottom = item.getAxis("left"), item.getAxis("bottom")
        if left.label.isVisible() and left.labelText:
            assert left.label.boundingRect().width() <= box.height(), left.labelText
        assert bottom.label.boundingRect().width() <= box.width(), bottom.labelText
    if not deck.side_by_side:
        bar = deck.tabs.tabBar()
        assert sum(bar.tabRect(i).width() for i in range(bar.count())) <= deck.tabs.width()
    legend = tab.historyPlot.legend
    if deck.side_by_side or deck.tabs.currentWidget() is tab.historyPlot:
        view = tab.historyPlot.getPlotItem().getViewBox().sceneBoundingRect()
        assert not legend.sceneBoundingRect().intersects(view)  # under the plot, never over a point
        assert legend.sceneBoundingRect().right() <= tab.historyPlot.width()


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_in_the_window_the_space_editor_and_plots_fit(qtbot, data_dir, size):
    from PySide6.QtCore import QSettings

    from nnstudio.gui.main_window import MainWindow

    QSettings().clear()
    window = MainWindow(iris_config())
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    tab = window.findChild(QWidget, "tuningTab")
    window.tabs.setCurrentWidget(tab)
    try:
        scroll = tab.settingsPanel
        qtbot.waitUntil(lambda: tab.importancePlot.getPlotItem().getViewBox().width() > 50)
        # the search space: no sideways scrolling, every row and the reset button whole
        qtbot.waitUntil(lambda: not scroll.horizontalScrollBar().isVisible(), timeout=3000)  # after the layout settles
        assert tab.space_editor.width() <= scroll.viewport().width()
        button = tab.resetSpaceButton
        assert button.text() == "Article's space" and button.width() >= button.sizeHint().width()
        right = button.mapTo(scroll.widget(), button.rect().topRight()).x()
        assert right <= scroll.viewport().width()
        initializer = tab.space_editor.rows["init_method"].choices
        assert initializer.text().endswith("…") and "he_normal" in initializer.toolTip()
        # the empty importance plot's hint is wrapped inside the plot
        box = tab.importancePlot.getPlotItem().getViewBox()
        assert tab.importancePlot.placeholder.textItem.boundingRect().width() <= box.width()

        tab.space_editor.set_space(small_space())
        tab.workersSpin.setValue(1)
        tab.nTrialsSpin.setValue(3)
        tab.epochsSpin.setValue(5)
        tab.studyCombo.setEditText(f"gui-fit-{size[0]}")
        start_and_wait(qtbot, tab)
        assert (window.width(), window.height()) == size
        assert tab.trialsTable.rowCount() == 3
        assert not scroll.horizontalScrollBar().isVisible()
        plots_fit(tab)
        deck = tab.findChild(QWidget, "tuningPlots")
        if not deck.side_by_side:
            for plot in (tab.intermediatePlot, tab.importancePlot, tab.historyPlot):
                deck.tabs.setCurrentWidget(plot)
                qtbot.waitUntil(lambda p=plot: p.getPlotItem().getViewBox().width() > 50)
                plots_fit(tab)
        # settings hidden (as while tuning runs): the plots share the width, side by side
        tab.settingsButton.setChecked(False)
        qtbot.waitUntil(lambda: deck.side_by_side)
        qtbot.waitUntil(lambda: all(p.getPlotItem().getViewBox().width() > 50 for p in deck.plots))
        plots_fit(tab)
        assert (window.width(), window.height()) == size
    finally:
        window.shutdown()


def test_the_database_password_is_masked_in_the_url_field(qtbot, make_tab):
    tab = make_tab(iris_config())
    tab.show()
    qtbot.waitExposed(tab)
    tab.storageCombo.setCurrentIndex(tab.storageCombo.findData("url"))
    edit = tab.storageUrlEdit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClicks(edit, "postgresql://ann:s3cret@db.example:5432/studies")
    assert "s3cret" in edit.text()  # typing shows what is typed
    tab.studyCombo.setFocus()
    qtbot.waitUntil(lambda: not edit.hasFocus())
    assert "s3cret" not in edit.text() and "***" in edit.text() and "ann" in edit.text()
    assert tab.study.storage_url() == "postgresql://ann:s3cret@db.example:5432/studies"
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(edit.hasFocus)
    assert edit.text() == "postgresql://ann:s3cret@db.example:5432/studies"


def test_trials_at_chance_are_marked_and_the_tab_names_the_common_cause(qtbot, make_tab):
    from nnstudio.gui.tune.table import FINDING
    from nnstudio.presets import load_preset

    tab = make_tab(load_preset("article"))
    tab.space_editor.set_space(SearchSpace.default().replace("n_layers", low=6, high=7)
                               .replace("hidden_size", low=32, high=40).replace("learning_rate", low=0.3, high=0.6)
                               .replace("init_method", choices=("glorot_uniform",)))
    tab.nTrialsSpin.setValue(4)
    tab.epochsSpin.setValue(6)
    tab.prunerCombo.setCurrentIndex(tab.prunerCombo.findData("none"))
    tab.studyCombo.setEditText("gui-chance")
    start_and_wait(qtbot, tab)
    assert table_column(tab, FINDING) == ["at chance · vanishing gradients"] * 4
    status = tab.tuningStatus.text()
    assert "4 of 4 trials scored at chance level, most (4) with vanishing gradients" in status
    assert "deep sigmoid networks trained with SGD do not learn" in status
