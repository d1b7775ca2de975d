"""Stratified train / validation / test splits and train-only standardization."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import DataConfig
from .datasets import CLASSIFICATION, Dataset, DATASETS
from ..errors import UserError


class DataError(UserError, ValueError):
    """The data cannot be used as asked; the message says why and what to change."""


@dataclass(frozen=True)
class Standardizer:
    """z = (x - mean) / scale, fitted on the training split only.  Shapes: (n_features,)."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> "Standardizer":
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale < 1e-12] = 1.0  # constant features stay constant instead of dividing by zero
        return cls(mean, scale)

    @classmethod
    def identity(cls, n_features: int) -> "Standardizer":
        return cls(np.zeros(n_features), np.ones(n_features))

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale

    def transform_inplace(self, X: np.ndarray) -> np.ndarray:
        """Standardize a float array in place (no temporary of its size); return it."""
        X -= self.mean
        X /= self.scale
        return X


@dataclass(frozen=True)
class Split:
    """A data set cut into train / validation / test, standardized with train statistics.

    ``y_*`` are class indices (classification) or float targets (regression), shape (n,).
    Regression targets are standardized with the training mean and scale too
    (``target_mean``, ``target_scale``); multiply back to get the original units.
    """

    dataset: Dataset
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    scaler: Standardizer
    target_mean: float = 0.0
    target_scale: float = 1.0

    @property
    def task(self) -> str:
        return self.dataset.task

    @property
    def n_features(self) -> int:
        return self.dataset.n_features

    @property
    def n_classes(self) -> int:
        return self.dataset.n_classes

    @property
    def class_labels(self) -> tuple:
        return self.dataset.class_labels

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def _classes(y: np.ndarray) -> np.ndarray:
    """The distinct labels of ``y``, sorted: ``np.unique`` without the import of ``numpy.ma``
    it makes on first use (18 ms of every command's start-up)."""
    s = np.sort(np.asarray(y).reshape(-1))
    return s[np.concatenate(([True], s[1:] != s[:-1]))] if len(s) else s


def _stratified_indices(y, fractions, rng, stratify):
    """Cut indices 0..n-1 into len(fractions)+1 parts; per class when ``stratify``."""
    groups = [np.flatnonzero(y == c) for c in _classes(y)] if stratify else [np.arange(len(y))]
    parts = [[] for _ in range(len(fractions) + 1)]
    for g in groups:
        g = rng.permutation(g)
        counts = [int(round(f * len(g))) for f in fractions]
        start = 0
        for i, c in enumerate(counts):
            parts[i].append(g[start:start + c])
            start += c
        parts[-1].append(g[start:])
    return [np.sort(np.concatenate(p)) for p in parts]


def split_dataset(ds: Dataset, val_fraction: float = 0.15, test_fraction: float = 0.15,
                  seed: int = 0, standardize: bool = True) -> Split:
    """A reproducible split (stratified for classification) with train-only standardization."""
    classify = ds.task == CLASSIFICATION
    if classify:
        counts = np.bincount(ds.y, minlength=ds.n_classes)
        if ds.n_classes < 2:
            raise DataError(f"{ds.name}: the target has only one class ({ds.class_labels!r}); "
                            "a classifier needs at least two")
    min_rows = 3 if not classify else 3 * ds.n_classes
    if ds.n_samples < min_rows:
        raise DataError(f"{ds.name}: {ds.n_samples} rows are too few for a train/validation/test split; "
                        f"need at least {min_rows}")
    rng = np.random.default_rng(seed)
    stratify = classify and counts.min() >= 3
    test_idx, val_idx, train_idx = _stratified_indices(ds.y, [test_fraction, val_fraction], rng, stratify)
    for part, idx in (("validation", val_idx), ("training", train_idx)):
        if len(idx) == 0:
            raise DataError(f"{ds.name}: the {part} split is empty with {ds.n_samples} rows; "
                            "lower the validation/test fractions or add rows")
    def rows(idx):  # fancy indexing copies, so each part can be standardized in place
        return ds.X[idx].astype(np.float64, copy=False)

    X_train = rows(train_idx)
    scaler = Standardizer.fit(X_train) if standardize else Standardizer.identity(ds.n_features)
    y, y_mean, y_scale = ds.y, 0.0, 1.0
    if not classify:
        y_mean, y_scale = float(y[train_idx].mean()), float(y[train_idx].std()) or 1.0
        y = (y - y_mean) / y_scale
    return Split(ds, scaler.transform_inplace(X_train), y[train_idx],
                 scaler.transform_inplace(rows(val_idx)), y[val_idx],
                 scaler.transform_inplace(rows(test_idx)), y[test_idx], scaler, y_mean, y_scale)


def load_split(data: DataConfig) -> Split:
    """Load the data set named in ``data`` and split it as it says."""
    try:
        ds = DATASETS[data.name].load(data.params, data.split_seed)
    except ValueError as exc:
        raise DataError(str(exc)) from None
    return split_dataset(ds, data.val_fraction, data.test_fraction, data.split_seed, data.standardize)
