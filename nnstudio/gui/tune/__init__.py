"""The Tune tab: its tab widget, workers, trials table, search-space editor and plots."""
