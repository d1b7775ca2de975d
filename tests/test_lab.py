"""The optimization lab's numerics: range test, suggestions, Hessian work, landscapes, sharpness.

Every figure is checked against an exact reference: the Hessian of a linear least-squares model
or of logistic regression in closed form, a hand-worked curve for the suggestions, and the
rescaling symmetry of ReLU networks for filter normalization.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import load_split
from nnstudio.engine import Trainer
from nnstudio.lab.finder import find_rates, network_for, one_test, training_arrays
from nnstudio.lab.landscape import Plane, axis, random_directions, surface
from nnstudio.lab.lr_find import (debiased_average, schedule, suggest, suggest_minimum, suggest_steep,
                                  suggest_valley, RangeCurve)
from nnstudio.lab.objective import Objective, float64_copy
from nnstudio.lab.sharpness import SharpnessMonitor, largest_eigenvalue, stability_threshold
from nnstudio.lab.study import landscape_study
from nnstudio.lab.verify import VerificationRun

LINEAR = ExperimentConfig(
    name="least squares", data=DataConfig("diabetes"), layers=(), output_activation="linear", loss_func="mse",
    optimizer="sgd", batch_size=32, epochs=3, early_stopping=False, dtype="float64")
LOGISTIC = ExperimentConfig(
    name="logistic", data=DataConfig("moons", {"n_samples": 200, "noise": 0.2}), layers=(),
    output_activation="sigmoid", loss_func="log_loss", optimizer="sgd", learning_rate=0.5, batch_size=0,
    epochs=40, early_stopping=False, dtype="float64")
SMALL_MLP = LOGISTIC.replace(layers=(LayerConfig(8, "tanh"), LayerConfig(6, "tanh")), init_method="glorot_normal")


def design(X: np.ndarray) -> np.ndarray:
    """[X 1]: the inputs of a linear model with the bias as one more column (the layout's order
    is W then b, and W is (n_in, 1), so a parameter vector is (w_1 .. w_d, b))."""
    return np.hstack([X, np.ones((len(X), 1))])


def least_squares_hessian(split) -> np.ndarray:
    """∇²L for L = mean((Aθ − y)²): (2/n) AᵀA."""
    A = design(split.X_train)
    return 2.0 / len(A) * A.T @ A


@pytest.fixture(scope="module")
def diabetes():
    return load_split(LINEAR.data)


@pytest.fixture(scope="module")
def moons():
    return load_split(LOGISTIC.data)


# -- range test and suggestions ----------------------------------------------------------

def test_debiased_average_of_a_constant_is_that_constant():
    # without the 1/(1 − β^t) correction the first values would be 0.02·x, 0.04·x, ...
    np.testing.assert_allclose(debiased_average([3.0] * 20, 0.98), 3.0, rtol=1e-12)


def test_schedule_is_exponential_from_start_towards_end():
    lrs = schedule(100, 1e-7, 10.0)
    assert lrs[0] == pytest.approx(1e-7)
    np.testing.assert_allclose(lrs[1:] / lrs[:-1], 10 ** 0.08)
    assert lrs[-1] == pytest.approx(10.0 / 10 ** 0.08)


def test_suggestions_on_a_hand_worked_curve():
    lrs = np.logspace(-4, 0, 8)
    losses = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0, 1.0, 2.0])
    # the lowest loss is at index 5: minimum suggests a tenth of that rate
    assert suggest_minimum(lrs, losses) == (pytest.approx(lrs[5] / 10), 5)
    # the longest decreasing run ends at 5 and is 6 long, so it "starts" at -1: (6/3) + (2/2) on
    assert suggest_valley(lrs, losses) == (pytest.approx(lrs[2]), 2)
    # a steeper drop between points 2 and 3 makes point 2 the steepest
    steeper = losses.copy()
    steeper[3:6] -= 3.0
    assert suggest_steep(lrs, steeper)[1] == 2


def test_marks_come_from_the_trimmed_curve():
    lrs = schedule(100)
    smoothed = np.linspace(3.0, 1.0, 100)
    smoothed[:10] = 0.1   # inside the first steps // 10 points: trimmed away
    smoothed[-5:] = 0.05  # inside the last 5 points: trimmed away
    marks = suggest(RangeCurve(lrs, smoothed, smoothed, 100, False))
    assert marks["minimum"].point_lr == pytest.approx(lrs[94])
    assert marks["minimum"].lr == pytest.approx(lrs[94] / 10)


def test_range_test_restores_parameters_and_statistics_exactly(moons):
    config = SMALL_MLP.replace(layers=(LayerConfig(8, "relu", dropout_rate=0.2, batch_norm=True),),
                               optimizer="adam", batch_size=16, dtype="float32")
    net = network_for(config, moons, 0)
    net.buffers_flat[...] = np.linspace(0.5, 1.5, net.buffers_flat.size)  # statistics a step would move
    before = net.state()
    curve = one_test(config, moons, 0, network=net)
    assert len(curve.lrs) > 20 and np.ptp(curve.losses) > 0.1  # it trained, up to rates that move the loss
    assert np.array_equal(net.flat, before[0]) and np.array_equal(net.buffers_flat, before[1])


def test_finder_on_a_quadratic_bowl_recommends_a_stable_rate(diabetes):
    lam = np.linalg.eigvalsh(least_squares_hessian(diabetes))[-1]
    config = LINEAR.replace(batch_size=0)  # full batch: the loss is exactly the quadratic
    result = find_rates(config, diabetes, seeds=2)
    assert all(curve.diverged for curve in result.curves)  # the rate passes 2/λ before the last step
    assert {c.method for c in result.candidates} == {"minimum", "steep", "valley"}
    verdict = VerificationRun(config, result.candidates, epochs=3, backend="thread").run()
    assert verdict.suggestion < 2.0 / lam
    assert verdict.band[0] < verdict.suggestion <= verdict.band[1]


# -- Hessian-vector products and sharpness ---------------------------------------------

def test_hvp_matches_the_least_squares_hessian(diabetes):
    net = network_for(LINEAR, diabetes, 0)
    objective = Objective(net, *training_arrays(LINEAR, diabetes))
    H = least_squares_hessian(diabetes)
    rng = np.random.default_rng(1)
    w, v = rng.standard_normal(net.n_params), rng.standard_normal(net.n_params)
    np.testing.assert_allclose(objective.hvp(w, v), H @ v, rtol=1e-6, atol=1e-9)


def test_hvp_matches_the_logistic_regression_hessian(moons):
    net = network_for(LOGISTIC, moons, 0)
    objective = Objective(net, *training_arrays(LOGISTIC, moons))
    rng = np.random.default_rng(2)
    w, v = rng.standard_normal(net.n_params), rng.standard_normal(net.n_params)
    A = design(moons.X_train)
    p = 1.0 / (1.0 + np.exp(-A @ w))
    H = A.T @ (A * (p * (1 - p))[:, None]) / len(A)   # ∇² of the mean log loss
    np.testing.assert_allclose(objective.hvp(w, v), H @ v, rtol=1e-5, atol=1e-8)


def test_hvp_of_an_mlp_matches_second_differences_of_the_loss(moons):
    net = float64_copy(SMALL_MLP, network_for(SMALL_MLP, moons, 0))
    objective = Objective(net, *training_arrays(SMALL_MLP, moons))
    w = net.flat.copy()
    v = np.random.default_rng(3).standard_normal(w.size)
    h = 1e-3
    second = (objective.loss(w + h * v) - 2 * objective.loss(w) + objective.loss(w - h * v)) / h ** 2
    assert v @ objective.hvp(w, v) == pytest.approx(second, rel=1e-4)


def test_sharpness_of_a_quadratic_is_its_largest_eigenvalue(diabetes):
    net = network_for(LINEAR, diabetes, 0)
    objective = Objective(net, *training_arrays(LINEAR, diabetes))
    exact = np.linalg.eigvalsh(least_squares_hessian(diabetes))[-1]
    eigen = largest_eigenvalue(objective, net.flat.copy(), iterations=200, tolerance=1e-10)
    assert eigen.value == pytest.approx(exact, rel=1e-6)
    assert eigen.evaluations == 2 * eigen.iterations


def test_stability_thresholds():
    assert stability_threshold("sgd", 0.1) == pytest.approx(20.0)
    assert stability_threshold("momentum", 0.1, 0.9) == pytest.approx(38.0)
    assert stability_threshold("nesterov", 0.1, 0.9) == pytest.approx(38.0 / 2.8)
    assert math.isnan(stability_threshold("adam", 0.1))


def test_sharpness_monitor_measures_without_changing_training(moons):
    config = SMALL_MLP.replace(epochs=6, optimizer="momentum", learning_rate=0.2)
    plain = [r.val_loss for r in Trainer(config, moons, histograms=False).run()]
    monitor = SharpnessMonitor(Trainer(config, moons, histograms=False), every=3)
    watched = [r.val_loss for r in monitor.run()]
    assert watched == plain
    assert [p.epoch for p in monitor.points] == [1, 3, 6]
    assert all(p.sharpness > 0 for p in monitor.points)
    assert monitor.points[-1].threshold == pytest.approx(2 * 1.9 / 0.2)


# -- landscapes --------------------------------------------------------------------------

def test_line_through_logistic_regression_is_convex(moons):
    result = landscape_study(LOGISTIC, moons, grid=3, seed_pair=False)
    line = result.lines["init_to_trained"]
    assert np.all(np.diff(line.train, 2) >= -1e-12)         # convex in α
    assert line.train[np.searchsorted(line.alphas, 1.0)] == pytest.approx(result.loss_at_trained)
    assert line.train[5] > result.loss_at_trained + 0.01    # α = 0: the initial weights, worse


def test_filter_normalization_makes_the_slice_invariant_to_relu_rescaling(moons):
    config = SMALL_MLP.replace(layers=(LayerConfig(8, "relu"),))
    net = float64_copy(config, network_for(config, moons, 0))
    scaled = float64_copy(config, net)
    c = 7.0
    scaled.params[0][...] *= c   # layer1.W
    scaled.params[1][...] *= c   # layer1.b
    scaled.params[2][...] /= c   # output.W: same function
    xs = axis(1.0, 5)
    grids = {}
    for normalize in (True, False):
        for name, network in (("original", net), ("scaled", scaled)):
            d1, d2 = random_directions(network, np.random.default_rng(5), normalize=normalize)
            objective = Objective(network, *training_arrays(config, moons), training=False)
            grids[name, normalize] = surface(objective, Plane(network.flat.copy(), d1, d2), xs, xs)
    np.testing.assert_allclose(grids["scaled", True], grids["original", True], rtol=1e-9)
    assert not np.allclose(grids["scaled", False], grids["original", False], rtol=1e-3)


def test_pca_path_projects_onto_its_own_plane(moons):
    result = landscape_study(SMALL_MLP.replace(epochs=10), moons, grid=5, directions="pca", seed_pair=False)
    assert result.path.shape == (11, 2)
    assert sum(result.explained) <= 1.0 + 1e-12 and result.explained[0] >= result.explained[1]
    assert np.abs(result.path).max() < result.xs[-1]   # the slice shows the whole path
    np.testing.assert_allclose(result.loss[2, 2], result.loss_at_trained)  # the centre is the trained point


def test_largest_eigenvalue_is_the_largest_even_when_a_negative_one_is_larger_in_size():
    H = np.diag([3.0, 1.0, -10.0])

    class Quadratic:  # L(w) = ½ wᵀHw: its Hessian-vector product is exact
        evaluations = 0

        def hvp(self, w, v):
            self.evaluations += 2
            return H @ v

    eigen = largest_eigenvalue(Quadratic(), np.zeros(3), iterations=500, tolerance=1e-12)
    assert eigen.value == pytest.approx(3.0, rel=1e-6)
