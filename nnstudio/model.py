"""A trained model: the network plus everything needed to predict on raw data.

:class:`TrainedModel` bundles the config, the network (parameters and batch-norm buffers),
the standardization fitted on the training split, the regression target's mean and scale,
and the class labels, so that ``model.predict(X_raw)`` returns original labels (or values in
the target's units) for rows exactly as they appear in the data file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PureWindowsPath
from typing import Any

import numpy as np

from .config import ExperimentConfig
from .data.datasets import CLASSIFICATION, REGRESSION
from .json_input import shown
from .data.split import Split, Standardizer
from .engine.network import Network, decode_classes


@dataclass(frozen=True)
class TrainedModel:
    """A network ready to predict on raw (unstandardized) features of shape (n, n_features)."""

    config: ExperimentConfig
    network: Network
    scaler: Standardizer
    task: str
    class_labels: tuple = ()
    feature_names: tuple[str, ...] = ()
    target_name: str = "target"
    target_mean: float = 0.0
    target_scale: float = 1.0
    info: dict[str, Any] = field(default_factory=dict)  # free-form facts about the run (metrics, data set)

    @classmethod
    def from_network(cls, config: ExperimentConfig, network: Network, split: Split,
                     info: dict[str, Any] | None = None) -> "TrainedModel":
        """Snapshot ``network`` (copied, so further training does not change the model) with ``split``'s
        standardization and labels."""
        copy = Network(network.n_inputs, network.hidden_config, network.n_outputs,
                       output_activation=config.output_activation, loss_func=config.loss_func,
                       init_method=config.init_method, dtype=network.dtype, l1=config.l1, l2=config.l2,
                       initialize=False)
        copy.load_state(network.state())
        ds = split.dataset
        return cls(config, copy, split.scaler, split.task, tuple(split.class_labels), tuple(ds.feature_names),
                   ds.target_name, float(split.target_mean), float(split.target_scale), dict(info or {}))

    @property
    def stored_config(self) -> ExperimentConfig:
        """The config as model files and exports store it: a CSV path reduced to the file's name, so
        that a shared model does not reveal the folders of the machine it was trained on (either
        separator counts, wherever the model was made)."""
        params = self.config.data.params
        path = params.get("path")
        if self.config.data.name != "csv" or not isinstance(path, str) or not path:
            return self.config
        return self.config.replace(data={"params": dict(params, path=PureWindowsPath(path).name)})

    @property
    def n_features(self) -> int:
        return self.network.n_inputs

    @property
    def classification(self) -> bool:
        return self.task == CLASSIFICATION

    def _inputs(self, X_raw) -> np.ndarray:
        X = np.asarray(X_raw, dtype=np.float64)
        if X.ndim == 1 and X.size == self.n_features:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} features per row, got an array of shape {X.shape}")
        return self.scaler.transform(X).astype(self.network.dtype, copy=False)

    def predict_output(self, X_raw) -> np.ndarray:
        """The network's raw outputs (n, n_outputs) for raw features (n, n_features)."""
        return self.network.predict_output(self._inputs(X_raw))

    def predict_indices(self, X_raw) -> np.ndarray:
        """Class indices (n,), int64 (classification only)."""
        self._need_classifier("class indices")
        return decode_classes(self.predict_output(X_raw))

    def predict_proba(self, X_raw) -> np.ndarray:
        """Class probabilities (n, n_classes); a single sigmoid unit p gives columns (1 − p, p)."""
        self._need_classifier("class probabilities")
        out = self.predict_output(X_raw)
        if out.shape[1] == 1:
            return np.hstack([1.0 - out, out])
        return out

    def predict(self, X_raw) -> np.ndarray:
        """Original class labels (n,), or regression values (n,) in the target's units."""
        out = self.predict_output(X_raw)
        if not self.classification:
            return out[:, 0].astype(np.float64) * self.target_scale + self.target_mean
        return np.asarray(self.class_labels)[decode_classes(out)]

    def _need_classifier(self, what: str) -> None:
        if not self.classification:
            raise ValueError(f"a regression model has no {what}; use predict()")

    def describe(self) -> str:
        kind = f"{len(self.class_labels)} classes" if self.classification else "regression"
        return f"{self.config.name}: {self.network.describe()}, {kind}"


def task_problem(task: str, n_outputs: int, n_labels: int) -> str:
    """What does not fit between a model's task, its network outputs and its class labels ('' if all does)."""
    if task not in (CLASSIFICATION, REGRESSION):
        return f"unknown task {shown(task, 40)}"
    if task == CLASSIFICATION and n_labels != max(n_outputs, 2):
        return f"{n_labels} class labels for a network with {n_outputs} output{'s' if n_outputs > 1 else ''}"
    if task == REGRESSION and n_outputs != 1:
        return f"a regression model with {n_outputs} outputs"
    return ""
