"""The network designer: the edited config with undo, and the panels that show and change it.

:mod:`.edits` holds the Qt-free pieces (pure config edits, data-set facts, validity);
:class:`ConfigEditor` is the single entry point for changes; the panels bind their widgets to
it both ways.
"""

from .controller import ConfigEditor
from .data_panel import DataPanel
from .document import ConfigDocument, EditCommand
from .help_pane import HelpPane
from .hyperparams import HyperparamPanel
from .layer_editor import LayerEditor, LayerTableModel
from .network_diagram import NetworkDiagram

__all__ = ["ConfigDocument", "ConfigEditor", "DataPanel", "EditCommand", "HelpPane", "HyperparamPanel",
           "LayerEditor", "LayerTableModel", "NetworkDiagram"]
