"""Built-in data sets: a registry of name -> :class:`DatasetSpec`.

Every loader returns a :class:`Dataset` with float64 features ``X`` of shape
(n_samples, n_features) and targets ``y``: integer class indices of shape (n_samples,)
for classification (``class_labels[y]`` gives the original labels), float values of
shape (n_samples,) for regression.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from ..registry import Registry

CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass(frozen=True)
class Dataset:
    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    class_labels: tuple = ()
    feature_names: tuple[str, ...] = ()
    target_name: str = "target"

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_labels)


@dataclass(frozen=True)
class ParamSpec:
    """A data-set option shown in the data panel and accepted in ``DataConfig.params``."""

    name: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    choices: tuple = ()  # the allowed values, when the option is a choice


CLASSES = "{classes}"  # in a description: the class count of the options in use


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    description: str
    task: str
    loader: Callable[[Mapping[str, Any], np.random.Generator], Dataset]
    params: tuple[ParamSpec, ...] = ()
    two_d: bool = False  # a 2-D set whose decision boundary can be drawn
    shape_hint: str = ""

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults filled in; unknown or out-of-range options raise ``ValueError`` naming them."""
        known = {p.name: p for p in self.params}
        for key in given:
            if key not in known:
                valid = ", ".join(known) or "none"
                raise ValueError(f"data set {self.name!r} has no option {key!r}; its options: {valid}")
        out = {}
        for p in self.params:
            value = _typed(self.name, p, given.get(p.name, p.default))
            if p.minimum is not None and isinstance(value, (int, float)) and value < p.minimum:
                raise ValueError(f"{self.name}.{p.name}: {value!r} is below the minimum {p.minimum}")
            if p.maximum is not None and isinstance(value, (int, float)) and value > p.maximum:
                raise ValueError(f"{self.name}.{p.name}: {value!r} is above the maximum {p.maximum}")
            if p.choices and value not in p.choices:
                raise ValueError(f"{self.name}.{p.name}: {value!r} is not valid; choose one of "
                                 f"{', '.join(map(str, p.choices))}")
            out[p.name] = value
        return out

    def describe(self, params: Mapping[str, Any] | None = None) -> str:
        """The description with its class count filled in: the count ``params`` give, or the
        default one ("3 classes by default") when no params are given or they are not valid."""
        if CLASSES not in self.description:
            return self.description
        try:
            k, said = self.resolve_params(params or {})["n_classes"], params is not None
        except ValueError:
            k, said = self.resolve_params({})["n_classes"], False
        return self.description.replace(CLASSES, f"{k} classes" if said else f"{k} classes by default")

    def load(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> Dataset:
        return self.loader(self.resolve_params(params or {}), np.random.default_rng(seed))


def _typed(dataset: str, p: ParamSpec, value: Any) -> Any:
    """``value`` checked against the type of the option's default (``ValueError`` naming it):
    whole numbers for integer options (``100.0`` is taken as ``100``), finite numbers for real
    ones, true/false for switches, text for a file path; a target column is a name or an index."""
    def refuse(expected: str):
        return ValueError(f"{dataset}.{p.name}: {value!r} is not valid; expected {expected}")

    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(p.default, bool):
        if not isinstance(value, bool):
            raise refuse("true or false")
    elif isinstance(p.default, int):
        if not (number and math.isfinite(value) and float(value).is_integer()):
            raise refuse("a whole number")
        value = int(value)
    elif isinstance(p.default, float):
        if not (number and math.isfinite(value)):
            raise refuse("a number")
        value = float(value)
    elif isinstance(p.default, str) and not p.choices:
        if not isinstance(value, (str, os.PathLike)):
            raise refuse("text")
    elif p.default is None and value is not None and not (isinstance(value, str) or number and
                                                          isinstance(value, int)):
        raise refuse("a column name or a 0-based column index")
    return value


DATASETS: Registry[DatasetSpec] = Registry("data set")


def _labels(y) -> tuple[np.ndarray, tuple]:
    labels, idx = np.unique(np.asarray(y), return_inverse=True)
    return idx.astype(np.int64), tuple(labels.tolist())


def _bundled_loader(name: str, task: str):
    """A loader for a data set shipped in ``resources/datasets`` (written by
    ``scripts/bundle_datasets.py``): plain arrays read without pickle and without importing
    anything beyond NumPy, so that the first run does not wait seconds for a large library."""
    def load(params, rng) -> Dataset:
        with _bundled_path(name).open("rb") as file, np.load(file, allow_pickle=False) as data:
            X = np.asarray(data["X"], dtype=np.float64)
            target = data["y"]
            names = tuple(str(n) for n in data["feature_names"]) or tuple(f"x{i}" for i in range(X.shape[1]))
            target_names = tuple(str(t) for t in data["target_names"]) if "target_names" in data else ()
        if task == CLASSIFICATION:
            y, labels = _labels(target)
            if len(target_names) == len(labels):
                labels = target_names
            return Dataset(name, X, y, task, labels, names)
        return Dataset(name, X, np.asarray(target, dtype=np.float64), task, (), names)

    return load


def _bundled_path(name: str):
    from importlib import resources

    return resources.files("nnstudio.resources").joinpath("datasets", f"{name}.npz")


for _name, _task, _desc, _hint in [
    ("digits", CLASSIFICATION,
     "8x8 images of handwritten digits (the article's data set): 1797 samples, 64 pixel features, 10 classes.",
     "1797 x 64, 10 classes"),
    ("iris", CLASSIFICATION,
     "Fisher's iris flowers: 150 samples, 4 measurements, 3 species.", "150 x 4, 3 classes"),
    ("wine", CLASSIFICATION,
     "Chemical analysis of Italian wines: 178 samples, 13 features, 3 cultivars.", "178 x 13, 3 classes"),
    ("breast_cancer", CLASSIFICATION,
     "Wisconsin breast-cancer diagnosis: 569 samples, 30 features, 2 classes (use log loss).",
     "569 x 30, 2 classes"),
    ("diabetes", REGRESSION,
     "Diabetes progression after one year: 442 samples, 10 features, a numeric target (use mse, linear output).",
     "442 x 10, regression"),
]:
    DATASETS.register(_name, DatasetSpec(_name, _desc, _task, _bundled_loader(_name, _task), shape_hint=_hint))

_N = ParamSpec("n_samples", 400, 20, 100_000, "How many points to generate.")


def _noise(default: float) -> ParamSpec:
    return ParamSpec("noise", default, 0.0, 5.0, "Standard deviation of the Gaussian noise added to every point.")


def _two_d(name: str, X: np.ndarray, y: np.ndarray) -> Dataset:
    idx, labels = _labels(y)
    return Dataset(name, X.astype(np.float64), idx, CLASSIFICATION, labels, ("x1", "x2"))


def _moons(params, rng):
    n, noise = params["n_samples"], params["noise"]
    n_out = n // 2
    t_out = rng.uniform(0, np.pi, n_out)
    t_in = rng.uniform(0, np.pi, n - n_out)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    y = np.r_[np.zeros(n_out, int), np.ones(n - n_out, int)]
    return _two_d("moons", X + rng.normal(0, noise, X.shape), y)


def _circles(params, rng):
    n, noise, factor = params["n_samples"], params["noise"], params["factor"]
    n_out = n // 2
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.r_[np.ones(n_out), np.full(n - n_out, factor)]
    X = np.c_[r * np.cos(t), r * np.sin(t)]
    y = np.r_[np.zeros(n_out, int), np.ones(n - n_out, int)]
    return _two_d("circles", X + rng.normal(0, noise, X.shape), y)


def _xor(params, rng):
    n, noise = params["n_samples"], params["noise"]
    X = rng.uniform(-1, 1, (n, 2))
    y = (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(int)
    return _two_d("xor", X + rng.normal(0, noise, X.shape), y)


def _gaussians(params, rng):
    n, noise, k = params["n_samples"], params["noise"], params["n_classes"]
    angles = 2 * np.pi * np.arange(k) / k
    centres = 2.0 * np.c_[np.cos(angles), np.sin(angles)]
    y = np.arange(n) % k
    X = centres[y] + rng.normal(0, 0.5 + noise, (n, 2))
    return _two_d("gaussians", X, y)


def _spiral(params, rng):
    n, noise, k = params["n_samples"], params["noise"], params["n_classes"]
    y = np.arange(n) % k
    r = rng.uniform(0.05, 1.0, n)
    theta = y * 2 * np.pi / k + 4.0 * r
    X = np.c_[r * np.sin(theta), r * np.cos(theta)]
    return _two_d("spiral", X + rng.normal(0, noise, X.shape), y)


_K = ParamSpec("n_classes", 3, 2, 10, "How many classes (arms or clusters).")
for _name, _fn, _params, _desc in [
    ("moons", _moons, (_N, _noise(0.2)), "Two interleaving half circles (2-D, 2 classes)."),
    ("circles", _circles, (_N, _noise(0.1), ParamSpec("factor", 0.5, 0.05, 0.95, "Inner radius / outer radius.")),
     "A circle inside a ring (2-D, 2 classes): not linearly separable."),
    ("xor", _xor, (_N, _noise(0.05)), "Points labelled by the sign of x1 * x2 (2-D, 2 classes): the XOR problem."),
    ("gaussians", _gaussians, (_N, _noise(0.0), _K), "Gaussian blobs around a circle (2-D, {classes})."),
    ("spiral", _spiral, (_N, _noise(0.05), _K), "Interleaved spiral arms (2-D, {classes}): hard for shallow nets."),
]:
    DATASETS.register(_name, DatasetSpec(_name, _desc, CLASSIFICATION, _fn, _params, two_d=True,
                                         shape_hint="n_samples x 2"))


def load_dataset(name: str, params: Mapping[str, Any] | None = None, seed: int = 0) -> Dataset:
    """Load a registered data set by name (``UnknownNameError`` lists the valid names)."""
    return DATASETS[name].load(params, seed)
