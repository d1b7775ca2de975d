"""Small reusable widgets: spin boxes that guard the wheel, the log view, named buttons and splitters."""
