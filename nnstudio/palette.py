"""The house colours that both the window and the headless pictures draw with, without Qt.

:mod:`nnstudio.gui.qt.style` (the window) and :mod:`nnstudio.pictures` (PNG files) take their
series, text and axis colours from here, so a chart looks the same in a tab and in a file.
"""

from __future__ import annotations

import colorsys

# A qualitative palette (matplotlib's "tab10", colour-blind friendly order): train, validation,
# then layers / variants.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
TEXT_COLOR, AXIS_COLOR = "#303030", "#8a8a8a"
BEST_COLOR = "#2ca02c"   # a best epoch, a recommended depth, a chosen rate
BAND_ALPHA = 45          # of 255: the shaded spread band around a mean curve


def series_color(index: int) -> str:
    """Colour ``index`` of :data:`PALETTE`, then evenly spaced hues (17 of them)."""
    if index < len(PALETTE):
        return PALETTE[index]
    r, g, b = colorsys.hsv_to_rgb((index % 17) / 17, 0.85, 0.8)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
