"""``trialsTable``: one row per trial, sortable, updated in place as the study progresses."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ...tuning import StudySnapshot, TrialRow
from ...tuning.results import format_params
from ..qt.style import SUCCESS_BACKGROUND, TEXT_COLOR, TRIAL_STATE_COLORS

COLUMNS = ("#", "State", "Value", "Val loss", "Confirmed", "Time (s)", "Parameters")
NUMBER, STATE, VALUE, VAL_LOSS, CONFIRMED, DURATION, PARAMS = range(len(COLUMNS))
STATE_COLORS = TRIAL_STATE_COLORS
BEST_BACKGROUND = QColor(SUCCESS_BACKGROUND)


class _SortItem(QTableWidgetItem):
    """An item that sorts by a key kept in ``UserRole`` (numbers sort as numbers; empty last)."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if a is None or b is None:
            return b is None and a is not None
        return a < b


class TrialsTable(QTableWidget):
    """The trials of a study.  ``row_of(number)`` finds a trial's row; the trial number of a row
    is in its first column's ``UserRole`` data."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("trialsTable")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        for col in (NUMBER, STATE, VALUE, VAL_LOSS, CONFIRMED, DURATION):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PARAMS, QHeaderView.ResizeMode.Stretch)
        self.setColumnHidden(CONFIRMED, True)
        self.setSortingEnabled(True)
        self.sortByColumn(NUMBER, Qt.SortOrder.AscendingOrder)
        self.setToolTip("Every trial of the study. Click a header to sort; double-click a trial to load its "
                        "config into the editor.\nPRUNED values are the last value the trial reported before "
                        "the pruner stopped it.\nVal loss: the validation loss of a complete trial; of trials "
                        "with equal values, the one with the lower validation loss is the best.\nConfirmed: the "
                        "mean value over the trial's own training seed and the extra seeds of \"Confirm top\"; "
                        "once trials are confirmed, the best confirmed mean is the best trial.")
        self._rows: dict[int, list[_SortItem]] = {}
        self.best_number: int | None = None

    def clear_trials(self) -> None:
        self.setColumnHidden(CONFIRMED, True)
        self.setRowCount(0)
        self._rows.clear()
        self.best_number = None

    def update_from(self, snapshot: StudySnapshot) -> None:
        """Add new trials and refresh changed ones, keeping the selection and the sort order."""
        self.setSortingEnabled(False)  # rows must not move while they are being filled
        try:
            for row in snapshot.rows:
                items = self._rows.get(row.number)
                if items is None:
                    items = self._append_row(row.number)
                self._fill(items, row)
            best = snapshot.best()
            self._mark_best(best.number if best else None)
            # the Confirmed column only takes room once "Confirm top" has run
            self.setColumnHidden(CONFIRMED, not any(row.confirmation is not None for row in snapshot.rows))
        finally:
            self.setSortingEnabled(True)

    def _append_row(self, number: int) -> list[_SortItem]:
        r = self.rowCount()
        self.insertRow(r)
        items = [_SortItem() for _ in COLUMNS]
        for col, item in enumerate(items):
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.setItem(r, col, item)
        items[NUMBER].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._rows[number] = items
        return items

    @staticmethod
    def _set(item: _SortItem, text: str, key) -> None:
        if item.text() != text:
            item.setText(text)
        item.setData(Qt.ItemDataRole.UserRole, key)

    def _fill(self, items: list[_SortItem], row: TrialRow) -> None:
        self._set(items[NUMBER], str(row.number), row.number)
        self._set(items[STATE], row.label, row.label)
        items[STATE].setForeground(QBrush(QColor(STATE_COLORS.get(row.state, TEXT_COLOR))))
        items[STATE].setToolTip(row.message)
        has_value = row.value is not None and math.isfinite(row.value)
        self._set(items[VALUE], f"{row.value:.4f}" if has_value else "", row.value if has_value else None)
        if row.state == "PRUNED":
            items[VALUE].setForeground(QBrush(QColor(STATE_COLORS["PRUNED"])))
            items[VALUE].setToolTip("The last value reported before the trial was pruned.")
        loss = row.val_loss
        self._set(items[VAL_LOSS], f"{loss:.4f}" if loss is not None else "", loss)
        c = row.confirmation
        mean = c.mean if c is not None else None
        self._set(items[CONFIRMED], "" if c is None else "diverged" if mean is None else f"{mean:.4f}", mean)
        items[CONFIRMED].setToolTip("" if c is None else "Validation value per training seed:\n" + "\n".join(
            f"seed {seed}: {'diverged' if v is None else f'{v:.4f}'}" for seed, v in zip(c.seeds, c.values)))
        dur = row.duration
        self._set(items[DURATION], f"{dur:.1f}" if dur is not None else "", dur)
        params = format_params(row.params)
        self._set(items[PARAMS], params, params)
        items[PARAMS].setToolTip(params.replace(", ", "\n"))

    def _mark_best(self, number: int | None) -> None:
        if number == self.best_number:
            return
        for n in (self.best_number, number):
            if n is None or n not in self._rows:
                continue
            brush = QBrush(BEST_BACKGROUND) if n == number else QBrush()
            for item in self._rows[n]:
                item.setBackground(brush)
        self.best_number = number

    # -- queries -----------------------------------------------------------------------------
    def row_of(self, number: int) -> int:
        """The current (sorted) row of trial ``number``, or -1."""
        items = self._rows.get(number)
        return items[NUMBER].row() if items else -1

    def number_at(self, row: int) -> int | None:
        item = self.item(row, NUMBER)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def selected_number(self) -> int | None:
        rows = self.selectionModel().selectedRows()
        return self.number_at(rows[0].row()) if rows else None

    def select_number(self, number: int) -> None:
        row = self.row_of(number)
        if row >= 0:
            self.selectRow(row)
