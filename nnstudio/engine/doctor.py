"""The training doctor: turns per-epoch records into findings, live.

    doctor = Doctor(config, split)
    for record in trainer.run():
        findings = doctor.observe(record)    # what holds now, each with the epoch it began
    findings = doctor.finish(trainer.summary)
    doctor.cleared                           # findings that held earlier and no longer do

Each rule reads the records' losses and :class:`~.diagnostics.EpochHealth` (measured every few
epochs: a finding drawn from it names the epoch it was measured in, ``measured_at_epoch``); thresholds come
from :data:`~.thresholds.THRESHOLDS`.  A finding lasts as long as its condition holds; its
``epoch`` is where the current streak began (for overfitting: the best epoch, which its sentence
names).  Messages point at sections of the article
("The Math Behind Fine-Tuning Deep Neural Networks").
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..config import ExperimentConfig
from ..data.datasets import CLASSIFICATION
from ..data.split import Split
from .findings import CODES, Cleared, Finding, top_finding
from .losses import LOSSES
from .network import encode_targets
from .rules import HEALTH_CODES, ONSET_FIELDS, RULES, Chance, State
from .validation import output_units


def chance_levels(config: ExperimentConfig, split: Split) -> Chance:
    """The :class:`Chance` levels of ``config``'s task on ``split``."""
    n_out = output_units(config, split)
    classification = split.task == CLASSIFICATION
    Y_train = encode_targets(split.y_train, n_out, classification, "float64")
    Y_val = encode_targets(split.y_val, n_out, classification, "float64")
    prior = np.clip(Y_train.mean(axis=0), 1e-7, 1 - 1e-7) if classification else Y_train.mean(axis=0)
    loss = LOSSES[config.loss_func].value(np.broadcast_to(prior, Y_val.shape).copy(), Y_val)
    accuracy = math.nan
    if classification and len(split.y_val):
        accuracy = float(np.bincount(np.asarray(split.y_val, dtype=np.int64)).max()) / len(split.y_val)
    return Chance(accuracy, float(loss))


class Doctor:
    """Diagnoses one run from its records, epoch by epoch (see the module docstring)."""

    def __init__(self, config: ExperimentConfig, split: Split | None = None, chance: Chance | None = None):
        if chance is None:
            if split is None:
                raise ValueError("give the split or its chance levels")
            chance = chance_levels(config, split)
        self._state = State(config, chance, [])
        self._since: dict[tuple[str, str | None], int] = {}
        # every finding seen so far: (first epoch, last epoch it held, as last seen)
        self._seen: dict[tuple[str, str | None], tuple[int, int, Finding]] = {}
        self.findings: tuple[Finding, ...] = ()

    @property
    def chance(self) -> Chance:
        return self._state.chance

    @property
    def records(self) -> Sequence:
        return tuple(self._state.records)

    def observe(self, record) -> tuple[Finding, ...]:
        """Add one epoch's record; return the findings that hold now."""
        self._state.records.append(record)
        return self._evaluate(record.epoch)

    def finish(self, summary) -> tuple[Finding, ...]:
        """The findings at the end of the run (a divergence ends it without a record)."""
        if summary is not None and summary.diverged:
            # the trainer counts the epoch in which the loss or a parameter stopped being finite
            self._state.diverged_epoch = max(1, summary.epochs_run)
            self._state.initial_val_loss = summary.initial_val_loss
            return self._evaluate(self._state.diverged_epoch)
        return self.findings

    @property
    def cleared(self) -> tuple[Cleared, ...]:
        """The findings that held earlier in the run but hold no longer, in the order they were first seen."""
        now = {(f.code, f.layer) for f in self.findings}
        gone = [Cleared(f, first, last) for key, (first, last, f) in self._seen.items() if key not in now]
        return tuple(sorted(gone, key=lambda c: (c.first_epoch, CODES.index(c.finding.code))))

    def top(self) -> Finding | None:
        return top_finding(self.findings)

    def _evaluate(self, epoch: int) -> tuple[Finding, ...]:
        s = self._state
        out: list[Finding] = []
        for code in CODES:
            if not s.records and code != "diverged":
                continue
            result = RULES[code](s)
            if result is None:
                for key in [k for k in self._since if k[0] == code]:
                    del self._since[key]
                continue
            severity, layer, evidence, message, suggestion = result
            if code in HEALTH_CODES and s.health_record is not None:
                evidence = {**evidence, "measured_at_epoch": s.health_record.epoch}
            onset = evidence.get(ONSET_FIELDS.get(code, ""))
            if onset is not None:  # the epoch its sentence names, so title and sentence agree
                self._since[(code, layer)] = int(onset)
            since = self._since.setdefault((code, layer), epoch)
            out.append(Finding(code, severity, layer, since, tuple((k, float(v)) for k, v in evidence.items()),
                               message, suggestion))
        for f in out:
            first = self._seen.get((f.code, f.layer), (f.epoch,))[0]
            self._seen[(f.code, f.layer)] = (min(first, f.epoch), epoch, f)
        self.findings = tuple(out)
        return self.findings


def diagnose(config: ExperimentConfig, split: Split, records, summary=None) -> tuple[Finding, ...]:
    """The findings of a finished run, from all its records."""
    doctor = Doctor(config, split)
    for record in records:
        doctor.observe(record)
    return doctor.finish(summary)
