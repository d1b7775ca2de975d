"""The optimization lab (no Qt): the learning-rate finder, loss landscapes and sharpness.

    result = find_rates(config, split, seeds=3)              # range tests and their suggestions
    verdict = VerificationRun(config, result.candidates).run()   # brief training -> band
    landscape = landscape_study(config, split, grid=21)      # 1-D lines and a 2-D slice
    monitor = SharpnessMonitor(trainer, every=5)             # λmax against 2/lr while training
"""

from .finder import Candidate, FinderResult, find_rates, network_for, one_test, training_arrays
from .landscape import Plane, filter_normalize, interpolate, pca_directions, random_directions, surface
from .lr_find import SUGGESTIONS, Mark, RangeCurve, range_test, suggest
from .objective import Objective, float64_copy
from .sharpness import (SharpnessMonitor, SharpnessPoint, largest_eigenvalue, stability_threshold,
                        threshold_label)
from .study import DIRECTIONS, LandscapeResult, Line, TrainedPath, landscape_study, train_with_path
from .verify import Verdict, VerificationRun, VerifiedRate, recommend

__all__ = [
    "Candidate", "FinderResult", "find_rates", "network_for", "one_test", "training_arrays", "Plane",
    "filter_normalize", "interpolate", "pca_directions", "random_directions", "surface", "SUGGESTIONS", "Mark",
    "RangeCurve", "range_test", "suggest", "Objective", "float64_copy", "SharpnessMonitor", "SharpnessPoint",
    "largest_eigenvalue", "stability_threshold", "threshold_label", "DIRECTIONS", "LandscapeResult", "Line",
    "TrainedPath", "landscape_study", "train_with_path", "Verdict", "VerificationRun", "VerifiedRate", "recommend",
]
