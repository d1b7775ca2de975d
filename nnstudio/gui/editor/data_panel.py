"""The data panel: data set and its options, CSV import, split fractions, sizes and task.

Options are built from the data set's :class:`ParamSpec` list, so a new data set brings its
own controls.  Sizes come from the editor's background probe; a file that cannot be read shows
its reason here, in red, and nothing else changes.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from PySide6.QtCore import QSettings, QSignalBlocker, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QInputDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget)

from ...config import ExperimentConfig
from ...data import DATASETS, ParamSpec
from .binding import Connector, connect_field
from .controller import ConfigEditor
from ...design.edits import DataInfo, set_field
from ...design.help_texts import HELP, dataset_help, param_help
from ..widgets.inputs import float_spin, guard_wheel, int_spin, wheel_guarded_children

CSV_NAME = "csv"
CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"
HEADER_BYTES = 1 << 20  # longest header line read
DELIMITERS = (",", ";", "\t")
LAST_DIR_KEY = "paths/lastCsvDir"


class CsvHeaderError(ValueError):
    """The file's first line cannot be read as CSV column names."""


def csv_columns(path: str | os.PathLike) -> list[str]:
    """Column names from the first non-blank line of a CSV file, read as the CSV loader reads it:
    the delimiter is whichever of ``,`` ``;`` or tab occurs most; an all-numeric first line is
    data, and its columns are called ``column 1``, ``column 2``..."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            line = ""
            for _ in range(1000):
                line = fh.readline(HEADER_BYTES)
                if not line or line.strip():
                    break
    except UnicodeDecodeError:
        raise CsvHeaderError(f"{path}: is not a UTF-8 text file; save it as CSV (UTF-8)") from None
    except OSError as exc:
        raise CsvHeaderError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not line.strip():
        raise CsvHeaderError(f"{path}: the file is empty")
    delimiter = max(DELIMITERS, key=line.count)
    fields = [f.strip() for f in next(csv.reader([line], delimiter=delimiter if line.count(delimiter) else ","))]
    if len(fields) < 2:
        raise CsvHeaderError(f"{path}: has a single column; it needs feature columns and a target column")
    if all(_is_number(f) for f in fields):
        return [f"column {j + 1}" for j in range(len(fields))]
    return [f or f"column {j + 1}" for j, f in enumerate(fields)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.lower() not in ("nan", "inf", "-inf", "infinity")


def builtin_datasets() -> list[str]:
    """Data sets that need no file: the combo box lists these."""
    return [name for name, spec in DATASETS.items() if not any(p.name == "path" for p in spec.params)]


def _param_widget(p: ParamSpec) -> QWidget:
    """An input for one data-set option, chosen by its choices or its default's type, within its range."""
    if getattr(p, "choices", ()):
        combo = QComboBox()
        for choice in p.choices:
            combo.addItem(str(choice), choice)
        return combo
    if isinstance(p.default, bool):
        return QCheckBox(p.name.replace("_", " ").capitalize())
    if isinstance(p.default, int):
        lo = int(p.minimum) if p.minimum is not None else 0
        hi = int(p.maximum) if p.maximum is not None else 1_000_000
        return int_spin(lo, hi)
    if isinstance(p.default, float):
        lo = float(p.minimum) if p.minimum is not None else 0.0
        hi = float(p.maximum) if p.maximum is not None else 1e6
        return float_spin(lo, hi, 0.05 if hi <= 5 else 1.0, 3)
    edit = QLineEdit()
    if p.name == "path":
        edit.setReadOnly(True)  # chosen with Import CSV…, which also picks the target
    elif p.default is None:
        edit.setPlaceholderText("(default)")
    return edit


def _param_reader(p: ParamSpec):
    def read(cfg: ExperimentConfig):
        value = cfg.data.params.get(p.name, p.default)
        return "" if value is None and not isinstance(p.default, (bool, int, float)) else value
    return read


def _param_writer(p: ParamSpec):
    path = f"data.params.{p.name}"

    def write(cfg: ExperimentConfig, value):
        if value == "" and p.default is None:
            value = None  # an emptied text option means "the default", as the loader reads None
        return set_field(cfg, path, value)
    return write


