"""The window's docks: the data set, the network (layer table and diagram), the hyperparameters,
the help pane and the undo history, and where they start.

:class:`StudioDocks` makes the panels and their docks (children of the window) and arranges them:
two side columns on a wide window, one column with tabs on a smaller one.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QTabBar, QTabWidget, QUndoView

from ...engine.live import LIVE_FIELDS
from ..editor import ConfigEditor, DataPanel, HelpPane, HyperparamPanel, LayerEditor, NetworkDiagram
from ..widgets.build import named_splitter
from .geometry import WIDE, NormalSizeKeeper, layout_for_width, resize_docks

TALL_NETWORK_RATIO = 1.15  # a Network dock this much taller than wide shows the diagram under the table
WIDE_LEFT_SHARE, WIDE_RIGHT_SHARE = 0.27, 0.21  # of the window's width; the training tab keeps the rest
TABLE_BESIDE_PX = 330  # the layer table's width beside the diagram: all five columns
TABLE_ROWS_PX = 60  # the layer table's height above the diagram: its minimum and about three more rows
LEFT, RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
# the compact layout's column: the Network dock's share of its height, and the Help dock's (its
# title and at least five lines); Data and Hyperparameters get the rest
NETWORK_SHARE, HELP_SHARE, HELP_MIN_PX = 0.38, 0.14, 100
COLUMN_BARS_PX = 110  # the menu bar, the status bar and the column's two dock tab bars


class StudioDocks(QObject):
    """The editing panels around the window's tabs, each in a dock."""

    def __init__(self, editor: ConfigEditor, window: QMainWindow):
        super().__init__(window)
        self.data_panel = DataPanel(editor)
        data_scroll = QScrollArea()
        data_scroll.setWidgetResizable(True)
        data_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        data_scroll.setWidget(self.data_panel)
        self.data_dock = self._dock(window, "Data", "dataDock", data_scroll, LEFT)

        self.layer_editor = LayerEditor(editor)
        self.diagram = NetworkDiagram()
        self.diagram.setProperty("helpKey", "diagram")
        self.network_splitter = named_splitter(Qt.Orientation.Horizontal, "networkSplitter",
                                               [self.layer_editor, self.diagram], [0, 1])
        # the diagram gives way first when the dock narrows: the table keeps its columns
        self.network_dock = self._dock(window, "Network", "networkDock", self.network_splitter, LEFT)

        self.hyperparams = HyperparamPanel(editor)
        self.hyperparams_dock = self._dock(window, "Hyperparameters", "hyperparamsDock", self.hyperparams, RIGHT)

        self.help_pane = HelpPane(editor)
        self.help_pane.follow_view(self.layer_editor.view)
        self.help_dock = self._dock(window, "Help", "helpDock", self.help_pane, RIGHT)
        self.history_view = QUndoView(editor.undo_stack)
        self.history_view.setObjectName("historyView")
        self.history_view.setEmptyLabel("<opened>")
        self.history_dock = self._dock(window, "History", "historyDock", self.history_view, RIGHT)
        # No tab groups yet: reset_layout (or restoreState) makes them.  A group made here and
        # undone there would leave its tab bar behind until Qt gets round to deleting it.
        window.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        window.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        window.setCorner(Qt.Corner.BottomLeftCorner, LEFT)
        self.size_keeper = NormalSizeKeeper(window, self.docks(), (self.network_splitter,))
        self.network_dock.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is self.network_dock and event.type() == QEvent.Type.Resize:
            self._orient_network(event.size().width(), event.size().height())
        return False

    def _orient_network(self, width: int, height: int) -> None:
        """The diagram beside the layer table in a wide Network dock, under it in a tall one
        (the wide layout's left column), where it gets the dock's whole width."""
        splitter = self.network_splitter
        tall = height > TALL_NETWORK_RATIO * width
        wanted = Qt.Orientation.Vertical if tall else Qt.Orientation.Horizontal
        if splitter.orientation() == wanted:
            return
        splitter.setOrientation(wanted)
        hint = self.layer_editor.minimumSizeHint()
        table, total = (hint.height() + TABLE_ROWS_PX, height) if tall else (TABLE_BESIDE_PX, width)
        splitter.setSizes([table, max(total - table, self.diagram.minimumWidth())])

    @staticmethod
    def _dock(window: QMainWindow, title: str, name: str, widget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        window.addDockWidget(area, dock)
        return dock

    def docks(self) -> tuple[QDockWidget, ...]:
        return self.data_dock, self.network_dock, self.hyperparams_dock, self.help_dock, self.history_dock

    def set_editable(self, editable: bool) -> None:
        """Lock the design while a run uses it, but for what the run takes as it trains
        (learning rate, L1, L2, dropout rates: :data:`~nnstudio.engine.live.LIVE_FIELDS`)."""
        self.data_panel.set_editable(editable)
        self.layer_editor.set_editable(editable, dropout="dropout_rate" in LIVE_FIELDS)
        self.hyperparams.set_editable(editable, LIVE_FIELDS)
        self.history_view.setEnabled(editable)

    def reset_layout(self) -> None:
        """Dock the panels where they start: two side columns on a wide window, one on a smaller one.

        Wide (see :func:`~.geometry.layout_for_width`): Data over Network on the left,
        Hyperparameters over Help on the right.
        Compact: one column on the left of Network, tabs of Data and Hyperparameters, and Help
        and History in tabs under them (the help explains the controls above it), so the tabs
        keep the window's whole height: at 1280 x 800 the Compare table shows its rows.
        """
        window: QMainWindow = self.parent()
        for dock in self.docks():
            dock.setFloating(False)
            dock.show()
        if layout_for_width(window.width()) == WIDE:
            window.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
            for dock, area in zip(self.docks(), (LEFT, LEFT, RIGHT, RIGHT, RIGHT)):
                window.addDockWidget(area, dock)
            window.splitDockWidget(self.data_dock, self.network_dock, Qt.Orientation.Vertical)
            window.splitDockWidget(self.hyperparams_dock, self.help_dock, Qt.Orientation.Vertical)
        else:
            window.setCorner(Qt.Corner.BottomRightCorner, BOTTOM)
            for dock in self.docks():
                window.addDockWidget(LEFT, dock)
            # split before tabifying: splitting a dock that has tabs adds a tab instead
            window.splitDockWidget(self.network_dock, self.data_dock, Qt.Orientation.Vertical)
            window.splitDockWidget(self.data_dock, self.help_dock, Qt.Orientation.Vertical)
            window.tabifyDockWidget(self.data_dock, self.hyperparams_dock)
            self.data_dock.raise_()
        window.tabifyDockWidget(self.help_dock, self.history_dock)
        self.help_dock.raise_()
        self.default_sizes()
        self.drop_stale_tab_bars()

    def drop_stale_tab_bars(self) -> None:
        """Delete now the dock tab bars that Qt has already scheduled for deletion.

        Re-docking gives each dock group a new tab bar.  The bars of the groups taken apart
        (and a spare one Qt makes when tabifying into an area holding a single dock) are
        deleted only when the event loop next runs; until then they stay visible where they
        were laid out, over the tab area or another dock.  Bars in use have no deletion pending.
        """
        window: QMainWindow = self.parent()
        for bar in window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            QCoreApplication.sendPostedEvents(bar, QEvent.Type.DeferredDelete)

    def _data_height(self, width: int) -> int:
        """The Data dock's height that shows the whole data panel at ``width`` (its labels wrap),
        with room for two more lines: the sizes line is filled in once the data set has loaded."""
        panel, inner = self.data_panel, width - 16
        content = panel.heightForWidth(inner) if panel.hasHeightForWidth() else -1
        title = self.data_dock.titleBarWidget().height() if self.data_dock.titleBarWidget() else 24
        return max(content, panel.sizeHint().height()) + title + 2 * panel.fontMetrics().lineSpacing() + 8

    def default_sizes(self) -> None:
        window: QMainWindow = self.parent()
        width, height = max(window.width(), 1000), max(window.height(), 600)
        if window.dockWidgetArea(self.hyperparams_dock) == RIGHT:
            left = int(width * WIDE_LEFT_SHARE)
            window.resizeDocks([self.data_dock, self.hyperparams_dock], [left, int(width * WIDE_RIGHT_SHARE)],
                               Qt.Orientation.Horizontal)
            data = min(int(height * 0.4), self._data_height(left))  # no blank under the data set
            window.resizeDocks([self.data_dock, self.network_dock], [data, height - data],
                               Qt.Orientation.Vertical)
            window.resizeDocks([self.hyperparams_dock, self.help_dock], [int(height * 0.7), int(height * 0.3)],
                               Qt.Orientation.Vertical)
        else:
            self._compact_sizes(width, height)

    def _compact_sizes(self, width: int, height: int) -> None:
        """The left column's width (the training tab keeps the rest: it needs about 740 px) and
        its docks' heights: the Network a share, Help its first lines, Data the rest."""
        window: QMainWindow = self.parent()
        window.resizeDocks([self.network_dock], [min(max(500, width - 760), int(width * 0.42))],
                           Qt.Orientation.Horizontal)
        column_docks = [self.network_dock, self.data_dock, self.help_dock]
        column = sum(dock.height() for dock in column_docks)  # without the tab bars between them
        if not window.isVisible():  # not laid out yet: the window less its bars, about
            column = height - COLUMN_BARS_PX
        help_height = max(HELP_MIN_PX, int(height * HELP_SHARE))
        network = int(column * NETWORK_SHARE)
        resize_docks(window, column_docks, [network, column - network - help_height, help_height],
                     Qt.Orientation.Vertical)
