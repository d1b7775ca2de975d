"""The experiment config: exact JSON round trip, clear validation messages, migration from version 1."""

from __future__ import annotations

import json

import pytest

from nnstudio.config import (SCHEMA_VERSION, ConfigError, DataConfig, ExperimentConfig, LayerConfig,
                             ScheduleConfig, migrate)
from nnstudio.data import DATASETS
from nnstudio.engine import (ACTIVATIONS, CLIP_TYPES, INITIALIZERS, LOSSES, OPTIMIZERS, SCHEDULES,
                             hidden_activation_names, validate_config)


def _unusual() -> ExperimentConfig:
    """A config that differs from the defaults everywhere, with awkward floats."""
    return ExperimentConfig(
        name="ünïcode run",
        data=DataConfig("moons", {"n_samples": 321, "noise": 0.1 + 0.2}, 0.2, 0.1, 7, False),
        layers=(LayerConfig(7, "tanh", 0.1, True), LayerConfig(3, "elu"), LayerConfig(5, "leaky_relu", 0.35)),
        output_activation="sigmoid", loss_func="log_loss", init_method="lecun_normal", optimizer="nesterov",
        learning_rate=1 / 3, momentum=0.95, beta1=0.85, beta2=0.9999, epsilon=1e-7, rho=0.95,
        weight_decay=3e-4, schedule=ScheduleConfig("cosine", 0.3, 7, 4, 1e-5), batch_size=0, epochs=17,
        clip_type="global_norm", grad_clip=2.5e-3, l1=1e-5, l2=2e-4, early_stopping=False, patience=3,
        min_delta=1e-4, seed=99, dtype="float64", log_every=5)


# -- round trip --------------------------------------------------------------------------

@pytest.mark.parametrize("cfg", [ExperimentConfig(), _unusual()], ids=["default", "unusual"])
def test_json_round_trip_is_exact(cfg):
    text = cfg.to_json()
    back = ExperimentConfig.from_json(text)
    assert back == cfg
    assert back.to_json() == text
    assert back.learning_rate == cfg.learning_rate and back.data.params == cfg.data.params
    assert isinstance(back.layers, tuple) and all(isinstance(l, LayerConfig) for l in back.layers)


def test_json_uses_the_article_vocabulary_and_a_schema_version():
    d = json.loads(ExperimentConfig().to_json())
    assert d["schema_version"] == SCHEMA_VERSION
    for word in ("init_method", "clip_type", "grad_clip", "learning_rate", "loss_func", "early_stopping", "patience"):
        assert word in d
    assert "dropout_rate" in d["layers"][0]


def test_replace_returns_a_changed_copy_and_accepts_nested_changes():
    cfg = ExperimentConfig()
    changed = cfg.replace(learning_rate=0.01, data={"name": "iris"}, schedule={"name": "step"},
                          layers=[LayerConfig(8)])
    assert cfg.learning_rate == 1e-3 and cfg.data.name == "digits"
    assert changed.learning_rate == 0.01 and changed.data.name == "iris" and changed.schedule.name == "step"
    assert changed.data.val_fraction == cfg.data.val_fraction
    assert changed.layers == (LayerConfig(8),)


def test_configs_are_immutable():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        ExperimentConfig().learning_rate = 1.0


# -- validation messages ----------------------------------------------------------------

# registry-backed field -> (registry names it accepts, a config with a bad name)
REGISTRY_FIELDS = {
    "data.name": (DATASETS.names(), lambda: ExperimentConfig(data=DataConfig(name="mnist"))),
    "init_method": (INITIALIZERS.names(), lambda: ExperimentConfig(init_method="xavier")),
    "loss_func": (LOSSES.names(), lambda: ExperimentConfig(loss_func="hinge")),
    "optimizer": (OPTIMIZERS.names(), lambda: ExperimentConfig(optimizer="adagrad")),
    "clip_type": (CLIP_TYPES.names(), lambda: ExperimentConfig(clip_type="by_norm")),
    "schedule.name": (SCHEDULES.names(), lambda: ExperimentConfig(schedule=ScheduleConfig("linear"))),
    "output_activation": (ACTIVATIONS.names(), lambda: ExperimentConfig(output_activation="swish")),
    "layers[1].activation": (hidden_activation_names(),
                             lambda: ExperimentConfig(layers=(LayerConfig(4), LayerConfig(4, "gelu")))),
}


