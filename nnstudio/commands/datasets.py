"""``nnstudio datasets``: the data sets you can train on, with their task, size and options."""

from __future__ import annotations

import argparse
import shutil
import textwrap

from ..cli import EXIT_OK, command
from ..data import DATASETS, DatasetSpec

HEADER = ("NAME", "TASK", "SIZE", "DESCRIPTION")


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


@command("datasets", "list the built-in data sets (and CSV import) with task, size and options", add_arguments)
def run(args: argparse.Namespace) -> int:
    rows = [(name, _task(spec), spec.shape_hint, _description(spec)) for name, spec in DATASETS.items()]
    print(format_table(HEADER, rows))
    return EXIT_OK


def _task(spec: DatasetSpec) -> str:
    return spec.task if spec.task in ("classification", "regression") else "from the file"


def _description(spec: DatasetSpec) -> str:
    if not spec.params:
        return spec.describe()
    options = ", ".join(f"{p.name}={p.default!r}" if p.default not in ("", None) else p.name for p in spec.params)
    return f"{spec.describe()} Options: {options}."


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; the last column wrapped to the terminal width."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    indent = sum(widths) + 2 * len(widths)
    room = max(shutil.get_terminal_size((120, 24)).columns - indent, 30)
    lines = []
    for row in [header, *rows]:
        left = "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  "
        wrapped = textwrap.wrap(row[-1], room) or [""]
        lines.append(left + wrapped[0])
        lines += [" " * indent + more for more in wrapped[1:]]
    return "\n".join(line.rstrip() for line in lines)
