"""The parts of the studio window: files, docks, menus and the status bar's validity label."""