class DataPanel(QWidget):
    """Data set, options, split and the resulting sizes."""

    def __init__(self, editor: ConfigEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.connectors: dict[str, Connector] = {}
        self._param_connectors: list[Connector] = []
        self._param_spec: str | None = None

        self._build_dataset_row()
        self.params_box = QGroupBox("Options", self)
        self.params_form = QFormLayout(self.params_box)
        self.params_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        split_box = self._build_split_box(editor)
        self.connectors["data.name"] = connect_field(
            self.dataset_combo, "data.name", editor, "data set",
            write=lambda cfg, name: cfg.replace(data={"name": name, "params": {}}))
        self.sizes_label = QLabel(self)
        self.sizes_label.setObjectName("dataSizesLabel")
        self.sizes_label.setWordWrap(True)
        self.sizes_label.setTextFormat(Qt.TextFormat.PlainText)  # file names and messages are not markup
        self.sizes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._lay_out(split_box)
        wheel_guarded_children(self)

        editor.configChanged.connect(self.refresh)
        editor.dataInfoChanged.connect(self.show_info)
        self.refresh(editor.config)
        self.show_info(editor.info)

    def _build_dataset_row(self) -> None:
        """The data-set box, Import CSV… and the data set's description."""
        self.dataset_combo = QComboBox(self)
        self.dataset_combo.setObjectName("datasetCombo")
        self.dataset_combo.setProperty("helpKey", "dataset")
        for name in builtin_datasets():
            self.dataset_combo.addItem(name, name)
            self.dataset_combo.setItemData(self.dataset_combo.count() - 1, DATASETS[name].description,
                                           Qt.ItemDataRole.ToolTipRole)
        self.import_button = QPushButton("Import CSV…", self)
        self.import_button.setObjectName("importCsvButton")
        self.import_button.setToolTip(HELP["import_csv"].tip)
        self.import_button.setProperty("helpKey", "import_csv")
        self.import_button.clicked.connect(self.import_csv)
        self.description = QLabel(self)
        self.description.setObjectName("datasetDescription")
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(mid);")

    def _build_split_box(self, editor: ConfigEditor) -> QGroupBox:
        """The split fractions, split seed and standardization, each bound to its config field."""
        split_box = QGroupBox("Split", self)
        split_form = QFormLayout(split_box)
        split_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        split_fields = [
            ("data.val_fraction", "Validation", "valFractionSpin", float_spin(0.01, 0.8, 0.05, 2), "validation fraction"),
            ("data.test_fraction", "Test", "testFractionSpin", float_spin(0.0, 0.8, 0.05, 2), "test fraction"),
            ("data.split_seed", "Split seed", "splitSeedSpin", int_spin(0, 2**31 - 1), "split seed"),
            ("data.standardize", "", "standardizeCheck", QCheckBox("Standardize features"), "standardize"),
        ]
        for path, label, name, widget, undo_label in split_fields:
            widget.setObjectName(name)
            widget.setToolTip(HELP[path].tip)
            widget.setProperty("helpKey", path)
            self.connectors[path] = connect_field(widget, path, editor, undo_label)
            if label:
                split_form.addRow(label, widget)
            else:
                split_form.addRow(widget)
        return split_box

    def _lay_out(self, split_box: QGroupBox) -> None:
        top = QHBoxLayout()
        top.addWidget(self.dataset_combo, 1)
        top.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.description)
        layout.addWidget(self.params_box)
        layout.addWidget(split_box)
        layout.addWidget(self.sizes_label)
        layout.addStretch(1)

    # -- following the config ------------------------------------------------------------------
    def refresh(self, cfg: ExperimentConfig) -> None:
        # adding or dropping the file entry moves the box's current item: that shows the
        # config, it is no choice of the user's, so it must not reach the connector
        blocker = QSignalBlocker(self.dataset_combo)
        try:
            self._ensure_dataset_item(cfg)
        finally:
            blocker.unblock()
        if self._param_spec != self._spec_key(cfg):
            self._build_params(cfg)
        for connector in list(self.connectors.values()) + self._param_connectors:
            connector.refresh(cfg)
        name = cfg.data.name
        if name in DATASETS:
            self.description.setText(DATASETS[name].description)
            self.dataset_combo.setToolTip(dataset_help(name).tip)
        else:
            self.description.setText("")

    @staticmethod
    def _spec_key(cfg: ExperimentConfig) -> str:
        return cfg.data.name

    def _ensure_dataset_item(self, cfg: ExperimentConfig) -> None:
        """Keep one combo entry for a file-based data set, labelled with its file name."""
        name = cfg.data.name
        combo = self.dataset_combo
        builtin = set(builtin_datasets())
        for row in reversed(range(combo.count())):
            if combo.itemData(row) not in builtin and combo.itemData(row) != name:
                combo.removeItem(row)
        if name not in builtin and combo.findData(name) < 0:
            path = cfg.data.params.get("path")
            label = f"{Path(path).name} (CSV)" if isinstance(path, str) and path else name
            combo.addItem(label, name)
        elif name not in builtin:
            path = cfg.data.params.get("path")
            if isinstance(path, str) and path:
                combo.setItemText(combo.findData(name), f"{Path(path).name} (CSV)")
                combo.setItemData(combo.findData(name), path, Qt.ItemDataRole.ToolTipRole)

    def _build_params(self, cfg: ExperimentConfig) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self._param_connectors = []
        self._param_spec = self._spec_key(cfg)
        spec = DATASETS[cfg.data.name] if cfg.data.name in DATASETS else None
        params = spec.params if spec else ()
        for p in params:
            widget = _param_widget(p)
            widget.setObjectName("dataParam_" + p.name)
            tip = param_help(spec.name, p.name).tip
            widget.setToolTip(tip)
            if not isinstance(widget, (QLineEdit, QCheckBox)):
                guard_wheel(widget)
            widget.setProperty("helpKey", f"data.params.{p.name}")
            path = f"data.params.{p.name}"
            connector = connect_field(widget, path, self.editor, p.name.replace("_", " "),
                                      read=_param_reader(p), write=_param_writer(p))
            self._param_connectors.append(connector)
            if isinstance(widget, QCheckBox):
                self.params_form.addRow(widget)
            else:
                label = QLabel(p.name.replace("_", " ").capitalize())
                label.setToolTip(tip)
                self.params_form.addRow(label, widget)
        self.params_box.setVisible(bool(params))

    def show_info(self, info: DataInfo) -> None:
        text = info.summary()
        if info.error:
            self.sizes_label.setStyleSheet("color: #b71c1c;")
            self.sizes_label.setText("⚠ " + text)
        else:
            self.sizes_label.setStyleSheet("")
            self.sizes_label.setText(text)

    # -- CSV import ----------------------------------------------------------------------------
    def import_csv(self) -> None:
        """Ask for a CSV file and its target column, then make it the data set (one undo step)."""
        if CSV_NAME not in DATASETS:
            self._show_error("CSV import is not available: no CSV loader is registered.")
            return
        settings = QSettings()
        start = str(settings.value(LAST_DIR_KEY, "") or Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Import CSV", start, CSV_FILTER)
        if not path:
            return
        settings.setValue(LAST_DIR_KEY, str(Path(path).parent))
        try:
            columns = csv_columns(path)
        except CsvHeaderError as exc:
            self._show_error(f"{exc}. Not imported: {self._current_data_name()} stays the data set.")
            return
        target, ok = QInputDialog.getItem(self, "Target column", f"Column of {Path(path).name} to predict:",
                                          columns, len(columns) - 1, False)
        if not ok:
            return
        known = {p.name for p in DATASETS[CSV_NAME].params}
        params = {k: v for k, v in (("path", path), ("target", target)) if k in known}
        cfg = self.editor.config
        self.editor.edit(cfg.replace(data={"name": CSV_NAME, "params": params}), f"Import {Path(path).name}")

    def _current_data_name(self) -> str:
        """The design's data set as the user knows it: a CSV file's name, else the data set's."""
        data = self.editor.config.data
        path = data.params.get("path") if data.name == CSV_NAME else None
        return Path(str(path)).name if path else data.name

    def _show_error(self, message: str) -> None:
        self.sizes_label.setStyleSheet("color: #b71c1c;")
        self.sizes_label.setText("⚠ " + message)

    def set_editable(self, editable: bool) -> None:
        self.setEnabled(editable)
