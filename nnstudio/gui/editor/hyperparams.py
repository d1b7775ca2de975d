"""The hyperparameter panel: model, optimizer, schedule, training, regularization, early stopping.

Every control is bound to one config field; settings an optimizer or schedule does not use are
hidden, thresholds that do not apply are disabled, and a problem that makes the config
untrainable (log loss with a 10-class output, say) is explained in a red line at the top.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable, Collection

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QScrollArea,
                               QVBoxLayout, QWidget)

from ...config import TRAIN_METRICS, ExperimentConfig
from ...engine import ACTIVATIONS, CLIP_TYPES, INITIALIZERS, LOSSES, OPTIMIZERS, SCHEDULES
from .binding import Connector, connect_field, reveal_field
from .entry_note import ERROR_BANNER_STYLE, RefusedEntryNote
from .problems import describe_problem, shown_by_data_panel, shown_by_network_panel
from .controller import ConfigEditor
from ...design.edits import OPTIMIZER_FIELDS, choose_loss, loss_fits, optimizer_settings, schedule_settings
from ...design.help_texts import HELP, choice_tip
from ...design.size import MAX_LEARNING_RATE, design_warnings
from ..widgets.inputs import LogSpinBox, float_spin, int_spin, wheel_guarded_children

DTYPES = ("float32", "float64")
INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class Field:
    """One row of the panel: config path, row label, objectName and a widget factory."""

    path: str
    label: str
    name: str
    make: Callable[[], QWidget]
    undo_label: str = ""


def _combo(names) -> Callable[[], QComboBox]:
    def make() -> QComboBox:
        combo = QComboBox()
        for name in names:
            combo.addItem(name, name)
        return combo
    return make


def _check(text: str) -> Callable[[], QCheckBox]:
    return lambda: QCheckBox(text)


def _log(lo: float, hi: float, zero: str = "", typed: tuple[float, float] | None = None
         ) -> Callable[[], LogSpinBox]:
    def make() -> LogSpinBox:
        spin = LogSpinBox(lo, hi, zero, typed=typed)
        spin.setMinimumWidth(96)
        return spin
    return make


GROUPS: list[tuple[str, list[Field]]] = [
    ("Model", [
        Field("init_method", "Initial weights", "initMethodCombo", _combo(INITIALIZERS.names())),
        Field("output_activation", "Output activation", "outputActivationCombo", _combo(ACTIVATIONS.names())),
        Field("loss_func", "Loss", "lossCombo", _combo(LOSSES.names())),
    ]),
    ("Optimizer", [
        Field("optimizer", "Optimizer", "optimizerCombo", _combo(OPTIMIZERS.names())),
        Field("learning_rate", "Learning rate", "learningRateSpin", _log(1e-6, MAX_LEARNING_RATE, typed=(0.0, 1e6))),
        Field("momentum", "Momentum μ", "momentumSpin", lambda: float_spin(0.0, 0.999, 0.01, 3)),
        Field("beta1", "β1", "beta1Spin", lambda: float_spin(0.0, 0.9999, 0.01, 4)),
        Field("beta2", "β2", "beta2Spin", lambda: float_spin(0.0, 0.99999, 0.001, 5)),
        Field("rho", "ρ", "rhoSpin", lambda: float_spin(0.0, 0.999, 0.01, 3)),
        Field("epsilon", "ε", "epsilonSpin", _log(1e-12, 0.1)),
        Field("weight_decay", "Weight decay λ", "weightDecaySpin", _log(1e-6, 1.0, "off")),
    ]),
    ("Learning-rate schedule", [
        Field("schedule.name", "Schedule", "scheduleCombo", _combo(SCHEDULES.names()), "schedule"),
        Field("schedule.gamma", "γ", "scheduleGammaSpin", lambda: float_spin(0.01, 1.0, 0.05, 3),
              "schedule γ"),
        Field("schedule.step_size", "Step size (epochs)", "scheduleStepSpin", lambda: int_spin(1, 1_000_000),
              "schedule step size"),
        Field("schedule.patience", "Plateau patience", "schedulePatienceSpin", lambda: int_spin(1, 1_000_000),
              "plateau patience"),
        Field("schedule.min_lr", "Minimum rate", "scheduleMinLrSpin", _log(1e-9, 1.0, "0"), "minimum rate"),
    ]),
    ("Training", [
        Field("epochs", "Epochs", "epochsSpin", lambda: int_spin(1, 1_000_000)),
        Field("batch_size", "Batch size", "batchSizeSpin", lambda: int_spin(0, 1_000_000, "full batch")),
        Field("seed", "Seed", "seedSpin", lambda: int_spin(0, INT_MAX)),
        Field("dtype", "Float type", "dtypeCombo", _combo(DTYPES)),
        Field("train_metrics", "Train metrics", "trainMetricsCombo", _combo(TRAIN_METRICS), "train metrics"),
        Field("log_every", "Log every (epochs)", "logEverySpin", lambda: int_spin(1, 1_000_000)),
    ]),
    ("Regularization", [
        Field("clip_type", "Gradient clipping", "clipTypeCombo", _combo(CLIP_TYPES.names())),
        Field("grad_clip", "Clip threshold t", "clipValueSpin", _log(1e-4, 1e4)),
        Field("l1", "L1 penalty", "l1Spin", _log(1e-8, 1.0, "off")),
        Field("l2", "L2 penalty", "l2Spin", _log(1e-8, 1.0, "off")),
    ]),
    ("Early stopping", [
        Field("early_stopping", "", "earlyStoppingCheck", _check("Stop when validation loss stops improving"),
              "early stopping"),
        Field("patience", "Patience (epochs)", "patienceSpin", lambda: int_spin(1, 1_000_000)),
        Field("min_delta", "Min Δ", "minDeltaSpin", _log(1e-8, 10.0, "0")),
    ]),
    ("Experiment", [
        Field("name", "Name", "experimentNameEdit", QLineEdit),
    ]),
]


class HyperparamPanel(QWidget):
    """All scalar settings of the experiment, grouped, in a scroll area."""

    def __init__(self, editor: ConfigEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.connectors: dict[str, Connector] = {}
        self.widgets: dict[str, QWidget] = {}
        self._forms: dict[str, QFormLayout] = {}
        self._live_only: frozenset[str] | None = None  # while a run trains: the fields it takes

        self._build_banners()
        body = self._build_groups()
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(body)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.refused_note)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.scroll, 1)
        wheel_guarded_children(body)

        editor.configChanged.connect(self.refresh)
        editor.dataInfoChanged.connect(lambda _info: self.refresh(editor.config))
        editor.validityChanged.connect(self._show_validity)
        self.refresh(editor.config)
        self._show_validity(editor.problem is None, "")

    # -- building ------------------------------------------------------------------------------
    def _build_banners(self) -> None:
        """The red line saying why the config cannot be trained, and the amber notes under it."""
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("configProblemLabel")
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextFormat(Qt.TextFormat.RichText)
        self.problem_label.setStyleSheet(ERROR_BANNER_STYLE)
        self.problem_label.linkActivated.connect(self._show_field)
        self.problem_label.hide()
        self.notes_label = QLabel(self)
        self.notes_label.setObjectName("configNotesLabel")
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextFormat(Qt.TextFormat.PlainText)
        self.notes_label.setStyleSheet(
            "QLabel { color: #6d4c00; background: #fff8e1; border: 1px solid #f3d58a; border-radius: 3px;"
            " padding: 4px; }")
        self.notes_label.hide()
        self.refused_note = RefusedEntryNote(self.editor, lambda path: path in self.widgets, "refusedEntryNote", self)

    def _build_groups(self) -> QWidget:
        """A group box per entry of :data:`GROUPS`, their row labels one column wide."""
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 4, 4, 4)
        self._row_labels: list[QLabel] = []
        for title, fields in GROUPS:
            column.addWidget(self._group(title, fields))
        column.addStretch(1)
        label_width = max(label.sizeHint().width() for label in self._row_labels)
        for label in self._row_labels:  # one label column for all groups
            label.setMinimumWidth(label_width)
        return body

    def _group(self, title: str, fields: list[Field]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for f in fields:
            widget = f.make()
            widget.setObjectName(f.name)
            entry = HELP[f.path]
            widget.setToolTip(entry.tip)
            widget.setProperty("helpKey", f.path)
            if isinstance(widget, QComboBox):
                for i in range(widget.count()):
                    tip = choice_tip(f.path, widget.itemData(i))
                    if tip:
                        widget.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
            write = self._write_loss if f.path == "loss_func" else None
            label = f.undo_label or f.label.lower() or f.path
            self.connectors[f.path] = connect_field(widget, f.path, self.editor, label, write=write)
            self.widgets[f.path] = widget
            self._forms[f.path] = form
            if f.label:
                row_label = QLabel(f.label)
                row_label.setToolTip(entry.tip)
                row_label.setBuddy(widget)
                row_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self._row_labels.append(row_label)
                form.addRow(row_label, widget)
            else:
                form.addRow(widget)
        return box

    def _write_loss(self, cfg: ExperimentConfig, loss: str) -> ExperimentConfig:
        return choose_loss(cfg, loss, self.editor.info)

    # -- following the config ------------------------------------------------------------------
    def refresh(self, cfg: ExperimentConfig) -> None:
        for connector in self.connectors.values():
            connector.refresh(cfg)
        used = set(optimizer_settings(cfg.optimizer)) if cfg.optimizer in OPTIMIZERS else set(OPTIMIZER_FIELDS)
        for name in OPTIMIZER_FIELDS:
            self._set_row_visible(name, name in used)
        schedule_used = schedule_settings(cfg.schedule.name)
        for name in ("gamma", "step_size", "patience", "min_lr"):
            self._set_row_visible(f"schedule.{name}", name in schedule_used)
        applies = {"grad_clip": cfg.clip_type != "none", "patience": cfg.early_stopping,
                   "min_delta": cfg.early_stopping}
        for path, widget in self.widgets.items():
            open_now = self._live_only is None or path in self._live_only
            widget.setEnabled(open_now and applies.get(path, True))
        self._update_loss_choices(cfg)
        self._update_combo_tips(cfg)
        notes = design_warnings(cfg, self.editor.info)
        self.notes_label.setText("\n".join("⚠ " + note for note in notes))
        self.notes_label.setVisible(bool(notes))

    def _set_row_visible(self, path: str, visible: bool) -> None:
        self._forms[path].setRowVisible(self.widgets[path], visible)

    def _update_loss_choices(self, cfg: ExperimentConfig) -> None:
        """Disable the losses that cannot train on this data set, saying why."""
        combo = self.widgets["loss_func"]
        model = combo.model()
        if not isinstance(model, QStandardItemModel):
            return
        info = self.editor.info
        for row in range(combo.count()):
            loss = combo.itemData(row)
            item = model.item(row)
            why = loss_fits(loss, info, cfg.output_activation) if loss in LOSSES else ""
            item.setEnabled(not why or loss == cfg.loss_func)
            item.setToolTip(f"Not for this data set: use {why}" if why else choice_tip("loss_func", loss))

    def _update_combo_tips(self, cfg: ExperimentConfig) -> None:
        for path in ("init_method", "loss_func", "optimizer", "output_activation", "schedule.name", "clip_type"):
            widget = self.widgets[path]
            current = choice_tip(path, widget.currentData())
            widget.setToolTip(HELP[path].tip + (f"\n\n{current}" if current else ""))

    def _show_validity(self, valid: bool, _message: str) -> None:
        problem = self.editor.problem
        if valid or problem is None or shown_by_network_panel(problem.field) or shown_by_data_panel(problem.field):
            self.problem_label.hide()
            self.problem_label.clear()
            return
        link = f' <a href="{html.escape(problem.field)}">Show</a>' if self._widget_for(problem.field) else ""
        self.problem_label.setText("⚠ " + html.escape(describe_problem(problem)) + link)
        self.problem_label.show()

    def _widget_for(self, path: str) -> QWidget | None:
        """The control bound to ``path``, in this panel or anywhere in the window (the data panel)."""
        if path in self.widgets:
            return self.widgets[path]
        return next((w for w in self.window().findChildren(QWidget) if w.property("configField") == path), None)

    def _show_field(self, path: str) -> None:
        reveal_field(self.window(), path)

    def set_editable(self, editable: bool, live: Collection[str] = ()) -> None:
        """Every field editable, or (while a run trains) only those in ``live``."""
        self._live_only = None if editable else frozenset(live)
        self.refresh(self.editor.config)
