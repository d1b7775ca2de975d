"""Small configs and search spaces shared by the tuning tests (quick to train)."""

from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.tuning import SearchSpace


def iris_config(**changes) -> ExperimentConfig:
    base = ExperimentConfig(name="iris", data=DataConfig("iris"), batch_size=32, patience=5,
                            layers=(LayerConfig(8, "tanh"),))
    return base.replace(**changes)


def small_space() -> SearchSpace:
    return SearchSpace().replace("n_layers", low=1, high=2).replace("hidden_size", low=4, high=12)
