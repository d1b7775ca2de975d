"""How the editor panels word a config problem: the field as the panels name it, the value,
and what to use instead."""

from __future__ import annotations

import re

from ...config import ConfigError
from ...design.help_texts import HELP

FIELD_HELP = {"data": "dataset"}  # config fields whose help entry has another key


LAYER_FIELD = re.compile(r"layers\[(\d+)\]\.(\w+)")


def field_title(field: str) -> str:
    """A config field as the panels name it: ``layers[0].units`` is "Hidden layer 1 units",
    as the layer table numbers its rows."""
    layer = LAYER_FIELD.fullmatch(field)
    if layer:
        index, name = layer.groups()
        entry = HELP.get(f"layer.{name}")
        return f"Hidden layer {int(index) + 1} {entry.title.lower() if entry else name.replace('_', ' ')}"
    entry = HELP.get(FIELD_HELP.get(field, field))
    return entry.title if entry else field


def describe_problem(exc: ConfigError) -> str:
    """The panel's wording of a :class:`ConfigError`: the field's title, the value, what to use
    (or, for a data set that does not load, why not)."""
    title = field_title(exc.field)
    reason = getattr(exc, "reason", "")
    if reason:
        return f"{title}: {reason}"
    return f"{title}: {exc.value!r} cannot be used here. Use {exc.expected}."


def shown_by_network_panel(field: str) -> bool:
    """A layer's field: the Network panel explains its problem under the table."""
    return LAYER_FIELD.fullmatch(field) is not None


def shown_by_data_panel(field: str) -> bool:
    """The data set itself (still loading, or failing to load): the Data panel's line under the
    split says so, in red for an error."""
    return field == "data"


def problem_pointer(exc: ConfigError) -> str:
    """The short form for the status bar and the Train tab, which point to the field: the full
    wording is shown once, by the panel that holds the field."""
    return f"{field_title(exc.field)} needs a change; the red line in its panel says why"
