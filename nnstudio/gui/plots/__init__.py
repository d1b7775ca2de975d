"""Plots shared by several tabs: epoch plots, histograms, decision boundary, confusion matrix."""
