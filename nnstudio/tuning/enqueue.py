"""Start a search from what you know: known designs as the first trials of a study.

A design is either an experiment config (the editor's current design, a saved experiment file)
or a dict of trial parameters (``{"n_layers": 2, "hidden_size_0": 128, ...}``).  A config is
turned into the parameters that make the study's trial function build it
(:func:`params_from_config`); a value outside the search space cannot be drawn by a trial, so
it is left to the sampler and a note says so, and so do settings that differ from the study's
base config but are not searched (they cannot be carried over).  The parameters are enqueued
(``optuna.Study.enqueue_trial``), so the next trials any worker starts are these, in order.

``nnstudio tune --enqueue FILE`` reads an experiment file, or a JSON list whose items are
parameter dicts or whole configs (:func:`load_designs`); the tuning tab's "Add current design"
enqueues the editor's config (:func:`enqueue_designs`).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..config import ConfigError, ExperimentConfig
from ..errors import UserError
from .space import CATEGORICAL, INT, Dimension, SearchSpace

SOURCE_ATTR = "enqueued"   # trial user attribute: where an enqueued trial's parameters came from
_LAYER_PARAM = re.compile(r"hidden_size_(\d+)$")
_SHARED_LAYER_FIELDS = {"dropout_rate": "dropout_rate", "activation": "activation", "batch_norm": "batch_norm"}
_SCALARS = {"learning_rate": "learning_rate", "init_method": "init_method", "clip_type": "clip_type",
            "optimizer": "optimizer", "batch_size": "batch_size", "l2": "l2"}
_OVERRIDDEN = {"name", "epochs", "early_stopping"}  # set by the study for every trial


class EnqueueError(UserError, ValueError):
    """A design cannot be enqueued; the message names the file, item and parameter (one line)."""


def dimension_of(param: str) -> str:
    """The search dimension behind trial parameter ``param`` (``hidden_size_3`` -> ``hidden_size``)."""
    if _LAYER_PARAM.match(param):
        return "hidden_size"
    return param


def in_space(dimension: Dimension, value: Any) -> bool:
    """Whether a trial of ``dimension`` can take ``value``."""
    if dimension.spec.kind == CATEGORICAL:
        return any(type(value) is type(c) and value == c for c in dimension.choices)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    if dimension.spec.kind == INT and not float(value).is_integer():
        return False
    return dimension.low <= value <= dimension.high


def _offer(params: dict, notes: list, space: SearchSpace, param: str, value: Any) -> None:
    dim = space[dimension_of(param)]
    if in_space(dim, value):
        params[param] = int(value) if dim.spec.kind == INT else value
    else:
        notes.append(f"{param} = {value!r} is outside the search space ({dim.describe()}); the sampler chooses it")


def params_from_config(config: ExperimentConfig, space: SearchSpace) -> tuple[dict[str, Any], list[str]]:
    """The trial parameters that rebuild ``config`` from a study's base, and notes on what cannot."""
    params: dict[str, Any] = {}
    notes: list[str] = []
    on = space.is_enabled
    layers = config.layers
    if on("n_layers"):
        _offer(params, notes, space, "n_layers", len(layers))
    if layers:
        for name, field in _SHARED_LAYER_FIELDS.items():
            if on(name):
                values = {getattr(layer, field) for layer in layers}
                if len(values) > 1:
                    notes.append(f"the layers have different {name} values; a trial uses one for all, the first")
                _offer(params, notes, space, name, getattr(layers[0], field))
        if on("hidden_size"):
            for i, layer in enumerate(layers):
                _offer(params, notes, space, f"hidden_size_{i}", layer.units)
    for name, field in _SCALARS.items():
        if on(name):
            _offer(params, notes, space, name, getattr(config, field))
    clip_type = params.get("clip_type", config.clip_type)
    if on("clip_value") and clip_type != "none":
        _offer(params, notes, space, "clip_value", config.grad_clip)
    return params, notes


def _differences(wanted: ExperimentConfig, base: ExperimentConfig, space: SearchSpace) -> list[str]:
    """Fields where ``wanted`` differs from ``base`` that no enabled dimension of ``space`` sets."""
    searched = {field for name, field in _SCALARS.items() if space.is_enabled(name)}
    if space.is_enabled("clip_value"):
        searched.add("grad_clip")
    a, b = wanted.to_dict(), base.to_dict()
    out = [k for k in a if k not in _OVERRIDDEN | searched | {"layers"} and a[k] != b[k]]
    if not space.is_enabled("n_layers") and len(wanted.layers) != len(base.layers):
        out.append("the number of layers")
    n = min(len(wanted.layers), len(base.layers))
    fields = [("units", "hidden_size")] + [(f, f) for f in _SHARED_LAYER_FIELDS.values()]
    for field, dimension in fields:
        if not space.is_enabled(dimension) and any(getattr(wanted.layers[i], field) != getattr(base.layers[i], field)
                                                   for i in range(n)):
            out.append(f"layer {field}")
    return out


