"""A tuning study: an Optuna study plus what nnstudio needs to run trials for it.

The study's user attributes hold its base config, its search space and its settings
(``"nnstudio"``), and the number of finished trials it aims for (``"target_trials"``).
So a worker that joins from another shell or machine needs only the storage URL and the study
name: it reads everything else from the study itself.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

import optuna
from optuna.trial import FrozenTrial, TrialState

from ..config import ConfigError, ExperimentConfig
from ..data import CLASSIFICATION
from ..engine import validate_config
from .confirm import confirmations, confirmed_ranking
from .crossval import cached_folds, fold_values
from .ranking import PICK_ATTR, entry, pick_record, standings
from .objective import METRICS, best_trial, cached_split, default_metric, trial_val_loss
from .samplers import PRUNERS, SAMPLERS, make_pruner, make_sampler
from .space import SearchSpace
from .storage import StorageError, display_url, not_found, open_storage, study_names

META_ATTR = "nnstudio"
TARGET_ATTR = "target_trials"
META_SCHEMA_VERSION = 1

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
MAX_FOLDS = 20


@dataclass(frozen=True)
class TuneSettings:
    """How trials are run and judged; stored with the study so every worker agrees.

    ``epochs`` (per trial) and ``early_stopping`` override the base config's; ``seed`` seeds
    the sampler (worker ``i`` uses ``seed + i``); ``cv`` > 1 cross-validates every trial over
    that many folds of the training + validation rows (:mod:`~nnstudio.tuning.crossval`; 0: the
    validation split alone).  A worker records a heartbeat every
    ``heartbeat_interval`` seconds; a RUNNING trial without one for ``grace_period`` seconds
    is marked FAIL.
    """

    metric: str = "accuracy"
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int = 0
    epochs: int = 100
    early_stopping: bool = True
    heartbeat_interval: int = 5
    grace_period: int = 30
    cv: int = 0

    def validate(self) -> "TuneSettings":
        """Return self; raise :class:`ConfigError` for an unknown name or a bad number."""
        for name, registry in (("metric", METRICS), ("sampler", SAMPLERS), ("pruner", PRUNERS)):
            if getattr(self, name) not in registry:
                raise ConfigError(name, getattr(self, name), f"one of {', '.join(registry.names())}")
        for name, lo in (("seed", 0), ("epochs", 1), ("heartbeat_interval", 1), ("grace_period", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise ConfigError(name, value, f"an integer >= {lo}")
        if isinstance(self.cv, bool) or not isinstance(self.cv, int) or self.cv < 0 or self.cv == 1:
            raise ConfigError("cv", self.cv, "0 (no cross-validation) or a number of folds >= 2")
        if self.cv > MAX_FOLDS:
            raise ConfigError("cv", self.cv, f"at most {MAX_FOLDS} folds")
        if self.grace_period <= self.heartbeat_interval:
            raise ConfigError("grace_period", self.grace_period,
                              f"more than heartbeat_interval ({self.heartbeat_interval} s)")
        if not isinstance(self.early_stopping, bool):
            raise ConfigError("early_stopping", self.early_stopping, "true or false")
        return self

    @property
    def direction(self) -> str:
        return METRICS[self.metric].direction

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "TuneSettings":
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            name = sorted(unknown)[0]
            raise ConfigError(name, raw[name], f"a known setting ({', '.join(sorted(known))})")
        return cls(**raw).validate()


def quiet_optuna(verbose: bool = False) -> None:
    """Keep Optuna's per-trial log lines out of the window's and the terminal's output.

    Every pruned or failed trial keeps the reason it ended in its ``message`` attribute, and
    the tab and ``nnstudio tune`` report progress themselves.
    """
    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.ERROR)


def prepare_base(config: ExperimentConfig, settings: TuneSettings) -> ExperimentConfig:
    """The base config every trial starts from: ``config`` with the trial budget of ``settings``."""
    return config.replace(epochs=settings.epochs, early_stopping=settings.early_stopping)


def check_setup(base: ExperimentConfig, space: SearchSpace, settings: TuneSettings) -> None:
    """Raise a one-line error if this setup cannot run: bad space, config, data or metric."""
    settings.validate()
    space.validate()
    split = cached_split(base.data)  # DataError if the data cannot be loaded
    validate_config(base, split)
    if settings.cv:
        cached_folds(split, base.data, settings.cv)  # DataError when the rows cannot make that many folds
    metric = METRICS[settings.metric]
    if metric.classification_only and split.task != CLASSIFICATION:
        raise ConfigError("metric", settings.metric,
                          f"{default_metric(split.task)} for a {split.task} data set (accuracy needs classes)")


@dataclass
class TuningStudy:
    """An Optuna study with its base config, search space and settings."""

    study: optuna.Study
    base: ExperimentConfig
    space: SearchSpace
    settings: TuneSettings
    storage_url: str

    @property
    def name(self) -> str:
        return self.study.study_name

    @property
    def target(self) -> int | None:
        """How many finished (complete or pruned) trials the study aims for; None: no limit."""
        value = self.study.user_attrs.get(TARGET_ATTR)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else None

    def set_target(self, n: int | None) -> None:
        self.study.set_user_attr(TARGET_ATTR, n)

    def trials(self, states=None) -> list[FrozenTrial]:
        return self.study.get_trials(deepcopy=False, states=states)

    def counts(self) -> dict[str, int]:
        """Number of trials per state name (``COMPLETE``, ``PRUNED``, ``FAIL``, ``RUNNING``, ``WAITING``)."""
        out = {state.name: 0 for state in TrialState}
        for t in self.trials():
            out[t.state.name] += 1
        return out

    def n_finished(self) -> int:
        return len(self.trials(states=FINISHED))

    def best_trial(self) -> FrozenTrial | None:
        """The best COMPLETE trial (:func:`~nnstudio.tuning.objective.best_trial`: equal values are
        ranked by validation loss; once trials are confirmed, the best confirmed mean), or None
        before the first one."""
        direction = self.settings.direction
        return best_trial(self.trials(states=(TrialState.COMPLETE,)), direction,
                          confirmed_ranking(self.confirmations(), direction))

    def standings(self) -> dict:
        """Every complete trial's mean ± sd and tie with the best (:func:`~nnstudio.tuning.ranking.standings`)."""
        return trial_standings(self.trials(states=(TrialState.COMPLETE,)), self.settings.direction,
                               self.confirmations())

    def record_pick(self) -> dict | None:
        """Write the best trial, its mean ± sd, the trials tied with it and why, as the study user
        attribute ``best_pick`` (so optuna-dashboard shows the same pick); return it (None: no best yet)."""
        record = pick_record(self.standings(), METRICS[self.settings.metric].label, self.settings.direction)
        if record is not None and self.study.user_attrs.get(PICK_ATTR) != record:
            self.study.set_user_attr(PICK_ATTR, record)
        return record

    def confirmations(self) -> dict:
        """The confirmed trials (:mod:`~nnstudio.tuning.confirm`) by number; {} before confirmation."""
        return confirmations(self.study.user_attrs)

    def worker_sampler(self, worker_index: int | None) -> optuna.samplers.BaseSampler:
        """The sampler of worker ``worker_index`` (seed + index); None: an unseeded one."""
        seed = None if worker_index is None else self.settings.seed + worker_index
        return make_sampler(self.settings.sampler, seed)


