"""Learning-rate schedules: ``SCHEDULES[name](base_lr, config, epochs)`` -> a schedule object.

``schedule.rate(epoch)`` gives the rate for a 0-based epoch; ``schedule.observe(val_loss)``
feeds the validation loss after each epoch (only ``plateau`` uses it).
"""

from __future__ import annotations

import math

from ..config import ScheduleConfig
from ..registry import Registry

SCHEDULES: Registry[type] = Registry("schedule")


class Schedule:
    formula = ""

    def __init__(self, base_lr: float, cfg: ScheduleConfig, epochs: int):
        self.base_lr, self.cfg, self.epochs = base_lr, cfg, epochs

    def rate(self, epoch: int) -> float:
        return self.base_lr

    def observe(self, val_loss: float) -> None:
        pass


@SCHEDULES("constant")
class Constant(Schedule):
    formula = "lr"


@SCHEDULES("step")
class Step(Schedule):
    formula = "lr · γ^⌊epoch / step_size⌋"

    def rate(self, epoch):
        return max(self.cfg.min_lr, self.base_lr * self.cfg.gamma ** (epoch // self.cfg.step_size))


@SCHEDULES("exponential")
class Exponential(Schedule):
    formula = "lr · γ^epoch"

    def rate(self, epoch):
        return max(self.cfg.min_lr, self.base_lr * self.cfg.gamma ** epoch)


@SCHEDULES("cosine")
class Cosine(Schedule):
    formula = "min_lr + (lr − min_lr) · (1 + cos(π · epoch / epochs)) / 2"

    def rate(self, epoch):
        lo = self.cfg.min_lr
        return lo + (self.base_lr - lo) * 0.5 * (1 + math.cos(math.pi * min(epoch, self.epochs) / self.epochs))


@SCHEDULES("plateau")
class ReduceOnPlateau(Schedule):
    formula = "lr · γ each time the validation loss has not improved for Plateau patience epochs"

    def __init__(self, base_lr, cfg, epochs):
        super().__init__(base_lr, cfg, epochs)
        self.current = base_lr
        self.best = math.inf
        self.waited = 0

    def rate(self, epoch):
        return self.current

    def observe(self, val_loss):
        if val_loss < self.best:
            self.best, self.waited = val_loss, 0
            return
        self.waited += 1
        if self.waited >= self.cfg.patience:
            self.current = max(self.cfg.min_lr, self.current * self.cfg.gamma)
            self.waited = 0
