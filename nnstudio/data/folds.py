"""K-fold cross-validation over the training + validation rows of a split; the test rows stay out.

:func:`cv_folds` cuts the rows a :class:`~nnstudio.data.split.Split` uses for training and
validation into ``k`` folds and returns ``k`` splits: fold ``i`` validates on part ``i`` and
trains on the rest.  For classification the folds are stratified (every class is dealt out
over the folds in turn, so each fold holds about ``1/k`` of every class); for regression, and
for classes with fewer rows than folds, the rows are dealt out in a shuffled order.  The
assignment depends only on the rows and ``seed``, so every trial of a study sees the same
folds and their per-fold values can be compared pair by pair.

Each fold is standardized again with the statistics of its own training rows (features, and
the target for regression), as the split itself was; its test part is empty, so nothing
trained on a fold can look at the test rows.
"""

from __future__ import annotations

import numpy as np

from .datasets import CLASSIFICATION
from .split import DataError, Split, Standardizer

MIN_FOLDS = 2


def fold_assignment(y: np.ndarray, k: int, seed: int, stratify: bool) -> np.ndarray:
    """The fold (0 .. k-1) of every row of ``y``.

    Stratified: the rows of each class, shuffled, are dealt to folds ``0, 1, ..., k-1, 0, ...``
    continuing where the previous class stopped, so fold sizes differ by at most one and each
    class is split as evenly as its count allows.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    if stratify:
        order = np.concatenate([rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)])
    else:
        order = rng.permutation(n)
    folds = np.empty(n, dtype=np.intp)
    folds[order] = np.arange(n) % k
    return folds


def _raw_rows(split: Split) -> tuple[np.ndarray, np.ndarray]:
    """Training then validation rows in the data set's own units (the split's scaling undone)."""
    X = np.concatenate([split.X_train, split.X_val]).astype(np.float64)
    X = X * split.scaler.scale + split.scaler.mean
    y = np.concatenate([split.y_train, split.y_val])
    if split.task != CLASSIFICATION:
        y = y * split.target_scale + split.target_mean
    return X, y


def _fold_split(split: Split, X: np.ndarray, y: np.ndarray, train: np.ndarray, standardize: bool) -> Split:
    val = ~train
    scaler = Standardizer.fit(X[train]) if standardize else Standardizer.identity(X.shape[1])
    y_mean, y_scale = 0.0, 1.0
    if split.task != CLASSIFICATION:
        y_mean, y_scale = float(y[train].mean()), float(y[train].std()) or 1.0
        y = (y - y_mean) / y_scale
    empty = np.empty((0, X.shape[1]))
    return Split(split.dataset, scaler.transform(X[train]), y[train], scaler.transform(X[val]), y[val],
                 empty, y[:0], scaler, y_mean, y_scale)


def cv_folds(split: Split, k: int, seed: int = 0, standardize: bool = True) -> list[Split]:
    """``k`` splits of ``split``'s training + validation rows, fold ``i`` validating on part ``i``.

    Raises :class:`DataError` when ``k`` is below 2 or some fold would hold no rows.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < MIN_FOLDS:
        raise DataError(f"cross-validation needs at least {MIN_FOLDS} folds, not {k!r}")
    X, y = _raw_rows(split)
    if len(y) < 2 * k:
        raise DataError(f"{split.dataset.name}: {len(y)} training and validation rows are too few for {k} folds; "
                        f"need at least {2 * k}")
    classify = split.task == CLASSIFICATION
    stratify = classify and np.bincount(y.astype(np.intp)).max() >= k
    folds = fold_assignment(y, k, seed, stratify)
    out = []
    for i in range(k):
        train = folds != i
        if classify and len(np.unique(y[train])) < 2:
            raise DataError(f"{split.dataset.name}: fold {i + 1} of {k} trains on a single class; use fewer folds")
        out.append(_fold_split(split, X, y, train, standardize))
    return out