def trial_standings(trials, direction: str, confirmed: Mapping | None = None) -> dict:
    """Standings of the COMPLETE ``trials`` (FrozenTrials), ``confirmed`` by number."""
    confirmed = confirmed or {}
    return standings((entry(t, t.number, t.value, trial_val_loss(t), confirmed.get(t.number), fold_values(t),
                            direction) for t in trials
                      if t.state == TrialState.COMPLETE and t.value is not None), direction)


def _meta(base: ExperimentConfig, space: SearchSpace, settings: TuneSettings) -> dict[str, Any]:
    return {"schema_version": META_SCHEMA_VERSION, "base_config": base.to_dict(),
            "space": space.to_dict(), "settings": settings.to_dict()}


def _read_meta(raw: Any, name: str) -> tuple[ExperimentConfig, SearchSpace, TuneSettings]:
    if not isinstance(raw, Mapping) or "base_config" not in raw:
        raise StorageError(f"study {name!r} was not created by nnstudio (it stores no base config); "
                           "open it in optuna-dashboard instead")
    try:
        return (ExperimentConfig.from_dict(raw["base_config"]), SearchSpace.from_dict(raw["space"]),
                TuneSettings.from_dict(raw["settings"]))
    except (ConfigError, ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"study {name!r} holds settings this nnstudio cannot read: {exc}") from None