def check_params(params: Mapping[str, Any], space: SearchSpace, where: str) -> dict[str, Any]:
    """Parameters given by name, checked: each must be a parameter of the space and in its range."""
    out = {}
    for param, value in params.items():
        name = dimension_of(str(param))
        try:
            dim = space[name]
        except KeyError:
            raise EnqueueError(f"{where}: {param!r} is not a search parameter; expected n_layers, hidden_size_0 ..., "
                               f"{', '.join(d.name for d in space if d.name not in ('n_layers', 'hidden_size'))}") from None
        if not dim.enabled:
            raise EnqueueError(f"{where}: {param} is not searched in this study (its dimension is off)")
        if not in_space(dim, value):
            raise EnqueueError(f"{where}: {param} = {value!r} is outside the search space ({dim.describe()})")
        out[param] = int(value) if dim.spec.kind == INT else value
    return out


def design_params(design: ExperimentConfig | Mapping[str, Any], base: ExperimentConfig, space: SearchSpace,
                  where: str = "design") -> tuple[dict[str, Any], list[str]]:
    """Parameters of one design (a config or a parameter dict) and notes on what a trial cannot rebuild."""
    if isinstance(design, ExperimentConfig):
        params, notes = params_from_config(design, space)
        differing = _differences(design, base, space)
        if differing:
            notes.append(f"{', '.join(differing)} differ{'s' if len(differing) == 1 else ''} from the study's base "
                         "config and are not searched; the trial keeps the study's")
        return params, [f"{where}: {n}" for n in notes]
    return check_params(design, space, where), []


def plan_designs(designs: Sequence[ExperimentConfig | Mapping[str, Any]], base: ExperimentConfig,
                 space: SearchSpace, source: str = "design") -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """Check every design before any is enqueued: ``([(label, params)], notes)``.  Raises
    :class:`EnqueueError` for a parameter dict naming an unknown or out-of-range parameter."""
    planned, notes = [], []
    for i, design in enumerate(designs):
        where = source if len(designs) == 1 else f"{source} item {i + 1}"
        params, more = design_params(design, base, space, where)
        planned.append((where, params))
        notes.extend(more)
    return planned, notes


def enqueue_designs(tuning, designs: Sequence[ExperimentConfig | Mapping[str, Any]],
                    source: str = "design") -> list[str]:
    """Enqueue ``designs`` as the next trials of ``tuning`` (a TuningStudy), in order; the notes.

    A design whose parameters a trial of the study already has (waiting, running or finished,
    not failed) is not enqueued again; a note names that trial."""
    from optuna.trial import TrialState

    planned, notes = plan_designs(designs, tuning.base, tuning.space, source)
    trials = tuning.study.get_trials(deepcopy=False, states=(TrialState.WAITING, TrialState.RUNNING,
                                                             TrialState.COMPLETE, TrialState.PRUNED))
    for where, params in planned:
        if not params:
            notes.append(f"{where}: none of its values can be drawn in this search space; not added")
            continue
        same = next((t for t in trials if all(t.params.get(k) == v for k, v in params.items())
                     or (t.state == TrialState.WAITING and t.system_attrs.get("fixed_params") == params)), None)
        if same is not None:
            notes.append(f"{where}: already in the study as trial {same.number}; not added again")
            continue
        tuning.study.enqueue_trial(params, user_attrs={SOURCE_ATTR: where})
    return notes


def load_designs(path: str | Path) -> list[ExperimentConfig | dict[str, Any]]:
    """Designs from a file: an experiment config, or a JSON list of parameter dicts or configs."""
    from ..files import FileFormatError, load_experiment

    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EnqueueError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise EnqueueError(f"{path}: is not a text file; expected JSON") from None
    except json.JSONDecodeError as exc:
        raise EnqueueError(f"{path}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if isinstance(raw, dict):
        try:
            return [load_experiment(path)]
        except FileFormatError as exc:
            raise EnqueueError(f"{exc}; --enqueue takes an experiment file or a JSON list of trial parameters") from None
    if not isinstance(raw, list) or not raw:
        raise EnqueueError(f"{path}: expected an experiment (a JSON object) or a non-empty list of trial parameters")
    out: list[ExperimentConfig | dict[str, Any]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise EnqueueError(f"{path}: item {i + 1} is {type(item).__name__}, not an object of trial parameters")
        if {"schema_version", "layers"} & set(item):
            try:
                out.append(ExperimentConfig.from_dict(item))
            except (ConfigError, TypeError) as exc:
                raise EnqueueError(f"{path}: item {i + 1}: {exc}") from None
        else:
            out.append(dict(item))
    return out
