"""The network designer's panels, driven through their widgets: layers, hyperparameters, data,
undo/redo, inline validity messages, the diagram and the help pane."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (QApplication, QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout, QInputDialog,
                               QSpinBox, QWidget)

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig, ScheduleConfig
from nnstudio.data import DATASETS
from nnstudio.engine import CLIP_TYPES, INITIALIZERS, LOSSES, OPTIMIZERS, hidden_activation_names
from nnstudio.gui.editor import ConfigEditor, DataPanel, HelpPane, HyperparamPanel, LayerEditor, NetworkDiagram
from nnstudio.design.edits import optimizer_settings, schedule_settings
from nnstudio.gui.editor.layer_editor import COL_ACTIVATION, COL_BN, COL_DROPOUT, COL_UNITS
from nnstudio.gui.editor.network_diagram import MAX_NODES, shown_units
from nnstudio.gui.widgets.inputs import LogSpinBox, log_step_down, log_step_up

INFO_TIMEOUT_MS = 60_000  # the first built-in load imports scikit-learn


def moons_config(**changes) -> ExperimentConfig:
    base = dict(data=DataConfig("moons", {"n_samples": 200}), layers=(LayerConfig(8, "relu"),),
                output_activation="softmax", loss_func="categorical_crossentropy", epochs=5)
    return ExperimentConfig(**(base | changes))


def wait_info(qtbot, editor: ConfigEditor) -> None:
    qtbot.waitUntil(lambda: not editor.info.pending, timeout=INFO_TIMEOUT_MS)


class Studio(QWidget):
    """The designer's panels side by side, as the window shows them."""

    def __init__(self, editor: ConfigEditor):
        super().__init__()
        self.editor = editor
        self.data = DataPanel(editor)
        self.layers = LayerEditor(editor)
        self.hyper = HyperparamPanel(editor)
        self.help = HelpPane(editor)
        self.help.follow_view(self.layers.view)
        layout = QHBoxLayout(self)
        for w in (self.data, self.layers, self.hyper, self.help):
            layout.addWidget(w)

    def w(self, name: str):
        widget = self.findChild(QWidget, name)
        assert widget is not None, f"no widget named {name}"
        return widget


@pytest.fixture
def studio(qtbot):
    editor = ConfigEditor(moons_config())
    s = Studio(editor)
    qtbot.addWidget(s)
    s.resize(1400, 700)
    s.show()
    qtbot.waitExposed(s)
    wait_info(qtbot, editor)
    yield s
    editor.shutdown()


def layers_of(studio) -> tuple:
    return studio.editor.config.layers


def table_text(studio, row: int, col: int) -> str:
    model = studio.layers.view.model()
    return str(model.data(model.index(row, col), Qt.ItemDataRole.DisplayRole))


def press(qtbot, studio, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    view = studio.layers.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, key, modifier)


def edit_cell(qtbot, studio, layer: int, col: int, value) -> None:
    """Open the inline editor of a layer cell, set ``value`` and commit it as a user would."""
    view = studio.layers.view
    index = view.model().index(layer + 1, col)
    view.setCurrentIndex(index)
    view.edit(index)
    editor_type = QComboBox if col == COL_ACTIVATION else QSpinBox if col == COL_UNITS else QDoubleSpinBox
    qtbot.waitUntil(lambda: bool(view.viewport().findChildren(editor_type)))
    editor = view.viewport().findChildren(editor_type)[0]
    if isinstance(editor, QComboBox):
        editor.setCurrentIndex(editor.findData(value))
        editor.activated.emit(editor.currentIndex())  # what a click on the item does
    else:
        editor.setValue(value)
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.viewport().findChildren(editor_type))


# -- the layer stack -----------------------------------------------------------------------------