@pytest.mark.parametrize("field", sorted(REGISTRY_FIELDS))
def test_unknown_registry_names_are_rejected_listing_the_valid_ones(field):
    valid, make = REGISTRY_FIELDS[field]
    cfg = make()
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
    message = str(err.value)
    assert err.value.field == field
    assert message.startswith(f"{field}: {err.value.value!r} is not valid")
    assert all(name in message for name in valid), message


@pytest.mark.parametrize("field,value,expected", [
    ("learning_rate", 0.0, "> 0"),
    ("learning_rate", float("nan"), "a finite number"),
    ("grad_clip", -1.0, "> 0"),
    ("epochs", 0, ">= 1"),
    ("epochs", 2.5, "an integer"),
    ("batch_size", -1, "0 for full batch"),
    ("patience", 0, ">= 1"),
    ("beta1", 1.0, "< 1"),
    ("momentum", -0.1, ">= 0"),
    ("l2", -1e-3, ">= 0"),
    ("seed", -3, ">= 0"),
    ("dtype", "float16", "float32, float64"),
    ("early_stopping", "yes", "true or false"),
])
def test_numeric_and_type_errors_name_the_field_the_value_and_what_is_valid(field, value, expected):
    with pytest.raises(ConfigError) as err:
        ExperimentConfig().replace(**{field: value}).validate()
    message = str(err.value)
    assert err.value.field == field and message.startswith(f"{field}: {value!r} is not valid")
    assert expected in message


@pytest.mark.parametrize("layer,field", [(LayerConfig(0), "layers[0].units"),
                                         (LayerConfig(8, dropout_rate=1.0), "layers[0].dropout_rate"),
                                         (LayerConfig(8, batch_norm=1), "layers[0].batch_norm")])
def test_layer_errors_name_the_layer(layer, field):
    with pytest.raises(ConfigError) as err:
        ExperimentConfig(layers=(layer,)).validate()
    assert err.value.field == field


def test_fractions_must_leave_rows_for_training():
    with pytest.raises(ConfigError, match="val_fraction \\+ data.test_fraction"):
        ExperimentConfig(data=DataConfig(val_fraction=0.5, test_fraction=0.45)).validate()


def test_output_and_loss_must_pair():
    with pytest.raises(ConfigError) as err:
        validate_config(ExperimentConfig(output_activation="sigmoid", loss_func="categorical_crossentropy"))
    assert err.value.field == "loss_func" and "softmax" in str(err.value)


def test_a_regression_set_gets_regression_advice_whatever_the_pairing():
    from nnstudio.data import load_split

    split = load_split(DataConfig("diabetes"))
    for output, loss in (("linear", "categorical_crossentropy"), ("softmax", "categorical_crossentropy"),
                         ("sigmoid", "log_loss")):
        with pytest.raises(ConfigError) as err:
            validate_config(ExperimentConfig(data=DataConfig("diabetes"), output_activation=output,
                                             loss_func=loss), split)
        assert err.value.field == "loss_func" and "mse for a regression data set" in str(err.value)
        assert "log_loss" not in err.value.expected  # no classification loss is suggested


def test_unknown_fields_are_rejected_with_the_known_ones():
    raw = ExperimentConfig().to_dict() | {"learnig_rate": 0.1}
    with pytest.raises(ConfigError) as err:
        ExperimentConfig.from_dict(raw)
    assert err.value.field == "learnig_rate" and "learning_rate" in str(err.value)
    raw = ExperimentConfig().to_dict()
    raw["layers"][0]["unit"] = 3
    with pytest.raises(ConfigError) as err:
        ExperimentConfig.from_dict(raw)
    assert err.value.field == "layers[0].unit" and "units" in str(err.value)


