"""The Tune tab stays true while the layout and the study change: the history plot shows every
trial after the settings return, counts follow other workers, and nothing moves under the mouse."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402

from nnstudio.tuning import TuneSettings, create_study  # noqa: E402
from test_gui_tuning import RUN_TIMEOUT_MS, make_tab, open_existing, start_and_wait  # noqa: E402,F401
from tuning_fixtures import add_scored_trials, iris_config, small_space  # noqa: E402


def scored_study(name: str, n: int, seed: int = 0):
    tuning = create_study(None, name, iris_config(), small_space(), TuneSettings(epochs=2, pruner="none"))
    rng = random.Random(seed)
    add_scored_trials(tuning, [(rng.uniform(0.3, 0.95), 0.5) for _ in range(n)])
    return tuning


def whole_plot_shown(qtbot, plot, numbers: list[int], best: int) -> None:
    """The plot's scene is the widget (nothing drawn past its edges), the view spans every trial,
    the best trial's point is inside the widget, and so is the legend."""
    item = plot.getPlotItem()
    box = item.getViewBox()
    widget = QRectF(plot.rect())
    qtbot.waitUntil(lambda: item.geometry().width() <= widget.width() + 0.5
                    and item.geometry().height() <= widget.height() + 0.5, timeout=3000)
    plot.grab()  # a paint: pyqtgraph brings an auto range up to date before painting
    (x0, x1), _ = box.viewRange()
    assert x0 <= min(numbers) and x1 >= max(numbers), (x0, x1, numbers)
    xs, ys = plot.values.getData()
    i = list(xs).index(best)
    point = plot.mapFromScene(box.mapViewToScene(QPointF(xs[i], ys[i])))
    assert widget.contains(QPointF(point)), (point, widget)
    assert box.sceneBoundingRect().right() <= widget.right() + 0.5
    legend = plot.legend.sceneBoundingRect()
    assert widget.contains(legend), (legend, widget)


def test_history_shows_every_trial_when_the_settings_are_shown_again_after_a_run(qtbot, make_tab):
    scored_study("gui-history", 40)
    tab = make_tab(iris_config())
    tab.resize(1100, 700)  # side by side with and without the settings: the plots narrow when they return
    tab.show()
    qtbot.waitExposed(tab)
    open_existing(qtbot, tab, "gui-history", 40)
    tab.nTrialsSpin.setValue(1)
    start_and_wait(qtbot, tab)  # the settings hide while it runs and stay hidden after it
    assert tab.settingsPanel.isHidden() and tab.trialsTable.rowCount() == 41
    qtbot.mouseClick(tab.settingsButton, Qt.MouseButton.LeftButton)  # back: the plots narrow
    assert not tab.settingsPanel.isHidden()
    snapshot = tab.snapshot()
    numbers = [r.number for r in snapshot.rows if r.state == "COMPLETE"]
    whole_plot_shown(qtbot, tab.historyPlot, numbers, snapshot.best().number)
    # a narrower plot still shows everything: the legend re-flows and the plot follows it
    for width in (330, 250, 180):
        tab.historyPlot.setFixedWidth(width)
        qtbot.waitUntil(lambda w=width: tab.historyPlot.width() == w)
        whole_plot_shown(qtbot, tab.historyPlot, numbers, snapshot.best().number)


