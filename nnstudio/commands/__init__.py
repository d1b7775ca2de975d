"""Subcommands of the ``nnstudio`` command line, one module each (discovered automatically).

What several subcommands share lives here: :func:`experiment_of` reads the experiment a command
starts from.
"""

from __future__ import annotations

import argparse

from ..config import ExperimentConfig
from ..errors import UserError


def experiment_of(args: argparse.Namespace, *, otherwise: str = "") -> ExperimentConfig:
    """The experiment in ``args.config`` (a file) or ``args.preset`` (a preset's name): exactly one.

    ``otherwise`` ends the message for neither ("or --join ... to add a worker").  A bad file or
    an unknown preset raises its own user error, which names the file or lists the presets.
    """
    from ..presets import experiment_from, preset_names

    if args.config is not None and args.preset is not None:
        raise UserError("give either an experiment file (CONFIG) or --preset, not both")
    if args.config is None and args.preset is None:
        raise UserError(f"give an experiment file (CONFIG.json) or --preset NAME ({', '.join(preset_names())})"
                        + otherwise)
    return experiment_from(args.config, args.preset)