def test_bad_json_says_where():
    with pytest.raises(ConfigError) as err:
        ExperimentConfig.from_json('{"epochs": 3,\n "seed": }')
    assert "line 2" in str(err.value)


def test_loading_validates():
    raw = ExperimentConfig().to_dict() | {"epochs": -5}
    with pytest.raises(ConfigError) as err:
        ExperimentConfig.from_dict(raw)
    assert err.value.field == "epochs"


# -- versions and migration -------------------------------------------------------------

ARTICLE_V1 = {
    "layers": [64, 32, 32, 10],
    "init_method": "he_uniform",
    "loss_func": "categorical_crossentropy",
    "dropout_rate": 0.2,
    "clip_type": "value",
    "clip_value": 5.0,
    "learning_rate": 0.1,
    "epochs": 100,
    "early_stopping": True,
    "patience": 10,
}


def test_article_shape_migrates_to_per_layer_settings():
    cfg = ExperimentConfig.from_dict(ARTICLE_V1)
    assert cfg.schema_version == SCHEMA_VERSION
    assert cfg.layers == (LayerConfig(32, "sigmoid", 0.2), LayerConfig(32, "sigmoid", 0.2))
    assert cfg.output_activation == "softmax" and cfg.loss_func == "categorical_crossentropy"
    assert cfg.grad_clip == 5.0 and cfg.clip_type == "value"
    assert cfg.optimizer == "sgd" and cfg.full_batch  # the article's plain full-batch gradient descent
    assert (cfg.init_method, cfg.learning_rate, cfg.epochs, cfg.patience) == ("he_uniform", 0.1, 100, 10)
    validate_config(cfg)


@pytest.mark.parametrize("loss,output", [("mse", "sigmoid"), ("log_loss", "sigmoid"),
                                         ("categorical_crossentropy", "softmax")])
def test_article_output_activation_follows_the_loss(loss, output):
    cfg = ExperimentConfig.from_dict({"layers": [4, 8, 3], "loss_func": loss})
    assert cfg.output_activation == output


def test_article_default_loss_is_mse():
    cfg = ExperimentConfig.from_dict({"layers": [64, 64, 10]})
    assert (cfg.loss_func, cfg.output_activation) == ("mse", "sigmoid")
    assert cfg.layers == (LayerConfig(64, "sigmoid"),)


def test_migration_does_not_touch_its_input():
    raw = json.loads(json.dumps(ARTICLE_V1))
    ExperimentConfig.from_dict(raw)
    assert raw == ARTICLE_V1


def test_unversioned_dict_with_layer_objects_is_read_as_is():
    d = ExperimentConfig().to_dict()
    del d["schema_version"]
    assert ExperimentConfig.from_dict(d) == ExperimentConfig()


def test_migrated_config_round_trips():
    cfg = ExperimentConfig.from_dict(ARTICLE_V1)
    assert ExperimentConfig.from_json(cfg.to_json()) == cfg


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 0, "2", True])
def test_unsupported_versions_are_rejected(version):
    with pytest.raises(ConfigError) as err:
        migrate({"schema_version": version})
    assert err.value.field == "schema_version"
    if version == SCHEMA_VERSION + 1:
        assert "newer nnstudio" in str(err.value)


def test_version_2_files_keep_measuring_train_metrics_by_evaluation():
    """Version 2 always scored the training split with an evaluation pass; its files reproduce that."""
    d = ExperimentConfig().to_dict()
    d["schema_version"] = 2
    del d["train_metrics"]
    cfg = ExperimentConfig.from_dict(d)
    assert cfg.train_metrics == "evaluation" and cfg.schema_version == SCHEMA_VERSION
    assert ExperimentConfig().train_metrics == "auto"
    assert ExperimentConfig.from_dict(ARTICLE_V1).train_metrics == "evaluation"


def test_unknown_train_metrics_name_the_choices():
    with pytest.raises(ConfigError) as err:
        ExperimentConfig(train_metrics="exact").validate()
    assert err.value.field == "train_metrics"
    assert all(name in str(err.value) for name in ("auto", "running", "evaluation"))