def test_build_a_network_with_buttons_keys_and_inline_editors(qtbot, studio):
    le = studio.layers
    assert [l.units for l in layers_of(studio)] == [8]
    qtbot.mouseClick(studio.w("addLayerButton"), Qt.MouseButton.LeftButton)  # nothing selected: append
    assert layers_of(studio) == (LayerConfig(8, "relu"), LayerConfig(8, "relu"))
    assert le.current_layer() == 1

    edit_cell(qtbot, studio, 1, COL_UNITS, 32)
    edit_cell(qtbot, studio, 1, COL_ACTIVATION, "tanh")
    edit_cell(qtbot, studio, 1, COL_DROPOUT, 0.25)
    assert layers_of(studio)[1] == LayerConfig(32, "tanh", 0.25, False)

    le.select_layer(0)
    qtbot.mouseClick(studio.w("insertLayerButton"), Qt.MouseButton.LeftButton)  # above the selected one
    assert [l.units for l in layers_of(studio)] == [8, 8, 32]
    edit_cell(qtbot, studio, 0, COL_UNITS, 4)

    le.select_layer(2)
    press(qtbot, studio, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # duplicate
    assert [l.units for l in layers_of(studio)] == [4, 8, 32, 32]
    assert le.current_layer() == 3

    press(qtbot, studio, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    press(qtbot, studio, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert [l.units for l in layers_of(studio)] == [4, 32, 8, 32]
    assert le.current_layer() == 1

    press(qtbot, studio, Qt.Key.Key_Delete)
    assert [l.units for l in layers_of(studio)] == [4, 8, 32]
    assert le.current_layer() == 1  # the next layer takes the removed one's place

    press(qtbot, studio, Qt.Key.Key_Insert)  # add below the selection
    assert [l.units for l in layers_of(studio)] == [4, 8, 8, 32]

    # batch norm through the check box of the BN column
    model = le.view.model()
    model.setData(model.index(4, COL_BN), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert layers_of(studio)[3].batch_norm is True
    assert model.data(model.index(4, COL_BN), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked

    # what the table shows is the config
    assert [table_text(studio, r, COL_UNITS) for r in range(1, 5)] == ["4", "8", "8", "32"]
    assert table_text(studio, 4, COL_ACTIVATION) == "tanh"
    assert table_text(studio, 4, COL_DROPOUT) == "0.25"


def test_move_buttons_follow_the_selection(qtbot, studio):
    studio.editor.load(moons_config(layers=(LayerConfig(1), LayerConfig(2), LayerConfig(3))), "three layers")
    le = studio.layers
    up, down, remove = studio.w("moveLayerUpButton"), studio.w("moveLayerDownButton"), studio.w("removeLayerButton")
    le.select_layer(None)
    assert not remove.isEnabled() and not up.isEnabled() and not down.isEnabled()
    le.select_layer(0)
    assert remove.isEnabled() and not up.isEnabled() and down.isEnabled()
    qtbot.mouseClick(down, Qt.MouseButton.LeftButton)
    assert [l.units for l in layers_of(studio)] == [2, 1, 3]
    le.select_layer(2)
    assert up.isEnabled() and not down.isEnabled()


def test_input_and_output_rows_are_locked(qtbot, studio):
    model = studio.layers.view.model()
    last = model.rowCount() - 1
    assert table_text(studio, 0, 0) == "Input" and table_text(studio, 0, COL_UNITS) == "2"
    assert table_text(studio, last, 0) == "Output" and table_text(studio, last, COL_UNITS) == "2"
    assert table_text(studio, last, COL_ACTIVATION) == "softmax"
    for row in (0, last):
        flags = model.flags(model.index(row, COL_UNITS))
        assert not flags & Qt.ItemFlag.ItemIsEditable
        assert not flags & Qt.ItemFlag.ItemIsSelectable
        assert not model.setData(model.index(row, COL_UNITS), 5)
    assert layers_of(studio) == (LayerConfig(8, "relu"),)


def _type_units(qtbot, studio, layer: int, text: str) -> None:
    """Type ``text`` into a layer's units editor and press Return, as a user does."""
    type_units_in(qtbot, studio.layers.view, layer, text)


def type_units_in(qtbot, view, layer: int, text: str) -> None:
    """Type ``text`` into hidden layer ``layer``'s units cell of the layer table ``view``, then Return."""
    index = view.model().index(layer + 1, COL_UNITS)
    view.setCurrentIndex(index)
    view.edit(index)
    qtbot.waitUntil(lambda: bool(view.viewport().findChildren(QSpinBox)))
    spin = view.viewport().findChildren(QSpinBox)[0]
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.viewport().findChildren(QSpinBox))


@pytest.mark.parametrize("typed", ["0", "999999"])
def test_units_out_of_range_are_explained_inline_not_clamped(qtbot, studio, typed):
    _type_units(qtbot, studio, 0, typed)
    assert layers_of(studio)[0].units == int(typed)  # what was typed, not a clamped value
    note = studio.w("designSizeLabel").text()
    assert note == f"⚠ Hidden layer 1 units: {typed} cannot be used here. Use an integer between 1 and 100000."
    assert not studio.w("configProblemLabel").isVisibleTo(studio)  # said once, under the layer table
    studio.editor.undo_stack.undo()
    assert layers_of(studio)[0].units == 8 and "parameters" in studio.w("designSizeLabel").text()


def _type_rate(qtbot, studio, text: str) -> None:
    spin = studio.w("learningRateSpin")
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_high_learning_rates_are_kept_with_a_warning_and_0_is_explained(qtbot, studio):
    notes, problem = studio.w("configNotesLabel"), studio.w("configProblemLabel")
    _type_rate(qtbot, studio, "50")
    assert studio.editor.config.learning_rate == 50.0
    assert notes.isVisibleTo(studio) and "very high" in notes.text() and not problem.isVisibleTo(studio)
    spin = studio.w("learningRateSpin")
    spin.stepBy(1)  # log stepping: 50 -> 100, the top of the arrows' range
    assert studio.editor.config.learning_rate == 100.0
    _type_rate(qtbot, studio, "0")
    assert studio.editor.config.learning_rate == 0.0
    assert problem.isVisibleTo(studio) and "Learning rate: 0.0 cannot be used here" in problem.text()
    _type_rate(qtbot, studio, "500")  # past the arrows' range: kept as typed, with the warning
    assert studio.editor.config.learning_rate == 500.0 and "500 is very high" in notes.text()
    assert not problem.isVisibleTo(studio)
    _type_rate(qtbot, studio, "0.01")
    assert not problem.isVisibleTo(studio) and not notes.isVisibleTo(studio)


def test_design_size_counts_the_engines_parameters_and_warns_when_huge(qtbot, studio):
    from nnstudio.design.size import design_size
    from nnstudio.engine.network import Network

    ed = studio.editor
    cfg = moons_config(layers=(LayerConfig(8, "relu", batch_norm=True), LayerConfig(5, "tanh")))
    ed.load(cfg, "two layers")
    expected = Network.from_config(cfg, 2, 2).n_params
    assert design_size(cfg, ed.info).parameters == expected == (2 * 8 + 8 + 16) + (8 * 5 + 5) + (5 * 2 + 2)
    label = studio.w("designSizeLabel")
    assert f"{expected:,} parameters" in label.text() and "⚠" not in label.text()
    ed.load(moons_config(layers=(LayerConfig(2000), LayerConfig(2000))), "big")
    assert "⚠ Large design: 4,012,002 parameters" in label.text() and "MB" in label.text()
    assert "Large design" in studio.w("configNotesLabel").text()


def test_activation_editor_offers_hidden_activations_with_formulas(qtbot, studio):
    view = studio.layers.view
    index = view.model().index(1, COL_ACTIVATION)
    view.edit(index)
    qtbot.waitUntil(lambda: bool(view.viewport().findChildren(QComboBox)))
    combo = view.viewport().findChildren(QComboBox)[0]
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names == hidden_activation_names() and "softmax" not in names
    tip = combo.itemData(names.index("sigmoid"), Qt.ItemDataRole.ToolTipRole)
    assert "σ" in tip
    qtbot.keyClick(combo, Qt.Key.Key_Escape)


def test_drag_and_drop_moves_a_layer_in_one_undo_step(qtbot, studio):
    studio.editor.load(moons_config(layers=(LayerConfig(1), LayerConfig(2), LayerConfig(3))), "three layers")
    model = studio.layers.view.model()
    steps = studio.editor.undo_stack.count()
    mime = model.mimeData([model.index(1, COL_UNITS)])  # hidden layer 0
    accepted = model.dropMimeData(mime, Qt.DropAction.MoveAction, 4, 0, QModelIndex())  # before the output row
    assert not accepted  # the view must not delete the dragged row: the config edit moved it
    assert [l.units for l in layers_of(studio)] == [2, 3, 1]
    assert studio.editor.undo_stack.count() == steps + 1
    mime = model.mimeData([model.index(3, COL_UNITS)])  # the layer of 1 unit, now last
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 1, 0, QModelIndex())  # before hidden layer 0
    assert [l.units for l in layers_of(studio)] == [1, 2, 3]
    mime = model.mimeData([model.index(0, COL_UNITS)])  # the input row cannot be dragged
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert [l.units for l in layers_of(studio)] == [1, 2, 3]


# -- undo and redo -------------------------------------------------------------------------------


def test_undo_redo_restore_configs_exactly(qtbot, studio):
    ed = studio.editor
    seen = [ed.config]
    studio.w("optimizerCombo").setCurrentIndex(studio.w("optimizerCombo").findData("sgd"))
    seen.append(ed.config)
    qtbot.mouseClick(studio.w("addLayerButton"), Qt.MouseButton.LeftButton)
    seen.append(ed.config)
    studio.w("earlyStoppingCheck").setChecked(False)
    seen.append(ed.config)
    studio.w("epochsSpin").setValue(17)
    seen.append(ed.config)
    assert ed.undo_stack.count() == 4 and len(set(seen)) == 5
    for expected in reversed(seen[:-1]):
        ed.undo_stack.undo()
        assert ed.config == expected
    assert studio.w("optimizerCombo").currentData() == "adam"
    assert studio.w("earlyStoppingCheck").isChecked()
    for expected in seen[1:]:
        ed.undo_stack.redo()
        assert ed.config == expected
    assert studio.w("epochsSpin").value() == 17
    assert not studio.w("patienceSpin").isEnabled()


def test_consecutive_spin_steps_merge_into_one_undo_step(qtbot, studio):
    ed = studio.editor
    lr = studio.w("learningRateSpin")
    before = ed.config
    for _ in range(3):
        lr.stepUp()
    assert ed.config.learning_rate == pytest.approx(0.01)  # 0.001 -> 0.002 -> 0.005 -> 0.01
    assert ed.undo_stack.count() == 1
    assert "learning rate" in ed.undo_stack.undoText()
    studio.w("epochsSpin").stepUp()  # another field: a new step
    assert ed.undo_stack.count() == 2
    ed.undo_stack.undo()
    ed.undo_stack.undo()
    assert ed.config == before
    assert lr.value() == pytest.approx(0.001)


def test_stepping_back_to_the_start_leaves_no_undo_step(qtbot, studio):
    lr = studio.w("learningRateSpin")
    lr.stepUp()
    lr.stepDown()
    assert studio.editor.undo_stack.count() == 0


# -- binding both ways --------------------------------------------------------------------------------


def test_config_to_widgets(qtbot, studio):
    cfg = moons_config(init_method="glorot_uniform", optimizer="rmsprop", learning_rate=0.0003, rho=0.95,
                       batch_size=0, epochs=321, clip_type="global_norm", grad_clip=2.5, l2=1e-4,
                       early_stopping=False, patience=7, seed=42, dtype="float64", name="probe",
                       schedule=ScheduleConfig("step", gamma=0.25, step_size=30))
    studio.editor.load(cfg, "a test config")
    w = studio.w
    assert w("initMethodCombo").currentData() == "glorot_uniform"
    assert w("optimizerCombo").currentData() == "rmsprop"
    assert w("learningRateSpin").value() == pytest.approx(3e-4)
    assert w("learningRateSpin").text() == "0.0003"
    assert w("rhoSpin").value() == pytest.approx(0.95)
    assert w("batchSizeSpin").value() == 0 and w("batchSizeSpin").text() == "full batch"
    assert w("epochsSpin").value() == 321
    assert w("clipTypeCombo").currentData() == "global_norm"
    assert w("clipValueSpin").isEnabled() and w("clipValueSpin").value() == pytest.approx(2.5)
    assert w("l2Spin").value() == pytest.approx(1e-4) and w("l1Spin").text() == "off"
    assert not w("earlyStoppingCheck").isChecked() and not w("patienceSpin").isEnabled()
    assert w("patienceSpin").value() == 7 and w("seedSpin").value() == 42
    assert w("dtypeCombo").currentData() == "float64"
    assert w("trainMetricsCombo").currentData() == "auto"
    assert w("experimentNameEdit").text() == "probe"
    assert w("scheduleGammaSpin").value() == pytest.approx(0.25) and w("scheduleStepSpin").value() == 30
    # only the settings the chosen optimizer and schedule use are shown
    assert w("rhoSpin").isVisibleTo(studio) and w("epsilonSpin").isVisibleTo(studio)
    assert not w("beta1Spin").isVisibleTo(studio) and not w("momentumSpin").isVisibleTo(studio)
    assert w("scheduleStepSpin").isVisibleTo(studio) and not w("schedulePatienceSpin").isVisibleTo(studio)


@pytest.mark.parametrize("optimizer", OPTIMIZERS.names())
def test_optimizer_settings_shown_are_the_ones_it_reads(qtbot, studio, optimizer):
    combo = studio.w("optimizerCombo")
    combo.setCurrentIndex(combo.findData(optimizer))
    names = {"momentum": "momentumSpin", "beta1": "beta1Spin", "beta2": "beta2Spin", "epsilon": "epsilonSpin",
             "rho": "rhoSpin", "weight_decay": "weightDecaySpin"}
    shown = {field for field, name in names.items() if studio.w(name).isVisibleTo(studio)}
    assert shown == set(optimizer_settings(optimizer))
    assert studio.w("learningRateSpin").isVisibleTo(studio)


def test_schedule_settings_follow_the_schedule(qtbot, studio):
    combo = studio.w("scheduleCombo")
    names = {"gamma": "scheduleGammaSpin", "step_size": "scheduleStepSpin", "patience": "schedulePatienceSpin",
             "min_lr": "scheduleMinLrSpin"}
    for schedule in ("constant", "plateau", "cosine"):
        combo.setCurrentIndex(combo.findData(schedule))
        shown = {f for f, n in names.items() if studio.w(n).isVisibleTo(studio)}
        assert shown == set(schedule_settings(schedule))


def test_widgets_to_config(qtbot, studio):
    w, ed = studio.w, studio.editor
    w("initMethodCombo").setCurrentIndex(w("initMethodCombo").findData("he_uniform"))
    w("optimizerCombo").setCurrentIndex(w("optimizerCombo").findData("momentum"))
    w("momentumSpin").setValue(0.8)
    w("batchSizeSpin").setValue(0)
    w("clipTypeCombo").setCurrentIndex(w("clipTypeCombo").findData("value"))
    w("clipValueSpin").setValue(0.5)
    w("l1Spin").stepUp()
    w("patienceSpin").setValue(3)
    w("seedSpin").setValue(9)
    w("dtypeCombo").setCurrentIndex(w("dtypeCombo").findData("float64"))
    w("trainMetricsCombo").setCurrentIndex(w("trainMetricsCombo").findData("evaluation"))
    w("logEverySpin").setValue(5)
    w("experimentNameEdit").setText("run a")
    w("experimentNameEdit").editingFinished.emit()
    w("valFractionSpin").setValue(0.2)
    w("splitSeedSpin").setValue(3)
    cfg = ed.config
    assert (cfg.init_method, cfg.optimizer, cfg.momentum) == ("he_uniform", "momentum", pytest.approx(0.8))
    assert cfg.full_batch and cfg.clip_type == "value" and cfg.grad_clip == pytest.approx(0.5)
    assert cfg.l1 > 0 and cfg.patience == 3 and cfg.seed == 9 and cfg.dtype == "float64"
    assert cfg.log_every == 5 and cfg.name == "run a" and cfg.train_metrics == "evaluation"
    assert cfg.data.val_fraction == pytest.approx(0.2) and cfg.data.split_seed == 3


def test_choosing_a_loss_sets_its_output_activation(qtbot, studio):
    loss = studio.w("lossCombo")
    loss.setCurrentIndex(loss.findData("log_loss"))
    cfg = studio.editor.config
    assert (cfg.loss_func, cfg.output_activation) == ("log_loss", "sigmoid")
    assert studio.w("outputActivationCombo").currentData() == "sigmoid"
    assert studio.editor.undo_stack.count() == 1  # one step for the pair
    last = studio.layers.view.model().rowCount() - 1
    assert table_text(studio, last, COL_UNITS) == "1"  # two classes with a sigmoid: one output


def test_threshold_controls_are_enabled_only_when_they_apply(qtbot, studio):
    w = studio.w
    clip = w("clipTypeCombo")
    clip.setCurrentIndex(clip.findData("none"))
    assert not w("clipValueSpin").isEnabled()
    for name in CLIP_TYPES.names():
        clip.setCurrentIndex(clip.findData(name))
        assert w("clipValueSpin").isEnabled() == (name != "none")
    assert w("clipValueSpin").minimum() > 0  # a zero threshold would zero every gradient
    w("earlyStoppingCheck").setChecked(True)
    assert w("patienceSpin").isEnabled() and w("minDeltaSpin").isEnabled()
    w("earlyStoppingCheck").setChecked(False)
    assert not w("patienceSpin").isEnabled() and not w("minDeltaSpin").isEnabled()


# -- data set and task -------------------------------------------------------------------------


def test_dataset_change_updates_locked_sizes_and_loss_choices(qtbot, studio):
    ed, combo, loss = studio.editor, studio.w("datasetCombo"), studio.w("lossCombo")
    model = studio.layers.view.model()

    def loss_enabled(name):
        return loss.model().item(loss.findData(name)).isEnabled()

    combo.setCurrentIndex(combo.findData("diabetes"))  # regression
    wait_info(qtbot, ed)
    qtbot.waitUntil(lambda: ed.config.loss_func == "mse")
    last = model.rowCount() - 1
    assert table_text(studio, 0, COL_UNITS) == "10" and table_text(studio, last, COL_UNITS) == "1"
    assert ed.config.output_activation == "linear" and table_text(studio, last, COL_ACTIVATION) == "linear"
    assert loss_enabled("mse") and not loss_enabled("log_loss") and not loss_enabled("categorical_crossentropy")
    assert "regression" in studio.w("dataSizesLabel").text()
    assert ed.problem is None
    ed.undo_stack.undo()  # the data set and its loss change are one step
    assert ed.config == moons_config()

    ed.undo_stack.redo()
    combo.setCurrentIndex(combo.findData("moons"))  # binary: a regression output is replaced
    wait_info(qtbot, ed)
    assert (ed.config.output_activation, ed.config.loss_func) == ("sigmoid", "log_loss")
    assert all(loss_enabled(n) for n in LOSSES.names())

    combo.setCurrentIndex(combo.findData("gaussians"))
    wait_info(qtbot, ed)
    studio.findChild(QSpinBox, "dataParam_n_classes").setValue(5)  # multi-class
    wait_info(qtbot, ed)
    qtbot.waitUntil(lambda: ed.config.loss_func == "categorical_crossentropy")
    assert ed.config.output_activation == "softmax"
    last = model.rowCount() - 1
    assert table_text(studio, 0, COL_UNITS) == "2" and table_text(studio, last, COL_UNITS) == "5"
    assert not loss_enabled("log_loss")
    assert "log_loss" in loss.model().item(loss.findData("log_loss")).toolTip() or \
        "categorical" in loss.model().item(loss.findData("log_loss")).toolTip()
    assert "5-class" in studio.w("dataSizesLabel").text()


def test_dataset_options_come_from_its_param_specs(qtbot, studio):
    spec = DATASETS["moons"]
    for p in spec.params:
        widget = studio.findChild(QWidget, f"dataParam_{p.name}")
        assert widget is not None and widget.toolTip()
        if p.maximum is not None:
            assert widget.maximum() == pytest.approx(p.maximum)
    n = studio.findChild(QSpinBox, "dataParam_n_samples")
    n.setValue(100)
    wait_info(qtbot, studio.editor)
    assert studio.editor.config.data.params["n_samples"] == 100
    sizes = studio.editor.info.sizes
    assert sum(sizes.values()) == 100
    assert f"train {sizes['train']}" in studio.w("dataSizesLabel").text()
    combo = studio.w("datasetCombo")
    combo.setCurrentIndex(combo.findData("circles"))
    assert studio.findChild(QWidget, "dataParam_factor") is not None
    assert studio.editor.config.data == DataConfig("circles")  # options start from the defaults


def test_dataset_description_shows_the_chosen_class_count(qtbot, studio):
    combo = studio.w("datasetCombo")
    combo.setCurrentIndex(combo.findData("spiral"))
    description = studio.w("datasetDescription")
    assert "(2-D, 3 classes)" in description.text() and "n_classes" not in description.text()
    k = studio.findChild(QSpinBox, "dataParam_n_classes")
    k.setValue(5)
    assert studio.editor.config.data.params["n_classes"] == 5
    assert "(2-D, 5 classes)" in description.text()
    assert "n_classes" not in combo.itemData(combo.findData("gaussians"), Qt.ItemDataRole.ToolTipRole)


def test_split_fractions_that_leave_too_little_training_data_are_explained(qtbot, studio):
    studio.w("valFractionSpin").setValue(0.5)
    studio.w("testFractionSpin").setValue(0.45)
    label = studio.w("configProblemLabel")
    assert label.isVisibleTo(studio)
    assert "10%" in label.text() or "0.9" in label.text()
    studio.w("testFractionSpin").setValue(0.2)
    assert not label.isVisibleTo(studio)


# -- inline validity -------------------------------------------------------------------------------


def test_log_loss_on_many_classes_is_explained_inline_and_marks_invalid(qtbot, studio):
    ed = studio.editor
    bad = moons_config(data=DataConfig("gaussians", {"n_classes": 10, "n_samples": 300}),
                       output_activation="sigmoid", loss_func="log_loss")
    with qtbot.waitSignal(ed.validityChanged, timeout=INFO_TIMEOUT_MS,
                          check_params_cb=lambda ok, message: not ok) as blocker:
        ed.load(bad, "a bad config")
    assert "log_loss" in blocker.args[1]
    label = studio.w("configProblemLabel")
    assert label.isVisibleTo(studio)
    assert "log_loss" in label.text() and "10 classes" in label.text()
    assert ed.config == bad  # explained, not silently changed
    with pytest.raises(Exception) as err:
        ed.validated()
    assert err.value.field == "loss_func"

    loss = studio.w("lossCombo")
    with qtbot.waitSignal(ed.validityChanged, check_params_cb=lambda ok, message: ok):
        loss.setCurrentIndex(loss.findData("categorical_crossentropy"))
    assert not label.isVisibleTo(studio)
    assert ed.config.output_activation == "softmax"
    assert ed.validated() == ed.config


def test_output_activation_that_does_not_pair_with_the_loss_is_explained(qtbot, studio):
    out = studio.w("outputActivationCombo")
    out.setCurrentIndex(out.findData("tanh"))  # categorical cross-entropy needs softmax
    label = studio.w("configProblemLabel")
    assert label.isVisibleTo(studio) and "softmax" in label.text()
    assert studio.editor.problem is not None


def test_a_layer_problem_names_the_row_as_the_table_shows_it(qtbot, studio):
    ed = studio.editor
    with qtbot.waitSignal(ed.validityChanged, check_params_cb=lambda ok, message: not ok):
        ed.load(moons_config(layers=(LayerConfig(8, "relu"), LayerConfig(0, "relu"))), "a zero-unit layer")
    assert table_text(studio, 2, 0) == "Hidden 2"
    text = studio.w("designSizeLabel").text()
    assert "Hidden layer 2 units: 0 cannot be used here" in text and "layers[" not in text


# -- CSV import ------------------------------------------------------------------------------------


def _patch_csv_dialogs(monkeypatch, path, column):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    chosen = {}

    def get_item(parent, title, label, items, current=0, editable=True, *rest, **kw):
        chosen["items"] = list(items)
        return column if column is not None else items[current], True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(get_item))
    return chosen


def test_import_csv_loads_in_the_background_and_shows_sizes(qtbot, studio, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    path = tmp_path / "points.csv"
    rows = ["a,b,c,label"] + [f"{x:.3f},{y:.3f},{z:.3f},{'yes' if x > 0 else 'no'}"
                              for x, y, z in rng.normal(size=(120, 3))]
    path.write_text("\n".join(rows) + "\n")
    chosen = _patch_csv_dialogs(monkeypatch, path, "label")
    qtbot.mouseClick(studio.w("importCsvButton"), Qt.MouseButton.LeftButton)
    assert chosen["items"] == ["a", "b", "c", "label"]
    ed = studio.editor
    assert ed.config.data.name == "csv" and ed.config.data.params["target"] == "label"
    wait_info(qtbot, ed)
    assert ed.info.ok and ed.info.n_features == 3 and ed.info.n_classes == 2
    assert "2-class" in studio.w("dataSizesLabel").text()
    assert "points.csv" in studio.w("datasetCombo").currentText()
    assert table_text(studio, 0, COL_UNITS) == "3"
    assert ed.undo_stack.count() == 1


def test_a_bad_csv_shows_its_error_in_the_panel(qtbot, studio, tmp_path, monkeypatch):
    path = tmp_path / "broken.csv"
    path.write_text("a,b,target\n1,2,x\n3,oops,y\n" + "".join(f"{i},{i},z\n" for i in range(30)))
    _patch_csv_dialogs(monkeypatch, path, "target")
    qtbot.mouseClick(studio.w("importCsvButton"), Qt.MouseButton.LeftButton)
    ed = studio.editor
    wait_info(qtbot, ed)
    label = studio.w("dataSizesLabel")
    assert ed.info.error and "oops" in label.text() and "line 3" in label.text()
    assert ed.problem is not None and ed.problem.field == "data"
    assert label.text().startswith("⚠ ") and "cannot be used here" not in label.text()
    # said once, in the panel of the data set: the Hyperparameters panel's red line stays hidden
    assert not studio.w("configProblemLabel").isVisibleTo(studio)
    assert "oops" not in studio.w("configProblemLabel").text()


def test_an_unreadable_csv_header_changes_nothing(qtbot, studio, tmp_path, monkeypatch):
    path = tmp_path / "empty.csv"
    path.write_text("\n\n")
    _patch_csv_dialogs(monkeypatch, path, None)
    before = studio.editor.config
    qtbot.mouseClick(studio.w("importCsvButton"), Qt.MouseButton.LeftButton)
    text = studio.w("dataSizesLabel").text()
    assert "empty.csv: the file is empty" in text
    assert f"Not imported: {before.data.name} stays the data set." in text  # which data the design still uses
    assert studio.editor.config == before and studio.editor.undo_stack.count() == 0


# -- explanations ----------------------------------------------------------------------------------


def test_every_bound_control_explains_itself(qtbot, studio):
    bound = [w for w in studio.findChildren(QWidget) if w.property("configField")]
    assert len(bound) > 25
    for widget in bound:
        assert widget.toolTip().strip(), widget.objectName()
    init = studio.w("initMethodCombo")
    for name in INITIALIZERS.names():
        tip = init.itemData(init.findData(name), Qt.ItemDataRole.ToolTipRole)
        assert INITIALIZERS[name].formula in tip
    assert "fan_in" in init.itemData(init.findData("he_normal"), Qt.ItemDataRole.ToolTipRole)
    assert "1/(1 − p)" in studio.layers.view.model().headerData(COL_DROPOUT, Qt.Orientation.Horizontal,
                                                                Qt.ItemDataRole.ToolTipRole)


def test_help_pane_follows_the_focused_control(qtbot, studio):
    studio.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is studio)
    studio.w("learningRateSpin").setFocus()
    qtbot.waitUntil(lambda: "Learning rate" in studio.help.toPlainText())
    clip = studio.w("clipTypeCombo")
    clip.setFocus()
    qtbot.waitUntil(lambda: "global_norm" in studio.help.toPlainText())
    view = studio.layers.view
    view.setFocus()
    view.setCurrentIndex(view.model().index(1, COL_DROPOUT))
    qtbot.waitUntil(lambda: "Inverted dropout" in studio.help.toPlainText())
    view.setCurrentIndex(view.model().index(1, COL_BN))
    qtbot.waitUntil(lambda: "γ" in studio.help.toPlainText())


# -- small widgets ---------------------------------------------------------------------------------


def test_log_steps_walk_one_two_five():
    values = [1e-4]
    for _ in range(6):
        values.append(log_step_up(values[-1]))
    assert values == pytest.approx([1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2])
    assert log_step_down(1e-2) == pytest.approx(5e-3)
    assert log_step_up(3e-4) == pytest.approx(5e-4) and log_step_down(3e-4) == pytest.approx(2e-4)


def test_log_spin_box_accepts_scientific_notation_and_zero_text(qtbot):
    spin = LogSpinBox(1e-6, 10.0)
    qtbot.addWidget(spin)
    spin.lineEdit().setText("3e-4")
    spin.interpretText()
    assert spin.value() == pytest.approx(3e-4)
    spin.setValue(1e-6)
    spin.stepDown()
    assert spin.value() == pytest.approx(1e-6)  # never below the floor
    off = LogSpinBox(1e-6, 1.0, "off")
    qtbot.addWidget(off)
    assert off.text() == "off" and off.value() == 0
    off.stepUp()
    assert off.value() == pytest.approx(1e-6)
    off.stepDown()
    assert off.value() == 0 and off.text() == "off"


def test_diagram_caps_nodes_and_draws_weights_that_fit(qtbot):
    diagram = NetworkDiagram()
    qtbot.addWidget(diagram)
    diagram.resize(300, 240)
    diagram.set_layers([64, 100, 3], ["input", "relu", "softmax"])
    counts = [len(units) for units, _pts in diagram.node_positions()]
    assert counts == [MAX_NODES, MAX_NODES, 3]
    assert list(shown_units(100))[0] == 0 and list(shown_units(100))[-1] == 99
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(64, 100)), rng.normal(size=(100, 3))]
    diagram.set_weights(weights)
    assert diagram.has_weights()
    before = diagram.grab().toImage()
    diagram.set_weights([w * -1 for w in weights])  # signs flip: blue edges become red
    after = diagram.grab().toImage()
    assert before != after
    diagram.set_weights([rng.normal(size=(5, 5))])  # from another design: ignored
    assert not diagram.has_weights()
    diagram.set_weights(weights)
    diagram.set_layers([64, 50, 3])  # the design changed: old weights no longer fit
    assert not diagram.has_weights()