def _load(storage_url: str | None, name: str, heartbeat: bool, worker_index: int | None) -> TuningStudy:
    probe = open_storage(storage_url)
    try:
        study_id = probe.get_study_id_from_name(name)
    except KeyError:
        raise not_found(probe, name) from None
    base, space, settings = _read_meta(probe.get_study_user_attrs(study_id).get(META_ATTR), name)
    fail_stale_trials(storage_url, name, settings)
    if heartbeat:
        probe.engine.dispose()
        storage = open_storage(storage_url, heartbeat_interval=settings.heartbeat_interval,
                               grace_period=settings.grace_period)
    else:
        storage = probe
    tuning = TuningStudy(None, base, space, settings, storage.url)  # type: ignore[arg-type]
    tuning.study = optuna.load_study(study_name=name, storage=storage, sampler=tuning.worker_sampler(worker_index),
                                     pruner=make_pruner(settings.pruner, settings.epochs, settings.cv))
    return tuning


def fail_stale_trials(storage_url: str | None, name: str, settings: TuneSettings) -> list[int]:
    """Mark FAIL the RUNNING trials of study ``name`` whose worker has sent no heartbeat for the
    study's grace period (a killed worker); their numbers.  Done whenever a study is opened,
    resumed or listed, so that a trial never stays RUNNING just because no worker joins again."""
    storage = open_storage(storage_url, heartbeat_interval=settings.heartbeat_interval,
                           grace_period=settings.grace_period)
    try:
        study = optuna.load_study(study_name=name, storage=storage)
        running = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
        if not running:
            return []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        still = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
        return sorted(running - still)
    finally:
        storage.engine.dispose()


def fail_stale_trials_everywhere(storage_url: str | None) -> dict[str, list[int]]:
    """:func:`fail_stale_trials` for every nnstudio study in the store (before listing them)."""
    probe = open_storage(storage_url)
    try:
        metas = {}
        for name in study_names(probe):
            raw = probe.get_study_user_attrs(probe.get_study_id_from_name(name)).get(META_ATTR)
            if raw is not None:
                metas[name] = raw
    finally:
        probe.engine.dispose()
    failed = {}
    for name, raw in metas.items():
        try:
            settings = _read_meta(raw, name)[2]
        except StorageError:
            continue  # listed as it is; opening it says what is wrong
        numbers = fail_stale_trials(storage_url, name, settings)
        if numbers:
            failed[name] = numbers
    return failed


def open_study(storage_url: str | None, name: str, *, heartbeat: bool = True,
               worker_index: int | None = None) -> TuningStudy:
    """Open an existing nnstudio study.  Raises ``StudyNotFoundError`` (listing the existing
    studies) or ``StorageError``.  ``heartbeat=False`` opens it for reading only (no trials)."""
    return _load(storage_url, name, heartbeat, worker_index)


def create_study(storage_url: str | None, name: str, config: ExperimentConfig, space: SearchSpace,
                 settings: TuneSettings, *, worker_index: int | None = 0, check: bool = True) -> TuningStudy:
    """Create study ``name``, or resume it if it exists with the same config, space and settings.

    ``config`` is the user's config; trials start from :func:`prepare_base` of it.  Raises
    ``StorageError`` when a study of that name exists with a different setup.
    """
    base = prepare_base(config, settings)
    if check:
        check_setup(base, space, settings)
    meta = _meta(base, space, settings)
    storage = open_storage(storage_url)
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        study_id = None
    if study_id is None:
        try:
            study = optuna.create_study(storage=storage, study_name=name, direction=settings.direction)
            study.set_user_attr(META_ATTR, meta)
        except optuna.exceptions.DuplicatedStudyError:  # created by another process meanwhile
            pass
    else:
        stored = storage.get_study_user_attrs(study_id).get(META_ATTR)
        if _comparable(stored) != _comparable(meta):
            raise StorageError(
                f"a study named {name!r} already exists in {display_url(storage.url)} with a different "
                "config, search space or settings; choose another study name, or add trials to it "
                f"with: nnstudio tune --join --study {name}")
    storage.engine.dispose()
    return _load(storage_url, name, True, worker_index)


def _comparable(meta: Any) -> Any:
    """Meta without the base config's name (renaming a config does not change the study)."""
    if not isinstance(meta, Mapping):
        return meta
    out = json.loads(json.dumps(meta))  # as stored: tuples become lists
    if isinstance(out.get("base_config"), Mapping):
        out["base_config"] = {k: v for k, v in out["base_config"].items() if k != "name"}
    return out
