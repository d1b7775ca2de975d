"""``trialsTable``: one row per trial and one column per search parameter, sortable and
filterable, updated in place as the study progresses.

Sorting by *Value* (or *Mean ± sd*) puts the best trial first and pruned, running and failed
trials last (:func:`~nnstudio.tuning.views.value_sort_key`, the rule behind "best"); sorting by
a parameter orders by its value with trials that lack it (a shallower network) last.  The *Tied*
column marks the best trial and the trials tied with it.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableWidget, QTableWidgetItem, QWidget

from ...tuning import StudySnapshot, TrialRow
from ...tuning.diagnosis import finding_words
from ...tuning.ranking import Standing, tie_rule
from ...tuning.views import matches, param_names, param_sort_key, param_title, value_sort_key
from .frozen import FrozenColumn
from ..qt.style import SUCCESS_BACKGROUND, TEXT_COLOR, TIED_BACKGROUND as TIED_COLOR, TRIAL_STATE_COLORS, WARNING_TEXT

COLUMNS = ("#", "State", "Value", "Mean ± sd", "Tied", "Val loss", "Confirmed", "Time (s)", "Finding")
NUMBER, STATE, VALUE, MEAN, TIED, VAL_LOSS, CONFIRMED, DURATION, FINDING = range(len(COLUMNS))
STATE_COLORS = TRIAL_STATE_COLORS
BEST_BACKGROUND = QColor(SUCCESS_BACKGROUND)
TIED_BACKGROUND = QColor(TIED_COLOR)
BEST_MARK, TIED_MARK = "★ best", "≈ tied"
COLUMN_TIPS = (
    "The trial's number, in the order the trials started.",
    "COMPLETE, PRUNED (stopped early by the pruner), RUNNING or FAIL; hover a cell for the trial's message.",
    "The trial's validation value (the study's metric); a pruned trial's is the last value it reported.",
    "Mean ± standard deviation over the folds of a cross-validated trial or the seeds of a confirmed one.",
    "★ best: the best trial. ≈ tied: within noise of it (hover a cell for the test and its p-value).",
    "The validation loss of the trial's kept weights.",
    "The mean validation value over the confirmation seeds (Confirm top).",
    "How long the trial took, in seconds.",
    "The training doctor's top warning for the trial; \"at chance\": no better than guessing.",
)
TABLE_ROWS = 10         # rows the table asks room for (the plots below get the rest)
ROW_HEIGHT = 22         # px
MAX_COLUMN_WIDTH = 130  # px: the widest a column makes itself (dragging its edge makes it wider)
MAX_FINDING_WIDTH = 170  # (a finding's cell has its whole text in its tooltip)
FIT_ROWS = 200          # rows a column looks at to fit its cells: the cost stays bounded in long studies


class _SortItem(QTableWidgetItem):
    """An item that sorts by its ``sort_key`` (a tuple; None sorts last)."""

    sort_key = None

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.sort_key, getattr(other, "sort_key", None)
        if a is None or b is None:
            return b is None and a is not None
        return a < b


def _short(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


class TrialsTable(QTableWidget):
    """The trials of a study.  ``row_of(number)`` finds a trial's row; ``number_at(row)`` the
    trial in a row.  ``param_columns`` lists the parameter columns (after the fixed ones)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("trialsTable")
        self.param_columns: list[str] = []
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = self.horizontalHeader()
        # columns fit their contents as trials come in, up to a width, and never shrink meanwhile (nothing
        # jumps under the mouse); a column the user drags keeps its width
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setResizeContentsPrecision(FIT_ROWS)
        header.sectionResized.connect(self._on_section_resized)
        header.sortIndicatorChanged.connect(lambda *_: self.fit_columns())
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._fitting = False
        self._user_sized: set[str] = set()
        self.setColumnHidden(CONFIRMED, True)
        self.setColumnHidden(MEAN, True)
        self.setSortingEnabled(True)
        self.sortByColumn(NUMBER, Qt.SortOrder.AscendingOrder)
        self.setToolTip("Every trial of the study, one column per searched parameter. Click a header to sort "
                        "(Value: best first, pruned and failed last; a parameter: trials without it last); "
                        "double-click a trial to load its config into the editor.\nPRUNED values are the last "
                        "value the trial reported before the pruner stopped it.\nMean ± sd: over the folds of a "
                        "cross-validated trial or the seeds of a confirmed one.\nTied: the best trial, and the "
                        "trials whose difference to it is within noise (a paired comparison over the same folds "
                        "or seeds; hover for the p-value).\nFinding: the training doctor's top warning for the trial; "
                        "\"at chance\" marks a trial that scored no better than guessing.")
        self._rows: dict[int, list[_SortItem]] = {}
        self._trials: dict[int, TrialRow] = {}
        self._filter: tuple[str, str] = ("", "")
        self.best_number: int | None = None
        self.direction = "maximize"
        self._label_columns()
        self.fit_columns()
        self.frozen = FrozenColumn(self, NUMBER)  # the trial's number stays in view while scrolled sideways

    def clear_trials(self) -> None:
        self.setRowCount(0)
        self.setColumnCount(len(COLUMNS))
        self.setColumnHidden(CONFIRMED, True)
        self.setColumnHidden(MEAN, True)
        self.param_columns = []
        self._rows.clear()
        self._trials.clear()
        self.best_number = None
        self._user_sized.clear()
        self._label_columns()
        self.fit_columns()

    def update_from(self, snapshot: StudySnapshot, space=None) -> None:
        """Add new trials and refresh changed ones, keeping the selection and the sort order."""
        self.direction = snapshot.direction
        sorting = self.horizontalHeader().sortIndicatorSection(), self.horizontalHeader().sortIndicatorOrder()
        self.setSortingEnabled(False)  # rows must not move while they are being filled
        try:
            self._add_param_columns(param_names(snapshot.rows, space))
            standings = snapshot.standings()
            for row in snapshot.rows:
                items = self._rows.get(row.number)
                if items is None:
                    items = self._append_row(row.number)
                self._trials[row.number] = row
                self._fill(items, row, standings.get(row.number))
            best = snapshot.best()
            self._mark(best.number if best else None, standings)
            self.setColumnHidden(CONFIRMED, not any(row.confirmation is not None for row in snapshot.rows))
            self.setColumnHidden(MEAN, not any(s.sd is not None for s in standings.values()))
            self._apply_filter()
        finally:
            self.setSortingEnabled(True)
            self.sortByColumn(*sorting)
        self.fit_columns()

    # -- columns ------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if hasattr(self, "frozen"):
            self.frozen.place()

    def sizeHint(self) -> QSize:  # noqa: N802
        """Room for :data:`TABLE_ROWS` rows, the header and the sideways scroll bar."""
        frame = 2 * self.frameWidth()
        height = (self.horizontalHeader().sizeHint().height() + TABLE_ROWS * ROW_HEIGHT
                  + self.horizontalScrollBar().sizeHint().height() + frame)
        return QSize(super().sizeHint().width(), height)

    def header_label(self, col: int) -> str:
        return (list(COLUMNS) + self.param_columns)[col]

    def _label_columns(self) -> None:
        """Every header says what its column holds when hovered: a parameter in the search space's words."""
        self.setHorizontalHeaderLabels(list(COLUMNS) + self.param_columns)
        for col, tip in enumerate(COLUMN_TIPS):
            self.horizontalHeaderItem(col).setToolTip(f"{COLUMNS[col]}: {tip}")
        for i, name in enumerate(self.param_columns):
            title = param_title(name)
            self.horizontalHeaderItem(len(COLUMNS) + i).setToolTip(
                f"{name}: {title}" if title != name else f"{name}: a searched parameter")

    def fit_columns(self) -> None:
        """Widen each column to its header and cells, up to :data:`MAX_COLUMN_WIDTH` (the finding
        column to :data:`MAX_FINDING_WIDTH`); a column the user sized is left alone."""
        header = self.horizontalHeader()
        self._fitting = True
        try:
            for col in range(self.columnCount()):
                if self.isColumnHidden(col) or self.header_label(col) in self._user_sized:
                    continue
                cap = MAX_FINDING_WIDTH if col == FINDING else MAX_COLUMN_WIDTH
                want = min(max(self._header_width(col), self.sizeHintForColumn(col)), cap)
                if want > self.columnWidth(col) or self.rowCount() == 0:
                    self.setColumnWidth(col, want)
        finally:
            self._fitting = False

    def _header_width(self, col: int) -> int:
        """The header's text with its margins; the sorted column's also has room for the sort arrow."""
        header = self.horizontalHeader()
        if header.isSortIndicatorShown() and col == header.sortIndicatorSection():
            return header.sectionSizeHint(col)
        margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        return header.fontMetrics().horizontalAdvance(self.header_label(col)) + 2 * margin + 4

    def _on_section_resized(self, col: int, old: int, new: int) -> None:
        if not self._fitting and old and new and 0 <= col < self.columnCount():  # dragged, not hidden or shown
            self._user_sized.add(self.header_label(col))

    def columns_past_right_edge(self) -> list[int]:
        """The shown columns that end past the right edge of the view: scrolling sideways shows them."""
        right = self.viewport().width()
        return [col for col in range(self.columnCount())
                if not self.isColumnHidden(col) and self.columnViewportPosition(col) + self.columnWidth(col) > right + 1]

    def _add_param_columns(self, names: list[str]) -> None:
        new = [n for n in names if n not in self.param_columns]
        if not new:
            return
        ordered = [n for n in names if n in self.param_columns or n in new]
        ordered += [n for n in self.param_columns if n not in ordered]
        if ordered[:len(self.param_columns)] != self.param_columns:  # a column goes in between: rebuild
            for items in self._rows.values():
                del items[len(COLUMNS):]
        old = self.param_columns
        self.param_columns = ordered
        self.setColumnCount(len(COLUMNS) + len(ordered))
        self._label_columns()
        rebuilt = ordered[:len(old)] != old
        for number, items in self._rows.items():
            r = items[NUMBER].row()
            start = len(COLUMNS) if rebuilt else len(COLUMNS) + len(old)
            for col in range(start, len(COLUMNS) + len(ordered)):
                item = self._new_item()
                self.setItem(r, col, item)
                items.append(item)

    @staticmethod
    def _new_item() -> _SortItem:
        item = _SortItem()
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        return item

    def _append_row(self, number: int) -> list[_SortItem]:
        r = self.rowCount()
        self.insertRow(r)
        items = [self._new_item() for _ in range(self.columnCount())]
        for col, item in enumerate(items):
            self.setItem(r, col, item)
        items[NUMBER].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._rows[number] = items
        return items

    @staticmethod
    def _set(item: _SortItem, text: str, key) -> None:
        if item.text() != text:
            item.setText(text)
        item.sort_key = key

    def _fill(self, items: list[_SortItem], row: TrialRow, standing: Standing | None) -> None:
        self._set(items[NUMBER], str(row.number), (row.number,))
        self._set(items[STATE], row.label, (row.label,))
        items[STATE].setForeground(QBrush(QColor(STATE_COLORS.get(row.state, TEXT_COLOR))))
        items[STATE].setToolTip(row.message)
        has_value = row.value is not None and math.isfinite(row.value)
        self._set(items[VALUE], f"{row.value:.4f}" if has_value else "", value_sort_key(row, self.direction))
        if row.state == "PRUNED":
            items[VALUE].setForeground(QBrush(QColor(STATE_COLORS["PRUNED"])))
            items[VALUE].setToolTip("The last value reported before the trial was pruned.")
        spread = standing is not None and standing.sd is not None
        self._set(items[MEAN], f"{standing.mean:.4f} ± {standing.sd:.4f}" if spread else "",
                  value_sort_key(row, self.direction, standing))
        items[MEAN].setToolTip(self._repeats_tip(row, standing))
        loss = row.val_loss
        self._set(items[VAL_LOSS], f"{loss:.4f}" if loss is not None else "", None if loss is None else (loss,))
        c = row.confirmation
        mean = c.mean if c is not None else None
        self._set(items[CONFIRMED], "" if c is None else "diverged" if mean is None else f"{mean:.4f}",
                  None if mean is None else (-mean if self.direction == "maximize" else mean,))
        dur = row.duration
        self._set(items[DURATION], f"{dur:.1f}" if dur is not None else "", None if dur is None else (dur,))
        finding = finding_words(row.finding) if row.finding else ""
        text = f"at chance · {finding}" if row.at_chance and finding else "at chance" if row.at_chance else finding
        self._set(items[FINDING], text, (text,) if text else None)
        items[FINDING].setToolTip(text)
        items[FINDING].setForeground(QBrush(QColor(WARNING_TEXT if row.at_chance else TEXT_COLOR)))
        for i, name in enumerate(self.param_columns):
            value = row.params.get(name)
            self._set(items[len(COLUMNS) + i], _short(value), param_sort_key(row, name))

    @staticmethod
    def _repeats_tip(row: TrialRow, standing: Standing | None) -> str:
        if row.fold_values:
            return "Validation value per fold:\n" + "\n".join(f"fold {i + 1}: {v:.4f}"
                                                              for i, v in enumerate(row.fold_values))
        c = row.confirmation
        if c is not None:
            return "Validation value per training seed:\n" + "\n".join(
                f"seed {seed}: {'diverged' if v is None else f'{v:.4f}'}" for seed, v in zip(c.seeds, c.values))
        return ""

    def _mark(self, best: int | None, standings: dict[int, Standing]) -> None:
        self.best_number = best
        for number, items in self._rows.items():
            s = standings.get(number)
            tied = s is not None and s.tied
            text = BEST_MARK if number == best else TIED_MARK if tied else ""
            self._set(items[TIED], text, (0 if number == best else 1 if tied else 2, number))
            tip = ""
            if s is not None and (tied or number == best):
                rule = tie_rule(s.basis, s.repeats)
                tip = ("The best trial. Tied trials: " + rule if number == best else
                       f"Within noise of the best ({rule})" + ("" if s.p_value is None else f": p = {s.p_value:.3f}"))
            items[TIED].setToolTip(tip)
            brush = QBrush(BEST_BACKGROUND) if number == best else QBrush(TIED_BACKGROUND) if tied else QBrush()
            for item in items:
                item.setBackground(brush)

    # -- filtering ----------------------------------------------------------------------------
    def filter_columns(self) -> list[str]:
        """What a filter can look at: the state, the value and every parameter."""
        return ["State", "Value"] + self.param_columns

    def set_filter(self, column: str, text: str) -> None:
        """Show only the trials whose ``column`` passes ``text`` (:func:`~nnstudio.tuning.views.matches`)."""
        self._filter = (column, text)
        self._apply_filter()

    def _apply_filter(self) -> None:
        column, text = self._filter
        for number, items in self._rows.items():
            row = self._trials.get(number)
            if row is None or not text.strip():
                shown = True
            elif column == "State":
                shown = matches(row.label, text)
            elif column == "Value":
                shown = matches(row.value, text)
            else:
                shown = matches(row.params.get(column), text)
            self.setRowHidden(items[NUMBER].row(), not shown)
            self.frozen.set_row_hidden(items[NUMBER].row(), not shown)

    def shown_numbers(self) -> list[int]:
        """The trial numbers of the visible rows, top to bottom."""
        return [self.number_at(r) for r in range(self.rowCount()) if not self.isRowHidden(r)]

    # -- queries -----------------------------------------------------------------------------
    def column_of(self, header: str) -> int:
        labels = list(COLUMNS) + self.param_columns
        return labels.index(header) if header in labels else -1

    def row_of(self, number: int) -> int:
        """The current (sorted) row of trial ``number``, or -1."""
        items = self._rows.get(number)
        return items[NUMBER].row() if items else -1

    def number_at(self, row: int) -> int | None:
        item = self.item(row, NUMBER)
        return None if item is None or item.sort_key is None else item.sort_key[0]

    def selected_number(self) -> int | None:
        rows = self.selectionModel().selectedRows()
        return self.number_at(rows[0].row()) if rows else None

    def select_number(self, number: int) -> None:
        row = self.row_of(number)
        if row >= 0:
            self.selectRow(row)