def test_editor_without_the_data_yet_is_not_marked_invalid(qtbot):
    editor = ConfigEditor(moons_config(data=DataConfig("spiral", {"n_samples": 150})))
    assert editor.info.pending
    assert editor.problem is None  # loading is not a fault
    wait_info(qtbot, editor)
    assert editor.info.ok and editor.problem is None
    editor.shutdown()


@pytest.mark.parametrize("name", [n for n in DATASETS.names() if n != "csv"])
def test_every_builtin_data_set_gets_a_valid_model(qtbot, name):
    """Whatever data set is chosen, the loss and output it ends with can train on it."""
    editor = ConfigEditor(moons_config())
    wait_info(qtbot, editor)
    editor.edit(editor.config.replace(data=DataConfig(name)), f"choose {name}")
    wait_info(qtbot, editor)
    qtbot.waitUntil(lambda: editor.problem is None, timeout=INFO_TIMEOUT_MS)
    assert math.isfinite(editor.info.n_features) and editor.info.n_features > 0
    editor.shutdown()


def test_train_metrics_choices_explain_themselves(qtbot, studio):
    combo = studio.w("trainMetricsCombo")
    tips = {combo.itemData(i): combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())}
    assert set(tips) == {"auto", "running", "evaluation"}
    assert "dropout" in tips["auto"]
    assert "mini-batches" in tips["running"] and "evaluation mode" in tips["evaluation"]
    assert "training loss" in combo.toolTip()


