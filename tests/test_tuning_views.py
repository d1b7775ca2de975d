"""The tuning views' data without Qt: CSV, sorting, filters, slices, contour, parallel
coordinates, the Pareto front, importance of conditional parameters, the failure note."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import optuna
import pytest
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.trial import create_trial

from nnstudio.tuning import SearchSpace, TuneSettings, create_study, param_importances, take_snapshot
from nnstudio.tuning.results import TrialRow
from nnstudio.tuning.views import (CATEGORY, LINEAR, LOG, common_params, contour_grid, failure_note, matches, parallel_lines,
                                   param_names, param_scale, param_sort_key, pareto_front, slice_points, table_csv,
                                   value_sort_key, write_table_csv)
from test_tuning_ranking import _add_cv_trials
from tuning_fixtures import iris_config, small_space

optuna.logging.set_verbosity(optuna.logging.ERROR)


def row(number, state="COMPLETE", value=0.9, val_loss=0.1, message="", flags=(), **params) -> TrialRow:
    return TrialRow(number, state, state, value, 1.0, params, message=message, config_json="{}",
                    flags=frozenset(flags), val_loss=val_loss)


def test_parameters_come_in_the_space_order_with_layers_in_place():
    rows = [row(0, n_layers=3, hidden_size_2=5, hidden_size_0=4, hidden_size_10=9, learning_rate=0.01),
            row(1, clip_value=0.1, dropout_rate=0.2, hidden_size_1=7)]
    assert param_names(rows, SearchSpace()) == ["n_layers", "hidden_size_0", "hidden_size_1", "hidden_size_2",
                                                "hidden_size_10", "dropout_rate", "learning_rate", "clip_value"]


def test_scales_follow_the_space():
    space = SearchSpace()
    assert param_scale(space, "learning_rate") == LOG
    assert param_scale(space, "hidden_size_3") == LINEAR
    assert param_scale(space, "init_method") == CATEGORY


def test_csv_has_one_column_per_parameter_and_the_standings(tmp_path):
    tuning = create_study(f"sqlite:///{tmp_path / 's.db'}", "v", iris_config(), small_space(), TuneSettings(cv=3))
    numbers = _add_cv_trials(tuning, [[0.80, 0.81, 0.79], [0.96, 0.94, 0.95], [0.95, 0.95, 0.94]])
    snapshot = take_snapshot(tuning)
    write_table_csv(tmp_path / "t.csv", snapshot, tuning.space)
    records = list(csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text())))
    assert [int(r["number"]) for r in records] == numbers
    by_number = {int(r["number"]): r for r in records}
    assert by_number[numbers[1]]["tied_with_best"] == "best"
    assert by_number[numbers[2]]["tied_with_best"] == "yes" and by_number[numbers[0]]["tied_with_best"] == ""
    assert float(by_number[numbers[1]]["sd"]) == pytest.approx(np.std([0.96, 0.94, 0.95], ddof=1))
    for t in tuning.trials():
        for name, value in t.params.items():
            cell = by_number[t.number][name]
            assert (float(cell) == pytest.approx(value)) if isinstance(value, (int, float)) else cell == str(value)
    assert table_csv(snapshot, tuning.space).splitlines()[0].startswith("number,state,value,mean,sd")


def test_sorting_by_value_puts_the_best_first_and_pruned_and_failed_last():
    rows = [row(0, "PRUNED", 0.99), row(1, value=0.95, val_loss=0.2), row(2, "FAIL", None),
            row(3, value=0.95, val_loss=0.1), row(4, value=0.97), row(5, "RUNNING", None)]
    ordered = [r.number for r in sorted(rows, key=lambda r: value_sort_key(r, "maximize"))]
    assert ordered == [4, 3, 1, 0, 5, 2]
    by_loss = [r.number for r in sorted(rows, key=lambda r: value_sort_key(r, "minimize"))]
    assert by_loss[:3] == [3, 1, 4]


def test_sorting_by_a_parameter_puts_trials_without_it_last():
    rows = [row(0, hidden_size_1=50), row(1), row(2, hidden_size_1=8)]
    assert [r.number for r in sorted(rows, key=lambda r: param_sort_key(r, "hidden_size_1"))] == [2, 0, 1]


@pytest.mark.parametrize("value, text, expected", [
    (0.05, "0.01..0.1", True), (0.5, "0.01..0.1", False), (3, ">2", True), (3, "<=2", False), (2, "=2", True),
    ("he_normal", "HE", True), ("value", "norm", False), (None, ">1", False), (None, "", True), (0.3, "abc", False)])
def test_filters(value, text, expected):
    assert matches(value, text) is expected


def test_slice_points_skip_trials_without_the_parameter():
    rows = [row(0, hidden_size_1=5), row(1), row(2, "FAIL", None, hidden_size_1=7), row(3, "PRUNED", 0.5,
                                                                                        hidden_size_1=9)]
    points = slice_points(rows, "hidden_size_1")
    assert points.x == [5, 9] and points.numbers == [0, 3] and points.states == ["COMPLETE", "PRUNED"]


def test_contour_averages_trials_per_cell_in_log_coordinates():
    space = SearchSpace()
    rows = [row(0, value=0.8, learning_rate=0.001, dropout_rate=0.0), row(1, value=0.6, learning_rate=0.001, dropout_rate=0.0),
            row(2, value=0.9, learning_rate=0.1, dropout_rate=0.5)]
    xe, ye, grid = contour_grid(rows, "learning_rate", "dropout_rate", space, bins=2)
    assert xe[0] == pytest.approx(-3) and xe[-1] == pytest.approx(-1)  # log10 of the learning rates
    assert grid[0, 0] == pytest.approx(0.7) and grid[1, 1] == pytest.approx(0.9)
    assert math.isnan(grid[0, 1]) and math.isnan(grid[1, 0])


def test_parallel_lines_scale_each_axis_to_unit_range_with_log_and_categories():
    space = SearchSpace()
    rows = [row(0, value=0.9, learning_rate=0.001, init_method="he_normal"),
            row(1, value=0.7, learning_rate=0.01, init_method=None),
            row(2, "PRUNED", 0.5, learning_rate=0.1, init_method="random")]
    matrix, numbers, states = parallel_lines(rows, ["learning_rate", "init_method"], space)
    np.testing.assert_allclose(matrix[:, 0], [0.0, 0.5, 1.0])  # log axis: 0.01 is half way
    assert math.isnan(matrix[1, 1])
    np.testing.assert_allclose(matrix[:, 2], [1.0, 0.0, 0.0])  # spans the complete trials; pruned below: 0
    assert numbers == [0, 1, 2] and states[2] == "PRUNED"


def test_common_params_leave_out_rare_layers():
    rows = [row(i, n_layers=2, hidden_size_1=4) for i in range(7)] + [row(7 + i, hidden_size_5=9) for i in range(2)]
    assert common_params(rows, ["n_layers", "hidden_size_1", "hidden_size_5"]) == ["n_layers", "hidden_size_1"]


def test_pareto_front_against_brute_force():
    rng = np.random.default_rng(0)
    points = rng.random((60, 2))
    front = pareto_front(points, ["maximize", "minimize"])
    for i, p in enumerate(points):
        beaten = any(q[0] >= p[0] and q[1] <= p[1] and (q[0] > p[0] or q[1] < p[1]) for q in points)
        assert (i in front) is (not beaten)
    assert pareto_front([[1, 1], [1, 1]], ["maximize", "maximize"]) == [0, 1]  # equal points do not dominate


def test_importance_includes_conditional_parameters():
    study = optuna.create_study(direction="maximize")
    rng = np.random.default_rng(1)
    dists = {"n_layers": IntDistribution(1, 3), "hidden_size_0": IntDistribution(4, 64),
             "hidden_size_2": IntDistribution(4, 64), "dropout_rate": FloatDistribution(0, 0.5)}
    for _ in range(40):
        n = int(rng.integers(1, 4))
        params = {"n_layers": n, "hidden_size_0": int(rng.integers(4, 65)), "dropout_rate": float(rng.random() / 2)}
        if n == 3:
            params["hidden_size_2"] = int(rng.integers(4, 65))
        value = (0.95 if n == 3 else 0.7) + 0.01 * rng.random()  # three layers is what matters
        study.add_trial(create_trial(params=params, distributions={k: dists[k] for k in params}, value=value))
    importances = param_importances(study)
    assert "hidden_size_2" in importances
    assert max(importances, key=importances.get) in ("n_layers", "hidden_size_2")
    assert importances["dropout_rate"] < importances["n_layers"]


def test_failure_note_names_the_common_reason():
    rows = [row(i, "FAIL", None, message=f"layers[0]: {i} units is not valid; expected more") for i in range(5)]
    rows += [row(5), row(6, "FAIL", None, message="Stopped by request.", flags=("interrupted",))]
    note = failure_note(rows)
    assert note.startswith("5 of 6 trials ended the same way: layers[0]: 0 units is not valid")
    assert failure_note(rows[3:]) == ""  # two of four is not most
