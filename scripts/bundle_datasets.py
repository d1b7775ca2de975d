"""Write resources/datasets/*.npz: the tabular data sets nnstudio ships, in its own format.

    .venv/bin/python scripts/bundle_datasets.py

Reads each data set once through scikit-learn (a build-time tool here, never imported when the
app runs) and stores what :mod:`nnstudio.data.datasets` needs: ``X`` in the smallest dtype that
holds it exactly, ``y`` as given, ``feature_names`` and ``target_names`` as Unicode arrays, so
that loading needs no pickle.  Sources and licences are listed in resources/datasets/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "resources" / "datasets"
LOADERS = {"digits": "load_digits", "iris": "load_iris", "wine": "load_wine",
           "breast_cancer": "load_breast_cancer", "diabetes": "load_diabetes"}


def _compact(X: np.ndarray) -> np.ndarray:
    """X as uint8 when every value is a whole number in 0..255 (the digits' pixels), else unchanged."""
    if np.all((X >= 0) & (X <= 255) & (X == np.round(X))):
        return X.astype(np.uint8)
    return X


def main() -> int:
    from sklearn import datasets

    OUT.mkdir(parents=True, exist_ok=True)
    for name, loader in LOADERS.items():
        bunch = getattr(datasets, loader)()
        X = np.asarray(bunch.data, dtype=np.float64)
        fields = {"X": _compact(X), "y": np.asarray(bunch.target),
                  "feature_names": np.asarray([str(n) for n in getattr(bunch, "feature_names", [])], dtype=str)}
        target_names = getattr(bunch, "target_names", None)
        if target_names is not None:
            fields["target_names"] = np.asarray([str(t) for t in target_names], dtype=str)
        path = OUT / f"{name}.npz"
        np.savez_compressed(path, **fields)
        print(f"{path.name}: X {X.shape} stored as {fields['X'].dtype}, {path.stat().st_size / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