# -- what the window shows is what it trains -------------------------------------------------------


def test_a_preset_after_a_csv_import_trains_on_the_preset_data(qtbot, studio, tmp_path, monkeypatch):
    """The CSV entry leaving the data-set box is a display change, never an edit of the data set."""
    from nnstudio.presets import load_preset

    path = tmp_path / "points.csv"
    rng = np.random.default_rng(1)
    path.write_text("a,b,label\n" + "".join(f"{x:.3f},{y:.3f},{int(x > y)}\n" for x, y in rng.normal(size=(80, 2))))
    _patch_csv_dialogs(monkeypatch, path, "label")
    qtbot.mouseClick(studio.w("importCsvButton"), Qt.MouseButton.LeftButton)
    ed = studio.editor
    wait_info(qtbot, ed)
    assert ed.config.data.name == "csv"
    ed.load(load_preset("digits"), "preset digits")
    assert ed.config.data.name == "digits"
    combo = studio.w("datasetCombo")
    assert combo.currentData() == "digits" and combo.findData("csv") < 0
    texts = [ed.undo_stack.text(i) for i in range(ed.undo_stack.count())]
    assert not any(t.startswith("Set data set") for t in texts), texts
    wait_info(qtbot, ed)
    assert ed.info.n_features == 64 and ed.info.n_classes == 10


