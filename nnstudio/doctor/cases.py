"""The article's failure cases as designs: each one's cause as the doctor should name it, and the fix.

Small on purpose (10-30 epochs on digits or iris) so that diagnosing one and verifying its fix
over three seeds takes seconds.  ``benchmarks/doctor_cases.py`` prints the table in the README.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import ExperimentConfig, LayerConfig
from ..presets import load_preset


@dataclass(frozen=True)
class FailureCase:
    name: str
    config: ExperimentConfig
    cause: str        # the expected top finding's code
    fix: str          # the expected suggestion's text


def article_failures() -> dict[str, FailureCase]:
    """The five failures the article warns about, built from its preset."""
    article = load_preset("article")
    cases = [
        FailureCase("zeros init", article.replace(name="zeros init", init_method="zeros", epochs=10),
                    "identical_units", "init_method: glorot_uniform"),
        FailureCase("standard-normal init with sigmoid",
                    article.replace(name="standard-normal init", init_method="random", epochs=10),
                    "saturated_units", "init_method: glorot_uniform"),
        FailureCase("learning rate far too high",
                    article.replace(name="learning rate 100x", learning_rate=50.0, epochs=12),
                    "update_ratio_high", "learning_rate: ×0.1"),
        FailureCase("deep sigmoid with SGD",
                    article.replace(name="deep sigmoid", layers=[LayerConfig(32, "sigmoid")] * 6, epochs=10),
                    "vanishing_gradients", "activation: relu"),
        FailureCase("over-wide without regularization",
                    article.replace(name="over-wide", data={"name": "iris"}, layers=[LayerConfig(256, "relu")] * 2,
                                    optimizer="adam", learning_rate=3e-3, batch_size=16, init_method="he_normal",
                                    early_stopping=False, epochs=30),
                    "overfitting", "l2: 0.001"),
    ]
    return {case.name: case for case in cases}
