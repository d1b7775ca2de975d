"""``nnstudio presets``: list the shipped experiments, show one, or write one out to edit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import EXIT_OK, command
from ..errors import UserError
from ..presets import list_presets, presets, write_preset
from .datasets import format_table


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--write", nargs=2, metavar=("NAME", "FILE.json"),
                   help="write the preset as an experiment file you can edit and train")
    p.add_argument("--force", action="store_true", help="with --write: replace an existing file")
    p.add_argument("--show", metavar="NAME", help="print the preset's experiment JSON")


@command("presets", "list the built-in presets; --write NAME FILE.json saves one as an editable experiment",
         add_arguments)
def run(args: argparse.Namespace) -> int:
    if args.write:
        name, path = args.write
        presets()[name]  # an unknown name is the first thing to report
        if Path(path).exists() and not args.force:
            raise UserError(f"{path}: already exists; choose another file name or add --force to replace it")
        write_preset(name, path, overwrite=True)
        print(f"wrote preset {name!r} to {path}; train it with: nnstudio train {path}")
        return EXIT_OK
    if args.show:
        sys.stdout.write(presets()[args.show].text())
        return EXIT_OK
    rows = []
    for preset in list_presets():
        cfg = preset.config()
        rows.append((preset.name, cfg.data.name, _network(cfg), preset.summary))
    print(format_table(("NAME", "DATA", "NETWORK", "SUMMARY"), rows))
    print("\nnnstudio presets --show NAME prints one; --write NAME FILE.json saves it to edit and train.")
    return EXIT_OK


def _network(cfg) -> str:
    hidden = [f"{layer.units} {layer.activation}" for layer in cfg.layers]
    return " - ".join(hidden + [cfg.output_activation])
