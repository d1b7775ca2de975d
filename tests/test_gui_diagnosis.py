"""The Train tab's Diagnosis page, driven through real clicks: findings appear live with markers
on the loss plot, Try the fix trains both arms in the background and shows the verdict (Stop ends
it), and Apply makes the edit in the editor as one undoable step."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

import nnstudio.gui
from nnstudio.config import DataConfig, LayerConfig
from nnstudio.gui import MainWindow
from nnstudio.gui.train.panel import TrainingPanel
from nnstudio.gui.train.views import DIAGNOSIS_PAGE
from nnstudio.presets import load_preset

LEFT = Qt.MouseButton.LeftButton
TIMEOUT_MS = 120_000
ZEROS = load_preset("article").replace(init_method="zeros", epochs=3, early_stopping=False)


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel(lambda: ZEROS)
    qtbot.addWidget(p)
    p.resize(1200, 760)
    p.show()
    p.diagnosisPanel.backend = "thread"  # both arms in this process: quicker to start in a test
    p.diagnosisPanel.seeds = 2
    yield p
    p.shutdown()
    assert not nnstudio.gui.running_threads()


def train(qtbot, panel):
    with qtbot.waitSignal(panel.trainingFinished, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.trainButton, LEFT)
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=TIMEOUT_MS)


def open_diagnosis(qtbot, panel):
    tabs = panel.insideTabs
    qtbot.mouseClick(tabs.tabBar(), LEFT, pos=tabs.tabBar().tabRect(DIAGNOSIS_PAGE).center())
    assert tabs.currentWidget() is panel.diagnosisPanel


def test_zeros_init_is_diagnosed_with_evidence_and_a_marker(qtbot, panel):
    train(qtbot, panel)
    open_diagnosis(qtbot, panel)
    diagnosis = panel.diagnosisPanel
    card = diagnosis.card("identical_units")
    assert card is not None and card.isVisible()
    assert "ERROR" in card.title.text() and "layer1" in card.title.text() and "epoch 1" in card.title.text()
    assert "Zeros Initialization" in card.message.text()
    evidence = card.evidence.text()
    assert "distinct units" in evidence and "measured at epoch" in evidence and "_" not in evidence, evidence
    assert "measured_at_epoch" not in diagnosis.checkedLabel.text()
    assert "init_method: glorot_uniform" in card.suggestion.text()
    assert "identical units" in diagnosis.headline.text()
    line = panel.findingMarkers.lines[1]  # the loss plot marks where the finding began
    assert line.value() == 1 and "identical units" in line.label.toPlainText()


def test_try_the_fix_shows_progress_and_a_verdict(qtbot, panel):
    train(qtbot, panel)
    open_diagnosis(qtbot, panel)
    card = panel.diagnosisPanel.card("identical_units")
    qtbot.mouseClick(card.tryButton, LEFT)
    assert card.progress.isVisible() and card.stopButton.isVisible() and not card.tryButton.isEnabled()
    qtbot.waitUntil(lambda: card.verdict.isVisible() and not card.busy, timeout=TIMEOUT_MS)
    assert card.verdict.text().startswith("init_method: glorot_uniform helped")
    assert card.verdict.property("severity") == "success"
    assert not card.progress.isVisible() and card.tryButton.isEnabled()


def test_stop_ends_a_trial_within_half_a_second(qtbot, panel):
    train(qtbot, panel)
    open_diagnosis(qtbot, panel)
    card = panel.diagnosisPanel.card("identical_units")
    panel.diagnosisPanel.config = ZEROS.replace(epochs=100_000)  # a trial that would run for hours
    qtbot.mouseClick(card.tryButton, LEFT)
    qtbot.waitUntil(lambda: card.progress.maximum() > 0 and card.progress.value() > 0, timeout=TIMEOUT_MS)
    start = time.perf_counter()
    qtbot.mouseClick(card.stopButton, LEFT)
    assert time.perf_counter() - start < 0.5
    assert not card.busy and "Stopped" in card.verdict.text()


def test_a_healthy_run_says_nothing_looks_wrong(qtbot):
    config = load_preset("moons").replace(epochs=20)
    p = TrainingPanel(lambda: config)
    qtbot.addWidget(p)
    p.show()
    try:
        train(qtbot, p)
        assert p.diagnosisPanel.cards == {} or all(f.severity == "info" for f in p.diagnosisPanel.findings)
        if not p.diagnosisPanel.cards:
            assert "nothing in this run looks wrong" in p.diagnosisPanel.headline.text()
    finally:
        p.shutdown()


def test_apply_edits_the_editor_in_one_undoable_step(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    QSettings().clear()
    design = ZEROS.replace(data=DataConfig("iris"), layers=(LayerConfig(8, "sigmoid"),))
    window = MainWindow(design)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: not window.editor.info.pending, timeout=TIMEOUT_MS)
    panel = window.training_panel
    try:
        train(qtbot, panel)
        open_diagnosis(qtbot, panel)
        card = panel.diagnosisPanel.card("identical_units")
        depth = window.editor.undo_stack.count()
        qtbot.mouseClick(card.applyButton, LEFT)
        assert window.editor.config.init_method == "glorot_uniform"
        assert window.editor.undo_stack.count() == depth + 1
        assert "doctor" in window.editor.undo_stack.undoText()
        window.editor.undo_stack.undo()
        assert window.editor.config.init_method == "zeros"
    finally:
        window.close()
    assert not nnstudio.gui.running_threads()


def _trained_panel(qtbot, config):
    p = TrainingPanel(lambda: config)
    qtbot.addWidget(p)
    p.resize(1200, 760)
    p.show()
    train(qtbot, p)
    open_diagnosis(qtbot, p)
    return p


def test_an_info_finding_is_not_called_the_one_to_start_with_and_its_title_agrees_with_its_text(qtbot):
    """moons with early stopping overfits mildly: one info finding, nothing to act on."""
    p = _trained_panel(qtbot, load_preset("moons"))
    try:
        diagnosis = p.diagnosisPanel
        card = diagnosis.card("overfitting")
        assert card is not None and card.finding.severity == "info"
        headline = diagnosis.headline.text()
        assert "Start with" not in headline and "0 to act on" not in headline
        assert headline.startswith("1 finding, none to act on: overfitting.")
        since = card.finding.epoch
        assert card.title.text().endswith(f"since epoch {since}")
        assert card.message.text().startswith(f"Since epoch {since} ")
    finally:
        p.shutdown()


def test_a_finding_that_cleared_stays_on_the_page_as_cleared(qtbot):
    """spiral's validation loss oscillates for a few hundred epochs and then settles: the page keeps saying so."""
    p = _trained_panel(qtbot, load_preset("spiral"))
    try:
        diagnosis = p.diagnosisPanel
        assert diagnosis.card("oscillating_loss") is None  # it no longer holds at the end
        (cleared,) = [c for c in diagnosis.cleared if c.finding.code == "oscillating_loss"]
        label = diagnosis.clearedLabel
        assert label.isVisible() and "Oscillating loss" in label.text()
        assert f"seen at epochs {cleared.first_epoch}\u2013{cleared.last_epoch}, cleared later" in label.text()
        headline = diagnosis.headline.text()
        assert "nothing in this run looks wrong" not in headline and "cleared: oscillating loss" in headline
        line = p.findingMarkers.lines[cleared.first_epoch]
        assert "oscillating loss (cleared)" in line.label.toPlainText()
    finally:
        p.shutdown()
