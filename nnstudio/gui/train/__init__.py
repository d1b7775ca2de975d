"""The Train tab: the training panel, its worker thread and its pages."""
