"""Hyperparameter tuning with Optuna (no Qt).

* :mod:`.space`     the search space (the article's by default), editable and JSON-serializable
* :mod:`.objective` trial -> config, and the objective scored on the validation split
* :mod:`.confirm`   re-train the top trials with more seeds; best by the mean
* :mod:`.samplers`  samplers and pruners by name
* :mod:`.storage`   the local study store and database URLs
* :mod:`.study`     a study with its base config, space and settings
* :mod:`.worker`    the trial loop of one worker process
* :mod:`.pool`      worker processes on this machine (``python -m nnstudio.tuning``)
* :mod:`.runner`    the one loop that runs a pool to its end, and confirmation through it
* :mod:`.results`   rows, best-so-far curves and importances for display
"""

from .objective import (CONFIG_ATTR, METRICS, Objective, TrialInterrupted, best_trial, cached_split,
                        config_from_params, config_from_trial, config_of_trial, default_metric, evaluate_on_test,
                        rank_key)
from .confirm import Confirmation, ConfirmResult, confirmations
from .pool import WorkerPool, default_workers
from .runner import KILL_GRACE_S, PoolEnd, confirm_top, run_pool, stop_on_signals
from .results import StudySnapshot, TrialRow, best_row, best_so_far, param_importances, take_snapshot, trial_rows
from .samplers import PRUNERS, SAMPLERS, make_pruner, make_sampler
from .space import DIMENSIONS, Dimension, SearchSpace, SpaceError
from .storage import (StorageError, StudyInfo, StudyNotFoundError, default_storage_url, delete_study,
                      display_url, list_studies, open_storage, user_data_dir)
from .study import TuneSettings, TuningStudy, create_study, open_study, prepare_base, quiet_optuna
from .worker import StopFlag, WorkerResult, run_worker

__all__ = [
    "CONFIG_ATTR", "Confirmation", "ConfirmResult", "confirm_top", "confirmations", "METRICS", "Objective", "TrialInterrupted", "best_trial", "rank_key", "cached_split",
    "config_from_params", "config_from_trial", "config_of_trial", "default_metric", "evaluate_on_test", "WorkerPool",
    "default_workers", "StudySnapshot", "TrialRow", "best_row", "take_snapshot", "best_so_far", "param_importances", "trial_rows", "PRUNERS", "SAMPLERS",
    "make_pruner", "make_sampler", "DIMENSIONS", "Dimension", "SearchSpace", "SpaceError", "StorageError",
    "StudyInfo", "StudyNotFoundError", "default_storage_url", "delete_study", "display_url", "list_studies",
    "open_storage", "user_data_dir", "TuneSettings", "TuningStudy", "create_study", "open_study",
    "prepare_base", "quiet_optuna", "StopFlag", "WorkerResult", "run_worker", "KILL_GRACE_S", "PoolEnd", "run_pool",
    "stop_on_signals",
]
