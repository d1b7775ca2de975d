"""Typed values a control does not take are explained inline, and odd but allowed ones get a note."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from test_gui_editor import moons_config, studio, type_units_in  # noqa: F401 - fixture
from test_gui_window import dialogs, window  # noqa: F401 - fixtures

pytest.importorskip("pytestqt")


def type_into(qtbot, studio, name: str, text: str) -> None:
    """Select the box's text, type ``text`` and press Return, as a user does."""
    spin = studio.w(name)
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_a_negative_learning_rate_is_refused_with_the_range_inline(qtbot, studio):
    before = studio.editor.config.learning_rate
    note = studio.w("refusedEntryNote")
    type_into(qtbot, studio, "learningRateSpin", "-1")
    assert studio.editor.config.learning_rate == before  # not applied ...
    assert note.isVisibleTo(studio)  # ... and said so, with the range and a link to the box
    assert "Learning rate: -1 was not applied; allowed: above 0, up to 1,000,000" in note.text()
    assert f"It stays {before:g}" in note.text() and 'href="learning_rate"' in note.text()
    type_into(qtbot, studio, "learningRateSpin", "0.02")  # a value taken clears the note
    assert studio.editor.config.learning_rate == 0.02 and not note.isVisibleTo(studio)


def test_zero_epochs_is_refused_with_the_range_inline(qtbot, studio):
    before = studio.editor.config.epochs
    type_into(qtbot, studio, "epochsSpin", "0")
    assert studio.editor.config.epochs == before
    note = studio.w("refusedEntryNote")
    assert note.isVisibleTo(studio)
    assert f"Epochs: 0 was not applied; allowed: 1 to 1,000,000. It stays {before}." in note.text()
    studio.w("learningRateSpin").setFocus()  # leaving the box keeps the explanation
    assert note.isVisibleTo(studio)


@pytest.mark.parametrize("name, typed, field, allowed", [
    ("epochsSpin", "2000000", "Epochs", "1 to 1,000,000"),  # above the top: Qt alone eats the last key
    ("seedSpin", "-5", "Seed", "0 to 2,147,483,647"),
    ("batchSizeSpin", "-1", "Batch size", "0 (full batch) to 1,000,000"),
])
def test_numbers_past_either_end_are_typed_whole_then_refused(qtbot, studio, name, typed, field, allowed):
    before = studio.editor.config
    type_into(qtbot, studio, name, typed)
    assert studio.editor.config == before
    note = studio.w("refusedEntryNote").text()
    assert f"{field}: {typed} was not applied; allowed: {allowed}." in note


def test_a_data_fraction_out_of_range_is_refused_in_the_data_panel(qtbot, studio):
    type_into(qtbot, studio, "valFractionSpin", "0")
    note = studio.w("dataRefusedNote")
    assert note.isVisibleTo(studio) and "0 was not applied; allowed: 0.01 to 0.8" in note.text()
    assert not studio.w("refusedEntryNote").isVisibleTo(studio)  # said once, in the panel of the box
    assert studio.editor.config.data.val_fraction == moons_config().data.val_fraction
    type_into(qtbot, studio, "testFractionSpin", "0.9")  # past the top
    assert "Test fraction: 0.9 was not applied; allowed: 0 to 0.8." in note.text()


def test_a_tiny_learning_rate_and_a_batch_beyond_the_rows_get_a_note(qtbot, studio):
    notes = studio.w("configNotesLabel")
    type_into(qtbot, studio, "learningRateSpin", "1e-9")
    assert studio.editor.config.learning_rate == 1e-9
    assert notes.isVisibleTo(studio) and "1e-09 is tiny: the weights will barely move" in notes.text()
    rows = studio.editor.info.sizes["train"]
    type_into(qtbot, studio, "batchSizeSpin", "100000")
    assert studio.editor.config.batch_size == 100000
    assert f"Batch size 100,000 is more than the {rows:,} training rows" in notes.text()
    assert "full batch" in notes.text()
    type_into(qtbot, studio, "batchSizeSpin", str(rows))  # exactly the rows: nothing to say about it
    assert "training rows" not in notes.text()


def _type_units_in_window(qtbot, window, text: str) -> None:
    """Type ``text`` into hidden layer 1's units cell of the window's layer table, then Return."""
    type_units_in(qtbot, window.findChild(QWidget, "layerEditor"), 0, text)


def _visible_texts(window) -> list[str]:
    return [label.text() for label in window.findChildren(QLabel) if label.isVisible() and label.text()]


def test_an_impossible_layer_width_is_explained_once_and_gets_no_size_note(qtbot, window):
    _type_units_in_window(qtbot, window, "999999")
    assert window.editor.config.layers[0].units == 999999
    texts = _visible_texts(window)
    full = [t for t in texts if "999999 cannot be used here" in t]
    assert len(full) == 1 and full[0].startswith("⚠ Hidden layer 1 units")  # under the layer table only
    assert not any("Large design" in t or "parameters" in t for t in texts)  # no size for a design that cannot be
    assert any("Hidden layer 1 units needs a change" in t for t in texts)  # the status bar points to it
    window.editor.undo_stack.undo()
    assert not any("needs a change" in t for t in _visible_texts(window))


def test_a_decimal_comma_is_a_point_in_a_rate_box_and_explained_in_a_fraction_box(qtbot, studio):
    # a comma typed into a rate is never dropped: "0,02" used to become 0.02 × 100
    type_into(qtbot, studio, "learningRateSpin", "0,02")
    assert studio.editor.config.learning_rate == 0.02
    assert not studio.w("refusedEntryNote").isVisibleTo(studio)
    # a box of fractions reads "0,3" as 3 (thousands): refused, and the note says what to type
    before = studio.editor.config.data.val_fraction
    type_into(qtbot, studio, "valFractionSpin", "0,3")
    assert studio.editor.config.data.val_fraction == before
    note = studio.w("dataRefusedNote")
    assert note.isVisibleTo(studio)
    assert "Validation fraction: 0,3 was not applied (decimals take a point: 0.3); allowed: 0.01 to 0.8." in note.text()
    type_into(qtbot, studio, "valFractionSpin", "0.3")
    assert studio.editor.config.data.val_fraction == 0.3


def test_the_window_writes_numbers_with_a_point_whatever_the_system_locale(qtbot):
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication, QDoubleSpinBox

    from nnstudio.gui.app import configure_application

    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    try:
        configure_application(QApplication.instance())
        spin = QDoubleSpinBox()
        qtbot.addWidget(spin)
        spin.setValue(0.15)
        assert spin.text() == "0.15"
        spin.setRange(0, 1e7)
        spin.setValue(2000000)
        assert spin.text() == "2000000.00"  # no thousands separator either
    finally:
        QLocale.setDefault(before)
