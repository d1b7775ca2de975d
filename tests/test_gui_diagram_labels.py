"""The network diagram's labels follow one rule per row at every width: all in full, all short,
or none — never some layers labelled and others not."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics

from nnstudio.gui.editor import NetworkDiagram
from nnstudio.gui.editor.network_diagram import SHORT_NAMES, label_row, short_size

SIZES = [64, 12000, 128, 10]
NAMES = ["input", "sigmoid", "leaky_relu", "softmax"]


@pytest.fixture
def diagram(qtbot):
    d = NetworkDiagram()
    qtbot.addWidget(d)
    d.set_layers(SIZES, NAMES)
    d.show()
    qtbot.waitExposed(d)
    return d


FULL = ([str(n) for n in SIZES], NAMES)
SHORT = (["64", "12k", "128", "10"], [SHORT_NAMES[n] for n in NAMES])


@pytest.mark.parametrize("width, expected", [
    (600, FULL),  # room for everything in full
    (160, SHORT),  # "sigmoid" and "12000" no longer fit: both rows short, every layer alike
])
def test_label_rows_at_two_widths(qtbot, diagram, width, expected):
    diagram.resize(width, 240)
    qtbot.waitUntil(lambda: diagram.width() == width)
    assert diagram.label_rows() == expected


def test_at_every_width_each_row_is_all_full_all_short_or_empty_and_fits(qtbot, diagram):
    fm = QFontMetrics(diagram._label_font(diagram.font()))
    seen = set()
    for width in range(diagram.minimumWidth(), 601, 10):
        diagram.resize(width, 240)
        qtbot.waitUntil(lambda: diagram.width() == width)
        sizes, activations = diagram.label_rows()
        assert sizes in (FULL[0], SHORT[0], []), width
        assert activations in (FULL[1], SHORT[1], []), width
        column = (width - 28) / len(SIZES)
        assert all(fm.horizontalAdvance(text) < column for text in sizes + activations)  # none over a neighbour
        seen.add((len(sizes) > 0, len(activations) > 0))
    assert (True, True) in seen and (True, False) in seen  # activations go as a row before the sizes


def test_label_row_and_short_sizes():
    assert [short_size(n) for n in (0, 7, 999, 1000, 12_345, 2_600_000)] == ["?", "7", "999", "1k", "12k", "2M"]
    assert label_row(["aaaa", "b"], ["a", "b"], lambda t: len(t) <= 2) == ["a", "b"]
    assert label_row(["aaaa", "b"], ["aaa", "b"], lambda t: len(t) <= 2) == []
    assert label_row(["aa", "b"], ["a", "b"], lambda t: len(t) <= 2) == ["aa", "b"]
