"""The Compare tab: its tab widget, worker, results table and plots."""