def test_counts_follow_other_workers_and_say_when_they_are_active(qtbot, make_tab):
    import warnings

    from nnstudio.gui.tune.tab import TuningTab
    from nnstudio.tuning import open_study

    settings = TuneSettings(epochs=100000, pruner="none")  # a trial of the tab's own runs until stopped
    create_study(None, "gui-live", iris_config(patience=100000), small_space(), settings)
    other = open_study(None, "gui-live", heartbeat=False)  # another process's view of the same store
    add_scored_trials(other, [(0.8, 0.4), (0.7, 0.5)])
    tab: TuningTab = make_tab(iris_config())
    tab.show()
    open_existing(qtbot, tab, "gui-live", 2)
    assert "2 complete" in tab.tuningStatus.text() and "Other workers" not in tab.tuningStatus.text()

    # another worker finishes two trials and starts a third: the tab follows, and says so
    add_scored_trials(other, [(0.9, 0.3), (0.6, 0.6)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        running = other.study.ask()
    qtbot.waitUntil(lambda: tab.trialsTable.rowCount() == 5, timeout=10_000)
    qtbot.waitUntil(lambda: "Other workers are running 1 trial" in tab.tuningStatus.text(), timeout=10_000)
    assert "4 complete" in tab.tuningStatus.text() and "Best 0.9000" in tab.tuningStatus.text()
    assert tab.historyPlot.values.getData()[0].tolist() == [0, 1, 2, 3]

    # the tab's own session counts the other process's trial apart from its own
    tab.nTrialsSpin.setValue(2)  # the study's target counts the other process's running trial
    qtbot.mouseClick(tab.startTuningButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "2 running (1 in other processes)" in tab.tuningStatus.text(), timeout=RUN_TIMEOUT_MS)
    qtbot.mouseClick(tab.stopTuningButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=30_000)

    # the other worker's trial ends: the tab, idle again, says that no other worker is active
    other.study.tell(running, 0.95)
    qtbot.waitUntil(lambda: "5 complete" in tab.tuningStatus.text(), timeout=10_000)
    assert "Other workers" not in tab.tuningStatus.text()
    assert tab.trialsTable.rowCount() == 6


def settle() -> None:
    """Deliver the layout requests posted so far (a message's new height is laid out in them)."""
    from PySide6.QtWidgets import QApplication

    for _ in range(3):
        QApplication.sendPostedEvents(None, 0)
        QApplication.processEvents()


def places(tab, buttons) -> list:
    """Where each button is in the tab, and its size."""
    from PySide6.QtCore import QPoint

    return [(b.mapTo(tab, QPoint(0, 0)), b.size()) for b in buttons]


def test_buttons_stay_put_when_status_lines_come_and_grow(qtbot, make_tab):
    scored_study("gui-still", 12)
    tab = make_tab(iris_config())
    tab.resize(900, 700)
    tab.show()
    qtbot.waitExposed(tab)
    buttons = [tab.startTuningButton, tab.stopTuningButton, tab.loadBestButton, tab.loadTrialButton,
               tab.evaluateTestButton, tab.confirmTopButton]
    open_existing(qtbot, tab, "gui-still", 12)
    settle()
    before = places(tab, buttons)
    lines = tab.tuningStatus.fontMetrics().lineSpacing()
    top_of_table = tab.trialsTable.mapTo(tab, tab.trialsTable.rect().topLeft()).y()

    # the test evaluation's lines appear (a real click), then its result
    tab.trialsTable.select_number(3)
    qtbot.mouseClick(tab.evaluateTestButton, Qt.MouseButton.LeftButton)
    assert tab.testResultLabel.text().startswith("Training trial #3")
    qtbot.waitUntil(lambda: tab.testResultLabel.text().startswith("Test accuracy"), timeout=30_000)
    settle()
    assert places(tab, buttons) == before
    assert tab.trialsTable.mapTo(tab, tab.trialsTable.rect().topLeft()).y() >= top_of_table + lines  # it made room

    # a status of one line, then of many: the room for two lines is always kept
    for text in ("Ready.", "Could not write the file: " + "a long reason " * 60):
        tab.tuningStatus.setText(text)
        settle()
        assert places(tab, buttons) == before
    assert tab.tuningStatus.text().endswith("…") and tab.tuningStatus.toolTip().endswith("reason ")


def test_quitting_mid_study_names_the_running_study(qtbot, make_tab):
    from PySide6.QtWidgets import QMessageBox

    from nnstudio.gui.tune.actions import quit_box

    tab = make_tab(iris_config(patience=100000))
    tab.epochsSpin.setValue(100000)  # a trial that would take minutes
    tab.nTrialsSpin.setValue(3)
    tab.studyCombo.setEditText("gui-quit")
    assert tab.quit_question() is None and tab.confirm_quit()  # nothing runs: nothing to ask
    qtbot.mouseClick(tab.startTuningButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.snapshot() is not None and tab.snapshot().count("RUNNING") == 1,
                    timeout=RUN_TIMEOUT_MS)
    box = quit_box(tab)
    assert box.windowTitle() == "Quit while tuning?"
    assert "Study 'gui-quit' is running (0 of 3 trials finished, 1 running)" in box.text()
    assert "end as FAIL" in box.text() and box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    assert box.button(QMessageBox.StandardButton.Yes).text() == "Stop and quit"
    qtbot.mouseClick(tab.stopTuningButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=30_000)
    assert tab.quit_question() is None


def test_closing_the_window_mid_study_asks_first_and_no_keeps_it_open(qtbot, data_dir):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

    from nnstudio.gui.main_window import MainWindow

    window = MainWindow(iris_config(patience=100000))
    qtbot.addWidget(window)
    window.show()
    tab = window.findChild(QWidget, "tuningTab")
    try:
        tab.space_editor.set_space(small_space())
        tab.workersSpin.setValue(1)
        tab.epochsSpin.setValue(100000)
        tab.studyCombo.setEditText("gui-close")
        qtbot.mouseClick(tab.startTuningButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: tab.snapshot() is not None and tab.snapshot().count("RUNNING") == 1,
                        timeout=RUN_TIMEOUT_MS)
        seen = []

        def answer_no():
            box = QApplication.activeModalWidget()
            if not isinstance(box, QMessageBox):
                QTimer.singleShot(20, answer_no)
                return
            seen.append(box.text())
            qtbot.mouseClick(box.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)

        QTimer.singleShot(0, answer_no)
        assert not window.close()  # the dialog answered No: the window stays, the study runs on
        assert "Study 'gui-close' is running" in seen[0]
        assert window.isVisible() and tab.is_running()
    finally:
        window.shutdown()


def test_the_trial_axis_labels_whole_numbers(qtbot, make_tab):
    """Three trials span trials 0 to 2: the history's axis says 0, 1, 2, never 0.5."""
    from plot_probes import axis_labels

    scored_study("gui-whole", 3)
    tab = make_tab(iris_config())
    tab.resize(1100, 700)
    tab.show()
    qtbot.waitExposed(tab)
    open_existing(qtbot, tab, "gui-whole", 3)
    tab.settingsButton.setChecked(False)
    plot = tab.historyPlot
    qtbot.waitUntil(lambda: plot.getPlotItem().getViewBox().width() > 50)
    plot.grab()
    labels = [text for text, _rect in axis_labels(plot, "bottom")]
    assert all(text.isdigit() for text in labels), labels
    assert {0, 1, 2} <= {int(text) for text in labels}


def test_the_importance_plot_says_why_it_has_no_bars(qtbot, make_tab):
    """Too few complete trials, a rating under way, or bars: never "needs trials" beside a table
    full of complete ones."""
    from dataclasses import replace

    from nnstudio.tuning.results import MIN_COMPLETE_FOR_IMPORTANCE

    scored_study("gui-imp-few", MIN_COMPLETE_FOR_IMPORTANCE - 1)
    scored_study("gui-imp", MIN_COMPLETE_FOR_IMPORTANCE + 2)
    tab = make_tab(iris_config())
    tab.show()
    qtbot.waitExposed(tab)
    plot = tab.importancePlot
    assert plot.placeholder.isVisible() and "Importances appear once" in plot.placeholder.toPlainText()
    open_existing(qtbot, tab, "gui-imp-few", MIN_COMPLETE_FOR_IMPORTANCE - 1)
    assert plot.placeholder.toPlainText().endswith(f"({MIN_COMPLETE_FOR_IMPORTANCE - 1} so far)")
    open_existing(qtbot, tab, "gui-imp", MIN_COMPLETE_FOR_IMPORTANCE + 2)
    qtbot.waitUntil(lambda: bool(plot.importances()), timeout=10_000)
    assert not plot.placeholder.isVisible()
    # a snapshot whose importances are still being rated for its complete trials (as right after a run)
    pending = replace(tab.snapshot(), importances={}, rated_complete=MIN_COMPLETE_FOR_IMPORTANCE)
    tab.results.show_snapshot(pending)
    assert plot.placeholder.isVisible() and not plot.importances()
    text = plot.placeholder.toPlainText()
    assert text.startswith("Rating the importances") and str(MIN_COMPLETE_FOR_IMPORTANCE + 2) in text


def test_empty_study_plots_say_what_will_appear(qtbot, make_tab):
    """Before any trial the history and per-epoch plots say what they will show and when; the
    notes go once the trials of a study are drawn."""
    tab = make_tab(iris_config())
    tab.resize(1100, 700)
    tab.show()
    qtbot.waitExposed(tab)
    tab.settingsButton.setChecked(False)
    history, epochs = tab.historyPlot, tab.intermediatePlot
    for plot, words in ((history, "each complete trial's value"), (epochs, "after every epoch")):
        qtbot.waitUntil(lambda p=plot: p.getPlotItem().getViewBox().width() > 50)
        note = plot.empty_note
        assert note.isVisible() and words in note.toPlainText()
        assert note.textItem.boundingRect().width() <= plot.getPlotItem().getViewBox().width()
    tab.nTrialsSpin.setValue(2)
    tab.epochsSpin.setValue(3)
    tab.studyCombo.setEditText("gui-empty-notes")
    start_and_wait(qtbot, tab)
    assert tab.trialsTable.rowCount() == 2
    assert not history.empty_note.isVisible() and not epochs.empty_note.isVisible()