def _click_row(qtbot, view, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_a_mouse_click_on_a_layer_row_enables_its_buttons_and_keys(qtbot, studio):
    studio.editor.load(moons_config(layers=(LayerConfig(1), LayerConfig(2), LayerConfig(3))), "three layers")
    le, view = studio.layers, studio.layers.view
    le.select_layer(None)
    remove, dup = studio.w("removeLayerButton"), studio.w("duplicateLayerButton")
    up, down = studio.w("moveLayerUpButton"), studio.w("moveLayerDownButton")
    _click_row(qtbot, view, 2)  # hidden layer 2
    assert le.current_layer() == 1
    assert remove.isEnabled() and dup.isEnabled() and up.isEnabled() and down.isEnabled()
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert [l.units for l in layers_of(studio)] == [2, 1, 3]
    _click_row(qtbot, view, 3)  # hidden layer 3
    assert not down.isEnabled() and up.isEnabled()
    qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [l.units for l in layers_of(studio)] == [2, 1, 3, 3]
    _click_row(qtbot, view, 1)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert [l.units for l in layers_of(studio)] == [1, 3, 3]


def test_a_squeezed_layer_table_keeps_the_activation_header_and_names_whole(qtbot):
    """Pushed to its narrowest beside the diagram, with more layers than fit (the vertical scroll
    bar takes its width) and a run training, the Activation column still shows its header and
    names whole, and the table scrolls sideways to the columns past its edge instead of clipping
    them; given room again, the column fills it."""
    from PySide6.QtWidgets import QSplitter

    layers = tuple(LayerConfig(64, "leaky_relu") for _ in range(12))
    editor = ConfigEditor(moons_config(layers=layers))
    splitter = QSplitter(Qt.Orientation.Horizontal)
    table_editor = LayerEditor(editor, splitter)
    splitter.addWidget(QWidget(splitter))
    qtbot.addWidget(splitter)
    splitter.resize(900, 300)
    splitter.show()
    qtbot.waitExposed(splitter)
    wait_info(qtbot, editor)
    table_editor.set_editable(False, dropout=True)  # as while a run trains
    splitter.setSizes([1, 899])
    view = table_editor.view
    qtbot.waitUntil(lambda: view.verticalScrollBar().isVisible())
    header = view.horizontalHeader()
    widest = max(view.fontMetrics().horizontalAdvance(n) for n in hidden_activation_names())
    assert header.sectionSize(COL_ACTIVATION) >= max(header.sectionSizeHint(COL_ACTIVATION), widest + 8)
    bar = view.horizontalScrollBar()
    assert header.length() > view.viewport().width() and bar.isVisible()  # the BN column is reachable
    bar.setValue(bar.maximum())
    assert header.sectionViewportPosition(COL_BN) + header.sectionSize(COL_BN) <= view.viewport().width()
    splitter.setSizes([600, 300])  # room again: no sideways scrolling, the column takes the rest
    qtbot.waitUntil(lambda: not bar.isVisible())
    assert header.length() == view.viewport().width()
    editor.shutdown()
