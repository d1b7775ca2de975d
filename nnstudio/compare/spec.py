"""What a comparison is: a base config, one varied factor, the variants it makes, the seeds.

Every variant shares the base's data config (so the same split) and the same seeds: run ``i``
of every variant trains with ``seed = base.seed + i``.  Differences between variants therefore
come from the factor alone, and the spread over seeds shows how much is noise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..config import ExperimentConfig
from ..engine import validate_config
from ..files import load_experiment
from .factors import FACTORS, FactorValueError, format_value

DEFAULT_SEEDS = 3
MAX_SEEDS = 50


@dataclass(frozen=True)
class Variant:
    """One arm of a comparison.  ``value`` is the factor value (None for a variant read from
    ``source``, an experiment file); ``config`` carries the comparison's first seed."""

    label: str
    config: ExperimentConfig
    value: Any = None
    source: str = ""


@dataclass(frozen=True)
class Job:
    """One training run, as sent to a worker: plain data only (the config travels as JSON)."""

    variant: int
    seed_index: int
    seed: int
    config_json: str


@dataclass(frozen=True)
class Comparison:
    """A base config, the factor varied (``""`` when every variant comes from a file), the
    variants, and how many seeds each runs.  Build one with :meth:`build`."""

    base: ExperimentConfig
    factor: str
    variants: tuple[Variant, ...]
    n_seeds: int = DEFAULT_SEEDS
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def build(cls, base: ExperimentConfig, factor: str, values: Sequence | str | None = None, *,
              n_seeds: int = DEFAULT_SEEDS, epochs: int | None = None) -> "Comparison":
        """Variants of ``base`` with ``factor`` set to each of ``values`` (the factor's defaults if None).

        ``values`` may be text (``"zeros, he_normal"``) or parsed values.  ``epochs`` overrides the
        base's epoch count.  Raises ``UnknownNameError`` for an unknown factor and
        :class:`FactorValueError` for bad values or settings.
        """
        spec = FACTORS[factor]
        base = _prepared_base(base, n_seeds, epochs)
        if values is None:
            values = list(spec.defaults(base))
        elif isinstance(values, str) or all(isinstance(v, str) for v in values):
            values = spec.parse_values(values)
        else:
            for v in values:  # parsing the value's text checks its range
                spec.parse(format_value(v))
        if not values:
            raise FactorValueError(f"{factor}: no values to compare")
        if spec.needs_hidden_layers and not base.layers:
            raise FactorValueError(f"{factor}: the base config has no hidden layers, so varying it changes nothing")
        variants = [Variant(spec.label(v), _checked(spec.apply(base, v), spec.label(v)), v) for v in values]
        return cls(base, factor, _unique_labels(variants), n_seeds)

    def with_files(self, paths: Sequence[str | os.PathLike]) -> "Comparison":
        """This comparison plus one variant per experiment file.

        Each file's config keeps its model and training settings but takes this comparison's data
        config, seed and epoch count, so it trains on the same split with the same seeds.
        Raises ``FileFormatError`` for a file that cannot be read.
        """
        added, notes = [], list(self.notes)
        for path in paths:
            loaded = load_experiment(path)
            config = loaded.replace(data=self.base.data, seed=self.base.seed, epochs=self.base.epochs)
            if loaded.data != self.base.data:
                notes.append(f"{Path(path).name}: trains on {self.base.data.name} (the comparison's data), "
                             f"not its own {loaded.data.name} settings")
            label = loaded.name if loaded.name and loaded.name != "untitled" else Path(path).stem
            added.append(Variant(label, _checked(config, label), None, str(path)))
        return Comparison(self.base, self.factor, _unique_labels([*self.variants, *added]), self.n_seeds,
                          tuple(notes))

    @classmethod
    def from_files(cls, base: ExperimentConfig, paths: Sequence[str | os.PathLike], *,
                   n_seeds: int = DEFAULT_SEEDS, epochs: int | None = None) -> "Comparison":
        """A comparison whose variants all come from experiment files (data and seeds from ``base``)."""
        return cls(_prepared_base(base, n_seeds, epochs), "", (), n_seeds).with_files(paths)

    # -- derived ---------------------------------------------------------------------------
    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds every variant runs with: ``base.seed + i`` for ``i < n_seeds``."""
        return tuple(self.base.seed + i for i in range(self.n_seeds))

    @property
    def labels(self) -> list[str]:
        return [v.label for v in self.variants]

    def run_config(self, variant: int, seed_index: int) -> ExperimentConfig:
        return self.variants[variant].config.replace(seed=self.seeds[seed_index])

    def jobs(self) -> list[Job]:
        """Every (variant, seed) run, seed-major so that an early stop leaves every variant some runs."""
        return [Job(v, s, self.seeds[s], self.run_config(v, s).to_json(indent=None))
                for s in range(self.n_seeds) for v in range(len(self.variants))]

    @property
    def total_epochs(self) -> int:
        return self.n_seeds * sum(v.config.epochs for v in self.variants)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (factor, seeds, base config, variants)."""
        return {
            "factor": self.factor,
            "seeds": list(self.seeds),
            "base": self.base.to_dict(),
            "variants": [{"label": v.label, "value": None if v.value is None else str(v.value),
                          "source": v.source or None} for v in self.variants],
            "notes": list(self.notes),
        }


def _prepared_base(base: ExperimentConfig, n_seeds: int, epochs: int | None) -> ExperimentConfig:
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or not 1 <= n_seeds <= MAX_SEEDS:
        raise FactorValueError(f"seeds: {n_seeds!r} must be a whole number from 1 to {MAX_SEEDS}")
    if epochs is not None:
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise FactorValueError(f"epochs: {epochs!r} must be a whole number of at least 1")
        base = base.replace(epochs=epochs)
    return validate_config(base)


def _checked(config: ExperimentConfig, label: str) -> ExperimentConfig:
    try:
        return validate_config(config)
    except ValueError as exc:
        raise FactorValueError(f"variant {label!r}: {exc}") from None


def _unique_labels(variants: Sequence[Variant]) -> tuple[Variant, ...]:
    seen: dict[str, int] = {}
    out = []
    for v in variants:
        seen[v.label] = seen.get(v.label, 0) + 1
        if seen[v.label] > 1:
            v = Variant(f"{v.label} ({seen[v.label]})", v.config, v.value, v.source)
        out.append(v)
    return tuple(out)
