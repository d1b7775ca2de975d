"""Built-in data sets: documented shapes, stratified reproducible splits, train-only statistics."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nnstudio.config import DataConfig
from nnstudio.data import (CLASSIFICATION, DATASETS, REGRESSION, Dataset, DataError, load_dataset, load_split,
                           split_dataset)

# name -> (rows, features, classes or None for regression), as the descriptions document them
BUILT_IN = {
    "digits": (1797, 64, 10),
    "iris": (150, 4, 3),
    "wine": (178, 13, 3),
    "breast_cancer": (569, 30, 2),
    "diabetes": (442, 10, None),
}
GENERATED = {"moons": 2, "circles": 2, "xor": 2, "gaussians": 3, "spiral": 3}


def test_every_registered_data_set_is_covered_here():
    assert set(DATASETS.names()) == set(BUILT_IN) | set(GENERATED) | {"csv"}


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_built_in_shapes_match_their_description(name):
    rows, features, classes = BUILT_IN[name]
    ds = load_dataset(name)
    spec = DATASETS[name]
    assert ds.X.shape == (rows, features) and ds.X.dtype == np.float64
    assert ds.y.shape == (rows,)
    assert len(ds.feature_names) == features
    assert f"{rows} x {features}" in spec.shape_hint
    assert str(rows) in spec.description
    if classes is None:
        assert ds.task == spec.task == REGRESSION and ds.n_classes == 0
        assert ds.y.dtype == np.float64
    else:
        assert ds.task == spec.task == CLASSIFICATION
        assert ds.n_classes == classes and f"{classes} classes" in spec.shape_hint
        assert set(np.unique(ds.y)) == set(range(classes))
        assert all(isinstance(label, str) for label in ds.class_labels)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_sets_follow_their_parameters(name):
    ds = load_dataset(name, {"n_samples": 250}, seed=3)
    assert ds.X.shape == (250, 2) and ds.y.shape == (250,)
    assert DATASETS[name].two_d
    assert ds.n_classes == GENERATED[name]
    counts = np.bincount(ds.y)
    if name == "xor":  # labels follow uniformly drawn points: balanced only on average
        assert counts.min() >= 0.35 * 250
    else:
        assert counts.max() - counts.min() <= 1
    np.testing.assert_array_equal(load_dataset(name, {"n_samples": 250}, seed=3).X, ds.X)
    assert not np.array_equal(load_dataset(name, {"n_samples": 250}, seed=4).X, ds.X)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_noise_spreads_the_points(name):
    quiet = load_dataset(name, {"noise": 0.0}, seed=1).X
    noisy = load_dataset(name, {"noise": 0.5}, seed=1).X
    assert noisy.std() > quiet.std()


def test_out_of_range_parameters_are_refused():
    with pytest.raises(DataError, match="n_samples: 5 is below the minimum 20"):
        load_split(DataConfig("moons", {"n_samples": 5}))
    with pytest.raises(DataError, match="has no option 'colour'; its options: n_samples, noise"):
        load_split(DataConfig("moons", {"colour": "red"}))


@pytest.mark.parametrize("name, params, message", [
    ("moons", {"n_samples": "many"}, "moons.n_samples: 'many' is not valid; expected a whole number"),
    ("moons", {"n_samples": 100.5}, "moons.n_samples: 100.5 is not valid; expected a whole number"),
    ("moons", {"n_samples": None}, "moons.n_samples: None is not valid; expected a whole number"),
    ("moons", {"n_samples": True}, "moons.n_samples: True is not valid; expected a whole number"),
    ("moons", {"noise": "x"}, "moons.noise: 'x' is not valid; expected a number"),
    ("moons", {"noise": float("nan")}, "moons.noise: nan is not valid; expected a number"),
    ("gaussians", {"n_classes": 2.5}, "gaussians.n_classes: 2.5 is not valid; expected a whole number"),
    ("csv", {"path": 5}, "csv.path: 5 is not valid; expected text"),
    ("csv", {"path": "a.csv", "target": [1]}, "csv.target: [1] is not valid; expected a column name or a 0-based"),
    ("csv", {"path": "a.csv", "drop_missing": "yes"}, "csv.drop_missing: 'yes' is not valid; expected true or false"),
])
def test_options_of_the_wrong_type_are_refused(name, params, message):
    """An experiment file is hand-edited JSON: a wrong type is a DataError naming the option, not
    a TypeError from deep inside the generator."""
    with pytest.raises(DataError) as info:
        load_split(DataConfig(name, params))
    assert message in str(info.value)


def test_whole_numbers_written_as_reals_are_taken():
    assert DATASETS["moons"].resolve_params({"n_samples": 100.0, "noise": 0}) == {"n_samples": 100, "noise": 0.0}
    assert type(DATASETS["moons"].resolve_params({"n_samples": 100.0})["n_samples"]) is int


# -- splits -------------------------------------------------------------------------------

def _indexed(n: int = 203, classes: int = 3, regression: bool = False) -> Dataset:
    """Rows that say which row they are (column 0 = index), with skewed class sizes."""
    rng = np.random.default_rng(0)
    X = np.c_[np.arange(n, dtype=float), rng.normal(5.0, 2.0, n), rng.exponential(3.0, n)]
    if regression:
        return Dataset("indexed", X, rng.normal(50, 10, n), REGRESSION)
    y = np.minimum(rng.integers(0, classes * 2, n) // 2, classes - 1)  # uneven classes
    y = np.sort(y)  # ordered rows would defeat an unshuffled cut
    return Dataset("indexed", X, y, CLASSIFICATION, tuple(f"c{i}" for i in range(classes)))


def _rows(split, part: np.ndarray) -> np.ndarray:
    raw = part * split.scaler.scale + split.scaler.mean
    return np.rint(raw[:, 0]).astype(int)


@pytest.mark.parametrize("val, test", [(0.15, 0.15), (0.2, 0.1), (0.1, 0.3)])
def test_split_is_stratified_within_one_sample(val, test):
    ds = _indexed()
    split = split_dataset(ds, val, test, seed=7)
    class_sizes = np.bincount(ds.y)
    for part, fraction in ((split.y_val, val), (split.y_test, test)):
        counts = np.bincount(part, minlength=ds.n_classes)
        assert np.all(np.abs(counts - fraction * class_sizes) <= 1), (counts, fraction * class_sizes)
    train_counts = np.bincount(split.y_train, minlength=ds.n_classes)
    assert np.all(np.abs(train_counts - (1 - val - test) * class_sizes) <= 2)


def test_split_parts_are_disjoint_and_cover_the_data():
    ds = _indexed()
    split = split_dataset(ds, seed=1)
    parts = [_rows(split, X) for X in (split.X_train, split.X_val, split.X_test)]
    everything = np.concatenate(parts)
    assert len(everything) == ds.n_samples == len(set(everything.tolist()))
    for rows, y in zip(parts, (split.y_train, split.y_val, split.y_test)):
        np.testing.assert_array_equal(ds.y[rows], y)


def test_split_is_reproducible_and_seeded():
    ds = _indexed()
    a, b, c = split_dataset(ds, seed=5), split_dataset(ds, seed=5), split_dataset(ds, seed=6)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert not np.array_equal(_rows(a, a.X_test), _rows(c, c.X_test))
    split = load_split(DataConfig("iris", split_seed=2))
    again = load_split(DataConfig("iris", split_seed=2))
    np.testing.assert_array_equal(split.X_val, again.X_val)


def test_standardization_uses_training_rows_only():
    ds = _indexed()
    split = split_dataset(ds, seed=3)
    train_rows = _rows(split, split.X_train)
    np.testing.assert_allclose(split.scaler.mean, ds.X[train_rows].mean(axis=0))
    np.testing.assert_allclose(split.scaler.scale, ds.X[train_rows].std(axis=0))
    assert not np.allclose(split.scaler.mean, ds.X.mean(axis=0))
    np.testing.assert_allclose(split.X_train.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(split.X_train.std(axis=0), 1, atol=1e-9)
    test_rows = _rows(split, split.X_test)
    np.testing.assert_allclose(split.X_test, (ds.X[test_rows] - split.scaler.mean) / split.scaler.scale)


def test_regression_target_is_standardized_with_training_statistics():
    ds = _indexed(regression=True)
    split = split_dataset(ds, seed=0)
    train_rows = _rows(split, split.X_train)
    assert split.target_mean == pytest.approx(ds.y[train_rows].mean())
    assert split.target_scale == pytest.approx(ds.y[train_rows].std())
    test_rows = _rows(split, split.X_test)
    np.testing.assert_allclose(split.y_test * split.target_scale + split.target_mean, ds.y[test_rows])


def test_standardize_off_leaves_features_alone():
    ds = _indexed()
    split = split_dataset(ds, seed=0, standardize=False)
    np.testing.assert_array_equal(split.X_train, ds.X[split.X_train[:, 0].astype(int)])


def test_split_does_not_modify_the_data_set():
    ds = _indexed()
    before = ds.X.copy()
    split_dataset(ds, seed=0)
    np.testing.assert_array_equal(ds.X, before)


def test_one_class_and_tiny_data_are_refused():
    X = np.zeros((10, 2))
    with pytest.raises(DataError, match="only one class"):
        split_dataset(Dataset("one", X, np.zeros(10, int), CLASSIFICATION, ("a",)))
    with pytest.raises(DataError, match="too few for a train/validation/test split"):
        split_dataset(Dataset("tiny", X[:4], np.array([0, 1, 0, 1]), CLASSIFICATION, ("a", "b")))


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "breast_cancer", "diabetes"])
def test_bundled_tables_equal_what_scikit_learn_ships(name):
    datasets = pytest.importorskip("sklearn.datasets")
    bunch = getattr(datasets, f"load_{name}")()
    ours = load_dataset(name)
    np.testing.assert_array_equal(ours.X, np.asarray(bunch.data, dtype=np.float64))
    assert ours.feature_names == tuple(str(n) for n in bunch.feature_names)
    if ours.task == CLASSIFICATION:
        labels = np.asarray([str(t) for t in bunch.target_names])[bunch.target]
        np.testing.assert_array_equal(np.asarray(ours.class_labels)[ours.y], labels)
    else:
        np.testing.assert_array_equal(ours.y, bunch.target)


def test_loading_a_builtin_table_imports_no_scikit_learn():
    code = ("import sys; from nnstudio.data import load_dataset; d = load_dataset('digits'); "
            "print(d.X.shape, any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["(1797,", "64)", "False"]


@pytest.mark.parametrize("name", ["gaussians", "spiral"])
def test_descriptions_state_the_class_count_not_an_option_name(name):
    spec = DATASETS[name]
    assert "n_classes" not in spec.describe()
    assert "3 classes by default" in spec.describe()
    assert "5 classes" in spec.describe({"n_classes": 5}) and "by default" not in spec.describe({"n_classes": 5})
    assert "3 classes by default" in spec.describe({"n_classes": 99})  # out of range: the default is what loads
    assert load_dataset(name, {"n_classes": 5}).n_classes == 5


def test_every_description_reads_as_prose():
    for name, spec in DATASETS.items():
        text = spec.describe()
        assert "{" not in text and not any(p.name in text for p in spec.params if "_" in p.name), (name, text)
