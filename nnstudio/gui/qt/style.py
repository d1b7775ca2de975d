"""Everything visual in one place: the palette, text and axis colours, status banners, state colours.

The series, text and axis colours are defined Qt-free in :mod:`nnstudio.palette` (the headless
pictures draw with them too) and re-exported here.

Widgets and plots take their colours and banner styles from here, so the look of the window is
changed (or checked) in one file.  Importing this module loads no pyqtgraph; :func:`style_axis`
and :func:`configure_pyqtgraph` import it when called.
"""

from __future__ import annotations

from ...palette import AXIS_COLOR, BAND_ALPHA, BEST_COLOR, PALETTE, TEXT_COLOR  # noqa: F401  (one definition)

TRAIN_COLOR, VAL_COLOR = PALETTE[0], PALETTE[1]
STOP_COLOR = "#d62728"                             # stop marks; BEST_COLOR: best-epoch / best-so-far marks
NOTE_COLOR = "#707070"                             # secondary text inside plots
PRUNED_COLOR = "#9e9e9e"                           # pruned trials
RECOMMENDED_COLOR, RECOMMENDED_EDGE = BEST_COLOR, "#1b5e20"
BACKGROUND = "w"                                   # plot background (pyqtgraph colour)

# Text colours with a meaning (status bar, tables, messages)
SUCCESS_TEXT = "#1b5e20"
BUSY_TEXT = "#0d47a1"
ERROR_TEXT = "#b71c1c"
PROBLEM_TEXT = "#c62828"        # an invalid entry in a form
MUTED_TEXT = "#757575"
WARNING_TEXT = "#e65100"
SUCCESS_BACKGROUND = "#e8f5e9"  # a highlighted (best) table row
DARK_TEXT, LIGHT_TEXT = "#202020", "white"  # on light / dark cells (the confusion matrix)
TRIAL_STATE_COLORS = {"COMPLETE": SUCCESS_TEXT, "PRUNED": MUTED_TEXT, "FAIL": PROBLEM_TEXT, "RUNNING": WARNING_TEXT,
                      "WAITING": MUTED_TEXT}

# The window icon: edges between nodes, node outline and fill (RGBA tuples or names)
ICON_EDGE = (33, 102, 172, 170)
ICON_NODE_EDGE, ICON_NODE_FILL = TEXT_COLOR, "#fdd835"

# Status banners: a QLabel with a ``severity`` property; "info" (or none) is unstyled.
BANNER_COLORS = {  # severity -> (background, text, border)
    "success": ("#e8f5e9", "#1b5e20", "#a5d6a7"),
    "warning": ("#fff3e0", "#8a4b00", "#ffb74d"),
    "error": ("#fdecea", "#8b1a1a", "#ef9a9a"),
}
NOTE_BANNER = "padding: 6px; background: #f1f8e9; border: 1px solid #c5e1a5; border-radius: 3px;"


def color(index: int) -> str:
    """The palette's colour for series ``index`` (the palette repeats)."""
    return PALETTE[index % len(PALETTE)]


def banner_style(object_name: str) -> str:
    """The style sheet of the status banner ``QLabel#object_name``: padded, and coloured by its
    ``severity`` property (see :func:`set_severity`)."""
    rules = [f"QLabel#{object_name} {{ padding: 3px 6px; border-radius: 3px; }}"]
    for severity, (background, text, border) in BANNER_COLORS.items():
        rules.append(f'QLabel#{object_name}[severity="{severity}"] {{ background: {background}; color: {text}; '
                     f"border: 1px solid {border}; }}")
    return "\n".join(rules) + "\n"


def note_banner_style(object_name: str) -> str:
    """A pale green box for a result sentence (the depth recommendation)."""
    return f"QLabel#{object_name} {{ {NOTE_BANNER} }}\n"


def set_severity(label, severity: str) -> None:
    """Restyle a banner for ``severity`` ("success", "warning", "error"; anything else: plain)."""
    label.setProperty("severity", severity)
    label.style().unpolish(label)
    label.style().polish(label)


def text_color_style(color_name: str) -> str:
    return f"color: {color_name};"


def style_axis(axis) -> None:
    """A pyqtgraph axis in the house colours: grey line, dark labels."""
    import pyqtgraph as pg

    axis.setPen(pg.mkPen(AXIS_COLOR))
    axis.setTextPen(pg.mkPen(TEXT_COLOR))


def configure_pyqtgraph() -> None:
    """pyqtgraph's defaults: antialiased, white background, dark foreground."""
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True, background=BACKGROUND, foreground=TEXT_COLOR)
